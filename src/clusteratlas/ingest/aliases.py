"""Column headers → canonical column names (and a unit declared in the header).

A header is read as ``name`` plus an optional unit suffix in brackets: ``营业收入(万元)``,
``营业收入（亿元）``, ``revenue [万元]``. The name is looked up, after ``--map old=new``
overrides, in :data:`ALIASES` (documented in ``docs/ingest.md``); canonical names map to
themselves. Headers that match nothing are reported as ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from clusteratlas.errors import InputError
from clusteratlas.ingest.headers import HEADER_JOIN

# alias (normalised: lower-case, no white space, no underscores/hyphens) -> canonical column
_ALIAS_LIST: dict[str, tuple[str, ...]] = {
    # firm identity
    "firm_id": ("firmid", "id", "企业id", "企业编号", "企业代码", "主体id", "entityid"),
    "uscc": (
        "统一社会信用代码",
        "社会信用代码",
        "信用代码",
        "统一代码",
        "creditcode",
        "unifiedsocialcreditcode",
    ),
    "name": ("企业名称", "公司名称", "单位名称", "名称", "firmname", "companyname", "enterprise"),
    "industry": (
        "行业代码",
        "行业",
        "国民经济行业代码",
        "国民经济行业分类",
        "国标行业代码",
        "所属行业代码",
        "industrycode",
        "gbt4754",
    ),
    "region": (
        "地区",
        "地区代码",
        "区域",
        "区域代码",
        "行政区划代码",
        "行政区划",
        "所在地区代码",
        "regioncode",
        "adcode",
        "注册区",
        "注册地区",
        "注册区县",
        "注册地",
        "所在区",
        "所属区",
        "所在区县",
        "所属区县",
        "区县",
        "行政区",
        "所属地区",
        "所在地区",
        "district",
    ),
    "zone": ("功能区", "园区", "所属园区", "所在园区", "开发区", "zone", "park"),
    "founded": (
        "成立日期",
        "成立时间",
        "成立年份",
        "注册日期",
        "foundeddate",
        "founding",
        "established",
    ),
    "status": ("经营状态", "登记状态", "企业状态", "状态"),
    "listed": ("是否上市", "上市", "上市状态", "islisted"),
    "scope": ("经营范围", "businessscope"),
    # firm-year measures
    "year": ("年份", "年度", "年", "统计年度", "报告期", "fiscalyear"),
    "revenue": ("营业收入", "营收", "收入", "营业总收入", "operatingrevenue", "sales"),
    "main_revenue": ("主营业务收入", "主营收入", "mainrevenue", "mainbusinessrevenue"),
    "value_added": ("增加值", "工业增加值", "valueadded", "va"),
    "employees": (
        "从业人员",
        "从业人数",
        "员工人数",
        "职工人数",
        "从业人员数",
        "employment",
        "staff",
    ),
    "rd_spend": (
        "研发费用",
        "研发投入",
        "研发经费",
        "研发经费支出",
        "rdspend",
        "rdexpenditure",
        "r&d",
    ),
    "rd_staff": ("研发人员", "研发人数", "研发人员数", "rdstaff", "r&dstaff"),
    "invention_patents": (
        "发明专利",
        "有效发明专利",
        "发明专利数",
        "有效发明专利数",
        "inventionpatents",
    ),
    "equity_raised": ("融资额", "股权融资", "累计融资", "equityraised", "funding"),
    "valuation_usd": ("估值", "估值(美元)", "valuationusd", "valuation"),
    "debt_ratio": ("资产负债率", "debtratio", "leverage"),
    "net_margin": ("净利润率", "销售净利率", "netmargin"),
    "exports": ("出口", "出口额", "出口交货值", "export"),
    "market_share": ("市场占有率", "市场份额", "marketshare"),
    # optional certification attributes read by the ladder rules (model.schema.LADDER_ATTRIBUTES)
    "ip_level": ("知识产权等级",),
    "ip_class1_count": ("一类知识产权数量", "Ⅰ类知识产权数量"),
    "rd_institution_level": ("研发机构级别",),
    "digital_level": ("数字化水平",),
    "quality_items": ("质量管理水平项数",),
    "local_feature_points": ("特色化指标得分",),
    "product_field_level": ("主导产品所属领域",),
    "honours": ("高新技术企业",),
    "strategic_emerging": ("战略性新兴产业",),
    "info_system": ("信息系统",),
    "mgmt_certified": ("管理体系认证",),
    "own_brand": ("自主品牌",),
    "chain_key_link": ("产业链关键环节",),
    "priority_field": ("重点领域",),
    # tags
    "tag": ("标签", "企业标签", "资质", "认定类型", "梯度", "tier"),
    "source": ("来源", "数据来源", "出处"),
    # supply edges
    "supplier": ("供应商", "供应方", "卖方", "supplierid", "seller"),
    "customer": ("客户", "采购方", "买方", "customerid", "buyer"),
    # io tables
    "table": ("表", "表名", "投入产出表", "iotable", "tablename"),
    "row": ("行", "行部门", "投入部门", "rowsector", "from"),
    "col": ("列", "列部门", "产出部门", "column", "colsector", "to"),
    "row_name": ("行部门名称", "rowname"),
    "col_name": ("列部门名称", "colname"),
    "row_kind": ("行部门类型", "rowkind"),
    "col_kind": ("列部门类型", "colkind"),
    # observations
    "indicator": ("指标", "指标名称", "统计指标", "variable", "measure"),
    "value": ("数值", "值", "指标值", "amount", "金额", "交易额", "流量", "价值量"),
    "unit": ("单位", "计量单位", "units"),
    "bound": ("界限", "比较符"),
    "low": ("下限", "最小值", "lower", "min"),
    "high": ("上限", "最大值", "upper", "max"),
    "note": ("备注", "说明", "notes", "comment"),
}


def norm_header(text: str) -> str:
    """Lower-case, drop white space, underscores and hyphens (``Firm_ID`` → ``firmid``)."""
    return re.sub(r"[\s_\-\u3000]+", "", text).lower()


ALIASES: dict[str, str] = {}
for _canonical, _aliases in _ALIAS_LIST.items():
    for _alias in (_canonical, *_aliases):
        ALIASES.setdefault(norm_header(_alias), _canonical)

_UNIT_SUFFIX = re.compile(r"^(?P<name>.*?)\s*[(（\[【](?P<unit>[^()（）\[\]【】]*)[)）\]】]\s*$")


@dataclass(frozen=True)
class Header:
    """One column of the user's file: ``original`` text, ``canonical`` name or None, ``unit``."""

    position: int
    original: str
    canonical: str | None
    unit: str | None


