"""The web face: a JSON API mirroring the CLI, and the dashboard pages.

:func:`create_app` returns a FastAPI app over one workspace and one plan:

* ``GET /api/<command>`` for every sub-command of :mod:`clusteratlas.api` (same names,
  parameters and columns as the CLI; the body is the CLI's ``--format json``: a list of
  records), ``GET /api/health``, ``GET /api/plan``, ``GET /api/maps/{name}`` (GeoJSON with
  current GB/T 2260 codes, :mod:`clusteratlas.web.maps`), the OpenAPI schema at
  ``/api/openapi.json`` and its docs at ``/api/docs``;
* ``POST /api/import/{kind}`` and ``DELETE /api/datasets/{name}`` (``clusteratlas drop``)
  only when ``allow_import=True``, with ``Authorization: Bearer <token>``;
* dashboard pages (``/``, ``/clusters``, ``/chains``, ``/chains/{chain}``,
  ``/chains/{chain}/{node}``, ``/ladder``, ``/ladder/firm/{firm_id}``, ``/opportunities``),
  server-rendered with Jinja2; their charts are ECharts options built by
  :mod:`clusteratlas.report.charts` from the **same cached results** the JSON routes serve
  (embedded in the page, so a page is one request plus the map outlines it fetches from
  ``/api/maps``); every page links the JSON routes it shows.

Errors are JSON ``{"error": message}`` without server paths or PIDs: 400 for user mistakes
(:class:`ClusterAtlasError`), 422 for invalid parameters, 401/404/413 as usual, 503 +
``Retry-After`` for a workspace locked by another process or a request over its time
budget, and a generic 500 (details only in the server log). Results are cached per (route,
parameters, workspace modification time and import generation) in an LRU bounded in bytes
(:mod:`clusteratlas.web.budget`); the workspace is opened read-only per cache miss in a
worker thread, so other processes can keep using it; analyses share it, an import has it
alone. :mod:`clusteratlas.web.security` adds the security headers, HEAD and the upload gate
(token and size checked before the body). Limits: docs/limits.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import uuid
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import FastAPI, File, Header, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from clusteratlas import api
from clusteratlas.config import DEFAULT_PLAN
from clusteratlas.errors import ClusterAtlasError, InputError, WorkspaceError
from clusteratlas.faults import (
    RETRY_AFTER_SECONDS,
    ResourceLimitError,
    WorkspaceBusyError,
    public_message,
    translate,
)
from clusteratlas.model.plan import Plan, load_plan
from clusteratlas.web.budget import ReadWriteLock, ResultCache, WebBudget, cap_rows
from clusteratlas.web.security import GuardMiddleware

log = logging.getLogger("clusteratlas.web")

REGION_PATTERN = r"^[0-9]{6}$|^CN$"
ID_PATTERN = r"^[A-Za-z0-9_\-]{1,64}$"
FIRM_ID_PATTERN = r"^[^\x00-\x1f\x7f/\\]{1,128}$"
"""Firm ids are the user's (USCC, registry numbers, Chinese text): anything printable but
a slash or backslash; they reach DuckDB only as bound values, and links URL-encode them."""
DEFAULT_MAX_UPLOAD_MB = 50
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".parquet")
_SAFE_FILENAME = re.compile(r"^[\w\-. ()\u4e00-\u9fff]{1,200}$")

Region = Annotated[str | None, Query(pattern=REGION_PATTERN, description="GB/T 2260 code or CN")]
Year = Annotated[int | None, Query(ge=1949, le=2100, description="Year (default: latest)")]
NSim = Annotated[int, Query(ge=50, le=5000, description="Monte Carlo paths")]
Seed = Annotated[int, Query(ge=0, le=2**31 - 1)]


class ApiError(ClusterAtlasError):
    """A request problem with its HTTP status (and extra response headers)."""

    def __init__(
        self, message: str, status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers


async def within_budget(work: Awaitable[Any], seconds: float) -> Any:
    """Await ``work`` for at most ``seconds``; then 503 + Retry-After while it goes on
    (shielded: a thread cannot be stopped, and its result is cached for the retry)."""
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
    """The frame as the CLI's ``--format json`` (records; NaN → null; ISO dates; floats to 15
    decimal places, pandas' most — its default of 10 cut small shares to 7 digits) in UTF-8."""
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


