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
    sql = str(ibis.to_sql(monitor(t, measures=MEASURES, levels=LEVELS, region_totals=t, lazy=True)))
    assert len(re.findall(r'"the_panel"', sql)) == 1
    assert " OVER " not in sql.upper()


def test_fine_hhi_and_lq_equal_hand_written_sql(panel: pd.DataFrame) -> None:
    """``herfindahl`` (industry shares of each region × year) and ``location_quotient`` on the
    fine aggregate equal the perf anchor's SQL (window totals)."""
    from clusteratlas.analysis.clusters import herfindahl, location_quotient

    con = duckdb.connect()
    con.register("panel", panel)
    agg = con.sql(
        "SELECT year, region, cluster, sum(employees) AS employees FROM panel "
        "WHERE region IS NOT NULL AND cluster IS NOT NULL GROUP BY ALL"
    ).df()
    con.register("agg", agg)
    exp = con.sql(
        """SELECT year, region, sum(s * s) AS hhi, count(*) AS n_firms FROM (
             SELECT year, region, employees / sum(employees) OVER (PARTITION BY year, region) AS s
             FROM agg) GROUP BY ALL ORDER BY year, region"""
    ).df()
    got = herfindahl(agg, group=["year", "region"], firm="cluster", value="employees")
    got = got.sort_values(["year", "region"]).reset_index(drop=True)
    np.testing.assert_allclose(got.hhi.to_numpy(), exp.hhi.to_numpy(), rtol=1e-12)
    assert got.n_firms.tolist() == exp.n_firms.tolist()

    one_year = agg[agg.year == 2023].reset_index(drop=True)
    con.register("one_year", one_year.assign(i=np.arange(len(one_year))))
    exp_lq = con.sql(
        """SELECT (employees / sum(employees) OVER (PARTITION BY region))
                / (sum(employees) OVER (PARTITION BY cluster) / sum(employees) OVER ()) AS lq
           FROM one_year ORDER BY i"""
    ).df()
    got_lq = location_quotient(one_year, region="region", industry="cluster", value="employees")
    assert got_lq[["region", "cluster"]].equals(one_year[["region", "cluster"]])  # input order
    np.testing.assert_allclose(got_lq.lq.to_numpy(), exp_lq.lq.to_numpy(), rtol=1e-12)


def test_hhi_of_a_zero_total_is_null() -> None:
    from clusteratlas.analysis.clusters import herfindahl

    df = pd.DataFrame({"g": ["a", "a", "b"], "f": [1, 2, 1], "v": [0.0, 0.0, 3.0]})
    out = herfindahl(df, group="g", firm="f", value="v").sort_values("g")
    assert out.hhi.isna().tolist() == [True, False]
    assert out.n_firms.tolist() == [2, 1]
