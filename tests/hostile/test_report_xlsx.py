"""A report XLSX from a workspace whose firm and dataset names look like formulas has no
formula cell (issue 14, item 6) — end to end through ``clusteratlas report --xlsx``."""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import pytest

from clirun import run_cli
from hostile.test_outputs import NAMES


@pytest.mark.slow
def test_report_xlsx_has_no_formula_cells(tmp_path: Path) -> None:
    from clusteratlas.demo import build_workspace
    from clusteratlas.synth import parse_years
    from clusteratlas.synth.generator import min_firms

    years = "2019-2020"
    ws, _ = build_workspace(tmp_path, firms=min_firms(parse_years(years)), seed=0, years=years)
    ws.close()
    path = tmp_path / "workspace.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TEMP TABLE ranked AS SELECT firm_id, row_number() OVER (ORDER BY sum(revenue) "
        "DESC) AS rn FROM firm_year GROUP BY firm_id"
    )
    for i, name in enumerate(NAMES):
        con.execute(
            "UPDATE firm SET name = ? WHERE firm_id IN (SELECT firm_id FROM ranked "
            "WHERE rn % ? = ?)",
            [name, len(NAMES), i],
        )
    con.execute("UPDATE dataset SET name = '=1+2' WHERE kind = 'firms'")
    con.close()
    result = run_cli(
        "report",
        "-w",
        str(path),
        "--xlsx",
        "--out",
        str(tmp_path / "r.html"),
        "--n-sim",
        "50",
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    with zipfile.ZipFile(tmp_path / "r.xlsx") as zf:
        texts = {n: zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/")}
    assert texts and not [n for n, t in texts.items() if b"<f>" in t or b"<f " in t]
    assert any(b"HYPERLINK" in t for t in texts.values())  # the names are in it, as text
