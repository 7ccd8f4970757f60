"""Unit and property tests of the cluster monitor (``clusteratlas.analysis.clusters``).

Published worked examples live in ``tests/crosscheck/test_clusters_*.py``; here each rule is
checked against an independent numpy/pandas computation or a hand-built case, plus
hypothesis properties (shift-share adds up, a mirror region has LQ 1, HHI in [1/n, 1],
pandas and Ibis inputs agree).
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusteratlas.analysis.clusters import (
    cagr,
    cluster_sizes,
    growth,
    herfindahl,
    levels,
    location_quotient,
    monitor,
    shift_share,
    stars,
    strong_clusters,
)
from clusteratlas.errors import AnalysisError, ClusterAtlasError

LEVELS = [("trillion", 1e12), ("hundred_billion", 1e11)]
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- strong clusters


def _strong_table() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    rows = []
    for ind in ["auto", "pharma"]:
        for r in range(13):
            emp = 0 if r in (3, 9) else int(rng.integers(50, 5000))
            rows.append(
                {
                    "region": f"r{r:02d}",
                    "cluster": ind,
                    "emp": emp,
                    "est": 0 if emp == 0 else int(rng.integers(1, 80)),
                    "lq": 0.0 if emp == 0 else float(rng.lognormal(0.0, 0.7)),
                }
            )
    return pd.DataFrame(rows)


def test_strong_clusters_match_numpy_percentile_rules() -> None:
    df = _strong_table()
    out = strong_clusters(
        df, region="region", industry="cluster", employment="emp", establishments="est", lq="lq"
    )
    assert list(out.region) == list(df.region)  # same rows, same order
    for ind, grp in df.groupby("cluster"):
        pos = grp[grp.emp > 0]
        q25, q50, q75, q90 = np.percentile(pos.lq, [25, 50, 75, 90])  # linear (type 7)
        size_ok = (grp.emp > np.percentile(pos.emp, 25)) & (grp.est > np.percentile(pos.est, 25))
        got = out[out.cluster == ind]
        np.testing.assert_array_equal(got.strong, (grp.lq >= q75) & (grp.lq >= 1) & size_ok)
        np.testing.assert_array_equal(got.strong10, (grp.lq >= q90) & (grp.lq >= 1) & size_ok)
        np.testing.assert_array_equal(got.significant, (grp.lq > q50) & size_ok)
        np.testing.assert_array_equal(got.qualifying, (grp.lq > q25) & size_ok)
    assert out.strong.any() and not out.strong.all()
    assert out.strong.dtype == bool


def test_strong_clusters_use_linear_interpolation_not_nearest() -> None:
    # 5 regions, LQ 1..5 → Q75 (type 7) = 4.0; Q90 = 4.6 (nearest-rank would give 5)
    df = pd.DataFrame(
        {
            "region": list("abcde"),
            "cluster": "x",
            "emp": [10, 20, 30, 40, 50],
            "est": [5, 5, 5, 5, 5],
            "lq": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    df.loc[:, "est"] = [1, 2, 3, 4, 5]
    out = strong_clusters(
        df, region="region", industry="cluster", employment="emp", establishments="est", lq="lq"
    )
    # Q25(emp) = 20, Q25(est) = 2 → only d and e pass size; d: 4 ≥ Q75 = 4 → strong
    assert list(out.strong) == [False, False, False, True, True]
    assert list(out.strong10) == [False, False, False, False, True]


# --------------------------------------------------------------------------- LQ


def test_location_quotient_group_and_errors() -> None:
    df = pd.DataFrame(
        {
            "region": ["a", "a", "a", "b", "b", "b"],
            "ind": ["t1", "t2", "l1"] * 2,
            "kind": ["traded", "traded", "local"] * 2,
            "emp": [30.0, 10.0, 60.0, 10.0, 30.0, 20.0],
        }
    )
    out = location_quotient(df, region="region", industry="ind", value="emp", group="kind")
    # a/t1: (30/40) / (40/80) = 1.5 ; a/l1: (60/60) / (80/80) = 1
    assert out.lq.iloc[0] == pytest.approx(1.5)
    assert out.lq.iloc[2] == pytest.approx(1.0)
    with pytest.raises(AnalysisError, match="missing column"):
        location_quotient(df, region="region", industry="nope", value="emp")
    assert issubclass(AnalysisError, ClusterAtlasError)


region_values = st.lists(st.integers(min_value=1, max_value=10_000), min_size=2, max_size=6).map(
    lambda xs: [float(x) for x in xs]
)


@FAST
@given(nation=region_values, scale=st.floats(0.01, 0.9), others=st.data())
def test_lq_of_region_mirroring_the_nation_is_one(
    nation: list[float], scale: float, others: st.DataObject
) -> None:
    k = len(nation)
    rest = others.draw(st.lists(st.floats(0.0, 1e4), min_size=k, max_size=k))
    inds = [f"i{i}" for i in range(k)]
    data = pd.DataFrame(
        {
            "region": ["mirror"] * k + ["rest"] * k,
            "industry": inds * 2,
            "v": [x * scale for x in nation] + rest,
        }
    )
    national = pd.DataFrame({"industry": inds, "v": nation})
    out = location_quotient(
        data, region="region", industry="industry", value="v", national=national
    )
    np.testing.assert_allclose(out.lq.iloc[:k], 1.0, rtol=1e-9)
    # and a table of one region alone is its own nation
    alone = location_quotient(data.iloc[:k], region="region", industry="industry", value="v")
    np.testing.assert_allclose(alone.lq, 1.0, rtol=1e-9)


tables = st.lists(
    st.tuples(
        st.sampled_from(["r1", "r2", "r3", "r4"]),
        st.sampled_from(["a", "b", "c"]),
        st.integers(0, 1000),
        st.integers(0, 1000),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda t: (t[0], t[1]),
)


@FAST
@given(rows=tables)
def test_shift_share_components_sum_to_actual(rows: list[tuple[str, str, int, int]]) -> None:
    start = pd.DataFrame([(r, i, v0) for r, i, v0, _ in rows], columns=["r", "i", "v"])
    end = pd.DataFrame([(r, i, v1) for r, i, _, v1 in rows], columns=["r", "i", "v"])
    out = shift_share(start, end, region="r", industry="i", value="v")
    total = out.national + out.industry_mix + out.regional
    np.testing.assert_allclose(total, out.actual, atol=1e-6 * (1 + out.actual.abs().max()))
    np.testing.assert_allclose(out.actual, out.end - out.start)
    # summed over regions, the regional shifts of an industry cancel (national = sum of regions)
    # wherever g_i is defined; an industry with no national start has all change as regional
    started = out.groupby("i").start.transform("sum") > 0
    by_ind = out[started].groupby("i").regional.sum()
    np.testing.assert_allclose(by_ind, 0.0, atol=1e-6 * (1 + out.end.abs().sum()))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=tables)
def test_pandas_and_ibis_inputs_agree(rows: list[tuple[str, str, int, int]]) -> None:
    df = pd.DataFrame(rows, columns=["r", "i", "v0", "v1"])
    lq_pd = location_quotient(df, region="r", industry="i", value="v0")
    lq_ib = location_quotient(ibis.memtable(df), region="r", industry="i", value="v0", lazy=True)
    assert not isinstance(lq_ib, pd.DataFrame)
    lq_ib_df = lq_ib.to_pandas().sort_values(["r", "i"]).reset_index(drop=True)
    lq_pd_sorted = lq_pd.sort_values(["r", "i"]).reset_index(drop=True)
    pd.testing.assert_series_equal(lq_pd_sorted.lq, lq_ib_df.lq)
    s = df.rename(columns={"v0": "v"})[["r", "i", "v"]]
    e = df.rename(columns={"v1": "v"})[["r", "i", "v"]]
    ss_pd = shift_share(s, e, region="r", industry="i", value="v").sort_values(["r", "i"])
    ss_ib = shift_share(
        ibis.memtable(s), ibis.memtable(e), region="r", industry="i", value="v"
    ).sort_values(["r", "i"])
    pd.testing.assert_frame_equal(ss_pd.reset_index(drop=True), ss_ib.reset_index(drop=True))


# --------------------------------------------------------------------------- HHI


@FAST
@given(values=st.lists(st.floats(0.01, 1e6), min_size=1, max_size=30))
def test_hhi_between_one_over_n_and_one(values: list[float]) -> None:
    df = pd.DataFrame({"g": "x", "f": range(len(values)), "v": values})
    out = herfindahl(df, group="g", firm="f", value="v")
    n = len(values)
    hhi = float(out.hhi.iloc[0])
    assert 1.0 / n - 1e-12 <= hhi <= 1.0 + 1e-12
    shares = np.asarray(values) / np.sum(values)
    assert hhi == pytest.approx(float(np.sum(shares**2)))
    assert int(out.n_firms.iloc[0]) == n


def test_hhi_sums_a_firms_rows_within_group() -> None:
    df = pd.DataFrame({"g": ["a"] * 3, "f": [1, 1, 2], "v": [1.0, 2.0, 1.0]})
    out = herfindahl(df, group="g", firm="f", value="v")
    assert out.hhi.iloc[0] == pytest.approx(0.75**2 + 0.25**2)


# --------------------------------------------------------------------------- levels, growth, cagr


def test_levels_in_yuan() -> None:
    df = pd.DataFrame({"revenue": [2.1e12, 1e12, 9.99e11, 1e11, 5e10, None]})
    out = levels(df, value="revenue", thresholds=LEVELS)
    assert list(out.level[:5]) == [
        "trillion",
        "trillion",
        "hundred_billion",
        "hundred_billion",
        "below",
    ]
    assert pd.isna(out.level.iloc[5])

    class Level:  # duck-typed like the plan's Level (id, threshold in yuan)
        def __init__(self, id: str, threshold: float) -> None:
            self.id, self.threshold = id, threshold

    out2 = levels(
        df, value="revenue", thresholds=[Level("hundred_billion", 1e11), Level("trillion", 1e12)]
    )
    pd.testing.assert_series_equal(out.level, out2.level)
    with pytest.raises(AnalysisError):
        levels(df, value="revenue", thresholds=[])


def test_growth_yoy_and_gaps() -> None:
    df = pd.DataFrame(
        {
            "c": ["a", "a", "a", "a", "b"],
            "year": [2020, 2021, 2022, 2024, 2021],
            "v": [100.0, 110.0, 99.0, 120.0, 5.0],
        }
    )
    out = growth(df.iloc[[3, 1, 0, 2, 4]], by=["c"], year="year", value="v")
    assert list(out.year) == [2024, 2021, 2020, 2022, 2021]  # input order kept
    got = dict(zip(zip(out.c, out.year, strict=True), out.v_yoy, strict=True))
    assert got[("a", 2021)] == pytest.approx(0.10)
    assert got[("a", 2022)] == pytest.approx(-0.10)
    assert pd.isna(got[("a", 2020)]) and pd.isna(got[("a", 2024)]) and pd.isna(got[("b", 2021)])


def test_cagr_hand_computed() -> None:
    df = pd.DataFrame(
        {
            "c": ["a", "a", "a", "b"],
            "year": [2020, 2022, 2025, 2020],
            "v": [100.0, 150.0, 200.0, 5.0],
        }
    )
    out = cagr(df, by=["c"], year="year", value="v", start=2020, end=2025).set_index("c")
    assert out.loc["a", "cagr"] == pytest.approx(2 ** (1 / 5) - 1)  # 14.87 %/year
    assert pd.isna(out.loc["b", "cagr"])
    with pytest.raises(AnalysisError):
        cagr(df, by=["c"], year="year", value="v", start=2025, end=2020)


# --------------------------------------------------------------------------- stars


def test_stars_rules_by_hand() -> None:
    # 10 regions × 2 clusters; cluster x has one big region (r0), cluster y is spread evenly
    emp_x = [1000.0] + [10.0] * 9
    emp_y = [100.0] * 10
    df = pd.DataFrame(
        {
            "region": [f"r{i}" for i in range(10)] * 2,
            "cluster": ["x"] * 10 + ["y"] * 10,
            "emp": emp_x + emp_y,
        }
    )
    out = stars(df, region="region", cluster="cluster", employment="emp")
    x = out[out.cluster == "x"].set_index("region")
    # size: Q90 of x's employment (type 7) = 10 + 0.1·990 = 109 → only r0
    assert list(x.size_star) == [True] + [False] * 9
    # specialisation: r0 x LQ = (1000/1100)/(1090/2090) = 1.743 < 2 → no star
    assert not x.specialisation_star.any()
    # focus: shares 1000/1100 = .909 (r0, x), 10/110 (others, x), 100/1100 (r0, y), 100/110 …
    focus_q90 = np.percentile(out.focus, 90)
    np.testing.assert_array_equal(out.focus_star, out.focus >= focus_q90)
    assert x.loc["r0", "stars"] == 2
    # cluster y: all regions equal → all ≥ Q90 of an equal list → size star everywhere
    assert out[out.cluster == "y"].size_star.all()
    # explicit LQ column and the all-rows size rule
    out2 = stars(
        df.assign(lq=[2.5] + [1.0] * 19),
        region="region",
        cluster="cluster",
        employment="emp",
        lq="lq",
        size_within_cluster=False,
    )
    assert out2.specialisation_star.iloc[0] and out2.specialisation_star.sum() == 1
    # Q90 over all 20 rows (type 7): position 17.1 of the sorted values → 100; 11 rows reach it
    assert np.percentile(df.emp, 90) == pytest.approx(100.0)
    np.testing.assert_array_equal(out2.size_star, df.emp >= 100.0)
    assert out2.size_star.sum() == 11


# --------------------------------------------------------------------------- monitor


def _panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    firms = 60
    years = [2021, 2022, 2023]
    fy = pd.DataFrame(
        {
            "firm_id": np.repeat(np.arange(firms), len(years)),
            "year": np.tile(years, firms),
        }
    )
    fy["region"] = np.where(
        fy.firm_id % 3 == 0, "110101", np.where(fy.firm_id % 3 == 1, "110108", "120000")
    )
    fy["revenue"] = rng.uniform(1e9, 6e10, len(fy))
    fy["value_added"] = fy.revenue * rng.uniform(0.2, 0.4, len(fy))
    fy["employees"] = rng.integers(10, 5000, len(fy)).astype(float)
    main = fy.assign(
        cluster=np.where(fy.firm_id % 4 == 0, None, np.where(fy.firm_id % 2 == 0, "ai", "bio"))
    )
    second = fy[fy.firm_id % 5 == 0].assign(cluster="ic")  # multi-cluster firms repeat
    panel = pd.concat([main, second], ignore_index=True)
    gdp = pd.DataFrame(
        {"region": ["110101", "110108", "120000"] * 3, "year": np.repeat(years, 3), "gdp": 5e11}
    )
    return panel, gdp


def _monitor_in_pandas(panel: pd.DataFrame, gdp: pd.DataFrame) -> pd.DataFrame:
    """Independent pandas version of the monitor, written from the docstring's definitions."""
    keys = ["cluster", "region", "year"]
    clustered = panel.dropna(subset=["cluster"])
    out = clustered.groupby(keys, as_index=False).agg(
        revenue=("revenue", "sum"),
        value_added=("value_added", "sum"),
        employees=("employees", "sum"),
        firms=("firm_id", "count"),
    )
    firm_years = panel.drop_duplicates(["firm_id", "year"])
    e_r = firm_years.groupby(["region", "year"]).employees.sum().rename("e_r")
    e_c = out.groupby(["cluster", "year"]).employees.sum().rename("e_c")
    e = e_r.groupby("year").sum().rename("e")
    out = out.join(e_r, on=["region", "year"]).join(e_c, on=["cluster", "year"]).join(e, on="year")
    out["lq"] = (out.employees / out.e_r) / (out.e_c / out.e)
    out = out.merge(gdp, on=["region", "year"], how="left")
    out["share_gdp"] = out.value_added / out.gdp
    out = out.sort_values(keys).reset_index(drop=True)
    for m in ["revenue", "value_added", "employees", "firms"]:
        prev = out.groupby(["cluster", "region"])[m].shift(1)
        prev_year = out.groupby(["cluster", "region"]).year.shift(1)
        out[f"{m}_yoy"] = np.where(prev_year == out.year - 1, out[m] / prev - 1, np.nan)
    out["level"] = np.select(
        [out.revenue >= 1e12, out.revenue >= 1e11], ["trillion", "hundred_billion"], "below"
    )
    return out


