"""Fixtures of the web tests: one small demo workspace per session (real Beijing facts +
a seeded synthetic registry over 2019–2020 of the smallest size the calibration allows),
the app over it and a live uvicorn server for browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
FIRMS = 4700
YEARS = "2019-2020"


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a demo workspace built once per session."""
    from clusteratlas.demo import build_workspace
    from clusteratlas.synth import parse_years
    from clusteratlas.synth.generator import min_firms

    out = tmp_path_factory.mktemp("demo")
    # the smallest registry the calibration accepts for these years (tagged firms are absolute
    # counts), but at least FIRMS
    firms = max(FIRMS, min_firms(parse_years(YEARS)))
    ws, _ = build_workspace(out, firms=firms, seed=0, years=YEARS)
    ws.close()
    return out / "workspace.duckdb"


@pytest.fixture(scope="session")
def app(demo_workspace: Path):  # type: ignore[no-untyped-def]
    from clusteratlas.web.app import cleanup, create_app

    web = create_app(demo_workspace)
    yield web
    cleanup(web)


@pytest.fixture(scope="session")
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(demo_workspace: Path) -> Iterator[str]:
    """Base URL of ``clusteratlas serve`` running in a subprocess on 127.0.0.1."""
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from clusteratlas.cli import main; main()",
            "serve",
            "--workspace",
            str(demo_workspace),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
        if proc.poll() is not None:
            raise RuntimeError(proc.stdout.read().decode() if proc.stdout else "server died")
    else:
        proc.kill()
        raise RuntimeError("server did not start within 60 s")
    # serve computes the pages' data in the background (no store next to this workspace);
    # until it is done a page says "preparing": the browser tests look at the finished pages
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        pages = [httpx.get(base + p, timeout=60).text for p in ("/", "/ladder")]
        if not any('id="preparing-title"' in text for text in pages):
            break
        time.sleep(1)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
