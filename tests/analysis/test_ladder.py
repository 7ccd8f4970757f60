"""Enterprise ladder: every rule branch and threshold edge of the shipped MIIT 2022 ruleset.

Firms are hand-built: ``BASE`` is a firm that meets every ladder tier with all inputs known;
each case changes a few fields. Expected outcomes and scores are worked out by hand from the
documents' text (工信部企业〔2022〕63号 annexes 1–3, the single-champion conditions, the
unicorn convention) — not from the YAML. All cases are screened in one query (fixture).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pytest

from clusteratlas.analysis import ladder
from clusteratlas.analysis.tier_rules import (
    DERIVED_INPUTS,
    iter_nodes,
    load_ruleset,
    ruleset_names,
)
from clusteratlas.errors import AnalysisError, PlanError

YEAR = 2023

# firm-level fields of BASE (canonical firm columns + optional rule inputs)
BASE_FIRM: dict[str, Any] = {
    "industry": "C3911",  # manufacturing, division 39
    "region": "110108",
    "founded": dt.date(2010, 3, 1),  # firm_age 13
    "listed": False,
    "segment_years": 12.0,
    "ip_level": 4.0,
    "ip_class1_count": 3.0,
    "strategic_emerging": True,
    "product_field_level": 2.0,
    "digital_level": 3.0,
    "quality_items": 2.0,
    "local_feature_points": 15.0,
    "rd_institution_level": 3.0,
    "sci_award_3y": False,
    "sci_award_top": False,
    "sci_award_top3": False,
    "honours": False,
    "maker_china_500": False,
    "maker_china_50": False,
    "info_system": True,
    "mgmt_certified": True,
    "own_brand": True,
    "chain_key_link": True,
    "priority_field": True,
    "market_rank_global": 2.0,
    "new_product_years": np.nan,
}
# firm-year values of BASE: {year: {...}}
BASE_YEARS: dict[int, dict[str, float]] = {
    2023: dict(
        revenue=1.2e8,
        main_revenue=1.08e8,
        rd_spend=6e6,
        employees=300,
        rd_staff=60,
        debt_ratio=0.40,
        net_margin=0.12,
        market_share=0.15,
        equity_raised=0.0,
        valuation_usd=np.nan,
    ),
    2022: dict(
        revenue=1.0e8,
        main_revenue=0.9e8,
        rd_spend=5e6,
        employees=280,
        rd_staff=50,
        debt_ratio=0.45,
        net_margin=0.10,
        market_share=0.14,
        equity_raised=0.0,
        valuation_usd=np.nan,
    ),
    2021: dict(
        revenue=0.9e8,
        main_revenue=0.81e8,
        rd_spend=4e6,
        employees=250,
        rd_staff=40,
        debt_ratio=0.50,
        net_margin=0.10,
        market_share=0.12,
        equity_raised=0.0,
        valuation_usd=np.nan,
    ),
}

CASES: dict[str, dict[str, Any]] = {}


def case(name: str, firm: dict[str, Any] | None = None, **years: dict[str, float] | None) -> None:
    """Register a firm: BASE with ``firm`` overrides and per-year overrides ``y2023={...}``.

    ``y2022=None`` drops that year's row.
    """
    CASES[name] = {"firm": firm or {}, "years": years}


# --- base and scores ---------------------------------------------------------------------
case("base")
# --- 创新型: sub-minimum, direct routes, SME size, missing inputs --------------------------
# growth group: main revenue falls (0 pts) and debt 80% (0 pts) -> growth 0 < 15 although the
# total is 20+20+0+0+10+20 = 70 >= 60
GROWTH_FAIL = {"y2023": {"main_revenue": 0.85e8, "debt_ratio": 0.80}}
NO_INST = {"rd_institution_level": 0.0}  # BASE's national R&D institution is a direct route
case("inno_growth_submin", NO_INST, **GROWTH_FAIL)
case("inno_growth_submin_honours", {**NO_INST, "honours": True}, **GROWTH_FAIL)
case("inno_growth_submin_award", {**NO_INST, "sci_award_3y": True}, **GROWTH_FAIL)
case("inno_growth_submin_institution", {"rd_institution_level": 2.0}, **GROWTH_FAIL)
case("inno_growth_submin_institution_city", {"rd_institution_level": 1.0}, **GROWTH_FAIL)
# equity over 3 years: 2e6 + 2e6 + 1e6 = 5e6 = 500万 exactly -> direct route
case(
    "inno_growth_submin_equity_at",
    NO_INST,
    y2023={"main_revenue": 0.85e8, "debt_ratio": 0.80, "equity_raised": 2e6},
    y2022={"equity_raised": 2e6},
    y2021={"equity_raised": 1e6},
)
case(
    "inno_growth_submin_equity_below",
    NO_INST,
    y2023={"main_revenue": 0.85e8, "debt_ratio": 0.80, "equity_raised": 2e6},
    y2022={"equity_raised": 2e6},
    y2021={"equity_raised": 0.99e6},
)
# SME size, 工信部联企业〔2011〕300号 第四条 ("X以下" = strictly below; 或 between measures)
# industrial: 1000 employees and 4亿 revenue -> large; 999 employees -> SME
BIG = {"revenue": 4e8, "main_revenue": 3.6e8, "rd_spend": 2e7}
case("sme_large", y2023={"employees": 1000, **BIG})
case("sme_999", y2023={"employees": 999, **BIG})
# 软件和信息技术服务业: 300 persons or 1亿 -> 5000 persons and 4亿 is large
case("sme_services", {"industry": "I6511"}, y2023={"employees": 5000, **BIG})
case("sme_software_299", {"industry": "I6511"}, y2023={"employees": 299, **BIG})
case(
    "sme_software_small_revenue",
    {"industry": "I6511"},
    y2023={"employees": 5000, "revenue": 0.99e8, "main_revenue": 0.9e8},
)
# 批发业: 200 persons or 4亿 -> at both thresholds: large
case("sme_wholesale_at", {"industry": "F5191"}, y2023={"employees": 200, **BIG})
# 房地产开发经营 (class 7010): 20亿 revenue or 1亿 assets; assets absent -> undecided
case("sme_real_estate_unknown", {"industry": "K7010"}, y2023={"employees": 50, "revenue": 25e8})
case(
    "sme_real_estate_small_assets",
    {"industry": "K7010"},
    y2023={"employees": 50, "revenue": 25e8, "total_assets": 0.99e8},
)
# 物业管理 (7020) vs other real estate (7040 -> 其他未列明: 300 persons)
case("sme_property_at", {"industry": "K7020"}, y2023={"employees": 1000, "revenue": 5e7})
case("sme_other_real_estate", {"industry": "K7040"}, y2023={"employees": 300, "revenue": 5e7})
# 租赁和商务服务业: 300 persons or 12亿 assets; 其他未列明 (M73): 300 persons only
case("sme_business_services", {"industry": "L7212"}, y2023={"employees": 400, **BIG})
case("sme_research_299", {"industry": "M7320"}, y2023={"employees": 299, "revenue": 9e9})
# 金融业 is outside the regulation: no size rule
case("sme_finance", {"industry": "J6620"}, y2023={"employees": 5000, **BIG})
# missing IP level and strategic field: known points 20+20+10+20 = 70 -> low 75 (field >= 5)
case("inno_missing_ip_ok", {"ip_level": None, "strategic_emerging": None})
# rd intensity 1.5% (5 pts), growth 3% (5), debt 60% (5), share 52% (5): known 20,
# field [5, 10], ip [0, 20] -> score in [25, 50] < 60: ineligible even though inputs missing
case(
    "inno_missing_ip_low",
    {**NO_INST, "ip_level": None, "strategic_emerging": None},
    y2023={"rd_spend": 1.8e6, "main_revenue": 0.624e8, "debt_ratio": 0.60},
    y2022={"main_revenue": 0.6058e8},
)
# ip missing and total otherwise 20 (rd) + 20 + 10 + 10 + 20 = 80 -> low 80 but the
# innovation group is 20 + [0, 20]: >= 20 holds; now rd 2% (10 pts): innovation [10, 30]
case("inno_missing_ip_undetermined", {**NO_INST, "ip_level": None}, y2023={"rd_spend": 2.4e6})
# --- 专精特新: four conditions --------------------------------------------------------------
case(
    "zjtx_rd_at",
    y2023={"rd_spend": 1e6, "revenue": 2e7, "main_revenue": 1.8e7},
    y2022={"revenue": 1.7e7, "main_revenue": 1.5e7},
)
case(
    "zjtx_rd_below",
    y2023={"rd_spend": 999_999.0, "revenue": 2e7, "main_revenue": 1.8e7},
    y2022={"revenue": 1.7e7, "main_revenue": 1.5e7},
)
case("zjtx_intensity_at", y2023={"rd_spend": 1.5e6, "revenue": 5e7, "main_revenue": 4.5e7})
case("zjtx_intensity_below", y2023={"rd_spend": 1.495e6, "revenue": 5e7, "main_revenue": 4.5e7})
case("zjtx_revenue_at", y2023={"revenue": 1e7, "main_revenue": 0.9e7, "rd_spend": 1e6})
case("zjtx_revenue_below", y2023={"revenue": 9_999_999.0, "main_revenue": 0.9e7, "rd_spend": 1e6})
case(
    "zjtx_revenue_below_equity_at",
    y2023={"revenue": 9_999_999.0, "main_revenue": 0.9e7, "rd_spend": 1e6, "equity_raised": 1.5e7},
    y2022={"equity_raised": 0.5e7},
)
case("zjtx_segment_1", {"segment_years": 1.0})
case("zjtx_segment_proxy", {"segment_years": None, "founded": dt.date(2021, 6, 1)})
# score below 60 but a direct route: mean R&D of 2 years = 1000万 exactly
ZJTX_LOW = {
    "digital_level": 1.0,
    "quality_items": 0.0,
    "local_feature_points": 0.0,
    "rd_institution_level": 0.0,
    "ip_level": 0.0,
    "product_field_level": 0.0,
}
case("zjtx_score_low", ZJTX_LOW)
case("zjtx_score_low_rd_avg_at", ZJTX_LOW, y2023={"rd_spend": 1.1e7}, y2022={"rd_spend": 0.9e7})
case("zjtx_score_low_maker", {**ZJTX_LOW, "maker_china_500": True})
# --- 小巨人: R&D intensity by revenue band ------------------------------------------------
# large band (revenue >= 1亿): lower of the 2 years' intensity >= 3%
case(
    "lg_large_at",
    y2023={"revenue": 1e8, "main_revenue": 0.9e8, "rd_spend": 3e6},
    y2022={"revenue": 0.9e8, "main_revenue": 0.81e8, "rd_spend": 2.7e6},
    y2021={"revenue": 0.8e8, "main_revenue": 0.72e8},
)
case(
    "lg_large_below",
    y2023={"revenue": 1e8, "main_revenue": 0.9e8, "rd_spend": 3e6},
    y2022={"revenue": 0.9e8, "main_revenue": 0.81e8, "rd_spend": 2.6e6},
    y2021={"revenue": 0.8e8, "main_revenue": 0.72e8},
)
# middle band (5000万 <= revenue < 1亿): >= 6% in both years
case(
    "lg_mid_at",
    y2023={"revenue": 5e7, "main_revenue": 4.5e7, "rd_spend": 3e6},
    y2022={"revenue": 4e7, "main_revenue": 3.6e7, "rd_spend": 2.4e6},
    y2021={"revenue": 3.5e7, "main_revenue": 3.15e7},
)
case(
    "lg_mid_5pct",
    y2023={"revenue": 5e7, "main_revenue": 4.5e7, "rd_spend": 2.5e6},
    y2022={"revenue": 4e7, "main_revenue": 3.6e7, "rd_spend": 2.4e6},
    y2021={"revenue": 3.5e7, "main_revenue": 3.15e7},
)
# small band (< 5000万): equity 2y >= 8000万, R&D 2y >= 3000万, R&D staff >= 50%
SMALL = {
    "y2023": {
        "revenue": 4e7,
        "main_revenue": 3.6e7,
        "rd_spend": 1.6e7,
        "employees": 100,
        "rd_staff": 50,
        "equity_raised": 5e7,
    },
    "y2022": {"revenue": 3.5e7, "main_revenue": 3.15e7, "rd_spend": 1.4e7, "equity_raised": 3e7},
    "y2021": {"revenue": 3e7, "main_revenue": 2.8e7},
}
case("lg_small_ok", **SMALL)
case("lg_small_equity_below", **{**SMALL, "y2022": {**SMALL["y2022"], "equity_raised": 2.9e7}})
case("lg_small_staff_below", **{**SMALL, "y2023": {**SMALL["y2023"], "rd_staff": 49}})
case(
    "lg_small_direct_award",
    {"sci_award_top3": True},
    **{**SMALL, "y2022": {**SMALL["y2022"], "equity_raised": 2.9e7}},
)
case("lg_revenue_missing", y2023={"revenue": np.nan})
case("lg_share_below", y2023={"main_revenue": 0.839e8})  # 69.9% < 70%
case("lg_debt_at", y2023={"debt_ratio": 0.70})
case("lg_debt_above", y2023={"debt_ratio": 0.701})
case("lg_market_share_missing", y2023={"market_share": np.nan})
# --- 单项冠军 --------------------------------------------------------------------------------
case(
    "sc_revenue_route",
    {"chain_key_link": False},
    y2023={"revenue": 4e8, "main_revenue": 3.6e8, "rd_spend": 2e7, "employees": 2000},
)
case("sc_rank_4", {"market_rank_global": 4.0})
case("sc_segment_9", {"segment_years": 9.0, "new_product_years": 2.0})
case("sc_segment_9_new_product_missing", {"segment_years": 9.0})
case("sc_segment_9_new_product", {"segment_years": 9.0, "new_product_years": 3.0})
case("sc_services", {"industry": "I6511"})
# --- unicorn track ----------------------------------------------------------------------------
UNI = {"founded": dt.date(2013, 5, 1)}  # firm_age 10 in 2023
case("uni_at", UNI, y2023={"valuation_usd": 1e9, "equity_raised": 1e8})
case("uni_below", UNI, y2023={"valuation_usd": 0.999e9, "equity_raised": 1e8})
case(
    "uni_old",
    {"founded": dt.date(2012, 12, 31)},
    y2023={"valuation_usd": 2e9, "equity_raised": 1e8},
)
case("uni_listed", {**UNI, "listed": True}, y2023={"valuation_usd": 2e9, "equity_raised": 1e8})
case("uni_unfunded", UNI, y2023={"valuation_usd": 2e9})
case("uni_funded_earlier", UNI, y2023={"valuation_usd": 2e9}, y2021={"equity_raised": 1e6})
case(
    "pu_young_at",
    {"founded": dt.date(2018, 1, 1)},
    y2023={"valuation_usd": 5e7, "equity_raised": 1e7},
)
case(
    "pu_6y_half",
    {"founded": dt.date(2017, 1, 1)},
    y2023={"valuation_usd": 5e7, "equity_raised": 1e7},
)
case(
    "pu_9y_at", {"founded": dt.date(2014, 1, 1)}, y2023={"valuation_usd": 1e8, "equity_raised": 1e7}
)
case("pu_valuation_missing", {"founded": dt.date(2018, 1, 1)}, y2023={"equity_raised": 1e7})
# --- no data at all ----------------------------------------------------------------------------
case("no_years", y2023=None, y2022=None, y2021=None)


def build() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The firm and firm_year frames of all CASES."""
    firm_rows, year_rows = [], []
    for name, spec in CASES.items():
        firm_rows.append({"firm_id": name, **BASE_FIRM, **spec["firm"]})
        for y, base in BASE_YEARS.items():
            key = f"y{y}"
            if key in spec["years"] and spec["years"][key] is None:
                continue
            year_rows.append({"firm_id": name, "year": y, **base, **spec["years"].get(key, {})})
    firms = pd.DataFrame(firm_rows)
    for col in ("strategic_emerging",):
        firms[col] = firms[col].astype("boolean")
    return firms, pd.DataFrame(year_rows)


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return build()


