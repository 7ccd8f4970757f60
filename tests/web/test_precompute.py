"""The dashboard's precomputed page results (web/precompute.py): pages read them instead of
running the analyses; a store is only used for the workspace file it was computed from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def stored(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from clusteratlas.web.precompute import precompute

    path = tmp_path_factory.mktemp("stored") / "workspace.duckdb"
    shutil.copy(demo_workspace, path)
    precompute(path, "beijing-2441")
    return path


def test_pages_read_the_store_not_the_analyses(stored: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from clusteratlas import api
    from clusteratlas.web.app import create_app

    def refuse(*args: object, **kwargs: object) -> pd.DataFrame:
        raise AssertionError("a page ran an analysis on the request path")

    for name in (
        "clusters",
        "targets",
        "chains",
        "coverage",
        "regions",
        "ladder",
        "opportunities",
        "linkages",
    ):
        monkeypatch.setattr(api, name, refuse)
    with TestClient(create_app(stored), raise_server_exceptions=True) as client:
        screened = pd.read_parquet(next(stored.with_name(stored.name + ".pages").glob("ladder-*")))
        firm = str(screened[screened["status"] == "eligible"]["firm_id"].iloc[0])
        for path in (
            "/",
            "/clusters",
            "/chains",
            "/chains/ic",
            "/opportunities",
            "/ladder",
            f"/ladder/firm/{firm}",
        ):
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:300])


def test_a_copy_keeps_the_store_an_import_invalidates_it(stored: Path, tmp_path: Path) -> None:
    from clusteratlas.demo import facts_for_import
    from clusteratlas.model.plan import load_plan
    from clusteratlas.web.precompute import PAGE_RUNS, Store
    from clusteratlas.workspace import open_workspace

    copy = tmp_path / "workspace.duckdb"
    shutil.copy(stored, copy)  # a new modification time, the same datasets
    shutil.copytree(stored.with_name(stored.name + ".pages"), tmp_path / "workspace.duckdb.pages")
    plan = load_plan("beijing-2441")
    assert Store(copy, plan).get(*PAGE_RUNS[0]) is not None
    with open_workspace(copy) as ws:
        ws.import_frame(
            "observations", facts_for_import().head(3), dataset="more-facts", source="test"
        )
    assert Store(copy, plan).get(*PAGE_RUNS[0]) is None  # other data: not trusted
    assert Store(stored, plan).get(*PAGE_RUNS[0]) is not None


def test_pages_say_preparing_while_the_store_is_computed(
    demo_workspace: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Right after ``serve`` starts without a store, a page whose data is neither stored nor
    cached answers at once (200, reloads itself) instead of running the analysis."""
    from fastapi.testclient import TestClient

    from clusteratlas import api
    from clusteratlas.web.app import create_app

    class Busy:
        def is_alive(self) -> bool:
            return True

    def refuse(*args: object, **kwargs: object) -> pd.DataFrame:
        raise AssertionError("a page ran an analysis on the request path")

    copy = tmp_path / "workspace.duckdb"
    shutil.copy(demo_workspace, copy)
    monkeypatch.setattr(api, "ladder", refuse)
    web = create_app(copy)
    web.state.pages_warming = Busy()
    with TestClient(web) as client:
        page = client.get("/ladder?lang=zh")
        assert page.status_code == 200 and 'id="preparing-title"' in page.text
        assert '<meta http-equiv="refresh"' in page.text
        web.state.pages_warming = None  # warm-up done: pages compute (here: refuse) again
        assert client.get("/ladder").status_code == 500
