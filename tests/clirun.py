"""One runner of the real ``clusteratlas`` console entry point in a subprocess, shared by the
CLI tests: the worktree's ``src`` first on the path, a wide terminal (200 columns, so tables
and messages do not wrap), and no ``CLUSTERATLAS_DEBUG``/``CLUSTERATLAS_WORKSPACE`` leaking in
from the caller's environment (pass them in ``env`` to set them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``clusteratlas ARGS`` through its console entry point (``main``); ``timeout`` in s."""
    environ = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "200"}
    environ.pop("CLUSTERATLAS_DEBUG", None)
    environ.pop("CLUSTERATLAS_WORKSPACE", None)
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", "from clusteratlas.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=timeout,
        cwd=cwd,
    )
