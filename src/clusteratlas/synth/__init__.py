"""Deterministic synthetic firm registry, calibrated to Beijing's real aggregates.

:func:`generate` writes the files a user would import — ``firms``, ``firm-years`` and
``tags`` (CSV or Parquet, optionally hive-partitioned Parquet by year and province) — plus
``SYNTHETIC.md`` (what the data is, how it was calibrated) and ``calibration.csv`` (targets,
their basis and the scale factors). Every row carries ``synthetic = true``. Money is in
**yuan** (headers say ``revenue(yuan)``), people in persons, ratios as fractions (0–1),
valuations in US dollars. Same ``seed`` and ``firms`` → byte-identical files.

The Beijing cluster revenues (after :func:`clusteratlas.classify.classify_firms` with the plan)
equal the targets of :func:`clusteratlas.synth.targets.cluster_targets` and the tagged-firm
counts those of :func:`clusteratlas.synth.targets.tag_targets`; see ``docs/synthetic.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from clusteratlas.config import DEFAULT_PLAN
from clusteratlas.errors import ClusterAtlasError
from clusteratlas.synth.generator import (
    BLOCK,
    FIRM_YEAR_COLUMNS,
    Context,
    build_context,
    generate_core,
    iter_blocks,
    min_firms,
    n_blocks,
)
from clusteratlas.synth.targets import (
    CALIBRATION_ORDER,
    cluster_targets,
    tag_targets,
)
from clusteratlas.synth.writer import KINDS, Sink, province_of

if TYPE_CHECKING:
    from clusteratlas.model.plan import Plan

__all__ = [
    "BLOCK",
    "CALIBRATION_ORDER",
    "DEFAULT_YEARS",
    "FIRM_YEAR_COLUMNS",
    "KINDS",
    "cluster_targets",
    "generate",
    "import_registry",
    "min_firms",
    "parse_years",
    "tag_targets",
]

DEFAULT_YEARS = tuple(range(2018, 2025))
"""Panel years by default (2018–2024)."""


def parse_years(text: str | Iterable[int] | None) -> list[int]:
    """``"2018-2024"``, ``"2019,2021"`` or an iterable of ints → sorted distinct years."""
    if text is None:
        return list(DEFAULT_YEARS)
    if not isinstance(text, str):
        years = sorted({int(y) for y in text})
    else:
        years_set: set[int] = set()
        for part in text.replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            lo, sep, hi = part.partition("-")
            try:
                if sep:
                    years_set.update(range(int(lo), int(hi) + 1))
                else:
                    years_set.add(int(lo))
            except ValueError:
                raise ClusterAtlasError(
                    f"synth: --years expects e.g. 2018-2024 or 2019,2021; got {text!r}"
                ) from None
        years = sorted(years_set)
    if not years:
        raise ClusterAtlasError(f"synth: --years {text!r} names no year")
    return years


def generate(
    firms: int,
    seed: int = 0,
    out_dir: str | Path = "synthetic",
    fmt: str = "csv",
    years: str | Iterable[int] | None = None,
    *,
    partition: bool = False,
    chunk_size: int = 1_048_576,
    plan: str = DEFAULT_PLAN,
) -> dict[str, Path]:
    """Write a synthetic registry of ``firms`` firms into ``out_dir``; return the paths.

    ``fmt``: ``csv`` or ``parquet``; ``partition`` (Parquet only) writes hive-partitioned
    datasets ``firms/province=…``, ``firm-years/year=…/province=…``, ``tags/year=…/province=…``.
    ``years``: panel years (default 2018–2024). ``chunk_size``: firms generated and written at
    a time (rounded up to whole blocks of :data:`BLOCK`): it never changes the rows (CSV files
    are byte-identical for any chunk size); Parquet row groups / partition files follow chunks.
    Returned keys: ``firms``, ``firm-years``, ``tags``, ``readme`` (SYNTHETIC.md),
    ``calibration`` (calibration.csv).
    """
    year_list = parse_years(years)
    ctx = build_context(int(firms), int(seed), year_list, plan)
    out = Path(out_dir)
    sink = Sink(out, fmt, partition)
    per_chunk = max(1, -(-int(chunk_size) // BLOCK))
    try:
        core, factors, va_factors = generate_core(ctx)
        _write(sink, core.firms, core.firm_years, core.fy_pos, core.tags, core.tag_pos)
        del core
        total = n_blocks(ctx)
        for start in range(0, total, per_chunk):
            blocks = list(iter_blocks(ctx, start, min(total, start + per_chunk)))
            offsets = np.cumsum([0] + [b.firms.num_rows for b in blocks[:-1]])
            _write(
                sink,
                pa.concat_tables([b.firms for b in blocks]),
                pa.concat_tables([b.firm_years for b in blocks]),
                np.concatenate([b.fy_pos + o for b, o in zip(blocks, offsets, strict=True)]),
                None,
                None,
            )
            del blocks
        sink.close()
        calibration = _calibration_table(ctx, factors, va_factors)
        calibration_path = out / "calibration.csv"
        calibration.to_csv(calibration_path, index=False, float_format="%.17g")
        readme = out / "SYNTHETIC.md"
        readme.write_text(_readme(ctx, fmt, partition), encoding="utf-8")
    except BaseException:
        sink.abort()  # no partial registry is left to import as if whole
        raise
    sink.finish([calibration_path, readme])
    paths = {kind: sink.path(kind) for kind in KINDS}
    paths["readme"] = readme
    paths["calibration"] = calibration_path
    return paths


def _write(
    sink: Sink,
    firms: pa.Table,
    firm_years: pa.Table,
    fy_pos: np.ndarray,
    tags: pa.Table | None,
    tag_pos: np.ndarray | None,
) -> None:
    province = province_of(firms.column("region")) if sink.partition else None
    sink.write("firms", firms, province)
    fy_prov = province.take(pa.array(fy_pos)) if province is not None else None
    sink.write("firm-years", firm_years, fy_prov)
    if tags is not None:
        tag_prov = (
            province.take(pa.array(tag_pos))
            if province is not None and tag_pos is not None
            else None
        )
        sink.write("tags", tags, tag_prov)


def _calibration_table(
    ctx: Context, factors: pd.DataFrame, va_factors: pd.DataFrame
) -> pd.DataFrame:
    """Every calibration target: Beijing cluster revenues (yuan, with the scale factors),
    the high-end aggregate's value added (yuan; published share of GDP in ``fact_value``,
    with the value-added scale factors), tag counts (after ``tag_scale``) and province
    revenue / high-tech revenue / employment (yuan, persons) with their basis."""
    from clusteratlas.synth.national import province_targets
    from clusteratlas.synth.targets import HIGH_END_SHARE_INDICATOR, value_added_targets

    clusters = ctx.cluster_targets.merge(
        factors[["cluster", "year", "factor", "firms", "status"]],
        on=["cluster", "year"],
        how="left",
    )
    clusters.insert(0, "kind", "cluster_revenue_yuan")
    clusters = clusters.rename(columns={"cluster": "target", "revenue": "value"})
    tag_rows = ctx.tag_targets.rename(columns={"tag": "target", "count": "value"})
    tag_rows.insert(0, "kind", "tag_count")
    tag_rows["factor"] = ctx.tag_scale
    shares = value_added_targets(ctx.years)
    va_rows = pd.DataFrame(
        {
            "kind": "aggregate_value_added_yuan",
            "target": va_factors["cluster"],
            "year": va_factors["year"],
            "value": va_factors["target"],
            "factor": va_factors["factor"],
            "firms": va_factors["firms"],
            "status": va_factors["status"],
        }
    ).merge(
        shares[["year", "share", "share_basis"]].rename(
            columns={"share": "fact_value", "share_basis": "basis"}
        ),
        on="year",
        how="left",
    )
    va_rows["indicator"] = HIGH_END_SHARE_INDICATOR
    prov = province_targets(ctx.years)
    parts = [clusters, va_rows, tag_rows]
    for column, kind, basis in (
        ("revenue", "province_revenue_yuan", "gdp_basis"),
        ("high_tech_revenue", "province_high_tech_revenue_yuan", "high_tech_basis"),
        ("employment", "province_employment_persons", "employment_basis"),
    ):
        rows = prov[["region", "year", column, basis]].rename(
            columns={"region": "target", column: "value", basis: "basis"}
        )
        rows.insert(0, "kind", kind)
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)


def _readme(ctx: Context, fmt: str, partition: bool) -> str:
    years = f"{min(ctx.years)}–{max(ctx.years)}"
    layout = f"{fmt} (hive-partitioned by year and province)" if partition else fmt
    scaled = (
        "the real Beijing counts"
        if ctx.tag_scale >= 1.0
        else f"the real Beijing counts × {ctx.tag_scale:.4g} (registry too small for them)"
    )
    return f"""# SYNTHETIC DATA — not real firms

