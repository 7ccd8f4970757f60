"""Plan programs (the Beijing plan's eight projects, 八大工程): each KPI measured on workspace data.

A plan's ``programs:`` list holds programs with KPIs; each KPI names a measure rule
(``measure.kind``) and, where the plan states one, a target. :func:`programs_table` measures
every KPI on a :class:`ProgramInputs` and returns one row per KPI::

    program, name_zh, name_en, kpi, target, actual, year, status, …

Measure rules (units in brackets):

* ``cluster_count`` — clusters at ``level`` [count]: the published count (observation
  ``indicator``) when the workspace has it, else the plan's top-level clusters whose monitor
  level is ``level`` in the latest year (as the tracker's ``cluster_count`` actuals);
* ``observation`` — the latest value of ``indicator`` for the plan region [its unit];
* ``tag_count`` — distinct firms in the plan region carrying ``tag`` in the latest year the tag
  appears [count];
* ``chain_share`` / ``chain_count`` — share [fraction] / number [count] of the plan's chain nodes
  in the plan region whose status (strong, present, weak, missing) is in ``statuses``,
  optionally of one ``stage``;
* ``region_share`` — the ``members``' share of the chain nodes' revenue across the region group
  ``group`` (e.g. Tianjin + Hebei in Jingjinji) [fraction];
* ``service_intensity`` — service inputs per yuan of output, output-weighted over the
  manufacturing sectors of the packaged IO ``table`` [yuan per yuan];
* ``new_firms`` — firms in the plan region founded within ``years`` years of the latest data year
  that hold invention patents in it [count];
* ``keyword_firms`` — firms in the plan region whose name or business scope contains one of
  ``keywords`` [count];
* ``ladder_eligible`` — firms screened eligible for ``tier`` in the latest year [count];
* ``unmeasured`` — nothing in the data measures it; ``imports`` says what to import.

``status``: ``met`` / ``not met`` (against the target), ``measured`` (no target), ``no data``
(the rule found nothing) or ``not measurable`` (the data cannot measure it; see ``imports``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from clusteratlas.errors import WorkspaceError
from clusteratlas.model.plan import KpiMeasure, Plan, ProgramKpi

PROGRAM_COLUMNS = [
    "program",
    "name_zh",
    "name_en",
    "kpi",
    "kpi_name_zh",
    "kpi_name_en",
    "target",
    "target_high",
    "comparator",
    "unit",
    "actual",
    "year",
    "target_year",
    "status",
    "source",
    "imports",
    "note",
    "note_zh",
    "synthetic",
]

STATUSES = ("met", "not met", "measured", "no data", "not measurable")


@dataclass(frozen=True)
class Measured:
    """A KPI's measured value (canonical units), its year, whether it comes from synthetic
    data, and a note (e.g. which source was used)."""

    actual: float | None
    year: int | None
    synthetic: bool = False
    note: str = ""


class ProgramInputs:
    """The data KPIs are measured on, computed lazily from a workspace (only what the plan's
    KPIs need). Tests may subclass it or set the cached attributes directly."""

    def __init__(self, workspace: Any, plan: Plan) -> None:
        self.ws = workspace
        self.plan = plan

    # ------------------------------------------------------------------ shared pieces
    @cached_property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = self.ws.counts()
        return counts

    @cached_property
    def has_firms(self) -> bool:
        return bool(self.counts.get("firm")) and bool(self.counts.get("firm_year"))

    @cached_property
    def synthetic(self) -> bool:
        """Whether the workspace's firm datasets are synthetic."""
        info = self.ws.datasets()
        kinds = info[info["kind"].astype(str).isin(["firms", "firm-years", "tags"])]
        return bool(kinds["synthetic"].astype(bool).any()) if len(kinds) else False

    @cached_property
    def observations(self) -> pd.DataFrame:
        from clusteratlas.analysis.actuals import observation_actuals

        if not self.counts.get("observation"):
            return pd.DataFrame(columns=["indicator", "year", "value"])
        return observation_actuals(self.ws.table("observation"), self.plan.region)

    @cached_property
    def monitor(self) -> pd.DataFrame | None:
        from clusteratlas.analysis.panel import workspace_monitor

        if not self.has_firms:
            return None
        frame, _ = workspace_monitor(self.ws, self.plan, crossings=False)
        return frame

    def _firms_in_region(self) -> Any:
        from clusteratlas.geo import within

        firms = self.ws.table("firm")
        return firms.filter(within(firms.region.cast("string"), self.plan.region))

    @cached_property
    def latest_year(self) -> int | None:
        if not self.has_firms:
            return None
        value = self.ws.table("firm_year").year.max().to_pandas()
        return None if value is None or pd.isna(value) else int(value)

    @cached_property
    def tags(self) -> pd.DataFrame | None:
        """``firm_id, year, tag`` of firms in the plan region."""
        if not self.counts.get("firm_tag") or not self.counts.get("firm"):
            return None
        tags = self.ws.table("firm_tag")
        firms = self._firms_in_region().select("firm_id")
        joined = tags.join(firms, "firm_id").select("firm_id", "year", "tag")
        return joined.to_pandas()

    @cached_property
    def nodes(self) -> pd.DataFrame | None:
        from clusteratlas.analysis.chains import nodes

        if not self.has_firms or not self.plan.chains:
            return None
        return nodes(
            self.ws.table("firm"), self.ws.table("firm_year"), self.plan, region=self.plan.region
        )

    def capacity(self, group: str) -> pd.DataFrame | None:
        from clusteratlas.analysis.regions import capacity

        if not self.has_firms or not self.plan.chains:
            return None
        groups = self.ws.table("region_group") if self.counts.get("region_group") else None
        return capacity(
            self.ws.table("firm"),
            self.ws.table("firm_year"),
            self.plan,
            group=group,
            region_groups=groups,
        )

    def eligible(self, tier: str) -> Measured:
        """Firms in the plan region screened eligible for ``tier`` in the latest year."""
        from clusteratlas.analysis.ladder import screen_table
        from clusteratlas.analysis.tier_rules import load_ruleset

        year = self.latest_year
        if year is None:
            return Measured(None, None)
        screened = screen_table(
            self._firms_in_region(),
            self.ws.table("firm_year"),
            year=year,
            ruleset=load_ruleset(self.plan.tier_ruleset),
            tiers=[tier],
            details=False,
        )
        hits = screened.filter((screened.tier == tier) & (screened.status == "eligible"))
        n = hits.firm_id.nunique().to_pandas()
        return Measured(float(n), year, self.synthetic, "ladder screen")

    def new_firms(self, years: int) -> Measured:
        import ibis

        year = self.latest_year
        if year is None:
            return Measured(None, None)
        firms = self._firms_in_region()
        first = ibis.date(year - years + 1, 1, 1)
        young = firms.filter(firms.founded.cast("date") >= first).select("firm_id")
        fy = self.ws.table("firm_year")
        patents = fy.filter((fy.year == year) & (fy.invention_patents > 0)).select("firm_id")
        n = young.join(patents, "firm_id").firm_id.nunique().to_pandas()
        return Measured(float(n), year, self.synthetic)

    def keyword_firms(self, keywords: list[str]) -> Measured:
        if not self.has_firms or not keywords:
            return Measured(None, None)
        firms = self._firms_in_region()
        condition = None
        for word in keywords:
            hit = firms.name.contains(word) | firms.scope.fill_null("").contains(word)
            condition = hit if condition is None else condition | hit
        n = firms.filter(condition).count().to_pandas()
        return Measured(float(n), self.latest_year, self.synthetic)


