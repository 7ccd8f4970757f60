"""The plan model: taxonomy of clusters, levels, targets, chains and tier ruleset (pydantic, YAML).

A plan is a YAML file; the Beijing "2441" plan ships as the default (``beijing-2441``). Users
copy and edit plans; nothing about Beijing is hard-coded in Python. A plan file may list
``include: [other.yaml, ...]`` (paths relative to it) whose lists (clusters, targets, chains,
sources, programs) are appended — large plans can keep chain templates in their own file.

Values in YAML may carry units (``"2.5万亿元"``, ``">30%"``, ``"4-5"``); they are stored in
canonical units (yuan, fractions, counts) by :mod:`clusteratlas.units`.
"""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from clusteratlas.config import DEFAULT_PLAN, DEFAULT_RULESET
from clusteratlas.errors import PlanError
from clusteratlas.units import parse_quantity

ClusterGroup = Literal["pillar", "smart_manufacturing", "services", "future", "aggregate"]
Stage = Literal["upstream", "midstream", "downstream", "support"]
Comparator = Literal[">=", "<=", "between", "track"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """A citable source for a plan element (document title, URL, note)."""

    id: str
    title: str
    url: str | None = None
    note: str | None = None


class Level(_Strict):
    """A size level such as 万亿级 (``threshold`` in yuan on the plan's measure)."""

    id: str
    name_zh: str
    name_en: str
    threshold: float = Field(gt=0, description="yuan")

    @field_validator("threshold", mode="before")
    @classmethod
    def _parse_money(cls, value: Any) -> Any:
        return _parse_value(value, default_unit="yuan")


class MemberRules(_Strict):
    """Who belongs: GB/T 4754 code prefixes plus keyword rules on firm name and business scope.

    Precedence (see :mod:`clusteratlas.classify`): a code match (longer prefix first) wins over a
    keyword match on the name, which wins over one on the business scope (经营范围).
    ``keyword_codes`` restricts keyword matching to firms whose industry starts with one of
    these prefixes (empty: any industry); ``exclude_codes`` and ``exclude_keywords`` veto.
    """

    codes: list[str] = []
    exclude_codes: list[str] = []
    keywords: list[str] = []
    keyword_codes: list[str] = []
    exclude_keywords: list[str] = []

    @field_validator("codes", "exclude_codes", "keyword_codes")
    @classmethod
    def _code_shape(cls, codes: list[str]) -> list[str]:
        for code in codes:
            if not (code.isdigit() and 2 <= len(code) <= 4) and not (
                len(code) == 1 and code.isalpha() and code.isupper()
            ):
                raise ValueError(
                    f"code prefix {code!r} must be a GB/T 4754 section letter or 2–4 digits"
                )
        return codes


class Reached(_Strict):
    """A published fact that a cluster was at ``level`` in ``year``: ``first`` when the source
    says it got there that year (the crossing year), else it was there *by* that year (the
    crossing lies in or before it)."""

    level: str
    year: int
    first: bool = False
    source: str


class Cluster(MemberRules):
    """A plan cluster (e.g. 新一代信息技术), its group in the 2441 system and its members."""

    id: str
    name_zh: str
    name_en: str
    group: ClusterGroup
    parent: str | None = None
    includes: list[str] = Field(
        default=[], description="for aggregates: union of these clusters' firms ('*' = all)"
    )
    measure: str = "revenue"
    observed: dict[str, str] = Field(
        default={}, description="measure -> observation indicator holding its real series"
    )
    reached: list[Reached] = Field(
        default=[], description="published facts on when the cluster was at a level"
    )
    rationale: str


class ActualRef(_Strict):
    """Where a target's actual values come from.

    ``observation``: the observation table's ``indicator`` for the plan region;
    ``cluster_size``: the monitor's ``measure`` for ``cluster``; ``cluster_count``: number of
    clusters at ``level``; ``tag_count``: firms carrying ``tag``.
    """

    kind: Literal["observation", "cluster_size", "cluster_count", "tag_count"]
    indicator: str | None = None
    cluster: str | None = None
    measure: str | None = None
    level: str | None = None
    tag: str | None = None


class Target(_Strict):
    """A plan target: ``comparator`` on ``value`` (or ``low``..``high``) by ``year``.

    Values are in canonical units (``unit``: yuan, fraction, count).
    """

    id: str
    name_zh: str
    name_en: str
    indicator: str
    scope: str = "region"
    comparator: Comparator = ">="
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str
    year: int
    base_year: int | None = None
    actual: ActualRef
    source: str

    @model_validator(mode="before")
    @classmethod
    def _parse_target_value(cls, data: Any) -> Any:
        return _target_fields(data)

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.comparator == "between" and (self.low is None or self.high is None):
            raise ValueError(f"target {self.id}: 'between' needs low and high")
        if self.comparator in (">=", "<=") and self.value is None:
            raise ValueError(f"target {self.id}: {self.comparator} needs a value")
        return self


class ChainNode(MemberRules):
    """A link of an industrial chain (e.g. 晶圆制造) with its stage and membership rules."""

    id: str
    name_zh: str
    name_en: str
    stage: Stage
    description: str | None = None


class Chain(_Strict):
    """An industrial chain template of a cluster: nodes and edges (upstream → downstream)."""

    id: str
    cluster: str
    name_zh: str
    name_en: str
    nodes: list[ChainNode]
    edges: list[tuple[str, str]] = []
    source: str | None = None

    @model_validator(mode="after")
    def _edges_known(self) -> Chain:
        ids = [n.id for n in self.nodes]
        _unique(ids, f"chain {self.id} node")
        for a, b in self.edges:
            for end in (a, b):
                if end not in ids:
                    raise ValueError(f"chain {self.id}: edge end {end!r} is not a node")
        return self


KpiKind = Literal[
    "cluster_count",
    "observation",
    "tag_count",
    "chain_share",
    "chain_count",
    "region_share",
    "service_intensity",
    "new_firms",
    "keyword_firms",
    "ladder_eligible",
    "unmeasured",
]


class KpiMeasure(_Strict):
    """How a program KPI is measured on workspace data (see :mod:`clusteratlas.analysis.programs`).

    ``kind`` picks the rule; the other fields are its parameters: ``level`` (cluster_count),
    ``indicator`` (observation; also preferred by cluster_count when present), ``tag``
    (tag_count), ``stage``/``statuses`` (chain_share, chain_count), ``group``/``members``
    (region_share), ``table`` (service_intensity), ``years`` (new_firms: founded within so
    many years), ``keywords`` (keyword_firms), ``tier`` (ladder_eligible); ``imports`` says
    what to import when the data cannot measure it (and is the whole point of ``unmeasured``).
    """

    kind: KpiKind
    level: str | None = None
    indicator: str | None = None
    tag: str | None = None
    stage: Stage | None = None
    statuses: list[str] = []
    group: str | None = None
    members: list[str] = []
    table: str | None = None
    years: int | None = None
    keywords: list[str] = []
    tier: str | None = None
    imports: str | None = None


class ProgramKpi(_Strict):
    """A KPI of a program: its measure, optional target (as plan targets: ``target: "4-5"``,
    ``unit_in``) by ``year``, and its source."""

    id: str
    name_zh: str
    name_en: str
    measure: KpiMeasure
    unit: str = "count"
    comparator: Comparator = "track"
    value: float | None = None
    low: float | None = None
    high: float | None = None
    year: int | None = None
    source: str | None = None
    note: str | None = None
    note_zh: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse_target_value(cls, data: Any) -> Any:
        return _target_fields(data)


class Program(_Strict):
    """A plan program (e.g. one of the Beijing plan's eight projects 八大工程) and its KPIs."""

    id: str
    name_zh: str
    name_en: str
    source: str
    kpis: list[ProgramKpi] = []


class Plan(_Strict):
    """A whole plan: region, classification scheme, clusters, levels, targets, chains, tiers,
    programs."""

    id: str
    name_zh: str
    name_en: str
    region: str
    scheme: str = "gbt4754-2017"
    measure: str = "revenue"
    lang: Literal["zh", "en"] = "en"
    tier_ruleset: str = DEFAULT_RULESET
    sources: list[Source] = []
    levels: list[Level]
    clusters: list[Cluster]
    targets: list[Target] = []
    chains: list[Chain] = []
    programs: list[Program] = []

    @model_validator(mode="after")
    def _references(self) -> Plan:
        cluster_ids = [c.id for c in self.clusters]
        _unique(cluster_ids, "cluster")
        _unique([t.id for t in self.targets], "target")
        _unique([c.id for c in self.chains], "chain")
        _unique([lv.id for lv in self.levels], "level")
        known = set(cluster_ids)
        for cluster in self.clusters:
            if cluster.parent is not None and cluster.parent not in known:
                raise ValueError(
                    f"cluster {cluster.id}: parent {cluster.parent!r} is not a cluster"
                )
            for inc in cluster.includes:
                if inc != "*" and inc not in known:
                    raise ValueError(f"cluster {cluster.id}: includes unknown {inc!r}")
            for fact in cluster.reached:
                if fact.level not in {lv.id for lv in self.levels}:
                    raise ValueError(f"cluster {cluster.id}: reached unknown level {fact.level!r}")
        for chain in self.chains:
            if chain.cluster not in known:
                raise ValueError(f"chain {chain.id}: cluster {chain.cluster!r} is not a cluster")
        levels = {lv.id for lv in self.levels}
        for target in self.targets:
            ref = target.actual
            if ref.cluster is not None and ref.cluster not in known:
                raise ValueError(f"target {target.id}: cluster {ref.cluster!r} is not a cluster")
            if ref.level is not None and ref.level not in levels:
                raise ValueError(f"target {target.id}: level {ref.level!r} is not a level")
            if target.scope != "region" and target.scope not in known:
                raise ValueError(f"target {target.id}: scope {target.scope!r} is not a cluster")
        _unique([p.id for p in self.programs], "program")
        for program in self.programs:
            _unique([k.id for k in program.kpis], f"program {program.id} KPI")
            for kpi in program.kpis:
                if kpi.measure.level is not None and kpi.measure.level not in levels:
                    raise ValueError(
                        f"program {program.id} KPI {kpi.id}: level {kpi.measure.level!r} "
                        "is not a level"
                    )
        return self

    def cluster(self, cluster_id: str) -> Cluster:
        """The cluster with this id (``PlanError`` if none)."""
        for cluster in self.clusters:
            if cluster.id == cluster_id:
                return cluster
        raise PlanError(f"plan {self.id}: no cluster {cluster_id!r}")

    def chain(self, chain_id: str) -> Chain:
        """The chain with this id (``PlanError`` if none)."""
        for chain in self.chains:
            if chain.id == chain_id:
                return chain
        raise PlanError(
            f"plan {self.id}: no chain {chain_id!r}; chains: {', '.join(c.id for c in self.chains)}"
        )

    def levels_desc(self) -> list[tuple[str, float]]:
        """``[(level id, threshold in yuan), ...]`` from the highest threshold down."""
        return sorted(((lv.id, lv.threshold) for lv in self.levels), key=lambda x: -x[1])


def _target_fields(data: Any) -> Any:
    """``target: "4-5"`` (with optional ``unit_in``) → ``unit``, ``comparator`` and
    ``value`` or ``low``/``high`` in canonical units (plan targets and program KPIs)."""
    if not isinstance(data, dict) or "target" not in data:
        return data
    data = dict(data)
    quantity = parse_quantity(str(data.pop("target")), data.get("unit_in"))
    data.pop("unit_in", None)
    data.setdefault("unit", quantity.unit)
    if quantity.bound == "range":
        data.setdefault("comparator", "between")
        data["low"], data["high"] = quantity.low, quantity.high
    else:
        data.setdefault("comparator", "<=" if quantity.bound == "<" else ">=")
        data["value"] = quantity.value
    return data


def _unique(ids: list[str], what: str) -> None:
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    if dupes:
        raise ValueError(f"duplicate {what} id(s): {', '.join(dupes)}")


def _parse_value(value: Any, default_unit: str) -> Any:
    if isinstance(value, str):
        quantity = parse_quantity(value)
        if quantity.unit not in (default_unit, "number"):
            raise ValueError(f"{value!r} is in {quantity.unit}, expected {default_unit}")
        return quantity.value
    return value


def builtin_plans() -> list[str]:
    """Names of the plans shipped with the package (``beijing-2441``, ...)."""
    folder = resources.files("clusteratlas.plans")
    return sorted(
        p.name.removesuffix(".yaml")
        for p in folder.iterdir()
        if p.name.endswith(".yaml") and p.name.count(".") == 1
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"plan file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise PlanError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PlanError(f"{path}: a plan must be a YAML mapping")
    merged = dict(data)
    for name in merged.pop("include", []) or []:
        part = _read_yaml(path.parent / name)
        for key, value in part.items():
            if isinstance(value, list):
                merged[key] = list(merged.get(key, [])) + value
            elif key not in merged:
                merged[key] = value
            else:
                raise PlanError(f"{path.parent / name}: key {key!r} already set by {path}")
    return merged


def load_plan(name_or_path: str | Path = DEFAULT_PLAN) -> Plan:
    """Load and validate a plan: a built-in name (``beijing-2441``) or a YAML file path.

    Raises :class:`PlanError` naming the field path, value and rule when it does not validate.
    """
    path = Path(name_or_path)
    if not path.suffix:
        candidate = resources.files("clusteratlas.plans") / f"{name_or_path}.yaml"
        if not candidate.is_file():
            raise PlanError(
                f"unknown plan {str(name_or_path)!r}; built-in plans: {', '.join(builtin_plans())}"
            )
        path = Path(str(candidate))
    data = _read_yaml(path)
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            + (f" (value {err['input']!r})" if not isinstance(err["input"], dict | list) else "")
            for err in exc.errors()
        ]
        raise PlanError(f"{path}: plan does not validate:\n" + "\n".join(lines)) from None
    except ValueError as exc:
        raise PlanError(f"{path}: {exc}") from None
