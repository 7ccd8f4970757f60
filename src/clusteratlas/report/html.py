"""The self-contained HTML report: plan targets, cluster monitor, crossings, sources, provenance.

The report is one HTML file with inline CSS and no external requests (no CDN, no fonts
downloaded): it opens offline and prints to PDF. The template
(``templates/report.html.j2``) is built from one include per section
(``templates/sections/*.html.j2``); each section has an empty ``charts_<section>`` block so
charts can be added later by extending the template without touching the tables.

Faces never compute: :func:`build_context` only *formats* the analysis outputs
(:func:`clusteratlas.analysis.targets.track`, the cluster monitor) for people — money in
亿元/万亿元, shares in %, counts as integers — and marks every number that comes from
synthetic firm data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from clusteratlas import outputs
from clusteratlas.i18n import t
from clusteratlas.model.plan import Plan
from clusteratlas.units import format_money, format_share, is_missing


@dataclass
class ReportData:
    """Everything a report shows (analysis outputs, unformatted; canonical units).

    ``targets``: :func:`~clusteratlas.analysis.targets.track` output; ``monitor``: the
    cluster monitor rows (with ``crossing_year``… and ``synthetic``); ``crossings``:
    :func:`~clusteratlas.analysis.crossings.cluster_crossings` output with ``basis``;
    ``facts``: the real observations cited (``indicator, region, year, value, unit, bound,
    source, source_row, note``); ``datasets``: the workspace dataset registry;
    ``provenance``: ``plan, engine, seed, n_sim, workspace`` and anything else to list.
    """

    plan: Plan
    targets: pd.DataFrame
    monitor: pd.DataFrame
    crossings: pd.DataFrame
    facts: pd.DataFrame
    datasets: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    synthetic: bool = True
    lang: str | None = None
    generated: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


# --------------------------------------------------------------------------- formatting


def format_value(value: Any, unit: str, lang: str = "zh", bound: str | None = None) -> str:
    """A value in canonical ``unit`` for people (``9,761亿元``, ``42.9%``, ``114``), with a
    ``>``/``<`` prefix for bounds."""
    if is_missing(value):
        return "—"
    v = float(value)
    if unit == "yuan":
        text = format_money(v, lang)
    elif unit == "fraction":
        text = format_share(v)
    elif unit in ("count", "persons"):
        text = f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else f"{v:,.1f}"
    else:
        text = f"{v:,.4g}"
    if bound in (">", "<"):
        text = f"{bound}{text}"
    return text


def format_rate(value: Any) -> str:
    """A growth rate or probability (fraction) as a percentage, ``—`` if missing."""
    return "—" if is_missing(value) else format_share(float(value))


def _year(value: Any) -> str:
    return "—" if is_missing(value) else str(int(value))


def target_text(row: pd.Series, lang: str) -> str:
    """A target as people read it: "≥ 1万亿元", "≤ 30%", a range "4–5" or "tracked".

    Parameters
    ----------
    row : pandas.Series
        A row of :func:`clusteratlas.analysis.targets.track` (``comparator, unit,
        target_value, target_low, target_high``; values in canonical units: yuan, fractions,
        counts).
    lang : {"zh", "en"}
        Language.

    Returns
    -------
    str
        The comparator and the value(s) in display units (亿元/万亿元, %).
    """
    unit = str(row["unit"])
    if row["comparator"] == "between":
        return (
            f"{format_value(row['target_low'], unit, lang)}–"
            f"{format_value(row['target_high'], unit, lang)}"
        )
    if row["comparator"] == "track":
        return t("targets.status.tracked", lang)
    sign = "≥" if row["comparator"] == ">=" else "≤"
    return f"{sign} {format_value(row['target_value'], unit, lang)}"


def _link(source: str) -> dict[str, str]:
    """``{'text', 'url', 'quote'}`` for a source string (``url`` empty if it is not a web
    address; ``quote``: the sentence an official page carries, shown on hover)."""
    from clusteratlas.analysis.facts import official_quote

    text = str(source or "")
    first = text.split(" ")[0]
    url = first if first.startswith(("http://", "https://")) else ""
    return {"text": text, "url": url, "quote": official_quote(url) if url else ""}


def target_rows(targets: pd.DataFrame, lang: str, plan: Plan | None = None) -> list[dict[str, Any]]:
    """Display rows of the targets table (strings, plus flags for styling); sources by the
    plan document's title, notes in ``lang`` (:mod:`clusteratlas.report.words`)."""
    from clusteratlas.report.words import note_text, source_link

    name = "name_zh" if lang == "zh" else "name_en"
    rows = []
    for _, row in targets.iterrows():
        unit = str(row["unit"])
        interval = ""
        if not is_missing(row["projected_p10"]):
            interval = (
                f"{format_value(row['projected_p10'], unit, lang)} – "
                f"{format_value(row['projected_p90'], unit, lang)}"
            )
        latest = format_value(row["latest_value"], unit, lang, row.get("latest_bound"))
        gap = "—" if is_missing(row["gap"]) else format_value(row["gap"], unit, lang)
        rows.append(
            {
                "id": row["target_id"],
                "name": row[name],
                "target": target_text(row, lang),
                "year": _year(row["year"]),
                "latest": latest,
                "latest_year": _year(row["latest_year"]),
                "gap": gap,
                "required_cagr": format_rate(row["required_cagr"]),
                "trend_cagr": format_rate(row["trend_cagr"]),
                "projected": format_value(row["projected_value"], unit, lang),
                "interval": interval or "—",
                "probability": format_rate(row["probability"]),
                "status": str(row["status"]),
                "status_label": t(f"targets.status.{row['status']}", lang),
                "status_class": str(row["status"]).replace(" ", "-"),
                "synthetic": bool(row["synthetic"]),
                "actual_source": source_link(
                    None if is_missing(row["actual_source"]) else row["actual_source"], plan, lang
                ),
                "plan_source": source_link(row["source"], plan, lang),
                "note": note_text(
                    "; ".join(
                        str(x)
                        for x in (_note(row, lang), _proxy_note(row["source"]))
                        if not is_missing(x) and x
                    ),
                    lang,
                    unit,
                    plan,
                ),
            }
        )
    return rows


