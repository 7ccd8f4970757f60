"""The end-to-end demo: real facts + a synthetic registry → monitor, targets, HTML report.

:func:`run_demo` builds ``DIR/workspace.duckdb`` from

* the packaged **real** Beijing facts (:func:`clusteratlas.refdata.beijing_facts`, imported as
  observations with their source URLs; rows the importer rejects are counted in the
  provenance), and
* a **synthetic** firm registry (:mod:`clusteratlas.synth`, seeded; every dataset is flagged
  ``synthetic`` in the workspace and every number derived from it is labelled so),

runs the cluster monitor (:mod:`clusteratlas.analysis.panel`) and the target tracker
(:mod:`clusteratlas.analysis.targets`) and writes ``DIR/report.html``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from clusteratlas.analysis.facts import FACTS_DATASET
from clusteratlas.config import DEFAULT_PLAN
from clusteratlas.errors import InputError

DEFAULT_OUT = Path("clusteratlas-demo")
DEFAULT_FIRMS = 20_000


@dataclass
class DemoResult:
    """What the demo produced: paths, the analysis tables and timings (seconds)."""

    out_dir: Path
    workspace: Path
    report: Path
    targets: pd.DataFrame
    monitor: pd.DataFrame
    crossings: pd.DataFrame
    provenance: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def facts_for_import(facts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The facts as observation rows: one row per region × year × indicator.

    Where the packaged facts hold two values for the same year (a June and an October count),
    the latest-dated one is kept (:func:`clusteratlas.analysis.facts.facts_to_load`): 2022
    national little giants 588 (as of 2022-10) over 257 (2022-06), 2022 municipal 专精特新
    5,360 over 4,126.
    """
    from clusteratlas.analysis.facts import facts_to_load
    from clusteratlas.refdata import beijing_facts

    return facts_to_load(beijing_facts() if facts is None else facts)[0]


