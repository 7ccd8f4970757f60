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

The routes live in one :class:`fastapi.APIRouter` per area (:mod:`clusteratlas.web.routes`,
:mod:`clusteratlas.web.planner`, :mod:`clusteratlas.web.pages`); request checks in
:mod:`clusteratlas.web.validation`, the state and cache in :mod:`clusteratlas.web.state`, the
JSON errors in :mod:`clusteratlas.web.errors`. :func:`create_app` only builds the state, adds
the error handlers and middleware and includes the routers.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from clusteratlas import __version__
from clusteratlas.config import DEFAULT_PLAN
from clusteratlas.errors import InputError, WorkspaceError
from clusteratlas.model.plan import Plan, load_plan
from clusteratlas.web import planner
from clusteratlas.web.errors import add_error_handlers, error_response
from clusteratlas.web.pages import register_pages
from clusteratlas.web.routes import chains, complexity, datasets, ladder, meta, monitor
from clusteratlas.web.security import GuardMiddleware
from clusteratlas.web.state import State, records_json, within_budget
from clusteratlas.web.validation import ApiError

#: Names other modules and the tests import from here (they live in the modules above).
__all__ = [
    "ApiError",
    "State",
    "cleanup",
    "create_app",
    "error_response",
    "records_json",
    "within_budget",
]

DEFAULT_MAX_UPLOAD_MB = 50


def create_app(
    workspace: str | os.PathLike[str] | None = None,
    *,
    plan: str | Path | Plan = DEFAULT_PLAN,
    allow_import: bool = False,
    token: str | None = None,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
) -> FastAPI:
    """The FastAPI app over a workspace and a plan.

    Parameters
    ----------
    workspace : path, optional
        The workspace file (default ``$CLUSTERATLAS_WORKSPACE`` or ``./clusteratlas.duckdb``).
    plan : path, plan id or Plan
        The plan.
    allow_import : bool
        Enable ``POST /api/import/{kind}`` and ``DELETE /api/datasets/{name}``; then ``token``
        is required (``InputError`` without one). Read-only otherwise.
    token : str, optional
        The Bearer token imports need.
    max_upload_mb : float
        Largest upload, MB.

    Returns
    -------
    FastAPI
        The app; ``app.state.ca`` is its :class:`~clusteratlas.web.state.State`.
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

    app = FastAPI(
        title="ClusterAtlas API",
        version=__version__,
        description="The ClusterAtlas analyses over one workspace and plan; routes mirror "
        "the CLI sub-commands (same names, parameters and columns). Money in yuan, shares "
        "as fractions 0–1, people in persons. Rows from synthetic data carry synthetic=true.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served by routes.meta from the vendored Swagger UI, not from a CDN
        redoc_url=None,
    )
    app.state.ca = state
    add_error_handlers(app)
    for area in (meta, monitor, chains, ladder, complexity, datasets):
        app.include_router(area.router(state))
    if allow_import:
        assert token is not None
        app.include_router(datasets.import_router(state, token=token, max_upload_mb=max_upload_mb))
    register_pages(app, state)
    app.include_router(planner.router(state))  # scenario planner and programs board
    static = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")
    # added last, so outermost: security headers, HEAD and the upload gate hold for every
    # response, the pages' HTML error pages included
    app.add_middleware(
        GuardMiddleware,
        token=token if allow_import else None,
        max_upload_bytes=int(max_upload_mb * 1024 * 1024),
    )
    return app


def cleanup(app: FastAPI) -> None:
    """Remove the app's upload folder.

    Parameters
    ----------
    app : FastAPI
        An app of :func:`create_app`.
    """
    if app.state.ca.upload_dir is not None:
        shutil.rmtree(app.state.ca.upload_dir, ignore_errors=True)
