"""The programs board for people: rows with labels in one language (CLI table, dashboard page,
report section) and the report section's context."""

from __future__ import annotations

from typing import Any

import pandas as pd


def target_text(row: Any, lang: str) -> str:
    """A KPI's target for people (``4–5 (2025)``), ``—`` without one."""
    from clusteratlas.report.html import format_value

    if pd.isna(row["target"]):
        return "—"
    text = format_value(row["target"], str(row["unit"]), lang)
    if row["comparator"] == "between" and not pd.isna(row["target_high"]):
        text += "–" + format_value(row["target_high"], str(row["unit"]), lang)
    elif row["comparator"] == "<=":
        text = "≤" + text
    elif row["comparator"] == ">=":
        text = "≥" + text
    if not pd.isna(row["target_year"]):
        text += f" ({int(row['target_year'])})"
    return text


def source_titles(source: Any, plan: Any, lang: str) -> str:
    """A KPI's source ids (``seed2022; plan2021``) as the plan documents' titles in ``lang``;
    the ids themselves without a plan."""
    from clusteratlas.report.words import source_link

    ids = [s.strip() for s in str(source or "").split(";") if s.strip()]
    if plan is None:
        return "; ".join(ids)
    return "；".join(source_link(i, plan, lang)["text"] or i for i in ids)


def display_rows(result: pd.DataFrame, lang: str, plan: Any = None) -> list[dict[str, Any]]:
    """The programs board rows with labels in ``lang`` (shared by the CLI, dashboard and
    report): program and KPI names, target, actual (formatted, marked synthetic), year, status,
    source (the plan documents' titles when ``plan`` is given) and what to import."""
    from clusteratlas.i18n import t
    from clusteratlas.report.html import format_value

    suffix = "_zh" if lang == "zh" else "_en"
    rows = []
    for _, r in result.iterrows():
        actual = format_value(r["actual"], str(r["unit"]), lang)
        if bool(r["synthetic"]) and not pd.isna(r["actual"]):
            actual += f" ({t('targets.synthetic_actual', lang)})"
        rows.append(
            {
                "program": r["program"],
                "program_name": r["name" + suffix],
                "kpi": r["kpi"],
                "kpi_name": r["kpi_name" + suffix],
                "target": target_text(r, lang),
                "actual": actual,
                "year": "—" if pd.isna(r["year"]) else str(int(r["year"])),
                "status": str(r["status"]),
                "status_label": t(f"programs.status.{r['status']}", lang),
                "source": source_titles(r["source"], plan, lang),
                "imports": str(r["imports"] or ""),
                "note": str((r["note_zh"] if lang == "zh" else r["note"]) or ""),
            }
        )
    return rows


def programs_context(
    tables: dict[str, pd.DataFrame], lang: str, plan: Any = None
) -> dict[str, Any]:
    """The report's programs section: ``program_groups`` (name, KPI rows) from the report's
    ``programs`` table (empty when the report has none)."""
    table = tables.get("programs")
    if table is None or table.empty:
        return {"program_groups": []}
    groups: dict[str, dict[str, Any]] = {}
    for row in display_rows(table, lang, plan):
        groups.setdefault(row["program"], {"name": row["program_name"], "kpis": []})
        groups[row["program"]]["kpis"].append(row)
    return {"program_groups": list(groups.values())}
