"""Trend projection with uncertainty: growth rates, log-linear trends, Monte Carlo paths.

The statistics behind the plan target tracker (:mod:`clusteratlas.analysis.targets`), the
crossing years (:mod:`clusteratlas.analysis.crossings`) and the scenario planner
(:mod:`clusteratlas.analysis.scenario`). Pure NumPy/pandas: no workspace, plan or engine.

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
  reproducible; each item (target, cluster) gets its own stream (:func:`item_seed`).
* **Probability** of meeting a goal = share of simulated values satisfying the comparator
  (:func:`meeting`; counts are rounded to whole numbers first), up to
  :data:`RELATIVE_TOLERANCE`.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from clusteratlas.analysis.growth import cagr
from clusteratlas.errors import AnalysisError

Transform = Literal["log", "logit"]
Anchor = Literal["last", "trend"]

#: Floor on the yearly volatility σ (log points per √year). The two real series with at least
#: three increments in ``beijing_facts`` give σ̂ = 0.046 (医药健康 scale 2014–2023) and 0.048
#: (nominal GDP 2015–2024); the floor keeps two-point series (no σ̂) from claiming certainty.
MIN_VOLATILITY = 0.045

#: Relative tolerance of "at or above" / "at most": a sum calibrated to exactly its goal (e.g. a
#: synthetic cluster calibrated to 1万亿元) differs from it in the last digits with the order of
#: DuckDB's parallel float sums; without it a flat path met the goal or not by chance.
RELATIVE_TOLERANCE = 1e-9

BACKTEST_COLUMNS = [
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


# --------------------------------------------------------------------------- growth rates


def required_cagr(
    latest_value: float, latest_year: int, target_value: float, target_year: int
) -> float:
    """Growth rate per year needed to go from the latest actual to the target.

    Parameters
    ----------
    latest_value, target_value : float
        Latest actual and target in one unit (e.g. yuan).
    latest_year, target_year : int
        Calendar years of the actual and the target.

    Returns
    -------
    float
        Fraction per year; NaN when the target year is not after the latest year; negative
        when the latest value is already above the target (the rate that could be *lost*
        while still meeting it).
    """
    return cagr(latest_value, target_value, target_year - latest_year)


# --------------------------------------------------------------------------- trend


def _forward(values: np.ndarray, transform: Transform) -> np.ndarray:
    if transform == "logit":
        return np.log(values / (1.0 - values))
    return np.log(values)


def _inverse(z: np.ndarray, transform: Transform) -> np.ndarray:
    if transform == "logit":
        return 1.0 / (1.0 + np.exp(-z))
    return np.exp(z)


def as_series(series: Any) -> pd.Series:
    """A year → value series in the form every projection reads.

    Parameters
    ----------
    series : pandas.Series, pandas.DataFrame or Mapping
        A Series indexed by year, a DataFrame with columns ``year`` and ``value``, or a
        ``{year: value}`` mapping (values in canonical units).

    Returns
    -------
    pandas.Series
        Float values indexed by int year, sorted by year, NaN dropped.

    Raises
    ------
    AnalysisError
        On another type, a DataFrame without ``year``/``value`` or duplicate years.
    """
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
    """Fit the trend of a series.

    Parameters
    ----------
    series : Series, DataFrame or Mapping
        Year → value in canonical units (yuan, persons, fractions), at least two points (see
        :func:`as_series`).
    transform : {"log", "logit"}
        ``log`` for positive values, ``logit`` for shares strictly between 0 and 1.
    min_volatility : float
        Floor on σ, log points per √year.

    Returns
    -------
    Trend
        OLS line on the transformed scale and the random-walk volatility.

    Raises
    ------
    AnalysisError
        With fewer than two points or values outside the transform's domain.
    """
    s = as_series(series)
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


# --------------------------------------------------------------------------- draws


def _rng(seed: int | Iterable[int]) -> np.random.Generator:
    return np.random.default_rng(seed if isinstance(seed, int) else list(seed))


def item_seed(seed: int, key: str) -> list[int]:
    """The seed sequence for one item (a target id or a cluster id).

    Results do not depend on the order items are processed in; other analyses (the scenario
    planner) use it to draw exactly the tracker's paths.

    Parameters
    ----------
    seed : int
        The run's seed.
    key : str
        The item's id.

    Returns
    -------
    list of int
        ``[seed, crc32(key)]``, a seed sequence for ``numpy.random.default_rng``.
    """
    return [seed, zlib.crc32(key.encode("utf-8"))]


def draw_increments(
    trend: Trend, *, horizon: int, n_sim: int = 2000, seed: int | Iterable[int] = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The random draws behind :func:`simulate_paths`.

    ``z_t = z0 + Σ_{k≤t} (drift + shock_k)``; the same ``seed`` gives the same draws as
    :func:`simulate_paths`, so a caller can rebuild or adjust the tracker's paths.

    Parameters
    ----------
    trend : Trend
        The fitted trend.
    horizon : int
        Years to simulate past the trend's last year (≥ 1).
    n_sim : int
        Number of paths (≥ 1).
    seed : int or sequence of int
        Seed of ``numpy.random.default_rng`` (e.g. from :func:`item_seed`).

    Returns
    -------
    drift : numpy.ndarray
        Per-path drifts, shape ``(n_sim,)``, log points per year.
    shocks : numpy.ndarray
        Yearly shocks, shape ``(n_sim, horizon)``, log points.
    """
    if horizon < 1:
        raise AnalysisError(f"simulate: horizon must be ≥ 1 year, got {horizon}")
    if n_sim < 1:
        raise AnalysisError(f"simulate: n_sim must be ≥ 1, got {n_sim}")
    rng = _rng(seed)
    drift = trend.slope + trend.se_slope * rng.standard_normal(n_sim)
    shocks = trend.sigma * rng.standard_normal((n_sim, horizon))
    return drift, shocks


