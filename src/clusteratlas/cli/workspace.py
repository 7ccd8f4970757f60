"""Workspace commands: ``init``, ``status``, ``import``, ``drop``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from clusteratlas.cli._app import (
    FormatOption,
    OutOption,
    OutputFormat,
    PlanOption,
    WorkspaceOption,
    app,
    emit,
    err_console,
)
from clusteratlas.config import DEFAULT_PLAN

KIND_HELP = "observations, firms, firm-years, tags, supply-edges or io-table"


class Coverage(StrEnum):
    """How much of the plan region a firm dataset covers."""

    partial = "partial"
    complete = "complete"


@app.command("init")
def init(
    workspace: WorkspaceOption = None,
    plan: PlanOption = DEFAULT_PLAN,
    facts: Annotated[
        bool,
        typer.Option("--facts/--no-facts", help="Load the plan region's packaged facts."),
    ] = True,
) -> None:
    """Create the workspace (canonical tables + reference data) if it does not exist and
    load the plan region's packaged facts (official statistics with their sources)."""
    from clusteratlas.analysis.facts import load_plan_facts
    from clusteratlas.model.plan import load_plan
    from clusteratlas.workspace import default_path, open_workspace

    path = workspace or default_path()
    existed = path.exists()
    loaded = load_plan(plan)
    with open_workspace(path) as ws:
        rows, superseded, rejected = load_plan_facts(ws, loaded) if facts else (0, 0, 0)
        counts = ws.counts()
    verb = "opened existing" if existed else "created"
    err_console.print(
        f"{verb} workspace {path} (industry {counts['industry']}, region {counts['region']}, "
        f"region_group {counts['region_group']}, zone {counts['zone']} rows; "
        f"{counts['dataset']} datasets)",
        highlight=False,
    )
    if rows:
        err_console.print(
            f"facts of {loaded.region} ({loaded.id}): {rows} observations as dataset "
            f"'beijing-facts' ({superseded} earlier-dated values of the same year kept out, "
            f"{rejected} rejected); --no-facts skips them",
            highlight=False,
        )


@app.command("status")
def status(
    workspace: WorkspaceOption = None,
    facts: Annotated[
        bool, typer.Option("--facts", help="List the loaded facts instead of the datasets.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """List the imported datasets (name, kind, rows, source file, content hash, imported at)
    and the loaded facts."""
    from clusteratlas.analysis.facts import facts_summary, workspace_facts
    from clusteratlas.workspace import default_path, open_workspace

    with open_workspace(workspace or default_path(), read_only=True) as ws:
        frame = ws.datasets()
        summary = facts_summary(ws)
        if facts:
            emit(workspace_facts(ws), fmt, out, title="facts", caption=summary)
            return
    frame = frame.drop(columns=["columns", "table"])
    frame["synthetic"] = frame["synthetic"].map({True: "SYNTHETIC", False: ""})
    if fmt is OutputFormat.table:
        frame["content_hash"] = frame["content_hash"].str.slice(0, 12)
    emit(frame, fmt, out, title=f"workspace {workspace or default_path()}", caption=summary)


@app.command("import")
def import_(
    kind: Annotated[str, typer.Argument(help=f"What the file holds: {KIND_HELP}.")],
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8/GBK), XLSX or Parquet file.")],
    workspace: WorkspaceOption = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", "-d", help="Dataset name (default: file stem).")
    ] = None,
    allow_rejects: Annotated[
        bool, typer.Option("--allow-rejects", help="Import the valid rows even if some fail.")
    ] = False,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="Rename a column: OLD=NEW, NEW may carry a unit: 营收=revenue(万元)."
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an existing dataset of the same name.")
    ] = False,
    synthetic: Annotated[
        bool, typer.Option("--synthetic", help="Label the dataset as synthetic data.")
    ] = False,
    sheet: Annotated[
        str | None,
        typer.Option("--sheet", help="Excel sheet to read: a name or a number from 1 (default 1)."),
    ] = None,
    header_row: Annotated[
        int | None,
        typer.Option(
            "--header-row",
            min=1,
            help="Row number of the header (as Excel shows it; default: found after title rows).",
        ),
    ] = None,
    coverage: Annotated[
        Coverage,
        typer.Option(
            "--coverage",
            help="complete: the firms are the whole plan region; partial (default): part of it "
            "(never used as a city-wide plan actual).",
        ),
    ] = Coverage.partial,
    plan: Annotated[
        str,
        typer.Option(
            "--plan",
            "-p",
            help="Plan whose firm classification is stored after a firm import, so analyses "
            "read it instead of classifying every run (beijing-2441 or a YAML path).",
        ),
    ] = DEFAULT_PLAN,
) -> None:
    """Validate FILE and import it as KIND; rejects go to FILE.rejects.csv (exit 2)."""
    from clusteratlas.ingest.aliases import parse_mapping
    from clusteratlas.model.plan import load_plan
    from clusteratlas.model.schema import resolve_kind
    from clusteratlas.workspace import default_path, open_workspace

    resolve_kind(kind)
    pairs = parse_mapping(mapping)
    loaded = load_plan(plan)
    with open_workspace(workspace or default_path()) as ws:
        result = ws.import_file(
            kind,
            file,
            dataset=dataset,
            allow_rejects=allow_rejects,
            mapping=pairs,
            synthetic=synthetic,
            replace=replace,
            sheet=sheet,
            header_row=header_row,
            coverage=coverage.value,
            plan=loaded,
        )
    if result.status == "unchanged":
        err_console.print(
            f"unchanged: the same {result.kind} content is already dataset "
            f"{result.dataset!r} ({result.rows} rows); nothing to do",
            highlight=False,
        )
        return
    err_console.print(
        f"{result.status} {result.rows} rows into {result.table} as dataset {result.dataset!r}"
        + (f"; {result.rejected} rows rejected → {result.rejects_path}" if result.rejected else ""),
        highlight=False,
    )
    if result.unknown_firms:
        err_console.print(
            f"warning: {result.unknown_firms} firm id(s) are not in the firm table "
            f"(e.g. {', '.join(result.unknown_firm_examples)}); import the firms, or check the "
            "ids — analyses join on firm_id and leave these rows out",
            highlight=False,
        )
    for conversion in result.units:
        err_console.print(f"units: {conversion}", highlight=False)
    for note in result.notes:
        err_console.print(f"note: {note}", highlight=False)
    if result.table == "firm":
        err_console.print(f"coverage: {result.coverage}", highlight=False)
    if result.ignored_columns:
        shown = ", ".join(result.ignored_columns[:20])
        more = len(result.ignored_columns) - 20
        err_console.print(
            f"ignored columns: {shown}" + (f" … and {more} more" if more > 0 else ""),
            highlight=False,
        )


@app.command("drop")
def drop(
    dataset: Annotated[str, typer.Argument(help="The dataset to remove (see `status`).")],
    workspace: WorkspaceOption = None,
) -> None:
    """Remove DATASET and all its rows from the workspace, in one transaction."""
    from clusteratlas.api import drop_dataset

    result = drop_dataset(dataset, workspace)
    err_console.print(
        f"dropped dataset {result['dataset']!r} ({result['kind']}): {result['rows']} rows "
        f"removed from {result['table']}",
        highlight=False,
    )
