"""``/api/complexity``, ``/api/opportunities`` (economic complexity) and ``/api/linkages``
(input–output linkages of a packaged table)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from clusteratlas.web.state import State
from clusteratlas.web.validation import ID_PATTERN, REGION_PATTERN, Year, check_table


def router(state: State) -> APIRouter:
    """The complexity and linkage routes over ``state``.

    Parameters
    ----------
    state : State
        The app's state.

    Returns
    -------
    APIRouter
        The routes.
    """
    routes = APIRouter()

    @routes.get("/api/complexity", tags=["analyses"])
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

    @routes.get("/api/opportunities", tags=["analyses"])
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

    @routes.get("/api/linkages", tags=["analyses"])
    async def linkages(
        table: Annotated[str, Query(pattern=ID_PATTERN)] = "china-2020-42",
        by: Literal["sector", "cluster"] = "sector",
        block: Literal["auto", "domestic", "total"] = "auto",
    ) -> Response:
        """Input–output linkages of a packaged table (``clusteratlas linkages``)."""
        check_table(table)
        return await state.run_json("linkages", table=table, by=by, block=block)

    return routes
