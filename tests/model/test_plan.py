"""The plan model and the shipped Beijing 2441 plan."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from clusteratlas.errors import PlanError
from clusteratlas.model.plan import builtin_plans, load_plan


def test_builtin_beijing_plan_validates() -> None:
    plan = load_plan("beijing-2441")
    assert "beijing-2441" in builtin_plans()
    groups = {c.group for c in plan.clusters}
    assert groups == {"aggregate", "pillar", "smart_manufacturing", "services", "future"}
    # the 2441 system: 2 pillars, 4 + 4 named industries (top-level, no parent)
    top = [c for c in plan.clusters if c.parent is None]
    assert sum(c.group == "pillar" for c in top) == 2
    assert sum(c.group == "smart_manufacturing" for c in top) == 4
    assert sum(c.group == "services" for c in top) == 4
    assert all(c.rationale for c in plan.clusters)
    assert plan.levels_desc() == [("trillion", 1e12), ("hundred_billion", 1e11)]


def test_targets_parse_bounds_and_ranges_first_class() -> None:
    plan = load_plan()
    by_id = {t.id: t for t in plan.targets}
    share = by_id["high_end_share_2025"]
    assert (share.comparator, share.value, share.unit) == (">=", pytest.approx(0.30), "fraction")
    count = by_id["trillion_clusters_2025"]
    assert (count.comparator, count.low, count.high, count.unit) == ("between", 4, 5, "count")
    assert by_id["ngit_revenue_2025"].value == pytest.approx(2.5e12)
    assert by_id["trillion_clusters_2035"].low == 8 and by_id["trillion_clusters_2035"].high == 10
    assert all(t.source for t in plan.targets)


def test_codes_of_clusters_exist_in_gbt4754() -> None:
    from clusteratlas.refdata import industries

    codes = set(industries()["code"])
    plan = load_plan()
    members = [*plan.clusters, *(n for ch in plan.chains for n in ch.nodes)]
    for member in members:
        for code in [*member.codes, *member.exclude_codes, *member.keyword_codes]:
            assert code in codes, f"{member.id}: {code} is not a GB/T 4754-2017 code"


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _minimal() -> dict:
    return {
        "id": "t",
        "name_zh": "测试",
        "name_en": "test",
        "region": "110000",
        "levels": [{"id": "big", "name_zh": "大", "name_en": "big", "threshold": "1万亿元"}],
        "clusters": [
            {
                "id": "a",
                "name_zh": "甲",
                "name_en": "A",
                "group": "pillar",
                "codes": ["27"],
                "rationale": "r",
            }
        ],
    }


def test_level_threshold_accepts_units(tmp_path: Path) -> None:
    assert load_plan(_write(tmp_path, _minimal())).levels[0].threshold == 1e12


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["clusters"].append(dict(d["clusters"][0])), "duplicate cluster"),
        (lambda d: d["clusters"][0].update(parent="nope"), "parent 'nope'"),
        (lambda d: d["clusters"][0].update(codes=["2x"]), "code prefix"),
        (lambda d: d["clusters"][0].update(group="other"), "group"),
        (
            lambda d: d.update(
                chains=[{"id": "c", "cluster": "zz", "name_zh": "链", "name_en": "c", "nodes": []}]
            ),
            "cluster 'zz'",
        ),
        (
            lambda d: d.update(
                chains=[
                    {
                        "id": "c",
                        "cluster": "a",
                        "name_zh": "链",
                        "name_en": "c",
                        "nodes": [
                            {"id": "n", "name_zh": "点", "name_en": "n", "stage": "upstream"}
                        ],
                        "edges": [["n", "m"]],
                    }
                ]
            ),
            "edge end 'm'",
        ),
        (lambda d: d.update(unknown_key=1), "unknown_key"),
    ],
)
def test_broken_plans_name_the_problem(tmp_path: Path, mutate, message: str) -> None:
    data = _minimal()
    mutate(data)
    with pytest.raises(PlanError, match=message):
        load_plan(_write(tmp_path, data))


def test_unknown_builtin_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="unknown plan"):
        load_plan("no-such-plan")
    with pytest.raises(PlanError, match="not found"):
        load_plan(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1,", encoding="utf-8")
    with pytest.raises(PlanError, match="not valid YAML"):
        load_plan(bad)


def test_include_appends_lists(tmp_path: Path) -> None:
    data = _minimal()
    data["include"] = ["more.yaml"]
    (tmp_path / "more.yaml").write_text(
        yaml.safe_dump(
            {
                "clusters": [
                    {
                        "id": "b",
                        "name_zh": "乙",
                        "name_en": "B",
                        "group": "future",
                        "rationale": "r",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    plan = load_plan(_write(tmp_path, data))
    assert [c.id for c in plan.clusters] == ["a", "b"]
