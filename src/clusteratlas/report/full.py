"""The full report: the HTML report of :mod:`clusteratlas.report.html` plus charts and the
chains, ladder and opportunities sections.

:func:`build_report` runs the analyses once through :mod:`clusteratlas.api` (faces never
compute) and returns a :class:`FullReport`; :func:`render_full_html` renders the template
``report_charts.html.j2``, which ``{% extends "report.html.j2" %}`` and fills its
``charts_*``/``extra_sections``/``scripts`` blocks (the table sections stay the main
report's). The HTML is self-contained: CSS and ``echarts.min.js`` are inlined, the Beijing
district outline is embedded, nothing is fetched; charts render with the SVG renderer and
no animation, so printing (:mod:`clusteratlas.report.pdf`) keeps vectors and text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from clusteratlas import api, outputs
from clusteratlas.config import DEFAULT_PLAN
from clusteratlas.demo import cited_facts
from clusteratlas.errors import AnalysisError
from clusteratlas.i18n import t
from clusteratlas.model.plan import Plan, load_plan
from clusteratlas.report import charts
from clusteratlas.report.html import ReportData, build_context
from clusteratlas.report.programs import programs_context
from clusteratlas.units import format_money, format_share

#: Tables of the report (and of the XLSX workbook), in order.
TABLES = (
    "targets",
    "clusters",
    "crossings",
    "chains",
    "coverage",
    "regions",
    "ladder",
    "opportunities",
    "linkages",
    "programs",
    "facts",
    "datasets",
)

#: The opportunities columns the report reads (an empty table when the ranking is refused).
OPPORTUNITY_COLUMNS = ["industry", "name", "density", "pci", "cog", "rank_balanced"]


@dataclass
class FullReport:
    """The report's data: the main report's :class:`ReportData` and the extra tables
    (canonical units), keyed as :data:`TABLES`; ``opportunity_region`` is the region the
    opportunities are for."""

    data: ReportData
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    opportunity_region: str = ""

    @property
    def lang(self) -> str:
        return self.data.lang or self.data.plan.lang


def build_report(
    workspace: Any = None,
    plan: str | Path | Plan = DEFAULT_PLAN,
    *,
    lang: str | None = None,
    n_sim: int = 2000,
    seed: int = 0,
    opportunity_region: str | None = None,
    io_table: str = "china-2020-42",
    provenance: dict[str, Any] | None = None,
) -> FullReport:
    """Run the analyses on ``workspace`` and collect everything the report shows.

    ``opportunity_region``: region for the opportunities section (default: the district
    with the largest revenue among the firm data); ``provenance``: more entries for the
    provenance appendix. Results the dashboard has precomputed for this workspace
    (:mod:`clusteratlas.web.precompute`) are read instead of computed again.
    """
    from clusteratlas.analysis.crossings import cluster_crossings, cluster_series
    from clusteratlas.web.precompute import Store, params
    from clusteratlas.workspace import Workspace, default_path, open_workspace

    the_plan = plan if isinstance(plan, Plan) else load_plan(plan)
    own = not isinstance(workspace, Workspace)
    ws = open_workspace(workspace or default_path(), read_only=True) if own else workspace
    store = Store(Path(getattr(ws, "path", workspace or default_path())), the_plan)

    def run(command: str, **options: Any) -> pd.DataFrame:
        stored = store.get(command, params(command, **options))
        if stored is not None:
            return stored
        return getattr(api, command)(ws, the_plan, **options)

    try:
        monitor = api.clusters(ws, the_plan, all_years=True, n_sim=n_sim, seed=seed)
        synthetic = bool(monitor["synthetic"].astype(bool).any()) if len(monitor) else False
        targets = api.targets(ws, the_plan, n_sim=n_sim, seed=seed)
        observations = ws.table("observation").to_pandas()
        series = cluster_series(
            the_plan, monitor=monitor, observations=observations, synthetic_monitor=synthetic
        )
        crossings = cluster_crossings(the_plan, series, n_sim=n_sim, seed=seed)
        basis = series.drop_duplicates("cluster").set_index("cluster")["basis"]
        crossings["basis"] = crossings["cluster"].map(basis)
        # projections from a partial firm list are not published figures (issue 12)
        partial = bool(monitor.get("partial", pd.Series(dtype=bool)).astype(bool).any())
        crossings["partial"] = (crossings["basis"] == "monitor") & partial
        nodes = run("chains")
        coverage = run("coverage")
        regions = run("regions")
        pipeline = run("ladder", view="pipeline")
        districts = api.clusters(ws, the_plan, geography="firm", n_sim=n_sim, seed=seed)
        if opportunity_region is None:
            top = districts[districts["region"].astype(str).str.len() == 6]
            opportunity_region = (
                str(top.groupby("region")["revenue"].sum().idxmax())
                if len(top)
                else the_plan.region
            )
        try:
            opportunities = run("opportunities", region=opportunity_region, top=None)
        except AnalysisError:  # ranking refused (network not identified): an empty section
            opportunities = pd.DataFrame(columns=OPPORTUNITY_COLUMNS)
        datasets = api.datasets(ws, the_plan)
        programs = api.programs(ws, the_plan)  # the eight projects (report/programs.py)
    finally:
        if own:
            ws.close()
    linkages = api.linkages(None, the_plan, table=io_table)
    facts = cited_facts(the_plan, observations)
    datasets_shown = datasets[datasets["kind"] != "refdata"]
    provenance = {
        "plan": the_plan.id,
        "engine": "duckdb (ibis)",
        "workspace": str(getattr(ws, "path", workspace)),
        "datasets": ", ".join(datasets_shown["name"].astype(str)),
        "seed": seed,
        "n_sim": n_sim,
        "io table": io_table,
        **(provenance or {}),
    }
    data = ReportData(
        plan=the_plan,
        targets=targets,
        monitor=monitor,
        crossings=crossings,
        facts=facts,
        datasets=datasets_shown,
        provenance=provenance,
        synthetic=synthetic,
        lang=lang,
    )
    tables = {
        "targets": targets,
        "clusters": monitor,
        "crossings": crossings,
        "chains": nodes,
        "coverage": coverage,
        "regions": regions,
        "ladder": pipeline,
        "opportunities": opportunities,
        "linkages": linkages,
        "programs": programs,
        "facts": facts,
        "datasets": datasets,
    }
    return FullReport(data=data, tables=tables, opportunity_region=opportunity_region)


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("clusteratlas.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _asset(*parts: str) -> str:
    entry = resources.files("clusteratlas.web") / "static"
    for part in parts:
        entry = entry / part
    return entry.read_text(encoding="utf-8")


def chart_context(report: FullReport) -> dict[str, Any]:
    """The chart options and extra section rows of the report (static: no animation)."""
    from clusteratlas.web.maps import region_names

    lang = report.lang
    plan = report.data.plan
    tb = report.tables
    monitor = tb["clusters"]
    targets = tb["targets"]
    history = target_history(plan, report.data.facts, monitor, targets)
    projections = [
        {
            "id": f"proj-{r['target_id']}",
            "option": charts.target_projection(
                r, lang, static=True, history=history.get(str(r["target_id"]))
            ),
        }
        for _, r in targets.iterrows()
        if str(r["comparator"]) != "track"
    ]
    latest = monitor[monitor["year"] == monitor["year"].max()] if len(monitor) else monitor
    names = charts.tier_names(plan.tier_ruleset, lang)
    cov = tb["coverage"]
    chain_names = {c.id: (c.name_zh if lang == "zh" else c.name_en) for c in plan.chains}
    coverage_rows = [
        {
            "name": chain_names.get(str(r["chain"]), str(r["chain"])),
            "nodes": int(r["nodes"]),
            "coverage": format_share(float(r["coverage"])),
            "weak": int(r.get("weak", 0)),
            "missing": int(r.get("missing", 0)),
        }
        for _, r in cov.iterrows()
    ]
    nodes = tb["chains"]
    weak = nodes[nodes["status"].isin(["weak", "missing"])]
    weak_rows = [
        {
            "chain": chain_names.get(str(r["chain"]), str(r["chain"])),
            "node": r["name_zh" if lang == "zh" else "name_en"],
            "status": t(f"web.status.{r['status']}", lang),
            "firms": int(r["firms"]),
            "revenue": format_money(float(r["revenue"]), lang),
        }
        for _, r in weak.iterrows()
    ]
    pipe = tb["ladder"]
    ladder_rows = [
        {
            "year": int(r["year"]),
            "tier": names.get(str(r["tier"]), str(r["tier"])),
            "eligible": int(r["eligible"]),
            "undetermined": int(r["undetermined"]),
            "firms": int(r["firms"]),
        }
        for _, r in pipe.sort_values(["year", "track", "rank"]).iterrows()
    ]
    opps = tb["opportunities"]
    opp_rows = [
        {
            "rank": int(r["rank_balanced"]),
            "industry": str(r["industry"]),
            "name": str(r["name"]),
            "density": f"{float(r['density']):.3f}",
            "pci": f"{float(r['pci']):.2f}",
            "cog": f"{float(r['cog']):.2f}",
        }
        for _, r in opps.sort_values("rank_balanced").head(15).iterrows()
    ]
    region_label = region_names("beijing").get(report.opportunity_region, {})
    return {
        "chart_targets": [
            {"id": "target-status", "option": charts.target_status(targets, lang, static=True)},
            *projections,
        ],
        "chart_clusters": [
            {
                "id": "portfolio",
                "option": charts.cluster_portfolio(monitor, plan, lang, static=True),
            },
            {
                "id": "trends",
                "option": charts.cluster_trends(monitor, plan, lang, static=True),
                "tall": True,
            },
        ],
        "chart_chains": [
            {"id": "coverage", "option": charts.chain_coverage(cov, plan, lang, static=True)}
        ]
        + [
            {
                "id": f"chain-{c.id}",
                "option": charts.chain_graph(nodes, plan, c.id, lang, static=True),
                "tall": True,
            }
            for c in plan.chains
        ],
        "chart_ladder": [
            {"id": "funnel", "option": charts.ladder_funnel(pipe, names, lang, static=True)},
            {"id": "ladder-years", "option": charts.ladder_trend(pipe, names, lang, static=True)},
        ],
        "chart_opportunities": [
            {"id": "opps", "option": charts.opportunity_scatter(opps, lang, static=True)},
            {
                "id": "linkages",
                "option": charts.linkage_quadrants(tb["linkages"], lang, static=True),
            },
        ],
        "coverage_rows": coverage_rows,
        "weak_rows": weak_rows,
        "ladder_rows": ladder_rows,
        "opp_rows": opp_rows,
        "opp_region": f"{region_label.get(lang, '') or report.opportunity_region} "
        f"({report.opportunity_region})",
        "latest_year": int(latest["year"].max()) if len(latest) else "",
        "echarts_js": _asset("vendor", "echarts.min.js").replace("</script", "<\\/script"),
    }


def target_history(
    plan: Plan, facts: pd.DataFrame, monitor: pd.DataFrame, targets: pd.DataFrame
) -> dict[str, list[tuple[int, float]]]:
    """Each target's actual series ``(year, value)`` in canonical units, from where its latest
    actual came: the published observations of its indicator at the plan region (for a
    cluster size, the cluster's observed indicator), or the cluster monitor (synthetic firm
    data) when that is the actual's source."""
    from clusteratlas.analysis.actuals import actual_key

    source = dict(zip(targets["target_id"].astype(str), targets["actual_source"], strict=True))
    clusters = {c.id: c for c in plan.clusters}
    at_region = monitor[monitor["region"].astype(str) == plan.region] if len(monitor) else monitor
    published = facts[facts["region"].astype(str) == plan.region] if len(facts) else facts
    out: dict[str, list[tuple[int, float]]] = {}
    for target in plan.targets:
        ref = target.actual
        rows: pd.DataFrame | None = None
        indicator = None
        if ref.kind == "observation":
            indicator = actual_key(ref)
        elif ref.kind == "cluster_size":
            measure = ref.measure or plan.measure
            cluster = clusters.get(str(ref.cluster))
            if str(source.get(target.id)) == "cluster monitor":
                sub = at_region[at_region["cluster"] == ref.cluster] if len(at_region) else None
                if sub is not None and measure in sub.columns:
                    rows = sub[["year", measure]].rename(columns={measure: "value"})
            elif cluster is not None:
                indicator = cluster.observed.get(measure)
        if indicator is not None and len(published):
            rows = published[published["indicator"] == indicator][["year", "value"]]
        if rows is not None and len(rows):
            rows = rows.dropna().drop_duplicates("year").sort_values("year")
            out[target.id] = [
                (int(y), float(v)) for y, v in zip(rows["year"], rows["value"], strict=True)
            ]
    return out


def render_full_html(report: FullReport) -> str:
    """The self-contained HTML of the full report."""
    context = build_context(report.data)
    context.update(chart_context(report))
    context.update(programs_context(report.tables, report.lang, report.data.plan))
    context["to_json"] = charts.to_json
    env = _environment()
    env.globals["to_json"] = charts.to_json
    return env.get_template("report_charts.html.j2").render(**context)


def write_full_html(report: FullReport, path: str | Path) -> Path:
    """Render and write the full report (UTF-8); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    outputs.write_text(out, render_full_html(report))
    return out


def generated_now() -> dt.datetime:
    """Current UTC time (report stamp)."""
    return dt.datetime.now(dt.UTC)