def _check_chain(plan: Plan, chain: str | None, node: str | None = None) -> None:
    if chain is None:
        if node is not None:
            raise ApiError("node needs chain", 422)
        return
    ids = [c.id for c in plan.chains]
    if chain not in ids:
        raise ApiError(f"unknown chain {chain!r}; chains of plan {plan.id}: {', '.join(ids)}", 422)
    if node is not None:
        nodes = [n.id for n in plan.chain(chain).nodes]
        if node not in nodes:
            raise ApiError(
                f"unknown node {node!r} of chain {chain!r}; nodes: {', '.join(nodes)}", 422
            )


def _check_cluster(plan: Plan, cluster: str | None) -> None:
    if cluster is not None and cluster not in [c.id for c in plan.clusters]:
        raise ApiError(f"unknown cluster {cluster!r} of plan {plan.id}", 422)


@lru_cache(maxsize=16)
def _tier_ids(ruleset: str) -> tuple[str, ...]:
    from clusteratlas.analysis.tier_rules import load_ruleset

    return tuple(t.id for t in load_ruleset(ruleset).tiers)


@lru_cache(maxsize=1)
def _rulesets() -> tuple[str, ...]:
    from clusteratlas.analysis.tier_rules import ruleset_names

    return tuple(ruleset_names())


def _check_ruleset(plan: Plan, ruleset: str | None, tiers: list[str] | None) -> str:
    """The packaged ruleset id to use (never a file path from a request) after checking the
    tier ids against it."""
    rules = ruleset or plan.tier_ruleset
    if ruleset is not None and ruleset not in _rulesets():
        raise ApiError(f"unknown ruleset {ruleset!r}; rulesets: {', '.join(_rulesets())}", 422)
    ids = _tier_ids(rules)
    for tier in tiers or []:
        if tier not in ids:
            raise ApiError(f"unknown tier {tier!r}; tiers: {', '.join(ids)}", 422)
    return rules


@lru_cache(maxsize=1)
def _groups() -> tuple[str, ...]:
    from clusteratlas.refdata import region_groups

    return tuple(sorted(set(region_groups()["group"].astype(str))))


@lru_cache(maxsize=1)
def _io_tables() -> tuple[str, ...]:
    from clusteratlas.refdata import io_table_names

    return tuple(io_table_names())


def _check_group(group: str) -> None:
    groups = _groups()
    if group not in groups:
        raise ApiError(f"unknown region group {group!r}; groups: {', '.join(groups)}", 422)


def _check_table(table: str) -> None:
    names = _io_tables()
    if table not in names:
        raise ApiError(f"unknown IO table {table!r}; tables: {', '.join(names)}", 422)


