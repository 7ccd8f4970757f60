"""Dashboard pages (server-rendered Jinja2; ECharts options from :mod:`clusteratlas.report.charts`).

Each page takes its tables from the app's cached analysis results (the same cache and the
same parameters as the JSON routes, so a page and ``/api/<command>`` show the same numbers)
and embeds the ECharts options as JSON; map outlines are fetched from ``/api/maps/{name}``.
Every page takes ``?lang=zh|en`` (default: the plan's language) and links the JSON routes
it shows.

:func:`register_pages` adds the HTML error pages and one router per area (plan board,
clusters, chains, ladder, opportunities); the handlers share a :class:`Pages` (state, plan,
templates, the store of precomputed results). :func:`page_env`, :func:`page_lang` and
:func:`render_page` are shared with :mod:`clusteratlas.web.planner`.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import quote, urlencode

import pandas as pd
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from clusteratlas.analysis.facts import official_quote
from clusteratlas.i18n import region_names as district_names
from clusteratlas.i18n import t
from clusteratlas.model.plan import Plan
from clusteratlas.report import charts
from clusteratlas.report.html import format_value, target_text
from clusteratlas.units import format_money, format_share, is_missing
from clusteratlas.web.maps import region_names
from clusteratlas.web.precompute import Store, params
from clusteratlas.web.state import State
from clusteratlas.web.validation import (
    CODE_PATTERN,
    FIRM_ID_PATTERN,
    ID_PATTERN,
    ApiError,
    check_chain,
    check_cluster,
    check_table,
)

log = logging.getLogger("clusteratlas.web")


def page_env() -> Environment:
    """The Jinja2 environment of the dashboard templates (filters ``money``, ``pct``, ``num``).

    Returns
    -------
    jinja2.Environment
        Autoescaping, strict about undefined names.
    """
    env = Environment(
        loader=PackageLoader("clusteratlas.web", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["to_json"] = charts.to_json
    env.filters["money"] = _money
    env.filters["pct"] = _pct
    env.filters["num"] = _numf
    return env


def _money(v: Any, lang: str = "zh") -> str:
    return "—" if is_missing(v) else format_money(float(v), lang)


def _pct(v: Any) -> str:
    return "—" if is_missing(v) else format_share(float(v))


def _numf(v: Any, digits: int = 2) -> str:
    if is_missing(v):
        return "—"
    return f"{float(v):,.{digits}f}"


def page_lang(request: Request, plan: Plan) -> str:
    """The page's language: ``?lang=zh|en``, else the plan's (``zh`` for anything else).

    Parameters
    ----------
    request : Request
        The page request.
    plan : Plan
        The app's plan.

    Returns
    -------
    str
        ``zh`` or ``en``.
    """
    lang = request.query_params.get("lang") or plan.lang
    return lang if lang in ("zh", "en") else "zh"


def render_page(
    env: Environment, plan: Plan, request: Request, template: str, lang: str, **context: Any
) -> HTMLResponse:
    """Render a dashboard template with the plan, the language switch and the page's context.

    Parameters
    ----------
    env : jinja2.Environment
        From :func:`page_env`.
    plan : Plan
        The app's plan.
    request : Request
        The page request (its path and query build the language switch).
    template : str
        Template file name.
    lang : {"zh", "en"}
        Language.
    **context
        The page's variables; ``synthetic`` defaults to False (no synthetic-data banner).

    Returns
    -------
    HTMLResponse
        The page.
    """
    query = dict(request.query_params)
    switch = {**query, "lang": "en" if lang == "zh" else "zh"}
    synthetic = context.pop("synthetic", False)
    html = env.get_template(template).render(
        L=lambda key: t(key, lang),
        lang=lang,
        html_lang="zh-CN" if lang == "zh" else "en",
        plan_name=plan.name_zh if lang == "zh" else plan.name_en,
        plan_id=plan.id,
        path=request.url.path,
        lang_switch=f"{request.url.path}?{urlencode(switch)}",
        q=f"?lang={lang}",
        synthetic=synthetic,
        **context,
    )
    return HTMLResponse(html)


def synthetic_of(*frames: pd.DataFrame) -> bool:
    """Whether any of the frames has a row from synthetic data (the page shows a banner)."""
    return any("synthetic" in f.columns and bool(f["synthetic"].astype(bool).any()) for f in frames)


class Preparing(Exception):
    """A page's data is still being computed in the background (``serve`` just started)."""