def attach_fact_rows(frame: pd.DataFrame, facts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add ``source_row`` (1-based data row of facts_official.csv) to observation-like rows,
    matched on ``indicator, region, year``."""
    from clusteratlas.refdata import beijing_facts

    facts = beijing_facts() if facts is None else facts
    key = facts.drop_duplicates(["indicator", "region", "year"])[
        ["indicator", "region", "year", "source_row"]
    ]
    base = frame.drop(columns=[c for c in ("source_row",) if c in frame.columns])
    base = base.assign(year=base["year"].astype("int64"), region=base["region"].astype(str))
    return base.merge(key, on=["indicator", "region", "year"], how="left")


def _synthetic_files(paths: Any) -> list[tuple[str, Path]]:
    """``(kind, path)`` pairs from what :func:`clusteratlas.synth.generate` returned, in
    import order (firms before the tables that refer to them)."""
    order = ["firms", "firm-years", "tags", "supply-edges"]
    aliases = {
        "firm": "firms",
        "firms": "firms",
        "firm_year": "firm-years",
        "firm_years": "firm-years",
        "firm-years": "firm-years",
        "firm_tag": "tags",
        "firm_tags": "tags",
        "tags": "tags",
        "tag": "tags",
        "supply_edge": "supply-edges",
        "supply_edges": "supply-edges",
        "supply-edges": "supply-edges",
        "edges": "supply-edges",
    }
    pairs: list[tuple[str, Path]] = []
    items = paths.items() if isinstance(paths, dict) else ((Path(p).stem, p) for p in paths)
    for key, path in items:
        name = str(key).split(".")[0].lower()
        kind = aliases.get(name)
        if kind is None:
            continue
        pairs.append((kind, Path(path)))
    pairs.sort(key=lambda kp: order.index(kp[0]))
    return pairs


def build_workspace(
    out_dir: Path, *, firms: int, seed: int, years: Any = None
) -> tuple[Any, dict[str, Any]]:
    """Create ``out_dir/workspace.duckdb`` (replacing a previous demo workspace there) with the
    real facts and a synthetic registry of ``firms`` firms. Returns ``(workspace, info)``."""
    from clusteratlas import synth
    from clusteratlas.workspace import open_workspace

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "workspace.duckdb"
    for stale in (path, path.with_name(path.name + ".wal")):
        if stale.exists():
            stale.unlink()
    ws = open_workspace(path)
    info: dict[str, Any] = {}
    facts = ws.import_frame(
        "observations",
        facts_for_import(),
        dataset=FACTS_DATASET,
        source="clusteratlas.refdata.beijing_facts (facts.csv)",
        allow_rejects=True,
    )
    info["facts_rows"] = facts.rows
    info["facts_rejected"] = facts.rejected
    info["facts_problems"] = [str(p) for p in facts.problems]
    synth_dir = out_dir / "synthetic"
    paths = synth.generate(firms=firms, seed=seed, out_dir=synth_dir, fmt="parquet", years=years)
    imported = []
    for kind, file in _synthetic_files(paths):
        result = ws.import_file(  # generated for the whole plan region: complete coverage
            kind,
            file,
            dataset=f"synthetic-{kind}-s{seed}-n{firms}",
            synthetic=True,
            coverage="complete",
        )
        imported.append(f"{result.dataset}: {result.rows} rows ({result.rejected} rejected)")
    info["synthetic_imports"] = imported
    return ws, info


def run_demo(
    out_dir: str | Path = DEFAULT_OUT,
    *,
    firms: int = DEFAULT_FIRMS,
    seed: int = 0,
    plan: str = DEFAULT_PLAN,
    n_sim: int = 2000,
    lang: str | None = None,
    years: Any = None,
) -> DemoResult:
    """Run the demo pipeline and write ``out_dir/report.html`` (see the module docstring).

    ``firms``: size of the national synthetic registry (any N ≥ 1; below
    :func:`clusteratlas.synth.min_firms` of the panel years the absolute tag counts are
    scaled down, see SYNTHETIC.md); ``years``:
    panel years of the registry (default 2018–2024, e.g. ``"2018-2020"`` for a quick run).
    """
    from clusteratlas.analysis.crossings import cluster_crossings, cluster_series
    from clusteratlas.analysis.panel import workspace_monitor, workspace_targets
    from clusteratlas.model.plan import load_plan
    from clusteratlas.report.full import build_report, write_full_html
    from clusteratlas.web.precompute import precompute

    if firms < 1:
        raise InputError(f"--firms must be at least 1, got {firms}")
    out = Path(out_dir)
    timings: dict[str, float] = {}
    loaded = load_plan(plan)
    start = time.perf_counter()
    ws, info = build_workspace(out, firms=firms, seed=seed, years=years)
    timings["build_workspace"] = time.perf_counter() - start
    try:
        start = time.perf_counter()
        monitor, prov = workspace_monitor(ws, loaded, n_sim=n_sim, seed=seed)
        timings["monitor"] = time.perf_counter() - start
        start = time.perf_counter()
        targets = workspace_targets(ws, loaded, n_sim=n_sim, seed=seed, monitor_frame=monitor)
        targets = _with_fact_rows(targets, loaded.region)
        timings["targets"] = time.perf_counter() - start
        observations = ws.table("observation").to_pandas()
        series = cluster_series(
            loaded,
            monitor=monitor,
            observations=observations,
            synthetic_monitor=bool(prov["synthetic"]),
        )
        crossings = cluster_crossings(loaded, series, n_sim=n_sim, seed=seed)
        basis = series.drop_duplicates("cluster").set_index("cluster")["basis"]
        crossings["basis"] = crossings["cluster"].map(basis)
        datasets = ws.datasets()
        datasets = datasets[datasets["kind"] != "refdata"]
        provenance = {
            "plan": loaded.id,
            "engine": prov["engine"],
            "workspace": str(ws.path),
            "datasets": ", ".join(datasets["name"].astype(str)),
            "seed": seed,
            "n_sim": n_sim,
            "synthetic firms": firms,
            "facts rejected by import": f"{info['facts_rejected']} "
            f"({'; '.join(info['facts_problems'][:10])})",
        }
        path = Path(ws.path)
    finally:
        ws.close()
    start = time.perf_counter()
    precompute(path, loaded)  # the dashboard's pages answer at once (clusteratlas serve)
    timings["dashboard"] = time.perf_counter() - start
    start = time.perf_counter()
    extra = {k: provenance[k] for k in ("synthetic firms", "facts rejected by import")}
    full = build_report(path, loaded, lang=lang, n_sim=n_sim, seed=seed, provenance=extra)
    report = write_full_html(full, out / "report.html")
    timings["report"] = time.perf_counter() - start
    return DemoResult(out, path, report, targets, monitor, crossings, provenance, timings)


def _with_fact_rows(targets: pd.DataFrame, region: str) -> pd.DataFrame:
    """Append ``facts_official.csv row N`` to the source of real (non-synthetic) actuals."""
    from clusteratlas.refdata import beijing_facts

    facts = beijing_facts()
    facts = facts[facts["region"] == region]
    key = facts.drop_duplicates(["indicator", "year"]).set_index(["indicator", "year"])[
        "source_row"
    ]
    out = targets.copy()
    rows = []
    for _, row in out.iterrows():
        src = row["actual_source"]
        if isinstance(src, str) and not bool(row["synthetic"]) and not pd.isna(row["latest_year"]):
            n = key.get((row["indicator"], int(row["latest_year"])))
            if n is not None and "facts_official.csv row" not in src:
                src = f"{src} (facts_official.csv row {int(n)})"
        rows.append(src)
    out["actual_source"] = rows
    return out


def cited_facts(plan: Any, observations: pd.DataFrame) -> pd.DataFrame:
    """The real observations the report relies on: every target's observation series, the
    clusters' observed series and GDP, with their facts_official.csv rows."""
    from clusteratlas.analysis.actuals import actual_key

    wanted = {actual_key(t.actual) for t in plan.targets if t.actual.kind == "observation"}
    wanted |= {ind for c in plan.clusters for ind in c.observed.values()}
    wanted.add("gdp")
    rows = observations[
        observations["indicator"].isin(sorted(wanted))
        & (observations["region"].astype(str) == plan.region)
    ]
    return attach_fact_rows(rows)
