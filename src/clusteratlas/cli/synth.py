"""``clusteratlas synth``: write (and optionally import) the calibrated synthetic registry."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from clusteratlas.cli._app import (
    LangOption,
    PlanOption,
    WorkspaceOption,
    app,
    console,
    err_console,
    plan_lang,
)
from clusteratlas.config import DEFAULT_PLAN


class SynthFormat(StrEnum):
    """File format of the synthetic registry."""

    csv = "csv"
    parquet = "parquet"


@app.command("synth")
def synth(
    firms: Annotated[int, typer.Option("--firms", "-n", help="Number of firms (all regions).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write into.")],
    seed: Annotated[
        int, typer.Option("--seed", "-s", help="Random seed (same seed → same files).")
    ] = 0,
    fmt: Annotated[
        SynthFormat, typer.Option("--format", "-f", help="csv or parquet.")
    ] = SynthFormat.csv,
    years: Annotated[
        str, typer.Option("--years", help="Panel years, e.g. 2018-2024.")
    ] = "2018-2024",
    partition: Annotated[
        bool,
        typer.Option(
            "--partition", help="Parquet partitioned by year and province (hive directories)."
        ),
    ] = False,
    chunk_size: Annotated[
        int,
        typer.Option(
            "--chunk-size", help="Firms generated per chunk (bounds memory; output unchanged)."
        ),
    ] = 1_048_576,
    do_import: Annotated[
        bool,
        typer.Option(
            "--import", help="Import the files into the workspace as synthetic-… datasets."
        ),
    ] = False,
    workspace: WorkspaceOption = None,
    plan: PlanOption = DEFAULT_PLAN,
    lang: LangOption = None,
) -> None:
    """Generate a deterministic SYNTHETIC national firm registry calibrated to Beijing's and
    the provinces' real aggregates.

    Writes firms, firm-years and tags (money in yuan) plus SYNTHETIC.md and calibration.csv.
    """
    import time

    from rich.table import Table

    from clusteratlas.i18n import t
    from clusteratlas.synth import generate, import_registry, min_firms, parse_years
    from clusteratlas.units import format_money

    started = time.perf_counter()
    lang = plan_lang(plan, lang)
    paths = generate(
        firms, seed, out, fmt.value, years, partition=partition, chunk_size=chunk_size, plan=plan
    )
    elapsed = time.perf_counter() - started
    err_console.print(
        f"[bold]{t('synth.label', lang)}[/] — {firms:,} {t('synth.firms', lang)}, seed {seed}, "
        f"{elapsed:.1f} s → {out}",
        highlight=False,
    )
    import pandas as pd

    cal = pd.read_csv(paths["calibration"])
    clusters = cal[cal["kind"] == "cluster_revenue_yuan"]
    last = int(clusters["year"].max())
    table = Table(title=f"{t('synth.calibrated', lang)} ({last}, {t('label.synthetic', lang)})")
    for col in (t("label.cluster", lang), t("synth.target", lang), t("synth.basis", lang)):
        table.add_column(col)
    shown = clusters[clusters["year"] == last]
    for target, value, basis in zip(shown["target"], shown["value"], shown["basis"], strict=True):
        table.add_row(
            str(target), format_money(float(value), lang=lang), t(f"synth.basis.{basis}", lang)
        )
    console.print(table)
    tag_factor = float(cal.loc[cal["kind"] == "tag_count", "factor"].min())
    if tag_factor < 1.0:
        need = min_firms(parse_years(years))
        message = t("synth.tags_scaled", lang).format(factor=f"{tag_factor:.4g}", need=f"{need:,}")
        err_console.print(f"[yellow]note:[/] {message}", highlight=False)
    uncalibrated = clusters.loc[clusters["status"] == "uncalibrated", "target"].nunique()
    if uncalibrated:
        message = t("synth.uncalibrated", lang).format(n=uncalibrated)
        err_console.print(f"[yellow]note:[/] {message}", highlight=False)
    for kind, path in paths.items():
        err_console.print(f"  {kind}: {path}", highlight=False)
    if do_import:
        from clusteratlas.model.plan import load_plan

        imported = import_registry(paths, workspace, seed=seed, firms=firms, plan=load_plan(plan))
        for kind, dataset, rows in imported:
            err_console.print(
                f"  imported {kind} → {dataset} ({rows:,} rows, synthetic)", highlight=False
            )
