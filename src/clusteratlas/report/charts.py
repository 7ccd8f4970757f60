"""ECharts option builders shared by the dashboard and the report (one place).

Each builder takes an analysis output (the tables of :mod:`clusteratlas.api`, canonical
units: money in yuan, shares as fractions) and a label language and returns an ECharts
``option`` as a JSON-serialisable dict. Money is plotted in 亿元 (1e8 yuan) and shares in
percent; axis names say so. Builders never compute analyses, only reshape and label.

Rendering choices live in the page, not here: the dashboard renders with the canvas
renderer and animation on; the report passes ``static=True`` (animation off) and renders
with the SVG renderer so printing keeps vectors. Fonts: "Noto Sans CJK SC" named
explicitly (generic ``sans-serif`` falls back to Japanese glyph forms).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from clusteratlas.i18n import t
from clusteratlas.model.plan import Plan

FONT = '"Noto Sans CJK SC", "Noto Sans CJK", "Source Han Sans SC", sans-serif'
YI = 1e8  # yuan per 亿元

#: Node status colours (chains) and target status colours.
STATUS_COLOURS = {
    "strong": "#1a7f37",
    "present": "#4c8bf5",
    "weak": "#e3a008",
    "missing": "#d1242f",
}
TARGET_COLOURS = {
    "met": "#1a7f37",
    "on track": "#4c8bf5",
    "at risk": "#e3a008",
    "off track": "#d1242f",
    "missed": "#8b0000",
    "tracked": "#6e7781",
    "no data": "#8c959f",
}
STAGE_ORDER = ("upstream", "midstream", "downstream", "support")

Option = dict[str, Any]


def _num(value: Any) -> float | None:
    """A finite float or None (NaN/NA/None → None) for JSON."""
    if value is None or value is pd.NA:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _round(value: Any, digits: int = 4) -> float | None:
    v = _num(value)
    return None if v is None else round(v, digits)


def _base(title: str, *, static: bool = False) -> Option:
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "textStyle": {"fontFamily": FONT},
        "animation": not static,
        "tooltip": {"trigger": "item"},
        "grid": {"left": 64, "right": 32, "top": 56, "bottom": 48, "containLabel": True},
    }


def _name(row: Any, lang: str) -> str:
    key = "name_zh" if lang == "zh" else "name_en"
    value = row.get(key) if hasattr(row, "get") else None
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        value = row.get("name_zh") if hasattr(row, "get") else None
    return str(value) if value is not None else ""


def cluster_names(plan: Plan, lang: str) -> dict[str, str]:
    """Cluster id → label in ``lang``."""
    return {c.id: (c.name_zh if lang == "zh" else c.name_en) for c in plan.clusters}


def to_json(option: Option) -> str:
    """The option as compact JSON safe to embed in a ``<script>`` element."""
    text = json.dumps(option, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/")


# --------------------------------------------------------------------------- targets


def target_projection(
    row: pd.Series | dict[str, Any],
    lang: str,
    *,
    static: bool = False,
    history: list[tuple[int, float]] | None = None,
) -> Option:
    """One target: the actual's history (``history``: ``(year, value)`` in the target's
    canonical unit; else the latest actual alone), the projected median at the target year
    with its p10–p90 band, and the target as a line (two lines for ``between``). Values in
    the target's unit (亿元 for money, % for shares, count otherwise), named in the title; the
    y-axis always contains the target line and the band. Without any value the panel says
    "无数据" instead of staying blank."""
    r = dict(row)
    unit = str(r.get("unit", ""))
    scale, axis = (
        (YI, t("web.unit.yi", lang))
        if unit == "yuan"
        else ((0.01, "%") if unit == "fraction" else (1.0, t("web.unit.count", lang)))
    )

    def sc(v: Any) -> float | None:
        x = _num(v)
        return None if x is None else round(x / scale, 4)

    name = str(r.get("name_zh" if lang == "zh" else "name_en") or r.get("target_id"))
    latest_year = _num(r.get("latest_year"))
    year = int(_num(r.get("year")) or 0)
    points = {int(y): sc(v) for y, v in (history or []) if sc(v) is not None and int(y) <= year}
    if latest_year and sc(r.get("latest_value")) is not None:
        points[int(latest_year)] = sc(r.get("latest_value"))
    first = min([*points, int(latest_year) if latest_year else year, year])
    categories = [str(y) for y in range(first, year + 1)]
    actual: list[float | None] = [points.get(int(c)) for c in categories]
    projected: list[float | None] = [None] * len(categories)
    band_low: list[float | None] = [None] * len(categories)
    band_width: list[float | None] = [None] * len(categories)
    low = high = None
    if _num(r.get("projected_value")) is not None:
        projected[-1] = sc(r.get("projected_value"))
        if latest_year and str(int(latest_year)) in categories:
            at = categories.index(str(int(latest_year)))
            if at < len(categories) - 1:
                projected[at] = actual[at]
        low, high = sc(r.get("projected_p10")), sc(r.get("projected_p90"))
        if low is not None and high is not None:
            band_low[-1] = low
            band_width[-1] = round(high - low, 4)
    option = _base(f"{name}（{axis}）" if lang == "zh" else f"{name} ({axis})", static=static)
    option["title"]["textStyle"] = {"fontSize": 12}
    option["tooltip"] = {"trigger": "axis"}
    option["legend"] = {
        "bottom": 0,
        "data": [t("web.chart.actual", lang), t("web.chart.projected", lang)],
    }
    option["grid"] = {"left": 8, "right": 44, "top": 46, "bottom": 30, "containLabel": True}
    option["xAxis"] = {"type": "category", "data": categories}
    mark: list[dict[str, Any]] = []
    comparator = str(r.get("comparator"))
    if comparator in (">=", "<=") and sc(r.get("target_value")) is not None:
        mark.append({"yAxis": sc(r.get("target_value")), "name": t("web.chart.target", lang)})
    elif comparator == "between":
        for key in ("target_low", "target_high"):
            if sc(r.get(key)) is not None:
                mark.append({"yAxis": sc(r.get(key)), "name": t("web.chart.target", lang)})
    shown = [
        v for v in [*actual, *projected, low, high, *(m["yAxis"] for m in mark)] if v is not None
    ]
    option["yAxis"] = {"type": "value", **_axis_range(shown)}
    option["series"] = [
        {
            "name": t("web.chart.actual", lang),
            "type": "line",
            "data": actual,
            "connectNulls": True,
            "symbolSize": 8,
            "itemStyle": {"color": "#24292f"},
            "lineStyle": {"color": "#24292f"},
            "markLine": {
                "symbol": "none",
                "data": mark,
                "lineStyle": {"color": "#d1242f", "type": "dashed"},
                "label": {"formatter": t("web.chart.target", lang)},
            },
        },
        {
            "name": "p10",
            "type": "bar",
            "stack": "band",
            "data": band_low,
            "itemStyle": {"color": "transparent"},
            "barWidth": 14,
            "tooltip": {"show": False},
        },
        {
            "name": "p10–p90",
            "type": "bar",
            "stack": "band",
            "data": band_width,
            "itemStyle": {"color": "rgba(76,139,245,0.25)"},
            "barWidth": 14,
        },
        {
            "name": t("web.chart.projected", lang),
            "type": "line",
            "data": projected,
            "connectNulls": True,
            "lineStyle": {"type": "dotted"},
            "itemStyle": {"color": "#4c8bf5"},
        },
    ]
    if not [v for v in [*actual, *projected] if v is not None]:
        option["graphic"] = [no_data(lang)]
    return option


def no_data(lang: str) -> dict[str, Any]:
    """An ECharts ``graphic`` element: "无数据" / "no data" in the middle of the panel."""
    return {
        "type": "text",
        "left": "center",
        "top": "middle",
        "style": {"text": t("report.no_data", lang), "fontSize": 16, "fill": "#8c959f"},
    }


def _axis_range(values: list[float]) -> dict[str, float]:
    """``min``/``max``/``interval`` of a value axis that contains every value (targets,
    bands) with a margin, on a 1-2-5 step so that the end labels sit on grid lines; empty
    without values."""
    if not values:
        return {}
    low, high = min(values), max(values)
    span = (high - low) or abs(high) or 1.0
    raw = span * 1.2 / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    lo = math.floor((low - span * 0.08) / step) * step
    hi = math.ceil((high + span * 0.08) / step) * step
    if low >= 0 > lo:
        lo = 0.0
    return {"min": round(lo, 6), "max": round(hi, 6), "interval": round(step, 6)}


def target_status(targets: pd.DataFrame, lang: str, *, static: bool = False) -> Option:
    """Bar of the number of targets per status (met / on track / at risk / …)."""
    counts = targets["status"].astype(str).value_counts()
    option = _base(t("web.chart.target_status", lang), static=static)
    option["xAxis"] = {
        "type": "category",
        "data": [t(f"targets.status.{s}", lang) for s in counts.index],
    }
    option["yAxis"] = {"type": "value", "minInterval": 1}
    option["series"] = [
        {
            "type": "bar",
            "data": [
                {"value": int(n), "itemStyle": {"color": TARGET_COLOURS.get(str(s), "#8c959f")}}
                for s, n in counts.items()
            ],
        }
    ]
    return option


# --------------------------------------------------------------------------- clusters


def cluster_portfolio(
    monitor: pd.DataFrame, plan: Plan, lang: str, *, x: str = "lq", static: bool = False
) -> Option:
    """Portfolio bubble chart at the plan region: x = LQ (or ``share_gdp`` in %), y = change
    in share of GDP over the years shown (percentage points), bubble area ∝ revenue (亿元),
    colour = latest revenue growth (%). Needs the monitor with all years."""
    names = cluster_names(plan, lang)
    frame = monitor[monitor["region"].astype(str) == plan.region]
    frame = frame[frame["cluster"].isin([c.id for c in plan.clusters if c.group != "aggregate"])]
    points: list[dict[str, Any]] = []
    if len(frame):
        first_year, last_year = int(frame["year"].min()), int(frame["year"].max())
        first = frame[frame["year"] == first_year].set_index("cluster")
        last = frame[frame["year"] == last_year].set_index("cluster")
        for cluster, row in last.iterrows():
            share_now = _num(row.get("share_gdp"))
            share_then = _num(first["share_gdp"].get(cluster)) if cluster in first.index else None
            change = (
                None
                if share_now is None or share_then is None
                else round((share_now - share_then) * 100, 3)
            )
            xv = (
                _round(row.get("lq"), 3)
                if x == "lq"
                else _round((_num(row.get("share_gdp")) or 0) * 100, 3)
            )
            points.append(
                {
                    "name": names.get(str(cluster), str(cluster)),
                    "value": [
                        xv,
                        change if change is not None else 0.0,
                        _round((_num(row.get("revenue")) or 0) / YI, 1),
                        _round((_num(row.get("revenue_yoy")) or 0) * 100, 2),
                    ],
                }
            )
    option = _base(t("web.chart.portfolio", lang), static=static)
    sizes: list[float] = [p["value"][2] or 0.0 for p in points] or [1.0]
    biggest = max(sizes) or 1.0
    growth: list[float] = [p["value"][3] or 0.0 for p in points]
    for p in points:
        p["symbolSize"] = round(8 + 40 * math.sqrt((p["value"][2] or 0) / biggest), 1)
    _label_the_larger(points)
    option["tooltip"] = {"trigger": "item"}
    option["xAxis"] = {
        "nameLocation": "middle",
        "nameGap": 28,
        "type": "value",
        "scale": True,
        "name": t("report.col.lq", lang) if x == "lq" else t("report.col.share_gdp", lang) + " (%)",
    }
    option["yAxis"] = {  # the name runs along the axis: it never meets the title
        "type": "value",
        "name": t("web.chart.share_change", lang),
        "nameLocation": "middle",
        "nameGap": 36,
    }
    reach = max([abs(g) for g in growth] or [1.0]) or 1.0
    option["visualMap"] = {  # centred on 0: decline red, growth green (+7 % is not red)
        "dimension": 3,
        "min": -reach,
        "max": reach,
        "calculable": True,
        "orient": "vertical",
        "right": 0,
        "top": "middle",
        "text": [t("web.chart.growth_pct", lang), ""],
        "inRange": {"color": ["#d1242f", "#e3a008", "#1a7f37"]},
    }
    option["grid"]["right"] = 90
    option["grid"]["top"] = 76  # room for the labels of the highest bubbles under the title
    option["series"] = [
        {
            "type": "scatter",
            "data": points,
            "label": {"show": True, "formatter": "{b}", "position": "top", "fontSize": 10},
            # colliding names move apart or give way (the tooltip names every bubble)
            "labelLayout": {"hideOverlap": True, "moveOverlap": "shiftY"},
            "markLine": {
                "symbol": "none",
                "silent": True,
                "lineStyle": {"type": "dashed"},
                "label": {"show": False},  # the axes already read 1 and 0
                "data": ([{"xAxis": 1}] if x == "lq" else []) + [{"yAxis": 0}],
            },
        }
    ]
    return option


def _label_the_larger(points: list[dict[str, Any]], near: float = 0.08) -> None:
    """Of bubbles closer than ``near`` (share of each axis' range) to a larger one, only the
    larger keeps its name on the chart (both stay in the tooltip)."""
    xs = [p["value"][0] or 0.0 for p in points]
    ys = [p["value"][1] or 0.0 for p in points]
    dx = (max(xs) - min(xs)) if xs else 0.0
    dy = (max(ys) - min(ys)) if ys else 0.0
    order = sorted(range(len(points)), key=lambda i: -(points[i]["value"][2] or 0.0))
    kept: list[int] = []
    for i in order:
        close = any(
            abs(xs[i] - xs[j]) <= near * (dx or 1.0) and abs(ys[i] - ys[j]) <= near * (dy or 1.0)
            for j in kept
        )
        if close:
            points[i]["label"] = {"show": False}
        else:
            kept.append(i)


def cluster_trends(
    monitor: pd.DataFrame,
    plan: Plan,
    lang: str,
    *,
    clusters: list[str] | None = None,
    static: bool = False,
) -> Option:
    """Revenue by year per cluster at the plan region (亿元) with the plan's level
    thresholds (万亿级 1e12, 千亿级 1e11 yuan) as markLines."""
    names = cluster_names(plan, lang)
    frame = monitor[monitor["region"].astype(str) == plan.region]
    wanted = clusters or [
        c.id for c in plan.clusters if c.group != "aggregate" and c.parent is None
    ]
    years = sorted(int(y) for y in frame["year"].unique())
    series = []
    for cluster in wanted:
        sub = frame[frame["cluster"] == cluster].set_index("year")
        if sub.empty:
            continue
        data = [
            _round((_num(sub["revenue"].get(y)) or 0) / YI, 1) if y in sub.index else None
            for y in years
        ]
        series.append(
            {"name": names.get(cluster, cluster), "type": "line", "data": data, "symbolSize": 6}
        )
    if series:
        levels = [
            {
                "yAxis": lv.threshold / YI,
                "name": lv.name_zh if lang == "zh" else lv.name_en,
                "label": {
                    "formatter": lv.name_zh if lang == "zh" else lv.name_en,
                    "position": "insideEndTop",
                },
            }
            for lv in plan.levels
        ]
        series[0]["markLine"] = {
            "symbol": "none",
            "silent": True,
            "data": levels,
            "lineStyle": {"color": "#d1242f", "type": "dashed"},
        }
    option = _base(t("web.chart.trends", lang), static=static)
    option["tooltip"] = {"trigger": "axis"}
    # a printed page cannot scroll: every cluster in the legend, on as many rows as needed
    option["legend"] = {"type": "plain", "bottom": 0} if static else {"type": "scroll", "bottom": 0}
    per_row = 5 if lang == "zh" else 3
    rows = -(-len(series) // per_row)
    option["grid"]["bottom"] = 40 + 24 * rows if static else 64
    option["xAxis"] = {"type": "category", "data": [str(y) for y in years]}
    option["yAxis"] = {"type": "log", "name": t("web.unit.yi", lang), "min": 10}
    option["series"] = series
    return option


def region_map(
    values: dict[str, float | None],
    names: dict[str, dict[str, str]],
    map_name: str,
    title: str,
    lang: str,
    *,
    unit: str = "",
    static: bool = False,
) -> Option:
    """Choropleth of ``values`` (region code → number, already in display units) on the
    registered ECharts map ``map_name`` (:func:`clusteratlas.web.maps.map_geojson`)."""
    data = [
        {
            "name": names[code]["zh"],
            "value": _round(v, 3),
            "code": code,
            "label_en": names[code]["en"],
        }
        for code, v in values.items()
        if code in names
    ]
    numbers = [d["value"] for d in data if d["value"] is not None] or [0.0]
    option = _base(title, static=static)
    option["visualMap"] = {
        "min": 0,
        "max": max(numbers) or 1,
        "left": 8,
        "bottom": 8,
        "text": [unit, ""],
        "calculable": True,
        "inRange": {"color": ["#eef4ff", "#4c8bf5", "#0b3d91"]},
    }
    option["series"] = [
        {
            "type": "map",
            "map": map_name,
            "roam": False,
            "data": data,
            "nameProperty": "name",
            "label": {"show": map_name != "jingjinji", "fontSize": 9},
            # the small central districts (东城, 西城) would print on each other: labels that
            # collide give way (the tooltip and the hover label still name every district)
            "labelLayout": {"hideOverlap": True},
            "emphasis": {"label": {"show": True}},
        }
    ]
    return option


# --------------------------------------------------------------------------- chains


def chain_graph(
    nodes: pd.DataFrame,
    plan: Plan,
    chain_id: str,
    lang: str,
    *,
    link: str | None = None,
    static: bool = False,
) -> Option:
    """Chain diagram upstream → downstream (support below) as an ECharts graph; node colour
    = status (strong/present/weak/missing), size ∝ √revenue; ``link`` is a URL pattern with
    ``{node}`` for drill-down (the dashboard opens it on click)."""
    chain = plan.chain(chain_id)
    rows = nodes[nodes["chain"] == chain_id].set_index("node")
    by_stage: dict[str, list[str]] = {s: [] for s in STAGE_ORDER}
    for node in chain.nodes:
        by_stage.setdefault(node.stage, []).append(node.id)
    revenue_max = (
        max([_num(v) or 0 for v in rows.get("revenue", pd.Series(dtype=float))] or [1]) or 1
    )
    data = []
    for node in chain.nodes:
        stage_nodes = by_stage[node.stage]
        col = STAGE_ORDER.index(node.stage) if node.stage in STAGE_ORDER else 1
        x = 150 + 300 * min(col, 2) if node.stage != "support" else 300
        y = (
            80 + 90 * stage_nodes.index(node.id)
            if node.stage != "support"
            else (80 + 90 * max(len(by_stage[s]) for s in STAGE_ORDER[:3]) + 20)
        )
        if node.stage == "support":
            x = 150 + 200 * stage_nodes.index(node.id)
        row = rows.loc[node.id] if node.id in rows.index else None
        status = str(row["status"]) if row is not None else "missing"
        revenue = _num(row["revenue"]) if row is not None else 0.0
        label = node.name_zh if lang == "zh" else node.name_en
        data.append(
            {
                "id": node.id,
                "name": label,
                "x": x,
                "y": y,
                "symbolSize": 24 + 36 * math.sqrt((revenue or 0) / revenue_max),
                "itemStyle": {"color": STATUS_COLOURS.get(status, "#8c959f")},
                "value": _round((revenue or 0) / YI, 1),
                "status": t(f"web.status.{status}", lang),
                "url": link.format(node=node.id) if link else None,
            }
        )
    for i, stage in enumerate(STAGE_ORDER[:3]):
        # column headers as label-only nodes in the graph's own coordinates
        data.append(
            {
                "id": f"_stage_{stage}",
                "name": t(f"web.stage.{stage}", lang),
                "x": 150 + 300 * i,
                "y": 20,
                "symbolSize": 0,
                "tooltip": {"show": False},
                "label": {
                    "show": True,
                    "position": "inside",
                    "fontWeight": "bold",
                    "color": "#57606a",
                },
            }
        )
    option = _base(chain.name_zh if lang == "zh" else chain.name_en, static=static)
    option["title"]["left"] = "right"
    option["tooltip"] = {"formatter": "{b}: {c} " + t("web.unit.yi", lang)}
    option["legend"] = {"show": False}
    option["series"] = [
        {
            "type": "graph",
            "layout": "none",
            "roam": False,
            "data": data,
            "edgeSymbol": ["none", "arrow"],
            "edgeSymbolSize": 8,
            "label": {"show": True, "position": "bottom", "fontSize": 11},
            "lineStyle": {"color": "#8c959f", "width": 1.5, "curveness": 0.1},
            "links": [{"source": a, "target": b} for a, b in chain.edges],
        }
    ]
    return option


def chain_coverage(
    coverage: pd.DataFrame, plan: Plan, lang: str, *, static: bool = False
) -> Option:
    """Stacked bar per chain of nodes by status, with coverage (0–1) in the label."""
    names = {c.id: (c.name_zh if lang == "zh" else c.name_en) for c in plan.chains}
    chains = list(coverage["chain"].astype(str))
    option = _base(t("web.chart.coverage", lang), static=static)
    option["tooltip"] = {"trigger": "axis"}
    option["legend"] = {"bottom": 0}
    option["xAxis"] = {
        "nameLocation": "middle",
        "nameGap": 28,
        "type": "value",
        "minInterval": 1,
        "name": t("web.unit.nodes", lang),
    }
    option["yAxis"] = {"type": "category", "data": [names.get(c, c) for c in chains]}
    option["series"] = [
        {
            "name": t(f"web.status.{s}", lang),
            "type": "bar",
            "stack": "n",
            "itemStyle": {"color": STATUS_COLOURS[s]},
            "data": [int(v) for v in coverage[s]] if s in coverage else [0] * len(chains),
        }
        for s in STATUS_COLOURS
    ]
    return option


# --------------------------------------------------------------------------- ladder


def tier_names(ruleset: str, lang: str) -> dict[str, str]:
    """Tier id → name in ``lang`` from the tier ruleset."""
    from clusteratlas.analysis.tier_rules import load_ruleset

    return {
        tr.id: (tr.name_zh if lang == "zh" else tr.name_en) for tr in load_ruleset(ruleset).tiers
    }


def ladder_funnel(
    pipeline: pd.DataFrame,
    names: dict[str, str],
    lang: str,
    *,
    year: int | None = None,
    track: str = "ladder",
    static: bool = False,
) -> Option:
    """Funnel of eligible firms per tier of ``track`` in ``year`` (default latest)."""
    frame = pipeline[pipeline["track"] == track]
    if len(frame):
        year = int(year if year is not None else frame["year"].max())
        frame = frame[frame["year"] == year].sort_values("rank")
    data = [
        {"name": names.get(str(r["tier"]), str(r["tier"])), "value": int(r["eligible"])}
        for _, r in frame.iterrows()
    ]
    option = _base(f"{t('web.chart.funnel', lang)} {year or ''}", static=static)
    option["tooltip"] = {"trigger": "item", "formatter": "{b}: {c}"}
    option["series"] = [
        {
            "type": "funnel",
            "sort": "descending",
            "gap": 2,
            "data": data,
            "minSize": "8%",
            "left": "5%",
            "width": "62%",
            "label": {"show": True, "formatter": "{b}: {c}"},
        }
    ]
    return option


def ladder_trend(
    pipeline: pd.DataFrame,
    names: dict[str, str],
    lang: str,
    *,
    track: str = "ladder",
    static: bool = False,
) -> Option:
    """Eligible firms per tier by year (grouped bars)."""
    frame = pipeline[pipeline["track"] == track]
    years = sorted(int(y) for y in frame["year"].unique())
    option = _base(t("web.chart.ladder_years", lang), static=static)
    option["tooltip"] = {"trigger": "axis"}
    option["legend"] = {"bottom": 0}
    option["xAxis"] = {"type": "category", "data": [str(y) for y in years]}
    option["yAxis"] = {"type": "value", "name": t("web.unit.firms", lang)}
    series = []
    for tier, sub in frame.sort_values("rank").groupby("tier", sort=False):
        counts = sub.set_index("year")["eligible"]
        series.append(
            {
                "name": names.get(str(tier), str(tier)),
                "type": "bar",
                "data": [int(counts.get(y, 0)) for y in years],
            }
        )
    option["series"] = series
    return option


# --------------------------------------------------------------------------- opportunities


def opportunity_scatter(
    opps: pd.DataFrame, lang: str, *, strategy: str = "balanced", static: bool = False
) -> Option:
    """Feasibility (density, 0–1) vs complexity (PCI) of a region's absent industries;
    bubble size ∝ opportunity gain (COG), colour = rank under ``strategy``."""
    rank = f"rank_{strategy}"
    points = []
    for _, r in opps.iterrows():
        points.append(
            {
                "name": f"{r['industry']} {r.get('name') or _name(r, lang)}".strip(),
                "value": [
                    _round(r["density"], 4),
                    _round(r["pci"], 4),
                    _round(r["cog"], 4),
                    int(r[rank]) if rank in r and _num(r[rank]) is not None else None,
                ],
            }
        )
    option = _base(t("web.chart.opportunities", lang), static=static)
    option["xAxis"] = {
        "nameLocation": "middle",
        "nameGap": 28,
        "type": "value",
        "name": t("web.chart.feasibility", lang),
        "scale": True,
        # the first x label sits in the corner where the lowest y label ends: leave it out
        "axisLabel": {"showMinLabel": False},
    }
    option["yAxis"] = {"type": "value", "name": t("web.chart.complexity", lang), "scale": True}
    ranks = [p["value"][3] for p in points if p["value"][3] is not None] or [1]
    option["visualMap"] = {
        "dimension": 3,
        "min": 1,
        "max": max(ranks),
        "show": True,
        "right": 0,
        "top": "middle",
        "text": ["", t("web.chart.rank", lang)],
        "inRange": {"color": ["#1a7f37", "#e3a008", "#d0d7de"]},
    }
    option["grid"]["right"] = 90
    option["grid"]["top"] = 76  # room for the labels of the highest bubbles under the title
    option["series"] = [
        {
            "type": "scatter",
            "data": points,
            "symbolSize": 12,
            "label": {"show": False},
            "emphasis": {"label": {"show": True, "formatter": "{b}"}},
        }
    ]
    return option


def linkage_quadrants(link: pd.DataFrame, lang: str, *, static: bool = False) -> Option:
    """Backward (x) vs forward (y) linkage indices (mean = 1) with the four quadrants."""
    key = "name_zh" if lang == "zh" else "name_en"
    points = [
        {
            "name": str(r.get(key) or r.get("name_zh") or r.get("sector") or r.get("cluster")),
            "value": [
                _round(r["backward"], 4),
                _round(r["forward"], 4),
                _round((_num(r.get("output")) or 0) / YI, 0),
            ],
            # key sectors (both indices above 1) are named on the chart, the rest on hover
            "label": {
                "show": bool((_num(r["backward"]) or 0) > 1 and (_num(r["forward"]) or 0) > 1)
            },
        }
        for _, r in link.iterrows()
    ]
    option = _base(t("web.chart.linkages", lang), static=static)
    option["xAxis"] = {
        "nameLocation": "middle",
        "nameGap": 28,
        "type": "value",
        "name": t("web.chart.backward", lang),
        "scale": True,
    }
    option["yAxis"] = {
        "type": "value",
        "name": t("web.chart.forward", lang),
        "nameLocation": "middle",
        "nameGap": 36,
        "scale": True,
    }
    option["series"] = [
        {
            "type": "scatter",
            "data": points,
            "symbolSize": 10,
            # the strongest sectors are named on the chart; labels give way when they collide
            "label": {"formatter": "{b}", "fontSize": 9, "position": "right"},
            "labelLayout": {"hideOverlap": True},
            "emphasis": {"label": {"show": True, "formatter": "{b}"}},
            "markLine": {
                "symbol": "none",
                "silent": True,
                "lineStyle": {"type": "dashed"},
                "label": {"show": False},
                "data": [{"xAxis": 1}, {"yAxis": 1}],
            },
            "markArea": {
                "silent": True,
                "itemStyle": {"color": "rgba(26,127,55,0.06)"},
                "data": [[{"xAxis": 1, "yAxis": 1}, {"xAxis": "max", "yAxis": "max"}]],
            },
        }
    ]
    return option
