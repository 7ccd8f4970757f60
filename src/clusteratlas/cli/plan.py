"""``clusteratlas plan validate FILE`` and ``clusteratlas plan show [--plan]``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
from clusteratlas.cli._tables import LimitOption, show
from clusteratlas.config import DEFAULT_PLAN
from clusteratlas.errors import ClusterAtlasError

if TYPE_CHECKING:
    import pandas as pd

    from clusteratlas.model.plan import Plan

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
    limit: LimitOption = None,
) -> None:
    """Show a plan's clusters (with GB/T 4754 codes), targets or levels. Machine formats
    (json, csv, parquet) have stable English keys and canonical units (yuan, fractions);
    the table is localized."""
    from clusteratlas.model.plan import load_plan

    loaded = load_plan(plan)
    language = plan_lang(loaded, lang)
    if what not in _COLUMNS:
        raise ClusterAtlasError(f"--what must be clusters, targets or levels, not {what!r}")
    frame = plan_frame(loaded, what)
    name = "name_zh" if language == "zh" else "name_en"
    title = f"{getattr(loaded, name)} ({loaded.id})"
    if fmt is not OutputFormat.table or out is not None:
        emit(frame, fmt, out, title=title)
        return
    show(
        _people(frame, what, language),
        fmt,
        out,
        lang=language,
        title=title,
        limit=limit,
        columns=_COLUMNS[what],
        wide=("name", "codes", "keywords", "source"),
        headers={
            "id": "plan.col.id",
            "name": "plan.col.name",
            "group": "plan.col.group",
            "parent": "plan.col.parent",
            "codes": "plan.col.codes",
            "keywords": "plan.col.keywords",
            "target": "plan.col.target",
            "threshold": "plan.col.threshold",
            "source": "label.source",
            "year": "label.year",
        },
    )


_COLUMNS: dict[str, tuple[str, ...]] = {
    "clusters": ("id", "name", "group", "parent", "codes", "keywords"),
    "targets": ("id", "name", "target", "year", "source"),
    "levels": ("id", "name", "threshold"),
}


def plan_frame(plan: Plan, what: str) -> pd.DataFrame:
    """The plan's ``clusters``, ``targets`` or ``levels`` as a table with stable English keys
    (money in yuan, shares as fractions; names in both languages)."""
    import pandas as pd

    if what == "clusters":
        rows: list[dict[str, Any]] = [
            {
                "id": c.id,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "group": c.group,
                "parent": c.parent or "",
                "codes": " ".join(c.codes) or ("+".join(c.includes) if c.includes else ""),
                "keywords": " ".join(c.keywords),
            }
            for c in plan.clusters
        ]
    elif what == "targets":
        rows = [
            {
                "id": tg.id,
                "name_zh": tg.name_zh,
                "name_en": tg.name_en,
                "comparator": tg.comparator,
                "value": tg.value,
                "low": tg.low,
                "high": tg.high,
                "unit": tg.unit,
                "year": tg.year,
                "source": tg.source,
            }
            for tg in plan.targets
        ]
    else:
        rows = [
            {"id": lv.id, "name_zh": lv.name_zh, "name_en": lv.name_en, "threshold": lv.threshold}
            for lv in plan.levels
        ]
    return pd.DataFrame(rows)


def _people(frame: pd.DataFrame, what: str, lang: str) -> pd.DataFrame:
    """Names in ``lang``, groups translated, targets and thresholds in words and units."""
    from clusteratlas.i18n import t
    from clusteratlas.units import format_money

    out = frame.assign(name=frame["name_zh" if lang == "zh" else "name_en"])
    if what == "clusters":
        out["group"] = [t(f"plan.group.{g}", lang) for g in out["group"]]
    elif what == "targets":
        out["target"] = [
            _target_text(r["comparator"], r["value"], r["low"], r["high"], r["unit"], lang)
            for r in out.to_dict("records")
        ]
    else:
        out["threshold"] = [format_money(v, lang) for v in out["threshold"]]
    return out


def _target_text(
    comparator: str,
    value: Any,
    low: Any,
    high: Any,
    unit: str,
    lang: str,
) -> str:
    from clusteratlas.units import format_money, format_share

    def fmt(v: Any) -> str:
        if v is None or v != v:
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