def test_monitor_matches_independent_pandas_version() -> None:
    panel, gdp = _panel()
    got = monitor(panel, levels=LEVELS, gdp=gdp)
    exp = _monitor_in_pandas(panel, gdp)
    assert list(got.columns) == [
        "cluster",
        "region",
        "year",
        "revenue",
        "value_added",
        "employees",
        "firms",
        "level",
        "share_gdp",
        "revenue_yoy",
        "value_added_yoy",
        "employees_yoy",
        "firms_yoy",
        "lq",
    ]
    assert len(got) == len(exp) == 3 * 3 * 3  # 3 clusters × 3 regions × 3 years
    for col in [
        "revenue",
        "value_added",
        "employees",
        "share_gdp",
        "lq",
        "revenue_yoy",
        "employees_yoy",
        "firms_yoy",
    ]:
        np.testing.assert_allclose(got[col].to_numpy(float), exp[col].to_numpy(float), rtol=1e-9)
    np.testing.assert_array_equal(got.firms.to_numpy(), exp.firms.to_numpy())
    assert list(got.level) == list(exp.level)
    assert set(got.level) >= {"hundred_billion"}
    # unclassified firms are not a cluster row but do count in the region totals
    assert got.cluster.notna().all()
    assert (got.share_gdp > 0).all() and (got.share_gdp < 1).all()  # a fraction of GDP


