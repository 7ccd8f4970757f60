"""The demo workspace answers what a planner asks (issue 11), read through the CLI's JSON.

Built once with the demo's defaults (20,000 synthetic firms, seed 0, 2018–2024), then:
Beijing's cluster LQs spread out; the six chains use at least three statuses and few nodes
hold the whole national node; every weak or missing node has candidates elsewhere in the
country; complexity ranks one level of regions with an identified network; certified
专精特新 and 小巨人 firms mostly pass the rules they were certified under.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clusteratlas.cli import app

pytestmark = pytest.mark.slow
runner = CliRunner()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo-answers") / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out), "--n-sim", "200"])
    assert result.exit_code == 0, result.output
    return out / "workspace.duckdb"


def _json(workspace: Path, *args: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, [*args, "-w", str(workspace), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    return rows


def test_beijing_cluster_lqs_spread_out(workspace: Path) -> None:
    rows = _json(workspace, "clusters")
    assert {r["region"] for r in rows} == {"110000"}
    assert len({r["year"] for r in rows}) == 1  # the latest year
    lqs = [r["lq"] for r in rows if r["lq"] is not None]
    assert len(lqs) == len(rows)
    assert sum(lq > 1.25 for lq in lqs) >= 3
    assert max(lqs) - min(lqs) >= 0.5


@pytest.fixture(scope="module")
def chain_nodes(workspace: Path) -> list[dict[str, Any]]:
    return _json(workspace, "chains")


def test_chain_statuses_discriminate(chain_nodes: list[dict[str, Any]]) -> None:
    assert len({r["chain"] for r in chain_nodes}) == 6
    statuses = Counter(r["status"] for r in chain_nodes)
    assert len(statuses) >= 3, statuses
    whole = sum(1 for r in chain_nodes if (r["share_of_national"] or 0) >= 1 - 1e-9)
    assert whole <= 0.10 * len(chain_nodes)


def test_weak_and_missing_nodes_have_candidates_elsewhere(
    workspace: Path, chain_nodes: list[dict[str, Any]]
) -> None:
    gaps = [r for r in chain_nodes if r["status"] in ("weak", "missing")][:12]
    assert gaps
    for node in gaps:
        rows = _json(workspace, "attract", "--chain", node["chain"], "--node", node["node"])
        outside = [r for r in rows if not str(r["region"]).startswith("11")]
        assert len(outside) >= 3, node["node"]
        assert max(r["revenue"] for r in outside) >= 1e8, node["node"]  # ≥ 1亿元 (yuan)


def test_complexity_ranks_one_level_of_regions(workspace: Path) -> None:
    result = runner.invoke(app, ["complexity", "-w", str(workspace), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "not identified" not in result.stderr and "disconnected" not in result.stderr
    rows = json.loads(result.stdout)
    regions = {r["region"] for r in rows}
    assert len({len(code.rstrip("0")) <= 2 for code in regions}) == 1  # one level
    assert all(code.endswith("0000") for code in regions)  # provinces by default
    assert len(regions) >= 16
    latest = max(r["year"] for r in rows)
    ecis = [r["eci"] for r in rows if r["year"] == latest]
    assert max(ecis) - min(ecis) > 1.0  # not flat


def test_certified_firms_pass_their_rules(workspace: Path) -> None:
    rows = _json(workspace, "ladder", "--view", "compare")
    latest = max(r["year"] for r in rows if r["certified"])
    recall = {r["tier"]: r["recall"] for r in rows if r["year"] == latest}
    assert recall["zjtx"] >= 0.5
    assert recall["little_giant"] >= 0.5
