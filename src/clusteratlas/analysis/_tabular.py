"""Accept pandas or Ibis, compute once in Ibis, return the caller's kind.

Analyses are written as Ibis expressions. A pandas DataFrame is wrapped as an Ibis memtable
(executed by the default DuckDB backend) and the result comes back as pandas; an Ibis table
stays lazy on whatever backend it lives on (DuckDB workspace, PySpark).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias

import ibis
import ibis.expr.types as ir
import pandas as pd

from clusteratlas.errors import AnalysisError

Tabular: TypeAlias = pd.DataFrame | ir.Table


def to_ibis(data: Tabular) -> tuple[ir.Table, bool]:
    """Return ``(table, was_pandas)``; ``data`` must be a pandas DataFrame or an Ibis table."""
    if isinstance(data, ir.Table):
        return data, False
    if isinstance(data, pd.DataFrame):
        return ibis.memtable(data), True
    raise AnalysisError(f"expected a pandas DataFrame or an Ibis table, got {type(data).__name__}")


def like_input(result: ir.Table, was_pandas: bool) -> Tabular:
    """Execute ``result`` to pandas if the input was pandas; otherwise return it lazily."""
    return result.to_pandas() if was_pandas else result


def require_columns(
    table: ir.Table | pd.DataFrame, columns: Iterable[str | None], what: str
) -> None:
    """Raise :class:`AnalysisError` naming every column of ``columns`` missing from ``table``."""
    have = set(table.columns)
    missing = [c for c in columns if c is not None and c not in have]
    if missing:
        raise AnalysisError(
            f"{what}: missing column(s) {', '.join(map(repr, missing))}; "
            f"available: {', '.join(sorted(have))}"
        )


def to_pandas(data: Any) -> pd.DataFrame:
    """Materialise pandas or Ibis input as a pandas DataFrame (for dense matrix work)."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, ir.Table):
        return data.to_pandas()
    raise AnalysisError(f"expected a pandas DataFrame or an Ibis table, got {type(data).__name__}")