def _start(trend: Trend, anchor: Anchor) -> float:
    """The transformed value paths start from: the latest observation or the trend line."""
    if anchor == "last":
        return float(_forward(np.array([trend.values[-1]]), trend.transform)[0])
    return trend.intercept + trend.slope * trend.last_year


def simulate_paths(
    trend: Trend,
    *,
    horizon: int,
    n_sim: int = 2000,
    seed: int | Iterable[int] = 0,
    anchor: Anchor = "last",
) -> np.ndarray:
    """Simulated values for the years ``last_year + 1 … last_year + horizon``.

    Each path draws a drift ``N(slope, se_slope²)`` and independent yearly shocks
    ``N(0, sigma²)`` on the transformed scale (:func:`draw_increments`).

    Parameters
    ----------
    trend : Trend
        The fitted trend.
    horizon : int
        Years past the trend's last year (≥ 1).
    n_sim : int
        Number of paths.
    seed : int or sequence of int
        Seed of the draws.
    anchor : {"last", "trend"}
        Start from the latest observation or the trend line at the latest year.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_sim, horizon)``, in the series' canonical unit (yuan, fraction, …).
    """
    drift, shocks = draw_increments(trend, horizon=horizon, n_sim=n_sim, seed=seed)
    z = _start(trend, anchor) + np.cumsum(drift[:, None] + shocks, axis=1)
    return _inverse(z, trend.transform)


# --------------------------------------------------------------------------- goals


def at_least(values: np.ndarray, goal: float) -> np.ndarray:
    """Which values are at or above a goal.

    Parameters
    ----------
    values : numpy.ndarray
        Values in the goal's unit.
    goal : float
        The goal.

    Returns
    -------
    numpy.ndarray of bool
        ``values >= goal`` up to :data:`RELATIVE_TOLERANCE` of ``goal``.
    """
    return np.asarray(values >= goal - RELATIVE_TOLERANCE * abs(goal))