@pytest.fixture(scope="module")
def result(frames: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    firms, years = frames
    return ladder.screen(firms, years, year=YEAR)


def row(result: pd.DataFrame, firm: str, tier: str) -> pd.Series:
    sel = result[(result.firm_id == firm) & (result.tier == tier)]
    assert len(sel) == 1, (firm, tier)
    return sel.iloc[0]


def status(result: pd.DataFrame, firm: str, tier: str) -> str:
    return str(row(result, firm, tier)["status"])


def failed_ids(result: pd.DataFrame, firm: str, tier: str) -> set[str]:
    return {f["criterion"] for f in row(result, firm, tier)["failed"]}


def failure(result: pd.DataFrame, firm: str, tier: str, criterion: str) -> dict[str, Any]:
    found = [f for f in row(result, firm, tier)["failed"] if f["criterion"] == criterion]
    assert len(found) == 1, (firm, tier, criterion, row(result, firm, tier)["failed"])
    return dict(found[0])


# ---------------------------------------------------------------------------------------------
# shape


def test_one_row_per_firm_and_tier(result: pd.DataFrame) -> None:
    rs = load_ruleset()
    assert len(result) == len(CASES) * len(rs.tiers)
    assert list(result.columns[:8]) == [
        "firm_id",
        "year",
        "tier",
        "tag",
        "track",
        "rank",
        "status",
        "eligible",
    ]
    assert result.eligible.dtype == bool
    assert set(result.status) <= {"eligible", "ineligible", "undetermined"}
    assert (result.eligible == (result.status == "eligible")).all()
    no_score = result[result.tier.isin(["little_giant", "single_champion", "unicorn"])]
    assert no_score.score.isna().all() and no_score.score_low.isna().all()


def test_base_firm_meets_every_ladder_tier_with_full_scores(result: pd.DataFrame) -> None:
    for tier in ("innovative_sme", "zjtx", "little_giant", "single_champion"):
        r = row(result, "base", tier)
        assert r.status == "eligible", (tier, r.failed, r.missing)
        assert list(r.failed) == [] and list(r.missing) == []
    # hand-scored (annex 1): IP I类高价值 20, R&D 5% 20, growth 20% 20, debt 40% 10,
    # strategic emerging 10, main-business share 90% 20 = 100
    assert row(result, "base", "innovative_sme").score == 100.0
    # annex 2: 5 + 10 + 5 (12 yrs -> 6, capped 5) + 5 | 5 + 5 (2 items x 3 capped) + 10 + 5
    # | 15 | 10 + 10 + 5 + 10 = 100
    assert row(result, "base", "zjtx").score == 100.0
    assert status(result, "base", "unicorn") == "ineligible"  # never raised equity


def test_partial_scores_by_hand(result: pd.DataFrame) -> None:
    # growth sub-minimum case: main revenue 0.85e8 vs 0.9e8 -> -5.6% (0), debt 80% (0)
    r = row(result, "inno_growth_submin", "innovative_sme")
    assert r.score == 70.0
    # zjtx of the low-score firm: specialisation 5 + 10 + 5 + 0 = 20; refinement
    # 0 + 0 + 10 + 5 = 15; local 0; innovation 0 + 10 + 5 + 0 = 15 -> 50
    assert row(result, "zjtx_score_low", "zjtx").score == 50.0


# ---------------------------------------------------------------------------------------------
# 创新型中小企业


def test_innovative_group_sub_minimum_and_direct_routes(result: pd.DataFrame) -> None:
    assert status(result, "inno_growth_submin", "innovative_sme") == "ineligible"
    f = failure(result, "inno_growth_submin", "innovative_sme", "score_growth")
    assert f["required"] == 15.0 and f["actual"] == 0.0 and f["gap"] == 15.0
    # the failing direct routes are listed too (all routes of the 'any' failed)
    assert {"direct_honours", "direct_equity"} <= failed_ids(
        result, "inno_growth_submin", "innovative_sme"
    )
    for firm in (
        "inno_growth_submin_honours",
        "inno_growth_submin_award",
        "inno_growth_submin_institution",
        "inno_growth_submin_equity_at",
    ):
        assert status(result, firm, "innovative_sme") == "eligible", firm
        assert list(row(result, firm, "innovative_sme").failed) == []
    assert status(result, "inno_growth_submin_institution_city", "innovative_sme") == "ineligible"
    assert status(result, "inno_growth_submin_equity_below", "innovative_sme") == "ineligible"
    f = failure(result, "inno_growth_submin_equity_below", "innovative_sme", "direct_equity")
    assert f["required"] == 5e6 and f["actual"] == pytest.approx(4.99e6)
    assert f["gap"] == pytest.approx(1e4)


def _size_failures(result: pd.DataFrame, firm: str) -> set[str]:
    return {c for c in failed_ids(result, firm, "innovative_sme") if c.startswith("sme_")}


def test_sme_size_by_sector(result: pd.DataFrame) -> None:
    assert status(result, "sme_large", "innovative_sme") == "ineligible"
    assert _size_failures(result, "sme_large") == {"sme_employees", "sme_revenue"}
    assert status(result, "sme_999", "innovative_sme") == "eligible"
    # the prerequisite propagates up the ladder
    assert status(result, "sme_large", "zjtx") == "ineligible"
    assert "is_innovative_sme" in failed_ids(result, "sme_large", "zjtx")
    # software: 5000 persons and 4亿 is large; either measure below its threshold is enough
    assert status(result, "sme_services", "innovative_sme") == "ineligible"
    assert _size_failures(result, "sme_services") == {
        "sme_software_employees",
        "sme_software_revenue",
    }
    f = failure(result, "sme_services", "innovative_sme", "sme_software_revenue")
    assert f["required"] == 1e8 and f["gap"] == pytest.approx(3e8)
    assert _size_failures(result, "sme_software_299") == set()
    assert _size_failures(result, "sme_software_small_revenue") == set()
    assert _size_failures(result, "sme_wholesale_at") == {
        "sme_wholesale_employees",
        "sme_wholesale_revenue",
    }
    assert _size_failures(result, "sme_property_at") == {
        "sme_property_mgmt_employees",
        "sme_property_mgmt_revenue",
    }
    assert _size_failures(result, "sme_other_real_estate") == {"sme_other_employees"}
    assert _size_failures(result, "sme_research_299") == set()
    assert _size_failures(result, "sme_real_estate_small_assets") == set()
    assert _size_failures(result, "sme_finance") == set()


def test_sme_size_on_absent_assets_is_undetermined(result: pd.DataFrame) -> None:
    # the false measure is listed (its enclosing 或 is not true) next to the missing one
    for firm, false in (
        ("sme_real_estate_unknown", "sme_real_estate_dev_revenue"),
        ("sme_business_services", "sme_leasing_business_employees"),
    ):
        r = row(result, firm, "innovative_sme")
        assert r.status == "undetermined", firm
        assert "total_assets" in list(r.missing), firm
        assert _size_failures(result, firm) == {false}


def test_missing_score_inputs_are_intervals_not_zero(result: pd.DataFrame) -> None:
    r = row(result, "inno_missing_ip_ok", "innovative_sme")
    assert np.isnan(r.score) and r.score_low == 75.0 and r.score_high == 100.0
    assert r.status == "eligible" and list(r.missing) == []  # decided despite the gaps

    r = row(result, "inno_missing_ip_low", "innovative_sme")
    assert (r.score_low, r.score_high) == (25.0, 50.0)
    assert r.status == "ineligible"
    f = failure(result, "inno_missing_ip_low", "innovative_sme", "score_total")
    assert f["actual"] == 25.0 and f["actual_max"] == 50.0 and f["gap"] == 10.0

    r = row(result, "inno_missing_ip_undetermined", "innovative_sme")
    # innovation group: R&D 2% -> 10, IP unknown [0, 20] -> [10, 30] vs 20: unknown
    assert r.status == "undetermined" and not r.eligible
    assert "ip_level" in list(r.missing)
    assert "score_innovation" not in failed_ids(
        result, "inno_missing_ip_undetermined", "innovative_sme"
    )


# ---------------------------------------------------------------------------------------------
# 专精特新中小企业


def test_zjtx_rd_and_revenue_threshold_edges(result: pd.DataFrame) -> None:
    assert status(result, "zjtx_rd_at", "zjtx") == "eligible"
    assert status(result, "zjtx_rd_below", "zjtx") == "ineligible"
    f = failure(result, "zjtx_rd_below", "zjtx", "rd_spend")
    assert f["required"] == 1e6 and f["unit"] == "yuan" and f["gap"] == pytest.approx(1.0)
    assert status(result, "zjtx_intensity_at", "zjtx") == "eligible"
    assert status(result, "zjtx_intensity_below", "zjtx") == "ineligible"
    f = failure(result, "zjtx_intensity_below", "zjtx", "rd_intensity")
    assert f["required"] == pytest.approx(0.03) and f["actual"] == pytest.approx(0.0299)
    assert status(result, "zjtx_revenue_at", "zjtx") == "eligible"
    assert status(result, "zjtx_revenue_below", "zjtx") == "ineligible"
    assert {"revenue", "equity_2y"} <= failed_ids(result, "zjtx_revenue_below", "zjtx")
    assert status(result, "zjtx_revenue_below_equity_at", "zjtx") == "eligible"


def test_zjtx_segment_years_and_proxy(result: pd.DataFrame) -> None:
    assert status(result, "zjtx_segment_1", "zjtx") == "ineligible"
    # no segment_years: years since founding (2023 - 2021 = 2) is the declared proxy
    assert status(result, "zjtx_segment_proxy", "zjtx") == "eligible"


def test_zjtx_score_or_direct_routes(result: pd.DataFrame) -> None:
    assert status(result, "zjtx_score_low", "zjtx") == "ineligible"
    f = failure(result, "zjtx_score_low", "zjtx", "score_total")
    assert f["actual"] == 50.0 and f["gap"] == 10.0
    assert status(result, "zjtx_score_low_rd_avg_at", "zjtx") == "eligible"
    assert status(result, "zjtx_score_low_maker", "zjtx") == "eligible"


# ---------------------------------------------------------------------------------------------
# 专精特新“小巨人”


def test_little_giant_rd_intensity_by_revenue_band(result: pd.DataFrame) -> None:
    assert status(result, "lg_large_at", "little_giant") == "eligible"
    assert status(result, "lg_large_below", "little_giant") == "ineligible"
    f = failure(result, "lg_large_below", "little_giant", "rd_intensity_band_large")
    assert f["actual"] == pytest.approx(2.6e6 / 0.9e8) and f["required"] == pytest.approx(0.03)
    assert status(result, "lg_mid_at", "little_giant") == "eligible"
    assert status(result, "lg_mid_5pct", "little_giant") == "ineligible"
    assert "rd_intensity_band_mid" in failed_ids(result, "lg_mid_5pct", "little_giant")
    # bands that do not apply are never reported
    assert "rd_intensity_band_large" not in failed_ids(result, "lg_mid_5pct", "little_giant")
    assert status(result, "lg_small_ok", "little_giant") == "eligible"
    assert status(result, "lg_small_equity_below", "little_giant") == "ineligible"
    f = failure(result, "lg_small_equity_below", "little_giant", "equity_2y_band_small")
    assert f["actual"] == 7.9e7 and f["required"] == 8e7
    assert status(result, "lg_small_staff_below", "little_giant") == "ineligible"
    assert "rd_staff_band_small" in failed_ids(result, "lg_small_staff_below", "little_giant")
    assert status(result, "lg_small_direct_award", "little_giant") == "eligible"


def test_little_giant_other_indicators(result: pd.DataFrame) -> None:
    r = row(result, "lg_revenue_missing", "little_giant")
    assert r.status == "undetermined" and "revenue" in list(r.missing)
    assert status(result, "lg_share_below", "little_giant") == "ineligible"
    assert status(result, "lg_debt_at", "little_giant") == "eligible"
    assert status(result, "lg_debt_above", "little_giant") == "ineligible"
    f = failure(result, "lg_debt_above", "little_giant", "debt_ratio")
    assert f["gap"] == pytest.approx(0.001)
    r = row(result, "lg_market_share_missing", "little_giant")
    assert r.status == "undetermined" and list(r.missing) == ["market_share"]
    # the champion tier depends on little_giant (revenue < 4亿): undecided as well
    r = row(result, "lg_market_share_missing", "single_champion")
    assert r.status == "undetermined" and "tier:little_giant" in list(r.missing)


# ---------------------------------------------------------------------------------------------
# 单项冠军


def test_single_champion(result: pd.DataFrame) -> None:
    # 4亿 revenue route: not an SME, not a little giant, still a champion
    assert status(result, "sc_revenue_route", "little_giant") == "ineligible"
    assert status(result, "sc_revenue_route", "single_champion") == "eligible"
    assert status(result, "sc_rank_4", "single_champion") == "ineligible"
    assert status(result, "sc_segment_9", "single_champion") == "ineligible"
    assert status(result, "sc_segment_9_new_product", "single_champion") == "eligible"
    r = row(result, "sc_segment_9_new_product_missing", "single_champion")
    assert r.status == "undetermined" and list(r.missing) == ["new_product_years"]
    assert status(result, "sc_services", "single_champion") == "ineligible"
    assert "manufacturing_upper" in failed_ids(result, "sc_services", "single_champion")


# ---------------------------------------------------------------------------------------------
# unicorn track


def test_unicorn_thresholds(result: pd.DataFrame) -> None:
    assert status(result, "uni_at", "unicorn") == "eligible"
    assert status(result, "uni_at", "potential_unicorn") == "ineligible"
    assert status(result, "uni_below", "unicorn") == "ineligible"
    assert status(result, "uni_below", "potential_unicorn") == "ineligible"  # age 10 > 9
    assert status(result, "uni_old", "unicorn") == "ineligible"
    assert failure(result, "uni_old", "unicorn", "age")["actual"] == 11.0
    assert status(result, "uni_listed", "unicorn") == "ineligible"
    f = failure(result, "uni_listed", "unicorn", "not_listed")
    assert f["unit"] == "bool" and f["actual"] == 1.0 and f["required"] == 0.0
    assert status(result, "uni_unfunded", "unicorn") == "ineligible"
    assert status(result, "uni_funded_earlier", "unicorn") == "eligible"
    assert status(result, "pu_young_at", "potential_unicorn") == "eligible"
    assert status(result, "pu_6y_half", "potential_unicorn") == "ineligible"
    assert status(result, "pu_9y_at", "potential_unicorn") == "eligible"
    r = row(result, "pu_valuation_missing", "potential_unicorn")
    assert r.status == "undetermined" and list(r.missing) == ["valuation_usd"]


def test_firm_without_data_is_undetermined_not_ineligible(result: pd.DataFrame) -> None:
    r = row(result, "no_years", "innovative_sme")
    assert r.status == "undetermined"
    # the score route is not needed (BASE's national R&D institution is a direct route), so
    # only the SME-size inputs are missing
    assert sorted(r.missing) == ["employees", "revenue"]
    assert list(r.failed) == []
    r = row(result, "no_years", "zjtx")
    assert r.status == "undetermined"
    assert {"tier:innovative_sme", "rd_spend", "rd_intensity"} <= set(r.missing)


# ---------------------------------------------------------------------------------------------
# pandas and Ibis inputs, gaps, pipeline, certified comparison


def test_ibis_inputs_equal_pandas_inputs(
    frames: tuple[pd.DataFrame, pd.DataFrame], result: pd.DataFrame
) -> None:
    firms, years = frames
    con = ibis.duckdb.connect()
    f = con.create_table("firm", firms)
    y = con.create_table("firm_year", years)
    lazy = ladder.screen_table(f, y, year=YEAR)
    assert isinstance(lazy, ibis.Table)
    other = lazy.to_pandas()
    key = ["firm_id", "tier"]
    a = result.sort_values(key).reset_index(drop=True)
    b = other.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        a.drop(columns=["failed", "missing"]), b.drop(columns=["failed", "missing"])
    )
    assert [list(x) for x in a.missing] == [list(x) for x in b.missing]
    assert [list(map(dict, x)) for x in a.failed] == [list(map(dict, x)) for x in b.failed]


