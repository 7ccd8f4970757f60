"""The ingest SQL compiler (:mod:`clusteratlas.ingest.compiler`) without DuckDB: the
statements parse as DuckDB SQL (sqlglot) and have the structure the workspace relies on.
What they do on data is tested through the workspace (tests/ingest, tests/test_workspace.py).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlglot
from sqlglot import exp

from clusteratlas.ingest.compiler import (
    PARSED,
    REJECTS,
    ImportSpec,
    compile_insert,
    compile_parse,
    compile_problem_count,
    compile_rejects,
    typed_columns,
    workspace_probe,
)
from clusteratlas.ingest.rules import Binding
from clusteratlas.model.schema import TABLES, TableSchema


def bind(
    schema: TableSchema, name: str, position: int, header: str, unit: str | None = None
) -> Binding:
    """A binding of ``schema``'s column ``name`` to raw column ``c<position>``."""
    return Binding(schema.column(name), position, header, unit)


FY = TABLES["firm_year"]
FIRM_YEAR = (
    bind(FY, "firm_id", 0, "企业ID"),
    bind(FY, "year", 1, "年份"),
    bind(FY, "revenue", 2, "营业收入(万元)", "万元"),
    bind(FY, "employees", 3, "从业人员"),
)


def spec(
    typed: frozenset[int] = frozenset(),
    replacing: bool = False,
    schema: TableSchema = FY,
    bindings: tuple[Binding, ...] = FIRM_YEAR,
) -> ImportSpec:
    """An import of ``bindings`` from relation ``raw_v`` as dataset ``bench's``."""
    return ImportSpec(schema, bindings, "raw_v", "fy.csv", "bench's", replacing, typed)


