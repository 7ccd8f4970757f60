"""``/api/docs``, ``/api/health``, ``/api/plan`` and ``/api/maps/{name}``."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from clusteratlas import __version__
from clusteratlas.web.maps import map_geojson
from clusteratlas.web.state import State


def router(state: State) -> APIRouter:
    """The meta routes over ``state``.

    Parameters
    ----------
    state : State
        The app's state (workspace, plan, whether imports are enabled).

    Returns
    -------
    APIRouter
        The routes.
    """
    routes = APIRouter()

    @routes.get("/api/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        swagger = "/static/vendor/swagger-ui"
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="ClusterAtlas API",
            swagger_js_url=f"{swagger}/swagger-ui-bundle.js",
            swagger_css_url=f"{swagger}/swagger-ui.css",
            swagger_favicon_url=f"{swagger}/favicon-32x32.png",
        )

    @routes.get("/api/health", tags=["meta"])
    async def health() -> dict[str, Any]:
        """Liveness: version, plan, workspace file, whether imports are enabled."""
        return {
            "status": "ok",
            "version": __version__,
            "plan": state.plan.id,
            "workspace": state.workspace.name,
            "exists": state.workspace.exists(),
            "allow_import": state.allow_import,
        }

    @routes.get("/api/plan", tags=["meta"])
    def plan_summary() -> dict[str, Any]:
        """The plan's clusters, chains (nodes, edges), levels and targets (canonical units)."""
        return json.loads(state.plan.model_dump_json())

    @routes.get("/api/maps/{name}", tags=["meta"])
    def map_route(name: Literal["beijing", "tianjin", "hebei", "jingjinji"]) -> Response:
        """GeoJSON outline with current names (``properties.name``) and GB/T 2260 codes."""
        body = json.dumps(map_geojson(name), ensure_ascii=False, separators=(",", ":"))
        return Response(
            body, media_type="application/geo+json", headers={"Cache-Control": "max-age=86400"}
        )

    return routes
