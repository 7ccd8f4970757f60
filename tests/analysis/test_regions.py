"""Regional coordination across Beijing–Tianjin–Hebei, checked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from clusteratlas.analysis.regions import capacity, group_members
from clusteratlas.errors import AnalysisError
from clusteratlas.model.plan import load_plan

PLAN = load_plan()

FIRMS = pd.DataFrame(
    [
        ("b1", "110108", "6520", "北京设计甲", "集成电路设计"),
        ("b2", "110115", "3973", "北京晶圆乙", "集成电路制造"),
        ("t1", "120116", "3973", "天津晶圆丙", "集成电路制造"),
        ("h1", "130100", "3985", "石家庄材料丁", "电子专用材料制造"),
        ("h2", "131000", "3670", "廊坊零部件戊", "汽车零部件制造"),
        ("x1", "310115", "3562", "上海设备己", "半导体设备制造"),
    ],
    columns=["firm_id", "region", "industry", "name", "scope"],
)
FIRM_YEARS = pd.DataFrame(
    {
        "firm_id": ["b1", "b2", "t1", "h1", "h2", "x1"],
        "year": [2024] * 6,
        "revenue": [2e9, 6e9, 2e9, 1e9, 4e9, 5e9],
    }
)


def test_members_are_top_level_regions() -> None:
    assert group_members(None, "jingjinji") == ["110000", "120000", "130000"]
    with pytest.raises(AnalysisError, match="unknown region group"):
        group_members(None, "atlantis")


def test_capacity_shares_lq_specialist_and_gaps() -> None:
    out = capacity(FIRMS, FIRM_YEARS, PLAN, group="jingjinji", chain="ic")
    fab = out[out.node == "wafer_fab"].set_index("member")
    assert fab.loc["110000", "share_of_group"] == pytest.approx(6e9 / 8e9)
    # LQ Beijing fab: (6e9 / 8e9 Beijing total) / (8e9 fab / 20e9 all)
    assert fab.loc["110000", "lq"] == pytest.approx((6 / 8) / (8 / 20))
    assert fab.loc["120000", "lq"] == pytest.approx((2 / 2) / (8 / 20))
    assert fab["specialist"].iloc[0] == "120000"  # Tianjin's only firm is a fab: LQ 2.5
    materials = out[out.node == "materials"].set_index("member")
    assert materials["specialist"].iloc[0] == "130000"
    equipment = out[out.node == "equipment"]
    assert set(equipment["gap"]) == {"missing"}  # only Shanghai has equipment: outside the group
    assert len(out) == len(PLAN.chain("ic").nodes) * 3
