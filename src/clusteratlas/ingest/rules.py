"""Validation rules as set-based DuckDB SQL.

Each canonical column bound to a column of the user's file gets three SQL pieces built
here: its text (``t_``), its typed canonical value (``v_``) and the rule it breaks
(``e_``, NULL when fine). :mod:`clusteratlas.ingest.compiler` assembles them into one
``SELECT`` over the raw text relation and derives the rejects relation (per-column rules,
reference-data existence, duplicate keys) with joins and group-bys — no Python loop over
rows.

Rules (the ``rule`` column of ``FILE.rejects.csv``) are listed in :data:`RULES`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

from clusteratlas.i18n import t as label
from clusteratlas.ingest.uscc import uscc_sql
from clusteratlas.model.indicators import DEFAULT_UNITLESS, INDICATORS, indicator_aliases
from clusteratlas.model.schema import TAGS, Column, quote
from clusteratlas.units import _UNITS, unit_factor

RULES = (
    "required_column",
    "required",
    "not_a_number",
    "not_an_integer",
    "not_exact",
    "unit_unknown",
    "unit_mismatch",
    "unit_missing",
    "negative",
    "year_range",
    "bad_date",
    "date_range",
    "bad_boolean",
    "bad_value",
    "uscc_format",
    "uscc_org_code",
    "uscc_check_digit",
    "industry_unknown",
    "region_unknown",
    "region_ambiguous",
    "zone_unknown",
    "duplicate_in_file",
    "duplicate_in_workspace",
    "implausible",
)
"""Every row-level rule name, in documentation order."""

INDUSTRY_SCHEME = "gbt4754-2017"
MIN_YEAR = 1949

_SP = r"[\s\x{0b}\x{1c}-\x{1f}\x{85}\p{Z}]"  # Python's Unicode \s (RE2's \s is ASCII only)
_NOT_DIGIT_SP = r"[^\d\s\x{0b}\x{1c}-\x{1f}\x{85}\p{Z}]"
_NUMBER = r"[-+]?(?:\d[\d,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
CELL_RE = (
    "^" + _SP + "*(>=|<=|>|<|≥|≤|超过|超|突破|约|近)?" + _SP + "*(" + _NUMBER + ")"
    "(?:"
    + _SP
    + "*(?:-|–|—|~|～|至|到)"
    + _SP
    + "*("
    + _NUMBER
    + "))?"
    + _SP
    + "*("
    + _NOT_DIGIT_SP
    + ".*?)?"
    + _SP
    + "*$"
)
"""RE2 twin of the cell pattern of :func:`clusteratlas.units.parse_quantity`:
groups op, a (number), b (range end), u (unit suffix)."""
_SPACE = r"[\s\x{0b}\x{1c}-\x{1f}\x{85}\p{Z}]+"


def lit(text: str | None) -> str:
    """An SQL string literal (``NULL`` for None)."""
    if text is None:
        return "NULL"
    return "'" + text.replace("'", "''") + "'"


def _case(expr: str, mapping: dict[str, str], default: str = "NULL") -> str:
    whens = " ".join(f"WHEN {lit(k)} THEN {v}" for k, v in mapping.items())
    return f"(CASE {expr} {whens} ELSE {default} END)"


def unit_norm_sql(expr: str) -> str:
    """SQL normalising a unit label like :func:`clusteratlas.units._norm` (no spaces, lower)."""
    return f"lower(regexp_replace({expr}, '{_SPACE}', '', 'g'))"


def unit_factor_sql(norm_expr: str) -> tuple[str, str]:
    """SQL ``(canonical unit, factor)`` for a normalised unit label (NULL when unknown)."""
    canonical = _case(norm_expr, {k: lit(v[0]) for k, v in _UNITS.items()})
    factor = _case(norm_expr, {k: repr(float(v[1])) for k, v in _UNITS.items()})
    return canonical, factor


def rule_message(rule: str, lang: str = "en") -> str:
    """The human sentence for a rule (from the ``ingest`` i18n catalogue)."""
    return label(f"ingest.rule.{rule}", lang)


def message_sql(rule_expr: str, lang: str = "en") -> str:
    """SQL mapping a rule column to its message."""
    return _case(rule_expr, {r: lit(rule_message(r, lang)) for r in RULES}, "NULL")


@dataclass(frozen=True)
class Binding:
    """A canonical column bound to the user's raw column ``c{position}``."""

    column: Column
    position: int
    header: str
    unit: str | None

    @property
    def name(self) -> str:
        """The canonical column name."""
        return self.column.name


