"""Benchmark: validated import of a firm-years file vs the DuckDB floor and pandas baselines.

Generates a firm-years CSV of N rows (default 10,000,000) and the same as Parquet (DuckDB
``COPY``, seeded), imports each with ``Workspace.import_file`` (full validation: units,
year range, non-negative, duplicate keys in file and against the workspace) and, as
baselines in the same run (**no validation, no unit parsing** — they do less work):

- the **floor**: a plain DuckDB ``CREATE TABLE … AS SELECT * FROM read_csv(file)`` (and
  ``read_parquet``) into a fresh DuckDB file, same threads and memory limit — no import can
  be faster than reading the file once into a table;
- ``pandas.read_csv`` + a plain ``CREATE TABLE … AS SELECT * FROM df`` into DuckDB;
- ``pandas.read_csv`` + row-wise ``executemany`` (what ``DataFrame.to_sql`` does).

If a baseline is too slow at N it runs on a subset (``--baseline-rows``) and rows/s are
compared per row. Peak memory is the process RSS sampled every 50 ms by a thread (psutil).

    .venv/bin/python bench/ingest.py --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))

from _harness import conditions, machine, publish  # noqa: E402

from clusteratlas.workspace import open_workspace  # noqa: E402


class PeakRSS:
    """Sample this process's RSS in a thread; ``peak`` in bytes."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._proc = psutil.Process()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self) -> PeakRSS:
        self.peak = self._proc.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


def generate(folder: Path, rows: int) -> tuple[Path, Path]:
    """Write ``firm_years.csv`` and ``firm_years.parquet`` with ``rows`` rows (seeded)."""
    csv = folder / "firm_years.csv"
    parquet = folder / "firm_years.parquet"
    con = duckdb.connect()
    con.execute("SELECT setseed(0.42)")
    query = f"""
        SELECT 'F' || lpad(CAST(i // 10 AS VARCHAR), 9, '0') AS "企业ID",
               2014 + CAST(i % 10 AS INTEGER) AS "年份",
               round(random() * 100000, 2) AS "营业收入(万元)",
               CAST(floor(random() * 5000) AS INTEGER) AS "从业人员",
               round(random() * 5000, 2) AS "研发费用(万元)",
               CAST(floor(random() * 300) AS INTEGER) AS "研发人员",
               CAST(floor(random() * 50) AS INTEGER) AS "发明专利",
               round(random(), 4) AS "资产负债率",
               round(random() * 0.4 - 0.1, 4) AS "净利润率"
        FROM range({rows}) t(i)
    """
    con.execute(f"COPY ({query}) TO '{csv}' (HEADER, DELIMITER ',')")
    con.execute(
        f"COPY (SELECT * FROM read_csv('{csv}', header=true, all_varchar=false)) "
        f"TO '{parquet}' (FORMAT parquet)"
    )
    con.close()
    return csv, parquet


def timed(fn: Callable[[], Any]) -> tuple[float, int, Any]:
    """Run ``fn`` once: seconds, peak RSS bytes, result."""
    with PeakRSS() as mem:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
    return seconds, mem.peak, result


def ours(path: Path, folder: Path, memory_limit: str) -> tuple[float, int, int]:
    """Validated import into a fresh workspace (created outside the timing, with its
    reference data); returns seconds, peak RSS, rows imported."""
    ws_path = folder / f"ws-{time.monotonic_ns()}.duckdb"
    with open_workspace(ws_path, memory_limit=memory_limit) as ws:
        ws.con.execute("SET threads = 2")
        seconds, peak, result = timed(lambda: ws.import_file("firm-years", path, dataset="bench"))
    for suffix in ("", ".wal"):
        Path(str(ws_path) + suffix).unlink(missing_ok=True)
    return seconds, peak, int(result.rows)


