"""CLI: ``ladder`` — enterprise tier screening (创新型 → 专精特新 → 小巨人 → 单项冠军; 独角兽)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clusteratlas.cli._app import (
    EngineOption,
    FormatOption,
    LangOption,
    MemoryLimitOption,
    OutOption,
    OutputFormat,
    ParquetOption,
    PlanOption,
    SparkMasterOption,
    WorkspaceOption,
    app,
    data_source,
    emit,
    plan_lang,
)
from clusteratlas.config import DEFAULT_PLAN

if TYPE_CHECKING:
    import pandas as pd


class LadderView(StrEnum):
    """What ``clusteratlas ladder`` shows."""

    screen = "screen"
    gaps = "gaps"
    pipeline = "pipeline"
    compare = "compare"


def _text(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``failed``/``missing`` lists as short text for table/CSV output."""
    from clusteratlas.i18n import t

    def failed(items: Any) -> str:
        if items is None or len(items) == 0:
            return ""
        parts = []
        for f in items:
            actual = f.get("actual")
            shown = "—" if actual is None else f"{actual:.4g}"
            parts.append(f"{f['criterion']} {shown} {f['op']} {f['required']:.4g} {f['unit']}")
        return "; ".join(parts)

    def missing(items: Any) -> str:
        return "" if items is None else ", ".join(str(i) for i in items)

    out = frame.copy()
    if "failed" in out.columns:
        out["failed"] = out["failed"].map(failed)
    if "missing" in out.columns:
        out["missing"] = out["missing"].map(missing)
    if "status" in out.columns:
        out["status"] = out["status"].map(lambda s: t(f"ladder.status.{s}", lang))
    return out


@app.command("ladder")
def ladder_command(
    workspace: WorkspaceOption = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    memory_limit: MemoryLimitOption = None,
    parquet: ParquetOption = None,
    tier: Annotated[
        list[str] | None,
        typer.Option("--tier", "-t", help="Tier id(s) to show (default: all), e.g. zjtx."),
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Region code (110000 = all of Beijing).")
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="Data year (上年度; default: the latest).")
    ] = None,
    view: Annotated[
        LadderView,
        typer.Option("--view", help="screen, gaps (to the next tier), pipeline or compare."),
    ] = LadderView.screen,
    status: Annotated[
        str | None,
        typer.Option("--status", help="screen: only eligible, undetermined or ineligible rows."),
    ] = None,
    ruleset: Annotated[
        str | None,
        typer.Option("--ruleset", help="Ruleset id or YAML file (default: the plan's)."),
    ] = None,
    plan: PlanOption = DEFAULT_PLAN,
    year_offset: Annotated[
        int, typer.Option("--year-offset", help="compare: tag year = data year + offset.")
    ] = 1,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = None,
) -> None:
    """Screen firms against the tier rules (eligible / undetermined / ineligible, score, what
    fails, what is missing), show gaps to the next tier, the pipeline, or compare with
    certified tags."""
    from clusteratlas import api
    from clusteratlas.i18n import t

    lang = plan_lang(plan, lang)

    frame = api.ladder(
        data_source(
            workspace,
            engine=engine,
            spark_master=spark_master,
            memory_limit=memory_limit,
            parquet=parquet,
        ),
        plan,
        tier=tier,
        region=region,
        year=year,
        view=view.value,
        status=status,
        ruleset=ruleset,
        year_offset=year_offset,
        lang=lang,
    )
    synthetic = bool(frame["synthetic"].any()) if "synthetic" in frame.columns else False
    caption = t("label.synthetic", lang) if synthetic else None
    title = t(f"ladder.title.{view.value}", lang)
    if view in (LadderView.screen, LadderView.gaps) and fmt in (
        OutputFormat.table,
        OutputFormat.csv,
    ):
        frame = _text(frame, lang)
    emit(frame, fmt, out, title=title, caption=caption)
