"""The statistics basis (issue 13): the monitor on region × industry × year observations."""

from __future__ import annotations

import pandas as pd
import pytest

from clusteratlas.analysis.statistics import (
    STATUS_UNMEASURABLE,
    statistics_monitor,
    statistics_panel,
    unmeasurable,
)
from clusteratlas.model.plan import load_plan

PLAN = load_plan()


def _obs(rows: list[tuple[str, str | None, int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["region", "industry", "year", "indicator", "value"])


def _sizes(obs: pd.DataFrame, **kwargs: object) -> pd.DataFrame:
    frame = statistics_monitor(statistics_panel(obs, PLAN, **kwargs), PLAN)  # type: ignore[arg-type]
    return frame.set_index(["cluster", "region", "year"])


YEARBOOK = _obs(
    [
        ("110108", "6513", 2022, "revenue", 1200.5e8),
        ("110108", "6520", 2022, "revenue", 300e8),
        ("110108", "6511", 2022, "revenue", 40e8),
        ("110108", "2710", 2022, "revenue", 50e8),
        ("110108", "2761", 2022, "revenue", 20e8),
        ("110108", "3581", 2022, "revenue", 10e8),
        ("110108", "0111", 2022, "revenue", 5e8),
        ("110108", "5211", 2022, "revenue", 70e8),
        ("110108", "6513", 2022, "employment", 120000.0),
        ("110108", None, 2022, "gdp", 9e11),  # all-industry rows are not cells
    ]
)


def test_yearbook_sizes_are_hand_sums() -> None:
    sizes = _sizes(YEARBOOK, region="110108")
    at = ("110108", 2022)
    assert sizes.loc[("software_info_services", *at), "revenue"] == pytest.approx(1540.5e8)
    assert (
        sizes.loc[("ngit", *at), "revenue"] >= sizes.loc[("software_info_services", *at), "revenue"]
    )
    assert sizes.loc[("medicine_health", *at), "revenue"] == pytest.approx(80e8)
    assert sizes.loc[("pharma_manufacturing", *at), "revenue"] == pytest.approx(70e8)
    # 0111 稻谷种植 and 5211 百货零售 are in no cluster; 6520 counted once although in NGIT and IC
    assert sizes.loc[("high_end", *at), "revenue"] == pytest.approx(1620.5e8)
    assert sizes.loc[("software_info_services", *at), "employees"] == pytest.approx(120000)
    assert pd.isna(sizes.loc[("high_end", *at), "firms"])  # no firm-count indicator imported


def test_keyword_only_clusters_are_a_status_not_a_zero() -> None:
    assert set(unmeasurable(PLAN)) == {"ai", "dual_carbon", "quantum_brain"}
    sizes = _sizes(YEARBOOK, region="110108")
    row = sizes.loc[("ai", "110108", 2022)]
    assert row["status"] == STATUS_UNMEASURABLE
    assert pd.isna(row["revenue"])
    assert sizes.loc[("ngit", "110108", 2022), "status"] == "measured"


def test_a_division_beside_its_classes_is_not_counted_twice() -> None:
    obs = _obs(
        [
            ("110000", "65", 2022, "revenue", 100.0),
            ("110000", "6513", 2022, "revenue", 60.0),
            ("110000", "6520", 2022, "revenue", 30.0),
            ("110000", "27", 2022, "revenue", 9.0),  # no class under it: kept
        ]
    )
    sizes = _sizes(obs)
    assert sizes.loc[("software_info_services", "110000", 2022), "revenue"] == 90.0
    assert sizes.loc[("high_end", "110000", 2022), "revenue"] == 99.0


def test_districts_sum_to_the_plan_region_only_where_it_has_no_rows() -> None:
    obs = _obs(
        [
            ("110108", "6513", 2021, "revenue", 10.0),
            ("110105", "6513", 2021, "revenue", 5.0),
            ("110000", "6513", 2022, "revenue", 40.0),
            ("110108", "6513", 2022, "revenue", 25.0),
            ("120000", "6513", 2022, "revenue", 99.0),  # Tianjin: outside the plan region
        ]
    )
    sizes = _sizes(obs)
    assert sizes.loc[("software_info_services", "110000", 2021), "revenue"] == 15.0
    assert sizes.loc[("software_info_services", "110000", 2022), "revenue"] == 40.0
    by_region = _sizes(obs, geography="firm")
    assert by_region.loc[("software_info_services", "110108", 2022), "revenue"] == 25.0
    assert by_region.loc[("software_info_services", "120000", 2022), "revenue"] == 99.0


def test_firm_counts_come_from_the_firms_indicator_as_integers() -> None:
    obs = _obs(
        [
            ("110000", "6513", 2022, "revenue", 10.0),
            ("110000", "6513", 2022, "firms", 12.0),
            ("110000", "6520", 2022, "firms", 3.0),
        ]
    )
    sizes = _sizes(obs)
    assert sizes.loc[("software_info_services", "110000", 2022), "firms"] == 15
    assert str(sizes["firms"].dtype) == "Int64"


def test_regions_capacity_on_statistics(tmp_path: object) -> None:
    from pathlib import Path

    from clusteratlas.analysis.regions import workspace_capacity
    from clusteratlas.workspace import open_workspace

    assert isinstance(tmp_path, Path)
    obs = pd.DataFrame(
        {
            "region": ["110108", "110105", "110000", "120000", "130100"],
            "industry": ["6513", "6513", "6513", "6513", "2710"],
            "year": 2022,
            "indicator": "revenue",
            "value": [1200e8, 300e8, 9999e8, 100e8, 200e8],
            "unit": "yuan",
        }
    )
    with open_workspace(tmp_path / "ws.duckdb") as ws:
        ws.import_frame("observations", obs, dataset="yb", source="test")
        frame = workspace_capacity(ws, PLAN, group="jingjinji", chain="ngit")
    assert set(frame["data_basis"]) == {"statistics"}
    assert frame["firms"].isna().all()  # a cell is not a firm
    software = frame[frame["node"] == "application_software"].set_index("member")["revenue"]
    # Beijing = its districts (the 110000 row beside them would count twice); Tianjin as given
    assert software.to_dict() == {"110000": 1500e8, "120000": 100e8, "130000": 0.0}
