"""Dropping a dataset through the Python API and the REST API (token-protected like imports)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from clusteratlas import api
from clusteratlas.web.app import cleanup, create_app

TOKEN = "drop-token"
CSV = "region,year,indicator,value,unit\n110000,2024,gdp,49843.1,亿元\n".encode()


def test_rest_drop_needs_the_token_and_empties_the_dataset(tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    app = create_app(path, allow_import=True, token=TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            up = client.post(
                "/api/import/observations",
                files={"file": ("facts.csv", CSV, "text/csv")},
                headers=auth,
            )
            assert up.status_code == 201, up.text
            assert client.delete("/api/datasets/facts").status_code == 401
            wrong = client.delete("/api/datasets/facts", headers={"Authorization": "Bearer x"})
            assert wrong.status_code == 401
            done = client.delete("/api/datasets/facts", headers=auth)
            assert done.status_code == 200, done.text
            assert done.json() == {
                "dataset": "facts",
                "kind": "observations",
                "table": "observation",
                "rows": 1,
            }
            names = [r["name"] for r in client.get("/api/datasets").json()]
            assert "facts" not in names
            again = client.delete("/api/datasets/facts", headers=auth)
            assert again.status_code == 400 and "no dataset 'facts'" in again.json()["error"]
    finally:
        cleanup(app)


def test_rest_drop_absent_when_read_only(tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    from clusteratlas.workspace import open_workspace

    open_workspace(path).close()
    app = create_app(path)
    with TestClient(app) as client:
        assert "/api/datasets/{name}" not in client.get("/api/openapi.json").json()["paths"]
    cleanup(app)


def test_python_api_drop(tmp_path: Path) -> None:
    from clusteratlas.workspace import open_workspace

    path = tmp_path / "ws.duckdb"
    data = tmp_path / "facts.csv"
    data.write_bytes(CSV)
    with open_workspace(path) as ws:
        ws.import_file("observations", data)
    assert api.drop_dataset("facts", path)["rows"] == 1
    assert "facts" not in set(api.datasets(path)["name"])


def test_rest_import_reports_units_coverage_and_replaces(tmp_path: Path) -> None:
    from .test_bureau import bureau_book

    book = bureau_book(tmp_path / "bureau.xlsx").read_bytes()
    app = create_app(tmp_path / "ws.duckdb", allow_import=True, token=TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            for coverage, replace, status in (
                ("complete", "false", "imported"),
                ("partial", "true", "replaced"),
            ):
                done = client.post(
                    f"/api/import/firm-years?sheet=经营数据&coverage={coverage}&replace={replace}"
                    "&header_row=2&dataset=fy",
                    files={"file": ("bureau.xlsx", book, xlsx)},
                    headers=auth,
                )
                assert done.status_code == 201, done.text
                body = done.json()
                assert (body["status"], body["coverage"]) == (status, coverage)
                assert body["units"][0]["factor"] == 1e4 and body["units"][0]["unit"] == "万元"
    finally:
        cleanup(app)
