"""Enterprise-ladder rulesets: the YAML rules language, its model and its loader.

A ruleset (``analysis/rulesets/<id>.yaml``) describes tiers of firms (创新型中小企业 → 专精特新 →
小巨人 → 单项冠军; the unicorn track separately) as data:

- ``inputs``: every quantity a rule may test, either derived from the canonical ``firm`` /
  ``firm_year`` columns (``derive:``, see :data:`DERIVED_INPUTS`) or taken from an optional
  extra column of either table (``column:``), optionally with an explicit proxy
  (``fallback:``, another input used where the column is absent or NULL). Each input has a
  canonical ``unit`` (yuan, usd, fraction, persons, years, count, code, rank, points, bool).
- ``tiers``: ordered by ``track`` and ``rank``. A tier has a ``requires`` condition tree and
  optionally a ``score`` (groups of items, each item worth the best of its band tables).
- Condition nodes: ``{all: [...]}``, ``{any: [...]}`` (direct routes), leaves
  ``{input, op, value, unit}``, score leaves ``{score: total|GROUP, op: '>=', value}`` and tier
  leaves ``{tier: OTHER}`` (the other tier's result). Any node may carry ``when`` (an
  applicability condition: the node holds wherever ``when`` is false), ``id``, ``source``
  (``{doc, article}``, ``doc`` a key of ``sources``), ``verified`` and, when not verified,
  ``reason``.

Thresholds are written in the unit of the document (``100`` ``万元``, ``3`` ``%``) and converted
to the input's canonical unit (yuan, fraction …) with :func:`clusteratlas.units.unit_factor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from clusteratlas.config import DEFAULT_RULESET
from clusteratlas.errors import PlanError
from clusteratlas.units import unit_factor

Op = Literal[">=", ">", "<=", "<", "==", "!="]

#: canonical units an input may have; thresholds with a unit are converted to these.
INPUT_UNITS = (
    "yuan",
    "usd",
    "fraction",
    "persons",
    "years",
    "count",
    "code",
    "rank",
    "points",
    "bool",
)

#: inputs computed from canonical columns by :mod:`clusteratlas.analysis.ladder` (``derive:``).
DERIVED_INPUTS: dict[str, str] = {
    "revenue": "firm_year.revenue of the year (yuan)",
    "rd_spend": "firm_year.rd_spend of the year (yuan)",
    "rd_spend_avg2": "mean of rd_spend over the year and the year before (yuan)",
    "rd_spend_2y": "rd_spend summed over the year and the year before (yuan)",
    "rd_intensity": "rd_spend / revenue of the year (fraction; NULL where revenue <= 0)",
    "rd_intensity_min2": "the lower of rd_intensity of the year and of the year before",
    "rd_staff_share": "rd_staff / employees of the year (fraction)",
    "main_business_share": "main_revenue / revenue of the year (fraction)",
    "main_revenue_growth": "main_revenue(year) / main_revenue(year-1) - 1 (fraction)",
    "main_revenue_growth_avg2": "mean of main_revenue growth of the year and the year before",
    "revenue_growth": "revenue(year) / revenue(year-1) - 1 (fraction)",
    "debt_ratio": "firm_year.debt_ratio of the year (fraction)",
    "net_margin": "firm_year.net_margin of the year (fraction)",
    "employees": "firm_year.employees of the year (persons)",
    "market_share": "firm_year.market_share of the year (fraction)",
    "equity_raised_2y": "equity_raised summed over the year and the year before (yuan)",
    "equity_raised_3y": "equity_raised summed over the year and the two years before (yuan)",
    "equity_raised_ever": "equity_raised summed over all years up to the year (yuan)",
    "valuation_usd": "firm_year.valuation_usd of the year (US dollars)",
    "firm_age": "year - founding year of firm.founded (years)",
    "listed": "firm.listed (bool)",
    "industry_division": "first two digits of the GB/T 4754 code firm.industry (code)",
    "industry_class": "the four digits of a class-level GB/T 4754 code firm.industry (code)",
}

_UNIT_ALIASES: dict[str, tuple[str, float]] = {
    "years": ("years", 1.0),
    "year": ("years", 1.0),
    "年": ("years", 1.0),
    "code": ("code", 1.0),
    "rank": ("rank", 1.0),
    "points": ("points", 1.0),
    "分": ("points", 1.0),
    "bool": ("bool", 1.0),
}


def threshold_unit(unit: str) -> tuple[str, float]:
    """``(canonical_unit, factor)`` for a threshold unit such as ``万元``, ``%`` or ``years``.

    Parameters
    ----------
    unit : str
        A unit as written in a ruleset (``万元``, ``亿元``, ``%``, ``persons``, ``years``, …).

    Returns
    -------
    tuple of (str, float)
        The canonical unit (yuan, fraction, persons, years, …) and the factor into it.

    Examples
    --------
    >>> threshold_unit("万元")
    ('yuan', 10000.0)
    >>> threshold_unit("%")
    ('fraction', 0.01)
    """
    if unit in _UNIT_ALIASES:
        return _UNIT_ALIASES[unit]
    return unit_factor(unit)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class SourceRef(_Model):
    """Where a rule comes from: a key of ``Ruleset.sources`` and the article/annex."""

    doc: str
    article: str | None = None


class InputDef(_Model):
    """One input a rule may test (see the module docstring)."""

    derive: str | None = None
    column: str | None = None
    fallback: str | None = None
    unit: str
    label_zh: str = ""
    label_en: str = ""
    note: str | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> InputDef:
        if (self.derive is None) == (self.column is None):
            raise ValueError("an input needs exactly one of 'derive' or 'column'")
        if self.derive is not None and self.derive not in DERIVED_INPUTS:
            raise ValueError(
                f"unknown derived input {self.derive!r}; known: {', '.join(DERIVED_INPUTS)}"
            )
        if self.unit not in INPUT_UNITS:
            raise ValueError(f"unit {self.unit!r} is not one of {', '.join(INPUT_UNITS)}")
        return self


class Condition(_Model):
    """A node of a tier's condition tree (exactly one of all/any/input/score/tier)."""

    id: str | None = None
    all_: list[Condition] | None = Field(default=None, alias="all")
    any_: list[Condition] | None = Field(default=None, alias="any")
    input: str | None = None
    score: str | None = None
    tier: str | None = None
    op: Op | None = None
    value: bool | float | None = None
    unit: str | None = None
    when: Condition | None = None
    source: SourceRef | None = None
    verified: bool | None = None
    reason: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> Condition:
        kinds = [
            k
            for k, v in (
                ("all", self.all_),
                ("any", self.any_),
                ("input", self.input),
                ("score", self.score),
                ("tier", self.tier),
            )
            if v is not None
        ]
        if len(kinds) != 1:
            raise ValueError(
                "a condition needs exactly one of all/any/input/score/tier, got "
                + (", ".join(kinds) or "none")
            )
        kind = kinds[0]
        if kind in ("all", "any"):
            if not (self.all_ or self.any_):
                raise ValueError(f"'{kind}' needs at least one condition")
            if self.op is not None or self.value is not None:
                raise ValueError(f"'{kind}' takes no op/value")
        elif kind in ("input", "score"):
            if self.op is None or self.value is None:
                raise ValueError(f"a {kind} criterion needs 'op' and 'value'")
            if kind == "score" and self.op not in (">=", ">"):
                raise ValueError("a score criterion supports only '>=' or '>'")
        elif self.op is not None or self.value is not None:
            raise ValueError("a tier criterion takes no op/value")
        if self.verified is False and not self.reason:
            raise ValueError("'verified: false' needs a 'reason'")
        return self

    @property
    def kind(self) -> str:
        """``all``, ``any``, ``input``, ``score`` or ``tier``."""
        if self.all_ is not None:
            return "all"
        if self.any_ is not None:
            return "any"
        if self.input is not None:
            return "input"
        if self.score is not None:
            return "score"
        return "tier"

    @property
    def children(self) -> list[Condition]:
        """Sub-conditions of an all/any node (empty for leaves)."""
        return list(self.all_ or self.any_ or [])