This directory holds a **synthetic** firm registry generated by ClusterAtlas
(`clusteratlas synth`). No row describes a real enterprise; names, codes (统一社会信用代码 with
valid check characters) and figures are generated. Every table has a column `synthetic = true`;
imports made with `--import` are flagged `synthetic` in the workspace.

- firms: {ctx.n_firms:,} (of which {ctx.n_core:,} Beijing firms of the plan's clusters; the
  rest spread over all 31 provinces, Beijing/Tianjin by district, Hebei by city)
- tag counts: {scaled}
- seed: {ctx.seed}; plan: {ctx.plan_id}; panel years: {years}; format: {layout}
- deterministic: the same seed and size give byte-identical files (no dates or hosts inside)

## Units
Money in **yuan** (元): headers `revenue(yuan)`, `main_revenue(yuan)`, `value_added(yuan)`,
`rd_spend(yuan)`, `equity_raised(yuan)`, `exports(yuan)`; `valuation_usd(usd)` in US dollars;
`employees(persons)`, `rd_staff(persons)`; `debt_ratio`, `net_margin`, `market_share` as
fractions (0–1); `invention_patents(count)` is the stock of valid invention patents.

## Calibration
Beijing's cluster revenues (firms in districts 1101xx, classified with the plan) equal the
targets in `calibration.csv` exactly (real facts where they exist: medicine & health 2014/2018/
2022/2023, software & information services 2021, IC 2024; lower bounds respected for NGIT 2023
> 3万亿, smart equipment 2023 > 5000亿, AI 2024 > 3000亿; other paths are documented assumptions
chosen so that 2 trillion-yuan clusters exist in 2020 and 3 by 2025, 4 hundred-billion clusters
in 2020 and 7 by 2025). Tag counts (unicorn, zjtx, little_giant, single_champion) per year equal
the `tag_count` rows (scaled as stated above). Firms outside the Beijing cluster core are
scaled so that every province's revenue equals its real GDP (NBS, post-revision vintage) ×
the national gross-output/value-added ratio of the 2020 input–output table, its high-tech
manufacturing revenue the real 高技术产业 revenue, and its firms' employment the real urban-unit
employment (`province_*` rows). Certified 专精特新/小巨人 firms carry the attributes the
miit-2022 rules check in the year before certification; a few have one attribute unknown.
Value added is revenue × the class's IO-2020 value-added ratio (with a firm draw), except that
the 高精尖 firms' value added is scaled by one factor per year so that 高精尖 value added ÷
Beijing GDP equals the published share (25.1 % 2018, 27.4 % 2020, 30.1 % 2021; interpolated
between, held outside: `aggregate_value_added_yuan` rows).
See docs/synthetic.md in the ClusterAtlas documentation.
"""


def import_registry(
    paths: dict[str, Path],
    workspace: str | Path | None = None,
    *,
    seed: int,
    firms: int,
    plan: Plan | None = None,
) -> list[tuple[str, str, int]]:
    """Import the written files into a workspace as ``synthetic-…`` datasets flagged synthetic.

    ``plan``: store its firm × cluster classification with the firms (see
    :meth:`clusteratlas.workspace.Workspace.import_file`). Returns ``(kind, dataset, rows)``
    per table. Partitioned output cannot be imported file by
    file (ClusterAtlasError).
    """
    from clusteratlas.workspace import open_workspace

    if any(p.is_dir() for k, p in paths.items() if k in KINDS):
        raise ClusterAtlasError("synth: --import needs unpartitioned files (drop --partition)")
    result = []
    with open_workspace(workspace) as ws:
        for kind in KINDS:
            name = f"synthetic-{kind}-s{seed}-n{firms}"
            # a synthetic registry is generated for the whole plan region
            res = ws.import_file(
                kind,
                paths[kind],
                dataset=name,
                synthetic=True,
                replace=True,
                coverage="complete",
                plan=plan,
            )
            result.append((kind, name, int(getattr(res, "rows", 0))))
    return result
