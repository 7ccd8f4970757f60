"""JSON API: every route answers, mirrors :mod:`clusteratlas.api` (same columns, same numbers),
validates its parameters and answers errors as JSON without a stack trace."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from clusteratlas import api

ROUTES = [
    ("/api/clusters", "clusters", {}),
    ("/api/clusters?all_years=true&n_sim=200", "clusters", {"all_years": True, "n_sim": 200}),
    ("/api/targets?n_sim=200", "targets", {"n_sim": 200}),
    ("/api/chains?chain=ic", "chains", {"chain": "ic"}),
    ("/api/coverage", "coverage", {}),
    (
        "/api/attract?chain=ic&node=design&limit=5",
        "attract",
        {"chain": "ic", "node": "design", "limit": 5},
    ),
    ("/api/regions?chain=ic", "regions", {"chain": "ic"}),
    ("/api/regions?chain=ic&basis=registry", "regions", {"chain": "ic", "basis": "registry"}),
    ("/api/clusters?basis=registry&n_sim=200", "clusters", {"basis": "registry", "n_sim": 200}),
    ("/api/ladder?limit=20", "ladder", {"limit": 20}),
    ("/api/ladder?view=gaps&limit=20", "ladder", {"view": "gaps", "limit": 20}),
    ("/api/ladder?view=pipeline", "ladder", {"view": "pipeline"}),
    ("/api/complexity?by=region", "complexity", {"by": "region"}),
    (
        "/api/opportunities?region=110108&level=division",
        "opportunities",
        {"region": "110108", "level": "division"},
    ),
    ("/api/linkages", "linkages", {}),
    ("/api/linkages?by=cluster", "linkages", {"by": "cluster"}),
    ("/api/datasets", "datasets", {}),
]


def _assert_same_values(served: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Cell by cell: numbers to 1e-9 relative or the JSON's 15 decimal places (NaN ↔ null),
    also inside nested lists and dicts; dates as ISO strings; everything else equal."""
    expected = expected.reset_index(drop=True)
    for column in expected.columns:
        want, got = expected[column], served[str(column)]
        if pd.api.types.is_datetime64_any_dtype(want):
            want = want.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3]
            got = got.str.removesuffix("Z")
        for i, (w, g) in enumerate(zip(want.tolist(), got.tolist(), strict=True)):
            assert _same(g, w), (column, i, g, w)


def _same(got: object, want: object) -> bool:
    if _missing(want) or _missing(got):
        return _missing(want) and _missing(got)
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and set(got) == {str(k) for k in want}
            and all(_same(got[str(k)], v) for k, v in want.items())
        )
    if isinstance(want, list | tuple | np.ndarray):
        return isinstance(got, list) and len(got) == len(want) and all(map(_same, got, want))
    if isinstance(want, bool | np.bool_) or isinstance(got, bool):
        return bool(got) == bool(want) and isinstance(got, bool)
    if isinstance(want, int | float | np.number):
        return bool(np.isclose(float(got), float(want), rtol=1e-9, atol=1e-15))  # type: ignore[arg-type]
    return str(got) == str(want)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


@pytest.mark.parametrize(("url", "command", "params"), ROUTES, ids=[r[0] for r in ROUTES])
def test_route_mirrors_python_api(
    client, demo_workspace: Path, url: str, command: str, params: dict
) -> None:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    rows = response.json()
    assert isinstance(rows, list)
    expected = getattr(api, command)(demo_workspace, **params)
    if "source_file" in expected.columns:  # the web names the file, never a server folder
        expected = expected.assign(source_file=expected["source_file"].map(lambda p: Path(p).name))
    assert len(rows) == len(expected)
    if rows:
        assert list(rows[0]) == [str(c) for c in expected.columns]
    _assert_same_values(pd.DataFrame(rows, columns=[str(c) for c in expected.columns]), expected)
    # every firm-derived table carries the synthetic flag (the demo registry is synthetic)
    if command not in ("linkages", "datasets", "targets") and rows:
        assert all(r["synthetic"] is True for r in rows)


