"""`--parquet`, `--memory-limit` and `--engine spark` reach the analyses via the sources layer."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clusteratlas import open_workspace
from clusteratlas.cli import app
from clusteratlas.sources import export_parquet
from sample_registry import FIRM_YEARS, FIRMS

runner = CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("engine")
    path = folder / "ws.duckdb"
    with open_workspace(path) as ws:
        ws.import_frame("firms", FIRMS, dataset="firms", source="sample_registry")
        ws.import_frame(
            "firm-years",
            FIRM_YEARS,
            dataset="firm-years",
            source="sample_registry",
            units={"revenue": "元", "rd_spend": "元"},
        )
        export_parquet(ws, folder / "parquet")
    return path, folder / "parquet"


def _chains(*args: str) -> pd.DataFrame:
    result = runner.invoke(app, ["chains", "--chain", "ic", "--year", "2024", "-f", "csv", *args])
    assert result.exit_code == 0, result.output
    return pd.read_csv(io.StringIO(result.stdout)).sort_values("node").reset_index(drop=True)


def test_parquet_and_memory_limit_equal_the_workspace(data: tuple[Path, Path]) -> None:
    workspace, parquet = data
    expected = _chains("-w", str(workspace))
    pd.testing.assert_frame_equal(_chains("--parquet", str(parquet)), expected)
    pd.testing.assert_frame_equal(
        _chains("-w", str(workspace), "--memory-limit", "512MB"), expected
    )


def test_unknown_engine_is_a_clear_error(data: tuple[Path, Path]) -> None:
    workspace, _ = data
    result = runner.invoke(app, ["chains", "-w", str(workspace), "--engine", "oracle"])
    assert result.exit_code == 2
    assert "engine" in result.output


@pytest.mark.spark
@pytest.mark.slow
def test_spark_engine_equals_duckdb(data: tuple[Path, Path]) -> None:
    workspace, parquet = data
    expected = _chains("-w", str(workspace))
    got = _chains("--engine", "spark", "--parquet", str(parquet))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)
