"""CLI: plan validate/show, targets and clusters through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from clusteratlas.cli import app

runner = CliRunner()
GOOD = Path(__file__).parents[2] / "src" / "clusteratlas" / "plans" / "beijing-2441.yaml"


def flat(text: str) -> str:
    """Console output with rich's line wrapping undone (words joined by single spaces)."""
    return " ".join(text.split())


def test_plan_validate_good_plan() -> None:
    result = runner.invoke(app, ["plan", "validate", str(GOOD)])
    assert result.exit_code == 0, result.output
    assert "ok beijing-2441" in result.output
    assert "16 targets" in result.output


def test_plan_validate_broken_plan_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        'id: bad\nname_zh: 坏\nname_en: bad\nregion: "110000"\n'
        "levels: [{id: trillion, name_zh: 万亿级, name_en: t, threshold: 1.0e12}]\n"
        "clusters:\n  - {id: a, name_zh: 甲, name_en: A, group: nope, codes: ['12345'],"
        " rationale: r}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["plan", "validate", str(bad)])
    assert result.exit_code == 2
    assert "plan does not validate" in flat(result.output)
    assert "clusters.0.group" in result.output and "'nope'" in flat(result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_plan_validate_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", "validate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "not found" in flat(result.output)


def test_plan_show_targets_in_chinese_and_english() -> None:
    # machine formats: stable English keys, canonical units; the table: Chinese, in words
    csv = runner.invoke(app, ["plan", "show", "--what", "targets", "--format", "csv"])
    assert csv.exit_code == 0, csv.output
    frame = pd.read_csv(pd.io.common.StringIO(csv.output))
    assert {"id", "name_zh", "name_en", "value", "low", "high", "unit"} <= set(frame.columns)
    assert len(frame) == 16
    trillion = frame.set_index("id").loc["trillion_clusters_2025"]
    assert (trillion["low"], trillion["high"]) == (4, 5)
    zh = runner.invoke(app, ["plan", "show", "--what", "targets", "--limit", "0"])
    assert zh.exit_code == 0, zh.output
    assert "目标值" in zh.output and "4–5" in zh.output
    en = runner.invoke(app, ["plan", "show", "--what", "levels", "--lang", "en"])
    assert en.exit_code == 0 and "CNY 1 tn" in en.output
    bad = runner.invoke(app, ["plan", "show", "--what", "chains?"])
    assert bad.exit_code == 1 and "--what must be" in flat(bad.output)


def test_targets_from_packaged_facts_json() -> None:
    result = runner.invoke(app, ["targets", "--facts", "--format", "json", "--n-sim", "300"])
    assert result.exit_code == 0, result.output
    rows = {r["target_id"]: r for r in json.loads(result.output)}
    assert rows["trillion_clusters_2025"]["status"] == "missed"
    assert rows["high_end_share_2025"]["status"] == "met"
    as_of = runner.invoke(
        app, ["targets", "--facts", "--as-of", "2021", "--format", "csv", "--n-sim", "300"]
    )
    assert as_of.exit_code == 0
    frame = pd.read_csv(pd.io.common.StringIO(as_of.output))
    assert frame["latest_year"].max() <= 2021


def test_targets_table_has_chinese_headings() -> None:
    result = runner.invoke(app, ["targets", "--facts", "--n-sim", "200"])
    assert result.exit_code == 0, result.output
    assert "规划目标进展" in result.output and "未达成" in result.output


def test_targets_without_workspace_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["targets", "--workspace", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 3
    assert "no workspace here" in flat(result.output)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from clusteratlas.workspace import open_workspace

    path = tmp_path_factory.mktemp("ws") / "ws.duckdb"
    firms = pd.DataFrame(
        {
            "firm_id": ["f1", "f2", "f3", "f4"],
            "name": ["某制药公司", "某软件公司", "某半导体公司", "某食品厂"],
            "region": ["110108", "110105", "110108", "110115"],
            "industry": ["2710", "6513", "3973", "1311"],
            "scope": ["药品生产", "软件开发", "集成电路设计", "食品加工"],
        }
    )
    years = pd.DataFrame(
        [
            (f, y, base * 1.1 ** (y - 2021), base * 0.3, 500.0)
            for f, base in zip(["f1", "f2", "f3", "f4"], [5e11, 9.5e11, 1e11, 1e10], strict=True)
            for y in (2021, 2022, 2023)
        ],
        columns=["firm_id", "year", "revenue", "value_added", "employees"],
    )
    with open_workspace(path) as ws:
        # the firms stand for the whole plan region: their sums are plan actuals (issue 12)
        ws.import_frame("firms", firms, dataset="test-firms", source="test", coverage="complete")
        ws.import_frame(
            "firm-years",
            years,
            dataset="test-firm-years",
            source="test",
            units={"revenue": "yuan", "value_added": "yuan"},
            coverage="complete",
        )
    return path


def test_clusters_command_on_a_workspace(workspace: Path) -> None:
    result = runner.invoke(
        app, ["clusters", "--workspace", str(workspace), "--format", "json", "--n-sim", "200"]
    )
    assert result.exit_code == 0, result.output
    rows = {r["cluster"]: r for r in json.loads(result.output)}
    assert {r["year"] for r in rows.values()} == {2023}
    # 9.5e11 · 1.21 = 1.1495e12 → 万亿级 in 2023
    assert rows["ngit"]["level"] == "trillion"
    assert rows["ngit"]["revenue"] == pytest.approx(9.5e11 * 1.21)
    assert rows["ic"]["level"] == "hundred_billion"
    assert rows["ngit"]["synthetic"] is False
    table = runner.invoke(app, ["clusters", "-w", str(workspace), "--all-years", "--n-sim", "200"])
    assert table.exit_code == 0, table.output
    assert "万亿级" in table.output and "医药健康" in table.output and "2022" in table.output


def test_targets_command_on_a_workspace(workspace: Path) -> None:
    result = runner.invoke(
        app, ["targets", "--workspace", str(workspace), "--format", "json", "--n-sim", "200"]
    )
    assert result.exit_code == 0, result.output
    rows = {r["target_id"]: r for r in json.loads(result.output)}
    # the pharma manufacturing target is measured by the monitor (firm data)
    assert rows["pharma_manufacturing_revenue_2025"]["latest_value"] == pytest.approx(5e11 * 1.21)
    assert rows["pharma_manufacturing_revenue_2025"]["status"] == "met"


def test_clusters_by_district_and_region_rules(workspace: Path) -> None:
    result = runner.invoke(
        app,
        [
            "clusters",
            "-w",
            str(workspace),
            "--geography",
            "firm",
            "--region",
            "110108",
            "--format",
            "json",
            "--n-sim",
            "100",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {r["region"] for r in rows} == {"110108"}
    # LQ against all districts of the panel (employees): Haidian holds f1 and f3 (500 each) of
    # 2000 employees; IC is only in Haidian → LQ = (500/1000) / (500/2000) = 2
    ic = next(r for r in rows if r["cluster"] == "ic")
    assert ic["lq"] == pytest.approx(2.0)
    bad = runner.invoke(app, ["clusters", "-w", str(workspace), "--region", "110108"])
    assert bad.exit_code == 2 and "geography" in flat(bad.output)


@pytest.mark.parametrize("columns", [80, 160])
def test_tables_take_the_width_of_each_call(columns: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The console is sized per command, not when the CLI was imported: imported under
    COLUMNS=80 (as the README's test command in an 80-column terminal does), a caller asking
    for 160 columns got 80 (two scenario/programs table tests failed at COLUMNS=80)."""
    from clusteratlas.cli import _app

    monkeypatch.setattr(_app.console, "width", 240 - columns)  # the width frozen at import
    out = runner.invoke(
        app, ["plan", "show", "--what", "targets", "--limit", "0"], env={"COLUMNS": str(columns)}
    )
    assert out.exit_code == 0, out.output
    widest = max(cell_len(line) for line in out.output.splitlines())  # terminal cells
    assert widest <= columns
    if columns == 160:
        assert widest > 80  # the wide call uses its width, not the 80 frozen at import
