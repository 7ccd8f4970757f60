"""The HTML report: formatting, escaping, labels, modular template."""

from __future__ import annotations

import pandas as pd
import pytest
from jinja2 import ChoiceLoader, DictLoader

from clusteratlas.analysis import targets as T
from clusteratlas.model.plan import load_plan
from clusteratlas.refdata import beijing_facts
from clusteratlas.report import ReportData, build_context, render_html
from clusteratlas.report import html as H


@pytest.fixture(scope="module")
def data() -> ReportData:
    plan = load_plan()
    facts = beijing_facts()
    result = T.track(plan, T.assemble_actuals(plan, observations=facts), n_sim=200)
    monitor = pd.DataFrame(
        {
            "cluster": ["ngit", "medicine_health"],
            "region": ["110000", "110000"],
            "year": [2024, 2024],
            "revenue": [3.2e12, 9.9e11],
            "firms": [5000, 1200],
            "level": ["trillion", "hundred_billion"],
            "share_gdp": [0.29, 0.07],
            "revenue_yoy": [0.1, 0.08],
            "lq": [1.0, 1.0],
            "synthetic": [True, True],
            "crossing_year": pd.array([2023, 2025], dtype="Int64"),
            "crossing_p10": pd.array([2023, 2024], dtype="Int64"),
            "crossing_p90": pd.array([2023, pd.NA], dtype="Int64"),
            "basis": ["observed", "monitor"],
        }
    )
    crossings = T.cluster_crossings(plan, T.cluster_series(plan, observations=facts), n_sim=200)
    crossings["basis"] = "observed"
    cited = facts[
        facts["indicator"].isin(["medicine_health_industry_scale", "gdp"])
        & (facts["region"] == "110000")
    ].copy()
    cited.loc[cited.index[0], "note"] = "<script>alert(1)</script>"
    datasets = pd.DataFrame(
        {
            "name": ["beijing-facts", "synthetic-firms"],
            "kind": ["observations", "firms"],
            "rows": [165, 100],
            "rejected": [6, 0],
            "synthetic": [False, True],
            "source_file": ["refdata", "synth"],
            "content_hash": ["ab" * 32] * 2,
            "imported_at": ["2026-01-01"] * 2,
        }
    )
    return ReportData(
        plan=plan,
        targets=result,
        monitor=monitor,
        crossings=crossings,
        facts=cited,
        datasets=datasets,
        provenance={"plan": plan.id, "engine": "duckdb (ibis)"},
    )


def test_format_value() -> None:
    assert H.format_value(9761e8, "yuan") == "9,761亿元"
    assert H.format_value(3e12, "yuan", bound=">") == ">3万亿元"
    assert H.format_value(0.429, "fraction") == "42.9%"
    assert H.format_value(114.0, "count") == "114"
    assert H.format_value(float("nan"), "yuan") == "—"
    assert H.format_value(1e12, "yuan", "en") == "CNY 1 tn"


def test_report_zh(data: ReportData) -> None:
    html = render_html(data)
    assert '<html lang="zh-CN">' in html and "Noto Sans CJK SC" in html
    assert "规划目标进展" in html and "数据溯源附录" in html
    assert "合成数据（非真实企业）" in html
    assert "已达成" in html and "未达成" in html and "进展顺利" in html
    assert "<script>alert(1)</script>" not in html
    assert "2025 (2024–超出预测期)" in html  # open-ended crossing interval
    assert "3.2万亿元" in html and "9,900亿元" in html


def test_report_en_without_synthetic_banner(data: ReportData) -> None:
    en = ReportData(**{**data.__dict__, "lang": "en", "synthetic": False})
    html = render_html(en)
    assert '<html lang="en">' in html
    assert "Plan targets" in html and "Provenance appendix" in html
    assert 'class="banner synthetic-banner"' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # notes are escaped
    assert "<script>alert(1)</script>" not in html


def test_status_summary_counts_every_target(data: ReportData) -> None:
    context = build_context(data)
    assert sum(s["count"] for s in context["status_summary"]) == len(data.targets)


def test_template_is_extensible_by_blocks(data: ReportData) -> None:
    env = H._environment()
    env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "child.html.j2": '{% extends "report.html.j2" %}'
                    '{% block charts_targets %}<div id="chart-targets">CHART</div>{% endblock %}'
                }
            ),
            env.loader,
        ]
    )
    html = env.get_template("child.html.j2").render(**build_context(data))
    assert '<div id="chart-targets">CHART</div>' in html
    assert html.index('id="targets"') < html.index("chart-targets") < html.index('id="clusters"')


def test_chinese_report_reads_in_chinese(data: ReportData) -> None:
    """Labels, notes, statuses, sources and provenance come in Chinese: no English word
    outside the allow-list (GDP, LQ, …), URLs and codes."""
    from clusteratlas.report.words import english_words

    html = render_html(data)
    assert english_words(html) == []
    # the English report does say things in English, so the check can fail
    assert "Plan" in english_words(render_html(ReportData(**{**data.__dict__, "lang": "en"})))


def test_english_words_ignores_terms_codes_and_urls() -> None:
    from clusteratlas.report.words import english_words

    page = (
        "<p>占GDP比重 LQ 1.2 <a href='https://x.gov.cn/a'>https://x.gov.cn/a</a> SYN000001 "
        "<code>beijing-facts</code></p><script>var latest = 1;</script>"
        "<p>fewer than two observations</p>"
    )
    assert english_words(page) == ["fewer", "than", "two", "observations"]


def test_times_are_beijing_time_and_official_sources_first(data: ReportData) -> None:
    import datetime as dt

    from clusteratlas.report.words import is_official, local_time

    moment = dt.datetime(2026, 12, 7, 3, 52, tzinfo=dt.UTC)
    assert local_time(moment, "zh") == "2026-12-07 11:52（北京时间）"
    rows = H.fact_rows(data.facts, "zh")
    flags = [is_official(r["source"]["url"]) for r in rows]
    assert flags == sorted(flags, reverse=True)
