"""``clusteratlas serve``: the REST API and the dashboard (FastAPI + uvicorn)."""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from clusteratlas.cli._app import WorkspaceOption, app, err_console
from clusteratlas.config import DEFAULT_PLAN


@app.command("serve")
def serve_command(
    workspace: WorkspaceOption = None,
    plan: Annotated[
        str, typer.Option("--plan", "-p", help="Plan name or YAML file.")
    ] = DEFAULT_PLAN,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    allow_import: Annotated[
        bool, typer.Option("--allow-import", help="Enable POST /api/import/{kind} (needs --token).")
    ] = False,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", envvar="CLUSTERATLAS_TOKEN", help="Bearer token required by imports."
        ),
    ] = None,
    max_upload_mb: Annotated[
        float, typer.Option("--max-upload-mb", help="Largest accepted upload (MB).")
    ] = 50.0,
) -> None:
    """Serve the JSON API (/api/..., OpenAPI at /api/openapi.json) and the dashboard pages
    (read-only unless --allow-import --token T)."""
    import uvicorn

    from clusteratlas.cli._app import default_workspace
    from clusteratlas.web.app import cleanup, create_app

    web = create_app(
        workspace or default_workspace(),
        plan=plan,
        allow_import=allow_import,
        token=token,
        max_upload_mb=max_upload_mb,
    )
    from clusteratlas.web.precompute import warm_in_background

    # the heavy page results are computed off the request path (stored next to the workspace)
    web.state.pages_warming = warm_in_background(web.state.ca, web.state.pages_store)
    if web.state.pages_warming is not None:
        err_console.print("computing the dashboard pages' data in the background", highlight=False)
    err_console.print(
        f"ClusterAtlas dashboard on http://{host}:{port}/ (API docs /api/docs)", highlight=False
    )
    # uvicorn stops gracefully on SIGTERM and then re-raises it: with the default handler
    # the process would die before the upload folder is removed, so SIGTERM unwinds instead
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.run(web, host=host, port=port, log_level="warning")
    finally:
        cleanup(web)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)
