"""Tests of clusteratlas.analysis.complexity.

The worked example (3 regions × 3 industries, nested) is solved by hand in
docs/complexity.md ("Worked example"): eigenvalues 1, 1/4, 1/9; k_p ∝ (−2, 1, 4); ECI =
(√1.5, 0, −√1.5); PCI = (−√1.5, √1.5, 3√1.5); proximities 2/3, 1/3, 1/2; densities 4/13,
2/11, 5/11; COG and COI from the same fractions. The cross-check against the Growth Lab's
``ecomplexity`` package is in tests/crosscheck/test_ecomplexity.py.
"""

from __future__ import annotations

import math
import shutil

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from clusteratlas.analysis.complexity import (
    DEFAULT_STRATEGIES,
    OUTPUT_COLUMNS,
    complexity,
    industry_panel,
    opportunities,
    proximity,
)
from clusteratlas.errors import AnalysisError, ClusterAtlasError

SQ = math.sqrt(1.5)


def long_frame(x: np.ndarray, year: int | None = None, prefix: str = "R") -> pd.DataFrame:
    """Long table of the non-zero cells of ``x`` (regions R0.., industries 1000..)."""
    r, i = np.nonzero(x)
    frame = pd.DataFrame(
        {
            "region": [f"{prefix}{k}" for k in r],
            "industry": [str(1000 + k) for k in i],
            "revenue": x[r, i].astype(float),
        }
    )
    if year is not None:
        frame.insert(0, "year", year)
    return frame


def nested_example() -> pd.DataFrame:
    # values 1 where the nested pattern is 1: R0 has A,B,C; R1 has A,B; R2 has A.
    x = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0]], dtype=float)
    frame = long_frame(x)
    frame["industry"] = frame["industry"].map({"1000": "A", "1001": "B", "1002": "C"})
    return frame


def pivot(out: pd.DataFrame, column: str) -> np.ndarray:
    return out.pivot(index="region", columns="industry", values=column).to_numpy(float)


# ----------------------------------------------------------------------------- worked example


def test_worked_example_matches_hand_solution() -> None:
    out = complexity(
        nested_example(), region="region", industry="industry", value="revenue", rca_cutoff=0.5
    )
    assert list(out.columns) == ["region", "industry", "revenue", *OUTPUT_COLUMNS]
    assert len(out) == 9
    # RCA = (x_cp/x_c)/(x_p/x): row totals 3,2,1; column totals 3,2,1; world 6
    np.testing.assert_allclose(
        pivot(out, "rca"), [[2 / 3, 1, 2], [1, 1.5, 0], [2, 0, 0]], rtol=1e-12
    )
    np.testing.assert_array_equal(pivot(out, "m"), [[1, 1, 1], [1, 1, 0], [1, 0, 0]])
    by_region = out.groupby("region").first()
    by_industry = out.groupby("industry").first()
    np.testing.assert_array_equal(by_region["diversity"], [3, 2, 1])
    np.testing.assert_array_equal(by_industry["ubiquity"], [3, 2, 1])
    np.testing.assert_allclose(by_region["eci"], [SQ, 0, -SQ], atol=1e-12)
    np.testing.assert_allclose(by_industry["pci"], [-SQ, SQ, 3 * SQ], atol=1e-12)
    density = pivot(out, "density")
    assert density[2, 1] == pytest.approx(4 / 13)
    assert density[2, 2] == pytest.approx(2 / 11)
    assert density[1, 2] == pytest.approx(5 / 11)
    cog = pivot(out, "cog")
    np.testing.assert_allclose(
        cog,
        np.array([[0, 0, 0], [0, 0, 24 / 11], [0, 222 / 143, 345 / 143]]) / SQ,
        atol=1e-12,
    )
    raw_coi = np.array([0, 260, 148]) / 143
    expected_coi = (raw_coi - raw_coi.mean()) / raw_coi.std()
    np.testing.assert_allclose(by_region["coi"], expected_coi, atol=1e-12)


def test_worked_example_proximity() -> None:
    phi = proximity(
        nested_example(), region="region", industry="industry", value="revenue", rca_cutoff=0.5
    )
    assert list(phi.index) == ["A", "B", "C"] and list(phi.columns) == ["A", "B", "C"]
    assert phi.index.name == "industry"
    expected = np.array([[1, 2 / 3, 1 / 3], [2 / 3, 1, 1 / 2], [1 / 3, 1 / 2, 1]])
    np.testing.assert_allclose(phi.to_numpy(), expected, rtol=1e-12)


