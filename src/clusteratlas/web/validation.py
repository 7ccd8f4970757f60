"""Request validation shared by the JSON routes, the pages and the planner: the id patterns,
the query parameter types, the checks of plan and packaged ids, and :class:`ApiError`.

A check raises :class:`ApiError` with status 422 (unknown id) or 400 (bad upload name); the
app turns it into ``{"error": message}`` (the pages into an HTML error page).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Query

from clusteratlas.errors import ClusterAtlasError
from clusteratlas.model.plan import Plan

#: A GB/T 2260 region code (six digits).
CODE_PATTERN = r"^[0-9]{6}$"
#: A GB/T 2260 region code or ``CN`` (the country).
REGION_PATTERN = CODE_PATTERN + r"|^CN$"
#: Plan, chain, node, cluster, ruleset, group, table and dataset ids.
ID_PATTERN = r"^[A-Za-z0-9_\-]{1,64}$"
FIRM_ID_PATTERN = r"^[^\x00-\x1f\x7f/\\]{1,128}$"
"""Firm ids are the user's (USCC, registry numbers, Chinese text): anything printable but
a slash or backslash; they reach DuckDB only as bound values, and links URL-encode them."""
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


def check_chain(plan: Plan, chain: str | None, node: str | None = None) -> None:
    """Check a chain id (and a node id of it) against the plan.

    Parameters
    ----------
    plan : Plan
        The app's plan.
    chain : str, optional
        Chain id; ``None`` = all chains (then ``node`` must be ``None`` too).
    node : str, optional
        Node id of ``chain``.

    Raises
    ------
    ApiError
        422 for an unknown chain or node, or a node without a chain.
    """
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


def check_cluster(plan: Plan, cluster: str | None) -> None:
    """Check a cluster id against the plan (``None`` passes).

    Raises
    ------
    ApiError
        422 for a cluster the plan does not have.
    """
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


def check_ruleset(plan: Plan, ruleset: str | None, tiers: list[str] | None) -> str:
    """The packaged ruleset to use (never a file path from a request), tiers checked.

    Parameters
    ----------
    plan : Plan
        The app's plan (its ``tier_ruleset`` is the default).
    ruleset : str, optional
        A packaged ruleset id.
    tiers : list of str, optional
        Tier ids that must be in the ruleset.

    Returns
    -------
    str
        The ruleset id.

    Raises
    ------
    ApiError
        422 for an unknown ruleset or tier.
    """
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


def check_group(group: str) -> None:
    """Check a packaged region group id (e.g. ``jingjinji``).

    Raises
    ------
    ApiError
        422 for an unknown group.
    """
    groups = _groups()
    if group not in groups:
        raise ApiError(f"unknown region group {group!r}; groups: {', '.join(groups)}", 422)


def check_table(table: str) -> None:
    """Check a packaged input–output table id (e.g. ``china-2020-42``).

    Raises
    ------
    ApiError
        422 for an unknown table.
    """
    names = _io_tables()
    if table not in names:
        raise ApiError(f"unknown IO table {table!r}; tables: {', '.join(names)}", 422)


def check_filename(filename: str | None) -> str:
    """Check an upload's file name (the name itself never reaches the filesystem).

    Parameters
    ----------
    filename : str, optional
        The name the client sent.

    Returns
    -------
    str
        Its suffix, lower case (one of :data:`UPLOAD_SUFFIXES`).

    Raises
    ------
    ApiError
        400 for a missing, path-like or unsupported name.
    """
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
