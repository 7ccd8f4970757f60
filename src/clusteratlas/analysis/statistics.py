"""The statistics basis: the cluster monitor's panel built from official statistical tables.

A bureau's most common data are 统计年鉴-style tables — region × GB/T 4754 industry × year
figures (``observation`` rows with an industry code) — not a firm registry. This module turns
them into the *same* panel :func:`clusteratlas.analysis.clusters.monitor` consumes, so the
monitor, the crossing years and the targets' cluster actuals run unchanged on either basis:

* **Pseudo-firms.** Each region × industry cell is one panel "unit" (``firm_id`` =
  ``stat:<region>:<industry>``), classified by the plan's **code rules** exactly as a firm with
  that industry code would be (:func:`clusteratlas.classify.classify_firms`; there is no name or
  business scope, so keyword rules never fire). A cluster's size is therefore the sum of the
  cells whose code its rules include — 软件和信息服务业 = the 63/64/65 cells, 高精尖 = every cell
  in any cluster, counted once.
* **Measures.** Indicators ``revenue`` and ``value_added`` (yuan), ``employment``/``employees``
  (persons) and ``firms``/``establishments`` (a count) become the panel's ``revenue``,
  ``value_added``, ``employees`` and ``establishments`` columns (the importer has already
  converted 亿元/万元/万人 to canonical units). The monitor's ``firms`` column on this basis is the
  summed ``establishments`` (NULL when no such indicator was imported), never the number of cells.
* **Nested codes.** A table may list a division (65) and its classes (6511, 6513 …) together;
  adding both would double count. Within one region × year × indicator a code is dropped when a
  longer code under it is present (the finest level wins).
* **Geography.** ``geography="plan"`` reports one region: ``region`` if given, else the plan's.
  Its rows are the observations *at* that region; where a year × indicator has none there, the
  rows of the regions inside it are summed (e.g. districts → Beijing). ``"firm"`` keeps every
  region as imported.
* **Not measurable.** A cluster defined only by keyword rules (e.g. 人工智能, 双碳技术) cannot be
  sized from code-level statistics: :func:`unmeasurable` lists them and the monitor reports them
  with ``status = 'not measurable from statistics'`` instead of a zero.

Units: revenue and value added in yuan, employees in persons, establishments a count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from clusteratlas.analysis._tabular import Tabular, require_columns, to_ibis
from clusteratlas.classify import classify_firms
from clusteratlas.errors import AnalysisError, WorkspaceError
from clusteratlas.geo import within
from clusteratlas.model.plan import Plan

Basis = Literal["registry", "statistics"]

#: observation indicator → panel measure
INDICATOR_MEASURES: dict[str, str] = {
    "revenue": "revenue",
    "value_added": "value_added",
    "employment": "employees",
    "employees": "employees",
    "firms": "establishments",
    "establishments": "establishments",
}

#: the panel's measures on the statistics basis (``establishments`` becomes ``firms``)
STAT_MEASURES: tuple[str, ...] = ("revenue", "value_added", "employees", "establishments")

STATUS_MEASURED = "measured"
STATUS_UNMEASURABLE = "not measurable from statistics"


def unmeasurable(plan: Plan) -> list[str]:
    """Clusters of ``plan`` that code-level statistics cannot size: no code rule of their own
    and (for aggregates) no included cluster that has one.

    Parameters
    ----------
    plan : Plan
        The plan.

    Returns
    -------
    list of str
        Cluster ids, in plan order.
    """
    coded = {c.id for c in plan.clusters if not c.includes and c.codes}
    out = []
    for cluster in plan.clusters:
        if cluster.includes:
            included = (
                [c.id for c in plan.clusters if not c.includes]
                if "*" in cluster.includes
                else cluster.includes
            )
            if not coded & set(included):
                out.append(cluster.id)
        elif not cluster.codes:
            out.append(cluster.id)
    return out


def _stat_rows(observations: ir.Table) -> ir.Table:
    """Observation rows usable for the monitor: a known measure indicator, an industry code."""
    require_columns(
        observations, ["region", "industry", "year", "indicator", "value"], "observations"
    )
    rows = observations.filter(
        observations.indicator.isin(list(INDICATOR_MEASURES))
        & observations.industry.notnull()
        & observations.industry.cast("string").re_search("^[0-9]{2,4}$")
        & observations.value.notnull()
    )
    measure = rows.indicator.cases(*INDICATOR_MEASURES.items(), else_=None)
    return rows.select(
        region=rows.region.cast("string"),
        industry=rows.industry.cast("string"),
        year=rows.year.cast("int64"),
        measure=measure,
        value=rows.value.cast("float64"),
    )


def _finest(rows: ir.Table) -> ir.Table:
    """Drop a code when a longer code under it is present for the same region × year ×
    measure (a division beside its classes would otherwise be counted twice). Equi-joins
    only: each code's proper prefixes (2 and 3 digits) are the codes it sits under."""
    keys = ["region", "year", "measure"]
    covered = [
        rows.filter(rows.industry.length() > n).select(*keys, industry=rows.industry.substr(0, n))
        for n in (2, 3)
    ]
    return rows.anti_join(covered[0].union(covered[1]).distinct(), [*keys, "industry"])


