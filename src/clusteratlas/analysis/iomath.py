"""Input–output mathematics on labelled matrices: A, Leontief L, Ghosh B and G, multipliers,
backward/forward linkages, service intensity.

Pure functions of NumPy arrays and pandas objects, with no imports from the rest of the package
but its exception module (like ``pymrio.tools.iomath``): both
:class:`~clusteratlas.analysis.iotable.IOTable` and :mod:`clusteratlas.analysis.linkages`
build on it, so neither needs the other for the mathematics (no import cycle).
The conventions, references (Miller & Blair 2009) and zero-output rules are those described in
:mod:`clusteratlas.analysis.linkages`, which re-exports every public function here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clusteratlas.errors import AnalysisError

__all__ = [
    "QUADRANTS",
    "allocation_coefficients",
    "classify_quadrants",
    "ghosh_inverse",
    "input_multipliers",
    "leontief_inverse",
    "linkages",
    "output_multipliers",
    "service_intensity",
    "technical_coefficients",
]

QUADRANTS = ("key", "backward_oriented", "forward_oriented", "weak")
"""Classes of :func:`linkages` (plus ``no_output`` for absent sectors)."""


# ----------------------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------------------


def _square(M: Any, what: str) -> pd.DataFrame:
    """Return ``M`` as a labelled square float DataFrame (columns reordered to the index)."""
    if isinstance(M, np.ndarray):
        if M.ndim != 2:
            raise AnalysisError(f"{what} must be a 2-D matrix, got {M.ndim} dimension(s)")
        M = pd.DataFrame(M)
    if not isinstance(M, pd.DataFrame):
        raise AnalysisError(f"{what} must be a pandas DataFrame, got {type(M).__name__}")
    if M.shape[0] != M.shape[1]:
        raise AnalysisError(f"{what} must be square, got {M.shape[0]}×{M.shape[1]}")
    if M.shape[0] == 0:
        raise AnalysisError(f"{what} is empty")
    if M.index.has_duplicates:
        dup = M.index[M.index.duplicated()].unique().tolist()[:5]
        raise AnalysisError(f"{what} has duplicate sector labels {dup}")
    if not M.columns.equals(M.index):
        if set(M.columns) != set(M.index) or M.columns.has_duplicates:
            only_rows = [str(v) for v in M.index.difference(M.columns)[:5]]
            only_cols = [str(v) for v in M.columns.difference(M.index)[:5]]
            raise AnalysisError(
                f"{what}: row and column sector labels differ "
                f"(rows only: {only_rows}, columns only: {only_cols})"
            )
        M = M.loc[:, M.index]
    try:
        values = M.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"{what} has non-numeric entries: {exc}") from exc
    if not np.isfinite(values).all():
        bad = np.argwhere(~np.isfinite(values))[0]
        raise AnalysisError(
            f"{what} has a missing or infinite value at row {M.index[bad[0]]!r}, "
            f"column {M.columns[bad[1]]!r}"
        )
    return pd.DataFrame(values, index=M.index, columns=M.columns)


def _vector(x: Any, labels: pd.Index, what: str) -> pd.Series:
    """Return ``x`` as a float Series aligned to ``labels`` (same label set required)."""
    if isinstance(x, pd.DataFrame):
        if x.shape[1] != 1:
            raise AnalysisError(f"{what} must be a Series or a one-column DataFrame")
        x = x.iloc[:, 0]
    if isinstance(x, np.ndarray | list | tuple):
        arr = np.asarray(x, dtype=np.float64).reshape(-1)
        if arr.size != len(labels):
            raise AnalysisError(f"{what} has {arr.size} values for {len(labels)} sectors")
        x = pd.Series(arr, index=labels)
    if not isinstance(x, pd.Series):
        raise AnalysisError(f"{what} must be a pandas Series, got {type(x).__name__}")
    if x.index.equals(labels):
        out = x.astype(np.float64)
    elif x.index.has_duplicates or set(x.index) != set(labels):
        missing = [str(v) for v in labels.difference(x.index)[:5]]
        extra = [str(v) for v in x.index.difference(labels)[:5]]
        raise AnalysisError(
            f"{what} labels do not match the matrix sectors (missing: {missing}, extra: {extra})"
        )
    else:
        out = x.reindex(labels).astype(np.float64)
    if not np.isfinite(out.to_numpy()).all():
        bad = out.index[~np.isfinite(out.to_numpy())][0]
        raise AnalysisError(f"{what} is missing or infinite for sector {bad!r}")
    return out


def _reciprocal_output(Z: pd.DataFrame, x: pd.Series, axis: int, what: str) -> np.ndarray:
    """``1/x`` with zero for absent sectors; raise on negative or inconsistent zero output."""
    xv = x.to_numpy()
    if (xv < 0).any():
        bad = x.index[xv < 0].tolist()[:5]
        raise AnalysisError(f"{what}: gross output is negative for sector(s) {bad}")
    zero = xv == 0
    if zero.any():
        flows = np.abs(Z.to_numpy()).sum(axis=axis)  # inputs (axis 0) or deliveries (axis 1)
        bad = x.index[zero & (flows > 0)].tolist()
        if bad:
            side = "inputs" if axis == 0 else "deliveries"
            raise AnalysisError(
                f"{what}: sector(s) {bad[:5]} have zero gross output but non-zero "
                f"intermediate {side}; the table is inconsistent"
            )
    with np.errstate(divide="ignore"):
        rec = np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, xv))
    return rec


# ----------------------------------------------------------------------------------------
# coefficient matrices and inverses
# ----------------------------------------------------------------------------------------


def technical_coefficients(Z: pd.DataFrame, x: pd.Series) -> pd.DataFrame:
    """Input coefficients ``A = Z x̂⁻¹`` (``a_ij = z_ij / x_j``), a labelled square DataFrame.

    ``Z``: intermediate flows (row i supplies column j), ``x``: gross output per sector in the
    same money unit. ``a_ij`` is yuan of input i per yuan of j's output. Sectors with zero
    output and no inputs get a zero column; zero output with inputs, or negative output,
    raises :class:`AnalysisError`.

    Parameters
    ----------
    Z : pandas.DataFrame
        Square intermediate-flow matrix, sectors × sectors (row i supplies column j), in one
        money unit (万元 in the NBS tables, or yuan).
    x : pandas.Series
        Gross output per sector, indexed like ``Z``, in the same money unit.

    Returns
    -------
    pandas.DataFrame
        ``A``, labelled like ``Z``: input of i per unit of j's output (dimensionless; yuan per
        yuan).

    Examples
    --------
    >>> Z = pd.DataFrame([[10.0, 20.0], [30.0, 40.0]], index=["a", "b"], columns=["a", "b"])
    >>> x = pd.Series([100.0, 200.0], index=["a", "b"])
    >>> technical_coefficients(Z, x)
         a    b
    a  0.1  0.1
    b  0.3  0.2
    """
    Zf = _square(Z, "Z")
    xs = _vector(x, Zf.index, "x")
    rec = _reciprocal_output(Zf, xs, axis=0, what="technical coefficients")
    return pd.DataFrame(Zf.to_numpy() * rec[np.newaxis, :], index=Zf.index, columns=Zf.columns)


def allocation_coefficients(Z: pd.DataFrame, x: pd.Series) -> pd.DataFrame:
    """Ghosh allocation (output) coefficients ``B = x̂⁻¹ Z`` (``b_ij = z_ij / x_i``).

    ``b_ij`` is the share of i's output sold to j as intermediate input (M&B §12.1).
    Zero-output sectors follow :func:`technical_coefficients` (zero row, or an error if the
    sector still delivers).

    Parameters
    ----------
    Z : pandas.DataFrame
        Square intermediate-flow matrix (row i supplies column j), in one money unit (万元 or
        yuan).
    x : pandas.Series
        Gross output per sector, indexed like ``Z``, in the same money unit.

    Returns
    -------
    pandas.DataFrame
        ``B``, labelled like ``Z``: share (0–1) of i's output sold to j as intermediate input.

    Examples
    --------
    >>> Z = pd.DataFrame([[10.0, 20.0], [30.0, 40.0]], index=["a", "b"], columns=["a", "b"])
    >>> allocation_coefficients(Z, pd.Series([100.0, 200.0], index=["a", "b"]))
          a    b
    a  0.10  0.2
    b  0.15  0.2
    """
    Zf = _square(Z, "Z")
    xs = _vector(x, Zf.index, "x")
    rec = _reciprocal_output(Zf, xs, axis=1, what="allocation coefficients")
    return pd.DataFrame(Zf.to_numpy() * rec[:, np.newaxis], index=Zf.index, columns=Zf.columns)


def _inverse_np(values: np.ndarray, what: str) -> np.ndarray:
    """``(I − M)⁻¹`` by LU factorisation and a solve against the identity.

    ``numpy.linalg.solve`` (LAPACK ``gesv``: LU with partial pivoting, then triangular
    solves for the n right-hand sides of I); on this kind of machine it measured ~2× faster
    than SciPy's ``lu_factor``/``lu_solve`` for n = 1,000.
    """
    eye = np.eye(values.shape[0])
    try:
        inv = np.linalg.solve(eye - values, eye)
    except np.linalg.LinAlgError as exc:
        raise AnalysisError(
            f"{what}: I − matrix is singular (a sector block uses all of its own output as "
            "inputs); check the table for missing value added or final demand"
        ) from exc
    if not np.isfinite(inv).all():
        raise AnalysisError(f"{what}: the inverse is not finite (ill-conditioned table)")
    if inv.min() < -1e-9 and (values >= 0).all():
        # For a non-negative M, (I − M)⁻¹ ≥ 0 exactly when the spectral radius of M is < 1.
        raise AnalysisError(
            f"{what}: the coefficient matrix is not productive (spectral radius ≥ 1, the "
            "inverse has negative entries); some sectors' inputs exceed their output"
        )
    return inv


def _inverse_of_i_minus(M: pd.DataFrame, what: str) -> pd.DataFrame:
    """Labelled ``(I − M)⁻¹`` (see :func:`_inverse_np`)."""
    return pd.DataFrame(_inverse_np(M.to_numpy(), what), index=M.index, columns=M.columns)


def leontief_inverse(A: pd.DataFrame) -> pd.DataFrame:
    """Leontief inverse ``L = (I − A)⁻¹`` (M&B §2.3), labelled like ``A``.

    ``l_ij`` is the output of i needed per unit of final demand for j. Computed by LU
    factorisation of ``I − A`` and a solve against the identity (stable for large tables).
    Raises :class:`AnalysisError` if ``I − A`` is singular or ``A`` is not productive.

    Parameters
    ----------
    A : pandas.DataFrame
        Square input coefficients (:func:`technical_coefficients`, yuan per yuan).

    Returns
    -------
    pandas.DataFrame
        ``L``, labelled like ``A``: output of i (yuan) per yuan of final demand for j.

    Examples
    --------
    >>> A = pd.DataFrame([[0.1, 0.1], [0.3, 0.2]], index=["a", "b"], columns=["a", "b"])
    >>> leontief_inverse(A).round(4)
            a       b
    a  1.1594  0.1449
    b  0.4348  1.3043
    """
    return _inverse_of_i_minus(_square(A, "A"), "Leontief inverse")


def ghosh_inverse(B: pd.DataFrame) -> pd.DataFrame:
    """Ghosh inverse ``G = (I − B)⁻¹`` of allocation coefficients ``B`` (M&B §12.1).

    ``g_ij`` is the output of j enabled per unit of primary input into i. Equals
    ``x̂⁻¹ L x̂`` for ``B`` and ``L`` of the same table (tested).

    Parameters
    ----------
    B : pandas.DataFrame
        Square allocation coefficients (:func:`allocation_coefficients`, shares 0–1).

    Returns
    -------
    pandas.DataFrame
        ``G``, labelled like ``B``: output of j (yuan) per yuan of primary input into i.
    """
    return _inverse_of_i_minus(_square(B, "B"), "Ghosh inverse")


# ----------------------------------------------------------------------------------------
# multipliers
# ----------------------------------------------------------------------------------------


def output_multipliers(L: pd.DataFrame) -> pd.Series:
    """Simple output multipliers: column sums of ``L`` (M&B §6.2.1).

    Total output (all sectors, yuan) per yuan of final demand for each sector's product.

    Parameters
    ----------
    L : pandas.DataFrame
        Leontief inverse (:func:`leontief_inverse`).

    Returns
    -------
    pandas.Series
        ``output_multiplier`` per sector: yuan of total output per yuan of final demand.

    Examples
    --------
    >>> L = pd.DataFrame([[1.2, 0.1], [0.4, 1.3]], index=["a", "b"], columns=["a", "b"])
    >>> output_multipliers(L)
    a    1.6
    b    1.4
    Name: output_multiplier, dtype: float64
    """
    Lf = _square(L, "L")
    return pd.Series(Lf.to_numpy().sum(axis=0), index=Lf.columns, name="output_multiplier")


def input_multipliers(L: pd.DataFrame, coefficients: pd.Series) -> pd.Series:
    """Total-effect multipliers ``c L`` for a primary-input coefficient vector ``c``.

    ``c_j`` is the input per unit of j's output (value added per yuan of output, persons per
    yuan of output...); the result is that input needed in the whole economy per unit of
    final demand for j (M&B §6.2.2–6.2.3), in units of ``c`` per money unit of ``L``'s table.

    Parameters
    ----------
    L : pandas.DataFrame
        Leontief inverse (:func:`leontief_inverse`).
    coefficients : pandas.Series
        Primary input per unit of each sector's output, indexed like ``L`` (value added per yuan
        of output, a share 0–1; or persons per 万元 of output for employment).

    Returns
    -------
    pandas.Series
        ``multiplier`` per sector: that input needed in the whole economy per unit of final
        demand for the sector (unit of ``coefficients``).
    """
    Lf = _square(L, "L")
    c = _vector(coefficients, Lf.index, "coefficients")
    return pd.Series(c.to_numpy() @ Lf.to_numpy(), index=Lf.columns, name="multiplier")


# ----------------------------------------------------------------------------------------
# linkages and key sectors
# ----------------------------------------------------------------------------------------


def classify_quadrants(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Linkage class per sector from normalised backward/forward linkages (:data:`QUADRANTS`).

    Parameters
    ----------
    backward : numpy.ndarray
        Normalised backward linkages (mean 1 over sectors; dimensionless).
    forward : numpy.ndarray
        Normalised forward linkages, same length.

    Returns
    -------
    numpy.ndarray
        One of :data:`QUADRANTS` per sector: ``key`` (both > 1), ``backward_oriented``,
        ``forward_oriented`` or ``weak``.

    Examples
    --------
    >>> classify_quadrants(np.array([1.2, 0.8, 1.1]), np.array([1.1, 0.9, 0.7]))
    array(['key', 'weak', 'backward_oriented'], dtype='<U17')
    """
    return np.select(
        [(backward > 1) & (forward > 1), backward > 1, forward > 1],
        ["key", "backward_oriented", "forward_oriented"],
        default="weak",
    )