class Band(_Model):
    """Points for values ``>= min`` (higher is better) or ``<= max`` (lower is better)."""

    min: float | None = None
    max: float | None = None
    points: float

    @model_validator(mode="after")
    def _one_bound(self) -> Band:
        if (self.min is None) == (self.max is None):
            raise ValueError("a band needs exactly one of 'min' or 'max'")
        return self


class Step(_Model):
    """``points`` for every full ``per`` units of the input (capped by the item's max)."""

    per: float = Field(gt=0)
    points: float = Field(gt=0)


class ScoreTable(_Model):
    """One way to score an item from one input: bands (first match wins) or a step rule."""

    input: str
    bands: list[Band] | None = None
    step: Step | None = None
    else_: float = Field(default=0.0, alias="else")

    @model_validator(mode="after")
    def _shape(self) -> ScoreTable:
        if (self.bands is None) == (self.step is None):
            raise ValueError("a score table needs exactly one of 'bands' or 'step'")
        if self.bands is not None:
            if not self.bands:
                raise ValueError("'bands' must not be empty")
            by_min = all(b.min is not None for b in self.bands)
            by_max = all(b.max is not None for b in self.bands)
            if not (by_min or by_max):
                raise ValueError("bands must all use 'min' or all use 'max'")
            bounds = [b.min if by_min else b.max for b in self.bands]
            ordered = sorted(bounds, reverse=by_min)  # type: ignore[type-var]
            if bounds != ordered or len(set(bounds)) != len(bounds):
                raise ValueError(
                    "bands must be strictly ordered: 'min' bands highest first, "
                    "'max' bands lowest first"
                )
        return self

    def points_range(self, item_max: float) -> tuple[float, float]:
        """The lowest and highest points this table can give (capped at ``item_max``)."""
        if self.bands is not None:
            pts = [b.points for b in self.bands] + [self.else_]
            return min(pts), min(max(pts), item_max)
        return 0.0, item_max