class Pages:
    """What the page handlers share: the app's state and plan, the templates and the store
    of precomputed results."""

    def __init__(self, app: FastAPI, state: State) -> None:
        self.app = app
        self.state = state
        self.plan = state.plan
        self.env = page_env()
        self.store = Store(state.workspace, state.plan)

    def run(self, command: str, **parameters: Any) -> pd.DataFrame:
        """The stored result (precomputed off the request path) or the app's cached one.

        While ``serve`` is still computing the store in the background, a result that is
        neither stored nor cached is not computed on the request: :class:`Preparing` makes
        the page say so (and reload itself) instead of keeping the visitor waiting."""
        frame = self.store.get(command, parameters)
        if frame is not None:
            return frame
        warming = getattr(self.app.state, "pages_warming", None)
        key = (command, tuple(sorted(parameters.items())), self.state.version())
        if warming is not None and warming.is_alive() and key not in self.state.cache:
            raise Preparing(command)
        return self.state.run(command, **parameters)

    def lang(self, request: Request) -> str:
        """The page's language (:func:`page_lang`)."""
        return page_lang(request, self.plan)

    def render(self, request: Request, template: str, lang: str, **context: Any) -> HTMLResponse:
        """The page rendered (:func:`render_page`)."""
        return render_page(self.env, self.plan, request, template, lang, **context)

    def firm_ids(self, names: list[str]) -> dict[str, str]:
        """Firm name → firm id (the first match) for linking chain leaders."""
        if not names:
            return {}
        every = self.store.screened(
            columns=["firm_id", "firm_name"], filters=[("firm_name", "in", list(names))]
        )
        if every is not None:
            hits = every.drop_duplicates("firm_name")
            return dict(zip(hits["firm_name"], hits["firm_id"], strict=True))
        from clusteratlas.workspace import open_workspace

        with open_workspace(self.state.workspace, read_only=True) as ws:
            firm = ws.table("firm")
            hits = firm.filter(firm.name.isin(names)).select("name", "firm_id").to_pandas()
        hits = hits.drop_duplicates("name")
        return dict(zip(hits["name"].astype(str), hits["firm_id"].astype(str), strict=True))

    def eligible_firms(self) -> pd.DataFrame:
        """Eligible firm × tier rows of the latest year (from the stored screening of every
        firm when there is one)."""
        rows = self.store.screened(
            columns=["firm_id", "firm_name", "region", "tier", "rank", "status", "synthetic"],
            filters=[("status", "==", "eligible")],
        )
        return (
            rows if rows is not None else self.run("ladder", **params("ladder", status="eligible"))
        )

    def firm_rows(self, firm_id: str) -> pd.DataFrame:
        """One firm's screening rows: a filtered read of the stored screening, else a
        screening of that firm only."""
        rows = self.store.firm_rows(firm_id)
        return rows if rows is not None else self.run("ladder", **params("ladder", firm=firm_id))

    def error_page(self, request: Request, status: int, detail: str) -> HTMLResponse:
        """An HTML error page in the page's language for a status and the JSON error text."""
        lang = self.lang(request)
        if status == 404 and not detail.startswith(("no ", "工作区")):
            message = t("web.error.not_found", lang)
        elif status == 500:
            message = t("web.error.internal", lang)
        elif status == 422 and ":" in detail and not detail.startswith(("unknown", "invalid")):
            message = t("web.error.bad_param", lang).format(name=detail.split(":", 1)[0])
        else:
            message = detail
        page = self.render(
            request,
            "error.html.j2",
            lang,
            message=message,
            detail=detail,
            status=status,
            api_links=[],
        )
        page.status_code = status
        return page


