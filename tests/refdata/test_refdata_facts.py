"""Beijing facts: bounds, canonical units, region codes, traceability to the source rows."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from clusteratlas import refdata


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    return refdata.beijing_facts()


def one(facts: pd.DataFrame, indicator: str, year: int, region: str = "110000") -> pd.Series:
    rows = facts[
        (facts["indicator"] == indicator) & (facts["year"] == year) & (facts["region"] == region)
    ]
    assert len(rows) == 1, (indicator, year, region, len(rows))
    return rows.iloc[0]


def test_lower_bound_is_a_bound(facts: pd.DataFrame) -> None:
    gdp = one(facts, "gdp", 2018)  # "2018年北京市地区生产总值将超过3万亿元"
    assert gdp["bound"] == ">"
    assert gdp["value"] == pytest.approx(3e12, rel=1e-12)
    assert gdp["unit"] == "yuan"


def test_range_keeps_low_and_high(facts: pd.DataFrame) -> None:
    target = one(facts, "trillion_level_cluster_count_target", 2025)  # "形成4至5个万亿级产业集群"
    assert target["bound"] == "range"
    assert (target["low"], target["high"]) == (4.0, 5.0)
    assert target["unit"] == "count"
    assert bool(target["is_target"])
    assert one(facts, "trillion_level_cluster_count_target", 2035)[["low", "high"]].tolist() == [
        8.0,
        10.0,
    ]


def test_canonical_units_worked_by_hand(facts: pd.DataFrame) -> None:
    share = one(facts, "high_end_industry_share_of_gdp", 2020)  # 27.4%
    assert share["value"] == 0.274 and share["unit"] == "fraction"
    assert one(facts, "gdp", 2024)["value"] == 4_984_310_000_000.0  # 49843.1亿元
    pop = one(facts, "resident_population_year_end", 2024)  # 2183.2万人
    assert pop["value"] == 21_832_000.0 and pop["unit"] == "persons"
    usd = one(facts, "unicorn_valuation_total", 2024)  # 5227.7亿美元
    assert usd["value"] == pytest.approx(522_770_000_000.0) and usd["unit"] == "usd"
    assert one(facts, "unicorn_count", 2024)["value"] == 114.0
    assert set(facts["bound"]) == {"=", ">", "range"}
    assert facts.loc[facts["unit"] == "fraction", "value"].between(0, 1).all()
    assert set(facts["unit"]) <= {
        "yuan",
        "fraction",
        "persons",
        "count",
        "usd",
        "yuan_per_person",
        "percent_yoy",
        "percentage_points",
    }


def test_region_codes(facts: pd.DataFrame) -> None:
    codes = set(refdata.regions()["code"])
    assert facts["region"].isin(codes).all()
    mapping = dict(zip(facts["region_name"], facts["region"], strict=True))
    assert mapping["Beijing"] == "110000"
    assert mapping["Beijing-Haidian"] == "110108"
    assert mapping["China"] == "CN"
    assert mapping["Hangzhou"] == "330100"
    assert mapping["Shenzhen"] == "440300"
    assert mapping["Shanghai"] == "310000"
    assert mapping["Inner Mongolia"] == "150000"
    assert mapping["Hebei"] == "130000"


def test_flags(facts: pd.DataFrame) -> None:
    derived = facts[facts["flag"] == "DERIVED"]
    assert set(zip(derived["indicator"], derived["year"], strict=True)) == {
        ("gdp", 2015),
        ("high_end_industry_share_of_gdp", 2018),
        ("info_software_share_of_gdp", 2023),
    }
    assert derived["note"].str.startswith("DERIVED").all()
    assert one(facts, "gdp", 2017)["flag"] == "ROUNDED"
    assert (
        facts.loc[facts["flag"] == "", "note"].str.startswith(("DERIVED", "ROUNDED"))
    ).sum() == 0


def test_traceable_to_packaged_raw_text(facts: pd.DataFrame) -> None:
    assert (facts["source_file"] == "beijing/facts_official.csv").all()
    assert facts["source_row"].tolist() == list(range(1, len(facts) + 1))
    assert facts["source"].str.len().gt(0).all()


def test_every_fact_matches_its_original_row(facts: pd.DataFrame, shared_data: Path) -> None:
    with (shared_data / "beijing" / "facts_official.csv").open(encoding="utf-8", newline="") as fh:
        original = list(csv.DictReader(fh))
    assert len(original) == len(facts) == 202
    for fact in facts.itertuples(index=False):
        row = original[fact.source_row - 1]
        assert row["indicator"] == fact.indicator
        assert row["region"] == fact.region_name
        assert int(row["year"]) == fact.year
        assert row["value"] == fact.value_raw
        assert row["unit"] == fact.unit_raw
        assert row["note"] == fact.note
        # the official page is cited first; the reprint it replaced is kept
        assert fact.source == (row["official_url"] or row["source_url"])
        assert fact.official == bool(row["official_url"])
        assert fact.official_quote == row["official_quote"]
        if row["official_url"] and row["official_url"] != row["source_url"]:
            assert fact.reprint_url == row["source_url"]


def test_facts_csv_rows_are_the_first_rows(facts: pd.DataFrame, shared_data: Path) -> None:
    with (shared_data / "beijing" / "facts.csv").open(encoding="utf-8", newline="") as fh:
        old = list(csv.DictReader(fh))
    for fact, row in zip(facts.head(len(old)).itertuples(index=False), old, strict=True):
        assert (fact.indicator, fact.value_raw, fact.note) == (
            row["indicator"],
            row["value"],
            row["note"],
        )


def test_two_values_of_one_year_are_distinct_facts(facts: pd.DataFrame) -> None:
    key = ["indicator", "region", "year", "as_of", "vintage"]
    assert not facts.duplicated(key).any()
    giants = facts[
        (facts["indicator"] == "little_giant_count_national")
        & (facts["year"] == 2022)
        & (facts["region"] == "110000")
    ].set_index("as_of")["value"]
    assert giants.to_dict() == {"2022-06": 257.0, "2022-10": 588.0}
    assert one(facts, "unicorn_count", 2024)["as_of"] == "2024-03"
    assert one(facts, "unicorn_count_yearend", 2024)["value"] == 115.0


def test_gdp_carries_its_census_vintage(facts: pd.DataFrame) -> None:
    assert one(facts, "gdp", 2018)["vintage"] == "census3"  # first release, before the revision
    assert one(facts, "gdp_revised", 2018)["vintage"] == "census4"
    assert one(facts, "gdp", 2023)["vintage"] == "census4"  # pre-5th-census first release
    assert one(facts, "gdp", 2024)["vintage"] == "census5"
    assert (
        facts.loc[~facts["indicator"].str.startswith(("gdp", "value_added")), "vintage"] == ""
    ).all()


def test_official_sources_replace_aggregators(facts: pd.DataFrame) -> None:
    unicorns = one(facts, "unicorn_count", 2024)
    assert "golangjump" not in unicorns["source"]
    assert unicorns["source"].startswith("https://german.beijing.gov.cn")
    assert unicorns["official_quote"]
    assert int(facts["official"].sum()) == 91
