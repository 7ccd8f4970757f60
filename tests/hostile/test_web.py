"""The hardened web face (issue 14, items 2–5, 10, 11): headers, HEAD, uploads refused
before their body, bombs as 4xx while /api/health answers, bounded cache, no server paths."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from clusteratlas.web.app import cleanup, create_app
from clusteratlas.web.budget import ReadWriteLock, ResultCache, cap_rows
from clusteratlas.web.security import GuardMiddleware
from hostile.conftest import locked
from hostile.payloads import xlsx_dimension_bomb

TOKEN = "T0ken"
FIRMS = b"firm_id,name\nF1,alpha\nF2,beta\n"


@pytest.fixture()
def server(workspace: Path):  # type: ignore[no-untyped-def]
    app = create_app(workspace, allow_import=True, token=TOKEN, max_upload_mb=5)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, app
    cleanup(app)


def _upload(client: TestClient, name: str, body: bytes, token: str | None = TOKEN) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/api/import/firms", files={"file": (name, body)}, headers=headers)


@pytest.mark.parametrize("path", ["/", "/api/health", "/api/datasets", "/static/app.js", "/nope"])
def test_every_response_carries_the_security_headers(server, path: str) -> None:  # type: ignore[no-untyped-def]
    client, _ = server
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_head_answers_like_get_without_a_body(server) -> None:  # type: ignore[no-untyped-def]
    client, _ = server
    for path in ("/", "/api/health"):
        response = client.head(path)
        assert response.status_code == 200, path
        assert response.content == b""
        assert "x-content-type-options" in response.headers


def _scope(headers: dict[str, str], path: str = "/api/import/firms") -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }


def _run_guard(scope: dict[str, Any], body_parts: list[bytes]) -> tuple[int, bool]:
    """Run GuardMiddleware over a dummy app; (status, whether any body byte was read)."""
    read = False
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read = True
        part = body_parts.pop(0) if body_parts else b""
        return {"type": "http.request", "body": part, "more_body": bool(body_parts)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    guard = GuardMiddleware(inner, token=TOKEN, max_upload_bytes=1000)
    asyncio.run(guard(scope, receive, send))
    return int(sent[0]["status"]), read


def test_upload_without_token_is_refused_before_the_body() -> None:
    status, read = _run_guard(_scope({"content-length": str(300 << 20)}), [b"x" * 1000] * 3)
    assert (status, read) == (401, False)
    status, read = _run_guard(_scope({"authorization": "Bearer nope"}), [b"x"])
    assert (status, read) == (401, False)


def test_oversized_content_length_is_refused_before_the_body() -> None:
    headers = {"authorization": f"Bearer {TOKEN}", "content-length": str(300 << 20)}
    assert _run_guard(_scope(headers), [b"x"]) == (413, False)


def test_chunked_body_is_cut_at_the_limit() -> None:
    from starlette.exceptions import HTTPException

    with pytest.raises(HTTPException) as caught:
        _run_guard(_scope({"authorization": f"Bearer {TOKEN}"}), [b"x" * 40_000] * 3)
    assert caught.value.status_code == 413


def test_other_routes_are_not_gated() -> None:
    status, read = _run_guard(_scope({}, path="/api/health"), [b""])
    assert (status, read) == (201, True)


def test_bomb_upload_is_4xx_and_health_still_answers(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, _ = server
    for ref in ("A1:XFD1048576", "A1:XFD16000"):
        bomb = xlsx_dimension_bomb(tmp_path, ref)
        response = _upload(client, "bomb.xlsx", bomb.read_bytes())
        assert 400 <= response.status_code < 500, response.text
        assert "limit" in response.json()["error"]
        assert "/tmp" not in response.text and "clusteratlas-upload" not in response.text
        assert client.get("/api/health").status_code == 200


def test_provenance_keeps_the_client_file_name(server) -> None:  # type: ignore[no-untyped-def]
    client, app = server
    response = _upload(client, "my firms.csv", FIRMS)
    assert response.status_code == 201, response.text
    rows = {r["name"]: r for r in client.get("/api/datasets").json()}
    assert rows["my_firms"]["source_file"] == "my firms.csv"
    assert list(app.state.ca.upload_dir.iterdir()) == []


def test_health_answers_while_an_import_runs(server, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Imports run in a worker thread: the event loop keeps serving /api/health."""
    from clusteratlas.workspace import Workspace

    client, _ = server
    original = Workspace.import_file

    def slow(self: Workspace, *args: Any, **kwargs: Any) -> Any:
        time.sleep(3)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Workspace, "import_file", slow)
    worker = threading.Thread(target=_upload, args=(client, "firms.csv", FIRMS))
    worker.start()
    time.sleep(0.5)
    started = time.monotonic()
    assert client.get("/api/health").status_code == 200
    assert time.monotonic() - started < 1.5
    worker.join()