def register_pages(app: FastAPI, state: State) -> None:
    """Add the dashboard pages to an app.

    Parameters
    ----------
    app : FastAPI
        The app (its ``state.pages_store`` is set to the store of precomputed results).
    state : State
        The app's state.
    """
    pages = Pages(app, state)
    app.state.pages_store = pages.store
    _add_error_pages(app, pages)
    for area in (
        _plan_routes,
        _cluster_routes,
        _chain_routes,
        _ladder_routes,
        _opportunity_routes,
    ):
        app.include_router(area(pages))


def _add_error_pages(app: FastAPI, pages: Pages) -> None:
    """Dashboard pages answer a bad parameter or a missing page with an HTML page in the
    page's language (the JSON routes under /api keep their JSON errors)."""

    @app.middleware("http")
    async def html_errors(request: Request, call_next: Any) -> Any:
        path = request.url.path
        if path.startswith(("/api", "/static")):
            return await call_next(request)
        try:
            response = await call_next(request)
        except Exception:
            log.exception("internal error on %s", path)
            return pages.error_page(request, 500, "")
        if response.status_code < 400 or "json" not in response.headers.get("content-type", ""):
            return response
        body = b"".join([chunk async for chunk in response.body_iterator])
        try:
            detail = str(json.loads(body).get("error", ""))
        except ValueError:
            detail = body.decode("utf-8", "replace")
        return pages.error_page(request, response.status_code, detail)

    async def preparing_page(request: Request, exc: Exception) -> HTMLResponse:
        return pages.render(request, "preparing.html.j2", pages.lang(request), api_links=[])

    app.add_exception_handler(Preparing, preparing_page)


def _plan_routes(pages: Pages) -> APIRouter:
    """The plan board ``/``."""
    routes = APIRouter()

    @routes.get("/", response_class=HTMLResponse, include_in_schema=False)
    def plan_board(request: Request) -> HTMLResponse:
        lang = pages.lang(request)
        targets = pages.run("targets", **params("targets"))
        name = "name_zh" if lang == "zh" else "name_en"
        rows = []
        projections = []
        for i, (_, r) in enumerate(targets.iterrows()):
            unit = str(r["unit"])
            rows.append(
                {
                    "id": r["target_id"],
                    "name": r[name],
                    "target": target_text(r, lang),
                    "year": int(r["year"]),
                    # a bound stays a bound: ">3万亿元", never "3万亿元"
                    "actual": _value(r["latest_value"], unit, lang, r.get("latest_bound")),
                    "actual_year": "" if is_missing(r["latest_year"]) else int(r["latest_year"]),
                    "gap": _value(r["gap"], unit, lang),
                    "status": str(r["status"]),
                    "status_label": t(f"targets.status.{r['status']}", lang),
                    "probability": _pct(r["probability"]),
                    "synthetic": bool(r["synthetic"]),
                    "source": _source_link(r["actual_source"]),
                }
            )
            if str(r["comparator"]) != "track":
                projections.append({"id": f"proj{i}", "option": charts.target_projection(r, lang)})
        return pages.render(
            request,
            "plan.html.j2",
            lang,
            rows=rows,
            projections=projections,
            status_chart=charts.target_status(targets, lang),
            synthetic=synthetic_of(targets),
            api_links=["/api/targets"],
        )

    return routes


