"""``clusteratlas report``: the self-contained HTML report with charts; ``--pdf``, ``--xlsx``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clusteratlas.cli._app import (
    LangOption,
    NSimOption,
    SeedOption,
    WorkspaceOption,
    app,
    err_console,
)
from clusteratlas.config import DEFAULT_PLAN


@app.command("report")
def report_command(
    workspace: WorkspaceOption = None,
    plan: Annotated[
        str, typer.Option("--plan", "-p", help="Plan name or YAML file.")
    ] = DEFAULT_PLAN,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path(
        "report.html"
    ),
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print it to PDF (same name .pdf).")
    ] = False,
    xlsx: Annotated[bool, typer.Option("--xlsx", help="Also write the tables as .xlsx.")] = False,
    lang: LangOption = None,
    n_sim: NSimOption = 2000,
    seed: SeedOption = 0,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="Region for the opportunities section (default: the "
            "district with the largest revenue).",
        ),
    ] = None,
) -> None:
    """Write the report (targets, clusters, chains, ladder, opportunities, charts, sources,
    provenance; synthetic data flagged) as one offline HTML file, optionally PDF and XLSX."""
    from clusteratlas.cli._app import default_workspace
    from clusteratlas.errors import InputError

    if lang is not None and lang not in ("zh", "en"):
        raise InputError(f"--lang must be zh or en, got {lang!r}")
    from clusteratlas.outputs import check_target
    from clusteratlas.report.full import build_report, write_full_html

    if out.parent.exists():  # fail before the analyses run (a missing folder is created)
        check_target(out)

    report = build_report(
        workspace or default_workspace(),
        plan,
        lang=lang,
        n_sim=n_sim,
        seed=seed,
        opportunity_region=region,
    )
    html = write_full_html(report, out)
    err_console.print(f"wrote {html}", highlight=False)
    if pdf:
        from clusteratlas.report.pdf import html_to_pdf

        err_console.print(f"wrote {html_to_pdf(html, out.with_suffix('.pdf'))}", highlight=False)
    if xlsx:
        from clusteratlas.report.xlsx import write_report_xlsx

        err_console.print(
            f"wrote {write_report_xlsx(report, out.with_suffix('.xlsx'))}", highlight=False
        )