def test_busy_workspace_is_503_with_retry_after(server, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    client, _ = server
    with locked(workspace):
        response = client.get("/api/datasets")
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"].isdigit()
        assert "PID" not in response.text and "/" not in response.json()["error"]


def test_firm_ids_with_any_printable_text_are_accepted(server) -> None:  # type: ignore[no-untyped-def]
    client, _ = server
    for firm in ("91110108MA01.X", "企业 1", "a+b"):
        response = client.get("/api/ladder", params={"firm": firm})
        assert response.status_code != 422, (firm, response.text)
    assert client.get("/api/ladder", params={"firm": "a\x00b"}).status_code == 422


# ------------------------------------------------------------------ budget primitives
def test_result_cache_is_bounded_in_bytes() -> None:
    cache = ResultCache(max_bytes=1000)
    for i in range(50):
        cache.put(i, b"x" * 200)
    assert cache.bytes <= 1000 and len(cache) == 5
    assert cache.get(49) is not None and cache.get(0) is None
    cache.put("huge", b"x" * 600)  # above a quarter of the budget: not kept
    assert cache.get("huge") is None


def test_rows_are_capped_with_headers() -> None:
    frame = pd.DataFrame({"a": range(10)})
    capped, headers = cap_rows(frame, 4)
    assert len(capped) == 4 and headers == {"X-Total-Rows": "10", "X-Truncated": "true"}
    assert cap_rows(frame, 10)[1] == {}


def test_readers_share_and_a_writer_waits() -> None:
    lock = ReadWriteLock()
    events: list[str] = []
    with lock.read(), lock.read():  # two readers at once
        writer = threading.Thread(target=lambda: _write(lock, events))
        writer.start()
        time.sleep(0.2)
        events.append("readers done")
    writer.join()
    assert events == ["readers done", "writer"]


def _write(lock: ReadWriteLock, events: list[str]) -> None:
    with lock.write():
        events.append("writer")


def test_a_slow_result_is_503_within_the_time_budget() -> None:
    from clusteratlas.web.app import ApiError, within_budget

    async def scenario() -> None:
        async def slow() -> int:
            await asyncio.sleep(1.0)
            return 1

        started = time.monotonic()
        with pytest.raises(ApiError) as caught:
            await within_budget(slow(), 0.1)
        assert caught.value.status == 503 and caught.value.headers
        assert time.monotonic() - started < 0.8

    asyncio.run(scenario())


def test_cold_analyses_are_bounded_in_number(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At most ``concurrent_analyses`` uncached analyses run at once (memory bound)."""
    from clusteratlas import api
    from clusteratlas.web.budget import WebBudget

    monkeypatch.setenv("CLUSTERATLAS_CONCURRENT_ANALYSES", "2")
    assert WebBudget.from_env().concurrent_analyses == 2
    app = create_app(workspace)
    state = app.state.ca
    running = 0
    peak = 0
    guard = threading.Lock()

    def fake(ws: Any, plan: Any, **params: Any) -> pd.DataFrame:
        nonlocal running, peak
        with guard:
            running += 1
            peak = max(peak, running)
        time.sleep(0.3)
        with guard:
            running -= 1
        return pd.DataFrame({"x": [params["n"]]})

    monkeypatch.setattr(api, "fake", fake, raising=False)
    threads = [
        threading.Thread(target=state.run, args=("fake",), kwargs={"n": i}) for i in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cleanup(app)
    assert peak == 2


def test_read_only_server_makes_no_upload_folder(workspace: Path) -> None:
    app = create_app(workspace)
    assert app.state.ca.upload_dir is None
    cleanup(app)
