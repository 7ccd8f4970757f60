"""Every analysis on the demo workspace gives the same results on Spark as on DuckDB.

The DuckDB side reads the workspace file; the Spark side reads the same tables exported to
Parquet (through :func:`clusteratlas.sources.open_source`), so the parity covers the source
layer, the Ibis expressions (classification regexes and windows, ``ibis.memtable`` rule
tables, joins, quantiles) and the pandas post-processing. Data: real Beijing facts + a
SYNTHETIC registry of ≥ 5,000 firms (seed 0, 2018–2020).
"""

from __future__ import annotations

from typing import Any

import pytest

from clusteratlas.model.plan import Plan, load_plan

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan("beijing-2441")


def _types(table: Any) -> dict[str, Any]:
    """Column → type, nullability aside (a workspace declares NOT NULL, Parquet does not)."""
    return {name: dtype.copy(nullable=True) for name, dtype in table.schema().items()}


def _both(sources: tuple[Any, Any], fn: Any) -> tuple[Any, Any]:
    duck, spark = sources
    return fn(duck), fn(spark)


def test_sources_serve_identical_tables(parity_sources: tuple[Any, Any]) -> None:
    duck, spark = parity_sources
    assert duck.engine == "duckdb" and spark.engine == "pyspark"
    for name in ("firm", "firm_year", "firm_tag", "observation", "region_group"):
        assert _types(duck.table(name)) == _types(spark.table(name)), name
    assert duck.counts() == spark.counts()
    assert spark.counts()["firm"] >= 5000


def test_classification_parity(
    parity_sources: tuple[Any, Any], plan: Plan, frames_match: Any
) -> None:
    from clusteratlas.classify import classify_firms

    a, b = _both(parity_sources, lambda s: classify_firms(s.table("firm"), plan).to_pandas())
    assert a["cluster"].nunique() > 5
    frames_match(a, b, ["firm_id", "cluster", "rule"])


def test_monitor_parity(parity_sources: tuple[Any, Any], plan: Plan, frames_match: Any) -> None:
    from clusteratlas.analysis.panel import workspace_monitor

    (a, pa_), (b, pb) = _both(
        parity_sources, lambda s: workspace_monitor(s, plan, geography="firm", crossings=False)
    )
    assert pa_["synthetic"] and pb["synthetic"]
    assert pa_["datasets"] == pb["datasets"]
    assert a["lq"].notna().sum() > 10
    frames_match(a, b, ["cluster", "region", "year"])


def test_monitor_plan_region_with_crossings(
    parity_sources: tuple[Any, Any], plan: Plan, frames_match: Any
) -> None:
    from clusteratlas.analysis.panel import workspace_monitor

    (a, _), (b, _) = _both(parity_sources, lambda s: workspace_monitor(s, plan, n_sim=300))
    assert (a["region"] == plan.region).all()
    frames_match(a, b, ["cluster", "region", "year"])


def test_chain_nodes_leaders_and_attraction_parity(
    parity_sources: tuple[Any, Any], plan: Plan, frames_match: Any
) -> None:
    from clusteratlas.analysis import chains

    def run(s: Any) -> tuple[Any, Any, Any]:
        firms, fys, tags = s.table("firm"), s.table("firm_year"), s.table("firm_tag")
        nodes = chains.nodes(firms, fys, plan, region=plan.region)
        lead = chains.leaders(firms, fys, plan, region=plan.region)
        chain = plan.chains[0]
        # the small synthetic registry sits in Beijing: attract into one district (Haidian)
        attract = chains.attraction_candidates(
            firms,
            fys,
            plan,
            chain=chain.id,
            node=chain.nodes[0].id,
            region="110108",
            tags=tags,
            limit=30,
        )
        return nodes, lead, attract

    (na, la, aa), (nb, lb, ab) = _both(parity_sources, run)
    assert (na["firms"] > 0).sum() > 5
    frames_match(na, nb, ["chain", "node"])
    frames_match(chains.coverage(na), chains.coverage(nb), ["chain"])
    frames_match(la, lb, [c for c in ("chain", "node", "firm_id") if c in la.columns])
    assert len(aa) > 0
    frames_match(aa, ab, ["firm_id"])


