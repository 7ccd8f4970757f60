"""``clusteratlas demo``: real facts + a synthetic registry → monitor, targets, HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clusteratlas.cli._app import (
    LangOption,
    NSimOption,
    app,
    console,
    plan_lang,
)
from clusteratlas.config import DEFAULT_PLAN


@app.command("demo")
def demo_command(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for workspace.duckdb and report.html.")
    ] = Path("clusteratlas-demo"),
    firms: Annotated[int, typer.Option("--firms", help="Synthetic firms to generate.")] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the registry and projections.")] = 0,
    n_sim: NSimOption = 2000,
    lang: LangOption = None,
    years: Annotated[
        str | None, typer.Option("--years", help="Panel years of the registry, e.g. 2018-2024.")
    ] = None,
) -> None:
    """Build a demo workspace (real Beijing facts + synthetic firms), run the cluster monitor
    and the target tracker, print a summary and write DIR/report.html."""
    from rich.panel import Panel

    from clusteratlas.cli._app import OutputFormat
    from clusteratlas.cli._tables import PEOPLE, show
    from clusteratlas.cli.monitor import display_table as cluster_table
    from clusteratlas.cli.targets import display_table as target_table
    from clusteratlas.demo import run_demo
    from clusteratlas.i18n import t
    from clusteratlas.model.plan import load_plan

    plan = load_plan(DEFAULT_PLAN)
    language = plan_lang(plan, lang)
    console.print(
        Panel(
            f"⚠ {t('label.synthetic', language)} — {t('report.synthetic_banner', language)}",
            style="bold yellow",
            title="synthetic firm data",
        )
    )
    result = run_demo(out, firms=firms, seed=seed, n_sim=n_sim, lang=language, years=years)
    show(
        target_table(result.targets, language),
        OutputFormat.table,
        None,
        lang=language,
        title=t("targets.title", language),
        limit=0,
        formats=PEOPLE,
        expendable=[t("targets.col.required_cagr", language), t("targets.col.projected", language)],
    )
    latest = result.monitor[result.monitor["year"] == result.monitor["year"].max()]
    show(
        cluster_table(latest, plan, language),
        OutputFormat.table,
        None,
        lang=language,
        title=t("report.demo.clusters_title", language),
        caption=t("label.synthetic", language),
        limit=0,
        formats=PEOPLE,
    )
    console.print(
        f"workspace: {result.workspace}\nreport:    {result.report}\n"
        f"time: {sum(result.timings.values()):.1f} s "
        + ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items()),
        highlight=False,
    )
