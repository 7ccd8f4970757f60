"""The firm-year × cluster panel and the monitor run on it (checked against pandas by hand)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd
import pytest

from clusteratlas.analysis.clusters import monitor
from clusteratlas.analysis.panel import FIRM_YEARS as COUNT
from clusteratlas.analysis.panel import (
    ONCE,
    build_grouped_panel,
    build_panel,
    cluster_monitor,
    with_crossings,
)
from clusteratlas.analysis.shares import gdp_by_year
from clusteratlas.classify import classify_firms
from clusteratlas.errors import AnalysisError
from clusteratlas.firm_cluster import cluster_sets
from clusteratlas.model.plan import load_plan
from sample_registry import FIRM_YEARS
from sample_registry import FIRMS as SAMPLE_FIRMS


@pytest.fixture(scope="module")
def plan():  # type: ignore[no-untyped-def]
    return load_plan()


FIRMS = pd.DataFrame(
    {
        "firm_id": ["pharma", "soft", "chip", "tianjin", "food", "aico"],
        "region": ["110108", "110105", "110108", "120101", "110115", "110108"],
        "industry": ["2710", "6513", "3973", "6513", "1311", "7320"],
        "name": [
            "某制药公司",
            "某软件公司",
            "某半导体公司",
            "天津软件公司",
            "某食品厂",
            "某人工智能研究院",
        ],
        "scope": [
            "药品生产",
            "软件开发",
            "集成电路设计",
            "软件开发",
            "食品加工",
            "人工智能技术研发",
        ],
    }
)


def _firm_years() -> pd.DataFrame:
    base = {"pharma": 5e11, "soft": 8e11, "chip": 1e11, "tianjin": 2e11, "food": 5e10, "aico": 2e10}
    rows = [
        (f, y, r * 1.1 ** (y - 2020), r * 0.3 * 1.1 ** (y - 2020), 1000.0 + i)
        for i, (f, r) in enumerate(base.items())
        for y in range(2020, 2024)
    ]
    return pd.DataFrame(rows, columns=["firm_id", "year", "revenue", "value_added", "employees"])


def test_panel_is_lazy_and_classifies(plan) -> None:  # type: ignore[no-untyped-def]
    panel = build_panel(FIRMS, _firm_years(), plan)
    assert isinstance(panel, ir.Table)
    frame = panel.to_pandas()
    assert list(frame.columns) == [
        "firm_id",
        "year",
        "region",
        "industry",
        "cluster",
        "revenue",
        "value_added",
        "employees",
    ]
    # plan geography: Beijing firms reported under 110000, the Tianjin firm under its
    # province (the reference economy of the location quotients)
    assert set(frame["region"]) == {"110000", "120000"}
    assert set(frame.loc[frame["firm_id"] == "tianjin", "region"]) == {"120000"}
    clusters = frame.groupby("firm_id")["cluster"].apply(lambda s: set(s.dropna()))
    assert {"medicine_health", "pharma_manufacturing", "high_end"} <= clusters["pharma"]
    assert {"ngit", "software_info_services", "high_end"} <= clusters["soft"]
    assert "ic" in clusters["chip"]
    assert "ai" in clusters["aico"]  # keyword rule on the name within code 73
    # an unclassified firm stays, with a NULL cluster (counts in region totals only)
    food = frame[frame["firm_id"] == "food"]
    assert len(food) == 4 and food["cluster"].isna().all()


def test_firm_geography_and_filters(plan) -> None:  # type: ignore[no-untyped-def]
    panel = build_panel(
        FIRMS, _firm_years(), plan, geography="firm", years=[2022], region="110000"
    ).to_pandas()
    assert set(panel["region"]) == {"110108", "110105", "110115"}
    assert set(panel["year"]) == {2022}
    missing = build_panel(FIRMS, _firm_years()[["firm_id", "year", "revenue"]], plan)
    assert missing.to_pandas()["employees"].isna().all()


def test_monitor_sizes_match_pandas_by_hand(plan) -> None:  # type: ignore[no-untyped-def]
    fy = _firm_years()
    gdp = pd.DataFrame(
        {
            "region": ["110000"] * 4,
            "year": [2020, 2021, 2022, 2023],
            "gdp": [3.6e12, 4.0e12, 4.2e12, 4.4e12],
        }
    )
    everywhere = cluster_monitor(build_panel(FIRMS, fy, plan), plan, gdp=gdp)
    result = everywhere[everywhere["region"] == "110000"]
    row = result[(result["cluster"] == "ngit") & (result["year"] == 2022)].iloc[0]
    # NGIT in Beijing: the software firm (code 6510) and the AI institute (keyword 人工智能
    # within code 73); the Tianjin software firm is outside the plan region
    ngit = fy[fy["firm_id"].isin(["soft", "aico"]) & (fy["year"] == 2022)]
    assert row["revenue"] == pytest.approx(ngit["revenue"].sum())
    assert row["firms"] == 2
    assert row["share_gdp"] == pytest.approx(ngit["value_added"].sum() / 4.2e12)
    assert row["revenue_yoy"] == pytest.approx(0.1)
    # LQ (employees) against the whole panel, Tianjin included — not 1 by construction
    # Beijing: soft 1001 + aico 1005 of 5012; everywhere: + tianjin 1003 of 6015
    assert row["lq"] == pytest.approx((2006 / 5012) / (3009 / 6015))
    # (8e11 + 2e10)·1.1² = 9.92e11 < 1e12 in 2022; 1.09e12 in 2023 → trillion level
    levels = result[result["cluster"] == "ngit"].set_index("year")["level"]
    assert levels[2022] == "hundred_billion" and levels[2023] == "trillion"
    # the aggregate counts each Beijing firm once: all classified Beijing firms
    agg = result[(result["cluster"] == "high_end") & (result["year"] == 2020)].iloc[0]
    assert agg["revenue"] == pytest.approx(5e11 + 8e11 + 1e11 + 2e10)


def test_crossings_prefer_real_series(plan) -> None:  # type: ignore[no-untyped-def]
    from clusteratlas.refdata import beijing_facts

    facts = beijing_facts()
    monitor = cluster_monitor(build_panel(FIRMS, _firm_years(), plan), plan, gdp=gdp_by_year(facts))
    merged, crossings = with_crossings(monitor, plan, observations=facts, n_sim=300)
    by = crossings.set_index("cluster")
    # 医药健康 has four real observations: its crossing comes from them, not from the firms
    assert by.loc["medicine_health", "basis"] == "observed"
    assert not by.loc["medicine_health", "synthetic"]
    # pharma manufacturing has no real series: monitor-based, flagged synthetic
    assert by.loc["pharma_manufacturing", "basis"] == "monitor"
    assert by.loc["pharma_manufacturing", "synthetic"]
    assert {"crossing_year", "crossing_p10", "crossing_p90", "basis"} <= set(merged.columns)
    assert len(merged) == len(monitor)


def _lq_inputs(firms: pd.DataFrame, firm_years: pd.DataFrame, plan, geography):  # type: ignore[no-untyped-def]
    """The panel with the ONCE flag, the plain panel, and the region totals the LQ used
    before the flag: every firm-year once (firm_year ⋈ firm, a second join)."""
    panel = build_panel(firms, firm_years, plan, geography=geography, once=True)
    plain = build_panel(firms, firm_years, plan, geography=geography)
    totals = plain.select("firm_id", "year", "region", "employees").distinct()
    return panel, plain, totals


@pytest.mark.parametrize("geography", ["plan", "firm"])
@pytest.mark.parametrize("registry", ["panel test firms", "sample registry"])
def test_once_flag_gives_the_same_region_totals_and_lq(plan, geography, registry) -> None:  # type: ignore[no-untyped-def]
    if registry == "sample registry":
        firms = SAMPLE_FIRMS
        fy = FIRM_YEARS.assign(employees=100.0 + 7.0 * FIRM_YEARS.index, value_added=0.0)
    else:
        firms, fy = FIRMS, _firm_years()
    panel, plain, totals = _lq_inputs(firms, fy, plan, geography)
    frame = panel.to_pandas()
    assert list(frame.columns) == [*list(plain.columns), ONCE]
    # exactly one flagged row per firm-year, multi-cluster and unclassified firms alike
    flagged = frame[frame[ONCE]].groupby(["firm_id", "year"]).size()
    assert len(flagged) == len(fy) and (flagged == 1).all()
    assert frame.groupby("firm_id")["cluster"].nunique().max() > 1  # multi-cluster firms
    keys = ["cluster", "region", "year"]
    new = monitor(panel, levels=plan.levels, once=ONCE).sort_values(keys)
    joined = monitor(plain, levels=plan.levels, region_totals=totals).sort_values(keys)
    distinct = monitor(plain, levels=plan.levels).sort_values(keys)
    grouped = build_grouped_panel(fy, _sets(firms, plan), plan, geography=geography)
    via_sets = monitor(grouped, levels=plan.levels, once=ONCE, firm_count=COUNT)
    for old in (joined, distinct, via_sets.sort_values(keys)):
        pd.testing.assert_frame_equal(
            new.reset_index(drop=True), old.reset_index(drop=True), check_exact=False, rtol=1e-12
        )
    assert new["lq"].notna().any()
    with pytest.raises(AnalysisError, match="not both"):
        monitor(panel, levels=plan.levels, once=ONCE, region_totals=totals)


def _sets(firms: pd.DataFrame, plan) -> ir.Table:  # type: ignore[no-untyped-def]
    table = ibis.memtable(firms)
    return cluster_sets(table, classify_firms(table, plan), plan)


@pytest.mark.parametrize(
    ("geography", "region", "years"),
    [("firm", "110108", None), ("plan", "110000", [2021, 2022]), ("firm", None, [2020])],
)
def test_grouped_panel_gives_the_row_panels_monitor(plan, geography, region, years) -> None:  # type: ignore[no-untyped-def]
    """The grouped panel (one join with the per-firm cluster sets, summed per set before the
    sets are expanded) gives the monitor of the row panel: sums, firm counts, LQ, YoY, levels;
    with the region and year filters; a grouped panel without once/region totals is refused."""
    keys = ["cluster", "region", "year"]
    fy = _firm_years()
    rows = build_panel(FIRMS, fy, plan, geography=geography, region=region, years=years, once=True)
    grouped = build_grouped_panel(
        fy, _sets(FIRMS, plan), plan, geography=geography, region=region, years=years
    )
    want = monitor(rows, levels=plan.levels, once=ONCE).sort_values(keys)
    got = monitor(grouped, levels=plan.levels, once=ONCE, firm_count=COUNT)
    got = got.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_exact=False, rtol=1e-12)
    assert len(got) and got["firms"].dtype == want["firms"].dtype
    # the unclassified food firm is in the totals only; multi-cluster firms count once there
    assert set(grouped.to_pandas()["cluster"].dropna()) == set(got["cluster"])
    with pytest.raises(AnalysisError, match="grouped panel"):
        monitor(grouped, levels=plan.levels, firm_count=COUNT)
