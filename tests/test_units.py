"""Unit parsing and formatting: canonical units on the way in, 亿元/万亿元 on the way out."""

from __future__ import annotations

import contextlib
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusteratlas.units import (
    format_money,
    format_persons,
    format_share,
    parse_quantity,
    unit_factor,
)


@pytest.mark.parametrize(
    ("label", "canonical", "factor"),
    [
        ("元", "yuan", 1.0),
        ("万元", "yuan", 1e4),
        ("亿元", "yuan", 1e8),
        ("万亿元", "yuan", 1e12),
        ("100 million CNY (亿元)", "yuan", 1e8),
        ("10 thousand CNY (万元)", "yuan", 1e4),
        ("%", "fraction", 0.01),
        ("percent", "fraction", 0.01),
        ("万人", "persons", 1e4),
        ("人", "persons", 1.0),
        ("enterprises", "count", 1.0),
        ("100 million USD (亿美元)", "usd", 1e8),
    ],
)
def test_unit_factor(label: str, canonical: str, factor: float) -> None:
    assert unit_factor(label) == (canonical, factor)


def test_unknown_unit_raises_keyerror() -> None:
    with pytest.raises(KeyError):
        unit_factor("furlongs")


@pytest.mark.parametrize(
    ("cell", "unit", "value", "bound"),
    [
        ("3.5亿元", None, 3.5e8, "="),
        ("4028", "亿元", 4.028e11, "="),
        (">30000", "亿元", 3e12, ">"),
        ("突破3万亿元", None, 3e12, ">"),
        ("27.4%", None, 0.274, "="),
        ("1,234.5万元", None, 1.2345e7, "="),
        ("2.5万亿元", None, 2.5e12, "="),
        ("<5%", None, 0.05, "<"),
    ],
)
def test_parse_quantity(cell: str, unit: str | None, value: float, bound: str) -> None:
    quantity = parse_quantity(cell, unit)
    assert math.isclose(quantity.value, value, rel_tol=1e-12)
    assert quantity.bound == bound


def test_range_is_a_range_not_a_number() -> None:
    quantity = parse_quantity("4-5", "clusters")
    assert (quantity.bound, quantity.low, quantity.high, quantity.unit) == ("range", 4, 5, "count")
    assert parse_quantity("8至10个").high == 10


def test_cell_suffix_overrides_column_unit() -> None:
    assert parse_quantity("2亿元", "万元").value == 2e8


@pytest.mark.parametrize("cell", ["", "abc", "12 furlongs", "--3", "1.2.3亿元"])
def test_bad_cells_raise_valueerror(cell: str) -> None:
    with pytest.raises(ValueError):
        parse_quantity(cell, "万元")


@given(st.text(max_size=30))
def test_parse_never_crashes_with_other_errors(text: str) -> None:
    with contextlib.suppress(ValueError):
        parse_quantity(text, "万元")


@given(
    st.floats(min_value=0, max_value=1e9, allow_nan=False), st.sampled_from(["万元", "亿元", "元"])
)
def test_parse_roundtrip_numbers(number: float, unit: str) -> None:
    cell = f"{number:.6f}"
    assert math.isclose(parse_quantity(cell, unit).value, float(cell) * unit_factor(unit)[1])


def test_formatting() -> None:
    assert format_money(1.23e12) == "1.23万亿元"
    assert format_money(4.028e11) == "4,028亿元"
    assert format_money(9.761e11, lang="en") == "CNY 976.1 bn"
    assert format_money(float("nan")) == "—"
    assert format_share(0.274) == "27.4%"
    assert format_persons(123000) == "12.3万人"
    assert format_persons(123000, lang="en") == "123,000 persons"
