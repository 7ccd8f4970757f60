"""The scenario planner: what happens to the plan's targets if clusters grow faster, slower, or
gain projects — and what it would take to reach the count targets.

Every scenario is the tracker's Monte Carlo (:mod:`clusteratlas.analysis.targets`: same trend,
volatility, drift uncertainty and seeds) with adjustments applied to the **same draws** (common
random numbers), so differences between scenarios are the adjustments, not sampling noise.
Method, with the value-added chain, in ``docs/scenarios.md``; in short, per cluster and path:

* baseline yearly growth factor ``f_t = exp(b_s + σ ε_t)`` (the tracker's drift ``b_s`` and shock);
* ``growth_delta δ``: ``f_t + δ`` (floored at :data:`MIN_FACTOR`);
* ``growth g`` (fixed, from the latest actual): ``f_t = (1 + g) ** w_t`` with the weight
  ``w_t = exp(λ ε_t − λ²/2)`` (mean 1; ``λ = σ / max(|b|, σ)`` — the tracker's volatility
  relative to its drift), so zero growth stays flat and the spread scales with the growth;
* a project adds ``revenue × min(1, (t − year + 1) / ramp_years)`` from its ``year`` and grows
  with the cluster's path after it.

Counts per level use the plan's top-level clusters (no parent, not an aggregate), as the
tracker's ``cluster_count`` actuals do. A range target of counts (``4-5``) is read as reaching
its lower edge. The high-end share of GDP moves with value added (``docs/scenarios.md``).

Units: revenue in yuan, growth rates and shares as fractions, counts as numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from clusteratlas.analysis.projection import (
    Trend,
    at_least,
    draw_increments,
    fit_trend,
    item_seed,
    meeting,
    simulate_paths,
)
from clusteratlas.analysis.scenario_file import Assumptions, Scenario, ScenarioFile
from clusteratlas.errors import AnalysisError
from clusteratlas.model.plan import Plan, Target

#: Lowest yearly growth factor after a negative ``growth_delta`` (a cluster keeps ≥ 0.1 %).
MIN_FACTOR = 1e-3

TARGET_COLUMNS = ["scenario", "target_id", "year", "probability", "p50", "basis"]
CLUSTER_COLUMNS = ["scenario", "cluster", "year", "p10", "p50", "p90", "project_revenue"]
COUNT_COLUMNS = ["scenario", "year", "level", "p10", "p50", "p90"]
# --------------------------------------------------------------------------- baseline


@dataclass(frozen=True)
class ClusterBase:
    """One cluster's baseline: its series, trend and the tracker's draws (log points)."""

    cluster: str
    basis: str
    synthetic: bool
    trend: Trend
    drift: np.ndarray  # (n_sim,)
    shocks: np.ndarray  # (n_sim, horizon_end - last_year)
    va_ratio: float
    va_type1: float

    @property
    def last_year(self) -> int:
        return self.trend.last_year

    @property
    def last_value(self) -> float:
        return self.trend.values[-1]


@dataclass(frozen=True)
class ShareBase:
    """A share-of-GDP target's baseline: simulated share and GDP at the target year."""

    target: Target
    share: np.ndarray  # (n_sim,) fraction
    gdp: np.ndarray  # (n_sim,) yuan
    latest_share: float
    members: tuple[str, ...]


@dataclass(frozen=True)
class Baseline:
    """Everything scenarios share: clusters' draws, years, tracker results, share baselines."""

    plan: Plan
    years: tuple[int, ...]
    clusters: dict[str, ClusterBase]
    tracked: pd.DataFrame
    shares: dict[str, ShareBase]
    assumptions: Assumptions
    n_sim: int
    seed: int
    excluded: tuple[str, ...] = ()
    synthetic: bool = False
    notes: list[str] = field(default_factory=list)

    def top_level(self) -> list[str]:
        """Clusters counted per level: top-level (no parent), not aggregates, with a series."""
        return [
            c.id
            for c in self.plan.clusters
            if c.parent is None and c.group != "aggregate" and c.id in self.clusters
        ]


