"""Actuals assembly: the tidy ``indicator, region, year, value, bound`` table the tracker reads.

Observation targets look up their ``indicator``; monitor-derived actuals use keys built by
:func:`actual_key` (``cluster_size:<cluster>:<measure>``, ``cluster_count:<level>``,
``tag_count:<tag>``). :func:`assemble_actuals` builds the table from the observation table
(workspace or ``refdata.beijing_facts()``), the cluster monitor's output and firm tags;
:func:`series_for` picks one series out of it (one value per year). Values are in canonical
units: yuan, persons, fractions, counts.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from clusteratlas.analysis._tabular import Tabular, to_pandas
from clusteratlas.errors import AnalysisError
from clusteratlas.model.plan import ActualRef, Plan


def actual_key(ref: ActualRef) -> str:
    """The ``indicator`` under which a target's actuals appear in the actuals table.

    Parameters
    ----------
    ref : ActualRef
        A target's ``actual`` (kind ``observation``, ``cluster_size``, ``cluster_count`` or
        ``tag_count``).

    Returns
    -------
    str
        The observation indicator, or ``cluster_size:<cluster>:<measure>``,
        ``cluster_count:<level>``, ``tag_count:<tag>``.
    """
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
    """Observation rows for a region (all-industry rows; targets themselves left out).

    Parameters
    ----------
    observations : Tabular
        The workspace ``observation`` table (Ibis) or a frame such as
        ``refdata.beijing_facts()``. Columns used: ``indicator, region, year, value, bound`` and
        when present ``low, high, source, source_row, industry, is_target, period``.
    region : str
        Region code (GB/T 2260, e.g. ``110000``).

    Returns
    -------
    pandas.DataFrame
        :data:`ACTUAL_COLUMNS`, values in the observations' canonical units (yuan, persons,
        fractions), ``synthetic`` False.
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
    """Actuals derived from the cluster monitor.

    Parameters
    ----------
    monitor : Tabular
        Monitor output: ``cluster, region, year, <measures>, level``.
    plan : Plan
        The plan (its clusters and levels).
    region : str, optional
        Monitor rows to use (default: the plan region).
    measures : iterable of str
        Monitor columns to turn into ``cluster_size`` actuals (revenue and value added in yuan,
        employees in persons).
    synthetic : bool
        Marks every row (the monitor of a synthetic registry).
    source : str
        The rows' ``source``.

    Returns
    -------
    pandas.DataFrame
        :data:`ACTUAL_COLUMNS`: ``cluster_size:<cluster>:<measure>`` per cluster and year, and
        ``cluster_count:<level>`` = number of the plan's top-level clusters (no parent, not an
        aggregate) whose ``level`` is that level in that year.
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
    """``tag_count:<tag>`` actuals: distinct firms per tag and year.

    Parameters
    ----------
    tags : Tabular
        A ``firm_tag`` table (``firm_id, year, tag``).
    region : str
        Region code the counts are reported under.
    synthetic : bool
        Marks every row.
    source : str
        The rows' ``source``.

    Returns
    -------
    pandas.DataFrame
        :data:`ACTUAL_COLUMNS`, ``value`` = number of firms.
    """
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
    """The actuals table for :func:`clusteratlas.analysis.targets.track`.

    Parameters
    ----------
    plan : Plan
        The plan (its region, clusters and levels).
    observations : Tabular, optional
        Observation rows (real facts, :func:`observation_actuals`).
    monitor : Tabular, optional
        Cluster monitor output (:func:`monitor_actuals`).
    tags : Tabular, optional
        ``firm_tag`` rows (:func:`tag_actuals`).
    synthetic_monitor : bool
        Marks the monitor and tag rows synthetic.
    monitor_source : str
        ``source`` of the monitor rows, e.g. its basis.

    Returns
    -------
    pandas.DataFrame
        :data:`ACTUAL_COLUMNS` in canonical units (yuan, persons, fractions, counts).
    """
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


_BOUND_RANK = {"=": 0, "range": 1, ">": 2, "<": 2}


def series_for(actuals: pd.DataFrame, key: str, region: str, as_of: int | None) -> pd.DataFrame:
    """One actual series: the rows of one indicator and region, one value per year.

    Parameters
    ----------
    actuals : pandas.DataFrame
        An actuals table (:data:`ACTUAL_COLUMNS`).
    key : str
        Indicator (:func:`actual_key`).
    region : str
        Region code.
    as_of : int, optional
        Ignore years after this one.

    Returns
    -------
    pandas.DataFrame
        The rows sorted by year, NaN values dropped; where a year has several, an exact value
        is preferred over a range over a bound (``>``/``<``).
    """
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
