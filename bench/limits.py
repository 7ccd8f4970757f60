"""Cost of the import limits (``clusteratlas.ingest.limits``) against the read they guard.

Generates a firm-years-like CSV of N rows (default 2,000,000) and an XLSX sheet of M rows ×
6 columns (default 200,000), then times, in the same run:

* ``check_csv`` (line-length scan) vs DuckDB ``read_csv`` of the same file (count(*));
* ``check_xlsx`` (zip XML peek) vs python-calamine reading the sheet (what the reader does);
* the bombs: ``check_xlsx`` on an A1:XFD1048576 dimension bomb and ``check_parquet`` on a
  20M-row Parquet file — the time to the error, vs the baseline reads above.

Prints a Markdown block with ratios (check ÷ read) and appends it to bench/RESULTS.md.

    .venv/bin/python bench/limits.py --rows 2000000 --xlsx-rows 200000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _harness import conditions, machine

from clusteratlas.errors import InputError
from clusteratlas.ingest import limits
from hostile.payloads import parquet_row_bomb, xlsx_dimension_bomb


def timed(work: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def refused(work: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            work()
        except InputError:
            return
        raise AssertionError("the bomb was not refused")

    return run


def make_csv(folder: Path, rows: int) -> Path:
    path = folder / "firm_years.csv"
    duckdb.execute(
        f"COPY (SELECT 'F' || (i % 100000) AS firm_id, 2015 + i % 10 AS year, "
        f"random() * 1e8 AS revenue, (i % 500)::INT AS employees, '北京' || (i % 97) AS note "
        f"FROM range({rows}) t(i)) TO '{path}' (HEADER)"
    )
    return path


def make_xlsx(folder: Path, rows: int) -> Path:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet()
    sheet.append(["firm_id", "year", "revenue", "employees", "name", "region"])
    for i in range(rows):
        sheet.append([f"F{i}", 2015 + i % 10, i * 1.5, i % 500, f"企业{i}", "110108"])
    path = folder / "firms.xlsx"
    wb.save(path)
    return path


def read_xlsx_calamine(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    return len(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    policy = limits.Limits()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv = make_csv(folder, args.rows)
        xlsx = make_xlsx(folder, args.xlsx_rows)
        bomb = xlsx_dimension_bomb(folder)
        rows_bomb = parquet_row_bomb(folder)
        con = duckdb.connect()
        results = [
            (
                f"CSV {args.rows:,} rows ({csv.stat().st_size / 2**20:.0f} MiB)",
                timed(lambda: limits.check_csv(csv, 5, policy), args.repeat),
                timed(
                    lambda: con.execute(f"SELECT count(*) FROM read_csv('{csv}')").fetchone(),
                    args.repeat,
                ),
                "DuckDB read_csv count(*)",
            ),
            (
                f"XLSX {args.xlsx_rows:,} rows × 6 ({xlsx.stat().st_size / 2**20:.1f} MiB)",
                timed(lambda: limits.check_xlsx(xlsx, policy), args.repeat),
                timed(lambda: read_xlsx_calamine(xlsx), 1),
                "python-calamine to_python",
            ),
        ]
        bombs = [
            ("XLSX A1:XFD1048576 bomb (2 KB)", timed(refused(lambda: limits.check_xlsx(bomb)), 3)),
            (
                "Parquet 20,000,000 rows",
                timed(refused(lambda: limits.check_parquet(rows_bomb)), 3),
            ),
        ]
    lines = [
        "",
        f"## limits — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"- machine: {machine('duckdb', 'python-calamine', extra='median of runs')}",
        f"- conditions: {conditions(load)}",
        "- check = `clusteratlas.ingest.limits` before the read; baseline = the read it guards.",
        "",
        "| file | check (s) | baseline (s) | baseline | check ÷ baseline |",
        "|---|---|---|---|---|",
    ]
    for name, check, base, label in results:
        lines.append(f"| {name} | {check:.3f} | {base:.3f} | {label} | {check / base:.2f} |")
    lines += ["", "| bomb | time to the error (ms) |", "|---|---|"]
    lines += [f"| {name} | {seconds * 1000:.2f} |" for name, seconds in bombs]
    block = "\n".join(lines) + "\n"
    print(block)
    with (Path(__file__).resolve().parent / "RESULTS.md").open("a", encoding="utf-8") as out:
        out.write(block)


if __name__ == "__main__":
    main()
