"""Program KPIs: the measure rules and the status rule on small hand-made inputs."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from clusteratlas.analysis.programs import (
    Measured,
    ProgramInputs,
    measured_programs,
    programs_table,
    status_of,
)
from clusteratlas.model.plan import ProgramKpi, load_plan

PLAN = load_plan()


class FakeInputs(ProgramInputs):
    """Inputs set by hand (the cached properties are plain attributes here)."""

    def __init__(self, **tables: Any) -> None:
        super().__init__(None, PLAN)
        self.__dict__.update(tables)

    def capacity(self, group: str) -> pd.DataFrame | None:
        frame: pd.DataFrame | None = self.__dict__.get("capacity_frame")
        return frame

    def new_firms(self, years: int) -> Measured:
        return Measured(None, None)

    def keyword_firms(self, keywords: list[str]) -> Measured:
        return Measured(float(len(keywords)), 2024, True)

    def eligible(self, tier: str) -> Measured:
        return Measured(None, None)


def _kpi(**data: Any) -> ProgramKpi:
    return ProgramKpi.model_validate({"id": "k", "name_zh": "k", "name_en": "k", **data})


def test_status_rule() -> None:
    ranged = _kpi(
        measure={"kind": "cluster_count", "level": "trillion"}, target="4-5", unit_in="count"
    )
    assert (ranged.low, ranged.high, ranged.comparator) == (4, 5, "between")
    assert status_of(ranged, Measured(3.0, 2025)) == "not met"
    assert status_of(ranged, Measured(4.0, 2025)) == "met"
    assert status_of(ranged, Measured(None, None)) == "no data"
    at_most = _kpi(
        measure={"kind": "chain_count", "statuses": ["missing"]}, target="<5", unit_in="count"
    )
    assert status_of(at_most, Measured(5.0, 2024)) == "met"
    assert status_of(at_most, Measured(6.0, 2024)) == "not met"
    plain = _kpi(measure={"kind": "tag_count", "tag": "x", "imports": "firm_tag x"})
    assert status_of(plain, Measured(1.0, 2024)) == "measured"
    assert status_of(plain, Measured(None, None)) == "not measurable"
    assert status_of(_kpi(measure={"kind": "unmeasured"}), Measured(None, None)) == "not measurable"


def test_rules_on_hand_made_inputs() -> None:
    observations = pd.DataFrame(
        {
            "indicator": ["trillion_level_cluster_count"] * 2,
            "year": [2020, 2025],
            "value": [2.0, 3.0],
        }
    )
    monitor = pd.DataFrame(
        {
            "cluster": ["ngit", "ic", "icv", "software_info_services"],
            "region": PLAN.region,
            "year": 2024,
            "level": ["trillion", "hundred_billion", "hundred_billion", "trillion"],
        }
    )
    tags = pd.DataFrame(
        {
            "firm_id": ["a", "b", "b", "c", "a"],
            "year": [2024, 2024, 2024, 2023, 2023],
            "tag": ["little_giant", "little_giant", "unicorn", "little_giant", "single_champion"],
        }
    )
    nodes = pd.DataFrame(
        {
            "stage": ["upstream", "upstream", "midstream", "downstream"],
            "status": ["strong", "missing", "present", "missing"],
            "year": 2024,
        }
    )
    capacity = pd.DataFrame(
        {
            "year": 2024,
            "member": ["110000", "120000", "130000", "110000"],
            "revenue": [60.0, 25.0, 15.0, 0.0],
        }
    )
    data = FakeInputs(
        observations=observations,
        monitor=monitor,
        tags=tags,
        nodes=nodes,
        capacity_frame=capacity,
        synthetic=True,
    )
    table = programs_table(PLAN, data).set_index("kpi")
    assert table.loc["trillion_clusters", "actual"] == 3  # the published count wins
    assert table.loc["trillion_clusters", "year"] == 2025
    assert not table.loc["trillion_clusters", "synthetic"]
    assert table.loc["hundred_billion_clusters", "actual"] == 2  # top-level only, monitor
    assert table.loc["little_giants", "actual"] == 2  # distinct firms of the latest tag year
    assert table.loc["single_champions", "year"] == 2023
    assert table.loc["upstream_coverage", "actual"] == pytest.approx(0.5)
    assert table.loc["strong_nodes", "actual"] == pytest.approx(0.25)
    assert table.loc["missing_nodes", "actual"] == 2
    assert table.loc["tianjin_hebei_share", "actual"] == pytest.approx(0.4)
    assert 0.05 < table.loc["service_intensity", "actual"] < 0.3  # yuan per yuan, IO 2020
    assert table.loc["service_intensity", "year"] == 2020
    assert table.loc["smart_factories", "status"] == "not measurable"  # no such tag
    assert "smart_factory" in table.loc["smart_factories", "imports"]
    assert table.loc["technology_contracts", "status"] == "not measurable"
    assert table.loc["young_patenting_firms", "status"] == "no data"
    assert measured_programs(table.reset_index()) == 7  # 接棒 has no measure in these inputs
