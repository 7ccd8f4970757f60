"""``/api/chains``, ``/api/coverage``, ``/api/attract`` (industrial chains) and
``/api/regions`` (chain-node capacity across a region group)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from clusteratlas.web.state import State
from clusteratlas.web.validation import ID_PATTERN, Region, Year, check_chain, check_group


def router(state: State) -> APIRouter:
    """The chain and region routes over ``state``.

    Parameters
    ----------
    state : State
        The app's state (its plan's chains).

    Returns
    -------
    APIRouter
        The routes.
    """
    routes = APIRouter()
    plan = state.plan

    @routes.get("/api/chains", tags=["analyses"])
    async def chains(
        chain: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
        region: Region = None,
        year: Year = None,
        summary: bool = False,
    ) -> Response:
        """Chain node metrics and status (``clusteratlas chains``)."""
        check_chain(plan, chain)
        return await state.run_json(
            "chains", chain=chain, region=region, year=year, summary=summary
        )

    @routes.get("/api/coverage", tags=["analyses"])
    async def coverage(
        chain: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
        region: Region = None,
        year: Year = None,
    ) -> Response:
        """Per-chain coverage (``clusteratlas chains --summary``)."""
        check_chain(plan, chain)
        return await state.run_json("coverage", chain=chain, region=region, year=year)

    @routes.get("/api/attract", tags=["analyses"])
    async def attract(
        chain: Annotated[str, Query(pattern=ID_PATTERN)],
        node: Annotated[str, Query(pattern=ID_PATTERN)],
        region: Region = None,
        year: Year = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 20,
    ) -> Response:
        """Attraction candidates for a chain node (``clusteratlas attract``)."""
        check_chain(plan, chain, node)
        return await state.run_json(
            "attract", chain=chain, node=node, region=region, year=year, limit=limit
        )

    @routes.get("/api/regions", tags=["analyses"])
    async def regions(
        group: Annotated[str, Query(pattern=ID_PATTERN)] = "jingjinji",
        chain: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
        year: Year = None,
        basis: Literal["registry", "statistics"] | None = None,
    ) -> Response:
        """Chain-node capacity across a region group (``clusteratlas regions``) on the firm
        registry or statistics (``basis``)."""
        check_group(group)
        check_chain(plan, chain)
        return await state.run_json("regions", group=group, chain=chain, year=year, basis=basis)

    return routes
