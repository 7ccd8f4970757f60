"""The typer app, the shared options and the error boundary of the CLI."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from clusteratlas.config import workspace_path
from clusteratlas.errors import ClusterAtlasError, ValidationError
from clusteratlas.faults import StorageError, is_interrupt, translate
from clusteratlas.outputs import atomic_path, write_text
from clusteratlas.safe_cells import csv_frame


def user_error_message(exc: ClusterAtlasError) -> None:
    """Print a user mistake as one message (plus row-level problems), never a traceback."""
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
    if isinstance(exc, ValidationError):
        for problem in exc.problems[:20]:
            err_console.print(f"  {problem}", highlight=False, markup=False)
        if len(exc.problems) > 20:
            err_console.print(f"  … and {len(exc.problems) - 20} more", highlight=False)
        if exc.rejects_path:
            err_console.print(
                f"  rejects written to {exc.rejects_path}", highlight=False, markup=False
            )


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a :class:`ClusterAtlasError` — or a fault :func:`clusteratlas.faults.translate`
    recognises (DuckDB, disk, memory) — into its message and exit code (``typer.Exit``);
    Ctrl-C is one ``error: interrupted`` line and exit 130 (docs/limits.md)."""
    try:
        yield
    except ClusterAtlasError as exc:
        user_error_message(exc)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("[bold red]error:[/] interrupted; no partial output was kept")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        if is_interrupt(exc):  # Ctrl-C during a DuckDB query
            err_console.print("[bold red]error:[/] interrupted; no partial output was kept")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        error = translate(exc)
        if error is None:
            raise
        user_error_message(error)
        raise typer.Exit(error.exit_code) from None


def size_consoles() -> None:
    """Size the output consoles for the command about to run from ``COLUMNS`` or the terminal
    as they are now (characters). A module-level rich console otherwise keeps the width of the
    moment the CLI was imported, so a caller that sets ``COLUMNS`` per call (a test runner, an
    embedding app) got the width of the first one."""
    for each in (console, err_console):
        each.width = Console(stderr=each.stderr).width


def _guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        size_consoles()
        with user_errors():
            return func(*args, **kwargs)

    return wrapper


class CommandGroup(typer.Typer):
    """A typer app whose every command reports user mistakes without a traceback.

    The error boundary lives in the commands themselves, so it holds however the app is
    invoked (console script, ``CliRunner``, embedding).
    """

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
        register = super().command(*args, **kwargs)
        return lambda func: register(_guarded(func))


app = CommandGroup(
    name="clusteratlas",
    help="ClusterAtlas — grow industrial clusters and track the plan (产业集群图谱).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
# messages are never hard-wrapped: a terminal wraps them itself, and a pipe or a test that greps
# them must see each message whole (a long path used to split "no firms" over two lines)
err_console = Console(stderr=True, soft_wrap=True)


class OutputFormat(StrEnum):
    """How a sub-command prints its table."""

    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar="CLUSTERATLAS_WORKSPACE",
        help="DuckDB workspace file (default ./clusteratlas.duckdb).",
    ),
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output: table, csv, json or parquet.")
]
OutOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write the output to this file.")
]
LangOption = Annotated[
    str | None, typer.Option("--lang", help="Label language: zh or en (default: the plan's).")
]
PlanOption = Annotated[
    str, typer.Option("--plan", "-p", help="Plan name (beijing-2441) or YAML path.")
]
NSimOption = Annotated[int, typer.Option("--n-sim", help="Monte Carlo paths of projections.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed of the projections.")]


def plan_lang(plan: object, lang: str | None) -> str:
    """``lang`` if given, else the plan's language (Chinese for the Beijing preset).

    ``plan`` is a :class:`~clusteratlas.model.plan.Plan` or a plan name/path.
    """
    if lang:
        return lang
    from clusteratlas.model.plan import Plan, load_plan

    loaded = plan if isinstance(plan, Plan) else load_plan(str(plan))
    return loaded.lang


EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        envvar="CLUSTERATLAS_ENGINE",
        help="duckdb (default) or spark: the engine the analysis runs on.",
    ),
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option("--spark-master", envvar="SPARK_MASTER", help="Spark master URL (local[*])."),
]
MemoryLimitOption = Annotated[
    str | None,
    typer.Option("--memory-limit", help="Engine memory limit, e.g. 4GB (DuckDB spills to disk)."),
]
ParquetOption = Annotated[
    Path | None,
    typer.Option("--parquet", help="Read a directory of Parquet datasets instead of a workspace."),
]


