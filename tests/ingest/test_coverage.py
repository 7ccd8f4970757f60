"""Coverage (issue 12): a partial firm list never becomes a city-wide plan actual; the tracker
keeps the official facts and says how much of them the firm data covers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clusteratlas.analysis.panel import firm_data_complete, workspace_monitor, workspace_targets
from clusteratlas.demo import facts_for_import
from clusteratlas.model.plan import load_plan
from clusteratlas.workspace import Workspace

from .test_bureau import bureau_book


def _setup(ws: Workspace, tmp_path: Path, coverage: str) -> None:
    ws.import_frame(
        "observations", facts_for_import(), dataset="facts", source="facts", allow_rejects=True
    )
    book = bureau_book(tmp_path / "b.xlsx", n=24)
    ws.import_file("firms", book, sheet="企业名录", coverage=coverage)
    ws.import_file("firm-years", book, sheet="经营数据", coverage=coverage)


def _cluster_rows(frame):  # type: ignore[no-untyped-def]
    return frame[frame["indicator"].astype(str).str.startswith("cluster_size")]


def test_partial_firm_data_is_no_plan_actual(ws: Workspace, tmp_path: Path) -> None:
    _setup(ws, tmp_path, "partial")
    assert not firm_data_complete(ws)
    tracked = workspace_targets(ws, load_plan("beijing-2441"), n_sim=200)
    assert not tracked["actual_source"].astype(str).str.contains("cluster monitor").any()
    assert "data_coverage" in tracked.columns
    covered = tracked["data_coverage"].dropna()
    assert len(covered) >= 1 and ((covered > 0) & (covered < 0.01)).all()  # a sliver of the facts
    notes = tracked.loc[covered.index, "note"].astype(str)
    assert notes.str.contains("your data covers").all()


def test_complete_firm_data_is_an_actual(ws: Workspace, tmp_path: Path) -> None:
    _setup(ws, tmp_path, "complete")
    assert firm_data_complete(ws)
    tracked = workspace_targets(ws, load_plan("beijing-2441"), n_sim=200)
    assert "data_coverage" not in tracked.columns
    sources = tracked["actual_source"].astype(str)
    assert sources.str.contains("cluster monitor").any()
    assert np.isfinite(tracked["probability"].astype(float)).any()


def test_partial_firm_sums_carry_no_published_badge(ws: Workspace, tmp_path: Path) -> None:
    from clusteratlas.i18n import t
    from clusteratlas.report.html import cluster_rows

    _setup(ws, tmp_path, "partial")
    plan = load_plan("beijing-2441")
    monitor, _ = workspace_monitor(ws, plan, n_sim=100)
    assert monitor["partial"].all()
    rows = cluster_rows(plan, monitor, "zh")
    assert rows and all(r["partial"] and not r["synthetic"] for r in rows)
    assert t("report.partial", "zh") == "部分企业数据"