def _at_region(rows: ir.Table, code: str) -> ir.Table:
    """Rows reported under ``code``: those at ``code`` itself, plus — for a year × measure with
    no row at ``code`` — the rows of the regions inside it."""
    inside = rows.filter(within(rows.region, code))
    exact = inside.filter(inside.region == code)
    have = exact.select("year", "measure").distinct()
    parts = inside.filter(inside.region != code).anti_join(have, ["year", "measure"])
    both = exact.union(parts)
    return both.mutate(region=ibis.literal(code))


def _cells(rows: ir.Table) -> ir.Table:
    """One row per region × industry × year with the measures side by side and the cell's
    pseudo-firm id ``stat:<region>:<industry>``."""
    values = {m: rows.value.sum(where=rows.measure == m) for m in STAT_MEASURES}
    cells = rows.group_by(["region", "industry", "year"]).aggregate(**values)
    return cells.mutate(firm_id="stat:" + cells.region + ":" + cells.industry)


def _finest_regions(rows: ir.Table) -> ir.Table:
    """Drop a region's row when a region inside it has a row for the same industry × year ×
    measure (a province beside its districts would otherwise be counted twice). Equi-joins
    only: a county ``XXYYZZ`` sits in ``XXYY00`` and ``XX0000``, a prefecture in ``XX0000``."""
    keys = ["industry", "year", "measure"]
    code = rows.region
    six = code.re_search("^[0-9]{6}$")
    prefecture = rows.filter(six & ~code.endswith("00")).select(
        *keys, region=code.substr(0, 4) + "00"
    )
    province = rows.filter(six & ~code.endswith("0000")).select(
        *keys, region=code.substr(0, 2) + "0000"
    )
    covered = prefecture.union(province).distinct()
    return rows.anti_join(covered, [*keys, "region"])


def statistics_registry(observations: Tabular) -> tuple[ir.Table, ir.Table]:
    """``(firms, firm_years)`` stand-ins built from statistics for analyses that read a
    registry (e.g. :func:`clusteratlas.analysis.regions.capacity`): one pseudo-firm per
    region × industry cell (``firm_id, region, industry``) and its yearly ``revenue,
    value_added, employees`` (yuan / persons). The finest industry codes and the finest
    regions of the table are used, so nothing is counted twice.

    Parameters
    ----------
    observations : pandas.DataFrame or Ibis table
        Canonical ``observation`` rows (money in yuan, people in persons).

    Returns
    -------
    tuple of (Ibis table, Ibis table)
        ``(firms, firm_years)``, unexecuted.
    """
    table, _ = to_ibis(observations)
    cells = _cells(_finest_regions(_finest(_stat_rows(table))))
    firms = cells.select("firm_id", "region", "industry").distinct()
    firm_years = cells.select("firm_id", "year", "revenue", "value_added", "employees")
    return firms, firm_years


def statistics_panel(
    observations: Tabular,
    plan: Plan,
    *,
    geography: Literal["plan", "firm"] = "plan",
    region: str | None = None,
    years: Sequence[int] | None = None,
) -> ir.Table:
    """The monitor panel from statistics (lazy Ibis): ``firm_id, year, region, industry,
    cluster, revenue, value_added, employees, establishments`` — see the module docstring.

    Parameters
    ----------
    observations : pandas.DataFrame or Ibis table
        Canonical ``observation`` rows (money in yuan, people in persons).
    plan : Plan
        The plan whose clusters classify the industry codes.
    geography : {"plan", "firm"}
        ``plan``: one region, the observations at it (or summed from the regions inside it);
        ``firm``: every region as imported.
    region : str or None
        GB/T 2260 code: the region reported (``plan``; default the plan's) or the one kept
        with the regions inside it (``firm``; default all).
    years : sequence of int or None
        Years kept; None = all.

    Returns
    -------
    Ibis table
        The unexecuted panel (revenue and value added in yuan, employees in persons,
        establishments a count).
    """
    table, _ = to_ibis(observations)
    rows = _finest(_stat_rows(table))
    if geography == "plan":
        rows = _at_region(rows, region or plan.region)
    elif geography == "firm":
        if region is not None:
            rows = rows.filter(within(rows.region, region))
    else:
        raise AnalysisError(f"panel: geography must be 'plan' or 'firm', got {geography!r}")
    if years is not None:
        rows = rows.filter(rows.year.isin([int(y) for y in years]))
    cells = _cells(rows)
    units = cells.select("firm_id", "industry").distinct()
    classified = classify_firms(units, plan)
    assert isinstance(classified, ir.Table)
    classified = classified.select(_cfid="firm_id", cluster="cluster")
    panel = cells.left_join(classified, cells.firm_id == classified._cfid)
    return panel.select("firm_id", "year", "region", "industry", "cluster", *STAT_MEASURES)


