"""Faults below the user's mistakes — DuckDB errors, full disks, locked or damaged
workspaces, memory exhaustion — turned into :class:`ClusterAtlasError` messages.

Every face ends a failure in one message: the CLI prints one ``error:`` line and exits with
a documented code (see ``docs/limits.md``), the web answers JSON ``{"error": …}``. Messages
never carry a traceback, and :func:`public_message` strips folders and process ids so a
server does not reveal its paths.

A DuckDB workspace allows one writer process *or* many readers: :func:`connect` retries a
lock conflict for a short while before it raises :class:`WorkspaceBusyError` (the web
answers 503 with ``Retry-After``).
"""

from __future__ import annotations

import errno
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clusteratlas.errors import ClusterAtlasError, WorkspaceError

if TYPE_CHECKING:
    import duckdb

LOCK_WAIT_SECONDS = 3.0
"""How long :func:`connect` waits for another process's workspace lock."""
RETRY_AFTER_SECONDS = 2
"""What the web tells a client to wait after a lock conflict (``Retry-After``)."""


OUT_OF_MEMORY = (
    "out of memory: the data or the request is too large for this machine "
    "(raise --memory-limit, or narrow the request)"
)


class WorkspaceBusyError(WorkspaceError):
    """Another process holds the workspace's lock (e.g. an import while ``serve`` reads)."""

    exit_code = 75  # EX_TEMPFAIL: try again later


class StorageError(ClusterAtlasError):
    """A file cannot be read or written (a folder as ``--out``, a full disk, no permission)."""

    exit_code = 5


class ResourceLimitError(ClusterAtlasError):
    """Work ran out of memory or time (the limits in docs/limits.md)."""

    exit_code = 6


def _is_lock_conflict(exc: BaseException) -> bool:
    return "lock" in str(exc).lower() and (
        "conflicting" in str(exc).lower() or "could not set lock" in str(exc).lower()
    )


def connect(
    path: Path, *, read_only: bool, config: dict[str, Any], wait: float = LOCK_WAIT_SECONDS
) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` that retries a lock conflict for ``wait`` seconds."""
    import duckdb

    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.Error as exc:
            if not _is_lock_conflict(exc):
                raise
            if time.monotonic() >= deadline:
                raise WorkspaceBusyError(
                    f"{path.name}: the workspace is in use by another process (an import, or "
                    f"`serve` reading it); tried for {wait:g} s — try again when it is done"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:/[^\s'\"/:]+)+/?")
_PID = re.compile(r"\s*\(?\bPID\s*\d+\)?", re.IGNORECASE)


def public_message(message: str) -> str:
    """``message`` with absolute paths cut to their last part and process ids removed."""
    without_pid = _PID.sub("", message)
    return _PATH.sub(lambda m: Path(m.group(0).rstrip("/")).name or "/", without_pid)


def translate(exc: BaseException, target: str | None = None) -> ClusterAtlasError | None:
    """The :class:`ClusterAtlasError` for a low-level fault, or ``None`` for a bug.

    ``target`` names what was being written, for output errors.
    """
    if isinstance(exc, ClusterAtlasError):
        return exc
    if is_interrupt(exc):
        return None
    if not type(exc).__module__.startswith(("duckdb", "_duckdb")):
        return _translate_os(exc, target)
    import duckdb

    if isinstance(exc, duckdb.OutOfMemoryException):
        return ResourceLimitError(OUT_OF_MEMORY)
    if isinstance(exc, duckdb.Error):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if _is_lock_conflict(exc):
            return WorkspaceBusyError(
                "the workspace is in use by another process; try again when it is done"
            )
        if isinstance(exc, duckdb.IOException) or "corrupt" in first.lower():
            if "No space left" in first:
                return StorageError(f"the disk is full: {first}")
            return WorkspaceError(
                f"the workspace cannot be read or written (damaged, truncated, read-only or a "
                f"full disk?): {first}"
            )
        return WorkspaceError(f"database error: {first}")
    return None


def is_interrupt(exc: BaseException) -> bool:
    """Ctrl-C, as Python or as DuckDB (which turns SIGINT during a query into an error)."""
    return isinstance(exc, KeyboardInterrupt) or type(exc).__name__ == "InterruptException"


def _translate_os(exc: BaseException, target: str | None) -> ClusterAtlasError | None:
    if isinstance(exc, MemoryError):
        return ResourceLimitError(OUT_OF_MEMORY)
    if isinstance(exc, OSError):
        where = target or (str(exc.filename) if exc.filename else None)
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            reason = "no space left on the device (disk full)"
        elif exc.errno == errno.EISDIR:
            reason = "is a directory; give a file name"
        elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason = f"not writable ({exc.strerror})"
        return StorageError(f"{where}: {reason}" if where else f"cannot write: {reason}")
    return None
