"""Reports: Jinja2 templates → one self-contained HTML file (PDF = printing it).

:func:`render_html` / :func:`write_html` take a :class:`ReportData` (analysis outputs in
canonical units) and format it for people; see :mod:`clusteratlas.report.html`.
"""

from __future__ import annotations

from clusteratlas.report.html import ReportData, build_context, render_html, write_html

__all__ = ["ReportData", "build_context", "render_html", "write_html"]
