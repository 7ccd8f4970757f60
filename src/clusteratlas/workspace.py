"""The workspace: one DuckDB file holding the canonical tables and the dataset registry.

:func:`open_workspace` creates the canonical tables (:mod:`clusteratlas.model.schema`) and
loads ``industry``, ``region`` and ``region_group`` from the packaged reference data on
first open. :meth:`Workspace.import_file` / :meth:`Workspace.import_frame` validate a file
or frame set-based in DuckDB — the SQL compiled by :mod:`clusteratlas.ingest.compiler` from
the rules of :mod:`clusteratlas.ingest.rules`, executed here (typed path first, text path on
any problem) — write rejects next to the input, and insert the valid rows in **one
transaction** (a crash leaves no partial dataset). Imports are idempotent: the same
content (SHA-256) and kind imported before is reported as ``unchanged``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
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
from clusteratlas.ingest.compiler import (
    PARSED,
    REJECTS,
    ImportSpec,
    ParsePlan,
    Places,
    compile_insert,
    compile_parse,
    compile_problem_count,
    compile_rejects,
    typed_columns,
    workspace_probe,
)
from clusteratlas.ingest.plausibility import UnitConversion, check_plausible, unit_report
from clusteratlas.ingest.readers import (
    RawTable,
    TypedColumns,
    read_file,
    read_frame,
    sheet_name,
)
from clusteratlas.ingest.regions import resolve_sql, resolve_zone_sql, uscc_region_sql
from clusteratlas.ingest.rules import Binding
from clusteratlas.model.schema import DATASET_DDL, TABLES, TableSchema, ddl, quote, resolve_kind
from clusteratlas.outputs import atomic_path
from clusteratlas.safe_cells import sql_csv_text
from clusteratlas.synth.writer import check_complete

if TYPE_CHECKING:  # pragma: no cover
    import ibis
    import ibis.expr.types as ir

    from clusteratlas.model.plan import Plan

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
        plan: Plan | None = None,
    ) -> ImportResult:
        """Validate and import a CSV/XLSX/Parquet file as dataset ``dataset``.

        ``dataset`` defaults to the file's stem, ``STEM.SHEET`` when a ``sheet`` is given
        (an Excel sheet by name or 1-based number; default the first). ``header_row``
        forces the header's row number (default: found after any title rows).
        ``coverage`` says whether a firm file covers the whole plan region (``complete``)
        or part of it (``partial``, the default: never used as a city-wide actual).
        ``source_name`` is the provenance stored as ``source_file`` (default: the path; the
        web passes the client's file name, never its temporary copy). ``plan``: after a firm
        import, store this plan's firm × cluster classification
        (:func:`clusteratlas.firm_cluster.refresh`; stale stored plans are rebuilt anyway).

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
        result = self._import(
            schema,
            name,
            content_hash,
            source_name or str(file),
            lambda typed: read_file(self.con, file, sheet, header_row, score, typed),
            allow_rejects=allow_rejects,
            mapping=mapping,
            synthetic=synthetic,
            replace=replace,
            rejects_path=rejects_path,
            units=None,
            coverage=coverage,
        )
        return self._classified(result, plan)

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
        plan: Plan | None = None,
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
        result = self._import(
            schema,
            dataset,
            content_hash,
            source,
            lambda typed: read_frame(self.con, frame, source),
            allow_rejects=allow_rejects,
            mapping=mapping,
            synthetic=synthetic,
            replace=replace,
            rejects_path=None,
            units=units,
            coverage=coverage,
        )
        return self._classified(result, plan)

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
        reader: Callable[[TypedColumns | None], RawTable],
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
        options: dict[str, Any] = {
            "allow_rejects": allow_rejects,
            "mapping": mapping,
            "synthetic": synthetic,
            "replacing": existing is not None,
            "rejects_path": rejects_path,
            "units": units,
            "coverage": coverage,
            "conflict": conflict,
        }
        # the typed path first; a row that breaks a rule sends the file down the text path
        raw: RawTable = reader(self._typed(schema, source, mapping, units))
        try:
            result = None
            if raw.typed:
                result = self._validate_and_insert(
                    schema, name, content_hash, source, raw, **options
                )
                if result is None:
                    raw.drop(self.con)
                    raw = reader(None)
            if result is None:
                result = self._validate_and_insert(
                    schema, name, content_hash, source, raw, **options
                )
            assert result is not None  # the text path always ends in a result or an error
        finally:
            raw.drop(self.con)
        return result

    def _classified(self, result: ImportResult, plan: Plan | None) -> ImportResult:
        """After a firm import (also an unchanged one): the stored firm × cluster tables follow
        the firm data (:func:`clusteratlas.firm_cluster.refresh`); a note per table built."""
        if result.table != "firm":
            return result
        from clusteratlas.firm_cluster import refresh

        started = time.perf_counter()
        for plan_id in refresh(self, plan):
            result.notes.append(
                f"classification by plan {plan_id} stored "
                f"({time.perf_counter() - started:.1f} s): analyses read it instead of "
                "classifying every firm"
            )
        return result

    def _bindings(
        self,
        schema: TableSchema,
        raw_headers: list[str],
        source: str,
        mapping: Mapping[str, str] | None,
        units: Mapping[str, str] | None,
    ) -> tuple[list[Binding], list[Header]]:
        wanted = set(schema.column_names)
        has_firm_id = "firm_id" in wanted
        headers = map_headers(raw_headers, mapping, wanted | ({"uscc"} if has_firm_id else set()))
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
                    f"required column {m!r} is missing (headers: {raw_headers}; "
                    f"see docs/ingest.md for accepted names or use --map OLD={m})",
                )
                for m in missing
            ]
            raise ValidationError(
                f"{source}: missing required column(s) {', '.join(missing)}; nothing imported",
                problems,
            )
        return bindings, headers

    def _typed(
        self,
        schema: TableSchema,
        source: str,
        mapping: Mapping[str, str] | None,
        units: Mapping[str, str] | None,
    ) -> TypedColumns:
        """For the readers: given a file's headers, the columns the typed path reads as
        numbers (:func:`~clusteratlas.ingest.compiler.typed_columns`; none when a required
        column is missing — the text path then says so)."""

        def typed(raw_headers: list[str]) -> dict[int, str]:
            try:
                bindings, _ = self._bindings(schema, raw_headers, source, mapping, units)
            except ValidationError:
                return {}
            return typed_columns(bindings)

        return typed

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
    ) -> ImportResult | None:
        """Parse, validate and insert ``raw`` (the statements of
        :mod:`clusteratlas.ingest.compiler`); None when ``raw`` was read typed and a row
        breaks a rule (the caller reads the file again as text for the rejects)."""
        con = self.con
        bindings, headers = self._bindings(schema, raw.headers, source, mapping, units)
        spec = ImportSpec(schema, tuple(bindings), raw.source, source, name, replacing, raw.typed)
        plan = compile_parse(spec)
        con.execute(plan.drop)
        con.execute(plan.statement)
        try:
            notes = self._resolve_places(plan.places)
            if raw.skipped:
                notes.append(
                    f"left out {raw.skipped} note or total row(s) (注：…, 合计, 总计, 小计)"
                )
            return self._finish_import(
                spec,
                plan,
                content_hash,
                raw,
                headers,
                allow_rejects=allow_rejects,
                synthetic=synthetic,
                rejects_path=rejects_path,
                coverage=coverage,
                notes=notes,
                conflict=conflict,
            )
        finally:
            con.execute(plan.drop)
            con.execute(f"DROP TABLE IF EXISTS {REJECTS}")

    def _resolve_places(self, place: Places) -> list[str]:
        """Resolve region names/zones in the parsed table (or read regions from USCCs); the
        notes to tell the user."""
        notes: list[str] = []
        if place.resolve_zone:
            resolve_zone_sql(self.con, PARSED)
        if place.resolve_region:
            resolve_sql(self.con, PARSED, place.uscc, place.zone and not place.resolve_zone)
        if place.from_uscc and place.uscc:
            found = uscc_region_sql(self.con, PARSED, place.uscc, place.zone)
            total = int(self.con.execute(f"SELECT count(*) FROM {PARSED}").fetchall()[0][0])
            notes.append(
                f"no region column: region read from characters 3–8 of the 统一社会信用代码 "
                f"(the registering authority's division) for {found} of {total} rows"
                + ("" if found == total else "; the others have no region")
            )
        return notes

    def _problems(
        self, spec: ImportSpec, plan: ParsePlan, source: str
    ) -> tuple[int, int, list[Problem]] | None:
        """Row problems: count, rows affected and the first :data:`MAX_PROBLEMS` (the
        rejects table, text path); None on the typed path when any row breaks a rule."""
        con = self.con
        probe = workspace_probe(spec)
        check_workspace = probe is not None and bool(con.execute(probe).fetchall()[0][0])
        if spec.typed:
            (count,) = con.execute(compile_problem_count(spec, plan, check_workspace)).fetchall()[0]
            return None if count else (0, 0, [])
        con.execute(f"DROP TABLE IF EXISTS {REJECTS}")
        con.execute(compile_rejects(spec, plan, check_workspace))
        (n_problems, n_bad_rows) = con.execute(
            f"SELECT count(*), count(DISTINCT row) FROM {REJECTS}"
        ).fetchall()[0]
        problems = [
            Problem(source, int(r[0]), r[1], r[2], r[3], r[4])
            for r in con.execute(
                f'SELECT row, "column", value, rule, message FROM {REJECTS} LIMIT {MAX_PROBLEMS}'
            ).fetchall()
        ]
        return int(n_problems), int(n_bad_rows), problems

    def _finish_import(
        self,
        spec: ImportSpec,
        plan: ParsePlan,
        content_hash: str,
        raw: RawTable,
        headers: list[Header],
        *,
        allow_rejects: bool,
        synthetic: bool,
        rejects_path: Path | None,
        coverage: str,
        notes: list[str],
        conflict: str | None,
    ) -> ImportResult | None:
        con = self.con
        schema, name, source = spec.schema, spec.dataset, spec.source_label
        bindings = list(spec.bindings)
        found = self._problems(spec, plan, source)
        if found is None:
            return None
        n_problems, n_bad_rows, problems = found
        # file-level first: implausible values (a unit mistake) over the rows that parsed,
        # then a dataset-name conflict, then row rejects (no problem: every row parsed)
        parsed_ok = " AND ".join(f"{quote('e_' + n)} IS NULL" for n in plan.errors)
        if not n_problems or not parsed_ok:
            parsed_ok = "TRUE"
        check_plausible(con, PARSED, bindings, source, parsed_ok)
        if conflict is not None:
            raise InputError(conflict)
        written: str | None = None
        if n_problems and rejects_path is not None:
            written = self._write_rejects(raw, rejects_path)
        elif rejects_path is not None and rejects_path.exists():
            rejects_path.unlink()
        good_rows = raw.rows - n_bad_rows
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
        valid = f"__row NOT IN (SELECT row FROM {REJECTS})" if n_problems else "TRUE"
        conversions = unit_report(con, PARSED, bindings, valid)
        ignored = [h.original for h in headers if h.position not in {b.position for b in bindings}]
        assert schema.kind is not None
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in compile_insert(spec, plan, bool(n_problems)):
                con.execute(statement)
            con.execute(
                f"INSERT INTO dataset ({_REGISTRY_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    name,
                    schema.kind,
                    schema.name,
                    good_rows,
                    n_bad_rows,
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
            "replaced" if spec.replacing else "imported",
            good_rows,
            n_bad_rows,
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
                    f"FROM {REJECTS} r JOIN {raw.source} s ON s.__row = r.row "
                    f"ORDER BY r.row, r.rule) TO '{target}' (HEADER, DELIMITER ',')"
                )
        except duckdb.Error as exc:
            raise InputError(f"cannot write rejects file {path}: {exc}") from None
        return str(path)


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
