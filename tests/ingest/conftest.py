"""Shared fixtures: a fresh workspace and a fingerprint of everything in it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from clusteratlas.model.schema import TABLES
from clusteratlas.workspace import Workspace, open_workspace


@pytest.fixture(scope="session")
def template_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new workspace (reference data loaded), created once and copied per test."""
    path = tmp_path_factory.mktemp("template") / "template.duckdb"
    with open_workspace(path) as workspace:
        workspace.con.execute("CHECKPOINT")
    return path


@pytest.fixture()
def ws(tmp_path: Path, template_workspace: Path) -> Iterator[Workspace]:
    """A fresh workspace file in a temporary folder (a copy of the template)."""
    target = tmp_path / "ws.duckdb"
    shutil.copy(template_workspace, target)
    with open_workspace(target) as workspace:
        yield workspace


def fingerprint(workspace: Workspace) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent content hash of every table."""
    result = {}
    for name in (*TABLES, "dataset"):
        row = workspace.con.execute(
            f'SELECT count(*), coalesce(sum(hash(x)), 0) FROM "{name}" x'
        ).fetchone()
        assert row is not None
        result[name] = (int(row[0]), int(row[1]))
    return result
