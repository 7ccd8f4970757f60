"""Target tracker: formulas against published worked examples, closed forms and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from clusteratlas.analysis import targets as T
from clusteratlas.errors import AnalysisError
from clusteratlas.model.plan import load_plan
from clusteratlas.refdata import beijing_facts

# 医药健康 industry scale, yuan (facts.csv rows 65–68)
MEDICINE = pd.Series({2014: 4028e8, 2018: 6560e8, 2022: 8916e8, 2023: 9761e8})
# digital economy share of GDP (facts.csv rows 10–13)
DIGITAL = pd.Series({2015: 0.352, 2021: 0.404, 2022: 0.416, 2023: 0.429})


@pytest.fixture(scope="module")
def plan():  # type: ignore[no-untyped-def]
    return load_plan()


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    return beijing_facts()


# ----------------------------------------------------------------- published worked examples


def test_cagr_matches_published_medicine_2018_2022() -> None:
    # '从6560亿元增长到8916亿元,年均增速7.9%' (facts.csv row 66): exact (8916/6560)^(1/4)−1 =
    # 7.97 %; the article truncates to 7.9 %.
    rate = T.cagr(6560e8, 8916e8, 4)
    assert rate == pytest.approx(0.0797, abs=5e-5)
    assert math.floor(rate * 1000) / 1000 == pytest.approx(0.079)


def test_growth_matches_published_medicine_2022_2023() -> None:
    # '较2022年8916亿元增长9.48%' (facts.csv row 68)
    assert T.cagr(8916e8, 9761e8, 1) == pytest.approx(0.0948, abs=5e-5)


def test_required_cagr_closed_form() -> None:
    # 9761亿 (2023) → 1.25万亿 (2026): (12500/9761)^(1/3) − 1 = 8.594 %
    assert T.required_cagr(9761e8, 2023, 12500e8, 2026) == pytest.approx(0.08594, abs=1e-5)
    assert math.isnan(T.required_cagr(1.0, 2025, 2.0, 2025))
    assert T.required_cagr(2.0, 2020, 1.0, 2021) == pytest.approx(-0.5)


def test_trend_matches_numpy_polyfit() -> None:
    trend = T.fit_trend(MEDICINE)
    slope, intercept = np.polyfit(MEDICINE.index.to_numpy(float), np.log(MEDICINE.to_numpy()), 1)
    assert trend.slope == pytest.approx(slope, rel=1e-10)
    assert trend.intercept == pytest.approx(intercept, rel=1e-10)
    proj = T.project(MEDICINE, to_year=2026, anchor="trend", n_sim=200)
    assert proj.value == pytest.approx(math.exp(np.polyval([slope, intercept], 2026)), rel=1e-10)


def test_logit_trend_matches_polyfit_on_logit_shares() -> None:
    trend = T.fit_trend(DIGITAL, transform="logit")
    z = np.log(DIGITAL / (1 - DIGITAL)).to_numpy()
    slope, _ = np.polyfit(DIGITAL.index.to_numpy(float), z, 1)
    assert trend.slope == pytest.approx(slope, rel=1e-10)
    proj = T.project(DIGITAL, to_year=2040, transform="logit", n_sim=500)
    assert 0 < proj.p10 <= proj.p90 < 1


def test_two_point_projection_equals_compound_growth() -> None:
    # with two points the OLS slope is the log CAGR between them: 6560·(6560/4028)^(4/4)
    proj = T.project(MEDICINE.loc[:2018], to_year=2022, n_sim=100)
    assert proj.value == pytest.approx(6560e8 * (6560 / 4028), rel=1e-10)


def test_monte_carlo_matches_closed_form_normal() -> None:
    # Under the model z_T ~ N(z0 + b·h, se_b²·h² + σ²·h): compare simulated P(meet) with Φ.
    trend = T.fit_trend(MEDICINE)
    h = 3
    target = 12500e8
    mean = math.log(MEDICINE.iloc[-1]) + trend.slope * h
    sd = math.sqrt(trend.se_slope**2 * h**2 + trend.sigma**2 * h)
    exact = 1 - stats.norm.cdf((math.log(target) - mean) / sd)
    proj = T.project(MEDICINE, to_year=2026, n_sim=40_000, seed=3)
    assert proj.probability(">=", target) == pytest.approx(exact, abs=0.01)
    assert math.log(proj.p90 / proj.p10) == pytest.approx(2 * 1.2815515 * sd, rel=0.03)


def test_volatility_estimate_and_floor() -> None:
    trend = T.fit_trend(MEDICINE)
    d = np.diff(MEDICINE.index.to_numpy(float))
    dz = np.diff(np.log(MEDICINE.to_numpy()))
    by_hand = math.sqrt(((dz - trend.slope * d) ** 2 / d).sum() / (len(d) - 1))
    assert trend.sigma_hat == pytest.approx(by_hand)
    assert trend.sigma == max(by_hand, T.MIN_VOLATILITY)
    two = T.fit_trend(MEDICINE.loc[:2018])
    assert math.isnan(two.sigma_hat) and two.sigma == T.MIN_VOLATILITY


def test_crossing_year_of_exact_exponential() -> None:
    # 100 growing exactly 10 %/year crosses 1000 after ln 10 / ln 1.1 = 24.2 years → year 2000+25
    series = pd.Series({1995 + k: 100 * 1.1**k for k in range(6)})
    crossing = T.crossing_year(series, 1000 * 1.1**5, n_sim=200, min_volatility=1e-9)
    assert crossing.year == crossing.p10 == crossing.p90 == 2000 + 25
    assert not crossing.already and crossing.p_within == 1.0
    already = T.crossing_year(series, 120)
    assert already.already and already.year == 1997


def test_crossing_interval_is_ordered_and_seeded() -> None:
    a = T.crossing_year(MEDICINE.loc[:2018], 1e12, seed=1)
    b = T.crossing_year(MEDICINE.loc[:2018], 1e12, seed=1)
    assert a == b
    assert a.p10 is not None and a.year is not None and a.p10 <= a.year
    assert a.p90 is None or a.year <= a.p90


def test_backtest_medicine_from_2018() -> None:
    result = T.backtest(MEDICINE, fit_until=2018)
    assert list(result["year"]) == [2022, 2023]
    # independent: 6560·(6560/4028)^1 vs 8916 → +19.8 %
    assert result.loc[0, "error"] == pytest.approx(6560 * 6560 / 4028 / 8916 - 1, rel=1e-9)
    assert (result["p10"] <= result["projected"]).all()
    assert T.backtest(MEDICINE, fit_until=2023).empty


# ----------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(
    start=st.floats(1.0, 1e6),
    growth=st.floats(-0.2, 0.4),
    noise=st.lists(st.floats(-0.1, 0.1), min_size=3, max_size=3),
    a=st.floats(0.2, 5.0),
    b=st.floats(0.2, 5.0),
)
def test_probability_monotone_in_target(
    start: float, growth: float, noise: list[float], a: float, b: float
) -> None:
    years = [2018, 2020, 2021, 2023]
    values = [
        start * math.exp(growth * (y - 2018) + e) for y, e in zip(years, [0.0, *noise], strict=True)
    ]
    proj = T.project(pd.Series(values, index=years), to_year=2027, n_sim=300, seed=0)
    lo, hi = sorted((a * values[-1], b * values[-1]))
    p_lo, p_hi = proj.probability(">=", lo), proj.probability(">=", hi)
    assert 0 <= p_hi <= p_lo <= 1
    assert proj.probability("<=", lo) <= proj.probability("<=", hi)
    between = proj.probability("between", low=lo, high=hi)
    assert between <= min(p_lo, proj.probability("<=", hi)) + 1e-12


@settings(max_examples=40, deadline=None)
@given(latest=st.floats(0.01, 1e13), factor=st.floats(0.01, 1.0), bound=st.sampled_from("=>"))
def test_value_at_or_above_target_is_met(latest: float, factor: float, bound: str) -> None:
    assert T.satisfied(">=", latest, bound, target=latest * factor)


def test_bounds_are_honest() -> None:
    # '>3万亿' actual vs a 2.5万亿 target: met; vs a 3.5万亿 target: not (yet) known → not met
    assert T.satisfied(">=", 3e12, ">", target=2.5e12)
    assert T.satisfied(">=", 3e12, ">", target=3e12)
    assert not T.satisfied(">=", 3e12, ">", target=3.5e12)
    # an upper bound never proves a '>=' target, and a lower bound never proves '<='
    assert not T.satisfied(">=", 3e12, "<", target=2e12)
    assert not T.satisfied("<=", 1.0, ">", target=2.0)
    assert T.satisfied("<=", 1.0, "<", target=1.0)
    # ranges: the whole actual range must satisfy
    assert T.satisfied("between", 4.5, "range", low=4, high=5, actual_low=4, actual_high=5)
    assert not T.satisfied("between", 4.5, "range", low=4, high=5, actual_low=3, actual_high=5)
    assert T.satisfied("between", 4, "=", low=4, high=5)
    assert not T.satisfied("between", 6, "=", low=4, high=5)


def test_status_thresholds() -> None:
    assert T.status_for(0.7) == "on track"
    assert T.status_for(0.69) == "at risk"
    assert T.status_for(0.3) == "at risk"
    assert T.status_for(0.29) == "off track"


# ----------------------------------------------------------------- track on the real facts


def test_track_on_real_facts(plan, facts) -> None:  # type: ignore[no-untyped-def]
    actuals = T.assemble_actuals(plan, observations=facts)
    result = T.track(plan, actuals, n_sim=1000)
    assert list(result.columns) == T.TRACK_COLUMNS
    assert len(result) == len(plan.targets)
    by = result.set_index("target_id")
    # 30.1 % (2021) ≥ 30 %: met
    assert by.loc["high_end_share_2025", "status"] == "met"
    # '>3万亿' (2023, lower bound) ≥ 2.5万亿: met, and the bound is reported
    assert by.loc["ngit_revenue_2025", "status"] == "met"
    assert by.loc["ngit_revenue_2025", "latest_bound"] == ">"
    # 3 trillion-yuan clusters in 2025, target 4–5 by 2025: missed
    assert by.loc["trillion_clusters_2025", "status"] == "missed"
    assert by.loc["trillion_clusters_2025", "gap"] == 1
    # 42.9 % (2023) vs > 60 % by 2025: off track
    assert by.loc["digital_economy_share_2025", "status"] == "off track"
    # '>1万亿' (2024, facts_official.csv row 199: "surpassed a trillion yuan for the first
    # time") vs 1万亿 by 2025: met; as of 2023 (9761亿, ~10 %/yr trend) it was on track
    assert by.loc["medicine_health_revenue_2025", "status"] == "met"
    assert by.loc["medicine_health_revenue_2025", "latest_bound"] == ">"
    as_of_2023 = T.track(plan, T.assemble_actuals(plan, observations=facts), as_of=2023, n_sim=500)
    medicine = as_of_2023.set_index("target_id").loc["medicine_health_revenue_2025"]
    assert medicine["status"] == "on track"
    assert medicine["required_cagr"] == pytest.approx((1e12 / 9761e8) ** 0.5 - 1)
    # single observation: no trend
    assert by.loc["ic_revenue_2025", "status"] == "insufficient data"
    # monitor-based targets have no actual without firm data
    assert by.loc["pharma_manufacturing_revenue_2025", "status"] == "no data"
    assert by.loc["unicorns", "status"] == "tracked"
    assert set(result["status"]) <= set(T.STATUSES)
    assert "facts_official.csv row 199" in by.loc["medicine_health_revenue_2025", "actual_source"]


def test_track_as_of_and_seed(plan, facts) -> None:  # type: ignore[no-untyped-def]
    actuals = T.assemble_actuals(plan, observations=facts)
    early = T.track(plan, actuals, as_of=2021, n_sim=500).set_index("target_id")
    assert early.loc["medicine_health_revenue_2025", "latest_year"] == 2018
    assert early.loc["trillion_clusters_2025", "status"] == "insufficient data"
    again = T.track(plan, actuals, as_of=2021, n_sim=500).set_index("target_id")
    pd.testing.assert_frame_equal(early, again)


def test_monitor_actuals_give_cluster_sizes_and_counts(plan) -> None:  # type: ignore[no-untyped-def]
    monitor = pd.DataFrame(
        {
            "cluster": [
                "ngit",
                "ngit",
                "software_info_services",
                "medicine_health",
                "pharma_manufacturing",
                "pharma_manufacturing",
                "high_end",
            ],
            "region": ["110000"] * 7,
            "year": [2022, 2023, 2023, 2023, 2022, 2023, 2023],
            "revenue": [9e11, 1.1e12, 1.05e12, 2e11, 3e11, 3.3e11, 3e12],
            "level": [
                "hundred_billion",
                "trillion",
                "trillion",
                "hundred_billion",
                "hundred_billion",
                "hundred_billion",
                "trillion",
            ],
        }
    )
    actuals = T.monitor_actuals(monitor, plan, measures=["revenue"])
    count = actuals[actuals["indicator"] == "cluster_count:trillion"].set_index("year")["value"]
    # only top-level, non-aggregate clusters count: ngit in 2023 (not its child, not high_end)
    assert count.to_dict() == {2022: 0.0, 2023: 1.0}
    result = T.track(plan, actuals, n_sim=300).set_index("target_id")
    row = result.loc["pharma_manufacturing_revenue_2025"]
    assert row["latest_value"] == 3.3e11 and bool(row["synthetic"])
    assert row["status"] in {"on track", "at risk", "off track"}


def test_track_rejects_bad_actuals(plan) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AnalysisError, match="lack column"):
        T.track(plan, pd.DataFrame({"indicator": ["x"]}))
    with pytest.raises(AnalysisError, match="at least two"):
        T.fit_trend(pd.Series({2020: 1.0}))
    with pytest.raises(AnalysisError, match="positive"):
        T.fit_trend(pd.Series({2020: 1.0, 2021: 0.0}))
    with pytest.raises(AnalysisError, match="after"):
        T.project(MEDICINE, to_year=2023)


# ----------------------------------------------------------------- backtests on the real series


def test_backtest_digital_share_and_medicine_from_2022() -> None:
    # numbers documented in docs/targets.md (backtest table)
    digital = T.backtest(DIGITAL, fit_until=2021, transform="logit")
    assert digital["error"].abs().max() < 0.02
    assert digital["inside"].all()
    medicine = T.backtest(MEDICINE, fit_until=2022)
    assert medicine.loc[0, "error"] == pytest.approx(0.009, abs=0.002)
    assert bool(medicine.loc[0, "inside"])


def test_backtest_trillion_cluster_count_2020_to_2025(facts) -> None:  # type: ignore[no-untyped-def]
    # As of 2020: 2 trillion-yuan clusters (facts.csv row 99) plus the chance that 医药健康
    # (6560亿 in 2018, the only other cluster with a real series then) crosses 1万亿 by 2025.
    # Published outcome for 2025: 3 clusters, 医药健康 among them (facts.csv row 100).
    obs = T.observation_actuals(facts, "110000")
    med = obs[obs["indicator"] == "medicine_health_industry_scale"]
    sizes = pd.DataFrame({"cluster": "medicine_health", "year": med["year"], "value": med["value"]})
    probs = T.crossing_probabilities(sizes, 1e12, by_year=2025, fit_until=2020)
    count_2020 = obs[(obs["indicator"] == "trillion_level_cluster_count") & (obs["year"] == 2020)][
        "value"
    ].item()
    expected = count_2020 + probs["probability"].sum()
    actual_2025 = obs[(obs["indicator"] == "trillion_level_cluster_count") & (obs["year"] == 2025)][
        "value"
    ].item()
    assert probs.loc[0, "n_fit"] == 2 and probs.loc[0, "probability"] > 0.9
    assert abs(expected - actual_2025) < 0.1