@dataclass
class Parts:
    """SQL pieces of one column: staged select items and the final value/error."""

    stage1: list[str]
    stage2: list[str]
    value: str
    error: str
    stage3: list[str] = field(default_factory=list)
    stage4: list[str] = field(default_factory=list)
    stage5: list[str] = field(default_factory=list)


def trim_sql(expr: str) -> str:
    """SQL trimming white space (ASCII, no-break and ideographic spaces) from both ends."""
    strip = "^" + _SP + "+|" + _SP + "+$"
    return (
        # cheap test first: printable ASCII at both ends cannot be white space
        f"CASE WHEN NOT (ascii({expr}) BETWEEN 33 AND 132 "
        f"AND ascii(right({expr}, 1)) BETWEEN 33 AND 132) "
        f"THEN regexp_replace({expr}, {lit(strip)}, '', 'g') ELSE {expr} END"
    )


def _text(position: int) -> str:
    return f"NULLIF({trim_sql(f'c{position}')}, '')"


BLANKS = (
    *("-", "--", "—", "——", "–", "－", "/", "／", "无", "空"),
    *("n/a", "N/A", "na", "NA", "null", "NULL", "#N/A"),
)
"""Cells that mean "no value" in a numeric column (what exports write for a blank)."""


def blank_sql(expr: str) -> str:
    """SQL: ``expr`` (trimmed text), or NULL when it is empty or one of :data:`BLANKS`.

    A number never starts like a blank, so the list is only consulted for short cells."""
    blanks = ", ".join(lit(b) for b in BLANKS)
    return f"CASE WHEN length({expr}) <= 4 AND {expr} IN ({blanks}) THEN NULL ELSE {expr} END"


def _number_text(position: int) -> str:
    return blank_sql(_text(position))


def _required(col: Column) -> str:
    return "'required'" if col.required else "NULL"


