"""``clusteratlas targets``: the plan's targets with latest actual, gap, required growth,
projection, probability of meeting them and status."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from clusteratlas.cli._app import (
    EngineOption,
    FormatOption,
    LangOption,
    MemoryLimitOption,
    NSimOption,
    OutOption,
    OutputFormat,
    ParquetOption,
    PlanOption,
    SeedOption,
    SparkMasterOption,
    WorkspaceOption,
    app,
    data_source,
    emit,
    plan_lang,
)
from clusteratlas.cli._tables import PEOPLE, LimitOption, show
from clusteratlas.config import DEFAULT_PLAN


@app.command("targets")
def targets_command(
    plan: PlanOption = DEFAULT_PLAN,
    as_of: Annotated[
        int | None, typer.Option("--as-of", help="Use only actuals up to this year.")
    ] = None,
    facts: Annotated[
        bool,
        typer.Option("--facts", help="Use the packaged Beijing facts instead of a workspace."),
    ] = False,
    workspace: WorkspaceOption = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    memory_limit: MemoryLimitOption = None,
    parquet: ParquetOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = None,
    limit: LimitOption = None,
    n_sim: NSimOption = 2000,
    seed: SeedOption = 0,
) -> None:
    """Plan target tracker (规划目标进展): met / on track / at risk / off track / missed."""
    from clusteratlas import api
    from clusteratlas.model.plan import load_plan

    loaded = load_plan(plan)
    language = plan_lang(loaded, lang)
    result = api.targets(
        data_source(
            workspace,
            engine=engine,
            spark_master=spark_master,
            memory_limit=memory_limit,
            parquet=parquet,
        ),
        loaded,
        as_of=as_of,
        facts=facts,
        n_sim=n_sim,
        seed=seed,
    )
    if fmt is OutputFormat.table:
        from clusteratlas.i18n import t

        caption = (
            t("label.synthetic", language) if bool(result["synthetic"].astype(bool).any()) else None
        )
        show(
            display_table(result, language),
            fmt,
            out,
            lang=language,
            title=f"{t('targets.title', language)} · {loaded.id}",
            caption=caption,
            limit=limit,
            formats=PEOPLE,
            expendable=[
                t("targets.col.required_cagr", language),
                t("targets.col.projected", language),
            ],
        )
    else:
        emit(result, fmt, out)


def display_table(result: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The tracker rows formatted for people (labels in ``lang``); a target without data
    says what to import."""
    from clusteratlas.i18n import t
    from clusteratlas.report.html import target_rows

    rows = target_rows(result, lang)
    for row in rows:
        if row["status"] == "no data" and row["note"]:
            row["status_label"] = f"{row['status_label']}: {row['note']}"
    columns = {
        "name": t("targets.col.name", lang),
        "target": t("plan.col.target", lang),
        "latest": t("targets.col.latest", lang),
        "required_cagr": t("targets.col.required_cagr", lang),
        "projected": t("targets.col.projected", lang),
        "probability": t("targets.col.probability", lang),
        "status_label": t("targets.col.status", lang),
    }
    out = pd.DataFrame(rows)
    synthetic = t("targets.synthetic_actual", lang)
    out["target"] = [f"{r['target']} ({r['year']})" for r in rows]
    out["latest"] = [
        r["latest"]
        + ("" if r["latest_year"] == "—" else f" ({r['latest_year']})")
        + (f" {synthetic}" if r["synthetic"] else "")
        for r in rows
    ]
    out["projected"] = [
        r["projected"] + ("" if r["interval"] == "—" else f" [{r['interval']}]") for r in rows
    ]
    return out[list(columns)].rename(columns=columns)
