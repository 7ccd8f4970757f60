"""The result cache never serves results from before an import: an upload through the API
and an import by another process (the CLI) both invalidate it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clusteratlas import api
from clusteratlas.web.app import cleanup, create_app
from clusteratlas.workspace import open_workspace

TOKEN = "cache-test-token"
CSV = "region,year,indicator,value,unit,source\n110000,2023,gdp,43760.7,亿元,统计公报\n"


@pytest.fixture()
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "ws.duckdb"
    app = create_app(path, allow_import=True, token=TOKEN)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, path, app.state.ca
    cleanup(app)


def _names(client: TestClient) -> set[str]:
    response = client.get("/api/datasets")
    assert response.status_code == 200, response.text
    return {row["name"] for row in response.json()}


def test_an_upload_invalidates_the_cache_even_within_one_mtime_tick(
    served, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    client, _, state = served
    # a file system with coarse timestamps: the workspace's mtime does not move
    monkeypatch.setattr(api, "workspace_mtime", lambda _: 1.0)
    before = _names(client)
    hits = state.hits
    assert _names(client) == before and state.hits == hits + 1  # the cache answers repeats
    response = client.post(
        "/api/import/observations",
        files={"file": ("facts.csv", CSV.encode(), "text/csv")},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 201, response.text
    assert _names(client) == before | {response.json()["dataset"]}


def test_an_import_by_another_process_invalidates_the_cache(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, path, state = served
    before = _names(client)
    hits = state.hits
    assert _names(client) == before and state.hits == hits + 1
    facts = tmp_path / "facts.csv"
    facts.write_text(CSV, encoding="utf-8")
    with open_workspace(path) as ws:  # as `clusteratlas import` would, beside the server
        result = ws.import_file("observations", facts, dataset="facts-2023")
    assert result.status == "imported"
    assert _names(client) == before | {"facts-2023"}
