"""``clusteratlas programs``: the plan's programs (the eight projects 八大工程) with each KPI's
target, measured actual, year and status."""

from __future__ import annotations

from typing import Any

import pandas as pd

from clusteratlas.cli._app import (
    FormatOption,
    LangOption,
    OutOption,
    OutputFormat,
    PlanOption,
    WorkspaceOption,
    app,
    emit,
    plan_lang,
)


@app.command("programs")
def programs_command(
    workspace: WorkspaceOption = None,
    plan: PlanOption = "beijing-2441",
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = None,
) -> None:
    """The eight projects (八大工程): KPIs measured on the workspace, targets, status; KPIs the
    data cannot measure say what to import."""
    from clusteratlas import api
    from clusteratlas.i18n import t
    from clusteratlas.model.plan import load_plan

    loaded = load_plan(plan)
    language = plan_lang(loaded, lang)
    result = api.programs(workspace, loaded)
    if fmt is OutputFormat.table:
        synthetic = bool(result["synthetic"].astype(bool).any())
        emit(
            display_table(result, language),
            fmt,
            out,
            title=f"{t('programs.title', language)} · {loaded.id}",
            caption=t("label.synthetic", language) if synthetic else None,
        )
    else:
        emit(result, fmt, out)


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


def display_rows(result: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    """The programs board rows with labels in ``lang`` (shared by the CLI, dashboard and
    report): program and KPI names, target, actual (formatted, marked synthetic), year, status,
    source and what to import."""
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
                "source": str(r["source"] or ""),
                "imports": str(r["imports"] or ""),
                "note": str((r["note_zh"] if lang == "zh" else r["note"]) or ""),
            }
        )
    return rows


def display_table(result: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The programs table formatted for people (labels in ``lang``)."""
    from clusteratlas.i18n import t

    rows = display_rows(result, lang)
    frame = pd.DataFrame(rows)
    frame["status_label"] = [
        r["status_label"] + (f": {r['imports']}" if r["imports"] else "") for r in rows
    ]
    columns = {
        "program_name": t("programs.col.program", lang),
        "kpi_name": t("programs.col.kpi", lang),
        "target": t("programs.col.target", lang),
        "actual": t("programs.col.actual", lang),
        "year": t("programs.col.year", lang),
        "status_label": t("programs.col.status", lang),
    }
    return frame[list(columns)].rename(columns=columns)