def test_gaps_to_next_tier(result: pd.DataFrame) -> None:
    g = ladder.gaps(result)
    # the base firm is at the top of the ladder: no gap row
    assert "base" not in set(g.firm_id)
    sel = g[g.firm_id == "zjtx_rd_below"]
    assert set(sel.current_tier) == {"innovative_sme"} and set(sel.next_tier) == {"zjtx"}
    gap = sel[sel.criterion == "rd_spend"].iloc[0]
    assert gap.required == 1e6 and gap.gap == pytest.approx(1.0)
    # an undecided next tier without failures still gets one row (criterion NULL)
    sel = g[g.firm_id == "lg_market_share_missing"]
    assert sel.next_tier.tolist() == ["little_giant"]
    assert sel.criterion.isna().all() and list(sel.missing.iloc[0]) == ["market_share"]
    # unicorn track
    g = ladder.gaps(result, track="unicorn")
    sel = g[g.firm_id == "pu_6y_half"]
    assert set(sel.next_tier) == {"potential_unicorn"}


@pytest.mark.slow
def test_pipeline_counts_match_screening(
    frames: tuple[pd.DataFrame, pd.DataFrame], result: pd.DataFrame
) -> None:
    firms, years = frames
    firms = firms.assign(region=np.where(firms.firm_id.str.startswith("uni"), "120116", "110108"))
    by_region = ladder.pipeline(firms, years, years=[YEAR], by="region")
    assert set(by_region.region) == {"110108", "120116"}
    uni = by_region[(by_region.region == "120116") & (by_region.tier == "unicorn")].iloc[0]
    # uni_at and uni_funded_earlier are unicorns; 6 uni_* firms in all
    assert (uni.eligible, uni.firms) == (2, 6)
    p = ladder.pipeline(firms, years, years=[YEAR])
    expected = result.groupby("tier").status.value_counts().unstack(fill_value=0)
    for r in p.itertuples():
        assert r.year == YEAR
        for col in ("eligible", "undetermined", "ineligible"):
            got = getattr(r, col)
            assert got == expected.loc[r.tier].get(col, 0), (r.tier, col)
        assert r.firms == len(CASES)


