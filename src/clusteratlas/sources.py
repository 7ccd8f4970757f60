"""The table-source layer: the canonical tables as Ibis tables on DuckDB or PySpark.

Every analysis is an Ibis expression over the canonical tables (``firm, firm_year, firm_tag,
supply_edge, observation, region, region_group, industry``). :func:`open_source` says where
those tables come from and which engine runs the expressions:

* a **DuckDB workspace file** (``workspace=``, engine ``duckdb``): the workspace's own tables;
* a **directory of Parquet datasets** (``parquet=DIR``): ``DIR/firm/…``, ``DIR/firm_year/…``
  (hive-partitioned directories such as ``year=2020/province=110000/`` allowed), or single
  files ``DIR/firm.parquet``; the CLI kind spellings written by ``clusteratlas synth
  --partition`` (``firms/``, ``firm-years/``, ``tags/``) are accepted too. Read by DuckDB
  (``read_parquet``, lazily, out-of-core) or by Spark (``spark.read.parquet``);
* a workspace file with engine ``pyspark``: its tables are first copied to Parquet in a
  staging folder (:func:`export_parquet`) — for national-scale data, write Parquet once and
  point ``parquet=`` at it instead.

Whatever the origin, :meth:`Source.table` returns the table with exactly the workspace's
columns and types (``dataset`` first, then the canonical columns of
:mod:`clusteratlas.model.schema`): header unit suffixes such as ``revenue(yuan)`` or
``revenue(万元)`` are renamed and converted to canonical units (yuan, persons, fractions),
missing optional columns become typed NULLs, extra columns (partition keys) are dropped.
Reference tables (``industry``, ``region``, ``region_group``) missing from the source come
from :mod:`clusteratlas.refdata`; missing ``observation``, ``firm_tag`` and ``supply_edge``
tables are empty. :class:`Source` offers ``table``, ``counts``, ``datasets``, ``path`` and
``close`` like :class:`~clusteratlas.workspace.Workspace`, so the analysis glue that takes a
workspace takes a source.

Engines: ``duckdb`` (default) and ``pyspark`` (alias ``spark``; extra ``clusteratlas[spark]``);
:func:`engine_from_env` reads ``CLUSTERATLAS_ENGINE`` and ``SPARK_MASTER``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

import pandas as pd
import pyarrow as pa

from clusteratlas.config import engine_from_env, normalize_engine, spark_master_from_env
from clusteratlas.errors import InputError, WorkspaceError
from clusteratlas.model.schema import TABLES, TableSchema

__all__ = [
    "CANONICAL_TABLES",
    "REFERENCE_TABLES",
    "Source",
    "engine_from_env",
    "export_parquet",
    "normalize_engine",
    "open_source",
    "spark_master_from_env",
]

CANONICAL_TABLES: tuple[str, ...] = (
    "firm",
    "firm_year",
    "firm_tag",
    "supply_edge",
    "observation",
    "region",
    "region_group",
    "industry",
)
"""The tables a source serves."""

REFERENCE_TABLES: tuple[str, ...] = ("industry", "region", "region_group")
"""Tables filled from :mod:`clusteratlas.refdata` when the source lacks them."""

_IBIS_TYPES = {
    "VARCHAR": "string",
    "DOUBLE": "float64",
    "INTEGER": "int32",
    "BIGINT": "int64",
    "BOOLEAN": "boolean",
    "DATE": "date",
}

_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
}

_SUFFIX = re.compile(r"^\s*(?P<name>[^()（）]+?)\s*[(（]\s*(?P<unit>[^()（）]+?)\s*[)）]\s*$")


# --------------------------------------------------------------------------- engine choice


# normalize_engine, engine_from_env and spark_master_from_env live in clusteratlas.config
# (imported above and re-exported here).


# --------------------------------------------------------------------------- canonical shape


def _canonical_columns(schema: TableSchema) -> list[tuple[str, str]]:
    """``(column, DuckDB type)`` of a table including ``dataset`` first."""
    return [("dataset", "VARCHAR"), *((c.name, c.type) for c in schema.columns)]


def _empty_arrow(name: str) -> pa.Table:
    schema = TABLES[name]
    return pa.table(
        {col: pa.array([], type=_ARROW_TYPES[typ]) for col, typ in _canonical_columns(schema)}
    )


def _reference_arrow(name: str) -> pa.Table:
    """A reference table from :mod:`clusteratlas.refdata` in canonical shape (dataset
    ``refdata``), as the workspace loads it."""
    from clusteratlas import refdata

    loaders = {
        "industry": refdata.industries,
        "region": refdata.regions,
        "region_group": refdata.region_groups,
    }
    frame = loaders[name]()
    columns: dict[str, pa.Array] = {}
    for col, typ in _canonical_columns(TABLES[name]):
        target = _ARROW_TYPES[typ]
        if col == "dataset":
            columns[col] = pa.array(["refdata"] * len(frame), type=target)
        elif col in frame.columns:
            raw = frame[col].tolist()
            if typ == "DOUBLE":
                values = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").tolist()
                columns[col] = pa.array(values, type=target, from_pandas=True)
            else:
                cells = [None if v is None or pd.isna(v) else str(v) for v in raw]
                columns[col] = pa.array(cells, type=target)
        else:
            columns[col] = pa.nulls(len(frame), type=target)
    return pa.table(columns)


def _column_plan(name: str, present: list[str]) -> dict[str, tuple[str | None, float]]:
    """For each canonical column of ``name``: the source column holding it (or None) and the
    factor to canonical units. Accepts ``col`` or ``col(unit)`` headers."""
    from clusteratlas.units import unit_factor

    schema = TABLES[name]
    plan: dict[str, tuple[str | None, float]] = {}
    by_name: dict[str, tuple[str, str | None]] = {}
    for raw in present:
        match = _SUFFIX.match(raw)
        if match:
            by_name.setdefault(match["name"].strip().lower(), (raw, match["unit"].strip()))
        else:
            by_name[raw.strip().lower()] = (raw, None)
    for col, _ in _canonical_columns(schema):
        found = by_name.get(col.lower())
        if found is None:
            plan[col] = (None, 1.0)
            continue
        raw, unit = found
        factor = 1.0
        canonical = schema.column(col).unit if col != "dataset" else None
        if unit is not None and canonical is not None:
            try:
                base, factor = unit_factor(unit)
            except Exception as exc:
                raise InputError(f"{name}: column {raw!r}: unknown unit {unit!r}") from exc
            if base != canonical:
                raise InputError(
                    f"{name}: column {raw!r} is in {unit!r} ({base}); expected a {canonical} unit"
                )
        plan[col] = (raw, float(factor))
    return plan


def _canonicalize(table: Any, name: str, dataset: str) -> Any:
    """``table`` (Ibis) with the canonical columns of ``name``, in canonical types and units."""
    import ibis

    plan = _column_plan(name, list(table.columns))
    exprs: dict[str, Any] = {}
    for col, typ in _canonical_columns(TABLES[name]):
        raw, factor = plan[col]
        dtype = _IBIS_TYPES[typ]
        if raw is None:
            exprs[col] = (
                ibis.literal(dataset, type="string") if col == "dataset" else ibis.null(dtype)
            )
            continue
        value = table[raw]
        if typ == "DATE" and value.type().is_string():
            value = value.nullif("").cast("date")
        elif typ == "VARCHAR" and not value.type().is_string():
            value = value.cast("string")
        else:
            value = value.cast(dtype)
        if factor != 1.0:
            value = value * factor
        exprs[col] = value
    return table.select(**exprs)


# --------------------------------------------------------------------------- Parquet discovery


def _aliases(name: str) -> list[str]:
    kind = TABLES[name].kind
    names = [name]
    if kind:
        names += [kind, kind.replace("-", "_")]
    names.append(name + "s")
    seen: list[str] = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return seen


def _find_parquet(root: Path, name: str) -> Path | None:
    """``root/<name or alias>`` (directory with Parquet files) or ``root/<…>.parquet``."""
    for alias in ["dataset"] if name == "dataset" else _aliases(name):
        folder = root / alias
        if folder.is_dir() and any(folder.rglob("*.parquet")):
            return folder
        file = root / f"{alias}.parquet"
        if file.is_file():
            return file
    return None


def _basename(found: Path | str) -> str:
    return PurePosixPath(str(found).rstrip("/")).name


# --------------------------------------------------------------------------- the source


@dataclass
class Source:
    """Canonical tables on one Ibis backend (see the module docstring).

    ``engine`` is ``duckdb`` or ``pyspark``; ``backend`` the Ibis backend the expressions run
    on; ``path`` the workspace file or Parquet directory; ``origin`` ``workspace`` or
    ``parquet``. Use as a context manager or call :meth:`close`.
    """

    engine: str
    backend: Any
    path: Path
    origin: str
    memory_limit: str | None = None
    spark_master: str | None = None
    workspace: Any = None
    read_only: bool = True
    _parquet_root: Path | str | None = None
    _located: dict[str, Path | str | None] = field(default_factory=dict)
    _tables: dict[str, Any] = field(default_factory=dict)
    _present: dict[str, bool] = field(default_factory=dict)
    _staging: Path | None = None
    _temp_dir: Path | None = None

    # ----------------------------------------------------------------- basics
    def __enter__(self) -> Source:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def ibis(self) -> Any:
        """The Ibis backend (same as :attr:`backend`; mirrors ``Workspace.ibis``)."""
        return self.backend

    @property
    def label(self) -> str:
        """Provenance label, e.g. ``duckdb (ibis)`` or ``pyspark local[*] (ibis)``."""
        if self.engine == "pyspark":
            return f"pyspark {self.spark_master or 'local[*]'} (ibis)"
        return "duckdb (ibis)"

    def close(self) -> None:
        """Close the workspace (DuckDB) and remove staging files. A shared Spark session is
        left running (other sources may use it); stop it with ``backend.disconnect()``."""
        self._tables.clear()
        if self.workspace is not None:
            self.workspace.close()
            self.workspace = None
        elif self.engine == "duckdb":
            with contextlib.suppress(Exception):  # already closed
                self.backend.disconnect()
        for folder in (self._staging, self._temp_dir):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        self._staging = self._temp_dir = None

    # ----------------------------------------------------------------- tables
    def has(self, name: str) -> bool:
        """Whether the source itself holds table ``name`` (not refdata / an empty stand-in)."""
        self.table(name)
        return self._present[name]

    def table(self, name: str) -> Any:
        """Canonical table ``name`` as an Ibis table on this source's engine."""
        if name == "dataset":
            return self._registry_table()
        if name not in CANONICAL_TABLES:
            raise WorkspaceError(
                f"no table {name!r} in the source; tables: {sorted(CANONICAL_TABLES)}"
            )
        if name not in self._tables:
            self._tables[name] = self._load(name)
        return self._tables[name]

    def files(self, name: str) -> list[Path] | None:
        """The local Parquet files of table ``name`` (None: a workspace, a URI, or a table
        the directory does not hold)."""
        if self.workspace is not None or not isinstance(self._parquet_root, Path):
            return None
        found = self._locate(name)
        if not isinstance(found, Path):
            return None
        return sorted(found.rglob("*.parquet")) if found.is_dir() else [found]

    def _load(self, name: str) -> Any:
        if self.workspace is not None:
            self._present[name] = True
            return self.workspace.table(name)
        found = self._locate(name)
        if found is None:
            self._present[name] = False
            data = _reference_arrow(name) if name in REFERENCE_TABLES else _empty_arrow(name)
            return self._from_arrow(name, data)
        self._present[name] = True
        raw = self._read_parquet(found, name)
        canonical = _canonicalize(raw, name, dataset=f"parquet:{_basename(found)}")
        if self.engine != "duckdb":
            return canonical
        # a view, not an expression: an expression used several times in one query (the firm
        # table in classification) becomes a CTE that DuckDB materialises — the whole table in
        # memory; a view is expanded where it is used and streams from the Parquet files
        view = f"{self._view_name(name)}_canonical"
        self.backend.create_view(view, canonical)
        return self.backend.table(view)

    def _locate(self, name: str) -> Path | str | None:
        """Where table ``name`` (or ``dataset``, the registry) lives under the Parquet root:
        a local path, a URI (``hdfs://…``, ``s3a://…``, ``file://…``; Spark only) or None."""
        if name in self._located:
            return self._located[name]
        root = self._parquet_root
        assert root is not None
        found: Path | str | None = None
        if isinstance(root, Path):
            found = _find_parquet(root, name)
        else:
            aliases = ["dataset"] if name == "dataset" else _aliases(name)
            reader = self.backend._session.read
            for candidate in (c for a in aliases for c in (a, f"{a}.parquet")):
                uri = f"{root.rstrip('/')}/{candidate}"
                try:
                    reader.parquet(uri).schema  # noqa: B018 - lists the files, fails if absent
                except Exception:  # Spark's AnalysisException: PATH_NOT_FOUND
                    continue
                found = uri
                break
        self._located[name] = found
        return found

    def _view_name(self, name: str) -> str:
        return f"ca_{name}_{uuid.uuid4().hex[:8]}"

    def _read_parquet(self, found: Path | str, name: str) -> Any:
        view = self._view_name(name)
        if self.engine == "pyspark":
            return self.backend.read_parquet(str(found), table_name=view)
        assert isinstance(found, Path)
        pattern = str(found / "**" / "*.parquet") if found.is_dir() else str(found)
        hive = found.is_dir() and any(p.is_dir() and "=" in p.name for p in found.iterdir())
        return self.backend.read_parquet(
            pattern, table_name=view, hive_partitioning=hive, union_by_name=True
        )

    def _from_arrow(self, name: str, data: pa.Table) -> Any:
        view = self._view_name(name)
        if self.engine == "pyspark":
            session = self.backend._session
            frame = session.createDataFrame(data)
            frame.createOrReplaceTempView(view)
            return self.backend.table(view)
        return self.backend.create_table(view, data, temp=True)

    # ----------------------------------------------------------------- registry
    def counts(self, names: Sequence[str] | None = None) -> dict[str, int]:
        """Row counts of the canonical tables ``names`` (default: all), run on the engine."""
        chosen = CANONICAL_TABLES if names is None else tuple(names)
        return {name: int(self.table(name).count().execute()) for name in chosen}

    def datasets(self) -> pd.DataFrame:
        """The dataset registry: ``name, kind, rows, rejected, source_file, content_hash,
        imported_at, synthetic, table, columns, coverage``.

        A workspace's own registry; for Parquet, ``DIR/dataset.parquet`` (written by
        :func:`export_parquet`) when present, else one row per table found, ``synthetic``
        taken from a boolean ``synthetic`` column of the files (as ``clusteratlas synth``
        writes them)."""
        if self.workspace is not None:
            return self.workspace.datasets()
        registry = self._locate("dataset")
        if isinstance(registry, str):
            return self.backend._session.read.parquet(registry).toPandas()
        if registry is not None:
            import pyarrow.parquet as pq

            return pq.read_table(registry).to_pandas()
        rows = []
        for name in CANONICAL_TABLES:
            found = self._locate(name)
            if found is None:
                continue
            raw = self._read_parquet(found, name)
            synthetic = False
            if "synthetic" in raw.columns:
                flag = raw["synthetic"].cast("boolean").any().execute()
                synthetic = bool(flag) if flag is not None and not pd.isna(flag) else False
            rows.append(
                {
                    "name": f"parquet:{_basename(found)}",
                    "kind": TABLES[name].kind or "refdata",
                    "rows": int(raw.count().execute()),
                    "rejected": 0,
                    "source_file": str(found),
                    "content_hash": "",
                    "imported_at": pd.NaT,
                    "synthetic": synthetic,
                    "table": name,
                    "columns": None,
                }
            )
        return pd.DataFrame(
            rows,
            columns=[
                "name",
                "kind",
                "rows",
                "rejected",
                "source_file",
                "content_hash",
                "imported_at",
                "synthetic",
                "table",
                "columns",
            ],
        )

    def _registry_table(self) -> Any:
        if self.workspace is not None:
            return self.workspace.table("dataset")
        frame = self.datasets()
        return self._from_arrow("dataset", pa.Table.from_pandas(frame, preserve_index=False))


