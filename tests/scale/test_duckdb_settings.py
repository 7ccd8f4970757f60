"""DuckDB sources switch off the optimizer that made the national monitor 5× slower."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from clusteratlas.sources import DISABLED_OPTIMIZERS, open_source


def _disabled(execute_result: list[tuple[object, ...]]) -> set[str]:
    return {n.strip() for n in str(execute_result[0][0]).split(",") if n.strip()}


def test_parquet_source_disables_partial_aggregate_pushdown(tmp_path: Path) -> None:
    (tmp_path / "firm").mkdir()
    pq.write_table(
        pa.table({"firm_id": ["a"], "region": ["110108"], "industry": ["6520"]}),
        tmp_path / "firm" / "part.parquet",
    )
    with open_source(parquet=tmp_path) as src:
        got = src.backend.raw_sql("SELECT current_setting('disabled_optimizers')").fetchall()
    assert set(DISABLED_OPTIMIZERS) <= _disabled(got)
    assert "partial_aggregate_pushdown" in DISABLED_OPTIMIZERS
