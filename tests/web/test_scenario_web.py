"""The scenario planner and the programs board end to end on the small demo workspace: the CLI
(`scenario`, `programs`), the Python API, ``POST /api/scenario``, ``GET /api/programs`` and the
two pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from clusteratlas import api
from clusteratlas.cli import app as cli_app

runner = CliRunner()

ISSUE_FILE = """\
scenarios:
  - id: base
  - id: boost
    clusters: {"*": {growth_delta: 0.05}}
  - id: ic-push
    clusters: {ic: {growth: 0.18}}
    projects:
      - {cluster: ic, node: wafer_fab, year: 2027, revenue: 5.0e11, ramp_years: 3,
         name: 新建12英寸晶圆厂}
  - id: zero
    clusters: {"*": {growth: 0}}
"""

EIGHT = ("五个一", "筑基", "接棒", "登峰", "强链补链", "新智造100", "服务型制造", "京津冀")


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scn") / "scenarios.yaml"
    path.write_text(ISSUE_FILE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def result_json(demo_workspace: Path, scenario_file: Path) -> dict[str, Any]:
    out = runner.invoke(
        cli_app,
        [
            "scenario",
            str(scenario_file),
            "-w",
            str(demo_workspace),
            "--format",
            "json",
            "--n-sim",
            "500",
            "--seed",
            "1",
        ],
    )
    assert out.exit_code == 0, out.output
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def test_json_shape_and_ids(result_json: dict[str, Any]) -> None:
    assert set(result_json) >= {"scenarios", "targets", "clusters", "counts"}
    assert [s["id"] for s in result_json["scenarios"]] == ["base", "boost", "ic-push", "zero"]
    targets = pd.DataFrame(result_json["targets"])
    assert {"scenario", "target_id", "year", "probability", "p50"} <= set(targets.columns)
    assert {"trillion_clusters_2035", "high_end_share_2035"} <= set(targets["target_id"])
    clusters = pd.DataFrame(result_json["clusters"])
    assert {"scenario", "cluster", "year", "p10", "p50", "p90"} <= set(clusters.columns)
    assert (clusters["p10"] <= clusters["p50"]).all() and (clusters["p50"] <= clusters["p90"]).all()
    counts = pd.DataFrame(result_json["counts"])
    assert {"scenario", "year", "level", "p10", "p50", "p90"} <= set(counts.columns)
    assert "trillion" in set(counts["level"])


def test_more_growth_never_lowers_a_probability(result_json: dict[str, Any]) -> None:
    probs = pd.DataFrame(result_json["targets"]).pivot(
        index="target_id", columns="scenario", values="probability"
    )
    probs = probs.dropna()
    assert (probs["boost"] >= probs["base"]).all()
    assert probs.loc["ic_revenue_2025", "ic-push"] >= probs.loc["ic_revenue_2025", "base"]
    assert (
        probs.loc["trillion_clusters_2035", "boost"] >= probs.loc["trillion_clusters_2035", "base"]
    )


def test_zero_growth_creates_no_new_crossing(result_json: dict[str, Any]) -> None:
    counts = pd.DataFrame(result_json["counts"])
    zero = counts[(counts["scenario"] == "zero") & (counts["level"] == "trillion")]
    assert zero["p90"].max() <= zero["p10"].min()  # flat: nothing crosses
    clusters = pd.DataFrame(result_json["clusters"])
    z = clusters[clusters["scenario"] == "zero"]
    first = z.sort_values("year").groupby("cluster")["p50"].first()
    assert (z.groupby("cluster")["p90"].max() <= first * (1 + 1e-9)).all()


def test_project_capacity_appears_from_its_year(result_json: dict[str, Any]) -> None:
    clusters = pd.DataFrame(result_json["clusters"])
    ic = clusters[(clusters["scenario"] == "ic-push") & (clusters["cluster"] == "ic")]
    ic = ic.set_index("year")
    assert (ic.loc[ic.index < 2027, "project_revenue"] == 0).all()
    assert ic.loc[2027, "project_revenue"] == pytest.approx(5.0e11 / 3)
    assert (ic.loc[ic.index >= 2027, "project_revenue"] > 0).all()
    jump = ic.loc[2027, "p50"] - ic.loc[2026, "p50"]
    assert jump > 5.0e11 / 3


def test_api_matches_the_cli(
    demo_workspace: Path, scenario_file: Path, result_json: dict[str, Any]
) -> None:
    result = api.scenario(scenario_file, demo_workspace, n_sim=500, seed=1)
    swapped = api.scenario(str(demo_workspace), str(scenario_file), n_sim=500, seed=1)
    for got in (result.to_dict(), swapped.to_dict()):
        assert got["scenarios"] == result_json["scenarios"]
        for key in ("targets", "clusters", "counts"):
            # equal up to the last digits of DuckDB's parallel float sums in the monitor
            pd.testing.assert_frame_equal(
                pd.DataFrame(got[key]), pd.DataFrame(result_json[key]), rtol=1e-9
            )
    assert list(result["targets"].columns)[:5] == [
        "scenario",
        "target_id",
        "year",
        "probability",
        "p50",
    ]


def test_cli_errors_are_messages(demo_workspace: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenarios: [{id: a, clusters: {nope: {growth: 0.1}}}]", encoding="utf-8")
    out = runner.invoke(cli_app, ["scenario", str(bad), "-w", str(demo_workspace)])
    assert out.exit_code == 2
    assert "unknown cluster 'nope'" in out.output and "ngit" in out.output
    assert "Traceback" not in out.output
    out = runner.invoke(
        cli_app, ["scenario", str(tmp_path / "none.yaml"), "-w", str(demo_workspace)]
    )
    assert out.exit_code == 2 and "not found" in out.output


def test_cli_table_csv_xlsx_and_solve(
    demo_workspace: Path, scenario_file: Path, tmp_path: Path
) -> None:
    args = ["scenario", str(scenario_file), "-w", str(demo_workspace), "--n-sim", "200"]
    out = runner.invoke(cli_app, [*args, "--solve", "--lang", "en"], env={"COLUMNS": "300"})
    assert out.exit_code == 0, out.output
    assert "What it takes" in out.output
    # a target without a probability (no data) keeps its row, once
    assert out.output.count("Manufacturing value added, share of GDP (2025)") == 1
    out = runner.invoke(cli_app, [*args, "--format", "csv"])
    assert out.exit_code == 0
    assert out.stdout.startswith("section,scenario,target_id,cluster,level,year")
    book = tmp_path / "s.xlsx"
    out = runner.invoke(cli_app, [*args, "--format", "xlsx", "--out", str(book), "--solve"])
    assert out.exit_code == 0, out.output
    from openpyxl import load_workbook

    assert {"README", "targets", "clusters", "counts", "solve"} <= set(
        load_workbook(book).sheetnames
    )


# --------------------------------------------------------------------------- programs


def test_programs_name_the_eight_projects(demo_workspace: Path) -> None:
    out = runner.invoke(cli_app, ["programs", "-w", str(demo_workspace), "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = pd.DataFrame(json.loads(out.stdout))
    assert {"program", "name_zh", "name_en", "kpi", "target", "actual", "year", "status"} <= set(
        rows.columns
    )
    for word in EIGHT:
        assert rows["name_zh"].str.contains(word).any(), word
    measured = rows[rows["actual"].notna()].groupby("name_zh").size()
    assert len(measured) >= 6
    unmeasurable = rows[rows["status"] == "not measurable"]
    assert len(unmeasurable) and (unmeasurable["imports"].str.len() > 0).all()
    five = rows[rows["kpi"] == "trillion_clusters"].iloc[0]
    assert (five["target"], five["target_high"], five["target_year"]) == (4, 5, 2025)


def test_programs_table_is_chinese(demo_workspace: Path) -> None:
    out = runner.invoke(cli_app, ["programs", "-w", str(demo_workspace)], env={"COLUMNS": "400"})
    assert out.exit_code == 0, out.output
    assert "八大工程进展" in out.output and "现有数据无法测算" in out.output


# --------------------------------------------------------------------------- REST and pages


def test_post_scenario(client: Any) -> None:
    r = client.post(
        "/api/scenario?n_sim=200&seed=1",
        content=ISSUE_FILE.encode("utf-8"),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= {"scenarios", "targets", "clusters", "counts"}
    again = client.post(
        "/api/scenario?n_sim=200&seed=1",
        content=json.dumps(
            {
                "scenarios": [
                    {"id": "base"},
                    {"id": "boost", "clusters": {"*": {"growth_delta": 0.05}}},
                ]
            }
        ),
        headers={"content-type": "application/json"},
    )
    assert again.status_code == 200
    base = [t for t in again.json()["targets"] if t["scenario"] == "base"]
    assert base == [t for t in body["targets"] if t["scenario"] == "base"]


def test_post_scenario_errors(client: Any) -> None:
    r = client.post("/api/scenario", content=b"scenarios: [{id: a, clusters: {nope: {}}}]")
    assert r.status_code == 400 and "valid" in r.json()["error"]
    assert client.post("/api/scenario", content=b"").status_code == 400
    assert client.post("/api/scenario", content=b"x" * (300 * 1024)).status_code == 413
    assert client.post("/api/scenario?n_sim=10", content=ISSUE_FILE.encode()).status_code == 422
    assert client.get("/api/scenario").status_code in (404, 405)


def test_programs_route_and_pages(client: Any) -> None:
    r = client.get("/api/programs")
    assert r.status_code == 200 and len(r.json()) >= 8
    page = client.get("/programs")
    assert page.status_code == 200
    assert "八大工程进展" in page.text and "登峰" in page.text
    english = client.get("/programs?lang=en")
    assert "The eight projects" in english.text
    scen = client.get(
        "/scenario?d_all=5&p_cluster=ic&p_node=wafer_fab&p_year=2027&p_revenue=5000&p_ramp=3"
    )
    assert scen.status_code == 200
    assert "情景推演" in scen.text and 'id="count-chart"' in scen.text and "planner" in scen.text
    bad = client.get("/scenario?p_cluster=ic&p_node=nope&p_year=2027&p_revenue=5")
    assert bad.status_code == 200 and "unknown node" in bad.text
