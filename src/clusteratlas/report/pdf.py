"""HTML report → PDF by printing it in headless Chromium (Playwright, system Chromium).

The report HTML is self-contained (inline CSS and ECharts, SVG renderer, animation off), so
printing needs no network: Chromium runs with networking features off and every request the
page might make to a non-``file:``/``data:`` URL is aborted. The PDF is A4 portrait with the
page number in the footer; Chinese text stays text (the system "Noto Sans CJK SC" font is
embedded by Chromium), charts stay vectors.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from clusteratlas import outputs
from clusteratlas.errors import ClusterAtlasError

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = os.environ.get("CLUSTERATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
FOOTER = (
    '<div style="width:100%;font-size:8px;color:#52606d;text-align:center;'
    "font-family:'Noto Sans CJK SC',sans-serif;\">"
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


@contextmanager
def rendered_page(
    html_path: Path,
    *,
    width: int,
    height: int,
    timeout_s: float | None = None,
    print_media: bool = False,
) -> Iterator[Page]:
    """The report at ``html_path`` opened offline in headless Chromium (a ``width`` ×
    ``height`` CSS-pixel viewport; only ``file:``/``data:`` requests are let through) once
    every ``.rchart`` has rendered (``data-rendered``). ``print_media`` emulates print media
    before loading, so the charts are laid out as printed; ``timeout_s`` (seconds) bounds the
    load and the wait, Playwright's default when None."""
    from playwright.sync_api import sync_playwright

    timeout = None if timeout_s is None else timeout_s * 1000
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(("file:", "data:"))
                    else route.abort()
                ),
            )
            if print_media:
                page.emulate_media(media="print")
            page.goto(html_path.resolve().as_uri(), wait_until="load", timeout=timeout)
            page.wait_for_function(
                "document.querySelectorAll('.rchart').length === "
                "document.querySelectorAll('.rchart[data-rendered]').length",
                timeout=timeout,
            )
            yield page
        finally:
            browser.close()


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, *, timeout_s: float = 120) -> Path:
    """Print the HTML file ``html_path`` to ``pdf_path`` (A4, page numbers in the footer).

    Waits until every ``.rchart`` has rendered (``data-rendered``). Raises
    :class:`ClusterAtlasError` if Chromium is missing or the page does not render.
    """
    from playwright.sync_api import Error as PlaywrightError

    src = Path(html_path).resolve()
    out = Path(pdf_path)
    if not src.is_file():
        raise ClusterAtlasError(f"{src}: no such HTML file")
    if not Path(CHROMIUM).exists():
        raise ClusterAtlasError(
            f"Chromium not found at {CHROMIUM} (install Debian's chromium or set "
            "CLUSTERATLAS_CHROMIUM)"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with rendered_page(src, width=900, height=1200, timeout_s=timeout_s) as page:
            page.emulate_media(media="print")
            with outputs.atomic_path(out) as temp:
                page.pdf(
                    path=str(temp),
                    format="A4",
                    print_background=True,
                    display_header_footer=True,
                    header_template="<div></div>",
                    footer_template=FOOTER,
                    margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"},
                )
    except PlaywrightError as exc:
        raise ClusterAtlasError(f"printing {src} to PDF failed: {exc}") from None
    return out
