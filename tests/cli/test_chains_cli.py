"""`clusteratlas chains / attract / regions` against a real workspace file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clusteratlas import open_workspace
from clusteratlas.cli import app
from sample_registry import FIRM_YEARS, FIRMS

runner = CliRunner()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ws") / "ws.duckdb"
    with open_workspace(path) as ws:
        ws.import_frame("firms", FIRMS, dataset="firms", source="test_chains")
        ws.import_frame(
            "firm-years",
            FIRM_YEARS,
            dataset="firm-years",
            source="test_chains",
            units={"revenue": "元", "rd_spend": "元"},
        )
    return path


def test_chains_csv(workspace: Path) -> None:
    result = runner.invoke(
        app, ["chains", "-w", str(workspace), "--chain", "ic", "--year", "2024", "-f", "csv"]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    status = dict(zip(frame["node"], frame["status"], strict=True))
    assert status["design"] == "strong" and status["equipment"] == "missing"
    assert "node_name" in frame.columns and frame["node_name"].iloc[0] == "EDA与IP核"


def test_chains_summary_and_english(workspace: Path) -> None:
    result = runner.invoke(
        app,
        ["chains", "-w", str(workspace), "--summary", "-f", "json", "--lang", "en"],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["chain"] for r in rows} == {
        c for c in ("ic", "ngit", "medicine_health", "icv", "smart_equipment", "green_energy")
    }


def test_attract_and_regions(workspace: Path) -> None:
    result = runner.invoke(
        app, ["attract", "-w", str(workspace), "--chain", "ic", "--node", "equipment", "-f", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert pd.read_csv(io.StringIO(result.stdout))["firm_id"].tolist() == ["s2"]
    result = runner.invoke(
        app, ["regions", "-w", str(workspace), "--group", "jingjinji", "--chain", "ic", "-f", "csv"]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout), dtype={"member": str})
    assert set(frame["member"]) == {"110000", "120000", "130000"}


def test_unknown_node_is_one_clear_message(workspace: Path) -> None:
    result = runner.invoke(
        app, ["attract", "-w", str(workspace), "--chain", "ic", "--node", "nope"]
    )
    assert result.exit_code == 4  # AnalysisError
    assert "no node 'nope'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_empty_workspace_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    open_workspace(path).close()
    result = runner.invoke(app, ["chains", "-w", str(path)])
    assert result.exit_code == 3  # WorkspaceError
    assert "no firms" in result.output


def test_error_messages_are_not_wrapped_at_80_columns(tmp_path: Path) -> None:
    """A long workspace path must not split the message (it did at 80 columns)."""
    deep = tmp_path / ("a-rather-long-folder-name-" * 4) / ("and-another-one-" * 4)
    deep.mkdir(parents=True)
    path = deep / "empty.duckdb"
    open_workspace(path).close()
    result = runner.invoke(app, ["chains", "-w", str(path)], env={"COLUMNS": "80"})
    assert result.exit_code == 3
    error_line = next(line for line in result.output.splitlines() if "error:" in line)
    assert "no firms" in error_line
