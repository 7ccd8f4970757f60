"""Regional coordination: where each chain node's capacity sits across a region group.

For a region group (e.g. ``jingjinji``: Beijing, Tianjin, Hebei) and each chain node:
the members' revenue and firm counts, each member's **share** of the group's node revenue,
its **LQ** against the whole registry (member node share of member revenue ÷ node share of all
revenue), the **specialist** (member with the highest LQ ≥ 1, i.e. complementarity: which
member specialises in which node) and **gaps**: nodes where no member reaches LQ 1
(``gap = 'weak'``) or no member has a firm (``gap = 'missing'``). Members are the group's
top-level regions (provinces for ``jingjinji``; districts for ``beijing_districts``); a firm
belongs to the member whose code contains its region code. Money in yuan.
"""

from __future__ import annotations

from typing import Any

import ibis
import numpy as np
import pandas as pd

from clusteratlas.analysis._tabular import Tabular, require_columns, to_ibis
from clusteratlas.analysis.chains import chain_inputs, node_table
from clusteratlas.analysis.statistics import Basis
from clusteratlas.errors import AnalysisError
from clusteratlas.geo import region_prefix
from clusteratlas.model.plan import Plan


def group_members(region_groups: Tabular | None, group: str) -> list[str]:
    """Top-level member codes of ``group`` (members not contained in another member).

    Parameters
    ----------
    region_groups : pandas.DataFrame, Ibis table or None
        ``group, region`` rows; None = packaged reference data.
    group : str
        Group id (e.g. ``jingjinji``).

    Returns
    -------
    list of str
        Sorted GB/T 2260 codes of the group's top-level members.
    """
    if region_groups is None:
        from clusteratlas.refdata import region_groups as packaged

        region_groups = packaged()
    table, _ = to_ibis(region_groups)
    require_columns(table, ["group", "region"], "regions: region_groups")
    codes = sorted(set(table.filter(table.group == group).region.to_pandas().astype(str)))
    if not codes:
        known = sorted(set(table.group.to_pandas()))
        raise AnalysisError(f"unknown region group {group!r}; groups: {', '.join(known)}")
    top = []
    for code in codes:
        contained = any(
            other != code and region_prefix(other) and code.startswith(region_prefix(other))
            for other in codes
        )
        if not contained:
            top.append(code)
    return top


