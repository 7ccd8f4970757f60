"""Canonical table schemas: one source of truth for the DDL and for validation.

Each :class:`Column` says its storage type, canonical unit (money in **yuan**, people in
**persons**, shares as **fractions** 0–1, ``count`` for counts), whether a file must
provide it, whether it is part of the key, and how a text cell is parsed (``parse``):

``text``      trimmed text, empty → NULL
``id``        trimmed text identifier
``industry``  GB/T 4754-2017 code, must exist in ``industry``
``region``    GB/T 2260 code (or ``CN``) or a region/zone name (海淀区, 北京市朝阳区, 丰台,
              北京经济技术开发区), resolved to a code that must exist in ``region``
``zone``      a functional zone's name, alias or code (``zone`` table), resolved to its
              official name
``uscc``      统一社会信用代码, validated (GB 32100-2015)
``year``      integer year in 1949..current+1
``quantity``  number with an optional unit (cell suffix or header), converted to ``unit``
``date``      a date (2019-03-01, 2019/3/1, 20190301, 2019年3月1日, 2019)
``bool``      true/false, 1/0, yes/no, 是/否
``choice``    one of ``choices``
"""

from __future__ import annotations

from dataclasses import dataclass, field

ParseKind = str


@dataclass(frozen=True)
class Column:
    """A canonical column.

    ``unit`` is the canonical unit of a quantity; ``default_unit`` is assumed for a cell
    that states no unit when the header declares none (None for money: a reject).
    """

    name: str
    type: str
    parse: ParseKind = "text"
    unit: str | None = None
    default_unit: str | None = None
    required: bool = False
    key: bool = False
    nonneg: bool = False
    choices: tuple[str, ...] = ()
    label_zh: str = ""
    label_en: str = ""
    years_ahead: int = 1  # a ``year`` may be at most this many years after the current one
    references_firm: bool = False  # holds a firm_id of the ``firm`` table (checked on import)


