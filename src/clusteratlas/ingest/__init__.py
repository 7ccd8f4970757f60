"""Ingest: readers (CSV/XLSX/Parquet → DuckDB tables), header aliases, set-based
validation rules in SQL, the compiler turning an import into its SQL statements, USCC
checks. The import itself (executing the statements) is :meth:`Workspace.import_file`."""

from __future__ import annotations

from clusteratlas.ingest.rules import RULES, parse_cells
from clusteratlas.ingest.uscc import is_valid_uscc, make_uscc, uscc_problem

__all__ = ["RULES", "is_valid_uscc", "make_uscc", "parse_cells", "uscc_problem"]
