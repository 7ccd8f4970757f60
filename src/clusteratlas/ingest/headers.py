"""Finding the header of a table as a bureau exports it.

Exports often put a title row (merged across the table: ``2024年高精尖企业名录``) and notes
above the header, and some use a two-row header whose upper cells are merged across the
columns below them (``经营指标`` over ``营业收入（万元）``, ``从业人员``). :func:`locate_header`
looks at the first :data:`PREVIEW_ROWS` rows and picks the row whose cells name the most
known columns (``score``); the row below joins it when that names more columns still and
holds no numbers. ``--header-row N`` (``header_row``) forces the first header row.

Rows are counted as a spreadsheet counts them: physical row 1 is the file's first line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clusteratlas.errors import InputError

PREVIEW_ROWS = 30
"""How many leading rows are searched for the header."""

HEADER_JOIN = " / "
"""Joins the upper and lower cell of a two-row header (``经营指标 / 营业收入（万元）``)."""

Score = Callable[[list[str]], int]
"""How many header texts name a known column."""

_NUMBER = re.compile(r"^[-+]?\d[\d,]*\.?\d*(?:[eE][-+]?\d+)?$")


@dataclass(frozen=True)
class HeaderSpec:
    """Where the header is: ``first`` physical row (1-based), ``depth`` rows (1 or 2),
    and the column ``names`` (two-row headers joined by :data:`HEADER_JOIN`)."""

    first: int
    depth: int
    names: list[str]

    @property
    def data_start(self) -> int:
        """The physical row number (1-based) of the first row after the header."""
        return self.first + self.depth


def _filled(row: Sequence[str | None]) -> list[str]:
    return ["" if v is None else str(v).strip() for v in row]


def _count(row: Sequence[str]) -> int:
    return sum(1 for v in row if v)


def join_two_rows(upper: Sequence[str], lower: Sequence[str]) -> list[str]:
    """Join a two-row header into one name per column.

    An upper cell merged across several columns is only stored in its first column: it is
    carried right over the columns that have a lower cell but no upper one. A column with
    one part keeps it; a column with both gets ``upper / lower``.
    """
    width = max(len(upper), len(lower))
    up = list(upper) + [""] * (width - len(upper))
    low = list(lower) + [""] * (width - len(lower))
    names: list[str] = []
    carry = ""
    for u, w in zip(up, low, strict=True):
        if u:
            carry = u
        elif not w:
            carry = ""
        top = u or (carry if w else "")
        if top and w and top != w:
            names.append(f"{top}{HEADER_JOIN}{w}")
        else:
            names.append(top or w)
    return names


def locate_header(
    rows: Sequence[Sequence[str | None]],
    score: Score | None = None,
    header_row: int | None = None,
    where: str = "",
) -> HeaderSpec:
    """The header of ``rows`` (the file's leading rows, ``rows[0]`` = physical row 1).

    Without ``header_row`` the best-scoring row among the first :data:`PREVIEW_ROWS`
    wins (earliest on ties); when nothing scores, the first row with more than one filled
    cell (a lone cell is a title). ``where`` names the file in errors.
    """
    texts = [_filled(r) for r in rows[:PREVIEW_ROWS]]
    filled = [i for i, r in enumerate(texts) if _count(r)]
    if not filled:
        raise InputError(f"{where}: empty file (no header row)")
    rate: Score = score or (lambda names: 0)

    def options(i: int) -> tuple[int, int]:
        """Scores of row ``i`` alone and joined with the row below; the join counts (else 0)
        only when both rows have several cells, the lower holds no numbers, and together
        they name more columns than either alone (a title row above a header is no join)."""
        single = rate(texts[i])
        below = texts[i + 1] if i + 1 < len(texts) else []
        if _count(texts[i]) < 2 or _count(below) < 2 or any(_NUMBER.match(v) for v in below):
            return single, 0
        joined = rate(join_two_rows(texts[i], below))
        return single, joined if joined > max(single, rate(below)) else 0

    if header_row is not None:
        index = header_row - 1
        if header_row < 1 or index >= len(rows) or not _count(_filled(rows[index])):
            raise InputError(
                f"{where}: --header-row {header_row} is not a filled row "
                f"(the first filled row is {filled[0] + 1})"
            )
        texts = [_filled(r) for r in rows[: max(PREVIEW_ROWS, index + 2)]]
    else:
        best = max(filled, key=lambda i: (max(options(i)), -i))
        if max(options(best)) == 0:
            wide = [i for i in filled if _count(texts[i]) > 1]
            best = wide[0] if wide else filled[0]
        index = best
    single, joined = options(index)
    if joined > single:
        return HeaderSpec(index + 1, 2, join_two_rows(texts[index], texts[index + 1]))
    return HeaderSpec(index + 1, 1, texts[index])
