"""Good files in every supported encoding and format import with the right values."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from clusteratlas.errors import InputError, ValidationError
from clusteratlas.workspace import Workspace

EXAMPLE = "91350100M000100Y43"
HUAWEI = "914403001922038216"
TEXT = (
    "统一社会信用代码,企业名称,行业代码,地区代码,成立日期,是否上市\n"
    f"{EXAMPLE},示例公司,C3911,110108,2015/6/1,否\n"
    f"{HUAWEI},华为技术有限公司,3921,440307,1987-09-15,否\n"
)
EXPECTED = [
    (EXAMPLE, EXAMPLE, "示例公司", "3911", "110108", "2015-06-01", False),
    (HUAWEI, HUAWEI, "华为技术有限公司", "3921", "440307", "1987-09-15", False),
]


def _firms(ws: Workspace) -> list[tuple[object, ...]]:
    return ws.con.execute(
        "SELECT firm_id, uscc, name, industry, region, CAST(founded AS VARCHAR), listed "
        "FROM firm ORDER BY firm_id"
    ).fetchall()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "utf-16"])
def test_csv_encodings(ws: Workspace, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"firms_{encoding}.csv"
    path.write_bytes(TEXT.encode(encoding))
    result = ws.import_file("firms", path)
    assert result.status == "imported" and result.rows == 2
    assert _firms(ws) == EXPECTED


def test_tab_separated(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "firms.tsv"
    path.write_text(TEXT.replace(",", "\t"), encoding="utf-8")
    ws.import_file("firms", path)
    assert _firms(ws) == EXPECTED


def test_xlsx(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "firm_years.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["企业ID", "年份", "营业收入（亿元）", "从业人员", "研发费用", "资产负债率"])
    sheet.append(["f1", 2022, 3.5, 1200, "500万元", "45%"])
    sheet.append(["f1", 2023.0, 4, "1.2万人", "0.1亿元", 0.5])
    book.save(path)
    result = ws.import_file("firm-years", path)
    assert result.rows == 2
    got = ws.con.execute(
        "SELECT year, revenue, employees, rd_spend, debt_ratio FROM firm_year ORDER BY year"
    ).fetchall()
    assert got == [(2022, 3.5e8, 1200.0, 5e6, 0.45), (2023, 4e8, 12000.0, 1e7, 0.5)]


def _two_sheet_book(path: Path) -> Path:
    book = openpyxl.Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "说明"
    notes.append(["本表由区经信局填报"])
    data = book.create_sheet("2023年")
    data.append(["企业ID", "年份", "营业收入（亿元）"])
    data.append(["f1", 2023, 4])
    book.save(path)
    return path


def test_xlsx_sheet_by_name_or_number(ws: Workspace, tmp_path: Path) -> None:
    path = _two_sheet_book(tmp_path / "book.xlsx")
    result = ws.import_file("firm-years", path, sheet="2023年", dataset="by_name")
    assert result.rows == 1
    assert ws.con.execute("SELECT revenue FROM firm_year").fetchall() == [(4e8,)]
    # the same sheet, by name or by number, is the same content
    for same in ("2023年", "2"):
        again = ws.import_file("firm-years", path, sheet=same, dataset="by_name")
        assert again.status == "unchanged"
    # another sheet of the same workbook is other content: it is read (its file-level
    # problems come before the dataset-name clash)
    with pytest.raises(InputError, match="header only"):
        ws.import_file("firm-years", path, sheet="说明", dataset="by_name")


def test_xlsx_unknown_sheet_names_the_sheets(ws: Workspace, tmp_path: Path) -> None:
    path = _two_sheet_book(tmp_path / "book.xlsx")
    with pytest.raises(InputError, match=r"no sheet '2024年'.*'说明', '2023年'"):
        ws.import_file("firm-years", path, sheet="2024年")
    with pytest.raises(InputError, match="no sheet '3'"):
        ws.import_file("firm-years", path, sheet="3")
    csv = tmp_path / "fy.csv"
    csv.write_text("firm_id,year\nf1,2023\n", encoding="utf-8")
    with pytest.raises(InputError, match="not Excel"):
        ws.import_file("firm-years", csv, sheet="1")


def test_parquet_typed_columns(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "fy.parquet"
    pd.DataFrame(
        {
            "firm_id": ["a", "b"],
            "year": [2021, 2022],
            "revenue(元)": [1.5e9, 2e9],
            "employees": [10, 20],
        }
    ).to_parquet(path)
    ws.import_file("firm-years", path)
    got = ws.con.execute("SELECT firm_id, year, revenue, employees FROM firm_year ORDER BY 1")
    assert got.fetchall() == [("a", 2021, 1.5e9, 10.0), ("b", 2022, 2e9, 20.0)]


def test_mixed_units_per_cell(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        'firm_id,year,营业收入(万元)\na,2022,120\nb,2022,3.5亿元\nc,2022,"1,000元"\n'
        "d,2022,0.2万亿元\n",
        encoding="utf-8",
    )
    ws.import_file("firm-years", path)
    got = dict(ws.con.execute("SELECT firm_id, revenue FROM firm_year").fetchall())
    assert got == {"a": 1.2e6, "b": 3.5e8, "c": 1000.0, "d": 2e11}


def test_mapping_with_unit(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "custom.csv"
    path.write_text("编号,财年,营业额\nx,2022,7\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="missing required column"):
        ws.import_file("firm-years", path)
    result = ws.import_file(
        "firm-years", path, mapping={"编号": "firm_id", "财年": "year", "营业额": "revenue(亿元)"}
    )
    assert result.columns["营业额"] == "revenue [亿元]"
    assert ws.con.execute("SELECT revenue FROM firm_year").fetchall() == [(7e8,)]


def test_observations_units_bounds_ranges(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "facts.csv"
    path.write_text(
        "地区,行业,年份,指标,数值,单位,来源\n"
        "110000,,2023,地区生产总值,43760.7,亿元,统计公报\n"
        "110000,,2023,employment,1.2万人,,x\n"
        "110000,I,2023,revenue,超3万亿元,,x\n"
        "110000,,2023,rd_intensity,6-6.5%,,x\n"
        "110000,C39,2023,new_thing,5,家,x\n",
        encoding="utf-8",
    )
    ws.import_file("observations", path)
    got = ws.con.execute(
        "SELECT industry, indicator, value, unit, bound, low, high, source FROM observation "
        "ORDER BY indicator"
    ).fetchall()
    assert got == [
        (None, "employment", 12000.0, "persons", "=", None, None, "x"),
        (None, "gdp", pytest.approx(4.37607e12), "yuan", "=", None, None, "统计公报"),
        ("39", "new_thing", 5.0, "count", "=", None, None, "x"),
        (
            None,
            "rd_intensity",
            pytest.approx(0.0625),
            "fraction",
            "range",
            pytest.approx(0.06),
            pytest.approx(0.065),
            "x",
        ),
        ("I", "revenue", 3e12, "yuan", ">", None, None, "x"),
    ]


def test_tags_and_supply_edges_and_io(ws: Workspace, tmp_path: Path) -> None:
    tags = tmp_path / "tags.csv"
    tags.write_text(
        "企业ID,年份,标签\nf1,2023,专精特新“小巨人”\nf2,2023,独角兽\n", encoding="utf-8"
    )
    ws.import_file("tags", tags)
    assert ws.con.execute("SELECT tag, source FROM firm_tag ORDER BY 1").fetchall() == [
        ("little_giant", "certified"),
        ("unicorn", "certified"),
    ]
    edges = tmp_path / "edges.csv"
    edges.write_text("供应商,客户,年份,交易额(万元)\na,b,2022,5\na,c,2022,\n", encoding="utf-8")
    ws.import_file("supply-edges", edges)
    assert ws.con.execute("SELECT customer, value FROM supply_edge ORDER BY 1").fetchall() == [
        ("b", 5e4),
        ("c", None),
    ]
    io = tmp_path / "io.csv"
    io.write_text("table,row,col,value(万元)\nt,01,02,-3\nt,01,01,4\n", encoding="utf-8")
    ws.import_file("io-table", io)
    assert ws.con.execute('SELECT "row", col, value FROM io_table ORDER BY col').fetchall() == [
        ("01", "01", 4e4),
        ("01", "02", -3e4),
    ]


def test_import_frame_and_idempotence(ws: Workspace) -> None:
    frame = pd.DataFrame(
        {"firm_id": ["a", "b"], "year": [2022, 2022], "revenue": [1e8, None], "employees": [3, 4]}
    )
    result = ws.import_frame(
        "firm-years",
        frame,
        dataset="synthetic_registry",
        source="clusteratlas.synth",
        synthetic=True,
        units={"revenue": "yuan"},
    )
    assert (result.status, result.rows) == ("imported", 2)
    again = ws.import_frame(
        "firm-years", frame.copy(), dataset="other", source="x", units={"revenue": "yuan"}
    )
    assert (again.status, again.dataset) == ("unchanged", "synthetic_registry")
    datasets = ws.datasets().set_index("name")
    assert bool(datasets.loc["synthetic_registry", "synthetic"]) is True
    assert datasets.loc["synthetic_registry", "source_file"] == "clusteratlas.synth"
    assert ws.table("firm_year").count().execute() == 2
    with pytest.raises(ValidationError) as info:
        ws.import_frame(
            "firm-years", frame.assign(year=[2023, 2023]), dataset="no_unit", source="x"
        )
    assert {p.rule for p in info.value.problems} == {"unit_missing"}


def test_reimport_same_file_is_noop(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    path.write_text(TEXT, encoding="utf-8")
    first = ws.import_file("firms", path)
    second = ws.import_file("firms", path, dataset="another_name")
    assert (first.status, second.status, second.dataset) == ("imported", "unchanged", "firms")
    assert ws.con.execute("SELECT count(*) FROM firm").fetchone() == (2,)
