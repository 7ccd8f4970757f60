"""``/api/clusters`` (the cluster monitor) and ``/api/targets`` (the plan target tracker)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response

from clusteratlas.web.state import State
from clusteratlas.web.validation import NSim, Region, Seed, Year


def router(state: State) -> APIRouter:
    """The monitor and tracker routes over ``state``.

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

    @routes.get("/api/clusters", tags=["analyses"])
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

    @routes.get("/api/targets", tags=["analyses"])
    async def targets(
        as_of: Year = None, facts: bool = False, n_sim: NSim = 2000, seed: Seed = 0
    ) -> Response:
        """Plan target tracker (``clusteratlas targets``)."""
        return await state.run_json("targets", as_of=as_of, facts=facts, n_sim=n_sim, seed=seed)

    return routes
