"""Benchmark: enterprise-ladder screening (Ibis → DuckDB) vs an idiomatic pandas baseline.

Data: a SYNTHETIC registry generated in DuckDB (seeded hash columns; firm ids ``SYN…``, the
dataset is named ``synthetic-bench``): ``--firms`` firms (default 10,000,000) × 3 years
(2021–2023) of firm-year rows with the canonical columns.

Four variants, each in its own process, each writing one row per firm × tier to Parquet:

- ours (full): ``ladder.screen_table(..., details=True)`` — status, score, failed, missing —
  written by DuckDB (nothing materialised in Python);
- ours (status): the same with ``details=False`` (status and score; what ``pipeline`` uses);
- pandas (full) and pandas (status): the same columns from an independent second
  implementation of the ruleset semantics — read the tables into DataFrames, pivot the years,
  evaluate with pandas nullable-boolean (Kleene) logic, build the ``failed``/``missing`` lists
  long-form with NumPy and nest them with pyarrow offsets, write with pyarrow. It runs over
  hash slices of ``--pandas-chunk`` firms (what a pandas user does when the registry does not
  fit in memory). Ratios compare variants that compute the same columns; every firm × tier row
  of ours is compared with the pandas result (status, score and, for the full variant, the
  failed and missing lists element by element) and the bench fails on any difference.

Peak RSS is each process's ru_maxrss; a process is aborted if its RSS passes
``$LADDER_BENCH_CAP_MIB`` (default 12 GiB). DuckDB runs with ``threads=2`` and
``memory_limit=--memory-limit``. Results are appended to ``bench/RESULTS.md``.

Usage: ``.venv/bin/python bench/ladder.py --firms 200000`` (development size), full size
without ``--firms``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _harness import conditions, machine

YEAR = 2023
ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------------
# data


def generate(path: Path, firms: int) -> None:
    """Write the synthetic ``firm`` and ``firm_year`` tables into a DuckDB file."""
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("SET threads = 2")
    con.execute(
        f"""
        CREATE TABLE firm AS
        SELECT
            'SYN' || lpad(CAST(i AS VARCHAR), 9, '0') AS firm_id,
            CASE WHEN hash(i, 1) % 3 = 0 THEN '110108' WHEN hash(i, 1) % 3 = 1 THEN '120116'
                 ELSE '130102' END AS region,
            -- divisions 13..43 (manufacturing) for 60 %, software 6511 otherwise
            CASE WHEN hash(i, 2) % 10 < 6
                 THEN CAST(13 + hash(i, 3) % 31 AS VARCHAR) || '11' ELSE '6511' END AS industry,
            DATE '1995-01-01' + CAST(hash(i, 4) % 10500 AS INTEGER) AS founded,
            hash(i, 5) % 50 = 0 AS listed,
            'synthetic-bench' AS dataset
        FROM range({firms}) t(i)
        """
    )
    # firm-years: revenue log-uniform 1e6..1e9 yuan, growth ±30 %, R&D 0–10 % of revenue
    con.execute(
        f"""
        CREATE TABLE firm_year AS
        WITH base AS (
            SELECT i, 'SYN' || lpad(CAST(i AS VARCHAR), 9, '0') AS firm_id,
                   pow(10, 6 + (hash(i, 10) % 30000) / 10000.0) AS rev0,
                   (hash(i, 11) % 600) / 1000.0 - 0.3 AS g,
                   (hash(i, 12) % 1000) / 10000.0 AS rd,
                   0.5 + (hash(i, 13) % 500) / 1000.0 AS share,
                   10 + hash(i, 14) % 3000 AS emp
            FROM range({firms}) t(i)
        )
        SELECT b.firm_id, y.year,
               b.rev0 * pow(1 + b.g, y.year - 2021) AS revenue,
               b.rev0 * pow(1 + b.g, y.year - 2021) * b.share AS main_revenue,
               NULL::DOUBLE AS value_added,
               CAST(b.emp AS DOUBLE) AS employees,
               b.rev0 * pow(1 + b.g, y.year - 2021) * b.rd AS rd_spend,
               CAST(b.emp * (hash(b.i, 15) % 60) / 100 AS DOUBLE) AS rd_staff,
               NULL::DOUBLE AS invention_patents,
               CASE WHEN hash(b.i, y.year, 16) % 8 = 0
                    THEN pow(10, 6 + (hash(b.i, y.year, 17) % 20000) / 10000.0) ELSE 0 END
                 AS equity_raised,
               CASE WHEN hash(b.i, 18) % 20 = 0
                    THEN pow(10, 7 + (hash(b.i, 19) % 30000) / 10000.0) END AS valuation_usd,
               (hash(b.i, y.year, 20) % 900) / 1000.0 AS debt_ratio,
               (hash(b.i, y.year, 21) % 300) / 1000.0 - 0.1 AS net_margin,
               NULL::DOUBLE AS exports,
               CASE WHEN hash(b.i, 22) % 4 = 0 THEN (hash(b.i, 23) % 300) / 1000.0 END
                 AS market_share,
               'synthetic-bench' AS dataset
        FROM base b, (VALUES (2021), (2022), (2023)) y(year)
        """
    )
    con.close()


# ------------------------------------------------------------------------------------------
# the three variants (each in a child process)


def run_ours(db: Path, out: Path, details: bool, memory_limit: str) -> dict[str, Any]:
    import ibis

    from clusteratlas.analysis import ladder

    con = ibis.duckdb.connect(str(db), read_only=True, threads=2, memory_limit=memory_limit)
    con.raw_sql("SET preserve_insertion_order = false")
    t0 = time.perf_counter()
    expr = ladder.screen_table(
        con.table("firm"), con.table("firm_year"), year=YEAR, details=details
    )
    con.to_parquet(expr, str(out))
    return {"seconds": time.perf_counter() - t0}


_OPS = {
    ">=": np.greater_equal,
    ">": np.greater,
    "<=": np.less_equal,
    "<": np.less,
    "==": np.equal,
    "!=": np.not_equal,
}


def pandas_screen(firm: pd.DataFrame, fy: pd.DataFrame, year: int, details: bool) -> Any:
    """Idiomatic pandas evaluation of the packaged ruleset: status + score per firm × tier and,
    with ``details``, the ``failed`` / ``missing`` lists (built long-form with NumPy, nested
    with pyarrow offsets). Returns a pyarrow Table with the columns of ``ladder.screen``."""
    import pyarrow as pa

    from clusteratlas.analysis.tier_rules import (
        criterion_names,
        iter_nodes,
        load_ruleset,
        threshold_unit,
    )

    rs = load_ruleset("miit-2022")
    firm = firm.set_index("firm_id")
    cols = [
        "revenue",
        "main_revenue",
        "rd_spend",
        "employees",
        "rd_staff",
        "equity_raised",
        "valuation_usd",
        "debt_ratio",
        "net_margin",
        "market_share",
    ]
    recent = fy[fy.year.between(year - 2, year)]
    wide = recent.pivot(index="firm_id", columns="year", values=cols)
    wide = wide.reindex(firm.index)

    def c(name: str, lag: int = 0) -> pd.Series:
        key = (name, year - lag)
        return wide[key] if key in wide.columns else pd.Series(np.nan, index=firm.index)

    def ratio(a: pd.Series, b: pd.Series) -> pd.Series:
        return (a / b).where(b > 0)

    ever = fy[fy.year <= year].groupby("firm_id").equity_raised.sum(min_count=1)
    rd0, rd1 = ratio(c("rd_spend"), c("revenue")), ratio(c("rd_spend", 1), c("revenue", 1))
    g0 = ratio(c("main_revenue"), c("main_revenue", 1)) - 1
    g1 = ratio(c("main_revenue", 1), c("main_revenue", 2)) - 1
    derived = {
        "revenue": c("revenue"),
        "rd_spend": c("rd_spend"),
        "debt_ratio": c("debt_ratio"),
        "net_margin": c("net_margin"),
        "employees": c("employees"),
        "market_share": c("market_share"),
        "valuation_usd": c("valuation_usd"),
        "rd_spend_avg2": (c("rd_spend") + c("rd_spend", 1)) / 2,
        "rd_spend_2y": c("rd_spend") + c("rd_spend", 1),
        "rd_intensity": rd0,
        "rd_intensity_min2": np.fmin(rd0, rd1).where(rd1.notna()),
        "rd_staff_share": ratio(c("rd_staff"), c("employees")),
        "main_business_share": ratio(c("main_revenue"), c("revenue")),
        "main_revenue_growth": g0,
        "main_revenue_growth_avg2": (g0 + g1) / 2,
        "revenue_growth": ratio(c("revenue"), c("revenue", 1)) - 1,
        "equity_raised_2y": c("equity_raised") + c("equity_raised", 1),
        "equity_raised_3y": c("equity_raised") + c("equity_raised", 1) + c("equity_raised", 2),
        "equity_raised_ever": ever.reindex(firm.index),
        "firm_age": (year - pd.to_datetime(firm.founded).dt.year).astype("float64"),
        "listed": firm.listed.astype("float64"),
        "industry_division": pd.to_numeric(
            firm.industry.astype(str).str.extract(r"^[A-Za-z]?(\d\d)")[0], errors="coerce"
        ).astype("float64"),
        "industry_class": pd.to_numeric(
            firm.industry.astype(str).str.extract(r"^[A-Za-z]?(\d{4})")[0], errors="coerce"
        ).astype("float64"),
    }
    inputs: dict[str, pd.Series] = {}
    for name, spec in rs.inputs.items():
        if spec.derive:
            inputs[name] = derived[spec.derive]
        elif spec.column in firm.columns:
            inputs[name] = firm[spec.column].astype("float64")
        else:
            inputs[name] = pd.Series(np.nan, index=firm.index)
    for name, spec in rs.inputs.items():
        if spec.fallback:
            inputs[name] = inputs[name].fillna(inputs[spec.fallback])

    def kleene(values: np.ndarray, known: np.ndarray) -> pd.Series:
        return pd.Series(pd.arrays.BooleanArray(values, ~known), index=firm.index)

    results: dict[str, pd.Series] = {}
    scores: dict[str, tuple[dict[str, pd.Series], dict[str, pd.Series]]] = {}

    def points(table: Any, v: pd.Series, item_max: float) -> pd.Series:
        if table.bands is not None:
            conds = [v >= b.min if b.min is not None else v <= b.max for b in table.bands]
            pts = np.select(conds, [b.points for b in table.bands], default=table.else_)
        else:
            pts = np.clip(np.floor(v / table.step.per) * table.step.points, 0, item_max)
        return pd.Series(pts, index=firm.index).where(v.notna())

    values: dict[int, pd.Series] = {}  # id(node) -> its Kleene value (details)

    def evaluate(tier: Any, node: Any) -> pd.Series:
        out = _evaluate(tier, node)
        values[id(node)] = out
        return out

    def _evaluate(tier: Any, node: Any) -> pd.Series:
        if node.kind in ("all", "any"):
            parts = [evaluate(tier, n) for n in node.children]
            out = parts[0]
            for p in parts[1:]:
                out = (out & p) if node.kind == "all" else (out | p)
        elif node.kind == "input":
            v = inputs[node.input]
            out = kleene(_OPS[node.op](v.to_numpy(), required(node)), v.notna().to_numpy())
        elif node.kind == "score":
            lo, hi = scores[tier.id][0][node.score], scores[tier.id][1][node.score]
            cmp = _OPS[node.op]
            yes, no = cmp(lo.to_numpy(), node.value), ~cmp(hi.to_numpy(), node.value)
            out = kleene(yes, yes | no)
        else:
            out = results[node.tier]
        if node.when is not None:
            out = ~evaluate(tier, node.when) | out
        return out

    def required(node: Any) -> float:
        if isinstance(node.value, bool):
            return 1.0 if node.value else 0.0
        return float(node.value or 0.0) * (threshold_unit(node.unit)[1] if node.unit else 1.0)

    n = len(firm.index)
    no = pd.Series(False, index=firm.index)

    def whole(values: np.ndarray, typ: Any = None) -> Any:
        array = pa.array(values, type=typ, from_pandas=True)  # large inputs come back chunked
        return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array

    def nested(parts: list[tuple[np.ndarray, Any]], typ: Any) -> Any:
        """Per-row lists from long-form pieces (row indices + field values), piece order kept."""
        if not parts:
            return pa.array([[]] * n, type=typ)
        rows = np.concatenate([r for r, _ in parts])
        order = np.argsort(rows, kind="stable")
        offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=n), out=offsets[1:])

        def column(get: Callable[[Any], Any]) -> np.ndarray:
            return np.concatenate([np.broadcast_to(get(v), len(r)) for r, v in parts])[order]

        if pa.types.is_struct(typ.value_type):
            names = [f.name for f in typ.value_type]
            arrays = [whole(column(lambda v, k=f.name: v[k]), f.type) for f in typ.value_type]
            values_ = pa.StructArray.from_arrays(arrays, names=names)
        else:
            values_ = whole(column(lambda v: v))
        return pa.ListArray.from_arrays(pa.array(offsets), values_, type=typ)

    failed_type = pa.list_(
        pa.struct(
            [("criterion", pa.string()), ("input", pa.string()), ("op", pa.string()),
             ("required", pa.float64()), ("unit", pa.string()), ("actual", pa.float64()),
             ("actual_max", pa.float64()), ("gap", pa.float64())]
        )
    )  # fmt: skip

    def details_of(tier: Any) -> tuple[Any, Any]:
        """``failed`` and ``missing`` of one tier (module docstring of ladder.py)."""
        order: list[tuple[Any, list[Any]]] = []

        def visit(node: Any, ancestors: list[Any]) -> None:
            order.append((node, ancestors))
            for child in node.children:
                visit(child, [*ancestors, node])

        visit(tier.requires, [])
        names = criterion_names([nd for nd, _ in order])
        score_inputs: dict[str, list[str]] = {"total": []}
        for group in tier.score.groups if tier.score else []:
            score_inputs[group.id] = [tb.input for it in group.items for tb in it.tables]
            score_inputs["total"] += score_inputs[group.id]
        failed: list[tuple[np.ndarray, dict[str, Any]]] = []
        missing: dict[str, pd.Series] = {}
        for nd, ancestors in order:
            value = values[id(nd)]
            open_ = pd.Series(True, index=firm.index)
            for a in ancestors:
                open_ &= ~values[id(a)].fillna(False).astype(bool)
            unknown = value.isna() & open_
            if nd.when is not None:
                for w in iter_nodes(nd.when):
                    if w.kind == "input" and w.input:
                        missing[w.input] = missing.get(w.input, no) | (
                            unknown & inputs[w.input].isna()
                        )
            if nd.kind in ("all", "any"):
                continue
            rows = np.flatnonzero(((~value).fillna(False).astype(bool) & open_).to_numpy())
            if nd.kind == "input":
                v = inputs[nd.input]
                missing[nd.input] = missing.get(nd.input, no) | (unknown & v.isna())
                c = required(nd)
                actual = v.to_numpy()[rows]
                gap = (
                    (c - actual)
                    if nd.op in (">=", ">")
                    else (actual - c)
                    if nd.op in ("<=", "<")
                    else np.nan
                )
                rec = {"input": nd.input, "op": nd.op or "==", "required": c,
                       "unit": rs.inputs[nd.input].unit, "actual": actual, "actual_max": np.nan,
                       "gap": gap}  # fmt: skip
            elif nd.kind == "score":
                for inp in score_inputs[nd.score]:
                    missing[inp] = missing.get(inp, no) | (unknown & inputs[inp].isna())
                lo = scores[tier.id][0][nd.score].to_numpy()[rows]
                hi = scores[tier.id][1][nd.score].to_numpy()[rows]
                c = float(nd.value or 0.0)
                rec = {"input": f"score:{nd.score}", "op": nd.op, "required": c, "unit": "points",
                       "actual": lo, "actual_max": hi, "gap": c - hi}  # fmt: skip
            else:
                key = f"tier:{nd.tier}"
                missing[key] = missing.get(key, no) | unknown
                rec = {"input": key, "op": "==", "required": 1.0, "unit": "bool",
                       "actual": 0.0, "actual_max": np.nan, "gap": np.nan}  # fmt: skip
            if len(rows):
                failed.append((rows, {"criterion": names[id(nd)], **rec}))
        miss = [
            (np.flatnonzero(m.to_numpy()), np.array([k], dtype=object)) for k, m in missing.items()
        ]
        return nested(failed, failed_type), nested(
            [p for p in miss if len(p[0])], pa.list_(pa.string())
        )

    tables = []
    for tier in rs.tier_order():
        if tier.score is not None:
            lo_g: dict[str, pd.Series] = {}
            hi_g: dict[str, pd.Series] = {}
            for group in tier.score.groups:
                lo_items, hi_items = [], []
                for item in group.items:
                    lows = [
                        points(tb, inputs[tb.input], item.max).fillna(tb.points_range(item.max)[0])
                        for tb in item.tables
                    ]
                    highs = [
                        points(tb, inputs[tb.input], item.max).fillna(tb.points_range(item.max)[1])
                        for tb in item.tables
                    ]
                    lo_items.append(pd.concat(lows, axis=1).max(axis=1))
                    hi_items.append(pd.concat(highs, axis=1).max(axis=1))
                lo_g[group.id] = sum(lo_items)
                hi_g[group.id] = sum(hi_items)
            lo_g["total"] = sum(lo_g[g.id] for g in tier.score.groups)
            hi_g["total"] = sum(hi_g[g.id] for g in tier.score.groups)
            scores[tier.id] = (lo_g, hi_g)
        value = evaluate(tier, tier.requires)
        results[tier.id] = value
        status = np.where(
            value.fillna(False),
            "eligible",
            np.where((~value).fillna(False), "ineligible", "undetermined"),
        )
        if tier.score is not None:
            lo, hi = scores[tier.id][0]["total"], scores[tier.id][1]["total"]
            score = lo.where(lo == hi)
        else:
            lo = hi = score = pd.Series(np.nan, index=firm.index)
        columns = {
            "firm_id": pa.array(firm.index.to_numpy(dtype=object)),
            "year": pa.array(np.full(n, year, dtype=np.int32)),
            "tier": pa.array([tier.id] * n),
            "tag": pa.array([tier.tag] * n),
            "track": pa.array([tier.track] * n),
            "rank": pa.array(np.full(n, tier.rank, dtype=np.int32)),
            "status": pa.array(status),
            "eligible": pa.array(value.fillna(False).to_numpy(dtype=bool)),
            "score": pa.array(score.to_numpy(), from_pandas=True),
            "score_low": pa.array(lo.to_numpy(), from_pandas=True),
            "score_high": pa.array(hi.to_numpy(), from_pandas=True),
        }
        if details:
            columns["failed"], columns["missing"] = details_of(tier)
        tables.append(pa.table(columns))
    return pa.concat_tables(tables)


def run_baseline(db: Path, out: Path, details: bool, chunk: int) -> dict[str, Any]:
    """The pandas baseline over ``chunk``-firm slices (hash partitions of ``firm_id``), each
    read from DuckDB into pandas, screened and appended to one Parquet file by pyarrow."""
    import duckdb
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    con = duckdb.connect(str(db), read_only=True)
    firms = int(con.execute("SELECT count(*) FROM firm").fetchone()[0])  # type: ignore[index]
    parts = max(1, -(-firms // chunk))
    writer = None
    for k in range(parts):
        where = f"WHERE hash(firm_id) % {parts} = {k}"
        firm = con.execute(f"SELECT firm_id, industry, founded, listed FROM firm {where}").df()
        fy = con.execute(f"SELECT * EXCLUDE (dataset) FROM firm_year {where}").df()
        table = pandas_screen(firm, fy, YEAR, details)
        del firm, fy
        if writer is None:
            writer = pq.ParquetWriter(str(out), table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    con.close()
    return {"seconds": time.perf_counter() - t0, "chunks": parts}


def _watchdog(cap_mib: float) -> None:
    """Abort this process (exit 3) if its RSS passes ``cap_mib`` — the machine is shared, so
    the baseline must fail rather than push other work into the OOM killer."""
    import threading

    import psutil

    proc = psutil.Process()

    def watch() -> None:
        while True:
            rss = proc.memory_info().rss / 2**20
            if rss > cap_mib:
                sys.stderr.write(f"aborted: RSS {rss:,.0f} MiB passed the cap {cap_mib:,.0f} MiB\n")
                sys.stderr.flush()
                os._exit(3)
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()


def child(args: argparse.Namespace) -> None:
    _watchdog(float(os.environ.get("LADDER_BENCH_CAP_MIB", 12 * 1024)))
    details = args.child in ("ours", "baseline")
    if args.child.startswith("ours"):
        info = run_ours(Path(args.db), Path(args.out), details, args.memory_limit)
    else:
        info = run_baseline(Path(args.db), Path(args.out), details, args.pandas_chunk)
    info["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(info))


def spawn(kind: str, db: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--db",
        str(db),
        "--out",
        str(out),
        "--memory-limit",
        args.memory_limit,
        "--pandas-chunk",
        str(args.pandas_chunk),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return dict(json.loads(line[len("RESULT ") :]))


def compare(ours: Path, base: Path, details: bool) -> tuple[int, int]:
    """(rows compared, rows that differ) between ours and the baseline: status and score,
    and with ``details`` the ``failed`` and ``missing`` lists (element by element)."""
    import duckdb

    lists = (
        "OR o.failed IS DISTINCT FROM b.failed OR o.missing IS DISTINCT FROM b.missing"
        if details
        else ""
    )
    con = duckdb.connect()
    n, bad = con.execute(  # type: ignore[misc]
        f"""
        SELECT count(*), count(*) FILTER (WHERE o.status IS DISTINCT FROM b.status
               OR NOT (o.score IS NOT DISTINCT FROM b.score
                       OR abs(o.score - b.score) < 1e-9) {lists})
        FROM read_parquet('{ours}') o JOIN read_parquet('{base}') b USING (firm_id, tier)
        """
    ).fetchone()
    return int(n), int(bad)


VARIANTS = {  # kind: (label, the pandas kind it is compared with)
    "ours": ("ours: status, score, failed, missing", "baseline"),
    "ours-status": ("ours: status, score", "baseline-status"),
    "baseline": ("pandas: status, score, failed, missing", "baseline"),
    "baseline-status": ("pandas: status, score", "baseline-status"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--firms", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit (ours)")
    ap.add_argument("--pandas-chunk", type=int, default=1_000_000, help="firms per pandas slice")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-append", action="store_true", help="do not write bench/RESULTS.md")
    ap.add_argument("--child", choices=list(VARIANTS))
    ap.add_argument("--db")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    kinds = [k for k in VARIANTS if not (args.no_baseline and k.startswith("baseline"))]
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    agree: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory(prefix="ladder-bench-") as tmp:
        db = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        generate(db, args.firms)
        gen = time.perf_counter() - t0
        print(f"generated {args.firms:,} synthetic firms × 3 years in {gen:.1f} s", flush=True)
        load_before = os.getloadavg()[0]
        for _ in range(args.repeats):
            for kind in kinds:
                res = spawn(kind, db, Path(tmp) / f"{kind}.parquet", args)
                print(kind, res, flush=True)
                runs[kind].append(res)
        for ours, base in (("ours", "baseline"), ("ours-status", "baseline-status")):
            if base in runs and "error" not in runs[base][-1]:
                agree[ours] = compare(
                    Path(tmp) / f"{ours}.parquet", Path(tmp) / f"{base}.parquet", ours == "ours"
                )
                print(f"{ours} vs {base}: {agree[ours][1]} of {agree[ours][0]:,} rows differ")

    def med(kind: str, key: str) -> float:
        vals = [r[key] for r in runs.get(kind, []) if key in r]
        return statistics.median(vals) if vals else float("nan")

    block = [
        "",
        "## ladder — tier screening, Ibis→DuckDB vs pandas "
        f"({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {machine('duckdb', 'ibis', 'pandas')} "
        f"({conditions(load_before)}). "
        "Data: SYNTHETIC (DuckDB hash columns, dataset `synthetic-bench`): "
        f"{args.firms:,} firms × 3 years; ruleset miit-2022 (6 tiers); output one row per "
        f"firm × tier ({6 * args.firms:,} rows) written to Parquet by each side. Each variant "
        f"in its own process; medians of {args.repeats} run(s); peak = the process's max RSS. "
        f"DuckDB threads=2, memory_limit={args.memory_limit}; pandas in slices of "
        f"{args.pandas_chunk:,} firms. Command: `.venv/bin/python bench/ladder.py --firms "
        f"{args.firms}`. Each row is compared with the pandas variant computing the same columns.",
        "",
        "| variant | median s | peak RSS MiB | × faster than pandas (same columns) |",
        "|---|---:|---:|---:|",
    ]
    for kind in kinds:
        label, base = VARIANTS[kind]
        if any("error" in r for r in runs[kind]):
            block.append(f"| {label} | error: {runs[kind][-1].get('error')} | | |")
            continue
        s = med(kind, "seconds")
        block.append(
            f"| {label} | {s:.1f} | {med(kind, 'peak_rss_mib'):,.0f} | "
            f"{med(base, 'seconds') / s:.1f} |"
        )
    block.append("")
    for ours, (n, bad) in agree.items():
        what = "status, score, failed and missing" if ours == "ours" else "status and score"
        block.append(f"- `{ours}` vs pandas: {bad} of {n:,} firm × tier rows differ in {what}.")
    text = "\n".join(block) + "\n"
    print(text)
    if not args.no_append:
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(text)
    if any(bad for _, bad in agree.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