def test_compare_certified_confusion_by_hand() -> None:
    screened = pd.DataFrame(
        {
            "firm_id": ["a", "b", "c", "d", "e"],
            "year": [2023] * 5,
            "tier": ["zjtx"] * 5,
            "tag": ["zjtx"] * 5,
            "track": ["ladder"] * 5,
            "rank": [2] * 5,
            "status": ["eligible", "eligible", "ineligible", "undetermined", "ineligible"],
            "eligible": [True, True, False, False, False],
        }
    )
    tags = pd.DataFrame(
        {
            "firm_id": ["a", "c", "d", "b", "a", "e"],
            "year": [2024, 2024, 2024, 2024, 2024, 2023],
            "tag": ["zjtx", "zjtx", "zjtx", "unicorn", "little_giant", "zjtx"],
            "source": [
                "certified",
                "certified",
                "certified",
                "certified",
                "certified",
                "certified",
            ],
        }
    )
    out = ladder.compare_certified(screened, tags, year_offset=1)
    r = out.iloc[0]
    # certified (2024 list): a, c, d; predicted: a, b
    assert (r.tp, r.fp, r.fn, r.tn) == (1, 1, 2, 1)
    assert r.precision == 0.5 and r.recall == pytest.approx(1 / 3)
    assert r.f1 == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    # not ruled out: a, b, d -> certified among them a, d -> 2/3
    assert r.recall_possible == pytest.approx(2 / 3)
    assert r.undetermined == 1 and r.certified == 3


