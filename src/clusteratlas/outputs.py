"""Atomic outputs: a file is either written whole or not at all.

Every output (``--out`` tables, reports, exports) is written to a temporary file in the
target's own folder and renamed over the target only when complete, so a full disk, an
error or Ctrl-C never leaves a truncated ``report.html`` or an empty ``ladder.csv``; the
temporary file is removed on any failure. A target that is not a regular file (a
terminal, a pipe, ``/dev/stdout``, ``/dev/full``) is written directly — it cannot be
renamed over — and a write error there is reported like any other.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from clusteratlas.faults import StorageError, translate


def check_target(path: Path) -> None:
    """A :class:`StorageError` unless ``path`` can be an output file: not a folder, and
    its folder exists."""
    if path.is_dir():
        raise StorageError(f"{path}: is a directory; give a file name (e.g. {path}/out.csv)")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise StorageError(f"{path}: folder {parent} does not exist")
    if not parent.is_dir():
        raise StorageError(f"{path}: {parent} is not a folder")


def _is_special(path: Path) -> bool:
    """An existing target that is not a regular file (device, pipe, socket)."""
    return path.exists() and not path.is_file()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it to ``path``.

    On any exception (including ``KeyboardInterrupt``) the temporary file is removed and
    the old ``path``, if any, is left untouched. OS errors become :class:`StorageError`.
    """
    target = Path(path)
    check_target(target)
    if _is_special(target):
        try:
            yield target
        except OSError as exc:
            raise _storage(exc, target) from None
        return
    try:
        fd, temp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent or "."
        )
    except OSError as exc:
        raise _storage(exc, target) from None
    os.close(fd)
    temp = Path(temp_name)
    try:
        yield temp
        if target.exists():
            with contextlib.suppress(OSError):
                os.chmod(temp, target.stat().st_mode & 0o777)
        else:
            os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise _storage(exc, target) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _storage(exc: OSError, target: Path) -> StorageError:
    error = translate(exc, str(target))
    return error if isinstance(error, StorageError) else StorageError(f"{target}: {exc}")


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (flushed to disk before the rename)."""
    with atomic_path(path) as temp, temp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        if temp.is_file():
            os.fsync(handle.fileno())
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"))
