"""Miller & Blair's two-sector worked example (an independent, published source).

Miller, R. E. & Blair, P. D. (2009), *Input-Output Analysis: Foundations and Extensions*,
2nd ed., Cambridge University Press, ch. 2 (§2.2–2.3, Table 2.3 and the numerical example):
Z = [[150, 500], [200, 100]], x = [1000, 2000] give A = [[.15, .25], [.20, .05]] and
(I − A)⁻¹ = [[1.2541, 0.3300], [0.2640, 1.1221]] (the book prints four decimals); the output
multipliers of §6.2.1 are the column sums 1.5181 and 1.4521; final demand f = [600, 1500]
requires x = [1247.52, 1841.58]. The book text itself could not be retrieved through the
search tool here; the printed values are also the closed-form 2×2 inverse:
det(I − A) = 0.85·0.95 − 0.25·0.20 = 0.7575, L = [[0.95, 0.25], [0.20, 0.85]] / 0.7575.
The Ghosh side (M&B §12.1) follows from the same table: B = x̂⁻¹Z = [[.15, .5], [.1, .05]]
and G = x̂⁻¹Lx̂ = [[1.2541, 0.6601], [0.1320, 1.1221]].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusteratlas.analysis.linkages import (
    allocation_coefficients,
    ghosh_inverse,
    leontief_inverse,
    linkages,
    output_multipliers,
    technical_coefficients,
)

LABELS = ["sector1", "sector2"]
Z = pd.DataFrame([[150.0, 500.0], [200.0, 100.0]], index=LABELS, columns=LABELS)
X = pd.Series([1000.0, 2000.0], index=LABELS)


def test_technical_coefficients() -> None:
    A = technical_coefficients(Z, X)
    np.testing.assert_allclose(A.to_numpy(), [[0.15, 0.25], [0.20, 0.05]], atol=1e-15)


def test_leontief_inverse_matches_the_book() -> None:
    L = leontief_inverse(technical_coefficients(Z, X))
    np.testing.assert_allclose(
        L.to_numpy(), [[1.2541, 0.3300], [0.2640, 1.1221]], atol=5e-5
    )  # the book's four printed decimals
    exact = np.array([[0.95, 0.25], [0.20, 0.85]]) / 0.7575
    np.testing.assert_allclose(L.to_numpy(), exact, rtol=1e-14)


def test_output_multipliers_and_new_final_demand() -> None:
    L = leontief_inverse(technical_coefficients(Z, X))
    # the book adds its rounded L entries (1.2541 + 0.2640 = 1.5181); exact: 1.51815, 1.45215
    np.testing.assert_allclose(output_multipliers(L).to_numpy(), [1.5181, 1.4521], atol=1e-4)
    x_new = L.to_numpy() @ np.array([600.0, 1500.0])
    np.testing.assert_allclose(x_new, [1247.52, 1841.58], atol=5e-3)


def test_ghosh_side() -> None:
    B = allocation_coefficients(Z, X)
    np.testing.assert_allclose(B.to_numpy(), [[0.15, 0.5], [0.1, 0.05]], atol=1e-15)
    G = ghosh_inverse(B)
    np.testing.assert_allclose(G.to_numpy(), [[1.2541, 0.6601], [0.1320, 1.1221]], atol=5e-5)


def test_normalised_linkages_of_the_example() -> None:
    res = linkages(Z, X)
    # BL_j = 2 · colsum_j(L) / ΣL: 2·1.5181/2.9703 = 1.0222, 2·1.4521/2.9703 = 0.9778
    assert res["backward"].to_numpy() == pytest.approx([1.02222, 0.97778], abs=1e-4)
    # FL_i = 2 · rowsum_i(G) / ΣG: rows 1.9142 and 1.2541 of ΣG = 3.1683
    assert res["forward"].to_numpy() == pytest.approx([1.20834, 0.79166], abs=1e-4)
    assert res["quadrant"].tolist() == ["key", "weak"]
    # Leontief row sums 1.5842 and 1.3861 (for comparison): 1.06667, 0.93333
    assert res["forward_leontief"].to_numpy() == pytest.approx([1.06667, 0.93333], abs=1e-4)
