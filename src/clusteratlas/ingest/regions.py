"""Regions by name or code, functional zones, and regions read from USCCs.

Exports write a firm's district as ``海淀区``, ``北京市海淀区``, ``海淀``, ``110108`` or a
functional zone (``北京经济技术开发区``, ``经开区``). :func:`region_forms` lists every accepted
spelling of every GB/T 2260 region (name, short name without 区/县/市…, with its province and
prefecture in front) and of every zone in :func:`clusteratlas.refdata.zones` (name, code and
aliases; a zone resolves to its host district and keeps the zone's official name).
:func:`resolve_sql` resolves a whole column set-based in DuckDB: one candidate → its code;
several (``朝阳区`` is in Beijing and in Changchun) → the one in the province of the row's
USCC (characters 3–8 are the registering authority's division), else the rule
``region_ambiguous`` with the candidates listed. Without a region column,
:func:`uscc_region_sql` reads the region from the USCC.
"""

from __future__ import annotations

from functools import lru_cache

import duckdb
import pandas as pd

FORMS_TABLE = "__ca_region_forms"

_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "新区",
    "林区",
    "特区",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "盟",
)


def short_name(name: str) -> str:
    """A region name without its type suffix (``海淀区`` → ``海淀``, ``北京市`` → ``北京``);
    unchanged when fewer than two characters would remain (``城区``)."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def normalise_sql(expr: str) -> str:
    """SQL normalising a region text: no white space, lower case, no leading ``中国``."""
    return (
        f"regexp_replace(lower(regexp_replace({expr}, '[\\s\\x{{3000}}\\x{{a0}}]+', '', 'g')), "
        "'^(中国|中华人民共和国)', '')"
    )


def _names(name: str) -> set[str]:
    return {name, short_name(name)}


@lru_cache(maxsize=4)
def _forms(regions_key: int, zones_key: int) -> pd.DataFrame:
    from clusteratlas import refdata

    return region_forms(refdata.regions(), refdata.zones())


def region_forms(regions: pd.DataFrame, zones: pd.DataFrame) -> pd.DataFrame:
    """Every accepted spelling: ``form`` (normalised), ``code`` (GB/T 2260), ``zone`` (the
    zone's official name or None) and ``label`` (the full name, for messages).

    A county is spelt by its name or short name, alone or after its prefecture's and/or its
    province's name or short name (``北京市海淀区``, ``北京海淀``, ``河北省石家庄市长安区``); a
    prefecture alone or after its province; a province alone. Zones by name and aliases.
    """
    info = {
        str(r.code): (str(r.parent), str(r.name_zh))
        for r in regions.itertuples(index=False)
        if str(r.code) != "CN"
    }
    rows: list[tuple[str, str, str | None, str]] = []
    for code, (parent, name) in info.items():
        chain = [name]
        up = parent
        while up in info:
            chain.insert(0, info[up][1])
            up = info[up][0]
        label = "".join(chain)
        prefixes: set[str] = {""}
        for ancestor in chain[:-1]:  # province (and prefecture): each may be written or not
            prefixes |= {p + n for p in prefixes for n in _names(ancestor)}
        for prefix in prefixes:
            for own in _names(name):
                rows.append((prefix + own, code, None, label))
        rows.append((code, code, None, label))
    for z in zones.itertuples(index=False):
        host = str(z.host)
        label = f"{z.zone}（{info[host][1] if host in info else host}）"
        spellings = {str(z.zone), str(z.code), *str(z.aliases).split("|")}
        rows.extend((s, host, str(z.zone), label) for s in spellings if s)
    frame = pd.DataFrame(rows, columns=["form", "code", "zone", "label"])
    frame["form"] = (
        frame["form"]
        .str.replace(r"[\s\u3000\xa0]+", "", regex=True)
        .str.lower()
        .str.replace(r"^(中国|中华人民共和国)", "", regex=True)
    )
    return frame.drop_duplicates(["form", "code", "zone"]).reset_index(drop=True)


def load_forms(con: duckdb.DuckDBPyConnection) -> str:
    """Create the temporary spelling table (:func:`region_forms` of the packaged regions
    and zones) on ``con``; returns its name."""
    from clusteratlas import refdata

    frame = _forms(len(refdata.regions()), len(refdata.zones()))
    con.register("__ca_forms_df", frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {FORMS_TABLE} AS SELECT * FROM __ca_forms_df")
    finally:
        con.unregister("__ca_forms_df")
    return FORMS_TABLE


def resolve_sql(
    con: duckdb.DuckDBPyConnection,
    parsed: str,
    uscc: str | None,
    zone: bool,
) -> None:
    """Resolve ``v_region`` of table ``parsed`` in place (see the module docstring).

    ``uscc`` is the column of the row's USCC (or None); ``zone`` says whether ``parsed`` has
    a ``v_zone`` column to fill. Ambiguous rows get ``e_region = 'region_ambiguous'`` and the
    candidates in ``x_region``; unknown names stay as written (the reference check rejects
    them as ``region_unknown``).
    """
    forms = load_forms(con)
    div = f"substr(p.{uscc}, 3, 6)" if uscc else "NULL"
    near = "(f.code = c.div OR left(f.code, 2) = left(c.div, 2))"
    key = "f.code || '/' || coalesce(f.zone, '')"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE __ca_region_match AS
        WITH c AS (
            SELECT p.__row, {normalise_sql("p.v_region")} AS form, {div} AS div
            FROM {parsed} p WHERE p.v_region IS NOT NULL AND p.e_region IS NULL
        )
        SELECT c.__row,
            count(DISTINCT {key}) AS n,
            count(DISTINCT CASE WHEN {near} THEN {key} END) AS n_near,
            min(f.code) AS code, min(f.zone) AS zone,
            min(CASE WHEN {near} THEN f.code END) AS near_code,
            min(CASE WHEN {near} THEN f.zone END) AS near_zone,
            string_agg(DISTINCT f.code || ' ' || f.label, '; ' ORDER BY f.code || ' ' || f.label)
                AS candidates
        FROM c JOIN {forms} f ON f.form = c.form
        GROUP BY c.__row"""
    )
    chosen_zone = (
        ", v_zone = coalesce(CASE WHEN m.n = 1 THEN m.zone WHEN m.n_near = 1 THEN m.near_zone "
        "END, p.v_zone)"
        if zone
        else ""
    )
    con.execute(
        f"""UPDATE {parsed} p SET
            v_region = CASE WHEN m.n = 1 THEN m.code WHEN m.n_near = 1 THEN m.near_code
                ELSE p.v_region END{chosen_zone},
            e_region = CASE WHEN m.n > 1 AND m.n_near <> 1 THEN 'region_ambiguous' END,
            x_region = CASE WHEN m.n > 1 AND m.n_near <> 1
                THEN p.v_region || ' → ' || m.candidates END
        FROM __ca_region_match m WHERE p.__row = m.__row"""
    )
    con.execute("DROP TABLE IF EXISTS __ca_region_match")


