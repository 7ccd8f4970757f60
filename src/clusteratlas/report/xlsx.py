"""The report as an XLSX workbook (openpyxl): one sheet per table, units in the headers, and
a README sheet with the plan, sources, provenance and the synthetic-data flag.

Values stay in canonical units (money in yuan, shares as fractions 0–1, people in persons);
each header says its unit, e.g. ``revenue [yuan]``, ``share_gdp [fraction 0–1]``. Columns
holding lists or structs (ladder criteria) are written as JSON text. Text that looks like a
formula (``=…``, ``+``, ``-``, ``@``, tab) is stored as text, never as a formula cell, and the
file is written atomically (:mod:`clusteratlas.safe_cells`, :mod:`clusteratlas.outputs`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from clusteratlas import outputs
from clusteratlas.i18n import t
from clusteratlas.safe_cells import xlsx_literals

YUAN = "yuan"
FRACTION = "fraction 0–1"
PERSONS = "persons"

#: Column name → unit (columns not listed are dimensionless, ids, text or years).
UNITS: dict[str, str] = {
    **dict.fromkeys(
        [
            "revenue",
            "value_added",
            "revenue_prev",
            "national_revenue",
            "output",
            "value",
            "main_revenue",
            "rd_spend",
            "exports",
            "equity_raised",
            "last_value",
        ],
        YUAN,
    ),
    **dict.fromkeys(
        [
            "share_gdp",
            "revenue_yoy",
            "value_added_yoy",
            "employees_yoy",
            "firms_yoy",
            "growth",
            "share_of_national",
            "share_of_group",
            "coverage",
            "probability",
            "required_cagr",
            "trend_cagr",
            "density",
            "distance",
            "p_within",
            "crossing_p_within",
            "local_sourcing",
            "key_output_share",
            "rd_intensity",
            "service_direct",
            "service_total",
        ],
        FRACTION,
    ),
    "employees": PERSONS,
}
#: Per-table overrides: columns whose unit is given by a ``unit`` column of the row.
ROW_UNIT_COLUMNS = {
    "target_value",
    "target_low",
    "target_high",
    "latest_value",
    "gap",
    "projected_value",
    "projected_p10",
    "projected_p90",
    "low",
    "high",
}
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_SYN_FILL = PatternFill("solid", fgColor="FFF3C4")


def header(column: str, table: str = "", *, row_units: bool = False) -> str:
    """The header of ``column``: its name with the unit in brackets (``row_units``: the
    table has a ``unit`` column giving each row's unit of its value columns)."""
    if column in ROW_UNIT_COLUMNS or (row_units and column == "value"):
        return f"{column} [unit column]"
    if table == "complexity" and column == "value":
        return f"{column} [measure]"
    unit = UNITS.get(column)
    return f"{column} [{unit}]" if unit else column


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (list, tuple, dict)) or hasattr(value, "tolist"):
        raw = value.tolist() if hasattr(value, "tolist") else value
        if isinstance(raw, (list, dict)):
            return ILLEGAL_CHARACTERS_RE.sub("", json.dumps(raw, ensure_ascii=False, default=str))
        return raw
    if isinstance(value, str):
        # control characters XLSX cannot hold are dropped; line ends become "\n" (XML
        # normalises a bare "\r" on reading anyway)
        return ILLEGAL_CHARACTERS_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None)
    if hasattr(value, "item"):
        return value.item()
    return value


def write_xlsx(
    tables: dict[str, pd.DataFrame],
    path: str | Path,
    *,
    readme: dict[str, Any],
    synthetic: bool,
    lang: str = "zh",
) -> Path:
    """Write ``tables`` (sheet name → frame) and a README sheet to ``path``.

    ``readme`` rows (key → value) describe the plan, engine, datasets and sources;
    ``synthetic`` adds a prominent flag to the README and to the first row of every sheet
    made from firm data (a frame with a true ``synthetic`` column).
    """
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "README"
    ws.append([t("web.xlsx.readme", lang), "ClusterAtlas"])
    ws["A1"].font = Font(bold=True, size=14)
    if synthetic:
        ws.append(
            ["SYNTHETIC", f"{t('label.synthetic', lang)} — {t('report.synthetic_banner', lang)}"]
        )
        for cell in ws[ws.max_row]:
            cell.fill = _SYN_FILL
            cell.font = Font(bold=True)
    ws.append(["synthetic", str(bool(synthetic)).lower()])
    ws.append(
        [
            "units",
            "money in yuan, shares as fractions 0–1, people in persons; "
            "headers carry the unit in [brackets]",
        ]
    )
    for key, value in readme.items():
        ws.append([str(key), _cell(value) if not isinstance(value, str) else value])
    ws.append([])
    ws.append(["sheet", "rows", "columns"])
    for name, frame in tables.items():
        ws.append([name[:31], len(frame), ", ".join(map(str, frame.columns))])
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 120

    for name, frame in tables.items():
        sheet = wb.create_sheet(title=name[:31])
        flagged = "synthetic" in frame.columns and bool(frame["synthetic"].astype(bool).any())
        row_units = "unit" in frame.columns
        sheet.append([header(str(c), name, row_units=row_units) for c in frame.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = _SYN_FILL if flagged else _HEADER_FILL
        for row in frame.itertuples(index=False, name=None):
            sheet.append([_cell(v) for v in row])
        sheet.freeze_panes = "A2"
        for i, column in enumerate(frame.columns, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(
                max(10, len(str(column)) + 10), 40
            )
    xlsx_literals(wb)  # names such as =HYPERLINK(…) stay text (clusteratlas.safe_cells)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with outputs.atomic_path(out) as temp:
        wb.save(temp)
    return out


def write_report_xlsx(report: Any, path: str | Path) -> Path:
    """Write a :class:`clusteratlas.report.full.FullReport` as a workbook."""
    data = report.data
    readme: dict[str, Any] = {
        "plan": f"{data.plan.id} — {data.plan.name_zh} / {data.plan.name_en}",
        "generated": data.generated.strftime("%Y-%m-%d %H:%M UTC"),
        **{f"provenance: {k}": str(v) for k, v in data.provenance.items()},
    }
    facts = report.tables.get("facts")
    if facts is not None and "source" in facts.columns:
        for i, src in enumerate(sorted(set(facts["source"].dropna().astype(str))), start=1):
            readme[f"source {i}"] = src
    datasets = report.tables.get("datasets")
    if datasets is not None:
        for _, row in datasets.iterrows():
            readme[f"dataset {row['name']}"] = (
                f"kind={row['kind']}; rows={row['rows']}; synthetic={bool(row['synthetic'])}; "
                f"source={row['source_file']}; sha256={row['content_hash']}"
            )
    return write_xlsx(
        report.tables, path, readme=readme, synthetic=data.synthetic, lang=report.lang
    )