# --------------------------------------------------------------------------- measure rules


def _latest(frame: pd.DataFrame, indicator: str) -> Measured:
    rows = frame[frame["indicator"] == indicator].dropna(subset=["value"])
    if rows.empty:
        return Measured(None, None)
    last = rows.sort_values("year").iloc[-1]
    return Measured(float(last["value"]), int(last["year"]), False, f"observation {indicator}")


def _cluster_count(m: KpiMeasure, data: ProgramInputs) -> Measured:
    if m.indicator:
        published = _latest(data.observations, m.indicator)
        if published.actual is not None:
            return published
    monitor = data.monitor
    if monitor is None or monitor.empty:
        return Measured(None, None)
    top = {c.id for c in data.plan.clusters if c.parent is None and c.group != "aggregate"}
    at = monitor[(monitor["region"].astype(str) == data.plan.region) & monitor["cluster"].isin(top)]
    year = int(at["year"].max())
    n = int((at[at["year"] == year]["level"] == m.level).sum())
    return Measured(float(n), year, data.synthetic, "cluster monitor")


def _tag_count(m: KpiMeasure, data: ProgramInputs) -> Measured:
    tags = data.tags
    if tags is None:
        return Measured(None, None)
    rows = tags[tags["tag"] == m.tag]
    if rows.empty:
        return Measured(None, None)
    year = int(rows["year"].max())
    return Measured(float(rows[rows["year"] == year]["firm_id"].nunique()), year, data.synthetic)


