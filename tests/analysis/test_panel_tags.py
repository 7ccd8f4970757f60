"""Tag actuals of :func:`workspace_targets`: a workspace without the ``firm_tag`` table has no
tag actuals, but an engine error while reading the table surfaces with its cause (it used to
be swallowed by a bare ``except Exception`` and shown as "no data")."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from clusteratlas.analysis.panel import workspace_targets
from clusteratlas.model.plan import load_plan
from clusteratlas.workspace import open_workspace


def _targets(path: Path) -> pd.DataFrame:
    with open_workspace(path) as ws:
        return workspace_targets(ws, load_plan("beijing-2441"), n_sim=50)


def test_a_workspace_without_the_tag_table_has_no_tag_actuals(tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    expected = _targets(path)
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE firm_tag")
    with open_workspace(path, read_only=True) as ws:
        frame = workspace_targets(ws, load_plan("beijing-2441"), n_sim=50)
    pd.testing.assert_frame_equal(frame, expected)


def test_an_engine_error_reading_tags_is_not_swallowed(tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    _targets(path)
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE firm_tag")
        con.execute(
            "CREATE VIEW firm_tag AS SELECT 'f1' AS firm_id, 2023 AS year, 'zjtx' AS tag "
            "FROM range(3) WHERE error('tag storage is broken') IS NULL"
        )
    with (
        open_workspace(path, read_only=True) as ws,
        pytest.raises(duckdb.Error, match="tag storage is broken"),
    ):
        workspace_targets(ws, load_plan("beijing-2441"), n_sim=50)
