"""One definition of each share, used by the monitor and the tracker alike (issue 13)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from clusteratlas.analysis.panel import cluster_monitor
from clusteratlas.analysis.shares import gdp_by_year, published_shares, share_of_gdp
from clusteratlas.analysis.targets import assemble_actuals, track
from clusteratlas.model.plan import load_plan
from clusteratlas.refdata import beijing_facts

PLAN = load_plan()


@given(
    st.lists(st.floats(1e6, 1e11), min_size=1, max_size=6),
    st.floats(1e11, 1e13),
)
@settings(max_examples=15, deadline=None)
def test_monitor_share_of_gdp_is_value_added_over_gdp(values: list[float], gdp: float) -> None:
    panel = pd.DataFrame(
        {
            "firm_id": [f"f{i}" for i in range(len(values))],
            "year": 2022,
            "region": "110000",
            "industry": "6513",
            "cluster": "software_info_services",
            "revenue": values,
            "value_added": [v / 3 for v in values],
            "employees": 10.0,
        }
    )
    gdp_rows = pd.DataFrame(
        {
            "region": "110000",
            "year": [2022, 2022],
            "indicator": "gdp",
            "value": [gdp, 1.0],
            "bound": ["=", ">"],
        }
    )
    frame = cluster_monitor(panel, PLAN, gdp=gdp_by_year(gdp_rows))
    expected = share_of_gdp(sum(values) / 3, gdp)
    assert np.isclose(frame["share_gdp"].iloc[0], expected, rtol=1e-12)


def test_gdp_by_year_prefers_exact_values_and_the_first_row() -> None:
    rows = pd.DataFrame(
        {
            "region": "110000",
            "year": [2018, 2018, 2019, 2019],
            "indicator": "gdp",
            "value": [3.0e12, 3.03e12, 3.5e12, 3.6e12],
            "bound": [">", "=", "=", "="],
        }
    )
    gdp = gdp_by_year(rows).set_index("year")["gdp"]
    assert gdp.to_dict() == {2018: 3.03e12, 2019: 3.5e12}
    assert np.isnan(share_of_gdp(1.0, 0.0))


def test_monitor_and_tracker_show_the_same_published_share() -> None:
    facts = beijing_facts()
    monitor = pd.DataFrame(
        {
            "cluster": ["high_end", "high_end", "ngit"],
            "region": "110000",
            "year": [2021, 2024, 2021],
            "share_gdp": [0.55, 0.5, 0.3],
        }
    )
    published = published_shares(monitor, facts, PLAN, "110000")
    assert published.iloc[0] == 0.301  # 十大高精尖产业增加值占GDP比重 2021 (facts row 36)
    assert np.isnan(published.iloc[1]) and np.isnan(published.iloc[2])
    tracked = track(PLAN, assemble_actuals(PLAN, observations=facts), n_sim=50)
    row = tracked.set_index("target_id").loc["high_end_share_2025"]
    assert (row["latest_year"], row["latest_value"]) == (2021, published.iloc[0])
