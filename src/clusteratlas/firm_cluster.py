"""The materialised firm × cluster table: classification run once per registry version.

:func:`~clusteratlas.classify.classify_firms` (2441 rules: code-prefix joins and keyword regex
passes over every firm's name and scope) dominates a national run when it is evaluated inside
every analysis (docs/scale.md). This module stores its result per plan and per version of the
firm data, and hands it to the analyses instead of re-classifying:

* the firm × cluster rows ``firm_id, cluster, rule``, exactly ``classify_firms``'s
  (:func:`cached_clusters`);
* one row per firm, ``firm_id, region, cluster_set`` — the firm's clusters as a bit set
  (:func:`cluster_bits`; 0 = unclassified) — what the national monitor joins: one hash table
  of firms instead of the firm table and the firm × cluster rows
  (:func:`cached_cluster_sets`, used by
  :func:`~clusteratlas.analysis.panel.panel_from_workspace`).

Every result is the same with or without them.

Where they live:

* a workspace: tables ``firm_cluster`` (``plan_key, firm_id, cluster, rule``),
  ``firm_cluster_set`` (``plan_key, firm_id, region, cluster_set``) and
  ``firm_cluster_state`` (``plan_key, plan_id, firm_version, built_at``). ``firm_version``
  digests the ``firm`` datasets of the registry (name, content hash, import time, rows), so any
  import, replacement or drop of firm data makes a stored table stale; stale tables are never
  read. The workspace's firm import calls :func:`refresh`, which stores the importer's plan
  (``import_file(…, plan=…)``: the CLI's ``import`` and ``synth --import`` pass their
  ``--plan``, the web its plan) and rebuilds the stale ones stored before; an analysis on a
  writable workspace builds a missing one (read-only ones classify inline).
* a Parquet source on DuckDB: sidecar files
  ``DIR/_clusteratlas/firm_cluster-<plan_key>-<firm_version>.parquet`` and
  ``firm_cluster_set-…`` (or, when ``DIR`` is not writable, the same names under
  ``$XDG_CACHE_HOME/clusteratlas/firm_cluster/``), keyed by the firm dataset's file list,
  sizes and modification times; built on first use.
* Spark reads the current sidecars of a local Parquet directory (built by DuckDB: Spark's
  writer makes folders, not files); without them, and on other sources, classification runs
  inline (the same expressions).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from clusteratlas.classify import classify_firms, direct_clusters, with_aggregate_clusters
from clusteratlas.model.plan import Plan

#: bump when :func:`classify_firms` returns other rows for the same rules, or the stored
#: tables change: old tables go stale (2: a ``first_of_firm`` flag; 3: the flag replaced by
#: the per-firm cluster sets, whose build does not need a window over every row)
CLASSIFIER_VERSION = "3"

TABLE = "firm_cluster"
SETS = "firm_cluster_set"
STATE = "firm_cluster_state"
#: the per-firm set column: the sum of the bits (:func:`cluster_bits`) of the firm's clusters
CLUSTER_SET = "cluster_set"
#: a plan with more clusters has no set table: its panel expands firm rows. The sets are
#: summed as float64 (exact below 2**53 whatever the order; an int64 sum is a HUGEINT on
#: DuckDB, which Parquet stores as a double) and stored as int64
MAX_SET_CLUSTERS = 52
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


def cluster_bits(plan: Plan) -> dict[str, int] | None:
    """Each cluster's bit in a cluster set: ``2**i`` for the i-th cluster id in sorted order;
    None when the plan has more than :data:`MAX_SET_CLUSTERS` clusters.

    >>> from clusteratlas.model.plan import load_plan
    >>> bits = cluster_bits(load_plan("beijing-2441"))
    >>> sorted(bits.values())[:3]
    [1, 2, 4]
    """
    ids = sorted(c.id for c in plan.clusters)
    if len(ids) > MAX_SET_CLUSTERS:
        return None
    return {cid: 1 << i for i, cid in enumerate(ids)}


def bits_table(plan: Plan) -> ir.Table:
    """``cluster, cluster_bit`` (int64) of :func:`cluster_bits` as a small Ibis literal table."""
    bits = cluster_bits(plan) or {}
    frame = pd.DataFrame({"cluster": list(bits), "cluster_bit": list(bits.values())})
    return ibis.memtable(frame.astype({"cluster": "string", "cluster_bit": "int64"}))


def cluster_sets(firms: ir.Table, rows: ir.Table, plan: Plan) -> ir.Table:
    """One row per firm of ``firms``: ``firm_id, region, cluster_set`` (int64, the sum of the
    bits of the firm's clusters in ``rows``; 0 for an unclassified firm).

    Parameters
    ----------
    firms : Ibis table
        Canonical ``firm`` rows (``firm_id, region``).
    rows : Ibis table
        The firm × cluster rows of ``plan`` (``firm_id, cluster``), one per firm and cluster
        (:func:`~clusteratlas.classify.classify_firms`).
    plan : Plan
        The plan (at most :data:`MAX_SET_CLUSTERS` clusters).

    Returns
    -------
    Ibis table
        The unexecuted per-firm rows.
    """
    bits = bits_table(plan)
    hits = rows.join(bits, rows.cluster == bits.cluster).select(
        _sfid=rows.firm_id, _bit=bits.cluster_bit
    )  # the rows are unique per firm and cluster, so the sum of bits is their union
    per_firm = hits.group_by("_sfid").aggregate(_set=hits._bit.cast("float64").sum())
    f = firms.select("firm_id", region=firms.region.cast("string"))
    joined = f.left_join(per_firm, f.firm_id == per_firm._sfid)
    return joined.select(
        "firm_id", "region", **{CLUSTER_SET: joined._set.fill_null(0).cast("int64")}
    )


def cached_clusters(source: Any, plan: Plan, *, build: bool = True) -> ir.Table | None:
    """The stored ``firm_id, cluster, rule`` rows of ``plan`` for ``source``'s current firm
    data, as an Ibis table on its backend; None when there is no current table and it cannot
    (or, ``build=False``, must not) be built here — then classify inline.

    ``source``: a :class:`~clusteratlas.workspace.Workspace` or a
    :class:`~clusteratlas.sources.Source`. A writable workspace and a DuckDB Parquet source
    build a missing or stale table (one classification, stored); a Spark Parquet source reads
    current sidecars only.
    """
    return _cached(source, plan, TABLE, build=build)


def cached_cluster_sets(source: Any, plan: Plan, *, build: bool = True) -> ir.Table | None:
    """The stored ``firm_id, region, cluster_set`` rows of ``plan`` (:func:`cluster_sets`)
    for ``source``'s current firm data, like :func:`cached_clusters`; None as there, and for a
    plan with more than :data:`MAX_SET_CLUSTERS` clusters."""
    if cluster_bits(plan) is None:
        return None
    return _cached(source, plan, SETS, build=build)


def cluster_sets_of(source: Any, plan: Plan, *, build: bool = True) -> ir.Table | None:
    """The per-firm cluster sets of ``plan`` for ``source``: the stored ones
    (:func:`cached_cluster_sets`, built here when it may) or else classified in the same query
    (Spark, a read-only workspace without a current table); None for a plan with more than
    :data:`MAX_SET_CLUSTERS` clusters.

    Parameters
    ----------
    source : Workspace or Source
        Where the firm table lives.
    plan : Plan
        The plan.
    build : bool
        Whether a missing stored table may be built here.

    Returns
    -------
    Ibis table or None
        ``firm_id, region, cluster_set`` rows (unexecuted), or None.
    """
    if cluster_bits(plan) is None:
        return None
    stored = cached_cluster_sets(source, plan, build=build)
    if stored is not None:
        return stored
    firms = source.table("firm")
    return cluster_sets(firms, _table(classify_firms(firms, plan)), plan)


def _cached(source: Any, plan: Plan, kind: str, *, build: bool) -> ir.Table | None:
    workspace = _workspace_of(source)
    if workspace is not None:
        key = plan_key(plan)
        if _current(workspace, key):
            return _stored(workspace, key, kind)
        if not build or workspace.read_only:
            return None
        store(workspace, plan)
        return _stored(workspace, key, kind)
    if getattr(source, "origin", "") == "parquet":  # DuckDB builds sidecars, Spark reads them
        return _sidecar(source, plan, kind, build=build and source.engine == "duckdb")
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


def _has(workspace: Any, table: str) -> bool:
    rows = workspace.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchall()
    return bool(rows[0][0])


def _stored_version(workspace: Any, key: str) -> str | None:
    if not _has(workspace, STATE):
        return None
    rows = workspace.con.execute(
        f"SELECT firm_version FROM {STATE} WHERE plan_key = ?", [key]
    ).fetchall()
    return str(rows[0][0]) if rows else None


def _current(workspace: Any, key: str) -> bool:
    return _stored_version(workspace, key) == firm_version(workspace)


_COLUMNS = {TABLE: ("firm_id", "cluster", "rule"), SETS: ("firm_id", "region", CLUSTER_SET)}
_DDL = {
    TABLE: "plan_key VARCHAR, firm_id VARCHAR, cluster VARCHAR, rule VARCHAR",
    SETS: f"plan_key VARCHAR, firm_id VARCHAR, region VARCHAR, {CLUSTER_SET} BIGINT",
}


def _stored(workspace: Any, key: str, kind: str) -> ir.Table:
    table = workspace.ibis.table(kind)
    return table.filter(table.plan_key == key).select(*_COLUMNS[kind])


#: materialises an expression under a kind (a temporary table, a staged file) and returns a
#: table that reads it back
Stage = Callable[[ir.Table, str], ir.Table]


def _table(rows: Any) -> ir.Table:
    assert isinstance(rows, ir.Table)  # Ibis in, Ibis out (the analysis contract)
    return rows


def _classify_in_steps(firms: ir.Table, plan: Plan, stage: Stage) -> dict[str, ir.Table]:
    """What is stored, in three materialised steps: the clusters with rules of their own
    (:func:`~clusteratlas.classify.direct_clusters`), the aggregate clusters added to those
    rows (:func:`~clusteratlas.classify.with_aggregate_clusters`; together exactly
    :func:`classify_firms`'s ``firm_id, cluster, rule``), then the per-firm sets
    (:func:`cluster_sets`; not for a plan with too many clusters) — so the keyword matching,
    the aggregates' windows and the per-firm aggregation never hold memory at once (10M
    firm-years: 604 → 575 MiB peak, docs/scale.md). Returns the staged :data:`TABLE` and
    :data:`SETS`."""
    direct = stage(_table(direct_clusters(firms, plan)), "direct")
    staged = {TABLE: stage(_table(with_aggregate_clusters(direct, plan)), TABLE)}
    if cluster_bits(plan) is not None:
        staged[SETS] = stage(cluster_sets(firms, staged[TABLE], plan), SETS)
    return staged


def store(workspace: Any, plan: Plan) -> int:
    """Classify the workspace's firms by ``plan`` and store the rows and the per-firm sets
    (replacing the plan's previous ones) in one transaction; returns the number of firm ×
    cluster rows."""
    key = plan_key(plan)
    con = workspace.con
    version = firm_version(workspace)
    tag = uuid.uuid4().hex[:8]
    names: dict[str, str] = {}

    def stage(expr: ir.Table, kind: str) -> ir.Table:
        names[kind] = f"__ca_{kind}_{tag}"
        workspace.ibis.create_table(names[kind], expr, temp=True)
        return workspace.ibis.table(names[kind])

    try:
        staged = _classify_in_steps(workspace.table("firm"), plan, stage)
        con.execute("BEGIN TRANSACTION")
        try:
            for kind, ddl in _DDL.items():
                con.execute(f"CREATE TABLE IF NOT EXISTS {kind} ({ddl})")
                con.execute(f"DELETE FROM {kind} WHERE plan_key = ?", [key])
            # a table of classifier version 2 has the flag; its rows are stale anyway
            con.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS first_of_firm")
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {STATE} (plan_key VARCHAR PRIMARY KEY, "
                "plan_id VARCHAR, firm_version VARCHAR, built_at TIMESTAMP)"
            )
            con.execute(f"DELETE FROM {STATE} WHERE plan_key = ?", [key])
            for kind in staged:
                columns = ", ".join(_COLUMNS[kind])
                con.execute(
                    f"INSERT INTO {kind} (plan_key, {columns}) "
                    f"SELECT ?, {columns} FROM {names[kind]}",
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
        for name in names.values():
            con.execute(f"DROP TABLE IF EXISTS {name}")
    return int(count)


def _forget(workspace: Any, key: str) -> None:
    for table in (TABLE, SETS, STATE):
        if _has(workspace, table):  # a workspace stored by classifier version 2 has no sets
            workspace.con.execute(f"DELETE FROM {table} WHERE plan_key = ?", [key])


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
    if not _has(workspace, STATE):
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
        _forget(workspace, key)
    return built


# --------------------------------------------------------------------------- Parquet sidecar


def _sidecar_folders(root: Path) -> list[Path]:
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    place = hashlib.sha256(str(root.resolve()).encode("utf-8")).hexdigest()[:16]
    return [root / SIDECAR_FOLDER, cache_home / "clusteratlas" / TABLE / place]


def sidecar_name(source: Any, plan: Plan, kind: str = TABLE) -> str | None:
    """The sidecar file name of ``plan``'s ``kind`` (:data:`TABLE` or :data:`SETS`) for the
    source's current firm files (None: the source has no local firm files)."""
    files = source.files("firm")
    if not files:
        return None
    return f"{kind}-{plan_key(plan)}-{files_version(files)}.parquet"


def _sidecar(source: Any, plan: Plan, kind: str, *, build: bool) -> ir.Table | None:
    names = {k: sidecar_name(source, plan, k) for k in (TABLE, SETS)}
    if names[kind] is None:
        return None
    folders = _sidecar_folders(Path(source.path))
    for folder in folders:
        if (folder / str(names[kind])).is_file():
            return source.backend.read_parquet(str(folder / str(names[kind])))
    if not build:
        return None
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            _write_sidecars(source, plan, folder, names)
            return source.backend.read_parquet(str(folder / str(names[kind])))
    return None


def _write_sidecars(source: Any, plan: Plan, folder: Path, names: dict[str, str | None]) -> None:
    """Write the stored classification (:func:`_classify_in_steps`) to staged files in
    ``folder``, rename them to ``names`` once all are written (a failure leaves none), and
    remove the stale files of the same plan."""
    tag = uuid.uuid4().hex[:8]
    staged: dict[str, Path] = {}

    def stage(expr: ir.Table, kind: str) -> ir.Table:
        staged[kind] = folder / f".{kind}-{tag}.tmp"
        source.backend.to_parquet(expr, staged[kind])
        return source.backend.read_parquet(str(staged[kind]))

    try:
        kinds = _classify_in_steps(source.table("firm"), plan, stage)
        for kind in kinds:
            staged[kind].rename(folder / str(names[kind]))
    finally:
        for path in staged.values():
            path.unlink(missing_ok=True)
    for kind in (TABLE, SETS):
        for old in folder.glob(f"{kind}-{plan_key(plan)}-*.parquet"):
            if old.name != names[kind]:
                old.unlink(missing_ok=True)