def linkages(Z: pd.DataFrame, x: pd.Series) -> pd.DataFrame:
    """Backward and forward linkages (normalised Rasmussen–Hirschman) and key sectors.

    Index: the sector labels of ``Z``. Columns:

    * ``output`` — gross output ``x`` (unit of the input);
    * ``backward_direct`` — column sum of A; ``forward_direct`` — row sum of B;
    * ``backward_total`` — column sum of L (= output multiplier); ``forward_total`` — row sum
      of the Ghosh inverse G;
    * ``backward``, ``forward`` — totals divided by their average over sectors (mean 1);
    * ``forward_leontief`` — normalised row sums of L (the NBS-style 感应度系数), for
      comparison only; the classification uses the Ghosh-based ``forward``;
    * ``quadrant`` — ``key`` (BL > 1 and FL > 1), ``backward_oriented``,
      ``forward_oriented``, ``weak``, or ``no_output`` for an absent sector;
    * ``key_sector`` — bool, ``quadrant == "key"``.

    One factorisation of ``I − A``; G's row sums are ``(L x)_i / x_i`` (G = x̂⁻¹ L x̂), so G
    is never formed. Zero-output sectors (no flows) are left out of the computation and
    reported with NaN linkages.

    Parameters
    ----------
    Z : pandas.DataFrame
        Square intermediate-flow matrix (row i supplies column j), in one money unit (万元 or
        yuan).
    x : pandas.Series
        Gross output per sector, indexed like ``Z``, in the same money unit.

    Returns
    -------
    pandas.DataFrame
        One row per sector with the columns listed above (``output`` in the unit of ``x``; the
        linkages dimensionless).
    """
    Zf = _square(Z, "Z")
    xs = _vector(x, Zf.index, "x")
    _reciprocal_output(Zf, xs, axis=0, what="linkages")
    _reciprocal_output(Zf, xs, axis=1, what="linkages")
    present = xs.to_numpy() > 0
    if not present.any():
        raise AnalysisError("linkages: every sector has zero gross output")
    Zv = Zf.to_numpy()[np.ix_(present, present)]
    xv = xs.to_numpy()[present]
    A = Zv / xv[np.newaxis, :]
    L = _inverse_np(A, "Leontief inverse")
    n = int(present.sum())
    bl_total = L.sum(axis=0)
    # row sums of G = x̂⁻¹ L x̂ without forming G: (L x)_i / x_i
    fl_total = (L @ xv) / xv
    backward = bl_total * n / bl_total.sum()
    forward = fl_total * n / fl_total.sum()
    full = len(Zf)

    def spread(values: np.ndarray, fill: float = np.nan) -> np.ndarray:
        arr = np.full(full, fill)
        arr[present] = values
        return arr

    quadrant = np.full(full, "no_output", dtype=object)
    quadrant[present] = classify_quadrants(backward, forward)
    out = pd.DataFrame(
        {
            "output": xs.to_numpy(),
            "backward_direct": spread(A.sum(axis=0)),
            "forward_direct": spread(Zv.sum(axis=1) / xv),
            "backward_total": spread(bl_total),
            "forward_total": spread(fl_total),
            "backward": spread(backward),
            "forward": spread(forward),
            "forward_leontief": spread(L.sum(axis=1) * n / L.sum()),
            "quadrant": quadrant,
            "key_sector": quadrant == "key",
        },
        index=Zf.index,
    )
    out.index.name = Zf.index.name or "sector"
    return out


