"""The materialised firm × cluster table: classification run once per registry version.

:func:`~clusteratlas.classify.classify_firms` (2441 rules: code-prefix joins and keyword regex
passes over every firm's name and scope) dominates a national run when it is evaluated inside
every analysis (docs/scale.md). This module stores its result, ``firm_id, cluster, rule``, per
plan and per version of the firm data, and hands it to the analyses instead of re-classifying
(:func:`cached_clusters`, used by
:func:`~clusteratlas.analysis.panel.panel_from_workspace`). The rows are exactly
``classify_firms``'s, so every result is the same with or without the table.

Where it lives:

* a workspace: table ``firm_cluster`` (``plan_key, firm_id, cluster, rule``) and
  ``firm_cluster_state`` (``plan_key, plan_id, firm_version, built_at``), plus
  :data:`FIRST`. ``firm_version``
  digests the ``firm`` datasets of the registry (name, content hash, import time, rows), so any
  import, replacement or drop of firm data makes a stored table stale; stale tables are never
  read. The workspace's firm import calls :func:`refresh`, which stores the importer's plan
  (``import_file(…, plan=…)``: the CLI's ``import`` and ``synth --import`` pass their
  ``--plan``, the web its plan) and rebuilds the stale ones stored before; an analysis on a
  writable workspace builds a missing one (read-only ones classify inline).
* a Parquet source on DuckDB: a sidecar file
  ``DIR/_clusteratlas/firm_cluster-<plan_key>-<firm_version>.parquet`` (or, when ``DIR`` is not
  writable, the same name under ``$XDG_CACHE_HOME/clusteratlas/firm_cluster/``), keyed by the
  firm dataset's file list, sizes and modification times; built on first use.
* Spark and other sources: no table, classification inline (the same expressions).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import ibis.expr.types as ir

from clusteratlas.classify import classify_firms
from clusteratlas.model.plan import Plan

#: bump when :func:`classify_firms` returns other rows for the same rules, or the stored
#: columns change: old tables go stale (2: the ``first_of_firm`` column)
CLASSIFIER_VERSION = "2"

#: stored boolean column: true on exactly one row of each firm (its first cluster by id), so a
#: panel counts each firm-year once in the region totals without a window over the rows
FIRST = "first_of_firm"

TABLE = "firm_cluster"
STATE = "firm_cluster_state"
SIDECAR_FOLDER = "_clusteratlas"

_RULE_FIELDS = {
    "id",
    "codes",
    "exclude_codes",
    "keywords",
    "keyword_codes",
    "exclude_keywords",
    "includes",
}


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def plan_key(plan: Plan) -> str:
    """A digest of everything in ``plan`` that classification reads (its clusters' rules and
    the classification scheme) and of :data:`CLASSIFIER_VERSION`."""
    rules = [c.model_dump(include=_RULE_FIELDS) for c in plan.clusters]
    return _digest({"v": CLASSIFIER_VERSION, "scheme": plan.scheme, "clusters": rules})


def _workspace_of(source: Any) -> Any:
    """The DuckDB workspace behind ``source`` (a Workspace or a DuckDB workspace Source)."""
    if hasattr(source, "con") and hasattr(source, "read_only"):
        return source
    if getattr(source, "engine", None) == "duckdb" and getattr(source, "workspace", None):
        return source.workspace
    return None


def firm_version(workspace: Any) -> str:
    """A digest of the workspace's ``firm`` datasets (name, content hash, import time, rows)."""
    rows = workspace.con.execute(
        'SELECT name, content_hash, CAST(imported_at AS VARCHAR), "rows" FROM dataset '
        "WHERE \"table\" = 'firm' ORDER BY name"
    ).fetchall()
    return _digest([list(r) for r in rows])


def files_version(files: list[Path]) -> str:
    """A digest of ``files``' paths, sizes (bytes) and modification times (ns)."""
    stats = [(p.as_posix(), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(files)]
    return _digest(stats)


def cached_clusters(source: Any, plan: Plan, *, build: bool = True) -> ir.Table | None:
    """The stored ``firm_id, cluster, rule`` rows of ``plan`` for ``source``'s current firm
    data, as an Ibis table on its backend; None when there is no current table and it cannot
    (or, ``build=False``, must not) be built here — then classify inline.

    ``source``: a :class:`~clusteratlas.workspace.Workspace` or a
    :class:`~clusteratlas.sources.Source`. A writable workspace and a DuckDB Parquet source
    build a missing or stale table (one classification, stored).
    """
    workspace = _workspace_of(source)
    if workspace is not None:
        key = plan_key(plan)
        if _current(workspace, key):
            return _stored(workspace, key)
        if not build or workspace.read_only:
            return None
        store(workspace, plan)
        return _stored(workspace, key)
    if getattr(source, "engine", None) == "duckdb" and getattr(source, "origin", "") == "parquet":
        return _sidecar(source, plan, build=build)
    return None


def ensure(workspace: Any, plan: Plan) -> bool:
    """Make the workspace's stored table of ``plan`` current (build it when it is missing or
    stale): what a firm import does for the importer's plan (:func:`refresh`), so analyses,
    which open the workspace read-only, read it instead of classifying on every run.

    Parameters
    ----------
    workspace : Workspace
        A writable workspace.
    plan : Plan
        The plan whose classification is stored.

    Returns
    -------
    bool
        True when it was built here, False when it was current already.
    """
    if _current(workspace, plan_key(plan)):
        return False
    store(workspace, plan)
    return True


# --------------------------------------------------------------------------- workspace


def _has_state(workspace: Any) -> bool:
    rows = workspace.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [STATE]
    ).fetchall()
    return bool(rows[0][0])


