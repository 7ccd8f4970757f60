"""DuckDB out-of-core: the cluster monitor on a registry that needs more memory than the
configured limit completes by spilling to the temp directory.

The proof that the limit binds: the same query with spilling switched off
(``temp_directory = ''``) runs out of memory, and the spilled result equals the result of
an unlimited run. Data: a SYNTHETIC registry generated here with DuckDB ``range()`` and hash
columns (1,000,000 firms × 3 years, Parquet, firm-year partitioned by year).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pytest

from clusteratlas.model.plan import load_plan
from clusteratlas.sources import open_source

pytestmark = pytest.mark.slow

FIRMS = 1_000_000
LIMIT = "256MB"
LIMIT_BYTES = 256 * 2**20


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ooc")
    (root / "firm").mkdir()
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT 'F' || lpad(CAST(i AS VARCHAR), 9, '0') AS firm_id,
            CAST(110101 + hash(i, 'r') % 16 AS VARCHAR) AS region,
            (['6520', '3973', '6513', '3562', '2710', '3670', '7455', '6312'])
                [CAST(1 + hash(i, 'k') % 8 AS BIGINT)] AS industry,
            '北京' || md5(CAST(i AS VARCHAR)) || '科技有限公司' AS name,
            '技术开发；' || md5(CAST(i * 7 AS VARCHAR)) || '；集成电路设计' AS scope
        FROM range({FIRMS}) t(i)) TO '{root / "firm" / "part-0.parquet"}' (FORMAT parquet)"""
    )
    con.execute(
        f"""COPY (SELECT 'F' || lpad(CAST(i // 3 AS VARCHAR), 9, '0') AS firm_id,
            2022 + i % 3 AS year,
            CAST(1e6 + hash(i, 'v') % 1000000000 AS DOUBLE) AS "revenue(yuan)",
            CAST(3e5 + hash(i, 'a') % 300000000 AS DOUBLE) AS value_added,
            CAST(5 + hash(i // 3, 'e') % 500 AS DOUBLE) AS employees
        FROM range({3 * FIRMS}) t(i)) TO '{root / "firm_year"}'
        (FORMAT parquet, PARTITION_BY (year))"""
    )
    con.close()
    return root


def _monitor(root: Path, **options: object) -> pd.DataFrame:
    """The monitor at the national-scale setting: panel (classification + joins) and region
    totals from the firm-year table, all one DuckDB query."""
    from clusteratlas.analysis.clusters import monitor
    from clusteratlas.analysis.panel import build_panel

    plan = load_plan("beijing-2441")
    with open_source(parquet=root, **options) as src:  # type: ignore[arg-type]
        firms, firm_years = src.table("firm"), src.table("firm_year")
        panel = build_panel(firms, firm_years, plan, geography="firm")
        totals = firm_years.join(firms.select("firm_id", "region"), "firm_id").select(
            "region", "year", "employees"
        )
        frame = monitor(panel, levels=plan.levels, region_totals=totals)
    return frame.sort_values(["cluster", "region", "year"]).reset_index(drop=True)


def test_monitor_spills_beyond_the_memory_limit(registry: Path, tmp_path: Path) -> None:
    in_memory = sum(
        ds.dataset(registry / name, format="parquet", partitioning="hive").to_table().nbytes
        for name in ("firm", "firm_year")
    )
    assert in_memory > LIMIT_BYTES  # the data alone do not fit under the limit

    spill = tmp_path / "spill"
    limited = _monitor(registry, memory_limit=LIMIT, temp_directory=spill, threads=1)
    assert spill.is_dir()
    assert len(limited) > 50 and limited["firms"].sum() > FIRMS

    with pytest.raises(duckdb.OutOfMemoryException):
        _monitor(registry, memory_limit=LIMIT, temp_directory="", threads=1)

    unlimited = _monitor(registry)
    pd.testing.assert_frame_equal(limited, unlimited, check_exact=False, rtol=1e-12)
