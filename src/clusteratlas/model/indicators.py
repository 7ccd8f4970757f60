"""The indicator registry: name, canonical unit, labels (open vocabulary).

Known indicators fix the canonical unit a value must convert to (``revenue`` → yuan,
``employment`` → persons, ``rd_intensity`` → fraction). Unknown indicators are accepted when
the row or file states a parseable unit; their canonical unit is the unit's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Indicator:
    """A registered indicator; ``unit`` is canonical (yuan, persons, fraction, count, usd)."""

    name: str
    unit: str
    label_zh: str
    label_en: str
    aliases: tuple[str, ...] = ()


INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        Indicator("revenue", "yuan", "营业收入", "Revenue", ("营收", "收入", "营业总收入")),
        Indicator("main_revenue", "yuan", "主营业务收入", "Main business revenue"),
        Indicator("output", "yuan", "总产值", "Gross output", ("产值", "工业总产值")),
        Indicator("value_added", "yuan", "增加值", "Value added", ("工业增加值",)),
        Indicator("gdp", "yuan", "地区生产总值", "GDP", ("生产总值", "grp")),
        Indicator("profit", "yuan", "利润总额", "Total profit", ("利润",)),
        Indicator("tax", "yuan", "税收", "Tax revenue", ("税收收入",)),
        Indicator("investment", "yuan", "固定资产投资", "Fixed-asset investment", ("投资",)),
        Indicator("rd_spend", "yuan", "研发经费", "R&D spending", ("研发投入", "研发费用")),
        Indicator("exports", "yuan", "出口额", "Exports", ("出口",)),
        Indicator("imports", "yuan", "进口额", "Imports", ("进口",)),
        Indicator("fdi", "usd", "实际利用外资", "Foreign direct investment"),
        Indicator("employment", "persons", "从业人员", "Employment", ("从业人数", "就业人数")),
        Indicator("population", "persons", "常住人口", "Population", ("人口",)),
        Indicator("rd_staff", "persons", "研发人员", "R&D staff"),
        Indicator("establishments", "count", "法人单位数", "Establishments", ("单位数",)),
        Indicator("firms", "count", "企业数", "Firms", ("企业数量", "企业家数")),
        Indicator("patents", "count", "专利授权量", "Patents granted", ("专利",)),
        Indicator("invention_patents", "count", "发明专利", "Invention patents"),
        Indicator("rd_intensity", "fraction", "研发投入强度", "R&D intensity", ("研发强度",)),
        Indicator("share_of_gdp", "fraction", "占地区生产总值比重", "Share of GDP", ("占gdp比重",)),
        Indicator("growth", "fraction", "增速", "Growth rate", ("增长率", "同比增长")),
    )
}

DEFAULT_UNITLESS = frozenset({"persons", "count"})
"""Canonical units a value may omit (read as that unit); money and fractions must state one."""


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-\u3000]+", "", text).lower()


def indicator_aliases() -> dict[str, str]:
    """Normalised alias (name, zh/en label, listed aliases) → indicator name."""
    result: dict[str, str] = {}
    for ind in INDICATORS.values():
        for alias in (ind.name, ind.label_zh, ind.label_en, *ind.aliases):
            result.setdefault(_norm(alias), ind.name)
    return result


def canonical_indicator(name: str) -> str:
    """The registered name for ``name`` or an alias; unknown names are normalised
    (trimmed, lower-cased, spaces → ``_``) and kept (open vocabulary)."""
    found = indicator_aliases().get(_norm(name))
    if found is not None:
        return found
    return re.sub(r"\s+", "_", name.strip()).lower()


def indicators() -> pd.DataFrame:
    """The registry as a table: ``name, unit, label_zh, label_en``."""
    return pd.DataFrame(
        [(i.name, i.unit, i.label_zh, i.label_en) for i in INDICATORS.values()],
        columns=["name", "unit", "label_zh", "label_en"],
    )
