"""Plan target tracking: latest actual, gap, required growth, projection and status.

The tracker answers, for every target of a plan, *where are we* (the latest actual and how far
it is from the target), *what would it take* (the compound annual growth rate required to hit
the target by its year) and *where is the trend heading* (a log-linear projection with a
Monte Carlo interval and the probability of meeting the target). Its rooms:

* :mod:`clusteratlas.analysis.projection` — the statistics (growth rates, trend, draws,
  projection, the goal comparison, backtests; method in its docstring and ``docs/targets.md``);
* :mod:`clusteratlas.analysis.actuals` — the actuals table the tracker reads;
* :mod:`clusteratlas.analysis.crossings` — the year each cluster crosses a plan level;
* this module — the tracker itself (:func:`track`).

Each target draws its own stream derived from ``seed`` and its id
(:func:`~clusteratlas.analysis.projection.item_seed`). The probability of meeting a target by
its year is the share of simulated values at that year satisfying the comparator (counts are
rounded to whole numbers first; a count's projection and interval are whole numbers too,
:func:`projected_summary`).

Bounds
------
An actual published as a lower bound (``>3万亿``) is used at its bound value: a ``>`` actual at
or above a ``>=`` target is *met* (every value consistent with it satisfies the target); below
it, the projection starts from the bound, so the probability is a conservative (low) estimate.
``<`` actuals mirror this; ``range`` actuals count as met only when the whole range satisfies
the target.

Status rule (:func:`status_for`)
--------------------------------
``tracked`` (comparator ``track``), ``no data`` (no actual for the target), ``met`` (the latest
actual satisfies the target, bound-aware as above), ``missed`` (the target year is reached or
past and the latest actual at/after it does not satisfy it), ``insufficient data`` (fewer than
two observations: no trend), else by the probability ``p`` of meeting it by its year:
``on track`` (p ≥ 0.7), ``at risk`` (0.3 ≤ p < 0.7), ``off track`` (p < 0.3).
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np
import pandas as pd

from clusteratlas.analysis.actuals import (
    actual_key,
    assemble_actuals,
    monitor_actuals,
    observation_actuals,
    series_for,
)
from clusteratlas.analysis.crossings import (
    cluster_crossings,
    cluster_series,
    consistent_crossings,
    crossing_probabilities,
    crossing_year,
    observed_crossing,
)
from clusteratlas.analysis.growth import cagr
from clusteratlas.analysis.projection import (
    MIN_VOLATILITY,
    Anchor,
    Projection,
    Transform,
    at_least,
    backtest,
    fit_trend,
    item_seed,
    probability_meeting,
    project,
    required_cagr,
)
from clusteratlas.errors import AnalysisError
from clusteratlas.i18n import t
from clusteratlas.model.plan import Plan, Target

#: The tracker's own names, and the names that moved to ``projection``, ``actuals`` and
#: ``crossings`` but are still imported from here by the tests and ``docs/targets.md``.
__all__ = [
    "AT_RISK",
    "MIN_VOLATILITY",
    "ON_TRACK",
    "STATUSES",
    "TRACK_COLUMNS",
    "assemble_actuals",
    "at_least",
    "backtest",
    "cagr",
    "cluster_crossings",
    "cluster_series",
    "consistent_crossings",
    "crossing_probabilities",
    "crossing_year",
    "fit_trend",
    "import_hint",
    "monitor_actuals",
    "observation_actuals",
    "observed_crossing",
    "probability_meeting",
    "project",
    "projected_summary",
    "required_cagr",
    "satisfied",
    "status_for",
    "track",
]

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

    Parameters
    ----------
    comparator : {">=", "<=", "between", "track"}
        The target's comparator (``track`` is never satisfied).
    value : float
        The actual, in the target's unit (yuan, fraction, count).
    bound : {"=", ">", "<", "range"}
        ``=`` exact; ``>`` the true value exceeds ``value`` (a lower bound); ``<`` it is below
        ``value``; ``range``: it lies in ``actual_low..actual_high``.
    target : float, optional
        Goal of ``>=``/``<=``.
    low, high : float, optional
        Range of ``between``.
    actual_low, actual_high : float, optional
        The actual's range (``bound="range"``).

    Returns
    -------
    bool
        Whether the target is met whatever the true value within the bound.
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
    """The status a probability of meeting the target implies.

    Parameters
    ----------
    probability : float
        Probability of meeting the target by its year, a fraction 0–1.

    Returns
    -------
    str
        ``on track`` (≥ :data:`ON_TRACK`), ``at risk`` (≥ :data:`AT_RISK`) or ``off track``.
    """
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


def _num(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return float(value)


# ---------------------------------------------------------------- one target, step by step


def _target_fields(target: Target, rows: pd.DataFrame) -> dict[str, Any]:
    """What the plan says about the target, and how many actuals it has."""
    return {
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


def _no_data_fields(target: Target) -> dict[str, Any]:
    """Status and note of a target without any actual: what to import for it."""
    ref = target.actual
    hint = import_hint(
        ref.kind,
        indicator=ref.indicator or "",
        cluster=ref.cluster or target.scope or "",
        tag=ref.tag or "",
    )
    return {
        "status": "tracked" if target.comparator == "track" else "no data",
        "note": f"no actual for {actual_key(ref)!r}: {hint}",
    }


def _latest_fields(rows: pd.DataFrame) -> dict[str, Any]:
    """The latest actual: value, year, bound and where it comes from."""
    last = rows.iloc[-1]
    source = str(last.get("source", ""))
    if "source_row" in rows.columns and not pd.isna(last.get("source_row")):
        source += f" (facts_official.csv row {int(last['source_row'])})"
    return {
        "latest_value": float(last["value"]),
        "latest_year": int(last["year"]),
        "latest_bound": str(last["bound"]),
        "actual_source": source,
    }


def _gap_fields(target: Target, latest: float, latest_year: int) -> dict[str, Any]:
    """Distance to the goal (positive = still to go) and the growth per year it takes."""
    goal = _goal(target, latest) if target.comparator != "track" else None
    if goal is None:
        return {}
    if target.comparator == ">=":
        gap = goal - latest
    elif target.comparator == "<=":
        gap = latest - goal
    else:  # between: the distance to the nearer edge
        gap = abs(goal - latest)
    return {"gap": gap, "required_cagr": required_cagr(latest, latest_year, goal, target.year)}


def _is_met(target: Target, last: pd.Series) -> bool:
    """Whether every value consistent with the latest actual satisfies the target."""
    return target.comparator != "track" and satisfied(
        target.comparator,
        float(last["value"]),
        str(last["bound"]),
        target=target.value,
        low=target.low,
        high=target.high,
        actual_low=_num(last.get("low")),
        actual_high=_num(last.get("high")),
    )


def _projection(
    target: Target,
    series: pd.Series,
    *,
    n_sim: int,
    seed: int,
    anchor: Anchor,
    min_volatility: float,
) -> tuple[Projection | None, str]:
    """The projection to the target year (``None`` without a trend or a future year) and the
    reason it failed, if it did."""
    if len(series) < 2 or target.year <= int(series.index[-1]):
        return None, ""
    try:
        projection = project(
            series,
            to_year=target.year,
            n_sim=n_sim,
            seed=item_seed(seed, target.id),
            transform=_transform(target),
            anchor=anchor,
            min_volatility=min_volatility,
        )
    except AnalysisError as exc:
        return None, str(exc)
    return projection, ""


def _transform(target: Target) -> Transform:
    return "logit" if target.unit == "fraction" else "log"


def _trend_fields(target: Target, series: pd.Series, min_volatility: float) -> dict[str, Any]:
    """The trend's growth per year (fraction), when there is a trend."""
    if len(series) < 2:
        return {}
    with contextlib.suppress(AnalysisError):
        trend = fit_trend(series, transform=_transform(target), min_volatility=min_volatility)
        return {"trend_cagr": trend.growth}
    return {}