@dataclass(frozen=True)
class TableSchema:
    """A canonical table: its CLI kind, columns (``dataset`` excluded) and key."""

    name: str
    kind: str | None
    columns: tuple[Column, ...]
    description: str = ""
    workspace_key: tuple[str, ...] = field(default=())

    @property
    def key(self) -> tuple[str, ...]:
        """Key columns within one file (the design doc's key)."""
        return tuple(c.name for c in self.columns if c.key)

    @property
    def column_names(self) -> tuple[str, ...]:
        """All canonical column names, in order (``dataset`` excluded)."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name`` (KeyError if absent)."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


def _money(name: str, zh: str, en: str) -> Column:
    return Column(name, "DOUBLE", "quantity", unit="yuan", nonneg=True, label_zh=zh, label_en=en)


def _qty(name: str, unit: str, zh: str, en: str, nonneg: bool = True) -> Column:
    return Column(
        name,
        "DOUBLE",
        "quantity",
        unit=unit,
        default_unit=unit,
        nonneg=nonneg,
        label_zh=zh,
        label_en=en,
    )


def _flag(name: str, zh: str, en: str) -> Column:
    return Column(name, "BOOLEAN", "bool", label_zh=zh, label_en=en)


LADDER_ATTRIBUTES: tuple[Column, ...] = (
    _qty("ip_level", "code", "主导产品知识产权等级", "IP level of the main product"),
    _qty("ip_class1_count", "count", "Ⅰ类知识产权数量", "Class-I IP count"),
    _qty("rd_institution_level", "code", "研发机构级别", "R&D institution level"),
    _qty("digital_level", "code", "数字化水平", "Digitalisation level"),
    _qty("quality_items", "count", "质量管理水平项数", "Quality-management items"),
    _qty("local_feature_points", "points", "特色化地方指标得分", "Local-feature points"),
    _qty("product_field_level", "code", "主导产品所属领域", "Main product's field"),
    _flag("honours", "高新技术企业等荣誉", "High-tech enterprise or comparable honour"),
    _flag("strategic_emerging", "属于战略性新兴产业", "In the strategic emerging industries"),
    _flag("info_system", "核心业务信息系统", "Core business on an information system"),
    _flag("mgmt_certified", "管理体系认证", "Management-system certification"),
    _flag("own_brand", "自主品牌", "Own brand"),
    _flag("chain_key_link", "位于产业链关键环节", "At a key chain link"),
    _flag("priority_field", "主导产品属于重点领域", "Main product in a priority field"),
)
"""Optional firm-year columns named by the miit-2022 ruleset's ``column:`` inputs (codes and
counts as numbers, flags as booleans); absent or NULL means unknown to the ladder."""


_YEAR = Column("year", "INTEGER", "year", required=True, key=True, label_zh="年份", label_en="Year")
# observations may carry plan targets for future years (e.g. 2035)
_TARGET_YEAR = Column(
    "year",
    "INTEGER",
    "year",
    required=True,
    key=True,
    label_zh="年份",
    label_en="Year",
    years_ahead=50,
)

TABLES: dict[str, TableSchema] = {
    t.name: t
    for t in (
        TableSchema(
            "industry",
            None,
            (
                Column("scheme", "VARCHAR", "text", required=True, key=True),
                Column("code", "VARCHAR", "text", required=True, key=True),
                Column("level", "VARCHAR", "text"),
                Column("parent", "VARCHAR", "text"),
                Column("name_zh", "VARCHAR", "text"),
                Column("name_en", "VARCHAR", "text"),
            ),
            "industry classification (GB/T 4754-2017), loaded from reference data",
        ),
        TableSchema(
            "region",
            None,
            (
                Column("code", "VARCHAR", "text", required=True, key=True),
                Column("level", "VARCHAR", "text"),
                Column("parent", "VARCHAR", "text"),
                Column("name_zh", "VARCHAR", "text"),
                Column("name_en", "VARCHAR", "text"),
                Column("province", "VARCHAR", "text"),
                Column("lon", "DOUBLE", "text"),
                Column("lat", "DOUBLE", "text"),
            ),
            "regions (GB/T 2260 codes + CN), loaded from reference data",
        ),
        TableSchema(
            "region_group",
            None,
            (
                Column("group", "VARCHAR", "text", required=True, key=True),
                Column("region", "VARCHAR", "text", required=True, key=True),
                Column("role", "VARCHAR", "text"),
            ),
            "region groups (e.g. jingjinji), loaded from reference data",
        ),
        TableSchema(
            "zone",
            None,
            (
                Column("zone", "VARCHAR", "text", required=True, key=True),
                Column("code", "VARCHAR", "text"),
                Column("name_en", "VARCHAR", "text"),
                Column("kind", "VARCHAR", "text"),
                Column("host", "VARCHAR", "text"),
                Column("parent", "VARCHAR", "text"),
                Column("aliases", "VARCHAR", "text"),
                Column("uscc_division", "VARCHAR", "text"),
                Column("source", "VARCHAR", "text"),
            ),
            "functional zones (development zones, parks) by official name, with a short code "
            "and their host district, from reference data",
        ),
        TableSchema(
            "observation",
            "observations",
            (
                Column(
                    "region",
                    "VARCHAR",
                    "region",
                    required=True,
                    key=True,
                    label_zh="地区",
                    label_en="Region",
                ),
                Column(
                    "industry",
                    "VARCHAR",
                    "industry",
                    key=True,
                    label_zh="行业",
                    label_en="Industry",
                ),
                _TARGET_YEAR,
                Column(
                    "indicator",
                    "VARCHAR",
                    "indicator",
                    required=True,
                    key=True,
                    label_zh="指标",
                    label_en="Indicator",
                ),
                Column(
                    "value",
                    "DOUBLE",
                    "observation_value",
                    required=True,
                    label_zh="数值",
                    label_en="Value",
                ),
                Column("unit", "VARCHAR", "observation_unit", label_zh="单位", label_en="Unit"),
                Column("bound", "VARCHAR", "choice", choices=("=", ">", "<", "range")),
                Column("low", "DOUBLE", "observation_value"),
                Column("high", "DOUBLE", "observation_value"),
                Column("source", "VARCHAR", "text", label_zh="来源", label_en="Source"),
                Column("note", "VARCHAR", "text", label_zh="备注", label_en="Note"),
            ),
            "indicator values by region × industry × year; industry NULL = all industries",
        ),
        TableSchema(
            "firm",
            "firms",
            (
                Column(
                    "firm_id",
                    "VARCHAR",
                    "id",
                    required=True,
                    key=True,
                    label_zh="企业ID",
                    label_en="Firm id",
                ),
                Column("uscc", "VARCHAR", "uscc", label_zh="统一社会信用代码", label_en="USCC"),
                Column("name", "VARCHAR", "text", label_zh="企业名称", label_en="Name"),
                Column("region", "VARCHAR", "region", label_zh="地区", label_en="Region"),
                Column("zone", "VARCHAR", "zone", label_zh="功能区", label_en="Functional zone"),
                Column("industry", "VARCHAR", "industry", label_zh="行业", label_en="Industry"),
                Column("founded", "DATE", "date", label_zh="成立日期", label_en="Founded"),
                Column("status", "VARCHAR", "text", label_zh="经营状态", label_en="Status"),
                Column("listed", "BOOLEAN", "bool", label_zh="是否上市", label_en="Listed"),
                Column("scope", "VARCHAR", "text", label_zh="经营范围", label_en="Business scope"),
            ),
            "firms; firm_id may be the USCC or any id; uscc validated when present",
            workspace_key=("firm_id",),
        ),
        TableSchema(
            "firm_year",
            "firm-years",
            (
                Column(
                    "firm_id",
                    "VARCHAR",
                    "id",
                    required=True,
                    key=True,
                    label_zh="企业ID",
                    label_en="Firm id",
                    references_firm=True,
                ),
                _YEAR,
                _money("revenue", "营业收入", "Revenue"),
                _money("main_revenue", "主营业务收入", "Main business revenue"),
                _money("value_added", "增加值", "Value added"),
                _qty("employees", "persons", "从业人员", "Employees"),
                _money("rd_spend", "研发费用", "R&D spending"),
                _qty("rd_staff", "persons", "研发人员", "R&D staff"),
                _qty("invention_patents", "count", "有效发明专利", "Invention patents"),
                _money("equity_raised", "股权融资额", "Equity raised"),
                _qty("valuation_usd", "usd", "估值（美元）", "Valuation (USD)"),
                _qty("debt_ratio", "fraction", "资产负债率", "Debt ratio"),
                _qty("net_margin", "fraction", "净利润率", "Net margin", nonneg=False),
                _money("exports", "出口额", "Exports"),
                _qty("market_share", "fraction", "市场占有率", "Market share"),
                # optional certification attributes that the miit-2022 ladder rules read
                *LADDER_ATTRIBUTES,
            ),
            "yearly firm measures; money in yuan, people in persons, ratios as fractions",
            workspace_key=("firm_id", "year"),
        ),
        TableSchema(
            "firm_tag",
            "tags",
            (
                Column("firm_id", "VARCHAR", "id", required=True, key=True, references_firm=True),
                _YEAR,
                Column(
                    "tag",
                    "VARCHAR",
                    "tag",
                    required=True,
                    key=True,
                    label_zh="标签",
                    label_en="Tag",
                ),
                Column("source", "VARCHAR", "choice", choices=("certified", "screened")),
            ),
            "enterprise tags (unicorn, zjtx, little_giant, single_champion, chain_leader …)",
            workspace_key=("firm_id", "year", "tag"),
        ),
        TableSchema(
            "supply_edge",
            "supply-edges",
            (
                Column("supplier", "VARCHAR", "id", required=True, key=True, references_firm=True),
                Column("customer", "VARCHAR", "id", required=True, key=True, references_firm=True),
                _YEAR,
                _money("value", "交易额", "Value"),
            ),
            "firm-to-firm supply links (value in yuan, optional)",
            workspace_key=("supplier", "customer", "year"),
        ),
        TableSchema(
            "io_table",
            "io-table",
            (
                Column("table", "VARCHAR", "id", required=True, key=True),
                Column("row", "VARCHAR", "id", required=True, key=True),
                Column("col", "VARCHAR", "id", required=True, key=True),
                Column(
                    "value",
                    "DOUBLE",
                    "quantity",
                    unit="yuan",
                    required=True,
                    label_zh="数值",
                    label_en="Value",
                ),
                Column("row_name", "VARCHAR", "text"),
                Column("col_name", "VARCHAR", "text"),
                Column("row_kind", "VARCHAR", "text"),
                Column("col_kind", "VARCHAR", "text"),
            ),
            "input–output tables in long form (value in yuan; negative cells allowed)",
            workspace_key=("table", "row", "col"),
        ),
    )
}

FIRM_YEAR_MEASURES: tuple[str, ...] = tuple(
    c.name
    for c in TABLES["firm_year"].columns
    if not c.key and c.parse == "quantity" and c not in LADDER_ATTRIBUTES
)
"""The yearly numeric measures of ``firm_year`` (revenue … market_share; money in yuan, people in
persons, ratios as fractions), in schema order; the ladder attributes are
:data:`LADDER_ATTRIBUTES`."""

FIRM_YEAR_SIZE_MEASURES: tuple[str, ...] = tuple(
    m
    for m in FIRM_YEAR_MEASURES
    if TABLES["firm_year"].column(m).unit in ("yuan", "persons", "count")
)
"""The additive measures of :data:`FIRM_YEAR_MEASURES` (yuan, persons, counts): those that can
be summed into the size of an industry or cluster in a region."""

KINDS: dict[str, str] = {t.kind: t.name for t in TABLES.values() if t.kind is not None}
"""CLI kind → table name (observations → observation, firm-years → firm_year, …)."""

TAGS: dict[str, str] = {
    "独角兽": "unicorn",
    "专精特新": "zjtx",
    "专精特新中小企业": "zjtx",
    "小巨人": "little_giant",
    "专精特新小巨人": "little_giant",
    "专精特新“小巨人”": "little_giant",
    "单项冠军": "single_champion",
    "制造业单项冠军": "single_champion",
    "链主": "chain_leader",
    "链主企业": "chain_leader",
    "高新技术企业": "hnte",
    "瞪羚": "gazelle",
    "瞪羚企业": "gazelle",
    "科技型中小企业": "tech_sme",
}
"""Chinese tag labels → canonical tag names (other tags are kept as written, lower-cased)."""

DATASET_DDL = """
CREATE TABLE IF NOT EXISTS dataset (
    name VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    "table" VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    source_file VARCHAR,
    content_hash VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    synthetic BOOLEAN NOT NULL,
    columns VARCHAR,
    coverage VARCHAR
)
"""


def quote(name: str) -> str:
    """Double-quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def resolve_kind(kind: str) -> TableSchema:
    """The schema for a CLI kind (``firm-years``) or table name (``firm_year``).

    Raises :class:`~clusteratlas.errors.InputError` for anything else.
    """
    from clusteratlas.errors import InputError

    key = kind.strip().lower()
    if key in KINDS:
        return TABLES[KINDS[key]]
    if key in TABLES and TABLES[key].kind is not None:
        return TABLES[key]
    raise InputError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")


def ddl(table: TableSchema) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for a canonical table (``dataset`` column first)."""
    cols = ['"dataset" VARCHAR NOT NULL']
    cols += [f"{quote(c.name)} {c.type}" for c in table.columns]
    return f"CREATE TABLE IF NOT EXISTS {quote(table.name)} (\n    " + ",\n    ".join(cols) + "\n)"
