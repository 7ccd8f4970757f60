"""The source layer on Spark reads the same canonical tables as on DuckDB: hive partitions,
unit-suffixed headers, CLI kind folder names, refdata and empty stand-ins, and URIs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clusteratlas.errors import InputError
from clusteratlas.sources import CANONICAL_TABLES, open_source

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _write(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spark-layout")
    for year in (2023, 2024):
        _write(
            root / "firm-years" / f"year={year}" / "province=110000" / "part-0.parquet",
            pa.table(
                {
                    "firm_id": ["a", "b", "c"],
                    "revenue(万元)": [150.0 * (year - 2021), 20.0, None],
                    "employees(persons)": pa.array([10, 3, 7], type=pa.int64()),
                    "synthetic": [True, True, True],
                }
            ),
        )
    _write(
        root / "firms" / "part-0.parquet",
        pa.table(
            {
                "firm_id": ["a", "b", "c"],
                "region": ["110108", "110105", "120116"],
                "industry": ["6520", "6513", "3973"],
                "founded": ["2019-03-01", "", "2001-12-31"],
                "listed": [True, False, None],
            }
        ),
    )
    return root


def _frames(src: Any, name: str) -> Any:
    frame = src.table(name).to_pandas()
    return frame.sort_values(list(frame.columns)[:4]).reset_index(drop=True)


def test_spark_reads_what_duckdb_reads(spark_session: Any, layout: Path, frames_match: Any) -> None:
    with (
        open_source(parquet=layout, engine="duckdb") as duck,
        open_source(parquet=layout, engine="spark", spark_master="local[2]") as spark,
    ):
        assert spark.backend._session is spark_session
        for name in CANONICAL_TABLES:
            a, b = duck.table(name), spark.table(name)
            assert {k: v.copy(nullable=True) for k, v in a.schema().items()} == {
                k: v.copy(nullable=True) for k, v in b.schema().items()
            }, name
        assert duck.counts() == spark.counts()
        for name, keys in (
            ("firm_year", ["firm_id", "year"]),
            ("firm", ["firm_id"]),
            ("region_group", ["group", "region"]),
        ):
            frames_match(_frames(duck, name), _frames(spark, name), keys)
        revenue = spark.table("firm_year").revenue.sum().execute()
        assert revenue == pytest.approx((300 + 450 + 20 + 20) * 1e4)  # 万元 → yuan
        flags = spark.datasets().set_index("table")["synthetic"]
        assert bool(flags["firm_year"]) and not bool(flags["firm"])


def test_spark_reads_uris_and_duckdb_refuses_them(spark_session: Any, layout: Path) -> None:
    uri = layout.resolve().as_uri()  # file:///… (hdfs://, s3a:// work the same way)
    with open_source(parquet=uri, engine="spark") as src:
        assert src.counts()["firm_year"] == 6
        assert src.has("firm") and not src.has("observation")
    with pytest.raises(InputError, match="Spark only"):
        open_source(parquet=uri, engine="duckdb")


def test_spark_reads_the_sidecars_duckdb_stored(
    spark_session: Any, layout: Path, tmp_path: Path, frames_match: Any, monkeypatch: Any
) -> None:
    """A Parquet directory's stored classification (built by DuckDB) is read by Spark: same
    monitor, nothing classified; Spark never writes one."""
    import shutil

    from clusteratlas import firm_cluster
    from clusteratlas.analysis import panel as panel_module
    from clusteratlas.model.plan import load_plan

    plan, root = load_plan("beijing-2441"), tmp_path / "registry"
    shutil.copytree(layout, root)
    with open_source(parquet=root, engine="spark", spark_master="local[2]") as spark:
        assert firm_cluster.cached_cluster_sets(spark, plan) is None  # nothing built by Spark
        inline, _ = panel_module.workspace_monitor(spark, plan, geography="firm", crossings=False)
    assert not (root / firm_cluster.SIDECAR_FOLDER).exists()
    with open_source(parquet=root, engine="duckdb") as duck:
        want, _ = panel_module.workspace_monitor(duck, plan, geography="firm", crossings=False)
    assert (root / firm_cluster.SIDECAR_FOLDER).is_dir()

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("Spark classified although current sidecars exist")

    monkeypatch.setattr(panel_module, "classify_firms", refuse)
    monkeypatch.setattr(firm_cluster, "classify_firms", refuse)
    with open_source(parquet=root, engine="spark", spark_master="local[2]") as spark:
        assert firm_cluster.cached_cluster_sets(spark, plan, build=False) is not None
        got, _ = panel_module.workspace_monitor(spark, plan, geography="firm", crossings=False)
    assert len(want) and want["firms"].gt(0).all()
    for frame in (inline, got):
        frames_match(frame, want, ["cluster", "region", "year"])
