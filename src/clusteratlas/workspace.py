"""The workspace: one DuckDB file holding the canonical tables and the dataset registry.

:func:`open_workspace` creates the canonical tables (:mod:`clusteratlas.model.schema`) and
loads ``industry``, ``region`` and ``region_group`` from the packaged reference data on
first open. :meth:`Workspace.import_file` / :meth:`Workspace.import_frame` validate a file
or frame set-based in DuckDB (:mod:`clusteratlas.ingest.rules`), write rejects next to the
input, and insert the valid rows in **one transaction** (a crash leaves no partial
dataset). Imports are idempotent: the same content (SHA-256) and kind imported before is
reported as ``unchanged``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from clusteratlas import faults
from clusteratlas.config import DEFAULT_WORKSPACE, workspace_path
from clusteratlas.errors import InputError, Problem, ValidationError, WorkspaceError
from clusteratlas.ingest.aliases import Header, header_score, map_headers
from clusteratlas.ingest.plausibility import UnitConversion, check_plausible, unit_report
from clusteratlas.ingest.readers import RawTable, read_file, read_frame, sheet_name
from clusteratlas.ingest.regions import resolve_sql, resolve_zone_sql, uscc_region_sql
from clusteratlas.ingest.rules import (
    INDUSTRY_SCHEME,
    Binding,
    ObservationParts,
    Parts,
    column_parts,
    indicator_unit_sql,
    lit,
    message_sql,
    quantity_parts,
    trim_sql,
)
from clusteratlas.model.schema import DATASET_DDL, TABLES, TableSchema, ddl, quote, resolve_kind
from clusteratlas.outputs import atomic_path
from clusteratlas.safe_cells import sql_csv_text
from clusteratlas.synth.writer import check_complete

if TYPE_CHECKING:  # pragma: no cover
    import ibis
    import ibis.expr.types as ir

DEFAULT_PATH = DEFAULT_WORKSPACE
SCHEMA_VERSION = 1
MAX_PROBLEMS = 1000


def default_path() -> Path:
    """``$CLUSTERATLAS_WORKSPACE`` or ``./clusteratlas.duckdb``."""
    return workspace_path()


@dataclass
class ImportResult:
    """What an import did: ``status`` is ``imported``, ``replaced`` or ``unchanged``."""

    dataset: str
    kind: str
    table: str
    status: str
    rows: int
    rejected: int
    content_hash: str
    source: str
    rejects_path: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: distinct firm ids in firm-id columns that the ``firm`` table does not hold (a warning:
    #: firms may be imported later) and up to five of them, sorted
    unknown_firms: int = 0
    unknown_firm_examples: list[str] = field(default_factory=list)
    #: how each quantity column's cells were converted (``营业收入（万元） ×10⁴ → 元``)
    units: list[UnitConversion] = field(default_factory=list)
    #: what the import inferred (e.g. regions read from USCC characters 3–8)
    notes: list[str] = field(default_factory=list)
    #: ``partial`` (the firms are part of the plan region) or ``complete``
    coverage: str = "partial"


@dataclass(frozen=True)
class DropResult:
    """What :meth:`Workspace.drop` removed: the dataset, its kind, table and row count."""

    dataset: str
    kind: str
    table: str
    rows: int


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _hash_options(content_hash: str, **options: Any) -> str:
    """The content hash combined with how the content is read (sheet, mapping, units,
    header row, coverage): the same bytes read another way are other content."""
    if not any(v not in (None, {}, False, "partial") for v in options.values()):
        return content_hash  # plain reads keep the bare content hash
    text = json.dumps(options, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{content_hash}:{text}".encode()).hexdigest()


COVERAGES = ("partial", "complete")
"""A firm dataset covers part of the plan region (default) or all of it."""


def check_coverage(coverage: str) -> str:
    """``coverage`` if it is one of :data:`COVERAGES`, else an InputError."""
    if coverage not in COVERAGES:
        raise InputError(f"--coverage must be complete or partial, got {coverage!r}")
    return coverage


def _hash_frame(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in frame.columns]).encode())
    digest.update(json.dumps([str(t) for t in frame.dtypes]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


class Workspace:
    """An open workspace (see the module docstring). Use as a context manager or ``close()``."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, read_only: bool) -> None:
        self.path = path
        self.con = con
        self.read_only = read_only
        self._ibis: Any = None

    # ----------------------------------------------------------------- basics
    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (and its Ibis backend)."""
        self.con.close()

    @property
    def ibis(self) -> ibis.BaseBackend:
        """An Ibis DuckDB backend on the same connection."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis

    def table(self, name: str) -> ir.Table:
        """A canonical table (or ``dataset``) as an Ibis table expression."""
        known = {*TABLES, "dataset"}
        if name not in known:
            raise WorkspaceError(f"no table {name!r} in the workspace; tables: {sorted(known)}")
        return self.ibis.table(name)

    def datasets(self) -> pd.DataFrame:
        """The dataset registry: ``name, kind, rows, rejected, source_file, content_hash,
        imported_at, synthetic, table, columns, coverage`` (oldest first; ``coverage`` is
        ``partial`` or ``complete``, NULL for datasets imported before it was recorded)."""
        has = {r[0] for r in self.con.execute("DESCRIBE dataset").fetchall()}
        coverage = "coverage" if "coverage" in has else "CAST(NULL AS VARCHAR) AS coverage"
        return self.con.execute(
            "SELECT name, kind, rows, rejected, source_file, content_hash, imported_at, "
            f'synthetic, "table", columns, {coverage} FROM dataset ORDER BY imported_at, name'
        ).df()

    def counts(self) -> dict[str, int]:
        """Row counts of every canonical table and the registry."""
        # one query, fully fetched: DuckDB 2 refuses further work on a connection that
        # still holds a half-fetched result (``fetchone``)
        sql = " UNION ALL ".join(
            f"SELECT '{name}', count(*) FROM {quote(name)}" for name in (*TABLES, "dataset")
        )
        return {str(name): int(n) for name, n in self.con.execute(sql).fetchall()}

    # ---------------------------------------------------------------- imports
    def import_file(
        self,
        kind: str,
        path: str | os.PathLike[str],
        *,
        dataset: str | None = None,
        allow_rejects: bool = False,
        mapping: Mapping[str, str] | None = None,
        synthetic: bool = False,
        replace: bool = False,
        sheet: str | None = None,
        header_row: int | None = None,
        coverage: str = "partial",
        source_name: str | None = None,
    ) -> ImportResult:
        """Validate and import a CSV/XLSX/Parquet file as dataset ``dataset``.

        ``dataset`` defaults to the file's stem, ``STEM.SHEET`` when a ``sheet`` is given
        (an Excel sheet by name or 1-based number; default the first). ``header_row``
        forces the header's row number (default: found after any title rows).
        ``coverage`` says whether a firm file covers the whole plan region (``complete``)
        or part of it (``partial``, the default: never used as a city-wide actual).
        ``source_name`` is the provenance stored as ``source_file`` (default: the path; the
        web passes the client's file name, never its temporary copy).

        Rejected rows go to ``FILE.rejects.csv``; without ``allow_rejects`` any reject
        raises :class:`~clusteratlas.errors.ValidationError` and nothing is imported.
        ``mapping`` renames headers (``{"营收": "revenue(万元)"}``). The same content read
        the same way (mapping, sheet, header row, coverage) imported before
        → ``status="unchanged"``. Re-using a dataset name for other content needs
        ``replace=True``.
        """
        schema = resolve_kind(kind)
        coverage = check_coverage(coverage)
        file = Path(path)
        if not file.exists():
            raise InputError(f"{file}: no such file")
        if file.is_dir():
            raise InputError(f"{file}: is a directory, not a file")
        if header_row is not None and header_row < 1:
            raise InputError(f"--header-row must be a row number from 1, got {header_row}")
        check_complete(file)  # a cut-off `synth` output is not imported as if whole
        if sheet is not None:  # one workbook, several sheets: each its own content
            sheet = sheet_name(file, sheet)
        content_hash = _hash_options(
            _hash_file(file),
            sheet=sheet,
            mapping=dict(mapping or {}),
            header_row=header_row,
            coverage=coverage,
        )
        name = dataset or (f"{file.stem}.{sheet}" if sheet is not None else file.stem)
        rejects_path = file.with_name(file.name + ".rejects.csv")
        wanted = set(schema.column_names) | {"uscc"}
        score = header_score(mapping, wanted)
        return self._import(
            schema,
            name,
            content_hash,
            source_name or str(file),
            lambda: read_file(self.con, file, sheet, header_row, score),
            allow_rejects=allow_rejects,
            mapping=mapping,
            synthetic=synthetic,
            replace=replace,
            rejects_path=rejects_path,
            units=None,
            coverage=coverage,
        )

    def import_frame(
        self,
        kind: str,
        frame: pd.DataFrame,
        *,
        dataset: str,
        source: str,
        synthetic: bool = False,
        allow_rejects: bool = False,
        mapping: Mapping[str, str] | None = None,
        units: Mapping[str, str] | None = None,
        replace: bool = False,
        coverage: str = "partial",
    ) -> ImportResult:
        """Import a pandas frame with the same validation as :meth:`import_file`.

        ``source`` names where the frame came from (stored as ``source_file``). ``units``
        declares column units (``{"revenue": "yuan"}``), as a header suffix would. No
        rejects file is written; rejected rows are in the result / the error.
        """
        schema = resolve_kind(kind)
        if not isinstance(frame, pd.DataFrame):
            raise InputError(f"{source}: expected a pandas DataFrame, got {type(frame).__name__}")
        coverage = check_coverage(coverage)
        content_hash = _hash_options(
            _hash_frame(frame),
            mapping=dict(mapping or {}),
            units=dict(units or {}),
            coverage=coverage,
        )
        return self._import(
            schema,
            dataset,
            content_hash,
            source,
            lambda: read_frame(self.con, frame, source),
            allow_rejects=allow_rejects,
            mapping=mapping,
            synthetic=synthetic,
            replace=replace,
            rejects_path=None,
            units=units,
            coverage=coverage,
        )

    def drop(self, name: str) -> DropResult:
        """Remove dataset ``name`` and its rows in one transaction (reference data cannot be
        dropped); a :class:`WorkspaceError` names the datasets when ``name`` is not one."""
        self._check_writable()
        rows = self.con.execute(
            'SELECT kind, "table" FROM dataset WHERE name = ?', [name]
        ).fetchall()
        if not rows:
            known = [
                str(r[0])
                for r in self.con.execute(
                    "SELECT name FROM dataset WHERE kind <> 'refdata' ORDER BY name"
                ).fetchall()
            ]
            raise WorkspaceError(
                f"no dataset {name!r} in {self.path}; datasets: "
                + (", ".join(repr(k) for k in known) or "none")
            )
        kind, table = str(rows[0][0]), str(rows[0][1])
        if kind == "refdata":
            raise WorkspaceError(f"{name!r} is packaged reference data; it cannot be dropped")
        self.con.execute("BEGIN TRANSACTION")
        try:
            (count,) = self.con.execute(
                f"SELECT count(*) FROM {quote(table)} WHERE dataset = ?", [name]
            ).fetchall()[0]
            self.con.execute(f"DELETE FROM {quote(table)} WHERE dataset = ?", [name])
            self.con.execute("DELETE FROM dataset WHERE name = ?", [name])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return DropResult(name, kind, table, int(count))

    # -------------------------------------------------------------- internals
    def _check_writable(self) -> None:
        if self.read_only:
            raise WorkspaceError(f"{self.path}: workspace opened read-only")

    def _unknown_firms(self, schema: TableSchema, dataset: str) -> tuple[int, list[str]]:
        """Distinct ids of ``dataset``'s firm-id columns missing from ``firm``, with examples."""
        refs = [c.name for c in schema.columns if c.references_firm]
        if not refs:
            return 0, []
        ids = " UNION ".join(
            f"SELECT {quote(c)} AS id FROM {quote(schema.name)} WHERE dataset = $dataset"
            for c in refs
        )
        # DISTINCT: one column is a single SELECT, which UNION does not deduplicate
        unknown = (
            f"SELECT DISTINCT id FROM ({ids}) t "
            "WHERE NOT EXISTS (SELECT 1 FROM firm WHERE firm_id = t.id)"
        )
        count = self.con.execute(f"SELECT count(*) FROM ({unknown})", {"dataset": dataset})
        n = int(count.fetchall()[0][0])
        if n == 0:
            return 0, []
        rows = self.con.execute(f"{unknown} ORDER BY id LIMIT 5", {"dataset": dataset}).fetchall()
        return n, [str(r[0]) for r in rows]

    def _existing(self, name: str) -> tuple[str, str] | None:
        # fetchall, not fetchone: DuckDB refuses later work (e.g. registering the Arrow table
        # of an Excel sheet) while a half-fetched result is open on the connection
        rows = self.con.execute(
            "SELECT kind, content_hash FROM dataset WHERE name = ?", [name]
        ).fetchall()
        return None if not rows else (str(rows[0][0]), str(rows[0][1]))

    def _import(
        self,
        schema: TableSchema,
        name: str,
        content_hash: str,
        source: str,
        reader: Any,
        *,
        allow_rejects: bool,
        mapping: Mapping[str, str] | None,
        synthetic: bool,
        replace: bool,
        rejects_path: Path | None,
        units: Mapping[str, str] | None,
        coverage: str,
    ) -> ImportResult:
        self._check_writable()
        assert schema.kind is not None
        if not name or not name.strip():
            raise InputError("dataset name must not be empty")
        found = self.con.execute(
            "SELECT name, rows, rejected, coverage FROM dataset "
            "WHERE content_hash = ? AND kind = ?",
            [content_hash, schema.kind],
        ).fetchall()
        same = found[0] if found else None
        if same is not None:
            return ImportResult(
                str(same[0]),
                schema.kind,
                schema.name,
                "unchanged",
                int(same[1]),
                int(same[2]),
                content_hash,
                source,
                coverage=str(same[3] or coverage),
            )
        existing = self._existing(name)
        conflict = None
        if existing is not None and not replace:  # told after the file-level checks
            conflict = (
                f"dataset {name!r} already exists with other content ({existing[0]}); "
                f"use --replace (replace=True) or another --dataset name"
            )
        if existing is not None and existing[0] != schema.kind:
            raise InputError(
                f"dataset {name!r} holds {existing[0]}, not {schema.kind}; use another name"
            )
        raw: RawTable = reader()
        try:
            result = self._validate_and_insert(
                schema,
                name,
                content_hash,
                source,
                raw,
                allow_rejects=allow_rejects,
                mapping=mapping,
                synthetic=synthetic,
                replacing=existing is not None,
                rejects_path=rejects_path,
                units=units,
                coverage=coverage,
                conflict=conflict,
            )
        finally:
            raw.drop(self.con)
        if schema.name == "firm":  # stored classifications follow the firm data
            from clusteratlas.firm_cluster import refresh

            refresh(self)
        return result

    def _bindings(
        self,
        schema: TableSchema,
        raw: RawTable,
        source: str,
        mapping: Mapping[str, str] | None,
        units: Mapping[str, str] | None,
    ) -> tuple[list[Binding], list[Header]]:
        wanted = set(schema.column_names)
        has_firm_id = "firm_id" in wanted
        headers = map_headers(raw.headers, mapping, wanted | ({"uscc"} if has_firm_id else set()))
        bindings: list[Binding] = []
        by_name = {h.canonical: h for h in headers if h.canonical}
        from_uscc = False
        if has_firm_id and "firm_id" not in by_name and "uscc" in by_name:
            # firm_id may be the USCC: use the USCC column as the id
            by_name["firm_id"] = by_name["uscc"]
            from_uscc = True
            if "uscc" not in wanted:
                del by_name["uscc"]
        elif "uscc" in by_name and "uscc" not in wanted:
            del by_name["uscc"]
        for col in schema.columns:
            header = by_name.get(col.name)
            if header is None:
                continue
            unit = header.unit
            if units and col.name in units:
                unit = units[col.name]
            if col.name == "firm_id" and from_uscc:
                col = dataclasses.replace(col, parse="uscc")  # the id column holds USCCs
            bindings.append(Binding(col, header.position, header.original, unit))
        missing = [c.name for c in schema.columns if c.required and c.name not in by_name]
        if missing:
            problems = [
                Problem(
                    source,
                    None,
                    m,
                    None,
                    "required_column",
                    f"required column {m!r} is missing (headers: {raw.headers}; "
                    f"see docs/ingest.md for accepted names or use --map OLD={m})",
                )
                for m in missing
            ]
            raise ValidationError(
                f"{source}: missing required column(s) {', '.join(missing)}; nothing imported",
                problems,
            )
        return bindings, headers

    def _validate_and_insert(
        self,
        schema: TableSchema,
        name: str,
        content_hash: str,
        source: str,
        raw: RawTable,
        *,
        allow_rejects: bool,
        mapping: Mapping[str, str] | None,
        synthetic: bool,
        replacing: bool,
        rejects_path: Path | None,
        units: Mapping[str, str] | None,
        coverage: str,
        conflict: str | None,
    ) -> ImportResult:
        con = self.con
        bindings, headers = self._bindings(schema, raw, source, mapping, units)
        by_name = {b.name: b for b in bindings}
        parts: dict[str, Parts] = {}
        # observation values depend on the unit column and the indicator's registered unit
        for b in bindings:
            if b.column.parse == "quantity":
                parts[b.name] = quantity_parts(b)
            elif b.column.parse != "observation_value":
                parts[b.name] = column_parts(b)
        if schema.name == "observation":
            ind = parts["indicator"].value
            row_unit = "t_unit" if "unit" in by_name else None
            obs = quantity_parts(
                by_name["value"], row_unit=row_unit, indicator_unit=indicator_unit_sql(ind)
            )
            parts["value"] = obs
            assert isinstance(obs, ObservationParts)
            for end in ("low", "high"):
                if end in by_name:
                    tx = f"t_{end}"
                    num = f"TRY_CAST(replace({tx}, ',', '') AS DOUBLE)"
                    parts[end] = Parts(
                        [f"NULLIF({trim_sql(f'c{by_name[end].position}')}, '') AS {tx}"],
                        [],
                        f"{num} * {obs.factor}",
                        f"CASE WHEN {tx} IS NOT NULL AND ({num} IS NULL OR NOT isfinite({num})) "
                        f"THEN 'not_a_number' END",
                    )
        stages = [["__row"] + [s for p in parts.values() for s in p.stage1]]
        for attr in ("stage2", "stage3", "stage4", "stage5"):
            stages.append(["*"] + [s for p in parts.values() for s in getattr(p, attr)])
        values: dict[str, str] = {n: p.value for n, p in parts.items()}
        errors = {n: p.error for n, p in parts.items()}
        if schema.name == "observation":
            obs = parts["value"]
            assert isinstance(obs, ObservationParts)
            values["unit"] = obs.unit
            explicit_bound = values.get("bound")
            values["bound"] = f"coalesce({obs.bound}, {explicit_bound or 'NULL'}, '=')"
            values["low"] = f"coalesce({obs.low}, {values.get('low', 'NULL')})"
            values["high"] = f"coalesce({obs.high}, {values.get('high', 'NULL')})"
            if "source" not in values:
                values["source"] = lit(source)
        if schema.name == "firm_tag" and "source" not in values:
            values["source"] = lit("certified")
        parsed = "__ca_parsed"
        con.execute(f"DROP TABLE IF EXISTS {parsed}")
        place = _place_columns(schema, by_name, values)
        select_items = ["__row"]
        select_items += [f"{v} AS {quote('v_' + n)}" for n, v in values.items()]
        select_items += [f"CAST({e} AS VARCHAR) AS {quote('e_' + n)}" for n, e in errors.items()]
        select_items += place.extra_columns
        select_items += [  # the cell's own unit, for the units report
            f"l_{b.name} AS {quote('l_' + b.name)}"
            for b in bindings
            if b.column.parse == "quantity"
        ]
        con.execute(
            f"CREATE TEMP TABLE {parsed} AS "
            f"WITH s1 AS (SELECT {', '.join(stages[0])} FROM {raw.source}), "
            + "".join(
                f"s{i + 1} AS (SELECT {', '.join(st)} FROM s{i}), "
                for i, st in enumerate(stages[1:], start=1)
            )[:-2]
            + f" SELECT {', '.join(select_items)} FROM s{len(stages)}"
        )
        try:
            notes = self._resolve_places(parsed, place)
            if raw.skipped:
                notes.append(
                    f"left out {raw.skipped} note or total row(s) (注：…, 合计, 总计, 小计)"
                )
            return self._finish_import(
                schema,
                name,
                content_hash,
                source,
                raw,
                bindings,
                headers,
                values,
                errors,
                parsed,
                allow_rejects=allow_rejects,
                synthetic=synthetic,
                replacing=replacing,
                rejects_path=rejects_path,
                coverage=coverage,
                notes=notes,
                conflict=conflict,
            )
        finally:
            con.execute(f"DROP TABLE IF EXISTS {parsed}")
            con.execute("DROP TABLE IF EXISTS __ca_rejects")

    def _resolve_places(self, parsed: str, place: _Places) -> list[str]:
        """Resolve region names/zones in ``parsed`` (or read regions from USCCs); the notes
        to tell the user."""
        notes: list[str] = []
        if place.resolve_zone:
            resolve_zone_sql(self.con, parsed)
        if place.resolve_region:
            resolve_sql(self.con, parsed, place.uscc, place.zone and not place.resolve_zone)
        if place.from_uscc and place.uscc:
            found = uscc_region_sql(self.con, parsed, place.uscc, place.zone)
            total = int(self.con.execute(f"SELECT count(*) FROM {parsed}").fetchall()[0][0])
            notes.append(
                f"no region column: region read from characters 3–8 of the 统一社会信用代码 "
                f"(the registering authority's division) for {found} of {total} rows"
                + ("" if found == total else "; the others have no region")
            )
        return notes

    def _finish_import(
        self,
        schema: TableSchema,
        name: str,
        content_hash: str,
        source: str,
        raw: RawTable,
        bindings: list[Binding],
        headers: list[Header],
        values: dict[str, str],
        errors: dict[str, str],
        parsed: str,
        *,
        allow_rejects: bool,
        synthetic: bool,
        replacing: bool,
        rejects_path: Path | None,
        coverage: str,
        notes: list[str],
        conflict: str | None,
    ) -> ImportResult:
        con = self.con
        by_name = {b.name: b for b in bindings}
        unions = []
        for n in errors:
            b = by_name[n]
            # an ambiguous region shows its candidates as the value
            value = "p.x_region" if n == "region" else "CAST(NULL AS VARCHAR)"
            unions.append(
                f"SELECT p.__row AS row, {b.position} AS pos, {lit(b.header)} AS col, "
                f"{value} AS value, p.{quote('e_' + n)} AS rule "
                f"FROM {parsed} p WHERE p.{quote('e_' + n)} IS NOT NULL"
            )
        # reference data: industry and region codes must exist
        for n, ref in (("industry", "industry"), ("region", "region")):
            if n in by_name and by_name[n].column.parse == n:
                cond = f"r.code = p.v_{n}"
                if ref == "industry":
                    cond += f" AND r.scheme = {lit(INDUSTRY_SCHEME)}"
                unions.append(
                    f"SELECT p.__row, {by_name[n].position}, {lit(by_name[n].header)}, NULL, "
                    f"'{n}_unknown' FROM {parsed} p "
                    f"WHERE p.v_{n} IS NOT NULL AND p.e_{n} IS NULL "
                    f"AND NOT EXISTS (SELECT 1 FROM {quote(ref)} r WHERE {cond})"
                )
        key = [k for k in schema.key if k in by_name]
        if key:
            key_cols = ", ".join(quote("v_" + k) for k in key)
            key_header = ", ".join(by_name[k].header for k in key)
            key_text = " || ', ' || ".join(
                f"coalesce(CAST(p.{quote('v_' + k)} AS VARCHAR), '')" for k in key
            )
            required_keys = (
                " AND ".join(
                    f"p.{quote('v_' + k)} IS NOT NULL AND p.{quote('e_' + k)} IS NULL"
                    for k in key
                    if by_name[k].column.required
                )
                or "TRUE"
            )
            join = " AND ".join(
                f"d.{quote('v_' + k)} IS NOT DISTINCT FROM p.{quote('v_' + k)}" for k in key
            )
            unions.append(
                f"SELECT p.__row, NULL, {lit(key_header)}, {key_text}, 'duplicate_in_file' "
                f"FROM {parsed} p JOIN (SELECT {key_cols} FROM {parsed} p WHERE {required_keys} "
                f"GROUP BY ALL HAVING count(*) > 1) d ON {join} WHERE {required_keys}"
            )
            wkey = schema.workspace_key
            if wkey and all(k in by_name for k in wkey):
                wjoin = " AND ".join(f"t.{quote(k)} = p.{quote('v_' + k)}" for k in wkey)
                not_replaced = f" AND t.dataset <> {lit(name)}" if replacing else ""
                unions.append(
                    f"SELECT p.__row, NULL, {lit(key_header)}, {key_text}, "
                    "'duplicate_in_workspace' "
                    f"FROM {parsed} p WHERE {required_keys} AND EXISTS (SELECT 1 FROM "
                    f"{quote(schema.name)} t WHERE {wjoin}{not_replaced})"
                )
        con.execute("DROP TABLE IF EXISTS __ca_rejects")
        # the offending cell's text is fetched in one join, only for rejected rows
        positions = sorted({b.position for b in bindings})
        cell = (
            "CASE r.pos "
            + " ".join(f"WHEN {i} THEN NULLIF({trim_sql(f's.c{i}')}, '')" for i in positions)
            + " END"
        )
        con.execute(
            'CREATE TEMP TABLE __ca_rejects AS SELECT r.row, r.col AS "column", '
            f"coalesce(r.value, {cell}) AS value, r.rule, {message_sql('r.rule')} AS message "
            f"FROM ({' UNION ALL '.join(unions)}) r JOIN {raw.source} s ON s.__row = r.row "
            "ORDER BY r.row, r.rule"
        )
        (n_problems, n_bad_rows) = con.execute(
            "SELECT count(*), count(DISTINCT row) FROM __ca_rejects"
        ).fetchall()[0]
        problems = [
            Problem(source, int(r[0]), r[1], r[2], r[3], r[4])
            for r in con.execute(
                f'SELECT row, "column", value, rule, message FROM __ca_rejects LIMIT {MAX_PROBLEMS}'
            ).fetchall()
        ]
        # file-level first: implausible values (a unit mistake) over the rows that parsed,
        # then a dataset-name conflict, then row rejects
        parsed_ok = " AND ".join(f"{quote('e_' + n)} IS NULL" for n in errors) or "TRUE"
        check_plausible(con, parsed, bindings, source, parsed_ok)
        if conflict is not None:
            raise InputError(conflict)
        written: str | None = None
        if n_problems and rejects_path is not None:
            written = self._write_rejects(raw, rejects_path)
        elif rejects_path is not None and rejects_path.exists():
            rejects_path.unlink()
        good_rows = raw.rows - int(n_bad_rows)
        if n_problems and not allow_rejects:
            raise ValidationError(
                f"{source}: {n_problems} problem(s) in {n_bad_rows} of {raw.rows} row(s); "
                f"nothing imported (use --allow-rejects to keep the {good_rows} valid rows)",
                problems,
                written,
            )
        if good_rows == 0:
            raise ValidationError(f"{source}: no valid rows; nothing imported", problems, written)
        columns = {b.header: b.name + (f" [{b.unit}]" if b.unit else "") for b in bindings}
        valid = "__row NOT IN (SELECT row FROM __ca_rejects)" if n_problems else "TRUE"
        conversions = unit_report(con, parsed, bindings, valid)
        ignored = [h.original for h in headers if h.position not in {b.position for b in bindings}]
        target_cols = ["dataset"] + [c for c in schema.column_names if c in values]
        select = [lit(name)] + [quote("v_" + c) for c in schema.column_names if c in values]
        anti = " WHERE __row NOT IN (SELECT row FROM __ca_rejects)" if n_problems else ""
        assert schema.kind is not None
        con.execute("BEGIN TRANSACTION")
        try:
            if replacing:
                con.execute(f"DELETE FROM {quote(schema.name)} WHERE dataset = ?", [name])
                con.execute("DELETE FROM dataset WHERE name = ?", [name])
            con.execute(
                f"INSERT INTO {quote(schema.name)} ({', '.join(quote(c) for c in target_cols)}) "
                f"SELECT {', '.join(select)} FROM {parsed}{anti}"
            )
            con.execute(
                f"INSERT INTO dataset ({_REGISTRY_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    name,
                    schema.kind,
                    schema.name,
                    good_rows,
                    int(n_bad_rows),
                    source,
                    content_hash,
                    dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    synthetic,
                    json.dumps(columns, ensure_ascii=False),
                    coverage,
                ],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        unknown, examples = self._unknown_firms(schema, name)
        return ImportResult(
            name,
            schema.kind,
            schema.name,
            "replaced" if replacing else "imported",
            good_rows,
            int(n_bad_rows),
            content_hash,
            source,
            written,
            columns,
            ignored,
            problems,
            unknown,
            examples,
            conversions,
            notes,
            coverage,
        )

    def _write_rejects(self, raw: RawTable, path: Path) -> str:
        used: set[str] = set()
        names = []
        for i, header in enumerate(raw.headers):
            label = header or f"column{i + 1}"
            while label in used:
                label += "_"
            used.add(label)
            names.append(label)
        # user text stays literal in spreadsheets (clusteratlas.safe_cells); written atomically
        originals = ", ".join(
            f"{sql_csv_text(f's.c{i}')} AS {quote(n)}" for i, n in enumerate(names)
        )
        value = sql_csv_text("r.value")
        try:
            with atomic_path(path) as temp:
                target = str(temp).replace("'", "''")
                self.con.execute(
                    f'COPY (SELECT {originals}, r.row AS reject_row, r."column" AS reject_column, '
                    f"{value} AS reject_value, r.rule AS reject_rule, r.message AS reject_reason "
                    f"FROM __ca_rejects r JOIN {raw.source} s ON s.__row = r.row "
                    f"ORDER BY r.row, r.rule) TO '{target}' (HEADER, DELIMITER ',')"
                )
        except duckdb.Error as exc:
            raise InputError(f"cannot write rejects file {path}: {exc}") from None
        return str(path)


