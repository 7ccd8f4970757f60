"""Workspace commands: ``init``, ``status``, ``import``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clusteratlas.cli._app import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    app,
    emit,
    err_console,
)

KIND_HELP = "observations, firms, firm-years, tags, supply-edges or io-table"


@app.command("init")
def init(workspace: WorkspaceOption = None) -> None:
    """Create the workspace (canonical tables + reference data) if it does not exist."""
    from clusteratlas.workspace import default_path, open_workspace

    path = workspace or default_path()
    existed = path.exists()
    with open_workspace(path) as ws:
        counts = ws.counts()
    verb = "opened existing" if existed else "created"
    err_console.print(
        f"{verb} workspace {path} (industry {counts['industry']}, region {counts['region']}, "
        f"region_group {counts['region_group']} rows; {counts['dataset']} datasets)",
        highlight=False,
    )


@app.command("status")
def status(
    workspace: WorkspaceOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """List the imported datasets (name, kind, rows, source file, content hash, imported at)."""
    from clusteratlas.workspace import default_path, open_workspace

    with open_workspace(workspace or default_path(), read_only=True) as ws:
        frame = ws.datasets()
    frame = frame.drop(columns=["columns", "table"])
    frame["synthetic"] = frame["synthetic"].map({True: "SYNTHETIC", False: ""})
    if fmt is OutputFormat.table:
        frame["content_hash"] = frame["content_hash"].str.slice(0, 12)
    emit(frame, fmt, out, title=f"workspace {workspace or default_path()}")


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
) -> None:
    """Validate FILE and import it as KIND; rejects go to FILE.rejects.csv (exit 2)."""
    from clusteratlas.ingest.aliases import parse_mapping
    from clusteratlas.model.schema import resolve_kind
    from clusteratlas.workspace import default_path, open_workspace

    resolve_kind(kind)
    pairs = parse_mapping(mapping)
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
    if result.ignored_columns:
        shown = ", ".join(result.ignored_columns[:20])
        more = len(result.ignored_columns) - 20
        err_console.print(
            f"ignored columns: {shown}" + (f" … and {more} more" if more > 0 else ""),
            highlight=False,
        )
