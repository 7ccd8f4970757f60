"""Enterprise ladder (登峰): screen firms against tier rulesets, gaps to the next tier, pipeline.

Rules are data (:mod:`clusteratlas.analysis.tier_rules`, ``rulesets/miit-2022.yaml``); this
module compiles every criterion of every tier into one Ibis expression evaluated over all firms
at once (DuckDB by default, PySpark on a Spark table); only the final result is materialised.

Semantics (three-valued, SQL/Kleene logic):

- An input is **missing** for a firm when it is NULL: the firm-year row or column is absent, a
  ratio's denominator is not positive, or an optional column (``segment_years``, ``ip_level`` …)
  is not in the tables. A criterion on a missing input is *unknown* — never false, never zero.
- ``all`` is true when every part is true, false when one part is false, otherwise unknown;
  ``any`` is true when one part is true, false when every part is false, otherwise unknown; a
  criterion with ``when`` holds wherever ``when`` is false (e.g. a revenue band not applying).
- Scores are intervals: an item with a missing input counts its lowest points in ``score_low``
  and its highest in ``score_high``; ``score`` is the exact score when no item is missing,
  otherwise NaN. ``score >= 60`` is true if ``score_low >= 60``, false if ``score_high < 60``,
  otherwise unknown.
- ``status`` is ``eligible`` (the tier's condition is true with the known inputs — possibly
  through a direct route that does not need the missing ones), ``ineligible`` (false whatever
  the missing inputs are) or ``undetermined``; ``eligible`` is ``status == 'eligible'``.
- ``failed`` lists the criteria that are false and matter (no enclosing ``any``/``all`` is
  true), each ``{criterion, input, op, required, unit, actual, actual_max, gap}`` in canonical
  units (yuan, fraction, persons, years …); ``gap`` is the shortfall ``required − actual`` for
  ``>=``/``>`` and ``actual − required`` for ``<=``/``<`` (NULL for ``==``/``!=``); score
  criteria give ``actual = score_low``, ``actual_max = score_high`` and ``gap = required −
  score_high``; prerequisite-tier criteria give ``input = 'tier:<id>'``.
- ``missing`` lists the inputs that are NULL where an undecided criterion needs them (again only
  where no enclosing condition is already true); ``tier:<id>`` marks an undecided prerequisite.

``year`` is the data year (上年度 of the documents): one-year values are taken from
``firm_year`` rows of ``year``; "近2年"/"近三年" inputs use ``year-1`` and ``year-2`` too.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from clusteratlas.analysis._tabular import Tabular, require_columns, to_ibis
from clusteratlas.analysis.tier_rules import (
    DERIVED_INPUTS,
    Condition,
    Ruleset,
    Tier,
    criterion_names,
    iter_nodes,
    load_ruleset,
    threshold_unit,
)
from clusteratlas.config import DEFAULT_RULESET
from clusteratlas.errors import AnalysisError
from clusteratlas.model.schema import FIRM_YEAR_MEASURES

__all__ = [
    "FAILED_TYPE",
    "compare_certified",
    "gaps",
    "pipeline",
    "screen",
    "screen_table",
]

_LAGS = (0, 1, 2)

FAILED_STRUCT = dt.Struct(
    {
        "criterion": dt.string,
        "input": dt.string,
        "op": dt.string,
        "required": dt.float64,
        "unit": dt.string,
        "actual": dt.float64,
        "actual_max": dt.float64,
        "gap": dt.float64,
    }
)
#: type of the ``failed`` column: a list of structs (pandas: a list of dicts).
FAILED_TYPE = dt.Array(FAILED_STRUCT)
_MISSING_TYPE = dt.Array(dt.string)
_F64 = dt.float64

RulesetArg = str | Path | Ruleset


# ------------------------------------------------------------------------------------------
# inputs


def _null() -> ir.FloatingValue:
    return ibis.literal(None, type=_F64)


def _ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    """``num / den`` where ``den > 0``, else NULL (never inf/NaN)."""
    return ibis.ifelse(den > 0, num / den, _null())


def _both(a: ir.FloatingValue, b: ir.FloatingValue, f: Callable[[Any, Any], Any]) -> Any:
    """``f(a, b)`` if both are known, else NULL (LEAST/GREATEST would skip NULLs)."""
    return ibis.ifelse(a.isnull() | b.isnull(), _null(), f(a, b))


def _lower(a: Any, b: Any) -> Any:
    return ibis.ifelse(a <= b, a, b)


class _Cols:
    """Access to the pivoted per-firm table: ``c(name, lag)`` is a firm-year value."""

    def __init__(self, wide: ir.Table, year: int) -> None:
        self.wide = wide
        self.year = year

    def fy(self, name: str, lag: int = 0) -> ir.FloatingValue:
        col = f"{name}__{lag}"
        if col in self.wide.columns:
            return self.wide[col]
        return _null()

    def firm(self, name: str) -> ir.Value:
        return self.wide[name] if name in self.wide.columns else _null()


def _derive(name: str, c: _Cols) -> ir.FloatingValue:
    """The derived input ``name`` (see :data:`DERIVED_INPUTS`) as a float64 expression."""
    rd_int = [_ratio(c.fy("rd_spend", k), c.fy("revenue", k)) for k in (0, 1)]
    mgrowth = [_ratio(c.fy("main_revenue", k), c.fy("main_revenue", k + 1)) - 1 for k in (0, 1)]
    if name in (
        "revenue",
        "rd_spend",
        "debt_ratio",
        "net_margin",
        "employees",
        "market_share",
        "valuation_usd",
    ):
        return c.fy(name)
    if name == "rd_spend_avg2":
        return (c.fy("rd_spend", 0) + c.fy("rd_spend", 1)) / 2
    if name == "rd_spend_2y":
        return c.fy("rd_spend", 0) + c.fy("rd_spend", 1)
    if name == "rd_intensity":
        return rd_int[0]
    if name == "rd_intensity_min2":
        return _both(rd_int[0], rd_int[1], _lower)
    if name == "rd_staff_share":
        return _ratio(c.fy("rd_staff"), c.fy("employees"))
    if name == "main_business_share":
        return _ratio(c.fy("main_revenue"), c.fy("revenue"))
    if name == "main_revenue_growth":
        return mgrowth[0]
    if name == "main_revenue_growth_avg2":
        return (mgrowth[0] + mgrowth[1]) / 2
    if name == "revenue_growth":
        return _ratio(c.fy("revenue", 0), c.fy("revenue", 1)) - 1
    if name == "equity_raised_2y":
        return c.fy("equity_raised", 0) + c.fy("equity_raised", 1)
    if name == "equity_raised_3y":
        return c.fy("equity_raised", 0) + c.fy("equity_raised", 1) + c.fy("equity_raised", 2)
    if name == "equity_raised_ever":
        return c.fy("equity_raised", -1)
    if name == "firm_age":
        return c.firm("firm_age_years")
    if name == "listed":
        return c.firm("listed_num")
    if name in ("industry_division", "industry_class"):
        return c.firm(name)
    raise AnalysisError(f"no derivation for input {name!r}")  # guarded by InputDef


def _founded_year(col: ir.Value) -> ir.Value:
    """The founding year of ``firm.founded`` (date, timestamp, integer year or ISO text)."""
    typ = col.type()
    if typ.is_date() or typ.is_timestamp():
        return col.year()
    if typ.is_integer() or typ.is_floating():
        return col
    if typ.is_string():
        return col.try_cast("date").year()
    raise AnalysisError(f"firm.founded has type {typ}; expected a date or a year")


def _wide_table(
    firms: ir.Table, firm_years: ir.Table, year: int, rs: Ruleset, keep: Sequence[str]
) -> tuple[ir.Table, dict[str, str]]:
    """One row per firm: firm attributes, pivoted firm-year values, extra input columns.

    Returns the table and, for ``column:`` inputs, where each was found (``firm``,
    ``firm_year`` or ``absent``).
    """
    require_columns(firms, ["firm_id"], "ladder: firms")
    require_columns(firm_years, ["firm_id", "year"], "ladder: firm_years")
    require_columns(firms, keep, "ladder: firms")
    extra_firm: list[str] = []
    extra_fy: list[str] = []
    where: dict[str, str] = {}
    for spec in rs.inputs.values():
        if spec.column is None:
            continue
        if spec.column in firms.columns:
            extra_firm.append(spec.column)
            where[spec.column] = "firm"
        elif spec.column in firm_years.columns:
            extra_fy.append(spec.column)
            where[spec.column] = "firm_year"
        else:
            where[spec.column] = "absent"
    fy = firm_years.filter(firm_years.year <= year)
    aggs: dict[str, ir.Value] = {}
    for name in [c for c in FIRM_YEAR_MEASURES if c in fy.columns] + extra_fy:
        value = fy[name].cast(_F64)
        for lag in _LAGS:
            aggs[f"{name}__{lag}"] = value.max(where=fy.year == year - lag)
    if "equity_raised" in fy.columns:
        aggs["equity_raised__-1"] = fy.equity_raised.cast(_F64).sum()
    agg = fy.group_by("firm_id").aggregate(**aggs) if aggs else fy.select("firm_id").distinct()
    agg = agg.rename(firm_id_fy="firm_id")

    sel: dict[str, ir.Value] = {"firm_id": firms.firm_id.cast("string")}
    for name in keep:
        if name != "firm_id":
            sel[name] = firms[name]
    if "founded" in firms.columns:
        sel["firm_age_years"] = (ibis.literal(year) - _founded_year(firms.founded)).cast(_F64)
    if "listed" in firms.columns:
        sel["listed_num"] = firms.listed.cast("boolean").cast("int8").cast(_F64)
    if "industry" in firms.columns:
        code = firms.industry.cast("string")
        for name, digits in (("industry_division", 2), ("industry_class", 4)):
            sel[name] = code.re_extract(rf"^[A-Za-z]?(\d{{{digits}}})", 1).nullif("").try_cast(_F64)
    for name in extra_firm:
        if name not in sel:
            sel[name] = _as_number(firms[name])
    base = firms.select(**sel)
    wide = base.left_join(agg, base.firm_id == agg.firm_id_fy).drop("firm_id_fy")
    return wide, where


def _as_number(col: ir.Value) -> ir.Value:
    typ = col.type()
    if typ.is_boolean():
        return col.cast("int8").cast(_F64)
    return col.cast(_F64)


def _input_exprs(rs: Ruleset, c: _Cols, where: dict[str, str]) -> dict[str, ir.FloatingValue]:
    """Every input of the ruleset as a float64 expression (bool inputs as 0/1)."""
    out: dict[str, ir.FloatingValue] = {}
    for name, spec in rs.inputs.items():
        if spec.derive is not None:
            out[name] = _derive(spec.derive, c)
        elif where.get(spec.column or "") == "firm":
            out[name] = c.wide[spec.column]
        elif where.get(spec.column or "") == "firm_year":
            out[name] = c.fy(spec.column or "")
        else:
            out[name] = _null()
    for name, spec in rs.inputs.items():
        if spec.fallback is not None:
            out[name] = out[name].coalesce(out[spec.fallback])
    return out


# ------------------------------------------------------------------------------------------
# compiling a tier


def _table_points(table: Any, v: ir.FloatingValue, item_max: float) -> ir.FloatingValue:
    """Points of one score table for input ``v`` (NULL where ``v`` is NULL)."""
    if table.bands is not None:
        cases = []
        for band in table.bands:
            cond = v >= band.min if band.min is not None else v <= band.max
            cases.append((cond, float(band.points)))
        pts = ibis.cases(*cases, else_=float(table.else_))
    else:
        steps = (v / table.step.per).floor() * table.step.points
        pts = ibis.ifelse(steps > item_max, item_max, ibis.ifelse(steps < 0, 0.0, steps))
    return ibis.ifelse(v.isnull(), _null(), pts.cast(_F64))


def _greatest(values: list[Any]) -> Any:
    out = values[0]
    for v in values[1:]:
        out = ibis.ifelse(v > out, v, out)
    return out


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


def _required(node: Condition) -> float:
    """A leaf's threshold in the input's canonical unit (bool: 1.0/0.0)."""
    if isinstance(node.value, bool):
        return 1.0 if node.value else 0.0
    value = float(node.value or 0.0)
    if node.unit is not None:
        value *= threshold_unit(node.unit)[1]
    return value


def _leaf_inputs(node: Condition) -> list[str]:
    return [n.input for n in iter_nodes(node) if n.kind == "input" and n.input]


def _preorder(root: Condition) -> list[tuple[Condition, list[int]]]:
    """The condition tree in pre-order: ``(node, indices of its ancestors)``; ``when``
    conditions are part of their node, not separate entries."""
    nodes: list[tuple[Condition, list[int]]] = []

    def visit(node: Condition, ancestors: list[int]) -> None:
        k = len(nodes)
        nodes.append((node, ancestors))
        for child in node.children:
            visit(child, [*ancestors, k])

    visit(root, [])
    return nodes


def _flatten(pieces: list[Any], typ: dt.DataType) -> Any:
    """One list from list pieces (``FLATTEN`` of a list of lists: no nested concatenation)."""
    if not pieces:
        return ibis.literal([], type=typ)
    if len(pieces) == 1:
        return pieces[0]
    return ibis.array(pieces).flatten()


class _Compiler:
    """Compiles a ruleset into staged columns of one per-firm table.

    Stages (each a ``mutate``, so later stages refer to earlier results by column and the
    generated SQL stays linear in the size of the rules): inputs ``i__<input>``; all score
    bounds ``s__<tier>__<group>__lo|hi``; the value of every condition node
    ``v__<tier>__<k>`` (k: pre-order index), one stage per tier-dependency level;
    ``o__<tier>__<k>`` (no ancestor of node k is true); finally the per-tier output columns.
    """

    def __init__(self, rs: Ruleset, wide: ir.Table, inputs: dict[str, Any]) -> None:
        self.rs = rs
        self.t = wide.mutate(**{f"i__{k}": v.cast(_F64) for k, v in inputs.items()})
        self.index: dict[str, dict[int, int]] = {}  # tier -> id(node) -> k
        self.nodes: dict[str, list[tuple[Condition, list[int]]]] = {}  # k -> node, ancestors
        self.score_inputs: dict[str, dict[str, list[str]]] = {}
        self.names: dict[str, dict[int, str]] = {}

    def i(self, name: str) -> Any:
        return self.t[f"i__{name}"]

    def v(self, tier: str, node: Condition) -> Any:
        return self.t[f"v__{tier}__{self.index[tier][id(node)]}"]

    # stage: scores, then node values ----------------------------------------------------
    def compile_tiers(self) -> None:
        """All score columns in one stage, then node values, one stage per dependency level
        (a tier's level is one more than the highest level of the tiers it refers to)."""
        level: dict[str, int] = {}
        for tier in self.rs.tier_order():
            refs = [n.tier for n in iter_nodes(tier.requires) if n.kind == "tier" and n.tier]
            level[tier.id] = 1 + max((level[r] for r in refs), default=-1)
            nodes = _preorder(tier.requires)
            self.nodes[tier.id] = nodes
            self.index[tier.id] = {id(n): k for k, (n, _) in enumerate(nodes)}
            self.names[tier.id] = criterion_names([n for n, _ in nodes])
        scores: dict[str, Any] = {}
        for tier in self.rs.tiers:
            if tier.score is not None:
                scores.update(self._score_columns(tier))
        if scores:
            self.t = self.t.mutate(**scores)
        for lvl in range(max(level.values()) + 1):
            cols: dict[str, Any] = {}
            for tier in self.rs.tier_order():
                if level[tier.id] == lvl:
                    for k, (n, _) in enumerate(self.nodes[tier.id]):
                        cols[f"v__{tier.id}__{k}"] = self._value(tier, n)
            self.t = self.t.mutate(**cols)

    def _score_columns(self, tier: Tier) -> dict[str, Any]:
        assert tier.score is not None
        cols: dict[str, Any] = {}
        used: dict[str, list[str]] = {"total": []}
        tot_lo: list[Any] = []
        tot_hi: list[Any] = []
        for group in tier.score.groups:
            g_lo: list[Any] = []
            g_hi: list[Any] = []
            used[group.id] = []
            for item in group.items:
                lows, highs = [], []
                for table in item.tables:
                    pts = _table_points(table, self.i(table.input), item.max)
                    lo, hi = table.points_range(item.max)
                    lows.append(pts.coalesce(lo))
                    highs.append(pts.coalesce(hi))
                    used[group.id].append(table.input)
                g_lo.append(_greatest(lows))
                g_hi.append(_greatest(highs))
            lo_sum = functools.reduce(operator.add, g_lo)
            hi_sum = functools.reduce(operator.add, g_hi)
            cols[f"s__{tier.id}__{group.id}__lo"] = lo_sum
            cols[f"s__{tier.id}__{group.id}__hi"] = hi_sum
            tot_lo.append(lo_sum)
            tot_hi.append(hi_sum)
            used["total"].extend(used[group.id])
        cols[f"s__{tier.id}__total__lo"] = functools.reduce(operator.add, tot_lo)
        cols[f"s__{tier.id}__total__hi"] = functools.reduce(operator.add, tot_hi)
        self.score_inputs[tier.id] = used
        return {k: v.cast(_F64) for k, v in cols.items()}

    def _value(self, tier: Tier, node: Condition) -> Any:
        """The node's three-valued truth as an expression over input/score columns."""
        kind = node.kind
        if kind == "all":
            inner = functools.reduce(operator.and_, [self._value(tier, n) for n in node.children])
        elif kind == "any":
            inner = functools.reduce(operator.or_, [self._value(tier, n) for n in node.children])
        elif kind == "input":
            inner = _OPS[node.op or "=="](
                self.i(node.input or ""), ibis.literal(_required(node), _F64)
            )
        elif kind == "score":
            lo = self.t[f"s__{tier.id}__{node.score}__lo"]
            hi = self.t[f"s__{tier.id}__{node.score}__hi"]
            c = ibis.literal(float(node.value or 0.0), _F64)
            cmp = operator.ge if node.op == ">=" else operator.gt
            inner = ibis.cases((cmp(lo, c), True), (~cmp(hi, c), False), else_=ibis.null("boolean"))
        else:
            other = self.rs.tier(node.tier or "")
            inner = self.v(other.id, other.requires)
        if node.when is not None:
            inner = ~self._value(tier, node.when) | inner
        return inner

    # stage: open flags ------------------------------------------------------------------
    def compile_open(self) -> None:
        cols: dict[str, Any] = {}
        for tier_id, nodes in self.nodes.items():
            for k, (_, ancestors) in enumerate(nodes):
                flag: Any = ibis.literal(True)
                for a in ancestors:
                    flag = flag & ~self.t[f"v__{tier_id}__{a}"].fill_null(False)
                cols[f"o__{tier_id}__{k}"] = flag
        self.t = self.t.mutate(**cols)

    # stage: failed/missing pieces, then outputs ------------------------------------------
    def compile_outputs(
        self, tiers: Sequence[Tier], details: bool = True
    ) -> dict[str, dict[str, Any]]:
        """Per tier: ``status, eligible, score, score_low, score_high, failed, missing``.

        Each failed criterion / missing input is a one-element or empty list; a tier's list
        is their ``FLATTEN`` (one operation per row, no nested concatenation).
        """
        t = self.t
        out: dict[str, dict[str, Any]] = {}
        for tier in tiers:
            failed, missing = self._pieces(tier) if details else ([], [])
            root = t[f"v__{tier.id}__0"]
            if tier.score is not None:
                lo = t[f"s__{tier.id}__total__lo"]
                hi = t[f"s__{tier.id}__total__hi"]
                score = ibis.ifelse(lo == hi, lo, _null())
            else:
                lo = hi = score = _null()
            out[tier.id] = {
                "status": ibis.cases(
                    (root, "eligible"), (~root, "ineligible"), else_="undetermined"
                ),
                "eligible": root.fill_null(False),
                "score": score.cast(_F64),
                "score_low": lo.cast(_F64),
                "score_high": hi.cast(_F64),
                "failed": _flatten(failed, FAILED_TYPE),
                "missing": _flatten(missing, _MISSING_TYPE),
            }
        return out

    def _pieces(self, tier: Tier) -> tuple[list[Any], list[Any]]:
        failed: list[Any] = []
        missing: dict[str, list[Any]] = {}
        t = self.t
        for k, (node, _) in enumerate(self.nodes[tier.id]):
            value = t[f"v__{tier.id}__{k}"]
            open_ = t[f"o__{tier.id}__{k}"]
            unknown = value.isnull() & open_
            if node.when is not None:
                for name in _leaf_inputs(node.when):
                    missing.setdefault(name, []).append(unknown & self.i(name).isnull())
            kind = node.kind
            if kind in ("all", "any"):
                continue
            is_failed = ~value.fill_null(True) & open_
            name = self.names[tier.id][id(node)]
            if kind == "input":
                inp = node.input or ""
                v = self.i(inp)
                missing.setdefault(inp, []).append(unknown & v.isnull())
                c = _required(node)
                gap: Any = _null()
                if node.op in (">=", ">"):
                    gap = c - v
                elif node.op in ("<=", "<"):
                    gap = v - c
                unit = self.rs.inputs[inp].unit
                failed.append(self._failed(is_failed, name, inp, node.op, c, unit, v, _null(), gap))
            elif kind == "score":
                for inp in self.score_inputs[tier.id][node.score or ""]:
                    missing.setdefault(inp, []).append(unknown & self.i(inp).isnull())
                lo = t[f"s__{tier.id}__{node.score}__lo"]
                hi = t[f"s__{tier.id}__{node.score}__hi"]
                c = float(node.value or 0.0)
                failed.append(
                    self._failed(
                        is_failed, name, f"score:{node.score}", node.op, c, "points", lo, hi, c - hi
                    )
                )
            else:
                missing.setdefault(f"tier:{node.tier}", []).append(unknown)
                failed.append(
                    self._failed(
                        is_failed,
                        name,
                        f"tier:{node.tier}",
                        "==",
                        1.0,
                        "bool",
                        ibis.literal(0.0, _F64),
                        _null(),
                        _null(),
                    )
                )
        missing_pieces = [
            ibis.ifelse(
                functools.reduce(operator.or_, conds).fill_null(False),
                ibis.literal([name], type=_MISSING_TYPE),
                ibis.literal([], type=_MISSING_TYPE),
            )
            for name, conds in missing.items()
        ]
        return failed, missing_pieces

    @staticmethod
    def _failed(
        cond: Any,
        name: str,
        inp: str,
        op: str | None,
        required: float,
        unit: str,
        actual: Any,
        actual_max: Any,
        gap: Any,
    ) -> Any:
        record = ibis.struct(
            {
                "criterion": ibis.literal(name),
                "input": ibis.literal(inp),
                "op": ibis.literal(op or "=="),
                # via a string: PySpark types a bare 0.05 literal as DECIMAL inside structs
                "required": ibis.literal(str(required)).cast(_F64),
                "unit": ibis.literal(unit),
                "actual": actual.cast(_F64),
                "actual_max": actual_max.cast(_F64),
                "gap": gap.cast(_F64),
            }
        )
        return ibis.ifelse(cond, ibis.array([record]), ibis.literal([], type=FAILED_TYPE))


# ------------------------------------------------------------------------------------------
# public API


def screen_table(
    firms: Tabular,
    firm_years: Tabular,
    *,
    year: int,
    ruleset: RulesetArg = DEFAULT_RULESET,
    tiers: Sequence[str] | None = None,
    keep: Sequence[str] = (),
    details: bool = True,
) -> ir.Table:
    """The screening of :func:`screen` as a lazy Ibis table (nothing is executed).

    ``keep`` names firm columns (e.g. ``region``) carried into the result; ``tiers`` limits
    the output to these tier ids (all tiers are still compiled for prerequisites);
    ``details=False`` leaves ``failed``/``missing`` empty (smaller query, for counts).

    Parameters
    ----------
    firms : pandas.DataFrame or Ibis table
        Canonical ``firm`` rows (plus optional ruleset inputs).
    firm_years : pandas.DataFrame or Ibis table
        Canonical ``firm_year`` rows (money in yuan, people in persons, shares 0–1).
    year : int
        The year screened (earlier years feed the "近2年/近三年" inputs).
    ruleset : str, path or Ruleset
        Ruleset name (``miit-2022``), YAML path, or a loaded ruleset.
    tiers : sequence of str or None
        Tier ids kept in the output; None = all.
    keep : sequence of str
        Firm columns carried into the result.
    details : bool
        Fill ``failed``/``missing`` (False: a smaller query for counts).

    Returns
    -------
    Ibis table
        The unexecuted screening, one row per firm × tier (columns of :func:`screen`).
    """
    rs = load_ruleset(ruleset)
    f, _ = to_ibis(firms)
    fy, _ = to_ibis(firm_years)
    wanted = [t.id for t in rs.tiers] if tiers is None else [rs.tier(t).id for t in tiers]
    wide, where = _wide_table(f, fy, int(year), rs, keep)
    comp = _Compiler(rs, wide, _input_exprs(rs, _Cols(wide, int(year)), where))
    comp.compile_tiers()
    comp.compile_open()
    ordered = sorted(
        (rs.tier(t) for t in wanted), key=lambda t: (t.track != "ladder", t.track, t.rank)
    )
    outputs = comp.compile_outputs(ordered, details)
    wide = comp.t
    carried = [k for k in keep if k != "firm_id"]
    # one SELECT per tier over the shared per-firm table, UNION ALL (DuckDB streams the
    # shared part to all of them; an array of per-tier records unnested was ~30 % slower)
    per_tier = [
        wide.select(
            wide.firm_id,
            ibis.literal(int(year), "int32").name("year"),
            *[wide[c] for c in carried],
            ibis.literal(tier.id).name("tier"),
            ibis.literal(tier.tag).name("tag"),
            ibis.literal(tier.track).name("track"),
            ibis.literal(tier.rank, "int32").name("rank"),
            *[value.name(name) for name, value in outputs[tier.id].items()],
        )
        for tier in ordered
    ]
    return functools.reduce(lambda a, b: a.union(b, distinct=False), per_tier)


def screen(
    firms: Tabular,
    firm_years: Tabular,
    *,
    year: int,
    ruleset: RulesetArg = DEFAULT_RULESET,
    tiers: Sequence[str] | None = None,
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """Screen every firm against every tier of ``ruleset`` with the data of ``year``.

    ``firms`` / ``firm_years``: the canonical ``firm`` / ``firm_year`` tables (pandas or Ibis;
    money in yuan, shares as fractions; optional extra columns named by the ruleset's
    ``column:`` inputs, e.g. ``segment_years``, ``ip_level``, ``honours``).

    Returns a pandas DataFrame, one row per firm × tier: ``firm_id, year, tier, tag, track,
    rank, status ('eligible'|'ineligible'|'undetermined'), eligible (bool), score (float; NaN
    where the tier has no score or a score input is missing), score_low, score_high, failed
    (list of dicts, see the module docstring), missing (list of input names)``.

    Parameters
    ----------
    firms : pandas.DataFrame or Ibis table
        Canonical ``firm`` rows (plus optional ruleset inputs).
    firm_years : pandas.DataFrame or Ibis table
        Canonical ``firm_year`` rows (money in yuan, people in persons, shares 0–1).
    year : int
        The year screened.
    ruleset : str, path or Ruleset
        Ruleset name (``miit-2022``), YAML path, or a loaded ruleset.
    tiers : sequence of str or None
        Tier ids kept in the output; None = all.
    keep : sequence of str
        Firm columns carried into the result.

    Returns
    -------
    pandas.DataFrame
        One row per firm × tier with the columns above (``score`` in points).
    """
    return screen_table(
        firms, firm_years, year=year, ruleset=ruleset, tiers=tiers, keep=keep
    ).to_pandas()


def _as_table(screened: Tabular) -> ir.Table:
    table, _ = to_ibis(screened)
    require_columns(
        table, ["firm_id", "year", "tier", "tag", "track", "rank", "status", "eligible"], "screened"
    )
    return table


def gaps(
    screened: Tabular,
    *,
    track: str = "ladder",
) -> pd.DataFrame:
    """For each firm, the gap to its next tier on ``track``.

    ``screened``: the result of :func:`screen` / :func:`screen_table`. The *current* tier is the
    highest-ranked tier the firm is eligible for (none: rank 0), the *next* tier the one ranked
    just above it; firms already at the top have no row. One row per failed criterion of the
    next tier — ``firm_id, year, current_tier, next_tier, next_status, criterion, input, op,
    required, unit, actual, gap`` (canonical units; ``gap`` is the shortfall) — plus ``missing``
    (inputs still unknown for the next tier); an undetermined next tier with nothing failed
    gives one row with ``criterion`` NULL.

    Parameters
    ----------
    screened : pandas.DataFrame or Ibis table
        The result of :func:`screen` or :func:`screen_table`.
    track : str
        The ruleset track whose tiers form the ladder (``ladder``).

    Returns
    -------
    pandas.DataFrame
        One row per firm × failed criterion of its next tier (``required``, ``actual`` and
        ``gap`` in the criterion's canonical ``unit``: yuan, persons, fraction 0–1, count),
        ordered by firm, year and criterion.
    """
    s = _as_table(screened)
    s = s.filter(s.track == track)
    cur = s.group_by(["firm_id", "year"]).aggregate(
        current_rank=ibis.ifelse(s.eligible, s["rank"], 0).max(),
        top_rank=s["rank"].max(),
    )
    names = s.select(cur_tier="tier", cur_rank="rank").distinct()
    cur = cur.filter(cur.current_rank < cur.top_rank)
    cur = cur.left_join(names, cur.current_rank == names.cur_rank).drop("cur_rank")
    nxt = s.select(
        "firm_id",
        "year",
        next_rank="rank",
        next_tier="tier",
        next_status="status",
        failed="failed",
        missing="missing",
    )
    joined = cur.join(
        nxt,
        [cur.firm_id == nxt.firm_id, cur.year == nxt.year, cur.current_rank + 1 == nxt.next_rank],
    )
    joined = joined.select(
        "firm_id",
        "year",
        current_tier="cur_tier",
        next_tier="next_tier",
        next_status="next_status",
        failed="failed",
        missing="missing",
    )
    out = joined.unnest("failed", keep_empty=True)
    out = out.select(
        "firm_id",
        "year",
        "current_tier",
        "next_tier",
        "next_status",
        criterion=out.failed["criterion"],
        input=out.failed["input"],
        op=out.failed["op"],
        required=out.failed["required"],
        unit=out.failed["unit"],
        actual=out.failed["actual"],
        gap=out.failed["gap"],
        missing=out.missing,
    )
    return out.order_by(["firm_id", "year", "criterion"]).to_pandas()


def pipeline(
    firms: Tabular,
    firm_years: Tabular,
    *,
    years: Sequence[int] | None = None,
    ruleset: RulesetArg = DEFAULT_RULESET,
    by: str | None = None,
) -> pd.DataFrame:
    """Counts of firms per tier and year: ``year, [by], tier, track, rank, eligible,
    undetermined, ineligible, firms``.

    ``years`` defaults to every year present in ``firm_years``; ``by`` names a firm column
    (e.g. ``region``) to count within. One query for all years.

    Parameters
    ----------
    firms : pandas.DataFrame or Ibis table
        Canonical ``firm`` rows.
    firm_years : pandas.DataFrame or Ibis table
        Canonical ``firm_year`` rows (money in yuan, people in persons).
    years : sequence of int or None
        Years screened; None = every year in ``firm_years``.
    ruleset : str, path or Ruleset
        Ruleset name, YAML path, or a loaded ruleset.
    by : str or None
        Firm column to count within (e.g. ``region``).

    Returns
    -------
    pandas.DataFrame
        One row per year × (by ×) tier: firm counts per status and in total.
    """
    fy, _ = to_ibis(firm_years)
    if years is None:
        years = sorted(int(y) for y in fy.select("year").distinct().to_pandas()["year"])
    if not years:
        raise AnalysisError("pipeline: firm_years has no years")
    keep = [by] if by else []
    parts = [
        screen_table(firms, firm_years, year=y, ruleset=ruleset, keep=keep, details=False)
        for y in years
    ]
    allp = parts[0].union(*parts[1:], distinct=False) if len(parts) > 1 else parts[0]
    group = ["year", *keep, "tier", "track", "rank"]
    counts = allp.group_by(group).aggregate(
        eligible=(allp.status == "eligible").sum(),
        undetermined=(allp.status == "undetermined").sum(),
        ineligible=(allp.status == "ineligible").sum(),
        firms=allp.count(),
    )
    out = counts.to_pandas()
    for col in ("eligible", "undetermined", "ineligible", "firms"):
        out[col] = out[col].astype("int64")
    return out.sort_values(["year", *keep, "track", "rank"]).reset_index(drop=True)


def compare_certified(
    screened: Tabular,
    firm_tag: Tabular,
    *,
    year_offset: int = 0,
) -> pd.DataFrame:
    """Screening vs certified tags: precision, recall and the confusion counts per tier × year.

    ``firm_tag`` rows with ``source == 'certified'`` and ``tag`` equal to the tier's tag count
    as certified for screened ``year`` when ``tag.year == year + year_offset`` (e.g. 1 when
    data of 2023 is screened against the 2024 list). The universe is the screened firms.
    ``tp/fp/fn/tn`` take ``eligible`` as the prediction; ``possible`` counts firms not ruled
    out (eligible or undetermined) and ``recall_possible`` is the share of certified firms not
    ruled out. Precision/recall are NaN where undefined.

    Parameters
    ----------
    screened : pandas.DataFrame or Ibis table
        The result of :func:`screen` or :func:`screen_table`.
    firm_tag : pandas.DataFrame or Ibis table
        Canonical ``firm_tag`` rows (``firm_id, year, tag, source``).
    year_offset : int
        Years between the screened data and the certification list.

    Returns
    -------
    pandas.DataFrame
        One row per tier × year: ``tp``, ``fp``, ``fn``, ``tn``, ``possible`` (counts),
        ``precision``, ``recall``, ``recall_possible`` (shares 0–1).
    """
    s = _as_table(screened)
    tags, _ = to_ibis(firm_tag)
    require_columns(tags, ["firm_id", "year", "tag", "source"], "firm_tag")
    cert = (
        tags.filter(tags.source == "certified")
        .select(
            c_firm=tags.firm_id.cast("string"),
            c_year=(tags.year - year_offset).cast("int32"),
            c_tag=tags.tag,
        )
        .distinct()
    )
    j = s.left_join(cert, [s.firm_id == cert.c_firm, s.year == cert.c_year, s.tag == cert.c_tag])
    is_cert = j.c_firm.notnull()
    pred = j.eligible
    possible = j.status != "ineligible"
    agg = j.group_by(["year", "tier", "tag", "track", "rank"]).aggregate(
        firms=j.count(),
        certified=is_cert.sum(),
        eligible=pred.sum(),
        undetermined=(j.status == "undetermined").sum(),
        tp=(pred & is_cert).sum(),
        fp=(pred & ~is_cert).sum(),
        fn=(~pred & is_cert).sum(),
        tn=(~pred & ~is_cert).sum(),
        possible=possible.sum(),
        possible_tp=(possible & is_cert).sum(),
    )
    out = agg.to_pandas()
    ints = ["firms", "certified", "eligible", "undetermined", "tp", "fp", "fn", "tn"]
    for col in [*ints, "possible", "possible_tp"]:
        out[col] = out[col].astype("int64")
    tp = out.tp.astype("float64")
    out["precision"] = tp / (out.tp + out.fp).where(lambda x: x > 0)
    out["recall"] = tp / (out.tp + out.fn).where(lambda x: x > 0)
    out["f1"] = 2 * out.precision * out.recall / (out.precision + out.recall)
    out["recall_possible"] = out.possible_tp / out.certified.where(lambda x: x > 0)
    out = out.drop(columns=["possible_tp"])
    return out.sort_values(["year", "track", "rank"]).reset_index(drop=True)


def _check_registry() -> None:
    """Every derived input named in :data:`DERIVED_INPUTS` has a derivation here."""
    missing = []
    for name in DERIVED_INPUTS:
        try:
            _derive(name, _Cols(ibis.table({"firm_id": "string"}, name="t"), 2020))
        except AnalysisError:
            missing.append(name)
    if missing:  # pragma: no cover - a programming error caught by the tests
        raise RuntimeError(f"derived inputs without a derivation: {missing}")