def _series_by_cluster(sizes: pd.DataFrame) -> dict[str, tuple[pd.Series, str, bool]]:
    out = {}
    for cluster, group in sizes.groupby("cluster", sort=True):
        series = group.drop_duplicates("year").set_index("year")["value"].astype(float)
        series = series[series > 0].sort_index()
        basis = str(group["basis"].iloc[0]) if "basis" in group else "monitor"
        synthetic = bool(group["synthetic"].astype(bool).any()) if "synthetic" in group else False
        out[str(cluster)] = (series, basis, synthetic)
    return out


@lru_cache(maxsize=8)
def io_type1(table: str, plan_id: str, plan_json: str) -> dict[str, float]:
    """Per cluster: the type-I value-added multiplier of its IO sectors (output-weighted),
    i.e. value added in the whole economy per yuan of the cluster's own value added."""
    from clusteratlas.analysis.iotable import IOTable
    from clusteratlas.analysis.linkages import cluster_linkages

    plan = Plan.model_validate_json(plan_json)
    iot = IOTable.load(table)
    sectors = iot.sector_results()
    links = cluster_linkages(iot, plan)
    out: dict[str, float] = {}
    for _, row in links.iterrows():
        found = [s for s in str(row["sectors"] or "").split() if s in sectors.index]
        part = sectors.loc[found]
        part = part[part["value_added_type1"].notna() & (part["output"] > 0)]
        if len(part):
            weight = part["output"].to_numpy(dtype=float)
            out[str(row["cluster"])] = float(
                (part["value_added_type1"].to_numpy(dtype=float) * weight).sum() / weight.sum()
            )
    return out


def baseline(
    plan: Plan,
    sizes: pd.DataFrame,
    *,
    tracked: pd.DataFrame,
    observations: pd.DataFrame | None = None,
    va_ratios: dict[str, float] | None = None,
    horizon: int | None = None,
    assumptions: Assumptions | None = None,
    n_sim: int = 2000,
    seed: int = 0,
) -> Baseline:
    """The shared baseline of all scenarios.

    ``sizes``: ``cluster, year, value (yuan), synthetic, basis`` (one series per cluster, e.g.
    :func:`clusteratlas.analysis.crossings.cluster_series`; clusters with fewer than two positive
    values are left out and listed in ``excluded``). ``tracked``: the tracker's table
    (:func:`~clusteratlas.analysis.targets.track`) for the targets scenarios cannot move.
    ``observations``: the plan region's observation actuals (``indicator, year, value``) for the
    high-end share of GDP and GDP. ``va_ratios``: value added / revenue per cluster (fraction).
    ``horizon``: last year (default: the plan's last target year).

    Parameters
    ----------
    plan : Plan
        The plan whose targets and clusters are simulated.
    sizes : pandas.DataFrame
        Cluster size series (value in yuan), as above.
    tracked : pandas.DataFrame
        The tracker's table.
    observations : pandas.DataFrame or None
        Observation actuals of the plan region (GDP in yuan, shares 0–1).
    va_ratios : dict of str to float or None
        Value added / revenue per cluster (share 0–1); a cluster without one takes the
        median of the others (0.35 when none is given).
    horizon : int or None
        Last simulated year.
    assumptions : Assumptions or None
        Model assumptions; None = defaults.
    n_sim : int
        Number of simulated paths.
    seed : int
        Random seed.

    Returns
    -------
    Baseline
        The per-cluster starting points (yuan), growth and spread, and the paths' shocks.
    """
    assumptions = assumptions or Assumptions()
    end = int(horizon or max((t.year for t in plan.targets), default=2035))
    va_ratios = dict(va_ratios or {})
    type1 = io_type1(assumptions.io_table, plan.id, plan.model_dump_json())
    default_va = float(np.nanmedian(list(va_ratios.values()))) if va_ratios else 0.35
    default_k = float(np.nanmedian(list(type1.values()))) if type1 else 1.0
    clusters: dict[str, ClusterBase] = {}
    excluded: list[str] = []
    synthetic = False
    aggregates = {c.id for c in plan.clusters if c.group == "aggregate"}
    for cluster, (series, basis, synth) in _series_by_cluster(sizes).items():
        if cluster in aggregates:  # a union of clusters: it moves with them, not on its own
            continue
        if len(series) < 2:
            excluded.append(cluster)
            continue
        trend = fit_trend(series)
        if trend.last_year >= end:
            excluded.append(cluster)
            continue
        drift, shocks = draw_increments(
            trend, horizon=end - trend.last_year, n_sim=n_sim, seed=item_seed(seed, cluster)
        )
        ratio = va_ratios.get(cluster, math.nan)
        k = type1.get(cluster, math.nan)
        clusters[cluster] = ClusterBase(
            cluster=cluster,
            basis=basis,
            synthetic=synth,
            trend=trend,
            drift=drift,
            shocks=shocks,
            va_ratio=default_va if math.isnan(ratio) else ratio,
            va_type1=default_k if math.isnan(k) else k,
        )
        synthetic |= synth
    if not clusters:
        raise AnalysisError(
            "scenario: no cluster has a size series with two or more years; run the cluster "
            "monitor on a workspace with firm-years (clusteratlas demo builds one)"
        )
    # the first year shown is the latest actual year of any cluster: every cluster is then at
    # its latest actual or simulated from it (no observed history inside the window)
    start = max(c.last_year for c in clusters.values())
    years = tuple(range(start, end + 1))
    shares = _share_baselines(plan, observations, n_sim=n_sim, seed=seed, end=end)
    return Baseline(
        plan=plan,
        years=years,
        clusters=clusters,
        tracked=tracked,
        shares=shares,
        assumptions=assumptions,
        n_sim=n_sim,
        seed=seed,
        excluded=tuple(sorted(excluded)),
        synthetic=synthetic,
    )


