"""``clusteratlas report --pdf --xlsx`` end to end on the demo workspace: self-contained HTML
(no external URL loaded), synthetic data flagged, PDF with the Chinese headings (pdftotext),
XLSX with one sheet per table and the README."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def outputs(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from clusteratlas.cli import app

    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--workspace",
            str(demo_workspace),
            "--out",
            str(out),
            "--pdf",
            "--xlsx",
            "--n-sim",
            "200",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_html_is_self_contained(outputs: Path) -> None:
    html = outputs.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert "echarts" in html and 'renderer: "svg"' in html
    for heading in (
        "规划目标进展",
        "产业集群规模与层级",
        "产业链",
        "企业梯度培育",
        "发展机会与投入产出关联",
        "数据溯源附录",
    ):
        assert heading in html
    assert "合成数据（非真实企业）" in html
    assert html.count('class="rchart') >= 10


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_pdf_has_the_headings(outputs: Path) -> None:
    pdf = outputs.with_suffix(".pdf")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for heading in ("产业集群监测报告", "规划目标进展", "企业梯度培育", "数据溯源附录"):
        assert heading in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert 5 <= pages <= 60


def test_xlsx_sheets(outputs: Path) -> None:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(outputs.with_suffix(".xlsx")))
    assert wb.sheet_names[0] == "README"
    for sheet in (
        "targets",
        "clusters",
        "chains",
        "coverage",
        "ladder",
        "opportunities",
        "linkages",
        "facts",
        "datasets",
    ):
        assert sheet in wb.sheet_names
    readme = {str(r[0]): r[1] for r in wb.get_sheet_by_name("README").to_python() if r}
    assert readme["synthetic"] == "true"
    header = wb.get_sheet_by_name("clusters").to_python()[0]
    for localized in ("营业收入（亿元）", "占GDP比重（%）", "从业人员（万人）"):
        assert localized in header


def test_bad_lang_is_a_user_error(demo_workspace: Path, tmp_path: Path) -> None:
    from clusteratlas.cli import app

    result = CliRunner().invoke(
        app,
        [
            "report",
            "--workspace",
            str(demo_workspace),
            "--out",
            str(tmp_path / "r.html"),
            "--lang",
            "fr",
        ],
    )
    assert result.exit_code != 0
    assert "zh or en" in result.output


def test_no_text_overlaps_in_the_printed_layout(outputs: Path) -> None:
    """Chart titles, axis names, labels and legends, headings and table cells: no two text
    boxes intersect as the report prints (A4 width, print media, in Chromium)."""
    from clusteratlas.report.layout import text_overlaps

    assert text_overlaps(outputs) == []


def test_full_chinese_report_has_no_english_sentences(outputs: Path) -> None:
    from clusteratlas.report.words import english_words

    words = english_words(outputs.read_text(encoding="utf-8"))
    assert words == [], words[:40]