def test_monitor_ibis_in_pandas_or_lazy_out_and_national() -> None:
    panel, _ = _panel()
    eager = monitor(panel, levels=LEVELS)
    pd.testing.assert_frame_equal(monitor(ibis.memtable(panel), levels=LEVELS), eager)
    lazy = monitor(ibis.memtable(panel), levels=LEVELS, lazy=True)
    assert not isinstance(lazy, pd.DataFrame)
    pd.testing.assert_frame_equal(lazy.to_pandas(), eager)
    # with national totals: LQ = (e_rc / e_r) / (E_c / E) from the given national figures
    national = pd.DataFrame(
        {
            "cluster": ["ai", "bio", "ic"] * 3,
            "year": np.repeat([2021, 2022, 2023], 3),
            "employees": [1e6, 2e6, 5e5] * 3,
        }
    )
    national_total = pd.DataFrame({"year": [2021, 2022, 2023], "employees": [1e7] * 3})
    got = monitor(panel, levels=LEVELS, national=national, national_total=national_total)
    fy = panel.drop_duplicates(["firm_id", "year"])
    e_r = fy.groupby(["region", "year"]).employees.sum()
    row = got.iloc[0]
    expect = (row.employees / e_r[(row.region, row.year)]) / (
        {"ai": 1e6, "bio": 2e6, "ic": 5e5}[row.cluster] / 1e7
    )
    assert row.lq == pytest.approx(expect)
    with pytest.raises(AnalysisError, match="both"):
        monitor(panel, levels=LEVELS, national=national)
    with pytest.raises(AnalysisError, match="lq_measure"):
        monitor(panel, levels=LEVELS, measures=("revenue",))


def test_cluster_sizes_counts_firms_and_keeps_units() -> None:
    panel, _ = _panel()
    out = cluster_sizes(panel).set_index(["cluster", "region", "year"]).sort_index()
    sub = panel[(panel.cluster == "ic") & (panel.region == "110101") & (panel.year == 2022)]
    assert out.loc[("ic", "110101", 2022), "firms"] == len(sub)
    assert out.loc[("ic", "110101", 2022), "revenue"] == pytest.approx(sub.revenue.sum())
