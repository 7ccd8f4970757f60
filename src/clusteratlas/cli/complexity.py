"""``clusteratlas complexity`` and ``clusteratlas opportunities``: economic complexity of the
workspace's regions and industries, and what a region could develop next."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
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
    err_console,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd


class Level(StrEnum):
    """GB/T 4754-2017 level the industry codes are cut to."""

    class_ = "class"
    group = "group"
    division = "division"


class RegionLevel(StrEnum):
    """GB/T 2260 level the region codes are rolled up to."""

    county = "county"
    prefecture = "prefecture"
    province = "province"


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


LevelOption = Annotated[
    Level, typer.Option("--level", help="Industry level: class (4 digits), group, division.")
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
    RegionLevel,
    typer.Option("--region-level", help="Roll regions up to county, prefecture or province."),
]
SourceOption = Annotated[
    Source,
    typer.Option("--source", help="firms (firm_year ⋈ firm), observations, or auto."),
]
CutoffOption = Annotated[
    float, typer.Option("--rca-cutoff", help="M = 1 where RCA ≥ this (default 1).")
]


def _user_errors() -> Any:
    from clusteratlas.cli.plan import user_errors

    return user_errors()


def _panel(
    workspace: Path | None,
    *,
    source: Source,
    indicator: str,
    level: Level,
    region_level: RegionLevel,
    year: int | None,
) -> tuple[ir.Table, Any, bool]:
    """The long panel (Ibis, lazy), the open workspace and whether synthetic data is in it."""
    from clusteratlas.workspace import open_workspace

    ws = open_workspace(workspace, read_only=True)
    try:
        return _panel_of(
            ws,
            source=source,
            indicator=indicator,
            level=level,
            region_level=region_level,
            year=year,
        )
    except BaseException:
        ws.close()
        raise


def _panel_of(
    ws: Any,
    *,
    source: Source,
    indicator: str,
    level: Level,
    region_level: RegionLevel,
    year: int | None,
) -> tuple[ir.Table, Any, bool]:
    from clusteratlas.analysis.complexity import FIRM_MEASURES, industry_panel
    from clusteratlas.errors import WorkspaceError

    counts = ws.counts()
    has_firms = bool(counts.get("firm")) and bool(counts.get("firm_year"))
    use_firms = source is Source.firms or (
        source is Source.auto and has_firms and indicator in FIRM_MEASURES
    )
    if use_firms and not has_firms:
        raise WorkspaceError(
            f"workspace {ws.path} has no firms/firm-years; import them first "
            "(clusteratlas import firms FILE) or use --source observations"
        )
    if not use_firms and not counts.get("observation"):
        raise WorkspaceError(
            f"workspace {ws.path} has no observations; import them or use --source firms"
        )
    panel = industry_panel(
        firms=ws.table("firm") if use_firms else None,
        firm_years=ws.table("firm_year") if use_firms else None,
        observations=None if use_firms else ws.table("observation"),
        indicator=indicator,
        level=level.value,
        region_level=region_level.value,
    )
    if year is not None:
        panel = panel.filter(panel.year == year)
    datasets = ws.datasets()
    synthetic = bool(datasets["synthetic"].any()) if "synthetic" in datasets else False
    return panel, ws, synthetic


def _names(ws: Any, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """Region and GB/T 4754-2017 industry code → name in ``lang`` (else the Chinese name)."""
    column = "name_en" if lang == "en" else "name_zh"

    def mapping(table: Any) -> dict[str, str]:
        frame = table.select("code", "name_zh", "name_en").to_pandas()
        names = frame[column].where(frame[column].fillna("") != "", frame["name_zh"])
        return dict(zip(frame["code"].astype(str), names.fillna(""), strict=True))

    industry = ws.table("industry")
    return mapping(ws.table("region")), mapping(industry.filter(industry.scheme == "gbt4754-2017"))


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
    level: LevelOption = Level.class_,
    year: YearOption = None,
    indicator: IndicatorOption = "revenue",
    region_level: RegionLevelOption = RegionLevel.county,
    source: SourceOption = Source.auto,
    by: Annotated[
        View, typer.Option("--by", help="Print regions (ECI), industries (PCI) or all pairs.")
    ] = View.region,
    rca_cutoff: CutoffOption = 1.0,
    top: Annotated[int | None, typer.Option("--top", help="Only the first N rows.")] = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = "zh",
) -> None:
    """Economic complexity (RCA, diversity, ubiquity, ECI, PCI, density, COI, COG) of the
    workspace's regions × industries, per year, as in the Growth Lab's ecomplexity package."""
    from clusteratlas.analysis.complexity import complexity
    from clusteratlas.i18n import t

    with _user_errors():
        panel, ws, synthetic = _panel(
            workspace,
            source=source,
            indicator=indicator,
            level=level,
            region_level=region_level,
            year=year,
        )
        try:
            with _notes():
                full = complexity(
                    panel,
                    region="region",
                    industry="industry",
                    value="value",
                    year="year",
                    rca_cutoff=rca_cutoff,
                )
            regions, industries = _names(ws, lang)
        finally:
            ws.close()
    if by is View.region:
        table = (
            full.groupby(["year", "region"], as_index=False, sort=False)
            .agg(
                value=("value", "sum"),
                diversity=("diversity", "first"),
                eci=("eci", "first"),
                coi=("coi", "first"),
            )
            .sort_values(["year", "eci"], ascending=[True, False])
        )
        table.insert(2, "name", table["region"].map(regions).fillna(""))
    elif by is View.industry:
        table = (
            full.groupby(["year", "industry"], as_index=False, sort=False)
            .agg(value=("value", "sum"), ubiquity=("ubiquity", "first"), pci=("pci", "first"))
            .sort_values(["year", "pci"], ascending=[True, False])
        )
        table.insert(2, "name", table["industry"].map(industries).fillna(""))
    else:
        table = full
    table = table.reset_index(drop=True)
    if top is not None:
        table = table.groupby("year", sort=True).head(top).reset_index(drop=True)
    table = table.rename(columns={"value": indicator})
    caption = _caption(
        synthetic, lang, f"{indicator} · {level.value} · RCA ≥ {rca_cutoff:g} · ecomplexity"
    )
    if fmt is OutputFormat.table:
        emit(
            _label(_money(table, indicator, lang), lang),
            fmt,
            out,
            title=t("complexity.title", lang),
            caption=caption,
        )
    else:
        emit(table, fmt, out)
        if synthetic:
            err_console.print(t("label.synthetic", lang))


@app.command("opportunities")
def opportunities_command(
    region: Annotated[str, typer.Option("--region", help="Region code, e.g. 110108.")],
    workspace: WorkspaceOption = None,
    level: LevelOption = Level.class_,
    year: Annotated[
        int | None, typer.Option("--year", help="Year to use (default: the latest).")
    ] = None,
    indicator: IndicatorOption = "revenue",
    region_level: RegionLevelOption = RegionLevel.county,
    source: SourceOption = Source.auto,
    strategy: Annotated[
        str,
        typer.Option("--strategy", help="Rank by: low_hanging_fruit, balanced or long_jump."),
    ] = "balanced",
    rca_cutoff: CutoffOption = 1.0,
    top: Annotated[int, typer.Option("--top", help="Rows to show.")] = 20,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    lang: LangOption = "zh",
) -> None:
    """Industries REGION does not yet specialise in (RCA < cutoff), ranked by a strategy:
    feasibility (density; distance = 1 − density), complexity (PCI) and opportunity gain (COG)."""
    from clusteratlas.analysis.complexity import DEFAULT_STRATEGIES, opportunities
    from clusteratlas.errors import AnalysisError
    from clusteratlas.i18n import t

    with _user_errors():
        if strategy not in DEFAULT_STRATEGIES:
            raise AnalysisError(
                f"--strategy {strategy!r} is unknown; use one of {', '.join(DEFAULT_STRATEGIES)}"
            )
        panel, ws, synthetic = _panel(
            workspace,
            source=source,
            indicator=indicator,
            level=level,
            region_level=region_level,
            year=None,
        )
        weights = {strategy: DEFAULT_STRATEGIES[strategy]}
        weights |= {k: v for k, v in DEFAULT_STRATEGIES.items() if k != strategy}
        try:
            with _notes():
                table = opportunities(
                    panel,
                    region="region",
                    industry="industry",
                    value="value",
                    year="year",
                    target_region=region,
                    rca_cutoff=rca_cutoff,
                    weights=weights,
                    at_year=year,
                )
            _, industries = _names(ws, lang)
        finally:
            ws.close()
    table.insert(3, "name", table["industry"].map(industries).fillna(""))
    table = table.head(top).rename(columns={"value": indicator})
    when = int(table["year"].iloc[0]) if len(table) else year
    caption = _caption(synthetic, lang, f"{region} · {when} · {strategy} · {level.value}")
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
        emit(
            _label(_money(shown, indicator, lang), lang),
            fmt,
            out,
            title=t("complexity.opportunities", lang),
            caption=caption,
        )
    else:
        emit(table, fmt, out)
        if synthetic:
            err_console.print(t("label.synthetic", lang))
