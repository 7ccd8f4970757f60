"""The firm-year × cluster panel and the cluster monitor run on it.

:func:`build_panel` joins the canonical tables into the rows the cluster monitor
(:func:`clusteratlas.analysis.clusters.monitor`) takes: one row per firm × year × cluster
(a firm classified in several clusters repeats, once per cluster; unclassified firms keep a NULL
cluster so they still count in the region totals)::

    firm_year ⋈ firm (region, industry, name, scope) ⟕ classify_firms(firm, plan)

:func:`build_grouped_panel` gives the monitor the same sums at national scale from one join
of the firm-year table with one row per firm (its region and its clusters as a bit set,
:func:`clusteratlas.firm_cluster.cluster_sets`), aggregated per cluster set × region × year
before the sets are expanded to clusters: one hash table of firms instead of two, and rows per
group instead of per firm-year × cluster.

Everything is one lazy Ibis expression (DuckDB workspace or PySpark); nothing is computed until
the caller executes it. :func:`cluster_monitor` runs the monitor with the plan's levels and the
region's GDP and adds each cluster's projected year of crossing the plan's top level.

Units: revenue and value added in yuan, employees in persons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.common.exceptions import TableNotFound

from clusteratlas.analysis._tabular import Tabular, require_columns, to_ibis, to_pandas
from clusteratlas.analysis.shares import gdp_by_year
from clusteratlas.analysis.statistics import Basis
from clusteratlas.classify import classify_firms
from clusteratlas.errors import AnalysisError, InputError, WorkspaceError
from clusteratlas.firm_cluster import CLUSTER_SET, bits_table, cluster_sets_of
from clusteratlas.geo import region_prefix, within
from clusteratlas.model.plan import Plan

Geography = Literal["plan", "firm"]

MEASURES: tuple[str, ...] = ("revenue", "value_added", "employees")

PANEL_COLUMNS = ["firm_id", "year", "region", "industry", "cluster", *MEASURES]

#: the panel column ``build_panel(…, once=True)`` adds: true on exactly one row per firm-year
ONCE = "firm_year_once"
#: the grouped panel's column: how many firm-years a row stands for (``monitor(firm_count=…)``)
FIRM_YEARS = "firm_years"


def _reported_region(region: ir.StringValue, plan: Plan, geography: Geography) -> ir.StringValue:
    """The region a firm is reported under (``geography``, see :func:`build_panel`)."""
    if geography == "firm":
        return region
    if geography != "plan":
        raise AnalysisError(f"panel: geography must be 'plan' or 'firm', got {geography!r}")
    # other firms stay as the reference economy of the LQ, rolled up to the plan region's level
    keep_digits = 2 if plan.region.endswith("0000") else 4 if plan.region.endswith("00") else 6
    rolled = region.substr(0, keep_digits).concat(ibis.literal("0" * (6 - keep_digits)))
    return within(region, plan.region).ifelse(ibis.literal(plan.region), rolled)


def _firm_year_measures(
    fy: ir.Table, measures: Sequence[str], years: Sequence[int] | None
) -> ir.Table:
    """``firm_id, year, <measures>`` (float64; a missing measure NULL), ``years`` kept."""
    values = {
        m: (fy[m].cast("float64") if m in fy.columns else ibis.null("float64")) for m in measures
    }
    fy = fy.select(firm_id=fy.firm_id, year=fy.year.cast("int64"), **values)
    if years is not None:
        fy = fy.filter(fy.year.isin([int(y) for y in years]))
    return fy


def build_panel(
    firms: Tabular,
    firm_years: Tabular,
    plan: Plan,
    *,
    measures: Sequence[str] = MEASURES,
    geography: Geography = "plan",
    years: Sequence[int] | None = None,
    region: str | None = None,
    clusters: Tabular | None = None,
    once: bool = False,
) -> ir.Table:
    """The monitor panel: ``firm_id, year, region, industry, cluster, <measures>`` (lazy Ibis).

    ``firms``: the ``firm`` table (``firm_id, region, industry`` and optionally ``name``,
    ``scope`` for keyword rules); ``firm_years``: the ``firm_year`` table (``firm_id, year`` and
    the measures; a missing measure becomes NULL). ``geography="plan"`` reports the firms
    inside the plan's region (by GB/T 2260 code prefix) under the plan region (e.g. 110000)
    and every other firm under its region rolled up to the plan region's level (e.g. its
    province), so location quotients compare the plan region with the whole registry;
    ``"firm"`` keeps every firm under its own region (e.g. its district).
    ``years`` and ``region`` (a code; with ``"firm"`` geography its sub-regions are included)
    filter the rows. ``clusters``: the firm × cluster rows (``firm_id, cluster``) of ``plan``
    for these firms, e.g. the stored table of :func:`clusteratlas.firm_cluster.cached_clusters`;
    None classifies the firms here (:func:`~clusteratlas.classify.classify_firms`).
    ``once=True`` adds the boolean column :data:`ONCE`, true on exactly one row of each
    firm-year (a multi-cluster firm's first cluster by id; the NULL-cluster row of an
    unclassified firm), so the monitor takes the LQ's region totals from the panel's own
    aggregation (``monitor(…, once=ONCE)``) instead of joining the firm-year table again.

    Parameters
    ----------
    firms : pandas.DataFrame or Ibis table
        Canonical ``firm`` rows.
    firm_years : pandas.DataFrame or Ibis table
        Canonical ``firm_year`` rows (revenue and value added in yuan, employees in persons).
    plan : Plan
        The plan whose clusters classify the firms.
    measures : sequence of str
        ``firm_year`` columns carried into the panel.
    geography : {"plan", "firm"}
        How firms' regions are reported (above).
    years : sequence of int or None
        Years kept; None = all.
    region : str or None
        GB/T 2260 code kept; None = all.
    clusters : pandas.DataFrame, Ibis table or None
        Stored firm × cluster rows (above); None = classify here.
    once : bool
        Add the :data:`ONCE` column (above).

    Returns
    -------
    Ibis table
        The unexecuted panel, one row per firm × year × cluster (measures in their units).
    """
    f, _ = to_ibis(firms)
    fy, _ = to_ibis(firm_years)
    require_columns(f, ["firm_id", "region", "industry"], "panel firms")
    require_columns(fy, ["firm_id", "year"], "panel firm_years")
    keep = [c for c in ("firm_id", "region", "industry", "name", "scope") if c in f.columns]
    f = f.select(keep)
    f = f.mutate(region=f.region.cast("string"), industry=f.industry.cast("string"))
    f = f.mutate(region=_reported_region(f.region, plan, geography))
    if region is not None:
        f = f.filter(within(f.region, region))
    fy = _firm_year_measures(fy, measures, years)

    if clusters is None:
        classified = classify_firms(f, plan)
    else:
        classified, _ = to_ibis(clusters)
    assert isinstance(classified, ir.Table)
    columns = ["firm_id", "year", "region", "industry", "cluster", *measures]
    if once:  # one row per firm: its first cluster by id
        first = (
            ibis.row_number().over(group_by=classified.firm_id, order_by=classified.cluster) == 0
        )
        classified = classified.select(_cfid="firm_id", cluster="cluster", _first=first)
        columns.append(ONCE)
    else:
        classified = classified.select(_cfid="firm_id", cluster="cluster")
    joined = fy.join(f.select("firm_id", "region", "industry"), "firm_id")
    panel = joined.left_join(classified, joined.firm_id == classified._cfid)
    if once:  # an unclassified firm's one row has no cluster: it is the firm-year's row
        panel = panel.mutate(**{ONCE: panel._first.fill_null(True)})
    return panel.select(*columns)


def build_grouped_panel(
    firm_years: Tabular,
    sets: Tabular,
    plan: Plan,
    *,
    measures: Sequence[str] = MEASURES,
    geography: Geography = "plan",
    years: Sequence[int] | None = None,
    region: str | None = None,
) -> ir.Table:
    """The monitor panel aggregated before the monitor (lazy Ibis): ``cluster, region, year,
    <measures>, firm_years, firm_year_once`` — per cluster × region × year the sums of
    :func:`build_panel`'s rows (yuan / persons) and their count (:data:`FIRM_YEARS`), so
    ``monitor(…, firm_count=FIRM_YEARS, once=ONCE)`` returns what it returns on
    ``build_panel(…, once=True)``.

    The firm-year table is joined once, with ``sets`` (one row per firm: ``firm_id, region,
    cluster_set``, :func:`clusteratlas.firm_cluster.cluster_sets`), and summed per cluster set ×
    region × year; each group then becomes one row per cluster of its set (the :data:`ONCE`
    row: its first cluster by id) or, for the empty set, one NULL-cluster row (unclassified
    firms count in the region totals only). Memory holds one hash table of firms and the
    groups, not the firm × cluster rows.

    Parameters
    ----------
    firm_years : pandas.DataFrame or Ibis table
        Canonical ``firm_year`` rows (revenue and value added in yuan, employees in persons).
    sets : pandas.DataFrame or Ibis table
        Per-firm cluster sets of ``plan`` (``firm_id, region, cluster_set``).
    plan : Plan
        The plan (at most :data:`clusteratlas.firm_cluster.MAX_SET_CLUSTERS` clusters).
    measures : sequence of str
        ``firm_year`` columns summed.
    geography : {"plan", "firm"}
        How firms' regions are reported (:func:`build_panel`).
    years : sequence of int or None
        Years kept; None = all.
    region : str or None
        GB/T 2260 code kept; None = all.

    Returns
    -------
    Ibis table
        The unexecuted grouped panel (sums in yuan / persons, ``firm_years`` a count).
    """
    fy, _ = to_ibis(firm_years)
    s, _ = to_ibis(sets)
    require_columns(fy, ["firm_id", "year"], "panel firm_years")
    require_columns(s, ["firm_id", "region", CLUSTER_SET], "panel cluster sets")
    fy = _firm_year_measures(fy, measures, years)
    joined = fy.join(s.select("firm_id", "region", CLUSTER_SET), "firm_id")
    groups = joined.group_by([CLUSTER_SET, "region", "year"]).aggregate(
        **{m: joined[m].sum() for m in measures}, **{FIRM_YEARS: joined.count()}
    )
    groups = groups.mutate(region=_reported_region(groups.region, plan, geography))
    if region is not None:
        groups = groups.filter(within(groups.region, region))
    bits = bits_table(plan)
    member = groups.join(bits, (groups[CLUSTER_SET] & bits.cluster_bit) != 0)
    columns = ["region", "year", *measures, FIRM_YEARS]
    clustered = member.select(
        cluster=member.cluster,
        **{c: member[c] for c in columns},
        **{ONCE: (member[CLUSTER_SET] & (member.cluster_bit - 1)) == 0},
    )
    unclassified = groups.filter(groups[CLUSTER_SET] == 0)
    unclassified = unclassified.select(
        cluster=ibis.null("string"),
        **{c: unclassified[c] for c in columns},
        **{ONCE: ibis.literal(True)},
    )
    return clustered.union(unclassified)


def panel_from_workspace(
    workspace: Any, plan: Plan, *, grouped: bool = False, **kwargs: Any
) -> ir.Table:
    """:func:`build_panel` on a workspace's ``firm`` and ``firm_year`` tables (lazy Ibis),
    with the stored firm × cluster table when it is current (or can be built here, see
    :func:`clusteratlas.firm_cluster.cached_clusters`) instead of classifying every firm.
    ``grouped=True``: :func:`build_grouped_panel` on the per-firm cluster sets
    (:func:`~clusteratlas.firm_cluster.cluster_sets_of`: stored, or computed in the query),
    what the monitor reads at national scale; a plan with too many clusters for a set gets
    ``build_panel(…, once=True)``.

    Parameters
    ----------
    workspace : Workspace or source
        An open workspace.
    plan : Plan
        The plan.
    grouped : bool
        Return the grouped panel (above).
    **kwargs
        Passed to :func:`build_panel` (with ``grouped``: ``measures, geography, years,
        region``).

    Returns
    -------
    Ibis table
        The unexecuted panel.
    """
    from clusteratlas.firm_cluster import cached_clusters

    try:
        firms = workspace.table("firm")
        firm_years = workspace.table("firm_year")
    except Exception as exc:  # the workspace raises its own errors; keep the message
        if isinstance(exc, WorkspaceError):
            raise
        raise WorkspaceError(f"workspace has no firm/firm_year tables: {exc}") from exc
    if grouped:
        sets = cluster_sets_of(workspace, plan)
        if sets is not None:
            return build_grouped_panel(firm_years, sets, plan, **kwargs)
        kwargs["once"] = True  # a plan with too many clusters for a set: the row panel
    if kwargs.get("clusters") is None:
        kwargs["clusters"] = cached_clusters(workspace, plan)
    return build_panel(firms, firm_years, plan, **kwargs)


def cluster_monitor(
    panel: Tabular,
    plan: Plan,
    *,
    gdp: pd.DataFrame | None = None,
    measures: Sequence[str] = MEASURES,
) -> pd.DataFrame:
    """Run the cluster monitor on ``panel`` with the plan's levels (pandas result).

    One row per cluster × region × year: ``<measures>`` (yuan / persons), ``firms``, ``level``
    (plan level id or ``below``), ``share_gdp`` (value added / GDP, fraction; when ``gdp`` is
    given), ``<measure>_yoy`` growth (fraction) and ``lq``. A panel with the :data:`ONCE`
    column (``build_panel(…, once=True)``, :func:`build_grouped_panel`) gives the LQ's region
    totals from the same aggregation; otherwise they are summed over the panel's distinct
    firm-years. A grouped panel's ``firms`` are the sums of its :data:`FIRM_YEARS`.

    Parameters
    ----------
    panel : pandas.DataFrame or Ibis table
        The panel (:func:`build_panel`).
    plan : Plan
        The plan whose levels (yuan) are applied.
    gdp : pandas.DataFrame or None
        ``region, year, gdp`` (yuan).
    measures : sequence of str
        Measures summed.

    Returns
    -------
    pandas.DataFrame
        The monitor table described above.
    """
    from clusteratlas.analysis.clusters import monitor

    measures = list(measures)
    table, _ = to_ibis(panel)
    gdp_arg = None
    if gdp is not None and len(gdp) and "value_added" in measures:
        gdp_arg = ibis.memtable(gdp)
    result = monitor(
        table,
        levels=plan.levels,
        gdp=gdp_arg,
        once=ONCE if ONCE in table.columns else None,
        firm_count=FIRM_YEARS if FIRM_YEARS in table.columns else None,
        measures=measures,
        lq_measure="employees" if "employees" in measures else measures[0],
        level_measure=plan.measure if plan.measure in measures else measures[0],
    )
    frame = to_pandas(result)
    if "share_gdp" not in frame.columns:
        frame["share_gdp"] = float("nan")
    return frame


def with_crossings(
    monitor_frame: pd.DataFrame,
    plan: Plan,
    *,
    observations: Tabular | None = None,
    synthetic: bool = True,
    n_sim: int = 2000,
    seed: int = 0,
    region: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add the projected year each cluster crosses the plan's top level (1万亿元).

    Crossing years (:func:`~clusteratlas.analysis.crossings.cluster_crossings`: observed
    crossings, the plan's ``reached`` facts, never a parent after its child) come from the
    cluster's real observed series where the plan maps one (``Cluster.observed``) and
    ``observations`` has it, else from the monitor's own sizes at the plan region (or
    ``region``: the one region the rows report). Returns ``(monitor rows with
    crossing_year/_p10/_p90, crossing_before, crossing_p_within (share of paths crossing
    within 30 years) and basis, crossings table)``.

    Parameters
    ----------
    monitor_frame : pandas.DataFrame
        The monitor table (revenue in yuan).
    plan : Plan
        The plan (top level threshold in yuan).
    observations : pandas.DataFrame, Ibis table or None
        Canonical ``observation`` rows holding the clusters' observed series.
    synthetic : bool
        Whether the monitor's data are synthetic.
    n_sim : int
        Simulated paths of the projection.
    seed : int
        Random seed.
    region : str or None
        The one region the rows report; None = the plan region.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        The monitor rows with the crossing columns, and the crossings table.
    """
    from clusteratlas.analysis.crossings import cluster_crossings, cluster_series

    series = cluster_series(
        plan,
        monitor=monitor_frame,
        observations=observations,
        synthetic_monitor=synthetic,
        region=region,
    )
    at_plan = region is None or region == plan.region  # the plan's facts describe its region
    crossings = cluster_crossings(plan, series, n_sim=n_sim, seed=seed, facts=at_plan)
    basis = series.drop_duplicates("cluster").set_index("cluster")["basis"]
    crossings["basis"] = crossings["cluster"].map(basis)
    columns = ["cluster", "crossing_year", "crossing_p10", "crossing_p90", "crossing_before"]
    keep = crossings[[*columns, "basis"]].assign(crossing_p_within=crossings["p_within"])
    merged = monitor_frame.merge(keep, on="cluster", how="left")
    return merged, crossings


