"""CLI: ``chains``, ``attract`` and ``regions`` (industrial chains and regional coordination)."""

from __future__ import annotations

from typing import Annotated

import typer

from clusteratlas.cli._app import (
    FormatOption,
    LangOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    app,
    emit,
)

PlanOption = Annotated[str, typer.Option("--plan", "-p", help="Plan name or YAML file.")]
YearOption = Annotated[int | None, typer.Option("--year", help="Year (default: latest).")]
ChainOption = Annotated[str | None, typer.Option("--chain", help="Chain id (default: all).")]


def _localise(frame, lang: str):  # type: ignore[no-untyped-def]
    """Keep one name column in the chosen language (``name``)."""
    if "name_zh" in frame.columns:
        keep = "name_zh" if lang == "zh" else "name_en"
        frame = frame.drop(columns=[c for c in ("name_zh", "name_en") if c != keep])
        frame = frame.rename(columns={keep: "node_name"})
    return frame


@app.command("chains")
def chains_command(
    workspace: WorkspaceOption = None,
    plan: PlanOption = "beijing-2441",
    chain: ChainOption = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Region code (default: plan region).")
    ] = None,
    year: YearOption = None,
    summary: Annotated[bool, typer.Option("--summary", help="Chain coverage only.")] = False,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = "",
) -> None:
    """Chain nodes in a region: firms, revenue, growth, share of national, LQ, status (强链补链)."""
    from clusteratlas.analysis import chains
    from clusteratlas.cli._data import firm_tables, open_plan
    from clusteratlas.i18n import t

    the_plan = open_plan(plan)
    lang = lang or the_plan.lang
    tables = firm_tables(workspace)
    nodes = chains.nodes(
        tables.firms,
        tables.firm_years,
        the_plan,
        region=region or the_plan.region,
        year=year,
        chain=chain,
        supply_edges=tables.supply_edges,
    )
    if summary:
        emit(chains.coverage(nodes), fmt, out, title=t("chains.coverage", lang))
        return
    emit(
        _localise(nodes, lang),
        fmt,
        out,
        title=t("chains.title", lang),
        caption=tables.caption(lang),
    )


@app.command("attract")
def attract_command(
    chain: Annotated[str, typer.Option("--chain", help="Chain id.")],
    node: Annotated[str, typer.Option("--node", help="Node id of the chain.")],
    workspace: WorkspaceOption = None,
    plan: PlanOption = "beijing-2441",
    region: Annotated[str | None, typer.Option("--region", help="Home region code.")] = None,
    year: YearOption = None,
    limit: Annotated[int, typer.Option("--limit", help="How many candidates.")] = 20,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = "",
) -> None:
    """Attraction candidates (招商) for a chain node: firms elsewhere, with each score component."""
    from clusteratlas.analysis import chains
    from clusteratlas.cli._data import firm_tables, open_plan
    from clusteratlas.i18n import t

    the_plan = open_plan(plan)
    lang = lang or the_plan.lang
    tables = firm_tables(workspace)
    frame = chains.attraction_candidates(
        tables.firms,
        tables.firm_years,
        the_plan,
        chain=chain,
        node=node,
        region=region or the_plan.region,
        year=year,
        tags=tables.tags,
        limit=limit,
    )
    emit(frame, fmt, out, title=t("chains.attract", lang), caption=tables.caption(lang))


@app.command("regions")
def regions_command(
    group: Annotated[
        str, typer.Option("--group", help="Region group, e.g. jingjinji.")
    ] = "jingjinji",
    workspace: WorkspaceOption = None,
    plan: PlanOption = "beijing-2441",
    chain: ChainOption = None,
    year: YearOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = "",
) -> None:
    """Where each chain node's capacity sits across a region group; specialists and gaps."""
    from clusteratlas.analysis.regions import capacity
    from clusteratlas.cli._data import firm_tables, open_plan
    from clusteratlas.i18n import t

    the_plan = open_plan(plan)
    lang = lang or the_plan.lang
    tables = firm_tables(workspace)
    frame = capacity(
        tables.firms,
        tables.firm_years,
        the_plan,
        group=group,
        region_groups=tables.region_groups,
        year=year,
        chain=chain,
    )
    emit(
        _localise(frame, lang),
        fmt,
        out,
        title=t("regions.title", lang),
        caption=tables.caption(lang),
    )
