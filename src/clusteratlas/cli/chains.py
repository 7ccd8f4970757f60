"""CLI: ``chains``, ``attract`` and ``regions`` (industrial chains and regional coordination).

Thin faces over :mod:`clusteratlas.api`: options in, the API's table out, formatted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from clusteratlas.cli._app import (
    EngineOption,
    FormatOption,
    LangOption,
    MemoryLimitOption,
    OutOption,
    OutputFormat,
    ParquetOption,
    PlanOption,
    SparkMasterOption,
    WorkspaceOption,
    app,
    data_source,
    plan_lang,
)
from clusteratlas.cli._tables import LimitOption, show
from clusteratlas.cli.monitor import BasisOption
from clusteratlas.config import DEFAULT_PLAN

YearOption = Annotated[int | None, typer.Option("--year", help="Year (default: latest).")]
ChainOption = Annotated[str | None, typer.Option("--chain", help="Chain id (default: all).")]
RegionOption = Annotated[
    str | None, typer.Option("--region", help="Region code (default: the plan's region).")
]


def _show(
    frame: pd.DataFrame,
    lang: str,
    fmt: OutputFormat,
    out: Path | None,
    title_key: str,
    limit: int | None = None,
    *,
    plan: str = DEFAULT_PLAN,
    columns: tuple[str, ...] | None = None,
    extra: tuple[str, ...] = (),
) -> None:
    """Keep one node-name column in ``lang`` and flag synthetic data in the caption; machine
    formats keep the English keys and canonical units, the table is for people."""
    from clusteratlas.cli._tables import chain_labels, region_labels
    from clusteratlas.i18n import t
    from clusteratlas.model.plan import load_plan

    if "name_zh" in frame.columns:
        keep = "name_zh" if lang == "zh" else "name_en"
        frame = frame.drop(columns=[c for c in ("name_zh", "name_en") if c != keep])
        frame = frame.rename(columns={keep: "node_name"})
    synthetic = bool(frame["synthetic"].any()) if "synthetic" in frame.columns else False
    caption = t("label.synthetic", lang) if synthetic else None
    show(
        frame,
        fmt,
        out,
        lang=lang,
        title=t(title_key, lang),
        caption=caption,
        limit=limit,
        columns=columns,
        extra=extra,
        labels={
            "chain": chain_labels(load_plan(plan), lang),
            "region": region_labels(lang),
            "member": region_labels(lang),
            "specialist": region_labels(lang),
        },
        wide=("node_name", "name", "top_firms"),
    )


@app.command("chains")
def chains_command(
    workspace: WorkspaceOption = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    memory_limit: MemoryLimitOption = None,
    parquet: ParquetOption = None,
    plan: PlanOption = DEFAULT_PLAN,
    chain: ChainOption = None,
    region: RegionOption = None,
    year: YearOption = None,
    summary: Annotated[bool, typer.Option("--summary", help="Chain coverage only.")] = False,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = None,
    limit: LimitOption = None,
) -> None:
    """Chain nodes in a region: firms, revenue, growth, share of national, LQ, status (强链补链)."""
    from clusteratlas import api

    frame = api.chains(
        data_source(
            workspace,
            engine=engine,
            spark_master=spark_master,
            memory_limit=memory_limit,
            parquet=parquet,
        ),
        plan,
        chain=chain,
        region=region,
        year=year,
        summary=summary,
    )
    title = "chains.coverage" if summary else "chains.title"
    columns = (
        ("chain", "nodes", "coverage", "strong", "present", "weak", "missing")
        if summary
        else ("chain", "node_name", "stage", "firms", "revenue", "growth", "lq", "status")
    )
    _show(
        frame,
        plan_lang(plan, lang),
        fmt,
        out,
        title,
        limit,
        plan=plan,
        columns=columns,
        extra=("share_of_national", "top_firms"),
    )


@app.command("attract")
def attract_command(
    chain: Annotated[str, typer.Option("--chain", help="Chain id.")],
    node: Annotated[str, typer.Option("--node", help="Node id of the chain.")],
    workspace: WorkspaceOption = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    memory_limit: MemoryLimitOption = None,
    parquet: ParquetOption = None,
    plan: PlanOption = DEFAULT_PLAN,
    region: RegionOption = None,
    year: YearOption = None,
    limit: Annotated[int, typer.Option("--limit", help="How many candidates.")] = 20,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = None,
) -> None:
    """Attraction candidates (招商) for a chain node: firms elsewhere, with each score component."""
    from clusteratlas import api

    frame = api.attract(
        data_source(
            workspace,
            engine=engine,
            spark_master=spark_master,
            memory_limit=memory_limit,
            parquet=parquet,
        ),
        plan,
        chain=chain,
        node=node,
        region=region,
        year=year,
        limit=limit,
    )
    _show(
        frame,
        plan_lang(plan, lang),
        fmt,
        out,
        "chains.attract",
        limit,
        plan=plan,
        columns=("rank", "name", "region", "revenue", "growth", "rd_intensity", "score"),
        extra=("best_tag", "distance_km"),
    )


@app.command("regions")
def regions_command(
    group: Annotated[
        str, typer.Option("--group", help="Region group, e.g. jingjinji.")
    ] = "jingjinji",
    workspace: WorkspaceOption = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    memory_limit: MemoryLimitOption = None,
    parquet: ParquetOption = None,
    plan: PlanOption = DEFAULT_PLAN,
    chain: ChainOption = None,
    year: YearOption = None,
    basis: BasisOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = None,
    limit: LimitOption = None,
) -> None:
    """Where each chain node's capacity sits across a region group; specialists and gaps
    (on the firm registry or on statistics: --basis)."""
    from clusteratlas import api

    frame = api.regions(
        data_source(
            workspace,
            engine=engine,
            spark_master=spark_master,
            memory_limit=memory_limit,
            parquet=parquet,
        ),
        plan,
        group=group,
        chain=chain,
        year=year,
        basis=None if basis is None else basis.value,
    )
    _show(
        frame,
        plan_lang(plan, lang),
        fmt,
        out,
        "regions.title",
        limit,
        plan=plan,
        columns=("chain", "node_name", "member", "revenue", "firms", "share_of_group", "lq"),
        extra=("specialist", "gap"),
    )
