"""Hostile payloads, generated at test time (no large binaries in the repository).

Each function writes one file into a folder and returns its path; sizes are small on disk
while the *claims* inside the files (dimensions, row counts, line lengths) are huge.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_OOXML = "http://schemas.openxmlformats.org"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_REL = f"{_OOXML}/officeDocument/2006/relationships"
_CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{_SHEET_TYPE}.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SHEET_TYPE}.worksheet+xml"/>
</Types>"""
_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
_WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>
</Relationships>"""


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def xlsx_dimension_bomb(folder: Path, ref: str = "A1:XFD1048576", name: str = "bomb") -> Path:
    """A ~2 KB workbook whose sheet claims the dimension ``ref`` but holds two rows of a
    firms table; the last cell sits at the far corner so readers trusting the claim
    allocate it all."""
    last = ref.split(":")[1]
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{ref}"/><sheetData>'
        f'<row r="1">{_inline("A1", "firm_id")}{_inline("B1", "name")}</row>'
        f'<row r="2">{_inline("A2", "F1")}{_inline("B2", "x")}</row>'
        f'<row r="{"".join(ch for ch in last if ch.isdigit())}">{_inline(last, "z")}</row>'
        "</sheetData></worksheet>"
    )
    path = folder / f"{name}.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def parquet_row_bomb(folder: Path, rows: int = 20_000_000) -> Path:
    """A small Parquet file (a few hundred KB) that holds ``rows`` identical firm rows."""
    path = folder / "rows.parquet"
    chunk = 1_000_000
    schema = pa.schema([("firm_id", pa.string()), ("name", pa.string())])
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        block = pa.table(
            {"firm_id": pa.array(["F1"] * chunk), "name": pa.array(["x"] * chunk)}, schema=schema
        )
        done = 0
        while done < rows:
            n = min(chunk, rows - done)
            writer.write_table(block.slice(0, n))
            done += n
    return path


def csv_long_last_row(folder: Path, mb: int = 45) -> Path:
    """A firms CSV of two good rows and a final row whose one field is ``mb`` MB long."""
    path = folder / "long_row.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("firm_id,name\nF1,a\nF2,b\nF3,")
        handle.write("y" * (mb * 1024 * 1024))
        handle.write("\n")
    return path
