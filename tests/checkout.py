"""Where this checkout is and what lies beside it — the one place tests look for ``shared/``.

``shared/`` holds the real public data (``shared/data/…``) that the reference-data and USCMP
tests compare with. It is found, in this order:

1. ``$CLUSTERATLAS_SHARED`` (the ``shared`` folder itself, holding ``data/``) — when set, it
   is the only place tried, so a wrong value is reported rather than passed over;
2. a ``shared/`` folder beside the checkout or beside any folder above it (``../shared``);
3. ``shared/`` beside the repository this checkout was cloned from (``git remote origin``,
   when it is a local path) — a fresh clone at any path still finds its data;
4. ``/work/shared``, the project machine's layout.

Nothing here skips by itself: the ``shared_data`` fixture (``tests/conftest.py``) skips
when nothing is found, and under ``.ci/run`` (``CLUSTERATLAS_NO_SKIP=all``) that skip fails.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_ENV = "CLUSTERATLAS_SHARED"
MACHINE_SHARED = Path("/work/shared")


def _origin(repo: Path) -> Path | None:
    """The local path this checkout was cloned from, if any."""
    try:
        url = subprocess.run(
            ["git", "-C", str(repo), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    url = url.removeprefix("file://")
    if not url or "://" in url or (":" in url and not url.startswith("/")):
        return None  # a network remote (https://, ssh, host:path)
    path = Path(url)
    return (path if path.is_absolute() else repo / path).resolve()


def shared_candidates(repo: Path = REPO) -> list[Path]:
    """Folders that may be ``shared/``, in the order they are tried (see the module docstring)."""
    env = os.environ.get(SHARED_ENV, "").strip()
    if env:
        return [Path(env).expanduser()]
    found = [folder / "shared" for folder in repo.parents]
    origin = _origin(repo)
    if origin is not None:
        found += [folder / "shared" for folder in origin.parents]
    found.append(MACHINE_SHARED)
    return found


def find_shared_data(repo: Path = REPO) -> Path | None:
    """``shared/data`` of the first candidate that has it, or None."""
    return next((p / "data" for p in shared_candidates(repo) if (p / "data").is_dir()), None)