# --------------------------------------------------------------------------- opening


def _spark(memory_limit: str | None, master: str | None) -> Any:
    """The Ibis PySpark backend (:func:`clusteratlas.engine.connect`) with Arrow transfers on
    (results come back to pandas through Arrow, not row by row)."""
    from clusteratlas.engine import connect

    backend = connect("pyspark", memory_limit=memory_limit, spark_master=master)
    backend._session.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    _register_memtables_before_cache(backend)
    return backend


def _register_memtables_before_cache(backend: Any) -> None:
    """Work around ibis 12's PySpark ``Table.cache()``, which runs the query without first
    registering the ``ibis.memtable`` literals in it (TABLE_OR_VIEW_NOT_FOUND); DuckDB's
    backend registers them. Idempotent."""
    create = backend._create_cached_table
    if getattr(create, "_clusteratlas_fixed", False):
        return

    def create_cached_table(name: str, expr: Any) -> Any:
        backend._register_in_memory_tables(expr)
        return create(name, expr)

    create_cached_table._clusteratlas_fixed = True  # type: ignore[attr-defined]
    backend._create_cached_table = create_cached_table


#: DuckDB optimizers switched off for the analyses: ``partial_aggregate_pushdown`` (DuckDB 2)
#: pushes the monitor's ``GROUP BY cluster, region, year`` below the firm-year ⋈ firm join as a
#: per-(firm, year) pre-aggregation that reduces nothing and spills: 25 s instead of 5 s for
#: the 10M-row monitor (docs/scale.md)
DISABLED_OPTIMIZERS = ("partial_aggregate_pushdown",)


