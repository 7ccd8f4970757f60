"""JSON errors of the API: ``{"error": message}`` without server paths or PIDs — 400 for user
mistakes, 422 for invalid parameters, 401/404/413 as usual, 503 + ``Retry-After`` for a busy
workspace or a request over its time budget, 507 out of memory, and a generic 500 (details
only in the server log)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from clusteratlas.errors import ClusterAtlasError, WorkspaceError
from clusteratlas.faults import (
    RETRY_AFTER_SECONDS,
    ResourceLimitError,
    WorkspaceBusyError,
    public_message,
    translate,
)
from clusteratlas.web.validation import ApiError

log = logging.getLogger("clusteratlas.web")


def error_response(exc: ClusterAtlasError) -> JSONResponse:
    """The JSON answer to a user mistake or a known fault.

    Parameters
    ----------
    exc : ClusterAtlasError
        The error.

    Returns
    -------
    JSONResponse
        ``{"error": message}`` without server paths or PIDs: 404 no workspace, 503 +
        Retry-After a busy workspace, 507 out of memory, else 400.
    """
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


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(
        {"error": public_message(str(exc))}, status_code=exc.status, headers=exc.headers
    )


async def _user_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClusterAtlasError)
    return error_response(exc)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return JSONResponse({"error": "; ".join(parts) or "invalid request"}, status_code=422)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        {"error": str(exc.detail)},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _crash(request: Request, exc: Exception) -> JSONResponse:
    known = translate(exc)
    if known is not None:  # a DuckDB lock, a damaged workspace, memory: a clear answer
        return error_response(known)
    log.exception("internal error on %s", request.url.path)
    return JSONResponse({"error": "internal error (see the server log)"}, status_code=500)


def add_error_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as JSON (see the module docstring).

    Parameters
    ----------
    app : FastAPI
        The app.
    """
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(ClusterAtlasError, _user_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _crash)