class ScoreItem(_Model):
    """One scored indicator; its points are the best over its tables, at most ``max``."""

    id: str
    name_zh: str = ""
    name_en: str = ""
    max: float = Field(gt=0)
    tables: list[ScoreTable] = Field(min_length=1)


class ScoreGroup(_Model):
    """A group of items (e.g. 创新能力) whose points a criterion may test (sub-minimums)."""

    id: str
    name_zh: str = ""
    name_en: str = ""
    max: float = Field(gt=0)
    items: list[ScoreItem] = Field(min_length=1)
    verified: bool | None = None
    reason: str | None = None

    @model_validator(mode="after")
    def _sums(self) -> ScoreGroup:
        total = sum(i.max for i in self.items)
        if abs(total - self.max) > 1e-9:
            raise ValueError(f"group {self.id!r}: items add up to {total}, not max {self.max}")
        return self


class Score(_Model):
    """A tier's points scheme (e.g. the 100-point 专精特新 evaluation)."""

    max: float = Field(gt=0)
    groups: list[ScoreGroup] = Field(min_length=1)

    @model_validator(mode="after")
    def _sums(self) -> Score:
        total = sum(g.max for g in self.groups)
        if abs(total - self.max) > 1e-9:
            raise ValueError(f"groups add up to {total}, not max {self.max}")
        ids = [g.id for g in self.groups]
        if len(set(ids)) != len(ids) or "total" in ids:
            raise ValueError("group ids must be unique and not 'total'")
        return self


class Tier(_Model):
    """One rung of the ladder (or of the unicorn track)."""

    id: str
    tag: str
    track: str
    rank: int
    name_zh: str
    name_en: str
    source: SourceRef | None = None
    score: Score | None = None
    requires: Condition