def data_source(
    workspace: Path | None,
    *,
    engine: str | None = None,
    spark_master: str | None = None,
    memory_limit: str | None = None,
    parquet: Path | None = None,
) -> Any:
    """What the analyses read: the workspace path itself (DuckDB, the default) or a
    :class:`clusteratlas.sources.Source` for Parquet input, Spark or a memory limit."""
    if (engine or "duckdb") == "duckdb" and parquet is None and memory_limit is None:
        return workspace
    from clusteratlas.sources import open_source

    return open_source(
        workspace,
        parquet=parquet,
        engine=engine or "duckdb",
        memory_limit=memory_limit,
        spark_master=spark_master,
    )


def emit(
    frame: pd.DataFrame,
    fmt: OutputFormat = OutputFormat.table,
    out: Path | None = None,
    title: str | None = None,
    caption: str | None = None,
) -> None:
    """Print or write ``frame`` in the chosen format (parquet requires ``--out``)."""
    if fmt is OutputFormat.parquet:
        if out is None:
            raise ClusterAtlasError("--format parquet needs --out FILE")
        with atomic_path(out) as temp:
            frame.to_parquet(temp, index=False)
        err_console.print(f"wrote {len(frame)} rows to {out}")
        return
    if fmt is OutputFormat.csv:
        text = csv_frame(frame).to_csv(index=False)  # formula-like text gets a ' prefix
    elif fmt is OutputFormat.json:
        text = json.dumps(
            json.loads(  # 15 decimal places (pandas' default 10 cuts small shares)
                frame.to_json(
                    orient="records", force_ascii=False, date_format="iso", double_precision=15
                )
            ),
            ensure_ascii=False,
            indent=1,
        )
    else:
        if out is None:
            console.print(rich_table(frame, title=title, caption=caption))
            return
        text = frame.to_string(index=False)
    if out is not None:
        write_text(out, text)
        err_console.print(f"wrote {len(frame)} rows to {out}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def rich_table(frame: pd.DataFrame, title: str | None = None, caption: str | None = None) -> Table:
    """A rich table of ``frame`` (floats to 4 significant digits, NaN as an em dash)."""
    table = Table(title=title, caption=caption, show_lines=False)
    for column in frame.columns:
        table.add_column(str(column), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value != value:
            return "—"
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def main() -> None:
    """Console-script entry point: run the app; every failure prints one ``error:`` line
    and exits with a documented code (docs/limits.md), never a traceback."""
    signal.signal(signal.SIGTERM, _terminated)
    try:
        code = app(standalone_mode=False)  # click returns an Exit's code in this mode
        _flush_stdout()
        if isinstance(code, int) and code:
            sys.exit(code)
    except ClusterAtlasError as exc:
        user_error_message(exc)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("[bold red]error:[/] interrupted", highlight=False)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        if _is_usage_error(exc):
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        if os.environ.get("CLUSTERATLAS_DEBUG"):
            raise
        error = translate(exc)
        if error is not None:
            user_error_message(error)
            sys.exit(error.exit_code)
        err_console.print(
            f"[bold red]error:[/] internal error ({type(exc).__name__}: {escape(str(exc)[:300])});"
            " please report it — set CLUSTERATLAS_DEBUG=1 to see the traceback",
            highlight=False,
        )
        sys.exit(EXIT_INTERNAL)


EXIT_INTERRUPTED = 130
"""Exit code after Ctrl-C or SIGTERM (partial outputs removed)."""
EXIT_INTERNAL = 70
"""Exit code of a bug (EX_SOFTWARE): an exception no error class describes."""


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM: unwind like Ctrl-C, so partial outputs and temporary files are removed."""
    raise KeyboardInterrupt


def _flush_stdout() -> None:
    """Flush stdout now, so a full disk or a closed pipe is reported as one error line
    (and not as a traceback when Python flushes at exit)."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        # stdout is broken: point it at /dev/null so the interpreter's final flush is quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if isinstance(exc, BrokenPipeError):
            sys.exit(141)  # like a shell tool killed by SIGPIPE, e.g. `| head`
        user_error_message(StorageError(f"standard output: {translate(exc)}"))
        sys.exit(StorageError.exit_code)


def _is_usage_error(exc: BaseException) -> bool:
    """A click usage error (typer ≥ 0.29 vendors click as ``typer._click``)."""
    classes: list[type] = []
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            classes.append(__import__(module, fromlist=["ClickException"]).ClickException)
        except ImportError:
            continue
    return isinstance(exc, tuple(classes))


def default_workspace() -> Path:
    """The workspace path used when neither ``--workspace`` nor the env var is given."""
    return workspace_path()  # an empty $CLUSTERATLAS_WORKSPACE counts as unset