def capacity(
    firms: Tabular,
    firm_years: Tabular,
    plan: Plan,
    *,
    group: str,
    region_groups: Tabular | None = None,
    year: int | None = None,
    chain: str | None = None,
) -> pd.DataFrame:
    """One row per chain node × group member: ``revenue, firms, share_of_group, lq``,
    plus per node ``specialist`` (member id or empty) and ``gap`` ('', 'weak', 'missing').

    Parameters
    ----------
    firms : pandas.DataFrame or Ibis table
        Canonical ``firm`` rows.
    firm_years : pandas.DataFrame or Ibis table
        Canonical ``firm_year`` rows (revenue in yuan).
    plan : Plan
        The plan whose chains define the nodes.
    group : str
        Region group id (e.g. ``jingjinji``).
    region_groups : pandas.DataFrame, Ibis table or None
        ``group, region`` rows; None = packaged reference data.
    year : int or None
        Year; None = the latest in ``firm_years``.
    chain : str or None
        One chain id, or None for every chain.

    Returns
    -------
    pandas.DataFrame
        Revenue in yuan, ``firms`` a count, ``share_of_group`` a share 0–1, ``lq``
        dimensionless.
    """
    members = group_members(region_groups, group)
    _, active, node_members, y = chain_inputs(firms, firm_years, plan, chain, year)
    prefixes = pd.DataFrame(
        {"member": members, "prefix": [region_prefix(m) for m in members]}
    ).assign(plen=lambda d: d["prefix"].str.len())
    parts = []
    for plen in sorted(set(prefixes["plen"])):
        sub = ibis.memtable(prefixes[prefixes["plen"] == plen][["member", "prefix"]])
        keyed = active.mutate(_p=active.region.cast("string").substr(0, int(plen)))
        parts.append(keyed.join(sub, keyed._p == sub.prefix).select("firm_id", "revenue", "member"))
    located = parts[0]
    for part in parts[1:]:
        located = located.union(part)

    rows = node_members.join(located, "firm_id")
    per = (
        rows.group_by(["chain", "node", "member"])
        .aggregate(revenue=rows.revenue.sum(), firms=rows.firm_id.nunique())
        .to_pandas()
    )
    member_total = located.group_by("member").aggregate(member_total=located.revenue.sum())
    member_total_df = member_total.to_pandas()
    all_total = float(active.revenue.sum().to_pandas() or 0.0)
    node_total = (
        node_members.join(active, "firm_id")
        .group_by(["chain", "node"])
        .aggregate(node_national=lambda t: t.revenue.sum())
        .to_pandas()
    )

    grid = node_table(plan, chain).merge(pd.DataFrame({"member": members}), how="cross")
    out = grid.merge(per, on=["chain", "node", "member"], how="left")
    out = out.merge(member_total_df, on="member", how="left").merge(
        node_total, on=["chain", "node"], how="left"
    )
    out["revenue"] = out["revenue"].astype("float64").fillna(0.0)
    out["firms"] = out["firms"].fillna(0).astype("int64")
    group_rev = out.groupby(["chain", "node"])["revenue"].transform("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share_of_group"] = np.where(group_rev > 0, out["revenue"] / group_rev, np.nan)
        member_share = out["revenue"] / out["member_total"].astype("float64")
        node_share = out["node_national"].astype("float64") / all_total if all_total else np.nan
        out["lq"] = np.where(out["node_national"].fillna(0) > 0, member_share / node_share, np.nan)

    best = (
        out.sort_values(["lq", "member"], ascending=[False, True])
        .groupby(["chain", "node"], as_index=False)
        .first()[["chain", "node", "member", "lq"]]
    )
    best["specialist"] = np.where(best["lq"] >= 1.0, best["member"], "")
    node_firms = out.groupby(["chain", "node"], as_index=False)["firms"].sum()
    best = best.merge(node_firms, on=["chain", "node"])
    best["gap"] = np.select(
        [best["firms"] == 0, best["specialist"] == ""], ["missing", "weak"], default=""
    )
    out = out.merge(best[["chain", "node", "specialist", "gap"]], on=["chain", "node"])
    out.insert(0, "group", group)
    out.insert(1, "year", y)
    columns = [
        "group",
        "year",
        "chain",
        "node",
        "stage",
        "name_zh",
        "name_en",
        "member",
        "revenue",
        "firms",
        "share_of_group",
        "lq",
        "specialist",
        "gap",
    ]
    return out.sort_values(["chain", "position", "member"])[columns].reset_index(drop=True)


def workspace_capacity(
    workspace: Any,
    plan: Plan,
    *,
    group: str = "jingjinji",
    chain: str | None = None,
    year: int | None = None,
    basis: Basis | None = None,
) -> pd.DataFrame:
    """:func:`capacity` on a workspace, on the firm registry or on statistics (``basis``;
    default: the one covering the plan region, see
    :func:`~clusteratlas.analysis.statistics.choose_basis`).

    On statistics the members' node revenue is the sum of the region × industry cells whose
    codes the node's code rules take (keyword-only nodes stay empty) and ``firms`` is NULL (a
    cell is not a firm). Adds ``synthetic`` and ``data_basis``.

    Parameters
    ----------
    workspace : Workspace or source
        An open workspace (or a read-only source with the same tables).
    plan : Plan
        The plan whose chains define the nodes.
    group : str
        Region group id.
    chain : str or None
        One chain id, or None for every chain.
    year : int or None
        Year; None = the latest with data.
    basis : {"registry", "statistics"} or None
        The data basis; None = chosen by :func:`~clusteratlas.analysis.statistics.choose_basis`.

    Returns
    -------
    pandas.DataFrame
        The :func:`capacity` table (revenue in yuan) with ``synthetic`` and ``data_basis``.
    """
    from clusteratlas.analysis.panel import datasets_synthetic
    from clusteratlas.analysis.statistics import choose_basis, statistics_registry

    chosen = choose_basis(workspace, plan, basis)
    groups = workspace.table("region_group")
    region_groups = groups if int(groups.count().to_pyarrow().as_py()) else None
    if chosen == "statistics":
        firms, firm_years = statistics_registry(workspace.table("observation"))
        table = "observation"
    else:
        firms, firm_years = workspace.table("firm"), workspace.table("firm_year")
        table = "firm_year"
    frame = capacity(
        firms,
        firm_years,
        plan,
        group=group,
        region_groups=region_groups,
        year=year,
        chain=chain,
    )
    if chosen == "statistics":
        frame["firms"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    frame["synthetic"] = datasets_synthetic(workspace, table)[1]
    frame["data_basis"] = chosen
    return frame