def _disable_optimizers(execute: Any) -> None:
    """Switch off :data:`DISABLED_OPTIMIZERS` that this DuckDB has (older ones lack some)."""
    known = {str(r[0]) for r in execute("SELECT name FROM duckdb_optimizers()").fetchall()}
    names = [n for n in DISABLED_OPTIMIZERS if n in known]
    if names:
        execute(f"SET disabled_optimizers = '{','.join(names)}'")


def _configure_duckdb(
    execute: Any,
    *,
    temp_directory: str | os.PathLike[str] | None,
    memory_limit: str | None,
    threads: int | None,
    default_spill: bool,
) -> Path | None:
    """Apply the memory settings through ``execute(sql)``; return a temp folder created here.

    ``temp_directory=""`` switches spilling off; None spills to a fresh temporary folder when
    ``default_spill`` (an in-memory database has none of its own)."""
    created: Path | None = None
    _disable_optimizers(execute)
    if temp_directory is not None and os.fspath(temp_directory) == "":
        execute("SET temp_directory = ''")
    elif temp_directory is not None or default_spill:
        if temp_directory is None:
            created = Path(tempfile.mkdtemp(prefix="clusteratlas-spill-"))
            spill = created
        else:
            spill = Path(temp_directory)
        spill.mkdir(parents=True, exist_ok=True)
        execute(f"SET temp_directory = '{spill.as_posix()}'")
    if memory_limit:
        execute(f"SET memory_limit = '{memory_limit}'")
    if threads:
        execute(f"SET threads = {int(threads)}")
    return created


