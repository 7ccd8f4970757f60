"""Benchmark: chain-node metrics (classify firms into chain nodes + node metrics) at scale.

    .venv/bin/python bench/chains.py                  # 10M firms (the target size)
    .venv/bin/python bench/chains.py --firms 500000   # a quick run

Data (SYNTHETIC, generated here with DuckDB ``range()`` and hash-based columns, written to a
temporary directory as Parquet): ``firm`` (firm id, region among Beijing's districts, Tianjin,
Hebei and other provinces, a GB/T 4754 class drawn from the chain templates' codes and others,
a name and a business scope that carry chain keywords for a share of firms) and ``firm_year``
(2023 and 2024: revenue, R&D in yuan, invention patents).

Compared in the same run, each side in its own subprocess (peak memory = its ru_maxrss),
median of ``--repeats`` runs from Parquet to the node table: ``clusteratlas.analysis.chains.nodes``
for all six chains of the Beijing plan (Ibis → DuckDB) against an idiomatic pandas
implementation of the same membership rules (code prefixes, keyword regexes with their code
restriction, vetoes) and metrics (firms, revenue, growth, national totals, LQ). pandas runs on
``--pandas-firms`` (default: the same size, ~8 GB at 10M firms); when smaller, the ratio is
per-firm throughput. At the same size the two node tables are compared node by node (the
bench fails on a difference). Appends a block to bench/RESULTS.md.
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

HERE = Path(__file__).resolve().parent
REGIONS = [
    "110101", "110102", "110105", "110106", "110108", "110112", "110114", "110115",
    "120116", "120104", "130100", "130600", "131000", "310115", "320500", "440300",
    "330100", "510100", "420100", "370200",
]  # fmt: skip
CODES = [
    "6520", "3973", "3972", "3985", "3562", "3979", "3911", "3921", "3961", "3983",
    "6511", "6512", "6513", "6519", "6531", "6550", "6421", "6311", "2720", "2761",
    "2730", "3581", "2770", "5151", "7340", "3670", "3612", "3841", "3812", "3491",
    "3421", "3493", "3741", "3711", "3511", "3825", "3415", "4416", "3591", "7723",
    "4210", "7514", "5191", "7212", "4700", "1311", "2611", "3311", "5211", "7010",
]  # fmt: skip
WORDS = ["芯片", "集成电路", "人工智能", "大模型", "医疗器械", "自动驾驶", "储能", "工业软件",
         "贸易", "咨询", "建筑", "餐饮", "物流", "封装测试", "机器人", "车联网"]  # fmt: skip


def generate(folder: Path, firms: int) -> None:
    """Write ``firm.parquet`` and ``firm_year.parquet`` (synthetic) into ``folder``."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    regions = "[" + ",".join(f"'{r}'" for r in REGIONS) + "]"
    codes = "[" + ",".join(f"'{c}'" for c in CODES) + "]"
    words = "[" + ",".join(f"'{w}'" for w in WORDS) + "]"
    con.execute(
        f"""
        COPY (
            SELECT 'F' || i AS firm_id,
                   {regions}[CAST(1 + hash(i, 'r') % {len(REGIONS)} AS BIGINT)] AS region,
                   {codes}[CAST(1 + hash(i, 'c') % {len(CODES)} AS BIGINT)] AS industry,
                   '北京' || {words}[CAST(1 + hash(i, 'n') % {len(WORDS)} AS BIGINT)]
                     || i || '有限公司' AS name,
                   {words}[CAST(1 + hash(i, 's') % {len(WORDS)} AS BIGINT)] || '技术开发；'
                     || {words}[CAST(1 + hash(i, 't') % {len(WORDS)} AS BIGINT)] || '销售' AS scope
            FROM range({firms}) t(i)
        ) TO '{folder / "firm.parquet"}' (FORMAT parquet)
        """
    )
    con.execute(
        f"""
        COPY (
            SELECT 'F' || (i // 2) AS firm_id, CAST(2023 + i % 2 AS BIGINT) AS year,
                   CAST(1e6 + hash(i, 'v') % 5000000000 AS DOUBLE) AS revenue,
                   CAST(hash(i, 'd') % 50000000 AS DOUBLE) AS rd_spend,
                   CAST(hash(i, 'p') % 40 AS BIGINT) AS invention_patents
            FROM range({2 * firms}) t(i)
        ) TO '{folder / "firm_year.parquet"}' (FORMAT parquet)
        """
    )


