"""A SIGKILL in the middle of an import leaves no partial dataset; the next import works."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from clusteratlas.workspace import open_workspace

SCRIPT = """
import sys, time
from clusteratlas.workspace import open_workspace
ws = open_workspace(sys.argv[1])
if sys.argv[3] == "in-transaction":
    # pause after the rows are inserted, before COMMIT, so the kill lands mid-transaction
    class Pausing:
        def __init__(self, con):
            self._con = con
        def execute(self, sql, *args):
            result = self._con.execute(sql, *args)
            if sql.startswith('INSERT INTO "firm_year"'):
                print("inserted", flush=True)
                time.sleep(60)
            return result
        def __getattr__(self, name):
            return getattr(self._con, name)
    ws.con = Pausing(ws.con)
print("importing", flush=True)
ws.import_file("firm-years", sys.argv[2], dataset="big")
print("done", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("when", ["in-transaction", "after-0.5s"])
def test_kill_during_import(tmp_path: Path, when: str) -> None:
    # large enough that a kill 0.5 s into the import lands mid-import even on a quiet machine
    rows = 600_000 if when == "in-transaction" else 2_000_000
    data = tmp_path / "big.csv"
    duckdb.connect().execute(
        f"COPY (SELECT 'F' || CAST(i AS VARCHAR) AS firm_id, 2020 AS year, "
        f"CAST(i % 100 AS VARCHAR) || '万元' AS revenue, i % 100 AS employees "
        f"FROM range({rows}) t(i)) "
        f"TO '{data}' (HEADER)"
    )
    workspace = tmp_path / "ws.duckdb"
    open_workspace(workspace).close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(workspace), str(data), when],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "importing"
    if when == "in-transaction":
        line = proc.stdout.readline().strip()
        assert line == "inserted", proc.stderr.read() if proc.stderr else ""
    else:
        time.sleep(0.5)
    still_running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert still_running, "the import finished before the kill; use a larger file"
    assert proc.returncode == -signal.SIGKILL
    with open_workspace(workspace) as ws:
        (loaded,) = ws.con.execute("SELECT count(*) FROM firm_year").fetchone() or (0,)
        (registered,) = ws.con.execute(
            "SELECT count(*) FROM dataset WHERE name = 'big'"
        ).fetchone() or (0,)
        if when == "in-transaction":  # killed before COMMIT: nothing may be visible
            assert (loaded, registered) == (0, 0)
        else:
            # a kill at an arbitrary moment (a fast machine may already have committed):
            # all or nothing, and the registry agrees with the table — never a partial dataset
            assert (loaded, registered) in ((0, 0), (rows, 1))
        result = ws.import_file("firm-years", data, dataset="big")
        assert result.status == ("imported" if loaded == 0 else "unchanged")
        assert ws.con.execute("SELECT count(*) FROM firm_year").fetchone() == (rows,)