def floor(path: Path, folder: Path, memory_limit: str) -> int:
    """Plain DuckDB read of the file into a table of a fresh DuckDB file (types sniffed by
    DuckDB, no validation): the floor any import of this file is measured against."""
    db = folder / f"floor-{time.monotonic_ns()}.duckdb"
    con = duckdb.connect(str(db), config={"memory_limit": memory_limit, "threads": 2})
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    con.execute(f"CREATE TABLE firm_year AS SELECT * FROM {reader}('{path}')")
    n = con.execute("SELECT count(*) FROM firm_year").fetchone()[0]  # type: ignore[index]
    con.close()
    for suffix in ("", ".wal"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return int(n)


def baseline(path: Path, folder: Path, rows: int) -> int:
    """pandas.read_csv + plain INSERT into DuckDB (no validation, no unit parsing)."""
    frame = pd.read_csv(path, nrows=rows, dtype={"企业ID": "str"})
    db = folder / f"base-{time.monotonic_ns()}.duckdb"
    con = duckdb.connect(str(db))
    con.register("frame", frame)
    con.execute("CREATE TABLE firm_year AS SELECT * FROM frame")
    n = con.execute("SELECT count(*) FROM firm_year").fetchone()[0]  # type: ignore[index]
    con.close()
    db.unlink(missing_ok=True)
    return int(n)


def baseline_to_sql(path: Path, folder: Path, rows: int) -> int:
    """pandas.read_csv + row-wise parameterised INSERT (what ``DataFrame.to_sql`` does:
    ``executemany``), no validation."""
    frame = pd.read_csv(path, nrows=rows, dtype={"企业ID": "str"})
    db = folder / f"tosql-{time.monotonic_ns()}.duckdb"
    con = duckdb.connect(str(db))
    cols = ", ".join(f'"c{i}" {"VARCHAR" if i == 0 else "DOUBLE"}' for i in range(frame.shape[1]))
    con.execute(f"CREATE TABLE firm_year ({cols})")
    marks = ", ".join("?" for _ in range(frame.shape[1]))
    con.executemany(
        f"INSERT INTO firm_year VALUES ({marks})", [tuple(r) for r in frame.itertuples(index=False)]
    )
    n = con.execute("SELECT count(*) FROM firm_year").fetchone()[0]  # type: ignore[index]
    con.close()
    db.unlink(missing_ok=True)
    return int(n)


def main() -> None:
    """Run the benchmark and append the result block to bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--baseline-rows",
        type=int,
        default=None,
        help="rows for the pandas baseline (default: same as --rows)",
    )
    parser.add_argument(
        "--to-sql-rows",
        type=int,
        default=100_000,
        help="rows for the row-wise to_sql-style baseline (slow)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per variant (median)")
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory_limit")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]  # before any work of this run
    base_rows = args.baseline_rows or args.rows
    with tempfile.TemporaryDirectory(prefix="ca-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        csv, parquet = generate(folder, args.rows)
        gen_s = time.perf_counter() - t0
        results: dict[str, tuple[float, int, int]] = {}
        variants: dict[str, Callable[[], tuple[float, int, int]]] = {
            "ours_csv": lambda: ours(csv, folder, args.memory_limit),
            "ours_parquet": lambda: ours(parquet, folder, args.memory_limit),
            "duckdb_read_csv": lambda: timed(lambda: floor(csv, folder, args.memory_limit)),
            "duckdb_read_parquet": lambda: timed(lambda: floor(parquet, folder, args.memory_limit)),
            "pandas_csv": lambda: timed(lambda: baseline(csv, folder, base_rows)),
            "pandas_to_sql_style": lambda: timed(
                lambda: baseline_to_sql(csv, folder, args.to_sql_rows)
            ),
        }
        for name, fn in variants.items():
            times, peaks, n = [], [], 0
            for _ in range(args.repeat):
                seconds, peak, n = fn()
                times.append(seconds)
                peaks.append(peak)
                print(
                    f"{name}: {n:,} rows in {seconds:.1f} s, peak RSS {peak / 2**20:.0f} MiB",
                    flush=True,
                )
            results[name] = (statistics.median(times), max(peaks), n)
    rate = {k: v[2] / v[0] for k, v in results.items()}
    ratio_csv = rate["ours_csv"] / rate["pandas_csv"]
    ratio_parquet = rate["ours_parquet"] / rate["pandas_csv"]
    ratio_to_sql = rate["ours_csv"] / rate["pandas_to_sql_style"]
    # time per row of ours ÷ time per row of the floor (target ≤ 2×)
    floor_csv = rate["duckdb_read_csv"] / rate["ours_csv"]
    floor_parquet = rate["duckdb_read_parquet"] / rate["ours_parquet"]
    csv_size = ""
    lines = [
        f"\n## ingest — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n",
        f"- machine: {machine('duckdb', 'pandas')}; {conditions(load_before)}.",
        f"- data: firm-years, {args.rows:,} rows × 9 columns (Chinese headers, units in "
        f"headers), generated in {gen_s:.1f} s{csv_size}; DuckDB memory_limit "
        f"{args.memory_limit}, threads 2; median of {args.repeat} run(s).",
        "- ours = `Workspace.import_file` with full validation (header aliases, unit "
        "normalisation, year range, non-negative, duplicate keys in file and workspace, "
        "rejects relation, one transaction).",
        "- floor duckdb_read_csv / duckdb_read_parquet = a plain DuckDB `CREATE TABLE firm_year "
        "AS SELECT * FROM read_csv(file)` (`read_parquet`) into a fresh DuckDB file, types "
        "sniffed, same threads and memory limit, no validation: the floor of any import.",
        "- baseline pandas_csv = `pandas.read_csv` + bulk `CREATE TABLE … AS SELECT * FROM df` "
        "into DuckDB (DuckDB scans the DataFrame; the fastest pandas route): **validation and "
        "unit parsing skipped** (it does less work)"
        + (
            f"; run on the first {base_rows:,} rows only, compared per row."
            if base_rows != args.rows
            else "."
        ),
        f"- baseline pandas_to_sql_style = `pandas.read_csv` + row-wise parameterised INSERT "
        f"(`executemany`, what `DataFrame.to_sql` does), validation skipped; run on the first "
        f"{args.to_sql_rows:,} rows only (too slow at full size), compared per row.",
        "",
        "| variant | rows | seconds | rows/s | peak RSS (MiB) | ours_csv ÷ this (rows/s) "
        "| time per row ÷ DuckDB floor (same format) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (seconds, peak, n) in results.items():
        ratio = rate["ours_csv"] / rate[name]
        fmt_floor = "duckdb_read_parquet" if "parquet" in name else "duckdb_read_csv"
        lines.append(
            f"| {name} | {n:,} | {seconds:.1f} | {rate[name]:,.0f} | "
            f"{peak / 2**20:,.0f} | {ratio:.2f}× | {rate[fmt_floor] / rate[name]:.2f}× |"
        )
    lines.append("")
    lines.append(
        f"**Validated import vs the DuckDB floor (time per row): CSV {floor_csv:.2f}×, "
        f"Parquet {floor_parquet:.2f}× (target ≤ 2×).** "
        f"ours_csv vs pandas bulk: {ratio_csv:.2f}×, vs pandas to_sql-style: "
        f"{ratio_to_sql:.2f}× (target ≥ 5×); ours_parquet vs pandas bulk: "
        f"{ratio_parquet:.2f}×; peak RSS ours: "
        f"{max(results['ours_csv'][1], results['ours_parquet'][1]) / 2**30:.2f} GiB "
        f"(target < 2 GiB)."
    )
    publish("\n".join(lines) + "\n", append=not args.no_append)


if __name__ == "__main__":
    main()