# ---------------------------------------------------------------------------------------------
# independent cross-check on random firms: annex 1 score written directly from the text


def _annex1_score(
    rd_int: float, growth: float, debt: float, share: float, ip: int, emerging: bool
) -> float:
    """创新型中小企业评价标准 (annex 1), transcribed independently of the YAML."""

    def bands(x: float, cuts: list[tuple[float, float]], other: float = 0.0) -> float:
        for cut, pts in cuts:
            if x >= cut:
                return pts
        return other

    ip_pts = {4: 20, 3: 15, 2: 10, 1: 5, 0: 0}[ip]
    rd = bands(rd_int, [(0.05, 20), (0.03, 15), (0.02, 10), (0.01, 5)])
    gr = bands(growth, [(0.15, 20), (0.10, 15), (0.05, 10), (0.0, 5)])
    dr = 10.0 if debt <= 0.55 else (5.0 if debt <= 0.75 else 0.0)
    field = 10.0 if emerging else 5.0
    sh = bands(share, [(0.70, 20), (0.60, 15), (0.55, 10), (0.50, 5)])
    return ip_pts + rd + gr + dr + field + sh


def test_innovative_score_matches_independent_transcription() -> None:
    rng = np.random.default_rng(7)
    n = 300
    revenue = rng.uniform(1e6, 5e8, n)
    prev_main = rng.uniform(1e6, 5e8, n)
    share = rng.uniform(0.3, 1.0, n)
    growth = rng.uniform(-0.2, 0.3, n)
    main = prev_main * (1 + growth)
    revenue = main / share
    rd_int = rng.uniform(0.0, 0.08, n)
    debt = rng.uniform(0.2, 0.9, n)
    ip = rng.integers(0, 5, n)
    emerging = rng.random(n) < 0.5
    ids = [f"f{i}" for i in range(n)]
    firms = pd.DataFrame(
        {
            "firm_id": ids,
            "industry": "I6511",
            "ip_level": ip.astype(float),
            "strategic_emerging": emerging,
        }
    )
    years = pd.concat(
        [
            pd.DataFrame(
                {
                    "firm_id": ids,
                    "year": 2023,
                    "revenue": revenue,
                    "main_revenue": main,
                    "rd_spend": rd_int * revenue,
                    "debt_ratio": debt,
                }
            ),
            pd.DataFrame({"firm_id": ids, "year": 2022, "main_revenue": prev_main}),
        ]
    )
    out = ladder.screen(firms, years, year=2023, tiers=["innovative_sme"], keep=["firm_id"])
    got = out.set_index("firm_id").score.reindex(ids).to_numpy()
    expected = [
        _annex1_score(
            rd_int[i],
            main[i] / prev_main[i] - 1,
            debt[i],
            main[i] / revenue[i],
            int(ip[i]),
            bool(emerging[i]),
        )
        for i in range(n)
    ]
    np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------------------------------------
