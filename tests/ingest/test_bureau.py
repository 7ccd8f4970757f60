"""Bureau-grade exports (issue 12): title rows, two-row headers, district names and zones,
万元 headers, '-' blanks, unit plausibility, re-import with a new mapping, drop.

Workbooks are built here with openpyxl (no binaries in the repo). Each ``test_bug_*`` failed
on the code before issue 12.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import openpyxl
import pytest

from clirun import run_cli
from clusteratlas.errors import ValidationError, WorkspaceError
from clusteratlas.ingest.uscc import make_uscc
from clusteratlas.workspace import Workspace

DISTRICTS = [
    ("海淀区", "110108", None),
    ("北京市朝阳区", "110105", None),
    ("丰台", "110106", None),
    ("北京经济技术开发区", "110115", "北京经济技术开发区"),
]


def _uscc(i: int, division: str = "110000") -> str:
    return make_uscc("91" + division, f"M{i:06d}Y")


def bureau_book(path: Path, scale: float = 1.0, n: int = 12) -> Path:
    """A bureau export: merged title rows, 企业名录 and 经营数据 (money in 万元 × ``scale``)."""
    book = openpyxl.Workbook()
    firms = book.active
    assert firms is not None
    firms.title = "企业名录"
    firms.append(["2024年北京市高精尖产业企业名录"])
    firms.merge_cells("A1:F1")
    firms.append(["序号", "企业名称", "统一社会信用代码", "注册区", "行业代码", "成立日期"])
    years = book.create_sheet("经营数据")
    years.append(["重点企业经营数据（2022—2023年）"])
    years.merge_cells("A1:E1")
    years.append(["统一社会信用代码", "年份", "营业收入（万元）", "从业人员", "研发费用（万元）"])
    for i in range(n):
        district = DISTRICTS[i % len(DISTRICTS)]
        name = f"北京测试{i}科技有限公司"
        firms.append([i + 1, name, _uscc(i), district[0], "C2710", "2012-05-08"])
        for year in (2022, 2023):
            revenue = 1000.0 * (i + 1) + year - 2022
            rd = "-" if i % 3 == 0 else revenue * 0.05
            years.append([_uscc(i), year, revenue * scale, 50 + i, rd if rd == "-" else rd * scale])
    book.save(path)
    return path


cli = partial(run_cli, timeout=600)


def _rows(ws_path: Path, sql: str) -> list[tuple[object, ...]]:
    import duckdb

    con = duckdb.connect(str(ws_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_bureau_workbook_end_to_end_cli(tmp_path: Path) -> None:
    book = bureau_book(tmp_path / "bureau.xlsx")
    ws = tmp_path / "ws.duckdb"
    firms = cli("import", "firms", str(book), "--sheet", "企业名录", "-w", str(ws))
    years = cli("import", "firm-years", str(book), "--sheet", "经营数据", "-w", str(ws))
    for done in (firms, years):
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    assert "units: 营业收入（万元） [万元] ×10⁴ → 元" in years.stderr  # title row not joined
    assert "ignored columns: 序号\n" in firms.stderr
    got = _rows(ws, "SELECT uscc, region, zone FROM firm ORDER BY uscc")
    expected = sorted((_uscc(i), *DISTRICTS[i % 4][1:]) for i in range(12))
    assert got == expected
    revenue = _rows(
        ws, f"SELECT revenue, rd_spend FROM firm_year WHERE firm_id = '{_uscc(1)}' AND year = 2022"
    )
    assert revenue == [(2000.0 * 1e4, 2000.0 * 0.05 * 1e4)]
    blanks = _rows(ws, "SELECT count(*) FROM firm_year WHERE rd_spend IS NULL")
    assert blanks == [(8,)]  # firms 0, 3, 6, 9 × two years wrote '-'
    # a new --map re-imports (the mapping is part of the content) and is applied
    again = cli(
        "import",
        "firms",
        str(book),
        "--sheet",
        "企业名录",
        "-w",
        str(ws),
        "--map",
        "企业名称=scope",
        "--replace",
    )
    assert again.returncode == 0 and "replaced 12 rows" in again.stderr, again.stderr
    assert _rows(ws, "SELECT count(*) FROM firm WHERE name IS NULL AND scope LIKE '北京测试%'") == [
        (12,)
    ]
    dropped = cli("drop", "bureau.企业名录", "-w", str(ws))
    assert dropped.returncode == 0, dropped.stderr
    assert _rows(ws, "SELECT count(*) FROM firm") == [(0,)]
    assert _rows(ws, "SELECT count(*) FROM dataset WHERE name = 'bureau.企业名录'") == [(0,)]


def test_bug_yuan_under_wanyuan_header_is_refused(tmp_path: Path) -> None:
    book = bureau_book(tmp_path / "yuan.xlsx", scale=1e4, n=20)
    ws = tmp_path / "ws.duckdb"
    done = cli("import", "firm-years", str(book), "--sheet", "经营数据", "-w", str(ws))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "万元" in done.stderr and "implausible" in done.stderr
    assert "营业收入（元）" in done.stderr  # the hint names the fix
    assert _rows(ws, "SELECT count(*) FROM firm_year") == [(0,)]


def test_yuan_workbook_refused_before_a_name_clash(tmp_path: Path) -> None:
    """The unit mistake is told even when the good workbook (same name) is already in."""
    ws = tmp_path / "ws.duckdb"
    good = bureau_book(tmp_path / "bureau.xlsx", n=20)
    assert (
        cli("import", "firm-years", str(good), "--sheet", "经营数据", "-w", str(ws)).returncode == 0
    )
    (tmp_path / "yuan").mkdir()
    wrong = bureau_book(tmp_path / "yuan" / "bureau.xlsx", scale=1e4, n=20)
    for extra in ([], ["--replace"]):
        done = cli("import", "firm-years", str(wrong), "--sheet", "经营数据", "-w", str(ws), *extra)
        assert done.returncode == 2 and "implausible" in done.stderr and "万元" in done.stderr
    assert _rows(ws, "SELECT max(revenue) FROM firm_year") == [(20_001.0 * 1e4,)]


def test_bug_xlsx_replace_does_not_crash(ws: Workspace, tmp_path: Path) -> None:
    book = bureau_book(tmp_path / "b.xlsx")
    ws.import_file("firms", book, sheet="企业名录")
    bureau_book(tmp_path / "b.xlsx", n=8)
    result = ws.import_file("firms", book, sheet="企业名录", replace=True)
    assert (result.status, result.rows) == ("replaced", 8)


def test_bug_two_sheets_of_one_workbook_default_names(ws: Workspace, tmp_path: Path) -> None:
    book = bureau_book(tmp_path / "b.xlsx")
    a = ws.import_file("firms", book, sheet="企业名录")
    b = ws.import_file("firm-years", book, sheet="经营数据")
    assert (a.dataset, b.dataset) == ("b.企业名录", "b.经营数据")
    assert b.unknown_firms == 0  # firm-years link to firms by USCC


def test_bug_title_row_and_excel_row_numbers(ws: Workspace, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["经营数据（单位：万元）"])
    sheet.append(["统一社会信用代码", "年份", "营业收入（万元）"])
    sheet.append([_uscc(1), 2023, 5])
    sheet.append([_uscc(2), 2023, "abc"])
    path = tmp_path / "t.xlsx"
    book.save(path)
    with pytest.raises(ValidationError) as info:
        ws.import_file("firm-years", path)
    assert [(p.row, p.rule) for p in info.value.problems] == [(4, "not_a_number")]  # Excel row 4


def test_bug_dash_blanks_in_numeric_columns(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    lines = ["统一社会信用代码,年份,营业收入（万元）,从业人员"]
    lines += [f"{_uscc(i)},2023,{b},{b}" for i, b in enumerate(["-", "—", "/", "无", " - "])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ws.import_file("firm-years", path)
    assert result.rows == 5
    assert ws.con.execute(
        "SELECT count(*) FROM firm_year WHERE revenue IS NULL AND employees IS NULL"
    ).fetchall() == [(5,)]


def test_two_row_merged_header(ws: Workspace, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["2023年企业经营情况"])
    sheet.merge_cells("A1:E1")
    sheet.append(["统一社会信用代码", "年份", "经营指标", None, None])
    sheet.merge_cells("C2:E2")
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B2:B3")
    sheet.append([None, None, "营业收入（万元）", "从业人员", "研发费用（万元）"])
    sheet.append([_uscc(1), 2023, 12.5, 30, 1])
    path = tmp_path / "two.xlsx"
    book.save(path)
    result = ws.import_file("firm-years", path)
    assert result.columns["经营指标 / 营业收入（万元）"] == "revenue [万元]"
    got = ws.con.execute("SELECT revenue, employees, rd_spend FROM firm_year").fetchall()
    assert got == [(125_000.0, 30.0, 10_000.0)]


def test_header_row_option(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(
        "说明：本表由区经信局导出\n年份,2023\n统一社会信用代码,年份,营业收入（万元）\n"
        f"{_uscc(1)},2023,5\n",
        encoding="utf-8",
    )
    assert ws.import_file("firm-years", path, header_row=3).rows == 1
    with pytest.raises(Exception, match="--header-row 9 is not a filled row"):
        ws.import_file("firm-years", path, header_row=9, dataset="x")


def test_ambiguous_district_lists_candidates(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    # 朝阳区 exists in Beijing and Changchun; a Hubei-registered USCC does not settle it
    path.write_text(
        f"统一社会信用代码,注册区\n{_uscc(1, '420100')},朝阳区\n{_uscc(2)},朝阳区\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as info:
        ws.import_file("firms", path)
    [problem] = info.value.problems
    assert (problem.row, problem.rule) == (2, "region_ambiguous")
    assert "110105" in str(problem.value) and "220104" in str(problem.value)


def test_region_from_uscc_when_no_region_column(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text(
        f"统一社会信用代码,企业名称\n{_uscc(1, '110108')},甲\n{_uscc(2, '999999')},乙\n",
        encoding="utf-8",
    )
    result = ws.import_file("firms", path)
    assert any("characters 3–8" in n and "1 of 2" in n for n in result.notes)
    got = ws.con.execute("SELECT name, region FROM firm ORDER BY name").fetchall()
    assert got == [("乙", None), ("甲", "110108")]


def test_zone_column_and_group_by_zone(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "z.csv"
    path.write_text(
        f"统一社会信用代码,注册区,功能区\n{_uscc(1)},大兴区,亦庄\n{_uscc(2)},大兴区,\n",
        encoding="utf-8",
    )
    ws.import_file("firms", path)
    firm = ws.table("firm")
    by_zone = firm.group_by("zone").aggregate(n=firm.count()).order_by("zone").to_pyarrow()
    assert by_zone.to_pylist() == [{"zone": "北京经济技术开发区", "n": 1}, {"zone": None, "n": 1}]


def test_drop_python_api_and_errors(ws: Workspace, tmp_path: Path) -> None:
    book = bureau_book(tmp_path / "b.xlsx")
    ws.import_file("firms", book, sheet="企业名录")
    assert ws.drop("b.企业名录").rows == 12
    with pytest.raises(WorkspaceError, match=r"no dataset 'b\.企业名录'"):
        ws.drop("b.企业名录")
    with pytest.raises(WorkspaceError, match="reference data"):
        ws.drop("refdata.region")


def test_coverage_recorded(ws: Workspace, tmp_path: Path) -> None:
    book = bureau_book(tmp_path / "b.xlsx")
    assert ws.import_file("firms", book, sheet="企业名录").coverage == "partial"
    assert ws.datasets().set_index("name")["coverage"]["b.企业名录"] == "partial"
    ws.drop("b.企业名录")
    ws.import_file("firms", book, sheet="企业名录", dataset="all", coverage="complete")
    assert ws.datasets().set_index("name")["coverage"]["all"] == "complete"


@pytest.mark.parametrize(
    "header,cell,unit",
    [
        ("营业收入（亿元）", "200000", "亿元"),  # 万元 figures under an 亿元 header: 20万亿元
        ("从业人员（万人）", "3000", "万人"),  # persons under a 万人 header: 3,000万人
    ],
)
def test_one_impossible_firm_names_the_unit(
    ws: Workspace, tmp_path: Path, header: str, cell: str, unit: str
) -> None:
    path = tmp_path / "one.csv"
    path.write_text(f"统一社会信用代码,年份,{header}\n{_uscc(1)},2023,{cell}\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        ws.import_file("firm-years", path)
    [problem] = info.value.problems
    assert (problem.rule, problem.row, problem.column) == ("implausible", 2, header)
    assert f"under a {unit} header" in problem.message
    assert ws.con.execute("SELECT count(*) FROM firm_year").fetchall() == [(0,)]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_replace_works_for_every_format(ws: Workspace, tmp_path: Path, suffix: str) -> None:
    import pandas as pd

    path = tmp_path / f"fy{suffix}"

    def write(revenue: float) -> None:
        frame = pd.DataFrame(
            {"统一社会信用代码": [_uscc(1)], "年份": [2023], "营业收入（万元）": [revenue]}
        )
        if suffix == ".csv":
            frame.to_csv(path, index=False)
        elif suffix == ".xlsx":
            frame.to_excel(path, index=False)
        else:
            frame.to_parquet(path)

    write(5.0)
    ws.import_file("firm-years", path)
    write(7.0)
    assert ws.import_file("firm-years", path, replace=True).status == "replaced"
    # the same bytes with another mapping are other content, not 'unchanged'
    mapped = ws.import_file(
        "firm-years", path, replace=True, mapping={"营业收入（万元）": "revenue(亿元)"}
    )
    assert mapped.status == "replaced"
    assert ws.con.execute("SELECT revenue FROM firm_year").fetchall() == [(7e8,)]


def test_drop_without_workspace_is_a_clear_error(tmp_path: Path) -> None:
    done = cli("drop", "x", "-w", str(tmp_path / "none.duckdb"))
    assert done.returncode == 3 and "no workspace here" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "none.duckdb").exists()


def test_workspace_from_before_zones_is_migrated(tmp_path: Path) -> None:
    import duckdb

    from clusteratlas.workspace import open_workspace

    path = tmp_path / "old.duckdb"
    open_workspace(path).close()
    con = duckdb.connect(str(path))  # make it look like a workspace of the previous release
    con.execute("ALTER TABLE firm DROP COLUMN zone")
    con.execute("ALTER TABLE dataset DROP COLUMN coverage")
    con.execute("DROP TABLE zone")
    con.execute("DELETE FROM dataset WHERE name = 'refdata.zone'")
    con.close()
    with open_workspace(path) as ws:
        assert ws.counts()["zone"] == 1
        book = bureau_book(tmp_path / "b.xlsx", n=4)
        assert ws.import_file("firms", book, sheet="企业名录").rows == 4
        zones = ws.con.execute("SELECT count(zone) FROM firm").fetchall()
        assert zones == [(1,)]


def test_note_and_total_rows_below_the_data_are_left_out(ws: Workspace, tmp_path: Path) -> None:
    path = bureau_book(tmp_path / "b.xlsx", n=4)
    book = openpyxl.load_workbook(path)
    sheet = book["经营数据"]
    sheet.append(["合计", None, 99999, 999, 99])
    sheet.append(["注：数据来源于区统计局，单位万元。"])
    book.save(path)
    result = ws.import_file("firm-years", path, sheet="经营数据")
    assert result.rows == 8
    assert any("left out 2 note or total row(s)" in n for n in result.notes)
    assert ws.con.execute("SELECT max(revenue) FROM firm_year").fetchall() == [(4001.0 * 1e4,)]
