"""Firm classification into plan clusters: code prefixes, keywords, precedence, vetoes."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusteratlas.classify import classify_firms, keyword_alternatives, match_members
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
    # 6520 IC design is software (63–65), so in NGIT too: the child 软件和信息服务业 must stay
    # inside its parent (issue 13); the NGIT/IC overlap is declared in the plan
    assert result[("f2", "ngit")] == "code:65"
    assert result[("f2", "software_info_services")] == "code:65"
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


def test_overlapping_keywords_of_different_members_are_all_found() -> None:
    # regression: one left-to-right regex scan returned 自动驾驶芯片 only (so the member
    # listing 自动驾驶 was missed) and 人工智能 but not 智能网联 in 人工智能网联
    members = [
        ("ad", MemberRules(keywords=["自动驾驶"])),
        ("ad_chip", MemberRules(keywords=["自动驾驶芯片"])),
        ("chip", MemberRules(keywords=["芯片"])),
        ("ai", MemberRules(keywords=["人工智能"])),
        ("icv", MemberRules(keywords=["智能网联"])),
    ]
    firms = pd.DataFrame(
        {
            "firm_id": ["a", "b"],
            "industry": ["3979", "6513"],
            "name": ["北京自动驾驶芯片科技有限公司", "北京人工智能网联汽车研究院"],
            "scope": ["", ""],
        }
    )
    assert _pairs(match_members(firms, members), "member") == {
        ("a", "ad"): "keyword:name:自动驾驶",
        ("a", "ad_chip"): "keyword:name:自动驾驶芯片",
        ("a", "chip"): "keyword:name:芯片",
        ("b", "ai"): "keyword:name:人工智能",
        ("b", "icv"): "keyword:name:智能网联",
    }


def test_keyword_alternatives_close_under_overlaps() -> None:
    alts = keyword_alternatives(["人工智能", "智能网联", "网联测试"])
    assert alts["人工智能网联测试"] == ["人工智能", "智能网联", "网联测试"]
    assert alts["智能网联"] == ["智能网联"]
    assert len(keyword_alternatives(["哈哈"])) >= 1  # self-overlap stays bounded


# -- property: match_members equals a plain-Python reading of the documented rules ------------

_WORDS = ["芯片", "芯片设计", "设计", "人工智能", "智能网联", "网联", "哈哈", "软件"]
_FILL = ["北京", "有限公司", "技术开发", "；", "销售", "哈"]
_CODES = ["39", "397", "3973", "65", "651", "6513", "36"]


def _reference(firms: pd.DataFrame, members: list[tuple[str, MemberRules]]) -> dict:
    """The module docstring's rules with substring tests: code beats keyword, longer prefix
    beats shorter, name beats scope, ties by rule text; vetoes remove the member."""
    out = {}
    for f in firms.itertuples():
        for member, r in members:
            if any(f.industry.startswith(c) for c in r.exclude_codes) or any(
                w in f.name or w in f.scope for w in r.exclude_keywords
            ):
                continue
            cands = [
                ({4: 0, 3: 1, 2: 2}[len(c)], f"code:{c}")
                for c in r.codes
                if f.industry.startswith(c)
            ]
            kw_ok = not r.keyword_codes or any(f.industry.startswith(c) for c in r.keyword_codes)
            for prio, col in ((10, "name"), (20, "scope")):
                text = getattr(f, col)
                cands += [(prio, f"keyword:{col}:{w}") for w in r.keywords if kw_ok and w in text]
            if cands:
                out[(f.firm_id, member)] = min(cands)[1]
    return out


@st.composite
def _rules(draw: st.DrawFn) -> MemberRules:
    pick = lambda pool, n: draw(st.lists(st.sampled_from(pool), max_size=n, unique=True))  # noqa: E731
    return MemberRules(
        codes=pick(_CODES, 2),
        keywords=pick(_WORDS, 3),
        keyword_codes=pick(_CODES, 1) if draw(st.integers(0, 3)) == 0 else [],
        exclude_codes=pick(_CODES, 1) if draw(st.booleans()) else [],
        exclude_keywords=pick(_WORDS, 1) if draw(st.integers(0, 4)) == 0 else [],
    )


_TEXT = st.lists(st.sampled_from(_WORDS + _FILL), max_size=6).map("".join)


@settings(max_examples=100, deadline=None)
@given(
    rules=st.lists(_rules(), min_size=1, max_size=4),
    rows=st.lists(
        st.tuples(st.sampled_from(["3973", "3979", "6513", "6519", "3670", "5191"]), _TEXT, _TEXT),
        min_size=1,
        max_size=8,
    ),
)
def test_match_members_equals_reference(rules: list[MemberRules], rows: list[tuple]) -> None:
    members = [(f"m{i}", r) for i, r in enumerate(rules)]
    firms = pd.DataFrame(rows, columns=["industry", "name", "scope"])
    firms.insert(0, "firm_id", [f"f{i}" for i in range(len(firms))])
    assert _pairs(match_members(firms, members), "member") == _reference(firms, members)