def _note(row: pd.Series, lang: str) -> str:
    """The tracker's note; for a target without data, what to import (in ``lang``)."""
    from clusteratlas.analysis.targets import import_hint

    if row["status"] == "no data" and not is_missing(row.get("actual_kind")):
        scope = "" if is_missing(row.get("scope")) else str(row["scope"])
        return import_hint(
            str(row["actual_kind"]), lang, indicator=str(row["indicator"]), cluster=scope
        )
    return "" if is_missing(row["note"]) else str(row["note"])


def _proxy_note(source: Any) -> str:
    """The part of a plan source string after ``;`` (e.g. a measurement caveat)."""
    text = "" if is_missing(source) else str(source)
    return text.split(";", 1)[1].strip() if ";" in text else ""


def _level_label(plan: Plan, level: Any, lang: str) -> str:
    if is_missing(level):
        return "—"
    for lv in plan.levels:
        if lv.id == level:
            return lv.name_zh if lang == "zh" else lv.name_en
    return t("report.level.below", lang)


def _cluster_names(plan: Plan, lang: str) -> dict[str, str]:
    return {c.id: (c.name_zh if lang == "zh" else c.name_en) for c in plan.clusters}


def cluster_rows(
    plan: Plan, monitor: pd.DataFrame, lang: str, region: str | None = None
) -> list[dict[str, Any]]:
    """Display rows of the cluster table: the latest year of each cluster at ``region``
    (default: the plan region), in plan order."""
    if monitor.empty:
        return []
    region = region or plan.region
    frame = monitor[monitor["region"].astype(str) == region]
    if frame.empty:
        frame = monitor
    latest = frame.sort_values("year").groupby(["cluster", "region"], sort=False).tail(1)
    order = {c.id: i for i, c in enumerate(plan.clusters)}
    latest = latest.assign(_o=latest["cluster"].map(order)).sort_values(["_o", "region"])
    names = _cluster_names(plan, lang)
    rows = []
    for _, row in latest.iterrows():
        crossing = "—"
        if (
            "crossing_year" in row
            and is_missing(row["crossing_year"])
            and not is_missing(row.get("crossing_p_within"))
        ):
            crossing = t("targets.crossing.beyond", lang)
        elif bool(row.get("crossing_before", False)) and not is_missing(row["crossing_year"]):
            crossing = t("targets.crossing.before", lang).format(year=int(row["crossing_year"]))
        elif "crossing_year" in row and not is_missing(row["crossing_year"]):
            crossing = str(int(row["crossing_year"]))
            p10: Any = row.get("crossing_p10")
            p90: Any = row.get("crossing_p90")
            if not is_missing(p10):
                hi_text = t("targets.crossing.beyond", lang) if is_missing(p90) else str(int(p90))
                if hi_text != str(int(p10)) or crossing != hi_text:
                    crossing += f" ({int(p10)}–{hi_text})"
        basis = row.get("basis")
        rows.append(
            {
                "cluster": names.get(str(row["cluster"]), str(row["cluster"])),
                "region": str(row["region"]),
                "year": _year(row["year"]),
                "size": (
                    t("clusters.status.not_measurable", lang)
                    if row.get("status") == "not measurable from statistics"
                    else format_value(row.get("revenue"), "yuan", lang)
                ),
                "level": _level_label(plan, row.get("level"), lang),
                "share_gdp": format_rate(row.get("share_gdp"))
                + (
                    ""
                    if is_missing(row.get("share_gdp_published"))
                    else " ("
                    + t("clusters.share_gdp.published", lang).format(
                        value=format_rate(row.get("share_gdp_published"))
                    )
                    + ")"
                ),
                "growth": format_rate(row.get("revenue_yoy")),
                "lq": "—" if is_missing(row.get("lq")) else f"{float(row['lq']):.2f}",
                "firms": "—" if is_missing(row.get("firms")) else f"{int(row['firms']):,}",
                "crossing": crossing,
                "crossing_basis": "" if is_missing(basis) else t(f"targets.basis.{basis}", lang),
                "synthetic": bool(row.get("synthetic", True)),
                "partial": bool(row.get("partial", False)),
                "crossing_synthetic": basis == "monitor" and bool(row.get("synthetic", True)),
            }
        )
    return rows


