"""The docstring examples run: every package module whose source shows ``>>>`` examples.

pytest's own ``--doctest-modules`` would collect ``src/`` next to ``tests/`` (``testpaths``) and
import every module, Spark and browser ones included; here the modules with examples are found
by their text and run with :mod:`doctest`, each as one test.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import clusteratlas

PACKAGE = Path(clusteratlas.__file__).parent
#: modules whose examples must exist (the small pure ones; issue 17)
REQUIRED = {
    "clusteratlas.analysis.growth",
    "clusteratlas.analysis.iomath",
    "clusteratlas.units",
}


def _modules_with_examples() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ">>> " in path.read_text(encoding="utf-8"):
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            found.append(".".join(p for p in parts if p != "__init__"))
    return found


MODULES = _modules_with_examples()


def test_the_pure_modules_have_examples() -> None:
    assert set(MODULES) >= REQUIRED


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name}: no example ran"
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