def _projection_fields(target: Target, projection: Projection | None) -> dict[str, Any]:
    """Projected value and interval, and the probability of meeting the target by its year."""
    if projection is None:
        return {}
    integer = target.unit == "count"
    out: dict[str, Any] = dict(projected_summary(projection, integer=integer))
    if target.comparator != "track":
        out["probability"] = projection.probability(
            target.comparator, target.value, target.low, target.high, integer=integer
        )
    return out


def _status_fields(
    target: Target,
    *,
    met: bool,
    latest_year: int,
    n_series: int,
    projection: Projection | None,
    probability: float | None,
) -> dict[str, Any]:
    """Status (see the module docstring), the probability it implies and a note."""
    if target.comparator == "track":
        return {"status": "tracked"}
    if met:
        return {
            "status": "met",
            "probability": 1.0 if target.year <= latest_year else probability,
        }
    if latest_year >= target.year:
        return {"status": "missed", "probability": 0.0}
    if projection is None:
        note = "fewer than two observations: no trend" if n_series < 2 else ""
        return {"status": "insufficient data", "note": note}
    assert probability is not None
    return {"status": status_for(float(probability))}


def _track_one(
    target: Target,
    rows: pd.DataFrame,
    *,
    n_sim: int,
    seed: int,
    anchor: Anchor,
    min_volatility: float,
) -> dict[str, Any]:
    """One row of :func:`track`: the target, its latest actual, gap, projection and status."""
    out = _target_fields(target, rows)
    if rows.empty:
        return {**out, **_no_data_fields(target)}
    latest = _latest_fields(rows)
    out.update(latest)
    notes = []
    if latest["latest_bound"] in (">", "<"):
        notes.append(
            f"latest actual is a bound ({latest['latest_bound']}{latest['latest_value']:g}); "
            "projections start from it"
        )
    out.update(_gap_fields(target, latest["latest_value"], latest["latest_year"]))
    series = rows.set_index("year")["value"].astype(float)
    projection, failure = _projection(
        target, series, n_sim=n_sim, seed=seed, anchor=anchor, min_volatility=min_volatility
    )
    notes.append(failure)
    out.update(_trend_fields(target, series, min_volatility))
    out.update(_projection_fields(target, projection))
    status = _status_fields(
        target,
        met=_is_met(target, rows.iloc[-1]),
        latest_year=latest["latest_year"],
        n_series=len(series),
        projection=projection,
        probability=out.get("probability"),
    )
    notes.append(status.pop("note", ""))
    out.update(status)
    out["note"] = "; ".join(n for n in notes if n)
    return out