def _share_baselines(
    plan: Plan, observations: pd.DataFrame | None, *, n_sim: int, seed: int, end: int
) -> dict[str, ShareBase]:
    """Share-of-GDP targets whose indicator an aggregate cluster observes (``share_gdp``):
    the tracker's simulated share (same stream as the tracker) and GDP at the target year."""
    if observations is None or observations.empty:
        return {}
    out: dict[str, ShareBase] = {}
    for aggregate in plan.clusters:
        indicator = aggregate.observed.get("share_gdp")
        if aggregate.group != "aggregate" or not indicator:
            continue
        includes = list(aggregate.includes)
        members = tuple(
            c.id
            for c in plan.clusters
            if c.parent is None and c.group != "aggregate" and ("*" in includes or c.id in includes)
        )
        share = _series(observations, indicator)
        gdp = _series(observations, "gdp")
        if len(share) < 2 or len(gdp) < 2:
            continue
        share_trend = fit_trend(share, transform="logit")
        gdp_trend = fit_trend(gdp)
        for target in plan.targets:
            if target.actual.indicator != indicator or target.year <= share_trend.last_year:
                continue
            if target.year > end:
                continue
            s_paths = simulate_paths(
                share_trend,
                horizon=target.year - share_trend.last_year,
                n_sim=n_sim,
                seed=item_seed(seed, target.id),
            )
            g_paths = (
                simulate_paths(
                    gdp_trend,
                    horizon=target.year - gdp_trend.last_year,
                    n_sim=n_sim,
                    seed=item_seed(seed, f"{target.id}:gdp"),
                )[:, -1]
                if target.year > gdp_trend.last_year
                else np.full(n_sim, gdp_trend.values[-1])
            )
            out[target.id] = ShareBase(
                target=target,
                share=s_paths[:, -1],
                gdp=g_paths,
                latest_share=share_trend.values[-1],
                members=members,
            )
    return out


