"""Benchmark: the cluster monitor on a synthetic firm-year panel read from Parquet.

    .venv/bin/python bench/monitor.py                 # 10M firms × 5 years (the target size)
    .venv/bin/python bench/monitor.py --firms 200000  # a quick run
    .venv/bin/python bench/monitor.py --grain fine    # counties × 4-digit industries, 50M rows
    .venv/bin/python bench/monitor.py --grain fine --millions 0.2 --repeats 2  # a quick run

``--grain fine`` runs the ``../shared/perf_anchor`` registry (its ``gen_registry.py``, written
under ``--data`` and reused; 3,000 regions × 1,400 industries, 5.9M result rows at 10M firms)
and compares ``monitor`` (integer and string keys, Arrow result) in the same run against
hand-written DuckDB SQL of the same metrics, the perf anchor's own SQL, polars (optional bench
extra ``.[bench]``) and pandas, with checksums compared across sides; the sides are interleaved
round by round, every DuckDB side under the same ``--memory-limit``.

The default (coarse) grain:

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
    return monitor(panel, levels=LEVELS, gdp=gdp, region_totals=firm_years)


# --------------------------------------------------------------------------- fine grain

#: hand-written DuckDB SQL of the monitor's metrics at fine grain, the way an analyst writes it
#: (window totals and LAG as in ../shared/perf_anchor/registry_workload.py; no ORDER BY)
FINE_SQL = """
WITH a AS (
  SELECT industry_code, region_id, year, sum(revenue) AS revenue, sum(employees) AS employees,
         sum(rd_spend) AS rd_spend, count(firm_id) AS firms
  FROM read_parquet('{path}') GROUP BY ALL)
SELECT *,
  CASE WHEN revenue >= 1e12 THEN 'trillion' WHEN revenue >= 1e11 THEN 'hundred_billion'
       ELSE 'below' END AS level,
  CASE WHEN lag(year) OVER w = year - 1 THEN revenue / lag(revenue) OVER w - 1 END AS revenue_yoy,
  CASE WHEN lag(year) OVER w = year - 1 THEN employees / lag(employees) OVER w - 1 END
    AS employees_yoy,
  CASE WHEN lag(year) OVER w = year - 1 THEN rd_spend / lag(rd_spend) OVER w - 1 END
    AS rd_spend_yoy,
  CASE WHEN lag(year) OVER w = year - 1 THEN firms / lag(firms) OVER w - 1 END AS firms_yoy,
  (employees / sum(employees) OVER (PARTITION BY year, region_id))
    / (sum(employees) OVER (PARTITION BY year, industry_code)
       / sum(employees) OVER (PARTITION BY year)) AS lq
FROM a WINDOW w AS (PARTITION BY region_id, industry_code ORDER BY year)
"""
FINE_MEASURES = ("revenue", "employees", "rd_spend")
FINE_KEYS = ["industry_code", "region_id", "year"]
FINE_SIDES = ("monitor", "monitor_str", "sql", "polars", "pandas", "anchor_sql")


def fine_data(anchor: Path, data: Path, millions: str) -> Path:
    """``firms.parquet`` of the perf-anchor registry (``millions`` × 10⁶ firms × 5 years),
    written by ``anchor/gen_registry.py`` under ``data`` unless it is there already."""
    path = data / f"reg_{millions}M" / "firms.parquet"
    if not path.exists():
        env = dict(os.environ, PERF_DATA=str(data))
        subprocess.run(
            [sys.executable, str(anchor / "gen_registry.py"), millions],
            cwd=anchor,
            env=env,
            check=True,
        )
    return path


def fine_monitor(path: Path, string_keys: bool = False) -> Any:
    """Ours: ``monitor`` with cluster = the four-digit industry, region totals from the same
    registry (one row per firm-year), Arrow result."""
    import ibis

    from clusteratlas.analysis.clusters import monitor

    con = ibis.duckdb.connect(threads=os.cpu_count() or 1, memory_limit=_memory_limit())
    con.raw_sql("SET enable_progress_bar = false")
    t = con.read_parquet(path)
    if string_keys:
        t = t.mutate(
            region_id=t.region_id.cast("string"), industry_code=t.industry_code.cast("string")
        )
    out = monitor(
        t,
        region="region_id",
        cluster="industry_code",
        measures=FINE_MEASURES,
        levels=LEVELS,
        region_totals=t,
        lazy=True,
    )
    return out.to_pyarrow()


def _duckdb_config() -> dict[str, Any]:
    return {"threads": os.cpu_count() or 1, "memory_limit": _memory_limit()}


def _memory_limit() -> str:
    """DuckDB's memory limit for every DuckDB side (``--memory-limit``, passed on to workers)."""
    return os.environ.get("CA_BENCH_MEMORY_LIMIT", "1250MB")


