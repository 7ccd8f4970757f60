"""``GET /api/datasets`` (the dataset registry) and, only with imports allowed,
``POST /api/import/{kind}`` and ``DELETE /api/datasets/{name}`` behind a Bearer token."""

from __future__ import annotations

import re
import secrets
import shutil
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Header, Query, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from clusteratlas import api
from clusteratlas.model.schema import KINDS
from clusteratlas.web.state import State
from clusteratlas.web.validation import ID_PATTERN, ApiError, check_filename


def router(state: State) -> APIRouter:
    """The read-only dataset route over ``state``.

    Parameters
    ----------
    state : State
        The app's state.

    Returns
    -------
    APIRouter
        ``GET /api/datasets``.
    """
    routes = APIRouter()

    @routes.get("/api/datasets", tags=["analyses"])
    async def datasets() -> Response:
        """The workspace's dataset registry (``clusteratlas status``)."""
        return await state.run_json("datasets")

    return routes


def import_router(state: State, *, token: str, max_upload_mb: float) -> APIRouter:
    """The import and drop routes over ``state``.

    Parameters
    ----------
    state : State
        The app's state (created with ``allow_import``: it has an upload folder).
    token : str
        The Bearer token every request must carry.
    max_upload_mb : float
        Largest upload, MB (2²⁰ bytes).

    Returns
    -------
    APIRouter
        ``POST /api/import/{kind}`` and ``DELETE /api/datasets/{name}``.
    """
    routes = APIRouter()
    kinds = tuple(KINDS)
    max_bytes = int(max_upload_mb * 1024 * 1024)

    @routes.post("/api/import/{kind}", tags=["import"], status_code=201)
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
        check_filename(file.filename)
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
        return _import_answer(result)

    @routes.delete("/api/datasets/{name}", tags=["import"])
    async def drop_route(
        name: str, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        """Remove a dataset and its rows (Bearer token required), as ``clusteratlas drop``."""
        _authorise(authorization, token)
        return await run_in_threadpool(_drop, state, name)

    return routes


def _authorise(header: str | None, token: str | None) -> None:
    expected = f"Bearer {token}"
    if not header or not token or not secrets.compare_digest(header.encode(), expected.encode()):
        raise ApiError("missing or wrong token (Authorization: Bearer <token>)", 401)


def _dataset_name(filename: str) -> str:
    stem = Path(filename).stem
    clean = re.sub(r"[^A-Za-z0-9_\-]", "_", stem)[:64].strip("_")
    return clean or "upload"


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
                plan=state.plan,
                **options,
            )
        finally:
            ws.close()

    return state.write(change)


def _drop(state: State, name: str) -> dict[str, Any]:
    result: dict[str, Any] = state.write(lambda: api.drop_dataset(name, state.workspace))
    return result


def _import_answer(result: Any) -> dict[str, Any]:
    """The JSON answer of an import (the CLI's import summary)."""
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