def split_unit(header: str) -> tuple[str, str | None]:
    """Split ``营业收入(万元)`` into ``("营业收入", "万元")``; no brackets → ``(header, None)``."""
    text = header.strip().lstrip("\ufeff").strip()
    match = _UNIT_SUFFIX.match(text)
    if not match:
        return text, None
    unit = match.group("unit").strip()
    return match.group("name").strip(), unit or None


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """Parse ``["old=new", …]`` (the ``--map`` flag) into a dict; a bad pair is an InputError."""
    result: dict[str, str] = {}
    for pair in pairs or []:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise InputError(f"--map expects OLD=NEW, got {pair!r}")
        result[old.strip()] = new.strip()
    return result


def _parts(text: str) -> list[str]:
    """The texts a header is looked up by: itself, then (two-row headers) its lower and
    its upper part."""
    parts = [p.strip() for p in text.split(HEADER_JOIN)]
    return [text, *reversed(parts)] if len(parts) > 1 else [text]


def canonical_name(
    header: str, mapping: Mapping[str, str] | None = None, wanted: set[str] | None = None
) -> tuple[str | None, str | None]:
    """The canonical column and unit of one header text (see :func:`map_headers`)."""
    mapping = mapping or {}
    for text in _parts(header):
        name, unit = split_unit(text)
        target = mapping.get(text.strip(), mapping.get(name))
        if target is not None:
            target_name, target_unit = split_unit(target)
            name, unit = target_name, target_unit or unit
        canonical = ALIASES.get(norm_header(name)) if name else None
        if canonical is not None and (wanted is None or canonical in wanted):
            if unit is None and text != header:  # a unit in the other part (营业收入 / 万元)
                unit = split_unit(header)[1]
            return canonical, unit
    return None, split_unit(header)[1]


def header_score(mapping: Mapping[str, str] | None, wanted: set[str]) -> Callable[[list[str]], int]:
    """How many of a row's texts name a column of ``wanted`` (for header detection)."""

    def score(names: list[str]) -> int:
        found = {canonical_name(n, mapping, wanted)[0] for n in names if n}
        return len(found - {None})

    return score


def map_headers(
    headers: list[str], mapping: Mapping[str, str] | None = None, wanted: set[str] | None = None
) -> list[Header]:
    """Map the file's headers to canonical columns.

    ``mapping`` (from ``--map``) is tried first, on the full header and on the header
    without its unit suffix; its target may carry a unit itself (``营收=revenue(万元)``).
    ``wanted`` restricts canonical names to one table's columns (others are ignored).
    Two columns mapping to the same canonical name raise an InputError (rule
    ``duplicate_column``).
    """
    mapping = dict(mapping or {})
    result: list[Header] = []
    seen: dict[str, str] = {}
    for position, raw in enumerate(headers):
        original = "" if raw is None else str(raw)
        canonical, unit = canonical_name(original, mapping, wanted)
        if canonical is not None:
            if canonical in seen:
                raise InputError(
                    f"columns {seen[canonical]!r} and {original!r} both map to {canonical!r}; "
                    f"drop one or use --map to rename [rule: duplicate_column]"
                )
            seen[canonical] = original
        result.append(Header(position, original, canonical, unit))
    return result