def statistics_monitor(
    panel: Tabular, plan: Plan, *, gdp: pd.DataFrame | None = None
) -> pd.DataFrame:
    """:func:`clusteratlas.analysis.panel.cluster_monitor` on a statistics panel.

    ``firms``/``firms_yoy`` are the summed ``establishments`` indicator (NULL without one);
    every cluster of the plan appears for each region × year, keyword-only clusters with
    NULL sizes and ``status = 'not measurable from statistics'`` (others ``'measured'``).

    Parameters
    ----------
    panel : pandas.DataFrame or Ibis table
        The output of :func:`statistics_panel`.
    plan : Plan
        The plan.
    gdp : pandas.DataFrame or None
        ``region, year, gdp`` (yuan) for ``share_gdp``.

    Returns
    -------
    pandas.DataFrame
        The monitor table (sums in yuan / persons, shares and growth 0–1) plus ``status``.
    """
    from clusteratlas.analysis.panel import cluster_monitor

    frame = cluster_monitor(panel, plan, gdp=gdp, measures=STAT_MEASURES)
    frame = frame.drop(columns=["firms", "firms_yoy"]).rename(
        columns={"establishments": "firms", "establishments_yoy": "firms_yoy"}
    )
    frame["firms"] = frame["firms"].round().astype("Int64")
    frame["status"] = STATUS_MEASURED
    blank = unmeasurable(plan)
    keys = frame[["region", "year"]].drop_duplicates()
    if blank and len(keys):
        missing = keys.merge(pd.DataFrame({"cluster": blank}), how="cross")
        missing["status"] = STATUS_UNMEASURABLE
        frame = pd.concat([frame, missing], ignore_index=True)
    order = {c.id: i for i, c in enumerate(plan.clusters)}
    frame = frame.assign(_o=frame["cluster"].map(order)).sort_values(["_o", "region", "year"])
    return frame.drop(columns="_o").reset_index(drop=True)


# --------------------------------------------------------------------------- choosing a basis


def _count(table: ir.Table) -> int:
    return int(table.count().to_pyarrow().as_py())


def covers(workspace: Any, plan: Plan, basis: Basis, region: str | None = None) -> bool:
    """Whether the workspace has data of ``basis`` inside ``region`` (default: the plan's):
    firm-years of firms located there (registry) or industry-coded statistics (statistics).

    Parameters
    ----------
    workspace : Workspace or source
        An open workspace.
    plan : Plan
        The plan (its region is the default).
    basis : {"registry", "statistics"}
        The data basis asked about.
    region : str or None
        GB/T 2260 code; None = the plan's region.

    Returns
    -------
    bool
        Whether data of ``basis`` exists there.
    """
    code = region or plan.region
    if basis == "registry":
        fy = workspace.table("firm_year")
        if _count(fy) == 0:
            return False
        firms = workspace.table("firm")
        return _count(firms.filter(within(firms.region, code))) > 0
    rows = _stat_rows(workspace.table("observation"))
    return _count(rows.filter(within(rows.region, code))) > 0


def choose_basis(
    workspace: Any, plan: Plan, basis: Basis | None = None, region: str | None = None
) -> Basis:
    """``basis`` if given (checked), else the one that covers the plan region: the registry
    when it does, else statistics. Raises :class:`WorkspaceError` saying what to import.

    Parameters
    ----------
    workspace : Workspace or source
        An open workspace.
    plan : Plan
        The plan.
    basis : {"registry", "statistics"} or None
        The basis asked for; None = chosen.
    region : str or None
        GB/T 2260 code; None = the plan's region.

    Returns
    -------
    {"registry", "statistics"}
        The basis to use.
    """
    if basis not in (None, "registry", "statistics"):
        raise AnalysisError(f"basis must be 'registry' or 'statistics', got {basis!r}")
    code = region or plan.region
    if basis is not None:
        if not covers(workspace, plan, basis, code):
            raise WorkspaceError(_missing(workspace, basis, code))
        return basis
    candidates: tuple[Basis, ...] = ("registry", "statistics")
    for candidate in candidates:
        if covers(workspace, plan, candidate, code):
            return candidate
    raise WorkspaceError(
        f"workspace {workspace.path} has neither firm-year rows nor industry statistics for "
        f"region {code}: import a firm registry (clusteratlas import firms FILE; "
        "clusteratlas import firm-years FILE) or statistical tables with an industry code "
        "(clusteratlas import observations FILE: region, industry, year, indicator revenue/"
        "value_added/employment/firms, value, unit), or run `clusteratlas demo`"
    )


def _missing(workspace: Any, basis: Basis, code: str) -> str:
    if basis == "registry":
        return (
            f"workspace {workspace.path} has no firm-year rows for region {code}: import firms "
            "and firm-years first (clusteratlas import firms FILE; clusteratlas import "
            "firm-years FILE) or use --basis statistics"
        )
    return (
        f"workspace {workspace.path} has no industry statistics for region {code}: import "
        "them (clusteratlas import observations FILE with region, industry, year, indicator "
        "revenue/value_added/employment/firms, value, unit) or use --basis registry"
    )
