"""Formula-safe exports: a text cell is always a literal, never a live formula.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(tab and carriage return are stripped first by some of them, so ``"\\t=1+1"`` becomes
``=1+1``). Firm and dataset names come from user files, so every export treats them as
text:

* **XLSX** (openpyxl): every cell that would be stored as a formula is stored with the
  string type instead (:func:`xlsx_literals`); the text itself is unchanged.
* **CSV**: a text value starting with one of :data:`FORMULA_PREFIXES` gets a leading
  apostrophe ``'`` (the OWASP "CSV injection" advice; spreadsheets show the text as
  written, and readers can strip the one ``'``) — :func:`csv_frame`. Numbers are never
  changed: only text cells are prefixed, so ``-3.5`` stays a number while the *name*
  ``-3.5`` becomes ``'-3.5``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""
_PATTERN = r"^[=+\-@\t\r]"
_SQL_PATTERN = "^[=+@\t\r-]"  # the same class, as literal characters inside a SQL string


def is_formula_like(value: Any) -> bool:
    """Whether ``value`` is text a spreadsheet would run as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def csv_text(value: Any) -> Any:
    """``value`` with the OWASP ``'`` prefix when it is formula-like text."""
    return "'" + value if is_formula_like(value) else value


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose formula-like text cells carry a leading ``'`` (column-wise,
    no loop over rows)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        text = series.map(lambda v: v if isinstance(v, str) else None)
        hit = text.str.match(_PATTERN, na=False).astype(bool)
        if hit.any():
            out[column] = series.where(~hit, "'" + text.where(hit, ""))
    return out


def sql_csv_text(expression: str) -> str:
    """A DuckDB SQL expression: the text ``expression`` with the ``'`` prefix when it is
    formula-like (for CSV files written by ``COPY``, such as the rejects file)."""
    return (
        f"CASE WHEN regexp_matches({expression}, '{_SQL_PATTERN}') "
        f"THEN chr(39) || {expression} ELSE {expression} END"
    )


def xlsx_literals(workbook: Any) -> int:
    """Turn every formula cell of an openpyxl ``workbook`` into a text cell; returns how
    many were changed. ClusterAtlas never writes formulas, so any formula cell is data
    (a name such as ``=HYPERLINK(…)``) that openpyxl would otherwise store as a formula."""
    changed = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    changed += 1
    return changed