def quantity_parts(
    b: Binding, row_unit: str | None = None, indicator_unit: str | None = None
) -> Parts:
    """Parse a number with an optional unit suffix into ``b.column.unit``.

    The unit is the cell's own suffix, else ``row_unit`` (an SQL expression: the
    observation's ``unit`` column), else the header's unit, else the column's default
    unit. Observation values (``indicator_unit`` given) may carry bounds and ranges.
    """
    n = b.name
    t, f, m = f"t_{n}", f"f_{n}", f"m_{n}"
    observation = indicator_unit is not None
    stage1 = [
        f"{_number_text(b.position)} AS {t}",
    ]
    # DuckDB's cast also reads 1_000 and +-5, which are not numbers (units.parse_quantity):
    # those go to the cell pattern, which refuses them
    castable = f"NOT contains({t}, '_') AND NOT contains({t}, '+-')"
    stage2 = [
        f"CASE WHEN {castable} THEN TRY_CAST({t} AS DOUBLE) END AS {f}",
        f"CASE WHEN {t} IS NOT NULL AND (NOT ({castable}) OR TRY_CAST({t} AS DOUBLE) IS NULL)"
        f" THEN regexp_extract({t}, {lit(CELL_RE)}, ['op', 'a', 'b', 'u']) END AS {m}",
    ]
    lab, nl, x, xb, cu, k = (f"{p}_{n}" for p in ("l", "nl", "x", "xb", "cu", "k"))
    cell_label = f"NULLIF({m}.u, '')"
    if row_unit is not None:
        cell_label = f"coalesce({cell_label}, {row_unit})"
    # the header's unit is resolved once here, not per row
    header_canon, header_factor = "NULL", "NULL"
    if b.unit is not None:
        try:
            hc, hf = unit_factor(b.unit)
            header_canon, header_factor = lit(hc), repr(float(hf))
        except KeyError:
            header_canon, header_factor = "NULL", "NULL"
    has_header = b.unit is not None
    stage3 = [
        f"{cell_label} AS {lab}",
        f"coalesce({f}, TRY_CAST(replace({m}.a, ',', '') AS DOUBLE)) AS {x}",
        f"TRY_CAST(replace(NULLIF({m}.b, ''), ',', '') AS DOUBLE) AS {xb}",
    ]
    stage4 = [f"CASE WHEN {lab} IS NOT NULL THEN {unit_norm_sql(lab)} END AS {nl}"]
    canon_sql, factor_sql = unit_factor_sql(nl)
    stage5 = [
        f"CASE WHEN {lab} IS NULL THEN {header_canon} ELSE {canon_sql} END AS {cu}",
        f"CASE WHEN {lab} IS NULL THEN {header_factor} ELSE {factor_sql} END AS {k}",
    ]
    labelled = f"({lab} IS NOT NULL)" if not has_header else "TRUE"
    canon, factor = cu, k
    number, number_b = x, xb
    exact_rule = ""
    if observation:
        target = indicator_unit
        # unit-less: registered persons/count indicators take their unit; others need one
        unitless_ok = (
            f"coalesce({indicator_unit} IN ({', '.join(lit(u) for u in DEFAULT_UNITLESS)}), FALSE)"
        )
        mismatch = f"({indicator_unit} IS NOT NULL AND {canon} <> {indicator_unit})"
    else:
        target = lit(b.column.unit)
        unitless_ok = "TRUE" if b.column.default_unit else "FALSE"
        mismatch = f"({canon} <> {target})"
        exact_rule = (
            f"WHEN NULLIF({m}.op, '') IS NOT NULL OR NULLIF({m}.b, '') IS NOT NULL "
            f"THEN 'not_exact' "
        )
    scaled = f"({number} * coalesce({factor}, 1.0))"
    error = (
        f"CASE WHEN {t} IS NULL THEN {_required(b.column)} "
        f"WHEN {f} IS NULL AND coalesce({m}.a, '') = '' THEN 'not_a_number' "
        f"WHEN {labelled} AND {canon} IS NULL THEN 'unit_unknown' "
        f"WHEN {labelled} AND {mismatch} THEN 'unit_mismatch' "
        f"WHEN NOT {labelled} AND NOT {unitless_ok} THEN 'unit_missing' "
        f"{exact_rule}"
        f"WHEN NOT isfinite({scaled}) OR ({number_b} IS NOT NULL AND NOT isfinite({number_b})) "
        f"THEN 'not_a_number' "
        + (f"WHEN {scaled} < 0 THEN 'negative' " if b.column.nonneg else "")
        + "END"
    )
    if observation:
        low = (
            f"(CASE WHEN {number_b} IS NOT NULL THEN least({number}, {number_b}) END "
            f"* coalesce({factor}, 1.0))"
        )
        high = (
            f"(CASE WHEN {number_b} IS NOT NULL THEN greatest({number}, {number_b}) END "
            f"* coalesce({factor}, 1.0))"
        )
        value = f"CASE WHEN {number_b} IS NOT NULL THEN ({low} + {high}) / 2 ELSE {scaled} END"
        op = f"NULLIF({m}.op, '')"
        bound = (
            f"CASE WHEN {number_b} IS NOT NULL THEN 'range' "
            f"WHEN {op} IN ('>', '>=', '≥', '超过', '超', '突破') THEN '>' "
            f"WHEN {op} IN ('<', '<=', '≤', '近') THEN '<' "
            f"WHEN {op} IS NOT NULL THEN '=' END"
        )
        unit = f"coalesce({canon}, {target})"
        return ObservationParts(
            stage1,
            stage2,
            value,
            error,
            stage3,
            stage4,
            stage5,
            low,
            high,
            bound,
            unit,
            f"coalesce({factor}, 1.0)",
        )
    return Parts(stage1, stage2, scaled, error, stage3, stage4, stage5)


