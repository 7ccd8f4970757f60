"""Units told and checked: what an import did with units, and whether the result is possible.

:func:`unit_report` says, per quantity column, how its cells were converted
(``营业收入（万元） ×10⁴ → 元``). :func:`check_plausible` rejects a whole file whose converted
values cannot be real — the usual cause is a unit mistake (yuan under a ``（万元）`` header
makes every firm 10⁴ times larger) — with a hint naming the header's unit and the likely fix.
All checks are aggregate SQL over the parsed table (no Python loop over rows).

Limits (yuan, persons), each with its reason:

* one firm-year's money value above :data:`MAX_FIRM_MONEY` (10万亿元; China's largest firm,
  State Grid, reports under 4万亿元 a year);
* one firm-year's employees above the region's population (Beijing: GDP ÷ GDP per capita,
  2024, from the packaged ``beijing-facts``: about 2,186万人);
* the median revenue per employee above :data:`MAX_MEDIAN_REVENUE_PER_EMPLOYEE`
  (10亿元 per person; typical firms have 10万–500万元);
* one year's revenue total above :data:`GDP_MULTIPLE` × China's GDP (:data:`CHINA_GDP`):
  revenue double-counts inputs, so a total may exceed GDP, but not five times the whole
  country's (a region's registry, or even a national one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import duckdb

from clusteratlas.errors import Problem, ValidationError
from clusteratlas.ingest.rules import Binding
from clusteratlas.model.schema import quote
from clusteratlas.units import unit_factor

MAX_FIRM_MONEY = 1e13
"""yuan: no firm-year reaches 10万亿元."""

MAX_MEDIAN_REVENUE_PER_EMPLOYEE = 1e9
"""yuan per person: a file whose median firm has more is mis-scaled (real lists: 10万–500万元
per person; yuan under a 万元 header gives 10亿–1000亿元)."""

MIN_ROWS_FOR_MEDIAN = 3
"""The median rule needs this many firm-years with revenue and employees."""

GDP_MULTIPLE = 5
"""A year's revenue total may exceed GDP (revenue double-counts inputs), not this many times
China's GDP."""

CHINA_GDP = 1.260582e14
"""yuan: China's 2023 GDP, 1,260,582亿元 (国家统计局, 中华人民共和国2023年国民经济和社会发展
统计公报, 2024-02-29)."""

UNIT_ZH = {"yuan": "元", "persons": "人", "count": "个", "fraction": "比例", "usd": "美元"}

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class UnitConversion:
    """How the cells of one column were converted: ``column`` (the file's header),
    ``canonical`` column, ``unit`` (as written, None = the column's default), ``factor``
    to the canonical ``to`` unit, and how many ``cells`` used it."""

    column: str
    canonical: str
    unit: str | None
    factor: float
    to: str
    cells: int

    def __str__(self) -> str:
        to = UNIT_ZH.get(self.to, self.to)
        source = f"{self.column}" if self.unit is None else f"{self.column} [{self.unit}]"
        return f"{source} {factor_text(self.factor)} → {to} ({self.cells} cells)"


def factor_text(factor: float) -> str:
    """``×10⁴`` for powers of ten, else ``×0.01``/``×6.5``."""
    if factor > 0:
        exponent = math.log10(factor)
        if abs(exponent - round(exponent)) < 1e-9:
            power = round(exponent)
            return "×1" if power == 0 else "×10" + str(power).translate(_SUPERSCRIPT)
    return f"×{factor:g}"


def unit_report(
    con: duckdb.DuckDBPyConnection, parsed: str, bindings: list[Binding], valid: str
) -> list[UnitConversion]:
    """Per quantity column and unit: the conversion applied to the rows matching ``valid``
    (an SQL condition on ``parsed``), in one scan; needs the ``l_<name>`` column (the
    cell's own unit, NULL when the header's or the default applies) in ``parsed``."""
    quantities = [b for b in bindings if b.column.parse == "quantity" and b.column.unit]
    if not quantities:
        return []
    counts = ", ".join(
        f"histogram(CASE WHEN {quote('v_' + b.name)} IS NOT NULL "
        f"THEN coalesce({quote('l_' + b.name)}, '') END)"
        for b in quantities
    )
    (maps,) = con.execute(f"SELECT {counts} FROM {parsed} WHERE {valid}").fetchall()
    result: list[UnitConversion] = []
    for b, histogram in zip(quantities, maps, strict=True):
        for label, cells in sorted((histogram or {}).items(), key=lambda kv: -kv[1]):
            unit = label or b.unit
            try:
                factor = unit_factor(unit)[1] if unit else 1.0
            except KeyError:  # only rejected cells carry unknown units
                continue
            result.append(
                UnitConversion(b.header, b.name, unit, float(factor), str(b.column.unit), cells)
            )
    return result


