"""Public functions state their inputs and outputs: numpydoc Parameters and Returns sections.

Walks the public functions (no leading ``_``, defined in the module) of the analysis modules,
``classify``, ``units`` and ``api``. A function with parameters needs a ``Parameters`` section;
one that returns something (annotation other than ``None``) needs a ``Returns`` section. Units
are stated in the entries (yuan, 万元, 亿元, persons, %, share 0–1): a reviewer's job, not this
test's.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable
from typing import Any

import pytest

import clusteratlas.analysis

#: modules being split out of ``analysis/targets.py`` (issue 17); they get their sections when
#: the split lands, and leave this list then
NOT_YET_DOCUMENTED: set[str] = set()
ANALYSES = {
    f"clusteratlas.analysis.{m.name}"
    for m in pkgutil.iter_modules(clusteratlas.analysis.__path__)
    if not m.name.startswith("_")
}
MODULES = [
    *sorted(ANALYSES - NOT_YET_DOCUMENTED),
    "clusteratlas.classify",
    "clusteratlas.units",
    "clusteratlas.api",
]

_SECTION = r"^\s*{}\n\s*-{{3,}}\s*$"


def _has_section(doc: str, name: str) -> bool:
    return re.search(_SECTION.format(name), doc, flags=re.MULTILINE) is not None


def _public_functions(module_name: str) -> list[tuple[str, Callable[..., Any]]]:
    module = importlib.import_module(module_name)
    return [
        (name, fn)
        for name, fn in vars(module).items()
        if not name.startswith("_") and inspect.isfunction(fn) and fn.__module__ == module_name
    ]


def _missing(fn: Callable[..., Any]) -> list[str]:
    doc = inspect.getdoc(fn) or ""
    if not doc:
        return ["docstring"]
    signature = inspect.signature(fn)
    wanted = []
    if signature.parameters:
        wanted.append("Parameters")
    if signature.return_annotation not in ("None", None, inspect.Signature.empty):
        wanted.append("Returns")
    return [section for section in wanted if not _has_section(doc, section)]


@pytest.mark.parametrize("module_name", MODULES)
def test_public_functions_have_parameters_and_returns(module_name: str) -> None:
    gaps = {
        name: missing for name, fn in _public_functions(module_name) if (missing := _missing(fn))
    }
    assert gaps == {}, f"{module_name}: functions without numpydoc sections: {gaps}"


def test_the_check_tells_a_documented_function_from_an_undocumented_one() -> None:
    def documented(x: int) -> int:
        """Twice.

        Parameters
        ----------
        x : int
            A count.

        Returns
        -------
        int
            Twice ``x``.
        """
        return 2 * x

    def bare(x: int) -> int:
        """Twice ``x``."""
        return 2 * x

    assert _missing(documented) == []
    assert _missing(bare) == ["Parameters", "Returns"]
    assert len(MODULES) > 10