class Ruleset(_Model):
    """A whole ruleset file (see the module docstring)."""

    id: str
    name_zh: str
    name_en: str
    sources: dict[str, dict[str, Any]]
    inputs: dict[str, InputDef]
    tiers: list[Tier] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Ruleset:
        tier_ids = [t.id for t in self.tiers]
        if len(set(tier_ids)) != len(tier_ids):
            raise ValueError("tier ids must be unique")
        ranks = [(t.track, t.rank) for t in self.tiers]
        if len(set(ranks)) != len(ranks):
            raise ValueError("each (track, rank) must be unique")
        for name, spec in self.inputs.items():
            if spec.fallback is not None:
                if spec.fallback not in self.inputs or spec.fallback == name:
                    raise ValueError(f"input {name!r}: unknown fallback {spec.fallback!r}")
                if self.inputs[spec.fallback].fallback is not None:
                    raise ValueError(f"input {name!r}: a fallback cannot have a fallback")
                if self.inputs[spec.fallback].unit != spec.unit:
                    raise ValueError(f"input {name!r}: fallback has another unit")
        for tier in self.tiers:
            ids: set[str] = set()
            for node in iter_nodes(tier.requires):
                self._check_node(tier, node, ids, tier_ids)
            if tier.score is not None:
                for group in tier.score.groups:
                    for item in group.items:
                        for table in item.tables:
                            if table.input not in self.inputs:
                                raise ValueError(
                                    f"tier {tier.id!r}, item {item.id!r}: "
                                    f"unknown input {table.input!r}"
                                )
        self.tier_order()  # raises on cycles
        return self

    def _check_node(self, tier: Tier, node: Condition, ids: set[str], tiers: list[str]) -> None:
        where = f"tier {tier.id!r}, condition {node.id or node.input or node.kind!r}"
        if node.id is not None:
            if node.id in ids:
                raise ValueError(f"{where}: duplicate id {node.id!r}")
            ids.add(node.id)
        if node.source is not None and node.source.doc not in self.sources:
            raise ValueError(f"{where}: unknown source {node.source.doc!r}")
        if node.kind == "input":
            if node.input not in self.inputs:
                raise ValueError(f"{where}: unknown input {node.input!r}")
            spec = self.inputs[node.input]
            if spec.unit == "bool":
                if not isinstance(node.value, bool) or node.op not in ("==", "!="):
                    raise ValueError(f"{where}: a bool input takes '==' or '!=' true/false")
            else:
                if isinstance(node.value, bool):
                    raise ValueError(f"{where}: a {spec.unit} input needs a number")
                if node.unit is not None:
                    try:
                        canonical, _ = threshold_unit(node.unit)
                    except KeyError:
                        raise ValueError(f"{where}: unknown unit {node.unit!r}") from None
                    if canonical != spec.unit:
                        raise ValueError(
                            f"{where}: unit {node.unit!r} is {canonical}, "
                            f"input {node.input!r} is {spec.unit}"
                        )
        elif node.kind == "score":
            if tier.score is None:
                raise ValueError(f"{where}: the tier has no score")
            groups = {g.id for g in tier.score.groups} | {"total"}
            if node.score not in groups:
                raise ValueError(f"{where}: unknown score group {node.score!r}")
        elif node.kind == "tier" and (node.tier not in tiers or node.tier == tier.id):
            raise ValueError(f"{where}: unknown tier {node.tier!r}")

    def tier(self, tier_id: str) -> Tier:
        """The tier with this id (raises :class:`PlanError` naming the known ids)."""
        for tier in self.tiers:
            if tier.id == tier_id:
                return tier
        raise PlanError(
            f"ruleset {self.id!r} has no tier {tier_id!r}; "
            f"tiers: {', '.join(t.id for t in self.tiers)}"
        )

    def tier_order(self) -> list[Tier]:
        """Tiers in evaluation order: every tier after the tiers its conditions refer to."""
        done: list[str] = []
        deps = {
            t.id: {n.tier for n in iter_nodes(t.requires) if n.kind == "tier"} for t in self.tiers
        }
        while len(done) < len(self.tiers):
            ready = [t for t in self.tiers if t.id not in done and deps[t.id] <= set(done)]
            if not ready:
                raise ValueError("tier conditions refer to each other in a cycle")
            done.extend(t.id for t in ready)
        return [self.tier(i) for i in done]

    def ladder(self, track: str) -> list[Tier]:
        """The tiers of one track, lowest rank first."""
        return sorted((t for t in self.tiers if t.track == track), key=lambda t: t.rank)


