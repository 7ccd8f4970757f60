"""``clusteratlas programs``: the plan's programs (the eight projects 八大工程) with each KPI's
target, measured actual, year and status."""

from __future__ import annotations

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
from clusteratlas.config import DEFAULT_PLAN


@app.command("programs")
def programs_command(
    workspace: WorkspaceOption = None,
    plan: PlanOption = DEFAULT_PLAN,
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


def display_table(result: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The programs table formatted for people (labels in ``lang``)."""
    from clusteratlas.i18n import t
    from clusteratlas.report.programs import display_rows

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
