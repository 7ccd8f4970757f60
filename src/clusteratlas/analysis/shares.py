"""Shares: one definition each, used by the cluster monitor and the target tracker alike.

* **Share of GDP** (占地区生产总值比重) of X in year *t* = value added of X in *t* ÷ the region's
  GDP in *t*, both in yuan at current prices, as a fraction (0.301 = 30.1 %). GDP is the
  ``gdp`` observation of that region and year — the figure as first published for the year
  (the packaged facts record its census ``vintage``; a census revision of an earlier year is a
  different indicator, ``gdp_revised``, and never mixed in). Where a year has several ``gdp``
  rows, an exact value wins over a range, which wins over a bound (as for every actual).
* **Share of value added** (占增加值比重) of a part in a whole = value added of the part ÷ value
  added of the whole, same region, year and vintage.

The monitor's ``share_gdp`` (:func:`clusteratlas.analysis.clusters.monitor`) is the share of
GDP of a cluster's value added **as measured on the monitor's basis** (a registry's firm value
added, or value-added statistics), with GDP from :func:`gdp_by_year`. A published share (e.g.
高精尖产业增加值占GDP比重 30.1 % in 2021, facts row 36) is the same ratio computed by the
statistics bureau on its own scope — the ten high-end industries (十大高精尖产业) — and is what
the tracker's share targets read; the monitor shows it beside its own figure as
``share_gdp_published`` (a cluster's ``observed: {share_gdp: <indicator>}``), so a gap between
the two is visible and attributable (different data, same definition), never a second
definition.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clusteratlas.analysis._tabular import Tabular, to_pandas

_BOUND_RANK = {"=": 0, "range": 1, ">": 2, "<": 2}


def share_of_gdp(value_added: Any, gdp: Any) -> Any:
    """Value added ÷ GDP (both yuan, same region and year) as a fraction; NaN where GDP is 0
    or missing. Scalars or arrays.

    Parameters
    ----------
    value_added : float or array
        Value added (yuan).
    gdp : float or array
        GDP of the same region and year (yuan).

    Returns
    -------
    float or array
        The share 0–1 (NaN where GDP is 0 or missing).

    Examples
    --------
    >>> share_of_gdp(1.2e11, 4.8e12)
    0.025
    """
    va = np.asarray(value_added, dtype=float)
    den = np.asarray(gdp, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((den > 0) & np.isfinite(den), va / den, np.nan)
    return float(out) if out.ndim == 0 else out


def share_of_value_added(part: Any, whole: Any) -> Any:
    """Value added of a part ÷ value added of the whole (yuan, same region, year, vintage).

    Parameters
    ----------
    part : float or array
        Value added of the part (yuan).
    whole : float or array
        Value added of the whole (yuan).

    Returns
    -------
    float or array
        The share 0–1.
    """
    return share_of_gdp(part, whole)


def gdp_by_year(observations: Tabular, *, indicator: str = "gdp") -> pd.DataFrame:
    """``region, year, gdp`` (yuan): one GDP per region and year from an observation table
    (all-industry rows, targets left out; exact values before ranges before bounds, then
    file order).

    Parameters
    ----------
    observations : pandas.DataFrame or Ibis table
        Canonical ``observation`` rows (``region, industry, year, indicator, value, bound``;
        value in yuan).
    indicator : str
        The GDP indicator name.

    Returns
    -------
    pandas.DataFrame
        ``region, year, gdp`` (yuan).
    """
    frame = to_pandas(observations)
    rows = frame[frame["indicator"] == indicator]
    if "industry" in rows.columns:
        rows = rows[rows["industry"].isna()]
    if "is_target" in rows.columns:
        rows = rows[~rows["is_target"].astype(bool)]
    bound = rows["bound"] if "bound" in rows.columns else pd.Series("=", index=rows.index)
    out = pd.DataFrame(
        {
            "region": rows["region"].astype(str),
            "year": rows["year"].astype("int64"),
            "gdp": rows["value"].astype(float),
            "_rank": bound.fillna("=").map(_BOUND_RANK).fillna(3),
            "_order": np.arange(len(rows)),
        }
    )
    out = out.sort_values(["region", "year", "_rank", "_order"])
    out = out.drop_duplicates(["region", "year"], keep="first")
    return out.drop(columns=["_rank", "_order"]).reset_index(drop=True)


def published_shares(
    monitor_frame: pd.DataFrame, observations: Tabular, plan: Any, region: str
) -> pd.Series:
    """``share_gdp_published`` for each monitor row: the published share of GDP of the row's
    cluster (its ``observed['share_gdp']`` indicator) in the row's year at ``region``; NaN
    where none is published.

    Parameters
    ----------
    monitor_frame : pandas.DataFrame
        Monitor rows (``cluster``, ``year``).
    observations : pandas.DataFrame or Ibis table
        Canonical ``observation`` rows.
    plan : Plan
        The plan whose clusters name the published indicators.
    region : str
        GB/T 2260 code the shares are published for.

    Returns
    -------
    pandas.Series
        The published share (0–1) per row of ``monitor_frame``, NaN where none.
    """
    from clusteratlas.analysis.actuals import observation_actuals

    indicators = {c.id: c.observed["share_gdp"] for c in plan.clusters if "share_gdp" in c.observed}
    if not indicators or monitor_frame.empty:
        return pd.Series(np.nan, index=monitor_frame.index, dtype=float)
    obs = observation_actuals(observations, region)
    obs = obs[obs["indicator"].isin(list(indicators.values())) & (obs["bound"] == "=")]
    values = obs.drop_duplicates(["indicator", "year"]).set_index(["indicator", "year"])["value"]
    keys = zip(monitor_frame["cluster"].map(indicators), monitor_frame["year"], strict=True)
    published = [
        values.get((ind, int(year)), np.nan) if isinstance(ind, str) else np.nan
        for ind, year in keys
    ]
    at_region = monitor_frame["region"].astype(str) == str(region)
    return pd.Series(np.where(at_region, published, np.nan), index=monitor_frame.index)