def open_source(
    workspace: str | os.PathLike[str] | Any | None = None,
    *,
    parquet: str | os.PathLike[str] | None = None,
    engine: str | None = "duckdb",
    memory_limit: str | None = None,
    spark_master: str | None = None,
    temp_directory: str | os.PathLike[str] | None = None,
    threads: int | None = None,
) -> Source:
    """Open the canonical tables of a workspace file or a Parquet directory on an engine.

    ``workspace``: a workspace path (``None``: ``$CLUSTERATLAS_WORKSPACE`` or
    ``./clusteratlas.duckdb``) or an open :class:`~clusteratlas.workspace.Workspace`;
    ``parquet``: a directory of Parquet datasets (takes precedence over ``workspace``).
    ``engine``: ``duckdb`` (default) or ``spark``/``pyspark``; None reads
    ``$CLUSTERATLAS_ENGINE``. ``memory_limit`` (e.g. ``"2GB"``): DuckDB's memory cap (larger
    work spills to ``temp_directory``, default a fresh temporary folder) or Spark's driver
    memory. ``spark_master``: a Spark master URL (default ``$SPARK_MASTER`` or ``local[*]``).
    ``threads`` caps DuckDB's threads (each thread holds its own buffers; with a memory limit
    below ~256MB use 1).

    Raises :class:`~clusteratlas.errors.InputError` for a missing Parquet directory or an
    unknown engine and :class:`~clusteratlas.errors.WorkspaceError` for a missing workspace.
    """
    from clusteratlas.engine import connect

    name = engine_from_env() if engine is None else normalize_engine(engine)
    master = spark_master or spark_master_from_env()
    if name != "pyspark":
        master = None
    temp_dir: Path | None = None
    if parquet is not None and "://" in os.fspath(parquet):
        if name != "pyspark":
            raise InputError(
                f"{os.fspath(parquet)}: a URI is read by Spark only; use --engine spark "
                "or a local Parquet directory"
            )
        uri = os.fspath(parquet)
        return Source(
            engine=name,
            backend=_spark(memory_limit, master),
            path=Path(uri.split("://", 1)[1] or "/"),
            origin="parquet",
            memory_limit=memory_limit,
            spark_master=master,
            _parquet_root=uri,
        )
    if parquet is not None:
        root = Path(parquet)
        if not root.is_dir():
            raise InputError(f"{root}: no such Parquet directory")
        if name == "duckdb":
            backend = connect("duckdb", memory_limit=memory_limit)
            backend.raw_sql("SET preserve_insertion_order = false")
            backend.raw_sql("SET enable_progress_bar = false")
            temp_dir = _configure_duckdb(
                backend.raw_sql,
                temp_directory=temp_directory,
                memory_limit=memory_limit,
                threads=threads,
                default_spill=True,
            )
        else:
            backend = _spark(memory_limit, master)
        return Source(
            engine=name,
            backend=backend,
            path=root,
            origin="parquet",
            memory_limit=memory_limit,
            spark_master=master,
            _parquet_root=root,
            _temp_dir=temp_dir,
        )

    from clusteratlas.workspace import Workspace, default_path, open_workspace

    if isinstance(workspace, Workspace):
        ws = workspace
        path = Path(ws.path)
    else:
        path = Path(workspace) if workspace is not None else default_path()
        ws = None
    if name == "duckdb":
        if ws is None:
            ws = open_workspace(path, read_only=True, memory_limit=memory_limit)
        temp_dir = _configure_duckdb(
            ws.con.execute,
            temp_directory=temp_directory,
            memory_limit=memory_limit,
            threads=threads,
            default_spill=bool(memory_limit),
        )
        return Source(
            engine=name,
            backend=ws.ibis,
            path=path,
            origin="workspace",
            memory_limit=memory_limit,
            workspace=ws,
            _temp_dir=temp_dir,
        )
    # Spark cannot read a DuckDB file: stage the tables as Parquet first.
    staging = Path(tempfile.mkdtemp(prefix="clusteratlas-stage-"))
    try:
        if ws is None:
            with open_workspace(path, read_only=True) as opened:
                export_parquet(opened, staging)
        else:
            export_parquet(ws, staging)
        backend = _spark(memory_limit, master)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Source(
        engine=name,
        backend=backend,
        path=path,
        origin="workspace",
        memory_limit=memory_limit,
        spark_master=master,
        _parquet_root=staging,
        _staging=staging,
    )


