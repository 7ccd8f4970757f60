"""The analysis contract (docs/DESIGN.md, "Analysis contract"), enforced over the public analyses.

Every public analysis that takes tables accepts pandas DataFrames or Ibis tables and returns a
pandas DataFrame with the same values either way; those that are one Ibis expression also take
``lazy=True`` and then return the unexecuted Ibis table (same values once executed). The last
test checks statically that no other public analysis returns an Ibis table or "the caller's
kind" except the named lazy building blocks.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pytest

from clusteratlas.analysis import (
    chains,
    clusters,
    complexity,
    concentration,
    ladder,
    regions,
    shares,
    statistics,
)
from clusteratlas.model.plan import load_plan
from sample_registry import FIRM_YEARS, FIRMS

PLAN = load_plan("beijing-2441")

#: modules whose public functions are "the public analyses" of the contract
ANALYSIS_MODULES = (
    "chains",
    "clusters",
    "complexity",
    "concentration",
    "ladder",
    "linkages",
    "programs",
    "regions",
    "scenario",
    "shares",
    "statistics",
)
#: public functions that return an Ibis table on purpose: the lazy building blocks that other
#: analyses (and the DuckDB/PySpark pipelines) compose before anything is executed
LAZY_BUILDING_BLOCKS = {
    "chains.chain_inputs",
    "complexity.industry_panel",
    "ladder.screen_table",
    "statistics.statistics_panel",
    "statistics.statistics_registry",
}

_EMP = FIRM_YEARS.assign(employees=(FIRM_YEARS.revenue / 1e7).round())
PANEL = _EMP.merge(FIRMS[["firm_id", "region", "industry"]], on="firm_id").assign(
    cluster=lambda d: d.industry.str[:2], value_added=lambda d: d.revenue * 0.3
)
CELLS = PANEL.groupby(["region", "cluster"], as_index=False)[["employees", "revenue"]].sum()
CELLS_BY_YEAR = PANEL.groupby(["region", "cluster", "year"], as_index=False)[
    ["employees", "revenue"]
].sum()
_START = CELLS_BY_YEAR[CELLS_BY_YEAR.year == 2023][["region", "cluster", "employees"]]
_END = CELLS_BY_YEAR[CELLS_BY_YEAR.year == 2024][["region", "cluster", "employees"]]
_rng = np.random.default_rng(7)
COMPLEX = pd.DataFrame(
    [(f"R{r}", f"I{i}") for r in range(12) for i in range(8) if (r + i) % 3 != 0],
    columns=["region", "industry"],
).assign(revenue=lambda d: _rng.uniform(1e6, 1e9, len(d)))
OBS = pd.DataFrame(
    {
        "region": ["110000", "110000", "110108", "110108", "110108"],
        "industry": [None, None, "6513", "6520", "3973"],
        "year": [2023, 2024, 2024, 2024, 2024],
        "indicator": ["gdp", "gdp", "revenue", "revenue", "revenue"],
        "value": [4.4e12, 4.7e12, 1.2e11, 3e10, 5e9],
        "bound": ["=", "=", "=", "=", "="],
    }
)
LEVELS = [("big", 2e9), ("small", 5e8)]
TAGS = pd.DataFrame(
    {"firm_id": ["b1", "s1"], "year": [2024, 2024], "tag": ["specialised"] * 2, "source": "x"}
)


@dataclass(frozen=True)
class Case:
    """One public analysis: how to call it, with its table arguments given separately."""

    name: str
    call: Callable[..., Any]
    tables: dict[str, pd.DataFrame]
    kwargs: dict[str, Any] = field(default_factory=dict)
    positional: tuple[str, ...] = ()  # names of ``tables`` passed positionally, in order
    extra_args: tuple[Any, ...] = ()  # non-table positional arguments after the tables
    lazy: bool = False  # offers ``lazy=True``
    #: Ibis inputs built another way than loading the pandas table (e.g. a lazy screening)
    ibis_inputs: Callable[[ibis.BaseBackend], dict[str, ir.Table]] | None = None

    def run(self, tables: dict[str, Any], **more: Any) -> Any:
        args = [tables[n] for n in self.positional] + list(self.extra_args)
        named = {k: v for k, v in tables.items() if k not in self.positional}
        return self.call(*args, **named, **self.kwargs, **more)


def _screened() -> pd.DataFrame:
    return ladder.screen(FIRMS, _EMP, year=2024)


def _screened_lazy(con: ibis.BaseBackend) -> ir.Table:
    """The screening as a workspace gives it: an Ibis table (a struct column DuckDB cannot
    create from the pandas frame, whose all-NULL struct fields have no type)."""
    firms = con.create_table("s_firms", FIRMS)
    firm_years = con.create_table("s_firm_years", _EMP)
    return ladder.screen_table(firms, firm_years, year=2024)


CASES = [
    Case(
        "clusters.location_quotient",
        clusters.location_quotient,
        {"data": CELLS},
        {"region": "region", "industry": "cluster", "value": "employees"},
        lazy=True,
    ),
    Case(
        "clusters.strong_clusters",
        clusters.strong_clusters,
        {"data": CELLS.assign(est=3.0, lq=np.linspace(0.5, 2.5, len(CELLS)))},
        {
            "region": "region",
            "industry": "cluster",
            "employment": "employees",
            "establishments": "est",
            "lq": "lq",
        },
        lazy=True,
    ),
    Case(
        "clusters.shift_share",
        clusters.shift_share,
        {"start": _START, "end": _END},
        {"region": "region", "industry": "cluster", "value": "employees"},
        positional=("start", "end"),
        lazy=True,
    ),
    Case("clusters.cluster_sizes", clusters.cluster_sizes, {"panel": PANEL}, lazy=True),
    Case(
        "clusters.levels",
        clusters.levels,
        {"data": CELLS},
        {"value": "revenue", "thresholds": LEVELS},
        lazy=True,
    ),
    Case(
        "clusters.growth",
        clusters.growth,
        {"data": CELLS_BY_YEAR},
        {"by": ["region", "cluster"], "year": "year", "value": "revenue"},
        lazy=True,
    ),
    Case(
        "clusters.cagr",
        clusters.cagr,
        {"data": CELLS_BY_YEAR},
        {
            "by": ["region", "cluster"],
            "year": "year",
            "value": "revenue",
            "start": 2023,
            "end": 2024,
        },
        lazy=True,
    ),
    Case(
        "clusters.stars",
        clusters.stars,
        {"data": CELLS},
        {"region": "region", "cluster": "cluster", "employment": "employees"},
        lazy=True,
    ),
    Case(
        "clusters.monitor",
        clusters.monitor,
        {"panel": PANEL},
        {"levels": LEVELS},
        lazy=True,
    ),
    Case(
        "concentration.herfindahl",
        concentration.herfindahl,
        {"data": PANEL},
        {"group": "region", "firm": "firm_id", "value": "revenue"},
        lazy=True,
    ),
    Case(
        "concentration.ellison_glaeser",
        concentration.ellison_glaeser,
        {"data": PANEL},
        {"industry": "cluster", "region": "region", "firm": "firm_id", "value": "employees"},
        lazy=True,
    ),
    Case(
        "concentration.locational_gini",
        concentration.locational_gini,
        {"data": CELLS},
        {"region": "region", "industry": "cluster", "value": "employees"},
        lazy=True,
    ),
    Case(
        "chains.assign",
        chains.assign,
        {"firms": FIRMS},
        {"chain": "ic"},
        positional=("firms",),
        extra_args=(PLAN,),
        lazy=True,
    ),
    Case(
        "chains.nodes",
        chains.nodes,
        {"firms": FIRMS, "firm_years": FIRM_YEARS},
        {"region": "110000", "year": 2024, "chain": "ic"},
        positional=("firms", "firm_years"),
        extra_args=(PLAN,),
    ),
    Case(
        "chains.leaders",
        chains.leaders,
        {"firms": FIRMS, "firm_years": FIRM_YEARS},
        {"region": "110000", "year": 2024, "chain": "ic"},
        positional=("firms", "firm_years"),
        extra_args=(PLAN,),
    ),
    Case(
        "chains.attraction_candidates",
        chains.attraction_candidates,
        {"firms": FIRMS, "firm_years": FIRM_YEARS},
        {"chain": "ic", "node": "packaging_testing", "region": "110000", "year": 2024},
        positional=("firms", "firm_years"),
        extra_args=(PLAN,),
    ),
    Case(
        "regions.capacity",
        regions.capacity,
        {"firms": FIRMS, "firm_years": FIRM_YEARS},
        {"group": "jingjinji", "chain": "ic"},
        positional=("firms", "firm_years"),
        extra_args=(PLAN,),
    ),
    Case("ladder.screen", ladder.screen, {"firms": FIRMS, "firm_years": _EMP}, {"year": 2024}),
    Case(
        "ladder.gaps",
        ladder.gaps,
        {"screened": _screened()},
        positional=("screened",),
        ibis_inputs=lambda con: {"screened": _screened_lazy(con)},
    ),
    Case("ladder.pipeline", ladder.pipeline, {"firms": FIRMS, "firm_years": _EMP}),
    Case(
        "ladder.compare_certified",
        ladder.compare_certified,
        {"screened": _screened(), "firm_tag": TAGS},
        positional=("screened", "firm_tag"),
        ibis_inputs=lambda con: {
            "screened": _screened_lazy(con),
            "firm_tag": con.create_table("t_firm_tag", TAGS),
        },
    ),
    Case(
        "complexity.complexity",
        complexity.complexity,
        {"data": COMPLEX},
        {"region": "region", "industry": "industry", "value": "revenue"},
        positional=("data",),
    ),
    Case(
        "complexity.proximity",
        complexity.proximity,
        {"data": COMPLEX},
        {"region": "region", "industry": "industry", "value": "revenue"},
        positional=("data",),
    ),
    Case(
        "complexity.opportunities",
        complexity.opportunities,
        {"data": COMPLEX},
        {"region": "region", "industry": "industry", "value": "revenue", "target_region": "R1"},
        positional=("data",),
    ),
    Case(
        "shares.gdp_by_year",
        shares.gdp_by_year,
        {"observations": OBS},
        positional=("observations",),
    ),
    Case(
        "statistics.statistics_monitor",
        lambda panel, **kw: statistics.statistics_monitor(panel, PLAN, **kw),
        {"panel": statistics.statistics_panel(OBS, PLAN, region="110108").to_pandas()},
        positional=("panel",),
    ),
]


def _as_ibis(case: Case) -> dict[str, ir.Table]:
    """The case's tables as DuckDB tables of one connection (like a workspace)."""
    con = ibis.duckdb.connect()
    if case.ibis_inputs is not None:
        return case.ibis_inputs(con)
    return {name: con.create_table(f"t_{name}", frame) for name, frame in case.tables.items()}


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a fixed order (by their text) and a fresh index, for value comparison."""
    key = ["\x1f".join(map(str, row)) for row in frame.itertuples(index=False)]
    return frame.iloc[np.argsort(np.array(key), kind="stable")].reset_index(drop=True)


def _assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(
        _canonical(got), _canonical(expected), check_dtype=False, check_exact=False, rtol=1e-9
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_any_table_in_pandas_out_same_values(case: Case) -> None:
    from_pandas = case.run(case.tables)
    from_ibis = case.run(_as_ibis(case))
    assert isinstance(from_pandas, pd.DataFrame), type(from_pandas)
    assert isinstance(from_ibis, pd.DataFrame), type(from_ibis)
    assert len(from_pandas) > 0, "the case must exercise the analysis"
    _assert_same(from_ibis, from_pandas)


@pytest.mark.parametrize("case", [c for c in CASES if c.lazy], ids=lambda c: c.name)
def test_lazy_returns_the_unexecuted_expression(case: Case) -> None:
    expected = case.run(case.tables)
    for tables in (case.tables, _as_ibis(case)):
        lazy = case.run(tables, lazy=True)
        assert isinstance(lazy, ir.Table), type(lazy)
        _assert_same(lazy.to_pandas(), expected)


def test_every_lazy_capable_analysis_is_a_case() -> None:
    """A new analysis with ``lazy`` must be added to CASES (and so be tested)."""
    offered = {
        f"{module}.{name}"
        for module, name, fn in _public_functions()
        if "lazy" in inspect.signature(fn).parameters
    }
    assert offered == {c.name for c in CASES if c.lazy}


def _public_functions() -> list[tuple[str, str, Callable[..., Any]]]:
    found = []
    for module in ANALYSIS_MODULES:
        mod = importlib.import_module(f"clusteratlas.analysis.{module}")
        for name, fn in vars(mod).items():
            if name.startswith("_") or not inspect.isfunction(fn):
                continue
            if fn.__module__ == mod.__name__:
                found.append((module, name, fn))
    return found


def test_no_public_analysis_returns_the_callers_kind_or_ibis_by_accident() -> None:
    """Outside the lazy building blocks, an Ibis result is only ever opted into (``lazy``)."""
    offenders = []
    for module, name, fn in _public_functions():
        text = str(inspect.signature(fn).return_annotation)
        gives_ibis = "ibis" in text or "Table" in text
        opted_in = "lazy" in inspect.signature(fn).parameters
        if gives_ibis and not opted_in and f"{module}.{name}" not in LAZY_BUILDING_BLOCKS:
            offenders.append(f"{module}.{name} -> {text}")
    assert offenders == []