@dataclass
class _Places:
    """How a table's ``region``/``zone`` columns are filled: resolved from the file's region
    column, or read from the USCC (``uscc`` column of the parsed table), or not at all."""

    resolve_region: bool = False
    resolve_zone: bool = False
    zone: bool = False
    uscc: str | None = None
    from_uscc: bool = False
    extra_columns: list[str] = field(default_factory=list)


def _place_columns(
    schema: TableSchema, by_name: Mapping[str, Binding], values: dict[str, str]
) -> _Places:
    """Decide :class:`_Places` and add placeholder values (NULL region/zone) to ``values``."""
    names = set(schema.column_names)
    place = _Places(zone="zone" in names)
    if "uscc" in by_name:
        place.uscc = "v_uscc"
    elif "firm_id" in by_name and by_name["firm_id"].column.parse == "uscc":
        place.uscc = "v_firm_id"
    region = by_name.get("region")
    if region is not None and region.column.parse == "region":
        place.resolve_region = True
        place.extra_columns.append("CAST(NULL AS VARCHAR) AS x_region")
    elif "region" in names and region is None and place.uscc and schema.name == "firm":
        place.from_uscc = True
        values["region"] = "CAST(NULL AS VARCHAR)"
    if place.zone:
        if "zone" in by_name:
            place.resolve_zone = True
        else:
            values["zone"] = "CAST(NULL AS VARCHAR)"
    return place


