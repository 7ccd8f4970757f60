"""Choose the Ibis backend: DuckDB (default) or PySpark (optional, local mode).

Analyses are Ibis expressions; :func:`connect` returns the backend they run on. DuckDB
works on the workspace file (out-of-core beyond memory); PySpark is for registries beyond
one machine and needs the ``spark`` extra.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from clusteratlas.config import ENGINES, normalize_engine
from clusteratlas.errors import InputError

__all__ = ["ENGINES", "connect"]


def connect(
    engine: str = "duckdb",
    *,
    path: str | os.PathLike[str] | None = None,
    memory_limit: str | None = None,
    spark_master: str | None = None,
) -> Any:
    """An Ibis backend.

    ``engine="duckdb"``: on the DuckDB file ``path`` (in memory when None), with an
    optional ``memory_limit`` such as ``"2GB"``. ``engine="pyspark"`` (alias ``spark``):
    a local Spark session (``spark_master`` default ``local[*]``) bound to 127.0.0.1
    with the UI off and its warehouse in a temporary folder (``path`` if given);
    ``memory_limit`` sets the driver memory. Unknown engines or a
    missing PySpark raise :class:`~clusteratlas.errors.InputError`.
    """
    name = normalize_engine(engine)  # raises InputError for an unknown engine
    if name == "duckdb":
        import ibis

        config: dict[str, Any] = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
        database = ":memory:" if path is None else str(Path(path))
        return ibis.duckdb.connect(database, **config)
    # name == "pyspark"
    try:
        import ibis
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - depends on the optional extra
        raise InputError(
            "engine 'pyspark' needs PySpark: pip install 'clusteratlas[spark]'"
        ) from None
    builder = (
        SparkSession.builder.master(spark_master or "local[*]")
        .appName("clusteratlas")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config(
            "spark.sql.warehouse.dir",
            str(Path(path)) if path is not None else tempfile.mkdtemp(prefix="clusteratlas-spark-"),
        )
    )
    if memory_limit:
        builder = builder.config("spark.driver.memory", memory_limit)
    return ibis.pyspark.connect(builder.getOrCreate())
