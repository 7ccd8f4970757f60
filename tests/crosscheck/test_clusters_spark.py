"""The same cluster-monitor expressions on PySpark give DuckDB's results.

Checks in particular that quantiles compile to Spark's exact ``percentile`` (linear
interpolation, like numpy and DuckDB ``quantile_cont``), not ``approx_percentile``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pytest

from clusteratlas.analysis.clusters import (
    location_quotient,
    monitor,
    shift_share,
    strong_clusters,
)

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="no Java for local Spark"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    pyspark_sql = pytest.importorskip("pyspark.sql")
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("clusteratlas-test-clusters")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    yield session
    session.stop()


def _table(spark: Any, con: Any, name: str, df: pd.DataFrame) -> Any:
    spark.createDataFrame(df).createOrReplaceTempView(name)
    return con.table(name)


def test_spark_matches_duckdb(spark: Any) -> None:
    con = ibis.pyspark.connect(spark)
    rng = np.random.default_rng(5)
    n = 40
    df = pd.DataFrame(
        {
            "region": [f"r{i % 10}" for i in range(n)],
            "cluster": [f"c{i // 10}" for i in range(n)],
            "emp": rng.integers(1, 1000, n).astype(float),
            "est": rng.integers(1, 50, n).astype(float),
        }
    )
    lq_pd = location_quotient(df, region="region", industry="cluster", value="emp")
    t = _table(spark, con, "ca_lq", df)
    lq_sp = location_quotient(t, region="region", industry="cluster", value="emp", lazy=True)
    assert "approx" not in str(ibis.to_sql(lq_sp, dialect="pyspark")).lower()
    got = lq_sp.to_pandas().sort_values(["cluster", "region"]).reset_index(drop=True)
    exp = lq_pd.sort_values(["cluster", "region"]).reset_index(drop=True)
    np.testing.assert_allclose(got.lq, exp.lq, rtol=1e-12)

    sc_pd = strong_clusters(
        lq_pd, region="region", industry="cluster", employment="emp", establishments="est", lq="lq"
    )
    t2 = _table(spark, con, "ca_sc", lq_pd)
    sc_expr = strong_clusters(
        t2,
        region="region",
        industry="cluster",
        employment="emp",
        establishments="est",
        lq="lq",
        lazy=True,
    )
    sql = str(ibis.to_sql(sc_expr, dialect="pyspark")).lower()
    assert "percentile(" in sql and "approx_percentile" not in sql
    got_sc = sc_expr.to_pandas().sort_values(["cluster", "region"]).reset_index(drop=True)
    exp_sc = sc_pd.sort_values(["cluster", "region"]).reset_index(drop=True)
    for col in ["strong", "strong10", "significant", "qualifying"]:
        assert list(got_sc[col]) == list(exp_sc[col]), col

    start = df[["region", "cluster", "emp"]]
    end = start.assign(emp=start.emp * rng.uniform(0.5, 1.5, n))
    ss_sp = shift_share(
        _table(spark, con, "ca_s0", start),
        _table(spark, con, "ca_s1", end),
        region="region",
        industry="cluster",
        value="emp",
    )
    ss_pd = shift_share(start, end, region="region", industry="cluster", value="emp")
    key = ["region", "cluster"]
    pd.testing.assert_frame_equal(
        ss_sp.sort_values(key).reset_index(drop=True),
        ss_pd.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )

    panel = pd.DataFrame(
        {
            "firm_id": np.repeat(np.arange(30), 3),
            "year": np.tile([2021, 2022, 2023], 30),
        }
    )
    panel["region"] = "r" + (panel.firm_id % 4).astype(str)
    panel["cluster"] = "c" + (panel.firm_id % 3).astype(str)
    panel["revenue"] = rng.uniform(1e10, 1e11, len(panel))
    panel["value_added"] = panel.revenue * 0.3
    panel["employees"] = rng.integers(1, 500, len(panel)).astype(float)
    levels = [("trillion", 1e12), ("hundred_billion", 1e11)]
    mo_sp = monitor(_table(spark, con, "ca_panel", panel), levels=levels)
    mo_pd = monitor(panel, levels=levels)
    pd.testing.assert_frame_equal(
        mo_sp.reset_index(drop=True), mo_pd.reset_index(drop=True), check_dtype=False
    )
