"""CLI: ``ladder`` — enterprise tier screening (创新型 → 专精特新 → 小巨人 → 单项冠军; 独角兽)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clusteratlas.cli._app import (
    FormatOption,
    LangOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    app,
    emit,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd


class LadderView(StrEnum):
    """What ``clusteratlas ladder`` shows."""

    screen = "screen"
    gaps = "gaps"
    pipeline = "pipeline"
    compare = "compare"


def region_filter(firms: ir.Table, region: str) -> ir.Table:
    """Firms in ``region`` (GB/T 2260): ``110000`` = the province, ``110100`` = the
    prefecture, any other code exactly; the code is matched on ``firm.region``."""
    code = region.strip()
    if len(code) == 6 and code.isdigit():
        if code.endswith("0000"):
            return firms.filter(firms.region.startswith(code[:2]))
        if code.endswith("00"):
            return firms.filter(firms.region.startswith(code[:4]))
    return firms.filter(firms.region == code)


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
        str, typer.Option("--ruleset", help="Ruleset id or YAML file.")
    ] = "miit-2022",
    year_offset: Annotated[
        int, typer.Option("--year-offset", help="compare: tag year = data year + offset.")
    ] = 1,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = "zh",
) -> None:
    """Screen firms against the tier rules (eligible / undetermined / ineligible, score, what
    fails, what is missing), show gaps to the next tier, the pipeline, or compare with
    certified tags."""
    from clusteratlas.analysis import ladder
    from clusteratlas.analysis.tier_rules import load_ruleset
    from clusteratlas.cli._data import firm_tables
    from clusteratlas.errors import InputError, WorkspaceError
    from clusteratlas.i18n import t

    rs = load_ruleset(ruleset)
    tiers = [rs.tier(x).id for x in tier] if tier else None
    if status is not None and status not in ("eligible", "undetermined", "ineligible"):
        raise InputError(f"--status {status!r}: use eligible, undetermined or ineligible")
    tables = firm_tables(workspace)
    firms = tables.firms
    if region:
        firms = region_filter(firms, region)
    if year is None:
        year = int(tables.firm_years.year.max().to_pandas())
    caption = tables.caption(lang)
    names = {x.id: (x.name_zh if lang == "zh" else x.name_en) for x in rs.tiers}

    if view is LadderView.pipeline:
        frame = ladder.pipeline(firms, tables.firm_years, ruleset=rs)
        if tiers:
            frame = frame[frame["tier"].isin(tiers)]
        frame.insert(2, "name", frame["tier"].map(names))
        emit(frame, fmt, out, title=t("ladder.title.pipeline", lang), caption=caption)
        return

    keep = ["region"] if "region" in firms.columns else []
    screened = ladder.screen_table(
        firms,
        tables.firm_years,
        year=year,
        ruleset=rs,
        keep=keep,
        details=view is not LadderView.compare,
    )
    if view is LadderView.compare:
        if tables.tags is None:
            raise WorkspaceError("the workspace has no firm tags; import them (kind: tags)")
        frame = ladder.compare_certified(screened, tables.tags, year_offset=year_offset)
        if tiers:
            frame = frame[frame["tier"].isin(tiers)]
        frame.insert(2, "name", frame["tier"].map(names))
        emit(frame, fmt, out, title=t("ladder.title.compare", lang), caption=caption)
        return
    if view is LadderView.gaps:
        frame = ladder.gaps(screened)
        if tiers:
            frame = frame[frame["next_tier"].isin(tiers)]
        title = t("ladder.title.gaps", lang)
    else:
        if tiers:
            screened = screened.filter(screened.tier.isin(tiers))
        if status:
            screened = screened.filter(screened.status == status)
        frame = screened.order_by(["firm_id", "track", "rank"]).to_pandas()
        frame.insert(frame.columns.get_loc("tier") + 1, "name", frame["tier"].map(names))
        title = t("ladder.title.screen", lang)
    if fmt in (OutputFormat.table, OutputFormat.csv):
        frame = _text(frame, lang)
    emit(frame, fmt, out, title=f"{title} · {year}", caption=caption)
