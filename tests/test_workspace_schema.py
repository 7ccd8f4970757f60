"""``SCHEMA_VERSION`` is checked on open: a workspace from a newer or an older ClusterAtlas is
refused with a message that says what to do (it used to be written and never read)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from clusteratlas.cli import app
from clusteratlas.errors import WorkspaceError
from clusteratlas.workspace import SCHEMA_VERSION, open_workspace


def _workspace_at_version(folder: Path, version: str) -> Path:
    path = folder / "ws.duckdb"
    open_workspace(path).close()
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE workspace_meta SET value = ? WHERE key = 'schema_version'", [version])
    return path


def test_the_current_version_opens_again(tmp_path: Path) -> None:
    path = _workspace_at_version(tmp_path, str(SCHEMA_VERSION))
    with open_workspace(path, read_only=True) as ws:
        assert ws.counts()["region"] > 0


@pytest.mark.parametrize("read_only", [False, True])
def test_a_newer_workspace_asks_for_an_upgrade(tmp_path: Path, read_only: bool) -> None:
    path = _workspace_at_version(tmp_path, str(SCHEMA_VERSION + 1))
    with pytest.raises(WorkspaceError, match=r"newer ClusterAtlas.*pip install -U clusteratlas"):
        open_workspace(path, read_only=read_only)


def test_an_older_workspace_says_how_to_start_over(tmp_path: Path) -> None:
    path = _workspace_at_version(tmp_path, str(SCHEMA_VERSION - 1))
    with pytest.raises(WorkspaceError, match=r"older than this ClusterAtlas.*clusteratlas init"):
        open_workspace(path)


def test_an_unreadable_version_is_a_clear_error(tmp_path: Path) -> None:
    path = _workspace_at_version(tmp_path, "one")
    with pytest.raises(WorkspaceError, match="unreadable workspace schema version 'one'"):
        open_workspace(path)


def test_the_cli_prints_the_message_without_a_traceback(tmp_path: Path) -> None:
    path = _workspace_at_version(tmp_path, str(SCHEMA_VERSION + 1))
    result = CliRunner().invoke(app, ["status", "-w", str(path)], env={"COLUMNS": "80"})
    assert result.exit_code != 0
    assert "newer ClusterAtlas" in result.output and "Traceback" not in result.output
