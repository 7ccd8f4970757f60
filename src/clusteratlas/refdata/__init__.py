"""Packaged reference data: classifications, regions, region groups, Beijing facts, IO tables.

Everything here is read from files inside the installed package (``refdata/data/``), never
from ``../shared`` — ``scripts/build_refdata.py`` rebuilds those files from the team's shared
data and records their provenance in ``refdata/manifest.yaml`` (see ``refdata/SOURCES.md``).

Loaders are cached: the first call parses the file, later calls return a fresh copy (so a
caller that edits the frame cannot change what the next caller sees).

Units follow the design doc: money in **yuan**, people in **persons**, shares as fractions;
the exception is :func:`io_table_raw`, which returns the IO tables exactly as published, in
**万元 (10,000 yuan)**.
"""

from __future__ import annotations

import gzip
import io
from functools import lru_cache
from importlib import resources
from importlib.abc import Traversable
from typing import Any

import pandas as pd
import yaml

from clusteratlas.errors import InputError

__all__ = [
    "SCHEMES",
    "beijing_facts",
    "employment_by_sector",
    "high_tech_manufacturing",
    "industries",
    "io_table_names",
    "io_table_raw",
    "manifest",
    "provenance",
    "province_employment",
    "province_gdp",
    "province_high_tech",
    "region_group_info",
    "region_groups",
    "regions",
    "us_cluster_crosswalk",
    "us_cluster_linkages",
    "us_cluster_list",
    "zones",
]

#: Classification schemes that :func:`industries` knows.
SCHEMES: tuple[str, ...] = ("gbt4754-2017",)

_IO_TABLES: tuple[str, ...] = (
    "china-2017-42",
    "china-2017-149",
    "china-2018-42",
    "china-2018-153",
    "china-2020-42",
    "china-2020-153",
)

#: loader / convenient names -> manifest dataset names (for :func:`provenance`)
_ALIASES: dict[str, str] = {
    "industries": "gbt4754-2017",
    "industry": "gbt4754-2017",
    "high_tech_manufacturing": "high-tech-manufacturing-2017",
    "region": "regions",
    "region_groups": "region-groups",
    "region_group": "region-groups",
    "region_group_info": "region-group-info",
    "zone": "zones",
    "beijing_facts": "beijing-facts",
    "province_gdp": "province-gdp",
    "province_employment": "province-employment",
    "province_high_tech": "province-high-tech",
    "facts": "beijing-facts",
    "employment_by_sector": "employment-by-sector",
    "us_cluster_crosswalk": "us-cluster-crosswalk",
    "us_cluster_list": "us-cluster-list",
    "us_cluster_linkages": "us-cluster-linkages",
}


def _root() -> Traversable:
    return resources.files("clusteratlas.refdata")


