"""The rooms split out of ``analysis/targets.py`` and ``web/app.py`` import each other one way
only: every module imports alone in a fresh interpreter, no import cycle runs through them
(imports inside functions count too) and no module imports another's private names."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

import clusteratlas

SRC = Path(clusteratlas.__file__).resolve().parent

ROOMS = [
    "clusteratlas.analysis.projection",
    "clusteratlas.analysis.actuals",
    "clusteratlas.analysis.crossings",
    "clusteratlas.analysis.targets",
]
WEB = [
    "clusteratlas.web.validation",
    "clusteratlas.web.state",
    "clusteratlas.web.errors",
    "clusteratlas.web.routes.meta",
    "clusteratlas.web.routes.monitor",
    "clusteratlas.web.routes.chains",
    "clusteratlas.web.routes.ladder",
    "clusteratlas.web.routes.complexity",
    "clusteratlas.web.routes.datasets",
    "clusteratlas.web.pages",
    "clusteratlas.web.planner",
    "clusteratlas.web.app",
]


def _module_path(module: str) -> Path:
    relative = Path(*module.split(".")[1:])
    package = SRC / relative / "__init__.py"
    return package if package.exists() else SRC / relative.with_suffix(".py")


def _all_modules() -> set[str]:
    out = set()
    for path in SRC.rglob("*.py"):
        parts = ["clusteratlas", *path.relative_to(SRC).with_suffix("").parts]
        out.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


@cache
def _imports(module: str) -> frozenset[tuple[str, str]]:
    """(module imported, name imported) pairs of ``module``'s package imports, anywhere in it;
    name ``""`` for a plain ``import x``."""
    tree = ast.parse(_module_path(module).read_text(encoding="utf-8"))
    out: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.startswith("clusteratlas"):
                out |= {(node.module, alias.name) for alias in node.names}
        elif isinstance(node, ast.Import):
            out |= {(a.name, "") for a in node.names if a.name.startswith("clusteratlas")}
    return frozenset(out)


def _edges(module: str, modules: set[str]) -> set[str]:
    """The package modules ``module`` imports (``from pkg import sub`` counts as ``pkg.sub``)."""
    out = set()
    for target, name in _imports(module):
        sub = f"{target}.{name}"
        out.add(sub if sub in modules else target)
    return out & modules


def _cycle_through(start: str, modules: set[str]) -> list[str] | None:
    """An import path from ``start`` back to itself, or ``None``."""
    path: list[str] = []
    seen: set[str] = set()

    def visit(module: str) -> bool:
        for nxt in sorted(_edges(module, modules)):
            if nxt == start:
                path.append(nxt)
                return True
            if nxt in seen:
                continue
            seen.add(nxt)
            path.append(nxt)
            if visit(nxt):
                return True
            path.pop()
        return False

    return [start, *path] if visit(start) else None


@pytest.mark.parametrize("module", ROOMS + WEB)
def test_imports_alone_in_a_fresh_interpreter(module: str) -> None:
    path = os.pathsep.join(p for p in (str(SRC.parent), os.environ.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": path},  # this checkout's package, wherever it is
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("module", ROOMS + WEB)
def test_no_import_cycle_runs_through(module: str) -> None:
    assert _cycle_through(module, _all_modules()) is None


@pytest.mark.parametrize("module", ROOMS + WEB)
def test_no_private_names_from_other_modules(module: str) -> None:
    private = sorted(
        f"{m}.{n}" for m, n in _imports(module) if n.startswith("_") and not n.startswith("__")
    )
    assert private == []


def test_the_rooms_import_one_way() -> None:
    """projection ← actuals ← crossings ← targets: the statistics know no plan or tracker
    (only the pure growth formula and the errors)."""
    modules = _all_modules()
    assert _edges("clusteratlas.analysis.projection", modules) == {
        "clusteratlas.analysis.growth",
        "clusteratlas.errors",
    }
    for module, later in [
        ("clusteratlas.analysis.actuals", ROOMS[1:]),
        ("clusteratlas.analysis.crossings", ROOMS[2:]),
    ]:
        assert not _edges(module, modules) & set(later), module


def test_the_tracker_keeps_the_moved_names_importable() -> None:
    from clusteratlas.analysis import actuals, crossings, projection, targets

    for name in targets.__all__:
        moved = [m for m in (projection, actuals, crossings) if hasattr(m, name)]
        assert all(getattr(targets, name) is getattr(m, name) for m in moved), name


def test_only_the_app_imports_the_app() -> None:
    """Pages, planner and routes take the checks, ``ApiError`` and ``State`` from their own
    modules: nothing in the web package imports ``web.app`` (the old app ↔ pages cycle)."""
    modules = _all_modules()
    assert [m for m in WEB if "clusteratlas.web.app" in _edges(m, modules)] == []