def fine_sql(path: Path) -> Any:
    import duckdb

    con = duckdb.connect(config=_duckdb_config())
    con.execute("SET enable_progress_bar = false")
    return con.sql(FINE_SQL.format(path=path)).to_arrow_table()


def fine_anchor_sql(path: Path, anchor: Path) -> Any:
    """The perf anchor's own DuckDB SQL (more work: adds HHI, top-5 and CAGR)."""
    import duckdb

    sys.path.insert(0, str(anchor))
    import registry_workload  # type: ignore[import-not-found]

    con = duckdb.connect(config=_duckdb_config())
    con.execute("SET enable_progress_bar = false")
    con.execute(f"CREATE VIEW firms AS SELECT * FROM read_parquet('{path}')")
    return registry_workload.run_duckdb(con)["agg"]


def fine_pandas(path: Path) -> Any:
    """Idiomatic pandas, the same metrics (groupby/transform, groupby-shift)."""
    import numpy as np
    import pandas as pd

    df = pd.read_parquet(path, columns=["firm_id", *FINE_KEYS, *FINE_MEASURES])
    agg = df.groupby(FINE_KEYS, as_index=False, sort=True).agg(
        revenue=("revenue", "sum"),
        employees=("employees", "sum"),
        rd_spend=("rd_spend", "sum"),
        firms=("firm_id", "count"),
    )
    del df
    e = agg["employees"].astype(float)
    e_r = e.groupby([agg["region_id"], agg["year"]]).transform("sum")
    e_c = e.groupby([agg["industry_code"], agg["year"]]).transform("sum")
    e_n = e.groupby(agg["year"]).transform("sum")
    agg["level"] = np.select(
        [agg.revenue >= 1e12, agg.revenue >= 1e11], ["trillion", "hundred_billion"], "below"
    )
    g = agg.groupby(["industry_code", "region_id"], sort=False)
    consecutive = g["year"].shift() == agg["year"] - 1
    for m in [*FINE_MEASURES, "firms"]:
        agg[f"{m}_yoy"] = (agg[m] / g[m].shift() - 1).where(consecutive)
    agg["lq"] = (e / e_r) / (e_c / e_n)
    return agg


def fine_polars(path: Path) -> Any:
    import polars as pl

    keys = ["industry_code", "region_id"]
    consecutive = pl.col("year").shift(1).over(keys, order_by="year") == pl.col("year") - 1
    yoy = {
        f"{m}_yoy": pl.when(consecutive).then(
            pl.col(m) / pl.col(m).shift(1).over(keys, order_by="year") - 1
        )
        for m in [*FINE_MEASURES, "firms"]
    }
    emp = pl.col("employees").cast(pl.Float64)
    return (
        pl.scan_parquet(path)
        .group_by(FINE_KEYS)
        .agg(
            pl.col("revenue").sum(),
            pl.col("employees").sum(),
            pl.col("rd_spend").sum(),
            pl.col("firm_id").count().alias("firms"),
        )
        .with_columns(
            level=pl.when(pl.col("revenue") >= 1e12)
            .then(pl.lit("trillion"))
            .when(pl.col("revenue") >= 1e11)
            .then(pl.lit("hundred_billion"))
            .otherwise(pl.lit("below")),
            lq=(emp / emp.sum().over("region_id", "year"))
            / (emp.sum().over("industry_code", "year") / emp.sum().over("year")),
            **yoy,
        )
        .collect()
    )


def fine_checksums(frame: Any) -> dict[str, float]:
    """Tool-independent checksums of a fine-grain result (pandas, polars or Arrow)."""
    import numpy as np

    def col(name: str) -> Any:
        if hasattr(frame, "column_names"):  # pyarrow
            return frame.column(name).to_numpy(zero_copy_only=False).astype(float)
        return np.asarray(frame[name].to_numpy(), dtype=float)

    out = {"rows": float(len(col("lq")))}
    for name in ("revenue", "firms", "lq", "revenue_yoy", "firms_yoy"):
        out[f"sum_{name}"] = float(np.nansum(col(name)))
    out["n_yoy"] = float(np.isfinite(col("revenue_yoy")).sum())
    level = frame.column("level").to_pandas() if hasattr(frame, "column_names") else frame["level"]
    out["n_below"] = float((np.asarray(level) == "below").sum())
    return out


