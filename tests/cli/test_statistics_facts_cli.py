"""Issue 13 from the command line: ``clusters`` on a workspace holding only a yearbook-style
table, and ``init``/``status``/``targets`` with the packaged facts."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pandas as pd
import pytest

from clirun import run_cli

YEARBOOK = """地区代码,行业代码,年份,指标,数值,单位
110108,6513,2022,营业收入,1200.5,亿元
110108,6520,2022,营业收入,300,亿元
110108,6511,2022,营业收入,40.25,亿元
110108,2710,2022,营业收入,50,亿元
110108,2761,2022,营业收入,20,亿元
110108,3581,2022,营业收入,10,亿元
110108,0111,2022,营业收入,5,亿元
110108,5211,2022,营业收入,70,亿元
110108,6513,2022,从业人员,120000,人
110108,0111,2022,从业人员,800,人
110108,6513,2021,营业收入,1000,亿元
"""


_run = partial(run_cli, timeout=300)


def test_yearbook_only_workspace_runs_the_monitor(tmp_path: Path) -> None:
    (tmp_path / "yb.csv").write_text(YEARBOOK, encoding="utf-8")
    imported = _run("import", "observations", "yb.csv", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    result = _run("clusters", "--region", "110108", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {r["cluster"]: r for r in json.loads(result.stdout)}
    assert {r["region"] for r in rows.values()} == {"110108"}
    assert {r["year"] for r in rows.values()} == {2022}
    assert {r["data_basis"] for r in rows.values()} == {"statistics"}
    yi = 1e8
    assert rows["software_info_services"]["revenue"] == pytest.approx((1200.5 + 300 + 40.25) * yi)
    assert rows["ngit"]["revenue"] >= rows["software_info_services"]["revenue"]
    assert rows["medicine_health"]["revenue"] >= 70 * yi
    in_any = (1200.5 + 300 + 40.25 + 50 + 20 + 10) * yi  # not 0111 稻谷种植, not 5211 百货零售
    assert rows["high_end"]["revenue"] == pytest.approx(in_any)
    assert rows["ai"]["status"] == "not measurable from statistics"
    assert rows["ai"]["revenue"] is None

    table = _run("clusters", "--region", "110108", "--lang", "en", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "official statistics" in table.stdout
    registry = _run("clusters", "--basis", "registry", cwd=tmp_path)
    assert registry.returncode != 0
    assert "Traceback" not in registry.stderr
    assert "import firms" in registry.stderr


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