def _chain_nodes(m: KpiMeasure, data: ProgramInputs) -> pd.DataFrame | None:
    nodes = data.nodes
    if nodes is None or nodes.empty:
        return None
    if m.stage is not None:
        nodes = nodes[nodes["stage"] == m.stage]
    return nodes


def _chain_share(m: KpiMeasure, data: ProgramInputs) -> Measured:
    nodes = _chain_nodes(m, data)
    if nodes is None or nodes.empty:
        return Measured(None, None)
    share = float(nodes["status"].isin(m.statuses).mean())
    return Measured(share, int(nodes["year"].max()), data.synthetic, f"{len(nodes)} chain nodes")


def _chain_count(m: KpiMeasure, data: ProgramInputs) -> Measured:
    nodes = _chain_nodes(m, data)
    if nodes is None or nodes.empty:
        return Measured(None, None)
    n = float(nodes["status"].isin(m.statuses).sum())
    return Measured(n, int(nodes["year"].max()), data.synthetic, f"of {len(nodes)} chain nodes")


def _region_share(m: KpiMeasure, data: ProgramInputs) -> Measured:
    capacity = data.capacity(m.group or "jingjinji")
    if capacity is None or capacity.empty:
        return Measured(None, None)
    year = int(capacity["year"].max())
    rows = capacity[capacity["year"] == year]
    total = float(rows["revenue"].sum())
    if total <= 0:
        return Measured(None, year)
    part = float(rows[rows["member"].astype(str).isin(m.members)]["revenue"].sum())
    return Measured(part / total, year, data.synthetic, f"{m.group}: {', '.join(m.members)}")


def _service_intensity(m: KpiMeasure, data: ProgramInputs) -> Measured:
    from clusteratlas.analysis.iotable import IOTable

    iot = IOTable.load(m.table or "china-2020-42")
    si = iot.service_intensity(manufacturing_only=True)
    weight = iot.x.reindex(si.index).astype(float)
    value = float((si["direct"] * weight).sum() / weight.sum())
    return Measured(value, iot.year, False, f"IO table {iot.name}, {len(si)} manufacturing sectors")


RULES: dict[str, Callable[[KpiMeasure, ProgramInputs], Measured]] = {
    "cluster_count": _cluster_count,
    "observation": lambda m, d: _latest(d.observations, m.indicator or ""),
    "tag_count": _tag_count,
    "chain_share": _chain_share,
    "chain_count": _chain_count,
    "region_share": _region_share,
    "service_intensity": _service_intensity,
    "new_firms": lambda m, d: d.new_firms(m.years or 3),
    "keyword_firms": lambda m, d: d.keyword_firms(list(m.keywords)),
    "ladder_eligible": lambda m, d: d.eligible(m.tier or ""),
    "unmeasured": lambda m, d: Measured(None, None),
}


