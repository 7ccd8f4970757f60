"""The report as an XLSX workbook (openpyxl) for people: one sheet per table with localized
headers that name their unit, money in 亿元 and people in 万人 with number formats, shares as
percentages (the cell holds the fraction, formatted ``0.0%``), and a README sheet with the
plan, sources, provenance, the unit conventions and the synthetic-data flag.

Each header is ``<label>（<unit>）``, e.g. ``营业收入（亿元）`` / ``Revenue (100 million yuan)``;
the README lists each sheet's columns by their stable English key, so the workbook maps
back to the JSON/CSV outputs (canonical units: yuan, fractions, persons). Rows whose unit is
given by a ``unit`` column (targets, facts) are converted row by row. Columns holding lists
or structs (ladder criteria) are written as JSON text. Text that looks like a formula
(``=…``, ``+``, ``-``, ``@``, tab) is stored as text, never as a formula cell, and the file
is written atomically (:mod:`clusteratlas.safe_cells`, :mod:`clusteratlas.outputs`).
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


#: How a canonical unit is shown: (scale divisor, number format, unit label key).
SHOWN: dict[str, tuple[float, str, str]] = {
    YUAN: (1e8, "#,##0.00", "unit.100m_yuan"),
    FRACTION: (1.0, "0.0%", "xlsx.unit.percent"),
    PERSONS: (1e4, "#,##0.00", "xlsx.unit.10k_persons"),
}


def header(column: str, table: str = "", *, row_units: bool = False, lang: str = "en") -> str:
    """The header of ``column`` for people: its label (catalogue ``col.<column>``, else the
    key) and its unit as shown (``营业收入（亿元）``); ``row_units``: the table has a ``unit``
    column giving each row's unit of its value columns."""
    key = f"col.{column}"
    label = t(key, lang)
    label = column if label == key else label
    if column in ROW_UNIT_COLUMNS or (row_units and column == "value"):
        unit_label = t("xlsx.unit.per_row", lang)
    elif table == "complexity" and column == "value":
        unit_label = t("xlsx.unit.measure", lang)
    elif column in UNITS:
        unit_label = t(SHOWN[UNITS[column]][2], lang)
    else:
        return label
    return f"{label}（{unit_label}）" if lang == "zh" else f"{label} ({unit_label})"


def _shown(value: Any, unit: str | None) -> tuple[Any, str | None]:
    """``value`` (canonical ``unit``) as shown in the sheet and its number format."""
    cell = _cell(value)
    if unit not in SHOWN or not isinstance(cell, int | float) or isinstance(cell, bool):
        return cell, None
    scale, number_format, _ = SHOWN[unit]
    return cell / scale, number_format


def _row_unit(unit: Any) -> str | None:
    return {"yuan": YUAN, "fraction": FRACTION, "persons": PERSONS}.get(str(unit))


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
    ws.append(["units", t("xlsx.readme.units", lang)])
    for key, value in readme.items():
        ws.append([str(key), _cell(value) if not isinstance(value, str) else value])
    ws.append([])
    ws.append(["sheet", "rows", "columns"])
    for name, frame in tables.items():
        # the stable English keys of the JSON/CSV outputs, in the order of the sheet's columns
        ws.append([name[:31], len(frame), ", ".join(map(str, frame.columns))])
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 120

    for name, frame in tables.items():
        sheet = wb.create_sheet(title=name[:31])
        flagged = "synthetic" in frame.columns and bool(frame["synthetic"].astype(bool).any())
        row_units = "unit" in frame.columns
        columns = [str(c) for c in frame.columns]
        sheet.append([header(c, name, row_units=row_units, lang=lang) for c in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = _SYN_FILL if flagged else _HEADER_FILL
        per_row = [c in ROW_UNIT_COLUMNS or (row_units and c == "value") for c in columns]
        fixed = [None if name == "complexity" and c == "value" else UNITS.get(c) for c in columns]
        units = frame["unit"].tolist() if row_units else [None] * len(frame)
        for unit, row in zip(units, frame.itertuples(index=False, name=None), strict=True):
            shown = [
                _shown(v, _row_unit(unit) if own else fix)
                for v, own, fix in zip(row, per_row, fixed, strict=True)
            ]
            sheet.append([v for v, _ in shown])
            for cell, (_, number_format) in zip(sheet[sheet.max_row], shown, strict=True):
                if number_format:
                    cell.number_format = number_format
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
    from clusteratlas.report.words import local_time

    data = report.data
    readme: dict[str, Any] = {
        "plan": f"{data.plan.id} — {data.plan.name_zh} / {data.plan.name_en}",
        "generated": local_time(data.generated, report.lang),
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
