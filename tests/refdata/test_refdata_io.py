"""China IO tables: accounting identities and the published IO-table GDP (independent oracle)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusteratlas import refdata
from clusteratlas.errors import InputError

# Oracle: sum of TVA in 万元 as stated in shared/data/china_io/SOURCES.md
# (82.3 / 92.2 / 101.6 trillion yuan, the IO-table GDP of 2017 / 2018 / 2020).
TVA_TOTAL = {"2017": 8.23216e9, "2018": 9.22057e9, "2020": 1.01642e10}


def sectors(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c.isdigit()]


def row(table: pd.DataFrame, code: str) -> pd.Series:
    hit = table[table["Code"] == code]
    assert len(hit) == 1, code
    return hit.iloc[0]


def test_names() -> None:
    assert refdata.io_table_names() == [
        "china-2017-42",
        "china-2017-149",
        "china-2018-42",
        "china-2018-153",
        "china-2020-42",
        "china-2020-153",
    ]
    with pytest.raises(InputError):
        refdata.io_table_raw("china-2019-42")


@pytest.mark.parametrize("name", refdata.io_table_names())
def test_total_inputs_equal_gross_output(name: str) -> None:
    table = refdata.io_table_raw(name)
    cols = sectors(table)
    assert len(cols) == int(name.rsplit("-", 1)[1])
    ti = row(table, "TI")[cols].astype(float).to_numpy()
    domestic = table[table["Code"].isin(cols)]
    if "Origin" in table:
        domestic = domestic[domestic["Origin"] == "Domestic"]
    go = domestic.set_index("Code").loc[cols, "GO"].astype(float).to_numpy()
    np.testing.assert_allclose(ti, go, rtol=1e-12)
    # column sums of intermediate inputs + value added = total input
    inputs = table[table["Code"].isin(cols)][cols].astype(float).sum().to_numpy()
    tva = row(table, "TVA")[cols].astype(float).to_numpy()
    np.testing.assert_allclose(inputs + tva, ti, rtol=1e-9)


@pytest.mark.parametrize("name", refdata.io_table_names())
def test_value_added_is_published_io_gdp(name: str) -> None:
    table = refdata.io_table_raw(name)
    total = row(table, "TVA")[sectors(table)].astype(float).sum()
    year = name.split("-")[1]
    assert total == pytest.approx(TVA_TOTAL[year], rel=1e-5)
    trillion_yuan = total * 1e4 / 1e12
    assert round(trillion_yuan, 1) == {"2017": 82.3, "2018": 92.2, "2020": 101.6}[year]


@pytest.mark.parametrize("name", ["china-2017-149", "china-2018-153", "china-2020-153"])
def test_competitive_import_balance(name: str) -> None:
    table = refdata.io_table_raw(name)
    body = table[table["Code"].isin(sectors(table))].astype({"TIU": float, "TFU": float})
    gap = body["TIU"] + body["TFU"] - body["IM"].astype(float) - body["GO"].astype(float)
    assert (gap.abs() <= 1e-9 * body["GO"].astype(float).abs().max()).all()


def test_codes_keep_leading_zeros() -> None:
    assert row(refdata.io_table_raw("china-2020-153"), "001")["DescriptionInChinese"]
    assert refdata.io_table_raw("china-2020-42")["Code"].iloc[0] == "01"


def test_employment_series() -> None:
    emp = refdata.employment_by_sector()
    assert set(emp["unit"]) == {"persons"}
    assert emp["year"].min() == 1990 and emp["year"].max() == 2018
    total = emp[(emp["code"] == "TOT")].set_index("year")["value"]
    # NBS: 77,586万 employed persons at end-2018 (China Statistical Yearbook 2019, table 4-1)
    assert total[2018] == 775_860_000.0
    sections = emp[emp["code"].str.fullmatch(r"[A-T]")].groupby("year")["value"].sum()
    np.testing.assert_allclose(sections.loc[total.index], total, rtol=2e-3)
    names = emp.drop_duplicates("code").set_index("code")["name_en"]
    assert names["K"] == "Real estate"