def test_worked_example_opportunities() -> None:
    out = opportunities(
        nested_example(),
        region="region",
        industry="industry",
        value="revenue",
        target_region="R2",
        rca_cutoff=0.5,
    )
    assert sorted(out["industry"]) == ["B", "C"]  # R2 only has A
    row = out.set_index("industry")
    assert row.loc["B", "density"] == pytest.approx(4 / 13)
    assert row.loc["B", "distance"] == pytest.approx(9 / 13)
    assert row.loc["C", "pci"] == pytest.approx(3 * SQ)
    assert row.loc["C", "cog"] == pytest.approx(345 / 143 / SQ)
    for name in DEFAULT_STRATEGIES:
        assert {f"score_{name}", f"rank_{name}"} <= set(out.columns)
    # B is nearer (4/13 > 2/11), C is more complex with a larger gain. With two items every
    # z-score is ±1, so a score is ±(w_density − w_pci − w_cog): 0.6−0.15−0.25 > 0 puts B
    # first for low-hanging fruit, 0.25−0.40−0.35 < 0 puts C first for long jumps, and the
    # balanced 0.5−0.25−0.25 = 0 ties them.
    assert row.loc["B", "score_low_hanging_fruit"] == pytest.approx(0.2)
    assert (row.loc["B", "rank_low_hanging_fruit"], row.loc["C", "rank_low_hanging_fruit"]) == (
        1,
        2,
    )
    assert (row.loc["C", "rank_long_jump"], row.loc["B", "rank_long_jump"]) == (1, 2)
    assert row.loc["B", "score_balanced"] == pytest.approx(0, abs=1e-12)
    assert row.loc["C", "score_balanced"] == pytest.approx(0, abs=1e-12)


# ------------------------------------------------------------------------------------ layout


def test_years_computed_separately_and_keys_keep_caller_names() -> None:
    rng = np.random.default_rng(7)
    a = rng.lognormal(0, 1, (12, 9))
    b = rng.lognormal(0, 1, (10, 9)) * (rng.random((10, 9)) < 0.8)
    data = pd.concat([long_frame(a, 2021), long_frame(b, 2022)], ignore_index=True)
    data = data.rename(columns={"region": "city", "industry": "gbt", "year": "yr"})
    both = complexity(data, region="city", industry="gbt", value="revenue", year="yr")
    assert list(both.columns[:4]) == ["yr", "city", "gbt", "revenue"]
    assert both["yr"].dtype == data["yr"].dtype
    for yr in (2021, 2022):
        alone = complexity(data[data.yr == yr], region="city", industry="gbt", value="revenue")
        part = both[both.yr == yr].drop(columns="yr").reset_index(drop=True)
        pd.testing.assert_frame_equal(part, alone, check_exact=False, rtol=1e-9, atol=1e-12)
    assert len(both) == 12 * 9 + 10 * len(set(data[data.yr == 2022].gbt))


def test_duplicates_are_summed_and_ibis_input_equals_pandas() -> None:
    rng = np.random.default_rng(11)
    data = long_frame(rng.lognormal(0, 1, (15, 8)))
    split = data.assign(revenue=data.revenue / 4)
    doubled = pd.concat([split, split, split.assign(revenue=split.revenue * 2)])
    direct = complexity(data, region="region", industry="industry", value="revenue")
    summed = complexity(doubled, region="region", industry="industry", value="revenue")
    pd.testing.assert_frame_equal(direct, summed, rtol=1e-9)
    con = ibis.duckdb.connect()
    table = con.create_table("long", data)
    via_ibis = complexity(table, region="region", industry="industry", value="revenue")
    assert isinstance(via_ibis, pd.DataFrame)
    pd.testing.assert_frame_equal(direct, via_ibis, rtol=1e-12)


def test_null_and_zero_rows_are_ignored() -> None:
    rng = np.random.default_rng(3)
    data = long_frame(rng.lognormal(0, 1, (10, 6)))
    noisy = pd.concat(
        [
            data,
            pd.DataFrame(
                {
                    "region": ["R0", None, "ghost", "R1"],
                    "industry": ["1000", "1001", "9999", None],
                    "revenue": [np.nan, 5.0, 0.0, 7.0],
                }
            ),
        ],
        ignore_index=True,
    )
    out = complexity(noisy, region="region", industry="industry", value="revenue")
    expected = complexity(data, region="region", industry="industry", value="revenue")
    assert "ghost" not in set(out.region) and "9999" not in set(out.industry)
    pd.testing.assert_frame_equal(out, expected, rtol=1e-12)


