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
from clusteratlas.cli._tables import LimitOption, region_labels, show, text
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
    limit: LimitOption = None,
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
    if fmt is OutputFormat.table and out is None:
        from clusteratlas.analysis.tier_rules import load_ruleset
        from clusteratlas.model.plan import load_plan

        rs = load_ruleset(ruleset or load_plan(plan).tier_ruleset)
        show(
            _people(frame, view, rs, lang, limit),
            fmt,
            out,
            total=len(frame),
            lang=lang,
            title=title,
            caption=caption,
            limit=limit,
            columns=_COLUMNS[view],
            extra=_EXTRA[view],
            values={"status": "ladder.status", "next_status": "ladder.status"},
            formats={"score": text, "missing": text},
            labels={"region": region_labels(lang)},
            wide=("firm_name",),
            wrap=("failed", "criterion", "missing"),
        )
        return
    if view in (LadderView.screen, LadderView.gaps) and fmt is OutputFormat.csv:
        frame = _text(frame, lang)
    emit(frame, fmt, out, title=title, caption=caption)


_COLUMNS: dict[LadderView, tuple[str, ...]] = {
    LadderView.screen: ("firm_name", "region", "name", "status", "score", "failed"),
    LadderView.gaps: ("firm_id", "current_tier", "next_tier", "next_status", "criterion"),
    LadderView.pipeline: ("year", "name", "eligible", "undetermined", "ineligible", "firms"),
    LadderView.compare: (
        "year",
        "name",
        "firms",
        "certified",
        "eligible",
        "undetermined",
        "precision",
        "recall",
    ),
}
_EXTRA: dict[LadderView, tuple[str, ...]] = {
    LadderView.screen: ("missing",),
    LadderView.gaps: ("missing",),
    LadderView.pipeline: (),
    LadderView.compare: ("f1", "recall_possible"),
}


def _people(
    frame: pd.DataFrame, view: LadderView, rs: Any, lang: str, limit: int | None
) -> pd.DataFrame:
    """The first rows of ``frame`` (as many as the table shows) with criteria and missing
    inputs in words (``市场占有率 ≥ 10.0%，实际 0.3%``), tier ids as names and a score range
    where inputs are missing; the row count is kept for the "… N more" note."""
    import pandas as pd

    from clusteratlas.cli._app import console
    from clusteratlas.cli._tables import DEFAULT_LIMIT
    from clusteratlas.i18n.criteria import criteria_text, missing_text

    n = DEFAULT_LIMIT if limit is None else int(limit)
    head = (frame if n <= 0 else frame.head(n)).copy()
    items = 2 if console.width < 120 else 3  # a row stays a few lines high
    tiers = {x.id: (x.name_zh if lang == "zh" else x.name_en) for x in rs.tiers}
    if "failed" in head.columns:
        head["failed"] = [
            criteria_text(f, rs, lang, limit=items, keep_together=True)
            for f in head["failed"].tolist()
        ]
    if "missing" in head.columns:
        head["missing"] = [
            missing_text(m, rs, lang, limit=items, keep_together=True)
            for m in head["missing"].tolist()
        ]
    if view is LadderView.gaps and "criterion" in head.columns:
        head["criterion"] = [
            "" if pd.isna(r["input"]) else criteria_text([r], rs, lang, keep_together=True)
            for r in head.to_dict("records")
        ]
    for column in ("current_tier", "next_tier"):
        if column in head.columns:
            head[column] = [tiers.get(str(v), "—") for v in head[column].tolist()]
    if "score_low" in head.columns:
        head["score"] = [
            _score(r["score"], r["score_low"], r["score_high"]) for r in head.to_dict("records")
        ]
    return head


def _score(score: Any, low: Any, high: Any) -> str:
    import pandas as pd

    if not pd.isna(score):
        return f"{float(score):.0f}"
    if not pd.isna(low) and not pd.isna(high):
        return f"{float(low):.0f}–{float(high):.0f}"
    return "—"
