"""Economic complexity on a region × industry table, and "what to develop next".

The measures follow Hidalgo & Hausmann (2009), Hidalgo et al. (2007) and the Growth Lab's
*Atlas of Economic Complexity* (Hausmann et al. 2014), with the normalisation conventions of
the Growth Lab's ``ecomplexity`` package (Python port of the Stata package), so results can be
compared one to one and users can switch (see ``docs/complexity.md``):

* **RCA** (Balassa): ``(x_cp / x_c) / (x_p / x)``; ``M_cp = 1`` when ``RCA >= rca_cutoff``.
* **diversity** ``k_c0 = Σ_p M_cp``, **ubiquity** ``k_p0 = Σ_c M_cp``.
* **ECI/PCI** by the eigenvector method: ``k_p`` is the eigenvector of
  ``M̃_pp' = Σ_c M_cp M_cp' / (k_c0 k_p0)`` for the second largest eigenvalue and
  ``k_c = Σ_p M_cp k_p / k_c0``; the sign is chosen so that ECI correlates positively with
  diversity; then ``ECI = (k_c − mean(k_c)) / std(k_c)`` and ``PCI = (k_p − mean(k_c)) / std(k_c)``
  (population std), which keeps ``ECI_c = mean of PCI over the industries with M_cp = 1``.
* **proximity** ``φ_pp' = min(P(M_p'=1 | M_p=1), P(M_p=1 | M_p'=1))``.
* **density** ``ω_cp = Σ_p' M_cp' φ_pp' / Σ_p' φ_pp'``; distance = 1 − density.
* **COI** ``Σ_p ω_cp (1 − M_cp) k_p`` standardised over regions; **COG**
  ``(1 − M_cp) Σ_p' φ_pp' / Σ_p'' φ_p''p' (1 − M_cp') k_p'`` divided by ``std(k_c)``; both use the
  sign-adjusted eigenvector ``k_p`` before centring, exactly as ``ecomplexity`` does.

Aggregation of the long input (any number of rows per region × industry × year) is one Ibis
expression, so it runs on DuckDB or Spark; only the aggregated matrix leaves the engine (as
Arrow). The matrix work is NumPy/SciPy: ``M`` is held as a ``scipy.sparse`` matrix for the
eigenvector (Lanczos on a deflated symmetric operator, never forming ``M̃``), and for the
co-occurrence counts and the products with ``M`` when it is sparse (≤ 5% ones; dense BLAS
otherwise, float32 for the exact integer co-occurrence counts).

Values are whatever the caller measures (yuan of revenue, persons employed, …): RCA and all
the complexity measures are dimensionless and invariant to the unit.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from scipy.sparse.linalg import LinearOperator, eigsh

from clusteratlas.analysis._tabular import Tabular, require_columns, to_ibis
from clusteratlas.errors import AnalysisError
from clusteratlas.model.schema import FIRM_YEAR_SIZE_MEASURES

__all__ = [
    "DEFAULT_STRATEGIES",
    "FIRM_MEASURES",
    "LEVEL_DIGITS",
    "MIN_REGIONS",
    "OUTPUT_COLUMNS",
    "REGION_DIGITS",
    "REGION_LEVELS",
    "complexity",
    "industry_panel",
    "opportunities",
    "proximity",
]

#: Measure columns of :func:`complexity`, after the key columns and the value column.
OUTPUT_COLUMNS = ("rca", "m", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog")

#: Default strategy weights for :func:`opportunities`. Each strategy scores an absent industry
#: as ``w_density·z(density) + w_pci·z(PCI) + w_cog·z(COG)`` (z-scores across the region's
#: absent industries; weights normalised to sum to 1). The three strategies mirror the Atlas
#: of Economic Complexity's growth-opportunity approaches: *low-hanging fruit* favours nearby
#: (feasible) industries, *balanced* weighs feasibility against complexity and gain, *long
#: jump* favours complex industries that open many further options even if they are far.
DEFAULT_STRATEGIES: dict[str, dict[str, float]] = {
    "low_hanging_fruit": {"density": 0.60, "pci": 0.15, "cog": 0.25},
    "balanced": {"density": 0.50, "pci": 0.25, "cog": 0.25},
    "long_jump": {"density": 0.25, "pci": 0.40, "cog": 0.35},
}

_WEIGHT_KEYS = ("density", "pci", "cog")
# Below this many industries the eigenproblem is solved densely (LAPACK); above, by Lanczos.
_DENSE_EIG_MAX = 64
# M is multiplied as a sparse matrix when at most this fraction of its cells are 1.
_SPARSE_FILL_MAX = 0.05


# --------------------------------------------------------------------------------------------
# aggregation (Ibis)
# --------------------------------------------------------------------------------------------


def _aggregate(
    data: Tabular,
    *,
    region: str,
    industry: str,
    value: str,
    year: str | None,
    what: str,
) -> pa.Table:
    """Sum ``value`` per (year,) region, industry in Ibis; keep positive cells only.

    Rows with a null region, industry (or year) are ignored and null values count as 0; cells
    summing to 0 are dropped, hence also regions and industries whose total (in that period)
    is 0, as in ``ecomplexity``. Negative cell totals are a user error (RCA is undefined).
    """
    for name, arg in (("region", region), ("industry", industry), ("value", value)):
        if not isinstance(arg, str) or not arg:
            raise AnalysisError(f"{what}: {name}= must be a column name, got {arg!r}")
    table, _ = to_ibis(data)
    require_columns(table, [region, industry, value, year], what)
    if len({region, industry, value, year} - {None}) != (4 if year else 3):
        raise AnalysisError(f"{what}: region, industry, value and year must be distinct columns")
    if not table.schema()[value].is_numeric():
        raise AnalysisError(
            f"{what}: value column {value!r} must be numeric, is {table.schema()[value]}"
        )
    keys = [year, region, industry] if year else [region, industry]
    rows = table.filter(table[region].notnull() & table[industry].notnull())
    if year is not None:
        rows = rows.filter(rows[year].notnull())
    agg = rows.group_by(keys).aggregate(_v=rows[value].cast("float64").sum())
    # one query; zero cells carry no information (a region or industry whose cells are all 0
    # has a zero total and is dropped, as ecomplexity does). Arrow, not pandas: the labels are
    # dictionary-encoded in C++ (see _encode)
    out = agg.filter(agg._v != 0).to_pyarrow()
    negative_mask = pc.less(out["_v"], 0.0)
    n_negative = pc.sum(negative_mask).as_py() or 0
    if n_negative:
        negative = out.filter(negative_mask).slice(0, 3).to_pylist()
        example = ", ".join(
            f"{r[region]}×{r[industry]}" + (f" ({r[year]})" if year else "") + f" = {r['_v']:g}"
            for r in negative
        )
        raise AnalysisError(
            f"{what}: column {value!r} sums to a negative value in {n_negative} region × "
            f"industry cell(s) (e.g. {example}); RCA needs non-negative values — clip or "
            "filter them first"
        )
    return out


# --------------------------------------------------------------------------------------------
# matrix work (NumPy/SciPy)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Result:
    """Complexity of one period: arrays over the sorted regions (rows) and industries (cols)."""

    regions: pd.Index
    industries: pd.Index
    x: np.ndarray  # C×P values
    rca: np.ndarray  # C×P
    m: np.ndarray  # C×P bool
    diversity: np.ndarray  # C
    ubiquity: np.ndarray  # P
    eci: np.ndarray  # C
    pci: np.ndarray  # P
    proximity: np.ndarray  # P×P
    density: np.ndarray  # C×P
    coi: np.ndarray  # C
    cog: np.ndarray  # C×P


def _encode(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and sorted labels of a (null-free) Arrow column."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = pc.dictionary_encode(column)
    order = pc.sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    return codes, pd.Index(encoded.dictionary.take(pa.array(order)).to_pandas())


def _matrix(table: pa.Table, region: str, industry: str) -> tuple[pd.Index, pd.Index, np.ndarray]:
    """Dense region × industry matrix of ``_v`` (sorted labels; missing cells are 0)."""
    r_codes, regions = _encode(table[region])
    i_codes, industries = _encode(table[industry])
    x = np.zeros((len(regions), len(industries)), dtype=np.float64)
    x[r_codes, i_codes] = table["_v"].to_numpy()
    return regions, industries, x


def _rca(x: np.ndarray) -> np.ndarray:
    """Balassa RCA, evaluated in the same operation order as ``ecomplexity`` (bit-identical)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share_in_region = x / x.sum(axis=1)[:, np.newaxis]
        industry_total = x.sum(axis=0)
        share_in_world = industry_total / industry_total.sum()
        return share_in_region / share_in_world[np.newaxis, :]


