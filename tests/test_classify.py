"""Firm classification into plan clusters: code prefixes, keywords, precedence, vetoes."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from clusteratlas.classify import classify_firms, match_members
from clusteratlas.model.plan import MemberRules, load_plan

# Real-looking firms (names and 经营范围 in the style of registry extracts); not real companies.
FIRMS = pd.DataFrame(
    {
        "firm_id": ["f1", "f2", "f3", "f4", "f5", "f6", "f7"],
        "industry": ["3973", "6520", "6513", "7320", "3670", "3581", "5191"],
        "name": [
            "北京燕东微电子科技有限公司",
            "北京某芯设计有限公司",
            "北京智谱华章人工智能科技有限公司",
            "北京量子信息科学研究院",
            "北京汽车零部件有限公司",
            "北京医疗器械有限公司",
            "北京芯片销售代理有限公司",
        ],
        "scope": [
            "集成电路制造；半导体器件销售",
            "集成电路设计；技术开发",
            "技术开发、技术咨询；人工智能基础软件开发；人工智能应用软件开发",
            "量子计算技术研究；自然科学研究",
            "汽车零部件制造；自动驾驶系统研发",
            "第二类医疗器械生产",
            "芯片销售代理；电子产品批发",
        ],
    }
)


def _pairs(frame: pd.DataFrame, member: str = "cluster") -> dict[tuple[str, str], str]:
    return {(r.firm_id, getattr(r, member)): r.rule for r in frame.itertuples()}


def test_beijing_plan_assignments_are_explained() -> None:
    result = _pairs(classify_firms(FIRMS, load_plan()))
    assert result[("f1", "ic")] == "code:3973"
    assert result[("f2", "ic")] == "code:6520"
    assert ("f2", "ngit") not in result  # 6520 excluded from NGIT: it belongs to the IC cluster
    assert result[("f3", "ngit")] == "code:65"
    assert result[("f3", "ai")] == "keyword:name:人工智能"  # name beats scope
    assert result[("f4", "sci_tech_services")] == "code:73"
    assert result[("f4", "quantum_brain")] == "keyword:name:量子"
    assert result[("f5", "icv")] == "code:36"
    assert result[("f6", "medicine_health")] == "code:358"
    assert ("f6", "smart_equipment") not in result  # 358 vetoed by exclude_codes
    assert result[("f1", "high_end")].startswith("includes:")
    # wholesale agent outside keyword_codes of IC, and vetoed by exclude_keywords anyway
    assert ("f7", "ic") not in result


def test_every_firm_once_per_cluster_and_aggregate_counts_distinct() -> None:
    out = classify_firms(FIRMS, load_plan())
    assert not out.duplicated(["firm_id", "cluster"]).any()
    high_end = out[out.cluster == "high_end"]
    assert set(high_end.firm_id) == set(out[out.cluster != "high_end"].firm_id)


def test_longer_prefix_and_code_precedence() -> None:
    members = [("m", MemberRules(codes=["39", "3973"], keywords=["芯片"]))]
    firms = pd.DataFrame(
        {"firm_id": ["a"], "industry": ["3973"], "name": ["芯片公司"], "scope": [""]}
    )
    assert _pairs(match_members(firms, members), "member") == {("a", "m"): "code:3973"}


def test_keyword_codes_restrict_keyword_rules() -> None:
    members = [("m", MemberRules(keywords=["芯片"], keyword_codes=["39"]))]
    firms = pd.DataFrame(
        {
            "firm_id": ["a", "b"],
            "industry": ["3979", "5191"],
            "name": ["芯片甲", "芯片乙"],
            "scope": ["", ""],
        }
    )
    assert set(match_members(firms, members)["firm_id"]) == {"a"}


def test_section_letters_expand_to_divisions() -> None:
    members = [("m", MemberRules(codes=["M"]))]
    firms = pd.DataFrame({"firm_id": ["a", "b"], "industry": ["7320", "6513"]})
    assert set(match_members(firms, members)["firm_id"]) == {"a"}


def test_ibis_in_ibis_out_same_result() -> None:
    plan = load_plan()
    lazy = classify_firms(ibis.memtable(FIRMS), plan)
    assert not isinstance(lazy, pd.DataFrame)
    eager = classify_firms(FIRMS, plan)
    key = ["firm_id", "cluster"]
    pd.testing.assert_frame_equal(
        lazy.to_pandas().sort_values(key).reset_index(drop=True),
        eager.sort_values(key).reset_index(drop=True),
    )


def test_missing_industry_column_is_a_clear_error() -> None:
    from clusteratlas.errors import AnalysisError

    with pytest.raises(AnalysisError, match="industry"):
        classify_firms(pd.DataFrame({"firm_id": ["a"]}), load_plan())
