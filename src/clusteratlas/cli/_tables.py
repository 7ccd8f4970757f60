"""Tables for people: localized headers, human units, bounded rows, compact under 100 columns.

The machine formats (``--format json|csv|parquet``, and ``--out FILE`` of any format) keep the
analysis frame as it is — stable English keys, canonical units (yuan, fractions, persons) —
and go through :func:`clusteratlas.cli._app.emit`. Only the table printed to the terminal is
for people: :func:`show` turns each known column into words and units (``亿元``, ``%``,
``万人``), translates headers and categorical values with the i18n catalogue (``col.<name>``,
``<prefix>.<value>``), keeps the first ``limit`` rows (default :data:`DEFAULT_LIMIT`) and says
how many more there are; cells never wrap (names are cut with an ellipsis), so one row is one
line at any width.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich import box
from rich.cells import cell_len
from rich.table import Table

from clusteratlas.cli._app import OutputFormat, console, emit
from clusteratlas.i18n import t
from clusteratlas.units import format_money, format_persons, format_share, is_missing

DEFAULT_LIMIT = 50

LimitOption = Annotated[
    int | None,
    typer.Option(
        "--limit",
        "-n",
        help="Table rows to print (default 50; 0 = all). Machine formats are never cut.",
    ),
]


def money(v: Any, lang: str) -> str:
    """Yuan as ``4,028亿元`` / ``CNY 402.8 bn``."""
    return "—" if is_missing(v) else format_money(float(v), lang)


def share(v: Any, lang: str) -> str:
    """A fraction as a percentage."""
    return "—" if is_missing(v) else format_share(float(v))


def growth(v: Any, lang: str) -> str:
    """A growth rate (fraction) as a signed percentage: ``+7.0%``."""
    return "—" if is_missing(v) else f"{float(v) * 100:+.1f}%"


def ratio(v: Any, lang: str) -> str:
    """A dimensionless ratio (LQ, score) with two decimals."""
    return "—" if is_missing(v) else f"{float(v):,.2f}"


def count(v: Any, lang: str) -> str:
    """A count with thousands separators."""
    return "—" if is_missing(v) else f"{float(v):,.0f}"


def persons(v: Any, lang: str) -> str:
    """A head-count (``12.3万人``)."""
    return "—" if is_missing(v) else format_persons(float(v), lang)


def year(v: Any, lang: str) -> str:
    """A year without separators."""
    return "—" if is_missing(v) else str(int(v))


def km(v: Any, lang: str) -> str:
    """A distance in kilometres."""
    return "—" if is_missing(v) else f"{float(v):,.0f} km"


def text(v: Any, lang: str) -> str:
    """Any value as text (lists joined)."""
    if isinstance(v, list | tuple):
        return "、".join(str(x) for x in v) if lang == "zh" else ", ".join(str(x) for x in v)
    return "—" if is_missing(v) else str(v)


Formatter = Callable[[Any, str], str]

#: How a column of an analysis frame is shown, by its (stable English) name.
FORMATS: dict[str, Formatter] = {
    "revenue": money,
    "revenue_prev": money,
    "national_revenue": money,
    "value_added": money,
    "target_value": money,
    "exports": money,
    "rd_spend": money,
    "share_of_national": share,
    "share_of_group": share,
    "share_gdp": share,
    "coverage": share,
    "probability": share,
    "precision": share,
    "recall": share,
    "recall_possible": share,
    "f1": ratio,
    "p_within": share,
    "crossing_p_within": share,
    "rd_intensity": share,
    "growth": growth,
    "revenue_yoy": growth,
    "value_added_yoy": growth,
    "employees_yoy": growth,
    "firms_yoy": growth,
    "required_cagr": growth,
    "trend_cagr": growth,
    "lq": ratio,
    "score": ratio,
    "score_low": ratio,
    "score_high": ratio,
    "density": ratio,
    "pci": ratio,
    "eci": ratio,
    "cog": ratio,
    "rca": ratio,
    "proximity": ratio,
    "firms": count,
    "national_firms": count,
    "rows": count,
    "rejected": count,
    "eligible": count,
    "undetermined": count,
    "ineligible": count,
    "certified": count,
    "nodes": count,
    "strong": count,
    "present": count,
    "weak": count,
    "missing": count,
    "tp": count,
    "fp": count,
    "fn": count,
    "tn": count,
    "possible": count,
    "rank": count,
    "employees": persons,
    "year": year,
    "latest_year": year,
    "crossing_year": year,
    "distance_km": km,
}

#: For frames already formatted for people (localized headers, strings): numbers
#: formatted by the caller stay as they are, whatever a header happens to be called.
PEOPLE: defaultdict[str, Formatter] = defaultdict(lambda: text)

#: Categorical columns whose values are catalogue keys ``<prefix>.<value>``.
VALUES: dict[str, str] = {
    "status": "status",
    "stage": "stage",
    "next_status": "ladder.status",
}

#: Columns never shown in a people's table (their content is in the caption or elsewhere).
HIDDEN = ("synthetic",)


def header(column: str, lang: str, headers: Mapping[str, str] | None = None) -> str:
    """The localized header of ``column``: catalogue key ``headers[column]`` if given, else
    ``col.<column>``; the name itself if the catalogue has neither."""
    key = (headers or {}).get(column, f"col.{column}")
    label = t(key, lang)
    return column if label == key else label


def people_frame(
    frame: pd.DataFrame,
    lang: str,
    *,
    formats: Mapping[str, Formatter] | None = None,
    values: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``frame`` as strings for people: every known column formatted, categorical values
    translated, headers localized, hidden columns dropped. Same rows, same order."""
    fmt = formats if isinstance(formats, defaultdict) else {**FORMATS, **(formats or {})}
    vals = {**VALUES, **(values or {})}
    shown: dict[str, list[str]] = {}
    for column in frame.columns:
        name = str(column)
        if name in HIDDEN:
            continue
        series = frame[column]
        if name in vals:
            prefix = vals[name]
            cells = [
                "—" if is_missing(v) else _value(prefix, str(v), lang) for v in series.tolist()
            ]
        else:
            f = fmt.get(name, text)
            cells = [f(v, lang) for v in series.tolist()]
        shown[header(name, lang, headers)] = cells
    return pd.DataFrame(shown, index=range(len(frame)))