def _second_eigenvector(m: sparse.csr_matrix, div: np.ndarray, ubi: np.ndarray) -> np.ndarray:
    """``k_p``: eigenvector of ``M̃_pp'`` for its second largest eigenvalue (arbitrary scale).

    ``M̃ = U⁻¹ Mᵀ D⁻¹ M`` is similar to the symmetric PSD ``S = Aᵀ A`` with
    ``A = D^-½ M U^-½``; its top eigenvector is ``√u`` (eigenvalue 1). We take the top
    eigenvector ``v`` of ``S − √u√uᵀ/‖√u‖²`` and return ``k_p = U^-½ v``.
    """
    n_p = m.shape[1]
    scale_r = 1.0 / np.sqrt(div)
    scale_p = 1.0 / np.sqrt(ubi)
    a = sparse.diags(scale_r) @ m @ sparse.diags(scale_p)
    a = sparse.csr_matrix(a)
    at = sparse.csr_matrix(a.T)
    top = np.sqrt(ubi)
    top /= np.linalg.norm(top)
    if n_p <= _DENSE_EIG_MAX:
        dense_a = a.toarray()
        s = dense_a.T @ dense_a
        vals, vecs = np.linalg.eigh(s)
        order = np.argsort(vals)
        v, lam2 = vecs[:, order[-2]], vals[order[-2]]
        lam3 = vals[order[-3]] if n_p >= 3 else -np.inf
    else:

        def matvec(vec: np.ndarray) -> np.ndarray:
            vec = np.ravel(vec)
            return np.asarray(at @ (a @ vec)) - top * (top @ vec)

        op = LinearOperator((n_p, n_p), matvec=matvec, dtype=np.float64)
        start = np.random.default_rng(20090630).random(n_p)
        vals, vecs = eigsh(op, k=2, which="LA", v0=start, tol=0.0)
        order = np.argsort(vals)
        v, lam2, lam3 = vecs[:, order[-1]], vals[order[-1]], vals[order[-2]]
    if lam2 > 1.0 - 1e-9:
        warnings.warn(
            "the region–industry network is disconnected (the second eigenvalue is 1): "
            "ECI/PCI are not identified; check for regions whose industries no other region has",
            RuntimeWarning,
            stacklevel=4,
        )
    elif lam2 - lam3 < 1e-10:
        warnings.warn(
            "the second and third eigenvalues coincide: ECI/PCI are not uniquely defined",
            RuntimeWarning,
            stacklevel=4,
        )
    return np.asarray(v * scale_p)


