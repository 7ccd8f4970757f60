"""The scenario file: named scenarios adjusting the tracker's baseline projection (YAML/JSON).

::

    scenarios:
      - id: base                                   # the tracker's projection, unchanged
      - id: boost
        clusters: {"*": {growth_delta: 0.05}}     # +5 points of annual growth, every cluster
      - id: ic-push
        clusters: {ic: {growth: 0.18}}            # a fixed annual growth from the latest actual
        projects:
          - {cluster: ic, node: wafer_fab, year: 2027, revenue: 5.0e11, ramp_years: 3,
             name: 新建12英寸晶圆厂}
    horizon: 2035                                  # optional (default: the plan's last target year)
    assumptions: {local_supplier_share: 0.5}       # optional, see docs/scenarios.md

``"*"`` means every cluster; a cluster's own entry overrides the ``"*"`` keys it sets. Growth
rates are fractions per year (0.05 = 5 %); ``revenue`` is in yuan (a number, or a string with a
unit such as ``"5000亿元"``). Unknown cluster, node or key names are errors that list the valid
ones (:func:`load_scenarios`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from clusteratlas.errors import InputError
from clusteratlas.model.plan import Plan
from clusteratlas.units import parse_quantity

#: Default share of the suppliers' induced value added that stays in the plan region.
LOCAL_SUPPLIER_SHARE = 0.5


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClusterAdjustment(_Strict):
    """How a scenario moves one cluster: ``growth_delta`` (added to each simulated year's
    growth rate, fraction/year) and/or ``growth`` (a fixed annual growth rate from the latest
    actual, fraction/year, > −1)."""

    growth_delta: float | None = Field(default=None, ge=-0.5, le=1.0)
    growth: float | None = Field(default=None, gt=-1.0, le=2.0)


class Project(_Strict):
    """A project adding ``revenue`` (yuan per year at full capacity) to ``cluster`` from
    ``year``, reaching full capacity over ``ramp_years`` (1 = at once), then growing with the
    cluster. ``node``: the chain node it strengthens (optional, checked against the plan)."""

    cluster: str
    node: str | None = None
    year: int = Field(ge=1949, le=2100)
    revenue: float = Field(gt=0, description="yuan")
    ramp_years: int = Field(1, ge=1, le=30)
    name: str | None = None

    @field_validator("revenue", mode="before")
    @classmethod
    def _money(cls, value: Any) -> Any:
        if isinstance(value, str):
            quantity = parse_quantity(value, "yuan")
            if quantity.unit != "yuan":
                raise ValueError(f"{value!r} is in {quantity.unit}, expected yuan")
            return quantity.value
        return value


class Scenario(_Strict):
    """One named scenario (``id``) with cluster adjustments and projects."""

    id: str = Field(pattern=r"^[A-Za-z0-9_\-\u4e00-\u9fff]{1,64}$")
    name: str | None = None
    clusters: dict[str, ClusterAdjustment] = {}
    projects: list[Project] = []

    def adjustment(self, cluster: str) -> ClusterAdjustment:
        """The effective adjustment of ``cluster``: its own keys over the ``"*"`` keys."""
        star = self.clusters.get("*", ClusterAdjustment())
        own = self.clusters.get(cluster, ClusterAdjustment())
        return ClusterAdjustment(
            growth_delta=own.growth_delta if own.growth_delta is not None else star.growth_delta,
            growth=own.growth if own.growth is not None else star.growth,
        )


class Assumptions(_Strict):
    """Parameters of the value-added chain (see ``docs/scenarios.md``)."""

    local_supplier_share: float = Field(default=LOCAL_SUPPLIER_SHARE, ge=0.0, le=1.0)
    io_table: str = "china-2020-42"


class ScenarioFile(_Strict):
    """A scenario file: the scenarios, an optional horizon year and assumptions."""

    scenarios: list[Scenario] = Field(min_length=1)
    horizon: int | None = Field(default=None, ge=1949, le=2100)
    assumptions: Assumptions = Assumptions()


def _read(source: str | Path | dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The mapping and a label for messages from a path, a YAML/JSON text or a mapping."""
    if isinstance(source, dict):
        return source, "scenario"
    text: str
    label: str
    if isinstance(source, Path) or (
        isinstance(source, str)
        and "\n" not in source
        and source.endswith((".yaml", ".yml", ".json"))
    ):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"scenario file not found: {path}") from None
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None
        label = str(path)
    else:
        text, label = str(source), "scenario"
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise InputError(f"{label}: not valid YAML/JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{label}: a scenario file must be a mapping with a 'scenarios' list")
    return data, label


def load_scenarios(source: str | Path | dict[str, Any], plan: Plan) -> ScenarioFile:
    """Parse and check a scenario file against ``plan`` (path, YAML/JSON text or mapping).

    Raises :class:`InputError` naming the scenario, field and value; unknown cluster and node
    ids list the valid ones.

    Parameters
    ----------
    source : str, Path or dict
        A path, YAML/JSON text or a mapping.
    plan : Plan
        The plan whose cluster and node ids the file may name.

    Returns
    -------
    ScenarioFile
        The checked scenarios (growth as fractions, money in yuan).
    """
    data, label = _read(source)
    try:
        parsed = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            + (f" (value {err['input']!r})" if not isinstance(err["input"], dict | list) else "")
            for err in exc.errors()
        ]
        raise InputError(
            f"{label}: scenario file does not validate:\n" + "\n".join(lines)
        ) from None
    ids = [s.id for s in parsed.scenarios]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(f"{label}: duplicate scenario id(s): {', '.join(dupes)}")
    clusters = [c.id for c in plan.clusters if c.group != "aggregate"]
    for scenario in parsed.scenarios:
        for key in scenario.clusters:
            if key != "*" and key not in clusters:
                raise InputError(
                    f"{label}: scenario {scenario.id}: unknown cluster {key!r}; "
                    f'valid: "*", {", ".join(clusters)}'
                )
        for i, project in enumerate(scenario.projects):
            where = f"{label}: scenario {scenario.id}: project {i + 1}"
            if project.cluster not in clusters:
                raise InputError(
                    f"{where}: unknown cluster {project.cluster!r}; valid: {', '.join(clusters)}"
                )
            if project.node is not None:
                nodes = [
                    n.id for ch in plan.chains if ch.cluster == project.cluster for n in ch.nodes
                ]
                if project.node not in nodes:
                    valid = ", ".join(nodes) if nodes else "(the cluster has no chain template)"
                    raise InputError(
                        f"{where}: unknown node {project.node!r} of cluster {project.cluster}; "
                        f"valid: {valid}"
                    )
    return parsed
