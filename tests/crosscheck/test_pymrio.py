"""Cross-check against pymrio (test-only dependency) on its bundled test MRIO system.

pymrio 0.7 (``pymrio/tools/iomath.py``) computes ``A = Z x̂⁻¹`` (``calc_A``), ``L`` by
``numpy.linalg.inv(I − A)`` (``calc_L``), ``B = x̂⁻¹ Z`` (``calc_B``), ``G`` by
``inv(I − B)`` or ``x̂⁻¹ L x̂`` (``calc_G``) and extension multipliers ``M = S L`` with
``S = F x̂⁻¹`` (``calc_S``, ``calc_M``). Ours solves an LU factorisation instead of inverting;
the results must agree to rounding. Output multipliers (column sums of L) are not a pymrio
function, so they are compared with the column sums of pymrio's L.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clusteratlas.analysis.linkages import (
    allocation_coefficients,
    ghosh_inverse,
    input_multipliers,
    leontief_inverse,
    linkages,
    output_multipliers,
    technical_coefficients,
)
from clusteratlas.errors import AnalysisError

pymrio = pytest.importorskip("pymrio")


@pytest.fixture(scope="module")
def mrio():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        io = pymrio.load_test()
        io.calc_all(include_ghosh=True)
    return io


@pytest.fixture(scope="module")
def ours(mrio):  # type: ignore[no-untyped-def]
    x = mrio.x["indout"]
    A = technical_coefficients(mrio.Z, x)
    B = allocation_coefficients(mrio.Z, x)
    return {"x": x, "A": A, "L": leontief_inverse(A), "B": B, "G": ghosh_inverse(B)}


def test_coefficients_equal_pymrio(mrio, ours) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_allclose(ours["A"].to_numpy(), mrio.A.to_numpy(), rtol=1e-12, atol=0)
    assert ours["A"].index.equals(mrio.A.index) and ours["A"].columns.equals(mrio.A.columns)
    np.testing.assert_allclose(ours["B"].to_numpy(), mrio.B.to_numpy(), rtol=1e-12, atol=0)


def test_leontief_inverse_equals_pymrio(mrio, ours) -> None:  # type: ignore[no-untyped-def]
    assert ours["L"].index.equals(mrio.L.index)
    np.testing.assert_allclose(ours["L"].to_numpy(), mrio.L.to_numpy(), rtol=1e-9, atol=1e-12)


def test_ghosh_inverse_equals_pymrio(mrio, ours) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_allclose(ours["G"].to_numpy(), mrio.G.to_numpy(), rtol=1e-9, atol=1e-12)


def test_output_multipliers_equal_pymrio_column_sums(mrio, ours) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_allclose(
        output_multipliers(ours["L"]).to_numpy(), mrio.L.to_numpy().sum(axis=0), rtol=1e-9
    )


def test_value_added_multipliers_equal_pymrio_M(mrio, ours) -> None:  # type: ignore[no-untyped-def]
    # pymrio's factor_inputs extension: F = value added, S = F x̂⁻¹, M = S L
    F = mrio.factor_inputs.F.loc["Value Added"]
    v = F / ours["x"]
    mult = input_multipliers(ours["L"], v)
    np.testing.assert_allclose(
        mult.to_numpy(), mrio.factor_inputs.M.loc["Value Added"].to_numpy(), rtol=1e-9
    )


def test_linkages_from_pymrio_matrices(mrio) -> None:  # type: ignore[no-untyped-def]
    res = linkages(mrio.Z, mrio.x["indout"])
    L, G = mrio.L.to_numpy(), mrio.G.to_numpy()
    n = len(L)
    np.testing.assert_allclose(res["backward"], n * L.sum(axis=0) / L.sum(), rtol=1e-9)
    np.testing.assert_allclose(res["forward"], n * G.sum(axis=1) / G.sum(), rtol=1e-9)


def test_zero_output_with_inputs_differs_deliberately_from_pymrio() -> None:
    """Peer difference (documented): pymrio's ``calc_A`` sets 1/0 to 0, so a sector with zero
    output but non-zero inputs silently gets a zero coefficient column and the inputs vanish.
    We treat that table as inconsistent and raise; a zero-output sector without any flows
    gets a zero column in both."""
    labels = ["a", "b"]
    Z = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=labels, columns=labels)
    x = pd.Series([10.0, 0.0], index=labels)
    peer = pymrio.calc_A(Z, x)
    assert (peer["b"] == 0).all()  # pymrio: inputs of 'b' silently dropped
    with pytest.raises(AnalysisError, match="zero gross output"):
        technical_coefficients(Z, x)
    Z0 = Z.copy()
    Z0["b"] = 0.0
    Z0.loc["b"] = 0.0
    np.testing.assert_allclose(
        technical_coefficients(Z0, x).to_numpy(), pymrio.calc_A(Z0, x).to_numpy()
    )