_REGISTRY_COLUMNS = (
    'name, kind, "table", rows, rejected, source_file, content_hash, imported_at, synthetic, '
    "columns, coverage"
)


def _load_refdata(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...] | None = None) -> None:
    """Fill ``industry``, ``region``, ``region_group``, ``zone`` (or just ``tables``) from
    :mod:`clusteratlas.refdata`."""
    from clusteratlas import refdata

    loaders = {
        "industry": refdata.industries,
        "region": refdata.regions,
        "region_group": refdata.region_groups,
        "zone": refdata.zones,
    }
    loads = {t: load() for t, load in loaders.items() if tables is None or t in tables}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for table, frame in loads.items():
        schema = TABLES[table]
        cols = [c for c in schema.column_names if c in frame.columns]
        part = frame[cols].copy()
        part.insert(0, "dataset", "refdata")
        con.register("__ca_ref", part)
        try:
            con.execute(
                f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in ['dataset', *cols])}) "
                f"SELECT {', '.join(quote(c) for c in ['dataset', *cols])} FROM __ca_ref"
            )
        finally:
            con.unregister("__ca_ref")
        digest = hashlib.sha256(
            pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes()
        ).hexdigest()
        con.execute(
            f"INSERT INTO dataset ({_REGISTRY_COLUMNS}) "
            "VALUES (?, 'refdata', ?, ?, 0, ?, ?, ?, FALSE, NULL, 'complete')",
            [f"refdata.{table}", table, len(part), "clusteratlas.refdata", digest, now],
        )


