"""Concentration indices: Herfindahl, Ellison–Glaeser γ, locational Gini.

Same contract as :mod:`clusteratlas.analysis.clusters` (pandas or Ibis in, one Ibis expression,
pandas out or the Ibis table with ``lazy=True``, no loops over rows). All indices are
dimensionless; the ``value`` they weight by is usually employees (persons) or revenue (yuan).
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from clusteratlas.analysis._tabular import Tabular, finish, require_columns, to_ibis

__all__ = ["ellison_glaeser", "herfindahl", "locational_gini"]


def _f(col: ir.Value) -> ir.FloatingValue:
    return col.cast("float64")


def _shares(t: ir.Table, keys: list[str], value: str, name: str) -> ir.Table:
    """Aggregate ``value`` over ``keys`` then divide by the total of ``keys[:-1]`` (or all)."""
    agg = t.group_by(keys).aggregate(_c_v=_f(t[value]).sum())
    outer = keys[:-1]
    tot = (
        agg.group_by(outer).aggregate(_c_t=agg._c_v.sum())
        if outer
        else agg.aggregate(_c_t=agg._c_v.sum())
    )
    # NOT NULL: a no-op for the equality join that marks ``tot`` as the small (build) side
    j = agg.join(tot.filter(tot[outer[0]].notnull()), outer) if outer else agg.cross_join(tot)
    j = j.select(*keys, "_c_v", "_c_t")
    return j.mutate(**{name: j._c_v / j._c_t.nullif(0.0)}).drop("_c_t")


def herfindahl(
    data: Tabular,
    *,
    group: str | Sequence[str],
    firm: str,
    value: str,
    lazy: bool = False,
) -> Tabular:
    """Herfindahl–Hirschman index of firm shares within each group, on the 0–1 scale.

    ``HHI_g = Σ_j s_j²`` with ``s_j`` firm j's share of the group's total ``value`` (a firm's
    rows within a group are summed first). Between ``1/n`` (n equal firms) and 1 (one firm);
    NULL for a group whose total is 0. Returns ``group`` columns, ``hhi`` and ``n_firms``
    (firms with a non-NULL value).

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        Firm rows with the ``group`` columns, ``firm`` and ``value``.
    group : str or sequence of str
        Column(s) defining the groups (e.g. region × year, or cluster).
    firm : str
        Firm id column.
    value : str
        The size measure (revenue in yuan, employees in persons).
    lazy : bool
        Return the unexecuted Ibis table instead of pandas (analysis contract).

    Returns
    -------
    pandas.DataFrame (Ibis table if ``lazy``)
        One row per group: ``group`` columns, ``hhi`` (0–1) and ``n_firms`` (count).
    """
    t, _ = to_ibis(data)
    groups = [group] if isinstance(group, str) else list(group)
    require_columns(t, [*groups, firm, value], "herfindahl")
    t = t.filter(t[value].notnull())
    # Σ (v_j / V)² = Σ v_j² / V²: two aggregations, no join of the totals back to the firms
    f = t.group_by([*groups, firm]).aggregate(_h_v=_f(t[value]).sum())
    g = f.group_by(groups).aggregate(
        _h_v2=(f._h_v * f._h_v).sum(), _h_t=f._h_v.sum(), n_firms=f[firm].count()
    )
    out = g.select(*groups, hhi=g._h_v2 / (g._h_t * g._h_t).nullif(0.0), n_firms=g.n_firms)
    return finish(out, lazy=lazy)


def ellison_glaeser(
    data: Tabular,
    *,
    industry: str,
    region: str,
    firm: str,
    value: str,
    lazy: bool = False,
) -> Tabular:
    """Ellison–Glaeser (1997) agglomeration index γ per industry from firm-level rows.

    Ellison, G. & Glaeser, E. L. (1997), "Geographic Concentration in U.S. Manufacturing
    Industries: A Dartboard Approach", *Journal of Political Economy* 105(5): 889–927:

    - ``x_r``: region r's share of total ``value`` over all industries in ``data``;
    - ``s_r``: region r's share of the industry's ``value``;
    - ``G = Σ_r (s_r − x_r)²`` (raw geographic concentration, over all regions in ``data``);
    - ``H = Σ_j z_j²``: Herfindahl of the industry's firm shares;
    - ``γ = (G / (1 − Σ_r x_r²) − H) / (1 − H)``.

    Returns per industry ``G`` (``eg_g``), ``H`` (``eg_h``), ``gamma`` and ``n_firms``.
    γ is NULL when H = 1 (a single firm) or when all activity is in one region.
    Regions where the industry is absent contribute ``x_r²`` to G; this is computed as
    ``Σ_all x_r² + Σ_present (s_r² − 2 s_r x_r)`` so no region × industry grid is built.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        Firm rows with ``industry``, ``region``, ``firm`` and ``value``.
    industry, region, firm : str
        Column names.
    value : str
        The size measure (employees in persons, as in the paper; or revenue in yuan).
    lazy : bool
        Return the unexecuted Ibis table instead of pandas (analysis contract).

    Returns
    -------
    pandas.DataFrame (Ibis table if ``lazy``)
        One row per industry: ``eg_g``, ``eg_h``, ``gamma`` (dimensionless) and ``n_firms``.
    """
    t, _ = to_ibis(data)
    require_columns(t, [industry, region, firm, value], "ellison_glaeser")
    t = t.filter(t[value].notnull())
    x = _shares(t, [region], value, "_eg_x").select(region, "_eg_x")
    sum_x2 = x.aggregate(_eg_sx2=(x._eg_x * x._eg_x).sum())
    s = _shares(t, [industry, region], value, "_eg_s").select(industry, region, "_eg_s")
    sx = s.join(x, region).select(industry, region, "_eg_s", "_eg_x")
    g_part = sx.group_by(industry).aggregate(
        _eg_gp=(sx._eg_s * sx._eg_s - 2.0 * sx._eg_s * sx._eg_x).sum()
    )
    z = _shares(t, [industry, firm], value, "_eg_z")
    h = z.group_by(industry).aggregate(eg_h=(z._eg_z * z._eg_z).sum(), n_firms=z[firm].count())
    out = g_part.join(h, industry).cross_join(sum_x2)
    out = out.select(industry, "eg_h", "n_firms", eg_g=out._eg_gp + out._eg_sx2, _sx2=out._eg_sx2)
    one_minus_h = (1.0 - out.eg_h).nullif(0.0)
    gamma = (out.eg_g / (1.0 - out._sx2).nullif(0.0) - out.eg_h) / one_minus_h
    out = out.mutate(gamma=gamma).select(industry, "eg_g", "eg_h", "gamma", "n_firms")
    return finish(out, lazy=lazy)


def locational_gini(
    data: Tabular,
    *,
    region: str,
    industry: str,
    value: str,
    lazy: bool = False,
) -> Tabular:
    """Krugman's locational Gini coefficient of each industry across regions (0 ≤ G < 1).

    Krugman, P. (1991), *Geography and Trade*, MIT Press, Appendix D (also used by Audretsch &
    Feldman 1996, AER 86(3)). With ``x_r`` region r's share of the total ``value`` of all
    industries in ``data`` and ``s_r`` its share of the industry, the regions are ranked by
    ascending ``s_r / x_r`` (the LQ); the concentration (Lorenz) curve plots cumulative ``s``
    against cumulative ``x`` and ``Gini = 1 − Σ_k x_(k) (S_k + S_(k−1))`` (twice the area between
    the diagonal and the curve), equivalently ``½ Σ_r Σ_q x_r x_q |LQ_r − LQ_q|``. 0 when the
    industry is spread like total activity; near 1 when it sits in a small region. Regions with
    no value in the industry (LQ 0) add nothing to the sum, so only present rows are needed.

    Returns ``industry``, ``gini`` and ``n_regions`` (regions with the industry).

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        Rows with ``region``, ``industry`` and ``value`` (several rows of a pair are summed).
    region, industry : str
        Column names.
    value : str
        The size measure (employees in persons, revenue in yuan).
    lazy : bool
        Return the unexecuted Ibis table instead of pandas (analysis contract).

    Returns
    -------
    pandas.DataFrame (Ibis table if ``lazy``)
        One row per industry: ``gini`` (0–1) and ``n_regions`` (count).
    """
    t, _ = to_ibis(data)
    require_columns(t, [region, industry, value], "locational_gini")
    t = t.filter(t[value].notnull())
    x = _shares(t, [region], value, "_lg_x").select(region, "_lg_x")
    s = _shares(t, [industry, region], value, "_lg_s").select(industry, region, "_lg_s")
    j = s.join(x, region).select(industry, region, "_lg_s", "_lg_x")
    j = j.filter(j._lg_s > 0)
    j = j.mutate(_lg_lq=j._lg_s / j._lg_x)
    w = ibis.window(group_by=industry, order_by=[j._lg_lq, j[region]], rows=(None, 0))
    j = j.mutate(_lg_cum=j._lg_s.sum().over(w))
    j = j.mutate(_lg_term=j._lg_x * (2.0 * j._lg_cum - j._lg_s))
    out = j.group_by(industry).aggregate(gini=1.0 - j._lg_term.sum(), n_regions=j[region].count())
    return finish(out, lazy=lazy)
