"""The app's state: workspace path, plan, lock, time budget and result cache, and the JSON
body of a cached analysis (the CLI's ``--format json``)."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from clusteratlas import api
from clusteratlas.errors import WorkspaceError
from clusteratlas.faults import RETRY_AFTER_SECONDS
from clusteratlas.model.plan import Plan
from clusteratlas.web.budget import ReadWriteLock, ResultCache, WebBudget, cap_rows
from clusteratlas.web.validation import ApiError


async def within_budget(work: Awaitable[Any], seconds: float) -> Any:
    """Await work for at most a time budget.

    Parameters
    ----------
    work : Awaitable
        The work (e.g. a thread-pool call).
    seconds : float
        Budget, seconds.

    Returns
    -------
    Any
        The work's result.

    Raises
    ------
    ApiError
        503 + Retry-After when the budget runs out; the work goes on (shielded: a thread
        cannot be stopped, and its result is cached for the retry).
    """
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.wait_for(asyncio.shield(task), timeout=seconds)
    except TimeoutError:
        raise ApiError(
            f"the result takes longer than {seconds:g} s; it is still being computed — retry "
            "shortly, or narrow the request",
            503,
            {"Retry-After": str(RETRY_AFTER_SECONDS * 5)},
        ) from None


def _file_name(value: Any) -> Any:
    return Path(value).name if isinstance(value, str) and ("/" in value or "\\" in value) else value


def records_json(frame: pd.DataFrame) -> bytes:
    """A frame as the CLI's ``--format json``.

    Parameters
    ----------
    frame : pandas.DataFrame
        An analysis result (canonical units).

    Returns
    -------
    bytes
        UTF-8 JSON records; NaN → null; ISO dates; floats to 15 decimal places, pandas' most
        (its default of 10 cut small shares to 7 digits).
    """
    text = frame.to_json(
        orient="records", force_ascii=False, date_format="iso", double_precision=15
    )
    return (text or "[]").encode("utf-8")


class State:
    """The app's workspace path, plan, lock and result cache."""

    def __init__(
        self, workspace: Path, plan: Plan, *, allow_import: bool, budget: WebBudget | None = None
    ) -> None:
        self.workspace = workspace
        self.plan = plan
        self.allow_import = allow_import
        self.budget = budget or WebBudget.from_env()
        self.rw = ReadWriteLock()  # analyses share the workspace; an import has it alone
        self.slots = threading.BoundedSemaphore(self.budget.concurrent_analyses)
        self.generation = 0
        self.cache = ResultCache(self.budget.cache_bytes)
        self.hits = 0
        self.misses = 0
        # a private upload folder only where uploads are possible (removed by cleanup())
        self.upload_dir: Path | None = (
            Path(tempfile.mkdtemp(prefix="clusteratlas-upload-")) if allow_import else None
        )

    def version(self) -> tuple[float, int]:
        return api.workspace_mtime(self.workspace), self.generation

    def run(self, command: str, **params: Any) -> pd.DataFrame:
        """The (cached) result of ``api.<command>`` on the workspace."""
        key = (command, tuple(sorted(params.items())), self.version())
        cached: pd.DataFrame | None = self.cache.get(key)
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        function: Callable[..., pd.DataFrame] = getattr(api, command)
        with self.slots, self.rw.read():
            if command == "linkages" or (command == "targets" and params.get("facts")):
                frame = function(None, self.plan, **params)
            else:
                if not self.workspace.exists():
                    raise WorkspaceError(f"no workspace at {self.workspace}")
                from clusteratlas.workspace import open_workspace

                ws = open_workspace(self.workspace, read_only=True)
                try:
                    frame = function(ws, self.plan, **params)
                finally:
                    ws.close()
        self.cache.put(key, frame)
        return frame

    def _json_body(
        self, key: tuple[Any, ...], command: str, params: dict[str, Any]
    ) -> tuple[bytes, dict[str, str]]:
        frame, headers = cap_rows(self.run(command, **params), self.budget.max_response_rows)
        if "source_file" in frame.columns:  # provenance names the file, never a server folder
            frame = frame.assign(source_file=frame["source_file"].map(_file_name))
        entry = (records_json(frame), headers)
        self.cache.put(key, entry)
        return entry

    async def run_json(self, command: str, **params: Any) -> Response:
        """The JSON records of ``api.<command>``: served from the cache in the event loop
        (no thread hop), computed in the thread pool on a miss within the time budget
        (else 503 + Retry-After; the work goes on and its result is cached)."""
        key = ("json", command, tuple(sorted(params.items())), self.version())
        entry = self.cache.get(key)
        if entry is not None:
            self.hits += 1
        else:
            entry = await within_budget(
                run_in_threadpool(self._json_body, key, command, params),
                self.budget.request_seconds,
            )
        body, headers = entry
        return Response(content=body, media_type="application/json", headers=headers)

    def write(self, change: Callable[[], Any]) -> Any:
        """Run ``change`` with the workspace to itself, then invalidate every cached result."""
        with self.rw.write():
            result = change()
            self.generation += 1
            self.cache.clear()
        return result