# --------------------------------------------------------------------------- workspace glue


def datasets_synthetic(workspace: Any, table: str) -> tuple[list[str], bool]:
    """The dataset ids in ``table`` and whether any of them is marked synthetic.

    Parameters
    ----------
    workspace : Workspace or source
        An open workspace.
    table : str
        A canonical table name.

    Returns
    -------
    tuple of (list of str, bool)
        Dataset ids and whether any is synthetic.
    """
    used = workspace.table(table).select("dataset").distinct().to_pandas()["dataset"]
    names = sorted(str(v) for v in used.dropna())
    info = workspace.datasets()
    flagged = info[info["name"].astype(str).isin(names)]
    synthetic = bool(flagged["synthetic"].astype(bool).any()) if len(flagged) else False
    return names, synthetic


def workspace_monitor(
    workspace: Any,
    plan: Plan,
    *,
    geography: Geography = "plan",
    years: Sequence[int] | None = None,
    region: str | None = None,
    crossings: bool = True,
    n_sim: int = 2000,
    seed: int = 0,
    basis: Basis | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The cluster monitor on a workspace: ``(table, provenance)``.

    ``basis``: ``"registry"`` (the firm registry: ``firm`` × ``firm_year``), ``"statistics"``
    (industry-coded ``observation`` rows, see :mod:`clusteratlas.analysis.statistics`) or
    ``None`` — the one that covers the plan region, the registry first
    (:func:`~clusteratlas.analysis.statistics.choose_basis`).

    The table is :func:`cluster_monitor`'s output (GDP from the workspace's ``gdp``
    observations) plus ``crossing_year/_p10/_p90`` and ``basis`` (the crossing's series, see
    :func:`with_crossings`), ``synthetic`` (True when the data come from a synthetic dataset),
    ``partial`` (True on the registry basis unless every firm dataset declares complete
    coverage, see :func:`firm_data_complete`),
    ``data_basis`` (``registry``/``statistics``) and ``status`` (``measured`` or ``not
    measurable from statistics``) and ``share_gdp_published`` (the published share of GDP of
    clusters that map one, :mod:`clusteratlas.analysis.shares`). Provenance: ``plan``,
    ``basis``, ``datasets``, ``synthetic``, ``engine``. ``region`` filters the output rows
    (registry: after the monitor, so location quotients compare with every region of the
    panel; with ``geography="firm"`` it keeps the region and its parts); on the statistics
    basis with ``geography="plan"`` it picks the one region reported. Raises
    :class:`WorkspaceError` when the workspace holds no data of the basis, naming what to
    import.

    Parameters
    ----------
    workspace : Workspace or source
        An open workspace.
    plan : Plan
        The plan.
    geography : {"plan", "firm"}
        How firms' regions are reported (:func:`build_panel`).
    years : sequence of int or None
        Years kept; None = all.
    region : str or None
        GB/T 2260 code of the rows kept; None = all.
    crossings : bool
        Add the projected crossing of the top level.
    n_sim : int
        Simulated paths of the projection.
    seed : int
        Random seed.
    basis : {"registry", "statistics"} or None
        The data basis; None = chosen.

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        The monitor table (sums in yuan / persons, shares and growth 0–1) and its provenance.
    """
    from clusteratlas.analysis.shares import published_shares
    from clusteratlas.analysis.statistics import (
        STATUS_MEASURED,
        choose_basis,
        statistics_monitor,
        statistics_panel,
    )

    chosen = choose_basis(
        workspace, plan, basis, region if geography == "plan" and basis != "registry" else None
    )
    observations = workspace.table("observation").to_pandas()
    if chosen == "statistics":
        sets, synthetic = datasets_synthetic(workspace, "observation")
        panel = statistics_panel(
            workspace.table("observation"), plan, geography=geography, region=region, years=years
        )
        frame = statistics_monitor(panel, plan, gdp=gdp_by_year(observations))
        if region is not None and geography == "firm":
            frame = frame[frame["region"].astype(str).str.startswith(region_prefix(region))]
    else:
        fy_sets, fy_synth = datasets_synthetic(workspace, "firm_year")
        firm_sets, firm_synth = datasets_synthetic(workspace, "firm")
        synthetic = fy_synth or firm_synth
        sets = [*fy_sets, *firm_sets]
        if region is not None and geography == "plan" and region != plan.region:
            raise InputError(
                f"--region {region}: with geography 'plan' every row is the plan region "
                f"{plan.region}; use geography 'firm' to see the firms' own regions"
            )
        panel = panel_from_workspace(
            workspace, plan, geography=geography, years=years, grouped=True
        )
        frame = cluster_monitor(panel, plan, gdp=gdp_by_year(observations))
        if geography == "plan":  # the other regions were the LQ's reference only
            frame = frame[frame["region"].astype(str) == plan.region]
        if region is not None:  # filter after the monitor, so LQs compare with all regions
            frame = frame[frame["region"].astype(str).str.startswith(region_prefix(region))]
        frame = frame.assign(status=STATUS_MEASURED)
    frame = frame.reset_index(drop=True)
    frame["synthetic"] = synthetic
    frame["data_basis"] = chosen
    report_region = region if chosen == "statistics" and region else plan.region
    frame["share_gdp_published"] = published_shares(frame, observations, plan, plan.region)
    frame["partial"] = chosen == "registry" and not firm_data_complete(workspace)
    if crossings and geography == "plan":
        frame, _ = with_crossings(
            frame,
            plan,
            observations=observations if report_region == plan.region else None,
            synthetic=synthetic,
            n_sim=n_sim,
            seed=seed,
            region=report_region,
        )
    provenance = {
        "plan": plan.id,
        "basis": chosen,
        "datasets": sorted(
            {
                *sets,
                *(str(v) for v in observations.get("dataset", pd.Series()).dropna()),
            }
        ),
        "synthetic": synthetic,
        "engine": getattr(workspace, "label", "duckdb (ibis)"),
    }
    return frame, provenance


def workspace_targets(
    workspace: Any,
    plan: Plan,
    *,
    as_of: int | None = None,
    n_sim: int = 2000,
    seed: int = 0,
    monitor_frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`clusteratlas.analysis.targets.track` on a workspace's actuals.

    Actuals: the ``observation`` table (real facts, with sources) plus, when the workspace has
    firm data or industry statistics, the monitor at the plan region on the basis that covers
    it (``cluster_size``/``cluster_count`` actuals, source ``cluster monitor (<basis>)``,
    flagged synthetic when the data are) and the ``firm_tag`` counts.

    Parameters
    ----------
    workspace : Workspace or source
        An open workspace.
    plan : Plan
        The plan whose targets are tracked.
    as_of : int or None
        Last year of actuals used; None = all.
    n_sim : int
        Simulated paths of the projection.
    seed : int
        Random seed.
    monitor_frame : pandas.DataFrame or None
        A monitor table already computed (saves recomputing it).

    Returns
    -------
    pandas.DataFrame
        The tracker's table: one row per target (values in the target's unit: yuan, count,
        share 0–1; probabilities 0–1).
    """
    from clusteratlas.analysis.actuals import assemble_actuals, observation_actuals
    from clusteratlas.analysis.targets import track

    observations = workspace.table("observation").to_pandas()
    synthetic = True
    if monitor_frame is None:
        try:
            monitor_frame, _ = workspace_monitor(workspace, plan, crossings=False)
        except WorkspaceError:
            monitor_frame = None
    if monitor_frame is not None and "synthetic" in monitor_frame.columns:
        synthetic = bool(monitor_frame["synthetic"].astype(bool).any())
    basis = (
        str(monitor_frame["data_basis"].iloc[0])
        if monitor_frame is not None and "data_basis" in monitor_frame and len(monitor_frame)
        else "registry"
    )
    tags = None
    try:
        tag_table = workspace.table("firm_tag")
    except (WorkspaceError, TableNotFound):  # a workspace without the tag table: no tag actuals
        tag_table = None
    # reading an existing table is not guarded: an engine error surfaces with its cause
    # instead of showing as "no data"
    if tag_table is not None and int(tag_table.count().to_pyarrow().as_py()) > 0:
        tags = tag_table.select("firm_id", "year", "tag").to_pandas()
    # statistics are official aggregates of the region; firm sums count only when complete
    complete = basis == "statistics" or firm_data_complete(workspace)
    actuals = assemble_actuals(
        plan,
        observations=observations,
        monitor=monitor_frame if complete else None,
        tags=tags if complete else None,
        synthetic_monitor=synthetic,
        monitor_source=f"cluster monitor ({basis})",
    )
    result = track(plan, actuals, as_of=as_of, n_sim=n_sim, seed=seed)
    if not complete and monitor_frame is not None:  # registry basis, partial firm data
        official = observation_actuals(observations, plan.region)
        result = with_data_coverage(result, plan, monitor_frame, synthetic, official=official)
    return result


