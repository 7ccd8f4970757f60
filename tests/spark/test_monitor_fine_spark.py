"""The fine-grain monitor plan (one scan, YoY by a join on year − 1 with a NULL-safe region
match) gives the same result on local Spark as on DuckDB (``tests/fine_registry.py``)."""

from __future__ import annotations

from typing import Any

import ibis
import pytest

from clusteratlas.analysis.clusters import monitor
from fine_registry import LEVELS, MEASURES, assert_same, ours, registry

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_fine_monitor_on_spark_equals_duckdb(spark_session: Any) -> None:
    panel = registry(firms=600, seed=11)
    spark_session.createDataFrame(panel).createOrReplaceTempView("ca_fine_panel")
    t = ibis.pyspark.connect(spark_session).table("ca_fine_panel")
    got = monitor(t, measures=MEASURES, levels=LEVELS, region_totals=t)
    assert got.region.isna().any()  # NULL-region rows reach the YoY join
    assert_same(got, ours(panel))