def open_workspace(
    path: str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    memory_limit: str | None = None,
) -> Workspace:
    """Open (creating if needed) the workspace at ``path``.

    ``path`` defaults to ``$CLUSTERATLAS_WORKSPACE`` or ``./clusteratlas.duckdb``. A new
    workspace gets the canonical tables and the reference data (industry, region,
    region_group). ``memory_limit`` (e.g. ``"1GB"``) caps DuckDB's memory; larger
    work spills to disk.
    """
    file = Path(path) if path is not None else default_path()
    if read_only and not file.exists():
        raise WorkspaceError(f"{file}: no workspace here; run `clusteratlas init` first")
    if file.exists() and file.is_dir():
        raise WorkspaceError(f"{file}: is a directory, not a workspace file")
    if not file.parent.exists():
        raise WorkspaceError(f"{file.parent}: folder does not exist")
    # DuckDB's progress bar writes to stdout, which would corrupt CSV/JSON output
    config: dict[str, Any] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    try:
        con = faults.connect(file, read_only=read_only, config=config)
    except duckdb.Error as exc:
        message = str(exc).split("\n")[0]
        raise WorkspaceError(f"{file}: cannot open workspace: {message}") from None
    con.execute("SET enable_progress_bar = false")
    try:
        check_schema_version(con, file)
        if not read_only:
            _create(con)
    except BaseException:
        con.close()
        raise
    return Workspace(file, con, read_only)


