"""Resource limits of imports, checked **before** a file is read.

A file's own claims are checked against a :class:`Limits` policy before any reader
allocates memory for it: an XLSX sheet's dimension and cell references (peeked from the
zip's XML, streamed, never trusted), its shared-strings part and the uncompressed size of
each part; a Parquet file's row and column counts from its footer metadata; a CSV's size,
header width and the length of its longest line. A breach is an :class:`InputError`
naming the file, the measured value, the limit and the environment variable that
changes it (rule ``limit_*``), so a 2 KB workbook that claims A1:XFD1048576 or a 500 KB
Parquet file of 20 million rows ends in one clear message within a second.

The defaults (see ``docs/limits.md``) fit a city or province registry on a laptop; each
one is configurable by an environment variable ``CLUSTERATLAS_MAX_*`` (``0`` = no limit).
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass, fields, replace
from pathlib import Path

from clusteratlas.errors import InputError

MIB = 1 << 20
_CHUNK = 4 * MIB


@dataclass(frozen=True)
class Limits:
    """One import policy; every field is a count or a size in bytes (``0`` = unlimited)."""

    max_file_bytes: int = 4096 * MIB
    """Bytes of one input file on disk (CSV, XLSX, Parquet)."""
    max_rows: int = 10_000_000
    """Data rows of one file (firm-years of a province fit; national registries use
    ``--parquet DIR``, see docs/scale.md)."""
    max_columns: int = 1_000
    """Columns of one file."""
    max_line_bytes: int = 2 * MIB
    """Bytes of one physical CSV line (DuckDB's own line limit is 2 MiB)."""
    max_cells: int = 10_000_000
    """Cells of one XLSX sheet: (last row) × (last column) as the reader would allocate
    them, and the number of cell elements."""
    max_xml_bytes: int = 1024 * MIB
    """Uncompressed bytes of one XLSX part (a sheet or the shared strings)."""
    max_shared_strings: int = 10_000_000
    """Entries of an XLSX workbook's shared-strings table."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        """The defaults overridden by ``CLUSTERATLAS_MAX_<FIELD>`` variables (e.g.
        ``CLUSTERATLAS_MAX_ROWS=20000000``); sizes accept ``KB``/``MB``/``GB`` suffixes."""
        env = os.environ if environ is None else environ
        changes: dict[str, int] = {}
        for f in fields(cls):
            name = env_name(f.name)
            if name in env:
                changes[f.name] = parse_amount(env[name], name)
        return replace(cls(), **changes)


def env_name(field_name: str) -> str:
    """The variable of a :class:`Limits` field: ``max_rows`` → ``CLUSTERATLAS_MAX_ROWS``."""
    return "CLUSTERATLAS_" + field_name.upper()


def parse_amount(text: str, what: str) -> int:
    """``"20000000"``, ``"2MB"``, ``"1.5GB"`` → an int (binary units: 1 MB = 2**20 bytes)."""
    match = re.fullmatch(r"\s*([0-9_]+(?:\.[0-9]+)?)\s*(?:([KMG])i?B?)?\s*", text, re.I)
    if not match:
        raise InputError(f"{what}={text!r}: not a number (e.g. 20000000, 512MB, 2GB)")
    scale = {None: 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[
        match.group(2).upper() if match.group(2) else None
    ]
    return int(float(match.group(1).replace("_", "")) * scale)


def _breach(path: Path | str, what: str, value: int, limit: int, field_name: str) -> InputError:
    return InputError(
        f"{Path(path).name}: {what} {value:,} exceeds the limit of {limit:,} "
        f"(set {env_name(field_name)} to raise it) [rule: limit_{field_name.removeprefix('max_')}]"
    )


def _check(path: Path | str, what: str, value: int, limits: Limits, field_name: str) -> None:
    limit = getattr(limits, field_name)
    if limit and value > limit:
        raise _breach(path, what, value, limit, field_name)


# ---------------------------------------------------------------------- any file
def check_file(path: Path, limits: Limits | None = None) -> None:
    """The file's size on disk."""
    policy = limits or Limits.from_env()
    _check(path, "file size (bytes)", path.stat().st_size, policy, "max_file_bytes")


# ---------------------------------------------------------------------- CSV
def check_columns(path: Path | str, columns: int, limits: Limits | None = None) -> None:
    """The header's width (number of columns) of a file already located."""
    _check(path, "columns", columns, limits or Limits.from_env(), "max_columns")


def check_csv(path: Path, columns: int | None = None, limits: Limits | None = None) -> None:
    """The longest physical line of a (UTF-8) CSV, streamed at C speed, and the header width
    when ``columns`` is given (else check it with :func:`check_columns` once it is known).

    With chunks no longer than the line limit a too-long line always spans a chunk
    boundary, so only the stretch around each boundary is measured.
    """
    policy = limits or Limits.from_env()
    if columns is not None:
        check_columns(path, columns, policy)
    limit = policy.max_line_bytes
    if not limit:
        return
    chunk_size = min(_CHUNK, limit)
    run = 0  # bytes since the last newline
    line = 1
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            first = chunk.find(b"\n")
            if first < 0:
                run += len(chunk)
            else:
                run += first
            if run > limit:
                raise InputError(
                    f"{Path(path).name}: line {line} is longer than {limit:,} bytes (at least "
                    f"{run:,}); a CSV row this long is not tabular data "
                    f"(set {env_name('max_line_bytes')} to raise it) [rule: limit_line_bytes]"
                )
            if first >= 0:
                line += chunk.count(b"\n")
                run = len(chunk) - chunk.rfind(b"\n") - 1


# ---------------------------------------------------------------------- Parquet
def check_parquet(path: Path, limits: Limits | None = None) -> None:
    """Rows and columns from the Parquet footer (no data page is read)."""
    import pyarrow.parquet as pq

    policy = limits or Limits.from_env()
    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:  # pyarrow raises ArrowInvalid/OSError on broken footers
        raise InputError(f"{Path(path).name}: cannot read as Parquet: {exc}") from None
    _check(path, "columns", int(meta.num_columns), policy, "max_columns")
    _check(path, "rows", int(meta.num_rows), policy, "max_rows")


# ---------------------------------------------------------------------- XLSX
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([^"]*)"')
# one pass per element kind: every <c …> / <row …> element, with its reference captured
# when it is the first attribute (as Excel, LibreOffice and openpyxl write it); a sheet
# written with namespace prefixes (<x:c …>) gets the slower prefix-tolerant patterns
_CELLS = re.compile(rb'<c(?:\s+r="([A-Za-z]{1,3})[0-9]|[\s>/])')
_ROWS = re.compile(rb'<row(?:\s+r="([0-9]{1,9})"|[\s>/])')
_CELLS_NS = re.compile(rb'<(?:\w+:)?c(?:\s+r="([A-Za-z]{1,3})[0-9]|[\s>/])')
_ROWS_NS = re.compile(rb'<(?:\w+:)?row(?:\s+r="([0-9]{1,9})"|[\s>/])')
_PREFIXED = re.compile(rb"<\w+:worksheet\b")
_SST_COUNT = re.compile(rb'<(?:\w+:)?sst\b[^>]*?\buniqueCount="([0-9]+)"')
_SI_TAG = re.compile(rb"<(?:\w+:)?si[\s>/]")


def column_number(letters: str) -> int:
    """``A`` → 1, ``Z`` → 26, ``AA`` → 27, ``XFD`` → 16384."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + (ord(ch) - 64)
    return number


def _ref_extent(ref: str) -> tuple[int, int] | None:
    """(rows, columns) of the last cell of an A1 range such as ``A1:XFD1048576``."""
    match = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,9})", ref.split(":")[-1].strip())
    if not match:
        return None
    return int(match.group(2)), column_number(match.group(1))


@dataclass
class SheetExtent:
    """What a sheet's XML says about its size (before any reader sees it)."""

    rows: int = 0
    columns: int = 0
    cells: int = 0
    claimed: tuple[int, int] | None = None


def _sheet_parts(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return [
        info
        for info in archive.infolist()
        if re.fullmatch(r"xl/worksheets/[^/]+\.xml", info.filename, re.IGNORECASE)
    ]


def _scan_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> SheetExtent:
    """Stream one sheet's XML: its claimed dimension, the largest row and column its cell
    references name, and the number of rows and cells (references may be omitted)."""
    extent = SheetExtent()
    tail = b""
    seen = 0
    refs = 0
    row_tags = 0
    cells, rows = _CELLS, _ROWS
    with archive.open(info) as handle:
        while block := handle.read(_CHUNK):
            seen += len(block)
            if limits.max_xml_bytes and seen > limits.max_xml_bytes:
                raise _breach(
                    archive.filename or "workbook",
                    f"uncompressed size of {info.filename} (bytes)",
                    seen,
                    limits.max_xml_bytes,
                    "max_xml_bytes",
                )
            # keep the bytes after the last '>' for the next round, so no tag is split
            data = tail + block
            cut = data.rfind(b">") + 1
            data, tail = data[:cut], data[cut:]
            if seen == len(block) and _PREFIXED.search(data):
                cells, rows = _CELLS_NS, _ROWS_NS
            if extent.claimed is None and (dim := _DIMENSION.search(data)):
                extent.claimed = _ref_extent(dim.group(1).decode("ascii", "replace"))
            row_refs = rows.findall(data)
            row_tags += len(row_refs)
            numbers = [int(r) for r in set(row_refs) if r]
            extent.rows = max(extent.rows, *numbers) if numbers else extent.rows
            letters = cells.findall(data)
            extent.cells += len(letters)
            named = set(letters)
            named.discard(b"")
            refs += len(letters) - letters.count(b"")
            if named:
                widest = max(named, key=lambda s: (len(s), s.upper()))
                extent.columns = max(extent.columns, column_number(widest.decode()))
    # rows without a reference follow one another: at least as many rows as <row> elements
    extent.rows = max(extent.rows, row_tags)
    if refs < extent.cells:
        # some cells carry no reference: they sit one after another, so a row is at most
        # as wide as all the cells (bounded conservatively by the cell count itself)
        extent.columns = max(extent.columns, min(extent.cells, 16384))
    return extent


def check_xlsx(path: Path, limits: Limits | None = None) -> None:
    """Sheet dimensions, cell references and shared strings of an XLSX, from its XML.

    Not a zip (old binary ``.xls``): only the file size applies. A broken zip is left to
    the reader, which reports it.
    """
    policy = limits or Limits.from_env()
    if not zipfile.is_zipfile(path):
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    name = Path(path).name
    with archive:
        for info in archive.infolist():
            _check(
                name,
                f"uncompressed size of {info.filename} (bytes)",
                info.file_size,
                policy,
                "max_xml_bytes",
            )
        for info in _sheet_parts(archive):
            try:
                extent = _scan_sheet(archive, info, policy)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError):
                return  # corrupt: the reader reports it
            part = info.filename.rsplit("/", 1)[-1]
            if extent.claimed is not None:
                rows, cols = extent.claimed
                _check(
                    name,
                    f"sheet {part} claims a dimension of {rows:,} rows × {cols:,} columns; cells",
                    rows * cols,
                    policy,
                    "max_cells",
                )
            _check(
                name,
                f"sheet {part}: cells (last row × last column)",
                extent.rows * extent.columns,
                policy,
                "max_cells",
            )
            _check(name, f"sheet {part}: cell elements", extent.cells, policy, "max_cells")
            _check(name, f"sheet {part}: rows", extent.rows, policy, "max_rows")
            _check(name, f"sheet {part}: columns", extent.columns, policy, "max_columns")
        _check_shared_strings(archive, name, policy)


def _check_shared_strings(archive: zipfile.ZipFile, name: str, policy: Limits) -> None:
    infos = [i for i in archive.infolist() if i.filename.lower() == "xl/sharedstrings.xml"]
    if not infos or not policy.max_shared_strings:
        return
    count = 0
    claimed: int | None = None
    tail = b""
    try:
        with archive.open(infos[0]) as handle:
            while block := handle.read(_CHUNK):
                data = tail + block
                cut = data.rfind(b">") + 1
                data, tail = data[:cut], data[cut:]
                if claimed is None and (match := _SST_COUNT.search(data)):
                    claimed = int(match.group(1))
                count += len(_SI_TAG.findall(data))
                if count > policy.max_shared_strings:
                    break
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return
    _check(name, "shared strings", max(count, claimed or 0), policy, "max_shared_strings")
