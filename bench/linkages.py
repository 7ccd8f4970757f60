"""Benchmark: input–output linkages vs pymrio, same process, same inputs.

Two tables: the real 153-sector China 2020 table (competitive, total block) and a
1,000-sector **synthetic** labelled table (seeded; column sums of A in 0.4–0.8). For each:

* ``L`` — ours: :func:`leontief_inverse` (``numpy.linalg.solve(I − A, I)``: LU factorisation
  + solve against I, plus input checks) vs pymrio ``calc_L`` (``numpy.linalg.inv(I − A)``,
  internally the same LAPACK ``gesv`` call);
* ``pipeline`` — ours: :func:`linkages` (A, B, L, G = x̂⁻¹Lx̂, normalised BL/FL, quadrants)
  vs pymrio ``calc_A``, ``calc_L``, ``calc_B``, ``calc_G(B, L, x)`` + the same sums.

Reports medians of ``--repeats`` interleaved runs, the ratio ours/pymrio, and the accuracy of each L
as ``max |L(I − A) − I|``. Appends a block to ``bench/RESULTS.md``.

Usage: ``.venv/bin/python bench/linkages.py [--repeats 7] [--sizes 153,1000] [--no-append]``
"""

from __future__ import annotations

import os

# Single-threaded BLAS by default: on 2 cores shared with other work, multi-threaded OpenBLAS
# spins and times vary 10-100x between runs; both sides use the same BLAS, so the comparison
# stays fair. Export OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS) to override.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _harness import conditions, machine  # noqa: E402

from clusteratlas.analysis.linkages import (  # noqa: E402
    IOTable,
    leontief_inverse,
    linkages,
    technical_coefficients,
)

RESULTS = Path(__file__).with_name("RESULTS.md")


def synthetic_table(n: int, seed: int = 20261126) -> tuple[pd.DataFrame, pd.Series]:
    """A seeded synthetic IO table with ``n`` labelled sectors (``syn0001``…), not real data."""
    rng = np.random.default_rng(seed)
    flows = rng.lognormal(mean=0.0, sigma=1.5, size=(n, n))
    flows *= rng.random((n, n)) < 0.3  # about 30 % non-zero flows
    np.fill_diagonal(flows, flows.diagonal() + rng.lognormal(1.0, 1.0, n))
    input_share = rng.uniform(0.4, 0.8, n)  # column sums of A
    x = flows.sum(axis=0) / input_share
    labels = [f"syn{i:04d}" for i in range(1, n + 1)]
    return pd.DataFrame(flows, index=labels, columns=labels), pd.Series(x, index=labels)


def _paired_medians(
    ours: Callable[[], object], peer: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Median times of ``ours`` and ``peer``, measured interleaved (order alternating each
    round) so that load changes on the shared machine hit both alike."""
    ours()
    peer()  # warm-up
    t_ours: list[float] = []
    t_peer: list[float] = []
    for i in range(repeats):
        pair = [(ours, t_ours), (peer, t_peer)]
        for fn, sink in pair if i % 2 == 0 else pair[::-1]:
            start = time.perf_counter()
            fn()
            sink.append(time.perf_counter() - start)
    return statistics.median(t_ours), statistics.median(t_peer)


def _pymrio_pipeline(Z: pd.DataFrame, x: pd.Series) -> pd.DataFrame:
    import pymrio

    A = pymrio.calc_A(Z, x)
    L = pymrio.calc_L(A)
    B = pymrio.calc_B(Z, x)
    G = pymrio.calc_G(B, L=L, x=x)
    n = len(L)
    bl = L.to_numpy().sum(axis=0)
    fl = G.to_numpy().sum(axis=1)
    return pd.DataFrame(
        {"backward": bl * n / bl.sum(), "forward": fl * n / fl.sum()}, index=L.index
    )


def _residual(L: np.ndarray, A: np.ndarray) -> float:
    return float(np.abs(L @ (np.eye(len(A)) - A) - np.eye(len(A))).max())


def run(sizes: list[int], repeats: int) -> list[dict[str, object]]:
    import pymrio

    rows: list[dict[str, object]] = []
    for n in sizes:
        if n == 153:
            t = IOTable.load("china-2020-153")
            Z, x, label = t.Z, t.x, "china-2020-153 (real, total block)"
        else:
            Z, x = synthetic_table(n)
            label = f"synthetic {n} (seeded, labelled)"
        A = technical_coefficients(Z, x)
        ours_L = leontief_inverse(A)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            peer_L = pymrio.calc_L(pymrio.calc_A(Z, x))
            ours_lk = linkages(Z, x)
            peer_lk = _pymrio_pipeline(Z, x)
        agree = float(np.abs(ours_L.to_numpy() - peer_L.to_numpy()).max())
        agree_bl = float(np.abs(ours_lk["backward"] - peer_lk["backward"]).max())
        t_ours_L, t_peer_L = _paired_medians(
            lambda A=A: leontief_inverse(A), lambda A=A: pymrio.calc_L(A), repeats
        )
        t_ours_p, t_peer_p = _paired_medians(
            lambda Z=Z, x=x: linkages(Z, x), lambda Z=Z, x=x: _pymrio_pipeline(Z, x), repeats
        )
        rows.append(
            {
                "table": label,
                "n": n,
                "L ours s": t_ours_L,
                "L pymrio s": t_peer_L,
                "L ratio": t_ours_L / t_peer_L,
                "pipeline ours s": t_ours_p,
                "pipeline pymrio s": t_peer_p,
                "pipeline ratio": t_ours_p / t_peer_p,
                "resid ours": _residual(ours_L.to_numpy(), A.to_numpy()),
                "resid pymrio": _residual(peer_L.to_numpy(), A.to_numpy()),
                "max |L diff|": agree,
                "max |BL diff|": agree_bl,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--sizes", default="153,1000")
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("--note", default="", help="an extra line for the RESULTS.md block")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    load_before = os.getloadavg()[0]
    git = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    header = machine(
        "numpy",
        "scipy",
        "pandas",
        "pymrio",
        extra=f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}; git {git or 'n/a'}",
    )
    rows = run(sizes, args.repeats)
    frame = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(header)
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if args.no_append:
        return
    lines = [
        "",
        f"## linkages — Leontief/Ghosh linkages vs pymrio ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {header}; {conditions(load_before)}; medians of {args.repeats} interleaved "
        "runs after one warm-up; ratio = ours / "
        "pymrio (< 1: ours faster). Ours: `numpy.linalg.solve(I − A, I)` (LAPACK gesv: LU, "
        "then solves against I) plus label/finiteness/productivity checks; pymrio: "
        "`numpy.linalg.inv(I − A)`, which is the same gesv call, hence identical L. "
        "Command: `.venv/bin/python bench/linkages.py`.",
        *([args.note, ""] if args.note else []),
        "| table | n | L ours (s) | L pymrio (s) | L ratio | pipeline ours (s) | "
        "pipeline pymrio (s) | pipeline ratio | max abs(L(I−A)−I) ours | pymrio | "
        "max abs(L ours − L pymrio) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['table']} | {r['n']} | {r['L ours s']:.4f} | {r['L pymrio s']:.4f} | "
            f"{r['L ratio']:.2f} | {r['pipeline ours s']:.4f} | {r['pipeline pymrio s']:.4f} | "
            f"{r['pipeline ratio']:.2f} | {r['resid ours']:.1e} | {r['resid pymrio']:.1e} | "
            f"{r['max |L diff|']:.1e} |"
        )
    lines.append("")
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"appended to {RESULTS}")


if __name__ == "__main__":
    main()