def test_disconnected_network_warns() -> None:
    # two blocks that share no industry: ECI is not identified
    x = np.zeros((4, 4))
    x[:2, :2] = [[3, 1], [1, 3]]
    x[2:, 2:] = [[3, 1], [1, 3]]
    with pytest.warns(RuntimeWarning, match="disconnected"):
        complexity(long_frame(x), region="region", industry="industry", value="revenue")


# ------------------------------------------------------------------------------------ errors


def test_user_errors_are_analysis_errors() -> None:
    data = nested_example()
    kwargs = {"region": "region", "industry": "industry", "value": "revenue"}
    with pytest.raises(AnalysisError, match="'sales'"):
        complexity(data, region="region", industry="industry", value="sales")
    with pytest.raises(AnalysisError, match="negative"):
        complexity(data.assign(revenue=-data.revenue), **kwargs)
    with pytest.raises(AnalysisError, match="numeric"):
        complexity(data.assign(revenue="x"), **kwargs)
    with pytest.raises(AnalysisError, match="rca_cutoff"):
        complexity(data, rca_cutoff=0, **kwargs)
    with pytest.raises(AnalysisError, match="no positive"):
        complexity(data.assign(revenue=0.0), **kwargs)
    with pytest.raises(AnalysisError, match="pandas DataFrame or an Ibis table"):
        complexity([1, 2], **kwargs)  # type: ignore[arg-type]
    with pytest.raises(AnalysisError, match="'R9'"):
        opportunities(data, target_region="R9", rca_cutoff=0.5, **kwargs)
    with pytest.raises(AnalysisError, match="unknown key"):
        opportunities(data, target_region="R2", weights={"mine": {"distance": 1}}, **kwargs)
    with pytest.raises(AnalysisError, match="non-negative"):
        opportunities(data, target_region="R2", weights={"mine": {"pci": -1}}, **kwargs)
    with pytest.raises(AnalysisError, match="needs the year"):
        opportunities(data, target_region="R2", at_year=2020, **kwargs)
    assert issubclass(AnalysisError, ClusterAtlasError)


# ------------------------------------------------------------------------------ opportunities