def _cluster_routes(pages: Pages) -> APIRouter:
    """``/clusters``: the 2441 tree, portfolio, trends and maps."""
    routes = APIRouter()
    plan = pages.plan

    @routes.get("/clusters", response_class=HTMLResponse, include_in_schema=False)
    def clusters_page(
        request: Request,
        cluster: str | None = Query(None, pattern=ID_PATTERN),
        x: str = Query("lq", pattern=r"^(lq|share)$"),
    ) -> HTMLResponse:
        lang = pages.lang(request)
        check_cluster(plan, cluster)
        monitor = pages.run("clusters", **params("clusters", all_years=True))
        districts = pages.run("clusters", **params("clusters", all_years=True, geography="firm"))
        chosen = cluster or next(c.id for c in plan.clusters if c.group != "aggregate")
        names = charts.cluster_names(plan, lang)
        latest = (
            districts[districts["year"] == districts["year"].max()] if len(districts) else districts
        )
        sub = latest[latest["cluster"] == chosen]
        values = {str(r["region"]): (r["revenue"] or 0) / charts.YI for _, r in sub.iterrows()}
        beijing = charts.region_map(
            values,
            region_names("beijing"),
            "beijing",
            f"{t('web.clusters.map_beijing', lang)} · {names[chosen]}",
            lang,
            unit=t("web.unit.yi", lang),
        )
        capacity = pages.run("regions", **params("regions"))
        own = _cluster_chains(plan, chosen)
        chain_names = {c.id: (c.name_zh if lang == "zh" else c.name_en) for c in plan.chains}
        if own:
            capacity = capacity[capacity["chain"].isin(own)]
            shown = (
                "、".join(chain_names[c] for c in own)
                if lang == "zh"
                else ", ".join(chain_names[c] for c in own)
            )
        else:
            shown = t("web.clusters.all_chains", lang)
        cap_values = (capacity.groupby("member")["revenue"].sum() / charts.YI).to_dict()
        jjj = charts.region_map(
            {str(k): v for k, v in cap_values.items()},
            region_names("jingjinji"),
            "jingjinji",
            f"{t('web.clusters.map_jingjinji', lang)} · {shown}",
            lang,
            unit=t("web.unit.yi", lang),
        )
        tree = _cluster_tree(plan, monitor, lang)
        return pages.render(
            request,
            "clusters.html.j2",
            lang,
            tree=tree,
            chosen=chosen,
            cluster_choices=[(c.id, names[c.id]) for c in plan.clusters],
            portfolio=charts.cluster_portfolio(monitor, plan, lang, x=x),
            trends=charts.cluster_trends(monitor, plan, lang),
            beijing_map=beijing,
            jjj_map=jjj,
            chosen_name=names[chosen],
            cluster_chains=[(c, chain_names[c]) for c in own],
            x=x,
            synthetic=synthetic_of(monitor),
            api_links=[
                "/api/clusters?all_years=true",
                "/api/clusters?geography=firm",
                "/api/regions",
            ],
        )

    return routes