def _compute(regions: pd.Index, industries: pd.Index, x: np.ndarray, rca_cutoff: float) -> _Result:
    """All measures for one period from the dense value matrix ``x`` (all totals > 0)."""
    n_c, n_p = x.shape
    rca = _rca(x)
    present = rca >= rca_cutoff  # NaN (never here: totals are > 0) → absent
    diversity = present.sum(axis=1)
    ubiquity = present.sum(axis=0)
    fill = present.mean() if present.size else 0.0
    m_sparse = sparse.csr_matrix(present, dtype=np.float64)

    # ECI / PCI on regions and industries with diversity / ubiquity > 0
    rows, cols = diversity > 0, ubiquity > 0
    kc = np.full(n_c, np.nan)
    kp = np.full(n_p, np.nan)
    if rows.sum() >= 2 and cols.sum() >= 2:
        mv = m_sparse[rows][:, cols]
        div_v, ubi_v = diversity[rows].astype(float), ubiquity[cols].astype(float)
        kp_v = _second_eigenvector(mv, div_v, ubi_v)
        kc_v = np.asarray(mv @ kp_v) / div_v
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.corrcoef(div_v, kc_v)[0, 1]
        sign = -1.0 if corr < 0 else 1.0  # NaN (all diversities equal) keeps the sign
        if np.std(kc_v) > 1e-9 * np.abs(kp_v).max():
            kc[rows], kp[cols] = sign * kc_v, sign * kp_v
        else:
            warnings.warn(
                "all regions have the same industry mix (ECI has no spread): ECI, PCI, COI and "
                "COG are undefined (NaN)",
                RuntimeWarning,
                stacklevel=3,
            )

    # proximity: co-occurrence / max(ubiquity) = min of the two conditional probabilities
    if fill <= _SPARSE_FILL_MAX:
        co = (m_sparse.T @ m_sparse).toarray()
    else:  # counts are integers < 2**24: float32 BLAS is exact and twice as fast
        m32 = present.astype(np.float32)
        co = (m32.T @ m32).astype(np.float64)
    biggest = np.maximum(ubiquity[:, np.newaxis], ubiquity[np.newaxis, :]).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.where(biggest > 0, co / biggest, 0.0)
    np.fill_diagonal(phi, 1.0)

    # density ω = M @ (φ / Σφ) and COG = (1−M) ∘ ((1−M) @ W), W = φ scaled by k_p / Σφ, where
    # (1−M) @ W = 1ᵀW − M @ W; two products with M, sparse when M is sparse, else BLAS
    row_sum = phi.sum(axis=1)
    phi_norm = phi / row_sum[np.newaxis, :]
    gain = phi * (np.nan_to_num(kp) / row_sum)[:, np.newaxis]
    m_mul: Any = m_sparse if fill <= _SPARSE_FILL_MAX else present.astype(np.float64)
    density = np.asarray(m_mul @ phi_norm)
    cog_raw = np.asarray(m_mul @ gain)
    np.subtract(gain.sum(axis=0)[np.newaxis, :], cog_raw, out=cog_raw)
    cog_raw[present] = 0.0
    kp0 = np.nan_to_num(kp)
    coi_raw = np.where(present, 0.0, density) @ kp0
    del m_mul
    # normalisation (ecomplexity / Stata conventions), over the regions with diversity > 0
    # (ecomplexity takes mean/std over all regions, NaN included: see docs, "Differences")
    defined = ~np.isnan(kc)
    mean = kc[defined].mean() if defined.any() else np.nan
    std = kc[defined].std() if defined.any() else np.nan
    coi_mean = coi_raw[defined].mean() if defined.any() else np.nan
    coi_std = coi_raw[defined].std() if defined.any() else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        eci = (kc - mean) / std
        pci = (kp - mean) / std
        cog = cog_raw / std
        coi = np.where(defined, (coi_raw - coi_mean) / coi_std, np.nan)
    return _Result(
        regions=regions,
        industries=industries,
        x=x,
        rca=rca,
        m=present,
        diversity=diversity,
        ubiquity=ubiquity,
        eci=eci,
        pci=pci,
        proximity=phi,
        density=density,
        coi=coi,
        cog=cog,
    )


