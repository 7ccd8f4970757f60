"""Loading the plan region's packaged facts into a workspace (issue 13)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from clusteratlas.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_init_loads_facts_and_status_lists_them(tmp_path: Path) -> None:
    first = _run("init", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "beijing-facts" in first.stderr
    again = _run("init", cwd=tmp_path)  # idempotent
    assert again.returncode == 0, again.stderr
    listed = _run("status", "--facts", "--format", "csv", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    facts = pd.read_csv(pd.io.common.StringIO(listed.stdout))
    assert not facts.duplicated(["indicator", "region", "year"]).any()
    gdp = facts[(facts["indicator"] == "gdp") & (facts["region"] == 110000)]
    assert gdp["year"].min() == 2015 and gdp["official"].sum() >= 8
    targets = _run("targets", "--format", "json", cwd=tmp_path)
    assert targets.returncode == 0, targets.stderr
    rows = {r["target_id"]: r for r in json.loads(targets.stdout)}
    assert rows["high_end_share_2025"]["latest_value"] == 0.301  # a fact, loaded by init
    pharma = rows["pharma_manufacturing_revenue_2025"]
    assert pharma["status"] == "no data"
    assert "import a firm registry" in pharma["note"]

    bare = tmp_path / "bare"
    bare.mkdir()
    skipped = _run("init", "--no-facts", cwd=bare)
    assert skipped.returncode == 0 and "beijing-facts" not in skipped.stderr
    listed = _run("status", "--facts", "--format", "csv", cwd=bare)
    assert listed.stdout.strip().splitlines()[1:] == []