def _chain_routes(pages: Pages) -> APIRouter:
    """``/chains``, ``/chains/{chain}`` and ``/chains/{chain}/{node}``."""
    routes = APIRouter()
    plan = pages.plan

    @routes.get("/chains", response_class=HTMLResponse, include_in_schema=False)
    def chains_page(request: Request) -> HTMLResponse:
        lang = pages.lang(request)
        cov = pages.run("coverage", **params("coverage"))
        chain_names = {c.id: (c.name_zh if lang == "zh" else c.name_en) for c in plan.chains}
        rows = [
            {
                "id": r["chain"],
                "name": chain_names.get(str(r["chain"]), r["chain"]),
                "nodes": int(r["nodes"]),
                "coverage": _pct(r["coverage"]),
                **{s: int(r.get(s, 0)) for s in charts.STATUS_COLOURS},
            }
            for _, r in cov.iterrows()
        ]
        return pages.render(
            request,
            "chains.html.j2",
            lang,
            rows=rows,
            coverage_chart=charts.chain_coverage(cov, plan, lang),
            statuses=list(charts.STATUS_COLOURS),
            synthetic=synthetic_of(cov),
            api_links=["/api/coverage"],
        )

    @routes.get("/chains/{chain}", response_class=HTMLResponse, include_in_schema=False)
    def chain_page(request: Request, chain: str) -> HTMLResponse:
        lang = pages.lang(request)
        check_chain(plan, chain)
        nodes = pages.run("chains", **params("chains"))
        graph = charts.chain_graph(
            nodes, plan, chain, lang, link=f"/chains/{chain}/{{node}}?lang={lang}"
        )
        sub = nodes[nodes["chain"] == chain]
        rows = [
            {
                "id": r["node"],
                "name": r["name_zh" if lang == "zh" else "name_en"],
                "stage": t(f"web.stage.{r['stage']}", lang),
                "firms": int(r["firms"]),
                "revenue": _money(r["revenue"], lang),
                "share": _pct(r["share_of_national"]),
                "lq": _numf(r["lq"]),
                "status": str(r["status"]),
                "status_label": t(f"web.status.{r['status']}", lang),
                "top_firms": r["top_firms"],
            }
            for _, r in sub.iterrows()
        ]
        the_chain = plan.chain(chain)
        return pages.render(
            request,
            "chain.html.j2",
            lang,
            cluster=the_chain.cluster,
            cluster_name=charts.cluster_names(plan, lang).get(the_chain.cluster, ""),
            chain=chain,
            chain_name=the_chain.name_zh if lang == "zh" else the_chain.name_en,
            graph=graph,
            rows=rows,
            synthetic=synthetic_of(nodes),
            api_links=[f"/api/chains?chain={chain}"],
        )

    @routes.get("/chains/{chain}/{node}", response_class=HTMLResponse, include_in_schema=False)
    def node_page(request: Request, chain: str, node: str) -> HTMLResponse:
        lang = pages.lang(request)
        check_chain(plan, chain, node)
        nodes = pages.run("chains", **params("chains"))
        row = nodes[(nodes["chain"] == chain) & (nodes["node"] == node)]
        info = row.iloc[0].to_dict() if len(row) else {}
        cands = pages.run("attract", **params("attract", chain=chain, node=node))
        the_chain = plan.chain(chain)
        the_node = next(n for n in the_chain.nodes if n.id == node)
        leaders = [f for f in str(info.get("top_firms", "") or "").split("、") if f]
        ids = pages.firm_ids(leaders)
        candidates = [
            {
                "rank": int(r["rank"]),
                "name": r["name"],
                "firm_id": r["firm_id"],
                "region": district_names(lang).get(str(r["region"]), r["region"]),
                "revenue": _money(r["revenue"], lang),
                "score": _numf(r["score"], 3),
            }
            for _, r in cands.iterrows()
        ]
        return pages.render(
            request,
            "node.html.j2",
            lang,
            chain=chain,
            node=node,
            node_name=the_node.name_zh if lang == "zh" else the_node.name_en,
            stage=t(f"web.stage.{the_node.stage}", lang),
            status=t(f"web.status.{info.get('status', 'missing')}", lang),
            firms=int(info.get("firms", 0) or 0),
            revenue=_money(info.get("revenue"), lang),
            lq=_numf(info.get("lq")),
            top_firms=[{"name": f, "firm_id": ids.get(f)} for f in leaders],
            chain_name=the_chain.name_zh if lang == "zh" else the_chain.name_en,
            cluster=the_chain.cluster,
            cluster_name=charts.cluster_names(plan, lang).get(the_chain.cluster, ""),
            candidates=candidates,
            synthetic=synthetic_of(nodes, cands),
            api_links=[f"/api/chains?chain={chain}", f"/api/attract?chain={chain}&node={node}"],
        )

    return routes


