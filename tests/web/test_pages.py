"""Dashboard pages over the test client: every page in both languages answers HTML with the
synthetic banner, no untranslated catalogue key, the offline ECharts script and the chart
options as valid JSON; unknown ids are JSON 4xx."""

from __future__ import annotations

import json
import re

import pytest

PAGES = [
    "/",
    "/clusters",
    "/clusters?cluster=ic&x=share",
    "/chains",
    "/chains/ic",
    "/chains/ic/design",
    "/ladder",
    "/opportunities?region=110108",
]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_page(client, path: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    sep = "&" if "?" in path else "?"
    response = client.get(f"{path}{sep}lang={lang}")
    assert response.status_code == 200, response.text[:300]
    html = response.text
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in html
    assert '<script src="/static/vendor/echarts.min.js"></script>' in html
    # nothing loaded from the internet (citations — <a href> to a source page — are fine)
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="https?://', html)
    assert ("合成数据" if lang == "zh" else "synthetic data") in html
    visible = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    leaked = re.findall(r"\b(?:web|report|targets|label)\.[a-z_]+\.[a-z_.]+\b", visible)
    assert leaked == []
    for blob in re.findall(
        r'<script type="application/json" id="[^"]+">(.*?)</script>', html, flags=re.S
    ):
        option = json.loads(blob)
        assert option["series"], "every chart has at least one series"


def test_firm_page_and_unknown_ids(client) -> None:  # type: ignore[no-untyped-def]
    rows = client.get("/api/ladder?status=eligible&limit=1").json()
    assert rows, "the demo registry has eligible firms"
    firm = rows[0]["firm_id"]
    page = client.get(f"/ladder/firm/{firm}?lang=en")
    assert page.status_code == 200 and firm in page.text
    assert client.get("/ladder/firm/NO_SUCH_FIRM").status_code == 404
    assert client.get("/chains/nope").status_code == 422
    assert client.get("/chains/ic/nope").status_code == 422
    assert client.get("/clusters?cluster=nope").status_code == 422


def test_static_assets(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/static/app.js").status_code == 200
    css = client.get("/static/app.css").text
    assert '"Noto Sans CJK SC"' in css
    assert client.get("/static/vendor/echarts.min.js").status_code == 200


def test_bad_parameter_on_a_page_is_an_html_page(client) -> None:  # type: ignore[no-untyped-def]
    for path, status in (("/ladder?year=abc", 422), ("/chains/nope", 422), ("/nowhere", 404)):
        response = client.get(path)
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/html")
        assert 'id="error-title"' in response.text and "无法显示此页面" in response.text
    api = client.get("/api/ladder?year=abc")
    assert api.status_code == 422 and api.headers["content-type"] == "application/json"
    en = client.get("/ladder/firm/NO_SUCH_FIRM?lang=en")
    assert en.status_code == 404 and "no firm “NO_SUCH_FIRM” in the workspace" in en.text


def test_drill_down_cluster_chain_node_firm(client) -> None:  # type: ignore[no-untyped-def]
    cluster = client.get("/clusters?cluster=ic&lang=zh").text
    assert 'href="/chains/ic?lang=zh"' in cluster
    assert "京津冀产业链产能分布 · 集成电路" in cluster  # the map says which chain it shows
    chain = client.get("/chains/ic?lang=zh").text
    assert 'href="/clusters?cluster=ic&lang=zh"' in chain  # crumbs name the cluster
    assert ">ic<" not in chain
    node = client.get("/chains/ic/design?lang=zh").text
    leaders = re.findall(r'href="/ladder/firm/([A-Za-z0-9_\-]+)\?lang=zh"', node)
    assert leaders, "chain leaders and candidates link to their firm pages"
    firm = client.get(f"/ladder/firm/{leaders[0]}?lang=zh")
    assert firm.status_code == 200
    text = re.sub(r"<[^>]+>", " ", firm.text)
    assert not re.search(r"\b(fraction|market_share|manufacturing_upper)\b", text)


def test_plan_board_keeps_the_bound_of_an_actual(client) -> None:  # type: ignore[no-untyped-def]
    from clusteratlas.report.html import format_value

    rows = [r for r in client.get("/api/targets").json() if r.get("latest_bound") == ">"]
    assert rows, "the published facts hold lower bounds (e.g. 超3万亿)"
    html = client.get("/?lang=zh").text
    for row in rows:
        shown = format_value(row["latest_value"], row["unit"], "zh", ">")
        assert shown.startswith(">") and shown.replace(">", "&gt;") in html
