"""Resource limits are checked before a file is read (issue 14, items 1, 5, 7)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clirun import run_cli
from clusteratlas.errors import InputError
from clusteratlas.ingest import limits
from clusteratlas.ingest.limits import Limits
from hostile.conftest import assert_one_error
from hostile.payloads import csv_long_last_row, parquet_row_bomb, xlsx_dimension_bomb


@pytest.mark.parametrize("ref", ["A1:XFD1048576", "A1:XFD16000"])
def test_xlsx_dimension_bomb_is_a_clear_error_from_the_cli(
    tmp_path: Path, workspace: Path, ref: str
) -> None:
    bomb = xlsx_dimension_bomb(tmp_path, ref)
    assert bomb.stat().st_size < 4096
    started = time.monotonic()
    result = run_cli("import", "firms", str(bomb), "-w", str(workspace), timeout=120)
    assert_one_error(result, 2, "bomb.xlsx", "limit", "CLUSTERATLAS_MAX_CELLS")
    assert time.monotonic() - started < 60


def test_xlsx_cell_far_away_without_a_dimension_is_caught(tmp_path: Path) -> None:
    """No <dimension>: the cell references themselves are measured, never trusted."""
    path = xlsx_dimension_bomb(tmp_path, "A1:XFD1048576")
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b'<dimension ref="A1:XFD1048576"/>', b"")
    stripped = tmp_path / "nodim.xlsx"
    with zipfile.ZipFile(stripped, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    with pytest.raises(InputError, match="limit_cells"):
        limits.check_xlsx(stripped)


def test_xlsx_shared_strings_are_counted(tmp_path: Path) -> None:
    path = xlsx_dimension_bomb(tmp_path, "A1:B2")
    sst = b'<sst xmlns="x" uniqueCount="5">' + b"<si><t>a</t></si>" * 5 + b"</sst>"
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/sharedStrings.xml", sst)
    limits.check_xlsx(path, Limits(max_shared_strings=5))
    with pytest.raises(InputError, match="limit_shared_strings"):
        limits.check_xlsx(path, Limits(max_shared_strings=4))


def test_a_normal_workbook_passes(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    for i in range(200):
        sheet.append([f"F{i}", f"name {i}", i])
    wb.save(tmp_path / "ok.xlsx")
    limits.check_xlsx(tmp_path / "ok.xlsx", Limits(max_cells=600, max_rows=200))
    with pytest.raises(InputError, match="limit_rows"):
        limits.check_xlsx(tmp_path / "ok.xlsx", Limits(max_rows=199))


def test_parquet_rows_are_checked_from_the_footer(tmp_path: Path, workspace: Path) -> None:
    path = parquet_row_bomb(tmp_path, rows=5_000)
    result = run_cli(
        "import", "firms", str(path), "-w", str(workspace), env={"CLUSTERATLAS_MAX_ROWS": "4999"}
    )
    assert_one_error(result, 2, "rows.parquet", "5,000", "CLUSTERATLAS_MAX_ROWS")


@pytest.mark.slow
def test_twenty_million_row_parquet_ends_in_a_clear_error(tmp_path: Path, workspace: Path) -> None:
    path = parquet_row_bomb(tmp_path)
    assert path.stat().st_size < 2 << 20
    started = time.monotonic()
    result = run_cli("import", "firms", str(path), "-w", str(workspace))
    assert_one_error(result, 2, "20,000,000", "limit_rows")
    assert time.monotonic() - started < 60


def test_long_final_csv_row_is_an_error_not_a_silent_drop(tmp_path: Path, workspace: Path) -> None:
    """Before: DuckDB dropped a final row above its line limit and reported 2 rows, exit 0."""
    path = tmp_path / "long.csv"
    path.write_text("firm_id,name\nF1,a\nF2,b\nF3," + "y" * 5000 + "\n", encoding="utf-8")
    result = run_cli(
        "import",
        "firms",
        str(path),
        "-w",
        str(workspace),
        env={"CLUSTERATLAS_MAX_LINE_BYTES": "4KB"},
    )
    assert_one_error(result, 2, "line 4", "limit_line_bytes")


@pytest.mark.slow
def test_45_mb_final_csv_row_is_an_error(tmp_path: Path, workspace: Path) -> None:
    path = csv_long_last_row(tmp_path, mb=45)
    result = run_cli("import", "firms", str(path), "-w", str(workspace))
    assert_one_error(result, 2, "line 4", "limit_line_bytes")


def test_very_wide_csv_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(30_000))
    path.write_text(header + "\n" + ",".join("1" * 30_000) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="limit_columns"):
        limits.check_csv(path, 30_000)


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=30),
    limit=st.integers(min_value=1, max_value=200),
    final_newline=st.booleans(),
)
def test_check_csv_finds_exactly_the_lines_over_the_limit(
    tmp_path_factory: pytest.TempPathFactory, lines: list[int], limit: int, final_newline: bool
) -> None:
    """Property: an error iff some line (without its newline) is longer than the limit, and
    it names the first such line — whatever the chunking (chunks = limit bytes)."""
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    body = "\n".join("a" * n for n in lines) + ("\n" if final_newline else "")
    path.write_bytes(body.encode())
    over = [i for i, n in enumerate(lines, start=1) if n > limit]
    if over:
        with pytest.raises(InputError, match=f"line {over[0]} "):
            limits.check_csv(path, 1, Limits(max_line_bytes=limit))
    else:
        limits.check_csv(path, 1, Limits(max_line_bytes=limit))


def test_limits_come_from_the_environment() -> None:
    env = {"CLUSTERATLAS_MAX_ROWS": "20_000_000", "CLUSTERATLAS_MAX_LINE_BYTES": "8MB"}
    policy = Limits.from_env(env)
    assert policy.max_rows == 20_000_000 and policy.max_line_bytes == 8 << 20
    assert policy.max_cells == Limits().max_cells
    with pytest.raises(InputError, match="CLUSTERATLAS_MAX_ROWS"):
        Limits.from_env({"CLUSTERATLAS_MAX_ROWS": "many"})
    assert limits.parse_amount("1.5GiB", "x") == 3 << 29


def test_zero_means_unlimited(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a\n" + "b" * 100 + "\n")
    limits.check_csv(path, 1, Limits(max_line_bytes=0, max_columns=0))


@pytest.mark.parametrize(("letters", "number"), [("A", 1), ("Z", 26), ("AA", 27), ("XFD", 16384)])
def test_column_number(letters: str, number: int) -> None:
    assert limits.column_number(letters) == number


@settings(max_examples=15, deadline=None)
@given(
    n_rows=st.integers(min_value=1, max_value=60),
    n_cols=st.integers(min_value=1, max_value=60),
    gap=st.integers(min_value=0, max_value=3),
)
def test_sheet_scan_measures_what_openpyxl_wrote(
    tmp_path_factory: pytest.TempPathFactory, n_rows: int, n_cols: int, gap: int
) -> None:
    """Property: the scan reports the last row and column and the number of cells of a
    workbook (with ``gap`` empty rows before the data)."""
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    for _ in range(gap):
        sheet.append([])
    for r in range(n_rows):
        sheet.append([f"v{r}-{c}" for c in range(n_cols)])
    path = tmp_path_factory.mktemp("x") / "s.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        extent = limits._scan_sheet(archive, info, Limits())
    assert (extent.rows, extent.columns, extent.cells) == (gap + n_rows, n_cols, n_rows * n_cols)