@lru_cache(maxsize=1)
def region_limits() -> tuple[float, int]:
    """Beijing's population (persons) in the latest year with GDP and GDP per capita in the
    packaged facts (population = GDP ÷ GDP per capita), and that year."""
    from clusteratlas import refdata

    facts = refdata.beijing_facts()
    beijing = facts[facts["region"].astype(str) == "110000"]
    gdp = beijing[beijing["indicator"] == "gdp"].set_index("year")["value"]
    per_head = beijing[beijing["indicator"] == "gdp_per_capita"].set_index("year")["value"]
    year = int(max(set(gdp.index) & set(per_head.index)))
    return float(gdp[year]) / float(per_head[year]), year


def _hint(b: Binding) -> str:
    """The likely unit mistake: base units (元, 人) under the header's larger unit."""
    try:
        to, factor = unit_factor(b.unit) if b.unit else (b.column.unit, 1.0)
    except KeyError:
        to, factor = b.column.unit, 1.0
    if factor > 1:
        base = UNIT_ZH.get(str(to), str(to))
        return (
            f"the values look like {base} under a {b.unit} header ({factor_text(factor)} too "
            f"large): if the cells are in {base}, write the header as "
            f"{b.column.label_zh or b.name}（{base}）or re-import with "
            f"--map '{b.header}={b.name}({base})' --replace"
        )
    return f"the values look too large for the unit {b.unit or b.column.unit}; check the unit"


def check_plausible(
    con: duckdb.DuckDBPyConnection,
    parsed: str,
    bindings: list[Binding],
    source: str,
    valid: str,
) -> None:
    """Raise :class:`ValidationError` (rule ``implausible``, nothing imported) when the
    converted rows matching ``valid`` break a limit of the module docstring."""
    by_name = {b.name: b for b in bindings}
    population, year = region_limits()
    problems: list[Problem] = []

    def fail(b: Binding, row: int | None, value: str, what: str) -> None:
        problems.append(Problem(source, row, b.header, value, "implausible", f"{what}; {_hint(b)}"))

    def largest_above(name: str, limit: float) -> tuple[int, float] | None:
        """The row and value of the largest ``name`` above ``limit`` (None when none is)."""
        v = quote("v_" + name)
        top = con.execute(
            f"SELECT __row, {v} FROM {parsed} WHERE {valid} AND {v} > {limit} "
            f"ORDER BY {v} DESC LIMIT 1"
        ).fetchall()
        return (int(top[0][0]), float(top[0][1])) if top else None

    money = [b for b in bindings if b.column.parse == "quantity" and b.column.unit == "yuan"]
    for b in money:
        if found := largest_above(b.name, MAX_FIRM_MONEY):
            row, value = found
            fail(
                b,
                row,
                f"{value / 1e12:,.1f}万亿元",
                f"one firm-year of {value / 1e12:,.1f}万亿元 is above the 10万亿元 no firm reaches",
            )
    if "employees" in by_name:
        b = by_name["employees"]
        if found := largest_above("employees", population):
            row, value = found
            fail(
                b,
                row,
                f"{value:,.0f}人",
                f"{value:,.0f} employees is more than Beijing's population "
                f"({population / 1e4:,.0f}万人, {year})",
            )
    if "revenue" in by_name and "employees" in by_name:
        (median, n) = con.execute(
            f"SELECT median(v_revenue / v_employees), count(*) FROM {parsed} "
            f"WHERE {valid} AND v_revenue > 0 AND v_employees > 0"
        ).fetchall()[0]
        if n >= MIN_ROWS_FOR_MEDIAN and median > MAX_MEDIAN_REVENUE_PER_EMPLOYEE:
            fail(
                by_name["revenue"],
                None,
                f"{median / 1e4:,.0f}万元/人",
                f"the median firm earns {median / 1e4:,.0f}万元 revenue per employee "
                f"(over {n} firm-years; typical firms earn 10万–500万元)",
            )
    if "revenue" in by_name and "year" in by_name:
        totals = con.execute(
            f"SELECT v_year, sum(v_revenue) AS total FROM {parsed} WHERE {valid} "
            f"GROUP BY v_year HAVING sum(v_revenue) > {GDP_MULTIPLE * CHINA_GDP} "
            "ORDER BY total DESC LIMIT 1"
        ).fetchall()
        if totals:
            y, total = totals[0]
            fail(
                by_name["revenue"],
                None,
                f"{total / 1e12:,.1f}万亿元",
                f"the file's revenue total for {y} is {total / CHINA_GDP:,.0f}× China's GDP "
                f"({CHINA_GDP / 1e12:,.0f}万亿元, 2023)",
            )
    if problems:
        columns = sorted({str(p.column) for p in problems})
        raise ValidationError(
            f"{source}: implausible values in {', '.join(columns)} — a unit mistake? "
            f"{problems[0].message}; nothing imported",
            problems,
        )