def _fine_call(kind: str, path: Path, anchor: Path) -> Any:
    if kind == "monitor":
        return fine_monitor(path)
    if kind == "monitor_str":
        return fine_monitor(path, string_keys=True)
    if kind == "sql":
        return fine_sql(path)
    if kind == "anchor_sql":
        return fine_anchor_sql(path, anchor)
    if kind == "polars":
        return fine_polars(path)
    return fine_pandas(path)


def worker(kind: str, path: Path, repeats: int, anchor: Path) -> None:
    import ibis  # imports outside the timed region
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    import clusteratlas.analysis.clusters  # noqa: F401

    del ibis
    if kind == "polars":
        try:
            import polars  # noqa: F401
        except ImportError:
            print(json.dumps({"skipped": "polars is not installed (pip install '.[bench]')"}))
            return
    times, rows, check = [], 0, {}
    for i in range(repeats):
        t0 = time.perf_counter()
        if kind in ("ibis", "pandas_coarse"):
            result = (ibis_monitor if kind == "ibis" else pandas_monitor)(path)
        else:
            result = _fine_call(kind, path, anchor)
        times.append(time.perf_counter() - t0)
        rows = len(result) if not hasattr(result, "num_rows") else result.num_rows
        if i == 0 and kind in FINE_SIDES and kind != "anchor_sql":
            check = fine_checksums(result)
        del result
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps({"times": times, "rows_out": rows, "peak_mib": peak_kib / 1024, "check": check})
    )


