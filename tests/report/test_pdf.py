"""HTML → PDF in headless Chromium: A4, page numbers, CJK headings and chart labels as text
(checked with poppler's pdftotext/pdfinfo, an independent reader)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from clusteratlas.report import charts

pytestmark = pytest.mark.browser

needs_tools = pytest.mark.skipif(
    not (Path("/usr/bin/chromium").exists() and shutil.which("pdftotext")),
    reason="needs /usr/bin/chromium and poppler-utils",
)


def _html(tmp_path: Path, pages: int = 3) -> Path:
    from clusteratlas.report.full import _asset

    pipeline = pd.DataFrame(
        {
            "year": [2024] * 3,
            "tier": ["a", "b", "c"],
            "track": ["ladder"] * 3,
            "rank": [1, 2, 3],
            "eligible": [900, 120, 7],
            "undetermined": [0, 0, 0],
            "ineligible": [0, 0, 0],
            "firms": [1000] * 3,
        }
    )
    option = charts.ladder_funnel(
        pipeline,
        {"a": "创新型中小企业", "b": "专精特新中小企业", "c": "单项冠军"},
        "zh",
        static=True,
    )
    filler = "".join(
        f"<h2>第{i}节 产业链分析</h2><p>{'北京高精尖产业。' * 400}</p>" for i in range(pages)
    )
    html = f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<style>body{{font-family:"Noto Sans CJK SC",sans-serif}} .rchart{{width:600px;height:300px}}</style>
</head><body><h1>产业集群监测报告</h1>
<div class="rchart" id="c1"></div>
{filler}
<script>{_asset("vendor", "echarts.min.js")}</script>
<script>
var el = document.getElementById("c1");
var chart = echarts.init(el, null, {{renderer: "svg"}});
chart.setOption({charts.to_json(option)});
el.setAttribute("data-rendered", "1");
</script></body></html>"""
    path = tmp_path / "r.html"
    path.write_text(html, encoding="utf-8")
    return path


@needs_tools
def test_pdf_is_a4_with_page_numbers_and_cjk_text(tmp_path: Path) -> None:
    from clusteratlas.report.pdf import html_to_pdf

    pdf = html_to_pdf(_html(tmp_path), tmp_path / "r.pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])
    assert 2 <= pages <= 20
    assert "595" in info and "842" in info  # A4 in points
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "产业集群监测报告" in text
    assert "第2节 产业链分析" in text
    # the chart is SVG: its Chinese labels are text in the PDF, not pixels
    assert "专精特新中小企业" in text
    # page numbers in the footer: "1 / N" … "N / N"
    import re

    found = re.findall(r"(\d+)\s*/\s*(\d+)\s*(?:\f|$)", text, flags=re.MULTILINE)
    numbers = [int(a) for a, b in found if int(b) == pages]
    assert numbers == list(range(1, pages + 1))


@needs_tools
def test_missing_html_is_a_user_error(tmp_path: Path) -> None:
    from clusteratlas.errors import ClusterAtlasError
    from clusteratlas.report.pdf import html_to_pdf

    with pytest.raises(ClusterAtlasError):
        html_to_pdf(tmp_path / "nope.html", tmp_path / "x.pdf")
