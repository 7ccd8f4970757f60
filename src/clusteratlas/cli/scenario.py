"""``clusteratlas scenario FILE``: what happens to the plan's targets under named scenarios, and
what it would take to reach the count targets (``--solve``)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from clusteratlas.cli._app import (
    LangOption,
    NSimOption,
    OutOption,
    PlanOption,
    SeedOption,
    WorkspaceOption,
    app,
    console,
    err_console,
    plan_lang,
    rich_table,
)
from clusteratlas.config import DEFAULT_PLAN
from clusteratlas.errors import InputError


class ScenarioFormat(StrEnum):
    """Output formats of ``scenario``: a table per section, JSON, one long CSV or a workbook."""

    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


@app.command("scenario")
def scenario_command(
    file: Annotated[Path, typer.Argument(help="Scenario file (YAML or JSON).")],
    workspace: WorkspaceOption = None,
    plan: PlanOption = DEFAULT_PLAN,
    fmt: Annotated[
        ScenarioFormat, typer.Option("--format", "-f", help="table, json, csv or xlsx.")
    ] = ScenarioFormat.table,
    out: OutOption = None,
    seed: SeedOption = 0,
    n_sim: NSimOption = 2000,
    solve: Annotated[
        bool, typer.Option("--solve", help="Also: what it takes to reach each count target.")
    ] = False,
    lang: LangOption = None,
) -> None:
    """Scenario planner (情景推演): targets' probabilities, cluster sizes and level counts per
    scenario; --solve: the cheapest clusters and growth rates reaching each count target."""
    from clusteratlas import api
    from clusteratlas.model.plan import load_plan

    if n_sim < 1:
        raise InputError(f"--n-sim must be ≥ 1, got {n_sim}")
    loaded = load_plan(plan)
    language = plan_lang(loaded, lang)
    result = api.scenario(file, workspace, loaded, seed=seed, n_sim=n_sim, solve=solve)
    if fmt is ScenarioFormat.json:
        _write(json.dumps(result.to_dict(), ensure_ascii=False, indent=1), out)
    elif fmt is ScenarioFormat.csv:
        _write(long_table(result).to_csv(index=False), out)
    elif fmt is ScenarioFormat.xlsx:
        from clusteratlas.report.xlsx import write_xlsx

        path = out or Path(f"scenario-{file.stem}.xlsx")
        tables = {"targets": result.targets, "clusters": result.clusters, "counts": result.counts}
        if result.solve is not None:
            tables["solve"] = result.solve
        meta = result.scenarios[0] if result.scenarios else {}
        readme: dict[str, Any] = {
            "plan": loaded.id,
            "scenario file": str(file),
            "seed": seed,
            "n_sim": n_sim,
            "scenarios": ", ".join(s["id"] for s in result.scenarios),
            "method": "docs/scenarios.md",
        }
        written = write_xlsx(
            tables, path, readme=readme, synthetic=bool(meta.get("synthetic")), lang=language
        )
        err_console.print(f"wrote {written}", highlight=False)
    else:
        for title, frame in display_tables(result, loaded, language):
            console.print(rich_table(frame, title=title))


def _write(text: str, out: Path | None) -> None:
    if out is not None:
        out.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {out}", highlight=False)
    else:
        typer.echo(text)


def long_table(result: Any) -> pd.DataFrame:
    """One tidy CSV table: a ``section`` column (targets, clusters, counts, solve) and the
    union of the sections' columns (blank where a section has no such column)."""
    parts = [
        result.targets.assign(section="targets"),
        result.clusters.assign(section="clusters"),
        result.counts.assign(section="counts"),
    ]
    if result.solve is not None:
        parts.append(result.solve.assign(section="solve"))
    frame = pd.concat(parts, ignore_index=True)
    first = ["section", "scenario", "target_id", "cluster", "level", "year"]
    return frame[[c for c in first if c in frame] + [c for c in frame if c not in first]]


def display_tables(result: Any, plan: Any, lang: str) -> list[tuple[str, pd.DataFrame]]:
    """The result as people read it: target probabilities (target × scenario), clusters at the
    top level (median per year × scenario) and, with ``--solve``, what it takes."""
    from clusteratlas.i18n import t

    names = {tg.id: (tg.name_zh if lang == "zh" else tg.name_en) for tg in plan.targets}
    targets = result.targets.assign(name=result.targets["target_id"].map(names))
    probs = targets.pivot(index=["name", "year"], columns="scenario", values="probability")
    order = list(dict.fromkeys(zip(targets["name"], targets["year"], strict=True)))
    probs = probs.reindex(pd.MultiIndex.from_tuples(order, names=["name", "year"]))
    probs = probs[[s["id"] for s in result.scenarios]]
    probs = probs.map(lambda v: "—" if pd.isna(v) else f"{v:.0%}").reset_index()
    probs = probs.rename(
        columns={"name": t("targets.col.name", lang), "year": t("targets.col.year", lang)}
    )
    top, _ = plan.levels_desc()[0]
    counts = result.counts[result.counts["level"] == top]
    level_name = next(
        lv.name_zh if lang == "zh" else lv.name_en for lv in plan.levels if lv.id == top
    )
    table = counts.pivot_table(index="year", columns="scenario", values="p50", sort=False)
    table = table.reset_index().rename(columns={"year": t("scenario.col.year", lang)})
    out = [
        (t("scenario.title.targets", lang), probs),
        (f"{t('scenario.title.counts', lang)} · {level_name} (P50)", table),
    ]
    if result.solve is not None and len(result.solve):
        out.append((t("scenario.title.solve", lang), solve_display(result.solve, plan, lang)))
    return out


def solve_display(solve: pd.DataFrame, plan: Any, lang: str) -> pd.DataFrame:
    """The "what it takes" table with labels in ``lang``: growth rates as %."""
    from clusteratlas.i18n import t

    names = {c.id: (c.name_zh if lang == "zh" else c.name_en) for c in plan.clusters}
    targets = {tg.id: (tg.name_zh if lang == "zh" else tg.name_en) for tg in plan.targets}

    def pct(v: Any) -> str:
        return "—" if pd.isna(v) else f"{float(v):.1%}"

    return pd.DataFrame(
        {
            t("targets.col.name", lang): solve["target_id"].map(targets),
            t("scenario.col.confidence", lang): solve["confidence"].map(lambda v: f"≥{v:.0%}"),
            t("scenario.col.cluster", lang): solve["cluster"].map(lambda c: names.get(c, "—")),
            t("targets.col.trend_cagr", lang): solve["trend_growth"].map(pct),
            t("scenario.col.required_growth", lang): solve["required_growth"].map(pct),
            t("scenario.col.uplift", lang): solve["uplift"].map(pct),
            t("scenario.col.probability", lang): solve["probability"].map(pct),
            t("scenario.col.feasible", lang): solve["feasible"].map(
                lambda v: t("scenario.yes", lang) if v else t("scenario.no", lang)
            ),
        }
    )
