"""ClusterAtlas: grow industrial clusters and track the plan.

Public entry points mirror the CLI: :func:`open_workspace` returns a workspace whose
``import_file``, ``table`` and ``datasets`` methods match ``clusteratlas import``,
the analyses' tables and ``clusteratlas status``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clusteratlas.errors import ClusterAtlasError

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from clusteratlas.workspace import Workspace

__all__ = ["ClusterAtlasError", "__version__", "open_workspace"]


def open_workspace(path: Any = None, **kwargs: Any) -> Workspace:
    """Open (creating if needed) the DuckDB workspace at ``path``.

    ``path`` defaults to ``$CLUSTERATLAS_WORKSPACE`` or ``./clusteratlas.duckdb``.
    """
    from clusteratlas.workspace import open_workspace as _open

    return _open(path, **kwargs)