def status_of(kpi: ProgramKpi, measured: Measured) -> str:
    """``met`` / ``not met`` / ``measured`` / ``no data`` / ``not measurable``.

    Parameters
    ----------
    kpi : ProgramKpi
        The KPI with its target.
    measured : Measured
        What the data say about it.

    Returns
    -------
    str
        The KPI's status.
    """
    if measured.actual is None:
        if kpi.measure.kind == "unmeasured" or kpi.measure.imports:
            return "not measurable"
        return "no data"
    x = measured.actual
    if kpi.comparator == ">=" and kpi.value is not None:
        return "met" if x >= kpi.value else "not met"
    if kpi.comparator == "<=" and kpi.value is not None:
        return "met" if x <= kpi.value else "not met"
    if kpi.comparator == "between" and kpi.low is not None and kpi.high is not None:
        return "met" if kpi.low <= x <= kpi.high else "not met"
    return "measured"


def programs_table(plan: Plan, data: ProgramInputs) -> pd.DataFrame:
    """One row per program KPI (:data:`PROGRAM_COLUMNS`), canonical units (``unit``).

    Parameters
    ----------
    plan : Plan
        The plan whose programs are listed.
    data : ProgramInputs
        The workspace data the KPIs are measured on.

    Returns
    -------
    pandas.DataFrame
        One row per program KPI: target and actual in the KPI's canonical ``unit`` (yuan,
        persons, count, fraction 0–1) and the status.
    """
    rows = []
    for program in plan.programs:
        for kpi in program.kpis:
            try:
                measured = RULES[kpi.measure.kind](kpi.measure, data)
            except WorkspaceError as exc:
                measured = Measured(None, None, note=str(exc))
            target = kpi.low if kpi.comparator == "between" else kpi.value
            rows.append(
                {
                    "program": program.id,
                    "name_zh": program.name_zh,
                    "name_en": program.name_en,
                    "kpi": kpi.id,
                    "kpi_name_zh": kpi.name_zh,
                    "kpi_name_en": kpi.name_en,
                    "target": target,
                    "target_high": kpi.high if kpi.comparator == "between" else None,
                    "comparator": kpi.comparator,
                    "unit": kpi.unit,
                    "actual": measured.actual,
                    "year": measured.year,
                    "target_year": kpi.year,
                    "status": status_of(kpi, measured),
                    "source": kpi.source or program.source,
                    "imports": kpi.measure.imports or "",
                    "note": "; ".join(n for n in (kpi.note or "", measured.note) if n),
                    "note_zh": kpi.note_zh or "",
                    "synthetic": measured.synthetic,
                }
            )
    frame = pd.DataFrame(rows, columns=PROGRAM_COLUMNS)
    for column in ("target", "target_high", "actual"):
        frame[column] = frame[column].astype(float)
    for column in ("year", "target_year"):
        frame[column] = frame[column].astype("Int64")
    return frame


def workspace_programs(workspace: Any, plan: Plan) -> pd.DataFrame:
    """:func:`programs_table` on a workspace (firm data, tags, observations as available).

    Parameters
    ----------
    workspace : Workspace or source
        An open workspace.
    plan : Plan
        The plan.

    Returns
    -------
    pandas.DataFrame
        The :func:`programs_table`.
    """
    return programs_table(plan, ProgramInputs(workspace, plan))


def measured_programs(table: pd.DataFrame) -> int:
    """How many programs have at least one measured KPI (``actual`` not null).

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`programs_table`.

    Returns
    -------
    int
        Number of programs with a measured KPI.
    """
    measured = table[table["actual"].notna()]
    return int(measured["program"].nunique()) if len(measured) else 0