# the ruleset: citations, loader errors


def test_shipped_ruleset_cites_every_rule() -> None:
    assert "miit-2022" in ruleset_names()
    rs = load_ruleset("miit-2022")
    assert [t.id for t in rs.ladder("ladder")] == [
        "innovative_sme",
        "zjtx",
        "little_giant",
        "single_champion",
    ]
    assert [t.id for t in rs.ladder("unicorn")] == ["potential_unicorn", "unicorn"]
    for tier in rs.tiers:
        for node in iter_nodes(tier.requires):
            if node.kind in ("input", "score", "tier") and node.id:
                assert node.source is not None, (tier.id, node.id)
                assert node.verified is not None, (tier.id, node.id)
                if node.verified is False:
                    assert node.reason
    for spec in rs.inputs.values():
        assert spec.derive is None or spec.derive in DERIVED_INPUTS
    ladder._check_registry()  # every derived input has a derivation


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


MINIMAL = """
id: t
name_zh: 测试
name_en: test
sources: {doc: {title: x}}
inputs:
  revenue: {derive: revenue, unit: yuan}
tiers:
  - id: big
    tag: big
    track: ladder
    rank: 1
    name_zh: 大
    name_en: big
    requires:
      {id: rev, input: revenue, op: ">=", value: 1, unit: 亿元, source: {doc: doc}, verified: true}
"""