def parse(sql: str) -> exp.Expression:
    """``sql`` parsed as one DuckDB statement (a syntax error fails the test)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    assert tree is not None
    return tree


def test_typed_columns_take_header_units_and_years_only() -> None:
    assert typed_columns(FIRM_YEAR) == {1: "DOUBLE", 2: "DOUBLE", 3: "DOUBLE"}


@pytest.mark.parametrize(
    ("header", "unit"),
    [
        ("营业收入", None),  # money needs a unit: every cell would be unit_missing
        ("营业收入(人)", "人"),  # persons for yuan: unit_mismatch
        ("营业收入(斤)", "斤"),  # not a unit: unit_unknown
    ],
)
def test_a_column_whose_cells_need_their_own_unit_stays_text(header: str, unit: str) -> None:
    assert typed_columns([bind(FY, "revenue", 2, header, unit)]) == {}


def test_text_parse_is_a_staged_temp_table() -> None:
    plan = compile_parse(spec())
    tree = parse(plan.statement)
    assert isinstance(tree, exp.Create)
    assert plan.statement.startswith(f"CREATE TEMP TABLE {PARSED} AS WITH s1 AS")
    assert "regexp_extract" in plan.statement  # the unit-suffix guard of the text path
    assert not plan.view
    assert plan.drop == f"DROP TABLE IF EXISTS {PARSED}"
    assert set(plan.values) == {"firm_id", "year", "revenue", "employees"}
    assert plan.errors == ("firm_id", "year", "revenue", "employees")


def test_typed_parse_is_a_view_that_scales_by_the_header_unit() -> None:
    plan = compile_parse(spec(typed=frozenset({1, 2, 3})))
    parse(plan.statement)
    assert plan.statement.startswith(f"CREATE TEMP VIEW {PARSED} AS")
    assert plan.view and plan.drop == f"DROP VIEW IF EXISTS {PARSED}"
    assert "regexp_extract" not in plan.statement  # no per-cell text parsing left
    assert plan.values["revenue"] == "(c2 * 10000.0)"
    assert plan.values["employees"] == "(c3 * 1.0)"
    assert plan.values["year"] == "CAST(c1 AS INTEGER)"
    # the typed cells have no unit of their own
    assert 'CAST(NULL AS VARCHAR) AS "l_revenue"' in plan.statement
    for rule in ("not_a_number", "negative", "year_range", "not_an_integer", "required"):
        assert rule in plan.statement


def test_a_typed_parse_with_a_number_parsed_per_cell_stays_a_table() -> None:
    # revenue without a unit in the header: its cells carry units and are parsed as text
    bindings = (*FIRM_YEAR[:2], bind(FY, "revenue", 2, "营业收入"), FIRM_YEAR[3])
    typed = frozenset(typed_columns(bindings))
    assert typed == {1, 3}
    plan = compile_parse(spec(typed, bindings=bindings))
    assert not plan.view and plan.statement.startswith(f"CREATE TEMP TABLE {PARSED}")
    assert "regexp_extract" in plan.statement


def test_a_parse_resolved_in_place_stays_a_table() -> None:
    firm = TABLES["firm"]
    bindings = (bind(firm, "firm_id", 0, "企业ID"), bind(firm, "region", 1, "地区"))
    plan = compile_parse(spec(frozenset({5}), schema=firm, bindings=bindings))
    assert plan.places.resolve_region and plan.places.updates
    assert not plan.view and "CREATE TEMP TABLE" in plan.statement


def test_rejects_list_rules_duplicates_and_workspace_duplicates() -> None:
    plan = compile_parse(spec())
    sql = compile_rejects(spec(), plan, check_workspace=True)
    tree = parse(sql)
    assert sql.startswith(f"CREATE TEMP TABLE {REJECTS} AS")
    workspace_check = 'EXISTS (SELECT 1 FROM "firm_year" t WHERE'
    assert "'duplicate_in_file'" in sql and workspace_check in sql
    assert "GROUP BY ALL HAVING count(*) > 1" in sql
    assert "JOIN raw_v s ON s.__row = r.row" in sql  # the cell text, for rejected rows only
    # one UNION ALL member per rule column, plus the two duplicate checks
    assert len(list(tree.find_all(exp.Union))) == len(plan.errors) + 2 - 1
    without = compile_rejects(spec(), plan, check_workspace=False)
    assert workspace_check not in without


def test_industry_codes_are_checked_against_the_reference_table() -> None:
    firm = TABLES["firm"]
    bindings = (bind(firm, "firm_id", 0, "企业ID"), bind(firm, "industry", 1, "行业"))
    s = spec(schema=firm, bindings=bindings)
    sql = compile_rejects(s, compile_parse(s))
    parse(sql)
    assert "'industry_unknown'" in sql and "r.scheme = 'gbt4754-2017'" in sql


def test_problem_count_is_one_number_without_the_cell_text() -> None:
    typed = spec(typed=frozenset({1, 2, 3}))
    plan = compile_parse(typed)
    sql = compile_problem_count(typed, plan, check_workspace=False)
    tree = parse(sql)
    assert isinstance(tree, exp.Select) and len(tree.expressions) == 1
    assert "raw_v" not in sql
    # every per-column rule and the key hashes in one scan
    assert sql.count(f"FROM {PARSED}") == 1
    assert all(f'"e_{n}" IS NOT NULL' in sql for n in plan.errors)
    assert 'THEN hash("v_firm_id", "v_year") END AS h' in sql
    assert "count(h) - count(DISTINCT h)" in sql
    assert 'FROM "firm_year" t' not in sql
    with_workspace = compile_problem_count(typed, plan, check_workspace=True)
    parse(with_workspace)
    assert 'EXISTS (SELECT 1 FROM "firm_year" t WHERE' in with_workspace


def test_workspace_probe_leaves_out_the_replaced_dataset() -> None:
    assert workspace_probe(spec()) == 'SELECT EXISTS (SELECT 1 FROM "firm_year")'
    replacing = workspace_probe(spec(replacing=True))
    assert replacing is not None and "WHERE dataset <> 'bench''s'" in replacing
    only_id = spec(bindings=FIRM_YEAR[:1])  # no year: the workspace key is incomplete
    assert workspace_probe(only_id) is None


def test_insert_reads_the_parsed_relation_and_leaves_out_rejects() -> None:
    plan = compile_parse(spec())
    (insert,) = compile_insert(spec(), plan, has_rejects=False)
    tree = parse(insert)
    assert isinstance(tree, exp.Insert)
    assert insert == (
        'INSERT INTO "firm_year" ("dataset", "firm_id", "year", "revenue", "employees") '
        f'SELECT \'bench\'\'s\', "v_firm_id", "v_year", "v_revenue", "v_employees" FROM {PARSED}'
    )
    statements = compile_insert(spec(replacing=True), plan, has_rejects=True)
    assert [s.split()[0] for s in statements] == ["DELETE", "DELETE", "INSERT"]
    assert statements[0] == "DELETE FROM \"firm_year\" WHERE dataset = 'bench''s'"
    assert statements[1] == "DELETE FROM dataset WHERE name = 'bench''s'"
    assert statements[2].endswith(f"WHERE __row NOT IN (SELECT row FROM {REJECTS})")


def test_observation_values_keep_bounds_and_default_source() -> None:
    obs = TABLES["observation"]
    bindings = tuple(
        bind(obs, n, i, n) for i, n in enumerate(("region", "indicator", "year", "value"))
    )
    s = spec(schema=obs, bindings=bindings)
    plan = compile_parse(s)
    parse(plan.statement)
    assert plan.values["source"] == "'fy.csv'"
    assert plan.values["bound"].startswith("coalesce(")
    assert {"unit", "low", "high"} <= set(plan.values)


def test_the_compiler_runs_without_duckdb() -> None:
    code = (
        "import sys; sys.modules['duckdb'] = None\n"
        "from clusteratlas.ingest.compiler import ImportSpec, compile_parse, compile_insert\n"
        "from clusteratlas.ingest.rules import Binding\n"
        "from clusteratlas.model.schema import TABLES\n"
        "fy = TABLES['firm_year']\n"
        "b = (Binding(fy.column('firm_id'), 0, 'id', None),\n"
        "     Binding(fy.column('year'), 1, 'y', None))\n"
        "s = ImportSpec(fy, b, 'raw', 'f.csv', 'd', False, frozenset({1}))\n"
        "print(compile_insert(s, compile_parse(s), False)[0])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('INSERT INTO "firm_year"')
