"""Ingest: readers (CSV/XLSX/Parquet → DuckDB text tables), header aliases, set-based
validation rules in SQL, USCC checks. The import itself is :meth:`Workspace.import_file`."""

from __future__ import annotations

from clusteratlas.ingest.rules import RULES, parse_cells
from clusteratlas.ingest.uscc import is_valid_uscc, make_uscc, uscc_problem

__all__ = ["RULES", "is_valid_uscc", "make_uscc", "parse_cells", "uscc_problem"]
