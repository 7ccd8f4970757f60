"""``analysis/iomath.py`` is pure (NumPy/pandas and the exception module only, like pymrio's
iomath) and breaks the old ``iotable`` ↔ ``linkages`` import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd

import clusteratlas.analysis as analysis
from clusteratlas.analysis import iomath, linkages

PACKAGE = Path(analysis.__file__).resolve().parent


def _imports(module: str) -> set[str]:
    """Every module ``module`` imports, at top level or inside functions."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def test_iomath_imports_nothing_of_the_package_but_errors() -> None:
    ours = {m for m in _imports("iomath") if m.startswith("clusteratlas")}
    assert ours <= {"clusteratlas.errors", "clusteratlas.errors.AnalysisError"}


def test_iotable_does_not_import_linkages() -> None:
    assert not any("linkages" in m for m in _imports("iotable"))


def test_linkages_reexports_the_same_functions() -> None:
    for name in iomath.__all__:
        assert getattr(linkages, name) is getattr(iomath, name)


def test_a_two_sector_table_by_hand() -> None:
    # Z = [[10, 20], [30, 40]], x = [100, 200]: A = Z x̂⁻¹, L = (I − A)⁻¹
    Z = pd.DataFrame([[10.0, 20.0], [30.0, 40.0]], index=["a", "b"], columns=["a", "b"])
    x = pd.Series([100.0, 200.0], index=["a", "b"])
    A = iomath.technical_coefficients(Z, x)
    np.testing.assert_allclose(A.to_numpy(), [[0.1, 0.1], [0.3, 0.2]])
    L = iomath.leontief_inverse(A)
    expected = np.linalg.inv(np.eye(2) - np.array([[0.1, 0.1], [0.3, 0.2]]))
    np.testing.assert_allclose(L.to_numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(iomath.output_multipliers(L).to_numpy(), expected.sum(axis=0))
