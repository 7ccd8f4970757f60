"""Cluster monitor: size, level, share, growth, LQ, concentration, shift-share, strong, stars.

Every function follows the analysis contract (docs/DESIGN.md): it takes pandas DataFrames or
Ibis tables (DuckDB workspace, PySpark, memtable), builds one Ibis expression, and returns a
pandas DataFrame — or, with ``lazy=True``, the unexecuted Ibis table on the input's backend. A
pandas input runs on DuckDB through an Ibis memtable. Nothing here loops over rows in Python.

Units: money in yuan, people in persons, shares and growth rates as fractions (0.05 = 5 %),
location quotients and concentration indices are dimensionless.

Quantiles (``strong_clusters``, ``stars``) use linear interpolation between order statistics
(numpy's default, Hyndman–Fan type 7): Ibis ``quantile`` compiles to DuckDB ``quantile_cont``
and to Spark ``percentile`` (exact), never to an approximate percentile.

Concentration indices (Herfindahl, Ellison–Glaeser, locational Gini) live in
:mod:`clusteratlas.analysis.concentration` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from clusteratlas.analysis._tabular import Tabular, finish, require_columns, to_ibis
from clusteratlas.analysis.concentration import ellison_glaeser, herfindahl, locational_gini
from clusteratlas.analysis.growth import compound_rate
from clusteratlas.errors import AnalysisError

_ORD = "_ca_row_order"

__all__ = [
    "cagr",
    "cluster_sizes",
    "ellison_glaeser",
    "growth",
    "herfindahl",
    "levels",
    "location_quotient",
    "locational_gini",
    "monitor",
    "shift_share",
    "stars",
    "strong_clusters",
]


# --------------------------------------------------------------------------- helpers


def _attach(left: ir.Table, right: ir.Table, keys: Sequence[str]) -> ir.Table:
    """Left-join ``right`` on ``keys`` (or cross-join if no keys), keeping ``left``'s columns
    and adding ``right``'s non-key columns (which must have names not in ``left``).

    ``right`` is meant to be the small side (totals per group). Its rows with a NULL first key
    are dropped first: a no-op for an equality join (a NULL key never matches), but the filter
    tells DuckDB's planner that ``right`` is the smaller input — its estimate of a GROUP BY is
    the input's row count, and without the hint it may build the hash table on ``left`` (10⁶+
    rows at fine grain) instead of on the totals."""
    extra = [c for c in right.columns if c not in keys]
    clash = [c for c in extra if c in left.columns]
    if clash:  # pragma: no cover - internal names are chosen to avoid this
        raise AnalysisError(f"internal column name clash: {clash}")
    if keys:
        right = right.filter(right[keys[0]].notnull())
    left, right = left.view(), right.view()
    joined = left.left_join(right, list(keys)) if keys else left.cross_join(right)
    return joined.select([left[c] for c in left.columns] + [right[c] for c in extra])


def _rows_in(data: Tabular) -> tuple[ir.Table, bool]:
    """Like ``to_ibis`` but tags pandas rows with ``_ord`` so the output keeps their order."""
    if isinstance(data, pd.DataFrame):
        if _ORD in data.columns:
            raise AnalysisError(f"reserved column name {_ORD!r} in input")
        return ibis.memtable(data.assign(**{_ORD: np.arange(len(data))})), True
    return to_ibis(data)


def _rows_out(result: ir.Table, was_pandas: bool, *, lazy: bool) -> Tabular:
    """Inverse of :func:`_rows_in`: the contract's output (:func:`finish`), pandas input's rows
    kept in their input order."""
    if was_pandas:
        result = result.order_by(_ORD).drop(_ORD) if not lazy else result.drop(_ORD)
    return finish(result, lazy=lazy)


def _float(col: ir.Value) -> ir.FloatingValue:
    return col.cast("float64")


def _safe_div(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    """``num / den`` as float, NULL where ``den`` is 0 or NULL (portable across backends)."""
    return _float(num) / _float(den).nullif(0.0)


# --------------------------------------------------------------------------- location quotient


def location_quotient(
    data: Tabular,
    *,
    region: str,
    industry: str,
    value: str,
    group: str | None = None,
    national: Tabular | None = None,
    lazy: bool = False,
) -> Tabular:
    """Location quotient of each region × industry row (column ``lq``, dimensionless).

    ``LQ_ri = (e_ri / e_r,g) / (E_i / E_g)`` where ``e`` is ``value`` (e.g. employees in
    persons, revenue in yuan), ``e_r,g`` the region's total over the industries of the row's
    reference group ``g`` and ``E`` the national figures. Without ``group`` there is one group
    (all industries in ``data``). ``national`` (optional) is a table with the ``industry``,
    ``value`` (and ``group``) columns giving national totals per industry: ``E_i`` then comes
    from it and ``E_g`` is the sum of ``national`` over the industries of group ``g``;
    otherwise ``E_i`` and ``E_g`` are sums over the regions in ``data``. This is the U.S. Cluster
    Mapping convention (traded cluster LQ relative to traded employment, local to local,
    national figures from the national file) when ``group`` is the cluster type.

    ``data`` has one row per region × industry (duplicates are *not* summed: each row gets its
    own LQ). ``lq`` is NULL where a denominator is 0 or the industry is missing from
    ``national``.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        One row per region × industry with ``region``, ``industry``, ``value`` (and ``group``).
    region, industry, value : str
        Column names; ``value`` is e.g. employees (persons) or revenue (yuan).
    group : str or None
        Column naming each industry's reference group (e.g. the cluster type); None = one group.
    national : pandas.DataFrame, Ibis table or None
        National totals per industry (``industry``, ``value`` and ``group``), same unit.
    lazy : bool
        Return the unexecuted Ibis table instead of pandas (analysis contract).

    Returns
    -------
    pandas.DataFrame (Ibis table if ``lazy``)
        The rows of ``data`` (pandas input: in input order) with ``lq`` added (dimensionless).
    """
    t, was_pandas = _rows_in(data)
    g = [group] if group else []
    require_columns(t, [region, industry, value, group], "location_quotient data")
    reserved = {"_lq_rt", "_lq_it", "_lq_gt"} & set(t.columns)
    if reserved:
        raise AnalysisError(f"location_quotient: reserved column name(s) {sorted(reserved)}")
    v = _float(t[value])
    rtot = t.group_by([region, *g]).aggregate(_lq_rt=v.sum())
    if national is None:
        itot = t.group_by([industry, *g]).aggregate(_lq_it=v.sum())
    else:
        n, _ = to_ibis(national)
        require_columns(n, [industry, value, group], "location_quotient national")
        itot = n.group_by([industry, *g]).aggregate(_lq_it=_float(n[value]).sum())
    gtot = (
        itot.group_by(g).aggregate(_lq_gt=itot._lq_it.sum())
        if g
        else itot.aggregate(_lq_gt=itot._lq_it.sum())
    )
    out = _attach(t, rtot, [region, *g])
    out = _attach(out, itot, [industry, *g])
    out = _attach(out, gtot, g)
    lq = _safe_div(out[value], out._lq_rt) / _safe_div(out._lq_it, out._lq_gt)
    out = out.mutate(lq=lq).drop("_lq_rt", "_lq_it", "_lq_gt")
    return _rows_out(out, was_pandas, lazy=lazy)


# --------------------------------------------------------------------------- strong clusters


def strong_clusters(
    data: Tabular,
    *,
    region: str,
    industry: str,
    employment: str,
    establishments: str,
    lq: str,
    lazy: bool = False,
) -> Tabular:
    """Flag strong clusters by the U.S. Cluster Mapping percentile rules.

    Returns the rows of ``data`` with boolean columns:

    - ``strong``: LQ ≥ Q75(LQ) and LQ ≥ 1 (USCMP "strong cluster", top quartile);
    - ``strong10``: LQ ≥ Q90(LQ) and LQ ≥ 1 (top decile);
    - ``significant``: LQ > Q50(LQ);
    - ``qualifying``: LQ > Q25(LQ);

    each also requiring employment > Q25(employment) and establishments > Q25(establishments).
    Quantiles are taken per ``industry`` over the regions with employment > 0, with linear
    interpolation (numpy default / type 7). Rows with a NULL LQ are never flagged.
    ``employment`` in persons, ``establishments`` a count.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        One row per region × industry with the four columns below.
    region, industry : str
        Key columns.
    employment : str
        Employment column (persons).
    establishments : str
        Establishment count column.
    lq : str
        Location quotient column (dimensionless, e.g. from :func:`location_quotient`).
    lazy : bool
        Return the unexecuted Ibis table instead of pandas (analysis contract).

    Returns
    -------
    pandas.DataFrame (Ibis table if ``lazy``)
        The rows of ``data`` with boolean ``strong``, ``strong10``, ``significant``,
        ``qualifying``.
    """
    t, was_pandas = _rows_in(data)
    require_columns(t, [region, industry, employment, establishments, lq], "strong_clusters")
    pos = t.filter(t[employment] > 0)
    lqv, emp, est = _float(pos[lq]), _float(pos[employment]), _float(pos[establishments])
    q = pos.group_by(industry).aggregate(
        _sc_q25=lqv.quantile(0.25),
        _sc_q50=lqv.quantile(0.5),
        _sc_q75=lqv.quantile(0.75),
        _sc_q90=lqv.quantile(0.9),
        _sc_e25=emp.quantile(0.25),
        _sc_f25=est.quantile(0.25),
    )
    out = _attach(t, q, [industry])
    x = _float(out[lq])
    size_ok = (_float(out[employment]) > out._sc_e25) & (_float(out[establishments]) > out._sc_f25)
    out = out.mutate(
        strong=((x >= out._sc_q75) & (x >= 1.0) & size_ok).fill_null(False),
        strong10=((x >= out._sc_q90) & (x >= 1.0) & size_ok).fill_null(False),
        significant=((x > out._sc_q50) & size_ok).fill_null(False),
        qualifying=((x > out._sc_q25) & size_ok).fill_null(False),
    ).drop("_sc_q25", "_sc_q50", "_sc_q75", "_sc_q90", "_sc_e25", "_sc_f25")
    return _rows_out(out, was_pandas, lazy=lazy)


# --------------------------------------------------------------------------- shift-share


def shift_share(
    start: Tabular,
    end: Tabular,
    *,
    region: str,
    industry: str,
    value: str,
    lazy: bool = False,
) -> Tabular:
    """Classic (Dunn 1960) shift-share decomposition of each region × industry change.

    ``start`` and ``end`` hold ``value`` (e.g. employees in persons) per region × industry at
    the two dates (several rows of one pair are summed; a pair missing at one date counts as 0).
    With ``e0, e1`` the region's industry values, ``g_i`` the industry's national growth rate
    and ``G`` the all-industry national growth rate — both from the sums over **all regions in
    the tables** — and ``r_ri = e1/e0 − 1``:

    - ``national = e0·G``
    - ``industry_mix = e0·(g_i − G)``
    - ``regional = e0·(r_ri − g_i)`` (computed as ``actual − e0·g_i`` so it is defined for e0 = 0)
    - ``actual = e1 − e0`` = national + industry_mix + regional (same unit as ``value``).

    Also returns ``start`` (e0) and ``end`` (e1). Where the industry had no national value at
    the start, g_i is undefined; every region then has e0 = 0 and the e0-terms are 0.

    Parameters
    ----------
    start, end : pandas.DataFrame or Ibis table
        ``region``, ``industry``, ``value`` rows at the first and the last date.
    region, industry, value : str
        Column names; ``value`` e.g. employees (persons) or revenue (yuan).
    lazy : bool
        Return the unexecuted Ibis table instead of pandas (analysis contract).

    Returns
    -------
    pandas.DataFrame (Ibis table if ``lazy``)
        One row per region × industry: ``start``, ``end``, ``national``, ``industry_mix``,
        ``regional``, ``actual`` (all in the unit of ``value``).
    """
    s, _ = to_ibis(start)
    e, _ = to_ibis(end)
    require_columns(s, [region, industry, value], "shift_share start")
    require_columns(e, [region, industry, value], "shift_share end")
    a = s.group_by([region, industry]).aggregate(_ss_e0=_float(s[value]).sum())
    b = e.group_by([region, industry]).aggregate(_ss_e1=_float(e[value]).sum())
    j = a.outer_join(b, [region, industry])
    t = j.select(
        ibis.coalesce(a[region], b[region]).name(region),
        ibis.coalesce(a[industry], b[industry]).name(industry),
        a._ss_e0.fill_null(0.0).name("start"),
        b._ss_e1.fill_null(0.0).name("end"),
    )
    nat_i = t.group_by(industry).aggregate(_ss_n0=t.start.sum(), _ss_n1=t.end.sum())
    nat = t.aggregate(_ss_t0=t.start.sum(), _ss_t1=t.end.sum())
    t = _attach(_attach(t, nat_i, [industry]), nat, [])
    big_g = _safe_div(t._ss_t1, t._ss_t0) - 1.0
    g_i = _safe_div(t._ss_n1, t._ss_n0) - 1.0
    e0g = ibis.ifelse(t.start == 0, 0.0, t.start * big_g)
    e0gi = ibis.ifelse(t.start == 0, 0.0, t.start * g_i)
    t = t.mutate(
        national=e0g,
        industry_mix=e0gi - e0g,
        regional=(t.end - t.start) - e0gi,
        actual=t.end - t.start,
    ).drop("_ss_n0", "_ss_n1", "_ss_t0", "_ss_t1")
    return finish(t, lazy=lazy)


# --------------------------------------------------------------------------- sizes, levels, growth


def cluster_sizes(
    panel: Tabular,
    *,
    region: str = "region",
    cluster: str = "cluster",
    year: str = "year",
    firm: str = "firm_id",
    measures: Sequence[str] = ("revenue", "value_added", "employees"),
    lazy: bool = False,
) -> Tabular:
    """Sum each of ``measures`` per region × cluster × year, plus ``firms`` (a count).

    ``panel`` has one row per firm × year × cluster (a firm classified in several clusters
    repeats, once per cluster), so the count of non-NULL ``firm`` values in a group is the
    number of firms. Rows whose ``cluster`` is NULL (unclassified firms) are left out. Sums keep
    the measures' units (revenue/value added in yuan, employees in persons); NULL measures are
    ignored (a group whose values are all NULL gives NULL).

    Parameters
    ----------
    panel : pandas.DataFrame or Ibis table
        Firm × year × cluster rows with ``region``, ``cluster``, ``year``, ``firm`` and the
        ``measures``.
    region, cluster, year, firm : str
        Column names.
    measures : sequence of str
        Columns to sum (revenue and value added in yuan, employees in persons).
    lazy : bool
        Return the unexecuted Ibis table instead of pandas (analysis contract).

    Returns
    -------
    pandas.DataFrame (Ibis table if ``lazy``)
        One row per region × cluster × year: the summed ``measures`` (their units) and
        ``firms`` (count).
    """
    t, _ = to_ibis(panel)
    measures = list(measures)
    require_columns(t, [region, cluster, year, firm, *measures], "cluster_sizes panel")
    if "firms" in measures:
        raise AnalysisError("cluster_sizes: 'firms' is the name of the firm count column")
    t = t.filter(t[cluster].notnull())
    out = t.group_by([cluster, region, year]).aggregate(
        **{m: _float(t[m]).sum() for m in measures}, firms=t[firm].count()
    )
    return finish(out, lazy=lazy)


def _threshold_pairs(thresholds: Iterable[Any]) -> list[tuple[str, float]]:
    pairs: list[tuple[str, float]] = []
    for item in thresholds:
        if isinstance(item, tuple | list) and len(item) == 2:
            ident, thr = item
        elif hasattr(item, "id") and hasattr(item, "threshold"):
            ident, thr = item.id, item.threshold
        else:
            raise AnalysisError(
                f"levels: each threshold must be (id, yuan) or have .id/.threshold, got {item!r}"
            )
        try:
            pairs.append((str(ident), float(thr)))
        except (TypeError, ValueError) as exc:
            raise AnalysisError(f"levels: threshold of {ident!r} is not a number: {thr!r}") from exc
    if not pairs:
        raise AnalysisError("levels: no thresholds given")
    return sorted(pairs, key=lambda p: -p[1])


def levels(
    data: Tabular,
    *,
    value: str,
    thresholds: Iterable[Any],
    column: str = "level",
    below: str = "below",
    lazy: bool = False,
) -> Tabular:
    """Assign each row the id of the highest level whose threshold ``value`` reaches.

    ``thresholds`` are ``(id, threshold)`` pairs in the unit of ``value`` (yuan for revenue),
    e.g. ``[("trillion", 1e12), ("hundred_billion", 1e11)]``, or plan ``Level`` objects
    (``.id``, ``.threshold``). A value ≥ 1e12 gets ``"trillion"``, ≥ 1e11 ``"hundred_billion"``,
    otherwise ``below``; NULL values get NULL.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        Rows with a ``value`` column.
    value : str
        The column compared with the thresholds (revenue in yuan for the plan's levels).
    thresholds : iterable of (str, float) pairs or plan ``Level`` objects
        Level ids and their thresholds in the unit of ``value``.
    column : str
        Name of the added column.
    below : str
        Id given to values under the lowest threshold.
    lazy : bool
        Return the unexecuted Ibis table instead of pandas (analysis contract).

    Returns
    -------
    pandas.DataFrame (Ibis table if ``lazy``)
        The rows of ``data`` (pandas input: in input order) with ``column`` added (text).
    """
    t, was_pandas = _rows_in(data)
    require_columns(t, [value], "levels")
    pairs = _threshold_pairs(thresholds)
    v = _float(t[value])
    expr = ibis.cases(*[(v >= thr, ident) for ident, thr in pairs], else_=below)
    out = t.mutate(**{column: ibis.ifelse(v.isnull(), ibis.null("string"), expr)})
    return _rows_out(out, was_pandas, lazy=lazy)


def growth(
    data: Tabular,
    *,
    by: Sequence[str],
    year: str,
    value: str,
    column: str | None = None,
    lazy: bool = False,
) -> Tabular:
    """Year-on-year growth of ``value`` within each ``by`` group (fraction: 0.05 = +5 %).

    ``value_t / value_{t−1} − 1`` using a window lag ordered by ``year``; NULL for the first
    year of a group, when the previous row is not year − 1 (a gap), or when the previous value
    is 0/NULL. ``data`` has one row per group × year. The column is ``<value>_yoy`` unless
    ``column`` is given.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        One row per group × year.
    by : sequence of str
        Group columns.
    year : str
        Year column (integer years).
    value : str
        The measure (any unit: yuan, persons, …).
    column : str or None
        Name of the added column; None = ``<value>_yoy``.
    lazy : bool
        Return the unexecuted Ibis table instead of pandas (analysis contract).

    Returns
    -------
    pandas.DataFrame (Ibis table if ``lazy``)
        The rows of ``data`` (pandas input: in input order) with the growth (fraction/year).
    """
    t, was_pandas = _rows_in(data)
    by = list(by)
    require_columns(t, [*by, year, value], "growth")
    w = ibis.window(group_by=by, order_by=t[year])
    prev_v = t[value].lag().over(w)
    prev_y = t[year].lag().over(w)
    yoy = ibis.ifelse(
        prev_y == t[year] - 1, _safe_div(t[value], prev_v) - 1.0, ibis.null("float64")
    )
    out = t.mutate(**{column or f"{value}_yoy": yoy})
    return _rows_out(out, was_pandas, lazy=lazy)


def cagr(
    data: Tabular,
    *,
    by: Sequence[str],
    year: str,
    value: str,
    start: int,
    end: int,
    lazy: bool = False,
) -> Tabular:
    """Compound annual growth rate of ``value`` from year ``start`` to ``end`` per ``by`` group.

    Returns one row per group with ``start_value``, ``end_value`` (unit of ``value``) and
    ``cagr = (end_value / start_value)^(1 / (end − start)) − 1`` (fraction per year); NULL when
    either year is missing or ``start_value`` ≤ 0 or ``end_value`` < 0.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        Rows per group × year (several rows of a group-year are summed).
    by : sequence of str
        Group columns.
    year : str
        Year column.
    value : str
        The measure (any unit: yuan, persons, …).
    start, end : int
        First and last year (``end > start``).
    lazy : bool
        Return the unexecuted Ibis table instead of pandas (analysis contract).

    Returns
    -------
    pandas.DataFrame (Ibis table if ``lazy``)
        One row per group: ``by`` columns, ``start_value``, ``end_value`` (unit of ``value``)
        and ``cagr`` (fraction per year), the rate of :func:`clusteratlas.analysis.growth.cagr`.
    """
    if end <= start:
        raise AnalysisError(f"cagr: end year {end} must be after start year {start}")
    t, _ = to_ibis(data)
    by = list(by)
    require_columns(t, [*by, year, value], "cagr")
    v = _float(t[value])
    agg = t.group_by(by).aggregate(
        start_value=v.sum(where=t[year] == start), end_value=v.sum(where=t[year] == end)
    )
    ok = (agg.start_value > 0) & (agg.end_value >= 0)
    rate = compound_rate(agg.start_value, agg.end_value, end - start)
    out = agg.mutate(cagr=ibis.ifelse(ok, rate, ibis.null("float64")))
    return finish(out, lazy=lazy)


# --------------------------------------------------------------------------- stars


def stars(
    data: Tabular,
    *,
    region: str,
    cluster: str,
    employment: str,
    lq: str | None = None,
    region_total: str | None = None,
    top: float = 0.10,
    specialisation: float = 2.0,
    size_within_cluster: bool = True,
    lazy: bool = False,
) -> Tabular:
    """European Cluster Observatory star rating of each region × cluster row.

    Rules of the European Cluster Observatory (Stockholm School of Economics for the European
    Commission; "Evaluation of regional cluster strength", clusterobservatory.eu; continued by
    the European Cluster Panorama), employment-based, each worth one star:

    - ``size_star``: the row's employment (persons) is in the top ``top`` (10 %) of all
      regions' employment *in the same cluster category* (ECO: "top 10% of all clusters in
      Europe within the same cluster category in terms of the number of employees"), i.e.
      ≥ the per-cluster 90th percentile (linear interpolation, rows with employment > 0). With
      ``size_within_cluster=False`` the percentile is over all region × cluster rows instead;
    - ``specialisation_star``: LQ ≥ ``specialisation`` (2.0). LQ from column ``lq`` if given,
      else computed by :func:`location_quotient` against the sum of all regions in ``data``;
    - ``focus_star``: the cluster's share of the region's total employment (``focus``,
      fraction) is in the top 10 % of all region × cluster shares (all categories). The region's
      total comes from column ``region_total`` if given (e.g. all-industry employment), else
      the sum of the clusters in ``data`` for that region.

    Adds ``focus`` and ``stars`` (0–3). Rows with employment ≤ 0 get no stars.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        One row per region × cluster.
    region, cluster : str
        Key columns.
    employment : str
        Employment column (persons).
    lq : str or None
        Column holding the LQ (dimensionless); None = computed here.
    region_total : str or None
        Column holding the region's all-industry employment (persons); None = sum of ``data``.
    top : float
        Share 0–1 of the top rows that earn the size and focus stars (0.1 = top 10 %).
    specialisation : float
        LQ at or above which the specialisation star is given.
    size_within_cluster : bool
        Rank size within each cluster category (ECO) instead of over all rows.
    lazy : bool
        Return the unexecuted Ibis table instead of pandas (analysis contract).

    Returns
    -------
    pandas.DataFrame (Ibis table if ``lazy``)
        The rows of ``data`` with ``size_star``, ``specialisation_star``, ``focus_star``
        (bool), ``focus`` (share 0–1), ``stars`` (0–3) and ``lq`` if it was computed.
    """
    t, was_pandas = _rows_in(data)
    require_columns(t, [region, cluster, employment, lq, region_total], "stars")
    if not 0 < top < 1:
        raise AnalysisError(f"stars: top must be a fraction in (0, 1), got {top}")
    if lq is None:
        t = location_quotient(t, region=region, industry=cluster, value=employment, lazy=True)
        lq = "lq"
    if region_total is None:
        rt = t.group_by(region).aggregate(_st_rt=_float(t[employment]).sum())
        t = _attach(t, rt, [region])
        tot_col = "_st_rt"
    else:
        tot_col = region_total
    t = t.mutate(focus=_safe_div(t[employment], t[tot_col]))
    pos = t.filter(t[employment] > 0)
    size_keys = [cluster] if size_within_cluster else []
    size_q = (pos.group_by(size_keys) if size_keys else pos).aggregate(
        _st_size=_float(pos[employment]).quantile(1.0 - top)
    )
    focus_q = pos.aggregate(_st_focus=pos.focus.quantile(1.0 - top))
    t = _attach(_attach(t, size_q, size_keys), focus_q, [])
    has = t[employment] > 0
    size_star = (has & (_float(t[employment]) >= t._st_size)).fill_null(False)
    spec_star = (has & (_float(t[lq]) >= specialisation)).fill_null(False)
    focus_star = (has & (t.focus >= t._st_focus)).fill_null(False)
    t = t.mutate(size_star=size_star, specialisation_star=spec_star, focus_star=focus_star)
    t = t.mutate(
        stars=t.size_star.cast("int8")
        + t.specialisation_star.cast("int8")
        + t.focus_star.cast("int8")
    )
    drop = ["_st_size", "_st_focus"] + (["_st_rt"] if region_total is None else [])
    return _rows_out(t.drop(*drop), was_pandas, lazy=lazy)


# --------------------------------------------------------------------------- monitor


def monitor(
    panel: Tabular,
    *,
    region: str = "region",
    cluster: str = "cluster",
    year: str = "year",
    firm: str = "firm_id",
    measures: Sequence[str] = ("revenue", "value_added", "employees"),
    levels: Iterable[Any],
    gdp: Tabular | None = None,
    lq_measure: str = "employees",
    level_measure: str = "revenue",
    gdp_measure: str = "value_added",
    gdp_column: str = "gdp",
    region_totals: Tabular | None = None,
    national: Tabular | None = None,
    national_total: Tabular | None = None,
    once: str | None = None,
    firm_count: str | None = None,
    lazy: bool = False,
) -> Tabular:
    """The cluster monitor: one row per cluster × region × year.

    ``panel``: firm-year rows joined with the firm's region and classified cluster (a firm in
    several clusters repeats once per cluster; unclassified firms may appear with a NULL
    cluster — they count in the region totals only). Returned columns:

    - ``cluster, region, year``; each of ``measures`` summed (yuan / persons) and ``firms``;
    - ``<measure>_yoy`` and ``firms_yoy``: growth over the previous year (fraction);
    - ``level``: level id from ``levels`` (``(id, yuan)`` pairs or plan ``Level`` objects)
      applied to ``level_measure`` (revenue, yuan), ``"below"`` under the lowest threshold;
    - ``share_gdp`` (only if ``gdp`` is given): ``gdp_measure`` (value added, yuan) divided by
      the region's GDP (``gdp`` table: ``region, year, <gdp_column>`` in yuan);
    - ``lq``: location quotient of ``lq_measure`` (employees):
      ``(e_rc / e_r) / (E_c / E)``. ``e_r`` is the region's all-industry total: from
      ``region_totals`` (``region, year, <lq_measure>``) if given, else from the panel's
      ``once`` column if given (the sum over the rows where it is true), else the sum over the
      panel's distinct firm-years of the region (each firm counted once however many clusters
      it is in). ``E_c`` and ``E`` are the sums over all regions in the panel unless
      ``national`` (``cluster, year, <lq_measure>``: national cluster totals) and
      ``national_total`` (``year, <lq_measure>``: national all-industry total) are given.

    Performance: the panel-only default for ``e_r`` needs a DISTINCT over all firm-years
    (slow on tens of millions of rows); at scale pass ``region_totals`` — e.g. the firm-year
    table joined with the firm's region, which ``monitor`` sums per region × year itself. When
    ``region_totals`` is the panel itself (one row per firm-year, e.g. ``cluster`` = the firm's
    industry at fine grain), its totals come from the same single aggregation of the panel.
    ``once`` does the same for a panel with multi-cluster and unclassified firms: a boolean
    column true on exactly one row of each firm-year (e.g. ``build_panel(…, once=True)``),
    whose ``lq_measure`` is summed by that same aggregation — one scan and no second join of
    the firm-year table.
    The panel is scanned once; the totals are joined back as small hash tables and YoY is a
    hash join on ``year − 1`` (no window sort); the only sort is the final
    ``cluster, region, year`` order. For an Arrow result call ``.to_pyarrow()`` (or
    ``.to_pyarrow_batches()``) on the lazy result: no pandas copy is made.

    Parameters
    ----------
    panel : pandas.DataFrame or Ibis table
        Firm-year × cluster rows (see above).
    region, cluster, year, firm : str
        Column names of ``panel``.
    measures : sequence of str
        Columns summed per cluster × region × year (revenue, value added in yuan; employees in
        persons).
    levels : iterable of (str, float) pairs or plan ``Level`` objects
        Size levels, thresholds in yuan of ``level_measure``.
    gdp : pandas.DataFrame, Ibis table or None
        ``region, year, <gdp_column>`` (yuan); gives ``share_gdp``.
    lq_measure, level_measure, gdp_measure : str
        The measures used for the LQ (employees), the level (revenue) and the GDP share
        (value added).
    gdp_column : str
        GDP column of ``gdp`` (yuan).
    region_totals : pandas.DataFrame, Ibis table or None
        ``region, year, <lq_measure>``: the regions' all-industry totals.
    national, national_total : pandas.DataFrame, Ibis table or None
        National cluster totals and national all-industry totals (both or neither).
    once : str or None
        Boolean column of ``panel`` true on exactly one row per firm-year: the region totals
        are the sums of ``lq_measure`` over those rows (not with ``region_totals``).
    firm_count : str or None
        Column of a panel aggregated before the monitor (e.g.
        :func:`~clusteratlas.analysis.panel.build_grouped_panel`): how many firm-years each
        row stands for; ``firms`` is its sum instead of the count of ``firm``, which is then
        not read.
    lazy : bool
        Return the unexecuted Ibis table instead of pandas (analysis contract).

    Returns
    -------
    pandas.DataFrame (Ibis table if ``lazy``)
        One row per cluster × region × year, ordered by them, with the columns above (sums in
        yuan / persons, ``firms`` a count, growth and ``share_gdp`` as fractions, ``lq``
        dimensionless).
    """
    t, _ = to_ibis(panel)
    measures = list(measures)
    for needed, what in ((lq_measure, "lq_measure"), (level_measure, "level_measure")):
        if needed not in measures:
            raise AnalysisError(f"monitor: {what} {needed!r} is not among measures {measures}")
    if gdp is not None and gdp_measure not in measures:
        raise AnalysisError(f"monitor: gdp_measure {gdp_measure!r} is not among {measures}")
    if (national is None) != (national_total is None):
        raise AnalysisError("monitor: give both national and national_total, or neither")
    if once is not None and region_totals is not None:
        raise AnalysisError("monitor: give region_totals or once, not both")
    if firm_count is not None and once is None and region_totals is None:
        raise AnalysisError("monitor: a grouped panel (firm_count) needs once or region_totals")
    counter = firm if firm_count is None else firm_count
    require_columns(t, [region, cluster, year, counter, *measures], "monitor panel")
    pairs = _threshold_pairs(levels)
    keys = [cluster, region, year]

    # One scan of the panel: sums per cluster × region × year. When the region totals are the
    # panel itself (or its ``once`` rows), the unclassified (NULL-cluster) groups are kept in
    # this same aggregate and give e_r, instead of a second scan of the panel.
    totals_in_panel = region_totals is not None and to_ibis(region_totals)[0].equals(t)
    single = totals_in_panel or once is not None
    source = t if single else t.filter(t[cluster].notnull())
    counted: dict[str, ir.Value] = {}
    if once is not None:
        require_columns(t, [once], "monitor panel")
        counted = {"_mo_once": _float(source[lq_measure]).sum(where=source[once])}
    firms = source[firm].count() if firm_count is None else source[firm_count].sum().cast("int64")
    agg = source.group_by(keys).aggregate(
        **{m: _float(source[m]).sum() for m in measures}, firms=firms, **counted
    )
    sizes = agg.filter(agg[cluster].notnull()).drop(*counted) if single else agg
    if once is not None:
        rtot = agg.group_by([region, year]).aggregate(_mo_er=agg._mo_once.sum())
    else:
        rtot = _region_totals(
            t, agg, region_totals, totals_in_panel, region, year, firm, lq_measure
        )
    if national is None:
        ctot = sizes.group_by([cluster, year]).aggregate(_mo_ec=sizes[lq_measure].sum())
        ntot = rtot.group_by(year).aggregate(_mo_e=rtot._mo_er.sum())
    else:
        n, _ = to_ibis(national)
        nt, _ = to_ibis(national_total)
        require_columns(n, [cluster, year, lq_measure], "monitor national")
        require_columns(nt, [year, lq_measure], "monitor national_total")
        ctot = n.group_by([cluster, year]).aggregate(_mo_ec=_float(n[lq_measure]).sum())
        ntot = nt.group_by(year).aggregate(_mo_e=_float(nt[lq_measure]).sum())
    # YoY: the previous year's row of the same cluster × region by a hash join on year − 1
    # (one build of the aggregate) instead of a LAG window, which sorts every partition.
    flows = [*measures, "firms"]
    prev = sizes.select(
        _mo_pc=sizes[cluster],
        _mo_pr=sizes[region],
        _mo_py=sizes[year] + 1,
        **{f"_mo_p_{m}": sizes[m] for m in flows},
    )
    out = sizes.left_join(
        prev,
        [
            sizes[cluster] == prev._mo_pc,
            sizes[region].identical_to(prev._mo_pr),
            sizes[year] == prev._mo_py,
        ],
    )
    # the totals are small hash tables joined to the aggregate (see _attach)
    out = _attach(out, rtot, [region, year])
    out = _attach(_attach(out, ctot, [cluster, year]), ntot, [year])
    lq = _safe_div(out[lq_measure], out._mo_er) / _safe_div(out._mo_ec, out._mo_e)
    out = out.mutate(lq=lq).drop("_mo_er", "_mo_ec", "_mo_e")
    yoy = {f"{m}_yoy": _safe_div(out[m], out[f"_mo_p_{m}"]) - 1.0 for m in flows}
    lv = _float(out[level_measure])
    level_expr = ibis.cases(*[(lv >= thr, ident) for ident, thr in pairs], else_="below")
    out = out.mutate(**yoy, level=ibis.ifelse(lv.isnull(), ibis.null("string"), level_expr))
    if gdp is not None:
        gt, _ = to_ibis(gdp)
        require_columns(gt, [region, year, gdp_column], "monitor gdp")
        gsum = gt.group_by([region, year]).aggregate(_mo_gdp=_float(gt[gdp_column]).sum())
        out = _attach(out, gsum, [region, year])
        out = out.mutate(share_gdp=_safe_div(out[gdp_measure], out._mo_gdp)).drop("_mo_gdp")
    cols = [*keys, *measures, "firms", "level"]
    if gdp is not None:
        cols += ["share_gdp"]
    cols += [f"{m}_yoy" for m in flows] + ["lq"]
    out = out.select(cols).order_by(keys)
    return finish(out, lazy=lazy)


def _region_totals(
    panel: ir.Table,
    agg: ir.Table,
    region_totals: Tabular | None,
    totals_in_panel: bool,
    region: str,
    year: str,
    firm: str,
    lq_measure: str,
) -> ir.Table:
    """``region, year, _mo_er``: the region's all-industry ``lq_measure`` (see :func:`monitor`)."""
    if totals_in_panel:
        return agg.group_by([region, year]).aggregate(_mo_er=agg[lq_measure].sum())
    if region_totals is None:
        fy = panel.select(region, year, firm, lq_measure).distinct()
        return fy.group_by([region, year]).aggregate(_mo_er=_float(fy[lq_measure]).sum())
    r, _ = to_ibis(region_totals)
    require_columns(r, [region, year, lq_measure], "monitor region_totals")
    return r.group_by([region, year]).aggregate(_mo_er=_float(r[lq_measure]).sum())
