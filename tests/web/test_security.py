"""Security of the web face: read-only by default, imports need the Bearer token, uploads are
size-limited and never use the client's file name as a path, SQL-ish input is harmless, and
crashes answer a generic 500 without a stack trace."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from clusteratlas.errors import InputError
from clusteratlas.web.app import cleanup, create_app

TOKEN = "s3cret-token"
CSV = (
    "region,year,indicator,value,unit,source\n"
    "110000,2023,gdp,43760.7,亿元,统计公报\n"
    "110000,2024,gdp,49843.1,亿元,统计公报\n"
).encode()


@pytest.fixture()
def writable(tmp_path: Path):  # type: ignore[no-untyped-def]
    """An app with imports enabled over a fresh workspace (1 KB upload limit)."""
    path = tmp_path / "ws.duckdb"
    app = create_app(path, allow_import=True, token=TOKEN, max_upload_mb=1 / 1024)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, path, app
    cleanup(app)


def _post(
    client: TestClient,
    name: str = "facts.csv",
    body: bytes = CSV,
    token: str | None = TOKEN,
    kind: str = "observations",
):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(
        f"/api/import/{kind}", files={"file": (name, body, "text/csv")}, headers=headers
    )


def test_import_needs_the_token(writable) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = writable
    assert _post(client, token=None).status_code == 401
    wrong = _post(client, token="guess")
    assert wrong.status_code == 401 and set(wrong.json()) == {"error"}


def test_import_with_token_writes_the_dataset(writable) -> None:  # type: ignore[no-untyped-def]
    client, _, app = writable
    response = _post(client)
    assert response.status_code == 201, response.text
    assert response.json()["rows"] == 2
    assert response.json()["unknown_firms"] == 0  # observations hold no firm ids
    names = [r["name"] for r in client.get("/api/datasets").json()]
    assert "facts" in names
    # nothing left behind in the server-side upload folder
    assert list(app.state.ca.upload_dir.iterdir()) == []


def test_oversize_upload_is_413(writable) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = writable
    big = CSV + "110000,2022,gdp,1,亿元,x\n".encode() * 200
    assert len(big) > 1024
    response = _post(client, body=big)
    assert response.status_code == 413
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.csv", "..\\..\\x.csv", "/etc/x.csv", ".hidden.csv", "a/../b.csv"]
)
def test_path_traversal_file_names_are_400(writable, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = writable
    response = _post(client, name=name)
    assert response.status_code == 400, response.text
    assert not (tmp_path.parent / "etc").exists()


def test_unsupported_type_and_kind(writable) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = writable
    assert _post(client, name="x.exe").status_code == 400
    assert _post(client, kind="passwords").status_code == 422


def test_read_only_app_has_no_write_route(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/import/observations",
        files={"file": ("a.csv", CSV)},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code in (404, 405)


def test_allow_import_without_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        create_app(tmp_path / "ws.duckdb", allow_import=True)


def test_sql_ish_input_is_harmless(client, demo_workspace: Path) -> None:  # type: ignore[no-untyped-def]
    con = duckdb.connect(str(demo_workspace), read_only=True)
    (before,) = con.execute("SELECT count(*) FROM firm").fetchone()
    con.close()
    # firm ids are the user's own text (any printable, issue 14): SQL-ish ones are bound as
    # values, so they match no firm instead of every firm
    for firm in ["SYN0' OR '1'='1", "SYN0;DROP TABLE firm"]:
        assert client.get("/api/ladder", params={"firm": firm}).json() == []
    for url in [
        "/api/chains?chain=ic%27%3B%20DROP%20TABLE%20firm%3B--",
        "/api/opportunities?region=110108' --",
        "/api/complexity?indicator=revenue;DROP",
        "/ladder/firm/x'%20OR%201=1",
    ]:
        response = client.get(url)
        assert 400 <= response.status_code < 500, url
        if url.startswith("/api/"):
            assert "error" in response.json()
        else:  # a dashboard page answers with an HTML error page
            assert 'id="error-title"' in response.text
    # a well-formed id that matches nothing is just an empty result
    assert client.get("/api/ladder?firm=NOPE_NOT_A_FIRM").json() == []
    con = duckdb.connect(str(demo_workspace), read_only=True)
    (after,) = con.execute("SELECT count(*) FROM firm").fetchone()
    con.close()
    assert after == before


def test_crash_is_generic_500(demo_workspace: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "ws.duckdb"
    shutil.copy(demo_workspace, copy)
    app = create_app(copy)

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internal detail /etc/shadow")

    monkeypatch.setattr("clusteratlas.api.datasets", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/datasets")
    cleanup(app)
    assert response.status_code == 500
    assert response.json() == {"error": "internal error (see the server log)"}
    assert "secret" not in response.text and "Traceback" not in response.text