def _ladder_routes(pages: Pages) -> APIRouter:
    """``/ladder`` and ``/ladder/firm/{firm_id}``."""
    routes = APIRouter()
    plan = pages.plan

    @routes.get("/ladder", response_class=HTMLResponse, include_in_schema=False)
    def ladder_page(
        request: Request, year: int | None = Query(None, ge=1949, le=2100)
    ) -> HTMLResponse:
        lang = pages.lang(request)
        pipe = pages.run("ladder", **params("ladder", view="pipeline"))
        names = charts.tier_names(plan.tier_ruleset, lang)
        screened = pages.eligible_firms()
        firms = (
            screened.sort_values(["rank"], ascending=False)
            .drop_duplicates("firm_id")
            .sort_values(["rank", "firm_id"], ascending=[False, True])
            .head(50)
        )
        districts = district_names(lang)
        rows = [
            {
                "firm_id": r["firm_id"],
                "name": r["firm_name"],
                "region": districts.get(str(r["region"]), r["region"]),
                "tier": names.get(str(r["tier"]), r["tier"]),
            }
            for _, r in firms.iterrows()
        ]
        return pages.render(
            request,
            "ladder.html.j2",
            lang,
            funnel=charts.ladder_funnel(pipe, names, lang, year=year),
            trend=charts.ladder_trend(pipe, names, lang),
            rows=rows,
            synthetic=synthetic_of(pipe),
            api_links=["/api/ladder?view=pipeline", "/api/ladder?status=eligible"],
        )

    @routes.get("/ladder/firm/{firm_id}", response_class=HTMLResponse, include_in_schema=False)
    def firm_page(request: Request, firm_id: str) -> HTMLResponse:
        lang = pages.lang(request)
        from clusteratlas.analysis import ladder as ladder_mod
        from clusteratlas.analysis.tier_rules import load_ruleset
        from clusteratlas.i18n.criteria import criterion_text, input_label, missing_text

        if not re.match(FIRM_ID_PATTERN, firm_id):
            raise ApiError(t("web.error.firm_id", lang).format(id=firm_id), 422)
        screened = pages.firm_rows(firm_id)
        if screened.empty:
            raise ApiError(t("web.error.no_firm", lang).format(id=firm_id), 404)
        rs = load_ruleset(plan.tier_ruleset)
        gaps = ladder_mod.gaps(screened.drop(columns=["synthetic"], errors="ignore"))
        names = charts.tier_names(plan.tier_ruleset, lang)
        tiers = []
        for _, r in screened.iterrows():
            failed = list(r["failed"]) if r["failed"] is not None else []
            tiers.append(
                {
                    "tier": names.get(str(r["tier"]), r["tier"]),
                    "status": str(r["status"]),
                    "status_label": t(f"web.tier.status.{r['status']}", lang),
                    "score": _numf(r["score"], 0)
                    if not is_missing(r["score"])
                    else (
                        f"{_numf(r['score_low'], 0)}–{_numf(r['score_high'], 0)}"
                        if not is_missing(r["score_low"])
                        else "—"
                    ),
                    "failed": [criterion_text(f, rs, lang) for f in failed],
                    "missing": missing_text(r["missing"], rs, lang),
                }
            )
        gap_rows = [
            {
                "next": names.get(str(r["next_tier"]), r["next_tier"]),
                "criterion": "—"
                if is_missing(r["input"])
                else input_label(rs, str(r["input"]), lang),
                "text": "—" if is_missing(r["input"]) else criterion_text(r, rs, lang),
                "missing": missing_text(r["missing"], rs, lang),
            }
            for r in gaps.to_dict("records")
        ]
        first = screened.iloc[0]
        region = str(first["region"])
        return pages.render(
            request,
            "firm.html.j2",
            lang,
            firm_id=firm_id,
            name=first["firm_name"],
            region=district_names(lang).get(region, region),
            year=int(first["year"]),
            tiers=tiers,
            gaps=gap_rows,
            synthetic=synthetic_of(screened),
            api_links=[
                f"/api/ladder?firm={quote(firm_id)}",
                f"/api/ladder?view=gaps&firm={quote(firm_id)}",
            ],
        )

    return routes


