"""Firms → plan clusters and chain nodes, by GB/T 4754 code prefixes and keyword rules.

Membership is many-to-many and every assignment is explainable: each output row names the
rule that matched (``code:3973``, ``keyword:name:芯片``, ``keyword:scope:集成电路``,
``includes:ic``). **Precedence** when several rules put the same firm into the same member:
a code match beats a keyword match, a longer code prefix beats a shorter one, a keyword in
the firm name beats one in the business scope (经营范围) — the row keeps the strongest rule.
``exclude_codes`` and ``exclude_keywords`` veto a member for a firm whatever matched.

Everything is one Ibis expression over the firm table (DuckDB or Spark): code rules are
equi-joins on the firm's code truncated to 2/3/4 characters; keyword rules are one regular
expression pass per text column for all members together (every match is joined to the
keywords it contains and on to the members listing them; overlapping keywords such as 自动驾驶
in 自动驾驶芯片 are all found, see :func:`keyword_alternatives`). No Python loop over firms.
When several keywords of one member match, the rule names the alphabetically first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import reduce

import ibis
import ibis.expr.types as ir
import pandas as pd

from clusteratlas.analysis._tabular import Tabular, like_input, require_columns, to_ibis
from clusteratlas.model.plan import Cluster, MemberRules, Plan

# rule priorities: lower wins
_CODE_PRIORITY = {4: 0, 3: 1, 2: 2}
_NAME_PRIORITY = 10
_SCOPE_PRIORITY = 20
_INCLUDE_PRIORITY = 30


def _section_divisions() -> dict[str, list[str]]:
    from clusteratlas.refdata import industries

    table = industries()
    divisions = table[table["level"] == "division"]
    grouped = divisions.groupby("parent")["code"].apply(list)
    return {str(k): list(v) for k, v in grouped.items()}


def _expand(codes: Sequence[str], sections: dict[str, list[str]] | None) -> list[str]:
    out: list[str] = []
    for code in codes:
        if code.isalpha():
            if sections is None:
                raise ValueError("section letters need the GB/T 4754 reference data")
            out.extend(sections.get(code, []))
        else:
            out.append(code)
    return out


def _code_rule_table(members: Sequence[tuple[str, MemberRules]], attr: str) -> pd.DataFrame:
    needs_sections = any(c.isalpha() for _, rules in members for c in getattr(rules, attr))
    sections = _section_divisions() if needs_sections else None
    rows = [
        (member, prefix, len(prefix))
        for member, rules in members
        for prefix in _expand(getattr(rules, attr), sections)
    ]
    return pd.DataFrame(rows, columns=["member", "prefix", "plen"]).astype(
        {"member": "string", "prefix": "string", "plen": "int64"}
    )


def _code_matches(firms: ir.Table, rules: pd.DataFrame, firm_id: str) -> ir.Table | None:
    """``firm_id, member, prefix`` for every firm whose industry starts with a rule prefix."""
    if rules.empty:
        return None
    rule_table = ibis.memtable(rules)
    parts = []
    for plen in sorted(set(rules["plen"])):
        truncated = firms.select(
            _fid=firms[firm_id], _prefix=firms.industry.cast("string").substr(0, int(plen))
        )
        sub = rule_table.filter(rule_table.plen == int(plen))
        parts.append(
            truncated.join(sub, truncated._prefix == sub.prefix).select(
                _fid="_fid", member="member", prefix="prefix", plen="plen"
            )
        )
    return reduce(lambda a, b: a.union(b), parts)


def _prefix_filter(industry: ir.StringValue, prefixes: Sequence[str]) -> ir.BooleanValue:
    by_len: dict[int, list[str]] = {}
    for prefix in prefixes:
        by_len.setdefault(len(prefix), []).append(prefix)
    tests = [industry.substr(0, n).isin(codes) for n, codes in sorted(by_len.items())]
    return reduce(lambda a, b: a | b, tests)


def _pattern(words: Sequence[str]) -> str:
    """An alternation of ``words``, longest first, without a capture group (a match is its
    group 0: regex engines find group-0 bounds with a DFA, capture groups cost ~4×)."""
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


#: bounds of the overlap closure in :func:`keyword_alternatives` (self-overlapping keywords
#: such as 哈哈 would otherwise grow without end)
MAX_ALTERNATIVE_CHARS = 64
MAX_ALTERNATIVES = 5000


def keyword_alternatives(keywords: Sequence[str]) -> dict[str, list[str]]:
    """The strings one scan searches for, each mapped to the keywords it contains.

    A left-to-right scan (``regexp_extract_all``, longest alternative first) returns
    non-overlapping matches, so it would miss 自动驾驶 inside 自动驾驶芯片 and 智能网联 in
    人工智能网联. The alternatives are therefore the keywords closed under *overlap merges*
    (人工智能 + 智能网联 → 人工智能网联, up to :data:`MAX_ALTERNATIVE_CHARS` characters),
    and every alternative stands for all keywords that are substrings of it. Then a keyword
    occurs in a text exactly when it is contained in one of the scan's matches.

    Parameters
    ----------
    keywords : sequence of str
        The keywords of the rules (Chinese text).

    Returns
    -------
    dict of str to list of str
        Each scan alternative → the keywords it contains.

    Examples
    --------
    >>> keyword_alternatives(["人工智能", "智能网联"])["人工智能网联"]
    ['人工智能', '智能网联']
    """
    words = sorted({w for w in keywords if w})
    found = set(words)
    frontier = list(words)
    while frontier and len(found) < MAX_ALTERNATIVES:
        fresh: list[str] = []
        for left in frontier:
            for word in words:
                for k in range(1, min(len(left), len(word))):
                    if left.endswith(word[:k]) and word not in left:
                        merged = left + word[k:]
                        if len(merged) <= MAX_ALTERNATIVE_CHARS and merged not in found:
                            found.add(merged)
                            fresh.append(merged)
        frontier = fresh
    return {alt: [w for w in words if w in alt] for alt in sorted(found)}


@ibis.udf.scalar.builtin
def regexp_extract_all(text: str, pattern: str, group: int) -> list[str]:  # type: ignore[empty-body]
    """Every match of ``pattern`` in ``text`` (capture ``group``): a DuckDB and Spark SQL
    built-in of the same name and arguments.

    Parameters
    ----------
    text : str
        The text searched.
    pattern : str
        Regular expression.
    group : int
        Capture group returned.

    Returns
    -------
    list of str
        The matches, left to right, not overlapping.
    """


def _keyword_matches(
    firms: ir.Table,
    members: Sequence[tuple[str, MemberRules]],
    firm_id: str,
    text_columns: Sequence[str],
) -> ir.Table | None:
    """Keyword hits of all members in one regular-expression pass per text column.

    The scan finds :func:`keyword_alternatives`; each match is joined to the keywords it
    contains and on to the members that list them; members with ``keyword_codes`` keep only
    firms whose industry starts with one of them.
    """
    pairs = [(member, kw) for member, rules in members for kw in rules.keywords]
    if not pairs:
        return None
    alternatives = keyword_alternatives([kw for _, kw in pairs])
    listed = pd.DataFrame(pairs, columns=["member", "kw"]).drop_duplicates()
    contained = pd.DataFrame(
        [(alt, kw) for alt, kws in alternatives.items() for kw in kws], columns=["alt", "kw"]
    )
    keywords = ibis.memtable(contained.merge(listed, on="kw").astype("string"))
    pattern = _pattern(list(alternatives))
    restricted = [(m, r) for m, r in members if r.keywords and r.keyword_codes]
    scope_rules = _code_rule_table(
        [(m, MemberRules(codes=r.keyword_codes)) for m, r in restricted], "codes"
    )
    parts = []
    for column, priority in zip(text_columns, (_NAME_PRIORITY, _SCOPE_PRIORITY), strict=False):
        text = firms[column].cast("string")
        # a keyword found twice in one text gives duplicate candidates; the final per
        # firm × member reduction in match_members drops them
        found = firms.select(
            _fid=firms[firm_id],
            _industry=firms.industry.cast("string"),
            alt=regexp_extract_all(text, pattern, 0).unnest(),
        )
        hits = found.join(keywords, "alt").drop("alt")
        free = hits.filter(~hits.member.isin([m for m, _ in restricted]))
        allowed = [free]
        for plen in sorted(set(scope_rules["plen"])):
            rules_n = ibis.memtable(scope_rules[scope_rules["plen"] == plen][["member", "prefix"]])
            keyed = hits.mutate(_p=hits._industry.substr(0, int(plen)))
            allowed.append(
                keyed.join(
                    rules_n, [keyed.member == rules_n.member, keyed._p == rules_n.prefix]
                ).select(*hits.columns)
            )
        kept = reduce(lambda x, y: x.union(y), allowed)
        parts.append(
            kept.select(
                "_fid",
                "member",
                rule=ibis.literal(f"keyword:{column}:") + kept.kw,
                priority=ibis.literal(priority),
            )
        )
    return reduce(lambda x, y: x.union(y), parts)


def _veto(
    firms: ir.Table, member: str, rules: MemberRules, firm_id: str, text_columns: Sequence[str]
) -> ir.Table | None:
    tests = []
    if rules.exclude_codes:
        sections = _section_divisions() if any(c.isalpha() for c in rules.exclude_codes) else None
        tests.append(
            _prefix_filter(firms.industry.cast("string"), _expand(rules.exclude_codes, sections))
        )
    if rules.exclude_keywords:
        pattern = _pattern(rules.exclude_keywords)
        tests.extend(
            firms[c].cast("string").re_search(pattern).fill_null(False) for c in text_columns
        )
    if not tests:
        return None
    vetoed = firms.filter(reduce(lambda a, b: a | b, tests))
    return vetoed.select(_fid=vetoed[firm_id], member=ibis.literal(member))


def match_members(
    firms: Tabular,
    members: Sequence[tuple[str, MemberRules]],
    *,
    firm_id: str = "firm_id",
    member_column: str = "member",
) -> Tabular:
    """Assign firms to members (clusters or chain nodes) by code and keyword rules.

    ``firms`` needs ``firm_id`` and ``industry`` (GB/T 4754 code) and optionally ``name`` and
    ``scope`` (经营范围) for keyword rules. Returns one row per firm × member with ``rule``
    (the strongest matching rule, see module docstring) — pandas in, pandas out; Ibis in,
    Ibis out.

    Parameters
    ----------
    firms : pandas.DataFrame or Ibis table
        Canonical ``firm`` rows.
    members : sequence of (str, MemberRules)
        Member ids and their rules.
    firm_id : str
        Firm id column.
    member_column : str
        Name of the output column holding the member id.

    Returns
    -------
    pandas.DataFrame or Ibis table
        Firm × member rows, the kind of ``firms`` (a building block of lazy pipelines).
    """
    table, was_pandas = to_ibis(firms)
    require_columns(table, [firm_id, "industry"], "classify")
    text_columns = [c for c in ("name", "scope") if c in table.columns]

    candidates: list[ir.Table] = []
    code_hits = _code_matches(table, _code_rule_table(members, "codes"), firm_id)
    if code_hits is not None:
        candidates.append(
            code_hits.select(
                "_fid",
                "member",
                rule=ibis.literal("code:") + code_hits.prefix,
                priority=code_hits.plen.cases(*_CODE_PRIORITY.items(), else_=3),
            )
        )
    if text_columns:
        hits = _keyword_matches(table, members, firm_id, text_columns)
        if hits is not None:
            candidates.append(hits)
    if not candidates:
        empty = pd.DataFrame(
            {
                firm_id: pd.Series(dtype="string"),
                member_column: pd.Series(dtype="string"),
                "rule": pd.Series(dtype="string"),
            }
        )
        return empty if was_pandas else ibis.memtable(empty)
    matched = reduce(lambda a, b: a.union(b), candidates)

    vetoes = [v for m, r in members if (v := _veto(table, m, r, firm_id, text_columns)) is not None]
    if vetoes:
        veto = reduce(lambda a, b: a.union(b), vetoes).distinct()
        matched = matched.anti_join(veto, ["_fid", "member"])

    # the strongest rule per firm × member: the minimum of "<priority><rule>" (a hash
    # aggregate; priorities are two digits, so text order is (priority, rule) order)
    key = matched.priority.cast("string").lpad(2, "0") + matched.rule
    best = matched.group_by(["_fid", "member"]).aggregate(_key=key.min())
    best = best.select(
        **{firm_id: best._fid, member_column: best.member, "rule": best._key.substr(2)}
    )
    return like_input(best, was_pandas)


def classify_firms(firms: Tabular, plan: Plan, *, firm_id: str = "firm_id") -> Tabular:
    """Firm × cluster rows (``firm_id, cluster, rule``) for every cluster of ``plan``.

    Aggregate clusters (``includes``) receive the distinct firms of the clusters they include
    (``'*'``: all non-aggregate clusters), with rule ``includes:<cluster>`` of the first one.
    The same as :func:`with_aggregate_clusters` of :func:`direct_clusters`.

    Parameters
    ----------
    firms : pandas.DataFrame or Ibis table
        Canonical ``firm`` rows (``firm_id, industry`` and optionally ``name``, ``scope``).
    plan : Plan
        The plan whose clusters classify the firms.
    firm_id : str
        Firm id column.

    Returns
    -------
    pandas.DataFrame or Ibis table
        ``firm_id, cluster, rule`` rows, the kind of ``firms``: the lazy monitor panel composes
        it (docs/DESIGN.md, "Analysis contract").
    """
    table, was_pandas = to_ibis(firms)
    direct = direct_clusters(table, plan, firm_id=firm_id)
    assert isinstance(direct, ir.Table)
    return like_input(with_aggregate_clusters(direct, plan, firm_id=firm_id), was_pandas)


def direct_clusters(firms: Tabular, plan: Plan, *, firm_id: str = "firm_id") -> Tabular:
    """Firm × cluster rows (``firm_id, cluster, rule``) of the plan's clusters that have rules
    of their own (not ``includes``): the first half of :func:`classify_firms`, which a caller
    may store before adding the aggregates (at national scale the two halves then do not hold
    their working memory at once).

    Parameters
    ----------
    firms : pandas.DataFrame or Ibis table
        Canonical ``firm`` rows.
    plan : Plan
        The plan.
    firm_id : str
        Firm id column.

    Returns
    -------
    pandas.DataFrame or Ibis table
        ``firm_id, cluster, rule`` rows, the kind of ``firms``.
    """
    direct: list[tuple[str, MemberRules]] = [(c.id, c) for c in plan.clusters if not c.includes]
    return match_members(firms, direct, firm_id=firm_id, member_column="cluster")


def with_aggregate_clusters(direct: Tabular, plan: Plan, *, firm_id: str = "firm_id") -> Tabular:
    """``direct`` (:func:`direct_clusters`'s rows) with the rows of the plan's aggregate
    clusters added: :func:`classify_firms`'s result.

    Parameters
    ----------
    direct : pandas.DataFrame or Ibis table
        ``firm_id, cluster, rule`` rows of the non-aggregate clusters.
    plan : Plan
        The plan.
    firm_id : str
        Firm id column.

    Returns
    -------
    pandas.DataFrame or Ibis table
        ``firm_id, cluster, rule`` rows, the kind of ``direct``.
    """
    result, was_pandas = to_ibis(direct)
    parts = [result]
    for cluster in (c for c in plan.clusters if c.includes):
        parts.append(_aggregate(result, cluster, plan, firm_id))
    return like_input(reduce(lambda a, b: a.union(b), parts), was_pandas)


def _aggregate(direct: ir.Table, cluster: Cluster, plan: Plan, firm_id: str) -> ir.Table:
    included = (
        [c.id for c in plan.clusters if not c.includes]
        if "*" in cluster.includes
        else list(cluster.includes)
    )
    rows = direct.filter(direct.cluster.isin(included))
    ranked = rows.mutate(
        _rank=ibis.row_number().over(group_by=[rows[firm_id]], order_by=[rows.cluster])
    )
    first = ranked.filter(ranked._rank == 0)
    return first.select(
        first[firm_id],
        cluster=ibis.literal(cluster.id),
        rule=ibis.literal("includes:") + first.cluster,
    )
