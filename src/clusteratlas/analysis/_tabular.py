"""The analysis contract's plumbing: any table in, computed once in Ibis, pandas out.

Analyses are written as Ibis expressions. A pandas DataFrame is wrapped as an Ibis memtable
(executed by the default DuckDB backend); an Ibis table stays on whatever backend it lives on
(DuckDB workspace, PySpark). :func:`finish` executes the result to pandas, or returns the
unexecuted expression when the caller asks for ``lazy=True`` (docs/DESIGN.md, "Analysis
contract").
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


def finish(result: ir.Table, *, lazy: bool) -> Tabular:
    """The analysis contract's output: ``result`` executed to pandas, or unexecuted if ``lazy``.

    Parameters
    ----------
    result : ibis.expr.types.Table
        The analysis as one Ibis expression (on the input's backend).
    lazy : bool
        Return the expression itself instead of executing it.

    Returns
    -------
    pandas.DataFrame or ibis.expr.types.Table
        A pandas DataFrame unless ``lazy``; then the unexecuted Ibis table.
    """
    return result if lazy else result.to_pandas()


def like_input(result: ir.Table, was_pandas: bool) -> Tabular:
    """Execute ``result`` to pandas if the input was pandas; otherwise return it lazily.

    The contract of the building blocks that compose into lazy pipelines (``classify_firms``),
    not of the public analyses (those use :func:`finish`; see docs/DESIGN.md).

    Parameters
    ----------
    result : ibis.expr.types.Table
        The result as one Ibis expression.
    was_pandas : bool
        Whether the caller's input was a pandas DataFrame (second item of :func:`to_ibis`).

    Returns
    -------
    pandas.DataFrame or ibis.expr.types.Table
        pandas if the input was pandas, else the unexecuted Ibis table.
    """
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