def _value(prefix: str, value: str, lang: str) -> str:
    key = f"{prefix}.{value}"
    label = t(key, lang)
    return value if label == key else label


def more_note(total: int, shown: int, lang: str) -> str:
    """``… 1,234 more: use --limit N or --format csv`` (localized)."""
    return t("cli.more", lang).format(n=f"{total - shown:,}")


def show(
    frame: pd.DataFrame,
    fmt: OutputFormat,
    out: Path | None,
    *,
    lang: str,
    title: str | None = None,
    caption: str | None = None,
    limit: int | None = None,
    formats: Mapping[str, Formatter] | None = None,
    values: Mapping[str, str] | None = None,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    columns: Sequence[str] | None = None,
    extra: Sequence[str] = (),
    wide: Sequence[str] = (),
    wrap: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    expendable: Sequence[str] = (),
    total: int | None = None,
) -> None:
    """Print ``frame`` for people (table to the terminal) or write it for machines.

    ``limit``: rows of the printed table (``None`` → :data:`DEFAULT_LIMIT`, ``0`` → all);
    ``columns``: the columns of the people's table, in order (default: all); ``extra``: more
    columns shown when the terminal is at least 120 columns wide; ``wide``: columns allowed
    more room (names); ``formats``/``values`` add to :data:`FORMATS`/:data:`VALUES`;
    ``labels``: value → label maps per column (chain ids → chain names, region codes →
    district names); ``wrap``: long text columns that wrap inside the remaining width
    (criteria); ``headers``: catalogue keys of headers other than ``col.<name>``;
    ``expendable``: columns left out first when the terminal is too narrow (else the last);
    ``total``: the full row count when ``frame`` holds only the first rows.
    """
    if fmt is not OutputFormat.table or out is not None:
        emit(frame, fmt, out, title=title, caption=caption)
        return
    n = DEFAULT_LIMIT if limit is None else int(limit)
    head = frame if n <= 0 else frame.head(n)
    if columns is not None:
        chosen = [*columns, *(extra if console.width >= 120 else ())]
        head = head[[c for c in chosen if c in head.columns]]
    for column, mapping in (labels or {}).items():
        if column in head.columns:
            head = head.assign(**{column: [mapping.get(str(v), v) for v in head[column].tolist()]})
    people = people_frame(head, lang, formats=formats, values=values, headers=headers)
    console.print(
        table_of(
            people,
            title=title,
            caption=caption,
            wide={header(c, lang, headers) for c in wide},
            wrap={header(c, lang, headers) for c in wrap},
            expendable=[header(c, lang, headers) for c in expendable],
        )
    )
    total = len(frame) if total is None else int(total)
    if len(head) < total:
        console.print(more_note(total, len(head), lang), style="dim", highlight=False)


