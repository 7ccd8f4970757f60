"""`clusteratlas complexity / opportunities` against a real workspace file.

The workspace holds a small firm registry (24 counties × 12 GB/T classes in 3 divisions, two
years, several firms per cell); the CLI's numbers must equal the analysis function applied to
the same cells aggregated by hand in pandas (firm revenue summed per county × class code).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from clusteratlas import open_workspace, refdata
from clusteratlas.analysis.complexity import complexity, opportunities
from clusteratlas.cli import app

runner = CliRunner()
_REGIONS = refdata.regions()
COUNTIES = [
    code
    for province in ("110000", "120000")
    for code in sorted(_REGIONS.loc[_REGIONS.parent == province, "code"])[:12]
]
TARGET = COUNTIES[2]
CLASSES = ["3911", "3912", "3913", "3914", "2710", "2720", "2730", "2740", "6511", "6512",
           "6513", "6519"]  # fmt: skip


def registry() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(2441)
    firms, years = [], []
    capability = rng.random(len(COUNTIES))
    difficulty = rng.random(len(CLASSES))
    n = 0
    for c, county in enumerate(COUNTIES):
        for p, code in enumerate(CLASSES):
            if rng.random() > 0.35 + 0.6 * (capability[c] > difficulty[p]):
                continue
            for _ in range(int(rng.integers(1, 4))):
                firm_id = f"F{n:05d}"
                n += 1
                firms.append({"firm_id": firm_id, "name": f"企业{n}", "region": county,
                              "industry": code})  # fmt: skip
                for year in (2023, 2024):
                    revenue = float(np.round(rng.lognormal(18, 1) * (1 + capability[c]), 0))
                    years.append({"firm_id": firm_id, "year": year, "revenue": revenue})
    return pd.DataFrame(firms), pd.DataFrame(years)


FIRMS, FIRM_YEARS = registry()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ws") / "ws.duckdb"
    with open_workspace(path) as ws:
        ws.import_frame("firms", FIRMS, dataset="firms", source="test_complexity")
        ws.import_frame(
            "firm-years",
            FIRM_YEARS,
            dataset="firm-years",
            source="test_complexity",
            units={"revenue": "元"},
        )
    return path


def by_hand(digits: int, region_digits: int = 6) -> pd.DataFrame:
    joined = FIRM_YEARS.merge(FIRMS, on="firm_id")
    joined["industry"] = joined["industry"].str[:digits]
    joined["region"] = joined["region"].str[:region_digits].str.ljust(6, "0")
    return joined.groupby(["region", "industry", "year"], as_index=False)["revenue"].sum()


def test_complexity_pairs_csv_equal_the_analysis(workspace: Path) -> None:
    result = runner.invoke(
        app,
        ["complexity", "-w", str(workspace), "--by", "pair", "-f", "csv", "--level", "district",
         "--industry-level", "class"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    got = pd.read_csv(io.StringIO(result.stdout), dtype={"region": str, "industry": str})
    assert not got.pop("synthetic").any()  # this registry is not flagged synthetic
    expected = complexity(
        by_hand(4), region="region", industry="industry", value="revenue", year="year"
    )
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected) and set(got.year) == {2023, 2024}
    for col in ("revenue", "rca", "m", "eci", "pci", "density", "coi", "cog"):
        np.testing.assert_allclose(got[col], expected[col], rtol=1e-9, atol=1e-9, err_msg=col)


def test_complexity_region_view_division_level_and_year(workspace: Path) -> None:
    result = runner.invoke(
        app,
        ["complexity", "-w", str(workspace), "--level", "district", "--industry-level",
         "division", "--year", "2024", "-f", "json", "--lang", "en"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = pd.DataFrame(json.loads(result.stdout)).drop(columns="synthetic")
    assert set(rows.year) == {2024}
    assert list(rows.columns) == ["year", "region", "name", "revenue", "diversity", "eci", "coi"]
    expected = (
        complexity(
            by_hand(2).query("year == 2024"), region="region", industry="industry", value="revenue"
        )
        .groupby("region")
        .eci.first()
    )
    np.testing.assert_allclose(rows.set_index("region").eci[expected.index], expected)
    assert rows.eci.is_monotonic_decreasing
    assert rows.set_index("region").name[COUNTIES[0]] != ""  # names from the region table


def test_too_few_regions_are_refused_with_a_message_and_no_table(workspace: Path) -> None:
    # the default level is province: this registry has two (110000, 120000)
    for args in (["complexity"], ["complexity", "--level", "province", "--by", "industry"],
                 ["opportunities", "--region", "110000"]):  # fmt: skip
        result = runner.invoke(app, [*args, "-w", str(workspace), "-f", "csv"])
        assert result.exit_code == 4, result.output
        assert "only 2 regions" in " ".join(result.output.split())
        assert "Traceback" not in result.output and "eci" not in result.stdout
    table = runner.invoke(app, ["complexity", "-w", str(workspace), "--level", "district",
                                "--top", "3"])  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "亿元" in table.stdout and "经济复杂度" in table.stdout


def test_opportunities_csv_equal_the_analysis(workspace: Path) -> None:
    result = runner.invoke(
        app,
        ["opportunities", "-w", str(workspace), "--region", TARGET, "--strategy", "long_jump",
         "--top", "50", "-f", "csv"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    got = pd.read_csv(io.StringIO(result.stdout), dtype={"region": str, "industry": str})
    assert not got.pop("synthetic").any()  # this registry is not flagged synthetic
    expected = opportunities(
        by_hand(4),
        region="region",
        industry="industry",
        value="revenue",
        year="year",
        target_region=TARGET,
    )
    assert set(got.year) == {2024}
    assert sorted(got.industry) == sorted(expected.industry)
    assert list(got.rank_long_jump) == sorted(got.rank_long_jump)  # ranked by the strategy
    merged = got.merge(expected, on="industry", suffixes=("", "_exp"))
    np.testing.assert_allclose(merged.density, merged.density_exp)
    np.testing.assert_allclose(merged.score_long_jump, merged.score_long_jump_exp)
    earlier = runner.invoke(
        app,
        ["opportunities", "-w", str(workspace), "--region", TARGET, "--year", "2023",
         "-f", "json"],
    )  # fmt: skip
    assert earlier.exit_code == 0, earlier.output
    assert {r["year"] for r in json.loads(earlier.stdout)} == {2023}


def test_user_errors_exit_cleanly(workspace: Path, tmp_path: Path) -> None:
    unknown = runner.invoke(app, ["opportunities", "-w", str(workspace), "--region", "999999"])
    assert unknown.exit_code == 4 and "999999" in unknown.output
    assert "Traceback" not in unknown.output
    bad = runner.invoke(
        app, ["opportunities", "-w", str(workspace), "--region", "110101", "--strategy", "x"]
    )
    assert bad.exit_code == 4 and "low_hanging_fruit" in bad.output
    measure = runner.invoke(
        app, ["complexity", "-w", str(workspace), "--source", "firms", "--indicator", "gdp"]
    )
    assert measure.exit_code == 4 and "firm_year measure" in measure.output
    missing = runner.invoke(app, ["complexity", "-w", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 3 and "Traceback" not in missing.output
    open_workspace(tmp_path / "new.duckdb").close()  # tables, but no firms or observations
    empty = runner.invoke(app, ["complexity", "-w", str(tmp_path / "new.duckdb")])
    assert empty.exit_code == 3 and "has no observations" in " ".join(empty.output.split())


def test_rca_cutoff_is_passed_on(workspace: Path) -> None:
    result = runner.invoke(
        app,
        [
            "complexity",
            "-w",
            str(workspace),
            "--by",
            "pair",
            "--rca-cutoff",
            "1.5",
            "-f",
            "csv",
            "--level",
            "district",
        ],
    )
    assert result.exit_code == 0, result.output
    got = pd.read_csv(io.StringIO(result.stdout), dtype={"region": str, "industry": str})
    assert not got.pop("synthetic").any()  # this registry is not flagged synthetic
    assert ((got.rca >= 1.5) == (got.m == 1)).all() and ((got.rca >= 1) & (got.m == 0)).any()
