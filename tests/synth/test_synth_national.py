"""The national synthetic registry against the real provincial aggregates (NBS).

The oracle is the shared source CSV (``../shared/data/china_provinces``) read directly where
present — not the packaged copy the generator reads — and the packaged IO table's totals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusteratlas.synth import generate
from clusteratlas.synth.national import province_targets

YEARS = "2021-2023"
N = 24_000
SOURCE = Path(__file__).resolve().parents[3] / "shared" / "data" / "china_provinces"


def _real_gdp(vintage_prefix: str) -> pd.DataFrame:
    """Provincial GDP (yuan) of one vintage: the shared source if present, else packaged."""
    path = SOURCE / "cn_province_grp_2004_2024_nbs_two_vintages.csv"
    if path.is_file():
        raw = pd.read_csv(path, dtype={"region_code": str})
        raw = raw[raw["vintage"].str.startswith(vintage_prefix)]
        return pd.DataFrame(
            {"region": raw["region_code"], "year": raw["year"], "value": raw["value"] * 1e8}
        )
    from clusteratlas.refdata import province_gdp

    label = "post-revision" if vintage_prefix.startswith("post") else "pre-revision"
    return province_gdp(label)[["region", "year", "value"]]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("national")
    paths = generate(firms=N, seed=3, out_dir=out, years=YEARS)
    firms = pd.read_csv(paths["firms"], dtype={"firm_id": str, "region": str, "industry": str})
    fy = pd.read_csv(paths["firm-years"], dtype={"firm_id": str}, low_memory=False)
    cal = pd.read_csv(paths["calibration"], dtype={"target": str})
    return {"firms": firms, "fy": fy, "cal": cal}


def _by_province(registry: dict[str, pd.DataFrame], column: str) -> pd.DataFrame:
    firms, fy = registry["firms"], registry["fy"]
    joined = fy.merge(firms[["firm_id", "region"]], on="firm_id")
    joined["province"] = joined["region"].str[:2] + "0000"
    return joined.groupby(["province", "year"])[column].sum().rename("got").reset_index()


def test_all_31_provinces_and_beijing_tianjin_hebei_below_province_level(
    registry: dict[str, pd.DataFrame],
) -> None:
    regions = registry["firms"]["region"]
    assert regions.str[:2].nunique() == 31
    tj_hb = regions[regions.str[:2].isin(["12", "13"])]
    assert (~tj_hb.str.endswith("0000")).all()  # Tianjin districts, Hebei cities
    assert regions[regions.str.startswith("12")].nunique() >= 10
    assert regions[regions.str.startswith("13")].str[:4].nunique() == 11
    assert (~regions[regions.str.startswith("11")].str.endswith("0000")).all()


def test_province_revenue_shares_follow_real_gdp(registry: dict[str, pd.DataFrame]) -> None:
    """Outside Beijing, each province's revenue share equals its real GDP share (post-revision
    vintage) — up to cells of tiny provinces that hold no firm in a block."""
    got = _by_province(registry, "revenue(yuan)")
    gdp = _real_gdp("post")
    both = got.merge(gdp, left_on=["province", "year"], right_on=["region", "year"])
    both = both[both["province"] != "110000"]
    assert both["province"].nunique() == 30
    for year, part in both.groupby("year"):
        share_got = part["got"] / part["got"].sum()
        share_real = part["value"] / part["value"].sum()
        assert np.corrcoef(share_got, share_real)[0, 1] > 0.999, year
        big = share_real > 0.02
        rel = (share_got[big] - share_real[big]).abs() / share_real[big]
        assert rel.max() < 0.02, (year, rel.max())


def test_revenue_level_is_gdp_times_the_io_output_ratio(
    registry: dict[str, pd.DataFrame],
) -> None:
    from clusteratlas.refdata import io_table_raw

    raw = io_table_raw("china-2020-42")
    sectors = [c for c in raw.columns if str(c).isdigit() and len(str(c)) == 2]
    tot = raw[raw["Origin"] == "TOT"].set_index("Code")
    va = tot.loc["TVA", sectors].astype(float).sum()
    ratio = (tot.loc["TI", sectors].astype(float).sum() + va) / va
    assert 3.0 < ratio < 4.5
    got = _by_province(registry, "revenue(yuan)")
    gdp = _real_gdp("post")
    gd = got.merge(gdp, left_on=["province", "year"], right_on=["region", "year"])
    guangdong = gd[gd["province"] == "440000"]
    assert np.allclose(guangdong["got"], guangdong["value"] * ratio, rtol=1e-6)


def test_high_tech_revenue_follows_the_real_table(registry: dict[str, pd.DataFrame]) -> None:
    from clusteratlas.refdata import high_tech_manufacturing

    classes = set(high_tech_manufacturing()["gbt4754_class"].astype(str))
    firms, fy = registry["firms"], registry["fy"]
    ht = firms[firms["industry"].isin(classes) & ~firms["region"].str.startswith("11")]
    joined = fy[fy["year"] == 2022].merge(ht[["firm_id", "region"]], on="firm_id")
    got = joined.groupby(joined["region"].str[:2] + "0000")["revenue(yuan)"].sum()
    path = SOURCE / "cn_province_hightech_industry_2010_2023.csv"
    if path.is_file():
        real = pd.read_csv(path, dtype={"region_code": str})
        real = real[(real["measure"] == "operating_revenue") & (real["year"] == 2022)]
        real = real.set_index("region_code")["value"] * 1e8
    else:
        from clusteratlas.refdata import province_high_tech

        r = province_high_tech()
        real = r[(r["measure"] == "revenue") & (r["year"] == 2022)].set_index("region")["value"]
    for code in ("440000", "320000", "330000", "510000"):  # large high-tech provinces
        assert got[code] == pytest.approx(real[code], rel=0.05), code


def test_employment_follows_urban_unit_employment(registry: dict[str, pd.DataFrame]) -> None:
    from clusteratlas.refdata import province_employment

    got = _by_province(registry, "employees(persons)")
    real = province_employment()
    both = got.merge(real, left_on=["province", "year"], right_on=["region", "year"])
    both = both[both["province"].isin(["440000", "320000", "370000", "410000"])]
    assert np.allclose(both["got"], both["value"], rtol=0.02)


def test_targets_never_mix_gdp_vintages() -> None:
    t = province_targets([2022, 2023])
    post = _real_gdp("post").set_index(["region", "year"])["value"]
    pre = _real_gdp("pre").set_index(["region", "year"])["value"]
    bj = t.set_index(["region", "year"]).loc[("110000", 2023), "gdp"]
    assert bj == pytest.approx(post[("110000", 2023)])  # 47,353.7亿, the revised figure
    assert bj != pytest.approx(pre[("110000", 2023)])
    assert set(t["gdp_basis"]) == {"real"}


def test_calibration_csv_lists_province_targets(registry: dict[str, pd.DataFrame]) -> None:
    cal = registry["cal"]
    prov = cal[cal["kind"] == "province_revenue_yuan"]
    assert prov["target"].nunique() == 31
    assert set(cal["kind"]) >= {
        "cluster_revenue_yuan",
        "tag_count",
        "province_revenue_yuan",
        "province_high_tech_revenue_yuan",
        "province_employment_persons",
    }