def test_regions_capacity_parity(
    parity_sources: tuple[Any, Any], plan: Plan, frames_match: Any
) -> None:
    from clusteratlas.analysis.regions import capacity

    a, b = _both(
        parity_sources,
        lambda s: capacity(
            s.table("firm"),
            s.table("firm_year"),
            plan,
            group="jingjinji",
            region_groups=s.table("region_group"),
        ),
    )
    frames_match(a, b, ["chain", "node", "member"], ignore=("specialist", "gap"))
    # ``specialist`` is ``lq >= 1``: where the best LQ is 1 up to rounding (a node whose
    # firms all sit in one member) the two engines' summation orders may fall either side
    keys = ["chain", "node", "member"]
    a, b = a.sort_values(keys).reset_index(drop=True), b.sort_values(keys).reset_index(drop=True)
    best = a.groupby(["chain", "node"])["lq"].transform("max")
    clear = (best - 1.0).abs().gt(1e-9) | best.isna()
    assert clear.sum() > 0
    assert a.loc[clear, "specialist"].tolist() == b.loc[clear, "specialist"].tolist()
    assert a.loc[clear, "gap"].tolist() == b.loc[clear, "gap"].tolist()


@pytest.fixture(scope="module")
def ladder_results(parity_sources: tuple[Any, Any]) -> tuple[Any, Any]:
    """Per engine: (firm × tier screen of 2020, gaps to the next tier, 2020 pipeline)."""
    from clusteratlas.analysis import ladder

    def run(s: Any) -> tuple[Any, Any, Any]:
        firms, fys = s.table("firm"), s.table("firm_year")
        screened = ladder.screen_table(firms, fys, year=2020, keep=("name", "region"))
        cached = screened.cache()  # computed once per engine, read by the screen and gaps
        try:
            return (
                cached.to_pandas(),
                ladder.gaps(cached),
                ladder.pipeline(firms, fys, years=[2020]),
            )
        finally:
            cached.release()

    return _both(parity_sources, run)


def test_ladder_parity(ladder_results: tuple[Any, Any], frames_match: Any) -> None:
    (sa, ga, pa_), (sb, gb, pb) = ladder_results
    assert sa["eligible"].astype(bool).sum() > 0
    frames_match(sa, sb, ["firm_id", "track", "rank"])
    frames_match(ga, gb, [c for c in ("firm_id", "next_tier", "criterion") if c in ga.columns])
    frames_match(pa_, pb, [c for c in ("year", "tier", "track") if c in pa_.columns])


def test_nested_float_literals_keep_their_type(ladder_results: tuple[Any, Any]) -> None:
    from decimal import Decimal

    _, (screened, _, _) = ladder_results
    cells = [cell for cell in screened["failed"] if cell is not None]
    required = [c["required"] for cell in cells for c in cell]
    assert required
    assert not any(isinstance(v, Decimal) for v in required)


def test_complexity_parity(parity_sources: tuple[Any, Any], frames_match: Any) -> None:
    """Only the aggregated region × industry × year matrix leaves the engine; the dense work
    then runs in NumPy on both sides and must agree."""
    from clusteratlas.analysis import complexity as cx

    def run(s: Any) -> Any:
        panel = cx.industry_panel(
            firms=s.table("firm"),
            firm_years=s.table("firm_year"),
            indicator="revenue",
            level="division",
            region_level=None,  # districts: the small registry sits in Beijing
        )
        return cx.complexity(
            panel, region="region", industry="industry", value="value", year="year"
        )

    a, b = _both(parity_sources, run)
    assert a["eci"].notna().sum() > 3
    frames_match(a, b, ["year", "region", "industry"], rtol=1e-7, atol=1e-9)
