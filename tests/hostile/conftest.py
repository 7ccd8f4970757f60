"""Fixtures of the hostile-input suite: a fresh workspace (copied from a template made once)
and checks of the real console entry point run in a subprocess (:func:`clirun.run_cli`), so
an abort, a traceback or a hang shows exactly as a user would see it."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.conftest import template_workspace  # noqa: F401 - the shared fixture


@pytest.fixture()
def workspace(tmp_path: Path, template_workspace: Path) -> Path:  # noqa: F811
    """A fresh copy of the template workspace."""
    target = tmp_path / "ws.duckdb"
    shutil.copy(template_workspace, target)
    return target


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