def ibis_nodes(folder: Path) -> Any:
    import ibis

    from clusteratlas.analysis.chains import nodes
    from clusteratlas.model.plan import load_plan

    con = ibis.duckdb.connect()
    con.raw_sql("SET enable_progress_bar = false")
    firms = con.read_parquet(folder / "firm.parquet")
    firm_years = con.read_parquet(folder / "firm_year.parquet")
    return nodes(firms, firm_years, load_plan(), region="110000", year=2024)


def pandas_nodes(folder: Path) -> Any:
    """The same membership rules and node metrics, written the way a pandas user would."""
    import re

    import numpy as np
    import pandas as pd

    from clusteratlas.model.plan import load_plan

    plan = load_plan()
    firms = pd.read_parquet(folder / "firm.parquet")
    fy = pd.read_parquet(folder / "firm_year.parquet")

    def starts(codes: list[str]) -> pd.Series:
        mask = pd.Series(False, index=firms.index)
        for code in codes:
            mask |= firms["industry"].str.startswith(code)
        return mask

    def contains(words: list[str]) -> pd.Series:
        pattern = "|".join(re.escape(w) for w in words)
        return firms["name"].str.contains(pattern) | firms["scope"].str.contains(pattern)

    parts = []
    for chain in plan.chains:
        for node in chain.nodes:
            member = starts(node.codes) if node.codes else pd.Series(False, index=firms.index)
            if node.keywords:
                kw = contains(node.keywords)
                if node.keyword_codes:
                    kw &= starts(node.keyword_codes)
                member |= kw
            if node.exclude_codes:
                member &= ~starts(node.exclude_codes)
            if node.exclude_keywords:
                member &= ~contains(node.exclude_keywords)
            ids = firms.loc[member, ["firm_id", "region"]]
            parts.append(ids.assign(chain=chain.id, node=node.id))
    members = pd.concat(parts, ignore_index=True)
    wide = fy.pivot_table(index="firm_id", columns="year", values="revenue", aggfunc="sum")
    wide = wide.rename(columns={2024: "revenue", 2023: "revenue_prev"}).reset_index()
    wide = wide[wide["revenue"].notna()]
    rows = members.merge(wide, on="firm_id")
    rows["in_r"] = rows["region"].str.startswith("11")
    local = rows[rows["in_r"]]
    out = (
        rows.groupby(["chain", "node"])
        .agg(national_firms=("firm_id", "nunique"), national_revenue=("revenue", "sum"))
        .join(
            local.groupby(["chain", "node"]).agg(
                firms=("firm_id", "nunique"),
                revenue=("revenue", "sum"),
                revenue_prev=("revenue_prev", "sum"),
            )
        )
        .reset_index()
    )
    active = wide.merge(firms[["firm_id", "region"]], on="firm_id")
    region_total = active.loc[active["region"].str.startswith("11"), "revenue"].sum()
    national_total = active["revenue"].sum()
    out["growth"] = out["revenue"] / out["revenue_prev"] - 1
    out["lq"] = (out["revenue"] / region_total) / (out["national_revenue"] / national_total)
    out["status"] = np.select(
        [out["firms"].fillna(0) == 0, (out["lq"] >= 1.25) & (out["firms"] >= 3), out["lq"] < 0.75],
        ["missing", "strong", "weak"],
        default="present",
    )
    return out


def worker(kind: str, folder: Path, repeats: int) -> None:
    import ibis  # noqa: F401  (imports outside the timed region)
    import pandas  # noqa: F401

    import clusteratlas.analysis.chains  # noqa: F401

    fn = ibis_nodes if kind == "ibis" else pandas_nodes
    times: list[float] = []
    nodes_out = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn(folder)
        times.append(time.perf_counter() - t0)
        nodes_out = len(result)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result[COMPARED].to_parquet(folder / f"result-{kind}.parquet")
    print(json.dumps({"times": times, "nodes": nodes_out, "peak_mib": peak}))


COMPARED = [
    "chain",
    "node",
    "firms",
    "revenue",
    "national_firms",
    "national_revenue",
    "lq",
    "status",
]


