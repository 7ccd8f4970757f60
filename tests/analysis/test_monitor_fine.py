"""The monitor at fine grain (region × four-digit industry) against hand-written references:
DuckDB SQL with windows and LAG, an independent pandas version, and ``monitor`` with the region
totals given as a separate table (see ``tests/fine_registry.py`` for the data and edge cases)."""

from __future__ import annotations

import re

import duckdb
import ibis
import numpy as np
import pandas as pd
import pytest

from clusteratlas.analysis.clusters import monitor
from fine_registry import (
    FLOWS,
    LEVELS,
    MEASURES,
    REFERENCE_SQL,
    assert_same,
    by_hand_pandas,
    ours,
    registry,
)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return registry()


def test_fine_monitor_equals_hand_written_sql(panel: pd.DataFrame) -> None:
    got = ours(panel)
    con = duckdb.connect()
    con.register("panel", panel)
    exp = con.sql(REFERENCE_SQL).df()
    assert_same(got, exp)
    # the edge cases are really in the data
    assert got.region.isna().any()
    gap = got[(got.cluster == "1005") & (got.year == 2022)]
    assert len(gap) and gap.revenue_yoy.isna().all()


def test_fine_monitor_equals_pandas_and_separate_totals(panel: pd.DataFrame) -> None:
    one_scan = ours(panel)
    assert_same(one_scan, by_hand_pandas(panel))
    separate = ours(panel, separate_totals=True)
    pd.testing.assert_frame_equal(one_scan, separate)
    assert list(one_scan.columns) == [
        "cluster",
        "region",
        "year",
        *MEASURES,
        "firms",
        "level",
        *(f"{m}_yoy" for m in FLOWS),
        "lq",
    ]
    expected_level = np.select(
        [one_scan.revenue >= 1e12, one_scan.revenue >= 1e10],
        ["trillion", "hundred_billion"],
        "below",
    )
    assert one_scan.level.tolist() == expected_level.tolist()


def test_fine_monitor_scans_the_panel_once_without_windows(panel: pd.DataFrame) -> None:
    """One aggregation of the panel feeds sizes, region totals and YoY: the compiled query
    reads the panel once and sorts only for the final order (no window function)."""
    con = ibis.duckdb.connect()
    t = con.create_table("the_panel", panel)
    sql = str(ibis.to_sql(monitor(t, measures=MEASURES, levels=LEVELS, region_totals=t)))
    assert len(re.findall(r'"the_panel"', sql)) == 1
    assert " OVER " not in sql.upper()
