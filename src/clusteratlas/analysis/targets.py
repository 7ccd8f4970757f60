"""Plan target tracking: latest actual, gap, required growth, trend projection with uncertainty.

The tracker answers, for every target of a plan, *where are we* (the latest actual and how far
it is from the target), *what would it take* (the compound annual growth rate required to hit
the target by its year) and *where is the trend heading* (a log-linear projection with a
Monte Carlo interval and the probability of meeting the target). The same machinery gives, for
each cluster, the year its size is projected to cross a level such as 1万亿元.

Method (documented in ``docs/targets.md``)
------------------------------------------
* **Transform.** Values are modelled on a log scale (``z = ln y``); shares (unit ``fraction``)
  on the logit scale (``z = ln(y / (1 − y))``) so projections stay inside (0, 1).
* **Trend.** Ordinary least squares of ``z`` on the calendar year over all observations (years
  may be irregular: 2014, 2018, 2022, 2023). The slope ``b`` is the trend log growth per year.
* **Uncertainty.** The series is treated as a random walk with drift ``b`` observed at irregular
  years: the increment between observations ``d`` years apart is ``N(b·d, σ²·d)``. ``σ`` (log
  points per √year) is estimated from the increments' deviations from the trend drift (``m − 1``
  degrees of freedom for ``m`` increments) and floored at ``min_volatility`` (default
  :data:`MIN_VOLATILITY`) because two or three increments cannot estimate it reliably.
  Drift uncertainty: ``se(b) = σ / √span``. Each of ``n_sim`` simulated paths draws its drift
  ``b_s ~ N(b, se(b)²)`` and yearly shocks ``σ·ε``, starting from the **latest observation**
  (``anchor="last"``, default) or from the trend line's value at the latest year
  (``anchor="trend"``). Draws are seeded (``numpy.random.default_rng``), so results are
  reproducible; each target gets its own stream derived from ``seed`` and its id.
* **Probability** of meeting a target by its year = share of simulated values at that year
  satisfying the comparator (counts are rounded to whole numbers first; a count's projection
  and interval are whole numbers too, :func:`projected_summary`).
* **Bounds.** An actual published as a lower bound (``>3万亿``) is used at its bound value: a
  ``>`` actual at or above a ``>=`` target is *met* (every value consistent with it satisfies
  the target); below it, the projection starts from the bound, so the probability is a
  conservative (low) estimate. ``<`` actuals mirror this; ``range`` actuals count as met only
  when the whole range satisfies the target.

Status rule (:func:`status_for`)
--------------------------------
``tracked`` (comparator ``track``), ``no data`` (no actual for the target), ``met`` (the latest
actual satisfies the target, bound-aware as above), ``missed`` (the target year is reached or
past and the latest actual at/after it does not satisfy it), ``insufficient data`` (fewer than
two observations: no trend), else by the probability ``p`` of meeting it by its year:
``on track`` (p ≥ 0.7), ``at risk`` (0.3 ≤ p < 0.7), ``off track`` (p < 0.3).

Actuals
-------
``track`` takes one tidy table ``indicator, region, year, value, bound`` (+ optional ``low,
high, source, source_row, synthetic``) for the plan's region. Observation targets look up their
``indicator``; monitor-derived actuals use keys built by :func:`actual_key`
(``cluster_size:<cluster>:<measure>``, ``cluster_count:<level>``, ``tag_count:<tag>``).
:func:`assemble_actuals` builds the table from the observation table (workspace or
``refdata.beijing_facts()``) and the cluster monitor's output.
"""

from __future__ import annotations

import contextlib
import math
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from clusteratlas.analysis._tabular import Tabular, to_pandas
from clusteratlas.errors import AnalysisError
from clusteratlas.model.plan import ActualRef, Plan, Target

Transform = Literal["log", "logit"]
Anchor = Literal["last", "trend"]

#: Floor on the yearly volatility σ (log points per √year). The two real series with at least
#: three increments in ``beijing_facts`` give σ̂ = 0.046 (医药健康 scale 2014–2023) and 0.048
#: (nominal GDP 2015–2024); the floor keeps two-point series (no σ̂) from claiming certainty.
MIN_VOLATILITY = 0.045

#: Probability thresholds of the status rule: on track ≥ ON_TRACK > at risk ≥ AT_RISK > off track.
ON_TRACK = 0.7
AT_RISK = 0.3

STATUSES = (
    "met",
    "on track",
    "at risk",
    "off track",
    "missed",
    "insufficient data",
    "no data",
    "tracked",
)

TRACK_COLUMNS = [
    "target_id",
    "name_zh",
    "name_en",
    "indicator",
    "scope",
    "comparator",
    "target_value",
    "target_low",
    "target_high",
    "unit",
    "year",
    "latest_value",
    "latest_year",
    "latest_bound",
    "n_obs",
    "gap",
    "required_cagr",
    "trend_cagr",
    "projected_value",
    "projected_p10",
    "projected_p90",
    "probability",
    "status",
    "synthetic",
    "source",
    "actual_source",
    "note",
    "actual_kind",
]


# --------------------------------------------------------------------------- formulas


def cagr(start_value: float, end_value: float, years: float) -> float:
    """Compound annual growth rate (fraction/year) from ``start_value`` to ``end_value``.

    ``(end / start) ** (1 / years) − 1``; NaN when ``years ≤ 0`` or ``start ≤ 0`` or ``end < 0``.
    Units cancel (any unit, as long as both values use the same one).
    """
    if years <= 0 or start_value <= 0 or end_value < 0:
        return math.nan
    return float((end_value / start_value) ** (1.0 / years) - 1.0)


def required_cagr(
    latest_value: float, latest_year: int, target_value: float, target_year: int
) -> float:
    """Growth rate per year (fraction) needed to go from the latest actual to the target.

    NaN when the target year is not after the latest year. Negative when the latest value is
    already above the target (the rate that could be *lost* while still meeting it).
    """
    return cagr(latest_value, target_value, target_year - latest_year)


