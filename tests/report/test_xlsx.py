"""The XLSX workbook: one sheet per table, units in headers, README with provenance and the
synthetic flag; read back with python-calamine (an independent reader)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from clusteratlas.report.xlsx import header, write_xlsx


def _read(path: Path) -> dict[str, list[list[object]]]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def test_sheets_units_and_readme(tmp_path: Path) -> None:
    clusters = pd.DataFrame(
        {
            "cluster": ["ic", "ai"],
            "revenue": [2.48e11, 3.5e11],
            "share_gdp": [0.05, 0.07],
            "employees": [1000.0, float("nan")],
            "synthetic": [True, True],
        }
    )
    facts = pd.DataFrame(
        {
            "indicator": ["gdp"],
            "value": [4.98e12],
            "unit": ["yuan"],
            "source": ["https://tjj.beijing.gov.cn/"],
        }
    )
    ladder = pd.DataFrame(
        {
            "firm_id": ["F1"],
            "failed": [[{"criterion": "rd", "gap": 0.01}]],
            "missing": [["ip_level"]],
        }
    )
    out = write_xlsx(
        {"clusters": clusters, "facts": facts, "ladder": ladder},
        tmp_path / "r.xlsx",
        readme={"plan": "beijing-2441", "source 1": "https://tjj.beijing.gov.cn/"},
        synthetic=True,
        lang="zh",
    )
    book = _read(out)
    assert list(book) == ["README", "clusters", "facts", "ladder"]
    assert book["clusters"][0] == [
        "产业集群",
        "营业收入（亿元）",
        "占GDP比重（%）",
        "从业人员（万人）",
        "synthetic",
    ]
    # money in 亿元, people in 万人, shares as fractions formatted as percentages
    assert book["clusters"][1][:4] == ["ic", 2480.0, 0.05, 0.1]
    assert book["clusters"][2][3] in ("", None)  # NaN → empty cell
    # a table with a unit column: its value header points there, values per row
    assert book["facts"][0][:3] == ["指标", "数值（单位见“单位”列）", "单位"]
    assert book["facts"][1][1] == pytest.approx(49800.0)
    assert '"criterion": "rd"' in str(book["ladder"][1][1])
    readme = {str(r[0]): r[1] for r in book["README"] if r and r[0] != ""}
    assert readme["synthetic"] == "true"
    assert "SYNTHETIC" in readme
    assert readme["plan"] == "beijing-2441"
    assert readme["source 1"].startswith("https://")
    assert "亿元" in readme["units"] and "万人" in readme["units"]
    sheets = {str(r[0]): r[2] for r in book["README"] if r and len(r) > 2}
    assert "revenue, share_gdp" in str(sheets["clusters"])  # the English keys, for mapping


def test_number_formats(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    frame = pd.DataFrame({"revenue": [2.48e11], "share_gdp": [0.05], "employees": [12345.0]})
    out = write_xlsx({"c": frame}, tmp_path / "f.xlsx", readme={}, synthetic=False, lang="en")
    sheet = load_workbook(out)["c"]
    assert [c.value for c in sheet[1]] == [
        "Revenue (100 million yuan)",
        "Share of GDP (%)",
        "Employees (10 thousand persons)",
    ]
    assert [c.number_format for c in sheet[2]] == ["#,##0.00", "0.0%", "#,##0.00"]


def test_real_data_has_no_synthetic_flag(tmp_path: Path) -> None:
    out = write_xlsx(
        {"t": pd.DataFrame({"a": [1]})}, tmp_path / "r.xlsx", readme={}, synthetic=False
    )
    readme = {str(r[0]): r[1] for r in _read(out)["README"] if r}
    assert readme["synthetic"] == "false" and "SYNTHETIC" not in readme


def test_header_units() -> None:
    assert header("revenue", lang="zh") == "营业收入（亿元）"
    assert header("growth", lang="zh") == "增速（%）"
    assert header("gap", lang="en") == "Gap (unit in the unit column)"
    assert header("value", row_units=True, lang="en") == "Value (unit in the unit column)"
    assert header("cluster", lang="en") == "Cluster"
    assert header("no_label_here", lang="zh") == "no_label_here"


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=False, width=32),
            st.integers(-(10**9), 10**9),
            st.text(max_size=20),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_values_round_trip(tmp_path_factory: pytest.TempPathFactory, values: list) -> None:
    path = tmp_path_factory.mktemp("x") / "v.xlsx"
    write_xlsx(
        {"v": pd.DataFrame({"x": pd.Series(values, dtype=object)})},
        path,
        readme={},
        synthetic=False,
    )
    got = [row[0] for row in _read(path)["v"][1:]]
    got += [""] * (len(values) - len(got))  # calamine drops trailing empty rows
    for want, have in zip(values, got, strict=True):
        if isinstance(want, float) and math.isnan(want):
            assert have in ("", None)
        elif isinstance(want, str):
            # control characters XLSX cannot hold are dropped; calamine reads a
            # whitespace-only cell as empty
            expected = ILLEGAL_CHARACTERS_RE.sub("", want.replace("\r\n", "\n").replace("\r", "\n"))
            assert str(have) == expected or (expected.strip() == "" and have in ("", None))
        else:
            assert float(have) == pytest.approx(float(want))
