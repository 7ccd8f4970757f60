"""Shared data access of CLI commands: the plan and the workspace's firm tables.

Faces never compute; this module only opens things and names the synthetic flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ibis.expr.types as ir

from clusteratlas.i18n import t
from clusteratlas.model.plan import Plan, load_plan


def open_plan(plan: str | Path) -> Plan:
    """Load a plan by built-in name or path (``PlanError`` on problems)."""
    return load_plan(plan)


@dataclass
class FirmTables:
    """The workspace tables firm-level analyses read (Ibis), and whether any is synthetic."""

    firms: ir.Table
    firm_years: ir.Table
    tags: ir.Table | None
    supply_edges: ir.Table | None
    region_groups: ir.Table | None
    synthetic: bool

    def caption(self, lang: str) -> str | None:
        """A caption flagging synthetic data, or None."""
        return t("label.synthetic", lang) if self.synthetic else None


def firm_tables(workspace: Path | None) -> FirmTables:
    """Open the workspace read-only and return its firm tables (``WorkspaceError`` if empty)."""
    from clusteratlas.errors import WorkspaceError
    from clusteratlas.workspace import open_workspace

    ws = open_workspace(workspace, read_only=True)
    counts = ws.counts()
    if not counts.get("firm") or not counts.get("firm_year"):
        raise WorkspaceError(
            f"workspace {ws.path} has no firms/firm-years; import them first "
            "(clusteratlas import firms FILE; clusteratlas synth --import) or run clusteratlas demo"
        )
    datasets = ws.datasets()
    synthetic = bool(datasets["synthetic"].any()) if "synthetic" in datasets else False
    return FirmTables(
        firms=ws.table("firm"),
        firm_years=ws.table("firm_year"),
        tags=ws.table("firm_tag") if counts.get("firm_tag") else None,
        supply_edges=ws.table("supply_edge") if counts.get("supply_edge") else None,
        region_groups=ws.table("region_group") if counts.get("region_group") else None,
        synthetic=synthetic,
    )
