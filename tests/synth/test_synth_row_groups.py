"""`synth --partition` writes one file per partition with large row groups, same rows."""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from clusteratlas.synth import BLOCK, generate
from clusteratlas.synth.writer import compact_partitions


def _leaves(folder: Path) -> dict[Path, list[Path]]:
    out: dict[Path, list[Path]] = {}
    for file in sorted(folder.rglob("*.parquet")):
        out.setdefault(file.parent, []).append(file)
    return out


@pytest.mark.slow
def test_partitioned_output_is_compacted_with_identical_rows(tmp_path: Path) -> None:
    n = 3 * BLOCK
    flat = generate(firms=n, seed=5, out_dir=tmp_path / "flat", fmt="parquet", years="2018-2019")
    part = generate(
        firms=n,
        seed=5,
        out_dir=tmp_path / "part",
        fmt="parquet",
        years="2018-2019",
        partition=True,
        chunk_size=BLOCK,  # several chunks: every partition receives several batches
    )
    for kind in ("firms", "firm-years"):
        leaves = _leaves(Path(part[kind]))
        assert leaves
        for files in leaves.values():
            assert len(files) == 1  # one file per partition, not one per chunk
            meta = pq.ParquetFile(files[0]).metadata
            assert meta.num_row_groups == 1, (files[0], meta.num_row_groups)
        rows = ds.dataset(part[kind], partitioning="hive").to_table().to_pandas()
        expected = pq.read_table(flat[kind]).to_pandas()
        key = ["firm_id", "year"] if kind == "firm-years" else ["firm_id"]
        left = rows[expected.columns].sort_values(key).reset_index(drop=True)
        right = expected.sort_values(key).reset_index(drop=True)
        assert left.astype(str).equals(right.astype(str))


def test_compaction_keeps_order_and_caps_row_groups(tmp_path: Path) -> None:
    import pyarrow as pa

    leaf = tmp_path / "t" / "year=2020"
    leaf.mkdir(parents=True)
    for part in range(3):
        pq.write_table(
            pa.table({"x": list(range(part * 10, part * 10 + 10))}),
            leaf / f"part-{part:06d}-0.parquet",
        )
    compact_partitions(tmp_path / "t", row_group_rows=25)
    (file,) = list(leaf.glob("*.parquet"))
    meta = pq.ParquetFile(file).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [25, 5]
    assert pq.read_table(file).column("x").to_pylist() == list(range(30))
