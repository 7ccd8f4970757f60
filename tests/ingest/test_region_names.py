"""Property tests: the region-name resolver and the numeric blank parser (issue 12)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusteratlas import refdata
from clusteratlas.ingest.regions import region_forms, resolve_regions, short_name
from clusteratlas.ingest.rules import BLANKS, parse_cells
from clusteratlas.ingest.uscc import make_uscc

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=1)
def _regions() -> pd.DataFrame:
    frame = refdata.regions()
    return frame[frame["code"] != "CN"].reset_index(drop=True)


@lru_cache(maxsize=1)
def _full_names() -> dict[str, str]:
    """code -> province + prefecture + own name (``吉林省长春市朝阳区``)."""
    info = {str(r.code): (str(r.parent), str(r.name_zh)) for r in _regions().itertuples()}
    names = {}
    for code, (parent, name) in info.items():
        chain = [name]
        while parent in info:
            chain.insert(0, info[parent][1])
            parent = info[parent][0]
        names[code] = "".join(chain)
    return names


@lru_cache(maxsize=1)
def _forms() -> pd.DataFrame:
    return region_forms(refdata.regions(), refdata.zones())


codes = st.sampled_from(sorted(_full_names()))
spaces = st.text(alphabet=" \u3000\t", max_size=2)


@SETTINGS
@given(st.lists(codes, min_size=1, max_size=8))
def test_codes_and_full_names_resolve_to_themselves(picked: list[str]) -> None:
    full = _full_names()
    # a full name may still be shared (two 城区 under one prefecture never happen, but guard)
    unique = [c for c in picked if (_forms()["form"] == full[c]).sum() == 1]
    got = resolve_regions(picked + [full[c] for c in unique])
    assert [g["code"] for g in got] == picked + unique


@SETTINGS
@given(codes, spaces, spaces)
def test_white_space_and_china_prefix_do_not_matter(code: str, before: str, after: str) -> None:
    name = _full_names()[code]
    plain, padded = resolve_regions([name, f"{before}中国{name}{after}"])
    assert plain == padded


@SETTINGS
@given(codes)
def test_short_names_resolve_or_list_every_candidate(code: str) -> None:
    own = str(_regions().set_index("code").loc[code, "name_zh"])
    short = short_name(own)
    [got] = resolve_regions([short])
    holders = set(_forms().loc[_forms()["form"] == short.lower(), "code"])
    assert code in holders
    if len(holders) == 1:
        assert got["code"] == code and got["rule"] is None
    else:
        # ambiguous unless a zone/region pair collapses; every candidate is listed
        assert got["rule"] == "region_ambiguous"
        assert all(h in str(got["candidates"]) for h in holders)


@SETTINGS
@given(st.sampled_from(["110105", "220104"]))
def test_uscc_province_settles_an_ambiguous_name(code: str) -> None:
    uscc = make_uscc("91" + code[:2] + "0000", "M000100Y")
    [got] = resolve_regions(["朝阳区"], [uscc])
    assert got["code"] == code


@SETTINGS
@given(st.sampled_from(BLANKS), spaces, spaces)
def test_blank_tokens_are_empty_not_errors(blank: str, before: str, after: str) -> None:
    [cell] = parse_cells([f"{before}{blank}{after}"], unit="万元")
    assert cell["value"] is None
    # the observation value is required: the blank is empty, not 'not_a_number'
    assert cell["rule"] == "required"


@SETTINGS
@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_numbers_in_wanyuan_become_yuan(number: Decimal) -> None:
    [cell] = parse_cells([str(number)], unit="万元", indicator="revenue")
    assert cell["rule"] is None
    expected = float(number) * 1e4
    assert abs(float(str(cell["value"])) - expected) <= 1e-9 * max(1.0, expected)
