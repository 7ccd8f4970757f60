"""One compound-growth definition: the per-group table form agrees with the scalar one."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from clusteratlas.analysis import clusters
from clusteratlas.analysis.growth import cagr, compound_rate


@pytest.mark.parametrize(
    ("start", "end", "years", "expected"),
    [
        (100.0, 121.0, 2, 0.1),
        (6560e8, 8916e8, 4, (8916 / 6560) ** 0.25 - 1),  # 亿元 → yuan: the unit cancels
        (100.0, 0.0, 3, -1.0),
        (0.0, 5.0, 2, math.nan),
        (-1.0, 5.0, 2, math.nan),
        (1.0, -5.0, 2, math.nan),
        (1.0, 2.0, 0, math.nan),
    ],
)
def test_scalar_cagr(start: float, end: float, years: float, expected: float) -> None:
    got = cagr(start, end, years)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected)


def test_table_cagr_is_the_scalar_cagr_per_group() -> None:
    rows = pd.DataFrame(
        {
            "g": ["a", "a", "b", "b", "c", "c", "d"],
            "year": [2019, 2023, 2019, 2023, 2019, 2023, 2023],
            "v": [6560e8, 8916e8, 0.0, 5.0, 10.0, 7.5, 3.0],
        }
    )
    out = clusters.cagr(rows, by=["g"], year="year", value="v", start=2019, end=2023)
    got = out.set_index("g").cagr.sort_index()
    expected = pd.Series(
        {
            g: cagr(
                float(part.v[part.year == 2019].sum()),
                float(part.v[part.year == 2023].sum()),
                4,
            )
            for g, part in rows.groupby("g")
        }
    ).sort_index()
    assert got.index.tolist() == ["a", "b", "c", "d"]
    np.testing.assert_allclose(got.to_numpy(float), expected.to_numpy(float), rtol=1e-12)
    assert np.isnan(got["b"]) and np.isnan(got["d"])


def test_compound_rate_is_element_wise() -> None:
    start = np.array([100.0, 50.0])
    np.testing.assert_allclose(compound_rate(start, start * 1.21, 2), [0.1, 0.1])
