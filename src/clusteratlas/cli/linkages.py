"""``clusteratlas linkages``: input–output linkages by sector or by plan cluster."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from clusteratlas.cli._app import (
    FormatOption,
    LangOption,
    OutOption,
    OutputFormat,
    app,
    emit,
    plan_lang,
)
from clusteratlas.cli._tables import PEOPLE, LimitOption, show
from clusteratlas.config import DEFAULT_PLAN


class By(StrEnum):
    """Rows of the linkages output."""

    sector = "sector"
    cluster = "cluster"


class BlockChoice(StrEnum):
    """Which intermediate block of the table to analyse."""

    auto = "auto"
    domestic = "domestic"
    total = "total"


@app.command("linkages")
def linkages_command(
    table: Annotated[
        str,
        typer.Option(
            "--table", "-t", help="Packaged IO table, e.g. china-2020-42, china-2020-153."
        ),
    ] = "china-2020-42",
    by: Annotated[By, typer.Option("--by", help="One row per IO sector or per plan cluster.")] = (
        By.sector
    ),
    plan: Annotated[
        str, typer.Option("--plan", help="Plan name or YAML path (for --by cluster).")
    ] = DEFAULT_PLAN,
    block: Annotated[
        BlockChoice,
        typer.Option(
            "--block",
            help="domestic: domestic flows only (default for 42-sector tables); total: "
            "including imported inputs (default for 149/153-sector tables).",
        ),
    ] = BlockChoice.auto,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = None,
    limit: LimitOption = None,
) -> None:
    """Backward/forward linkages (Rasmussen–Hirschman, forward from Ghosh), key sectors,
    multipliers and service intensity (投入产出关联: 影响力系数/感应度系数, 关键部门)."""
    from clusteratlas import api
    from clusteratlas.i18n import t

    res = api.linkages(None, plan, table=table, by=by.value, block=block.value)
    table_name, block_used = str(res["table"].iloc[0]), str(res["block"].iloc[0])
    lang = plan_lang(plan, lang)
    name = "name_zh" if lang == "zh" else "name_en"
    if by is By.sector:
        wanted = [
            "sector",
            name,
            "kind",
            "output",
            "backward",
            "forward",
            "forward_leontief",
            "quadrant",
            "key_sector",
            "output_multiplier",
            "value_added_multiplier",
            "employment_multiplier",
            "service_direct",
            "service_total",
        ]
    else:
        wanted = [
            "cluster",
            name,
            "coverage",
            "sectors",
            "output",
            "backward",
            "forward",
            "quadrant",
            "key_output_share",
            "output_multiplier",
            "value_added_multiplier",
            "employment_multiplier",
            "service_direct",
            "service_total",
        ]
    frame = res[[c for c in wanted if c in res.columns]].rename(columns={name: "name"})
    if fmt is OutputFormat.table and out is None:
        from clusteratlas.units import format_money, format_share

        frame = frame.assign(
            quadrant=frame["quadrant"].map(lambda q: t(f"linkages.quadrant.{q}", lang)),
            output=frame["output"].map(lambda v: format_money(v, lang)),
        )
        if "key_output_share" in frame:
            frame["key_output_share"] = frame["key_output_share"].map(format_share)
        for col in ("kind", "coverage"):
            if col in frame:
                frame[col] = frame[col].map(lambda v, c=col: t(f"linkages.{c}.{v}", lang))
        # the terminal view keeps the headline columns; csv/json/parquet carry all of them
        frame = frame.drop(
            columns=[
                c
                for c in (
                    "sectors",
                    "key_sector",
                    "forward_leontief",
                    "value_added_multiplier",
                    "service_direct",
                    "cluster",
                )
                if c in frame.columns
            ]
        )
        frame = frame.rename(columns={c: t(f"linkages.col.{c}", lang) for c in frame.columns})
        title = f"{t('linkages.title', lang)} — {table_name} ({block_used})"
        caption = t("linkages.caption", lang)
        show(
            frame,
            fmt,
            out,
            lang=lang,
            title=title,
            caption=caption,
            limit=limit,
            formats=PEOPLE,
        )
        return
    emit(frame.assign(table=table_name, block=block_used), fmt, out)
