"""Reference distributions of the synthetic registry: industries, regions, text pools, parameters.

Everything here is derived from the packaged reference data (GB/T 4754-2017 classes, GB/T 2260
regions, the 2018/2020 national 42-sector input–output tables, NBS employment by division) plus
a few **documented assumptions** (marked ASSUMPTION) where no public number was packaged. Units:
money in yuan, people in persons, shares as fractions.

The 42 IO sectors are mapped to GB/T 4754-2017 divisions by the packaged
``refdata/io_sector_map.csv`` (scheme ``nbs-42``); :data:`IO42_DIVISIONS` is our own mapping from
the sector names, identical for sectors 01–41, used if that file is absent. Sector 42 (public
administration, divisions 91–97) holds no firms and is left out.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

# --- industries ---------------------------------------------------------------------------------

IO42_DIVISIONS: dict[str, tuple[str, ...]] = {
    "01": ("01", "02", "03", "04", "05"),
    "02": ("06",),
    "03": ("07",),
    "04": ("08", "09"),
    "05": ("10", "11", "12"),
    "06": ("13", "14", "15", "16"),
    "07": ("17",),
    "08": ("18", "19"),
    "09": ("20", "21"),
    "10": ("22", "23", "24"),
    "11": ("25",),
    "12": ("26", "27", "28", "29"),
    "13": ("30",),
    "14": ("31", "32"),
    "15": ("33",),
    "16": ("34",),
    "17": ("35",),
    "18": ("36", "37"),
    "19": ("38",),
    "20": ("39",),
    "21": ("40",),
    "22": ("41", "42"),
    "23": ("43",),
    "24": ("44",),
    "25": ("45",),
    "26": ("46",),
    "27": ("47", "48", "49", "50"),
    "28": ("51", "52"),
    "29": ("53", "54", "55", "56", "57", "58", "59", "60"),
    "30": ("61", "62"),
    "31": ("63", "64", "65"),
    "32": ("66", "67", "68", "69"),
    "33": ("70",),
    "34": ("71", "72"),
    "35": ("73",),
    "36": ("74", "75"),
    "37": ("76", "77", "78", "79"),
    "38": ("80", "81", "82"),
    "39": ("83",),
    "40": ("84", "85"),
    "41": ("86", "87", "88", "89", "90"),
    # "42" public administration (divisions 91-97) holds no firms and is left out.
}
"""42-sector IO table code → GB/T 4754-2017 divisions (ours, from the sector names)."""

# ASSUMPTION: R&D spending as a fraction of revenue by IO sector (order of magnitude of the NBS
# R&D-intensity tables for above-scale firms); division overrides below.
_RD_INTENSITY_SECTOR = {
    "16": 0.025,
    "17": 0.03,
    "18": 0.02,
    "19": 0.025,
    "20": 0.035,
    "21": 0.04,
    "12": 0.015,
    "31": 0.08,
    "35": 0.25,
    "36": 0.06,
}
_RD_INTENSITY_DIVISION = {"27": 0.06, "39": 0.045, "65": 0.1, "73": 0.25, "37": 0.03}
_RD_DEFAULT_MANUFACTURING = 0.01
_RD_DEFAULT_SERVICES = 0.003
# ASSUMPTION: exports as a fraction of revenue for exporters, by IO sector.
_EXPORT_SHARE = {
    "20": 0.35,
    "08": 0.3,
    "07": 0.25,
    "09": 0.2,
    "10": 0.2,
    "19": 0.2,
    "16": 0.15,
    "17": 0.15,
    "21": 0.15,
    "12": 0.12,
    "18": 0.1,
    "31": 0.05,
}


def io42_divisions() -> dict[str, tuple[str, ...]]:
    """IO-42 sector → GB/T divisions (packaged map if present, else :data:`IO42_DIVISIONS`)."""
    from importlib import resources

    path = resources.files("clusteratlas.refdata") / "io_sector_map.csv"
    if not path.is_file():
        return IO42_DIVISIONS
    frame = pd.read_csv(io.StringIO(path.read_text(encoding="utf-8")), dtype=str)
    frame = frame[frame["io_scheme"] == "nbs-42"]
    out = {
        code: tuple(c for c in codes.split() if len(c) == 2)
        for code, codes in zip(frame["io_code"], frame["gbt_codes"].fillna(""), strict=True)
        if code != "42"
    }
    return out or IO42_DIVISIONS


@dataclass(frozen=True)
class IndustryUniverse:
    """Class-level parameters (one row per GB/T 4754-2017 class that can hold firms).

    ``frame`` columns: ``code`` (class), ``division``, ``section``, ``name_zh``, ``sector``
    (IO-42 code), ``weight`` (national firm-count weight, ∝ sector gross output 2020 / classes
    in the sector), ``rev_per_worker`` (yuan per person, IO 2018 gross output / NBS 2018
    employment of the sector), ``va_ratio`` (value added / gross output, IO 2020),
    ``rd_intensity`` (fraction of revenue), ``export_share`` (fraction), ``manufacturing``
    (bool), ``market_size`` (yuan, class's national market in 2020 = sector output / classes).
    """

    frame: pd.DataFrame


def _io_sector_stats() -> pd.DataFrame:
    from clusteratlas import refdata

    stats = []
    for name in ("china-2020-42", "china-2018-42"):
        raw = refdata.io_table_raw(name)
        dom = raw[(raw["Origin"] == "Domestic")].set_index("Code")
        go = dom["GO"].astype(float) * 1e4  # 万元 → yuan
        tot = raw[raw["Origin"] == "TOT"].set_index("Code")
        sector_cols = [c for c in raw.columns if re.fullmatch(r"\d\d", str(c))]
        va = tot.loc["TVA", sector_cols].astype(float) * 1e4
        ti = tot.loc["TI", sector_cols].astype(float) * 1e4
        stats.append(
            pd.DataFrame(
                {"go": go.reindex(sector_cols), "va_ratio": (va / ti).values}, index=sector_cols
            ).add_suffix("_" + name[6:10])
        )
    return pd.concat(stats, axis=1)


def _division_employment() -> pd.Series:
    """NBS 2018 employment (persons) by GB/T 4754-2017 division (matched by position)."""
    from clusteratlas import refdata

    emp = refdata.employment_by_sector()
    emp = emp[emp["year"] == emp["year"].max()]
    divisions = _industries()
    div = divisions[divisions["level"] == "division"][["code", "parent"]]
    out: dict[str, float] = {}
    for section, group in div.groupby("parent"):
        codes = sorted(group["code"])
        sub = emp[emp["code"].str.fullmatch(rf"{section}\d\d")].sort_values("code")
        if len(sub) == len(codes):
            out.update(dict(zip(codes, sub["value"].astype(float), strict=True)))
        else:
            total = emp.loc[emp["code"] == section, "value"].astype(float)
            if len(total):
                for code in codes:
                    out[code] = float(total.iloc[0]) / len(codes)
    return pd.Series(out, dtype="float64")


@lru_cache(maxsize=1)
def _industries() -> pd.DataFrame:
    from clusteratlas import refdata

    return refdata.industries()


@lru_cache(maxsize=1)
def industry_universe() -> IndustryUniverse:
    """The class-level parameter table (cached), see :class:`IndustryUniverse`."""
    ind = _industries()
    classes = ind[ind["level"] == "class"][["code", "name_zh", "section"]].copy()
    classes["division"] = classes["code"].str[:2]
    div_to_sector = {d: s for s, divs in io42_divisions().items() for d in divs}
    classes["sector"] = classes["division"].map(div_to_sector)
    classes = classes[classes["sector"].notna()].reset_index(drop=True)
    stats = _io_sector_stats()
    emp = _division_employment()
    emp_sector = emp.groupby(emp.index.map(div_to_sector)).sum()
    n_classes = classes.groupby("sector")["code"].transform("count")
    go20 = classes["sector"].map(stats["go_2020"])
    go18 = classes["sector"].map(stats["go_2018"])
    classes["weight"] = (go20 / n_classes).astype("float64")
    classes["market_size"] = (go20 / n_classes).astype("float64")
    rpw = (go18 / classes["sector"].map(emp_sector)).astype("float64")
    classes["rev_per_worker"] = rpw.fillna(rpw.median()).clip(2e5, 5e6)
    classes["va_ratio"] = classes["sector"].map(stats["va_ratio_2020"]).astype("float64")
    classes["manufacturing"] = classes["section"] == "C"
    rd = classes["division"].map(_RD_INTENSITY_DIVISION)
    rd = rd.fillna(classes["sector"].map(_RD_INTENSITY_SECTOR))
    rd = rd.fillna(
        classes["manufacturing"].map({True: _RD_DEFAULT_MANUFACTURING, False: _RD_DEFAULT_SERVICES})
    )
    classes["rd_intensity"] = rd.astype("float64")
    classes["export_share"] = classes["sector"].map(_EXPORT_SHARE).fillna(0.02).astype("float64")
    return IndustryUniverse(classes)


# --- regions ------------------------------------------------------------------------------------

BEIJING_DISTRICTS = (
    "110101",
    "110102",
    "110105",
    "110106",
    "110107",
    "110108",
    "110109",
    "110111",
    "110112",
    "110113",
    "110114",
    "110115",
    "110116",
    "110117",
    "110118",
    "110119",
)
"""Dongcheng, Xicheng, Chaoyang, Fengtai, Shijingshan, Haidian, Mentougou, Fangshan, Tongzhou,
Shunyi, Changping, Daxing (incl. Beijing E-Town/Yizhuang), Huairou, Pinggu, Miyun, Yanqing."""

# ASSUMPTION: district shares of firms by profile (ours; Haidian/Chaoyang lead ICT and services,
# Daxing (E-Town/Yizhuang) IC, medicine and manufacturing, Changping medicine).
DISTRICT_PROFILES: dict[str, tuple[float, ...]] = {
    # order of BEIJING_DISTRICTS: DC XC CY FT SJS HD MTG FS TZ SY CP DX HR PG MY YQ
    "ict": (
        0.04,
        0.06,
        0.22,
        0.05,
        0.05,
        0.38,
        0.005,
        0.01,
        0.03,
        0.02,
        0.04,
        0.06,
        0.01,
        0.005,
        0.005,
        0.005,
    ),
    "ic": (
        0.01,
        0.01,
        0.05,
        0.02,
        0.01,
        0.28,
        0.005,
        0.01,
        0.03,
        0.08,
        0.07,
        0.40,
        0.01,
        0.005,
        0.005,
        0.005,
    ),
    "medicine": (
        0.02,
        0.02,
        0.08,
        0.05,
        0.01,
        0.15,
        0.01,
        0.03,
        0.05,
        0.04,
        0.25,
        0.26,
        0.01,
        0.01,
        0.01,
        0.01,
    ),
    "manufacturing": (
        0.01,
        0.01,
        0.04,
        0.04,
        0.02,
        0.12,
        0.02,
        0.07,
        0.06,
        0.17,
        0.12,
        0.20,
        0.05,
        0.03,
        0.03,
        0.01,
    ),
    "scitech": (
        0.05,
        0.07,
        0.16,
        0.06,
        0.03,
        0.42,
        0.005,
        0.01,
        0.03,
        0.02,
        0.07,
        0.05,
        0.01,
        0.005,
        0.005,
        0.005,
    ),
    "general": (
        0.07,
        0.09,
        0.25,
        0.09,
        0.03,
        0.17,
        0.01,
        0.03,
        0.06,
        0.05,
        0.06,
        0.06,
        0.01,
        0.01,
        0.01,
        0.01,
    ),
}

PROVINCE_SHORT: dict[str, str] = {
    "110000": "北京",
    "120000": "天津",
    "130000": "河北",
    "140000": "山西",
    "150000": "内蒙古",
    "210000": "辽宁",
    "220000": "吉林",
    "230000": "黑龙江",
    "310000": "上海",
    "320000": "江苏",
    "330000": "浙江",
    "340000": "安徽",
    "350000": "福建",
    "360000": "江西",
    "370000": "山东",
    "410000": "河南",
    "420000": "湖北",
    "430000": "湖南",
    "440000": "广东",
    "450000": "广西",
    "460000": "海南",
    "500000": "重庆",
    "510000": "四川",
    "520000": "贵州",
    "530000": "云南",
    "540000": "西藏",
    "610000": "陕西",
    "620000": "甘肃",
    "630000": "青海",
    "640000": "宁夏",
    "650000": "新疆",
}


@dataclass(frozen=True)
class RegionUniverse:
    """Where firms outside Beijing sit: ``codes`` (6-digit GB/T 2260), ``province`` (its
    province code) and ``weight`` (firm-count share, sums to 1 over these rows)."""

    codes: np.ndarray
    province: np.ndarray
    weight: np.ndarray


@lru_cache(maxsize=8)
def region_universe(years: tuple[int, ...]) -> RegionUniverse:
    """Tianjin's districts, Hebei's prefectures and the other 28 provinces (cached), weighted
    by the provinces' real GDP shares in the panel's last year
    (:func:`clusteratlas.synth.national.province_weights`); within Tianjin and Hebei by the
    ASSUMPTION weights below (Binhai New Area ×4; Shijiazhuang, Tangshan, Baoding, Langfang
    heavier)."""
    from clusteratlas import refdata
    from clusteratlas.synth.national import province_weights

    reg = refdata.regions()
    shares = province_weights(list(years))
    codes: list[str] = []
    prov: list[str] = []
    weight: list[float] = []
    tianjin = sorted(reg.loc[(reg["parent"] == "120000"), "code"])
    hebei = sorted(reg.loc[(reg["parent"] == "130000") & (reg["level"] == "prefecture"), "code"])
    for code, share in shares.items():
        if code == "110000":
            continue
        if code == "120000" and tianjin:
            w = np.array([4.0 if c == "120116" else 1.0 for c in tianjin])  # Binhai New Area
            codes += tianjin
            prov += [code] * len(tianjin)
            weight += list(share * w / w.sum())
        elif code == "130000" and hebei:
            heavy = {"130100": 2.5, "130200": 2.0, "130600": 2.0, "131000": 1.5}  # SJZ, TS, BD, LF
            w = np.array([heavy.get(c, 1.0) for c in hebei])
            codes += hebei
            prov += [code] * len(hebei)
            weight += list(share * w / w.sum())
        else:
            codes.append(str(code))
            prov.append(str(code))
            weight.append(float(share))
    wa = np.asarray(weight, dtype="float64")
    return RegionUniverse(np.asarray(codes), np.asarray(prov), wa / wa.sum())


# --- text pools ---------------------------------------------------------------------------------

NAME_CHARS = tuple(
    "华信诚达瑞博恒泰中天宏源盛安金鼎汇通远德佳兴嘉润拓思优航利凯明海正弘"
    "祥百鸿旭昌元立方亿磊辰睿尚卓宇"
)
"""Characters for the two-character trade name (checked to form no cluster keyword)."""

TRADE_WORDS = {
    "manufacturing": ("科技", "实业", "制造", "机械", "精密", "工业"),
    "ict": ("信息技术", "网络科技", "软件", "数据科技", "科技"),
    "medicine": ("医药", "生物技术", "医疗科技", "药业"),
    "scitech": ("技术", "科技发展", "工程技术", "检测技术", "咨询"),
    "general": ("商贸", "实业", "服务", "发展", "管理", "建设"),
}

GENERIC_SCOPE = (
    "技术开发、技术咨询、技术服务、技术转让",
    "销售自行开发的产品",
    "货物进出口、技术进出口",
    "企业管理咨询",
    "会议服务",
    "承办展览展示活动",
    "计算机系统服务",
    "租赁机械设备",
    "市场调查",
    "产品设计",
)
"""Generic 经营范围 phrases (checked to contain no cluster keyword)."""


def keyword_pattern(words: list[str]) -> re.Pattern[str]:
    """A regex matching any of ``words`` (longest first), as :mod:`clusteratlas.classify` does."""
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
