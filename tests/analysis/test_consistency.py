"""Numbers that agree with each other (issue 13), as properties.

* a child cluster never exceeds its parent (and no cluster exceeds 高精尖), on the registry
  (code + keyword rules) and on the statistics basis;
* a crossing year is the first year at or above the level after being below it; a series
  already above at its first observation crossed "in or before" that year; a cluster that
  contains another never crosses after it;
* simulated counts are whole numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusteratlas.analysis.statistics import statistics_monitor, statistics_panel
from clusteratlas.analysis.targets import (
    cluster_crossings,
    consistent_crossings,
    observed_crossing,
    project,
    projected_summary,
)
from clusteratlas.classify import classify_firms
from clusteratlas.model.plan import load_plan

PLAN = load_plan()
PAIRS = [(c.id, c.parent) for c in PLAN.clusters if c.parent]
AGGREGATE = next(c.id for c in PLAN.clusters if c.includes)
PREFIXES = sorted(
    {code for c in PLAN.clusters for code in [*c.codes, *c.exclude_codes, *c.keyword_codes]}
    | {"01", "52", "5211", "0111", "70", "86"}
)
KEYWORDS = sorted({k for c in PLAN.clusters for k in c.keywords})
SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _code(prefix: str, tail: int) -> str:
    return (prefix + f"{tail:02d}")[:4] if len(prefix) < 4 else prefix


codes = st.builds(_code, st.sampled_from(PREFIXES), st.integers(0, 99))


def test_the_2441_hierarchy_is_declared() -> None:
    assert ("software_info_services", "ngit") in PAIRS
    assert ("ai", "ngit") in PAIRS
    assert ("pharma_manufacturing", "medicine_health") in PAIRS


@SLOW
@given(
    st.lists(
        st.tuples(codes, st.lists(st.sampled_from(KEYWORDS), max_size=2)), min_size=1, max_size=40
    )
)
def test_registry_child_firms_are_inside_the_parent(firms: list[tuple[str, list[str]]]) -> None:
    frame = pd.DataFrame(
        {
            "firm_id": [f"f{i}" for i in range(len(firms))],
            "industry": [code for code, _ in firms],
            "name": ["".join(words) + "有限公司" for _, words in firms],
            "scope": ["" for _ in firms],
        }
    )
    classified = classify_firms(frame, PLAN)
    assert isinstance(classified, pd.DataFrame)
    members = classified.groupby("cluster")["firm_id"].apply(set).to_dict()
    for child, parent in PAIRS:
        assert members.get(child, set()) <= members.get(parent, set()), (child, parent)
    everyone = set().union(*(v for k, v in members.items() if k != AGGREGATE))
    assert members.get(AGGREGATE, set()) == everyone


@SLOW
@given(
    st.lists(
        st.tuples(codes, st.integers(2020, 2022), st.floats(1e6, 1e12)), min_size=1, max_size=30
    )
)
def test_statistics_child_never_exceeds_parent(cells: list[tuple[str, int, float]]) -> None:
    obs = pd.DataFrame(
        [("110000", code, year, "revenue", value) for code, year, value in cells],
        columns=["region", "industry", "year", "indicator", "value"],
    ).drop_duplicates(["industry", "year"])
    frame = statistics_monitor(statistics_panel(obs, PLAN), PLAN)
    sizes = frame.set_index(["cluster", "year"])["revenue"].astype(float).fillna(0.0)
    tol = 1e-9
    for year in frame["year"].unique():

        def get(cluster: str, year: int = year) -> float:
            return float(sizes.get((cluster, year), 0.0))

        for child, parent in PAIRS:
            assert get(child) <= get(parent) * (1 + tol) + tol, (child, parent, year)
        for cluster in frame["cluster"].unique():
            assert get(cluster) <= get(AGGREGATE) * (1 + tol) + tol
        # 高精尖 = the sum of the cells that belong to any cluster, each counted once
        unit = pd.DataFrame({"firm_id": obs["industry"], "industry": obs["industry"]})
        classified = classify_firms(unit.drop_duplicates(), PLAN)
        assert isinstance(classified, pd.DataFrame)
        member_codes = set(classified["firm_id"])
        rows = obs[(obs["year"] == year) & obs["industry"].isin(member_codes)]
        assert np.isclose(get(AGGREGATE), rows["value"].sum(), rtol=1e-9)


series_values = st.lists(st.floats(0.1, 10.0), min_size=1, max_size=8)


@given(series_values, st.integers(2010, 2020), st.floats(0.5, 9.0))
def test_crossing_is_first_year_at_or_above_after_below(
    values: list[float], start: int, level: float
) -> None:
    series = pd.Series(values, index=range(start, start + len(values)))
    seen = observed_crossing(series, level)
    above = [v >= level for v in values]
    if not any(above):
        assert seen is None
        return
    assert seen is not None and seen.already
    if above[0]:
        assert seen.before and seen.year == start  # "in or before" the first observation
    else:
        assert not seen.before
        k = seen.year - start
        assert values[k] >= level and values[k - 1] < level
        assert not any(above[:k])


@given(
    st.dictionaries(
        st.sampled_from([c.id for c in PLAN.clusters]),
        st.lists(st.floats(1e10, 5e12), min_size=2, max_size=5),
        min_size=1,
    )
)
@settings(max_examples=25, deadline=None)
def test_a_container_never_crosses_after_what_it_contains(
    series: dict[str, list[float]],
) -> None:
    sizes = pd.concat(
        [
            pd.DataFrame({"cluster": c, "year": range(2018, 2018 + len(v)), "value": v})
            for c, v in series.items()
        ]
    ).assign(synthetic=True)
    out = cluster_crossings(PLAN, sizes, n_sim=50).set_index("cluster")
    for child, parent in [*PAIRS, *((c, AGGREGATE) for c in out.index if c != AGGREGATE)]:
        if child in out.index and not pd.isna(out.at[child, "crossing_year"]):
            assert parent not in out.index or (
                out.at[parent, "crossing_year"] <= out.at[child, "crossing_year"]
            )


def test_facts_say_when_a_cluster_was_already_at_the_level() -> None:
    sizes = pd.DataFrame(
        {
            "cluster": ["ngit"] * 2 + ["software_info_services"] * 2 + ["high_end"] * 2,
            "year": [2023, 2024] * 3,
            "value": [3.0e12, 3.3e12, 2.5e12, 2.8e12, 5e12, 5.5e12],
            "synthetic": False,
        }
    )
    out = cluster_crossings(PLAN, sizes, n_sim=50).set_index("cluster")
    # 软件 first exceeded 1万亿 in 2018 (facts); NGIT contains it, so NGIT crossed in or before
    # 2018, and so did 高精尖 — never the first observed year 2023
    assert out.at["software_info_services", "crossing_year"] == 2018
    assert not out.at["software_info_services", "crossing_before"]
    assert out.at["ngit", "crossing_year"] == 2018 and out.at["ngit", "crossing_before"]
    assert out.at["high_end", "crossing_year"] <= 2018 and out.at["high_end", "crossing_before"]


def test_consistent_crossings_keeps_an_earlier_parent() -> None:
    frame = pd.DataFrame(
        {
            "cluster": ["ngit", "ai"],
            "threshold": 1e12,
            "crossing_year": [2030, 2035],
            "crossing_p10": [2028, 2031],
            "crossing_p90": [2033, 2040],
            "p_within": [0.9, 0.8],
            "already": False,
            "last_year": 2024,
            "last_value": 1.0,
            "synthetic": True,
            "crossing_before": False,
            "crossing_source": "",
        }
    )
    no_facts = PLAN.model_copy(
        update={"clusters": [c.model_copy(update={"reached": []}) for c in PLAN.clusters]}
    )
    out = consistent_crossings(no_facts, frame, "trillion").set_index("cluster")
    assert out.at["ngit", "crossing_year"] == 2030  # already earlier than its child: kept
    frame.loc[0, "crossing_year"] = 2040
    out = consistent_crossings(no_facts, frame, "trillion").set_index("cluster")
    assert out.at["ngit", "crossing_year"] == 2035  # never after its child
    assert out.at["ngit", "crossing_source"] == "contains ai"
    with_facts = consistent_crossings(PLAN, frame, "trillion").set_index("cluster")
    assert with_facts.at["ngit", "crossing_year"] == 2020  # facts: 万亿级 by 2020
    assert with_facts.at["ngit", "crossing_before"]


@given(st.lists(st.integers(1, 5000), min_size=2, max_size=6), st.integers(1, 6))
@settings(max_examples=30, deadline=None)
def test_simulated_counts_are_whole_numbers(counts: list[int], ahead: int) -> None:
    series = pd.Series(counts, index=range(2018, 2018 + len(counts)), dtype=float)
    proj = project(series, to_year=2018 + len(counts) - 1 + ahead, n_sim=200)
    summary = projected_summary(proj, integer=True)
    for value in summary.values():
        assert float(value).is_integer()
    assert summary["projected_p10"] <= summary["projected_p90"]


def test_plan_facts_do_not_describe_a_district() -> None:
    sizes = pd.DataFrame(
        {"cluster": "ngit", "year": [2021, 2022], "value": [2e11, 2.4e11], "synthetic": False}
    )
    beijing = cluster_crossings(PLAN, sizes, n_sim=50).set_index("cluster")
    assert beijing.at["ngit", "crossing_year"] == 2020  # facts: 万亿级 by 2020
    district = cluster_crossings(PLAN, sizes, n_sim=50, facts=False).set_index("cluster")
    assert district.at["ngit", "crossing_year"] > 2022  # projected from its own series
    assert not district.at["ngit", "crossing_before"]
