"""Benchmark: first load of each dashboard page, with the precomputed page store vs without.

    .venv/bin/python bench/pages.py --workspace clusteratlas-demo/workspace.duckdb
    .venv/bin/python bench/pages.py                      # builds a demo (20,000 firms) first

Both variants open a fresh app (``create_app``) in its own process and request each page
once, in order, timing the first load (nothing cached in memory): ``store`` reads the results
``clusteratlas demo``/``serve`` precomputed next to the workspace (``<workspace>.pages/``,
:mod:`clusteratlas.web.precompute`); the baseline ``compute`` hides the store and runs the
analyses on the request path, as before. Prints seconds per page and the ratio; the goal is
every page ≤ 2 s with the store. Data: the demo workspace (real facts + SYNTHETIC firms).
Appends a block to bench/RESULTS.md (``--no-append`` to skip).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from _harness import conditions, machine

PAGES = [
    "/",
    "/clusters",
    "/chains",
    "/chains/ic",
    "/opportunities",
    "/ladder",
    "/ladder/firm/{firm}",
]

_CHILD = r"""
import json, sys, time, shutil
from pathlib import Path
from fastapi.testclient import TestClient
from clusteratlas.web.app import create_app
workspace, firm = Path(sys.argv[1]), sys.argv[2]
hide, pages = sys.argv[3] == "1", json.loads(sys.argv[4])
store = workspace.with_name(workspace.name + ".pages")
hidden = store.with_name(store.name + ".hidden")
if hide and store.exists():
    store.rename(hidden)
try:
    out = {}
    with TestClient(create_app(workspace)) as client:
        for page in pages:
            path = page.replace("{firm}", firm)
            start = time.perf_counter()
            status = client.get(path).status_code
            out[page] = [time.perf_counter() - start, status]
finally:
    if hide and hidden.exists():
        hidden.rename(store)
print(json.dumps(out))
"""


def _run(workspace: Path, firm: str, hide: bool) -> dict[str, list[float]]:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            str(workspace),
            firm,
            "1" if hide else "0",
            json.dumps(PAGES),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", type=Path, default=None)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    workspace = args.workspace
    if workspace is None:
        out = Path(tempfile.mkdtemp(prefix="bench-pages-"))
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from clusteratlas.cli import main; main()",
                "demo",
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
        )
        workspace = out / "workspace.duckdb"
    from clusteratlas.model.plan import load_plan
    from clusteratlas.web.precompute import Store, precompute

    if not Store(workspace, load_plan("beijing-2441")).valid():
        precompute(workspace, "beijing-2441")
    import duckdb

    con = duckdb.connect(str(workspace), read_only=True)
    firm = str(con.sql("select firm_id from firm order by firm_id limit 1").fetchall()[0][0])
    con.close()
    store = _run(workspace, firm, hide=False)
    compute = _run(workspace, firm, hide=True)
    rows = [
        f"| `{p}` | {store[p][0]:.2f} | {compute[p][0]:.2f} | {compute[p][0] / store[p][0]:.1f} |"
        for p in PAGES
    ]
    worst = max(v[0] for v in store.values())
    block = "\n".join(
        [
            f"## pages — dashboard first load, precomputed store vs on request "
            f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
            "",
            f"Machine: {machine('duckdb', 'fastapi', extra='one fresh app per variant')}. "
            f"{conditions(load)}. Data: demo workspace `{workspace}` (real facts + SYNTHETIC "
            f"firms). Command: `.venv/bin/python bench/pages.py`. Each page requested once in "
            "order on a fresh app (first load; one analysis result may serve several pages).",
            "",
            "| page | store s | on request s (baseline) | × faster |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            f"- slowest page with the store: {worst:.2f} s (goal ≤ 2 s); every status "
            f"{sorted({int(v[1]) for v in store.values()})}.",
        ]
    )
    print(block)
    if not args.no_append:
        with (Path(__file__).parent / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write("\n" + block + "\n")


if __name__ == "__main__":
    main()