def test_custom_ruleset_file(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL)
    firms = pd.DataFrame({"firm_id": ["a", "b", "c"]})
    years = pd.DataFrame({"firm_id": ["a", "b"], "year": [2020, 2020], "revenue": [1e8, 9.9e7]})
    out = ladder.screen(firms, years, year=2020, ruleset=path).set_index("firm_id")
    assert out.status.to_dict() == {"a": "eligible", "b": "ineligible", "c": "undetermined"}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("input: revenue, op", "input: turnover, op", "unknown input 'turnover'"),
        ("unit: 亿元", "unit: persons", "is persons"),
        ("verified: true}", "verified: false}", "needs a 'reason'"),
        ("derive: revenue", "derive: revenue_x", "unknown derived input"),
        ("source: {doc: doc}", "source: {doc: nope}", "unknown source 'nope'"),
        ('op: ">="', 'op: "=>"', "requires.op"),
    ],
)
def test_invalid_rulesets_raise_plan_error(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = _write(tmp_path, MINIMAL.replace(old, new))
    with pytest.raises(PlanError, match=message):
        load_ruleset(path)


def test_unknown_ruleset_and_bad_inputs() -> None:
    with pytest.raises(PlanError, match="unknown ruleset"):
        load_ruleset("nope-2030")
    with pytest.raises(AnalysisError, match="firm_id"):
        ladder.screen(
            pd.DataFrame({"x": [1]}), pd.DataFrame({"firm_id": ["a"], "year": [1]}), year=1
        )
    with pytest.raises(PlanError, match="no tier"):
        ladder.screen(
            pd.DataFrame({"firm_id": ["a"]}),
            pd.DataFrame({"firm_id": ["a"], "year": [1]}),
            year=1,
            tiers=["x"],
        )


# ---------------------------------------------------------------------------------------------
# CLI on a small workspace (canonical columns only: optional rule inputs are absent there)

FY_UNITS = {c: "元" for c in ("revenue", "main_revenue", "rd_spend", "equity_raised")}


@pytest.fixture(scope="module")
def workspace(
    tmp_path_factory: pytest.TempPathFactory, frames: tuple[pd.DataFrame, pd.DataFrame]
) -> Path:
    from clusteratlas import open_workspace

    firms, years = frames
    pick = ["base", "uni_at", "pu_young_at", "zjtx_rd_below", "sme_services"]
    f = firms[firms.firm_id.isin(pick)][["firm_id", "region", "industry", "founded", "listed"]]
    regions = {
        "base": "110108",
        "uni_at": "110108",
        "pu_young_at": "120116",
        "zjtx_rd_below": "110105",
        "sme_services": "130102",
    }
    f = f.assign(region=f.firm_id.map(regions))
    y = years[years.firm_id.isin(pick)][
        [
            "firm_id",
            "year",
            "revenue",
            "main_revenue",
            "rd_spend",
            "employees",
            "rd_staff",
            "debt_ratio",
            "net_margin",
            "market_share",
            "equity_raised",
            "valuation_usd",
        ]
    ]
    tags = pd.DataFrame(
        {
            "firm_id": ["uni_at", "base"],
            "year": [2024, 2024],
            "tag": ["unicorn", "zjtx"],
            "source": ["certified", "certified"],
        }
    )
    path = tmp_path_factory.mktemp("ladder") / "ws.duckdb"
    with open_workspace(path) as ws:
        ws.import_frame("firms", f, dataset="firms", source="test_ladder")
        ws.import_frame("firm-years", y, dataset="firm-years", source="test_ladder", units=FY_UNITS)
        ws.import_frame("tags", tags, dataset="tags", source="test_ladder")
    return path


def _cli(args: list[str]) -> Any:
    from typer.testing import CliRunner

    from clusteratlas.cli import app

    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.slow
def test_cli_screen_csv_region_and_tier(workspace: Path) -> None:
    import io

    res = _cli(
        [
            "ladder",
            "-w",
            str(workspace),
            "--region",
            "110000",
            "--tier",
            "unicorn",
            "--tier",
            "innovative_sme",
            "-f",
            "csv",
            "--lang",
            "en",
        ]
    )
    frame = pd.read_csv(io.StringIO(res.stdout))
    assert set(frame.firm_id) == {"base", "uni_at", "zjtx_rd_below"}  # Beijing only
    assert set(frame.tier) == {"unicorn", "innovative_sme"}
    assert set(frame.year) == {2023}
    uni = frame[(frame.firm_id == "uni_at") & (frame.tier == "unicorn")].iloc[0]
    assert uni.status == "eligible" and uni["name"] == "unicorn"
    # without the optional inputs (no IP level, no R&D institution) the score is an interval
    base = frame[(frame.firm_id == "base") & (frame.tier == "innovative_sme")].iloc[0]
    assert np.isnan(base.score) and base.score_low == 75.0 and base.score_high == 100.0


@pytest.mark.slow
def test_cli_json_gaps_pipeline_compare(workspace: Path) -> None:
    import json

    rows = json.loads(
        _cli(["ladder", "-w", str(workspace), "-f", "json", "--status", "eligible"]).stdout
    )
    assert rows and all(r["status"] == "eligible" for r in rows)
    assert isinstance(rows[0]["failed"], list)
    gaps = json.loads(_cli(["ladder", "-w", str(workspace), "--view", "gaps", "-f", "json"]).stdout)
    # without the optional inputs the R&D share of 4.99995% scores 15 and the unknown IP
    # level leaves the 创新能力 sub-minimum (20) undecided: 创新型 is the next tier
    rd = [g for g in gaps if g["firm_id"] == "zjtx_rd_below"]
    assert {g["next_tier"] for g in rd} == {"innovative_sme"}
    assert {g["next_status"] for g in rd} == {"undetermined"}
    assert "ip_level" in rd[0]["missing"]
    pipe = json.loads(
        _cli(["ladder", "-w", str(workspace), "--view", "pipeline", "-f", "json"]).stdout
    )
    assert {p["year"] for p in pipe} == {2021, 2022, 2023}
    assert all(p["firms"] == 5 for p in pipe)
    comp = json.loads(
        _cli(["ladder", "-w", str(workspace), "--view", "compare", "-f", "json"]).stdout
    )
    uni = next(c for c in comp if c["tier"] == "unicorn")
    assert (uni["tp"], uni["fp"], uni["fn"]) == (1, 0, 0)


def test_compare_defaults_to_the_latest_year_with_a_certified_list(workspace: Path) -> None:
    from clusteratlas import api

    # regression: data up to 2023 and lists up to 2024 — offset 2 used to compare 2023 data
    # with a 2025 list that does not exist (every count 0)
    frame = api.ladder(workspace, view="compare", year_offset=2)
    assert set(frame["year"]) == {2022}
    assert frame.set_index("tier").loc["unicorn", "certified"] == 1
    assert set(api.ladder(workspace, view="compare")["year"]) == {2023}  # offset 1: the 2024 list
    assert set(api.ladder(workspace, view="compare", year=2021)["year"]) == {2021}  # as asked


@pytest.mark.slow
def test_cli_table_and_errors(workspace: Path) -> None:
    from typer.testing import CliRunner

    from clusteratlas.cli import app

    res = _cli(["ladder", "-w", str(workspace), "--tier", "zjtx"])
    assert "企业梯度筛查" in res.stdout
    bad = CliRunner().invoke(app, ["ladder", "-w", str(workspace), "--tier", "nope"])
    assert bad.exit_code != 0
    # PlanError (exit code 2), printed by the error boundary or raised, depending on the runner
    assert bad.exit_code == 2
    text = " ".join((bad.output + str(bad.exception)).split())  # rich wraps lines
    assert "has no tier 'nope'" in text