def run_worker(
    kind: str, path: Path, repeats: int, anchor: Path | None = None, memory_limit: str = ""
) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", kind, "--path", str(path)]
    cmd += ["--repeats", str(repeats)]
    if anchor is not None:
        cmd += ["--anchor", str(anchor)]
    env = dict(os.environ)
    if memory_limit:
        env["CA_BENCH_MEMORY_LIMIT"] = memory_limit
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{proc.stderr[-4000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(
        abs(a[k] - b[k]) <= 1e-9 * max(1.0, abs(a[k]), abs(b[k])) for k in a
    )


def main_fine(args: argparse.Namespace, load_before: float) -> None:
    """``--grain fine``: the perf-anchor registry (counties × four-digit industries)."""
    path = fine_data(args.anchor, args.data, args.millions)
    sides = [s for s in args.sides.split(",") if s]
    unknown = sorted(set(sides) - set(FINE_SIDES))
    if unknown:
        raise SystemExit(f"unknown side(s) {unknown}; choose from {FINE_SIDES}")
    # rounds: every side once per round (one process per run), so that the load of the
    # shared machine drifts over all sides alike instead of over one side's block of runs
    res: dict[str, dict[str, Any]] = {}
    for rnd in range(args.repeats):
        for side in sides:
            if side == "pandas" and rnd >= args.pandas_repeats:
                continue
            one = run_worker(side, path, 1, args.anchor, args.memory_limit)
            print(f"round {rnd + 1} {side}: {one}", flush=True)
            if "times" not in one:
                res[side] = one
                continue
            got = res.setdefault(side, {"times": [], "peak_mib": 0.0, "check": one["check"]})
            got["times"] += one["times"]
            got["peak_mib"] = max(float(got["peak_mib"]), float(one["peak_mib"]))
            got["rows_out"] = one["rows_out"]
    import duckdb

    n_rows = duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0]
    ran = {k: v for k, v in res.items() if "times" in v}
    med = {k: statistics.median(v["times"]) for k, v in ran.items()}
    ref = ran.get("monitor", {}).get("check")
    rows = []
    for side, r in ran.items():
        equal = (
            "—"
            if not r.get("check") or ref is None
            else ("equal" if _same(ref, r["check"]) else "DIFFERENT")
        )
        ratio = med[side] / med["monitor"] if "monitor" in med else float("nan")
        rows.append(
            f"| {FINE_LABELS[side]} | {med[side]:.2f} "
            f"({', '.join(f'{t:.1f}' for t in r['times'])}) | {float(r['peak_mib']):,.0f} | "
            f"{r['rows_out']:,} | {ratio:.2f} | {equal} |"
        )
    skipped = [f"{k}: {v['skipped']}" for k, v in res.items() if "skipped" in v]
    verdict = ""
    if {"monitor", "sql", "pandas"} <= med.keys():
        m = med["monitor"]
        peak = float(ran["monitor"]["peak_mib"])
        ok = m <= med["sql"] and med["pandas"] / m >= 3 and peak <= 2000
        verdict = (
            f"- `monitor` / hand-written SQL = {m / med['sql']:.2f}×, pandas / `monitor` = "
            f"{med['pandas'] / m:.1f}×, peak {peak:,.0f} MiB. "
            f"Target (≤ 1.0× SQL, ≥ 3× pandas, ≤ 2 GB): {'met' if ok else 'NOT met'}.\n"
        )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    skipped_lines = "".join(f"- skipped {s}\n" for s in skipped)
    block = f"""
## monitor --grain fine — counties × four-digit industries, perf-anchor registry ({when})

- Machine: {machine("duckdb", "ibis", "pandas", extra=_polars_version())};
  {conditions(load_before)}.
- Data: SYNTHETIC, `../shared/perf_anchor/gen_registry.py {args.millions}`: {n_rows:,} firm-year
  rows from Parquet (3,000 regions, 1,400 four-digit industries, Zipf; revenue and R&D in yuan,
  employees in persons). Result: one row per industry × region × year.
- Metrics (every side): sums of revenue, employees, R&D and the firm count; level; YoY of the
  four; LQ on employees with region totals from the same registry. `monitor` is called with
  `cluster="industry_code"`, `region_totals=` the registry, result `.to_pyarrow()`; the SQL is
  written by hand as an analyst would (window totals, LAG), result Arrow; pandas/polars
  idiomatic. Each run in its own process, the sides interleaved round by round (the load of
  the shared machine drifts over all sides alike); median of the runs; peak = the largest max
  RSS of a side's processes.
  Every DuckDB side (ours and the SQL) runs with `memory_limit={args.memory_limit}`, 2 threads.

| side | median s (runs) | peak MiB | result rows | × `monitor` time | checksums vs `monitor` |
|---|---|---:|---:|---:|---|
{chr(10).join(rows)}

{verdict}{skipped_lines}- Command: `.venv/bin/python bench/monitor.py --grain fine
  --millions {args.millions} --repeats {args.repeats} --pandas-repeats {args.pandas_repeats}
  --memory-limit {args.memory_limit} --sides {args.sides}`
"""
    print(block)
    if not args.no_append:
        with open(HERE / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(block)


FINE_LABELS = {
    "monitor": "ours: `monitor` (integer keys)",
    "monitor_str": "ours: `monitor` (string region/industry keys)",
    "sql": "hand-written DuckDB SQL, same metrics",
    "polars": "polars (lazy), same metrics",
    "pandas": "pandas, same metrics",
    "anchor_sql": "perf-anchor DuckDB SQL (more work: + HHI, top-5, CAGR)",
}


def _polars_version() -> str:
    from importlib import metadata

    try:
        return f"polars {metadata.version('polars')}"
    except metadata.PackageNotFoundError:  # polars is an optional bench extra
        return "polars not installed"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--grain", choices=["coarse", "fine"], default="coarse")
    ap.add_argument("--firms", type=int, default=10_000_000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--pandas-firms", type=int, default=None, help="default min(firms, 2M)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-append", action="store_true", help="do not append to RESULTS.md")
    fine = ap.add_argument_group("--grain fine")
    fine.add_argument("--millions", default="10", help="registry firms in millions (× 5 years)")
    fine.add_argument("--anchor", type=Path, default=HERE.parent.parent / "shared" / "perf_anchor")
    fine.add_argument(
        "--data",
        type=Path,
        default=Path(tempfile.gettempdir()) / "perf" / "data",
        help="where the registry Parquet is written (reused if present)",
    )
    fine.add_argument("--sides", default=",".join(FINE_SIDES))
    fine.add_argument("--pandas-repeats", type=int, default=1)
    fine.add_argument(
        "--memory-limit", default="1250MB", help="DuckDB memory_limit of every DuckDB side"
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    load_before = os.getloadavg()[0]  # before any work of this run
    if args.worker:
        worker(args.worker, args.path, args.repeats, args.anchor)
        return
    if args.grain == "fine":
        main_fine(args, load_before)
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
        pdr = run_worker("pandas_coarse", small, args.repeats)
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
