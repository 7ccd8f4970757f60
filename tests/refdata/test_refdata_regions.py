"""Regions (GB/T 2260) and region groups."""

from __future__ import annotations

import pandas as pd
import pytest

from clusteratlas import refdata


@pytest.fixture(scope="module")
def reg() -> pd.DataFrame:
    return refdata.regions()


def test_counts_and_country_row(reg: pd.DataFrame) -> None:
    assert reg["level"].value_counts().to_dict() == {
        "county": 2845,
        "prefecture": 333,
        "province": 34,
        "country": 1,
    }
    cn = reg[reg["code"] == "CN"].iloc[0]
    assert (cn["level"], cn["name_zh"], cn["name_en"]) == ("country", "中国", "China")
    assert reg["code"].is_unique
    assert reg.loc[reg["code"] != "CN", "code"].str.fullmatch(r"\d{6}").all()


def test_hierarchy(reg: pd.DataFrame) -> None:
    by_code = reg.set_index("code")
    assert (reg.loc[reg["level"] == "province", "parent"] == "CN").all()
    for level, parents in {
        "prefecture": {"province"},
        "county": {"prefecture", "province"},
    }.items():
        rows = reg[reg["level"] == level]
        assert rows["parent"].isin(by_code.index).all(), level
        assert set(by_code.loc[rows["parent"], "level"]) <= parents
        # a unit's code shares its province's first two digits
        assert (rows["code"].str[:2] == rows["province"].str[:2]).all()
    provinces = reg[reg["level"] == "province"]
    assert (provinces["province"] == provinces["code"]).all()


def test_beijing_16_districts_with_coordinates(reg: pd.DataFrame) -> None:
    districts = reg[reg["parent"] == "110000"]
    assert len(districts) == 16
    assert set(districts["level"]) == {"county"}
    assert {"110108", "110105", "110119"} <= set(districts["code"])
    haidian = districts.set_index("code").loc["110108"]
    assert (haidian["name_zh"], haidian["name_en"]) == ("海淀区", "Haidian District")
    # Beijing's bounding box (115.4–117.5 E, 39.4–41.1 N)
    assert districts["lon"].between(115.4, 117.6).all()
    assert districts["lat"].between(39.4, 41.1).all()
    assert set(districts["type_zh"]) == {"市辖区"}


def test_anchor_codes(reg: pd.DataFrame) -> None:
    names = reg.set_index("code")["name_zh"]
    assert names["110000"] == "北京市"
    assert names["120000"] == "天津市"
    assert names["130000"] == "河北省"
    assert names["130600"] == "保定市"
    assert names["330100"] == "杭州市"


def test_region_groups_reference_known_regions(reg: pd.DataFrame) -> None:
    groups = refdata.region_groups()
    assert groups["region"].isin(reg["code"]).all()
    assert not groups.duplicated(["group", "region"]).any()
    assert set(groups["role"]) <= {"member", "partial"}
    info = refdata.region_group_info().set_index("group")
    assert set(info.index) == set(groups["group"])
    sizes = groups.groupby("group").size()
    assert sizes.to_dict() == info["members"].to_dict()


def test_jingjinji(reg: pd.DataFrame) -> None:
    groups = refdata.region_groups()
    jjj = set(groups.loc[groups["group"] == "jingjinji", "region"])
    assert {"110000", "120000", "130000"} <= jjj
    hebei_prefectures = reg[(reg["parent"] == "130000") & (reg["level"] == "prefecture")]
    assert len(hebei_prefectures) == 11  # Hebei has 11 prefecture-level cities
    assert set(hebei_prefectures["code"]) <= jjj
    expected = set(reg.loc[reg["province"].isin(["110000", "120000", "130000"]), "code"])
    assert jjj == expected
    bd = set(groups.loc[groups["group"] == "beijing_districts", "region"])
    assert bd == set(reg.loc[reg["parent"] == "110000", "code"])


def test_capital_circles_are_nested_and_labelled() -> None:
    groups = refdata.region_groups()
    members = {
        g: set(groups.loc[(groups["group"] == g) & (groups["role"] == "member"), "region"])
        for g in groups["group"].unique()
    }
    commuting = members["capital_commuting_circle"]
    functional = members["capital_functional_circle"]
    industrial = members["capital_industrial_circle"]
    # official: commuting = all of Beijing + 12 county-level units around it
    beijing = {c for c in commuting if c.startswith("11")}
    assert len(beijing) == 17 and len(commuting - beijing) == 12
    assert commuting <= functional <= industrial
    assert {"130629", "130632", "130638", "120000"} <= functional  # Xiong'an, Tianjin
    partial = groups[groups["role"] == "partial"].groupby("group")["region"].apply(set)
    assert {"120000", "130000"} <= partial["capital_commuting_circle"]
    assert partial["capital_functional_circle"] == {"130000", "130600", "130700", "131000"}
    # a partial unit is an ancestor of some member, never a member itself
    for group, units in partial.items():
        assert not units & members[group]
    info = refdata.region_group_info().set_index("group")
    assert info.loc["capital_commuting_circle", "approximate"]
    assert info.loc["capital_functional_circle", "approximate"]
    assert not info.loc["jingjinji", "approximate"]
    assert "APPROXIMATION" in info.loc["capital_commuting_circle", "method"]
