"""Input–output linkages: formulas, identities on the packaged China tables, clusters, CLI.

Independent worked examples (Miller & Blair) and the pymrio cross-check live in
``tests/crosscheck/``; here the formulas are checked against identities that hold for any
table (L(I − A) = I, G = x̂⁻¹Lx̂, mean-one normalisation, power series of A) and against the
published accounting totals of the NBS tables (SOURCES.md of the China IO data).
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from clusteratlas import refdata
from clusteratlas.analysis.iotable import sector_map
from clusteratlas.analysis.linkages import (
    IOTable,
    allocation_coefficients,
    cluster_linkages,
    ghosh_inverse,
    input_multipliers,
    leontief_inverse,
    linkages,
    output_multipliers,
    service_intensity,
    technical_coefficients,
)
from clusteratlas.errors import AnalysisError, InputError

NAMES = [
    "china-2017-42",
    "china-2018-42",
    "china-2020-42",
    "china-2017-149",
    "china-2018-153",
    "china-2020-153",
]
# Sum of TVA over sectors in 万元 (SOURCES.md of /work/shared/data/china_io, NBS tables):
# 82.3, 92.2 and 101.6 trillion yuan.
PUBLISHED_VA = {2017: 8.23216e9, 2018: 9.22057e9, 2020: 1.01642e10}
PUBLISHED_VA_TRILLION = {2017: 82.3, 2018: 92.2, 2020: 101.6}


@pytest.fixture(scope="module", params=NAMES)
def china(request: pytest.FixtureRequest) -> IOTable:
    return IOTable.load(request.param)


def _labelled(values: np.ndarray, labels: list[str]) -> pd.DataFrame:
    return pd.DataFrame(values, index=labels, columns=labels)


def _three() -> tuple[pd.DataFrame, pd.Series]:
    labels = ["a", "b", "c"]
    Z = _labelled(np.array([[10.0, 20.0, 0.0], [5.0, 0.0, 30.0], [0.0, 10.0, 5.0]]), labels)
    x = pd.Series([100.0, 80.0, 60.0], index=labels)
    return Z, x


# ------------------------------------------------------------------------ hand-checked basics


def test_technical_and_allocation_coefficients_by_hand() -> None:
    Z, x = _three()
    A = technical_coefficients(Z, x)
    B = allocation_coefficients(Z, x)
    assert A.loc["a", "b"] == pytest.approx(20 / 80)
    assert A.loc["b", "c"] == pytest.approx(30 / 60)
    assert B.loc["a", "b"] == pytest.approx(20 / 100)
    assert B.loc["b", "c"] == pytest.approx(30 / 80)
    assert list(A.index) == list(A.columns) == ["a", "b", "c"]


def test_columns_are_aligned_to_rows_by_label() -> None:
    Z, x = _three()
    shuffled = Z.loc[:, ["c", "a", "b"]]
    pd.testing.assert_frame_equal(
        technical_coefficients(shuffled, x.loc[["b", "c", "a"]]), technical_coefficients(Z, x)
    )


def test_leontief_equals_power_series() -> None:
    Z, x = _three()
    A = technical_coefficients(Z, x).to_numpy()
    series = sum(np.linalg.matrix_power(A, k) for k in range(200))
    np.testing.assert_allclose(
        leontief_inverse(technical_coefficients(Z, x)).to_numpy(), series, rtol=1e-12
    )


def test_multipliers_by_definition() -> None:
    Z, x = _three()
    L = leontief_inverse(technical_coefficients(Z, x))
    np.testing.assert_allclose(output_multipliers(L).to_numpy(), L.to_numpy().sum(axis=0))
    v = pd.Series([0.5, 0.2, 0.1], index=L.index)
    np.testing.assert_allclose(input_multipliers(L, v).to_numpy(), v.to_numpy() @ L.to_numpy())


# ------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("Z", "x", "message"),
    [
        (pd.DataFrame(np.ones((2, 3))), pd.Series([1.0, 1.0]), "square"),
        (
            _labelled(np.ones((2, 2)), ["a", "b"]).set_axis(["a", "c"], axis=1),
            pd.Series([5.0, 5.0], index=["a", "b"]),
            "labels differ",
        ),
        (
            _labelled(np.array([[1.0, np.nan], [0, 1]]), ["a", "b"]),
            pd.Series([5.0, 5.0], index=["a", "b"]),
            "missing or infinite",
        ),
        (
            _labelled(np.ones((2, 2)), ["a", "b"]),
            pd.Series([5.0, -1.0], index=["a", "b"]),
            "negative",
        ),
        (
            _labelled(np.ones((2, 2)), ["a", "b"]),
            pd.Series([5.0, 0.0], index=["a", "b"]),
            "zero gross output",
        ),
        (_labelled(np.ones((2, 2)), ["a", "b"]), pd.Series([5.0], index=["a"]), "do not match"),
    ],
)
def test_bad_inputs_raise_clear_errors(Z: pd.DataFrame, x: pd.Series, message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        technical_coefficients(Z, x)


def test_non_productive_and_singular_tables_raise() -> None:
    labels = ["a", "b"]
    with pytest.raises(AnalysisError, match="not productive"):
        leontief_inverse(_labelled(np.array([[0.9, 0.5], [0.5, 0.9]]), labels))
    with pytest.raises(AnalysisError, match="singular"):
        leontief_inverse(_labelled(np.array([[1.0, 0.0], [0.0, 0.5]]), labels))


def test_zero_output_sector_is_absent_not_distorting() -> None:
    Z, x = _three()
    Zz = Z.copy()
    Zz["z"] = 0.0
    Zz.loc["z"] = 0.0
    xz = pd.concat([x, pd.Series({"z": 0.0})])
    with_zero = linkages(Zz, xz)
    without = linkages(Z, x)
    assert with_zero.loc["z", "quadrant"] == "no_output"
    assert not with_zero.loc["z", "key_sector"]
    assert np.isnan(with_zero.loc["z", "backward"])
    pd.testing.assert_frame_equal(with_zero.loc[["a", "b", "c"]], without, check_dtype=False)
    A = technical_coefficients(Zz, xz)
    assert (A["z"] == 0).all()  # zero column, as pymrio does


# ------------------------------------------------------------------------ properties


@st.composite
def productive_tables(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.Series]:
    n = draw(st.integers(min_value=2, max_value=12))
    Z = draw(arrays(np.float64, (n, n), elements=st.floats(0, 1000, allow_subnormal=False)))
    extra = draw(arrays(np.float64, n, elements=st.floats(1, 1000, allow_subnormal=False)))
    # output = inputs + value added > 0, and rows deliver less than output: productive A
    x = np.maximum(Z.sum(axis=0), Z.sum(axis=1)) + extra
    labels = [f"s{i:02d}" for i in range(n)]
    return _labelled(Z, labels), pd.Series(x, index=labels)


@settings(max_examples=40, deadline=None)
@given(productive_tables())
def test_identities_hold_for_any_productive_table(table: tuple[pd.DataFrame, pd.Series]) -> None:
    Z, x = table
    A = technical_coefficients(Z, x)
    L = leontief_inverse(A)
    n = len(A)
    eye = np.eye(n)
    np.testing.assert_allclose(L.to_numpy() @ (eye - A.to_numpy()), eye, atol=1e-9)
    assert (L.to_numpy() >= eye - 1e-12).all()  # L ≥ I for productive non-negative A
    B = allocation_coefficients(Z, x)
    G = ghosh_inverse(B).to_numpy()
    xv = x.to_numpy()
    np.testing.assert_allclose(G, L.to_numpy() * xv[None, :] / xv[:, None], rtol=1e-8, atol=1e-10)
    res = linkages(Z, x)
    assert res["backward"].mean() == pytest.approx(1.0)
    assert res["forward"].mean() == pytest.approx(1.0)
    np.testing.assert_allclose(res["backward_total"], output_multipliers(L))
    np.testing.assert_allclose(res["forward_total"], G.sum(axis=1), rtol=1e-8)
    expected = np.where(
        (res["backward"] > 1) & (res["forward"] > 1),
        "key",
        np.where(
            res["backward"] > 1,
            "backward_oriented",
            np.where(res["forward"] > 1, "forward_oriented", "weak"),
        ),
    )
    assert (res["quadrant"].to_numpy() == expected).all()
    assert (res["key_sector"] == (res["quadrant"] == "key")).all()


@settings(max_examples=25, deadline=None)
@given(productive_tables(), st.floats(0.1, 1e6))
def test_coefficients_do_not_depend_on_the_money_unit(
    table: tuple[pd.DataFrame, pd.Series], scale: float
) -> None:
    Z, x = table
    a = linkages(Z, x)
    b = linkages(Z * scale, x * scale)
    np.testing.assert_allclose(a[["backward", "forward"]], b[["backward", "forward"]], rtol=1e-8)


# ------------------------------------------------------------------------ China tables


def test_total_inputs_equal_gross_output(china: IOTable) -> None:
    assert china.total_inputs is not None
    np.testing.assert_allclose(china.total_inputs, china.x, rtol=1e-12)
    inter = china.Z.sum(axis=0)
    if china.layout == "noncompetitive":
        assert china.imports is not None
        inter = inter + china.imports.sum(axis=0)
    np.testing.assert_allclose(inter + china.va, china.x, rtol=1e-9)


def test_value_added_sums_to_published_totals(china: IOTable) -> None:
    assert china.year is not None
    total = china.va.sum()
    assert total == pytest.approx(PUBLISHED_VA[china.year], rel=1e-5)
    assert total * china.yuan_per_unit / 1e12 == pytest.approx(
        PUBLISHED_VA_TRILLION[china.year], abs=0.05
    )
    assert china.va_components.sum(axis=0).to_numpy() == pytest.approx(china.va.to_numpy())


def test_leontief_inverse_inverts(china: IOTable) -> None:
    A, L = china.A.to_numpy(), china.L.to_numpy()
    eye = np.eye(len(A))
    assert np.abs(L @ (eye - A) - eye).max() < 1e-9
    assert np.abs((eye - A) @ L - eye).max() < 1e-9
    assert list(china.L.index) == list(china.x.index)


def test_domestic_value_added_and_import_multipliers_add_to_one() -> None:
    # Column j of the domestic table: domestic inputs + imported inputs + VA = output, so
    # (v + m) L = 1' — every yuan of final demand ends up as domestic VA or imports.
    mult = IOTable.load("china-2020-42").multipliers()
    total = mult["value_added_multiplier"] + mult["import_multiplier"]
    np.testing.assert_allclose(total, 1.0, rtol=1e-9)
    assert (mult["output_multiplier"] > 1).all()


def test_domestic_and_total_blocks_differ_as_expected() -> None:
    dom = IOTable.load("china-2020-42")
    tot = IOTable.load("china-2020-42", block="total")
    assert tot.block == "total"
    assert (tot.A.to_numpy() >= dom.A.to_numpy()).all()
    # imported inputs raise total requirements: every output multiplier grows
    assert (output_multipliers(tot.L) > output_multipliers(dom.L)).all()


def test_competitive_domestic_block_uses_proportional_import_shares() -> None:
    tot = IOTable.load("china-2020-153")
    dom = IOTable.load("china-2020-153", block="domestic")
    assert tot.imports is not None
    im = tot.imports["IM"]
    ex = tot.final_demand["EX"]
    share = ((tot.x - ex) / (tot.x - ex + im)).clip(0, 1)
    np.testing.assert_allclose(dom.Z.to_numpy(), tot.Z.mul(share, axis=0).to_numpy())
    assert (dom.multipliers()["value_added_multiplier"] < 1).all()


def test_sector_metadata_and_kinds(china: IOTable) -> None:
    meta = china.sectors
    assert meta["kind"].isin(["goods", "services"]).all()
    assert meta["name_zh"].str.len().gt(0).all()
    assert meta["section"].notna().all()
    # repair of machinery is a service although GB/T puts it in manufacturing (section C)
    repair = meta[meta["name_zh"].str.contains("修理服务")]
    assert len(repair) == 1 and repair["kind"].iloc[0] == "services"
    assert (meta.loc[meta["section"].isin(list("FGHIJKLMNOPQRS")), "kind"] == "services").all()


def test_sector_map_partitions_gbt_classes() -> None:
    classes = refdata.industries()
    classes = classes[(classes["level"] == "class") & ~classes["code"].str.startswith("97")]
    for scheme, group in sector_map().groupby("io_scheme"):
        owners = [
            (code, row)
            for row, codes in zip(group["io_code"], group["gbt_codes"], strict=True)
            for code in codes.split()
        ]
        prefixes = tuple(code for code, _ in owners)
        counts = classes["code"].map(lambda c, p=prefixes: sum(c.startswith(q) for q in p))
        assert (counts == 1).all(), (scheme, classes["code"][counts != 1].tolist()[:5])


def test_service_intensity_of_manufacturing() -> None:
    t = IOTable.load("china-2020-42")
    si = t.service_intensity(manufacturing_only=True)
    assert set(si.index) == set(t.sectors.index[t.sectors["section"] == "C"])
    assert ((si["direct"] > 0) & (si["direct"] < 1)).all()
    assert (si["total"] >= si["direct"]).all()
    manual = t.A.loc[t.sectors["kind"] == "services"].sum(axis=0).loc[si.index]
    np.testing.assert_allclose(si["direct"], manual)


def test_service_intensity_needs_kinds() -> None:
    Z, x = _three()
    A = technical_coefficients(Z, x)
    L = leontief_inverse(A)
    with pytest.raises(AnalysisError, match="no goods/services kind"):
        service_intensity(A, L, pd.Series({"a": "goods"}))
    kinds = pd.Series({"a": "goods", "b": "services", "c": "goods"})
    res = service_intensity(A, L, kinds)
    assert res.loc["a", "direct"] == pytest.approx(A.loc["b", "a"])
    assert res.loc["c", "total"] == pytest.approx(L.loc["b", "c"])
    assert res.loc["b", "total"] == pytest.approx(L.loc["b", "b"] - 1)


def test_from_long_round_trip() -> None:
    raw = refdata.io_table_raw("china-2018-42")
    long = raw.melt(
        id_vars=["Code", "Description", "DescriptionInChinese", "Origin"],
        var_name="col",
        value_name="value",
    )
    long = long.rename(columns={"Code": "row", "Origin": "origin"})
    long["value"] = long["value"] * 1e4  # workspace canonical unit: yuan
    long["table"] = "cn18"
    t = IOTable.from_long(long[["table", "row", "col", "origin", "value"]], table="cn18")
    ref = IOTable.load("china-2018-42")
    np.testing.assert_allclose(t.L.to_numpy(), ref.L.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(t.linkages()["output"], ref.linkages()["output"], rtol=1e-12)
    with pytest.raises(InputError, match="no IO table"):
        IOTable.from_long(long, table="nope")
    import ibis

    lazy = ibis.memtable(long[["table", "row", "col", "origin", "value"]])
    t2 = IOTable.from_long(lazy, table="cn18")  # an Ibis table (e.g. the workspace's io_table)
    np.testing.assert_allclose(t2.A.to_numpy(), ref.A.to_numpy(), rtol=1e-10)


def test_unknown_table_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown IO table"):
        IOTable.load("china-1999-42")


def test_broken_table_fails_the_identity_check() -> None:
    raw = refdata.io_table_raw("china-2020-42")
    raw.loc[raw["Code"].eq("TI"), "05"] = raw.loc[raw["Code"].eq("TI"), "05"] * 1.01
    with pytest.raises(AnalysisError, match="sector '05'"):
        IOTable.from_raw(raw, name="broken")


# ------------------------------------------------------------------------ clusters


def test_cluster_linkages_weights_by_output() -> None:
    t = IOTable.load("china-2020-153")
    res = cluster_linkages(t, "beijing-2441").set_index("cluster")
    sector = t.sector_results()
    # 医药制造 = GB/T division 27 = exactly the 153-table sector 050 医药制品
    assert res.loc["pharma_manufacturing", "sectors"] == "050"
    assert res.loc["pharma_manufacturing", "coverage"] == "full"
    assert res.loc["pharma_manufacturing", "backward"] == pytest.approx(
        sector.loc["050", "backward"]
    )
    # 智能网联汽车 = division 36 = sectors 汽车整车 + 汽车零部件 (079, 080): output-weighted mean
    assert res.loc["icv", "sectors"] == "079 080"
    part = sector.loc[["079", "080"]]
    w = part["output"] / part["output"].sum()
    assert res.loc["icv", "backward"] == pytest.approx((part["backward"] * w).sum())
    assert res.loc["icv", "forward"] == pytest.approx((part["forward"] * w).sum())
    assert res.loc["icv", "output"] == pytest.approx(part["output"].sum())
    # keyword-only clusters reach no IO sector
    assert res.loc["ai", "coverage"] == "none" and np.isnan(res.loc["ai", "backward"])


def test_cluster_finer_than_sector_is_partial_on_42_sectors() -> None:
    res = cluster_linkages("china-2020-42", "beijing-2441").set_index("cluster")
    assert res.loc["pharma_manufacturing", "sectors"] == "12"  # 27 ⊂ 化学产品 (26–29)
    assert res.loc["pharma_manufacturing", "coverage"] == "partial"
    assert res.loc["software_info_services", "coverage"] == "full"  # 63 64 65 = sector 31
    # the aggregate cluster is the union of the others
    members = set()
    for s in res.drop(index="high_end")["sectors"]:
        members |= set(s.split())
    assert set(res.loc["high_end", "sectors"].split()) == members


# ------------------------------------------------------------------------ CLI


def _invoke(args: list[str]) -> tuple[int, str, BaseException | None]:
    from typer.testing import CliRunner

    from clusteratlas.cli import app

    result = CliRunner().invoke(app, ["linkages", *args])
    return result.exit_code, result.stdout, result.exception


def test_cli_by_sector_csv() -> None:
    code, out, exc = _invoke(["--table", "china-2018-42", "--format", "csv", "--lang", "en"])
    assert code == 0, exc
    frame = pd.read_csv(io.StringIO(out), dtype={"sector": str})
    assert len(frame) == 42 and frame["sector"].iloc[0] == "01"
    assert frame["backward"].mean() == pytest.approx(1.0)
    assert set(frame["quadrant"]) <= {"key", "backward_oriented", "forward_oriented", "weak"}
    assert (frame["table"] == "china-2018-42").all()


def test_cli_by_cluster_json() -> None:
    code, out, exc = _invoke(["--table", "china-2020-153", "--by", "cluster", "--format", "json"])
    assert code == 0, exc
    rows = json.loads(out)
    assert {r["cluster"] for r in rows} >= {"icv", "pharma_manufacturing"}


def test_cli_unknown_table() -> None:
    from typer.testing import CliRunner

    from clusteratlas.cli import app

    result = CliRunner().invoke(app, ["linkages", "--table", "nope"])
    assert result.exit_code == InputError.exit_code  # a message, not a raise (CLI boundary)
    assert "nope" in result.output


def test_employment_by_sector_and_multipliers() -> None:
    t = IOTable.load("china-2018-42")
    emp = t.employment()
    series = refdata.employment_by_sector()
    national = series[(series["year"] == 2018) & (series["code"] == "TOT")]["value"].item()
    # all divisions except section T (international organisations, not in the IO table)
    assert emp.sum() == pytest.approx(national, rel=1e-4)
    assert (
        emp.loc["01"] == series[(series["year"] == 2018) & (series["code"] == "A")]["value"].item()
    )
    mult = t.multipliers(employment=emp)
    per_yuan = emp / (t.x * t.yuan_per_unit)
    expected = per_yuan.to_numpy() @ t.L.to_numpy() * 1e6
    np.testing.assert_allclose(mult["employment_multiplier"], expected)
    assert "employment_multiplier" in t.sector_results()
    with pytest.raises(AnalysisError, match="no employment by sector for year 2020"):
        IOTable.load("china-2020-42").employment()
    with pytest.raises(AnalysisError, match="splits divisions"):
        IOTable.load("china-2018-153").employment()