def _stored_version(workspace: Any, key: str) -> str | None:
    if not _has_state(workspace):
        return None
    rows = workspace.con.execute(
        f"SELECT firm_version FROM {STATE} WHERE plan_key = ?", [key]
    ).fetchall()
    return str(rows[0][0]) if rows else None


def _current(workspace: Any, key: str) -> bool:
    return _stored_version(workspace, key) == firm_version(workspace)


def _stored(workspace: Any, key: str) -> ir.Table:
    table = workspace.ibis.table(TABLE)
    return table.filter(table.plan_key == key).select("firm_id", "cluster", "rule", FIRST)


def stored_rows(firms: Any, plan: Plan) -> ir.Table:
    """What is stored: :func:`classify_firms`'s ``firm_id, cluster, rule`` plus :data:`FIRST`.

    Parameters
    ----------
    firms : Ibis table
        Canonical ``firm`` rows.
    plan : Plan
        The plan whose clusters classify the firms.

    Returns
    -------
    Ibis table
        The unexecuted rows.
    """
    import ibis

    rows = classify_firms(firms, plan)
    assert isinstance(rows, ir.Table)
    first = ibis.row_number().over(group_by=rows.firm_id, order_by=rows.cluster) == 0
    return rows.mutate(**{FIRST: first})


def store(workspace: Any, plan: Plan) -> int:
    """Classify the workspace's firms by ``plan`` and store the rows (replacing the plan's
    previous ones) in one transaction; returns the number of firm × cluster rows."""
    key = plan_key(plan)
    con = workspace.con
    version = firm_version(workspace)
    staged = f"__ca_firm_cluster_{uuid.uuid4().hex[:8]}"
    workspace.ibis.create_table(staged, stored_rows(workspace.table("firm"), plan), temp=True)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (plan_key VARCHAR, firm_id VARCHAR, "
                f"cluster VARCHAR, rule VARCHAR, {FIRST} BOOLEAN)"
            )  # a table of classifier version 1 lacks the flag; its rows are stale anyway
            con.execute(f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {FIRST} BOOLEAN")
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {STATE} (plan_key VARCHAR PRIMARY KEY, "
                "plan_id VARCHAR, firm_version VARCHAR, built_at TIMESTAMP)"
            )
            con.execute(f"DELETE FROM {TABLE} WHERE plan_key = ?", [key])
            con.execute(f"DELETE FROM {STATE} WHERE plan_key = ?", [key])
            con.execute(
                f"INSERT INTO {TABLE} (plan_key, firm_id, cluster, rule, {FIRST}) "
                f"SELECT ?, firm_id, cluster, rule, {FIRST} FROM {staged}",
                [key],
            )
            con.execute(
                f"INSERT INTO {STATE} VALUES (?, ?, ?, ?)",
                [key, plan.id, version, dt.datetime.now(dt.UTC).replace(tzinfo=None)],
            )
            (count,) = con.execute(
                f"SELECT count(*) FROM {TABLE} WHERE plan_key = ?", [key]
            ).fetchall()[0]
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.execute(f"DROP TABLE IF EXISTS {staged}")
    return int(count)


def refresh(workspace: Any, plan: Plan | None = None) -> list[str]:
    """After a firm import: make ``plan``'s stored table current (when given) and rebuild the
    stale table of every plan stored before whose plan still loads by its id with the same
    rules; drop the others. A current table is left as it is (an unchanged re-import builds
    nothing).

    Parameters
    ----------
    workspace : Workspace
        A writable workspace.
    plan : Plan or None
        A plan to store besides the ones stored before (the importer's plan).

    Returns
    -------
    list of str
        The ids of the plans whose table was built here.
    """
    from clusteratlas.errors import PlanError
    from clusteratlas.model.plan import load_plan

    built = [plan.id] if plan is not None and ensure(workspace, plan) else []
    if not _has_state(workspace):
        return built
    for key, plan_id in workspace.con.execute(f"SELECT plan_key, plan_id FROM {STATE}").fetchall():
        try:
            stored: Plan | None = load_plan(str(plan_id))
        except PlanError:
            stored = None
        if stored is not None and plan_key(stored) == key:
            if ensure(workspace, stored):
                built.append(stored.id)
            continue
        workspace.con.execute(f"DELETE FROM {TABLE} WHERE plan_key = ?", [key])
        workspace.con.execute(f"DELETE FROM {STATE} WHERE plan_key = ?", [key])
    return built


# --------------------------------------------------------------------------- Parquet sidecar


def _sidecar_folders(root: Path) -> list[Path]:
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    place = hashlib.sha256(str(root.resolve()).encode("utf-8")).hexdigest()[:16]
    return [root / SIDECAR_FOLDER, cache_home / "clusteratlas" / TABLE / place]


def sidecar_name(source: Any, plan: Plan) -> str | None:
    """The sidecar file name of ``plan`` for the source's current firm files (None: the
    source has no local firm files)."""
    files = source.files("firm")
    if not files:
        return None
    return f"{TABLE}-{plan_key(plan)}-{files_version(files)}.parquet"


def _sidecar(source: Any, plan: Plan, *, build: bool) -> ir.Table | None:
    name = sidecar_name(source, plan)
    if name is None:
        return None
    folders = _sidecar_folders(Path(source.path))
    for folder in folders:
        if (folder / name).is_file():
            return source.backend.read_parquet(str(folder / name))
    if not build:
        return None
    expr = stored_rows(source.table("firm"), plan)
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if not os.access(folder, os.W_OK):
            continue
        staged = folder / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
        source.backend.to_parquet(expr, staged)
        staged.rename(folder / name)
        for old in folder.glob(f"{TABLE}-{plan_key(plan)}-*.parquet"):
            if old.name != name:
                old.unlink(missing_ok=True)
        return source.backend.read_parquet(str(folder / name))
    return None