def create_app(
    workspace: str | os.PathLike[str] | None = None,
    *,
    plan: str | Path | Plan = DEFAULT_PLAN,
    allow_import: bool = False,
    token: str | None = None,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
) -> FastAPI:
    """The FastAPI app over ``workspace`` (path; default ``$CLUSTERATLAS_WORKSPACE`` or
    ``./clusteratlas.duckdb``) and ``plan``.

    Read-only unless ``allow_import``; then ``token`` is required (``InputError`` without
    one) and ``POST /api/import/{kind}`` accepts uploads up to ``max_upload_mb`` MB.
    """
    from clusteratlas.workspace import default_path

    path = Path(workspace) if workspace is not None else default_path()
    the_plan = plan if isinstance(plan, Plan) else load_plan(plan)
    if allow_import and not token:
        raise InputError(
            "allow_import needs a token (--token T): imports require Authorization: Bearer T"
        )
    if not allow_import and not path.exists():
        raise WorkspaceError(
            f"{path}: no workspace here; run `clusteratlas init` or `clusteratlas demo` first"
        )
    if allow_import and not path.exists():
        from clusteratlas.workspace import open_workspace

        open_workspace(path).close()
    state = State(path, the_plan, allow_import=allow_import)
    max_bytes = int(max_upload_mb * 1024 * 1024)

    from clusteratlas import __version__

    app = FastAPI(
        title="ClusterAtlas API",
        version=__version__,
        description="The ClusterAtlas analyses over one workspace and plan; routes mirror "
        "the CLI sub-commands (same names, parameters and columns). Money in yuan, shares "
        "as fractions 0–1, people in persons. Rows from synthetic data carry synthetic=true.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served below from the vendored Swagger UI, not from a CDN
        redoc_url=None,
    )
    app.state.ca = state

    @app.get("/api/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        swagger = "/static/vendor/swagger-ui"
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="ClusterAtlas API",
            swagger_js_url=f"{swagger}/swagger-ui-bundle.js",
            swagger_css_url=f"{swagger}/swagger-ui.css",
            swagger_favicon_url=f"{swagger}/favicon-32x32.png",
        )

    # ------------------------------------------------------------------ errors
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            {"error": public_message(str(exc))}, status_code=exc.status, headers=exc.headers
        )

    @app.exception_handler(ClusterAtlasError)
    async def _user_error(request: Request, exc: ClusterAtlasError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return JSONResponse({"error": "; ".join(parts) or "invalid request"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        known = translate(exc)
        if known is not None:  # a DuckDB lock, a damaged workspace, memory: a clear answer
            return error_response(known)
        log.exception("internal error on %s", request.url.path)
        return JSONResponse({"error": "internal error (see the server log)"}, status_code=500)

    # ------------------------------------------------------------------ API
    @app.get("/api/health", tags=["meta"])
    async def health() -> dict[str, Any]:
        """Liveness: version, plan, workspace file, whether imports are enabled."""
        return {
            "status": "ok",
            "version": __version__,
            "plan": the_plan.id,
            "workspace": path.name,
            "exists": path.exists(),
            "allow_import": allow_import,
        }

    @app.get("/api/plan", tags=["meta"])
    def plan_summary() -> dict[str, Any]:
        """The plan's clusters, chains (nodes, edges), levels and targets (canonical units)."""
        return json.loads(the_plan.model_dump_json())

    @app.get("/api/maps/{name}", tags=["meta"])
    def map_route(name: Literal["beijing", "tianjin", "hebei", "jingjinji"]) -> Response:
        """GeoJSON outline with current names (``properties.name``) and GB/T 2260 codes."""
        from clusteratlas.web.maps import map_geojson

        body = json.dumps(map_geojson(name), ensure_ascii=False, separators=(",", ":"))
        return Response(
            body, media_type="application/geo+json", headers={"Cache-Control": "max-age=86400"}
        )

    @app.get("/api/clusters", tags=["analyses"])
    async def clusters(
        year: Year = None,
        all_years: bool = False,
        region: Region = None,
        geography: Literal["plan", "firm"] = "plan",
        n_sim: NSim = 2000,
        seed: Seed = 0,
        basis: Literal["registry", "statistics"] | None = None,
    ) -> Response:
        """Cluster monitor per cluster × region × year (``clusteratlas clusters``); ``basis``:
        firm registry or statistics (default: the one covering the plan region)."""
        return await state.run_json(
            "clusters",
            year=year,
            all_years=all_years,
            region=region,
            geography=geography,
            n_sim=n_sim,
            seed=seed,
            basis=basis,
        )

    @app.get("/api/targets", tags=["analyses"])
    async def targets(
        as_of: Year = None, facts: bool = False, n_sim: NSim = 2000, seed: Seed = 0
    ) -> Response:
        """Plan target tracker (``clusteratlas targets``)."""
        return await state.run_json("targets", as_of=as_of, facts=facts, n_sim=n_sim, seed=seed)

    @app.get("/api/chains", tags=["analyses"])
    async def chains(
        chain: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
        region: Region = None,
        year: Year = None,
        summary: bool = False,
    ) -> Response:
        """Chain node metrics and status (``clusteratlas chains``)."""
        _check_chain(the_plan, chain)
        return await state.run_json(
            "chains", chain=chain, region=region, year=year, summary=summary
        )

    @app.get("/api/coverage", tags=["analyses"])
    async def coverage(
        chain: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
        region: Region = None,
        year: Year = None,
    ) -> Response:
        """Per-chain coverage (``clusteratlas chains --summary``)."""
        _check_chain(the_plan, chain)
        return await state.run_json("coverage", chain=chain, region=region, year=year)

    @app.get("/api/attract", tags=["analyses"])
    async def attract(
        chain: Annotated[str, Query(pattern=ID_PATTERN)],
        node: Annotated[str, Query(pattern=ID_PATTERN)],
        region: Region = None,
        year: Year = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 20,
    ) -> Response:
        """Attraction candidates for a chain node (``clusteratlas attract``)."""
        _check_chain(the_plan, chain, node)
        return await state.run_json(
            "attract", chain=chain, node=node, region=region, year=year, limit=limit
        )

    @app.get("/api/regions", tags=["analyses"])
    async def regions(
        group: Annotated[str, Query(pattern=ID_PATTERN)] = "jingjinji",
        chain: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
        year: Year = None,
        basis: Literal["registry", "statistics"] | None = None,
    ) -> Response:
        """Chain-node capacity across a region group (``clusteratlas regions``) on the firm
        registry or statistics (``basis``)."""
        _check_group(group)
        _check_chain(the_plan, chain)
        return await state.run_json("regions", group=group, chain=chain, year=year, basis=basis)

    @app.get("/api/ladder", tags=["analyses"])
    async def ladder(
        tier: Annotated[list[str] | None, Query(description="Tier id(s)")] = None,
        region: Region = None,
        year: Year = None,
        view: Literal["screen", "gaps", "pipeline", "compare"] = "screen",
        status: Literal["eligible", "undetermined", "ineligible"] | None = None,
        ruleset: Annotated[
            str | None, Query(pattern=ID_PATTERN, description="Packaged ruleset id")
        ] = None,
        year_offset: Annotated[int, Query(ge=-5, le=5)] = 1,
        firm: Annotated[str | None, Query(pattern=FIRM_ID_PATTERN)] = None,
        limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
    ) -> Response:
        """Enterprise ladder: screening, gaps to the next tier, pipeline, comparison with
        certified tags (``clusteratlas ladder``). ``limit`` bounds the rows (default 1000)."""
        rules = _check_ruleset(the_plan, ruleset, tier)
        return await state.run_json(
            "ladder",
            tier=tuple(tier) if tier else None,
            region=region,
            year=year,
            view=view,
            status=status,
            ruleset=rules,
            year_offset=year_offset,
            firm=firm,
            limit=limit,
        )

    @app.get("/api/complexity", tags=["analyses"])
    async def complexity(
        level: Literal["class", "group", "division"] = "class",
        year: Year = None,
        indicator: Annotated[str, Query(pattern=ID_PATTERN)] = "revenue",
        region_level: Literal["province", "city", "district", "prefecture", "county"] = "province",
        source: Literal["auto", "firms", "observations"] = "auto",
        by: Literal["region", "industry", "pair"] = "pair",
        rca_cutoff: Annotated[float, Query(gt=0, le=100)] = 1.0,
        top: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    ) -> Response:
        """Economic complexity of the workspace (``clusteratlas complexity``)."""
        return await state.run_json(
            "complexity",
            level=level,
            year=year,
            indicator=indicator,
            region_level=region_level,
            source=source,
            by=by,
            rca_cutoff=rca_cutoff,
            top=top,
        )

    @app.get("/api/opportunities", tags=["analyses"])
    async def opportunities(
        region: Annotated[str, Query(pattern=REGION_PATTERN)],
        level: Literal["class", "group", "division"] = "class",
        year: Year = None,
        indicator: Annotated[str, Query(pattern=ID_PATTERN)] = "revenue",
        region_level: Literal["county", "prefecture", "province"] = "county",
        source: Literal["auto", "firms", "observations"] = "auto",
        strategy: Literal["low_hanging_fruit", "balanced", "long_jump"] = "balanced",
        rca_cutoff: Annotated[float, Query(gt=0, le=100)] = 1.0,
        top: Annotated[int | None, Query(ge=1, le=100_000)] = 20,
    ) -> Response:
        """Industries a region could develop next (``clusteratlas opportunities``)."""
        return await state.run_json(
            "opportunities",
            region=region,
            level=level,
            year=year,
            indicator=indicator,
            region_level=region_level,
            source=source,
            strategy=strategy,
            rca_cutoff=rca_cutoff,
            top=top,
        )

    @app.get("/api/linkages", tags=["analyses"])
    async def linkages(
        table: Annotated[str, Query(pattern=ID_PATTERN)] = "china-2020-42",
        by: Literal["sector", "cluster"] = "sector",
        block: Literal["auto", "domestic", "total"] = "auto",
    ) -> Response:
        """Input–output linkages of a packaged table (``clusteratlas linkages``)."""
        _check_table(table)
        return await state.run_json("linkages", table=table, by=by, block=block)

    @app.get("/api/datasets", tags=["analyses"])
    async def datasets() -> Response:
        """The workspace's dataset registry (``clusteratlas status``)."""
        return await state.run_json("datasets")

    if allow_import:
        from clusteratlas.model.schema import KINDS

        kinds = tuple(KINDS)

        @app.post("/api/import/{kind}", tags=["import"], status_code=201)
        async def import_route(
            kind: str,
            request: Request,
            file: Annotated[UploadFile, File(description="CSV, XLSX or Parquet file")],
            authorization: Annotated[str | None, Header()] = None,
            dataset: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
            allow_rejects: bool = False,
            synthetic: bool = False,
            sheet: Annotated[str | None, Query(max_length=100)] = None,
            header_row: Annotated[int | None, Query(ge=1)] = None,
            coverage: Literal["partial", "complete"] = "partial",
            replace: bool = False,
        ) -> dict[str, Any]:
            """Validate and import an uploaded file as ``kind`` (Bearer token required);
            ``sheet`` picks an Excel sheet by name or number from 1, ``header_row`` forces the
            header's row, ``coverage`` says whether firm data cover the whole plan region,
            ``replace`` replaces a dataset of the same name."""
            _authorise(authorization, token)  # also checked before the body (GuardMiddleware)
            if kind not in kinds:
                raise ApiError(f"unknown kind {kind!r}; kinds: {', '.join(kinds)}", 422)
            _check_filename(file.filename)
            client_name = str(file.filename)
            # the client's (checked) name inside a fresh folder: messages and rejects name
            # the user's file, and the provenance keeps it
            assert state.upload_dir is not None  # created with allow_import
            folder = state.upload_dir / uuid.uuid4().hex
            folder.mkdir()
            target = folder / client_name
            try:
                size = 0
                with target.open("wb") as sink:
                    while chunk := await file.read(1024 * 1024):
                        size += len(chunk)
                        if size > max_bytes:
                            raise ApiError(f"upload larger than {max_upload_mb:g} MB", 413)
                        sink.write(chunk)
                name = dataset or _dataset_name(client_name)
                options = {"header_row": header_row, "coverage": coverage, "replace": replace}
                result = await run_in_threadpool(
                    _import, state, kind, target, name, allow_rejects, synthetic, sheet, options
                )
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            return {
                "status": result.status,
                "kind": result.kind,
                "dataset": result.dataset,
                "rows": result.rows,
                "rejected": result.rejected,
                "table": result.table,
                "unknown_firms": result.unknown_firms,
                "unknown_firm_examples": result.unknown_firm_examples,
                "units": [
                    {
                        "column": u.column,
                        "canonical": u.canonical,
                        "unit": u.unit,
                        "factor": u.factor,
                        "to": u.to,
                        "cells": u.cells,
                    }
                    for u in result.units
                ],
                "notes": result.notes,
                "coverage": result.coverage,
            }

        @app.delete("/api/datasets/{name}", tags=["import"])
        async def drop_route(
            name: str, authorization: Annotated[str | None, Header()] = None
        ) -> dict[str, Any]:
            """Remove a dataset and its rows (Bearer token required), as ``clusteratlas drop``."""
            _authorise(authorization, token)
            return await run_in_threadpool(_drop, state, name)

    # ------------------------------------------------------------------ pages
    from clusteratlas.web.pages import register_pages
    from clusteratlas.web.planner import register_planner

    register_pages(app, state)
    register_planner(app, state)  # scenario planner and programs board (web/planner.py)
    static = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")
    # added last, so outermost: security headers, HEAD and the upload gate hold for every
    # response, the pages' HTML error pages included
    app.add_middleware(
        GuardMiddleware,
        token=token if allow_import else None,
        max_upload_bytes=max_bytes,
    )
    return app


def error_response(exc: ClusterAtlasError) -> JSONResponse:
    """The JSON answer to a user mistake or a known fault, without server paths or PIDs:
    404 no workspace, 503 + Retry-After a busy workspace, 507 out of memory, else 400."""
    headers = None
    if isinstance(exc, WorkspaceBusyError):
        status, headers = 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    elif isinstance(exc, WorkspaceError) and "no workspace" in str(exc):
        status = 404
    elif isinstance(exc, ResourceLimitError):
        status = 507
    else:
        status = 400
    return JSONResponse({"error": public_message(str(exc))}, status_code=status, headers=headers)


def _authorise(header: str | None, token: str | None) -> None:
    expected = f"Bearer {token}"
    if not header or not token or not secrets.compare_digest(header.encode(), expected.encode()):
        raise ApiError("missing or wrong token (Authorization: Bearer <token>)", 401)


def _check_filename(filename: str | None) -> str:
    """The upload's suffix; 400 for a missing, path-like or unsupported name (the name
    itself never reaches the filesystem)."""
    name = filename or ""
    if (
        not name
        or "/" in name
        or "\\" in name
        or ".." in name
        or name.startswith(".")
        or "\x00" in name
        or not _SAFE_FILENAME.match(name)
    ):
        raise ApiError(f"invalid file name {name!r}", 400)
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ApiError(f"unsupported file type {suffix!r}; use {', '.join(UPLOAD_SUFFIXES)}", 400)
    return suffix


def _dataset_name(filename: str) -> str:
    stem = Path(filename).stem
    clean = re.sub(r"[^A-Za-z0-9_\-]", "_", stem)[:64].strip("_")
    return clean or "upload"


def _write(state: State, change: Callable[[], Any]) -> Any:
    """Run ``change`` with the workspace to itself, then invalidate every cached result."""
    with state.rw.write():
        result = change()
        state.generation += 1
        state.cache.clear()
    return result


def _import(
    state: State,
    kind: str,
    file: Path,
    dataset: str,
    allow_rejects: bool,
    synthetic: bool,
    sheet: str | None,
    options: dict[str, Any],
) -> Any:
    from clusteratlas.workspace import open_workspace

    def change() -> Any:
        ws = open_workspace(state.workspace)
        try:
            return ws.import_file(
                kind,
                file,
                dataset=dataset,
                allow_rejects=allow_rejects,
                synthetic=synthetic,
                sheet=sheet,
                source_name=file.name,
                **options,
            )
        finally:
            ws.close()

    return _write(state, change)


def _drop(state: State, name: str) -> dict[str, Any]:
    result: dict[str, Any] = _write(state, lambda: api.drop_dataset(name, state.workspace))
    return result


def cleanup(app: FastAPI) -> None:
    """Remove the app's upload folder."""
    if app.state.ca.upload_dir is not None:
        shutil.rmtree(app.state.ca.upload_dir, ignore_errors=True)
