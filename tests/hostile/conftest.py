"""Fixtures of the hostile-input suite: a fresh workspace (copied from a template made once)
and a runner of the real console entry point in a subprocess, so an abort, a traceback or a
hang shows exactly as a user would see it."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.conftest import template_workspace  # noqa: F401 - the shared fixture

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture()
def workspace(tmp_path: Path, template_workspace: Path) -> Path:  # noqa: F811
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


@contextlib.contextmanager
def locked(workspace: Path) -> Iterator[None]:
    """Another process holds ``workspace`` open for writing (DuckDB's file lock)."""
    code = (
        f"import duckdb, time; c = duckdb.connect({str(workspace)!r}); print('ok', flush=True); "
        "time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        yield
    finally:
        holder.kill()
        holder.wait()
