"""Calibration targets of the synthetic registry: Beijing cluster revenues and tagged-firm counts.

Where a real fact exists (packaged ``beijing_facts()``), the target reproduces it; elsewhere the
path is a **documented assumption** chosen so that the real *count* facts hold too (2 trillion-
yuan clusters in 2020 — NGIT and sci-tech services — and 3 by 2025 with medicine & health;
4 hundred-billion-yuan clusters in 2020 and 7 in 2025; 10 clusters at ≥ 1000亿 in 2023).
Every row says its ``basis``:

``fact``          the fact's value (``bound`` '=') for that year
``fact_bound``    a '>' fact: the target is an assumed value above the bound (``fact_value``)
``interpolated``  log-linear between two facts of the same indicator
``extrapolated``  from the nearest fact at the growth rate of the adjacent fact interval, or at
                  the assumed growth rate when there is only one fact
``assumed``       no fact: an anchor value and growth rate of ours (see :data:`CLUSTER_PATHS`)
``derived``       a fixed multiple of another cluster's path (NGIT = 1.25 × software & info)

Money in yuan. Level counts count *top-level* clusters (``parent`` None, not the aggregate);
万亿级 = revenue ≥ 1e12, 千亿级 = 1e11 ≤ revenue < 1e12.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusteratlas.errors import ClusterAtlasError


@dataclass(frozen=True)
class ClusterPath:
    """How one cluster's Beijing revenue target is set for any year (yuan).

    ``indicator``: facts indicator with real values (or None); ``anchor_year``/``anchor``: an
    assumed point used when no '=' fact exists (yuan); ``growth``: assumed yearly growth (fraction)
    for extrapolation; ``of``/``multiple``: derived from another cluster's path.
    """

    cluster: str
    indicator: str | None = None
    anchor_year: int | None = None
    anchor: float | None = None
    growth: float = 0.08
    of: str | None = None
    multiple: float | None = None
    note: str = ""


CLUSTER_PATHS: tuple[ClusterPath, ...] = (
    ClusterPath(
        "medicine_health",
        indicator="medicine_health_industry_scale",
        note="facts 2014/2018/2022/2023 (医药健康产业规模 = revenue)",
    ),
    ClusterPath(
        "software_info_services",
        indicator="software_info_services_revenue",
        growth=0.10,
        note="fact 2.2万亿 (2021); 10%/yr assumed (2025 target 3万亿)",
    ),
    ClusterPath(
        "ngit",
        of="software_info_services",
        multiple=1.25,
        note="1.25 × software & info services (electronics manufacturing + AI services); "
        "gives 3.33万亿 in 2023 > the '突破3万亿' fact",
    ),
    ClusterPath(
        "ai",
        anchor_year=2024,
        anchor=3.5e11,
        growth=0.15,
        note="2024 = 3500亿 (ai_core_industry_scale '近3500亿', above the >3000亿 fact)",
    ),
    ClusterPath(
        "ic",
        indicator="integrated_circuit_revenue",
        growth=0.15,
        note="fact 2480亿 (2024, industry media); 15%/yr assumed",
    ),
    ClusterPath(
        "smart_equipment",
        anchor_year=2023,
        anchor=5.3e11,
        growth=0.08,
        note="2023 = 5300亿 (above the >5000亿 fact); 8%/yr assumed",
    ),
    ClusterPath(
        "sci_tech_services",
        anchor_year=2020,
        anchor=1.1e12,
        growth=0.07,
        note="assumed 1.1万亿 in 2020 (a trillion-level cluster in 2020 per the plan)",
    ),
    ClusterPath(
        "pharma_manufacturing",
        of="medicine_health",
        multiple=0.38,
        note="assumed 38% of medicine & health",
    ),
    ClusterPath("icv", anchor_year=2020, anchor=3.6e11, growth=0.10, note="assumed"),
    ClusterPath(
        "green_energy",
        anchor_year=2021,
        anchor=1.05e11,
        growth=0.12,
        note="assumed; crosses 1000亿 in 2021",
    ),
    ClusterPath(
        "smart_city",
        anchor_year=2022,
        anchor=1.05e11,
        growth=0.12,
        note="assumed; crosses 1000亿 in 2022",
    ),
    ClusterPath(
        "blockchain_computing",
        anchor_year=2023,
        anchor=1.08e11,
        growth=0.15,
        note="assumed; crosses 1000亿 in 2023",
    ),
    ClusterPath(
        "info_content",
        anchor_year=2023,
        anchor=1.04e11,
        growth=0.10,
        note="assumed; crosses 1000亿 in 2023",
    ),
    ClusterPath(
        "biotech_life_science", anchor_year=2020, anchor=4.0e10, growth=0.12, note="assumed"
    ),
    ClusterPath("optoelectronics", anchor_year=2020, anchor=3.0e10, growth=0.10, note="assumed"),
    ClusterPath("frontier_materials", anchor_year=2020, anchor=2.0e10, growth=0.10, note="assumed"),
    ClusterPath("dual_carbon", anchor_year=2020, anchor=8.0e9, growth=0.20, note="assumed"),
    ClusterPath("quantum_brain", anchor_year=2020, anchor=3.0e9, growth=0.25, note="assumed"),
)

CALIBRATION_ORDER: tuple[str, ...] = (
    "quantum_brain",
    "dual_carbon",
    "frontier_materials",
    "optoelectronics",
    "biotech_life_science",
    "ai",
    "ic",
    "blockchain_computing",
    "smart_city",
    "info_content",
    "pharma_manufacturing",
    "green_energy",
    "icv",
    "smart_equipment",
    "medicine_health",
    "software_info_services",
    "sci_tech_services",
    "ngit",
)
"""Nested and small clusters first: each firm is rescaled once, by the first cluster in this
order that contains it; later (enclosing) clusters rescale only their remaining firms, so
earlier totals stay exact."""


@dataclass(frozen=True)
class TagPath:
    """Tag count facts: ``indicator`` in the facts, extra '=' points ``extra`` (year → count),
    ``start``: first year the list existed (earlier years: 0)."""

    tag: str
    indicator: str
    start: int
    extra: tuple[tuple[int, int], ...] = ()
    drop: tuple[tuple[int, int], ...] = ()
    note: str = ""


TAG_PATHS: tuple[TagPath, ...] = (
    TagPath(
        "unicorn",
        "unicorn_count",
        2015,
        note="unicorn_count (lists differ by year; see SOURCES caveat 3)",
    ),
    TagPath(
        "zjtx",
        "specialized_sme_count_municipal",
        2013,
        extra=((2024, 8754),),
        drop=((2022, 4126),),
        note="Beijing-certified 专精特新中小企业 (cumulative): 2022 5360, 2023 6323, "
        "2024 8754 (specialized_sme_count); the 4126 (2022) figure is not used",
    ),
    TagPath(
        "little_giant",
        "little_giant_count_national",
        2019,
        drop=((2022, 257),),
        note="national 小巨人 in Beijing, cumulative: 2020 53, 2022 588, 2023 795, 2024 1035 "
        "(the 257 of 2022 counts one batch only and is not used)",
    ),
    TagPath(
        "single_champion",
        "manufacturing_single_champion_count",
        2016,
        extra=((2017, 4),),
        note="2022 38 (manufacturing_single_champion_count); 2017 4 (batch 1)",
    ),
)


def _facts() -> pd.DataFrame:
    from clusteratlas import refdata

    facts = refdata.beijing_facts()
    return facts[facts["region"].astype(str) == "110000"]


def _points(frame: pd.DataFrame) -> dict[int, float]:
    """``{year: value}`` of fact rows; two different values for one year is an error."""
    years = [int(y) for y in frame["year"].tolist()]
    values = [float(v) for v in frame["value"].tolist()]
    out: dict[int, float] = {}
    for year, value in zip(years, values, strict=True):
        if year in out and out[year] != value:
            raise ClusterAtlasError(
                f"synth: facts give two values for one year ({year}: {out[year]:g} and "
                f"{value:g}); list the one not to calibrate to in the path's drop"
            )
        out[year] = value
    return out


def _loglinear(points: dict[int, float], year: int, growth: float) -> tuple[float, str]:
    years = sorted(points)
    if year in points:
        return points[year], "fact"
    if len(years) == 1:
        y0 = years[0]
        return points[y0] * (1 + growth) ** (year - y0), "extrapolated"
    if year < years[0]:
        a, b = years[0], years[1]
        basis = "extrapolated"
    elif year > years[-1]:
        a, b = years[-2], years[-1]
        basis = "extrapolated"
    else:
        a = max(y for y in years if y < year)
        b = min(y for y in years if y > year)
        basis = "interpolated"
    la, lb = math.log(points[a]), math.log(points[b])
    slope = (lb - la) / (b - a)
    return math.exp(la + slope * (year - a)), basis


def cluster_targets(years: list[int]) -> pd.DataFrame:
    """Beijing revenue target (yuan) per calibrated cluster and year.

    Columns: ``cluster, year, revenue, basis, indicator, fact_value, fact_bound, note``.
    """
    facts = _facts()
    rows: list[dict[str, object]] = []
    values: dict[tuple[str, int], float] = {}
    for path in CLUSTER_PATHS:
        exact: dict[int, float] = {}
        bounds: dict[int, float] = {}
        if path.indicator:
            f = facts[facts["indicator"] == path.indicator]
            exact = _points(f[f["bound"] == "="])
            bounds = _points(f[f["bound"] == ">"])
        for year in years:
            if path.of is not None:
                assert path.multiple is not None
                value, basis = values[(path.of, year)] * path.multiple, "derived"
            elif exact:
                value, basis = _loglinear(exact, year, path.growth)
            else:
                assert path.anchor is not None and path.anchor_year is not None
                value = path.anchor * (1 + path.growth) ** (year - path.anchor_year)
                basis = "assumed"
            fact_value = exact.get(year, bounds.get(year, np.nan))
            fact_bound = "=" if year in exact else (">" if year in bounds else None)
            if fact_bound == ">" and basis != "fact":
                basis = "fact_bound"
            values[(path.cluster, year)] = value
            rows.append(
                {
                    "cluster": path.cluster,
                    "year": year,
                    "revenue": value,
                    "basis": basis,
                    "indicator": path.indicator,
                    "fact_value": fact_value,
                    "fact_bound": fact_bound,
                    "note": path.note,
                }
            )
    # '>' facts of clusters whose path is derived/assumed (ngit 2023, smart equipment 2023, ai)
    observed = {
        "ngit": "ngit_cluster_revenue",
        "smart_equipment": "smart_equipment_cluster_revenue",
        "ai": "ai_core_industry_revenue",
    }
    out = pd.DataFrame(rows)
    for cluster, indicator in observed.items():
        f = facts[(facts["indicator"] == indicator) & (facts["bound"] == ">")]
        for year, value in _points(f).items():
            mask = (out["cluster"] == cluster) & (out["year"] == year)
            out.loc[mask, "fact_value"] = value
            out.loc[mask, "fact_bound"] = ">"
            out.loc[mask, "indicator"] = indicator
    bad = out[(out["fact_bound"] == ">") & ~(out["revenue"] > out["fact_value"])]
    if len(bad):
        raise ClusterAtlasError(f"calibration path violates a '>' fact: {bad.to_dict('records')}")
    return out


def tag_targets(years: list[int]) -> pd.DataFrame:
    """Number of Beijing firms carrying each tag per year: ``tag, year, count, basis, note``.

    Between facts: log-linear interpolation, rounded; before the first fact: extrapolated
    backwards at the first interval's rate down to the list's ``start`` year (0 before it);
    after the last fact: the last value carried forward (certified lists are cumulative).
    """
    facts = _facts()
    rows: list[dict[str, object]] = []
    for path in TAG_PATHS:
        f = facts[(facts["indicator"] == path.indicator) & (facts["bound"] == "=")]
        dropped = [
            (int(y), int(v)) in path.drop for y, v in zip(f["year"], f["value"], strict=True)
        ]
        points = _points(f[~pd.Series(dropped, index=f.index, dtype=bool)])
        points.update({y: float(v) for y, v in path.extra})
        last = max(points)
        for year in years:
            if year < path.start:
                count, basis = 0, "before_list"
            elif year > last:
                count, basis = int(points[last]), "carried_forward"
            else:
                value, basis = _loglinear(points, year, 0.0)
                count = round(value)
            rows.append(
                {"tag": path.tag, "year": year, "count": count, "basis": basis, "note": path.note}
            )
    return pd.DataFrame(rows)


HIGH_END_SHARE_INDICATOR = "high_end_industry_share_of_gdp"
"""Published 高精尖产业增加值占地区生产总值比重 (fraction), facts 2018/2020/2021."""


def value_added_targets(years: list[int]) -> pd.DataFrame:
    """Beijing high-end (高精尖, the plan's aggregate) value-added target per year (yuan).

    Target = published share of GDP × Beijing GDP of the same year, GDP chosen exactly as the
    monitor's ``share_gdp`` chooses it (:func:`clusteratlas.analysis.shares.gdp_by_year`: exact
    values before bounds). The share is the fact (``basis`` ``fact``), linear between two facts
    (``interpolated``), or the nearest fact held before the first / after the last (``held``).
    Years without a GDP fact get a NaN target (the generator holds the nearest year's factor).
    Columns: ``year, share, share_basis, gdp, value_added`` (share a fraction; gdp, value_added
    in yuan).
    """
    from clusteratlas.analysis.shares import gdp_by_year

    facts = _facts()
    f = facts[(facts["indicator"] == HIGH_END_SHARE_INDICATOR) & (facts["bound"] == "=")]
    points = _points(f)
    known = sorted(points)
    gdp = gdp_by_year(facts).set_index("year")["gdp"]
    rows: list[dict[str, object]] = []
    for year in years:
        if year in points:
            share, basis = points[year], "fact"
        elif year < known[0] or year > known[-1]:
            share, basis = points[known[0] if year < known[0] else known[-1]], "held"
        else:
            share = float(np.interp(year, known, [points[y] for y in known]))
            basis = "interpolated"
        g = float(gdp.get(year, np.nan))
        rows.append(
            {"year": year, "share": share, "share_basis": basis, "gdp": g, "value_added": share * g}
        )
    return pd.DataFrame(rows)
