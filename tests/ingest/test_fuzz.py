"""Property tests: the parsers raise nothing but ClusterAtlasError subclasses, and the SQL
cell parser agrees with the independent Python parser :func:`clusteratlas.units.parse_quantity`."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from clusteratlas.errors import ClusterAtlasError, InputError
from clusteratlas.ingest.aliases import ALIASES, map_headers, parse_mapping, split_unit
from clusteratlas.ingest.rules import parse_cells
from clusteratlas.units import parse_quantity
from clusteratlas.workspace import Workspace

UNITS = [
    "",
    "元",
    "万元",
    "亿元",
    "万亿元",
    "%",
    "人",
    "万人",
    "家",
    "bananas",
    " 万元",
    "亿",
    "USD",
    "美元",
    "个",
]
OPS = ["", ">", "<", "≥", "超过", "突破", "约", "近"]
number = st.one_of(
    st.integers(min_value=-(10**9), max_value=10**9).map(str),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda f: f"{f:.4f}"),
    st.sampled_from(["1,000", "1,234.5", ".5", "1e3", "3.", "+7", "0"]),
)
cell = st.one_of(
    st.builds(lambda op, a, u: f"{op}{a}{u}", st.sampled_from(OPS), number, st.sampled_from(UNITS)),
    st.builds(
        lambda a, b, u: f"{a}-{b}{u}",
        number.filter(lambda s: not s.startswith("-")),
        number.filter(lambda s: not s.startswith("-")),
        st.sampled_from(UNITS),
    ),
    st.text(alphabet="0123456789.,-+eE 元万亿%<>~人abc", max_size=12),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(cell, min_size=1, max_size=40))
@example(["+-0", " +-5", "+-5万元", "1_000", "-5"])  # DuckDB's cast read +-5 as -5 (found here)
def test_sql_cell_parser_matches_python(cells: list[str]) -> None:
    rows = parse_cells(list(cells), indicator="some_free_indicator")
    for text, row in zip(cells, rows, strict=True):
        try:
            q = parse_quantity(text)
        except ValueError:
            assert row["rule"] in ("not_a_number", "unit_unknown", "required"), (text, row)
            continue
        if not math.isfinite(q.value) or (q.low is not None and not math.isfinite(q.low)):
            continue
        if q.unit == "number":  # no unit: a free indicator needs one
            assert row["rule"] == "unit_missing", (text, row)
            continue
        assert row["rule"] is None, (text, row, q)
        assert row["unit"] == q.unit
        assert row["value"] == pytest.approx(q.value, rel=1e-12, abs=1e-12)
        assert (row["bound"] or "=") == q.bound
        if q.bound == "range":
            assert row["low"] == pytest.approx(q.low) and row["high"] == pytest.approx(q.high)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(max_size=20), max_size=12),
    st.dictionaries(st.text(max_size=8), st.text(max_size=12), max_size=3),
)
def test_header_mapping_never_crashes(headers: list[str], mapping: dict[str, str]) -> None:
    try:
        result = map_headers(headers, mapping)
    except InputError:
        return
    assert len(result) == len(headers)
    names = [h.canonical for h in result if h.canonical]
    assert len(names) == len(set(names))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(ALIASES)),
    st.sampled_from(["万元", "亿元", "%", "人"]),
    st.sampled_from(["({})", "（{}）", "[{}]", " ({})"]),
)
def test_header_unit_suffix(alias: str, unit: str, brackets: str) -> None:
    name, found = split_unit(alias + brackets.format(unit))
    assert found == unit
    assert ALIASES[name.lower().replace(" ", "")] == ALIASES[alias]


@given(st.lists(st.text(max_size=10), max_size=4))
def test_parse_mapping(pairs: list[str]) -> None:
    try:
        result = parse_mapping(pairs)
    except InputError:
        return
    assert all(k and v for k, v in result.items())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx", ".parquet", ".txt"]))
def test_reader_on_random_bytes(ws: Workspace, tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    for kind in ("firms", "observations"):
        with contextlib.suppress(ClusterAtlasError):
            ws.import_file(kind, path, allow_rejects=True, dataset="fuzz", replace=True)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.lists(st.text(alphabet='ab1,2"\n 万元%-.', max_size=6), min_size=4, max_size=4),
        max_size=6,
    )
)
def test_reader_on_random_csv_text(ws: Workspace, tmp_path: Path, rows: list[list[str]]) -> None:
    path = tmp_path / "random.csv"
    text = "firm_id,year,revenue,employees\n" + "\n".join(",".join(r) for r in rows)
    path.write_text(text, encoding="utf-8")
    with contextlib.suppress(ClusterAtlasError):
        ws.import_file("firm-years", path, allow_rejects=True, dataset="fuzz", replace=True)


def test_cells_are_trimmed_of_unicode_space() -> None:
    rows = parse_cells(["\t12万元\u3000", "\u00a03.5亿元 ", " 7 ", "\u3000"], indicator="revenue")
    assert [r["value"] for r in rows[:3]] == [120_000.0, 3.5e8, 7.0]
    assert [r["rule"] for r in rows] == [None, None, "unit_missing", "required"]
