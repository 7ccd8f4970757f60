"""Benchmark: the cluster monitor on the statistics basis (issue 13).

    .venv/bin/python bench/statistics_basis.py               # 100 regions × 3 years
    .venv/bin/python bench/statistics_basis.py --regions 300

Data (SYNTHETIC, generated here with numpy, seed 0): a 统计年鉴-style observation table with
one row per region × GB/T 4754 code × year × indicator (``revenue`` yuan, ``employment``
persons) for every division *and* every class of the packaged classification (1,478 codes), so
the nested-code rule has work to do: each division sits beside its classes and must be dropped.

Compared in the same run:

* ``finest (ours)``: :func:`clusteratlas.analysis.statistics._finest` — each code's proper
  prefixes become keys of one equi anti-join;
* ``finest (pairwise)``: the first version of the rule, an anti-join of the table with itself on
  region × year × measure plus a string-prefix predicate (a join within each group);
* ``monitor (ours)``: ``statistics_panel`` + ``statistics_monitor`` end to end (classification of
  the cells by the 2441 plan's code rules, the monitor, pandas result).

Each timing is the median of ``--repeats`` runs; the two ``finest`` variants must return the
same rows (checked). Appends a block to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _harness import conditions, machine

HERE = Path(__file__).resolve().parent


def yearbook(regions: int, years: int) -> pd.DataFrame:
    """The SYNTHETIC yearbook table (see the module docstring)."""
    from clusteratlas.refdata import industries

    table = industries()
    codes = table.loc[table["level"].isin(["division", "class"]), "code"].to_numpy()
    region_codes = np.array([f"11{i // 100:02d}{i % 100:02d}" for i in range(1, regions + 1)])
    grid = pd.MultiIndex.from_product(
        [region_codes, codes, range(2020, 2020 + years), ["revenue", "employment"]],
        names=["region", "industry", "year", "indicator"],
    ).to_frame(index=False)
    rng = np.random.default_rng(0)
    grid["value"] = rng.lognormal(20, 1.5, len(grid))
    return grid


def finest_pairwise(rows: Any) -> Any:
    """Baseline: the self anti-join with a prefix predicate (first version of the rule)."""
    other = rows.view()
    nested = [
        rows.region == other.region,
        rows.year == other.year,
        rows.measure == other.measure,
        other.industry.length() > rows.industry.length(),
        other.industry.substr(0, rows.industry.length()) == rows.industry,
    ]
    return rows.anti_join(other, nested)


def timed(fn: Any, repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=100)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]

    import ibis

    from clusteratlas.analysis.statistics import (
        _finest,
        _stat_rows,
        statistics_monitor,
        statistics_panel,
    )
    from clusteratlas.model.plan import load_plan

    plan = load_plan()
    data = yearbook(args.regions, args.years)
    con = ibis.duckdb.connect()
    obs = con.create_table("observation", data)
    rows = _stat_rows(obs)

    t_ours, ours = timed(lambda: _finest(rows).to_pandas(), args.repeats)
    t_pair, pair = timed(lambda: finest_pairwise(rows).to_pandas(), args.repeats)
    key = ["region", "industry", "year", "measure"]
    same = (
        ours.sort_values(key)
        .reset_index(drop=True)
        .equals(pair.sort_values(key).reset_index(drop=True))
    )
    t_mon, frame = timed(
        lambda: statistics_monitor(statistics_panel(obs, plan, geography="firm"), plan),
        args.repeats,
    )

    lines = [
        f"## statistics basis — nested-code rule and monitor (issue 13) "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {machine('duckdb', 'ibis', 'pandas')}. {conditions(load)}. Data: SYNTHETIC "
        f"yearbook, {args.regions} regions × 1,478 codes (divisions and classes) × "
        f"{args.years} years × 2 indicators = {len(data):,} observation rows; medians of "
        f"{args.repeats} runs. Command: `.venv/bin/python bench/statistics_basis.py "
        f"--regions {args.regions}`.",
        "",
        "| variant | median s | rows out | × faster than pairwise |",
        "|---|---:|---:|---:|",
        f"| finest (ours: prefix keys, equi anti-join) | {t_ours:.2f} | {len(ours):,} | "
        f"{t_pair / t_ours:.1f} |",
        f"| finest (pairwise self anti-join) | {t_pair:.2f} | {len(pair):,} | 1.0 |",
        f"| monitor end to end (ours, geography firm) | {t_mon:.2f} | {len(frame):,} | — |",
        "",
        f"- the two nested-code variants return the same rows: {same}.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not same:
        raise SystemExit("the nested-code variants differ")
    if not args.no_write:
        with (HERE / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)


if __name__ == "__main__":
    main()
