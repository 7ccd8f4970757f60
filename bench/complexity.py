"""Benchmark: clusteratlas.analysis.complexity vs the Growth Lab's ``ecomplexity`` package.

Same long input (regions × industries, one year) for both, in the same process; reports the
median of ``--repeat`` runs of each, the ratio, and the largest absolute differences of the
results (so the comparison is between equal answers). Appends a block to bench/RESULTS.md.

    .venv/bin/python bench/complexity.py                 # 3,000 regions × 1,400 industries
    .venv/bin/python bench/complexity.py --regions 300 --industries 150 --no-append
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from _harness import conditions, machine

RESULTS = Path(__file__).with_name("RESULTS.md")


def make_data(n_regions: int, n_industries: int, seed: int = 4754) -> pd.DataFrame:
    """A long table with realistic structure: heavy-tailed region sizes and industry sizes,
    regions with different capability levels (nested specialisation) and ~55% empty cells."""
    rng = np.random.default_rng(seed)
    size_r = rng.lognormal(0.0, 1.2, n_regions)
    size_i = rng.lognormal(0.0, 1.0, n_industries)
    capability = rng.random(n_regions)
    difficulty = rng.random(n_industries)
    present = rng.random((n_regions, n_industries)) < (
        0.15 + 0.7 * (capability[:, None] > difficulty[None, :] * rng.random((1, n_industries)))
    )
    noise = rng.lognormal(0.0, 1.0, (n_regions, n_industries))
    values = np.outer(size_r, size_i) * noise * present * 1e6  # yuan
    r, i = np.nonzero(values)
    regions = np.array([f"R{k:05d}" for k in range(n_regions)], dtype=object)
    industries = np.array([f"{1000 + k:04d}" for k in range(n_industries)], dtype=object)
    return pd.DataFrame(
        {"year": 2023, "region": regions[r], "industry": industries[i], "revenue": values[r, i]}
    )


def run_ours(data: pd.DataFrame) -> pd.DataFrame:
    from clusteratlas.analysis.complexity import complexity

    return complexity(data, region="region", industry="industry", value="revenue", year="year")


def run_ecomplexity(data: pd.DataFrame) -> pd.DataFrame:
    from ecomplexity import ecomplexity

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ecomplexity(
            data,
            {"time": "year", "loc": "region", "prod": "industry", "val": "revenue"},
            verbose=False,
            check_logsupermodularity=False,
        )


def timed(fn, data, repeat):  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(data)
        times.append(time.perf_counter() - start)
    return times, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--regions", type=int, default=3000)
    parser.add_argument("--industries", type=int, default=1400)
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours")
    parser.add_argument("--repeat-baseline", type=int, default=1, help="runs of ecomplexity")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    data = make_data(args.regions, args.industries)
    print(f"input: {len(data):,} rows ({args.regions} regions × {args.industries} industries)")
    with warnings.catch_warnings():  # warm-up (imports, DuckDB connection) on a tiny sample
        warnings.simplefilter("ignore")
        run_ours(make_data(60, 40))
    ours_t, ours = timed(run_ours, data, args.repeat)
    ref_t, ref = timed(run_ecomplexity, data, args.repeat_baseline)
    assert ours is not None and ref is not None
    ref = ref.sort_values(["year", "region", "industry"]).reset_index(drop=True)
    diffs = {
        col: float(np.nanmax(np.abs(ours[col].to_numpy(float) - ref[rc].to_numpy(float))))
        for col, rc in [
            ("rca", "rca"),
            ("m", "mcp"),
            ("eci", "eci"),
            ("pci", "pci"),
            ("density", "density"),
            ("coi", "coi"),
            ("cog", "cog"),
        ]
    }
    ours_med, ref_med = statistics.median(ours_t), statistics.median(ref_t)
    ratio = ref_med / ours_med
    fill = float(ours["m"].mean())
    lines = [
        f"## complexity — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"- input: {len(data):,} long rows, {args.regions:,} regions × {args.industries:,} "
        f"industries, one year; M fill {fill:.1%} (bench/complexity.py `make_data`)",
        f"- clusteratlas `complexity()` (Ibis/DuckDB aggregation + NumPy/SciPy): median "
        f"{ours_med:.2f} s of {args.repeat} ({', '.join(f'{t:.2f}' for t in ours_t)})",
        f"- baseline `ecomplexity.ecomplexity()` 0.5.3 (check_logsupermodularity=False): "
        f"median {ref_med:.2f} s of {args.repeat_baseline} "
        f"({', '.join(f'{t:.2f}' for t in ref_t)})",
        f"- **speed-up {ratio:.1f}×** (target ≥ 20×)",
        "- max |difference| vs ecomplexity: " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()),
        f"- machine: {machine('numpy', 'scipy', 'pandas', 'duckdb', 'ibis', 'ecomplexity')}",
        f"- {conditions(load_before)}",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_append:
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write("\n" + text + "\n")


if __name__ == "__main__":
    main()
