"""Readers: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16), XLSX/XLS and Parquet → DuckDB.

Every reader loads the file into a DuckDB temporary table of VARCHAR columns ``c0 … cN``
(CSV and Parquet: number columns asked for as DOUBLE when every cell is a plain number,
the typed path of :mod:`clusteratlas.ingest.compiler`) in file order plus ``__row`` (the
row number a spreadsheet shows: the CSV line or Excel row, header and title rows counted;
for Parquet and frames the 1-based record number), and returns the header texts. CSV and
Parquet are read by DuckDB itself (streamed, never through Python rows); XLSX goes through
python-calamine (an XLSX sheet has at most 1,048,576 rows), converted column-wise into an
Arrow table of strings.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import mmap
import re
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from clusteratlas.errors import InputError
from clusteratlas.ingest import limits
from clusteratlas.ingest.headers import PREVIEW_ROWS, Score, locate_header

SAMPLE_BYTES = 1 << 20

TypedColumns = Callable[[list[str]], Mapping[int, str]]
"""Given a file's header texts, the positions to read typed and their SQL type."""


@dataclass
class RawTable:
    """A file loaded as text: ``source`` is a SQL relation with ``__row, c0 … cN``."""

    source: str
    headers: list[str]
    rows: int
    file_format: str
    encoding: str | None = None
    cleanup: list[str] = field(default_factory=list)
    temp_files: list[Path] = field(default_factory=list)
    #: rows left out as notes or totals (``注：…`` alone in a row, ``合计``/``总计``/``小计``)
    skipped: int = 0
    #: positions read as DOUBLE (the typed path); every other column is VARCHAR
    typed: frozenset[int] = frozenset()

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        """Drop the temporary relations and files."""
        for statement in self.cleanup:
            with contextlib.suppress(duckdb.Error):
                con.execute(statement)
        for path in self.temp_files:
            path.unlink(missing_ok=True)


def detect_format(path: Path) -> str:
    """``csv``, ``xlsx`` or ``parquet`` from the file's magic bytes and extension.

    An ``.xlsx``/``.parquet`` name whose bytes do not match is an InputError (not-an-xlsx).
    """
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    is_zip = head.startswith(b"PK\x03\x04")
    is_ole = head.startswith(b"\xd0\xcf\x11\xe0")
    is_parquet = head.startswith(b"PAR1")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        if not (is_zip or is_ole):
            raise InputError(f"{path}: not an Excel workbook (the bytes are not XLSX/XLS)")
        return "xlsx"
    if suffix in (".parquet", ".pq"):
        if not is_parquet:
            raise InputError(f"{path}: not a Parquet file (missing PAR1 header)")
        return "parquet"
    if is_parquet:
        return "parquet"
    if is_zip or is_ole:
        return "xlsx"
    return "csv"


def detect_encoding(path: Path) -> str:
    """The text encoding of a CSV: ``utf-8-sig``, ``utf-32``, ``utf-16``, ``utf-8`` or
    ``gb18030`` (GBK).

    Decided on the byte-order mark, else on the first MiB (strict UTF-8 first, then
    GB18030, a superset of GBK and GB2312). Binary data is an InputError.
    """
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    # the UTF-32 LE mark begins with the UTF-16 LE one (FF FE), so it is tested first
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise InputError(f"{path}: binary data (NUL bytes), not a CSV text file")
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            decoder.decode(sample, final=len(sample) < SAMPLE_BYTES)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InputError(f"{path}: text encoding is neither UTF-8 nor GBK/GB18030; save it as UTF-8")


