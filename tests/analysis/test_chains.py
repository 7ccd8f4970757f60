"""Chain analysis on a hand-built registry whose answers are worked out by hand below."""

from __future__ import annotations

import math

import ibis
import pandas as pd
import pytest

from clusteratlas.analysis import chains
from clusteratlas.errors import AnalysisError
from clusteratlas.model.plan import load_plan
from sample_registry import FIRM_YEARS, FIRMS

PLAN = load_plan("beijing-2441")


def test_assign_explains_rules() -> None:
    out = chains.assign(FIRMS, PLAN, chain="ic")
    got = {(r.firm_id, r.node): r.rule for r in out.itertuples()}
    assert got[("b1", "design")] == "code:6520"
    assert got[("b3", "wafer_fab")] == "code:3973"
    assert got[("s2", "equipment")] == "code:3562"
    # keyword rule in scope; s1 is a fab (code) and also does packaging (keyword)
    assert got[("t1", "packaging_testing")] == "keyword:scope:封装测试"
    assert ("s1", "wafer_fab") not in got  # vetoed by the fab node's exclude_keywords (封装)
    assert got[("s1", "packaging_testing")] == "keyword:scope:封装测试"
    assert set(out["stage"]) <= {"upstream", "midstream", "downstream", "support"}


def test_node_metrics_status_and_lq_by_hand() -> None:
    out = chains.nodes(FIRMS, FIRM_YEARS, PLAN, region="110000", year=2024, chain="ic")
    by = out.set_index("node")
    # 2024 totals: Beijing = 1.2e9+3e8+5e9+1e9+5e8 = 8.0e9; all = 8.0e9+1e10+2e9+6e8+3e9 = 2.36e10
    design = by.loc["design"]
    assert design["firms"] == 3 and design["revenue"] == pytest.approx(2.0e9)
    assert design["national_revenue"] == pytest.approx(2.0e9)
    assert design["lq"] == pytest.approx((2.0e9 / 8.0e9) / (2.0e9 / 2.36e10))
    assert design["status"] == "strong"  # LQ 2.95 ≥ 1.25 and 3 firms
    assert design["revenue_prev"] == pytest.approx(1.0e9)  # b5 did not exist in 2023
    assert design["growth"] == pytest.approx(1.0)
    assert design["top_firms"].split("、")[0] == "北京甲芯微电子有限公司"
    fab = by.loc["wafer_fab"]
    assert fab["firms"] == 1 and fab["status"] == "present"  # LQ high but only one firm
    assert fab["lq"] == pytest.approx((5e9 / 8e9) / (5e9 / 2.36e10))
    assert by.loc["equipment", "status"] == "missing"
    assert by.loc["packaging_testing", "status"] == "missing"
    assert by.loc["eda_ip", "firms"] == 0
    assert list(out["node"]) == [n.id for n in PLAN.chain("ic").nodes]


def test_weak_status_threshold_edge() -> None:
    rules = chains.NodeRules(strong_lq=100.0, weak_lq=3.0, min_firms_strong=1)
    out = chains.nodes(
        FIRMS, FIRM_YEARS, PLAN, region="110000", year=2024, chain="ic", rules=rules
    ).set_index("node")
    assert out.loc["design", "lq"] < 3.0 and out.loc["design", "status"] == "weak"


def test_coverage_weights() -> None:
    out = chains.nodes(FIRMS, FIRM_YEARS, PLAN, region="110000", year=2024, chain="ic")
    cov = chains.coverage(out).set_index("chain").loc["ic"]
    statuses = out["status"].tolist()
    expected = sum(chains.STATUS_WEIGHT[s] for s in statuses) / len(statuses)
    assert cov["coverage"] == pytest.approx(expected)
    assert cov["nodes"] == 8 and cov["missing"] == statuses.count("missing")


def test_local_sourcing_with_supply_edges() -> None:
    edges = pd.DataFrame(
        {
            "supplier": ["b1", "s2", "s1"],
            "customer": ["b3", "b3", "b3"],
            "year": [2024] * 3,
            "value": [1e8, 3e8, 0.0],
        }
    )
    out = chains.nodes(
        FIRMS, FIRM_YEARS, PLAN, region="110000", year=2024, chain="ic", supply_edges=edges
    ).set_index("node")
    assert out.loc["wafer_fab", "local_sourcing"] == pytest.approx(1e8 / 4e8)
    assert math.isnan(out.loc["design", "local_sourcing"])


def test_leaders_rule() -> None:
    out = chains.leaders(FIRMS, FIRM_YEARS, PLAN, region="110000", year=2024, chain="ic")
    first = out.iloc[0]
    assert first["firm_id"] == "b3" and bool(first["leader"])  # 50亿元, 100% of its node
    b2 = out[out.firm_id == "b2"]
    assert b2.empty or not bool(b2["leader"].iloc[0])  # 3亿元 < 10亿元
    assert {"size", "node_share", "reach", "innovation", "score"} <= set(out.columns)


def test_attraction_candidates_components_and_order() -> None:
    tags = pd.DataFrame(
        {"firm_id": ["s2"], "year": [2023], "tag": ["little_giant"], "source": ["certified"]}
    )
    out = chains.attraction_candidates(
        FIRMS,
        FIRM_YEARS,
        PLAN,
        chain="ic",
        node="equipment",
        region="110000",
        year=2024,
        tags=tags,
    )
    assert list(out["firm_id"]) == ["s2"]
    row = out.iloc[0]
    assert row["tier"] == 1.0 and row["best_tag"] == "little_giant"
    assert row["growth"] == pytest.approx(1.0)
    assert 1000 < row["distance_km"] < 1150  # Shanghai Pudong – Beijing ≈ 1,070 km
    expected = sum(
        w * row[c]
        for c, w in zip(
            ["size", "growth_rank", "rd_rank", "tier", "proximity"],
            chains.DEFAULT_ATTRACT_WEIGHTS.values(),
            strict=True,
        )
    )
    assert row["score"] == pytest.approx(expected)


def test_attraction_packaging_ranks_and_excludes_region() -> None:
    out = chains.attraction_candidates(
        FIRMS, FIRM_YEARS, PLAN, chain="ic", node="packaging_testing", region="110000", year=2024
    )
    assert set(out["firm_id"]) == {"s1", "t1"}
    assert out["score"].is_monotonic_decreasing
    assert out.set_index("firm_id").loc["t1", "distance_km"] < 150  # Tianjin Binhai


def test_bad_chain_or_node_is_clear() -> None:
    with pytest.raises(Exception, match="no chain"):
        chains.nodes(FIRMS, FIRM_YEARS, PLAN, region="110000", chain="nope")
    with pytest.raises(AnalysisError, match="no node"):
        chains.attraction_candidates(FIRMS, FIRM_YEARS, PLAN, chain="ic", node="x", region="110000")


def test_ibis_inputs_same_as_pandas() -> None:
    a = chains.nodes(FIRMS, FIRM_YEARS, PLAN, region="110000", year=2024, chain="ic")
    b = chains.nodes(
        ibis.memtable(FIRMS),
        ibis.memtable(FIRM_YEARS),
        PLAN,
        region="110000",
        year=2024,
        chain="ic",
    )
    pd.testing.assert_frame_equal(a, b)
