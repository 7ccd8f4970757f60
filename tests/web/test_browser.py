"""Dashboard in headless Chromium (system /usr/bin/chromium via Playwright): every page loads
without console errors, charts render, the language switch works, drill-downs navigate.
Screenshots go to test-artifacts/web/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"

pytestmark = pytest.mark.browser

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PAGES = [
    "/",
    "/clusters",
    "/chains",
    "/chains/ic",
    "/chains/ic/design",
    "/ladder",
    "/opportunities",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server)
    pg = context.new_page()
    pg.set_default_timeout(180_000)
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors  # type: ignore[attr-defined]
    # block anything that is not our server: the dashboard must work offline
    pg.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(server) or route.request.url.startswith("data:")
            else route.abort()
        ),
    )
    yield pg
    context.close()


def _wait_until(pg, expression: str, seconds: float = 180) -> None:  # type: ignore[no-untyped-def]
    """Poll ``expression`` from the test side: ``page.wait_for_function`` polls with ``eval``
    inside the page, which the dashboard's CSP (``script-src 'self'``) refuses as soon as the
    first check is false."""
    deadline = time.monotonic() + seconds
    while not pg.evaluate(expression):
        assert time.monotonic() < deadline, f"not true after {seconds:g} s: {expression}"
        pg.wait_for_timeout(100)


def _charts_rendered(pg) -> int:  # type: ignore[no-untyped-def]
    _wait_until(
        pg,
        "document.querySelectorAll('.chart').length === "
        "document.querySelectorAll('.chart[data-rendered]').length",
    )
    pg.wait_for_timeout(300)
    return int(
        pg.evaluate(
            "Array.from(document.querySelectorAll('.chart')).filter(el => {"
            " const c = el.querySelector('canvas');"
            " return c && c.width > 0 && c.height > 0; }).length"
        )
    )


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_and_charts_render(page, path: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    response = page.goto(path)
    assert response is not None and response.status == 200
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Noto Sans CJK SC" in font
    n_charts = page.evaluate("document.querySelectorAll('.chart').length")
    rendered = _charts_rendered(page)
    assert rendered == n_charts
    if path not in ("/chains/ic/design",):
        assert n_charts >= 1
    # a non-blank chart: some canvas pixel differs from the first one
    if n_charts:
        varied = page.evaluate(
            "(() => { const c = document.querySelector('.chart canvas');"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " for (let i = 4; i < d.length; i += 4) {"
            "   if (d[i] !== d[0] || d[i+1] !== d[1] || d[i+2] !== d[2] || d[i+3] !== d[3])"
            "     return true; } return false; })()"
        )
        assert varied
    name = path.strip("/").replace("/", "_") or "plan"
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]


def test_language_switch(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/chains")
    assert "产业链" in page.inner_text("nav")
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert "lang=en" in page.url
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "Chains" in page.inner_text("nav")
    # links keep the language
    page.click("nav >> text=Ladder")
    page.wait_for_load_state()
    assert "lang=en" in page.url and "Eligible" in page.content()
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.errors == []  # type: ignore[attr-defined]


def test_drill_downs(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/chains")
    page.click("a.chain-link >> nth=0")
    page.wait_for_url("**/chains/*")
    _charts_rendered(page)
    page.click("a.node-link >> nth=0")
    page.wait_for_url("**/chains/*/*")
    assert page.inner_text("#node-title")
    assert page.locator("#candidates-table").count() == 1
    page.goto("/ladder")
    page.click("a.firm-link >> nth=0")
    page.wait_for_url("**/ladder/firm/*")
    assert page.inner_text("#firm-title")
    assert page.locator("#tiers-table tbody tr").count() >= 4
    page.screenshot(path=str(ARTIFACTS / "firm.png"), full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]


def test_chain_graph_click_navigates(page) -> None:  # type: ignore[no-untyped-def]
    """Clicking a node of the chain diagram opens its drill-down page."""
    page.goto("/chains/ic")
    _charts_rendered(page)
    page.evaluate("document.getElementById('chain-graph').scrollIntoView()")
    # pixel position of the first real node (not a stage header) from ECharts' own layout
    xy = page.evaluate(
        "(() => { const el = document.getElementById('chain-graph');"
        " const chart = echarts.getInstanceByDom(el);"
        " const data = chart.getModel().getSeriesByIndex(0).getData();"
        " for (let i = 0; i < data.count(); i++) {"
        "   if (!String(data.getId(i)).startsWith('_stage_')) {"
        "     const p = chart.convertToPixel({seriesIndex: 0}, data.getItemLayout(i));"
        "     const r = el.getBoundingClientRect();"
        "     return [r.left + p[0], r.top + p[1]]; } }"
        " return null; })()"
    )
    assert xy is not None
    page.mouse.click(xy[0], xy[1])
    page.wait_for_url("**/chains/ic/*", timeout=30_000)
    assert page.inner_text("#node-title")


def test_api_docs_render_offline(page) -> None:  # type: ignore[no-untyped-def]
    # Swagger UI comes from the vendored npm package; outside requests are blocked (fixture)
    response = page.goto("/api/docs")
    assert response is not None and response.status == 200
    page.wait_for_selector(".swagger-ui .opblock", timeout=60_000)
    paths = page.eval_on_selector_all(
        ".opblock-summary-path", "els => els.map(e => e.getAttribute('data-path'))"
    )
    assert "/api/chains" in paths and "/api/ladder" in paths
    assert page.errors == []  # type: ignore[attr-defined]
