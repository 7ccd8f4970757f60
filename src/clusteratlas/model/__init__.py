"""The data model: canonical table schemas (:mod:`.schema`), the indicator registry
(:mod:`.indicators`) and the plan model (:mod:`.plan`)."""

from __future__ import annotations

from clusteratlas.model.indicators import INDICATORS, Indicator, canonical_indicator
from clusteratlas.model.schema import KINDS, TABLES, Column, TableSchema, resolve_kind

__all__ = [
    "INDICATORS",
    "KINDS",
    "TABLES",
    "Column",
    "Indicator",
    "TableSchema",
    "canonical_indicator",
    "resolve_kind",
]