def resolve_zone_sql(con: duckdb.DuckDBPyConnection, parsed: str) -> None:
    """Resolve ``v_zone`` (a zone name, alias or code) of ``parsed`` to the zone's official
    name; an unknown zone gets ``e_zone = 'zone_unknown'``."""
    forms = load_forms(con)
    con.execute(
        f"""UPDATE {parsed} p SET v_zone = m.zone FROM (
            SELECT DISTINCT form, zone FROM {forms} WHERE zone IS NOT NULL
        ) m WHERE p.v_zone IS NOT NULL AND m.form = {normalise_sql("p.v_zone")}"""
    )
    con.execute(
        f"UPDATE {parsed} SET e_zone = 'zone_unknown' WHERE v_zone IS NOT NULL AND e_zone IS NULL "
        "AND v_zone NOT IN (SELECT zone FROM zone)"
    )


def uscc_region_sql(con: duckdb.DuckDBPyConnection, parsed: str, uscc: str, zone: bool) -> int:
    """Fill ``v_region`` (and ``v_zone``) of ``parsed`` from USCC characters 3–8 where they
    are a known region (or a zone's registration division); returns how many rows got one."""
    div = f"substr(p.{uscc}, 3, 6)"
    valid = f"p.{uscc} IS NOT NULL AND p.e_{uscc.removeprefix('v_')} IS NULL"
    con.execute(
        f"UPDATE {parsed} p SET v_region = r.code FROM region r "
        f"WHERE {valid} AND r.code = {div} AND r.code <> 'CN'"
    )
    con.execute(
        f"UPDATE {parsed} p SET v_region = z.host"
        + (", v_zone = z.zone" if zone else "")
        + f" FROM zone z WHERE {valid} AND z.uscc_division <> '' AND z.uscc_division = {div}"
    )
    return int(
        con.execute(f"SELECT count(*) FROM {parsed} WHERE v_region IS NOT NULL").fetchall()[0][0]
    )


def resolve_regions(
    values: list[str | None], usccs: list[str | None] | None = None
) -> list[dict[str, str | None]]:
    """Resolve region texts with the import's SQL (in-memory DuckDB with the packaged
    regions and zones): one dict per value with ``code, zone, rule, candidates``.

    For tests, diagnostics and the Python API (``rule`` None when resolved;
    ``region_unknown`` when no region or zone has that spelling).
    """
    import pyarrow as pa

    from clusteratlas import refdata

    con = duckdb.connect()
    try:
        n = len(values)
        con.register(
            "__ca_in",
            pa.table(
                {
                    "v_region": pa.array(values, type=pa.string()),
                    "v_uscc": pa.array(usccs or [None] * n, type=pa.string()),
                }
            ),
        )
        con.execute(
            "CREATE TEMP TABLE parsed AS SELECT row_number() OVER () AS __row, "
            "nullif(trim(v_region), '') AS v_region, upper(v_uscc) AS v_uscc, "
            "CAST(NULL AS VARCHAR) AS e_uscc, CAST(NULL AS VARCHAR) AS e_region, "
            "CAST(NULL AS VARCHAR) AS v_zone, CAST(NULL AS VARCHAR) AS x_region FROM __ca_in"
        )
        con.register("region", refdata.regions()[["code"]])
        resolve_sql(con, "parsed", "v_uscc", zone=True)
        rows = con.execute(
            "SELECT v_region, v_zone, e_region, x_region FROM parsed ORDER BY __row"
        ).fetchall()
    finally:
        con.close()
    codes = set(refdata.regions()["code"])
    result: list[dict[str, str | None]] = []
    for code, zone, rule, candidates in rows:
        known = code is not None and code in codes
        if rule is None and code is not None and not known:
            rule = "region_unknown"
        result.append(
            {
                "code": code if rule is None else None,
                "zone": zone,
                "rule": rule,
                "candidates": candidates,
            }
        )
    return result


__all__ = [
    "load_forms",
    "normalise_sql",
    "region_forms",
    "resolve_regions",
    "resolve_sql",
    "resolve_zone_sql",
    "short_name",
    "uscc_region_sql",
]