def crossing_rows(plan: Plan, crossings: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    """Display rows of the crossing-year table."""
    names = _cluster_names(plan, lang)
    rows = []
    for _, row in crossings.iterrows():
        if bool(row.get("crossing_before", False)):
            year = t("targets.crossing.before", lang).format(year=int(row["crossing_year"]))
            interval = "—"
        elif bool(row["already"]):
            year = f"{int(row['crossing_year'])} ({t('targets.crossing.already', lang)})"
            interval = "—"
        elif is_missing(row["crossing_year"]):
            year = t("targets.crossing.beyond", lang) if not is_missing(row["p_within"]) else "—"
            interval = "—"
        else:
            year = str(int(row["crossing_year"]))
            hi = (
                t("targets.crossing.beyond", lang)
                if is_missing(row["crossing_p90"])
                else str(int(row["crossing_p90"]))
            )
            interval = f"{int(row['crossing_p10'])}–{hi}"
        basis = row.get("basis")
        rows.append(
            {
                "cluster": names.get(str(row["cluster"]), str(row["cluster"])),
                "last": format_value(row["last_value"], "yuan", lang),
                "last_year": _year(row["last_year"]),
                "year": year,
                "interval": interval,
                "p_within": format_rate(row["p_within"]),
                "basis": "" if is_missing(basis) else t(f"targets.basis.{basis}", lang),
                "synthetic": bool(row["synthetic"]),
                "partial": bool(row.get("partial", False)),
            }
        )
    return rows


def fact_rows(facts: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    """Display rows of the published-facts table (each with its URL — the official page
    first, its quote on hover — and its facts_official.csv row): official sources (government
    sites) first, then by indicator and year; the source's excerpt/note (English) only in the
    English report."""
    from clusteratlas.report.words import indicator_label, is_official

    rows = []
    ordered = facts.assign(
        _official=[is_official(_link(str(s))["url"]) for s in facts["source"].fillna("")]
    ).sort_values(["_official", "indicator", "year"], ascending=[False, True, True])
    for _, row in ordered.iterrows():
        note = "" if is_missing(row.get("note")) else str(row["note"])
        rows.append(
            {
                "indicator": indicator_label(str(row["indicator"]), lang),
                "official": bool(row["_official"]),
                "year": _year(row["year"]),
                "value": format_value(
                    row["value"], str(row.get("unit", "")), lang, str(row.get("bound", "="))
                ),
                "source": _fact_source(str(row.get("source", "")), lang),
                "row": "" if is_missing(row.get("source_row")) else str(int(row["source_row"])),
                "note": note if lang == "en" else "",
            }
        )
    return rows


def _fact_source(source: str, lang: str) -> dict[str, str]:
    from clusteratlas.report.words import zh_title

    link = _link(source)
    if lang == "zh" and not link["url"]:
        link["text"] = zh_title(link["text"])
    return link


def dataset_rows(datasets: pd.DataFrame, lang: str = "en") -> list[dict[str, Any]]:
    """Display rows of the dataset registry (provenance appendix)."""
    rows = []
    for _, row in datasets.iterrows():
        rows.append(
            {
                "name": str(row.get("name", "")),
                "kind": _kind(str(row.get("kind", "")), lang),
                "rows": "" if is_missing(row.get("rows")) else f"{int(row['rows']):,}",
                "rejected": "" if is_missing(row.get("rejected")) else f"{int(row['rejected']):,}",
                "synthetic": bool(row.get("synthetic", False)),
                "source": _file_name(str(row.get("source_file", "")), lang),
                "hash": str(row.get("content_hash", ""))[:12],
                "imported_at": _imported(row.get("imported_at"), lang),
            }
        )
    return rows


def _file_name(path: str, lang: str) -> str:
    """A source file for people: the whole path in English, its name in Chinese."""
    return path if lang == "en" or "/" not in path else Path(path).name


def _kind(kind: str, lang: str) -> str:
    label = t(f"report.kind.{kind}", lang)
    return kind if label == f"report.kind.{kind}" else label


def _imported(value: Any, lang: str) -> str:
    from clusteratlas.report.words import local_time

    if is_missing(value) or value == "":
        return ""
    try:
        return local_time(pd.Timestamp(value).to_pydatetime(), lang)
    except (TypeError, ValueError):
        return str(value)


# --------------------------------------------------------------------------- rendering


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("clusteratlas.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def build_context(data: ReportData) -> dict[str, Any]:
    """The template context: labels in the report language and formatted rows."""
    from clusteratlas import __version__
    from clusteratlas.report.words import local_time, provenance_label

    lang = data.lang or data.plan.lang
    status_counts: dict[str, int] = {}
    for status in data.targets["status"] if len(data.targets) else []:
        status_counts[str(status)] = status_counts.get(str(status), 0) + 1
    return {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "L": lambda key: t(key, lang),
        "plan_name": data.plan.name_zh if lang == "zh" else data.plan.name_en,
        "plan_id": data.plan.id,
        "generated": local_time(data.generated, lang),
        "synthetic": data.synthetic,
        "status_summary": [
            {"label": t(f"targets.status.{s}", lang), "count": n, "class": s.replace(" ", "-")}
            for s, n in status_counts.items()
        ],
        "targets": target_rows(data.targets, lang, data.plan),
        "clusters": cluster_rows(data.plan, data.monitor, lang),
        "crossings": crossing_rows(data.plan, data.crossings, lang),
        "facts": fact_rows(data.facts, lang),
        "datasets": dataset_rows(data.datasets, lang),
        "provenance": {
            provenance_label(str(k), lang): _file_name(str(v), lang) if k == "workspace" else str(v)
            for k, v in data.provenance.items()
            if lang == "en" or k != "datasets"  # the Chinese report lists them in the table
        },
        "version": __version__,
    }


def render_html(data: ReportData, *, template: str = "report.html.j2") -> str:
    """Render the report as one self-contained HTML string."""
    env = _environment()
    return env.get_template(template).render(**build_context(data))


def write_html(data: ReportData, path: str | Path) -> Path:
    """Render and write the report to ``path`` (UTF-8); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    outputs.write_text(out, render_html(data))
    return out