def _transcode(path: Path, encoding: str) -> Path:
    """Stream ``path`` from ``encoding`` into a temporary UTF-8 file (DuckDB reads UTF-8)."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - caller deletes the file
        prefix="clusteratlas-", suffix=".csv", delete=False
    )
    target = Path(handle.name)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    try:
        with path.open("rb") as source, handle:
            while chunk := source.read(SAMPLE_BYTES):
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    raise InputError(
                        f"{path}: byte {offset + exc.start} is not valid {encoding.upper()} "
                        f"(the file mixes encodings?); save it as UTF-8"
                    ) from None
                handle.write(text.encode("utf-8"))
                offset += len(chunk)
            try:
                handle.write(decoder.decode(b"", final=True).encode("utf-8"))
            except UnicodeDecodeError:
                raise InputError(f"{path}: truncated {encoding.upper()} text at end") from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _name() -> str:
    return "__ca_" + uuid.uuid4().hex[:12]


def _finish(
    con: duckdb.DuckDBPyConnection,
    table: str,
    headers: list[str],
    row_expr: str,
    path: str,
    fmt: str,
    encoding: str | None,
    temp_files: list[Path],
    skip_notes: bool = False,
    typed: frozenset[int] = frozenset(),
) -> RawTable:
    view = table + "_v"
    cols = [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]
    data_cols = [c for c in cols if c != "__row"]
    select = ", ".join(f'"{c}" AS c{i}' for i, c in enumerate(data_cols))
    where, skipped = "", 0
    if skip_notes and data_cols:
        # notes and totals sit right below the header or at the end: only those rows are
        # looked at, so a large file pays nothing for the check
        (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0]
        edge = (
            f"(SELECT rowid, * FROM {table} WHERE rowid < {NOTE_ROWS} "
            f"OR rowid >= {int(n) - NOTE_ROWS})"
        )
        found = con.execute(
            f"SELECT rowid FROM {edge} WHERE {_note_or_total_sql(data_cols)}"
        ).fetchall()
        skipped = len(found)
        if found:
            where = f" WHERE rowid NOT IN ({', '.join(str(int(r[0])) for r in found)})"
    con.execute(
        f"CREATE TEMP VIEW {view} AS SELECT {row_expr} AS __row, {select} FROM {table}{where}"
    )
    (rows,) = con.execute(f"SELECT count(*) FROM {view}").fetchall()[0]
    raw = RawTable(
        view,
        headers,
        int(rows),
        fmt,
        encoding,
        [f"DROP VIEW IF EXISTS {view}", f"DROP TABLE IF EXISTS {table}"],
        temp_files,
        skipped,
        typed,
    )
    if not headers or all(not h.strip() for h in headers):
        raw.drop(con)
        raise InputError(f"{path}: empty file (no header row)")
    if rows == 0:
        raw.drop(con)
        raise InputError(f"{path}: header only, no data rows [rule: header_only]")
    return raw


NOTE_ROWS = 20
"""How many rows at the start and at the end of the data are checked for notes and totals."""


def _note_or_total_sql(columns: list[str]) -> str:
    """SQL true for a row that is a note (one filled cell, in one of the first two columns,
    starting 注/说明/备注/数据来源/资料来源/制表/填表/填报) or a total (the first of the first two
    cells 合计/总计/小计): exports put them below the data; they are no firms."""
    cells = [f"nullif(trim(CAST(\"{c}\" AS VARCHAR)), '')" for c in columns]
    filled = " + ".join(f"CAST({c} IS NOT NULL AS INTEGER)" for c in cells)
    first = f"coalesce({', '.join(cells[:2])})" if len(cells) > 1 else cells[0]
    full = (
        f"(({filled}) = 1 AND regexp_matches({first}, "
        "'^(注|说明|备注|数据来源|资料来源|制表|填表|填报)'))"
        f" OR regexp_full_match({first}, '(合\\s*计|总\\s*计|小\\s*计)[:：]?')"
    )
    return f"({full})"


_DELIMITERS = (",", "\t", ";", "|")


def _preview(path: Path, lines: int) -> tuple[str, list[list[str]], list[int]]:
    """The delimiter (of ``, \\t ; |`` the one most frequent on a leading line), the
    leading records and the physical line each ends on."""
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
        head = [line for _, line in zip(range(lines), handle, strict=False)]
    counts = {d: max((line.count(d) for line in head), default=0) for d in _DELIMITERS}
    delim = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    records: list[list[str]] = []
    ends: list[int] = []
    reader = csv.reader(io.StringIO("".join(head)), delimiter=delim)
    try:
        for record in reader:
            records.append(record)
            ends.append(reader.line_num)
    except csv.Error:  # a quoted field cut by the preview: the rows before it are enough
        pass
    return delim, records, ends


def read_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header_row: int | None = None,
    score: Score | None = None,
    typed: TypedColumns | None = None,
) -> RawTable:
    """Load a CSV as text (DuckDB ``read_csv``; non-UTF-8 files are transcoded first).

    The dialect is fixed, not sniffed (the sniffer may silently skip leading rows): the
    delimiter is the most frequent of ``, \\t ; |`` on a leading line, quotes are ``"``,
    every row must have as many fields as the header (else an InputError naming the line).
    Title rows above the header are skipped (:func:`~clusteratlas.ingest.headers.locate_header`);
    ``__row`` is the physical line number.

    ``typed`` (the typed path) names, given the header, the columns to read as numbers
    instead (``{position: "DOUBLE"}``); when a cell of one of them is not a plain number
    (``1,234万元``, ``-``, ``1_000``) the whole file is read as text, as without ``typed``.
    ``RawTable.typed`` says which columns were read typed.
    """
    encoding = detect_encoding(path)
    temp_files: list[Path] = []
    source = path
    if encoding in ("gb18030", "utf-16", "utf-32"):
        source = _transcode(path, encoding)
        temp_files.append(source)
    try:
        limits.check_csv(source)  # line lengths before any line is read into memory
        delim, records, ends = _preview(source, max(PREVIEW_ROWS, (header_row or 0) + 2))
        spec = locate_header(records, score, header_row, str(path))
        limits.check_columns(path, len(spec.names))
    except BaseException:
        for temp in temp_files:
            temp.unlink(missing_ok=True)
        raise
    skip = ends[spec.data_start - 2]
    header = spec.names
    wanted = dict(typed(header)) if typed is not None and not _digit_underscore(source) else {}
    table = _name()
    for types in [wanted] if not wanted else [wanted, {}]:
        columns = (
            "{"
            + ", ".join(f"'column{i}': '{types.get(i, 'VARCHAR')}'" for i in range(len(header)))
            + "}"
        )
        try:
            con.execute(
                f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv({_sql_str(str(source))}, "
                f"header = false, auto_detect = false, columns = {columns}, "
                f"delim = {_sql_str(delim)}, quote = '\"', escape = '\"', skip = {skip}, "
                "strict_mode = true, null_padding = false, encoding = 'utf-8')"
            )
            break
        except duckdb.Error as exc:
            if types:  # a cell the typed read refused: read the file as text
                continue
            for temp in temp_files:
                temp.unlink(missing_ok=True)
            message = " ".join(str(exc).split("Possible fixes")[0].split())
            raise InputError(f"{path}: cannot read as CSV ({encoding}): {message}") from None
    return _finish(
        con,
        table,
        header,
        f"rowid + {skip + 1}",
        str(path),
        "csv",
        encoding,
        temp_files,
        skip_notes=True,
        typed=frozenset(types),
    )


def _digit_underscore(path: Path) -> bool:
    """True when the file holds ``_`` between digits: DuckDB's typed number reader takes
    ``1_000`` for 1000, which the text rules reject, so such a file is read as text."""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find(b"_") >= 0 and re.search(rb"[0-9]_[0-9]", data) is not None


_PARQUET_NUMBERS = frozenset(
    ("DOUBLE", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT")
) | {"UINTEGER", "UBIGINT"}
"""Parquet column types read typed as DOUBLE: the same number as their text re-parsed
(FLOAT and DECIMAL are not: their text is not the same DOUBLE)."""


def read_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, typed: TypedColumns | None = None
) -> RawTable:
    """Load a Parquet file; every column is cast to text (re-parsed by the same rules),
    except the columns ``typed`` names (given the header) whose Parquet type is a
    DOUBLE or an integer: those are read as DOUBLE (the typed path)."""
    table = _name()
    try:
        described = con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({_sql_str(str(path))})"
        ).fetchall()
        headers = [str(row[0]) for row in described]
        wanted = typed(headers) if typed is not None else {}
        types = {
            i: wanted[i]
            for i, row in enumerate(described)
            if i in wanted and str(row[1]) in _PARQUET_NUMBERS
        }
        select = ", ".join(
            f'CAST("{h.replace(chr(34), chr(34) * 2)}" AS {types.get(i, "VARCHAR")}) AS "{i}"'
            for i, h in enumerate(headers)
        )
        con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT {select} FROM read_parquet({_sql_str(str(path))})"
        )
    except duckdb.Error as exc:
        message = str(exc).split("\n\n")[0].strip()
        raise InputError(f"{path}: cannot read as Parquet: {message}") from None
    return _finish(
        con, table, headers, "rowid + 1", str(path), "parquet", None, [], typed=frozenset(types)
    )


def _cell_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.date) and (year := excel_year(value)) is not None:
        return str(year)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def excel_year(value: dt.datetime | dt.date) -> int | None:
    """The year a ``yyyy``-formatted Excel cell holds, or ``None``.

    Excel stores 2020 as the serial number 2020 and a ``yyyy`` number format shows it as
    a date (1905-07-12), which the reader returns; a midnight date whose serial number lies
    in 1900–2100 (dates 1905-03-14 … 1905-10-02, none plausible in registry data) is taken
    as that year.
    """
    if isinstance(value, dt.datetime) and value.time() != dt.time():
        return None
    day = dt.datetime(value.year, value.month, value.day)
    serial = (day - _EXCEL_EPOCH).days
    return serial if 1900 <= serial <= 2100 else None


def _sheet_index(names: list[str], sheet: str | None, path: Path) -> int:
    """The index of ``sheet`` (a sheet name, or a 1-based number) among ``names``."""
    if sheet is None:
        return 0
    if sheet in names:
        return names.index(sheet)
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return int(sheet) - 1
    raise InputError(
        f"{path}: no sheet {sheet!r}; the workbook has {', '.join(repr(n) for n in names)}"
        " (give a name or a number from 1)"
    )


def _require_excel(path: Path, fmt: str) -> None:
    if fmt != "xlsx":
        raise InputError(f"{path}: a sheet was given, but this is a {fmt} file, not Excel")


def _unreadable(path: Path, exc: Exception) -> InputError:
    return InputError(f"{path}: unreadable Excel file (truncated or corrupt?): {exc}")


def _open_workbook(path: Path) -> tuple[Any, list[str]]:
    """The calamine workbook at ``path`` and its sheet names; a broken file is an InputError."""
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(path))
        return workbook, list(workbook.sheet_names)
    except Exception as exc:  # calamine raises its own error types for broken zips/XML
        raise _unreadable(path, exc) from None


def sheet_name(path: Path, sheet: str) -> str:
    """The name of ``sheet`` (a name or a 1-based number) in the workbook at ``path``."""
    _require_excel(path, detect_format(path))
    _, names = _open_workbook(path)
    return names[_sheet_index(names, sheet, path)]


def read_xlsx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sheet: str | None = None,
    header_row: int | None = None,
    score: Score | None = None,
) -> RawTable:
    """Load one sheet of an XLSX/XLS workbook (python-calamine) as text: ``sheet`` by name or
    1-based number, default the first.

    Title rows above the header are skipped and a two-row header is joined
    (:func:`~clusteratlas.ingest.headers.locate_header`); ``__row`` is the Excel row number.
    Numbers become their shortest text (``2020.0`` → ``2020``), dates ISO ``YYYY-MM-DD``.
    """
    workbook, names = _open_workbook(path)
    if not names:
        raise InputError(f"{path}: workbook has no sheets")
    index = _sheet_index(names, sheet, path)
    try:
        rows = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken zips/XML
        raise _unreadable(path, exc) from None
    source = str(path) if sheet is None else f"{path}[{names[index]}]"
    texts = [[_cell_text(v) for v in r] for r in rows]
    if not any(any(v is not None for v in r) for r in texts):
        raise InputError(f"{path}: empty file (sheet {names[index]!r} has no cells)")
    spec = locate_header(texts, score, header_row, source)
    body = [(n, r) for n, r in enumerate(texts[spec.data_start - 1 :], start=spec.data_start)]
    body = [(n, r) for n, r in body if any(v is not None for v in r)]
    width = max([len(spec.names), *(len(r) for _, r in body)])
    headers = spec.names + [""] * (width - len(spec.names))
    columns = {"__row": pa.array([n for n, _ in body], type=pa.int64())}
    columns |= {
        str(i): pa.array([r[i] if i < len(r) else None for _, r in body], type=pa.string())
        for i in range(width)
    }
    arrow = pa.table(columns)
    table = _name()
    con.register(table + "_arrow", arrow)
    try:
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {table}_arrow")
    finally:
        con.unregister(table + "_arrow")
    return _finish(con, table, headers, "__row", source, "xlsx", None, [], skip_notes=True)


def read_frame(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, name: str) -> RawTable:
    """Load a pandas frame; every column is cast to text by DuckDB (vectorised)."""
    if len(frame.columns) == 0:
        raise InputError(f"{name}: empty frame (no columns)")
    headers = [str(c) for c in frame.columns]
    renamed = frame.set_axis([f"x{i}" for i in range(len(headers))], axis=1)
    table = _name()
    con.register(table + "_df", renamed)
    try:
        select = ", ".join(f'CAST("x{i}" AS VARCHAR) AS "{i}"' for i in range(len(headers)))
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT {select} FROM {table}_df")
    finally:
        con.unregister(table + "_df")
    return _finish(con, table, headers, "rowid + 1", name, "frame", None, [])


def read_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sheet: str | None = None,
    header_row: int | None = None,
    score: Score | None = None,
    typed: TypedColumns | None = None,
) -> RawTable:
    """Detect the format of ``path`` and load it (see the module docstring); ``sheet``
    picks an Excel sheet (an error for other formats); ``header_row`` forces the header's
    physical row and ``score`` rates candidate header rows (CSV and Excel only); ``typed``
    names columns CSV and Parquet may read as numbers (:func:`read_csv`)."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file (0 bytes)")
    fmt = detect_format(path)
    if sheet is not None:
        _require_excel(path, fmt)
    limits.check_file(path)
    if fmt == "parquet":
        if header_row is not None:
            raise InputError(f"{path}: --header-row applies to CSV and Excel, not Parquet")
        limits.check_parquet(path)
        return read_parquet(con, path, typed)
    if fmt == "xlsx":
        limits.check_xlsx(path)
        return read_xlsx(con, path, sheet, header_row, score)
    return read_csv(con, path, header_row, score, typed)
