"""Shared fixtures of the Spark parity suite: one local Spark session for the whole test run
and one small demo workspace (real Beijing facts + a seeded SYNTHETIC registry).

The session is started once (4–30 s on a shared 2-core machine) with settings for tiny data:
2 local cores, 2 shuffle partitions, Arrow transfers, no whole-stage code generation and the
C1 JIT only (compiling generated code dominates on kilobyte-sized inputs). Analyses then get it
through :func:`clusteratlas.sources.open_source` (``engine="spark"`` → ``getOrCreate`` reuses it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

SPARK_TEST_CONF = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.adaptive.enabled": "false",
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
    "spark.sql.session.timeZone": "UTC",
}


DEMO_YEARS = [2018, 2019, 2020]
DEMO_FIRMS = 5000


def _needs_spark() -> None:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("no Java for local Spark")


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """One local Spark session for the whole run (stopped at the end)."""
    _needs_spark()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[2]").appName("clusteratlas-tests")
    for key, value in SPARK_TEST_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace: real facts + the smallest SYNTHETIC registry the calibration
    allows for 2018–2020 (``synth.min_firms``, ≥ 5,000 firms; seed 0)."""
    from clusteratlas import synth
    from clusteratlas.demo import build_workspace

    out = tmp_path_factory.mktemp("spark-demo")
    firms = max(DEMO_FIRMS, synth.min_firms(DEMO_YEARS))
    ws, _ = build_workspace(out, firms=firms, seed=0, years="2018-2020")
    path = Path(ws.path)
    ws.close()
    return path


def assert_frames_match(
    left: pd.DataFrame,
    right: pd.DataFrame,
    keys: list[str],
    *,
    rtol: float = 1e-9,
    atol: float = 1e-6,
    ignore: tuple[str, ...] = (),
) -> None:
    """Same columns, same rows (matched on ``keys``), numbers equal to floating tolerance,
    everything else equal (NULL = NaN = None)."""
    assert sorted(left.columns) == sorted(right.columns), sorted(
        set(left.columns) ^ set(right.columns)
    )
    assert len(left) == len(right), (len(left), len(right))
    assert len(left) > 0, "empty result: the parity check would be vacuous"
    a = left.sort_values(keys, kind="stable").reset_index(drop=True)
    b = right.sort_values(keys, kind="stable").reset_index(drop=True)
    for col in a.columns:
        if col in ignore:
            continue
        x, y = a[col], b[col]
        numeric = pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y)
        if numeric and not (pd.api.types.is_bool_dtype(x) or pd.api.types.is_bool_dtype(y)):
            np.testing.assert_allclose(
                x.astype(float).to_numpy(),
                y.astype(float).to_numpy(),
                rtol=rtol,
                atol=atol,
                equal_nan=True,
                err_msg=f"column {col}",
            )
        else:
            xs = [None if _missing(v) else _plain(v) for v in x.tolist()]
            ys = [None if _missing(v) else _plain(v) for v in y.tolist()]
            assert xs == ys, f"column {col}: " + str(
                [(i, p, q) for i, (p, q) in enumerate(zip(xs, ys, strict=True)) if p != q][:5]
            )


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """Comparable Python values: NumPy scalars unwrapped, nested lists/structs recursed,
    ``Decimal`` as float (see ``test_nested_float_literals_keep_their_type``), floats rounded
    to 12 significant digits (summation order differs between engines)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    return value


@pytest.fixture(scope="session")
def frames_match() -> Any:
    """:func:`assert_frames_match` for the test modules."""
    return assert_frames_match


@pytest.fixture(scope="session")
def parity_sources(spark_session: Any, demo_workspace: Path) -> Iterator[tuple[Any, Any]]:
    """``(duckdb source, spark source)`` on the demo workspace: DuckDB reads the workspace
    file, Spark reads its tables exported to Parquet (``open_source`` stages them)."""
    from clusteratlas.sources import open_source

    duck = open_source(demo_workspace, engine="duckdb")
    spark = open_source(demo_workspace, engine="spark", spark_master="local[2]")
    assert spark.backend._session is spark_session
    yield duck, spark
    duck.close()
    spark.close()
