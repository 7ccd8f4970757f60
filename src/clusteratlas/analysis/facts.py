"""The plan region's packaged facts: which to load into a workspace and how to cite them.

The packaged facts (:func:`clusteratlas.refdata.beijing_facts`, built from
``facts_official.csv``) may hold two values for one indicator and year — a June and an
October count, a first release and a census revision — as *distinct* facts (key
``indicator, region, year, as_of, vintage``). A workspace's ``observation`` table holds one
value per ``dataset, region, industry, year, indicator``, so :func:`facts_to_load` keeps, per
indicator × region × year, the **latest** fact: the latest ``as_of`` (a whole-year figure,
``as_of`` empty, counts as the year end), then the latest GDP ``vintage``; the others are
returned as superseded, never a clash.

:func:`official_quote` gives the sentence an official page carries for a cited URL (the
report and the dashboard show it on hover).
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from clusteratlas.errors import InputError
from clusteratlas.model.plan import Plan

#: the workspace dataset the packaged facts are loaded as
FACTS_DATASET = "beijing-facts"

#: observation columns filled from the packaged facts
OBSERVATION_COLUMNS = [
    "region",
    "year",
    "indicator",
    "value",
    "unit",
    "bound",
    "low",
    "high",
    "source",
    "note",
]


def plan_facts(plan: Plan) -> pd.DataFrame:
    """The packaged facts of ``plan``'s region and the regions inside it (empty when none
    are packaged for that region).

    Parameters
    ----------
    plan : Plan
        The plan whose region's facts are wanted.

    Returns
    -------
    pandas.DataFrame
        The packaged fact rows (values in their canonical unit: yuan, persons, fraction 0–1).
    """
    from clusteratlas.geo import region_prefix
    from clusteratlas.refdata import beijing_facts

    facts = beijing_facts()
    prefix = region_prefix(plan.region)
    return facts[facts["region"].astype(str).str.startswith(prefix)].reset_index(drop=True)


def facts_to_load(facts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(kept, superseded)``: one fact per indicator × region × year (latest ``as_of``, then
    latest ``vintage``, then file order) as observation rows (:data:`OBSERVATION_COLUMNS`),
    and the facts it superseded (all packaged columns).

    Parameters
    ----------
    facts : pandas.DataFrame
        Packaged fact rows (:func:`plan_facts`).

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        ``(kept, superseded)``.
    """
    if facts.empty:
        return pd.DataFrame(columns=OBSERVATION_COLUMNS), facts
    ranked = facts.assign(
        _as_of=facts["as_of"].fillna("").replace("", "9999-99"),
        _vintage=facts["vintage"].fillna(""),
        _row=facts["source_row"],
    ).sort_values(["indicator", "region", "year", "_as_of", "_vintage", "_row"])
    last = ~ranked.duplicated(["indicator", "region", "year"], keep="last")
    kept = ranked[last].sort_values("_row")
    superseded = ranked[~last].sort_values("_row").drop(columns=["_as_of", "_vintage", "_row"])
    return kept[OBSERVATION_COLUMNS].reset_index(drop=True), superseded.reset_index(drop=True)


def load_plan_facts(workspace: object, plan: Plan) -> tuple[int, int, int]:
    """Import ``plan``'s packaged facts into ``workspace`` as dataset ``beijing-facts``
    (idempotent: the workspace skips a re-import of the same content). Returns ``(rows
    loaded, facts superseded, rows the importer rejected)``; all 0 when no facts are
    packaged for the plan region.

    Parameters
    ----------
    workspace : Workspace
        An open, writable workspace.
    plan : Plan
        The plan whose facts are imported.

    Returns
    -------
    tuple of (int, int, int)
        Rows loaded, facts superseded, rows rejected.
    """
    kept, superseded = facts_to_load(plan_facts(plan))
    if kept.empty:
        return 0, 0, 0
    import_frame = getattr(workspace, "import_frame", None)
    if import_frame is None:
        raise InputError("facts can only be loaded into a DuckDB workspace")
    result = import_frame(
        "observations",
        kept,
        dataset=FACTS_DATASET,
        source="clusteratlas.refdata.beijing_facts (facts_official.csv)",
        allow_rejects=True,
    )
    return int(result.rows), len(superseded), int(result.rejected)


@lru_cache(maxsize=1)
def _quotes() -> dict[str, str]:
    from clusteratlas.refdata import beijing_facts

    facts = beijing_facts()
    official = facts[facts["official"] & (facts["official_quote"] != "")]
    quotes = official.drop_duplicates(["source", "official_quote"])
    joined = quotes.groupby("source")["official_quote"].agg(" | ".join)
    return {str(url): str(text) for url, text in joined.items()}


def official_quote(url: str) -> str:
    """The quoted sentence(s) of the official page ``url`` (several joined by `` | ``;
    ``""`` when it is not one).

    Parameters
    ----------
    url : str
        A source URL of a packaged fact.

    Returns
    -------
    str
        The quote, or ``""``.
    """
    return _quotes().get(url.strip(), "")


def workspace_facts(workspace: object) -> pd.DataFrame:
    """The facts loaded into ``workspace`` (dataset ``beijing-facts``): ``indicator, region,
    year, value, unit, bound, source, official`` (``official``: the source is an official
    page); empty when none are loaded.

    Parameters
    ----------
    workspace : Workspace or source
        An open workspace.

    Returns
    -------
    pandas.DataFrame
        The loaded facts (``value`` in ``unit``: yuan, persons, fraction 0–1).
    """
    table = workspace.table("observation")  # type: ignore[attr-defined]
    rows = table.filter(table.dataset == FACTS_DATASET).to_pandas()
    columns = ["indicator", "region", "year", "value", "unit", "bound", "source"]
    rows = rows[columns].sort_values(["indicator", "region", "year"]).reset_index(drop=True)
    return rows.assign(official=rows["source"].map(lambda u: bool(official_quote(str(u)))))


def facts_summary(workspace: object) -> str | None:
    """One line on the facts loaded into ``workspace`` (``None`` when there are none).

    Parameters
    ----------
    workspace : Workspace or source
        An open workspace.

    Returns
    -------
    str or None
        The summary line.
    """
    facts = workspace_facts(workspace)
    if facts.empty:
        return None
    return (
        f"facts ({FACTS_DATASET}): {len(facts)} observations, "
        f"{facts['indicator'].nunique()} indicators, {facts['year'].min()}–"
        f"{facts['year'].max()}; {int(facts['official'].sum())} cite an official page "
        "(status --facts lists them)"
    )
