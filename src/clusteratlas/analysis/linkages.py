"""Input–output linkages: A, Leontief L, Ghosh B and G, multipliers, key sectors, service intensity.

All matrices are labelled square pandas DataFrames (rows = supplying sector, columns = using
sector, the same labels in the same order); vectors are labelled Series. The functions are
unit-agnostic: coefficients, inverses and multipliers are ratios (yuan per yuan), so a table
in 万元 gives the same numbers as one in yuan. :class:`~clusteratlas.analysis.iotable.IOTable`
(re-exported here) loads the packaged China tables and applies these functions.

Conventions and references (Miller & Blair, *Input-Output Analysis: Foundations and
Extensions*, 2nd ed., Cambridge UP 2009 — "M&B"):

* technical (input) coefficients ``A = Z x̂⁻¹`` (``a_ij = z_ij / x_j``, M&B §2.2);
  Leontief inverse ``L = (I − A)⁻¹`` (M&B §2.3), computed by LU factorisation and a
  solve against the identity, never by explicit inversion;
* allocation (output) coefficients ``B = x̂⁻¹ Z`` (``b_ij = z_ij / x_i``) and the Ghosh
  inverse ``G = (I − B)⁻¹ = x̂⁻¹ L x̂`` (M&B §12.1);
* output multiplier of sector j = column sum of L (M&B §6.2.1): total output in all
  sectors per unit of final demand for j; value-added and employment multipliers =
  ``v L`` with v the value-added (or persons) per unit of output (M&B §6.2.2–6.2.3, the
  "total" effect per unit of final demand, not the Type-I ratio);
* backward linkage = column sum of L, forward linkage = **row sum of the Ghosh inverse G**,
  both normalised by their average (Rasmussen 1956 "power of dispersion" / Hirschman 1958):
  ``BL_j = n Σ_i l_ij / Σ_ij l_ij`` and ``FL_i = n Σ_j g_ij / Σ_ij g_ij``. Forward linkages
  from the rows of G rather than of L follow M&B §12.2 (after Beyers 1976 and Jones 1976):
  the row sums of L answer "how much must i produce if every sector's final demand rises by
  one unit at once", an implausible stimulus, whereas the Ghosh row sum measures the
  output downstream that depends on a unit of i's primary inputs (supply side). Key
  sectors have ``BL > 1`` and ``FL > 1``; ``BL > 1 ≥ FL`` is backward-oriented,
  ``FL > 1 ≥ BL`` forward-oriented, else weak.
* service intensity of sector j: direct = Σ over service rows i of ``a_ij`` (service inputs
  per unit of j's output); total = Σ over service rows of ``(L − I)_ij`` (service output
  needed, directly and indirectly, per unit of final demand for j, not counting the unit
  delivered itself). Which sectors are services is data (sector metadata ``kind``).

Zero-output sectors: a sector with ``x_j = 0`` and no inputs and no deliveries is treated as
absent — its coefficients are zero (as in pymrio) and :func:`linkages` reports it with
quadrant ``no_output`` and NaN linkages, computing the others on the remaining sectors. A
sector with zero output that still has inputs or deliveries, or negative output, is an
inconsistent table and raises :class:`~clusteratlas.errors.AnalysisError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clusteratlas.analysis.iomath import (
    QUADRANTS,
    allocation_coefficients,
    classify_quadrants,
    ghosh_inverse,
    input_multipliers,
    leontief_inverse,
    linkages,
    output_multipliers,
    service_intensity,
    technical_coefficients,
)
from clusteratlas.analysis.iotable import IOTable
from clusteratlas.config import DEFAULT_PLAN
from clusteratlas.errors import AnalysisError

if TYPE_CHECKING:
    from clusteratlas.model.plan import Plan

__all__ = [
    "QUADRANTS",
    "IOTable",
    "allocation_coefficients",
    "cluster_linkages",
    "ghosh_inverse",
    "input_multipliers",
    "leontief_inverse",
    "linkages",
    "output_multipliers",
    "service_intensity",
    "technical_coefficients",
]

# ----------------------------------------------------------------------------------------
# clusters
# ----------------------------------------------------------------------------------------


def _sector_codes(sectors: pd.DataFrame) -> dict[str, tuple[list[str], str]]:
    """``sector -> (GB/T codes, section letter)`` from the sector metadata."""
    if "gbt_codes" not in sectors.columns:
        raise AnalysisError(
            "cluster_linkages: the table's sectors have no GB/T 4754 mapping "
            "(io_sector_map.csv covers the packaged NBS schemes only)"
        )
    codes = sectors["gbt_codes"].fillna("").astype(str).str.split()
    section = (
        sectors["section"].fillna("").astype(str)
        if "section" in sectors.columns
        else pd.Series("", index=sectors.index)
    )
    return {str(s): (list(codes.loc[s]), str(section.loc[s])) for s in sectors.index}


def _reach(
    codes: list[str], exclude: list[str], mapping: dict[str, tuple[list[str], str]]
) -> tuple[list[str], str]:
    """Sectors a cluster's code prefixes reach and the coverage (full/partial/none).

    A sector is reached if one of its GB/T codes starts with a cluster prefix (the prefix
    covers it) or a cluster prefix starts with one of its codes (the prefix is finer); it is
    fully covered if every one of its codes is covered. Section letters cover whole sections.
    """
    letters = {c for c in codes if c.isalpha()}
    digits = [c for c in codes if not c.isalpha()]
    reached: list[str] = []
    partial = False
    for sector, (gbt, section) in mapping.items():
        if section in letters:
            covered, touched = True, True
        else:
            covered = bool(gbt) and all(any(g.startswith(p) for p in digits) for g in gbt)
            touched = any(g.startswith(p) or p.startswith(g) for g in gbt for p in digits)
        if not touched:
            continue
        wholly_excluded = any(
            (e.isalpha() and section == e)
            or (not e.isalpha() and bool(gbt) and all(g.startswith(e) for g in gbt))
            for e in exclude
        )
        if wholly_excluded:
            continue
        reached.append(sector)
        cut = any(
            not e.isalpha() and any(e.startswith(g) and len(e) > len(g) for g in gbt)
            for e in exclude
        )
        partial |= cut or not covered
    if not reached:
        return [], "none"
    return sorted(reached), "partial" if partial else "full"


def cluster_linkages(table: IOTable | str, plan: Plan | str | Path = DEFAULT_PLAN) -> pd.DataFrame:
    """Sector linkages aggregated to a plan's clusters (output-weighted means).

    A cluster reaches the IO sectors whose GB/T 4754 codes (``io_sector_map.csv``) its code
    prefixes cover (prefix ``36`` → the sector mapped to division 36) or fall inside
    (class ``2710`` → the sector holding division 27: ``coverage = partial``, the cluster
    inherits the whole sector's linkages). Section letters reach every sector of that
    section; ``exclude_codes`` drop sectors they cover wholly. Aggregate clusters without
    codes take the union of their ``includes`` (``*`` = every cluster with codes).
    Keyword-only clusters reach no sector (``coverage = none``).

    Weighting: each sector's indicator weighted by its gross output ``x_j`` (a sector's
    linkage counts in proportion to its size), e.g. ``BL_c = Σ_j x_j BL_j / Σ_j x_j``;
    ``key_output_share`` = output share of key sectors; ``quadrant`` classifies the weighted
    BL/FL. ``output`` (yuan) is the national gross output of the reached sectors, not the
    cluster's size in the plan region. ``plan``: a :class:`Plan`, a plan name or a YAML path.
    Rows follow the plan's cluster order.

    Parameters
    ----------
    table : IOTable or str
        An input–output table or the name of a packaged one (``china-2020-42``).
    plan : Plan, str or Path
        The plan, a plan name or a plan YAML path.

    Returns
    -------
    pandas.DataFrame
        One row per cluster: the output-weighted linkages (dimensionless), ``output`` (yuan),
        ``key_output_share`` (share 0–1), ``coverage`` and ``quadrant``.
    """
    iot = IOTable.load(table) if isinstance(table, str) else table
    if isinstance(plan, str | Path):
        from clusteratlas.model.plan import load_plan

        plan = load_plan(plan)
    sector = iot.sector_results()
    mapping = _sector_codes(iot.sectors)
    reach: dict[str, tuple[list[str], str]] = {}
    for cluster in plan.clusters:
        if cluster.codes:
            reach[cluster.id] = _reach(list(cluster.codes), list(cluster.exclude_codes), mapping)
    for cluster in plan.clusters:
        if cluster.codes or cluster.id in reach:
            continue
        includes = list(getattr(cluster, "includes", []) or [])
        if "*" in includes:
            includes = [c.id for c in plan.clusters if c.codes]
        if includes:
            union: set[str] = set()
            partial = False
            for child in includes:
                found, cov = reach.get(child, ([], "none"))
                union |= set(found)
                partial |= cov != "full"
            reach[cluster.id] = (sorted(union), "partial" if partial else "full")
        else:
            reach[cluster.id] = ([], "none")
    metrics = [
        "backward",
        "forward",
        "output_multiplier",
        "value_added_multiplier",
        "employment_multiplier",
        "service_direct",
        "service_total",
    ]
    metrics = [m for m in metrics if m in sector.columns]
    rows = []
    for cluster in plan.clusters:
        found, coverage = reach[cluster.id]
        part = sector.loc[[s for s in found if s in sector.index]]
        weight = part["output"].to_numpy()
        row: dict[str, Any] = {
            "cluster": cluster.id,
            "name_zh": cluster.name_zh,
            "name_en": cluster.name_en,
            "group": cluster.group,
            "coverage": coverage if len(part) else "none",
            "sectors": " ".join(part.index.astype(str)),
            "n_sectors": len(part),
            "output": float(weight.sum()) if len(part) else np.nan,
        }
        total = weight.sum()
        for m in metrics:
            if len(part) and total > 0:
                row[m] = float(np.nansum(part[m].to_numpy() * weight) / total)
            else:
                row[m] = np.nan
        row["key_output_share"] = (
            float(weight[part["key_sector"].to_numpy(dtype=bool)].sum() / total)
            if len(part) and total > 0
            else np.nan
        )
        rows.append(row)
    out = pd.DataFrame(rows)
    out["quadrant"] = np.where(
        out["backward"].isna(),
        "none",
        classify_quadrants(
            out["backward"].fillna(0).to_numpy(), out["forward"].fillna(0).to_numpy()
        ),
    )
    out["table"] = iot.name
    out["plan"] = plan.id
    return out