def at_most(values: np.ndarray, goal: float) -> np.ndarray:
    """Which values are at or below a goal.

    Parameters
    ----------
    values : numpy.ndarray
        Values in the goal's unit.
    goal : float
        The goal.

    Returns
    -------
    numpy.ndarray of bool
        ``values <= goal`` up to :data:`RELATIVE_TOLERANCE` of ``goal``.
    """
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
    """Which samples satisfy a target's comparator, up to :data:`RELATIVE_TOLERANCE`.

    Parameters
    ----------
    samples : numpy.ndarray
        Simulated values in the target's unit.
    comparator : {">=", "<=", "between"}
        The target's comparator.
    value : float, optional
        Goal of ``>=`` and ``<=``.
    low, high : float, optional
        Range of ``between``.
    integer : bool
        Round samples to whole numbers first (counts such as firms).

    Returns
    -------
    numpy.ndarray of bool
        Same shape as ``samples``.
    """
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
    """Share of samples that satisfy the comparator (see :func:`meeting`).

    Parameters
    ----------
    samples : numpy.ndarray
        Simulated values in the target's unit.
    comparator, value, low, high, integer
        As in :func:`meeting`.

    Returns
    -------
    float
        Probability, a fraction 0–1.
    """
    return float(np.mean(meeting(samples, comparator, value, low, high, integer=integer)))


# --------------------------------------------------------------------------- projection


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
    """Project a series to a year with an interval.

    The central value is the anchor moved along the OLS trend (``anchor="trend"``: exactly the
    log-linear OLS line at ``to_year``); ``p10``/``p50``/``p90`` come from ``n_sim`` seeded
    Monte Carlo paths (see the module docstring).

    Parameters
    ----------
    series : Series, DataFrame or Mapping
        Year → value in canonical units (see :func:`as_series`).
    to_year : int
        Year to project to; after the last observed year.
    n_sim : int
        Number of simulated paths.
    seed : int or sequence of int
        Seed of the draws.
    transform : {"log", "logit"}
        Scale of the trend (``logit`` for shares).
    anchor : {"last", "trend"}
        Start from the latest observation or the trend line.
    min_volatility : float
        Floor on σ, log points per √year.

    Returns
    -------
    Projection
        Central value and percentiles in the series' unit, with the samples.
    """
    trend = fit_trend(series, transform=transform, min_volatility=min_volatility)
    horizon = int(to_year) - trend.last_year
    if horizon < 1:
        raise AnalysisError(
            f"project: to_year {to_year} must be after the last observed year {trend.last_year}"
        )
    paths = simulate_paths(trend, horizon=horizon, n_sim=n_sim, seed=seed, anchor=anchor)
    samples = paths[:, -1]
    z0 = _start(trend, anchor)
    central = float(_inverse(np.array([z0 + trend.slope * horizon]), trend.transform)[0])
    p10, p50, p90 = (float(v) for v in np.percentile(samples, [10, 50, 90]))
    return Projection(int(to_year), central, p10, p50, p90, samples, trend, anchor)


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
    """Fit on the observations up to a year and compare projections with later ones.

    Parameters
    ----------
    series : Series, DataFrame or Mapping
        Year → value in canonical units.
    fit_until : int
        Last year used for the fit.
    n_sim, seed, transform, anchor, min_volatility
        As in :func:`project`.

    Returns
    -------
    pandas.DataFrame
        One row per later observed year, columns :data:`BACKTEST_COLUMNS`: ``fit_until, year,
        horizon`` (years), ``actual, projected, p10, p90`` (the series' unit), ``error``
        (projected / actual − 1, fraction), ``log_error`` (ln projected − ln actual),
        ``inside`` (actual within p10–p90) and ``n_fit`` (observations used). Empty when
        nothing is later.
    """
    s = as_series(series)
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
    return pd.DataFrame(rows, columns=BACKTEST_COLUMNS)
