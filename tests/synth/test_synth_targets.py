"""Calibration targets, year parsing and the vectorised USCC builder."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusteratlas.errors import ClusterAtlasError
from clusteratlas.synth import cluster_targets, parse_years, tag_targets
from clusteratlas.synth.generator import firm_ids, uscc_codes


def test_medicine_interpolation_is_log_linear() -> None:
    t = cluster_targets([2018, 2020, 2022]).set_index(["cluster", "year"])["revenue"]
    # facts: 6560亿 (2018), 8916亿 (2022); 2020 is their geometric mean
    assert t[("medicine_health", 2020)] == pytest.approx(np.sqrt(6560e8 * 8916e8), rel=1e-12)
    assert t[("medicine_health", 2018)] == pytest.approx(6560e8, rel=1e-12)


def test_bases_are_labelled() -> None:
    t = cluster_targets(list(range(2018, 2026)))
    assert set(t["basis"]) <= {
        "fact",
        "fact_bound",
        "interpolated",
        "extrapolated",
        "assumed",
        "derived",
    }
    row = t[(t["cluster"] == "ngit") & (t["year"] == 2023)].iloc[0]
    assert row["fact_bound"] == ">" and row["revenue"] > row["fact_value"] == 3e12
    ic = t[(t["cluster"] == "ic") & (t["year"] == 2024)].iloc[0]
    assert ic["basis"] == "fact" and ic["revenue"] == 2480e8


def test_tag_paths() -> None:
    t = tag_targets(list(range(2017, 2026))).set_index(["tag", "year"])["count"]
    assert t[("little_giant", 2018)] == 0  # list starts 2019
    assert t[("unicorn", 2020)] == round(np.sqrt(67 * 92))  # log-linear between 2019 and 2021
    assert t[("zjtx", 2025)] == 8754  # carried forward
    # 2022 has two published values for each list; the documented choice is used
    assert t[("zjtx", 2022)] == 5360 and t[("little_giant", 2022)] == 588
    assert t[("single_champion", 2017)] == 4 and t[("single_champion", 2022)] == 38


@given(st.integers(1990, 2030), st.integers(0, 5))
def test_parse_years_ranges(start: int, span: int) -> None:
    assert parse_years(f"{start}-{start + span}") == list(range(start, start + span + 1))
    assert parse_years(f"{start + span}，{start}") == sorted({start, start + span})


@pytest.mark.parametrize("text", ["", "abc", "2018-x", ","])
def test_parse_years_errors(text: str) -> None:
    with pytest.raises(ClusterAtlasError):
        parse_years(text)


def test_uscc_matches_the_ingest_reference_builder() -> None:
    from clusteratlas.ingest.uscc import make_uscc

    index = np.array([0, 1, 2, 999_999, 12_345_678], dtype=np.int64)
    region = np.frombuffer(b"110108" * len(index), np.uint8).reshape(-1, 6)
    codes = uscc_codes(index, region, seed=3).to_pylist()
    for code in codes:
        assert code == make_uscc(code[:8], code[8:16])  # independent scalar implementation
    assert len(set(codes)) == len(codes)


def test_uscc_known_example_check_characters() -> None:
    # GB 32100-2015's own example code: 91350100M000100Y43
    from clusteratlas.ingest.uscc import CHARSET

    target = "91350100M000100Y"
    value = 0
    for ch in target[8:16]:
        value = value * 31 + CHARSET.index(ch)
    m = 31**8
    # find the index whose body is M000100Y for seed 0 (inverse of the affine bijection)
    inv = pow(7919, -1, m)
    idx = ((value - 12345) * inv) % m
    region = np.frombuffer(b"350100", np.uint8).reshape(1, 6)
    assert uscc_codes(np.array([idx], np.int64), region, seed=0).to_pylist() == [
        "91350100M000100Y43"
    ]


def test_firm_ids() -> None:
    assert firm_ids(np.array([0, 42, 999_999_999])).to_pylist() == [
        "SYN000000000",
        "SYN000000042",
        "SYN999999999",
    ]