@lru_cache(maxsize=1)
def _manifest() -> dict[str, Any]:
    text = (_root() / "manifest.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def manifest() -> dict[str, Any]:
    """The whole provenance manifest (``refdata/manifest.yaml``) as a dict (a deep copy)."""
    return yaml.safe_load(yaml.safe_dump(_manifest()))


def _dataset_name(name: str) -> str:
    key = name.strip()
    key = _ALIASES.get(key, key)
    if key.startswith("io_") or key.startswith("io-"):
        key = key[3:]
    key = key.replace("_", "-")
    if key not in _manifest()["datasets"]:
        known = ", ".join(sorted(_manifest()["datasets"]))
        raise InputError(f"unknown reference dataset {name!r}; known: {known}")
    return key


def provenance(name: str) -> dict[str, Any]:
    """Provenance of one packaged dataset.

    ``name`` is a dataset name (``gbt4754-2017``, ``regions``, ``region-groups``,
    ``beijing-facts``, ``china-2020-42`` …, ``employment-by-sector``, ``us-cluster-crosswalk``,
    ``us-cluster-list``, ``us-cluster-linkages``) or the loader's name (``industries``,
    ``beijing_facts`` …). Returns a dict with ``name``; ``source`` (the path under
    shared/data), ``url`` and ``commit`` (the upstream repository, empty when there is none);
    ``file, source_path, upstream`` (original URL / repository / commit / package),
    ``license, rows, sha256, source_sha256, build_date, transforms`` and dataset-specific
    caveats. Raises :class:`InputError` for an unknown name.
    """
    key = _dataset_name(name)
    entry: dict[str, Any] = yaml.safe_load(yaml.safe_dump(_manifest()["datasets"][key]))
    upstream: dict[str, str] = entry.get("upstream", {})
    flat = {
        "source": f"shared/data/{entry['source_path']}",
        "url": upstream.get("repo") or upstream.get("url") or "",
        "commit": upstream.get("commit", ""),
    }
    return {"name": key, **flat, **entry}


def _file_bytes(key: str) -> bytes:
    rel = _manifest()["datasets"][key]["file"]
    node = _root() / "data"
    for part in rel.split("/"):
        node = node / part
    data = node.read_bytes()
    return gzip.decompress(data) if rel.endswith(".gz") else data


def _read_csv(
    key: str, str_cols: tuple[str, ...], float_cols: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Read a packaged CSV: ``str_cols`` as strings ('' kept), ``float_cols`` as float64."""
    dtypes: dict[str, Any] = dict.fromkeys(str_cols, "str")
    dtypes.update(dict.fromkeys(float_cols, "float64"))
    return pd.read_csv(
        io.BytesIO(_file_bytes(key)),
        dtype=dtypes,
        keep_default_na=False,
        na_values={col: [""] for col in float_cols},
    )


def _none_if_empty(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    for col in columns:
        frame[col] = frame[col].mask(frame[col] == "")
    return frame


# --------------------------------------------------------------------------------------
# Industry classification
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _industries(scheme: str) -> pd.DataFrame:
    cols = (
        "scheme",
        "code",
        "level",
        "parent",
        "name_zh",
        "name_en",
        "description_zh",
        "section",
        "division",
        "group",
        "note",
    )
    return _none_if_empty(_read_csv("gbt4754-2017", cols), ("parent",))


def industries(scheme: str = "gbt4754-2017") -> pd.DataFrame:
    """The industry classification, all four levels (GB/T 4754-2017: 20/97/473/1,381 rows).

    Columns: ``scheme, code, level`` (``section|division|group|class``), ``parent`` (the code
    one level up; missing for sections), ``name_zh, name_en`` (English for the 20 sections
    only; empty below), ``description_zh`` (explanatory note), ``section, division, group``
    (the ancestors' codes) and ``note`` (fixes applied when the table was built). Codes are
    strings: sections ``A``–``T``, divisions 2 digits, groups 3, classes 4.
    """
    if scheme not in SCHEMES:
        raise InputError(
            f"unknown industry classification scheme {scheme!r}; known: {', '.join(SCHEMES)}"
        )
    return _industries(scheme).copy()


@lru_cache(maxsize=1)
def _high_tech() -> pd.DataFrame:
    frame = _read_csv(
        "high-tech-manufacturing-2017",
        (
            "category_code",
            "category_name_zh",
            "category_name_en",
            "gbt4754_class",
            "class_name_zh",
            "division",
        ),
    )
    return frame


def high_tech_manufacturing() -> pd.DataFrame:
    """NBS high-tech manufacturing (高技术产业(制造业)分类 2017) → GB/T 4754-2017 classes.

    85 rows: ``category_code`` (1–6), ``category_name_zh``, ``category_name_en`` (our
    rendering), ``gbt4754_class`` (4-digit class), ``class_name_zh``, ``division``. Lower
    confidence than the classification itself: whole classes are mapped although NBS marks
    some as only partly high-tech (see ``provenance('high_tech_manufacturing')``).
    """
    return _high_tech().copy()


# --------------------------------------------------------------------------------------
# Regions
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _regions() -> pd.DataFrame:
    frame = _read_csv(
        "regions",
        ("code", "level", "parent", "name_zh", "name_en", "province", "type_zh", "name_pinyin"),
        ("lon", "lat"),
    )
    return _none_if_empty(frame, ("parent", "province"))


def regions() -> pd.DataFrame:
    """China's administrative regions (GB/T 2260, 6-digit codes) plus a country row ``CN``.

    3,213 rows: ``CN``; 34 provinces (parent ``CN``); 333 prefectures; 2,845 county-level
    units (parent = prefecture, or the province for units directly under it, e.g. Beijing's
    16 districts 110101…110119). Columns: ``code, level`` (``country|province|prefecture|
    county``), ``parent``, ``name_zh``, ``name_en`` (English for provinces/prefectures; for
    counties the pinyin with an English type, e.g. ``Haidian District``), ``province`` (the
    province code), ``lon, lat`` (WGS-84-ish degrees from cpca; missing for 144 units and for
    ``CN``), ``type_zh`` (直辖市/省/地级市/市辖区/县 …), ``name_pinyin`` (as in the source).
    """
    return _regions().copy()


@lru_cache(maxsize=1)
def _region_groups() -> pd.DataFrame:
    return _read_csv("region-groups", ("group", "region", "role"))


def region_groups() -> pd.DataFrame:
    """Named groups of regions: ``group, region`` (a code of :func:`regions`), ``role``.

    Groups: ``jingjinji`` (Beijing, Tianjin, Hebei and every prefecture/county under them),
    ``beijing_districts`` (16), and the capital-region circles ``capital_commuting_circle``
    (通勤圈), ``capital_functional_circle`` (功能圈), ``capital_industrial_circle``
    (产业协同圈). The first two circles are documented **approximations** (the official
    definition gives no member list): see :func:`region_group_info`. ``role`` is ``member``
    or ``partial`` (a prefecture only part of which belongs).
    """
    return _region_groups().copy()


@lru_cache(maxsize=1)
def _region_group_info() -> pd.DataFrame:
    frame = _read_csv(
        "region-group-info", ("group", "name_zh", "name_en", "approximate", "method", "source")
    )
    frame["approximate"] = frame["approximate"] == "true"
    return frame


def region_group_info() -> pd.DataFrame:
    """One row per region group: ``group, name_zh, name_en, approximate`` (bool),
    ``members`` (rows in :func:`region_groups`), ``method`` (how members were chosen) and
    ``source``."""
    return _region_group_info().copy()


@lru_cache(maxsize=1)
def _zones() -> pd.DataFrame:
    return _read_csv(
        "zones",
        (
            "zone",
            "code",
            "name_en",
            "kind",
            "host",
            "parent",
            "aliases",
            "uscc_division",
            "source",
        ),
    )


def zones() -> pd.DataFrame:
    """Functional zones (功能区) that are not GB/T 2260 regions: development zones, parks.

    Columns: ``zone`` (the official name, the key firms carry in ``firm.zone``, e.g.
    ``北京经济技术开发区``), ``code`` (a short ASCII id, e.g. ``bda``), ``name_en``, ``kind``
    (``national_etdz`` …), ``host`` (the GB/T 2260 district a zone firm is counted in, e.g.
    大兴区 ``110115``), ``parent`` (an enclosing zone, '' for none: room for 中关村 sub-parks),
    ``aliases`` (``|``-separated names as exports write them: 经开区, 北京亦庄 …),
    ``uscc_division`` (the registration division in USCC characters 3–8 when it is not a
    GB/T 2260 code; '' when unknown) and ``source`` (the official page each row rests on).
    """
    return _zones().copy()


# --------------------------------------------------------------------------------------
# Beijing facts
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _facts() -> pd.DataFrame:
    frame = _read_csv(
        "beijing-facts",
        (
            "indicator",
            "region",
            "unit",
            "bound",
            "source",
            "note",
            "source_file",
            "flag",
            "is_target",
            "period",
            "region_name",
            "value_raw",
            "unit_raw",
            "as_of",
            "vintage",
            "official",
            "official_quote",
            "official_differs",
            "reprint_url",
        ),
        ("value", "low", "high"),
    )
    frame["is_target"] = frame["is_target"] == "true"
    frame["official"] = frame["official"] == "true"
    frame["year"] = frame["year"].astype("int64")
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame


def beijing_facts() -> pd.DataFrame:
    """Published facts about Beijing's economy (and a few peers) as tidy observations.

    Columns: ``indicator, region`` (code: 110000, 110108, CN, province/prefecture codes),
    ``year``, ``value`` (canonical unit: yuan / fraction / persons / count / usd …),
    ``unit`` (canonical), ``bound`` (``=``, ``>``, ``<`` or ``range``), ``low, high`` (for
    ranges; ``value`` is then the midpoint), ``source`` (the official page where there is one
    — ``official`` True — else the page the number was read from), ``note`` (the quoted
    phrase), ``source_file`` (``beijing/facts_official.csv``) and ``source_row`` (1-based data
    row there; rows 1–171 are facts.csv's), ``flag`` (``DERIVED`` / ``ROUNDED`` / empty),
    ``is_target``, ``period`` (``year``/``h1``/``q1``/``q1q3``), the raw ``region_name,
    value_raw, unit_raw``, ``as_of`` (``YYYY-MM`` of a dated snapshot, ``""`` for the whole
    year), ``vintage`` (GDP census basis ``census3/4/5`` of GDP-type rows, else ``""``),
    ``official_quote`` (the sentence on the official page), ``official_differs`` and
    ``reprint_url`` (the replaced reprint). ``indicator, region, year, as_of, vintage`` is
    unique: two values for one indicator and year are distinct facts.
    Read the caveats in ``provenance('beijing_facts')`` and SOURCES.md before chaining series.
    """
    return _facts().copy()


# --------------------------------------------------------------------------------------
# Input–output tables and employment
# --------------------------------------------------------------------------------------


def io_table_names() -> list[str]:
    """Names of the packaged China IO tables (NBS via ionet), e.g. ``china-2020-42``."""
    return list(_IO_TABLES)


@lru_cache(maxsize=8)
def _io_table(name: str) -> pd.DataFrame:
    text_cols = ("Code", "Description", "DescriptionInChinese", "Origin")
    frame = pd.read_csv(
        io.BytesIO(_file_bytes(name)),
        dtype=dict.fromkeys(text_cols, "str"),
        keep_default_na=False,
        na_values=[""],
    )
    for col in text_cols:
        if col in frame:
            frame[col] = frame[col].fillna("")
    return frame


def io_table_raw(name: str) -> pd.DataFrame:
    """One China input–output table exactly as packaged, values in **万元 (10,000 yuan)**.

    Rows: ``Code`` (``01``…, then ``TII``, ``VA001``–``VA004``, ``TVA``, ``TI``),
    ``Description``, ``DescriptionInChinese`` and, in 42-sector tables, ``Origin``
    (``Domestic``/``Imports``/``TOT``). Columns: one per sector code, then ``TIU``, final-use
    columns, ``IM`` (149/153 tables), ``GO``. See SOURCES.md for the layout.
    """
    if name not in _IO_TABLES:
        raise InputError(f"unknown IO table {name!r}; known: {', '.join(_IO_TABLES)}")
    return _io_table(name).copy()


@lru_cache(maxsize=1)
def _employment() -> pd.DataFrame:
    frame = _read_csv("employment-by-sector", ("code", "name_en", "name_zh", "unit"), ("value",))
    frame["year"] = frame["year"].astype("int64")
    return frame


def employment_by_sector() -> pd.DataFrame:
    """China's employed persons by sector, 1990–2018 (NBS via ionet), long format.

    Columns: ``code`` (ionet's codes: ``TOT``, sections ``A``…``T``, sub-sectors ``A01``…),
    ``name_en, name_zh, year, value`` (**persons**; missing where the source has none),
    ``unit`` (``persons``).
    """
    return _employment().copy()


# --------------------------------------------------------------------------------------
# U.S. Cluster Mapping definitions
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _us_crosswalk() -> pd.DataFrame:
    frame = _read_csv(
        "us-cluster-crosswalk",
        (
            "naics2012",
            "naics_title",
            "cluster_type",
            "cluster_code",
            "cluster_name",
            "subcluster_name",
            "non_standard_naics",
        ),
    )
    frame["non_standard_naics"] = frame["non_standard_naics"] == "True"
    return frame


def us_cluster_crosswalk(*, standard_only: bool = False) -> pd.DataFrame:
    """NAICS 2012 (6-digit) → U.S. Cluster Mapping cluster and subcluster (992 rows).

    Columns: ``naics2012, naics_title, cluster_type`` (``traded``/``local``/empty),
    ``cluster_code`` (string, empty for 814110), ``cluster_name, subcluster_name,
    non_standard_naics`` (bool). ``standard_only=True`` drops the 37 non-standard codes.
    Cite: U.S. Cluster Mapping (clustermapping.us), Institute for Strategy and
    Competitiveness, Harvard Business School.
    """
    frame = _us_crosswalk()
    if standard_only:
        frame = frame[~frame["non_standard_naics"]].reset_index(drop=True)
    return frame.copy()


@lru_cache(maxsize=1)
def _us_list() -> pd.DataFrame:
    return _read_csv(
        "us-cluster-list",
        ("cluster_code", "cluster_name", "cluster_type"),
        ("national_emp_2016_implied", "national_share_of_type_emp_implied"),
    )


def us_cluster_list() -> pd.DataFrame:
    """The 67 USCMP clusters: ``cluster_code, cluster_name, cluster_type``, and the DERIVED
    ``national_emp_2016_implied`` (employees) and ``national_share_of_type_emp_implied``
    (fraction of traded or local employment)."""
    return _us_list().copy()


@lru_cache(maxsize=1)
def _us_linkages() -> pd.DataFrame:
    return _read_csv(
        "us-cluster-linkages",
        ("core_cluster", "linked_cluster", "strength", "core_code", "linked_code"),
    )


def us_cluster_linkages() -> pd.DataFrame:
    """Related-cluster links (203 rows): ``core_cluster, linked_cluster, strength``
    (``very strong``/``strong``/``lower``), ``core_code, linked_code``."""
    return _us_linkages().copy()


# --------------------------------------------------------------------------------------
# Provincial aggregates (NBS): GDP, urban-unit employment, high-tech manufacturing
# --------------------------------------------------------------------------------------

GDP_VINTAGES: tuple[str, ...] = ("post-revision", "pre-revision")
"""The two provincial GDP vintages (post = after the 5th economic census revision)."""


@lru_cache(maxsize=1)
def _province_gdp() -> pd.DataFrame:
    frame = _read_csv("province-gdp", ("region", "vintage", "unit"), ("value",))
    frame["year"] = frame["year"].astype("int64")
    return frame


def province_gdp(vintage: str = "post-revision") -> pd.DataFrame:
    """Gross regional product (地区生产总值) of the 31 provinces, one NBS vintage.

    Columns ``region`` (GB/T 2260 province code), ``year``, ``vintage``, ``value`` (**yuan**,
    current prices), ``unit``. ``post-revision`` (after the 5th economic census, 2006–2024)
    or ``pre-revision`` (2004–2023); the two are never mixed (ValueError for another name).
    """
    if vintage not in GDP_VINTAGES:
        raise ValueError(f"unknown GDP vintage {vintage!r}; use one of {', '.join(GDP_VINTAGES)}")
    frame = _province_gdp()
    return frame[frame["vintage"] == vintage].reset_index(drop=True)


@lru_cache(maxsize=1)
def _province_employment() -> pd.DataFrame:
    frame = _read_csv("province-employment", ("region", "unit"), ("value",))
    frame["year"] = frame["year"].astype("int64")
    return frame


def province_employment() -> pd.DataFrame:
    """城镇单位就业人员 (non-private urban units, year-end) of the 31 provinces, 2008–2024:
    ``region, year, value`` (**persons**), ``unit``."""
    return _province_employment().copy()


@lru_cache(maxsize=1)
def _province_high_tech() -> pd.DataFrame:
    frame = _read_csv("province-high-tech", ("region", "measure", "label_zh", "unit"), ("value",))
    frame["year"] = frame["year"].astype("int64")
    return frame


def province_high_tech() -> pd.DataFrame:
    """High-tech manufacturing (高技术产业(制造业)) by province, 2010–2016 and 2018–2023:
    ``region`` (``000000`` = national), ``year``, ``measure`` (``enterprises`` count,
    ``revenue`` and ``total_profit`` in **yuan**), ``label_zh``, ``value``, ``unit``."""
    return _province_high_tech().copy()
