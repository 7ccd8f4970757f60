"""The demo end to end: real facts + synthetic registry → workspace, monitor, targets, report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusteratlas.cli import app

YEARS = "2018-2020"  # a short panel and a small registry keep this fast
FIRMS = 6000  # any size works; below synth.min_firms the tag counts are scaled down


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "out"
    firms = FIRMS
    result = CliRunner().invoke(
        app, ["demo", "--out", str(out), "--firms", str(firms), "--years", YEARS, "--n-sim", "200"]
    )
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_writes_workspace_and_report(demo: tuple[Path, str]) -> None:
    out, output = demo
    assert (out / "workspace.duckdb").is_file()
    assert (out / "report.html").is_file()
    assert "synthetic firm data" in output  # the banner
    assert "规划目标进展" in output


def test_demo_workspace_flags_synthetic_and_keeps_facts(demo: tuple[Path, str]) -> None:
    from clusteratlas.workspace import open_workspace

    out, _ = demo
    with open_workspace(out / "workspace.duckdb", read_only=True) as ws:
        datasets = ws.datasets().set_index("name")
        synth_rows = datasets[datasets.index.str.startswith("synthetic-")]
        assert len(synth_rows) >= 2 and synth_rows["synthetic"].all()
        assert not bool(datasets.loc["beijing-facts", "synthetic"])
        facts = ws.table("observation").to_pandas()
    medicine = facts[facts["indicator"] == "medicine_health_industry_scale"]
    assert sorted(medicine["year"]) == [2014, 2018, 2022, 2023, 2024]


def test_report_has_chinese_headings_sources_and_synthetic_labels(demo: tuple[Path, str]) -> None:
    out, _ = demo
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html
    for heading in (
        "产业集群监测报告",
        "规划目标进展",
        "产业集群规模与层级",
        "万亿级跨越年份预测",
        "公开数据来源",
        "数据溯源附录",
    ):
        assert heading in html
    assert "合成数据（非真实企业）" in html  # banner
    assert html.count('class="tag synthetic"') >= 5  # synthetic numbers are marked
    # a real actual cites the official page first, with its facts_official.csv row and the
    # official quote on hover (医药健康 2024: row 199; 2023: row 68, official page gmw.cn)
    assert "https://global.chinadaily.com.cn/a/202501/15/WS67875011a310f1265a1db006.html" in html
    assert re.search(r'<td class="num">199</td>', html)  # its facts_official.csv row
    assert 'href="https://difang.gmw.cn/bj/2024-11/15/content_37677745.htm" title="' in html
    assert "https://huaon.com/channel/focus/1031249.html" not in html  # the reprint it replaced
    assert html.count('class="rchart') >= 10  # the demo report has its charts
    # provenance: plan id, engine, datasets
    assert "beijing-2441" in html and "duckdb" in html and "synthetic-firms-" in html
    # self-contained: no external scripts, stylesheets or fonts
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html)


def test_demo_shows_no_child_above_its_parent(demo: tuple[Path, str]) -> None:
    """Issue 13: the monitor's numbers agree with each other on the demo registry."""
    from clusteratlas import api
    from clusteratlas.model.plan import load_plan

    out, _ = demo
    plan = load_plan()
    frame = api.clusters(out / "workspace.duckdb", plan, all_years=True, n_sim=50)
    sizes = frame.set_index(["cluster", "year"])["revenue"]
    for year in frame["year"].unique():
        total = sizes[("high_end", year)]
        for cluster in plan.clusters:
            if (cluster.id, year) not in sizes.index:
                continue
            assert sizes[(cluster.id, year)] <= total
            if cluster.parent:
                assert sizes[(cluster.id, year)] <= sizes[(cluster.parent, year)], cluster.id
    crossing = frame.drop_duplicates("cluster").set_index("cluster")
    for cluster in plan.clusters:
        if cluster.parent and not crossing.loc[[cluster.id], "crossing_year"].isna().all():
            assert (
                crossing.at[cluster.parent, "crossing_year"]
                <= crossing.at[cluster.id, "crossing_year"]
            )
    assert crossing.at[
        "ngit", "crossing_before"
    ]  # 万亿级 by 2020 (facts), not "2018" as first seen