def check_schema_version(con: duckdb.DuckDBPyConnection, file: Path) -> None:
    """Refuse a workspace whose ``workspace_meta.schema_version`` is not :data:`SCHEMA_VERSION`
    with a :class:`WorkspaceError` that says what to do (a new file has no version yet)."""
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'workspace_meta'"
    ).fetchone() != (0,)
    row = (
        con.execute("SELECT value FROM workspace_meta WHERE key = 'schema_version'").fetchone()
        if has_meta
        else None
    )
    if row is None:
        return
    try:
        version = int(row[0])
    except ValueError:
        raise WorkspaceError(
            f"{file}: unreadable workspace schema version {row[0]!r}; not a ClusterAtlas "
            "workspace, or a damaged one"
        ) from None
    if version > SCHEMA_VERSION:
        raise WorkspaceError(
            f"{file}: workspace schema version {version} was written by a newer ClusterAtlas; "
            f"this one reads version {SCHEMA_VERSION}. Upgrade ClusterAtlas "
            "(pip install -U clusteratlas) to open it"
        )
    if version < SCHEMA_VERSION:
        raise WorkspaceError(
            f"{file}: workspace schema version {version} is older than this ClusterAtlas "
            f"(version {SCHEMA_VERSION}) and cannot be upgraded in place. Create a new "
            "workspace (clusteratlas init -w NEW.duckdb) and import your files into it again"
        )


def _create(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS workspace_meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
        )
        con.execute(DATASET_DDL)
        for schema in TABLES.values():
            con.execute(ddl(schema))
        fresh = con.execute(
            "SELECT count(*) FROM workspace_meta WHERE key = 'schema_version'"
        ).fetchall() == [(0,)]
        if fresh:
            con.execute(
                "INSERT INTO workspace_meta VALUES ('schema_version', ?), ('created_at', ?)",
                [str(SCHEMA_VERSION), dt.datetime.now(dt.UTC).isoformat()],
            )
            _load_refdata(con)
        else:  # workspaces made before functional zones and dataset coverage
            con.execute("ALTER TABLE dataset ADD COLUMN IF NOT EXISTS coverage VARCHAR")
            con.execute("ALTER TABLE firm ADD COLUMN IF NOT EXISTS zone VARCHAR")
            if not con.execute("SELECT 1 FROM dataset WHERE name = 'refdata.zone'").fetchall():
                _load_refdata(con, ("zone",))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
