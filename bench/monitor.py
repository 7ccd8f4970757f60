"""Benchmark: the cluster monitor on a synthetic firm-year panel read from Parquet.

    .venv/bin/python bench/monitor.py                 # 10M firms × 5 years (the target size)
    .venv/bin/python bench/monitor.py --firms 200000  # a quick run

Data (SYNTHETIC, generated here with DuckDB ``range()`` and hash-based pseudo-random columns,
written to a temporary directory): ``firm_year.parquet`` has one row per firm × year
(``--firms`` × ``--years``) with the firm's region (300 codes), revenue and value added (yuan)
and employees (persons); ``panel.parquet`` is those rows × the firm's cluster (20 clusters,
~10 % of firms unclassified → NULL, ~10 % of classified firms in a second cluster and so
repeated). ``gdp.parquet`` has GDP per region × year (yuan).

Compared in the same run: ``clusteratlas.analysis.clusters.monitor`` (Ibis → DuckDB, lazy
Parquet scans) against an idiomatic pandas implementation of the same metrics (read_parquet,
groupby/agg, merge, groupby-shift). Each side runs in its own subprocess so its peak memory
(ru_maxrss) is its own; each reports the median of ``--repeats`` runs timed from Parquet to a
pandas result. Region totals for the LQ come from the firm-year table (``region_totals=``), as
in the workspace; the panel-only default (distinct firm-years) is much slower at this size and
is not what is timed here. pandas runs on ``--pandas-firms`` firms (default: the same size,
capped at 2M firms to keep the shared machine usable); if smaller, the comparison is per panel
row (throughput) and the output says so. Appends a block to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _harness import conditions, machine

LEVELS = [("trillion", 1e12), ("hundred_billion", 1e11)]
HERE = Path(__file__).resolve().parent


def generate(folder: Path, firms: int, years: int) -> tuple[int, int]:
    """Write the synthetic ``firm_year.parquet`` (firm × year with the firm's region),
    ``panel.parquet`` (those rows × the firm's clusters) and ``gdp.parquet`` into ``folder``;
    return (firm-year rows, panel rows)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    fy, panel = folder / "firm_year.parquet", folder / "panel.parquet"
    con.execute(
        f"""
        COPY (
            SELECT i // {years} AS firm_id,
                   CAST(2019 + i % {years} AS BIGINT) AS year,
                   CAST(110000 + hash(i // {years}, 'r') % 300 AS VARCHAR) AS region,
                   CAST(1e6 + hash(i, 'v') % 1000000000 AS DOUBLE) AS revenue,
                   CAST(3e5 + hash(i, 'v') % 1000000000 * 0.3 AS DOUBLE) AS value_added,
                   CAST(10 + hash(i // {years}, 'e') % 2000 AS DOUBLE) AS employees
            FROM range({firms * years}) t(i)
        ) TO '{fy}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
        """
    )
    # cluster ids: ~10 % unclassified (NULL); ~10 % of classified firms in a 2nd cluster
    first = "'c' || lpad(CAST(hash(firm_id, 'c') % 20 AS VARCHAR), 2, '0')"
    second = (
        "'c' || lpad(CAST((hash(firm_id, 'c') % 20 + 1 + hash(firm_id, 'd') % 19) % 20 "
        "AS VARCHAR), 2, '0')"
    )
    con.execute(
        f"""
        COPY (
            SELECT *, CASE WHEN hash(firm_id, 'u') % 10 = 0 THEN NULL ELSE {first} END AS cluster
            FROM '{fy}'
            UNION ALL
            SELECT *, {second} AS cluster FROM '{fy}'
            WHERE hash(firm_id, 'u') % 10 <> 0 AND hash(firm_id, 's') % 10 = 0
        ) TO '{panel}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
        """
    )
    con.execute(
        f"""
        COPY (SELECT CAST(110000 + r AS VARCHAR) AS region, CAST(2019 + y AS BIGINT) AS year,
                     CAST(1e11 + hash(r, y) % 100000000000 AS DOUBLE) AS gdp
              FROM range(300) a(r), range({years}) b(y))
        TO '{folder / "gdp.parquet"}' (FORMAT parquet)
        """
    )
    counts = [con.execute(f"SELECT count(*) FROM '{p}'").fetchone() for p in (fy, panel)]
    return int(counts[0][0]), int(counts[1][0])  # type: ignore[index]


def pandas_monitor(folder: Path) -> Any:
    """Idiomatic pandas: the same metrics as ``monitor`` (sizes, firms, level, share of GDP,
    yoy growth, LQ with region totals from the firm-year table)."""
    import numpy as np
    import pandas as pd

    panel = pd.read_parquet(folder / "panel.parquet")
    firm_years = pd.read_parquet(
        folder / "firm_year.parquet", columns=["region", "year", "employees"]
    )
    gdp = pd.read_parquet(folder / "gdp.parquet")
    keys = ["cluster", "region", "year"]
    out = (
        panel.dropna(subset=["cluster"])
        .groupby(keys, as_index=False, sort=True)
        .agg(
            revenue=("revenue", "sum"),
            value_added=("value_added", "sum"),
            employees=("employees", "sum"),
            firms=("firm_id", "count"),
        )
    )
    e_r = firm_years.groupby(["region", "year"]).employees.sum().rename("e_r")
    e_c = out.groupby(["cluster", "year"]).employees.sum().rename("e_c")
    e = e_r.groupby(level="year").sum().rename("e")
    out = out.join(e_r, on=["region", "year"]).join(e_c, on=["cluster", "year"]).join(e, on="year")
    out["lq"] = (out.employees / out.e_r) / (out.e_c / out.e)
    out = out.merge(gdp, on=["region", "year"], how="left")
    out["share_gdp"] = out.value_added / out.gdp
    grouped = out.groupby(["cluster", "region"])
    prev_year = grouped.year.shift(1)
    for m in ["revenue", "value_added", "employees", "firms"]:
        out[f"{m}_yoy"] = np.where(
            prev_year == out.year - 1, out[m] / grouped[m].shift(1) - 1, np.nan
        )
    out["level"] = np.select(
        [out.revenue >= 1e12, out.revenue >= 1e11], ["trillion", "hundred_billion"], "below"
    )
    return out.drop(columns=["e_r", "e_c", "e", "gdp"])


def ibis_monitor(folder: Path) -> Any:
    import ibis

    from clusteratlas.analysis.clusters import monitor

    con = ibis.duckdb.connect()
    con.raw_sql("SET enable_progress_bar = false")
    panel = con.read_parquet(folder / "panel.parquet")
    firm_years = con.read_parquet(folder / "firm_year.parquet")
    gdp = con.read_parquet(folder / "gdp.parquet")
    return monitor(panel, levels=LEVELS, gdp=gdp, region_totals=firm_years).to_pandas()


def worker(kind: str, folder: Path, repeats: int) -> None:
    import ibis  # imports outside the timed region
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    import clusteratlas.analysis.clusters  # noqa: F401

    del ibis
    fn = ibis_monitor if kind == "ibis" else pandas_monitor
    times, rows = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn(folder)
        times.append(time.perf_counter() - t0)
        rows = len(result)
        del result
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"times": times, "rows_out": rows, "peak_mib": peak_kib / 1024}))


