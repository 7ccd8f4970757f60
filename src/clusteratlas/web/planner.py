"""The scenario planner and the programs board on the web: ``POST /api/scenario``,
``GET /api/programs`` and the pages ``/scenario`` and ``/programs``.

One router (:func:`router`) included by :func:`clusteratlas.web.app.create_app`.
``POST /api/scenario`` takes a scenario file as the request body (YAML or JSON, at most
:data:`MAX_BODY` bytes; query ``seed``, ``n_sim``, ``solve``) and returns the JSON of
``clusteratlas scenario --format json``; it only reads the workspace. The ``/scenario`` page is
a form (growth sliders per cluster, one project, or a whole YAML file) whose result is rendered
on the server from the same function.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from clusteratlas.errors import ClusterAtlasError, InputError, WorkspaceError
from clusteratlas.i18n import t
from clusteratlas.web.pages import page_env, page_lang, render_page
from clusteratlas.web.state import State
from clusteratlas.web.validation import ApiError

#: Largest scenario file accepted by ``POST /api/scenario`` (bytes).
MAX_BODY = 256 * 1024

#: Slider range of the page (percentage points of annual growth).
SLIDER_MIN, SLIDER_MAX = -10, 20


def router(state: State) -> APIRouter:
    """The scenario and programs routes and pages over an app's state.

    Parameters
    ----------
    state : State
        The app's state (workspace, plan, cache).

    Returns
    -------
    APIRouter
        ``POST /api/scenario``, ``GET /api/programs``, ``/programs`` and ``/scenario``.
    """
    routes = APIRouter()
    plan = state.plan

    def scenario_result(body: str, seed: int, n_sim: int, solve: bool) -> Any:
        """The (cached) result of a scenario file; the baseline (monitor, tracker, draws) is
        cached separately, so moving a slider only re-runs the scenarios."""
        from clusteratlas.analysis.scenario import run, workspace_baseline
        from clusteratlas.analysis.scenario_file import load_scenarios

        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        key = ("scenario", digest, seed, n_sim, solve, state.version())
        cached = state.cache.get(key)
        if cached is not None:
            return cached
        if not state.workspace.exists():
            raise WorkspaceError(f"no workspace at {state.workspace}")
        from clusteratlas.workspace import open_workspace

        spec = load_scenarios(body, plan)
        base_key = (
            "scenario-baseline",
            seed,
            n_sim,
            spec.horizon,
            spec.assumptions,
            state.version(),
        )
        base = state.cache.get(base_key)
        if base is None:
            with state.slots, state.rw.read():
                ws = open_workspace(state.workspace, read_only=True)
                try:
                    base = workspace_baseline(
                        ws,
                        plan,
                        horizon=spec.horizon,
                        assumptions=spec.assumptions,
                        n_sim=n_sim,
                        seed=seed,
                    )
                finally:
                    ws.close()
            state.cache.put(base_key, base)
        result = run(base, spec, solve_targets=solve)
        state.cache.put(key, result)
        return result

    @routes.post("/api/scenario", tags=["analyses"])
    async def scenario_route(
        request: Request,
        seed: int = Query(0, ge=0, le=2**31 - 1),
        n_sim: int = Query(2000, ge=50, le=5000, description="Monte Carlo paths"),
        solve: bool = Query(False, description="Also: what it takes per count target"),
    ) -> Response:
        """Run a scenario file (the request body, YAML or JSON) on the workspace: ``{"scenarios",
        "targets", "clusters", "counts"[, "solve"]}`` as ``clusteratlas scenario --format json``.
        Read-only; money in yuan, probabilities and growth as fractions."""
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise ApiError(f"scenario file larger than {MAX_BODY // 1024} KB", 413)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError("the scenario file must be UTF-8 text (YAML or JSON)") from None
        if not body.strip():
            raise ApiError("empty body: send a scenario file (YAML or JSON)")
        result = await run_in_threadpool(scenario_result, body, seed, n_sim, solve)
        text = json.dumps(result.to_dict(), ensure_ascii=False)
        return Response(text.encode("utf-8"), media_type="application/json")

    @routes.get("/api/programs", tags=["analyses"])
    async def programs_route() -> Response:
        """The plan's programs (八大工程) with each KPI's target, actual, year and status."""
        return await state.run_json("programs")

    # ------------------------------------------------------------------ pages
    env = page_env()

    def render(request: Request, template: str, lang: str, **context: Any) -> HTMLResponse:
        return render_page(env, plan, request, template, lang, **context)

    @routes.get("/programs", response_class=HTMLResponse, include_in_schema=False)
    def programs_page(request: Request) -> HTMLResponse:
        from clusteratlas.report.programs import programs_context

        lang = page_lang(request, plan)
        table = state.run("programs")
        return render(
            request,
            "programs.html.j2",
            lang,
            programs=programs_context({"programs": table}, lang, plan)["program_groups"],
            synthetic=bool(table["synthetic"].astype(bool).any()),
            api_links=["/api/programs"],
        )

    @routes.get("/scenario", response_class=HTMLResponse, include_in_schema=False)
    def scenario_page(request: Request) -> HTMLResponse:
        lang = page_lang(request, plan)
        query = request.query_params
        clusters = [c for c in plan.clusters if c.parent is None and c.group != "aggregate"]
        names = {c.id: (c.name_zh if lang == "zh" else c.name_en) for c in plan.clusters}
        sliders: list[dict[str, Any]] = []
        for c in clusters:
            sliders.append(
                {"id": c.id, "name": names[c.id], "value": _points(query.get(f"d_{c.id}"))}
            )
        delta_all = _points(query.get("d_all"))
        yaml_text = (query.get("yaml") or "").strip()
        project = {
            k: (query.get(f"p_{k}") or "").strip()
            for k in ("cluster", "node", "year", "revenue", "ramp", "name")
        }
        solve = query.get("solve") in ("1", "true", "on")
        error = None
        try:
            body = yaml_text or planner_file(
                delta_all, {str(s["id"]): int(s["value"]) for s in sliders}, project
            )
            result = scenario_result(body, 0, 2000, solve)
        except ClusterAtlasError as exc:
            error, result, body = str(exc), None, yaml_text
        context: dict[str, Any] = {
            "sliders": sliders,
            "delta_all": delta_all,
            "slider_min": SLIDER_MIN,
            "slider_max": SLIDER_MAX,
            "project": project,
            "cluster_choices": [(c.id, names[c.id]) for c in clusters],
            "yaml_text": yaml_text,
            "body": body,
            "solve": solve,
            "error": error,
            "targets": [],
            "scenario_ids": [],
            "count_chart": None,
            "solve_rows": [],
            "solve_header": [],
            "synthetic": False,
        }
        if result is not None:
            context.update(_result_context(result, plan, lang))
        return render(
            request,
            "scenario.html.j2",
            lang,
            api_links=["/api/scenario", "/api/targets"],
            **context,
        )

    return routes


def _points(value: str | None) -> int:
    """A slider value: whole percentage points within the slider range (0 if absent/invalid)."""
    try:
        points = int(float(value)) if value not in (None, "") else 0
    except ValueError:
        raise InputError(f"growth change {value!r} is not a number of percentage points") from None
    return max(SLIDER_MIN, min(SLIDER_MAX, points))


def planner_file(delta_all: int, deltas: dict[str, int], project: dict[str, str]) -> str:
    """The scenario file of the form: ``base`` and ``planner`` (growth changes in points → a
    fraction ``growth_delta``; one optional project, revenue in 亿元 → yuan)."""
    clusters: dict[str, Any] = {}
    if delta_all:
        clusters["*"] = {"growth_delta": delta_all / 100}
    for cluster, points in deltas.items():
        if points:
            clusters[cluster] = {"growth_delta": (delta_all + points) / 100}
    planner: dict[str, Any] = {"id": "planner", "clusters": clusters}
    if project.get("cluster") and project.get("year") and project.get("revenue"):
        try:
            item: dict[str, Any] = {
                "cluster": project["cluster"],
                "year": int(project["year"]),
                "revenue": float(project["revenue"]) * 1e8,
                "ramp_years": int(project.get("ramp") or 1),
            }
        except ValueError:
            raise InputError(
                "project: year and ramp are whole numbers, revenue is in 亿元"
            ) from None
        if project.get("node"):
            item["node"] = project["node"]
        if project.get("name"):
            item["name"] = project["name"]
        planner["projects"] = [item]
    return json.dumps({"scenarios": [{"id": "base"}, planner]}, ensure_ascii=False)


def _result_context(result: Any, plan: Any, lang: str) -> dict[str, Any]:
    """Tables and the chart of a scenario result for the page."""
    from clusteratlas.cli.scenario import solve_display
    from clusteratlas.report.charts import FONT

    names = {tg.id: (tg.name_zh if lang == "zh" else tg.name_en) for tg in plan.targets}
    scenario_ids = [s["id"] for s in result.scenarios]
    targets = []
    for target_id, rows in result.targets.groupby("target_id", sort=False):
        by = rows.set_index("scenario")
        targets.append(
            {
                "name": names.get(str(target_id), target_id),
                "year": int(rows["year"].iloc[0]),
                "basis": t(f"scenario.basis.{rows['basis'].iloc[0]}", lang),
                "values": [
                    "—" if pd.isna(by.loc[s, "probability"]) else f"{by.loc[s, 'probability']:.0%}"
                    for s in scenario_ids
                ],
            }
        )
    top, _ = plan.levels_desc()[0]
    counts = result.counts[result.counts["level"] == top]
    years = sorted(int(y) for y in counts["year"].unique())
    series = []
    for s in scenario_ids:
        part = counts[counts["scenario"] == s].sort_values("year")
        series.append({"name": f"{s} P50", "type": "line", "data": part["p50"].tolist()})
        for q in ("p10", "p90"):
            series.append(
                {
                    "name": f"{s} {q.upper()}",
                    "type": "line",
                    "lineStyle": {"type": "dashed", "width": 1},
                    "symbol": "none",
                    "data": part[q].tolist(),
                }
            )
    level = next(lv for lv in plan.levels if lv.id == top)
    level_name = level.name_zh if lang == "zh" else level.name_en
    chart = {
        "title": {
            "text": f"{t('scenario.title.counts', lang)} · {level_name}",
            "left": "center",
            "textStyle": {"fontSize": 14},
        },
        "textStyle": {"fontFamily": FONT},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 48, "right": 24, "top": 48, "bottom": 56, "containLabel": True},
        "xAxis": {"type": "category", "data": years},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": series,
    }
    solve_rows: list[list[Any]] = []
    if result.solve is not None and len(result.solve):
        shown = solve_display(result.solve, plan, lang)
        solve_rows = [list(r) for r in shown.itertuples(index=False)]
        solve_header = list(shown.columns)
    else:
        solve_header = []
    return {
        "targets": targets,
        "scenario_ids": scenario_ids,
        "count_chart": chart,
        "solve_rows": solve_rows,
        "solve_header": solve_header,
        "synthetic": bool(result.scenarios and result.scenarios[0].get("synthetic")),
    }
