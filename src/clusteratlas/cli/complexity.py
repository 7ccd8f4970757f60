"""``clusteratlas complexity`` and ``clusteratlas opportunities``: economic complexity of the
workspace's regions and industries, and what a region could develop next."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

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
    err_console,
    plan_lang,
)
from clusteratlas.cli._tables import PEOPLE, LimitOption, show
from clusteratlas.config import DEFAULT_PLAN

if TYPE_CHECKING:
    import pandas as pd


class Level(StrEnum):
    """GB/T 4754-2017 level the industry codes are cut to."""

    class_ = "class"
    group = "group"
    division = "division"


class RegionLevel(StrEnum):
    """GB/T 2260 level every region is put on (city = prefecture, district = county)."""

    province = "province"
    city = "city"
    district = "district"


class Source(StrEnum):
    """Where the region × industry values come from."""

    auto = "auto"
    firms = "firms"
    observations = "observations"


class View(StrEnum):
    """Which table ``complexity`` prints."""

    region = "region"
    industry = "industry"
    pair = "pair"


IndustryLevelOption = Annotated[
    Level,
    typer.Option("--industry-level", help="Industry level: class (4 digits), group, division."),
]
YearOption = Annotated[
    int | None, typer.Option("--year", help="Only this year (default: every year).")
]
IndicatorOption = Annotated[
    str,
    typer.Option(
        "--indicator", help="Measure: a firm_year column (revenue, employees…) or an indicator."
    ),
]
RegionLevelOption = Annotated[
    RegionLevel | None,
    typer.Option(
        "--level",
        help="Region level compared: province (default), city or district; regions coarser "
        "than it are left out (opportunities: default the level of --region).",
    ),
]
SourceOption = Annotated[
    Source,
    typer.Option("--source", help="firms (firm_year ⋈ firm), observations, or auto."),
]
CutoffOption = Annotated[
    float, typer.Option("--rca-cutoff", help="M = 1 where RCA ≥ this (default 1).")
]


def _label(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Rename columns to the catalogue's labels (table output only)."""
    from clusteratlas.i18n import catalogue, t

    known = catalogue()
    return frame.rename(
        columns={
            c: t(f"complexity.col.{c}", lang)
            for c in frame.columns
            if f"complexity.col.{c}" in known
        }
    )


MONEY_MEASURES = ("revenue", "main_revenue", "value_added", "rd_spend", "exports")


def _money(frame: pd.DataFrame, indicator: str, lang: str) -> pd.DataFrame:
    """Show a money measure (stored in yuan) as 亿元/万亿元 text in table output."""
    from clusteratlas.units import format_money

    if indicator not in MONEY_MEASURES or indicator not in frame.columns:
        return frame
    return frame.assign(**{indicator: frame[indicator].map(lambda v: format_money(v, lang))})