# --------------------------------------------------------------------------- public


def import_hint(
    kind: str,
    lang: str = "en",
    *,
    indicator: str = "",
    cluster: str = "",
    tag: str = "",
    region: str = "",
) -> str:
    """What to import so that a target gets data (i18n ``targets.import.<kind>``).

    Parameters
    ----------
    kind : {"observation", "cluster_size", "cluster_count", "tag_count"}
        The kind of the target's actual.
    lang : {"en", "zh"}
        Language of the hint.
    indicator, cluster, tag : str
        Names the hint mentions.
    region : str
        Region named in the hint (default: "the plan region").

    Returns
    -------
    str
        The hint.
    """
    return t(f"targets.import.{kind}", lang).format(
        indicator=indicator, region=region or "the plan region", cluster=cluster, tag=tag
    )


def projected_summary(projection: Projection, *, integer: bool = False) -> dict[str, float]:
    """The projected value and interval of a projection.

    ``integer`` (counts such as firms): every simulated path is rounded to a whole number
    first, the interval is taken with the inverted-CDF rule (so its ends are simulated values,
    i.e. whole numbers) and the central value is rounded — a count is never shown as 2,208.1.

    Parameters
    ----------
    projection : Projection
        A projection (:func:`~clusteratlas.analysis.projection.project`).
    integer : bool
        The values are counts.

    Returns
    -------
    dict
        ``projected_value, projected_p10, projected_p90`` in the projection's unit.
    """
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
    """Status of every target of a plan given its actuals (see the module docstring).

    Parameters
    ----------
    plan : Plan
        The plan (its targets and region).
    actuals : pandas.DataFrame
        ``indicator, region, year, value, bound`` (+ ``low, high, source, source_row,
        synthetic``) in canonical units (yuan, persons, fractions, counts), e.g. from
        :func:`~clusteratlas.analysis.actuals.assemble_actuals`.
    as_of : int, optional
        Ignore actuals after this year (for "what did we know in 2021").
    n_sim : int
        Simulated paths per target.
    seed : int
        Seed; each target draws its own stream from it.
    anchor : {"last", "trend"}
        Where projections start.
    min_volatility : float
        Floor on σ, log points per √year.

    Returns
    -------
    pandas.DataFrame
        One row per target, columns :data:`TRACK_COLUMNS`: values in canonical units (yuan,
        fractions, counts); growth rates and probabilities as fractions.
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
        series = series_for(frame, actual_key(target.actual), plan.region, as_of)
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
