"""``/api/ladder``: enterprise tier screening, gaps, pipeline and comparison."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from clusteratlas.web.state import State
from clusteratlas.web.validation import (
    FIRM_ID_PATTERN,
    ID_PATTERN,
    Region,
    Year,
    check_ruleset,
)


def router(state: State) -> APIRouter:
    """The ladder route over ``state``.

    Parameters
    ----------
    state : State
        The app's state (its plan's default ruleset).

    Returns
    -------
    APIRouter
        The route.
    """
    routes = APIRouter()

    @routes.get("/api/ladder", tags=["analyses"])
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
        rules = check_ruleset(state.plan, ruleset, tier)
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

    return routes
