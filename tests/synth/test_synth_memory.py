"""Memory stays bounded by the chunk, not the registry size (subprocess peak RSS)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import json, resource, sys
from clusteratlas.synth import generate
n, chunk, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
generate(firms=n, seed=1, out_dir=out, fmt="parquet", years="2018-2019", chunk_size=chunk)
print(json.dumps({"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _peak(n: int, chunk: int, out: Path) -> int:
    res = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(n), str(chunk), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(json.loads(res.stdout.strip().splitlines()[-1])["rss_kb"])


@pytest.mark.slow
def test_200k_firms_in_bounded_memory(tmp_path: Path) -> None:
    from clusteratlas.synth import BLOCK

    small = _peak(50_000, 2 * BLOCK, tmp_path / "a")
    large = _peak(200_000, 2 * BLOCK, tmp_path / "b")
    # 4× the firms, same chunk: peak memory grows far less than 4× (core + one chunk)
    assert large < small * 1.5, (small, large)
    assert (tmp_path / "b" / "firms.parquet").stat().st_size > (
        tmp_path / "a" / "firms.parquet"
    ).stat().st_size * 3
