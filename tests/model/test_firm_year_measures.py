"""The firm-year measure list lives once, in the schema, and its users follow it."""

from __future__ import annotations

from clusteratlas.analysis.complexity import FIRM_MEASURES
from clusteratlas.model.schema import (
    FIRM_YEAR_MEASURES,
    FIRM_YEAR_SIZE_MEASURES,
    LADDER_ATTRIBUTES,
    TABLES,
)
from clusteratlas.synth.generator import FIRM_YEAR_COLUMNS


def test_measures_are_the_firm_year_quantities_but_the_ladder_attributes() -> None:
    table = TABLES["firm_year"]
    ladder = {c.name for c in LADDER_ATTRIBUTES}
    expected = [c.name for c in table.columns if c.parse == "quantity" and c.name not in ladder]
    assert list(FIRM_YEAR_MEASURES) == expected
    assert {"revenue", "employees", "market_share"} <= set(FIRM_YEAR_MEASURES)


def test_size_measures_are_additive_units_only() -> None:
    table = TABLES["firm_year"]
    assert set(FIRM_YEAR_SIZE_MEASURES) < set(FIRM_YEAR_MEASURES)
    assert {table.column(m).unit for m in FIRM_YEAR_SIZE_MEASURES} == {"yuan", "persons", "count"}
    assert "debt_ratio" not in FIRM_YEAR_SIZE_MEASURES
    assert FIRM_MEASURES == FIRM_YEAR_SIZE_MEASURES


def test_generator_writes_every_measure_with_its_unit() -> None:
    table = TABLES["firm_year"]
    for m in FIRM_YEAR_MEASURES:
        assert FIRM_YEAR_COLUMNS[m] == f"{m}({table.column(m).unit})"
    assert FIRM_YEAR_COLUMNS["revenue"] == "revenue(yuan)"
    assert FIRM_YEAR_COLUMNS["employees"] == "employees(persons)"