@dataclass
class ObservationParts(Parts):
    """Extra pieces of an observation value: range ends, bound, canonical unit, factor."""

    low: str = ""
    high: str = ""
    bound: str = ""
    unit: str = ""
    factor: str = "1.0"


def _int_year(t: str) -> str:
    return f"TRY_CAST(regexp_replace({t}, '(年|年度)$', '') AS DOUBLE)"


def year_top(col: Column) -> int:
    """The latest year a year column accepts: this year plus ``col.years_ahead``."""
    return dt.date.today().year + col.years_ahead


def column_parts(b: Binding) -> Parts:
    """Parse/validate SQL for a non-quantity column (see :mod:`clusteratlas.model.schema`)."""
    n, col = b.name, b.column
    t = f"t_{n}"
    stage1 = [f"{_text(b.position)} AS {t}"]
    missing = f"WHEN {t} IS NULL THEN {_required(col)}"
    kind = col.parse
    if kind in ("text", "id", "zone"):
        return Parts(stage1, [], t, f"CASE {missing} END")
    if kind == "uscc":
        u = f"upper({t})"
        return Parts(stage1, [], u, f"CASE {missing} ELSE {uscc_sql(u)} END")
    if kind == "industry":
        value = (
            f"CASE WHEN regexp_full_match({t}, '[A-Ta-t][0-9]{{2,4}}') THEN substr({t}, 2) "
            f"ELSE upper({t}) END"
        )
        return Parts(stage1, [], value, f"CASE {missing} END")
    if kind == "region":
        value = f"CASE WHEN lower({t}) IN ('cn', 'china', '全国', '中国') THEN 'CN' ELSE {t} END"
        return Parts(stage1, [], value, f"CASE {missing} END")
    if kind == "year":
        y = _int_year(t)
        top = year_top(col)
        error = (
            f"CASE {missing} WHEN {y} IS NULL OR {y} <> floor({y}) THEN 'not_an_integer' "
            f"WHEN {y} < {MIN_YEAR} OR {y} > {top} THEN 'year_range' END"
        )
        return Parts(stage1, [], f"CAST({y} AS INTEGER)", error)
    if kind == "date":
        d = f"d_{n}"
        parsed = (
            f"coalesce(CAST(try_strptime({t}, ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d', '%Y.%m.%d', "
            f"'%Y年%m月%d日', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S']) AS DATE), "
            f"CASE WHEN regexp_full_match({t}, '[0-9]{{4}}(年)?') "
            f"THEN make_date(CAST(substr({t}, 1, 4) AS INTEGER), 1, 1) END) AS {d}"
        )
        today = dt.date.today() + dt.timedelta(days=1)
        error = (
            f"CASE {missing} WHEN {d} IS NULL THEN 'bad_date' "
            f"WHEN year({d}) < 1800 OR {d} > DATE '{today.isoformat()}' THEN 'date_range' END"
        )
        return Parts(stage1, [parsed], d, error)
    if kind == "bool":
        low = f"lower({t})"
        value = (
            f"CASE WHEN {low} IN ('true', 't', '1', 'yes', 'y', '是', '上市', '已上市') THEN TRUE "
            f"WHEN {low} IN ('false', 'f', '0', 'no', 'n', '否', '未上市') THEN FALSE END"
        )
        return Parts(
            stage1, [], value, f"CASE {missing} WHEN ({value}) IS NULL THEN 'bad_boolean' END"
        )
    if kind == "choice":
        low = f"lower({t})"
        choices = ", ".join(lit(c) for c in col.choices)
        return Parts(
            stage1, [], low, f"CASE {missing} WHEN {low} NOT IN ({choices}) THEN 'bad_value' END"
        )
    if kind == "tag":
        value = _case(
            t,
            {k: lit(v) for k, v in TAGS.items()},
            f"lower(regexp_replace({t}, '{_SPACE}', '_', 'g'))",
        )
        return Parts(stage1, [], value, f"CASE {missing} END")
    if kind == "indicator":
        norm = f"lower(regexp_replace({t}, '[\\s_\\-\\x{{3000}}]+', '', 'g'))"
        value = _case(
            norm,
            {k: lit(v) for k, v in indicator_aliases().items()},
            f"lower(regexp_replace({t}, '{_SPACE}', '_', 'g'))",
        )
        return Parts(stage1, [], value, f"CASE {missing} END")
    if kind == "observation_unit":
        return Parts(stage1, [], t, f"CASE {missing} END")
    raise ValueError(f"no parser for column kind {kind!r}")  # pragma: no cover