def _opportunity_routes(pages: Pages) -> APIRouter:
    """``/opportunities``: what a district could develop next."""
    routes = APIRouter()

    @routes.get("/opportunities", response_class=HTMLResponse, include_in_schema=False)
    def opportunities_page(
        request: Request,
        region: str = Query("110108", pattern=CODE_PATTERN),
        table: str = Query("china-2020-42", pattern=ID_PATTERN),
    ) -> HTMLResponse:
        lang = pages.lang(request)
        check_table(table)
        opps = pages.run("opportunities", **params("opportunities", region=region, top=None))
        link = pages.run("linkages", **params("linkages", table=table))
        rows = [
            {
                "rank": int(r["rank_balanced"]),
                "industry": r["industry"],
                "name": r["name"],
                "density": _numf(r["density"], 3),
                "pci": _numf(r["pci"], 2),
                "cog": _numf(r["cog"], 2),
            }
            for _, r in opps.sort_values("rank_balanced").head(20).iterrows()
        ]
        districts = region_names("beijing")
        return pages.render(
            request,
            "opportunities.html.j2",
            lang,
            region=region,
            regions=[(c, n["zh"] if lang == "zh" else n["en"]) for c, n in districts.items()],
            scatter=charts.opportunity_scatter(opps, lang),
            quadrants=charts.linkage_quadrants(link, lang),
            rows=rows,
            table=table,
            synthetic=synthetic_of(opps),
            api_links=[f"/api/opportunities?region={region}", f"/api/linkages?table={table}"],
        )

    return routes


def _value(v: Any, unit: str, lang: str, bound: Any = None) -> str:
    return format_value(v, unit, lang, None if is_missing(bound) else str(bound))


def _source_link(source: Any) -> dict[str, str]:
    """The actual's source as ``{'url', 'quote'}``: the official page first (the tracker's
    sources come from the packaged facts), its quoted sentence shown on hover."""
    first = "" if is_missing(source) else str(source).split(" ")[0]
    url = first if first.startswith(("http://", "https://")) else ""
    return {"url": url, "quote": official_quote(url) if url else ""}


def _cluster_tree(plan: Any, monitor: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    """The 2441 tree: groups → clusters (→ sub-clusters) with the latest size and level."""
    names = charts.cluster_names(plan, lang)
    latest = monitor[(monitor["region"].astype(str) == plan.region)]
    if len(latest):
        latest = latest[latest["year"] == latest["year"].max()].set_index("cluster")
    levels = {lv.id: (lv.name_zh if lang == "zh" else lv.name_en) for lv in plan.levels}
    groups: dict[str, list[dict[str, Any]]] = {}
    for c in plan.clusters:
        if c.parent is not None:
            continue
        row = latest.loc[c.id] if c.id in getattr(latest, "index", []) else None
        children = [
            {
                "id": k.id,
                "name": names[k.id],
                "size": _money(latest.loc[k.id]["revenue"], lang)
                if k.id in getattr(latest, "index", [])
                else "—",
            }
            for k in plan.clusters
            if k.parent == c.id
        ]
        groups.setdefault(c.group, []).append(
            {
                "id": c.id,
                "name": names[c.id],
                "size": _money(row["revenue"], lang) if row is not None else "—",
                "level": levels.get(str(row["level"]), "—") if row is not None else "—",
                "children": children,
            }
        )
    return [{"group": g, "clusters": cs} for g, cs in groups.items()]


def _cluster_chains(plan: Any, cluster: str) -> list[str]:
    """Ids of the chains of ``cluster`` (or of its sub-clusters / its parent's, when it has
    none of its own)."""
    own = [c.id for c in plan.chains if c.cluster == cluster]
    if own:
        return own
    children = {c.id for c in plan.clusters if c.parent == cluster}
    parent = next((c.parent for c in plan.clusters if c.id == cluster), None)
    return [c.id for c in plan.chains if c.cluster in children or c.cluster == parent]
