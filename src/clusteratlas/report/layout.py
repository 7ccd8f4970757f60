"""A layout check of the rendered report: no two pieces of text overlap.

The report is opened in headless Chromium (print media, the page width of A4 portrait) and
the bounding boxes of every text element are compared: the text of each chart (SVG ``text``:
titles, axis names and labels, legends, data labels) among itself, and the headings,
paragraphs and table cells of the page. Two boxes that intersect by more than a pixel both
ways are an overlap — a unit label on a chart title, two data labels on each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Collects text boxes per chart and for the page, and returns the overlapping pairs.
OVERLAP_JS = """
() => {
  const boxes = (nodes) => Array.from(nodes)
    .filter((n) => (n.textContent || '').trim() !== '')
    .map((n) => {
      const r = n.getBoundingClientRect();
      const text = n.textContent.trim().slice(0, 40);
      return {text: text, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom};
    })
    .filter((b) => b.x1 - b.x0 > 0.5 && b.y1 - b.y0 > 0.5);
  const clash = (a, b) => Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) > 1.5 &&
                          Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) > 1.5;
  const found = [];
  const check = (where, list) => {
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++)
        if (clash(list[i], list[j])) found.push([where, list[i].text, list[j].text]);
  };
  document.querySelectorAll('.rchart').forEach((chart) => {
    const visible = Array.from(chart.querySelectorAll('svg text'))
      .filter((n) => getComputedStyle(n).opacity !== '0' && n.getAttribute('opacity') !== '0');
    check(chart.id, boxes(visible));
  });
  check('page', boxes(document.querySelectorAll('h1, h2, h3, p, th, td, figcaption')));
  return found;
}
"""


def text_overlaps(html_path: str | Path, *, width: int = 794) -> list[tuple[str, str, str]]:
    """``(where, text, other text)`` for every pair of overlapping text boxes of the report
    at ``html_path`` as printed (A4 portrait is 794 CSS pixels wide)."""
    from clusteratlas.report.pdf import rendered_page

    with rendered_page(Path(html_path), width=width, height=1123, print_media=True) as page:
        found: list[Any] = page.evaluate(OVERLAP_JS)
    return [(str(a), str(b), str(c)) for a, b, c in found]