def _series(observations: pd.DataFrame, indicator: str) -> pd.Series:
    rows = observations[observations["indicator"] == indicator].dropna(subset=["value"])
    if "bound" in rows.columns:  # one value per year: exact before bounds
        rows = rows.assign(_r=(rows["bound"].astype(str) != "=").astype(int))
        rows = rows.sort_values(["year", "_r"])
    rows = rows.drop_duplicates("year")
    return rows.set_index("year")["value"].astype(float).sort_index()


# --------------------------------------------------------------------------- paths


def growth_weights(base: ClusterBase) -> np.ndarray:
    """The weights ``w_t = exp(λ ε_t − λ²/2)`` of a fixed-growth path (mean 1, > 0).

    Parameters
    ----------
    base : ClusterBase
        One cluster's baseline.

    Returns
    -------
    numpy.ndarray
        Weights per path and year (dimensionless).
    """
    sigma = base.trend.sigma
    lam = sigma / max(abs(base.trend.slope), sigma)
    eps = base.shocks / sigma
    return np.asarray(np.exp(lam * eps - lam * lam / 2.0))


def cluster_paths(
    base: ClusterBase, scenario: Scenario, years: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """``(values, project part)`` of one cluster in a scenario, shape ``(n_sim, len(years))``,
    yuan. The cluster's latest actual year (if shown) takes the observed value.

    Parameters
    ----------
    base : ClusterBase
        One cluster's baseline.
    scenario : Scenario
        The scenario's adjustments.
    years : sequence of int
        The simulated years.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        Simulated values and their project part, yuan, shape ``(n_sim, len(years))``.
    """
    adj = scenario.adjustment(base.cluster)
    if adj.growth is not None:
        factors = np.exp(math.log1p(adj.growth) * growth_weights(base))
    else:
        factors = np.exp(base.drift[:, None] + base.shocks)
    if adj.growth_delta:
        factors = np.maximum(factors + adj.growth_delta, MIN_FACTOR)
    sim_years = np.arange(base.last_year + 1, base.last_year + 1 + factors.shape[1])
    values = base.last_value * np.cumprod(factors, axis=1)
    added = np.zeros_like(values)
    for project in scenario.projects:
        if project.cluster != base.cluster:
            continue
        if project.year <= base.last_year:
            raise AnalysisError(
                f"scenario {scenario.id}: project {project.name or project.node or ''} in "
                f"{project.cluster} starts in {project.year}, not after the cluster's latest "
                f"actual ({base.last_year}); the actual already holds what was built"
            )
        k = project.year - sim_years[0]
        if k >= len(sim_years):
            continue
        ramp = np.clip((sim_years - project.year + 1) / project.ramp_years, 0.0, 1.0)
        carried = values / values[:, [k]]  # the cluster's growth since the project's year
        added += project.revenue * ramp[None, :] * np.where(sim_years >= project.year, carried, 0.0)
    total = values + added
    out = np.empty((values.shape[0], len(years)))
    extra = np.zeros_like(out)
    for j, year in enumerate(years):
        if year <= base.last_year:
            out[:, j] = base.last_value
        else:
            out[:, j] = total[:, year - base.last_year - 1]
            extra[:, j] = added[:, year - base.last_year - 1]
    return out, extra


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario's simulated cluster values (``cluster -> (n_sim, years)`` yuan)."""

    scenario: Scenario
    values: dict[str, np.ndarray]
    added: dict[str, np.ndarray]


def run_one(base: Baseline, scenario: Scenario) -> ScenarioRun:
    """Simulate every cluster of ``base`` under ``scenario``.

    Parameters
    ----------
    base : Baseline
        The shared baseline.
    scenario : Scenario
        One scenario.

    Returns
    -------
    ScenarioRun
        Simulated revenue paths per cluster (yuan) and the derived series.
    """
    values, added = {}, {}
    for cluster, cb in base.clusters.items():
        values[cluster], added[cluster] = cluster_paths(cb, scenario, base.years)
    return ScenarioRun(scenario, values, added)


def level_counts(base: Baseline, run: ScenarioRun) -> dict[str, np.ndarray]:
    """Per level id: the number of top-level clusters *at* that level (its highest level
    reached) per path and year, ``(n_sim, years)``.

    Parameters
    ----------
    base : Baseline
        The shared baseline (levels and thresholds in yuan).
    run : ScenarioRun
        One scenario's simulation.

    Returns
    -------
    dict of str to numpy.ndarray
        Counts per level id, shape ``(n_sim, years)``.
    """
    levels = base.plan.levels_desc()
    members = base.top_level()
    out = {lv: np.zeros((base.n_sim, len(base.years))) for lv, _ in levels}
    for cluster in members:
        v = run.values[cluster]
        placed = np.zeros(v.shape, dtype=bool)
        for level_id, threshold in levels:
            hit = at_least(v, threshold) & ~placed
            out[level_id] += hit
            placed |= hit
    return out


# --------------------------------------------------------------------------- targets


def count_level(target: Target) -> str | None:
    """The level id a count target counts clusters at (``万亿级`` → its level), or None.

    Parameters
    ----------
    target : Target
        A plan target.

    Returns
    -------
    str or None
        The level id when ``target`` counts clusters (unit ``count``) at a level, else None.
    """
    ref = target.actual
    if target.unit != "count":
        return None
    if ref.kind == "cluster_count" or ref.level is not None:
        return ref.level
    return None


def hits(target: Target, samples: np.ndarray, integer: bool = False) -> np.ndarray:
    """Samples meeting the target (the tracker's :func:`~clusteratlas.analysis.projection.meeting`);
    ranges count as reached at their lower edge.

    Parameters
    ----------
    target : Target
        A plan target (value in its canonical unit: yuan, fraction 0–1, count).
    samples : numpy.ndarray
        Simulated values in the same unit.
    integer : bool
        Compare as whole numbers (counts).

    Returns
    -------
    numpy.ndarray
        Boolean per sample.
    """
    if target.comparator == "between":
        return meeting(samples, ">=", target.low, integer=integer)
    return meeting(samples, target.comparator, target.value, integer=integer)


def target_rows(base: Baseline, run: ScenarioRun) -> list[dict[str, Any]]:
    """Each plan target's probability and median in the scenario (see the module doc).

    Parameters
    ----------
    base : Baseline
        The shared baseline.
    run : ScenarioRun
        One scenario's simulation.

    Returns
    -------
    list of dict
        One row per target: probability (0–1) and median (the target's unit).
    """
    year_index = {y: j for j, y in enumerate(base.years)}
    counts = level_counts(base, run)
    thresholds = dict(base.plan.levels_desc())
    reference: ScenarioRun | None = None
    rows = []
    for target in base.plan.targets:
        if target.comparator == "track":
            continue
        row: dict[str, Any] = {"scenario": run.scenario.id, "target_id": target.id}
        row["year"] = target.year
        j = year_index.get(target.year)
        level = count_level(target)
        samples: np.ndarray | None = None
        integer = False
        if j is not None and level is not None and level in counts:
            samples = reached_count(base, counts, level, thresholds[level], j)
            integer, row["basis"] = True, "clusters"
        elif target.id in base.shares and j is not None:
            if reference is None:
                reference = run_one(base, Scenario(id="__base__"))
            share = _share_samples(base, run, reference, base.shares[target.id], j)
            samples, row["basis"] = share, "value_added"
        elif j is not None and target.scope in run.values and target.unit == "yuan":
            samples, row["basis"] = run.values[target.scope][:, j], "cluster"
        if samples is not None:
            row["probability"] = float(np.mean(hits(target, samples, integer)))
            row["p50"] = float(np.percentile(samples, 50))
        else:
            tracked = base.tracked[base.tracked["target_id"] == target.id]
            first = tracked.iloc[0] if len(tracked) else None
            row["basis"] = "tracker"
            row["probability"] = _float(first["probability"]) if first is not None else math.nan
            row["p50"] = _float(first["projected_value"]) if first is not None else math.nan
        rows.append(row)
    return rows


def _float(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def share_effect(
    share: np.ndarray,
    gdp: np.ndarray,
    delta_revenue: dict[str, np.ndarray],
    va_ratio: dict[str, float],
    va_type1: dict[str, float],
    *,
    local_supplier_share: float,
    high_end_share: float,
) -> np.ndarray:
    """The high-end share of GDP after clusters' revenue moves by ``delta_revenue`` (yuan).

    Per cluster: own value added ``ΔVA = v·ΔR``; suppliers' value added ``(k − 1)·ΔVA`` of which
    ``ρ`` (``local_supplier_share``) stays in the region and ``h`` (``high_end_share``) of that
    is itself high-end. ``S' = (S·G + Σ ΔVA (1 + (k−1)ρh)) / (G + Σ ΔVA (1 + (k−1)ρ))``.
    Fractions in and out; ``gdp`` and revenues in yuan.

    Parameters
    ----------
    share : numpy.ndarray
        High-end share of GDP before (0–1).
    gdp : numpy.ndarray
        GDP (yuan).
    delta_revenue : dict of str to numpy.ndarray
        Change of each cluster's revenue (yuan).
    va_ratio : dict of str to float
        Value added / revenue per cluster (0–1).
    va_type1 : dict of str to float
        Type-I value-added multiplier ``k`` per cluster (dimensionless).
    local_supplier_share : float
        ``ρ``, share 0–1 of suppliers' value added that stays in the region.
    high_end_share : float
        ``h``, share 0–1 of that local value added that is high-end.

    Returns
    -------
    numpy.ndarray
        The share of GDP after (0–1).
    """
    high = share * gdp
    total = gdp.copy()
    for cluster, d in delta_revenue.items():
        dva = va_ratio[cluster] * d
        spill = (va_type1[cluster] - 1.0) * local_supplier_share
        high = high + dva * (1.0 + spill * high_end_share)
        total = total + dva * (1.0 + spill)
    return np.asarray(np.clip(high / total, 0.0, 1.0))


def _share_samples(
    base: Baseline, run: ScenarioRun, reference: ScenarioRun, sb: ShareBase, j: int
) -> np.ndarray:
    """The share of GDP at year index ``j``: the tracker's share moved by the revenue the
    scenario adds over the unadjusted baseline (``reference``), path by path."""
    if not run.scenario.clusters and not run.scenario.projects:
        return sb.share
    members = [c for c in sb.members if c in run.values]
    delta = {c: run.values[c][:, j] - reference.values[c][:, j] for c in members}
    return share_effect(
        sb.share,
        sb.gdp,
        delta,
        {c: base.clusters[c].va_ratio for c in members},
        {c: base.clusters[c].va_type1 for c in members},
        local_supplier_share=base.assumptions.local_supplier_share,
        high_end_share=sb.latest_share,
    )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ScenarioResult:
    """The tables of a scenario run (see :func:`run`), plus ``solve`` when asked."""

    scenarios: list[dict[str, Any]]
    targets: pd.DataFrame
    clusters: pd.DataFrame
    counts: pd.DataFrame
    solve: pd.DataFrame | None = None

    def __getitem__(self, key: str) -> Any:
        """``result["targets"]`` etc.: the tables by their JSON key."""
        if key not in ("scenarios", "targets", "clusters", "counts", "solve"):
            raise KeyError(key)
        return getattr(self, key)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: ``{"scenarios", "targets", "clusters", "counts"[, "solve"]}``."""
        out: dict[str, Any] = {
            "scenarios": self.scenarios,
            "targets": _records(self.targets),
            "clusters": _records(self.clusters),
            "counts": _records(self.counts),
        }
        if self.solve is not None:
            out["solve"] = _records(self.solve)
        return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    import json

    text = frame.to_json(orient="records", force_ascii=False, double_precision=15)
    return list(json.loads(text or "[]"))


def run(base: Baseline, spec: ScenarioFile, *, solve_targets: bool = False) -> ScenarioResult:
    """Run every scenario of ``spec`` on ``base``: per-cluster p10/p50/p90 per year, counts per
    level, each target's probability; with ``solve_targets`` also
    :func:`clusteratlas.analysis.scenario_solve.solve`.

    Parameters
    ----------
    base : Baseline
        The shared baseline.
    spec : ScenarioFile
        The scenarios (:func:`~clusteratlas.analysis.scenario_file.load_scenarios`).
    solve_targets : bool
        Also solve what it takes to reach the count targets.

    Returns
    -------
    ScenarioResult
        Tables per scenario (values in yuan, probabilities 0–1).
    """
    target_parts, cluster_parts, count_parts, meta = [], [], [], []
    for scenario in spec.scenarios:
        result = run_one(base, scenario)
        target_parts.extend(target_rows(base, result))
        for cluster, values in result.values.items():
            q = np.percentile(values, [10, 50, 90], axis=0)
            added = np.median(result.added[cluster], axis=0)
            cluster_parts.append(
                pd.DataFrame(
                    {
                        "scenario": scenario.id,
                        "cluster": cluster,
                        "year": base.years,
                        "p10": q[0],
                        "p50": q[1],
                        "p90": q[2],
                        "project_revenue": added,
                    }
                )
            )
        for level, counts in level_counts(base, result).items():
            q = np.percentile(counts, [10, 50, 90], axis=0, method="inverted_cdf")
            count_parts.append(
                pd.DataFrame(
                    {
                        "scenario": scenario.id,
                        "year": base.years,
                        "level": level,
                        "p10": q[0],
                        "p50": q[1],
                        "p90": q[2],
                    }
                )
            )
        meta.append(
            {
                "id": scenario.id,
                "name": scenario.name or scenario.id,
                "clusters": {
                    k: v.model_dump(exclude_none=True) for k, v in scenario.clusters.items()
                },
                "projects": [p.model_dump(exclude_none=True) for p in scenario.projects],
                "years": [base.years[0], base.years[-1]],
                "n_sim": base.n_sim,
                "seed": base.seed,
                "synthetic": base.synthetic,
                "excluded_clusters": list(base.excluded),
                "plan": base.plan.id,
            }
        )
    return ScenarioResult(
        scenarios=meta,
        targets=pd.DataFrame(target_parts, columns=TARGET_COLUMNS),
        clusters=pd.concat(cluster_parts, ignore_index=True)[CLUSTER_COLUMNS],
        counts=pd.concat(count_parts, ignore_index=True)[COUNT_COLUMNS],
        solve=_solve(base) if solve_targets else None,
    )


def _solve(base: Baseline) -> pd.DataFrame:
    from clusteratlas.analysis.scenario_solve import solve

    return solve(base)


def inputs_table(base: Baseline) -> pd.DataFrame:
    """Per cluster the inputs scenarios start from: ``cluster, basis, last_year, last_value
    (yuan), trend_growth, sigma, va_ratio, va_type1, synthetic``.

    Parameters
    ----------
    base : Baseline
        The shared baseline.

    Returns
    -------
    pandas.DataFrame
        One row per cluster (``last_value`` in yuan; growth, ``sigma`` and ratios as
        fractions).
    """
    return pd.DataFrame(
        [
            {
                "cluster": c.cluster,
                "basis": c.basis,
                "last_year": c.last_year,
                "last_value": c.last_value,
                "trend_growth": c.trend.growth,
                "sigma": c.trend.sigma,
                "va_ratio": c.va_ratio,
                "va_type1": c.va_type1,
                "synthetic": c.synthetic,
            }
            for c in base.clusters.values()
        ]
    )


def reached_count(
    base: Baseline, counts: dict[str, np.ndarray], level: str, threshold: float, j: int
) -> np.ndarray:
    """Clusters at ``level`` *or above* per path in year index ``j`` (a count target of 万亿级
    is met by clusters at that level; higher levels count too).

    Parameters
    ----------
    base : Baseline
        The shared baseline.
    counts : dict of str to numpy.ndarray
        :func:`level_counts` of a run.
    level : str
        Level id.
    threshold : float
        The level's threshold (yuan).
    j : int
        Year index.

    Returns
    -------
    numpy.ndarray
        Count per path.
    """
    total = np.zeros(base.n_sim)
    for level_id, value in base.plan.levels_desc():
        if value >= threshold:
            total = total + counts[level_id][:, j]
    return total


# --------------------------------------------------------------------------- workspace glue


def cluster_sizes(plan: Plan, monitor: pd.DataFrame, observations: pd.DataFrame) -> pd.DataFrame:
    """Each cluster's size series for scenarios (yuan): the tracker's choice
    (:func:`~clusteratlas.analysis.crossings.cluster_series`: the real observed series where the
    plan maps one), falling back to the monitor's series where the real one has a single year
    (no trend can be fitted to one point).

    Parameters
    ----------
    plan : Plan
        The plan.
    monitor : pandas.DataFrame
        The cluster monitor at the plan region (revenue in yuan).
    observations : pandas.DataFrame
        Canonical ``observation`` rows.

    Returns
    -------
    pandas.DataFrame
        ``cluster, year, value`` (yuan), ``synthetic``, ``basis``.
    """
    from clusteratlas.analysis.crossings import cluster_series

    chosen = cluster_series(plan, monitor=monitor, observations=observations)
    counts = chosen.groupby("cluster")["year"].nunique()
    short = set(counts[counts < 2].index)
    if not short:
        return chosen
    fallback = cluster_series(plan, monitor=monitor)
    return pd.concat(
        [chosen[~chosen["cluster"].isin(short)], fallback[fallback["cluster"].isin(short)]],
        ignore_index=True,
    )


def workspace_baseline(
    workspace: Any,
    plan: Plan,
    *,
    horizon: int | None = None,
    assumptions: Assumptions | None = None,
    n_sim: int = 2000,
    seed: int = 0,
) -> Baseline:
    """:func:`baseline` from a workspace: the cluster monitor at the plan region (sizes and
    value-added ratios of the latest year), the observation table (share of GDP, GDP) and the
    tracker's table for the targets scenarios do not move.

    Parameters
    ----------
    workspace : Workspace or source
        An open workspace.
    plan : Plan
        The plan.
    horizon : int or None
        Last simulated year.
    assumptions : Assumptions or None
        Model assumptions; None = defaults.
    n_sim : int
        Number of simulated paths.
    seed : int
        Random seed.

    Returns
    -------
    Baseline
        As :func:`baseline`.
    """
    from clusteratlas.analysis.actuals import observation_actuals
    from clusteratlas.analysis.panel import workspace_monitor, workspace_targets

    monitor, provenance = workspace_monitor(workspace, plan, crossings=False)
    observations = workspace.table("observation").to_pandas()
    tracked = workspace_targets(workspace, plan, n_sim=n_sim, seed=seed, monitor_frame=monitor)
    at_region = monitor[monitor["region"].astype(str) == plan.region]
    latest = at_region[at_region["year"] == at_region["year"].max()]
    ratios = (latest["value_added"] / latest["revenue"]).where(latest["revenue"] > 0)
    va_ratios = {
        str(c): float(r)
        for c, r in zip(latest["cluster"], ratios, strict=True)
        if r == r and 0 < r <= 1
    }
    base = baseline(
        plan,
        cluster_sizes(plan, monitor, observations),
        tracked=tracked,
        observations=observation_actuals(observations, plan.region),
        va_ratios=va_ratios,
        horizon=horizon,
        assumptions=assumptions,
        n_sim=n_sim,
        seed=seed,
    )
    if provenance.get("synthetic"):
        base.notes.append("cluster sizes from a synthetic firm registry")
    return base