def test_opportunities_rows_and_weights() -> None:
    rng = np.random.default_rng(5)
    x = rng.lognormal(0, 1, (30, 20)) * (rng.random((30, 20)) < 0.7)
    data = pd.concat([long_frame(x, 2020), long_frame(x * 2, 2021)], ignore_index=True)
    kwargs = {"region": "region", "industry": "industry", "value": "revenue", "year": "year"}
    full = complexity(data, **kwargs)
    latest = full[(full.year == 2021) & (full.region == "R3")]
    out = opportunities(
        data,
        target_region="R3",
        weights={"near": {"density": 1}, "hard": {"pci": 2}, "gain": {"cog": 5}},
        **kwargs,
    )
    assert set(out.year) == {2021}
    assert set(out.industry) == set(latest[latest.m == 0].industry)
    np.testing.assert_allclose(out.distance, 1 - out.density)
    merged = out.merge(latest, on=["year", "region", "industry"], suffixes=("", "_all"))
    for col in ("density", "pci", "cog", "rca"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_all"])
    # single-criterion strategies rank by that criterion
    for name, col in (("near", "density"), ("hard", "pci"), ("gain", "cog")):
        assert list(out.sort_values(f"rank_{name}")[col]) == sorted(out[col], reverse=True)
    assert list(out["rank_near"]) == sorted(out["rank_near"])  # sorted by first strategy
    earlier = opportunities(data, target_region="R3", at_year=2020, **kwargs)
    assert set(earlier.year) == {2020}


# --------------------------------------------------------------------- hypothesis properties

matrices = arrays(
    np.float64,
    st.tuples(st.integers(3, 9), st.integers(3, 7)),
    elements=st.one_of(st.just(0.0), st.floats(0.01, 1e6, allow_nan=False)),
)
prop = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# random networks may be disconnected or degenerate: the (tested) warnings are expected here
quiet = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def usable(x: np.ndarray) -> bool:
    return bool((x.sum(axis=1) > 0).sum() >= 2 and (x.sum(axis=0) > 0).sum() >= 2)


def run(x: np.ndarray, **kw: object) -> pd.DataFrame:
    return complexity(long_frame(x), region="region", industry="industry", value="revenue", **kw)


@quiet
@prop
@given(matrices, st.floats(0.1, 10))
def test_region_equal_to_the_world_has_rca_one(x: np.ndarray, k: float) -> None:
    assume(usable(x))
    world = x.sum(axis=0) * k
    out = run(np.vstack([x, world]))
    mine = out[out.region == f"R{x.shape[0]}"]
    np.testing.assert_allclose(mine.rca, 1.0, rtol=1e-9)


@quiet
@prop
@given(matrices, st.sampled_from([0.5, 1.0, 1.5]))
def test_diversity_ubiquity_are_sums_of_m(x: np.ndarray, cutoff: float) -> None:
    assume(usable(x))
    out = run(x, rca_cutoff=cutoff)
    assert set(out.m) <= {0, 1}
    assert ((out.rca >= cutoff) == (out.m == 1)).all()
    by_region = out.groupby("region")
    np.testing.assert_array_equal(by_region.m.sum(), by_region.diversity.first())
    by_industry = out.groupby("industry")
    np.testing.assert_array_equal(by_industry.m.sum(), by_industry.ubiquity.first())
    assert out.density.between(0, 1 + 1e-12).all()


@quiet
@prop
@given(matrices, st.integers(-20, 20), st.floats(0.001, 1000))
def test_complexity_is_unit_free(x: np.ndarray, power: int, factor: float) -> None:
    assume(usable(x))
    base = run(x)
    # a power of two scales exactly: identical results
    pd.testing.assert_frame_equal(
        run(x * 2.0**power).drop(columns="revenue"), base.drop(columns="revenue")
    )
    # any factor: same RCA (up to rounding), hence the same M and the same complexity
    assume(not np.any(np.isclose(base.rca, 1.0, rtol=1e-9)))
    other = run(x * factor)
    np.testing.assert_allclose(other.rca, base.rca, rtol=1e-9)
    for col in ("eci", "pci", "density", "coi", "cog"):
        np.testing.assert_allclose(other[col], base[col], rtol=1e-6, atol=1e-6)


@quiet
@prop
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(4, 9), st.integers(4, 7)),
        elements=st.floats(0.5, 100, allow_nan=False),
    )
)
def test_eci_is_mean_pci_of_present_industries(x: np.ndarray) -> None:
    out = run(x)
    regions = out.groupby("region").eci.first()
    assume(regions.notna().all() and np.isfinite(regions).all())
    mean_pci = out[out.m == 1].groupby("region").pci.mean()
    np.testing.assert_allclose(regions, mean_pci, atol=1e-8)
    assert regions.mean() == pytest.approx(0, abs=1e-9)
    assert regions.std(ddof=0) == pytest.approx(1)
    # the sign convention: ECI correlates positively with diversity (unless undefined)
    diversity = out.groupby("region").diversity.first()
    if diversity.std() > 0:
        assert np.corrcoef(diversity, regions)[0, 1] >= -1e-9


@quiet
@prop
@given(matrices)
def test_relabelling_regions_changes_nothing(x: np.ndarray) -> None:
    assume(usable(x))
    base = run(x)
    shuffled = long_frame(x[::-1], prefix="Q").sample(frac=1, random_state=1)
    n = x.shape[0]
    shuffled["region"] = shuffled.region.map(lambda q: f"R{n - 1 - int(q[1:])}")
    again = complexity(shuffled, region="region", industry="industry", value="revenue")
    pd.testing.assert_frame_equal(again, base, rtol=1e-9, atol=1e-9)


@quiet
@prop
@given(matrices)
def test_proximity_is_a_symmetric_probability(x: np.ndarray) -> None:
    assume(usable(x))
    phi = proximity(long_frame(x), region="region", industry="industry", value="revenue")
    values = phi.to_numpy()
    np.testing.assert_array_equal(values, values.T)
    np.testing.assert_array_equal(np.diag(values), 1.0)
    assert ((values >= 0) & (values <= 1)).all()


# --------------------------------------------------------------------------- industry_panel