@contextmanager
def _notes() -> Iterator[None]:
    """Show the analysis's RuntimeWarnings (disconnected network…) as notes on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        yield
    for message in dict.fromkeys(str(w.message) for w in caught):
        err_console.print(f"[yellow]note:[/] {message}", highlight=False)


def _caption(synthetic: bool, lang: str, extra: str) -> str:
    from clusteratlas.i18n import t

    return f"{t('label.synthetic', lang)} · {extra}" if synthetic else extra


@app.command("complexity")
def complexity_command(
    workspace: WorkspaceOption = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    memory_limit: MemoryLimitOption = None,
    parquet: ParquetOption = None,
    plan: PlanOption = DEFAULT_PLAN,
    industry_level: IndustryLevelOption = Level.class_,
    year: YearOption = None,
    indicator: IndicatorOption = "revenue",
    region_level: RegionLevelOption = None,
    source: SourceOption = Source.auto,
    by: Annotated[
        View, typer.Option("--by", help="Print regions (ECI), industries (PCI) or all pairs.")
    ] = View.region,
    rca_cutoff: CutoffOption = 1.0,
    top: Annotated[int | None, typer.Option("--top", help="Only the first N rows.")] = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = None,
    limit: LimitOption = None,
) -> None:
    """Economic complexity (RCA, diversity, ubiquity, ECI, PCI, density, COI, COG) of the
    workspace's regions × industries, per year, as in the Growth Lab's ecomplexity package."""
    from clusteratlas import api
    from clusteratlas.i18n import t

    lang = plan_lang(plan, lang)
    with _notes():
        table = api.complexity(
            data_source(
                workspace,
                engine=engine,
                spark_master=spark_master,
                memory_limit=memory_limit,
                parquet=parquet,
            ),
            plan,
            level=industry_level.value,
            year=year,
            indicator=indicator,
            region_level=(region_level or RegionLevel.province).value,
            source=source.value,
            by=by.value,
            rca_cutoff=rca_cutoff,
            top=top,
        )
    synthetic = bool(table["synthetic"].any())
    geo = (region_level or RegionLevel.province).value
    caption = _caption(
        synthetic,
        lang,
        f"{indicator} · {geo} × {industry_level.value} · RCA ≥ {rca_cutoff:g} · ecomplexity",
    )

    if fmt is OutputFormat.table:
        show(
            _label(_money(table, indicator, lang), lang),
            fmt,
            out,
            lang=lang,
            title=t("complexity.title", lang),
            caption=caption,
            limit=limit,
            formats=PEOPLE,
        )
    else:
        emit(table, fmt, out)
        if synthetic:
            err_console.print(t("label.synthetic", lang))


@app.command("opportunities")
def opportunities_command(
    region: Annotated[str, typer.Option("--region", help="Region code, e.g. 110108.")],
    workspace: WorkspaceOption = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    memory_limit: MemoryLimitOption = None,
    parquet: ParquetOption = None,
    plan: PlanOption = DEFAULT_PLAN,
    industry_level: IndustryLevelOption = Level.class_,
    year: Annotated[
        int | None, typer.Option("--year", help="Year to use (default: the latest).")
    ] = None,
    indicator: IndicatorOption = "revenue",
    region_level: RegionLevelOption = None,
    source: SourceOption = Source.auto,
    strategy: Annotated[
        str,
        typer.Option("--strategy", help="Rank by: low_hanging_fruit, balanced or long_jump."),
    ] = "balanced",
    rca_cutoff: CutoffOption = 1.0,
    top: Annotated[int, typer.Option("--top", help="Rows to show.")] = 20,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = None,
    limit: LimitOption = None,
) -> None:
    """Industries REGION does not yet specialise in (RCA < cutoff), ranked by a strategy:
    feasibility (density; distance = 1 − density), complexity (PCI) and opportunity gain (COG)."""
    from clusteratlas import api
    from clusteratlas.i18n import t

    lang = plan_lang(plan, lang)
    with _notes():
        table = api.opportunities(
            data_source(
                workspace,
                engine=engine,
                spark_master=spark_master,
                memory_limit=memory_limit,
                parquet=parquet,
            ),
            plan,
            region=region,
            level=industry_level.value,
            year=year,
            indicator=indicator,
            region_level=region_level.value if region_level else None,
            source=source.value,
            strategy=strategy,
            rca_cutoff=rca_cutoff,
            top=top,
        )
    synthetic = bool(table["synthetic"].any())
    when = int(table["year"].iloc[0]) if len(table) else year
    caption = _caption(synthetic, lang, f"{region} · {when} · {strategy} · {industry_level.value}")
    if fmt is OutputFormat.table:
        shown = table[
            [
                "industry",
                "name",
                indicator,
                "rca",
                "density",
                "distance",
                "pci",
                "cog",
                f"score_{strategy}",
                f"rank_{strategy}",
            ]
        ]
        show(
            _label(_money(shown, indicator, lang), lang),
            fmt,
            out,
            lang=lang,
            title=t("complexity.opportunities", lang),
            caption=caption,
            limit=limit,
            formats=PEOPLE,
        )
    else:
        emit(table, fmt, out)
        if synthetic:
            err_console.print(t("label.synthetic", lang))