def _check_cutoff(rca_cutoff: float) -> float:
    try:
        cutoff = float(rca_cutoff)
    except (TypeError, ValueError):
        raise AnalysisError(f"rca_cutoff must be a number, got {rca_cutoff!r}") from None
    if not math.isfinite(cutoff) or cutoff <= 0:
        raise AnalysisError(f"rca_cutoff must be a positive number, got {rca_cutoff!r}")
    return cutoff


def _periods(
    table: pa.Table, region: str, industry: str, year: str | None, what: str
) -> list[tuple[pd.Index | None, pd.Index, pd.Index, np.ndarray]]:
    """Split the aggregated rows into per-period dense matrices (sorted by period); the
    period is returned as a one-label pandas Index (None without ``year``)."""
    if table.num_rows == 0:
        raise AnalysisError(f"{what}: no positive values to analyse (empty input after filtering)")
    if year is None:
        return [(None, *_matrix(table, region, industry))]
    codes, periods = _encode(table[year])
    if len(periods) == 1:
        return [(periods, *_matrix(table, region, industry))]
    return [
        (periods[[k]], *_matrix(table.filter(pa.array(codes == k)), region, industry))
        for k in range(len(periods))
    ]


def _frame(
    result: _Result, region: str, industry: str, value: str, period: tuple[str, pd.Index] | None
) -> pd.DataFrame:
    """The long region × industry output of one period (``period`` = (column, its label))."""
    n_c, n_p = result.x.shape
    r_idx = np.repeat(np.arange(n_c), n_p)
    i_idx = np.tile(np.arange(n_p), n_c)
    columns: dict[str, Any] = {}
    if period is not None:
        name, label = period
        columns[name] = label.take(np.zeros(n_c * n_p, dtype=np.intp))
    columns |= {
        region: result.regions.take(r_idx),
        industry: result.industries.take(i_idx),
        value: result.x.ravel(),
        "rca": result.rca.ravel(),
        "m": result.m.ravel().astype(np.int64),
        "diversity": result.diversity.astype(np.int64)[r_idx],
        "ubiquity": result.ubiquity.astype(np.int64)[i_idx],
        "eci": result.eci[r_idx],
        "pci": result.pci[i_idx],
        "density": result.density.ravel(),
        "coi": result.coi[r_idx],
        "cog": result.cog.ravel(),
    }
    # the arrays are fresh and private: no need for pandas to copy them into blocks
    return pd.DataFrame(columns, copy=False)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


