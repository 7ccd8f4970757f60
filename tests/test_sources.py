"""The table-source layer: canonical tables from a workspace file or a Parquet directory.

DuckDB only (fast); the Spark side of the same layer is covered by ``tests/spark/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clusteratlas import open_workspace
from clusteratlas.errors import InputError, WorkspaceError
from clusteratlas.model.schema import TABLES
from clusteratlas.sources import (
    CANONICAL_TABLES,
    engine_from_env,
    export_parquet,
    normalize_engine,
    open_source,
    spark_master_from_env,
)
from sample_registry import FIRM_YEARS, FIRMS


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("src") / "ws.duckdb"
    with open_workspace(path) as ws:
        ws.import_frame("firms", FIRMS, dataset="firms", source="test_sources")
        ws.import_frame(
            "firm-years",
            FIRM_YEARS,
            dataset="firm-years",
            source="test_sources",
            units={"revenue": "元", "rd_spend": "元"},
            synthetic=True,
        )
    return path


@pytest.fixture(scope="module")
def exported(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pq")
    with open_workspace(workspace, read_only=True) as ws:
        written = export_parquet(ws, out, partition_by={"firm_year": ["year"]})
    assert (written["firm_year"] / "year=2024").is_dir()  # hive-partitioned
    return out


def _types(table: Any) -> dict[str, Any]:
    """Column → type, nullability aside (a workspace declares NOT NULL, Parquet does not)."""
    return {name: dtype.copy(nullable=True) for name, dtype in table.schema().items()}


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_parquet_export_round_trips_every_table(workspace: Path, exported: Path) -> None:
    with open_source(workspace) as ws_src, open_source(parquet=exported) as pq_src:
        assert ws_src.origin == "workspace" and pq_src.origin == "parquet"
        for name in CANONICAL_TABLES:
            a, b = ws_src.table(name), pq_src.table(name)
            assert _types(a) == _types(b), name
            pd.testing.assert_frame_equal(
                _sorted(a.to_pandas()), _sorted(b.to_pandas()), check_dtype=False
            )
        assert ws_src.counts() == pq_src.counts()
        assert pq_src.counts()["firm_year"] == len(FIRM_YEARS)
        assert pq_src.counts(["firm"]) == {"firm": len(FIRMS)}
        reg = pq_src.datasets().set_index("name")
        assert bool(reg.loc["firm-years", "synthetic"]) is True
        assert bool(reg.loc["firms", "synthetic"]) is False


def test_analyses_agree_on_workspace_and_parquet(workspace: Path, exported: Path) -> None:
    from clusteratlas.analysis import chains
    from clusteratlas.analysis.panel import workspace_monitor
    from clusteratlas.model.plan import load_plan

    plan = load_plan("beijing-2441")
    out = {}
    for key, src in (("ws", open_source(workspace)), ("pq", open_source(parquet=exported))):
        with src:
            nodes = chains.nodes(src.table("firm"), src.table("firm_year"), plan, region="110000")
            mon, prov = workspace_monitor(src, plan, geography="firm", crossings=False)
            out[key] = (nodes, mon, prov)
    (n1, m1, p1), (n2, m2, p2) = out["ws"], out["pq"]
    assert (n1["firms"] > 0).any()
    pd.testing.assert_frame_equal(n1, n2, check_dtype=False)
    keys = ["cluster", "region", "year"]
    pd.testing.assert_frame_equal(
        m1.sort_values(keys).reset_index(drop=True),
        m2.sort_values(keys).reset_index(drop=True),
        check_dtype=False,
    )
    assert p1["synthetic"] is True and p2["synthetic"] is True


def _write(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


@pytest.fixture
def synth_layout(tmp_path: Path) -> Path:
    """The layout `clusteratlas synth --partition` writes: CLI kind folders, hive partitions
    (year, province), unit-suffixed headers, a ``synthetic`` column."""
    root = tmp_path / "registry"
    for year, rev in ((2023, [150.0, 20.0]), (2024, [200.0, None])):
        _write(
            root / "firm-years" / f"year={year}" / "province=110000" / "part-0.parquet",
            pa.table(
                {
                    "firm_id": ["a", "b"],
                    "revenue(万元)": pa.array(rev, type=pa.float64()),
                    "employees(persons)": pa.array([10, 3], type=pa.int64()),
                    "market_share(%)": [5.0, 1.0],
                    "synthetic": [True, True],
                }
            ),
        )
    _write(
        root / "firms" / "province=110000" / "part-0.parquet",
        pa.table(
            {
                "firm_id": ["a", "b"],
                "region": ["110108", "110105"],
                "industry": ["6520", "6513"],
                "founded": ["2019-03-01", ""],
                "listed": [True, False],
                "synthetic": [True, True],
            }
        ),
    )
    return root


def test_partitioned_layout_with_units_and_refdata(synth_layout: Path) -> None:
    from clusteratlas import refdata

    with open_source(parquet=synth_layout, engine="duckdb") as src:
        fy = src.table("firm_year")
        assert list(fy.columns) == ["dataset", *TABLES["firm_year"].column_names]
        assert str(fy.schema()["year"]) == "int32"
        frame = fy.to_pandas().sort_values(["year", "firm_id"]).reset_index(drop=True)
        # 万元 → yuan, % → fraction; the year comes from the hive partition
        np.testing.assert_allclose(frame["revenue"], [1.5e6, 2e5, 2e6, np.nan])
        np.testing.assert_allclose(frame["market_share"], [0.05, 0.01, 0.05, 0.01])
        assert frame["year"].tolist() == [2023, 2023, 2024, 2024]
        assert frame["employees"].tolist() == [10.0, 3.0, 10.0, 3.0]
        assert frame["rd_spend"].isna().all()  # absent optional column → typed NULL
        assert set(frame["dataset"]) == {"parquet:firm-years"}
        firm = src.table("firm").to_pandas().set_index("firm_id")
        assert str(firm.loc["a", "founded"])[:10] == "2019-03-01"
        assert pd.isna(firm.loc["b", "founded"])
        # reference tables come from refdata; other missing tables are empty, typed
        counts = src.counts()
        assert counts["region"] == len(refdata.regions())
        assert counts["industry"] == len(refdata.industries())
        assert counts["region_group"] == len(refdata.region_groups())
        assert counts["observation"] == counts["firm_tag"] == counts["supply_edge"] == 0
        assert str(src.table("observation").schema()["value"]) == "float64"
        assert not src.has("region") and src.has("firm_year")
        reg = src.datasets().set_index("table")
        assert bool(reg.loc["firm_year", "synthetic"]) is True
        assert int(reg.loc["firm_year", "rows"]) == 4


def test_bad_units_and_missing_inputs_are_clear_errors(tmp_path: Path, workspace: Path) -> None:
    root = tmp_path / "bad"
    _write(
        root / "firm_year" / "part.parquet",
        pa.table({"firm_id": ["a"], "year": [2024], "revenue(persons)": [1.0]}),
    )
    with open_source(parquet=root) as src, pytest.raises(InputError, match="revenue"):
        src.table("firm_year")
    with pytest.raises(InputError, match="no such Parquet directory"):
        open_source(parquet=tmp_path / "nowhere")
    with pytest.raises(WorkspaceError):
        open_source(tmp_path / "missing.duckdb")
    with open_source(workspace) as src, pytest.raises(WorkspaceError, match="no table"):
        src.table("io_tables")


def test_engine_names_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert normalize_engine("Spark") == "pyspark"
    assert normalize_engine(" duckdb ") == "duckdb"
    assert normalize_engine(None) == "duckdb"
    with pytest.raises(InputError, match="unknown engine"):
        normalize_engine("oracle")
    monkeypatch.delenv("CLUSTERATLAS_ENGINE", raising=False)
    monkeypatch.delenv("SPARK_MASTER", raising=False)
    assert engine_from_env() == "duckdb"
    assert spark_master_from_env() is None
    monkeypatch.setenv("CLUSTERATLAS_ENGINE", "spark")
    monkeypatch.setenv("SPARK_MASTER", "spark://10.0.0.5:7077")
    assert engine_from_env() == "pyspark"
    assert spark_master_from_env() == "spark://10.0.0.5:7077"
    monkeypatch.setenv("CLUSTERATLAS_ENGINE", "postgres")
    with pytest.raises(InputError):
        engine_from_env()


def test_engine_none_reads_environment(monkeypatch: pytest.MonkeyPatch, workspace: Path) -> None:
    monkeypatch.setenv("CLUSTERATLAS_ENGINE", "duckdb")
    with open_source(workspace, engine=None) as src:
        assert src.engine == "duckdb" and src.label == "duckdb (ibis)"
        assert src.table("firm").count().execute() == len(FIRMS)


def test_parquet_tables_are_views_not_repeated_expressions(exported: Path) -> None:
    """Classification uses the firm table several times; as an expression it became one CTE
    that DuckDB materialised (the whole firm table in memory, docs/scale.md); as a view it
    is expanded where used and streams from the files."""
    import ibis

    from clusteratlas.classify import classify_firms
    from clusteratlas.model.plan import load_plan

    with open_source(parquet=exported) as src:
        firms = src.table("firm")
        assert src.table("firm") is firms
        sql = str(ibis.to_sql(classify_firms(firms, load_plan("beijing-2441")), dialect="duckdb"))
        # the query names the view only; the canonical projection over the raw Parquet view
        # (ca_firm_<hex>) is not inlined into it
        assert re.search(r'"ca_firm_[0-9a-f]{8}_canonical"', sql)
        assert not re.search(r'"ca_firm_[0-9a-f]{8}"', sql)
        assert firms.count().execute() == len(FIRMS)
