"""``clusteratlas plan validate FILE`` and ``clusteratlas plan show [--plan]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clusteratlas.cli._app import (
    CommandGroup,
    FormatOption,
    LangOption,
    OutOption,
    OutputFormat,
    PlanOption,
    app,
    console,
    emit,
    plan_lang,
)
from clusteratlas.config import DEFAULT_PLAN
from clusteratlas.errors import ClusterAtlasError

plan_app = CommandGroup(
    help="Check and show plans (规划): clusters, levels, targets, chains.", no_args_is_help=True
)
app.add_typer(plan_app, name="plan")


@plan_app.command("validate")
def validate_command(
    file: Annotated[Path, typer.Argument(help="Plan YAML file to check.")],
) -> None:
    """Validate a plan file; print a summary, or the field, value and rule that fail (exit 2)."""
    from clusteratlas.model.plan import load_plan

    plan = load_plan(file)
    console.print(
        f"[green]ok[/] {plan.id}: {len(plan.clusters)} clusters, {len(plan.levels)} levels, "
        f"{len(plan.targets)} targets, {len(plan.chains)} chains (region {plan.region}, "
        f"scheme {plan.scheme}, measure {plan.measure})",
        highlight=False,
    )


@plan_app.command("show")
def show_command(
    plan: PlanOption = DEFAULT_PLAN,
    what: Annotated[str, typer.Option("--what", help="clusters, targets or levels.")] = "clusters",
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = None,
) -> None:
    """Show a plan's clusters (with GB/T 4754 codes), targets or levels."""
    import pandas as pd

    from clusteratlas.i18n import t
    from clusteratlas.model.plan import load_plan
    from clusteratlas.units import format_money

    loaded = load_plan(plan)
    language = plan_lang(loaded, lang)
    name = "name_zh" if language == "zh" else "name_en"
    if what == "clusters":
        frame = pd.DataFrame(
            [
                {
                    "id": c.id,
                    t("plan.col.name", language): getattr(c, name),
                    t("plan.col.group", language): t(f"plan.group.{c.group}", language),
                    t("plan.col.parent", language): c.parent or "",
                    t("plan.col.codes", language): " ".join(c.codes)
                    or ("+".join(c.includes) if c.includes else ""),
                    t("plan.col.keywords", language): " ".join(c.keywords),
                }
                for c in loaded.clusters
            ]
        )
    elif what == "targets":
        frame = pd.DataFrame(
            [
                {
                    "id": tg.id,
                    t("plan.col.name", language): getattr(tg, name),
                    t("targets.col.comparator", language): tg.comparator,
                    t("plan.col.target", language): _target_text(
                        tg.comparator, tg.value, tg.low, tg.high, tg.unit, language
                    ),
                    t("label.year", language): tg.year,
                    t("label.source", language): tg.source,
                }
                for tg in loaded.targets
            ]
        )
    elif what == "levels":
        frame = pd.DataFrame(
            [
                {
                    "id": lv.id,
                    t("plan.col.name", language): getattr(lv, name),
                    t("plan.col.threshold", language): format_money(lv.threshold, language),
                }
                for lv in loaded.levels
            ]
        )
    else:
        raise ClusterAtlasError(f"--what must be clusters, targets or levels, not {what!r}")
    title = f"{getattr(loaded, name)} ({loaded.id})"
    emit(frame, fmt, out, title=title)


def _target_text(
    comparator: str,
    value: float | None,
    low: float | None,
    high: float | None,
    unit: str,
    lang: str,
) -> str:
    from clusteratlas.units import format_money, format_share

    def fmt(v: float | None) -> str:
        if v is None:
            return "—"
        if unit == "yuan":
            return format_money(v, lang)
        if unit == "fraction":
            return format_share(v)
        return f"{v:,.0f}"

    if comparator == "between":
        return f"{fmt(low)}–{fmt(high)}"
    if comparator == "track":
        return "—"
    return f"{'≥' if comparator == '>=' else '≤'} {fmt(value)}"
