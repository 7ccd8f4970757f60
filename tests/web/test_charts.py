"""ECharts option builders (report/charts.py): shapes, units and labels on small frames."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from clusteratlas.model.plan import load_plan
from clusteratlas.report import charts


@pytest.fixture(scope="module")
def plan():  # type: ignore[no-untyped-def]
    return load_plan("beijing-2441")


def _monitor(plan) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    rows = []
    for year, (ngit, ic) in {2020: (2.0e12, 1.0e11), 2024: (3.0e12, 2.5e11)}.items():
        rows += [
            {
                "cluster": "ngit",
                "region": plan.region,
                "year": year,
                "revenue": ngit,
                "share_gdp": 0.20 if year == 2020 else 0.23,
                "lq": 1.4,
                "revenue_yoy": 0.1,
            },
            {
                "cluster": "ic",
                "region": plan.region,
                "year": year,
                "revenue": ic,
                "share_gdp": 0.02,
                "lq": 0.8,
                "revenue_yoy": 0.2,
            },
        ]
    return pd.DataFrame(rows)


def test_portfolio_axes_and_share_change(plan) -> None:  # type: ignore[no-untyped-def]
    option = charts.cluster_portfolio(_monitor(plan), plan, "zh", static=True)
    assert option["animation"] is False
    points = {p["name"]: p["value"] for p in option["series"][0]["data"]}
    ngit = points["新一代信息技术"]
    assert ngit[0] == pytest.approx(1.4)  # LQ
    assert ngit[1] == pytest.approx(3.0)  # 23% − 20% = 3 percentage points
    assert ngit[2] == pytest.approx(30000.0)  # 3e12 yuan = 30,000 亿元
    json.dumps(option, allow_nan=False)


def test_trends_have_level_thresholds(plan) -> None:  # type: ignore[no-untyped-def]
    option = charts.cluster_trends(_monitor(plan), plan, "en")
    lines = option["series"][0]["markLine"]["data"]
    assert sorted(line["yAxis"] for line in lines) == [1000.0, 10000.0]  # 千亿/万亿 in 亿元
    assert option["yAxis"]["name"] == "100 million yuan"


def test_chain_graph_colours_and_edges(plan) -> None:  # type: ignore[no-untyped-def]
    chain = plan.chain("ic")
    nodes = pd.DataFrame(
        {"chain": "ic", "node": [n.id for n in chain.nodes], "revenue": 1e9, "status": "weak"}
    )
    nodes.loc[0, "status"] = "strong"
    option = charts.chain_graph(nodes, plan, "ic", "zh", link="/chains/ic/{node}")
    data = {d["id"]: d for d in option["series"][0]["data"]}
    assert data[chain.nodes[0].id]["itemStyle"]["color"] == charts.STATUS_COLOURS["strong"]
    assert data[chain.nodes[1].id]["itemStyle"]["color"] == charts.STATUS_COLOURS["weak"]
    assert data[chain.nodes[1].id]["url"] == f"/chains/ic/{chain.nodes[1].id}"
    assert len(option["series"][0]["links"]) == len(chain.edges)
    upstream = [data[n.id]["x"] for n in chain.nodes if n.stage == "upstream"]
    downstream = [data[n.id]["x"] for n in chain.nodes if n.stage == "downstream"]
    assert max(upstream) < min(downstream)  # drawn left (upstream) to right (downstream)


def test_target_projection_scales_money_to_yi() -> None:
    row = {
        "target_id": "x",
        "name_zh": "营收",
        "unit": "yuan",
        "year": 2025,
        "latest_year": 2023,
        "latest_value": 2.0e11,
        "projected_value": 2.5e11,
        "projected_p10": 2.2e11,
        "projected_p90": 2.8e11,
        "comparator": ">=",
        "target_value": 3.0e11,
    }
    option = charts.target_projection(row, "zh")
    assert option["xAxis"]["data"] == ["2023", "2024", "2025"]
    assert option["series"][0]["data"][0] == pytest.approx(2000.0)
    assert option["series"][0]["markLine"]["data"][0]["yAxis"] == pytest.approx(3000.0)
    assert option["series"][2]["data"][-1] == pytest.approx(600.0)  # p90 − p10 in 亿元


def test_to_json_escapes_script_end() -> None:
    assert "</script" not in charts.to_json({"a": "</script><script>alert(1)</script>"})
