"""Benchmark: the scenario planner — K scenarios on one shared baseline vs one full run each.

The planner builds the baseline once (cluster monitor, tracker, Monte Carlo draws) and runs every
scenario of a file on it with common random numbers (``analysis/scenario.py``). The baseline of
this benchmark is the naive face: ``api.scenario`` called once per scenario (the monitor and the
draws rebuilt every time). Both give the same numbers; the ratio is what sharing buys, and the
per-scenario time is what a slider move on the dashboard costs.

    .venv/bin/python bench/scenario.py --workspace clusteratlas-demo/workspace.duckdb \
        [--scenarios 8] [--n-sim 2000] [--write]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from _harness import conditions, machine


def scenario_file(k: int) -> str:
    """``base`` plus ``k − 1`` scenarios with growth changes of 1, 2, … points and a project."""
    lines = ["scenarios:", "  - id: base"]
    for i in range(1, k):
        lines.append(f"  - id: s{i}")
        lines.append(f"    clusters: {{'*': {{growth_delta: {i / 100}}}}}")
        if i % 2:
            lines.append(
                "    projects: [{cluster: ic, node: wafer_fab, year: 2028, revenue: 1.0e11}]"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--scenarios", type=int, default=8)
    parser.add_argument("--n-sim", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="append a block to RESULTS.md")
    args = parser.parse_args()

    from clusteratlas import api
    from clusteratlas.analysis.scenario import run, workspace_baseline
    from clusteratlas.analysis.scenario_file import load_scenarios
    from clusteratlas.model.plan import load_plan
    from clusteratlas.workspace import open_workspace

    load = os.getloadavg()[0]
    plan = load_plan()
    text = scenario_file(args.scenarios)
    spec = load_scenarios(text, plan)
    shared, naive, per_run = [], [], []
    for _ in range(args.repeat):
        ws = open_workspace(args.workspace, read_only=True)
        try:
            t0 = time.perf_counter()
            base = workspace_baseline(ws, plan, n_sim=args.n_sim)
            t1 = time.perf_counter()
            together = run(base, spec)
            t2 = time.perf_counter()
            shared.append(t2 - t0)
            per_run.append((t2 - t1) / args.scenarios)
            t3 = time.perf_counter()
            singles = [
                api.scenario({"scenarios": [s.model_dump()]}, ws, plan, n_sim=args.n_sim)
                for s in spec.scenarios
            ]
            naive.append(time.perf_counter() - t3)
        finally:
            ws.close()
    # same numbers both ways (common random numbers: a scenario does not depend on the others)
    for single, scenario in zip(singles, spec.scenarios, strict=True):
        mine = together.targets[together.targets["scenario"] == scenario.id].reset_index(drop=True)
        diff = (mine["probability"] - single.targets["probability"]).abs().max()
        assert diff < 1e-9, (scenario.id, diff)
    s_med, n_med, r_med = (statistics.median(x) for x in (shared, naive, per_run))
    block = (
        f"\n## scenario — {args.scenarios} scenarios on one shared baseline vs one full run each "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n\n"
        f"Machine: {machine('duckdb', 'ibis', 'numpy', extra=f'n_sim {args.n_sim}')}. "
        f"{conditions(load)}. Workspace: {args.workspace} (demo: real facts + SYNTHETIC firms). "
        f"Medians of {args.repeat} runs. Command: `.venv/bin/python bench/scenario.py "
        f"--workspace {args.workspace} --scenarios {args.scenarios}`.\n\n"
        "| variant | median s | × faster than one run each |\n|---|---:|---:|\n"
        f"| shared baseline + {args.scenarios} scenarios | {s_med:.2f} | {n_med / s_med:.1f} |\n"
        f"| api.scenario once per scenario (baseline) | {n_med:.2f} | 1.0 |\n"
        f"| one scenario on a built baseline (a slider move) | {r_med:.3f} | "
        f"{n_med / args.scenarios / r_med:.0f} |\n\n"
        "- Every scenario's target probabilities are identical both ways (max difference < 1e-9).\n"
    )
    print(block)
    if args.write:
        with open(Path(__file__).with_name("RESULTS.md"), "a", encoding="utf-8") as out:
            out.write(block)


if __name__ == "__main__":
    main()
