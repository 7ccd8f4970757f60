"""Fixtures of the hostile-input suite: a fresh workspace (copied from a template made once)
and a runner of the real console entry point in a subprocess, so an abort, a traceback or a
hang shows exactly as a user would see it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="session")
def template_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new workspace (reference data loaded), created once."""
    from clusteratlas.workspace import open_workspace

    path = tmp_path_factory.mktemp("template") / "template.duckdb"
    with open_workspace(path) as workspace:
        workspace.con.execute("CHECKPOINT")
    return path


@pytest.fixture()
def workspace(tmp_path: Path, template_workspace: Path) -> Path:
    """A fresh copy of the template workspace."""
    target = tmp_path / "ws.duckdb"
    shutil.copy(template_workspace, target)
    return target


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``clusteratlas ARGS`` through its console entry point (``main``)."""
    environ = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "200", **(env or {})}
    environ.pop("CLUSTERATLAS_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-c", "from clusteratlas.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=timeout,
        cwd=cwd,
    )


def assert_one_error(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    """Exit ``code``, stderr one ``error:`` line naming ``needles``, no traceback or abort."""
    assert result.returncode == code, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "panicked" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr[-2000:]
    for needle in needles:
        assert needle in errors[0], errors[0]
