"""The ingest SQL compiler: an import spec → the SQL statements of one import.

Pure functions returning strings and dataclasses; no DuckDB here.
:class:`~clusteratlas.workspace.Workspace` executes what this module compiles, inside its one
transaction, and commits. The statements, in the order the workspace runs them:

1. :func:`compile_parse` — the parsed relation ``__ca_parsed``: per bound column its typed
   canonical value ``v_<name>``, the rule it breaks ``e_<name>`` (NULL when fine) and, for
   quantities, the cell's own unit ``l_<name>``. On the **text path** (every cell read as
   VARCHAR) the cells go through the staged rules of :mod:`clusteratlas.ingest.rules`. On
   the **typed path** the reader already read the numeric columns of :func:`typed_columns`
   as DOUBLE, so they only need the header's factor and the set-based checks (required,
   finite, non-negative, year range).
2. :func:`compile_rejects` (text path) — the rejects table ``__ca_rejects`` (row, column,
   value, rule, message): per-column rules, reference-data existence, duplicate keys in the
   file and against the workspace. :func:`compile_problem_count` (typed path) — the number
   of rows that break any of the same rules; the typed path commits only when it is 0, else
   the file is read again as text and the text path gives the rejects (exactly as before).
3. :func:`compile_insert` — ``DELETE`` of the replaced dataset's rows (``replace``) and the
   ``INSERT`` of the valid rows straight from the parsed relation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from clusteratlas.ingest.rules import (
    INDUSTRY_SCHEME,
    MIN_YEAR,
    Binding,
    ObservationParts,
    Parts,
    column_parts,
    indicator_unit_sql,
    lit,
    message_sql,
    quantity_parts,
    trim_sql,
    year_top,
)
from clusteratlas.model.schema import TableSchema, quote
from clusteratlas.units import unit_factor

PARSED = "__ca_parsed"
"""Name of the parsed relation (a temporary table or view)."""
REJECTS = "__ca_rejects"
"""Name of the rejects table (text path)."""
TYPED = "DOUBLE"
"""The SQL type the typed path reads numeric columns as."""


@dataclass(frozen=True)
class ImportSpec:
    """What one import reads and where it goes.

    Parameters
    ----------
    schema
        The canonical table (:mod:`clusteratlas.model.schema`).
    bindings
        Canonical columns bound to the raw columns ``c<position>``.
    source
        The raw relation: ``__row, c0 … cN`` (VARCHAR, except the typed positions).
    source_label
        The file or frame name (stored as ``observation.source`` when the file has none).
    dataset
        The dataset name.
    replacing
        True when the import replaces dataset ``dataset``.
    typed
        Positions the reader read as :data:`TYPED` (empty: the text path).
    """

    schema: TableSchema
    bindings: tuple[Binding, ...]
    source: str
    source_label: str
    dataset: str
    replacing: bool = False
    typed: frozenset[int] = frozenset()

    @property
    def by_name(self) -> dict[str, Binding]:
        """The bindings by canonical column name."""
        return {b.name: b for b in self.bindings}


@dataclass
class Places:
    """How a table's ``region``/``zone`` columns are filled: resolved from the file's region
    column, or read from the USCC (``uscc`` column of the parsed table), or not at all."""

    resolve_region: bool = False
    resolve_zone: bool = False
    zone: bool = False
    uscc: str | None = None
    from_uscc: bool = False
    extra_columns: list[str] = field(default_factory=list)

    @property
    def updates(self) -> bool:
        """True when the parsed relation is updated in place (it must be a table)."""
        return self.resolve_region or self.resolve_zone or self.from_uscc


@dataclass(frozen=True)
class ParsePlan:
    """The compiled parse: the statement creating :data:`PARSED` and what it holds.

    ``values`` maps each canonical column filled by the import to its SQL (the parsed
    relation has it as ``v_<name>``); ``errors`` the columns with a rule column ``e_<name>``.
    """

    statement: str
    values: dict[str, str]
    errors: tuple[str, ...]
    places: Places
    view: bool = False

    @property
    def drop(self) -> str:
        """The statement dropping :data:`PARSED`."""
        return f"DROP {'VIEW' if self.view else 'TABLE'} IF EXISTS {PARSED}"


def typed_columns(bindings: Sequence[Binding]) -> dict[int, str]:
    """Positions the typed path may read as :data:`TYPED`, with that type.

    A quantity column qualifies when its unit comes from the header (a known unit of the
    column's canonical unit) or needs none (the column has a default unit); a year column
    always. Cells with unit suffixes, blanks written as ``-`` or thousands separators make
    the typed read fail, and the file is then read as text.

    Parameters
    ----------
    bindings
        The bound columns of the file.

    Returns
    -------
    dict[int, str]
        Raw column position → SQL type.
    """
    typed: dict[int, str] = {}
    for b in bindings:
        if b.column.parse == "year" or (
            b.column.parse == "quantity" and _header_factor(b) is not None
        ):
            typed[b.position] = TYPED
    return typed


def _header_factor(b: Binding) -> float | None:
    """The factor every cell of quantity column ``b`` is scaled by when the cells hold bare
    numbers (None when such cells are rejected: unknown or mismatched unit, or no unit
    where one is needed)."""
    if b.column.unit is None:
        return None
    if b.unit is None:
        return 1.0 if b.column.default_unit else None
    try:
        canonical, factor = unit_factor(b.unit)
    except KeyError:
        return None
    return float(factor) if canonical == b.column.unit else None


def _required(b: Binding) -> str:
    return "'required'" if b.column.required else "NULL"


def _typed_parts(b: Binding) -> Parts:
    """Value and rule of a column read as DOUBLE (the text path's rules on bare numbers)."""
    c = f"c{b.position}"
    if b.column.parse == "year":
        error = (
            f"CASE WHEN {c} IS NULL THEN {_required(b)} "
            f"WHEN {c} <> floor({c}) THEN 'not_an_integer' "
            f"WHEN {c} < {MIN_YEAR} OR {c} > {year_top(b.column)} THEN 'year_range' END"
        )
        return Parts([c], [], f"CAST({c} AS INTEGER)", error)
    factor = _header_factor(b)
    assert factor is not None  # typed_columns admits only these
    scaled = f"({c} * {factor!r})"
    error = (
        f"CASE WHEN {c} IS NULL THEN {_required(b)} "
        f"WHEN NOT isfinite({scaled}) THEN 'not_a_number' "
        + (f"WHEN {scaled} < 0 THEN 'negative' " if b.column.nonneg else "")
        + "END"
    )
    return Parts([c], [], scaled, error)


def _column_parts(spec: ImportSpec) -> dict[str, Parts]:
    """The SQL pieces of every bound column (observation values need the indicator's)."""
    by_name = spec.by_name
    parts: dict[str, Parts] = {}
    for b in spec.bindings:
        if b.position in spec.typed:
            parts[b.name] = _typed_parts(b)
        elif b.column.parse == "quantity":
            parts[b.name] = quantity_parts(b)
        elif b.column.parse != "observation_value":
            parts[b.name] = column_parts(b)
    if spec.schema.name == "observation":
        row_unit = "t_unit" if "unit" in by_name else None
        obs = quantity_parts(
            by_name["value"],
            row_unit=row_unit,
            indicator_unit=indicator_unit_sql(parts["indicator"].value),
        )
        assert isinstance(obs, ObservationParts)
        parts["value"] = obs
        for end in ("low", "high"):
            if end in by_name:
                tx = f"t_{end}"
                num = f"TRY_CAST(replace({tx}, ',', '') AS DOUBLE)"
                parts[end] = Parts(
                    [f"NULLIF({trim_sql(f'c{by_name[end].position}')}, '') AS {tx}"],
                    [],
                    f"{num} * {obs.factor}",
                    f"CASE WHEN {tx} IS NOT NULL AND ({num} IS NULL OR NOT isfinite({num})) "
                    f"THEN 'not_a_number' END",
                )
    return parts


def _values(spec: ImportSpec, parts: Mapping[str, Parts]) -> dict[str, str]:
    """Each filled canonical column's SQL, with the table's own defaults."""
    values = {n: p.value for n, p in parts.items()}
    if spec.schema.name == "observation":
        obs = parts["value"]
        assert isinstance(obs, ObservationParts)
        values["unit"] = obs.unit
        values["bound"] = f"coalesce({obs.bound}, {values.get('bound') or 'NULL'}, '=')"
        values["low"] = f"coalesce({obs.low}, {values.get('low', 'NULL')})"
        values["high"] = f"coalesce({obs.high}, {values.get('high', 'NULL')})"
        values.setdefault("source", lit(spec.source_label))
    if spec.schema.name == "firm_tag":
        values.setdefault("source", lit("certified"))
    return values


def place_columns(spec: ImportSpec, values: dict[str, str]) -> Places:
    """Decide :class:`Places` and add placeholder values (NULL region/zone) to ``values``."""
    by_name = spec.by_name
    names = set(spec.schema.column_names)
    place = Places(zone="zone" in names)
    if "uscc" in by_name:
        place.uscc = "v_uscc"
    elif "firm_id" in by_name and by_name["firm_id"].column.parse == "uscc":
        place.uscc = "v_firm_id"
    region = by_name.get("region")
    if region is not None and region.column.parse == "region":
        place.resolve_region = True
        place.extra_columns.append("CAST(NULL AS VARCHAR) AS x_region")
    elif "region" in names and region is None and place.uscc and spec.schema.name == "firm":
        place.from_uscc = True
        values["region"] = "CAST(NULL AS VARCHAR)"
    if place.zone:
        if "zone" in by_name:
            place.resolve_zone = True
        else:
            values["zone"] = "CAST(NULL AS VARCHAR)"
    return place


def compile_parse(spec: ImportSpec) -> ParsePlan:
    """The statement creating :data:`PARSED` from ``spec.source``.

    Text columns stage their rules as CTEs (a stage reads the aliases of the one before);
    typed columns need no stages. On the text path the result is a temporary table; on the
    typed path a view (the rows go to the canonical table without a temporary copy) unless
    regions or zones are resolved in place, which needs a table, or a number column is
    still parsed cell by cell (a view would parse it again for every statement reading it).

    Parameters
    ----------
    spec
        The import.

    Returns
    -------
    ParsePlan
        The statement, the filled columns, the rule columns and how places are filled.
    """
    parts = _column_parts(spec)
    values = _values(spec, parts)
    place = place_columns(spec, values)
    items = ["__row"]
    items += [f"{v} AS {quote('v_' + n)}" for n, v in values.items()]
    items += [f"CAST({p.error} AS VARCHAR) AS {quote('e_' + n)}" for n, p in parts.items()]
    items += place.extra_columns
    items += [  # the cell's own unit, for the units report (a typed cell has none)
        (
            f"CAST(NULL AS VARCHAR) AS {quote('l_' + b.name)}"
            if b.position in spec.typed
            else f"l_{b.name} AS {quote('l_' + b.name)}"
        )
        for b in spec.bindings
        if b.column.parse == "quantity"
    ]
    stages = [["__row"] + [s for p in parts.values() for s in p.stage1]]
    for attr in ("stage2", "stage3", "stage4", "stage5"):
        stages.append(["*"] + [s for p in parts.values() for s in getattr(p, attr)])
    body = (
        f"WITH s1 AS (SELECT {', '.join(dict.fromkeys(stages[0]))} FROM {spec.source}), "
        + "".join(
            f"s{i + 1} AS (SELECT {', '.join(st)} FROM s{i}), "
            for i, st in enumerate(stages[1:], start=1)
        )[:-2]
        + f" SELECT {', '.join(items)} FROM s{len(stages)}"
    )
    # a view is read by every later statement: only cheap expressions may stay in it
    parsed_per_cell = any(
        b.column.parse in ("quantity", "observation_value") and b.position not in spec.typed
        for b in spec.bindings
    )
    view = bool(spec.typed) and not place.updates and not parsed_per_cell
    kind = "VIEW" if view else "TABLE"
    return ParsePlan(f"CREATE TEMP {kind} {PARSED} AS {body}", values, tuple(parts), place, view)


def workspace_probe(spec: ImportSpec) -> str | None:
    """SQL giving one boolean: whether the table holds rows a key of this import could
    duplicate (other datasets' rows; None when the table has no workspace key or the file
    lacks one of its columns). When false the workspace duplicate check is left out."""
    wkey = spec.schema.workspace_key
    if not wkey or not all(k in spec.by_name for k in wkey):
        return None
    other = f" WHERE dataset <> {lit(spec.dataset)}" if spec.replacing else ""
    return f"SELECT EXISTS (SELECT 1 FROM {quote(spec.schema.name)}{other})"


def _reference_checks(spec: ImportSpec) -> list[tuple[Binding, str]]:
    """Industry and region codes that must exist in the reference tables: per bound column,
    the condition (on ``p``, the parsed relation) of a row whose code does not."""
    checks = []
    for n in ("industry", "region"):
        b = spec.by_name.get(n)
        if b is not None and b.column.parse == n:
            cond = f"r.code = p.v_{n}"
            if n == "industry":
                cond += f" AND r.scheme = {lit(INDUSTRY_SCHEME)}"
            checks.append(
                (
                    b,
                    f"p.v_{n} IS NOT NULL AND p.e_{n} IS NULL "
                    f"AND NOT EXISTS (SELECT 1 FROM {quote(n)} r WHERE {cond})",
                )
            )
    return checks


@dataclass(frozen=True)
class _Keys:
    """The file's key columns: their ``v_`` names, header text and the condition (on ``p``)
    of a row whose required key cells all parsed."""

    columns: list[str]
    header: str
    complete: str


def _keys(spec: ImportSpec) -> _Keys | None:
    by_name = spec.by_name
    key = [k for k in spec.schema.key if k in by_name]
    if not key:
        return None
    complete = (
        " AND ".join(
            f"p.{quote('v_' + k)} IS NOT NULL AND p.{quote('e_' + k)} IS NULL"
            for k in key
            if by_name[k].column.required
        )
        or "TRUE"
    )
    return _Keys(
        [quote("v_" + k) for k in key], ", ".join(by_name[k].header for k in key), complete
    )


def _in_workspace(spec: ImportSpec) -> str:
    """The condition (on ``p``) of a row whose workspace key another dataset holds."""
    wjoin = " AND ".join(f"t.{quote(k)} = p.{quote('v_' + k)}" for k in spec.schema.workspace_key)
    not_replaced = f" AND t.dataset <> {lit(spec.dataset)}" if spec.replacing else ""
    return f"EXISTS (SELECT 1 FROM {quote(spec.schema.name)} t WHERE {wjoin}{not_replaced})"


def _reject_rows(spec: ImportSpec, plan: ParsePlan, check_workspace: bool) -> list[str]:
    """``SELECT row, pos, col, value, rule`` per rule family, to be joined by UNION ALL."""
    unions = []
    for n in plan.errors:
        b = spec.by_name[n]
        # an ambiguous region shows its candidates as the value
        value = "p.x_region" if n == "region" else "CAST(NULL AS VARCHAR)"
        unions.append(
            f"SELECT p.__row AS row, {b.position} AS pos, {lit(b.header)} AS col, "
            f"{value} AS value, p.{quote('e_' + n)} AS rule "
            f"FROM {PARSED} p WHERE p.{quote('e_' + n)} IS NOT NULL"
        )
    for b, cond in _reference_checks(spec):
        unions.append(
            f"SELECT p.__row, {b.position}, {lit(b.header)}, NULL, '{b.name}_unknown' "
            f"FROM {PARSED} p WHERE {cond}"
        )
    keys = _keys(spec)
    if keys is None:
        return unions
    key_text = " || ', ' || ".join(f"coalesce(CAST(p.{k} AS VARCHAR), '')" for k in keys.columns)
    join = " AND ".join(f"d.{k} IS NOT DISTINCT FROM p.{k}" for k in keys.columns)
    unions.append(
        f"SELECT p.__row, NULL, {lit(keys.header)}, {key_text}, 'duplicate_in_file' "
        f"FROM {PARSED} p JOIN (SELECT {', '.join(keys.columns)} FROM {PARSED} p "
        f"WHERE {keys.complete} GROUP BY ALL HAVING count(*) > 1) d ON {join} "
        f"WHERE {keys.complete}"
    )
    if check_workspace and workspace_probe(spec) is not None:
        unions.append(
            f"SELECT p.__row, NULL, {lit(keys.header)}, {key_text}, "
            "'duplicate_in_workspace' "
            f"FROM {PARSED} p WHERE {keys.complete} AND {_in_workspace(spec)}"
        )
    return unions


def compile_rejects(spec: ImportSpec, plan: ParsePlan, check_workspace: bool = True) -> str:
    """The statement creating :data:`REJECTS` (text path): one row per broken rule with
    ``row, "column", value, rule, message``, ordered by row and rule; the offending cell's
    text is fetched from ``spec.source`` in one join, only for rejected rows.

    Parameters
    ----------
    spec
        The import (text path: every raw column VARCHAR).
    plan
        Its compiled parse.
    check_workspace
        False when :func:`workspace_probe` found no rows to duplicate.

    Returns
    -------
    str
        A ``CREATE TEMP TABLE`` statement.
    """
    positions = sorted({b.position for b in spec.bindings})
    cell = (
        "CASE r.pos "
        + " ".join(f"WHEN {i} THEN NULLIF({trim_sql(f's.c{i}')}, '')" for i in positions)
        + " END"
    )
    return (
        f'CREATE TEMP TABLE {REJECTS} AS SELECT r.row, r.col AS "column", '
        f"coalesce(r.value, {cell}) AS value, r.rule, {message_sql('r.rule')} AS message "
        f"FROM ({' UNION ALL '.join(_reject_rows(spec, plan, check_workspace))}) r "
        f"JOIN {spec.source} s ON s.__row = r.row ORDER BY r.row, r.rule"
    )


def compile_problem_count(spec: ImportSpec, plan: ParsePlan, check_workspace: bool = True) -> str:
    """SQL giving 0 when no row breaks a rule of :func:`compile_rejects`, else a positive
    number (typed path: a count above 0 sends the import down the text path, which lists
    the rejects). Cheaper than the rejects: one scan for all per-column rules and the
    duplicate keys, found as fewer distinct hashes of the key than keys (a collision only
    costs the text path, which compares the keys themselves); no cell text is fetched.

    Parameters
    ----------
    spec
        The import.
    plan
        Its compiled parse.
    check_workspace
        False when :func:`workspace_probe` found no rows to duplicate.

    Returns
    -------
    str
        A ``SELECT`` of one integer.
    """
    counts = []
    items = ["__row"]  # one scan of the parsed relation for the rules and the key hashes
    if plan.errors:
        broken = " OR ".join(f"{quote('e_' + n)} IS NOT NULL" for n in plan.errors)
        items.append(f"{broken} AS broken")
        counts.append("count(*) FILTER (WHERE broken)")
    keys = _keys(spec)
    if keys is not None:
        items.append(f"CASE WHEN {keys.complete} THEN hash({', '.join(keys.columns)}) END AS h")
        counts.append("(count(h) - count(DISTINCT h))")
    scan = f"(SELECT {' + '.join(counts) or '0'} FROM (SELECT {', '.join(items)} FROM {PARSED} p))"
    counts = [scan]
    counts += [
        f"(SELECT count(*) FROM {PARSED} p WHERE {cond})" for _, cond in _reference_checks(spec)
    ]
    if keys is not None and check_workspace and workspace_probe(spec) is not None:
        counts.append(
            f"(SELECT count(*) FROM {PARSED} p WHERE {keys.complete} AND {_in_workspace(spec)})"
        )
    return f"SELECT {' + '.join(counts) or '0'}"


def compile_insert(spec: ImportSpec, plan: ParsePlan, has_rejects: bool) -> list[str]:
    """The writes of the import's transaction, before the registry row: the replaced
    dataset's rows and registry row deleted (``spec.replacing``) and the valid parsed rows
    inserted.

    Parameters
    ----------
    spec
        The import.
    plan
        Its compiled parse.
    has_rejects
        True when :data:`REJECTS` holds rows to leave out.

    Returns
    -------
    list[str]
        Statements, in order.
    """
    table = quote(spec.schema.name)
    filled = [c for c in spec.schema.column_names if c in plan.values]
    target = ", ".join(quote(c) for c in ["dataset", *filled])
    select = ", ".join([lit(spec.dataset)] + [quote("v_" + c) for c in filled])
    anti = f" WHERE __row NOT IN (SELECT row FROM {REJECTS})" if has_rejects else ""
    statements = []
    if spec.replacing:
        statements.append(f"DELETE FROM {table} WHERE dataset = {lit(spec.dataset)}")
        statements.append(f"DELETE FROM dataset WHERE name = {lit(spec.dataset)}")
    statements.append(f"INSERT INTO {table} ({target}) SELECT {select} FROM {PARSED}{anti}")
    return statements
