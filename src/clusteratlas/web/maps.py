"""Map outlines for ECharts, keyed by current GB/T 2260 region codes.

The vendored GeoJSON (npm ``china-geojson`` 1.0.0, antvis, MIT; copied by
``scripts/vendor_assets.py`` into ``static/vendor/maps/``) is of an old vintage. Its
features carry the **old** names and codes; :data:`NAME_MAP` maps them to the regions of
today (GB/T 2260 as packaged in :func:`clusteratlas.refdata.regions`):

=============  ===========================  =======================================
old feature    current region (code)        change
=============  ===========================  =======================================
宣武区          西城区 (110102)                merged into 西城区, 2010
崇文区          东城区 (110101)                merged into 东城区, 2010
密云县          密云区 (110118)                county → district, 2015
延庆县          延庆区 (110119)                county → district, 2015
塘沽区          滨海新区 (120116)              merged into 滨海新区, 2009
汉沽区          滨海新区 (120116)              merged into 滨海新区, 2009
大港区          滨海新区 (120116)              merged into 滨海新区, 2009
蓟县            蓟州区 (120119)                county → district, 2016
静海县          静海区 (120118)                county → district, 2015
宁河县          宁河区 (120117)                county → district, 2015
=============  ===========================  =======================================

Features renamed to the same region are merged into one ``MultiPolygon`` (so the map shows
one clickable area per current region). Every output feature has ``properties.name`` (the
current Chinese name, which ECharts matches against series data ``name``), ``code`` and
``name_en``. :func:`map_geojson` builds four maps: ``beijing`` (16 districts), ``tianjin``
(16 districts), ``hebei`` (11 prefectures) and ``jingjinji`` (北京市, 天津市 as wholes plus
Hebei's 11 prefectures — the level at which the Jingjinji region group compares capacity).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from clusteratlas.errors import InputError

#: Old feature name → current Chinese name (see the module docstring for the changes).
NAME_MAP: dict[str, str] = {
    "宣武区": "西城区",
    "崇文区": "东城区",
    "密云县": "密云区",
    "延庆县": "延庆区",
    "塘沽区": "滨海新区",
    "汉沽区": "滨海新区",
    "大港区": "滨海新区",
    "蓟县": "蓟州区",
    "静海县": "静海区",
    "宁河县": "宁河区",
}

#: Map name → (vendored files, parent region code whose children name the features).
MAPS: dict[str, tuple[tuple[str, ...], str]] = {
    "beijing": (("beijing.json",), "110000"),
    "tianjin": (("tianjin.json",), "120000"),
    "hebei": (("hebei.json",), "130000"),
    "jingjinji": (("beijing.json", "tianjin.json", "hebei.json"), "jingjinji"),
}


def _vendor_file(name: str) -> dict[str, Any]:
    folder = resources.files("clusteratlas.web") / "static" / "vendor" / "maps"
    entry = folder / name
    if not entry.is_file():
        raise InputError(
            f"map file {name} is not vendored (static/vendor/maps/); run scripts/vendor_assets.py"
        )
    data: dict[str, Any] = json.loads(entry.read_text(encoding="utf-8"))
    return data


def _polygons(geometry: dict[str, Any]) -> list[Any]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    raise InputError(f"unsupported geometry type {geometry['type']!r} in the vendored map")


@lru_cache(maxsize=1)
def _codes() -> dict[tuple[str, str], tuple[str, str]]:
    """(parent code, current name_zh) → (code, name_en) of the packaged regions."""
    from clusteratlas.refdata import regions

    frame = regions()
    return {
        (str(r.parent), str(r.name_zh)): (str(r.code), str(r.name_en))
        for r in frame.itertuples(index=False)
    }


@lru_cache(maxsize=8)
def map_geojson(name: str) -> dict[str, Any]:
    """The GeoJSON FeatureCollection of map ``name`` (one of :data:`MAPS`) with current
    names and codes; raises :class:`InputError` for an unknown map."""
    if name not in MAPS:
        raise InputError(f"unknown map {name!r}; maps: {', '.join(MAPS)}")
    files, parent = MAPS[name]
    codes = _codes()
    merged: dict[str, dict[str, Any]] = {}
    for file in files:
        province = {"beijing.json": "110000", "tianjin.json": "120000", "hebei.json": "130000"}[
            file
        ]
        for feature in _vendor_file(file)["features"]:
            old = str(feature["properties"]["name"])
            current = NAME_MAP.get(old, old)
            code, name_en = codes.get((province, current), ("", ""))
            if parent == "jingjinji" and province in ("110000", "120000"):
                # Beijing and Tianjin appear as one area each on the Jingjinji map
                row = codes.get(("CN", "北京市" if province == "110000" else "天津市"))
                current = "北京市" if province == "110000" else "天津市"
                code, name_en = province, row[1] if row else ""
            if not code:
                raise InputError(f"map {name}: feature {old!r} has no current region code")
            slot = merged.setdefault(
                current,
                {
                    "type": "Feature",
                    "properties": {"name": current, "code": code, "name_en": name_en},
                    "geometry": {"type": "MultiPolygon", "coordinates": []},
                },
            )
            slot["geometry"]["coordinates"].extend(_polygons(feature["geometry"]))
    features = sorted(merged.values(), key=lambda f: f["properties"]["code"])
    return {"type": "FeatureCollection", "features": features}


def region_names(name: str) -> dict[str, dict[str, str]]:
    """Code → ``{zh, en}`` names of the areas of map ``name``."""
    return {
        f["properties"]["code"]: {"zh": f["properties"]["name"], "en": f["properties"]["name_en"]}
        for f in map_geojson(name)["features"]
    }
