"""The chain-node status rule (docs/chains.md): thresholds, order and monotonicity."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusteratlas.analysis.chains import NodeRules, node_status

RANK = {"missing": 0, "weak": 1, "present": 2, "strong": 3}


@pytest.mark.parametrize(
    ("firms", "lq", "expected"),
    [
        (0, 5.0, "missing"),  # no firm wins over any LQ
        (0, np.nan, "missing"),
        (3, 1.25, "strong"),  # both thresholds are inclusive
        (2, 9.0, "present"),  # specialised but too few firms to be strong
        (3, 1.2499, "present"),
        (1, 0.75, "present"),
        (1, 0.7499, "weak"),
        (4, 0.0, "weak"),
        (4, np.nan, "weak"),  # firms without revenue: LQ undefined
    ],
)
def test_status_thresholds(firms: int, lq: float, expected: str) -> None:
    assert node_status(np.array([firms]), np.array([lq]))[0] == expected


def test_rules_are_parameters() -> None:
    rules = NodeRules(strong_lq=2.0, weak_lq=0.5, min_firms_strong=1)
    got = node_status(np.array([1, 1, 1]), np.array([2.0, 1.9, 0.49]), rules)
    assert got.tolist() == ["strong", "present", "weak"]


@given(
    firms=st.integers(min_value=0, max_value=50),
    lq=st.floats(min_value=0, max_value=20, allow_nan=False),
    more=st.floats(min_value=0, max_value=5, allow_nan=False),
)
def test_status_never_drops_when_lq_or_firms_grow(firms: int, lq: float, more: float) -> None:
    base = RANK[str(node_status(np.array([firms]), np.array([lq]))[0])]
    higher_lq = RANK[str(node_status(np.array([firms]), np.array([lq + more]))[0])]
    more_firms = RANK[str(node_status(np.array([firms + 1]), np.array([lq]))[0])]
    assert higher_lq >= base and more_firms >= base