def indicator_unit_sql(indicator_value: str) -> str:
    """SQL giving the registered canonical unit of a canonical indicator name (or NULL)."""
    return _case(indicator_value, {k: lit(v.unit) for k, v in INDICATORS.items()})


def safe_alias(name: str) -> str:
    """An identifier-safe version of a canonical column name (for staged aliases)."""
    return re.sub(r"\W", "_", name)


__all__ = [
    "CELL_RE",
    "RULES",
    "Binding",
    "Parts",
    "column_parts",
    "indicator_unit_sql",
    "lit",
    "message_sql",
    "quantity_parts",
    "quote",
    "rule_message",
    "unit_factor_sql",
]


def parse_cells(
    cells: list[str | None], unit: str | None = None, indicator: str | None = None
) -> list[dict[str, object]]:
    """Parse cells with the SQL rules (in-memory DuckDB): one dict per cell with
    ``value, unit, bound, low, high, rule`` (canonical units; ``rule`` None when valid).

    ``unit`` is the header's unit; ``indicator`` a registered or free indicator name
    (the observation path: bounds and ranges allowed). For tests and diagnostics.
    """
    import duckdb
    import pyarrow as pa

    from clusteratlas.model.schema import TABLES

    con = duckdb.connect()
    try:
        con.register("cells", pa.table({"c0": pa.array(cells, type=pa.string())}))
        con.execute("CREATE TEMP TABLE src AS SELECT row_number() OVER () AS __row, c0 FROM cells")
        column = TABLES["observation"].column("value")
        binding = Binding(column, 0, "value", unit)
        ind = lit(indicator) if indicator is not None else "NULL"
        parts = quantity_parts(binding, row_unit=None, indicator_unit=indicator_unit_sql(ind))
        assert isinstance(parts, ObservationParts)
        stages = [
            ["__row", *parts.stage1],
            ["*", *parts.stage2],
            ["*", *parts.stage3],
            ["*", *parts.stage4],
            ["*", *parts.stage5],
        ]
        sql = f"WITH s1 AS (SELECT {', '.join(stages[0])} FROM src)"
        for i, stage in enumerate(stages[1:], start=1):
            sql += f", s{i + 1} AS (SELECT {', '.join(stage)} FROM s{i})"
        sql += (
            f" SELECT {parts.value} AS value, {parts.unit} AS unit, {parts.bound} AS bound, "
            f"{parts.low} AS low, {parts.high} AS high, {parts.error} AS rule "
            f"FROM s{len(stages)} ORDER BY __row"
        )
        frame = con.execute(sql).df()
    finally:
        con.close()
    return [
        {str(k): (None if pd_isna(v) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def pd_isna(value: object) -> bool:
    """True for None/NaN/NA scalars."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")