def firm_data_complete(workspace: Any) -> bool:
    """True when every dataset in ``firm`` and ``firm_year`` declares ``coverage =
    'complete'`` (issue 12): only then do firm sums stand for the plan region. Partial
    data (the default) never becomes a city-wide plan actual.

    Parameters
    ----------
    workspace : Workspace or source
        An open workspace.

    Returns
    -------
    bool
        Whether the firm data declare complete coverage.
    """
    names = {
        *datasets_synthetic(workspace, "firm")[0],
        *datasets_synthetic(workspace, "firm_year")[0],
    }
    info = workspace.datasets()
    if "coverage" not in info.columns or not names:
        return False
    used = info[info["name"].astype(str).isin(names)]
    return bool(len(used)) and bool((used["coverage"] == "complete").all())


def with_data_coverage(
    tracked: pd.DataFrame,
    plan: Plan,
    monitor_frame: pd.DataFrame,
    synthetic: bool,
    official: pd.DataFrame,
) -> pd.DataFrame:
    """Add ``data_coverage`` and ``data_coverage_year``: the firm data's sum as a fraction of
    the official actual (``official``: :func:`~clusteratlas.analysis.actuals.observation_actuals`
    rows) of the same indicator in the latest year both exist ("your data covers X % of the
    facts"); NaN where they share no year. An official series a cluster maps as its
    ``observed`` measure (医药健康 → ``medicine_health_industry_scale``) is compared with that
    cluster's firm sum.

    Parameters
    ----------
    tracked : pandas.DataFrame
        The tracker's table.
    plan : Plan
        The plan.
    monitor_frame : pandas.DataFrame
        The monitor table (yuan).
    synthetic : bool
        Whether the firm data are synthetic.
    official : pandas.DataFrame
        Official actuals (values in the indicator's unit).

    Returns
    -------
    pandas.DataFrame
        ``tracked`` with ``data_coverage`` (share 0–1) and ``data_coverage_year``.
    """
    from clusteratlas.analysis.actuals import actual_key, monitor_actuals
    from clusteratlas.i18n import t as label

    firm = monitor_actuals(monitor_frame, plan, synthetic=synthetic)
    sums = {
        (str(i), int(y)): float(v)
        for i, y, v in zip(firm["indicator"], firm["year"], firm["value"], strict=True)
    }
    facts = {
        (str(i), int(y)): float(v)
        for i, y, v in zip(official["indicator"], official["year"], official["value"], strict=True)
        if pd.notna(v) and float(v)
    }
    observed = {
        indicator: f"cluster_size:{c.id}:{measure}"
        for c in plan.clusters
        for measure, indicator in c.observed.items()
    }
    out = tracked.copy()
    coverage, years = [], []
    for target_id in out["target_id"].astype(str):
        target = next((t for t in plan.targets if t.id == target_id), None)
        fact_key = actual_key(target.actual) if target is not None else ""
        firm_key = observed.get(fact_key, fact_key)
        common = [y for (k, y) in facts if k == fact_key and (firm_key, y) in sums]
        year = max(common) if common else None
        years.append(year)
        coverage.append(
            float("nan") if year is None else sums[(firm_key, year)] / facts[(fact_key, year)]
        )
    out["data_coverage"] = pd.Series(coverage, index=out.index, dtype=float)
    out["data_coverage_year"] = pd.array(years, dtype="Int64")
    said = out["data_coverage"].notna()
    if not said.any():
        return out
    template = label("targets.data_coverage", "en")
    sentence = out.loc[said, "data_coverage"].map(lambda x: template.format(pct=f"{100 * x:.1f}"))
    before = out.loc[said, "note"].fillna("").astype(str)
    out.loc[said, "note"] = (before + "; " + sentence).str.lstrip("; ")
    return out
