"""GB/T 4754-2017 integrity: counts, parent chain, prefix consistency; high-tech concordance."""

from __future__ import annotations

import pandas as pd
import pytest

from clusteratlas import refdata
from clusteratlas.errors import InputError

LEVELS = ["section", "division", "group", "class"]


@pytest.fixture(scope="module")
def ind() -> pd.DataFrame:
    return refdata.industries()


def test_published_level_counts(ind: pd.DataFrame) -> None:
    # 20/97/473/1,381: GB/T 4754-2017 as published (2011 edition's 1,094 classes + 287).
    assert ind["level"].value_counts().to_dict() == {
        "section": 20,
        "division": 97,
        "group": 473,
        "class": 1381,
    }
    assert ind["code"].is_unique
    assert set(ind["scheme"]) == {"gbt4754-2017"}


def test_code_shapes(ind: pd.DataFrame) -> None:
    pattern = {"section": r"[A-T]", "division": r"\d{2}", "group": r"\d{3}", "class": r"\d{4}"}
    for level, regex in pattern.items():
        codes = ind.loc[ind["level"] == level, "code"]
        assert codes.str.fullmatch(regex).all(), level


def test_every_class_chains_up_to_a_section(ind: pd.DataFrame) -> None:
    by_code = ind.set_index("code")
    assert ind.loc[ind["level"] == "section", "parent"].isna().all()
    for child, parent in zip(LEVELS[1:], LEVELS[:-1], strict=True):
        rows = ind[ind["level"] == child]
        assert rows["parent"].isin(by_code.index).all(), f"{child} with unknown parent"
        assert (by_code.loc[rows["parent"], "level"].to_numpy() == parent).all()
        if child != "division":  # numeric codes extend their parent's code by one digit
            assert all(c.startswith(p) for c, p in zip(rows["code"], rows["parent"], strict=True))
    # walk each class up three levels and land on its section column
    classes = ind[ind["level"] == "class"]
    group = by_code.loc[classes["parent"], "parent"].to_numpy()
    section = by_code.loc[group, "parent"].to_numpy()
    assert (section == classes["section"].to_numpy()).all()
    assert (by_code.loc[section, "level"] == "section").all()


def test_divisions_belong_to_published_sections(ind: pd.DataFrame) -> None:
    # independent anchors from the standard's text: C = divisions 13–43, I = 63–65, M = 73–75
    div = ind[ind["level"] == "division"].set_index("code")["parent"]
    assert set(div[div == "C"].index) == {f"{n:02d}" for n in range(13, 44)}
    assert set(div[div == "I"].index) == {"63", "64", "65"}
    assert set(div[div == "M"].index) == {"73", "74", "75"}


def test_2017_edition_markers(ind: pd.DataFrame) -> None:
    names = ind.set_index("code")["name_zh"]
    assert names["6511"] == "基础软件开发"
    assert names["6450"] == "互联网数据服务"
    assert names["3963"] == "智能无人飞行器制造"
    assert names["3741"] == "飞机制造"


def test_english_names_for_sections_only(ind: pd.DataFrame) -> None:
    sections = ind[ind["level"] == "section"].set_index("code")["name_en"]
    assert (sections.str.len() > 3).all()
    assert sections["A"] == "Agriculture, forestry, animal husbandry and fishery"
    assert sections["C"] == "Manufacturing"
    assert sections["K"] == "Real estate"
    assert (ind.loc[ind["level"] != "section", "name_en"] == "").all()


def test_unknown_scheme_is_a_user_error() -> None:
    with pytest.raises(InputError, match="gbt4754-2017"):
        refdata.industries("isic-4")


def test_returns_copies() -> None:
    first = refdata.industries()
    first.loc[:, "name_zh"] = "x"
    assert refdata.industries()["name_zh"].iloc[0] == "农、林、牧、渔业"


def test_high_tech_manufacturing(ind: pd.DataFrame) -> None:
    ht = refdata.high_tech_manufacturing()
    assert len(ht) == 85
    assert sorted(ht["category_code"].unique()) == ["1", "2", "3", "4", "5", "6"]
    classes = ind[ind["level"] == "class"].set_index("code")
    assert ht["gbt4754_class"].isin(classes.index).all()
    assert (classes.loc[ht["gbt4754_class"], "name_zh"].to_numpy() == ht["class_name_zh"]).all()
    assert (ht["gbt4754_class"].str[:2] == ht["division"]).all()
    # all manufacturing (section C)
    assert set(classes.loc[ht["gbt4754_class"], "section"]) == {"C"}
    assert "LOWER CONFIDENCE" in refdata.provenance("high_tech_manufacturing")["caveat"]