def export_parquet(
    workspace: Any,
    out_dir: str | os.PathLike[str],
    *,
    tables: tuple[str, ...] = CANONICAL_TABLES,
    partition_by: dict[str, list[str]] | None = None,
) -> dict[str, Path]:
    """Write a workspace's canonical tables (and its dataset registry, ``dataset.parquet``)
    as Parquet under ``out_dir`` — the layout :func:`open_source` reads with ``parquet=``.

    Each table goes to ``out_dir/<table>/`` (one file, or hive directories when
    ``partition_by`` names its columns, e.g. ``{"firm_year": ["year"]}``). Returns the path
    written per table. Runs inside DuckDB (streaming, no pandas copy).
    """
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    con = workspace.con
    written: dict[str, Path] = {}
    for name in tables:
        target = root / name
        if target.exists():
            shutil.rmtree(target)
        parts = (partition_by or {}).get(name)
        if parts:
            cols = ", ".join(f'"{c}"' for c in parts)
            con.execute(
                f"COPY \"{name}\" TO '{target.as_posix()}' "
                f"(FORMAT parquet, PARTITION_BY ({cols}), OVERWRITE_OR_IGNORE)"
            )
        else:
            target.mkdir(parents=True)
            con.execute(
                f"COPY \"{name}\" TO '{(target / 'part-0.parquet').as_posix()}' (FORMAT parquet)"
            )
        written[name] = target
    registry = root / "dataset.parquet"
    con.execute(
        f"COPY (SELECT name, kind, rows, rejected, source_file, content_hash, imported_at, "
        f'synthetic, "table", columns, coverage FROM dataset ORDER BY imported_at, name) '
        f"TO '{registry.as_posix()}' (FORMAT parquet)"
    )
    written["dataset"] = registry
    return written
