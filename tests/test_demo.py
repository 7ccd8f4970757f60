"""The demo end to end: real facts + synthetic registry → workspace, monitor, targets, report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusteratlas.cli import app
from clusteratlas.synth import min_firms, parse_years

YEARS = "2018-2020"  # a short panel keeps the registry small (the calibration sets its minimum)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "out"
    firms = min_firms(parse_years(YEARS))
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
    assert sorted(medicine["year"]) == [2014, 2018, 2022, 2023]


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
    # a real actual cites its URL; the sources appendix gives its facts.csv row (医药健康 2023:
    # row 68) — the machine reference itself is for the English report and the XLSX
    assert "https://huaon.com/channel/focus/1031249.html" in html
    assert re.search(r'<td class="num">68</td>', html)
    assert html.count('class="rchart') >= 10  # the demo report has its charts
    # provenance: plan id, engine, datasets
    assert "beijing-2441" in html and "duckdb" in html and "synthetic-firms-" in html
    # self-contained: no external scripts, stylesheets or fonts
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html)