def run_worker(kind: str, path: Path, repeats: int) -> dict[str, Any]:
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            kind,
            "--path",
            str(path),
            "--repeats",
            str(repeats),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{proc.stderr[-4000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--firms", type=int, default=10_000_000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--pandas-firms", type=int, default=None, help="default min(firms, 2M)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-append", action="store_true", help="do not append to RESULTS.md")
    ap.add_argument("--worker", choices=["ibis", "pandas"], help=argparse.SUPPRESS)
    ap.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    load_before = os.getloadavg()[0]  # before any work of this run
    if args.worker:
        worker(args.worker, args.path, args.repeats)
        return

    pandas_firms = args.pandas_firms or min(args.firms, 2_000_000)
    with tempfile.TemporaryDirectory(prefix="ca-bench-monitor-") as tmp:
        big = Path(tmp) / "big"
        big.mkdir()
        t0 = time.perf_counter()
        fy_big, n_big = generate(big, args.firms, args.years)
        gen_s = time.perf_counter() - t0
        if pandas_firms == args.firms:
            small, n_small = big, n_big
        else:
            small = Path(tmp) / "small"
            small.mkdir()
            _, n_small = generate(small, pandas_firms, args.years)
        print(
            f"generated {fy_big:,} firm-year rows, {n_big:,} panel rows in {gen_s:.1f} s",
            flush=True,
        )
        ib = run_worker("ibis", big, args.repeats)
        print(f"ibis/duckdb: {ib}", flush=True)
        pdr = run_worker("pandas", small, args.repeats)
        print(f"pandas:      {pdr}", flush=True)

    ib_med = statistics.median(ib["times"])
    pd_med = statistics.median(pdr["times"])
    ib_rate, pd_rate = n_big / ib_med, n_small / pd_med
    same = n_small == n_big
    ratio = pd_med / ib_med if same else ib_rate / pd_rate
    basis = "same size, time ratio" if same else "per-row throughput ratio (pandas at smaller size)"
    target = ib_med <= 6.0 and ratio >= 2.5 and float(ib["peak_mib"]) < 4096
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = f"""
## monitor — cluster monitor on a synthetic firm-year panel from Parquet ({when})

- Machine: {machine("duckdb", "ibis", "pandas")}; {conditions(load_before)}.
- Data: SYNTHETIC (DuckDB `range()` + hash columns): {args.firms:,} firms × {args.years} years =
  {fy_big:,} firm-year rows (firm_year.parquet, with region) → {n_big:,} panel rows
  (≈10 % of firms in a 2nd cluster, ≈10 % unclassified); 300 regions, 20 clusters.
  Measures: revenue, value_added (yuan), employees (persons); plus a GDP table.
- Metrics: size per cluster × region × year on 3 measures + firms, level, share of GDP, YoY
  growth ×4, LQ on employees with region totals from firm_year.parquet (`region_totals=`).
- Ibis→DuckDB `monitor` ({n_big:,} rows): median {ib_med:.2f} s of {args.repeats}
  ({", ".join(f"{t:.2f}" for t in ib["times"])}), peak RSS {float(ib["peak_mib"]):,.0f} MiB,
  {ib_rate / 1e6:.1f} M rows/s, {ib["rows_out"]:,} result rows.
- pandas baseline ({n_small:,} rows): median {pd_med:.2f} s, peak RSS
  {float(pdr["peak_mib"]):,.0f} MiB, {pd_rate / 1e6:.1f} M rows/s.
- Ratio ({basis}): **{ratio:.1f}×**. Target ≤ 6 s, ≥ 2.5×, < 4 GB: {"met" if target else "NOT met"}.
- Command: `.venv/bin/python bench/monitor.py --firms {args.firms} --years {args.years}
  --pandas-firms {pandas_firms} --repeats {args.repeats}`
"""
    print(block)
    if not args.no_append:
        with open(HERE / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(block)


if __name__ == "__main__":
    main()
