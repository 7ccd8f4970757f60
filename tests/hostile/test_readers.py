"""Encodings and Excel cell formats that used to read wrong (issue 14, item 11)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import pytest

from clusteratlas.ingest.readers import detect_encoding, excel_year, read_file


def _rows(path: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    raw = read_file(con, path)
    return con.execute(f"SELECT * EXCLUDE (__row) FROM {raw.source}").fetchall()


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-le", "utf-32-be", "utf-16"])
def test_utf32_is_not_taken_for_utf16(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "x.csv"
    text = "firm_id,name\nF1,北京甲公司\n"
    data = text.encode(encoding)
    if encoding.endswith(("-le", "-be")):  # explicit-endian codecs write no BOM
        bom = "\ufeff".encode(encoding)
        data = bom + data
    path.write_bytes(data)
    assert detect_encoding(path) == ("utf-32" if "32" in encoding else "utf-16")
    assert _rows(path) == [("F1", "北京甲公司")]


def test_yyyy_formatted_excel_year_reads_as_the_year(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append(["region", "year", "founded"])
    sheet.append(["110000", 2023, None])
    sheet["B2"].number_format = "yyyy"
    import datetime as dt

    sheet["C2"] = dt.datetime(2016, 12, 22)
    wb.save(tmp_path / "y.xlsx")
    assert zipfile.is_zipfile(tmp_path / "y.xlsx")
    assert _rows(tmp_path / "y.xlsx") == [("110000", "2023", "2016-12-22")]


def test_excel_year_only_for_plausible_serials() -> None:
    import datetime as dt

    assert excel_year(dt.date(1905, 7, 15)) == 2023
    assert excel_year(dt.date(2016, 12, 22)) is None
    assert excel_year(dt.datetime(1905, 7, 15, 12, 0)) is None
