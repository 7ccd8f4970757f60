"""Cross-check against the Growth Lab's ``ecomplexity`` package (test-only dependency).

``ecomplexity.ecomplexity`` takes a long frame with time/loc/prod/val columns and returns
rca, mcp, diversity, ubiquity, eci, pci, density, coi, cog; ``ecomplexity.proximity`` returns
the long proximity table. We require equality to 1e-6 on the same inputs, on random data
(several years, missing cells, other RCA cutoffs) and on a realistic data set (333 real
prefecture codes × the 97 real GB/T 4754-2017 divisions, three years, synthetic values with a
nested capability structure). The deliberate differences are documented by the last tests.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

ecomplexity_pkg = pytest.importorskip("ecomplexity")

from ecomplexity import ecomplexity  # noqa: E402
from ecomplexity import proximity as ecx_proximity  # noqa: E402
from ecomplexity.ComplexityData import ComplexityData  # noqa: E402
from ecomplexity.ecomplexity import calc_eci_pci  # noqa: E402

from clusteratlas.analysis.complexity import complexity, opportunities, proximity  # noqa: E402

COLS = {"time": "year", "loc": "region", "prod": "industry", "val": "revenue"}
PAIRS = [
    ("rca", "rca"),
    ("m", "mcp"),
    ("diversity", "diversity"),
    ("ubiquity", "ubiquity"),
    ("eci", "eci"),
    ("pci", "pci"),
    ("density", "density"),
    ("coi", "coi"),
    ("cog", "cog"),
]


def reference(data: pd.DataFrame, cutoff: float = 1.0) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ecomplexity(
            data,
            COLS,
            rca_mcp_threshold=cutoff,
            verbose=False,
            check_logsupermodularity=False,
        )
    return out.sort_values(["year", "region", "industry"]).reset_index(drop=True)


def ours(data: pd.DataFrame, cutoff: float = 1.0) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the inputs must be well posed
        return complexity(
            data,
            region="region",
            industry="industry",
            value="revenue",
            year="year",
            rca_cutoff=cutoff,
        )


def assert_same(mine: pd.DataFrame, ref: pd.DataFrame, atol: float = 1e-6) -> None:
    assert len(mine) == len(ref)
    for key in ("year", "region", "industry"):
        assert (mine[key].astype(str).to_numpy() == ref[key].astype(str).to_numpy()).all()
    for col, ref_col in PAIRS:
        a, b = mine[col].to_numpy(float), ref[ref_col].to_numpy(float)
        assert np.isfinite(a).all(), col
        np.testing.assert_allclose(a, b, rtol=0, atol=atol, err_msg=col)


def random_panel(seed: int, n_regions: int, n_industries: int, years: int) -> pd.DataFrame:
    """Random long panel: lognormal sizes, ~30% empty cells, a region and an industry that
    are absent in some years (so the per-year rectangles differ)."""
    rng = np.random.default_rng(seed)
    parts = []
    for k in range(years):
        size = np.outer(rng.lognormal(0, 1, n_regions), rng.lognormal(0, 1, n_industries))
        capability = rng.random(n_regions)[:, None] > rng.random(n_industries)[None, :] * 0.8
        x = size * rng.lognormal(0, 0.7, size.shape) * (1 + 2 * capability)
        x *= rng.random(size.shape) < 0.7
        if k % 2:
            x[-1, :] = 0  # last region missing this year
            x[:, 0] = 0  # first industry missing this year
        r, i = np.nonzero(x)
        parts.append(
            pd.DataFrame(
                {
                    "year": 2018 + k,
                    "region": [f"{110101 + j:06d}" for j in r],
                    "industry": [f"C{3000 + j}" for j in i],
                    "revenue": x[r, i] * 1e4,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize(
    ("seed", "shape", "years", "cutoff"),
    [
        (1, (40, 25), 2, 1.0),
        (2, (60, 80), 3, 1.0),  # more industries than regions: the Lanczos path
        (3, (90, 30), 1, 1.0),
        (4, (50, 40), 2, 0.8),
        (5, (50, 40), 2, 1.25),
    ],
)
def test_random_panels_match_ecomplexity(
    seed: int, shape: tuple[int, int], years: int, cutoff: float
) -> None:
    data = random_panel(seed, *shape, years)
    assert_same(ours(data, cutoff), reference(data, cutoff))


def test_sparse_registry_matches_ecomplexity() -> None:
    """Firm-registry-like data: each county active in few classes, M under 5% full, which
    takes the scipy.sparse code path for the co-occurrences and the products with M."""
    rng = np.random.default_rng(12)
    n_regions, n_industries = 400, 150
    x = rng.lognormal(0, 1, (n_regions, n_industries)) * (
        rng.random((n_regions, n_industries)) < 0.025
    )
    for c in range(n_regions):
        x[c, rng.integers(0, n_industries, 2)] += rng.lognormal(0, 1, 2)
    r, i = np.nonzero(x)
    data = pd.DataFrame(
        {
            "year": 2024,
            "region": [f"R{k:04d}" for k in r],
            "industry": [f"{1000 + k}" for k in i],
            "revenue": x[r, i],
        }
    )
    mine = ours(data)
    assert mine.m.mean() < 0.05
    assert_same(mine, reference(data))


def realistic_panel() -> pd.DataFrame:
    """333 real prefecture codes × 97 real GB/T 4754-2017 divisions, 2021–2023; values are
    synthetic (yuan): city size × industry size × a nested capability match, ~40% empty."""
    from clusteratlas import refdata

    regions = refdata.regions()
    prefectures = sorted(regions.loc[regions.level == "prefecture", "code"].astype(str))
    industries = refdata.industries()
    divisions = sorted(industries.loc[industries.level == "division", "code"].astype(str))
    assert len(prefectures) > 300 and len(divisions) == 97
    rng = np.random.default_rng(2441)
    city = rng.lognormal(0, 1.1, len(prefectures))
    sector = rng.lognormal(0, 1.0, len(divisions))
    capability = rng.beta(2, 3, len(prefectures))
    difficulty = rng.beta(2, 2, len(divisions))
    parts = []
    for year in (2021, 2022, 2023):
        growth = rng.lognormal(0.05, 0.05, len(prefectures))
        fit = np.exp(-4 * np.maximum(difficulty[None, :] - capability[:, None], 0))
        x = np.outer(city * growth, sector) * fit * rng.lognormal(0, 0.6, fit.shape)
        x *= rng.random(fit.shape) < 0.35 + 0.6 * fit
        r, i = np.nonzero(x)
        parts.append(
            pd.DataFrame(
                {
                    "year": year,
                    "region": np.asarray(prefectures, dtype=object)[r],
                    "industry": np.asarray(divisions, dtype=object)[i],
                    "revenue": np.round(x[r, i] * 1e8, 2),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def test_realistic_panel_matches_ecomplexity() -> None:
    data = realistic_panel()
    mine = ours(data)
    assert_same(mine, reference(data))
    assert mine.year.nunique() == 3 and mine.region.nunique() > 300


def test_proximity_matches_ecomplexity() -> None:
    data = random_panel(7, 50, 30, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ecx_proximity(data, COLS)
    ref_matrix = ref.pivot(index="industry_1", columns="industry_2", values="proximity")
    mine = proximity(data, region="region", industry="industry", value="revenue")
    assert list(mine.index) == list(ref_matrix.index)
    np.testing.assert_allclose(mine.to_numpy(), ref_matrix.to_numpy(), rtol=0, atol=1e-12)


def test_opportunities_use_ecomplexity_measures() -> None:
    data = random_panel(8, 40, 30, 2)
    ref = reference(data)
    target = "110105"
    mine = opportunities(
        data,
        region="region",
        industry="industry",
        value="revenue",
        year="year",
        target_region=target,
    )
    expected = ref[(ref.year == 2019) & (ref.region == target) & (ref.mcp == 0)]
    merged = mine.merge(expected, on=["year", "region", "industry"], suffixes=("", "_ref"))
    assert len(merged) == len(mine) == len(expected)
    for col in ("density", "pci", "cog"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_ref"], atol=1e-6)


# ------------------------------------------------------------------ deliberate differences


def test_difference_duplicates_summed_not_dropped() -> None:
    """ecomplexity keeps the first of duplicate (time, loc, prod) rows and drops the rest
    (with a warning); we sum them, as several firms or establishments make up a cell."""
    data = random_panel(9, 30, 20, 1)
    share = np.random.default_rng(9).uniform(0.1, 0.9, len(data))
    first, rest = (
        data.assign(revenue=data.revenue * share),
        data.assign(revenue=data.revenue * (1 - share)),
    )
    split = pd.concat([first, rest], ignore_index=True)
    assert_same(ours(split), reference(data))  # we see the whole cell
    # ecomplexity merges its result back onto the input rows: the dropped duplicates come
    # back with NaN measures; the computed rows are those of `first` alone
    peer = reference(split).dropna(subset=["rca"]).drop_duplicates(["year", "region", "industry"])
    peer = peer.reset_index(drop=True)
    only_first = reference(first)
    for col in ("rca", "eci", "pci", "density", "coi", "cog"):
        np.testing.assert_allclose(peer[col], only_first[col], atol=1e-9)
    assert np.abs(peer.rca.to_numpy() - ours(split).rca.to_numpy()).max() > 0.01


def mirrored(n_mirrors: int) -> pd.DataFrame:
    """30 random regions × 12 industries; the first ``n_mirrors`` regions have the world's
    industry mix (every RCA ≈ 1), so with a cutoff of 1.3 their diversity is 0."""
    rng = np.random.default_rng(10)
    x = rng.lognormal(0, 1, (30, 12))
    for k in range(n_mirrors):
        x[k, :] = x[n_mirrors:, :].sum(axis=0) / (10 + k)
    r, i = np.nonzero(x)
    return pd.DataFrame(
        {
            "year": 2020,
            "region": [f"R{j:02d}" for j in r],
            "industry": [f"I{j:02d}" for j in i],
            "revenue": x[r, i],
        }
    )


def test_difference_zero_diversity_regions(capsys: pytest.CaptureFixture[str]) -> None:
    """With a cutoff above 1 a region can have no RCA ≥ cutoff. ecomplexity then (a) fails
    outright when exactly one region is affected (``np.argwhere(...).squeeze()`` is 0-d and
    cannot be iterated: it prints the error and returns all-NaN ECI/PCI) and (b) otherwise
    takes the mean/std of ECI over an array containing NaN, so every ECI, PCI and COG is NaN.
    We leave such regions out of the eigenproblem (as ecomplexity does) and normalise over the
    others. Check for (b): our values equal ecomplexity's own raw eigenvector output
    (``calc_eci_pci``) normalised with NaN-aware mean/std."""
    cutoff = 1.3
    kwargs = {"region": "region", "industry": "industry", "value": "revenue"}
    one = mirrored(1)
    assert reference(one, cutoff).eci.isna().all()  # (a)
    assert "0-d array" in capsys.readouterr().out
    mine_one = complexity(one, rca_cutoff=cutoff, **kwargs).groupby("region").eci.first()
    assert np.isnan(mine_one["R00"]) and np.isfinite(mine_one.drop("R00")).all()

    two = mirrored(2)
    assert reference(two, cutoff).eci.isna().all()  # (b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cdata = ComplexityData(two, COLS, "coerce")
        cdata.create_full_df(2020)
        cdata.calculate_rca()
        cdata.calculate_mcp(cutoff, 1, "rca", None, 2020)
        cdata.diversity_t = np.nansum(cdata.mcp_t, axis=1)
        cdata.ubiquity_t = np.nansum(cdata.mcp_t, axis=0)
        assert list(np.flatnonzero(cdata.diversity_t == 0)) == [0, 1]
        eci_raw, pci_raw = calc_eci_pci(cdata)
    mean, std = np.nanmean(eci_raw), np.nanstd(eci_raw)
    mine = complexity(two, rca_cutoff=cutoff, **kwargs)
    by_region = mine.groupby("region").eci.first().to_numpy()
    by_industry = mine.groupby("industry").pci.first().to_numpy()
    np.testing.assert_allclose(by_region, (eci_raw - mean) / std, atol=1e-9)
    np.testing.assert_allclose(by_industry, (pci_raw - mean) / std, atol=1e-9)
    assert np.isnan(by_region[:2]).all() and np.isfinite(by_region[2:]).all()
