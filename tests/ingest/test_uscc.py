"""USCC (GB 32100-2015) validation against published codes, and SQL/Python parity."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusteratlas.ingest.uscc import (
    CHARSET,
    WEIGHTS,
    is_valid_uscc,
    make_uscc,
    org_code_check_char,
    uscc_check_char,
    uscc_problem,
    uscc_sql,
)

# Codes published by the standard and in public business registries (not generated here).
PUBLISHED = [
    "91350100M000100Y43",  # GB 32100-2015, the standard's own example
    "914403001922038216",  # 华为技术有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "91110108551385082Q",  # 北京小米科技有限责任公司
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code: str) -> None:
    assert uscc_problem(code) is None
    assert is_valid_uscc(code.lower())  # case is normalised


def test_weights_are_powers_of_three_mod_31() -> None:
    # GB 32100-2015 table: 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(CHARSET) == 31 and not set("IOSVZ") & set(CHARSET)


def test_standard_example_worked() -> None:
    assert uscc_check_char("91350100M000100Y4") == "3"
    # GB 11714: M000100Y → 22·3 + 1·5 + 34·2 = 139; 11 − 139 mod 11 = 4
    assert org_code_check_char("M000100Y") == "4"
    assert make_uscc("91350100", "M000100Y") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("91350100M000100Y44", "uscc_check_digit"),
        ("91350100M000100Y4", "uscc_format"),
        ("91350100M000100I43", "uscc_format"),  # I is not in the character set
        ("913501OOM000100Y43", "uscc_format"),
        ("91350100M000100Y53", "uscc_org_code"),
        ("", "uscc_format"),
    ],
)
def test_rules(code: str, rule: str) -> None:
    assert uscc_problem(code) == rule


_CON = duckdb.connect()


def _sql_rule(codes: list[str]) -> list[str | None]:
    rows = _CON.execute(
        f"SELECT {uscc_sql('upper(trim(u))')} FROM unnest(?) WITH ORDINALITY AS t(u, i) ORDER BY i",
        [codes],
    ).fetchall()
    return [r[0] for r in rows]


def test_sql_matches_python_on_published_and_broken() -> None:
    codes = [*PUBLISHED, "91350100M000100Y44", "91350100M000100Y53", "ABC"]
    assert _sql_rule(codes) == [uscc_problem(c) for c in codes]


body = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8)


@settings(max_examples=200, deadline=None)
@given(prefix=st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8), org=body)
def test_generated_codes_valid_and_single_errors_caught(prefix: str, org: str) -> None:
    code = make_uscc(prefix, org)
    assert is_valid_uscc(code)
    for pos in range(18):
        for other in "0A":
            if code[pos] != other:
                mutated = code[:pos] + other + code[pos + 1 :]
                assert uscc_problem(mutated) is not None


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYIOZ", min_size=16, max_size=19),
        min_size=1,
        max_size=20,
    )
)
def test_sql_python_parity(codes: list[str]) -> None:
    assert _sql_rule(codes) == [uscc_problem(c) for c in codes]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_crashes(text: str) -> None:
    assert uscc_problem(text) in (None, "uscc_format", "uscc_org_code", "uscc_check_digit")