def table_of(
    people: pd.DataFrame,
    *,
    title: str | None = None,
    caption: str | None = None,
    wide: set[str] | frozenset[str] = frozenset(),
    wrap: set[str] | frozenset[str] = frozenset(),
    expendable: Sequence[str] = (),
    width: int | None = None,
) -> Table:
    """A compact rich table of already formatted strings that fits ``width`` (default: the
    console's): every column gets an exact width, so nothing is squeezed. Numbers are
    right-aligned and whole; headers wrap onto a second line rather than widen a column; text
    is cut with an ellipsis (``wide`` columns are cut later); only ``wrap`` columns wrap, in
    the width left over. Columns that still do not fit are left out (``expendable`` ones
    first, then from the right) and named in the caption."""
    total_width = width or console.width
    narrow = total_width < 100
    gap = 2 if narrow else 3  # separator + padding per column
    specs: list[tuple[str, int, bool, bool]] = []  # header, width, numeric, wraps
    for column in people.columns:
        name = str(column)
        cells = people[column].astype(str)
        # numbers (most cells: a few "—", "跟踪指标" or "超出预测期" among them) stay whole
        numeric = bool(len(cells)) and float(cells.str.match(NUMBER).mean()) >= 0.6
        body = max([1, *(cell_len(c) for c in cells)])
        head = _header_width(name)
        if name in wrap:
            specs.append((name, max(16, min(body, 40)), False, True))
        elif numeric:
            specs.append((name, max(body, head), True, False))
        else:
            cap = (16 if name in wide else 10) if narrow else (28 if name in wide else 16)
            specs.append((name, max(head, min(body, max(cap, 4))), False, False))
    fixed = sum(w + gap for _, w, _, wraps in specs if not wraps)
    # the first columns stay; the last non-wrapping ones go when the table is still too wide
    dropped: list[str] = []
    while fixed + sum(16 + gap for *_, wraps in specs if wraps) > total_width and len(specs) > 2:
        spare_ones = [i for i, spec in enumerate(specs) if spec[0] in expendable]
        idx = spare_ones[0] if spare_ones else max(i for i, sp in enumerate(specs) if not sp[3])
        name, w, _, _ = specs.pop(idx)
        fixed -= w + gap
        dropped.append(name)
    table = Table(
        title=title,
        caption=caption
        if not dropped
        else f"{caption + ' · ' if caption else ''}{t('cli.dropped', _lang(people))}"
        f"{'、'.join(reversed(dropped))}",
        box=box.SIMPLE_HEAD if narrow else box.ROUNDED,
        padding=(0, 0, 0, 1) if narrow else (0, 1),
        pad_edge=not narrow,
        collapse_padding=True,
        show_lines=False,
    )
    wrapping = [s for s in specs if s[3]]
    spare = max(0, total_width - fixed - 4)
    pad = 1 if narrow else 2  # rich counts a column's padding in its width
    for name, w, numeric, wraps in specs:
        if wraps:
            room = max(16, spare // max(1, len(wrapping)) - gap)
            table.add_column(_wrapped(name, room), width=room + pad, overflow="fold")
        elif numeric:
            table.add_column(_wrapped(name, w), width=w + pad, justify="right", no_wrap=True)
        else:
            table.add_column(_wrapped(name, w), width=w + pad, no_wrap=True, overflow="ellipsis")
    keep = [s[0] for s in specs]
    for row in people[keep].itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    return table


#: A cell that is a number for alignment: ``1,234``, ``+7.0%``, ``4,028亿元``, ``CNY 1.2 tn``,
#: ``2032 (2031–2034)``, ``—``.
NUMBER = r"^(CNY )?([<>≥≤+\-−]\s?)?[\d,.]+|^—$"


def _header_width(header: str) -> int:
    """Width a header needs when it may wrap onto two lines (at a space, or anywhere in CJK)."""
    size = cell_len(header)
    if size <= 6:
        return size
    if " " in header:
        words = header.split(" ")
        return max(max(cell_len(w) for w in words), (size + 1) // 2)
    return (size + 1) // 2 + 1


def _wrapped(header: str, width: int) -> str:
    """``header`` broken onto lines of at most ``width`` cells (CJK at any character)."""
    if cell_len(header) <= width:
        return header
    lines: list[str] = []
    line = ""
    for token in header.split(" ") if " " in header else list(header):
        glue = " " if (" " in header and line) else ""
        if line and cell_len(line + glue + token) > width:
            lines.append(line)
            line = token
        else:
            line += glue + token
    lines.append(line)
    return "\n".join(lines)


def _lang(people: pd.DataFrame) -> str:
    """``zh`` when the headers are Chinese (the table's language), else ``en``."""
    headers = "".join(str(c) for c in people.columns)
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in headers) else "en"


def region_labels(lang: str) -> dict[str, str]:
    """Region code (GB/T 2260) → name in ``lang`` (packaged region table)."""
    from clusteratlas.i18n import region_names

    return region_names(lang)


def chain_labels(plan: Any, lang: str) -> dict[str, str]:
    """Chain id → chain name in ``lang``."""
    return {c.id: (c.name_zh if lang == "zh" else c.name_en) for c in plan.chains}
