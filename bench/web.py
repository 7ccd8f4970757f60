"""Benchmark: latency of the main REST API routes under a bounded local load.

    .venv/bin/python bench/web.py                               # 50 clients × 20 s
    .venv/bin/python bench/web.py --clients 10 --duration 5     # a quick run
    .venv/bin/python bench/web.py --workspace clusteratlas-demo/workspace.duckdb

Starts ``clusteratlas serve`` (uvicorn) in a subprocess on 127.0.0.1 (loopback only) over a
demo workspace (real Beijing facts + a SYNTHETIC seeded registry, built in a temporary folder
unless ``--workspace`` is given), measures each route once cold (first request: the analysis
runs, the result is cached per route × parameters × workspace modification time), then runs
``--clients`` concurrent keep-alive clients (a minimal asyncio HTTP/1.1 client: httpx
would cost more CPU than the server on these shared cores) cycling over the routes for
``--duration`` seconds
(each client stops by itself at the deadline: the load is bounded) and reports p50/p95/max
per route and the error count. Baseline in the same run: ``/api/health`` (no analysis, no
cache) under the same load; the ratio route p95 ÷ health p95 shows what the cached analysis
routes cost beyond the framework. Target: p95 < 200 ms on every route, zero errors. Appends a
block to bench/RESULTS.md (``--no-append`` to skip).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from _harness import conditions, machine

ROUTES = [
    "/api/health",
    "/api/clusters",
    "/api/targets",
    "/api/chains?chain=ic",
    "/api/coverage",
    "/api/attract?chain=ic&node=design",
    "/api/regions",
    "/api/ladder?view=pipeline",
    "/api/ladder?limit=200",
    "/api/complexity?by=region",
    "/api/opportunities?region=110108",
    "/api/linkages",
    "/api/datasets",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, route: str
) -> int:
    """One HTTP/1.1 keep-alive GET on an open connection; returns the status code (the body is
    read completely). A minimal client: httpx costs more CPU per request than the server on
    these 2 shared cores, which would measure the client instead of the server."""
    writer.write(f"GET {route} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _load(port: int, clients: int, duration: float) -> tuple[dict[str, list[float]], int]:
    times: dict[str, list[float]] = {r: [] for r in ROUTES}
    errors = 0
    deadline = time.monotonic() + duration
    host = f"127.0.0.1:{port}"

    async def client(i: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        k = i
        try:
            while time.monotonic() < deadline:
                route = ROUTES[k % len(ROUTES)]
                k += 1
                start = time.perf_counter()
                try:
                    ok = await _get(reader, writer, host, route) == 200
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                times[route].append((time.perf_counter() - start) * 1000)
                if not ok:
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    return times, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", type=Path, default=None)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--years", default="2019-2020", help="demo registry years")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="bench-web-")
    workspace = args.workspace
    firms = None
    if workspace is None:
        from clusteratlas.demo import build_workspace
        from clusteratlas.synth import parse_years
        from clusteratlas.synth.generator import min_firms

        firms = min_firms(parse_years(args.years))
        start = time.perf_counter()
        ws, _ = build_workspace(Path(tmp.name), firms=firms, seed=0, years=args.years)
        ws.close()
        workspace = Path(tmp.name) / "workspace.duckdb"
        print(
            f"demo workspace: {firms} synthetic firms, {args.years}, "
            f"built in {time.perf_counter() - start:.1f} s"
        )
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from clusteratlas.cli import main; main()",
            "serve",
            "--workspace",
            str(workspace),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise SystemExit("server did not start")
        cold: dict[str, float] = {}
        for route in ROUTES:
            start = time.perf_counter()
            response = httpx.get(base + route, timeout=600)
            cold[route] = (time.perf_counter() - start) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{route}: {response.status_code} {response.text[:200]}")
        load = os.getloadavg()
        times, errors = asyncio.run(_load(port, args.clients, args.duration))
    finally:
        server.terminate()
        server.wait(timeout=10)
        tmp.cleanup()

    health_p95 = _pct(times["/api/health"], 0.95)
    total = sum(len(v) for v in times.values())
    lines = [
        "| route | cold (ms) | requests | p50 (ms) | p95 (ms) | max (ms) | p95 ÷ health p95 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    worst = 0.0
    for route in ROUTES:
        v = times[route]
        p95 = _pct(v, 0.95)
        if route != "/api/health":
            worst = max(worst, p95)
        lines.append(
            f"| `{route}` | {cold[route]:,.0f} | {len(v):,} | {statistics.median(v):.1f} | "
            f"{p95:.1f} | {max(v):.1f} | {p95 / health_p95:.2f}× |"
        )
    verdict = "met" if worst < 200 and errors == 0 else "NOT met"
    block = [
        f"## web — REST API latency under load ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {machine('fastapi', 'duckdb', 'pandas')} ({conditions(load[0])}).",
        f"Data: demo workspace ({firms or 'given'} SYNTHETIC firms, years {args.years}, real "
        "Beijing facts). Server: `clusteratlas serve` (uvicorn, 1 process) on 127.0.0.1; "
        f"{args.clients} concurrent keep-alive clients (minimal asyncio HTTP/1.1) cycling "
        "over the routes for "
        f"{args.duration:g} s (bounded), after one cold request per route. Results are cached "
        "per route × parameters × workspace mtime (cold = the analysis itself). Baseline in the "
        "same run: `/api/health` under the same load.",
        "",
        *lines,
        "",
        f"{total:,} requests, {errors} errors; worst p95 of an analysis route {worst:.1f} ms "
        f"(target p95 < 200 ms, zero errors: {verdict}).",
        "",
    ]
    text = "\n".join(block)
    print(text)
    if not args.no_append:
        results = Path(__file__).with_name("RESULTS.md")
        with results.open("a", encoding="utf-8") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
