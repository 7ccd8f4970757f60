"""Region-code containment (GB/T 2260) and great-circle distance."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from clusteratlas.geo import haversine_km, region_prefix, within


def test_region_prefix() -> None:
    assert region_prefix("110000") == "11"
    assert region_prefix("130100") == "1301"
    assert region_prefix("110108") == "110108"
    assert region_prefix("CN") == ""  # the country contains every region


def test_within_keeps_parts_of_a_region() -> None:
    t = ibis.memtable(pd.DataFrame({"r": ["110108", "110000", "120116", "130102", "131000"]}))

    def kept(code: str) -> list[str]:
        return sorted(t.filter(within(t.r, code)).r.to_pandas())

    assert kept("110000") == ["110000", "110108"]
    assert kept("130100") == ["130102"]
    assert kept("120116") == ["120116"]
    assert len(kept("CN")) == 5


def test_haversine_beijing_shanghai() -> None:
    # Tiananmen (116.3975, 39.9087) to the Bund (121.4903, 31.2417): about 1,067 km
    t = ibis.memtable(pd.DataFrame({"lon": [121.4903], "lat": [31.2417]}))
    km = float(t.select(d=haversine_km(t.lon, t.lat, 116.3975, 39.9087)).d.to_pandas()[0])
    assert km == pytest.approx(1067, abs=10)