def iter_nodes(node: Condition) -> list[Condition]:
    """``node`` and all its descendants, ``when`` conditions included (pre-order).

    Parameters
    ----------
    node : Condition
        The root of a condition tree.

    Returns
    -------
    list of Condition
        The nodes in pre-order.
    """
    out = [node]
    if node.when is not None:
        out.extend(iter_nodes(node.when))
    for child in node.children:
        out.extend(iter_nodes(child))
    return out


def criterion_names(nodes: Sequence[Condition]) -> dict[int, str]:
    """The name of every condition node (keyed by ``id(node)``), as ``failed`` reports it:
    its ``id``, else its input, score group, tier or kind, suffixed ``_2``, ``_3`` … when taken.
    ``nodes`` is a tier's condition tree in pre-order (``when`` conditions excluded).

    Parameters
    ----------
    nodes : sequence of Condition
        A tier's condition tree in pre-order.

    Returns
    -------
    dict of int to str
        ``id(node)`` → criterion name.
    """
    used = {n.id for n in nodes if n.id}
    names: dict[int, str] = {}
    for node in nodes:
        if node.id:
            names[id(node)] = node.id
            continue
        base = node.input or node.score or node.tier or node.kind
        name, k = base, 1
        while name in used:
            k += 1
            name = f"{base}_{k}"
        used.add(name)
        names[id(node)] = name
    return names


def ruleset_names() -> list[str]:
    """Ids of the rulesets packaged with ClusterAtlas (``analysis/rulesets/*.yaml``).

    Returns
    -------
    list of str
        Sorted ruleset ids.

    Examples
    --------
    >>> "miit-2022" in ruleset_names()
    True
    """
    folder = resources.files("clusteratlas.analysis") / "rulesets"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_ruleset(name_or_path: str | Path | Ruleset = DEFAULT_RULESET) -> Ruleset:
    """Load a packaged ruleset by id (``miit-2022``) or a YAML file by path.

    Raises :class:`PlanError` naming the file, the field and the rule broken.

    Parameters
    ----------
    name_or_path : str, Path or Ruleset
        A packaged ruleset id, a YAML path, or a ruleset (returned as is).

    Returns
    -------
    Ruleset
        The checked ruleset (thresholds in canonical units: yuan, persons, fraction 0–1).
    """
    if isinstance(name_or_path, Ruleset):
        return name_or_path
    text_path = str(name_or_path)
    if text_path.endswith((".yaml", ".yml")) or Path(text_path).is_file():
        path = Path(text_path)
        if not path.is_file():
            raise PlanError(f"ruleset file {path} does not exist")
        return _parse(path.read_text(encoding="utf-8"), str(path))
    return _packaged(text_path)


@lru_cache(maxsize=8)
def _packaged(name: str) -> Ruleset:
    names = ruleset_names()
    if name not in names:
        raise PlanError(f"unknown ruleset {name!r}; packaged rulesets: {', '.join(names)}")
    folder = resources.files("clusteratlas.analysis") / "rulesets"
    return _parse((folder / f"{name}.yaml").read_text(encoding="utf-8"), f"{name}.yaml")


def _parse(text: str, where: str) -> Ruleset:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlanError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PlanError(f"{where}: a ruleset must be a mapping")
    try:
        return Ruleset.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors()[:10]:
            loc = ".".join(str(p) for p in err["loc"])
            lines.append(f"{loc}: {err['msg']}")
        raise PlanError(f"{where}: invalid ruleset: " + "; ".join(lines)) from None