def test_chain_numbers_match_an_independent_sql_sum(client, demo_workspace: Path) -> None:
    """Firms of the IC chain's discrete-power node in Beijing: the API's count equals a hand-written
    DuckDB query over the same firms (membership by the node's GB/T 4754 code prefixes)."""
    from clusteratlas.model.plan import load_plan

    plan = load_plan("beijing-2441")
    node = next(n for n in plan.chain("ic").nodes if n.id == "discrete_power")
    rows = client.get("/api/chains?chain=ic").json()
    row = next(r for r in rows if r["node"] == "discrete_power")
    # the hand-written SQL reads code prefixes only: the node must stay code-only
    assert node.codes and not (node.keywords or node.exclude_keywords or node.exclude_codes)
    prefixes = " OR ".join(f"f.industry LIKE '{c}%'" for c in node.codes)
    con = duckdb.connect(str(demo_workspace), read_only=True)
    try:
        n, revenue = con.execute(
            f"SELECT count(DISTINCT f.firm_id), coalesce(sum(y.revenue), 0) FROM firm f "
            f"JOIN firm_year y USING (firm_id) WHERE y.year = ? AND f.region LIKE '11%' "
            f"AND ({prefixes})",
            [row["year"]],
        ).fetchone()
    finally:
        con.close()
    assert row["firms"] == n
    assert row["revenue"] == pytest.approx(revenue, rel=1e-9)


def test_datasets_route_counts_rows_like_duckdb(client, demo_workspace: Path) -> None:
    rows = {r["name"]: r for r in client.get("/api/datasets").json()}
    con = duckdb.connect(str(demo_workspace), read_only=True)
    try:
        (firms,) = con.execute("SELECT count(*) FROM firm").fetchone()
    finally:
        con.close()
    firm_sets = [r for r in rows.values() if r["kind"] == "firms"]
    assert sum(r["rows"] for r in firm_sets) == firms
    assert all(r["synthetic"] for r in firm_sets)


def test_health_plan_openapi(client) -> None:  # type: ignore[no-untyped-def]
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["plan"] == "beijing-2441"
    assert health["allow_import"] is False
    plan = client.get("/api/plan").json()
    assert {c["id"] for c in plan["chains"]} >= {"ic", "ngit"}
    schema = client.get("/api/openapi.json").json()
    paths = set(schema["paths"])
    for command in api.COMMANDS:
        assert f"/api/{command}" in paths
    assert "/api/import/{kind}" not in paths  # read-only by default
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "http://" not in docs.text and "https://" not in docs.text  # no CDN
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert client.get(f"/static/vendor/swagger-ui/{asset}").status_code == 200


@pytest.mark.parametrize(
    "name,count", [("beijing", 16), ("tianjin", 16), ("hebei", 11), ("jingjinji", 13)]
)
def test_maps_have_current_codes(client, name: str, count: int) -> None:  # type: ignore[no-untyped-def]
    geo = client.get(f"/api/maps/{name}").json()
    codes = [f["properties"]["code"] for f in geo["features"]]
    assert len(codes) == count == len(set(codes))
    assert all(len(c) == 6 and c.isdigit() for c in codes)


@pytest.mark.parametrize(
    "url",
    [
        "/api/clusters?region=11",
        "/api/clusters?region=110000;DROP TABLE firm",
        "/api/clusters?year=twenty",
        "/api/chains?chain=nope",
        "/api/chains?chain=ic'--",
        "/api/attract?chain=ic&node=nope",
        "/api/attract?chain=ic",
        "/api/regions?group=nowhere",
        "/api/ladder?tier=bogus",
        "/api/ladder?ruleset=../../etc/passwd",
        "/api/linkages?table=china-1900-1",
        "/api/opportunities",
        "/api/targets?n_sim=100000000",
        "/api/maps/atlantis",
    ],
)
def test_bad_parameters_are_json_4xx(client, url: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert 400 <= response.status_code < 500, (url, response.status_code)
    body = response.json()
    assert set(body) == {"error"} and body["error"]
    assert "Traceback" not in response.text


def test_unknown_route_is_json_404(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/nothing")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found"}


def test_user_error_from_analysis_is_400(client) -> None:  # type: ignore[no-untyped-def]
    """A region with no data: the analysis raises a ClusterAtlasError → 400 with its message."""
    response = client.get("/api/opportunities?region=999999")
    assert response.status_code == 400
    assert "999999" in response.json()["error"]


def test_results_are_cached_per_workspace_version(app, client) -> None:  # type: ignore[no-untyped-def]
    state = app.state.ca
    client.get("/api/coverage")
    hits = state.hits
    again = client.get("/api/coverage")
    assert again.status_code == 200
    assert state.hits > hits


def test_records_json_handles_nan_lists_and_dates() -> None:
    from clusteratlas.web.app import records_json

    frame = pd.DataFrame(
        {"a": [1.0, float("nan")], "b": [["x"], []], "c": pd.to_datetime(["2024-01-02", None])}
    )
    import json

    assert json.loads(records_json(frame)) == [
        {"a": 1.0, "b": ["x"], "c": "2024-01-02T00:00:00.000"},
        {"a": None, "b": [], "c": None},
    ]
