"""CLI tables for people (cli/_tables.py): localized headers and units, bounded rows with a
"… N more" note, exact widths that fit the terminal; machine formats keep English keys."""

from __future__ import annotations

import json
import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from clusteratlas.analysis.tier_rules import load_ruleset
from clusteratlas.cli import app
from clusteratlas.cli._tables import people_frame, table_of
from clusteratlas.i18n.criteria import criterion_text

runner = CliRunner()
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_people_frame_units_and_headers() -> None:
    frame = pd.DataFrame(
        {
            "revenue": [6.647366e9],
            "growth": [0.07],
            "share_of_national": [0.08333],
            "firms": [1234],
            "year": [2024],
            "synthetic": [True],
        }
    )
    zh = people_frame(frame, "zh")
    assert list(zh.columns) == ["营业收入", "增速", "占全国比重", "企业数", "年份"]
    assert zh.iloc[0].tolist() == ["66.5亿元", "+7.0%", "8.3%", "1,234", "2024"]
    en = people_frame(frame, "en")
    assert en.columns[0] == "Revenue" and en.iloc[0, 0] == "CNY 6.6 bn"


def _render(table: object, width: int) -> list[str]:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(table)
    return console.export_text().splitlines()


@settings(max_examples=40, deadline=None)
@given(
    names=st.lists(
        st.text(alphabet="北京集成电路产业链有限公司abcXYZ ", min_size=1, max_size=30),
        min_size=1,
        max_size=6,
    ),
    width=st.sampled_from([60, 80, 100, 160]),
)
def test_table_fits_the_terminal_and_rows_stay_one_line(names: list[str], width: int) -> None:
    from rich.cells import cell_len

    people = pd.DataFrame(
        {
            "名称": names,
            "规模（营业收入）": ["7.74万亿元"] * len(names),
            "年份": ["2024"] * len(names),
            "Status description": ["undetermined (missing data)"] * len(names),
        }
    )
    lines = _render(table_of(people, width=width), width)
    assert all(cell_len(line) <= width for line in lines)
    body = [line for line in lines if "2024" in line]
    assert len(body) == len(names)  # one line per row: nothing wraps
    assert all("2024" in line and "…" not in line.split("2024")[0][-2:] for line in body)


def test_criterion_in_words_with_human_units() -> None:
    rs = load_ruleset("miit-2022")
    item = {
        "input": "market_share",
        "op": ">=",
        "required": 0.1,
        "unit": "fraction",
        "actual": 0.003,
    }
    assert criterion_text(item, rs, "zh") == "主导产品细分市场占有率（全国） ≥ 10.0%，实际 0.3%"
    assert criterion_text(item, rs, "en").endswith("≥ 10.0%, actual 0.3%")
    tier = {"input": "tier:zjtx", "op": "==", "required": 1.0, "unit": "bool", "actual": 0.0}
    assert criterion_text(tier, rs, "zh").startswith("需先符合")


def test_plan_show_machine_formats_have_english_keys() -> None:
    for what in ("clusters", "targets", "levels"):
        result = runner.invoke(app, ["plan", "show", "--what", what, "--format", "json"])
        assert result.exit_code == 0, result.output
        rows = json.loads(result.output)
        keys = {k for row in rows for k in row}
        assert keys and not any(CJK.search(k) for k in keys), keys


def test_plan_show_table_is_bounded_with_a_note() -> None:
    result = runner.invoke(app, ["plan", "show", "--what", "clusters", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert re.search(r"另有 \d+ 行：使用 --limit N 或 --format csv", result.output)
    everything = runner.invoke(app, ["plan", "show", "--what", "clusters", "--limit", "0"])
    assert "另有" not in everything.output
