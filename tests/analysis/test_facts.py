"""Loading the plan region's packaged facts into a workspace (issue 13)."""

from __future__ import annotations

import pandas as pd

from clusteratlas.analysis.facts import facts_to_load, official_quote, plan_facts
from clusteratlas.model.plan import load_plan


def test_latest_as_of_wins_and_nothing_clashes() -> None:
    facts = plan_facts(load_plan())
    assert set(facts["region"].str[:2]) == {"11"}  # Beijing and its districts only
    kept, superseded = facts_to_load(facts)
    assert not kept.duplicated(["indicator", "region", "year"]).any()
    giants = kept[
        (kept["indicator"] == "little_giant_count_national")
        & (kept["year"] == 2022)
        & (kept["region"] == "110000")
    ]
    assert giants["value"].tolist() == [588.0]  # as of 2022-10, not the June count 257
    assert sorted(superseded["as_of"]) == ["2022-06", "2022-06"]
    assert len(kept) + len(superseded) == len(facts)


def test_whole_year_beats_a_dated_snapshot() -> None:
    rows = pd.DataFrame(
        {
            "indicator": ["x", "x", "gdp", "gdp"],
            "region": "110000",
            "year": [2024, 2024, 2023, 2023],
            "as_of": ["2024-03", "", "", ""],
            "vintage": ["", "", "census4", "census5"],
            "source_row": [1, 2, 3, 4],
            "value": [114.0, 115.0, 1.0, 2.0],
            "unit": "count",
            "bound": "=",
            "low": None,
            "high": None,
            "source": "s",
            "note": "",
        }
    )
    kept, _ = facts_to_load(rows)
    assert kept.set_index("indicator")["value"].to_dict() == {"x": 115.0, "gdp": 2.0}


def test_official_quote_of_a_cited_page() -> None:
    url = "https://difang.gmw.cn/bj/2024-11/15/content_37677745.htm"
    assert "9761亿元" in official_quote(url)
    assert official_quote("https://example.org/not-official") == ""
