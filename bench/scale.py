"""Benchmark: the cluster monitor at national scale on DuckDB and on Spark (local mode).

    .venv/bin/python bench/scale.py                          # 1M, 10M, 50M firm-year rows
    .venv/bin/python bench/scale.py --sizes 1m --repeats 1   # a quick run

Data (SYNTHETIC): ``clusteratlas synth --format parquet --partition`` registries (firms and
firm-years as hive-partitioned Parquet, ``year=…/province=…``), about 3.6 firm-year rows per
firm over 2018–2024. Sizes are named by their target firm-year rows; a size above
``--synth-max-firms`` is made by replicating the largest generated registry (firm ids prefixed
``R<k>-``, everything else unchanged) because generating 12M firms takes ~40 min on the shared
machine. Existing data under ``--data`` are reused.

The workload is the monitor as a national study runs it (:func:`clusteratlas.sources.open_source`
on the Parquet directory): classification of every firm by the Beijing 2441 plan's rules
(code prefixes + keyword regexes) into per-firm cluster sets, the grouped panel (firm-year ⋈
the per-firm sets, summed per cluster set × region × year, then expanded to clusters:
``panel_from_workspace(…, grouped=True)``), sizes per cluster × region × year on
revenue/value added (yuan) and employees (persons), firm counts, levels, YoY growth and the LQ
with region totals from the same aggregation (``monitor(…, once=…, firm_count=…)``) — one lazy
Ibis expression, executed by the engine, only the aggregated table (~10⁴ rows) comes back to
pandas.

Compared in the same run, each in its own subprocess: DuckDB (Ibis, lazy Parquet scans), Spark
local (Ibis → PySpark, ``spark.read.parquet``, ``local[*]``, driver memory ``--spark-memory``)
and, where the data fit in memory (``--pandas-max-rows``), an in-memory pandas baseline
(``pandas.read_parquet`` of both tables, the same classification rules, pandas merge/groupby).
Reported per engine × size: median wall time (Parquet → pandas result, excluding interpreter
and Spark session start, which is reported separately), peak RSS of the whole process tree
(Python + the Spark JVM, sampled every 0.1 s with psutil), rows/s, and the log-log slope of
time and memory versus rows (least squares on log10), with its extrapolation to 500M rows.
Appends a block to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _harness import conditions, machine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ROWS_PER_FIRM = 3.6  # measured on synth output, 2018–2024
SIZES = {"1m": 1_000_000, "10m": 10_000_000, "50m": 50_000_000}
STAGES = ("read", "classify", "panel", "monitor")


# --------------------------------------------------------------------------- data


def _count_rows(folder: Path) -> int:
    import duckdb

    pattern = (folder / "firm-years" / "**" / "*.parquet").as_posix()
    ((n,),) = duckdb.sql(f"SELECT count(*) FROM read_parquet('{pattern}')").fetchall()
    return int(n)


def _synth(folder: Path, firms: int) -> None:
    cmd = [
        str(Path(sys.executable).with_name("clusteratlas")),
        "synth",
        "--firms",
        str(firms),
        "--out",
        str(folder),
        "--format",
        "parquet",
        "--partition",
    ]
    subprocess.run(cmd, check=True, capture_output=True)


def _replicate(source: Path, folder: Path, times: int) -> None:
    import duckdb

    con = duckdb.connect(config={"preserve_insertion_order": "false"})
    folder.mkdir(parents=True, exist_ok=True)
    for kind, parts in (("firms", "province"), ("firm-years", "year, province")):
        src = (source / kind / "**" / "*.parquet").as_posix()
        con.execute(
            f"""COPY (SELECT * REPLACE ('R' || r || '-' || firm_id AS firm_id)
                FROM read_parquet('{src}', hive_partitioning = true), range({times}) t(r))
                TO '{(folder / kind).as_posix()}'
                (FORMAT parquet, PARTITION_BY ({parts}), OVERWRITE_OR_IGNORE,
                 COMPRESSION zstd)"""
        )
    con.close()


def prepare(data: Path, sizes: list[str], synth_max_firms: int) -> dict[str, dict[str, Any]]:
    """Make (or reuse) one registry per size; return ``{size: {path, rows, how}}``."""
    data.mkdir(parents=True, exist_ok=True)
    out: dict[str, dict[str, Any]] = {}
    largest_synth: tuple[Path, int] | None = None
    for size in sorted(sizes, key=lambda s: SIZES[s]):
        folder = data / size
        firms = math.ceil(SIZES[size] / ROWS_PER_FIRM)
        how = f"synth --partition, {firms:,} firms"
        done = folder / ".done"  # holds how the data were made
        if firms > synth_max_firms and largest_synth is not None:
            base, base_rows = largest_synth
            times = max(1, round(SIZES[size] / base_rows))
            how = f"{base.name} replicated ×{times} (firm ids prefixed)"
            if not done.exists():
                _replicate(base, folder, times)
                done.write_text(how)
        elif not done.exists():
            _synth(folder, firms)
            done.write_text(how)
        how = done.read_text().strip() or how
        rows = _count_rows(folder)
        if firms <= synth_max_firms:
            largest_synth = (folder, rows)
        out[size] = {"path": folder, "rows": rows, "how": how}
        print(f"data {size}: {rows:,} firm-year rows ({how})", flush=True)
    return out


# --------------------------------------------------------------------------- workers


class PeakRSS:
    """Samples the RSS of this process and all its descendants (the Spark JVM included)."""

    def __init__(self, interval: float = 0.1) -> None:
        import psutil

        self.proc = psutil.Process(os.getpid())
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        import psutil

        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def ibis_stages(src: Any, plan: Any) -> dict[str, float]:
    """Seconds of each stage of the Ibis path, each stage executed on its own (cumulative
    work, so a stage's time is the difference to the previous one): read = decode the columns
    the path uses (a max over each); classify = the per-firm cluster sets (stored, or
    classified here); panel = the grouped panel; monitor = the lot."""
    from clusteratlas.analysis.panel import panel_from_workspace
    from clusteratlas.firm_cluster import cluster_sets_of

    firms, firm_years = src.table("firm"), src.table("firm_year")
    sets = cluster_sets_of(src, plan, build=False)
    assert sets is not None  # the 2441 plan fits a set
    steps = {
        "read": lambda: (
            firms.aggregate(
                **{c: firms[c].max() for c in ("firm_id", "region", "industry")}
            ).execute(),
            firm_years.aggregate(
                **{c: firm_years[c].max() for c in ("firm_id", "year", "revenue", "employees")}
            ).execute(),
        ),
        "classify": lambda: sets.count().execute(),
        "panel": lambda: (
            panel_from_workspace(src, plan, geography="firm", grouped=True).count().execute()
        ),
        "monitor": lambda: ibis_monitor(src, plan),
    }
    out, before = {}, 0.0
    for name, step in steps.items():
        t0 = time.perf_counter()
        step()
        took = time.perf_counter() - t0
        out[name] = max(0.0, took - before)
        before = took
    return out


def ibis_monitor(src: Any, plan: Any) -> Any:
    """The national-scale monitor on a source (one Ibis expression → pandas): the grouped
    panel on the stored per-firm cluster sets when the source has them (DuckDB on Parquet: the
    sidecar built by :func:`prepare_clusters`), else on sets classified inline (Spark)."""
    from clusteratlas.analysis.clusters import monitor
    from clusteratlas.analysis.panel import FIRM_YEARS, ONCE, panel_from_workspace

    panel = panel_from_workspace(src, plan, geography="firm", grouped=True)
    return monitor(panel, levels=plan.levels, once=ONCE, firm_count=FIRM_YEARS)


def prepare_clusters(src: Any, plan: Any) -> float:
    """Build the stored classification of ``src`` (firm × cluster rows and per-firm cluster
    sets) from scratch (any earlier sidecar is removed first); the seconds it took (0 for a
    source that stores none, e.g. Spark)."""
    import shutil

    from clusteratlas.firm_cluster import SIDECAR_FOLDER, cached_cluster_sets

    if src.engine != "duckdb":
        return 0.0
    shutil.rmtree(Path(src.path) / SIDECAR_FOLDER, ignore_errors=True)
    t0 = time.perf_counter()
    cached_cluster_sets(src, plan)
    return time.perf_counter() - t0


def pandas_monitor(folder: Path, plan: Any, stages: dict[str, float] | None = None) -> Any:
    """In-memory baseline: both tables loaded with pandas, the plan's classification rules
    applied to the firm frame, then pandas merge / groupby for the same metrics. ``stages``
    (if given) receives the seconds of each stage (read, classify, panel, monitor)."""
    import numpy as np
    import pandas as pd

    from clusteratlas.classify import classify_firms

    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        if stages is not None:
            stages[name] = now - clock[0]
        clock[0] = now

    firms = pd.read_parquet(
        folder / "firms", columns=["firm_id", "region", "industry", "name", "scope"]
    )
    fy = pd.read_parquet(
        folder / "firm-years",
        columns=["firm_id", "year", "revenue(yuan)", "value_added(yuan)", "employees(persons)"],
    ).rename(
        columns={
            "revenue(yuan)": "revenue",
            "value_added(yuan)": "value_added",
            "employees(persons)": "employees",
        }
    )
    fy["year"] = fy["year"].astype("int64")
    lap("read")
    clusters = classify_firms(firms, plan)[["firm_id", "cluster"]]
    lap("classify")
    rows = fy.merge(firms[["firm_id", "region"]], on="firm_id")
    panel = rows.merge(clusters, on="firm_id", how="left")
    lap("panel")
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
    e_r = rows.groupby(["region", "year"]).employees.sum().rename("e_r")
    e_c = out.groupby(["cluster", "year"]).employees.sum().rename("e_c")
    e = e_r.groupby(level="year").sum().rename("e")
    out = out.join(e_r, on=["region", "year"]).join(e_c, on=["cluster", "year"]).join(e, on="year")
    out["lq"] = (out.employees / out.e_r) / (out.e_c / out.e)
    grouped = out.groupby(["cluster", "region"])
    prev = grouped.year.shift(1)
    for m in ["revenue", "value_added", "employees", "firms"]:
        out[f"{m}_yoy"] = np.where(prev == out.year - 1, out[m] / grouped[m].shift(1) - 1, np.nan)
    top = [(lv.id, lv.threshold) for lv in plan.levels]
    out["level"] = np.select([out.revenue >= t for _, t in top], [i for i, _ in top], "below")
    out = out.drop(columns=["e_r", "e_c", "e"])
    lap("monitor")
    return out


def worker(
    kind: str,
    folder: Path,
    repeats: int,
    spark_memory: str,
    duckdb_memory: str | None,
    with_stages: bool = True,
) -> None:
    import pandas  # noqa: F401  (imports outside the timed region)

    from clusteratlas.model.plan import load_plan
    from clusteratlas.sources import open_source

    plan = load_plan("beijing-2441")
    times: list[float] = []
    summary: dict[str, float] = {}
    stages: dict[str, float] = {}
    start_s = build_s = 0.0
    with PeakRSS() as peak:
        if kind == "pandas":
            for i in range(repeats):
                t0 = time.perf_counter()
                result = pandas_monitor(folder, plan, stages if i == 0 else None)
                times.append(time.perf_counter() - t0)
        else:
            t0 = time.perf_counter()
            engine = "duckdb" if kind == "duckdb" else "spark"
            memory = spark_memory if kind == "spark" else duckdb_memory
            src = open_source(parquet=folder, engine=engine, memory_limit=memory)
            if kind == "spark":
                session = src.backend._session
                session.sparkContext.setLogLevel("ERROR")
                session.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
            start_s = time.perf_counter() - t0
            build_s = prepare_clusters(src, plan)
            for _ in range(repeats):
                t0 = time.perf_counter()
                result = ibis_monitor(src, plan)
                times.append(time.perf_counter() - t0)
            if with_stages:
                stages = ibis_stages(src, plan)
            src.close()
            if kind == "spark":
                src.backend.disconnect()
        summary = {
            "revenue": float(result["revenue"].sum()),
            "firms": float(result["firms"].sum()),
        }
    print(
        json.dumps(
            {
                "times": times,
                "rows_out": len(result),
                "peak_mib": peak.peak / 2**20,
                "start_s": start_s,
                "build_s": build_s,
                "summary": summary,
                "stages": stages,
            }
        )
    )


def run_worker(
    kind: str,
    folder: Path,
    repeats: int,
    spark_memory: str,
    duckdb_memory: str,
    timeout: float,
) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", kind, "--path", str(folder)]
    cmd += ["--repeats", str(repeats), "--spark-memory", spark_memory]
    cmd += ["--duckdb-memory", duckdb_memory]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, check=False, cwd=ROOT, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s (lower bound)", "timeout": timeout}
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1][:300] if proc.stderr else "failed"}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# --------------------------------------------------------------------------- report


def loglog(rows: list[float], values: list[float]) -> tuple[float, float] | None:
    """``(slope, intercept)`` of log10(value) = intercept + slope·log10(rows)."""
    import numpy as np

    if len(rows) < 2:
        return None
    slope, intercept = np.polyfit(np.log10(rows), np.log10(values), 1)
    return float(slope), float(intercept)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", default="1m,10m,50m")
    ap.add_argument("--engines", default="duckdb,spark,pandas")
    ap.add_argument("--data", type=Path, default=Path("/tmp/clusteratlas-scale"))
    ap.add_argument("--repeats", type=int, default=3, help="repeats at sizes ≤ 10M rows")
    ap.add_argument("--big-repeats", type=int, default=1, help="repeats above 10M rows")
    ap.add_argument("--pandas-max-rows", type=int, default=12_000_000)
    ap.add_argument(
        "--spark-max-rows", type=int, default=0, help="skip Spark above this many rows (0: never)"
    )
    ap.add_argument("--synth-max-firms", type=int, default=3_000_000)
    ap.add_argument("--spark-memory", default="8g")
    ap.add_argument(
        "--duckdb-memory",
        default="1GB",
        help="DuckDB memory_limit (larger work spills to a temporary folder); '' = default",
    )
    ap.add_argument("--timeout", type=float, default=1800.0, help="per worker, seconds")
    ap.add_argument("--no-append", action="store_true")
    ap.add_argument("--worker", choices=["duckdb", "spark", "pandas"], help=argparse.SUPPRESS)
    ap.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.path, args.repeats, args.spark_memory, args.duckdb_memory or None)
        return

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    load_before = os.getloadavg()[0]
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    about = machine(
        "duckdb", "ibis", "pyspark", "pandas", extra=f"Java: {(java or '?').splitlines()[0]}"
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    data = prepare(args.data, sizes, args.synth_max_firms)
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for size in sorted(sizes, key=lambda s: SIZES[s]):
        info = data[size]
        repeats = args.repeats if info["rows"] <= 10_500_000 else args.big_repeats
        for engine in engines:
            if engine == "pandas" and info["rows"] > args.pandas_max_rows:
                results[(engine, size)] = {"skipped": "does not fit the in-memory budget"}
                continue
            if engine == "spark" and 0 < args.spark_max_rows < info["rows"]:
                results[(engine, size)] = {
                    "skipped": f"above --spark-max-rows {args.spark_max_rows:,}"
                }
                continue
            res = run_worker(
                engine, info["path"], repeats, args.spark_memory, args.duckdb_memory, args.timeout
            )
            results[(engine, size)] = res
            print(f"{engine} {size}: {res}", flush=True)

    lines = [
        "| engine | size | firm-year rows | median s | runs | rows/s | peak RSS MiB (tree) "
        "| session start s | classification stored s | result rows | × DuckDB time |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    fits: list[str] = []
    for engine in engines:
        xs, ts, ms = [], [], []
        for size in sorted(sizes, key=lambda s: SIZES[s]):
            res, rows = results[(engine, size)], data[size]["rows"]
            if "times" not in res:
                why = res.get("skipped") or f"failed: {res.get('error')}"
                lines.append(
                    f"| {engine} | {size} | {rows:,} | — | — | — | — | — | — | — | {why} |"
                )
                continue
            med = statistics.median(res["times"])
            duck = results.get(("duckdb", size), {})
            ratio = med / statistics.median(duck["times"]) if "times" in duck else float("nan")
            xs.append(rows)
            ts.append(med)
            ms.append(res["peak_mib"])
            lines.append(
                f"| {engine} | {size} | {rows:,} | {med:.1f} | {len(res['times'])} | "
                f"{rows / med / 1e6:.2f} M | {res['peak_mib']:,.0f} | {res['start_s']:.1f} | "
                f"{res.get('build_s', 0.0):.1f} | {res['rows_out']:,} | {ratio:.2f} |"
            )
        t_fit, m_fit = loglog(xs, ts), loglog(xs, ms)
        if t_fit and m_fit:
            t500 = 10 ** (t_fit[1] + t_fit[0] * math.log10(5e8))
            m500 = 10 ** (m_fit[1] + m_fit[0] * math.log10(5e8))
            fits.append(
                f"- {engine}: time ∝ rows^{t_fit[0]:.2f}, peak memory ∝ rows^{m_fit[0]:.2f} "
                f"(log-log least squares over {len(xs)} sizes) → 500M rows: ≈ {t500 / 60:.0f} min, "
                f"≈ {m500 / 1024:.1f} GiB peak on this machine"
            )
    split = [
        "| engine | size | read s | classify s | panel joins s | monitor s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for engine in engines:
        for size in sorted(sizes, key=lambda s: SIZES[s]):
            st = results[(engine, size)].get("stages") or {}
            if st:
                cells = " | ".join(f"{st.get(k, float('nan')):.1f}" for k in STAGES)
                split.append(f"| {engine} | {size} | {cells} |")
    agree = []
    for size in sizes:
        got = {
            e: results[(e, size)]["summary"]
            for e in engines
            if "summary" in results.get((e, size), {})
        }
        if len(got) > 1:
            base = next(iter(got.values()))
            same = all(
                math.isclose(v["revenue"], base["revenue"], rel_tol=1e-9)
                and v["firms"] == base["firms"]
                for v in got.values()
            )
            agree.append(f"{size}: {'same' if same else 'DIFFERENT'} ({', '.join(got)})")
    how = "; ".join(f"{s}: {data[s]['how']}" for s in sizes)
    block = f"""
## scale — national-scale monitor on DuckDB vs Spark local vs pandas ({when})

- Machine: {about}; {conditions(load_before)}.
- Data: SYNTHETIC registries as hive-partitioned Parquet ({how}); firms carry region,
  GB/T 4754 class, name and business scope (the keyword rules read them).
- Workload: `open_source(parquet=…, engine=…)` → `panel_from_workspace(geography="firm",
  grouped=True)` (Beijing 2441 classification as per-firm cluster sets; one firm-year ⋈ sets
  join, summed per set × region × year, expanded to clusters) → `monitor(levels, once=…,
  firm_count=…)` (LQ region totals from the same aggregation) → pandas.
  pandas baseline: `read_parquet` of both tables + the same classification + merge/groupby.
- DuckDB reads the stored classification (`clusteratlas.firm_cluster`: sidecar Parquet files
  of the firm × cluster rows and the per-firm sets, keyed by the firm files, built once per
  registry version — its build time, removed and rebuilt in every worker, is the
  "classification stored" column and is not in "median s"; the peak RSS covers it); DuckDB
  `memory_limit` {args.duckdb_memory or "default (80 % of RAM)"},
  spilling to a temporary folder. Spark and pandas classify inline in every run.
- Peak RSS is the whole process tree sampled every 0.1 s with psutil (Python + Spark JVM);
  Spark driver memory {args.spark_memory}, `local[*]`; time excludes session start.
- Cross-engine check (sum of revenue and firm count of the result): {"; ".join(agree) or "n/a"}.

{chr(10).join(lines)}

{chr(10).join(fits)}

Per-stage split (one extra run per engine × size, after the timed runs; engines: each stage
executed on its own and the previous stage's time subtracted, so a stage's figure includes
re-reading its inputs; pandas: laps inside the baseline):

{chr(10).join(split)}

Command: `.venv/bin/python bench/scale.py --data {args.data} --sizes {args.sizes}
--engines {args.engines} --repeats {args.repeats} --big-repeats {args.big_repeats}
--spark-memory {args.spark_memory}
--duckdb-memory {args.duckdb_memory!r} --spark-max-rows {args.spark_max_rows}
--timeout {args.timeout:.0f}`
"""
    print(block)
    if not args.no_append:
        with open(HERE / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(block)


if __name__ == "__main__":
    main()