def _forward(values: np.ndarray, transform: Transform) -> np.ndarray:
    if transform == "logit":
        return np.log(values / (1.0 - values))
    return np.log(values)


def _inverse(z: np.ndarray, transform: Transform) -> np.ndarray:
    if transform == "logit":
        return 1.0 / (1.0 + np.exp(-z))
    return np.exp(z)


def _as_series(series: Any) -> pd.Series:
    """A float Series indexed by int year, sorted, NaN dropped (from Series/DataFrame/mapping)."""
    if isinstance(series, pd.DataFrame):
        if not {"year", "value"} <= set(series.columns):
            raise AnalysisError("series: a DataFrame needs columns 'year' and 'value'")
        s = pd.Series(
            series["value"].to_numpy(dtype=float), index=series["year"].to_numpy(dtype=int)
        )
    elif isinstance(series, pd.Series):
        s = pd.Series(series.to_numpy(dtype=float), index=series.index.astype(int))
    elif isinstance(series, Mapping):
        s = pd.Series({int(k): float(v) for k, v in series.items()}, dtype=float)
    else:
        raise AnalysisError(f"series: expected a Series, DataFrame or mapping, got {type(series)}")
    s = s.dropna().sort_index()
    if s.index.has_duplicates:
        raise AnalysisError(f"series: duplicate years {sorted(set(s.index[s.index.duplicated()]))}")
    return s


@dataclass(frozen=True)
class Trend:
    """A fitted log-linear (or logit-linear) trend with random-walk volatility.

    ``intercept``/``slope``: OLS of ``z`` on year (``slope`` = trend growth in log points per
    year); ``sigma``: yearly volatility (log points per √year, after the floor); ``sigma_hat``:
    the raw estimate (NaN with fewer than two increments); ``se_slope = sigma / √span``.
    """

    transform: Transform
    years: tuple[int, ...]
    values: tuple[float, ...]
    intercept: float
    slope: float
    sigma: float
    sigma_hat: float
    se_slope: float

    @property
    def first_year(self) -> int:
        return self.years[0]

    @property
    def last_year(self) -> int:
        return self.years[-1]

    @property
    def growth(self) -> float:
        """Trend growth per year as a fraction (``e^slope − 1``; for logit, of the odds)."""
        return math.expm1(self.slope)

    def fitted(self, year: float) -> float:
        """The trend line's value at ``year`` (canonical units)."""
        return float(_inverse(np.array([self.intercept + self.slope * year]), self.transform)[0])


def fit_trend(
    series: Any,
    *,
    transform: Transform = "log",
    min_volatility: float = MIN_VOLATILITY,
) -> Trend:
    """Fit the trend of ``series`` (year → value, canonical units, at least two positive points).

    Raises :class:`AnalysisError` with fewer than two points or values outside the transform's
    domain (log: > 0; logit: strictly between 0 and 1).
    """
    s = _as_series(series)
    if len(s) < 2:
        raise AnalysisError(f"trend: need at least two observations, got {len(s)}")
    y = s.to_numpy(dtype=float)
    if transform == "logit":
        if np.any((y <= 0) | (y >= 1)):
            raise AnalysisError("trend: shares must be strictly between 0 and 1 for the logit")
    elif np.any(y <= 0):
        raise AnalysisError("trend: values must be positive for a log-linear trend")
    t = s.index.to_numpy(dtype=float)
    z = _forward(y, transform)
    tbar, zbar = t.mean(), z.mean()
    sxx = float(((t - tbar) ** 2).sum())
    slope = float(((t - tbar) * (z - zbar)).sum() / sxx)
    intercept = float(zbar - slope * tbar)
    d = np.diff(t)
    dz = np.diff(z)
    m = len(d)
    if m >= 2:
        sigma_hat = float(math.sqrt((((dz - slope * d) ** 2) / d).sum() / (m - 1)))
    else:
        sigma_hat = math.nan
    sigma = max(sigma_hat, min_volatility) if not math.isnan(sigma_hat) else min_volatility
    span = float(t[-1] - t[0])
    return Trend(
        transform=transform,
        years=tuple(int(v) for v in s.index),
        values=tuple(float(v) for v in y),
        intercept=intercept,
        slope=slope,
        sigma=sigma,
        sigma_hat=sigma_hat,
        se_slope=sigma / math.sqrt(span),
    )


def _rng(seed: int | Iterable[int]) -> np.random.Generator:
    return np.random.default_rng(seed if isinstance(seed, int) else list(seed))


def _stream(seed: int, key: str) -> list[int]:
    """A per-item seed sequence: results do not depend on the order items are processed in."""
    return [seed, zlib.crc32(key.encode("utf-8"))]


def item_seed(seed: int, key: str) -> list[int]:
    """The seed sequence the tracker uses for one item (a target id or a cluster id).

    Public so that other analyses (the scenario planner) draw exactly the tracker's paths.
    """
    return _stream(seed, key)