# ----------------------------------------------------------------------------------------
# service intensity
# ----------------------------------------------------------------------------------------


def service_intensity(A: pd.DataFrame, L: pd.DataFrame, kind: pd.Series) -> pd.DataFrame:
    """Service inputs per unit of output (direct, from A) and per unit of final demand (total).

    ``kind``: per sector ``goods`` or ``services`` (sector metadata). Columns:

    * ``direct`` — Σ_{i service} a_ij: yuan of service inputs per yuan of j's output;
    * ``direct_share`` — direct / Σ_i a_ij: services' share of j's intermediate inputs;
    * ``total`` — Σ_{i service} (L − I)_ij: service output induced in the economy, directly
      and indirectly, per yuan of final demand for j (the delivered unit itself excluded);
    * ``indirect`` — total − direct.

    Parameters
    ----------
    A : pandas.DataFrame
        Input coefficients (yuan per yuan).
    L : pandas.DataFrame
        Leontief inverse of ``A``.
    kind : pandas.Series
        ``goods`` or ``services`` per sector, indexed like ``A``.

    Returns
    -------
    pandas.DataFrame
        One row per sector: ``kind``, ``direct``, ``direct_share`` (share 0–1), ``indirect``,
        ``total`` (yuan of service inputs per yuan of output or final demand).
    """
    Af = _square(A, "A")
    Lf = _square(L, "L")
    if not Lf.index.equals(Af.index):
        if set(Lf.index) != set(Af.index):
            raise AnalysisError("service_intensity: A and L have different sectors")
        Lf = Lf.loc[Af.index, Af.index]
    k = kind.reindex(Af.index)
    if k.isna().any():
        missing = [str(v) for v in Af.index[k.isna().to_numpy()][:5]]
        raise AnalysisError(f"service_intensity: no goods/services kind for sector(s) {missing}")
    values = set(k.astype(str).unique())
    if not values <= {"goods", "services"}:
        raise AnalysisError(
            f"service_intensity: kind must be 'goods' or 'services', got {sorted(values)}"
        )
    is_service = (k.astype(str) == "services").to_numpy()
    a = Af.to_numpy()
    li = Lf.to_numpy() - np.eye(len(Af))
    direct = a[is_service, :].sum(axis=0)
    col = a.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(col > 0, direct / np.where(col > 0, col, 1.0), np.nan)
    total = li[is_service, :].sum(axis=0)
    out = pd.DataFrame(
        {
            "kind": k.astype(str).to_numpy(),
            "direct": direct,
            "direct_share": share,
            "indirect": total - direct,
            "total": total,
        },
        index=Af.index,
    )
    out.index.name = Af.index.name or "sector"
    return out
