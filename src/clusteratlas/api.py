"""The Python API: one function per CLI sub-command, same names and parameters.

Every function takes a workspace (a path, ``None`` for the default
``$CLUSTERATLAS_WORKSPACE``/``./clusteratlas.duckdb``, or an open
:class:`~clusteratlas.workspace.Workspace`) and a plan (built-in name, YAML path or a loaded
:class:`~clusteratlas.model.plan.Plan`) plus the options of the CLI sub-command of the same
name, and returns a pandas DataFrame in canonical units (money in yuan, shares as fractions
0–1, people in persons). Nothing here computes: each function opens the data, calls the
analysis module and returns its table. The REST API (:mod:`clusteratlas.web.app`) calls
these functions; so can notebooks and the CLI.

Functions that read firm data add a boolean ``synthetic`` column when the firm datasets
of the workspace are flagged synthetic (so every face can label them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from clusteratlas.config import DEFAULT_PLAN, workspace_path
from clusteratlas.errors import InputError, WorkspaceError
from clusteratlas.model.plan import Plan, load_plan

__all__ = [
    "COMMANDS",
    "attract",
    "chains",
    "clusters",
    "complexity",
    "coverage",
    "datasets",
    "ladder",
    "linkages",
    "opportunities",
    "programs",
    "regions",
    "scenario",
    "targets",
]


PlanArg = str | Path | Plan

#: Sub-commands (CLI = API = REST route names).
COMMANDS = (
    "clusters",
    "targets",
    "chains",
    "coverage",
    "attract",
    "regions",
    "ladder",
    "complexity",
    "opportunities",
    "linkages",
    "datasets",
)

LadderView = Literal["screen", "gaps", "pipeline", "compare"]
Geography = Literal["plan", "firm"]
ComplexityGeography = Literal["province", "city", "district", "prefecture", "county"]
IndustryLevel = Literal["division", "group", "class"]
ComplexityView = Literal["region", "industry", "pair"]
Source = Literal["auto", "firms", "observations"]
Basis = Literal["registry", "statistics"]


# --------------------------------------------------------------------------- plumbing


def _plan(plan: PlanArg) -> Plan:
    return plan if isinstance(plan, Plan) else load_plan(plan)


@contextmanager
def _workspace(workspace: Any) -> Iterator[Any]:
    """Yield an open workspace: the object itself, or a read-only one opened (and closed)
    from a path (``None``: the default path)."""
    from clusteratlas.sources import Source
    from clusteratlas.workspace import Workspace, default_path, open_workspace

    if isinstance(workspace, Workspace | Source):
        yield workspace
        return
    path = Path(workspace) if workspace is not None else default_path()
    ws = open_workspace(path, read_only=True)
    try:
        yield ws
    finally:
        ws.close()


@dataclass
class _Firms:
    firms: Any
    firm_years: Any
    tags: Any
    supply_edges: Any
    region_groups: Any
    synthetic: bool


def _firm_tables(ws: Any) -> _Firms:
    counts = ws.counts()
    if not counts.get("firm") or not counts.get("firm_year"):
        raise WorkspaceError(
            f"workspace {ws.path} has no firms/firm-years; import them first "
            "(clusteratlas import firms FILE; clusteratlas synth --import) or run clusteratlas demo"
        )
    info = ws.datasets()
    kinds = info[info["kind"].astype(str).isin(["firms", "firm-years", "tags", "supply-edges"])]
    synthetic = bool(kinds["synthetic"].astype(bool).any()) if len(kinds) else False
    return _Firms(
        firms=ws.table("firm"),
        firm_years=ws.table("firm_year"),
        tags=ws.table("firm_tag") if counts.get("firm_tag") else None,
        supply_edges=ws.table("supply_edge") if counts.get("supply_edge") else None,
        region_groups=ws.table("region_group") if counts.get("region_group") else None,
        synthetic=synthetic,
    )


def _flag(frame: pd.DataFrame, synthetic: bool) -> pd.DataFrame:
    if "synthetic" not in frame.columns:
        frame = frame.assign(synthetic=synthetic)
    return frame.reset_index(drop=True)


def _latest_year(ws: Any, year: int | None) -> int:
    if year is not None:
        return int(year)
    value = ws.table("firm_year").year.max().to_pandas()
    if value is None or pd.isna(value):
        raise WorkspaceError(f"workspace {ws.path} has no firm-year rows")
    return int(value)


# --------------------------------------------------------------------------- commands


def clusters(
    workspace: Any = None,
    plan: PlanArg = DEFAULT_PLAN,
    *,
    year: int | None = None,
    all_years: bool = False,
    region: str | None = None,
    geography: Geography = "plan",
    n_sim: int = 2000,
    seed: int = 0,
    basis: Basis | None = None,
) -> pd.DataFrame:
    """The cluster monitor (``clusteratlas clusters``): one row per cluster × region × year
    with size (``revenue``/``value_added`` in yuan, ``employees`` in persons), ``firms``,
    ``level``, ``share_gdp`` (fraction), ``revenue_yoy`` (fraction), ``lq``, the projected
    crossing year of the plan's top level, ``synthetic``, ``data_basis`` (``registry`` or
    ``statistics``; ``basis=None`` picks the one covering the plan region) and ``status``.
    Latest year only unless ``year`` or ``all_years``.

    Parameters
    ----------
    workspace : str, os.PathLike, Workspace or None
        Workspace path or open workspace; None = the default workspace.
    plan : str, Path or Plan
        Built-in plan name, plan YAML path or a loaded plan.
    year : int or None
        Year shown; None = the latest (unless ``all_years``).
    all_years : bool
        Show every year.
    region : str or None
        GB/T 2260 code of the rows kept; None = all.
    geography : {"plan", "firm"}
        How firms' regions are reported (plan region vs every firm's own region).
    n_sim : int
        Simulated paths of the projection.
    seed : int
        Random seed.
    basis : {"registry", "statistics"} or None
        Data basis; None = the one covering the plan region.

    Returns
    -------
    pandas.DataFrame
        The monitor table (yuan, persons, shares and growth as fractions 0–1).
    """
    from clusteratlas.analysis.panel import workspace_monitor

    the_plan = _plan(plan)
    with _workspace(workspace) as ws:
        frame, _ = workspace_monitor(
            ws,
            the_plan,
            geography=geography,
            region=region,
            n_sim=n_sim,
            seed=seed,
            basis=basis,
        )
    if not all_years and len(frame):
        chosen = int(year) if year is not None else int(frame["year"].max())
        frame = frame[frame["year"] == chosen]
    return frame.reset_index(drop=True)


def targets(
    workspace: Any = None,
    plan: PlanArg = DEFAULT_PLAN,
    *,
    as_of: int | None = None,
    facts: bool = False,
    n_sim: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """The plan target tracker (``clusteratlas targets``): per target the latest actual,
    gap, required growth, projection (p10/p50/p90), probability of meeting it and status.
    ``facts=True`` uses the packaged Beijing facts instead of the workspace.

    Parameters
    ----------
    workspace : str, os.PathLike, Workspace or None
        Workspace path or open workspace; None = the default workspace.
    plan : str, Path or Plan
        Built-in plan name, plan YAML path or a loaded plan.
    as_of : int or None
        Last year of actuals used; None = all.
    facts : bool
        Use the packaged Beijing facts instead of the workspace.
    n_sim : int
        Simulated paths of the projection.
    seed : int
        Random seed.

    Returns
    -------
    pandas.DataFrame
        One row per plan target (values in the target's unit: yuan, count, share 0–1;
        probabilities 0–1).
    """
    from clusteratlas.analysis.actuals import assemble_actuals
    from clusteratlas.analysis.targets import track

    the_plan = _plan(plan)
    if facts:
        from clusteratlas.refdata import beijing_facts

        actuals = assemble_actuals(the_plan, observations=beijing_facts())
        return track(the_plan, actuals, as_of=as_of, n_sim=n_sim, seed=seed)
    from clusteratlas.analysis.panel import workspace_targets

    with _workspace(workspace) as ws:
        return workspace_targets(ws, the_plan, as_of=as_of, n_sim=n_sim, seed=seed)


def chains(
    workspace: Any = None,
    plan: PlanArg = DEFAULT_PLAN,
    *,
    chain: str | None = None,
    region: str | None = None,
    year: int | None = None,
    summary: bool = False,
) -> pd.DataFrame:
    """Chain nodes in a region (``clusteratlas chains``): firms, revenue (yuan), growth,
    share of national, LQ, status (strong/present/weak/missing) and top firms; with
    ``summary`` the per-chain coverage (same as :func:`coverage`).

    Parameters
    ----------
    workspace : str, os.PathLike, Workspace or None
        Workspace path or open workspace; None = the default workspace.
    plan : str, Path or Plan
        Built-in plan name, plan YAML path or a loaded plan.
    chain : str or None
        One chain id; None = every chain of the plan.
    region : str or None
        GB/T 2260 region code; None = the plan's region.
    year : int or None
        Year; None = the latest with data.
    summary : bool
        Return the per-chain coverage instead of the nodes.

    Returns
    -------
    pandas.DataFrame
        One row per chain node (revenue in yuan, growth and shares 0–1), or per chain.
    """
    from clusteratlas.analysis import chains as chains_mod

    the_plan = _plan(plan)
    with _workspace(workspace) as ws:
        tables = _firm_tables(ws)
        frame = chains_mod.nodes(
            tables.firms,
            tables.firm_years,
            the_plan,
            region=region or the_plan.region,
            year=year,
            chain=chain,
            supply_edges=tables.supply_edges,
        )
    if summary:
        frame = chains_mod.coverage(frame)
    return _flag(frame, tables.synthetic)


def coverage(
    workspace: Any = None,
    plan: PlanArg = DEFAULT_PLAN,
    *,
    chain: str | None = None,
    region: str | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """Per chain: node counts by status and ``coverage`` (0–1) — ``chains --summary``.

    Parameters
    ----------
    workspace : str, os.PathLike, Workspace or None
        Workspace path or open workspace; None = the default workspace.
    plan : str, Path or Plan
        Built-in plan name, plan YAML path or a loaded plan.
    chain : str or None
        One chain id; None = every chain of the plan.
    region : str or None
        GB/T 2260 region code; None = the plan's region.
    year : int or None
        Year; None = the latest with data.

    Returns
    -------
    pandas.DataFrame
        One row per chain: node counts by status and ``coverage`` (0–1).
    """
    return chains(workspace, plan, chain=chain, region=region, year=year, summary=True)


def attract(
    workspace: Any = None,
    plan: PlanArg = DEFAULT_PLAN,
    *,
    chain: str,
    node: str,
    region: str | None = None,
    year: int | None = None,
    limit: int = 20,
) -> pd.DataFrame:
    """Attraction candidates (招商) for a chain node (``clusteratlas attract``): firms outside
    ``region`` with each score component (0–1) and the total score.

    Parameters
    ----------
    workspace : str, os.PathLike, Workspace or None
        Workspace path or open workspace; None = the default workspace.
    plan : str, Path or Plan
        Built-in plan name, plan YAML path or a loaded plan.
    chain : str
        Chain id.
    node : str
        Node id of the chain.
    region : str or None
        GB/T 2260 region code; None = the plan's region.
    year : int or None
        Year; None = the latest with data.
    limit : int
        Most candidates returned.

    Returns
    -------
    pandas.DataFrame
        Candidates best first (revenue in yuan, distance in km, components and score 0–1).
    """
    from clusteratlas.analysis import chains as chains_mod

    the_plan = _plan(plan)
    with _workspace(workspace) as ws:
        tables = _firm_tables(ws)
        frame = chains_mod.attraction_candidates(
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
    return _flag(frame, tables.synthetic)


def regions(
    workspace: Any = None,
    plan: PlanArg = DEFAULT_PLAN,
    *,
    group: str = "jingjinji",
    chain: str | None = None,
    year: int | None = None,
    basis: Basis | None = None,
) -> pd.DataFrame:
    """Where each chain node's capacity sits across a region group (``clusteratlas
    regions``): revenue (yuan), firms, share of group, LQ, specialist and gap, on the firm
    registry or on statistics (``basis``; default: the one covering the plan region; column
    ``data_basis``).

    Parameters
    ----------
    workspace : str, os.PathLike, Workspace or None
        Workspace path or open workspace; None = the default workspace.
    plan : str, Path or Plan
        Built-in plan name, plan YAML path or a loaded plan.
    group : str
        Region group id (``jingjinji``).
    chain : str or None
        One chain id; None = every chain of the plan.
    year : int or None
        Year; None = the latest with data.
    basis : {"registry", "statistics"} or None
        Data basis; None = the one covering the plan region.

    Returns
    -------
    pandas.DataFrame
        One row per chain node × member (revenue in yuan, share of group 0–1, LQ).
    """
    from clusteratlas.analysis.regions import workspace_capacity

    the_plan = _plan(plan)
    with _workspace(workspace) as ws:
        return workspace_capacity(
            ws, the_plan, group=group, chain=chain, year=year, basis=basis
        ).reset_index(drop=True)


def ladder(
    workspace: Any = None,
    plan: PlanArg = DEFAULT_PLAN,
    *,
    tier: list[str] | str | None = None,
    region: str | None = None,
    year: int | None = None,
    view: LadderView = "screen",
    status: str | None = None,
    ruleset: str | None = None,
    year_offset: int = 1,
    firm: str | None = None,
    limit: int | None = None,
    lang: str | None = None,
) -> pd.DataFrame:
    """The enterprise ladder (``clusteratlas ladder``), four views:

    * ``screen``: one row per firm × tier for ``year`` (default: latest): ``status``
      (eligible/ineligible/undetermined), score, ``failed`` criteria (canonical units),
      ``missing`` inputs, the tier ``name`` and the firm's ``firm_name`` and ``region``;
    * ``gaps``: per firm the failed criteria of its next tier with the shortfall ``gap``;
    * ``pipeline``: counts of firms per tier (eligible/undetermined/ineligible) per year;
    * ``compare``: screened tiers against certified tags (tag year = year + ``year_offset``;
      without ``year``, the latest data year whose certified list exists).

    ``ruleset`` defaults to the plan's ``tier_ruleset``; ``tier`` (id or ids), ``region``
    (GB/T 2260; 110000 = all of Beijing, 110100 = the prefecture, else exact), ``status``
    (screen) and ``firm`` (firm id) filter; ``limit`` keeps the first rows (by firm id);
    ``lang`` names the tiers (default: the plan's language).

    Parameters
    ----------
    workspace : str, os.PathLike, Workspace or None
        Workspace path or open workspace; None = the default workspace.
    plan : str, Path or Plan
        Built-in plan name, plan YAML path or a loaded plan.
    tier : str, list of str or None
        Tier id(s) kept; None = all.
    region : str or None
        GB/T 2260 code filter; None = all.
    year : int or None
        Year; None = the latest with data.
    view : {"screen", "gaps", "pipeline", "compare"}
        Which table.
    status : str or None
        Keep one status (``screen``).
    ruleset : str or None
        Ruleset id or path; None = the plan's ``tier_ruleset``.
    year_offset : int
        Years between the data and the certified list (``compare``).
    firm : str or None
        Keep one firm id.
    limit : int or None
        Keep the first rows (by firm id); None = all.
    lang : str or None
        Language of the tier names (``zh``/``en``); None = the plan's.

    Returns
    -------
    pandas.DataFrame
        The view's table (criteria in canonical units: yuan, persons, fraction 0–1).
    """
    from clusteratlas.analysis import ladder as ladder_mod
    from clusteratlas.analysis.tier_rules import load_ruleset

    the_plan = _plan(plan)
    rs = load_ruleset(ruleset or the_plan.tier_ruleset)
    tiers = [rs.tier(x).id for x in ([tier] if isinstance(tier, str) else tier)] if tier else None
    if status is not None and status not in ("eligible", "undetermined", "ineligible"):
        raise InputError(f"status {status!r}: use eligible, undetermined or ineligible")
    if view not in ("screen", "gaps", "pipeline", "compare"):
        raise InputError(f"ladder: view must be screen, gaps, pipeline or compare, got {view!r}")
    language = lang or the_plan.lang
    names = {x.id: (x.name_zh if language == "zh" else x.name_en) for x in rs.tiers}
    with _workspace(workspace) as ws:
        tables = _firm_tables(ws)
        firms_t = tables.firms
        if region is not None:
            firms_t = _region_filter(firms_t, region)
        firm_years_t = tables.firm_years
        if firm is not None:  # screen one firm without reading every firm's years
            firms_t = firms_t.filter(firms_t.firm_id == firm)
            firm_years_t = firm_years_t.filter(firm_years_t.firm_id == firm)
        if view == "pipeline":
            frame = ladder_mod.pipeline(firms_t, firm_years_t, ruleset=rs)
            if year is not None:
                frame = frame[frame["year"] == int(year)]
            if tiers:
                frame = frame[frame["tier"].isin(tiers)]
            frame.insert(2, "name", frame["tier"].map(names))
        else:
            y = _latest_year(ws, year)
            if view == "compare" and year is None and tables.tags is not None:
                # the latest data year whose certified list (year + year_offset) exists
                listed = tables.tags.filter(tables.tags.source == "certified").year.max()
                last_list = listed.to_pandas()
                if last_list is not None and not pd.isna(last_list):
                    y = min(y, int(last_list) - year_offset)
            screened = ladder_mod.screen_table(
                firms_t,
                firm_years_t,
                year=y,
                ruleset=rs,
                keep=("name", "region"),
                details=view != "compare",
            ).rename(firm_name="name")
            if view == "compare":
                if tables.tags is None:
                    raise WorkspaceError("the workspace has no firm tags; import them (kind: tags)")
                frame = ladder_mod.compare_certified(screened, tables.tags, year_offset=year_offset)
                if tiers:
                    frame = frame[frame["tier"].isin(tiers)]
                frame.insert(2, "name", frame["tier"].map(names))
            elif view == "gaps":
                frame = ladder_mod.gaps(screened)
                if tiers:
                    frame = frame[frame["next_tier"].isin(tiers)]
            else:
                if tiers:
                    screened = screened.filter(screened.tier.isin(tiers))
                if status:
                    screened = screened.filter(screened.status == status)
                screened = screened.order_by(["firm_id", "track", "rank"])
                if limit is not None:
                    screened = screened.limit(int(limit))
                frame = screened.to_pandas()
                frame.insert(frame.columns.get_loc("tier") + 1, "name", frame["tier"].map(names))
    if limit is not None:
        frame = frame.head(int(limit))
    return _flag(frame, tables.synthetic)


def _region_filter(firms: Any, region: str) -> Any:
    """Firms inside ``region`` (GB/T 2260 containment, see :func:`clusteratlas.geo.within`)."""
    from clusteratlas.geo import within

    return firms.filter(within(firms.region, region.strip()))


def _industry_panel(
    ws: Any, *, source: Source, indicator: str, level: str, region_level: str
) -> tuple[Any, bool]:
    """The long ``region, industry, year, value`` panel (Ibis) of the workspace and whether
    it holds synthetic data (as ``clusteratlas complexity --source``)."""
    from clusteratlas.analysis.complexity import FIRM_MEASURES, industry_panel

    counts = ws.counts()
    has_firms = bool(counts.get("firm")) and bool(counts.get("firm_year"))
    if source not in ("auto", "firms", "observations"):
        raise InputError(f"source must be auto, firms or observations, got {source!r}")
    use_firms = source == "firms" or (source == "auto" and has_firms and indicator in FIRM_MEASURES)
    if use_firms and not has_firms:
        raise WorkspaceError(
            f"workspace {ws.path} has no firms/firm-years; import them first "
            "(clusteratlas import firms FILE) or use source=observations"
        )
    if not use_firms and not counts.get("observation"):
        raise WorkspaceError(f"workspace {ws.path} has no observations; import them first")
    panel = industry_panel(
        firms=ws.table("firm") if use_firms else None,
        firm_years=ws.table("firm_year") if use_firms else None,
        observations=None if use_firms else ws.table("observation"),
        indicator=indicator,
        level=level,
        region_level=region_level,
    )
    info = ws.datasets()
    wanted = ["firms", "firm-years"] if use_firms else ["observations"]
    used = info[info["kind"].astype(str).isin(wanted)]
    return panel, bool(used["synthetic"].astype(bool).any()) if len(used) else False


def _names(ws: Any, table: str, lang: str) -> dict[str, str]:
    """Code → name in ``lang`` (Chinese where no English name) of ``region`` or ``industry``."""
    source = ws.table(table)
    if table == "industry":
        source = source.filter(source.scheme == "gbt4754-2017")
    frame = source.select("code", "name_zh", "name_en").to_pandas()
    column = "name_en" if lang == "en" else "name_zh"
    names = frame[column].where(frame[column].fillna("") != "", frame["name_zh"])
    return dict(zip(frame["code"].astype(str), names.fillna(""), strict=True))


def complexity(
    workspace: Any = None,
    plan: PlanArg = DEFAULT_PLAN,
    *,
    level: IndustryLevel = "class",
    year: int | None = None,
    indicator: str = "revenue",
    region_level: ComplexityGeography = "province",
    source: Source = "auto",
    by: ComplexityView = "pair",
    rca_cutoff: float = 1.0,
    top: int | None = None,
) -> pd.DataFrame:
    """Economic complexity (``clusteratlas complexity``) of the workspace's regions (all on
    one ``region_level``: province (default), city or district) × industries (GB/T 4754
    cut to ``level``), per year (``year``:
    only that one), from firm data (``indicator`` a firm_year column: yuan or persons) or
    observations (``source``). ``by``: ``pair`` (every region × industry: ``rca, m,
    diversity, ubiquity, eci, pci, density, coi, cog``), ``region`` (ECI per region) or
    ``industry`` (PCI per industry); the value column is named after ``indicator``;
    ``top`` keeps the first N rows per year. Refuses (AnalysisError, no table) when a year
    has fewer than ``MIN_REGIONS`` regions or its ECI/PCI are not identified.

    Parameters
    ----------
    workspace : str, os.PathLike, Workspace or None
        Workspace path or open workspace; None = the default workspace.
    plan : str, Path or Plan
        Built-in plan name, plan YAML path or a loaded plan.
    level : {"division", "group", "class"}
        GB/T 4754 industry level (2, 3 or 4 digits).
    year : int or None
        Only this year; None = every year.
    indicator : str
        Size measure: a ``firm_year`` column (``revenue`` in yuan, ``employees`` in persons, …)
        or an observation indicator.
    region_level : {"province", "city", "district"}
        The one region level (aliases ``prefecture``, ``county``).
    source : {"auto", "firms", "observations"}
        Data source; ``auto`` = firms when they hold ``indicator``, else observations.
    by : {"pair", "region", "industry"}
        Rows per region × industry, per region (ECI) or per industry (PCI).
    rca_cutoff : float
        RCA at or above which a region is specialised.
    top : int or None
        Rows kept per year; None = all.

    Returns
    -------
    pandas.DataFrame
        The complexity table (value in the indicator's unit; indices dimensionless).
    """
    from clusteratlas.analysis import complexity as cx

    lang = _plan(plan).lang
    with _workspace(workspace) as ws:
        panel, synthetic = _industry_panel(
            ws, source=source, indicator=indicator, level=level, region_level=region_level
        )
        if year is not None:
            panel = panel.filter(panel.year == int(year))
        full = cx.complexity(
            panel,
            region="region",
            industry="industry",
            value="value",
            year="year",
            rca_cutoff=rca_cutoff,
            min_regions=cx.MIN_REGIONS,
            require_identified=True,
        )
        names = _names(ws, "industry", lang)
        region_names = _names(ws, "region", lang)
    if by == "region":
        table = (
            full.groupby(["year", "region"], as_index=False, sort=False)
            .agg(
                value=("value", "sum"),
                diversity=("diversity", "first"),
                eci=("eci", "first"),
                coi=("coi", "first"),
            )
            .sort_values(["year", "eci"], ascending=[True, False])
        )
        table.insert(2, "name", table["region"].map(region_names).fillna(""))
    elif by == "industry":
        table = (
            full.groupby(["year", "industry"], as_index=False, sort=False)
            .agg(value=("value", "sum"), ubiquity=("ubiquity", "first"), pci=("pci", "first"))
            .sort_values(["year", "pci"], ascending=[True, False])
        )
        table.insert(2, "name", table["industry"].map(names).fillna(""))
    elif by == "pair":
        table = full
    else:
        raise InputError(f"by must be region, industry or pair, got {by!r}")
    table = table.reset_index(drop=True)
    if top is not None:
        table = table.groupby("year", sort=True).head(int(top)).reset_index(drop=True)
    return _flag(table.rename(columns={"value": indicator}), synthetic)


def opportunities(
    workspace: Any = None,
    plan: PlanArg = DEFAULT_PLAN,
    *,
    region: str,
    level: IndustryLevel = "class",
    year: int | None = None,
    indicator: str = "revenue",
    region_level: ComplexityGeography | None = None,
    source: Source = "auto",
    strategy: str = "balanced",
    rca_cutoff: float = 1.0,
    top: int | None = 20,
) -> pd.DataFrame:
    """Industries ``region`` could develop next (``clusteratlas opportunities``): its
    industries with RCA below the cutoff in ``year`` (default: latest), with ``density``
    (feasibility 0–1), ``distance``, ``pci``, ``cog`` and a score and rank per strategy
    (``strategy`` first: low_hanging_fruit, balanced, long_jump), best first; ``name`` is
    the industry's name; ``top`` rows (None: all). ``region_level`` (province, city or
    district) defaults to the level of ``region``'s code (``110108`` → district); the
    ranking is refused like :func:`complexity`'s.

    Parameters
    ----------
    workspace : str, os.PathLike, Workspace or None
        Workspace path or open workspace; None = the default workspace.
    plan : str, Path or Plan
        Built-in plan name, plan YAML path or a loaded plan.
    region : str
        GB/T 2260 code of the region ranked for.
    level : {"division", "group", "class"}
        GB/T 4754 industry level (2, 3 or 4 digits).
    year : int or None
        Year; None = the latest with data.
    indicator : str
        Size measure: a ``firm_year`` column (``revenue`` in yuan, ``employees`` in persons, …)
        or an observation indicator.
    region_level : str or None
        ``province``, ``city`` or ``district``; None = the level of ``region``'s code.
    source : {"auto", "firms", "observations"}
        Data source; ``auto`` = firms when they hold ``indicator``, else observations.
    strategy : str
        Strategy ranked first (``low_hanging_fruit``, ``balanced``, ``long_jump``).
    rca_cutoff : float
        RCA at or above which a region is specialised.
    top : int or None
        Rows kept; None = all.

    Returns
    -------
    pandas.DataFrame
        Industries best first (``density`` 0–1, ``pci``, ``cog``, scores and ranks).
    """
    from clusteratlas.analysis.complexity import DEFAULT_STRATEGIES, MIN_REGIONS
    from clusteratlas.analysis.complexity import opportunities as opps
    from clusteratlas.errors import AnalysisError

    the_plan = _plan(plan)
    if strategy not in DEFAULT_STRATEGIES:
        raise AnalysisError(
            f"strategy {strategy!r} is unknown; use one of {', '.join(DEFAULT_STRATEGIES)}"
        )
    weights = {strategy: DEFAULT_STRATEGIES[strategy]}
    weights |= {k: v for k, v in DEFAULT_STRATEGIES.items() if k != strategy}
    if region_level is None:
        code = region.strip()
        region_level = (
            "province" if code.endswith("0000") else "city" if code.endswith("00") else "district"
        )
    with _workspace(workspace) as ws:
        panel, synthetic = _industry_panel(
            ws, source=source, indicator=indicator, level=level, region_level=region_level
        )
        table = opps(
            panel,
            region="region",
            industry="industry",
            value="value",
            year="year",
            target_region=region,
            rca_cutoff=rca_cutoff,
            weights=weights,
            at_year=year,
            min_regions=MIN_REGIONS,
            require_identified=True,
        )
        names = _names(ws, "industry", the_plan.lang)
    table.insert(3, "name", table["industry"].map(names).fillna(""))
    if top is not None:
        table = table.head(int(top))
    return _flag(table.rename(columns={"value": indicator}), synthetic)


def linkages(
    workspace: Any = None,
    plan: PlanArg = DEFAULT_PLAN,
    *,
    table: str = "china-2020-42",
    by: Literal["sector", "cluster"] = "sector",
    block: Literal["auto", "domestic", "total"] = "auto",
) -> pd.DataFrame:
    """Input–output linkages (``clusteratlas linkages``) of a packaged IO table: per sector
    (or plan cluster) backward/forward linkage indices, quadrant, multipliers and service
    intensity; output in yuan. Reads packaged tables only (the workspace is unused).

    Parameters
    ----------
    workspace : str, os.PathLike, Workspace or None
        Workspace path or open workspace; None = the default workspace.
    plan : str, Path or Plan
        Built-in plan name, plan YAML path or a loaded plan.
    table : str
        Packaged IO table name.
    by : {"sector", "cluster"}
        Rows per IO sector or per plan cluster.
    block : {"auto", "domestic", "total"}
        Which flows of the table (domestic or total use); ``auto`` = the table's default.

    Returns
    -------
    pandas.DataFrame
        Linkage indices (dimensionless), multipliers, service intensity; output in yuan.
    """
    from clusteratlas.analysis.iotable import IOTable
    from clusteratlas.analysis.linkages import cluster_linkages

    chosen: Any = None if block == "auto" else block
    iot = IOTable.load(table, block=chosen)
    if by == "sector":
        res = iot.sector_results().reset_index()
    elif by == "cluster":
        res = cluster_linkages(iot, _plan(plan))
    else:
        raise InputError(f"linkages: by must be sector or cluster, got {by!r}")
    return res.assign(table=iot.name, block=iot.block).reset_index(drop=True)


def scenario(
    file: Any,
    workspace: Any = None,
    plan: PlanArg = DEFAULT_PLAN,
    *,
    seed: int = 0,
    n_sim: int = 2000,
    solve: bool = False,
) -> Any:
    """The scenario planner (``clusteratlas scenario FILE``): each scenario of ``file`` (a
    YAML/JSON path or text, a mapping or a parsed ``ScenarioFile``) run on the tracker's Monte
    Carlo. Returns a :class:`~clusteratlas.analysis.scenario.ScenarioResult`: ``targets``
    (probability, p50), ``clusters`` (revenue p10/p50/p90, yuan), ``counts`` (clusters per
    level), ``scenarios`` (what was run) and with ``solve`` the "what it takes" table;
    ``result.to_dict()`` is the JSON shape of ``--format json``.

    Parameters
    ----------
    file : str, Path, dict or ScenarioFile
        The scenarios: a YAML/JSON path or text, a mapping or a parsed file.
    workspace : str, os.PathLike, Workspace or None
        Workspace path or open workspace; None = the default workspace.
    plan : str, Path or Plan
        Built-in plan name, plan YAML path or a loaded plan.
    seed : int
        Random seed.
    n_sim : int
        Simulated paths.
    solve : bool
        Also solve what it takes to reach the count targets.

    Returns
    -------
    ScenarioResult
        The tables described above (yuan, probabilities 0–1).
    """
    from clusteratlas.analysis.scenario import run, workspace_baseline
    from clusteratlas.analysis.scenario_file import ScenarioFile, load_scenarios

    if _looks_like_workspace(file) and not _looks_like_workspace(workspace):
        file, workspace = workspace, file  # called as scenario(workspace, file)
    the_plan = _plan(plan)
    spec = file if isinstance(file, ScenarioFile) else load_scenarios(file, the_plan)
    with _workspace(workspace) as ws:
        base = workspace_baseline(
            ws,
            the_plan,
            horizon=spec.horizon,
            assumptions=spec.assumptions,
            n_sim=n_sim,
            seed=seed,
        )
    return run(base, spec, solve_targets=solve)


def _looks_like_workspace(value: Any) -> bool:
    from clusteratlas.sources import Source
    from clusteratlas.workspace import Workspace

    if isinstance(value, Workspace | Source):
        return True
    return isinstance(value, str | Path) and str(value).endswith((".duckdb", ".db"))


def programs(workspace: Any = None, plan: PlanArg = DEFAULT_PLAN) -> pd.DataFrame:
    """The plan's programs (``clusteratlas programs``; the Beijing plan's eight projects 八大
    工程): one row per KPI — ``program, name_zh, name_en, kpi, target, actual, year, status``
    plus the KPI's names, unit, comparator, source, note and ``synthetic``. KPIs the data
    cannot measure have ``status = not measurable`` and say what to import.

    Parameters
    ----------
    workspace : str, os.PathLike, Workspace or None
        Workspace path or open workspace; None = the default workspace.
    plan : str, Path or Plan
        Built-in plan name, plan YAML path or a loaded plan.

    Returns
    -------
    pandas.DataFrame
        One row per program KPI (target and actual in the KPI's ``unit``).
    """
    from clusteratlas.analysis.programs import workspace_programs

    the_plan = _plan(plan)
    with _workspace(workspace) as ws:
        return workspace_programs(ws, the_plan)


def datasets(workspace: Any = None, plan: PlanArg = DEFAULT_PLAN) -> pd.DataFrame:
    """The workspace's dataset registry (``clusteratlas status``): ``name, kind, rows,
    rejected, source_file, content_hash, imported_at, synthetic``.

    Parameters
    ----------
    workspace : str, os.PathLike, Workspace or None
        Workspace path or open workspace; None = the default workspace.
    plan : str, Path or Plan
        Unused (same parameters as every command).

    Returns
    -------
    pandas.DataFrame
        One row per dataset (``rows`` a count).
    """
    with _workspace(workspace) as ws:
        frame = ws.datasets()
    return frame.drop(columns=[c for c in ("columns", "table") if c in frame.columns])


def drop_dataset(dataset: str, workspace: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Remove ``dataset`` and its rows from the workspace in one transaction
    (``clusteratlas drop``): ``{"dataset", "kind", "table", "rows"}`` (rows removed).

    Parameters
    ----------
    dataset : str
        Dataset id.
    workspace : str, os.PathLike or None
        Workspace path; None = the default workspace.

    Returns
    -------
    dict
        ``dataset``, ``kind``, ``table`` and ``rows`` removed.
    """
    from clusteratlas.workspace import default_path, open_workspace

    path = Path(workspace) if workspace is not None else default_path()
    if not path.exists():
        raise WorkspaceError(f"{path}: no workspace here; run `clusteratlas init` first")
    with open_workspace(path) as ws:
        result = ws.drop(dataset)
    return {
        "dataset": result.dataset,
        "kind": result.kind,
        "table": result.table,
        "rows": result.rows,
    }


def workspace_mtime(workspace: str | os.PathLike[str] | None) -> float:
    """Modification time of a workspace file and its WAL (for result caches).

    Parameters
    ----------
    workspace : str, os.PathLike or None
        Workspace path; None = the default workspace.

    Returns
    -------
    float
        Latest modification time (seconds since the epoch; 0.0 when absent).
    """
    path = workspace_path(workspace)
    times = [p.stat().st_mtime for p in (path, path.with_name(path.name + ".wal")) if p.exists()]
    return max(times) if times else 0.0