def draw_increments(
    trend: Trend, *, horizon: int, n_sim: int = 2000, seed: int | Iterable[int] = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The random draws behind :func:`simulate_paths`: per-path drifts ``(n_sim,)`` and yearly
    shocks ``(n_sim, horizon)``, both on the transformed scale (log points).

    ``z_t = z0 + Σ_{k≤t} (drift + shock_k)``; the same ``seed`` gives the same draws as
    :func:`simulate_paths`, so a caller can rebuild or adjust the tracker's paths.
    """
    if horizon < 1:
        raise AnalysisError(f"simulate: horizon must be ≥ 1 year, got {horizon}")
    if n_sim < 1:
        raise AnalysisError(f"simulate: n_sim must be ≥ 1, got {n_sim}")
    rng = _rng(seed)
    drift = trend.slope + trend.se_slope * rng.standard_normal(n_sim)
    shocks = trend.sigma * rng.standard_normal((n_sim, horizon))
    return drift, shocks


def simulate_paths(
    trend: Trend,
    *,
    horizon: int,
    n_sim: int = 2000,
    seed: int | Iterable[int] = 0,
    anchor: Anchor = "last",
) -> np.ndarray:
    """Simulated values (canonical units) for the years ``last_year + 1 … last_year + horizon``.

    Shape ``(n_sim, horizon)``. Each path draws a drift ``N(slope, se_slope²)`` and independent
    yearly shocks ``N(0, sigma²)`` on the transformed scale, starting from the latest observation
    (``anchor="last"``) or the trend line at the latest year (``anchor="trend"``).
    """
    drift, shocks = draw_increments(trend, horizon=horizon, n_sim=n_sim, seed=seed)
    if anchor == "last":
        z0 = float(_forward(np.array([trend.values[-1]]), trend.transform)[0])
    else:
        z0 = trend.intercept + trend.slope * trend.last_year
    z = z0 + np.cumsum(drift[:, None] + shocks, axis=1)
    return _inverse(z, trend.transform)


@dataclass(frozen=True)
class Projection:
    """A projection to ``year``: central ``value`` (the trend's drift from the anchor), the
    10th/50th/90th percentiles of the simulated values and the simulated ``samples``."""

    year: int
    value: float
    p10: float
    p50: float
    p90: float
    samples: np.ndarray
    trend: Trend
    anchor: Anchor

    def probability(
        self,
        comparator: str,
        value: float | None = None,
        low: float | None = None,
        high: float | None = None,
        integer: bool = False,
    ) -> float:
        """Share of simulated values meeting ``comparator`` (``>=``, ``<=``, ``between``)."""
        return probability_meeting(self.samples, comparator, value, low, high, integer=integer)


def project(
    series: Any,
    *,
    to_year: int,
    n_sim: int = 2000,
    seed: int | Iterable[int] = 0,
    transform: Transform = "log",
    anchor: Anchor = "last",
    min_volatility: float = MIN_VOLATILITY,
) -> Projection:
    """Project ``series`` (year → value, canonical units) to ``to_year`` with an interval.

    The central value is the anchor moved along the OLS trend (``anchor="trend"``: exactly the
    log-linear OLS line at ``to_year``); ``p10``/``p50``/``p90`` come from ``n_sim`` seeded
    Monte Carlo paths (see the module docstring). ``to_year`` must be after the last year.
    """
    trend = fit_trend(series, transform=transform, min_volatility=min_volatility)
    horizon = int(to_year) - trend.last_year
    if horizon < 1:
        raise AnalysisError(
            f"project: to_year {to_year} must be after the last observed year {trend.last_year}"
        )
    paths = simulate_paths(trend, horizon=horizon, n_sim=n_sim, seed=seed, anchor=anchor)
    samples = paths[:, -1]
    if anchor == "last":
        z0 = float(_forward(np.array([trend.values[-1]]), trend.transform)[0])
    else:
        z0 = trend.intercept + trend.slope * trend.last_year
    central = float(_inverse(np.array([z0 + trend.slope * horizon]), trend.transform)[0])
    p10, p50, p90 = (float(v) for v in np.percentile(samples, [10, 50, 90]))
    return Projection(int(to_year), central, p10, p50, p90, samples, trend, anchor)


#: Relative tolerance of "at or above" / "at most": a sum calibrated to exactly its goal (e.g. a
#: synthetic cluster calibrated to 1万亿元) differs from it in the last digits with the order of
#: DuckDB's parallel float sums; without it a flat path met the goal or not by chance.
RELATIVE_TOLERANCE = 1e-9


def at_least(values: np.ndarray, goal: float) -> np.ndarray:
    """``values >= goal`` up to :data:`RELATIVE_TOLERANCE` of ``goal``."""
    return np.asarray(values >= goal - RELATIVE_TOLERANCE * abs(goal))


def at_most(values: np.ndarray, goal: float) -> np.ndarray:
    """``values <= goal`` up to :data:`RELATIVE_TOLERANCE` of ``goal``."""
    return np.asarray(values <= goal + RELATIVE_TOLERANCE * abs(goal))


def meeting(
    samples: np.ndarray,
    comparator: str,
    value: float | None = None,
    low: float | None = None,
    high: float | None = None,
    *,
    integer: bool = False,
) -> np.ndarray:
    """Which ``samples`` satisfy the comparator (``integer``: round to counts first), up to
    :data:`RELATIVE_TOLERANCE`."""
    x = np.rint(samples) if integer else samples
    if comparator == ">=":
        if value is None:
            raise AnalysisError("'>=' needs a value")
        return at_least(x, value)
    if comparator == "<=":
        if value is None:
            raise AnalysisError("'<=' needs a value")
        return at_most(x, value)
    if comparator == "between":
        if low is None or high is None:
            raise AnalysisError("'between' needs low and high")
        return at_least(x, low) & at_most(x, high)
    raise AnalysisError(f"unknown comparator {comparator!r}")


def probability_meeting(
    samples: np.ndarray,
    comparator: str,
    value: float | None = None,
    low: float | None = None,
    high: float | None = None,
    *,
    integer: bool = False,
) -> float:
    """Share of ``samples`` that satisfy the comparator (see :func:`meeting`)."""
    return float(np.mean(meeting(samples, comparator, value, low, high, integer=integer)))


@dataclass(frozen=True)
class Crossing:
    """When a series crosses ``threshold``: median ``year`` and the ``p10``–``p90`` interval of the
    simulated crossing years; ``already`` if an observation already reached it. Then ``year``
    is the first observed year at or above the threshold after one below it (``p10`` the year
    after that last observation below, ``p90`` = ``year``), or — when the very first
    observation is already above — the first observed year with ``before`` set: the crossing
    happened *in or before* that year. Percentiles beyond the horizon are ``None``;
    ``p_within`` is the share of paths crossing within the horizon."""

    threshold: float
    year: int | None
    p10: int | None
    p90: int | None
    p_within: float
    already: bool
    horizon_end: int
    before: bool = False


def observed_crossing(series: Any, threshold: float) -> Crossing | None:
    """The crossing seen in the observations themselves (see :class:`Crossing`), or ``None``
    when no observation reaches ``threshold``."""
    s = _as_series(series)
    above = (s >= threshold).to_numpy()
    if not above.any():
        return None
    years = [int(y) for y in s.index]
    last = years[-1]
    if above[0]:
        return Crossing(threshold, years[0], None, years[0], 1.0, True, last, before=True)
    k = int(np.argmax(above))
    return Crossing(threshold, years[k], years[k - 1] + 1, years[k], 1.0, True, last)


def crossing_year(
    series: Any,
    threshold: float,
    *,
    n_sim: int = 2000,
    seed: int | Iterable[int] = 0,
    horizon: int = 30,
    transform: Transform = "log",
    anchor: Anchor = "last",
    min_volatility: float = MIN_VOLATILITY,
) -> Crossing:
    """Projected year ``series`` first reaches ``threshold`` (same unit, e.g. 1e12 yuan).

    When an observation already reached it, the observed crossing (:func:`observed_crossing`:
    first year at or above after being below; "in or before" the first year when the series
    starts above). Otherwise simulates ``n_sim`` annual paths ``horizon`` years past the last
    observation; a path's crossing year is its first year at or above ``threshold``. Returns
    the median and the 10th/90th percentiles over paths (paths that never cross count as
    later than any year).
    """
    s = _as_series(series)
    seen = observed_crossing(s, threshold)
    if seen is not None:
        return seen
    trend = fit_trend(s, transform=transform, min_volatility=min_volatility)
    paths = simulate_paths(trend, horizon=horizon, n_sim=n_sim, seed=seed, anchor=anchor)
    above = at_least(paths, threshold)
    crossed = above.any(axis=1)
    first_k = np.where(crossed, above.argmax(axis=1) + 1, np.iinfo(np.int64).max)
    years = np.where(crossed, trend.last_year + first_k, np.inf)

    def pct(q: float) -> int | None:
        v = float(np.percentile(years, q, method="inverted_cdf"))
        return None if math.isinf(v) else int(v)

    return Crossing(
        threshold,
        pct(50),
        pct(10),
        pct(90),
        float(crossed.mean()),
        False,
        trend.last_year + horizon,
    )


def backtest(
    series: Any,
    *,
    fit_until: int,
    n_sim: int = 2000,
    seed: int = 0,
    transform: Transform = "log",
    anchor: Anchor = "last",
    min_volatility: float = MIN_VOLATILITY,
) -> pd.DataFrame:
    """Fit on the observations up to ``fit_until`` and compare projections with later ones.

    One row per later observed year: ``fit_until, year, horizon, actual, projected, p10, p90,
    error`` (projected / actual − 1), ``log_error`` (ln projected − ln actual), ``inside``
    (actual within p10–p90) and ``n_fit`` (observations used). Empty when nothing is later.
    """
    s = _as_series(series)
    train = s[s.index <= fit_until]
    test = s[s.index > fit_until]
    rows = []
    for year_key, actual in test.items():
        year = int(str(year_key))
        proj = project(
            train,
            to_year=int(year),
            n_sim=n_sim,
            seed=seed,
            transform=transform,
            anchor=anchor,
            min_volatility=min_volatility,
        )
        rows.append(
            {
                "fit_until": fit_until,
                "year": int(year),
                "horizon": int(year) - int(train.index[-1]),
                "actual": float(actual),
                "projected": proj.value,
                "p10": proj.p10,
                "p90": proj.p90,
                "error": proj.value / float(actual) - 1.0,
                "log_error": math.log(proj.value / float(actual)),
                "inside": bool(proj.p10 <= actual <= proj.p90),
                "n_fit": len(train),
            }
        )
    columns = [
        "fit_until",
        "year",
        "horizon",
        "actual",
        "projected",
        "p10",
        "p90",
        "error",
        "log_error",
        "inside",
        "n_fit",
    ]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------- actuals


def actual_key(ref: ActualRef) -> str:
    """The ``indicator`` under which a target's actuals appear in the actuals table."""
    if ref.kind == "observation":
        if not ref.indicator:
            raise AnalysisError("an observation actual needs an indicator")
        return ref.indicator
    if ref.kind == "cluster_size":
        return f"cluster_size:{ref.cluster}:{ref.measure or 'revenue'}"
    if ref.kind == "cluster_count":
        return f"cluster_count:{ref.level}"
    return f"tag_count:{ref.tag}"


ACTUAL_COLUMNS = [
    "indicator",
    "region",
    "year",
    "value",
    "bound",
    "low",
    "high",
    "source",
    "source_row",
    "synthetic",
]


def observation_actuals(observations: Tabular, region: str) -> pd.DataFrame:
    """Observation rows for ``region`` (all-industry rows; targets themselves left out).

    ``observations``: the workspace ``observation`` table (Ibis) or a frame such as
    ``refdata.beijing_facts()``. Columns used: ``indicator, region, year, value, bound`` and
    when present ``low, high, source, source_row, industry, is_target, period``.
    """
    frame = to_pandas(observations)
    frame = frame[frame["region"].astype(str) == str(region)]
    if "industry" in frame.columns:
        frame = frame[frame["industry"].isna()]
    if "is_target" in frame.columns:
        frame = frame[~frame["is_target"].astype(bool)]
    if "period" in frame.columns:
        frame = frame[frame["period"].isna() | (frame["period"] == "year")]
    out = pd.DataFrame(
        {
            "indicator": frame["indicator"].astype(str),
            "region": frame["region"].astype(str),
            "year": frame["year"].astype("int64"),
            "value": frame["value"].astype(float),
            "bound": frame["bound"].fillna("=").astype(str) if "bound" in frame else "=",
            "low": frame["low"].astype(float) if "low" in frame else np.nan,
            "high": frame["high"].astype(float) if "high" in frame else np.nan,
            "source": frame["source"].astype(str) if "source" in frame else "",
            "source_row": (
                frame["source_row"].astype("Int64")
                if "source_row" in frame
                else pd.array([pd.NA] * len(frame), dtype="Int64")
            ),
            "synthetic": False,
        }
    )
    return out.reset_index(drop=True)


def monitor_actuals(
    monitor: Tabular,
    plan: Plan,
    *,
    region: str | None = None,
    measures: Iterable[str] = ("revenue", "value_added", "employees"),
    synthetic: bool = True,
    source: str = "cluster monitor",
) -> pd.DataFrame:
    """Actuals derived from the cluster monitor (``cluster, region, year, <measures>, level``).

    Gives ``cluster_size:<cluster>:<measure>`` per cluster and year, and
    ``cluster_count:<level>`` = number of the plan's top-level clusters (no parent, not an
    aggregate) whose ``level`` is that level in that year. ``synthetic`` marks every row (the
    monitor of a synthetic registry).
    """
    frame = to_pandas(monitor)
    region = region or plan.region
    frame = frame[frame["region"].astype(str) == str(region)]
    parts = []
    for measure in measures:
        if measure not in frame.columns:
            continue
        part = pd.DataFrame(
            {
                "indicator": "cluster_size:" + frame["cluster"].astype(str) + f":{measure}",
                "year": frame["year"].astype("int64"),
                "value": frame[measure].astype(float),
            }
        )
        parts.append(part)
    if "level" in frame.columns:
        top = {c.id for c in plan.clusters if c.parent is None and c.group != "aggregate"}
        levels = frame[frame["cluster"].isin(top)]
        years = sorted(frame["year"].astype("int64").unique())
        for level in plan.levels:
            counts = (
                levels[levels["level"] == level.id]
                .groupby("year")
                .size()
                .reindex(years, fill_value=0)
            )
            parts.append(
                pd.DataFrame(
                    {
                        "indicator": f"cluster_count:{level.id}",
                        "year": np.asarray(counts.index, dtype="int64"),
                        "value": counts.to_numpy(dtype=float),
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=ACTUAL_COLUMNS)
    out = pd.concat(parts, ignore_index=True).dropna(subset=["value"])
    out["region"] = str(region)
    out["bound"] = "="
    out["low"] = np.nan
    out["high"] = np.nan
    out["source"] = source
    out["source_row"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["synthetic"] = synthetic
    return out[ACTUAL_COLUMNS]


def tag_actuals(
    tags: Tabular, region: str, *, synthetic: bool = True, source: str = "firm_tag"
) -> pd.DataFrame:
    """``tag_count:<tag>`` actuals: distinct firms per tag and year in a ``firm_tag`` table."""
    frame = to_pandas(tags)
    counts = frame.groupby(["tag", "year"])["firm_id"].nunique().reset_index()
    return pd.DataFrame(
        {
            "indicator": "tag_count:" + counts["tag"].astype(str),
            "region": str(region),
            "year": counts["year"].astype("int64"),
            "value": counts["firm_id"].astype(float),
            "bound": "=",
            "low": np.nan,
            "high": np.nan,
            "source": source,
            "source_row": pd.array([pd.NA] * len(counts), dtype="Int64"),
            "synthetic": synthetic,
        }
    )


def assemble_actuals(
    plan: Plan,
    *,
    observations: Tabular | None = None,
    monitor: Tabular | None = None,
    tags: Tabular | None = None,
    synthetic_monitor: bool = True,
    monitor_source: str = "cluster monitor",
) -> pd.DataFrame:
    """The actuals table for :func:`track`: observations (real facts) + monitor + tags rows
    (``monitor_source`` names the monitor rows' source, e.g. its basis)."""
    parts = []
    if observations is not None:
        parts.append(observation_actuals(observations, plan.region))
    if monitor is not None:
        parts.append(
            monitor_actuals(monitor, plan, synthetic=synthetic_monitor, source=monitor_source)
        )
    if tags is not None:
        parts.append(tag_actuals(tags, plan.region, synthetic=synthetic_monitor))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=ACTUAL_COLUMNS)
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- tracking


_BOUND_RANK = {"=": 0, "range": 1, ">": 2, "<": 2}


def _series_for(actuals: pd.DataFrame, key: str, region: str, as_of: int | None) -> pd.DataFrame:
    rows = actuals[(actuals["indicator"] == key) & (actuals["region"].astype(str) == region)]
    if as_of is not None:
        rows = rows[rows["year"] <= as_of]
    rows = rows.dropna(subset=["value"])
    if rows.empty:
        return rows
    # one value per year: prefer exact values over ranges over bounds
    rows = rows.assign(_rank=rows["bound"].map(_BOUND_RANK).fillna(3))
    rows = rows.sort_values(["year", "_rank"]).drop_duplicates("year", keep="first")
    return rows.drop(columns="_rank").reset_index(drop=True)


def satisfied(
    comparator: str,
    value: float,
    bound: str = "=",
    *,
    target: float | None = None,
    low: float | None = None,
    high: float | None = None,
    actual_low: float | None = None,
    actual_high: float | None = None,
) -> bool:
    """True when *every* true value consistent with the actual satisfies the target.

    ``bound``: ``=`` exact; ``>`` the true value exceeds ``value`` (a lower bound); ``<`` it is
    below ``value``; ``range``: it lies in ``actual_low..actual_high``.
    """
    if (
        bound == "range"
        and actual_low is not None
        and actual_high is not None
        and not (math.isnan(actual_low) or math.isnan(actual_high))
    ):
        lo, hi = actual_low, actual_high
    elif bound == ">":
        lo, hi = value, math.inf
    elif bound == "<":
        lo, hi = -math.inf, value
    else:
        lo = hi = value
    if comparator == ">=":
        assert target is not None
        return lo >= target
    if comparator == "<=":
        assert target is not None
        return hi <= target
    if comparator == "between":
        assert low is not None and high is not None
        return lo >= low and hi <= high
    return False


def status_for(probability: float) -> str:
    """``on track`` (≥ 0.7), ``at risk`` (0.3–0.7) or ``off track`` (< 0.3)."""
    if probability >= ON_TRACK:
        return "on track"
    if probability >= AT_RISK:
        return "at risk"
    return "off track"


def _goal(target: Target, latest: float) -> float | None:
    """The value to aim at: the target value, or for ranges the nearer edge of the range."""
    if target.comparator == "between":
        assert target.low is not None and target.high is not None
        if latest < target.low:
            return target.low
        if latest > target.high:
            return target.high
        return latest
    return target.value


def _track_one(
    target: Target,
    rows: pd.DataFrame,
    *,
    n_sim: int,
    seed: int,
    anchor: Anchor,
    min_volatility: float,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "target_id": target.id,
        "name_zh": target.name_zh,
        "name_en": target.name_en,
        "indicator": target.indicator,
        "scope": target.scope,
        "comparator": target.comparator,
        "target_value": target.value,
        "target_low": target.low,
        "target_high": target.high,
        "unit": target.unit,
        "year": target.year,
        "n_obs": len(rows),
        "source": target.source,
        "actual_kind": target.actual.kind,
        "synthetic": bool(rows["synthetic"].astype(bool).any()) if len(rows) else False,
        "note": "",
    }
    if rows.empty:
        out["status"] = "tracked" if target.comparator == "track" else "no data"
        ref = target.actual
        hint = import_hint(
            ref.kind,
            indicator=ref.indicator or "",
            cluster=ref.cluster or target.scope or "",
            tag=ref.tag or "",
        )
        out["note"] = f"no actual for {actual_key(ref)!r}: {hint}"
        return out
    last = rows.iloc[-1]
    latest = float(last["value"])
    latest_year = int(last["year"])
    bound = str(last["bound"])
    out.update(latest_value=latest, latest_year=latest_year, latest_bound=bound)
    src = str(last.get("source", ""))
    if "source_row" in rows.columns and not pd.isna(last.get("source_row")):
        src += f" (facts_official.csv row {int(last['source_row'])})"
    out["actual_source"] = src
    notes = []
    if bound in (">", "<"):
        notes.append(f"latest actual is a bound ({bound}{latest:g}); projections start from it")

    integer = target.unit == "count"
    transform: Transform = "logit" if target.unit == "fraction" else "log"
    goal = _goal(target, latest) if target.comparator != "track" else None
    if goal is not None:
        if target.comparator == "<=":
            out["gap"] = latest - goal
        else:
            out["gap"] = (
                goal - latest
                if target.comparator == ">="
                else (goal - latest if latest < goal else latest - goal)
            )
        out["required_cagr"] = required_cagr(latest, latest_year, goal, target.year)

    met = target.comparator != "track" and satisfied(
        target.comparator,
        latest,
        bound,
        target=target.value,
        low=target.low,
        high=target.high,
        actual_low=_num(last.get("low")),
        actual_high=_num(last.get("high")),
    )

    series = rows.set_index("year")["value"].astype(float)
    projection: Projection | None = None
    if len(series) >= 2 and target.year > latest_year:
        try:
            projection = project(
                series,
                to_year=target.year,
                n_sim=n_sim,
                seed=_stream(seed, target.id),
                transform=transform,
                anchor=anchor,
                min_volatility=min_volatility,
            )
        except AnalysisError as exc:
            notes.append(str(exc))
    if len(series) >= 2:
        with contextlib.suppress(AnalysisError):
            out["trend_cagr"] = fit_trend(
                series, transform=transform, min_volatility=min_volatility
            ).growth
    if projection is not None:
        out.update(projected_summary(projection, integer=integer))
        if target.comparator != "track":
            out["probability"] = projection.probability(
                target.comparator, target.value, target.low, target.high, integer=integer
            )

    if target.comparator == "track":
        out["status"] = "tracked"
    elif met:
        out["status"] = "met"
        out["probability"] = 1.0 if target.year <= latest_year else out.get("probability")
    elif latest_year >= target.year:
        out["status"] = "missed"
        out["probability"] = 0.0
    elif projection is None:
        out["status"] = "insufficient data"
        notes.append("fewer than two observations: no trend" if len(series) < 2 else "")
    else:
        out["status"] = status_for(float(out["probability"]))
    out["note"] = "; ".join(n for n in notes if n)
    return out


def import_hint(
    kind: str,
    lang: str = "en",
    *,
    indicator: str = "",
    cluster: str = "",
    tag: str = "",
    region: str = "",
) -> str:
    """What to import so that a target whose actual is of ``kind`` (``observation``,
    ``cluster_size``, ``cluster_count``, ``tag_count``) gets data, in ``lang`` (i18n
    ``targets.import.<kind>``)."""
    from clusteratlas.i18n import t

    return t(f"targets.import.{kind}", lang).format(
        indicator=indicator, region=region or "the plan region", cluster=cluster, tag=tag
    )


def projected_summary(projection: Projection, *, integer: bool = False) -> dict[str, float]:
    """``projected_value, projected_p10, projected_p90`` of a projection. ``integer`` (counts
    such as firms): every simulated path is rounded to a whole number first, the interval is
    taken with the inverted-CDF rule (so its ends are simulated values, i.e. whole numbers) and
    the central value is rounded — a count is never shown as 2,208.1."""
    if not integer:
        return {
            "projected_value": projection.value,
            "projected_p10": projection.p10,
            "projected_p90": projection.p90,
        }
    counts = np.rint(projection.samples)
    p10, p90 = (float(v) for v in np.percentile(counts, [10, 90], method="inverted_cdf"))
    return {
        "projected_value": float(np.rint(projection.value)),
        "projected_p10": p10,
        "projected_p90": p90,
    }


def _num(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return float(value)


def track(
    plan: Plan,
    actuals: pd.DataFrame,
    *,
    as_of: int | None = None,
    n_sim: int = 2000,
    seed: int = 0,
    anchor: Anchor = "last",
    min_volatility: float = MIN_VOLATILITY,
) -> pd.DataFrame:
    """Status of every target of ``plan`` given ``actuals`` (see the module docstring).

    ``actuals``: ``indicator, region, year, value, bound`` (+ ``low, high, source,
    source_row, synthetic``) in canonical units, e.g. from :func:`assemble_actuals`.
    ``as_of``: ignore actuals after this year (for "what did we know in 2021"). Returns one row
    per target with the columns :data:`TRACK_COLUMNS` (values in canonical units: yuan,
    fractions, counts; growth rates and probabilities as fractions).
    """
    missing = [
        c for c in ("indicator", "region", "year", "value", "bound") if c not in actuals.columns
    ]
    if missing:
        raise AnalysisError(f"track: actuals lack column(s) {', '.join(missing)}")
    frame = actuals.copy()
    if "synthetic" not in frame.columns:
        frame["synthetic"] = False
    frame["year"] = frame["year"].astype("int64")
    rows = []
    for target in plan.targets:
        series = _series_for(frame, actual_key(target.actual), plan.region, as_of)
        rows.append(
            _track_one(
                target, series, n_sim=n_sim, seed=seed, anchor=anchor, min_volatility=min_volatility
            )
        )
    result = pd.DataFrame(rows)
    for column in TRACK_COLUMNS:
        if column not in result.columns:
            result[column] = np.nan
    float_cols = [
        "target_value",
        "target_low",
        "target_high",
        "latest_value",
        "gap",
        "required_cagr",
        "trend_cagr",
        "projected_value",
        "projected_p10",
        "projected_p90",
        "probability",
    ]
    result[float_cols] = result[float_cols].astype(float)
    result["latest_year"] = result["latest_year"].astype("Int64")
    return result[TRACK_COLUMNS]


def cluster_crossings(
    plan: Plan,
    sizes: pd.DataFrame,
    *,
    level: str | None = None,
    n_sim: int = 2000,
    seed: int = 0,
    horizon: int = 30,
    anchor: Anchor = "last",
    facts: bool = True,
) -> pd.DataFrame:
    """Projected year each cluster crosses ``level`` (default: the plan's top level, 1万亿元).

    ``sizes``: ``cluster, year, value, synthetic`` in yuan — one series per cluster (e.g. the
    monitor's revenue at the plan region, or real observed series, see :func:`cluster_series`).
    Returns :data:`CROSSING_COLUMNS`: ``cluster, threshold, crossing_year, crossing_p10,
    crossing_p90, p_within, already, last_year, last_value, synthetic, crossing_before`` ("in
    or before ``crossing_year``") and ``crossing_source`` (the plan fact or contained cluster
    that set it; see :func:`consistent_crossings`; ``facts=False`` for series of another
    region than the plan's, which the plan's ``reached`` facts do not describe).
    """
    level_id, threshold = (
        plan.levels_desc()[0]
        if level is None
        else next(((lv.id, lv.threshold) for lv in plan.levels if lv.id == level), (None, math.nan))
    )
    if level_id is None:
        raise AnalysisError(f"plan {plan.id}: no level {level!r}")
    rows = []
    for cluster, group in sizes.groupby("cluster", sort=True):
        series = group.set_index("year")["value"].astype(float)
        series = series[series > 0]
        base = {
            "cluster": cluster,
            "threshold": threshold,
            "synthetic": bool(group["synthetic"].astype(bool).any())
            if "synthetic" in group
            else False,
            "last_year": int(series.index.max()) if len(series) else None,
            "last_value": float(series.iloc[-1]) if len(series) else math.nan,
        }
        try:
            c = crossing_year(
                series,
                threshold,
                n_sim=n_sim,
                seed=_stream(seed, str(cluster)),
                horizon=horizon,
                anchor=anchor,
            )
        except AnalysisError:
            rows.append(
                {
                    **base,
                    "crossing_year": None,
                    "crossing_p10": None,
                    "crossing_p90": None,
                    "p_within": math.nan,
                    "already": False,
                }
            )
            continue
        rows.append(
            {
                **base,
                "crossing_year": c.year,
                "crossing_p10": c.p10,
                "crossing_p90": c.p90,
                "p_within": c.p_within,
                "already": c.already,
                "crossing_before": c.before,
            }
        )
    out = pd.DataFrame(rows, columns=CROSSING_COLUMNS[:-1])
    out["crossing_before"] = out["crossing_before"].fillna(False).astype(bool)
    out["crossing_source"] = ""
    out = consistent_crossings(plan, out, level_id, facts=facts)
    for column in ("crossing_year", "crossing_p10", "crossing_p90", "last_year"):
        out[column] = out[column].astype("Int64")
    return out


CROSSING_COLUMNS = [
    "cluster",
    "threshold",
    "crossing_year",
    "crossing_p10",
    "crossing_p90",
    "p_within",
    "already",
    "last_year",
    "last_value",
    "synthetic",
    "crossing_before",
    "crossing_source",
]


def _containers(plan: Plan) -> dict[str, list[str]]:
    """cluster id → the clusters that contain it by construction: its ``parent`` and every
    aggregate that includes it."""
    plain = [c.id for c in plan.clusters if not c.includes]
    out: dict[str, list[str]] = {c.id: [] for c in plan.clusters}
    for cluster in plan.clusters:
        if cluster.parent:
            out[cluster.id].append(cluster.parent)
        if cluster.includes:
            for member in plain if "*" in cluster.includes else cluster.includes:
                if member != cluster.id:
                    out[member].append(cluster.id)
    return out


def consistent_crossings(
    plan: Plan, crossings: pd.DataFrame, level: str, *, facts: bool = True
) -> pd.DataFrame:
    """Apply the plan's published ``reached`` facts and the hierarchy to crossing years.

    * A fact ``first`` (the source says the cluster got to ``level`` that year) sets the
      crossing year. A fact "at the level by YEAR" turns a later or merely projected crossing
      into "in or before YEAR" (``crossing_before``); ``crossing_source`` names the fact.
    * A cluster that contains another (its parent, an aggregate) is at least as large, so it
      cannot cross later: its crossing becomes the contained cluster's when that is earlier
      (an observed one as "in or before" that year).
    """
    rows: dict[str, dict[str, Any]] = {
        str(r["cluster"]): {str(k): v for k, v in r.items()}
        for r in crossings.to_dict(orient="records")
    }

    def year_of(row: dict[str, Any]) -> int | None:
        value = row.get("crossing_year")
        return None if value is None or pd.isna(value) else int(value)

    for cluster in plan.clusters:
        row = rows.get(cluster.id)
        if row is None:
            continue
        for fact in (f for f in cluster.reached if f.level == level and facts):
            year = year_of(row)
            if fact.first:
                row.update(crossing_year=fact.year, crossing_p10=fact.year, crossing_before=False)
            elif bool(row["already"]) and year is not None and year <= fact.year:
                continue
            else:
                row.update(crossing_year=fact.year, crossing_p10=None, crossing_before=True)
            row.update(
                crossing_p90=fact.year, already=True, p_within=1.0, crossing_source=fact.source
            )
    containers = _containers(plan)
    for _ in range(len(plan.clusters)):  # children before parents: repeat to a fixed point
        changed = False
        for child, parents in containers.items():
            inner = rows.get(child)
            c_year = None if inner is None else year_of(inner)
            if inner is None or c_year is None:
                continue
            for parent in parents:
                outer = rows.get(parent)
                if outer is None:
                    continue
                p_year = year_of(outer)
                if p_year is not None and p_year <= c_year:
                    continue
                observed = bool(inner["already"])
                outer.update(
                    crossing_year=c_year,
                    crossing_p10=None if observed else inner["crossing_p10"],
                    crossing_p90=inner["crossing_p90"],
                    already=observed,
                    p_within=float(np.nanmax([inner["p_within"], outer["p_within"], 0.0])),
                    crossing_before=observed or bool(inner["crossing_before"]),
                    crossing_source=f"contains {child}",
                )
                changed = True
        if not changed:
            break
    return pd.DataFrame(list(rows.values()), columns=list(crossings.columns))


def cluster_series(
    plan: Plan,
    *,
    monitor: Tabular | None = None,
    observations: Tabular | None = None,
    measure: str | None = None,
    synthetic_monitor: bool = True,
    region: str | None = None,
) -> pd.DataFrame:
    """One size series per cluster (``cluster, year, value, synthetic, basis``) in yuan.

    A cluster whose ``observed`` maps the measure to a real observation indicator (e.g.
    医药健康 → ``medicine_health_industry_scale``) uses the real series when ``observations``
    has at least two values for it, or one value already at the plan's top level
    (``basis = 'observed'``); otherwise the monitor's size at the plan region
    (``basis = 'monitor'``, flagged ``synthetic_monitor``). A single real value below the top
    level gives no trend, so the monitor is preferred then. ``region``: the monitor rows to
    use (default: the plan region).
    """
    measure = measure or plan.measure
    top = plan.levels_desc()[0][1]
    parts = []
    observed_ids: set[str] = set()
    if observations is not None:
        obs = observation_actuals(observations, plan.region)
        for cluster in plan.clusters:
            indicator = cluster.observed.get(measure)
            if not indicator:
                continue
            rows = _series_for(obs, indicator, plan.region, None)
            if len(rows) < 2 and not (len(rows) == 1 and float(rows["value"].iloc[0]) >= top):
                continue
            observed_ids.add(cluster.id)
            parts.append(
                pd.DataFrame(
                    {
                        "cluster": cluster.id,
                        "year": rows["year"],
                        "value": rows["value"],
                        "synthetic": False,
                        "basis": "observed",
                    }
                )
            )
    if monitor is not None:
        mon = to_pandas(monitor)
        mon = mon[
            (mon["region"].astype(str) == (region or plan.region))
            & ~mon["cluster"].isin(list(observed_ids))
        ]
        if measure in mon.columns and len(mon):
            parts.append(
                pd.DataFrame(
                    {
                        "cluster": mon["cluster"].astype(str),
                        "year": mon["year"].astype("int64"),
                        "value": mon[measure].astype(float),
                        "synthetic": synthetic_monitor,
                        "basis": "monitor",
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=["cluster", "year", "value", "synthetic", "basis"])
    return pd.concat(parts, ignore_index=True)


def crossing_probabilities(
    sizes: pd.DataFrame,
    threshold: float,
    *,
    by_year: int,
    fit_until: int,
    n_sim: int = 2000,
    seed: int = 0,
    anchor: Anchor = "last",
    min_volatility: float = MIN_VOLATILITY,
) -> pd.DataFrame:
    """For each cluster, the probability of being at or above ``threshold`` in ``by_year`` using
    only observations up to ``fit_until`` (a backtest of level counts such as 万亿级 clusters).

    ``sizes``: ``cluster, year, value`` (yuan). Returns ``cluster, n_fit, last_year,
    last_value, already`` (an observation ≤ ``fit_until`` already reached the threshold) and
    ``probability`` (1 if already; NaN with fewer than two observations). The expected number
    of clusters at the level in ``by_year`` is the sum of the probabilities (NaN rows aside).
    """
    rows = []
    for cluster, group in sizes.groupby("cluster", sort=True):
        series = _as_series(group[["year", "value"]])
        series = series[series.index <= fit_until]
        if series.empty:
            continue
        already = bool((series >= threshold).any())
        probability = math.nan
        if already:
            probability = 1.0
        elif len(series) >= 2 and by_year > int(series.index[-1]):
            proj = project(
                series,
                to_year=by_year,
                n_sim=n_sim,
                seed=_stream(seed, str(cluster)),
                anchor=anchor,
                min_volatility=min_volatility,
            )
            probability = proj.probability(">=", threshold)
        rows.append(
            {
                "cluster": cluster,
                "n_fit": len(series),
                "last_year": int(series.index[-1]),
                "last_value": float(series.iloc[-1]),
                "already": already,
                "probability": probability,
            }
        )
    return pd.DataFrame(
        rows, columns=["cluster", "n_fit", "last_year", "last_value", "already", "probability"]
    )