def compare(folder: Path) -> tuple[int, int]:
    """(nodes compared, nodes that differ) between the two sides' node tables: counts exact,
    money and LQ to 1e-9 relative; nodes without members count as 0 firms / missing."""
    import numpy as np
    import pandas as pd

    ours = pd.read_parquet(folder / "result-ibis.parquet")
    base = pd.read_parquet(folder / "result-pandas.parquet")
    both = ours.merge(base, on=["chain", "node"], how="outer", suffixes=("", "_b"))
    bad = both["status"].fillna("missing") != both["status_b"].fillna("missing")
    for col in ("firms", "national_firms"):
        bad |= both[col].fillna(0) != both[f"{col}_b"].fillna(0)
    for col in ("revenue", "national_revenue", "lq"):
        a, b = both[col].astype(float), both[f"{col}_b"].astype(float)
        a = a.where(both["firms"].fillna(0) > 0) if col == "lq" else a.fillna(0.0)
        b = b.where(both["firms_b"].fillna(0) > 0) if col == "lq" else b.fillna(0.0)
        close = np.isclose(a, b, rtol=1e-9, atol=0.0) | (a.isna() & b.isna())
        bad |= ~close
    return len(both), int(bad.sum())


def run_worker(kind: str, folder: Path, repeats: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--path", str(folder),
         "--repeats", str(repeats)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{proc.stderr[-4000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def row(side: str, firms: int, result: dict[str, Any]) -> str:
    """One Markdown table row: side, firms, median seconds (runs), firms/s, peak MiB."""
    med = statistics.median(result["times"])
    runs = ", ".join(f"{t:.1f}" for t in result["times"])
    peak = result["peak_mib"]
    return f"| {side} | {firms:,} | {med:.2f} ({runs}) | {firms / med:,.0f} | {peak:.0f} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--firms", type=int, default=10_000_000)
    ap.add_argument("--pandas-firms", type=int, default=None, help="default: --firms (same size)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-append", action="store_true")
    ap.add_argument("--worker", choices=["ibis", "pandas"], help=argparse.SUPPRESS)
    ap.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.path, args.repeats)
        return
    pandas_firms = args.pandas_firms or args.firms
    load_before = os.getloadavg()[0]
    agree: tuple[int, int] | None = None
    with tempfile.TemporaryDirectory(prefix="ca-bench-chains-") as tmp:
        big = Path(tmp) / "big"
        big.mkdir()
        generate(big, args.firms)
        small = big
        if pandas_firms != args.firms:
            small = Path(tmp) / "small"
            small.mkdir()
            generate(small, pandas_firms)
        ours = run_worker("ibis", big, args.repeats)
        print(f"ibis/duckdb: {ours}", flush=True)
        base = run_worker("pandas", small, args.repeats)
        print(f"pandas:      {base}", flush=True)
        if small == big:
            agree = compare(big)
            print(f"nodes compared / differing: {agree}", flush=True)
    ours_s, base_s = statistics.median(ours["times"]), statistics.median(base["times"])
    same = pandas_firms == args.firms
    ratio = base_s / ours_s if same else (args.firms / ours_s) / (pandas_firms / base_s)
    basis = "same size, time ratio" if same else "per-firm throughput ratio (pandas smaller)"
    met = ratio >= 3 and float(ours["peak_mib"]) < 4096
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    quiet = conditions(load_before)
    agreement = (
        f"- Ours vs pandas: {agree[1]} of {agree[0]} nodes differ (firms, revenue, national "
        "totals, LQ, status)."
        if agree
        else "- No node-by-node comparison (pandas ran on a smaller registry)."
    )
    block = f"""
## chains — chain-node classification + metrics, Ibis→DuckDB vs pandas ({when})

- Machine: {machine("duckdb", "ibis", "pandas")}; {quiet}.
- Data: SYNTHETIC, {args.firms:,} firms × 2 years (pandas: {pandas_firms:,} firms); all six
  chains of `beijing-2441` ({ours["nodes"]} nodes), region 110000, year 2024.

| side | firms | median s (runs) | firms/s | peak MiB |
|---|---:|---|---:|---:|
{row("ours (`chains.nodes`, Ibis→DuckDB)", args.firms, ours)}
{row("pandas", pandas_firms, base)}

- Ratio ({basis}): **{ratio:.1f}×**. Target ≥ 3× and < 4 GB peak: {"met" if met else "NOT met"}.
{agreement}
"""
    print(block)
    if not args.no_append:
        with (HERE / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write(block)
    if agree and agree[1]:
        raise SystemExit("ours and pandas disagree on some chain nodes")


if __name__ == "__main__":
    main()
