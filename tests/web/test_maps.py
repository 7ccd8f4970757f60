"""The GeoJSON name map: old features → current GB/T 2260 regions (merged districts)."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from clusteratlas.errors import InputError
from clusteratlas.refdata import regions
from clusteratlas.web.maps import NAME_MAP, map_geojson, region_names


def _vendored(name: str) -> list[str]:
    text = (resources.files("clusteratlas.web") / "static" / "vendor" / "maps" / name).read_text(
        encoding="utf-8"
    )
    return [f["properties"]["name"] for f in json.loads(text)["features"]]


def test_beijing_has_the_16_current_districts() -> None:
    codes = set(region_names("beijing"))
    current = regions()
    expected = set(current.loc[current["parent"] == "110000", "code"])
    assert codes == expected and len(codes) == 16
    # the vendored file is the old vintage: 18 features incl. 宣武区/崇文区
    old = _vendored("beijing.json")
    assert len(old) == 18 and {"宣武区", "崇文区", "密云县", "延庆县"} <= set(old)


def test_merged_features_become_one_multipolygon() -> None:
    features = {f["properties"]["name"]: f for f in map_geojson("beijing")["features"]}
    xicheng = features["西城区"]
    assert xicheng["properties"]["code"] == "110102"
    assert xicheng["geometry"]["type"] == "MultiPolygon"
    assert len(xicheng["geometry"]["coordinates"]) >= 2  # 西城区 + former 宣武区
    binhai = {f["properties"]["name"]: f for f in map_geojson("tianjin")["features"]}["滨海新区"]
    assert binhai["properties"]["code"] == "120116"
    assert len(binhai["geometry"]["coordinates"]) >= 3  # 塘沽 + 汉沽 + 大港


def test_tianjin_and_hebei_match_refdata() -> None:
    current = regions()
    assert set(region_names("tianjin")) == set(current.loc[current["parent"] == "120000", "code"])
    assert set(region_names("hebei")) == set(current.loc[current["parent"] == "130000", "code"])
    assert set(region_names("jingjinji")) == {"110000", "120000"} | set(region_names("hebei"))


def test_name_map_targets_exist() -> None:
    names = set(regions()["name_zh"])
    assert set(NAME_MAP.values()) <= names


def test_unknown_map() -> None:
    with pytest.raises(InputError):
        map_geojson("atlantis")