def complexity(
    data: pd.DataFrame | ir.Table,
    *,
    region: str,
    industry: str,
    value: str,
    year: str | None = None,
    rca_cutoff: float = 1.0,
    min_regions: int = 0,
    require_identified: bool = False,
) -> pd.DataFrame:
    """Economic complexity of every region × industry (× year) cell.

    ``data`` is a long table (pandas or Ibis) with one or more rows per region × industry
    (× year); ``value`` (any non-negative measure: revenue in yuan, employment in persons…)
    is summed per cell in Ibis. With ``year``, everything is computed separately per year.

    Returns a pandas DataFrame, one row per (year,) region, industry over the rectangle of the
    regions and industries with a positive total in that period, sorted by the keys, with the
    caller's key column names, the summed ``value`` and the columns (as in ``ecomplexity``):
    ``rca`` (Balassa RCA), ``m`` (1 if ``rca >= rca_cutoff``), ``diversity``, ``ubiquity``,
    ``eci``, ``pci`` (standardised by the ECI mean and population std), ``density`` (0–1),
    ``coi`` (standardised) and ``cog`` (in ECI standard deviations).

    Refusal (for faces that rank): a period with fewer than ``min_regions`` regions, or —
    with ``require_identified`` — whose ECI/PCI are not identified (disconnected network,
    coinciding eigenvalues, no ECI spread) raises :class:`AnalysisError` naming the period and
    the reason instead of returning numbers that mean nothing; otherwise those cases are
    RuntimeWarnings.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        Long table with ``region``, ``industry``, ``value`` (and ``year``) columns.
    region, industry, value : str
        Column names; ``value`` non-negative (revenue in yuan, employment in persons, …).
    year : str or None
        Year column; None = one period.
    rca_cutoff : float
        RCA at or above which a region is specialised (``m = 1``).
    min_regions : int
        Fewest regions a period needs (fewer raises :class:`AnalysisError`).
    require_identified : bool
        Raise instead of warning when ECI/PCI are not identified.

    Returns
    -------
    pandas.DataFrame
        One row per (year ×) region × industry with the columns above (``value`` in its unit,
        the indices dimensionless, ``density`` 0–1).
    """
    what = "complexity"
    cutoff = _check_cutoff(rca_cutoff)
    frame = _aggregate(data, region=region, industry=industry, value=value, year=year, what=what)
    parts = []
    for period, regions, industries, x in _periods(frame, region, industry, year, what):
        when = None if year is None or period is None else (year, period)
        label = "" if period is None else f" in {period[0]}"
        if len(regions) < min_regions:
            raise AnalysisError(
                f"{what}: only {len(regions)} regions have data{label} (at least {min_regions} "
                "are needed for a meaningful ranking); choose a level with more regions"
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            result = _compute(regions, industries, x, cutoff)
        for w in caught:
            if require_identified:
                raise AnalysisError(
                    f"{what}: not ranking{label}: {w.message}. Compare regions of one level "
                    "that share industries (another --level or --year)."
                )
            warnings.warn(str(w.message), RuntimeWarning, stacklevel=2)
        parts.append(_frame(result, region, industry, value, when))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def proximity(
    data: pd.DataFrame | ir.Table,
    *,
    region: str,
    industry: str,
    value: str,
    rca_cutoff: float = 1.0,
) -> pd.DataFrame:
    """Industry × industry proximity ``φ`` (0–1, symmetric, diagonal 1) from co-specialisation.

    ``φ_pp' = min(P(M_p'=1 | M_p=1), P(M_p=1 | M_p'=1))``: the share of the regions
    specialised (RCA ≥ ``rca_cutoff``) in the more ubiquitous of the two industries that are
    also specialised in the other. All rows of ``data`` are pooled (filter a year first).
    Returns a square pandas DataFrame indexed and columned by the sorted industry codes.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        Long table with ``region``, ``industry`` and ``value`` columns.
    region, industry, value : str
        Column names; ``value`` non-negative (yuan, persons, …).
    rca_cutoff : float
        RCA at or above which a region is specialised.

    Returns
    -------
    pandas.DataFrame
        Square industry × industry matrix of ``φ`` (0–1).
    """
    what = "proximity"
    cutoff = _check_cutoff(rca_cutoff)
    frame = _aggregate(data, region=region, industry=industry, value=value, year=None, what=what)
    ((_, regions, industries, x),) = _periods(frame, region, industry, None, what)
    result = _compute(regions, industries, x, cutoff)
    index = pd.Index(result.industries, name=industry)
    return pd.DataFrame(result.proximity, index=index, columns=index.copy())


def _strategy_weights(
    weights: Mapping[str, Mapping[str, float]] | None,
) -> dict[str, dict[str, float]]:
    if weights is None:
        return {k: dict(v) for k, v in DEFAULT_STRATEGIES.items()}
    if not isinstance(weights, Mapping) or not weights:
        raise AnalysisError(
            "weights must map strategy names to {density, pci, cog} weights, "
            f"e.g. {DEFAULT_STRATEGIES['balanced']}"
        )
    clean: dict[str, dict[str, float]] = {}
    for name, spec in weights.items():
        if not isinstance(spec, Mapping):
            raise AnalysisError(f"weights[{name!r}] must be a mapping of density/pci/cog weights")
        unknown = set(spec) - set(_WEIGHT_KEYS)
        if unknown:
            raise AnalysisError(
                f"weights[{name!r}]: unknown key(s) {sorted(unknown)}; use {list(_WEIGHT_KEYS)}"
            )
        vals = {k: float(spec.get(k, 0.0)) for k in _WEIGHT_KEYS}
        if any(not math.isfinite(v) or v < 0 for v in vals.values()) or sum(vals.values()) <= 0:
            raise AnalysisError(
                f"weights[{name!r}] must be non-negative numbers with a positive sum, got {spec}"
            )
        total = sum(vals.values())
        clean[str(name)] = {k: v / total for k, v in vals.items()}
    return clean


def _zscore(values: pd.Series) -> pd.Series:
    std = values.std(ddof=0)
    if not np.isfinite(std) or std == 0:
        return values * 0.0
    return (values - values.mean()) / std


def opportunities(
    data: pd.DataFrame | ir.Table,
    *,
    region: str,
    industry: str,
    value: str,
    target_region: Any,
    year: str | None = None,
    rca_cutoff: float = 1.0,
    weights: Mapping[str, Mapping[str, float]] | None = None,
    at_year: Any = None,
    min_regions: int = 0,
    require_identified: bool = False,
) -> pd.DataFrame:
    """Ranked industries for ``target_region`` to develop next (its industries with ``M = 0``).

    The measures are computed over all regions (see :func:`complexity`); with ``year`` the
    period ``at_year`` is used (default: the latest year). For each absent industry the table
    gives its ``value`` and ``rca`` in the region, **feasibility** as ``density`` (0–1) and
    ``distance = 1 − density``, complexity ``pci`` and opportunity gain ``cog``, and per
    strategy a ``score_<name>`` = weighted sum of z-scores (over the absent industries) of
    density, PCI and COG, with ``rank_<name>`` (1 = best). ``weights`` maps strategy names to
    ``{"density": w, "pci": w, "cog": w}`` (normalised to sum 1); default
    :data:`DEFAULT_STRATEGIES`. Rows are sorted by the first strategy's rank. Industries
    without a PCI (no region specialised in them, possible with ``rca_cutoff > 1``) are left
    out.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        Long table with ``region``, ``industry``, ``value`` (and ``year``) columns.
    region, industry, value : str
        Column names; ``value`` non-negative (yuan, persons, …).
    target_region : Any
        The region (a value of the ``region`` column) to rank industries for.
    year : str or None
        Year column; None = one period.
    rca_cutoff : float
        RCA at or above which a region is specialised.
    weights : mapping or None
        Strategy name → ``{"density", "pci", "cog"}`` weights; None = :data:`DEFAULT_STRATEGIES`.
    at_year : Any
        The period used when ``year`` is given; None = the latest.
    min_regions : int
        Fewest regions the period needs.
    require_identified : bool
        Raise instead of warning when ECI/PCI are not identified.

    Returns
    -------
    pandas.DataFrame
        One row per industry absent from ``target_region`` (``value`` in its unit, ``rca``,
        ``density`` 0–1, ``distance``, ``pci``, ``cog``, ``score_<name>``, ``rank_<name>``).
    """
    what = "opportunities"
    strategies = _strategy_weights(weights)
    table, _ = to_ibis(data)
    require_columns(table, [region, industry, value, year], what)
    if year is not None:
        if at_year is None:
            at_year = table[year].max().to_pandas()
            if at_year is None or (isinstance(at_year, float) and math.isnan(at_year)):
                raise AnalysisError(f"{what}: column {year!r} has no values")
        table = table.filter(table[year] == ibis.literal(at_year, type=table.schema()[year]))
    elif at_year is not None:
        raise AnalysisError(f"{what}: at_year={at_year!r} needs the year= column")
    full = complexity(
        table,
        region=region,
        industry=industry,
        value=value,
        year=year,
        rca_cutoff=rca_cutoff,
        min_regions=min_regions,
        require_identified=require_identified,
    )
    mine = full[full[region].astype(str) == str(target_region)]
    if mine.empty:
        known = full[region].drop_duplicates()
        sample = ", ".join(map(str, known.head(8)))
        raise AnalysisError(
            f"{what}: region {target_region!r} has no positive {value!r}"
            + (f" in {at_year}" if year is not None else "")
            + f"; {len(known)} regions have data (e.g. {sample})"
        )
    keys = [year, region, industry] if year is not None else [region, industry]
    out = mine[mine["m"] == 0][[*keys, value, "rca", "density", "pci", "cog"]].copy()
    out.insert(list(out.columns).index("density") + 1, "distance", 1.0 - out["density"])
    out = out[out["pci"].notna()]
    z = {k: _zscore(out[k]) for k in _WEIGHT_KEYS}
    for name, w in strategies.items():
        score = w["density"] * z["density"] + w["pci"] * z["pci"] + w["cog"] * z["cog"]
        out[f"score_{name}"] = score
        out[f"rank_{name}"] = score.rank(ascending=False, method="min").astype("int64")
    first = next(iter(strategies))
    return out.sort_values([f"rank_{first}", industry]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# the region × industry panel from workspace tables (Ibis)
# --------------------------------------------------------------------------------------------

#: Digits of a GB/T 4754-2017 code at each level (sections are letters and are not used).
LEVEL_DIGITS = {"division": 2, "group": 3, "class": 4}
#: Digits of a GB/T 2260 region code kept at each level (the rest is padded with zeros).
REGION_DIGITS = {"province": 2, "prefecture": 4, "county": 6}
#: Region levels by their everyday names (``city`` = prefecture, ``district`` = county).
REGION_LEVELS = {"province": "province", "city": "prefecture", "district": "county"}
#: Fewest regions the faces rank ECI over (below it a ranking means nothing).
MIN_REGIONS = 10
#: firm_year columns that can measure an industry's size in a region.
FIRM_MEASURES = FIRM_YEAR_SIZE_MEASURES


def industry_panel(
    *,
    firms: ir.Table | None = None,
    firm_years: ir.Table | None = None,
    observations: ir.Table | None = None,
    indicator: str = "revenue",
    level: str = "class",
    region_level: str | None = None,
) -> ir.Table:
    """The long ``region, industry, year, value`` table that :func:`complexity` reads.

    From firms (``firm_years`` joined to ``firms`` on ``firm_id`` for region and industry; the
    ``indicator`` is a firm_year column such as ``revenue`` in yuan or ``employees`` in
    persons) or else from ``observations`` (rows of that ``indicator`` with an industry code).
    Industry codes are cut to ``level`` (class = 4 digits, group 3, division 2; firm codes
    shorter than that are left out, observation codes must be at exactly that level so that
    totals of different levels are not added up). ``region_level`` ``province``, ``city``
    (alias ``prefecture``) or ``district`` (alias ``county``) puts every region on that one
    level: 6-digit GB/T 2260 codes are rolled up (``110105`` → ``110100`` / ``110000``) and
    codes coarser than the level (a province code at city level) or not GB/T 2260 are left
    out; ``None`` keeps the codes as they are (mixed levels). Returns an Ibis expression.

    Parameters
    ----------
    firms : Ibis table or None
        Canonical ``firm`` table (``firm_id, region, industry``).
    firm_years : Ibis table or None
        Canonical ``firm_year`` table; ``indicator`` must be one of :data:`FIRM_MEASURES`.
    observations : Ibis table or None
        Canonical ``observation`` table, used when ``firms``/``firm_years`` are not given.
    indicator : str
        The measure (``revenue`` in yuan, ``employees`` in persons, …).
    level : str
        Industry level: ``class`` (4 digits), ``group`` (3) or ``division`` (2).
    region_level : str or None
        ``province``, ``city``/``prefecture``, ``district``/``county``, or None (as is).

    Returns
    -------
    Ibis table
        Unexecuted ``region, industry, year, value`` rows (``value`` in the indicator's unit).
    """
    if level not in LEVEL_DIGITS:
        raise AnalysisError(f"level must be one of {list(LEVEL_DIGITS)}, got {level!r}")
    region_level = REGION_LEVELS.get(region_level, region_level) if region_level else None
    if region_level is not None and region_level not in REGION_DIGITS:
        raise AnalysisError(
            f"region level must be one of {list(REGION_LEVELS)}, got {region_level!r}"
        )
    digits = LEVEL_DIGITS[level]
    if firms is not None and firm_years is not None:
        if indicator not in FIRM_MEASURES:
            raise AnalysisError(
                f"indicator {indicator!r} is not a firm_year measure; use one of "
                f"{', '.join(FIRM_MEASURES)}"
            )
        require_columns(firms, ["firm_id", "region", "industry"], "firm table")
        require_columns(firm_years, ["firm_id", "year", indicator], "firm_year table")
        years = firm_years.select("firm_id", "year", value=firm_years[indicator])
        joined = years.join(firms.select("firm_id", "region", "industry"), "firm_id")
        code = joined.industry.strip()
        rows = joined.filter(code.re_search(f"^[0-9]{{{digits}}}")).mutate(
            industry=code.substr(0, digits)
        )
    elif observations is not None:
        require_columns(
            observations, ["region", "industry", "year", "indicator", "value"], "observations"
        )
        code = observations.industry.strip()
        rows = observations.filter(
            (observations.indicator == indicator) & code.re_search(f"^[0-9]{{{digits}}}$")
        ).mutate(industry=code)
    else:
        raise AnalysisError("industry_panel needs firms and firm_years, or observations")
    region_code = rows.region.cast("string").strip()
    if region_level is not None:  # one level: codes coarser than it are left out
        keep = REGION_DIGITS[region_level]
        rows = rows.filter(region_code.re_search("^[0-9]{6}$"))
        code = rows.region.cast("string").strip()
        if keep > 2:
            rows = rows.filter(code.substr(keep - 2, 2) != "00")
            code = rows.region.cast("string").strip()
        region_code = code.substr(0, keep).concat(ibis.literal("0" * (6 - keep)))
    return rows.select(
        region=region_code, industry="industry", year=rows.year.cast("int64"), value="value"
    )