def test_industry_panel_from_firms_and_observations() -> None:
    firms = ibis.memtable(
        pd.DataFrame(
            {
                "firm_id": ["a", "b", "c", "d", "e"],
                "region": ["110105", "110108", "120101", "110105", "CUSTOM"],
                "industry": ["3911", "3912", "39", "6513", "3914"],
            }
        )
    )
    years = ibis.memtable(
        pd.DataFrame(
            {
                "firm_id": ["a", "b", "c", "d", "e", "a"],
                "year": [2024, 2024, 2024, 2024, 2024, 2023],
                "revenue": [1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
            }
        )
    )
    panel = industry_panel(
        firms=firms, firm_years=years, level="group", region_level="province"
    ).to_pandas()
    got = panel.groupby(["region", "industry", "year"]).value.sum().to_dict()
    # 'c' has a division code only: it cannot be placed in a group and is left out; 'e' sits
    # in a non-GB/T region, which has no province: one level means it is left out too
    assert got == {
        ("110000", "391", 2024): 3.0,
        ("110000", "651", 2024): 8.0,
        ("110000", "391", 2023): 32.0,
    }
    # one level: districts keep district codes only; cities roll districts up (110105 →
    # 110100) and drop codes coarser than a city; everyday names and GB/T names agree
    for level, alias in (("district", "county"), ("city", "prefecture")):
        a = industry_panel(firms=firms, firm_years=years, level="group", region_level=level)
        b = industry_panel(firms=firms, firm_years=years, level="group", region_level=alias)
        assert a.to_pandas().equals(b.to_pandas())
    coarse = ibis.memtable(
        pd.DataFrame(
            {"firm_id": ["p", "q"], "region": ["440000", "110108"], "industry": ["3911"] * 2}
        )
    )
    two = ibis.memtable(
        pd.DataFrame({"firm_id": ["p", "q"], "year": [2024] * 2, "revenue": [1.0, 2.0]})
    )
    cities = industry_panel(firms=coarse, firm_years=two, level="group", region_level="city")
    assert set(cities.to_pandas()["region"]) == {"110100"}
    districts = industry_panel(firms=coarse, firm_years=two, level="group", region_level="district")
    assert set(districts.to_pandas()["region"]) == {"110108"}
    provinces = industry_panel(firms=coarse, firm_years=two, level="group", region_level="province")
    assert set(provinces.to_pandas()["region"]) == {"110000", "440000"}
    obs = ibis.memtable(
        pd.DataFrame(
            {
                "region": ["110000", "110000", "120000", "110000"],
                "industry": ["39", "3911", "39", None],
                "year": [2024, 2024, 2024, 2024],
                "indicator": ["revenue", "revenue", "revenue", "revenue"],
                "value": [5.0, 1.0, 7.0, 100.0],
            }
        )
    )
    divisions = industry_panel(observations=obs, level="division").to_pandas()
    assert sorted(zip(divisions.region, divisions.industry, divisions.value, strict=True)) == [
        ("110000", "39", 5.0),
        ("120000", "39", 7.0),
    ]
    with pytest.raises(AnalysisError, match="firm_year measure"):
        industry_panel(firms=firms, firm_years=years, indicator="gdp")
    with pytest.raises(AnalysisError, match="level"):
        industry_panel(observations=obs, level="section")
    with pytest.raises(AnalysisError, match="needs firms"):
        industry_panel()


# ------------------------------------------------------------------------------------ spark


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="no Java for local Spark")
def test_spark_table_gives_duckdb_results() -> None:
    """The aggregation is one Ibis expression: on a PySpark table it gives the same result."""
    pyspark_sql = pytest.importorskip("pyspark.sql")
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("clusteratlas-test-complexity")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    try:
        rng = np.random.default_rng(21)
        data = pd.concat(
            [long_frame(rng.lognormal(0, 1, (20, 10)), year) for year in (2023, 2024)],
            ignore_index=True,
        )
        data = pd.concat([data, data.assign(revenue=data.revenue * 0.5)], ignore_index=True)
        session.createDataFrame(data).createOrReplaceTempView("long_panel")
        table = ibis.pyspark.connect(session).table("long_panel")
        kwargs = {"region": "region", "industry": "industry", "value": "revenue", "year": "year"}
        on_spark = complexity(table, **kwargs)
        on_duckdb = complexity(data, **kwargs)
        pd.testing.assert_frame_equal(on_spark, on_duckdb, check_dtype=False, rtol=1e-9)
    finally:
        session.stop()


def test_unidentified_network_is_refused_when_asked() -> None:
    """Two groups of regions that share no industry: the network is disconnected. By default
    a RuntimeWarning; with ``require_identified`` (what the faces use) an AnalysisError."""
    rows = [
        {"region": f"r{c:02d}", "industry": f"{'a' if c < 6 else 'b'}{p}", "value": 1.0 + c + p}
        for c in range(12)
        for p in range(4)
        if (c + p) % 3
    ]
    data = pd.DataFrame(rows)
    with pytest.warns(RuntimeWarning, match="disconnected"):
        complexity(data, region="region", industry="industry", value="value")
    with pytest.raises(AnalysisError, match=r"not ranking.*disconnected"):
        complexity(
            data, region="region", industry="industry", value="value", require_identified=True
        )
    with pytest.raises(AnalysisError, match="only 12 regions"):
        complexity(data, region="region", industry="industry", value="value", min_regions=13)
