"""Provincial calibration targets of the national synthetic registry (real NBS aggregates).

Every province's firms (outside Beijing's calibrated cluster core) are scaled so that, per
year, the province's total revenue, its high-tech-manufacturing revenue and its firms'
employment equal targets derived from the packaged real statistics
(:func:`clusteratlas.refdata.province_gdp`, ``province_high_tech``, ``province_employment``):

* ``revenue`` (yuan) = provincial GDP (**post-revision vintage only**, current prices) × the
  national gross-output / value-added ratio of the packaged 2020 input–output table
  (``china-2020-42``: firms' revenue is gross output, GDP is value added);
* ``high_tech_revenue`` (yuan) = the province's 高技术产业(制造业) revenue (real, 2010–2016,
  2018–2023; 2017 log-linear between 2016 and 2018; outside the covered years the nearest
  year's share of ``revenue`` is held), capped at :data:`MAX_HIGH_TECH_SHARE` of ``revenue``;
* ``employment`` (persons) = 城镇单位就业人员 (real, 2008–2024; outside, the nearest year).

GDP outside 2006–2024 is extrapolated at the province's mean growth of the nearest three
years (``basis`` says so). Firm *counts* by province follow the GDP shares of the panel's last
year; counts are only a sample, the calibration is carried by the totals.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

MAX_HIGH_TECH_SHARE = 0.6
"""Cap on high-tech manufacturing revenue as a share of a province's revenue target."""

PROVINCES: tuple[str, ...] = (
    "110000", "120000", "130000", "140000", "150000", "210000", "220000", "230000",
    "310000", "320000", "330000", "340000", "350000", "360000", "370000", "410000",
    "420000", "430000", "440000", "450000", "460000", "500000", "510000", "520000",
    "530000", "540000", "610000", "620000", "630000", "640000", "650000",
)  # fmt: skip
"""The 31 provinces (GB/T 2260)."""


@lru_cache(maxsize=1)
def output_ratio() -> float:
    """National gross output / total value added of the 2020 IO table (dimensionless)."""
    from clusteratlas import refdata

    raw = refdata.io_table_raw("china-2020-42")
    sectors = [c for c in raw.columns if str(c).isdigit() and len(str(c)) == 2]
    tot = raw[raw["Origin"] == "TOT"].set_index("Code")
    intermediate = float(tot.loc["TI", sectors].astype(float).to_numpy().sum())
    value_added = float(tot.loc["TVA", sectors].astype(float).to_numpy().sum())
    return (intermediate + value_added) / value_added


def _long(wide: pd.DataFrame, name: str) -> pd.DataFrame:
    """``region`` × ``year`` wide table → long ``region, year, <name>``."""
    wide = wide.rename_axis(index="region", columns="year")
    long = wide.reset_index().melt(id_vars="region", var_name="year", value_name=name).dropna()
    return long.astype({"year": "int64"})


def _fill_years(frame: pd.DataFrame, years: list[int], *, grow: bool) -> pd.DataFrame:
    """``region × year`` values for ``years``: real where covered; else extrapolated at the
    mean growth of the nearest 3 years (``grow``) or the nearest year's value held."""
    wide = frame.pivot(index="region", columns="year", values="value").sort_index(axis=1)
    have: list[int] = [int(c) for c in wide.columns]
    out = {}
    basis = {}
    for year in years:
        if year in have:
            out[year], basis[year] = wide[year], "real"
            continue
        near = have[0] if year < have[0] else have[-1]
        if grow:
            span = have[:4] if year < have[0] else have[-4:]
            rate = (wide[span[-1]] / wide[span[0]]) ** (1 / (len(span) - 1))
            out[year] = wide[near] * rate ** (year - near)
            basis[year] = "extrapolated"
        else:
            out[year], basis[year] = wide[near], "nearest_year"
    result = _long(pd.DataFrame(out), "value")
    result["basis"] = result["year"].map(basis)
    return result


@lru_cache(maxsize=8)
def _targets(years: tuple[int, ...]) -> pd.DataFrame:
    from clusteratlas import refdata

    ylist = list(years)
    gdp = _fill_years(refdata.province_gdp("post-revision"), ylist, grow=True)
    gdp = gdp.rename(columns={"value": "gdp", "basis": "gdp_basis"})
    ht = refdata.province_high_tech()
    ht = ht[(ht["measure"] == "revenue") & (ht["region"] != "000000")][["region", "year", "value"]]
    ht_wide = ht.pivot(index="region", columns="year", values="value")
    if 2016 in ht_wide.columns and 2018 in ht_wide.columns and 2017 not in ht_wide.columns:
        ht_wide[2017] = np.sqrt(ht_wide[2016] * ht_wide[2018])  # log-linear midpoint
    ht = _long(ht_wide.sort_index(axis=1), "value")
    emp = _fill_years(refdata.province_employment(), ylist, grow=False)
    ratio = output_ratio()
    out = gdp.copy()
    out["revenue"] = out["gdp"] * ratio
    # high-tech share of the revenue target, real where covered, else the nearest year's share
    gdp_all = refdata.province_gdp("post-revision")[["region", "year", "value"]]
    share = ht.merge(gdp_all, on=["region", "year"], suffixes=("", "_gdp"))
    share["share"] = share["value"] / (share["value_gdp"] * ratio)
    share_wide = share.pivot(index="region", columns="year", values="share")
    covered: list[int] = [int(c) for c in share_wide.columns]
    ht_basis = {}
    ht_share = {}
    for year in ylist:
        if year in covered:
            ht_share[year] = share_wide[year]
            ht_basis[year] = "interpolated" if year == 2017 else "real"
        else:
            near = min(covered, key=lambda c: abs(c - year))
            ht_share[year] = share_wide[near]
            ht_basis[year] = f"share_of_{near}"
    out = out.merge(_long(pd.DataFrame(ht_share), "high_tech_share"), on=["region", "year"])
    out["high_tech_share"] = out["high_tech_share"].clip(0.0, MAX_HIGH_TECH_SHARE)
    out["high_tech_revenue"] = out["revenue"] * out["high_tech_share"]
    out["high_tech_basis"] = out["year"].map(ht_basis)
    emp = emp.rename(columns={"value": "employment", "basis": "employment_basis"})
    out = out.merge(emp, on=["region", "year"])
    out = out[out["region"].isin(PROVINCES)]
    return out.sort_values(["region", "year"]).reset_index(drop=True)


def province_targets(years: list[int]) -> pd.DataFrame:
    """Per province × year: ``gdp`` (yuan, post-revision), ``revenue`` (yuan), ``high_tech_share``
    (fraction), ``high_tech_revenue`` (yuan), ``employment`` (persons) and the ``*_basis`` of
    each (``real``, ``interpolated``, ``extrapolated``, ``nearest_year``, ``share_of_YYYY``)."""
    return _targets(tuple(sorted(set(years)))).copy()


def province_weights(years: list[int]) -> pd.Series:
    """Firm-count share of each province (GDP share in the panel's last year; sums to 1)."""
    t = province_targets(years)
    last = t[t["year"] == max(years)].set_index("region")["gdp"]
    return last / last.sum()
