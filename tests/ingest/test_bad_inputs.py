"""The bad-input suite: each malformed file gives the expected rule, row and column, and
leaves the workspace exactly as it was (row counts and content hashes compared).

The files are generated here from literal text (see ``tests/data/bad_inputs/README.md``);
good GBK, UTF-8-BOM, XLSX and Parquet files must import with the right values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from clusteratlas.errors import ClusterAtlasError, InputError, ValidationError
from clusteratlas.ingest.uscc import uscc_check_char
from clusteratlas.workspace import Workspace

from .conftest import fingerprint

HUAWEI = "914403001922038216"  # 华为技术有限公司, published USCC
TENCENT = "9144030071526726XG"  # 深圳市腾讯计算机系统有限公司
EXAMPLE = "91350100M000100Y43"  # GB 32100-2015's own example
BAD_ORG = "91350100M000100Y5" + uscc_check_char("91350100M000100Y5")  # final check right
FY_HEAD = "统一社会信用代码,年份,营业收入(万元),从业人员\n"

Content = str | bytes | Callable[[Path], Path]


@dataclass(frozen=True)
class Case:
    """A malformed input and what must be reported."""

    id: str
    kind: str
    content: Content
    rule: str | None = None  # row-level rule (ValidationError)
    row: int | None = None
    column: str | None = None
    message: str | None = None  # file-level InputError text
    suffix: str = ".csv"
    setup: str | None = None  # a good firm-years file imported first


def _xlsx(rows: list[list[object]]) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for row in rows:
            sheet.append(row)
        book.save(path)
        return path

    return build


def _truncated_xlsx(path: Path) -> Path:
    _xlsx([["firm_id", "year"], ["a", 2020]])(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _truncated_parquet(path: Path) -> Path:
    pd.DataFrame({"firm_id": ["a"] * 100, "year": [2020] * 100}).to_parquet(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 20])
    return path


def _mixed_encoding(path: Path) -> Path:
    good = ("firm_id,year,revenue\n" + "f1,2020,1元\n" * 100_000).encode("utf-8")
    path.write_bytes(good + "f2,2021,5万元\n".encode("gbk"))
    return path


CASES = [
    Case(
        "wrong_encoding",
        "firm-years",
        b"firm_id,year\n\xff\xfe\xff\xfe,2020\n",
        message="neither UTF-8 nor GBK",
    ),
    Case("mixed_encoding", "firm-years", _mixed_encoding, message="cannot read as CSV"),
    Case("binary_file", "firm-years", b"\x00\x01\x02firm_id\x00", message="binary data"),
    Case(
        "missing_column",
        "firm-years",
        "统一社会信用代码,营业收入(万元)\n" + EXAMPLE + ",5\n",
        rule="required_column",
        column="year",
    ),
    Case(
        "bad_uscc_check_digit",
        "firms",
        "统一社会信用代码,企业名称\n91350100M000100Y44,x\n",
        rule="uscc_check_digit",
        row=2,
        column="统一社会信用代码",
    ),
    Case(
        "bad_uscc_format",
        "firms",
        f"统一社会信用代码,企业名称\n{HUAWEI},a\n91350100I00010,b\n",
        rule="uscc_format",
        row=3,
        column="统一社会信用代码",
    ),
    Case(
        "bad_uscc_org_code",
        "firms",
        f"firm_id,uscc\nf1,{BAD_ORG}\n",
        rule="uscc_org_code",
        row=2,
        column="uscc",
    ),
    Case(
        "unknown_industry",
        "firms",
        "firm_id,行业代码\nf1,3911\nf2,C9999\n",
        rule="industry_unknown",
        row=3,
        column="行业代码",
    ),
    Case(
        "unknown_region",
        "firms",
        "firm_id,地区代码\nf1,110108\nf2,999999\n",
        rule="region_unknown",
        row=3,
        column="地区代码",
    ),
    Case(
        "negative_revenue",
        "firm-years",
        FY_HEAD + f"{EXAMPLE},2022,-5,3\n",
        rule="negative",
        row=2,
        column="营业收入(万元)",
    ),
    Case(
        "negative_count",
        "firm-years",
        FY_HEAD + f"{EXAMPLE},2022,5,-3\n",
        rule="negative",
        row=2,
        column="从业人员",
    ),
    Case(
        "duplicate_key_in_file",
        "firm-years",
        FY_HEAD + f"{EXAMPLE},2022,5,3\n{HUAWEI},2022,1,1\n{EXAMPLE},2022,6,4\n",
        rule="duplicate_in_file",
        row=2,
        column="统一社会信用代码, 年份",
    ),
    Case(
        "duplicate_key_in_workspace",
        "firm-years",
        FY_HEAD + f"{HUAWEI},2022,7,7\n",
        rule="duplicate_in_workspace",
        row=2,
        column="统一社会信用代码, 年份",
        setup=FY_HEAD + f"{HUAWEI},2022,5,3\n",
    ),
    Case(
        "mixed_units_unitless_money",
        "firm-years",
        "firm_id,year,revenue\nf1,2022,3.5亿元\nf2,2022,12000\n",
        rule="unit_missing",
        row=3,
        column="revenue",
    ),
    Case(
        "unknown_unit",
        "firm-years",
        "firm_id,year,revenue\nf1,2022,5 bananas\n",
        rule="unit_unknown",
        row=2,
        column="revenue",
    ),
    Case(
        "unknown_header_unit",
        "firm-years",
        "firm_id,year,营业收入(金条)\nf1,2022,5\n",
        rule="unit_unknown",
        row=2,
        column="营业收入(金条)",
    ),
    Case(
        "unit_of_wrong_dimension",
        "firm-years",
        "firm_id,year,revenue\nf1,2022,5人\n",
        rule="unit_mismatch",
        row=2,
        column="revenue",
    ),
    Case("empty_file", "firm-years", b"", message="empty file"),
    Case("header_only", "firm-years", FY_HEAD, message="header only"),
    Case("blank_lines_only", "firm-years", "\n\n\n", message="empty file"),
    Case(
        "truncated_xlsx", "firm-years", _truncated_xlsx, message="unreadable Excel", suffix=".xlsx"
    ),
    Case(
        "not_an_xlsx",
        "firm-years",
        "firm_id,year\nf1,2020\n",
        message="not an Excel workbook",
        suffix=".xlsx",
    ),
    Case(
        "truncated_parquet",
        "firm-years",
        _truncated_parquet,
        message="cannot read as Parquet",
        suffix=".parquet",
    ),
    Case(
        "year_too_early",
        "firm-years",
        FY_HEAD + f"{EXAMPLE},1900,5,3\n",
        rule="year_range",
        row=2,
        column="年份",
    ),
    Case(
        "year_too_late",
        "firm-years",
        FY_HEAD + f"{EXAMPLE},2999,5,3\n",
        rule="year_range",
        row=2,
        column="年份",
    ),
    Case(
        "year_not_integer",
        "firm-years",
        FY_HEAD + f"{EXAMPLE},2020.5,5,3\n",
        rule="not_an_integer",
        row=2,
        column="年份",
    ),
    Case(
        "non_numeric",
        "firm-years",
        FY_HEAD + f"{EXAMPLE},2020,abc,3\n",
        rule="not_a_number",
        row=2,
        column="营业收入(万元)",
    ),
    Case(
        "bound_in_exact_column",
        "firm-years",
        FY_HEAD + f"{EXAMPLE},2020,>5,3\n",
        rule="not_exact",
        row=2,
        column="营业收入(万元)",
    ),
    Case(
        "bad_date",
        "firms",
        "firm_id,成立日期\nf1,2019-03-01\nf2,2019-13-45\n",
        rule="bad_date",
        row=3,
        column="成立日期",
    ),
    Case(
        "future_date",
        "firms",
        "firm_id,成立日期\nf1,2999-01-01\n",
        rule="date_range",
        row=2,
        column="成立日期",
    ),
    Case(
        "bad_boolean",
        "firms",
        "firm_id,是否上市\nf1,是\nf2,maybe\n",
        rule="bad_boolean",
        row=3,
        column="是否上市",
    ),
    Case(
        "empty_required_cell",
        "firm-years",
        FY_HEAD + ",2020,5,3\n",
        rule="required",
        row=2,
        column="统一社会信用代码",
    ),
    Case(
        "bad_tag_source",
        "tags",
        "firm_id,year,tag,source\nf1,2023,专精特新,rumour\n",
        rule="bad_value",
        row=2,
        column="source",
    ),
    Case(
        "observation_unknown_indicator_no_unit",
        "observations",
        "region,year,indicator,value\n110000,2023,flux_capacity,5\n",
        rule="unit_missing",
        row=2,
        column="value",
    ),
    Case(
        "observation_wrong_unit_for_indicator",
        "observations",
        "地区,年份,指标,数值,单位\n110000,2023,营业收入,5,万人\n",
        rule="unit_mismatch",
        row=2,
        column="数值",
    ),
    Case(
        "observation_money_without_unit",
        "observations",
        "region,year,indicator,value\n110000,2023,gdp,43760\n",
        rule="unit_missing",
        row=2,
        column="value",
    ),
    Case(
        "io_value_without_unit",
        "io-table",
        "table,row,col,value\nt,01,02,5\n",
        rule="unit_missing",
        row=2,
        column="value",
    ),
    Case(
        "supply_edge_negative",
        "supply-edges",
        "supplier,customer,year,value(万元)\na,b,2022,-1\n",
        rule="negative",
        row=2,
        column="value(万元)",
    ),
    Case(
        "duplicate_column",
        "firm-years",
        "firm_id,year,营业收入,revenue\nf1,2022,1元,2元\n",
        message="duplicate_column",
    ),
    Case(
        "ragged_row",
        "firm-years",
        "firm_id,year\nf1,2022\nf2,2022,extra,more\n",
        message="cannot read as CSV",
    ),
]


def _write(case: Case, folder: Path) -> Path:
    path = folder / f"{case.id}{case.suffix}"
    if callable(case.content):
        return case.content(path)
    if isinstance(case.content, str):
        path.write_text(case.content, encoding="utf-8")
    else:
        path.write_bytes(case.content)
    return path


def test_suite_is_large_enough() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, ws: Workspace, tmp_path: Path) -> None:
    if case.setup is not None:
        first = tmp_path / "setup.csv"
        first.write_text(case.setup, encoding="utf-8")
        ws.import_file(case.kind, first)
    path = _write(case, tmp_path)
    before = fingerprint(ws)
    with pytest.raises(ClusterAtlasError) as info:
        ws.import_file(case.kind, path)
    assert fingerprint(ws) == before, "a failed import changed the workspace"
    if case.rule is None:
        assert isinstance(info.value, InputError)
        assert not isinstance(info.value, ValidationError) or not info.value.problems[0].row
        assert case.message is not None and case.message in str(info.value)
        return
    assert isinstance(info.value, ValidationError), info.value
    matches = [
        p
        for p in info.value.problems
        if p.rule == case.rule and p.row == case.row and p.column == case.column
    ]
    assert matches, f"expected {case.rule} at row {case.row} column {case.column}: " + "; ".join(
        str(p) for p in info.value.problems
    )
    assert str(path) in str(matches[0]) and case.rule in str(matches[0])
    if case.row is not None:
        rejects = Path(str(path) + ".rejects.csv")
        assert info.value.rejects_path == str(rejects)
        table = pd.read_csv(rejects, dtype=str, keep_default_na=False)
        hit = table[(table["reject_rule"] == case.rule) & (table["reject_row"] == str(case.row))]
        assert len(hit) >= 1 and (hit["reject_column"] == case.column).all()


def test_duplicate_in_file_flags_every_occurrence(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "dups.csv"
    path.write_text(
        FY_HEAD + f"{EXAMPLE},2022,5,3\n{HUAWEI},2022,1,1\n{EXAMPLE},2022,6,4\n", encoding="utf-8"
    )
    with pytest.raises(ValidationError) as info:
        ws.import_file("firm-years", path)
    rows = sorted(p.row for p in info.value.problems if p.rule == "duplicate_in_file")
    assert rows == [2, 4]  # CSV line numbers (the header is line 1)


def test_allow_rejects_keeps_valid_rows(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "some_bad.csv"
    path.write_text(
        FY_HEAD + f"{EXAMPLE},2022,5,3\n{HUAWEI},1800,1,1\n{TENCENT},2022,x,1\n", encoding="utf-8"
    )
    result = ws.import_file("firm-years", path, allow_rejects=True)
    assert (result.rows, result.rejected) == (1, 2)
    got = ws.con.execute("SELECT firm_id, revenue FROM firm_year").fetchall()
    assert got == [(EXAMPLE, 50_000.0)]
    rejects = pd.read_csv(result.rejects_path, dtype=str)
    assert sorted(rejects["reject_rule"]) == ["not_a_number", "year_range"]
    # the original row is kept in the rejects file
    assert rejects.loc[rejects["reject_rule"] == "year_range", "年份"].item() == "1800"


def test_all_rows_rejected_imports_nothing(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "all_bad.csv"
    path.write_text(FY_HEAD + f"{EXAMPLE},1800,5,3\n", encoding="utf-8")
    before = fingerprint(ws)
    with pytest.raises(ValidationError, match="no valid rows"):
        ws.import_file("firm-years", path, allow_rejects=True)
    assert fingerprint(ws) == before


def test_file_level_errors(ws: Workspace, tmp_path: Path) -> None:
    before = fingerprint(ws)
    with pytest.raises(InputError, match="no such file"):
        ws.import_file("firms", tmp_path / "missing.csv")
    with pytest.raises(InputError, match="unknown kind"):
        ws.import_file("companies", tmp_path / "missing.csv")
    with pytest.raises(InputError, match="is a directory"):
        ws.import_file("firms", tmp_path)
    assert fingerprint(ws) == before


def test_same_name_other_content_needs_replace(ws: Workspace, tmp_path: Path) -> None:
    first = tmp_path / "a" / "fy.csv"
    first.parent.mkdir()
    first.write_text(FY_HEAD + f"{EXAMPLE},2022,5,3\n", encoding="utf-8")
    second = tmp_path / "b" / "fy.csv"
    second.parent.mkdir()
    second.write_text(FY_HEAD + f"{EXAMPLE},2022,9,3\n", encoding="utf-8")
    ws.import_file("firm-years", first)
    before = fingerprint(ws)
    with pytest.raises(InputError, match="already exists"):
        ws.import_file("firm-years", second)
    assert fingerprint(ws) == before
    result = ws.import_file("firm-years", second, replace=True)
    assert result.status == "replaced"
    assert ws.con.execute("SELECT revenue FROM firm_year").fetchall() == [(90_000.0,)]
