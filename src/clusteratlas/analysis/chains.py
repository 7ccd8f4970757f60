"""Industrial chains (强链补链): node membership, node metrics and status, chain coverage,
chain leaders (链主) and attraction candidates for weak or missing links.

Rules (documented defaults, all parameters):

* **Membership** — :func:`assign` applies each chain node's code and keyword rules with the
  precedence of :mod:`clusteratlas.classify`; a firm may sit in several nodes.
* **Node status** in a region and year (:class:`NodeRules`): ``missing`` — no active firm of
  the node in the region; ``strong`` — revenue location quotient LQ ≥ ``strong_lq`` (1.25) and
  at least ``min_firms_strong`` (3) firms; ``weak`` — LQ < ``weak_lq`` (0.75) (or LQ undefined:
  the region has no revenue); ``present`` — everything else (:func:`node_status`,
  ``docs/chains.md``). LQ = (node revenue in region / all revenue in region) ÷ (node revenue in the
  data / all revenue in the data): the registry is the reference economy.
* **Coverage** of a chain: mean over its nodes of status weights strong 1, present 0.75,
  weak 0.25, missing 0 (0–1).
* **Chain leader (链主)**: a firm in the region with revenue ≥ ``min_revenue`` (10亿元) and at
  least ``min_node_share`` (10 %) of its node's regional revenue; leaders are ranked by a
  score = 0.4·size rank + 0.3·node share + 0.15·chain reach (share of the chain's nodes the
  firm is in or trades with) + 0.15·innovation rank (invention patents and R&D intensity).
* **Attraction candidates** for a node: firms of the node outside the region, scored by
  ``weights`` over percentile ranks of size, growth and R&D intensity, a tier score from
  certified tags (unicorn/single champion/little giant 1, 专精特新 0.6, innovative SME 0.3)
  and proximity exp(−distance / 500 km) to the region; every component is in the output.

Money in yuan; growth and shares as fractions. Heavy work is Ibis (DuckDB or Spark); only
per-node results (tens of rows) are materialised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from clusteratlas.analysis._tabular import Tabular, finish, require_columns, to_ibis
from clusteratlas.classify import match_members
from clusteratlas.errors import AnalysisError
from clusteratlas.geo import haversine_km, within
from clusteratlas.model.plan import Chain, Plan

STATUS_WEIGHT = {"strong": 1.0, "present": 0.75, "weak": 0.25, "missing": 0.0}
TIER_SCORE = {
    "unicorn": 1.0,
    "single_champion": 1.0,
    "little_giant": 1.0,
    "zjtx": 0.6,
    "innovative_sme": 0.3,
}
DEFAULT_ATTRACT_WEIGHTS = {
    "size": 0.3,
    "growth": 0.2,
    "rd_intensity": 0.2,
    "tier": 0.2,
    "proximity": 0.1,
}


@dataclass(frozen=True)
class NodeRules:
    """Thresholds of node status (see module docstring)."""

    strong_lq: float = 1.25
    weak_lq: float = 0.75
    min_firms_strong: int = 3


@dataclass(frozen=True)
class LeaderRules:
    """Thresholds and weights of the chain-leader rule (revenue in yuan, shares 0–1)."""

    min_revenue: float = 1e9
    min_node_share: float = 0.10
    weights: dict[str, float] = field(
        default_factory=lambda: {"size": 0.4, "node_share": 0.3, "reach": 0.15, "innovation": 0.15}
    )


def node_status(firms: np.ndarray, lq: np.ndarray, rules: NodeRules = NodeRules()) -> np.ndarray:
    """The status of chain nodes from their regional firm counts and revenue LQs (see
    ``docs/chains.md``): ``missing`` (no firm), ``strong`` (LQ ≥ ``strong_lq`` and at least
    ``min_firms_strong`` firms), ``weak`` (LQ < ``weak_lq``, or LQ undefined), else
    ``present``; the first rule that applies wins.

    Parameters
    ----------
    firms : numpy.ndarray
        Firms per node in the region (count).
    lq : numpy.ndarray
        Revenue location quotient per node (dimensionless; NaN when undefined).
    rules : NodeRules
        The thresholds.

    Returns
    -------
    numpy.ndarray
        ``missing``, ``strong``, ``weak`` or ``present`` per node.

    Examples
    --------
    >>> node_status(np.array([0, 4, 1, 2]), np.array([np.nan, 1.5, 0.5, 1.0]))
    array(['missing', 'strong', 'weak', 'present'], dtype='<U7')
    """
    firms = np.asarray(firms)
    lq = np.asarray(lq, dtype="float64")
    return np.select(
        [
            firms == 0,
            (lq >= rules.strong_lq) & (firms >= rules.min_firms_strong),
            (lq < rules.weak_lq) | np.isnan(lq),
        ],
        ["missing", "strong", "weak"],
        default="present",
    )


def _chains(plan: Plan, chain: str | None) -> list[Chain]:
    if chain is None:
        if not plan.chains:
            raise AnalysisError(f"plan {plan.id} defines no chains")
        return list(plan.chains)
    return [plan.chain(chain)]


def node_table(plan: Plan, chain: str | None = None) -> pd.DataFrame:
    """The chain templates as rows: ``chain, node, stage, name_zh, name_en, position``.

    Parameters
    ----------
    plan : Plan
        The plan whose chain templates are listed.
    chain : str or None
        One chain id, or None for every chain.

    Returns
    -------
    pandas.DataFrame
        One row per chain node, in template order.
    """
    rows = [
        (ch.id, n.id, n.stage, n.name_zh, n.name_en, i)
        for ch in _chains(plan, chain)
        for i, n in enumerate(ch.nodes)
    ]
    return pd.DataFrame(rows, columns=["chain", "node", "stage", "name_zh", "name_en", "position"])


def assign(firms: Tabular, plan: Plan, *, chain: str | None = None, lazy: bool = False) -> Tabular:
    """Firm × chain node rows: ``firm_id, chain, node, stage, rule`` (the rule that matched).

    ``firms`` has the canonical ``firm`` columns (``firm_id``, ``industry``; ``name`` and
    ``scope`` enable keyword rules). Pandas or Ibis in; pandas out, or Ibis with ``lazy=True``.

    Parameters
    ----------
    firms : pandas.DataFrame or Ibis table
        Canonical ``firm`` rows.
    plan : Plan
        The plan whose chain node rules are applied.
    chain : str or None
        One chain id, or None for every chain.
    lazy : bool
        Return the unexecuted Ibis table instead of pandas (analysis contract).

    Returns
    -------
    pandas.DataFrame (Ibis table if ``lazy``)
        One row per firm × node matched.
    """
    table, _ = to_ibis(firms)
    members = [(f"{ch.id}/{n.id}", n) for ch in _chains(plan, chain) for n in ch.nodes]
    matched = match_members(table, members, member_column="member")
    assert isinstance(matched, ir.Table)
    nodes = node_table(plan, chain)
    lookup = ibis.memtable(
        nodes.assign(member=nodes["chain"] + "/" + nodes["node"])[
            ["member", "chain", "node", "stage"]
        ]
    )
    out = matched.join(lookup, "member").select("firm_id", "chain", "node", "stage", "rule")
    return finish(out, lazy=lazy)


def _latest_year(firm_years: ir.Table, year: int | None) -> int:
    if year is not None:
        return int(year)
    latest = firm_years.year.max().to_pandas()
    if latest is None or pd.isna(latest):
        raise AnalysisError("firm_year is empty: no year to analyse")
    return int(latest)


def _firm_year_frame(firm_years: ir.Table, year: int) -> ir.Table:
    """One row per firm active in ``year``: revenue, previous revenue, R&D and patents."""
    fy = firm_years.filter(firm_years.year.isin([year, year - 1]))
    cur = fy.year == year
    return (
        fy.group_by("firm_id")
        .aggregate(
            revenue=fy.revenue.sum(where=cur),
            revenue_prev=fy.revenue.sum(where=fy.year == year - 1),
            rd_spend=fy.rd_spend.sum(where=cur),
            invention_patents=fy.invention_patents.sum(where=cur),
            active=cur.any(),
        )
        .filter(lambda t: t.active)
        .drop("active")
    )


def chain_inputs(
    firms: Tabular, firm_years: Tabular, plan: Plan, chain: str | None, year: int | None
) -> tuple[ir.Table, ir.Table, ir.Table, int]:
    """The inputs every chain analysis reads, checked and cached once (lazy Ibis building block).

    Parameters
    ----------
    firms : pandas.DataFrame or Ibis table
        Canonical ``firm`` rows: ``firm_id, industry, region`` (+ ``name``, ``scope``).
    firm_years : pandas.DataFrame or Ibis table
        Canonical ``firm_year`` rows: ``firm_id, year, revenue`` (yuan); ``rd_spend`` (yuan)
        and ``invention_patents`` (count) are NULL when absent.
    plan : Plan
        The plan whose chains define the nodes.
    chain : str or None
        One chain id, or None for every chain of the plan.
    year : int or None
        The year to read; None = the latest year in ``firm_years``.

    Returns
    -------
    tuple of (Ibis table, Ibis table, Ibis table, int)
        ``(firms, active, members, year)``: the firm table; the firm-years of ``year`` joined
        with the firm's region (revenue in yuan), cached; :func:`assign` of the firms to the
        chain's nodes, cached; and the year used.
    """
    firm_t, _ = to_ibis(firms)
    fy_t, _ = to_ibis(firm_years)
    require_columns(firm_t, ["firm_id", "industry", "region"], "chains: firms")
    require_columns(fy_t, ["firm_id", "year", "revenue"], "chains: firm_years")
    for column in ("rd_spend", "invention_patents"):
        if column not in fy_t.columns:
            fy_t = fy_t.mutate(**{column: ibis.null("float64")})
    y = _latest_year(fy_t, year)
    active = _firm_year_frame(fy_t, y).join(firm_t.select("firm_id", "region"), "firm_id")
    members = assign(firm_t, plan, chain=chain, lazy=True)
    assert isinstance(members, ir.Table)
    # both materialised once: node metrics, totals, rankings and leaders all read them
    return firm_t, active.cache(), members.cache(), y


def nodes(
    firms: Tabular,
    firm_years: Tabular,
    plan: Plan,
    *,
    region: str,
    year: int | None = None,
    chain: str | None = None,
    rules: NodeRules = NodeRules(),
    supply_edges: Tabular | None = None,
    top: int = 5,
) -> pd.DataFrame:
    """Metrics and status of every chain node in ``region`` (GB/T 2260 code) and ``year``.

    Columns: ``chain, node, stage, name_zh, name_en, year, region, firms, revenue`` (yuan),
    ``revenue_prev, growth`` (fraction), ``national_firms, national_revenue`` (all regions in
    the data), ``share_of_national, lq, status, top_firms`` (up to ``top`` names, largest
    first) and, with ``supply_edges``, ``local_sourcing`` (share of the node's in-region
    customers' purchases bought from suppliers in the region).

    Parameters
    ----------
    firms : pandas.DataFrame or Ibis table
        Canonical ``firm`` rows (``firm_id, industry, region, name, scope``).
    firm_years : pandas.DataFrame or Ibis table
        Canonical ``firm_year`` rows (``firm_id, year, revenue`` in yuan).
    plan : Plan
        The plan whose chains are analysed.
    region : str
        GB/T 2260 region code (a prefecture or province includes its districts).
    year : int or None
        Year; None = the latest in ``firm_years``.
    chain : str or None
        One chain id, or None for every chain.
    rules : NodeRules
        Status thresholds (LQ, firm count).
    supply_edges : pandas.DataFrame, Ibis table or None
        ``supplier, customer, year, value`` (yuan) purchase edges; adds ``local_sourcing``.
    top : int
        Number of firm names in ``top_firms``.

    Returns
    -------
    pandas.DataFrame
        One row per chain node with the columns above.
    """
    firm_t, active, members, y = chain_inputs(firms, firm_years, plan, chain, year)
    rows = members.join(active, "firm_id")
    in_r = within(rows.region, region)
    # membership has one row per firm × node, so counting rows counts distinct firms
    metrics = rows.group_by(["chain", "node"]).aggregate(
        firms=in_r.sum(),
        revenue=rows.revenue.sum(where=in_r),
        revenue_prev=rows.revenue_prev.sum(where=in_r),
        national_firms=rows.count(),
        national_revenue=rows.revenue.sum(),
    )
    totals = active.aggregate(
        region_total=active.revenue.sum(where=within(active.region, region)),
        national_total=active.revenue.sum(),
    ).to_pandas()
    frame = metrics.to_pandas()

    local = rows.filter(in_r).select("chain", "node", "firm_id", "revenue")
    ranked = local.mutate(
        _rank=ibis.row_number().over(
            group_by=[local.chain, local.node], order_by=[ibis.desc(local.revenue), local.firm_id]
        )
    )
    leaders = (
        ranked.filter(ranked._rank < top)
        .join(firm_t.select("firm_id", "name"), "firm_id", how="left")
        .select("chain", "node", "_rank", "name", "firm_id")
        .to_pandas()
        .sort_values(["chain", "node", "_rank"])
    )
    leaders["label"] = leaders["name"].fillna(leaders["firm_id"]).astype(str)
    top_names = leaders.groupby(["chain", "node"])["label"].agg("、".join).rename("top_firms")

    out = node_table(plan, chain).merge(frame, on=["chain", "node"], how="left")
    out = out.merge(top_names, on=["chain", "node"], how="left")
    for column in ("firms", "national_firms"):
        out[column] = out[column].fillna(0).astype("int64")
    for column in ("revenue", "revenue_prev", "national_revenue"):
        out[column] = out[column].astype("float64").fillna(0.0)
    region_total = float(totals["region_total"].iloc[0] or 0.0)
    national_total = float(totals["national_total"].iloc[0] or 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["growth"] = np.where(
            out["revenue_prev"] > 0, out["revenue"] / out["revenue_prev"] - 1, np.nan
        )
        out["share_of_national"] = np.where(
            out["national_revenue"] > 0, out["revenue"] / out["national_revenue"], np.nan
        )
        region_share = region_total / national_total if national_total > 0 else np.nan
        out["lq"] = np.where(
            (out["national_revenue"] > 0) & (region_total > 0),
            out["share_of_national"] / region_share,
            np.nan,
        )
    out["status"] = node_status(out["firms"].to_numpy(), out["lq"].to_numpy(), rules)
    out["top_firms"] = out["top_firms"].fillna("")
    out.insert(5, "year", y)
    out.insert(6, "region", region)
    if supply_edges is not None:
        out = out.merge(
            _local_sourcing(members, active, supply_edges, region=region, year=y),
            on=["chain", "node"],
            how="left",
        )
    return out.sort_values(["chain", "position"]).drop(columns="position").reset_index(drop=True)


def _local_sourcing(
    members: ir.Table, active: ir.Table, supply_edges: Tabular, *, region: str, year: int
) -> pd.DataFrame:
    edges, _ = to_ibis(supply_edges)
    require_columns(edges, ["supplier", "customer", "year", "value"], "chains: supply_edges")
    edges = edges.filter(edges.year == year)
    where = active.select("firm_id", "region")
    sup = where.rename(supplier="firm_id", supplier_region="region")
    cus = where.rename(customer="firm_id", customer_region="region")
    located = edges.join(sup, "supplier").join(cus, "customer")
    located = located.filter(within(located.customer_region, region))
    node_customers = members.select(customer="firm_id", chain="chain", node="node")
    joined = located.join(node_customers, "customer")
    local = within(joined.supplier_region, region)
    agg = joined.group_by(["chain", "node"]).aggregate(
        local_value=joined.value.sum(where=local), total_value=joined.value.sum()
    )
    frame = agg.to_pandas()
    frame["local_sourcing"] = frame["local_value"] / frame["total_value"].where(
        frame["total_value"] > 0
    )
    return frame[["chain", "node", "local_sourcing"]]


def coverage(node_metrics: pd.DataFrame) -> pd.DataFrame:
    """Per chain: node counts by status and ``coverage`` (status-weighted mean, 0–1).

    Parameters
    ----------
    node_metrics : pandas.DataFrame
        The output of :func:`nodes`.

    Returns
    -------
    pandas.DataFrame
        One row per chain: node counts by status (``strong``, ``present``, ``weak``,
        ``missing``) and ``coverage`` (share 0–1).
    """
    require_columns(node_metrics, ["chain", "node", "status"], "chains.coverage")
    frame = node_metrics.assign(_w=node_metrics["status"].map(STATUS_WEIGHT))
    counts = pd.crosstab(frame["chain"], frame["status"]).reindex(
        columns=list(STATUS_WEIGHT), fill_value=0
    )
    out = counts.assign(
        nodes=counts.sum(axis=1), coverage=frame.groupby("chain")["_w"].mean()
    ).reset_index()
    if "local_sourcing" in frame.columns:
        weights = frame["revenue"].where(frame["local_sourcing"].notna(), 0.0)
        weighted = (frame["local_sourcing"].fillna(0.0) * weights).groupby(frame["chain"]).sum()
        total = weights.groupby(frame["chain"]).sum()
        out["local_sourcing"] = out["chain"].map(weighted / total.where(total > 0))
    return out


def leaders(
    firms: Tabular,
    firm_years: Tabular,
    plan: Plan,
    *,
    region: str,
    year: int | None = None,
    chain: str | None = None,
    rules: LeaderRules = LeaderRules(),
    supply_edges: Tabular | None = None,
    top: int = 3,
) -> pd.DataFrame:
    """Chain leaders (链主) per chain in ``region``: the rule and score of the module docstring.

    Columns: ``chain, rank, firm_id, name, node`` (its largest node), ``revenue`` (yuan),
    ``node_share, size, reach, innovation, score, leader`` (True when the thresholds hold).
    Up to ``top`` firms per chain, leaders first.

    Parameters
    ----------
    firms : pandas.DataFrame or Ibis table
        Canonical ``firm`` rows.
    firm_years : pandas.DataFrame or Ibis table
        Canonical ``firm_year`` rows (revenue and R&D spending in yuan, invention patents a
        count).
    plan : Plan
        The plan whose chains are analysed.
    region : str
        GB/T 2260 region code.
    year : int or None
        Year; None = the latest in ``firm_years``.
    chain : str or None
        One chain id, or None for every chain.
    rules : LeaderRules
        Thresholds (revenue in yuan, node share 0–1) and score weights.
    supply_edges : pandas.DataFrame, Ibis table or None
        ``supplier, customer, year, value`` (yuan) edges; feed the ``reach`` component.
    top : int
        Firms listed per chain.

    Returns
    -------
    pandas.DataFrame
        Up to ``top`` rows per chain with the columns above (components and score 0–1).
    """
    firm_t, active, members, _ = chain_inputs(firms, firm_years, plan, chain, year)
    rows = members.join(active, "firm_id").filter(lambda t: within(t.region, region))
    node_rev = rows.group_by(["chain", "node"]).aggregate(node_revenue=rows.revenue.sum())
    rows = rows.join(node_rev, ["chain", "node"])
    rows = rows.mutate(node_share=rows.revenue / rows.node_revenue.nullif(0))
    best = rows.mutate(
        _r=ibis.row_number().over(
            group_by=[rows.chain, rows.firm_id], order_by=[ibis.desc(rows.node_share), rows.node]
        )
    )
    best = best.filter(best._r == 0)
    reach_members = members.select("firm_id", "chain", "node")
    if supply_edges is not None:
        edges, _ = to_ibis(supply_edges)
        partner = edges.select(firm_id="supplier", other="customer").union(
            edges.select(firm_id="customer", other="supplier")
        )
        linked = partner.join(
            members.select(other="firm_id", chain="chain", node="node"), "other"
        ).select("firm_id", "chain", "node")
        reach_members = reach_members.union(linked)
    n_nodes = ibis.memtable(
        node_table(plan, chain).groupby("chain").size().rename("n_nodes").reset_index()
    )
    reach = (
        reach_members.group_by(["firm_id", "chain"])
        .aggregate(reached=reach_members.node.nunique())
        .join(n_nodes, "chain")
    )
    scored = best.join(reach, ["firm_id", "chain"], how="left")
    intensity = scored.rd_spend / scored.revenue.nullif(0)
    innovation = (scored.invention_patents.fill_null(0) + 1).ln() + 10 * intensity.fill_null(0)
    scored = scored.mutate(
        size=ibis.percent_rank().over(group_by=scored.chain, order_by=scored.revenue),
        reach=(scored.reached.fill_null(1) / scored.n_nodes).cast("float64"),
        innovation=ibis.percent_rank().over(group_by=scored.chain, order_by=innovation),
    )
    w = rules.weights
    scored = scored.mutate(
        score=w["size"] * scored.size
        + w["node_share"] * scored.node_share.fill_null(0)
        + w["reach"] * scored.reach
        + w["innovation"] * scored.innovation,
        leader=(scored.revenue >= rules.min_revenue) & (scored.node_share >= rules.min_node_share),
    )
    ranked = scored.mutate(
        rank=ibis.row_number().over(
            group_by=scored.chain, order_by=[ibis.desc(scored.leader), ibis.desc(scored.score)]
        )
        + 1
    )
    out = (
        ranked.filter(ranked["rank"] <= top)
        .join(firm_t.select("firm_id", "name"), "firm_id", how="left")
        .select(
            "chain",
            "rank",
            "firm_id",
            "name",
            "node",
            "revenue",
            "node_share",
            "size",
            "reach",
            "innovation",
            "score",
            "leader",
        )
        .to_pandas()
    )
    return out.sort_values(["chain", "rank"]).reset_index(drop=True)


def attraction_candidates(
    firms: Tabular,
    firm_years: Tabular,
    plan: Plan,
    *,
    chain: str,
    node: str,
    region: str,
    year: int | None = None,
    tags: Tabular | None = None,
    regions: Tabular | None = None,
    weights: dict[str, float] | None = None,
    limit: int = 50,
) -> pd.DataFrame:
    """Firms of ``chain``/``node`` outside ``region`` ranked by a transparent score.

    Components (each 0–1, shown in the output): ``size``, ``growth``, ``rd_intensity``
    (percentile ranks among the node's firms outside the region), ``tier`` (best certified
    tag up to ``year``, see :data:`TIER_SCORE`), ``proximity`` = exp(−``distance_km``/500).
    ``score`` = Σ ``weights`` × component (default :data:`DEFAULT_ATTRACT_WEIGHTS`).
    ``regions`` is the region table (code, lon, lat; default: packaged reference data).

    Parameters
    ----------
    firms : pandas.DataFrame or Ibis table
        Canonical ``firm`` rows.
    firm_years : pandas.DataFrame or Ibis table
        Canonical ``firm_year`` rows (revenue, R&D spending in yuan).
    plan : Plan
        The plan whose chain is analysed.
    chain, node : str
        The chain id and the node to attract firms to.
    region : str
        GB/T 2260 code of the attracting region (its firms are excluded).
    year : int or None
        Year; None = the latest in ``firm_years``.
    tags : pandas.DataFrame, Ibis table or None
        ``firm_tag`` rows (``firm_id, year, tag``; only ``source == "certified"`` counts).
    regions : pandas.DataFrame, Ibis table or None
        Region table with ``code, lon, lat`` (degrees); None = packaged reference data.
    weights : dict of str to float or None
        Weight per component; None = :data:`DEFAULT_ATTRACT_WEIGHTS`.
    limit : int
        Most rows returned.

    Returns
    -------
    pandas.DataFrame
        One row per candidate, best first: ``rank``, firm columns, ``revenue`` (yuan),
        ``growth`` (fraction), ``rd_intensity`` (share), ``distance_km`` (km), the components
        (0–1) and ``score``.
    """
    the_chain = plan.chain(chain)
    if node not in {n.id for n in the_chain.nodes}:
        raise AnalysisError(
            f"chain {chain} has no node {node!r}; nodes: {', '.join(n.id for n in the_chain.nodes)}"
        )
    w = dict(DEFAULT_ATTRACT_WEIGHTS if weights is None else weights)
    unknown = set(w) - set(DEFAULT_ATTRACT_WEIGHTS)
    if unknown:
        raise AnalysisError(f"unknown attraction weight(s): {', '.join(sorted(unknown))}")
    firm_t, active, members, y = chain_inputs(firms, firm_years, plan, chain, year)
    region_t = _region_points(regions)
    target = region_t.filter(region_t.code == region).to_pandas()
    if target.empty or pd.isna(target["lon"].iloc[0]):
        raise AnalysisError(f"region {region!r} has no coordinates in the region table")
    lon0, lat0 = float(target["lon"].iloc[0]), float(target["lat"].iloc[0])

    rows = members.filter(members.node == node).join(active, "firm_id")
    rows = rows.filter(~within(rows.region, region))
    rows = rows.join(region_t, rows.region == region_t.code, how="left")
    growth = rows.revenue / rows.revenue_prev.nullif(0) - 1
    intensity = rows.rd_spend / rows.revenue.nullif(0)
    rows = rows.mutate(
        growth=growth,
        rd_intensity_value=intensity,
        distance_km=haversine_km(rows.lon, rows.lat, lon0, lat0),
    )
    tier = _tier_scores(tags, y)
    if tier is not None:
        rows = rows.join(tier, "firm_id", how="left")
    else:
        rows = rows.mutate(tier=ibis.null("float64"), best_tag=ibis.null("string"))
    rows = rows.mutate(
        size=ibis.percent_rank().over(order_by=rows.revenue),
        growth_rank=ibis.percent_rank().over(order_by=rows.growth.fill_null(-1.0)),
        rd_rank=ibis.percent_rank().over(order_by=rows.rd_intensity_value.fill_null(0.0)),
        tier=rows.tier.fill_null(0.0),
        proximity=(-rows.distance_km.fill_null(3000.0) / 500.0).exp(),
    )
    rows = rows.mutate(
        score=w.get("size", 0) * rows["size"]
        + w.get("growth", 0) * rows.growth_rank
        + w.get("rd_intensity", 0) * rows.rd_rank
        + w.get("tier", 0) * rows.tier
        + w.get("proximity", 0) * rows.proximity
    )
    out = (
        rows.order_by([ibis.desc(rows.score), rows.firm_id])
        .limit(limit)
        .join(firm_t.select("firm_id", "name"), "firm_id", how="left")
        .select(
            "firm_id",
            "name",
            "region",
            "revenue",
            "growth",
            "rd_intensity_value",
            "best_tag",
            "distance_km",
            "size",
            "growth_rank",
            "rd_rank",
            "tier",
            "proximity",
            "score",
        )
        .rename(rd_intensity="rd_intensity_value")
        .to_pandas()
    )
    out = out.sort_values(["score", "firm_id"], ascending=[False, True]).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out.insert(1, "chain", chain)
    out.insert(2, "node", node)
    return out


def _region_points(regions: Tabular | None) -> ir.Table:
    if regions is None:
        from clusteratlas.refdata import regions as packaged

        regions = packaged()[["code", "lon", "lat", "province"]]
    table, _ = to_ibis(regions)
    require_columns(table, ["code", "lon", "lat"], "chains: regions")
    table = table.select(
        "code",
        lon=table.lon.cast("float64"),
        lat=table.lat.cast("float64"),
        province=table["province"] if "province" in table.columns else ibis.null("string"),
    )
    # counties without coordinates fall back to their province's centroid
    prov = table.select(p_code="code", p_lon="lon", p_lat="lat")
    filled = table.join(prov, table.province == prov.p_code, how="left")
    return filled.select(
        "code",
        lon=filled.lon.fill_null(filled.p_lon),
        lat=filled.lat.fill_null(filled.p_lat),
    )


def _tier_scores(tags: Tabular | None, year: int) -> ir.Table | None:
    if tags is None:
        return None
    table, _ = to_ibis(tags)
    require_columns(table, ["firm_id", "year", "tag"], "chains: tags")
    if "source" in table.columns:
        table = table.filter(table.source == "certified")
    table = table.filter(table.year <= year)
    scores = ibis.memtable(
        pd.DataFrame({"tag": list(TIER_SCORE), "tag_score": list(TIER_SCORE.values())})
    )
    scored = table.join(scores, "tag")
    ranked = scored.mutate(
        _r=ibis.row_number().over(
            group_by=scored.firm_id, order_by=[ibis.desc(scored.tag_score), scored.tag]
        )
    )
    best = ranked.filter(ranked._r == 0)
    return best.select("firm_id", tier="tag_score", best_tag="tag")
