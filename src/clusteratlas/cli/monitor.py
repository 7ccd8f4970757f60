"""``clusteratlas clusters``: the cluster monitor (size, level, share of GDP, growth, LQ, firms,
projected trillion-yuan crossing year) per cluster × region × year."""

from __future__ import annotations

from enum import StrEnum
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


class GeographyChoice(StrEnum):
    """Rows per plan region (e.g. Beijing) or per the firms' own regions (districts)."""

    plan = "plan"
    firm = "firm"


class BasisChoice(StrEnum):
    """What the monitor sizes clusters from: the firm registry or statistical tables."""

    registry = "registry"
    statistics = "statistics"


BasisOption = Annotated[
    BasisChoice | None,
    typer.Option(
        "--basis",
        help="registry: firm registry (firms × firm-years); statistics: region × industry × "
        "year tables (import observations). Default: the one covering the plan region.",
    ),
]


@app.command("clusters")
def clusters_command(
    plan: PlanOption = DEFAULT_PLAN,
    year: Annotated[
        int | None, typer.Option("--year", "-y", help="Only this year (default: latest year).")
    ] = None,
    all_years: Annotated[
        bool, typer.Option("--all-years", help="Every year, not only one.")
    ] = False,
    region: Annotated[
        str | None, typer.Option("--region", "-r", help="Only this region code and its parts.")
    ] = None,
    geography: Annotated[
        GeographyChoice,
        typer.Option(
            "--geography",
            "-g",
            help="plan: one row per cluster for the plan region; "
            "firm: per the firms' own regions (districts).",
        ),
    ] = GeographyChoice.plan,
    basis: BasisOption = None,
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
    """Cluster sizes and levels (万亿级/千亿级), share of GDP, growth, LQ, firms and the
    projected year each cluster crosses the plan's top level (产业集群监测)."""
    from clusteratlas import api
    from clusteratlas.i18n import t
    from clusteratlas.model.plan import load_plan

    loaded = load_plan(plan)
    language = plan_lang(loaded, lang)
    frame = api.clusters(
        data_source(
            workspace,
            engine=engine,
            spark_master=spark_master,
            memory_limit=memory_limit,
            parquet=parquet,
        ),
        loaded,
        year=year,
        all_years=all_years,
        region=region,
        geography=geography.value,
        n_sim=n_sim,
        seed=seed,
        basis=None if basis is None else basis.value,
    )
    synthetic = bool(frame["synthetic"].any()) if "synthetic" in frame else False
    used = str(frame["data_basis"].iloc[0]) if len(frame) else (basis or "registry")
    notes = [t(f"clusters.basis.{used}", language)]
    if synthetic:
        notes.append(t("label.synthetic", language))
    caption = " · ".join(notes)
    if fmt is OutputFormat.table:
        show(
            display_table(frame, loaded, language, geography=geography.value),
            fmt,
            out,
            lang=language,
            title=f"{t('report.section.clusters', language)} · {loaded.id}",
            caption=caption,
            limit=limit,
            formats=PEOPLE,
        )
    else:
        emit(frame.reset_index(drop=True), fmt, out)


def display_table(
    frame: pd.DataFrame, plan: object, lang: str, *, geography: str = "plan"
) -> pd.DataFrame:
    """The monitor rows formatted for people (labels in ``lang``, money in 亿元/万亿元).

    With ``geography="plan"`` the region (the plan's) and the LQ (1 by construction) are left
    out; with ``"firm"`` both are shown.
    """
    from clusteratlas.i18n import t
    from clusteratlas.model.plan import Plan
    from clusteratlas.report.html import cluster_rows

    assert isinstance(plan, Plan)
    rows = []
    for region in sorted(frame["region"].astype(str).unique()):
        sub = frame[frame["region"].astype(str) == region]
        for year in sorted(sub["year"].unique()):
            rows += cluster_rows(plan, sub[sub["year"] == year], lang, region=region)
    columns = {
        "cluster": t("report.col.cluster", lang),
        "region": t("report.col.region", lang),
        "year": t("report.col.year", lang),
        "size": t("report.col.size", lang),
        "level": t("report.col.level", lang),
        "share_gdp": t("report.col.share_gdp", lang),
        "growth": t("report.col.growth", lang),
        "lq": t("report.col.lq", lang),
        "firms": t("report.col.firms", lang),
        "crossing": t("report.col.crossing", lang),
    }
    out = pd.DataFrame(rows, columns=list(columns))
    if geography == "plan":  # one region (the plan's): LQ is 1 by construction
        out = out.drop(columns=["region", "lq"])
    return out.rename(columns=columns)
