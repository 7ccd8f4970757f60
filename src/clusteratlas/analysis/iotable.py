"""The input–output table model: parse an NBS-layout table, hold Z, x, value added, final demand.

An :class:`IOTable` holds one symmetric (product × product) table in its own money unit
(the packaged China tables: **万元**, 10 thousand yuan; ``yuan_per_unit`` = 1e4 converts to
yuan) and computes, lazily and once, A, L, B, G and the sector results of
:mod:`clusteratlas.analysis.linkages`.

Layouts (``/work/shared/data/china_io/SOURCES.md``, NBS tables via the R package ionet):

* ``noncompetitive`` (42 sectors, 2017/2018/2020): rows split by ``Origin`` into
  ``Domestic`` (domestic products, rows 01–42) and ``Imports`` (use of imported products);
  ``GO`` of the domestic rows is domestic gross output.
* ``competitive`` (149/153 sectors): one row per product mixing domestic and imported
  supply; an ``IM`` column (imports, positive) closes ``GO = TIU + TFU − IM``.

Which block is Z (``block``):

* ``domestic`` (default for non-competitive tables): Z = the **Domestic rows** only, so A is
  the domestic input coefficient matrix and L, multipliers and linkages measure effects on
  *domestic* production — imports leak out (the usual choice for linkage analysis of a
  national economy, M&B §2.6). Import use is kept in :attr:`IOTable.imports`.
* ``total``: Z = Domestic + Imports rows (non-competitive), or the table as published
  (competitive) — technical coefficients including imported inputs ("technology" view).
* ``domestic`` on a competitive table estimates the domestic block with the standard
  proportionality assumption: every user of product i buys the same domestic share
  ``d_i = (x_i − e_i) / (x_i − e_i + m_i)`` (output minus exports over domestic absorption),
  so ``Z_d = d̂ Z`` (M&B §2.6.2, UN Handbook on SUT and IOT 2018 ch. 12).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd

from clusteratlas.analysis import iomath
from clusteratlas.errors import AnalysisError, InputError

Layout = Literal["noncompetitive", "competitive"]
Block = Literal["domestic", "total"]

VA_ROWS = ("VA001", "VA002", "VA003", "VA004")
META_COLUMNS = ("Code", "Description", "DescriptionInChinese", "Origin")
_NAME = re.compile(r"^china-(\d{4})-(\d+)$")


def _scheme_for(n_sectors: int) -> str:
    return f"nbs-{n_sectors}"


def sector_map(scheme: str | None = None) -> pd.DataFrame:
    """The packaged IO-sector → GB/T 4754-2017 map (``refdata/io_sector_map.csv``).

    Columns: ``io_scheme`` (``nbs-42``, ``nbs-153``...), ``io_code``, ``name_zh``, ``kind``
    (goods/services), ``section`` (GB/T 4754 section letter), ``gbt_codes`` (space-separated
    GB/T 4754-2017 division or group codes), ``note``.

    Parameters
    ----------
    scheme : str or None
        Keep one IO scheme (``nbs-42``, ``nbs-153``, …); None = all.

    Returns
    -------
    pandas.DataFrame
        One row per IO sector with the columns above.
    """
    path = resources.files("clusteratlas.refdata") / "io_sector_map.csv"
    frame = pd.read_csv(str(path), dtype={"io_code": str, "gbt_codes": str}, keep_default_na=False)
    if scheme is not None:
        frame = frame[frame["io_scheme"] == scheme].reset_index(drop=True)
    return frame


@dataclass(frozen=True, eq=False)
class IOTable:
    """One input–output table in its own money unit (see :attr:`unit`).

    Attributes (sector labels are the table's codes, e.g. ``"01"``…``"42"``):

    * ``Z`` — intermediate flows of the chosen ``block``, rows supplying, columns using;
    * ``x`` — gross output per sector (Series);
    * ``va`` — total value added per sector (Series); ``va_components`` — rows ``VA001``
      compensation of employees, ``VA002`` net taxes on production, ``VA003`` depreciation,
      ``VA004`` operating surplus × sectors;
    * ``final_demand`` — sectors × final-demand columns as published (subtotals such as
      ``TC``/``GCF``/``TFU`` included; of the chosen block's products);
    * ``imports`` — non-competitive: imported products × using sectors (intermediate use of
      imports); competitive: one column ``IM`` (imports per product); ``None`` otherwise;
    * ``sectors`` — metadata indexed by code: ``name_zh``, ``name_en``, ``kind``
      (goods/services), ``section``, ``gbt_codes`` (from ``io_sector_map.csv``);
    * ``unit`` (``万元``) and ``yuan_per_unit`` (1e4).
    """

    name: str
    Z: pd.DataFrame
    x: pd.Series
    va: pd.Series
    va_components: pd.DataFrame
    final_demand: pd.DataFrame
    sectors: pd.DataFrame
    imports: pd.DataFrame | None = None
    layout: Layout = "competitive"
    block: Block = "total"
    scheme: str = ""
    year: int | None = None
    unit: str = "万元"
    yuan_per_unit: float = 1e4
    total_inputs: pd.Series | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, name: str = "china-2020-42", *, block: Block | None = None) -> IOTable:
        """Load a packaged table (``clusteratlas.refdata.io_table_raw(name)``, 万元).

        ``block`` defaults to ``domestic`` for the non-competitive 42-sector tables and
        ``total`` for the competitive 149/153-sector ones (see the module docstring).
        """
        try:
            from clusteratlas import refdata
        except ImportError as exc:  # pragma: no cover - refdata is part of the package
            raise InputError("the packaged reference data module is not available") from exc
        names = list(refdata.io_table_names())
        if name not in names:
            raise InputError(f"unknown IO table {name!r}; packaged tables: {', '.join(names)}")
        return cls.from_raw(refdata.io_table_raw(name), name=name, block=block)

    @classmethod
    def from_raw(
        cls,
        raw: pd.DataFrame,
        *,
        name: str,
        block: Block | None = None,
        unit: str = "万元",
        yuan_per_unit: float = 1e4,
        check: bool = True,
    ) -> IOTable:
        """Parse a table in the NBS/ionet layout (one row per ``Code``, see module docstring).

        Sector columns are the all-digit column names; special rows ``TII``, ``VA001``…
        ``VA004``, ``TVA``, ``TI``; special columns ``TIU``, final-demand columns, ``IM``
        (competitive), ``GO``. With ``check`` the accounting identities are verified
        (total inputs = gross output per sector; value added = total inputs − intermediate
        inputs), raising :class:`AnalysisError` naming the sector if they fail (rel. 1e-6).
        """
        missing = [c for c in ("Code", "GO") if c not in raw.columns]
        if missing:
            raise AnalysisError(f"IO table {name!r}: missing column(s) {missing}")
        frame = raw.copy()
        frame["Code"] = frame["Code"].astype(str).str.strip()
        sector_cols = [c for c in frame.columns if str(c).isdigit()]
        if not sector_cols:
            raise AnalysisError(f"IO table {name!r}: no sector columns (all-digit column names)")
        layout: Layout = "noncompetitive" if "Origin" in frame.columns else "competitive"
        if block is None:
            block = "domestic" if layout == "noncompetitive" else "total"
        if block not in ("domestic", "total"):
            raise InputError(f"block must be 'domestic' or 'total', got {block!r}")
        if layout == "noncompetitive":
            origin = frame["Origin"].astype(str)
            dom = frame[origin == "Domestic"].set_index("Code")
            imp = frame[origin == "Imports"].set_index("Code")
            tot = frame[~origin.isin(["Domestic", "Imports"])].set_index("Code")
        else:
            is_sector = frame["Code"].isin(sector_cols)
            dom = frame[is_sector].set_index("Code")
            imp = None
            tot = frame[~is_sector].set_index("Code")
        if list(dom.index) != sector_cols:
            raise AnalysisError(
                f"IO table {name!r}: sector rows {list(dom.index)[:5]}… do not match the "
                f"sector columns {sector_cols[:5]}…"
            )
        for row in (*VA_ROWS, "TVA", "TI"):
            if row not in tot.index:
                raise AnalysisError(f"IO table {name!r}: missing row {row!r}")
        num = dom[sector_cols].astype(np.float64)
        Z = pd.DataFrame(
            num.to_numpy(),
            index=pd.Index(sector_cols, name="sector"),
            columns=pd.Index(sector_cols, name="sector"),
        )
        x = pd.Series(dom["GO"].astype(np.float64).to_numpy(), index=Z.index, name="output")
        fd_cols = [
            c
            for c in frame.columns
            if c not in META_COLUMNS and c not in sector_cols and c not in ("TIU", "GO", "IM")
        ]
        final_demand = pd.DataFrame(
            dom[fd_cols].astype(np.float64).to_numpy(), index=Z.index, columns=fd_cols
        )
        imports: pd.DataFrame | None = None
        if imp is not None:
            Zm = imp.reindex(sector_cols)[sector_cols].astype(np.float64)
            imports = pd.DataFrame(Zm.to_numpy(), index=Z.index.copy(), columns=Z.columns.copy())
            if block == "total":
                Z = Z + imports
                imp_fd = imp.reindex(sector_cols)[fd_cols].astype(np.float64).to_numpy()
                final_demand = final_demand + imp_fd
        elif "IM" in dom.columns:
            im = dom["IM"].astype(np.float64).to_numpy()
            imports = pd.DataFrame({"IM": im}, index=Z.index.copy())
            if block == "domestic":
                ex = final_demand["EX"].to_numpy() if "EX" in final_demand else 0.0
                absorption = x.to_numpy() - ex + im
                with np.errstate(divide="ignore", invalid="ignore"):
                    share = np.where(absorption > 0, (x.to_numpy() - ex) / absorption, 1.0)
                share = np.clip(share, 0.0, 1.0)
                Z = Z.mul(share, axis=0)
        va_components = pd.DataFrame(
            tot.loc[list(VA_ROWS), sector_cols].astype(np.float64).to_numpy(),
            index=pd.Index(list(VA_ROWS), name="component"),
            columns=Z.columns.copy(),
        )
        va = pd.Series(
            tot.loc["TVA", sector_cols].astype(np.float64).to_numpy(), index=Z.index, name="va"
        )
        ti = pd.Series(
            tot.loc["TI", sector_cols].astype(np.float64).to_numpy(), index=Z.index, name="ti"
        )
        sectors = cls._sector_metadata(dom, sector_cols, _scheme_for(len(sector_cols)))
        match = _NAME.match(name)
        table = cls(
            name=name,
            Z=Z,
            x=x,
            va=va,
            va_components=va_components,
            final_demand=final_demand,
            sectors=sectors,
            imports=imports,
            layout=layout,
            block=block,
            scheme=_scheme_for(len(sector_cols)),
            year=int(match.group(1)) if match else None,
            unit=unit,
            yuan_per_unit=yuan_per_unit,
            total_inputs=ti,
        )
        if check:
            table.check()
        return table

    @classmethod
    def from_long(
        cls, data: Any, *, table: str, block: Block | None = None, yuan: bool = True
    ) -> IOTable:
        """Build from a long ``io_table`` (columns ``table, row, col, value`` [, ``origin``]).

        ``data``: pandas or Ibis (e.g. the workspace's ``io_table``); ``row``/``col`` use the
        raw codes (sector codes, ``VA001``…, ``TVA``, ``TI``; ``TIU``, final-demand codes,
        ``IM``, ``GO``), an optional ``origin`` column ``Domestic``/``Imports``/``TOT``
        marks a non-competitive table. Values in yuan if ``yuan`` (workspace canonical
        unit), else 万元.
        """
        from clusteratlas.analysis._tabular import require_columns, to_pandas

        frame = to_pandas(data)
        require_columns(frame, ["table", "row", "col", "value"], "io_table")
        part = frame[frame["table"].astype(str) == table]
        if part.empty:
            known = sorted(frame["table"].astype(str).unique().tolist())[:10]
            raise InputError(f"no IO table {table!r} in the data; tables: {known}")
        keys = ["row", "origin"] if "origin" in part.columns else ["row"]
        wide = part.pivot_table(index=keys, columns="col", values="value", aggfunc="sum")
        wide = wide.reset_index().rename(columns={"row": "Code", "origin": "Origin"})
        wide.columns = [str(c) for c in wide.columns]
        sector_cols = sorted(c for c in wide.columns if c.isdigit())
        other = [c for c in wide.columns if not c.isdigit()]
        wide = wide[other + sector_cols].fillna({c: 0.0 for c in sector_cols})
        order = {c: i for i, c in enumerate(sector_cols)}
        rank = wide["Code"].astype(str).map(lambda c: order.get(c, len(order)))
        if "Origin" in wide.columns:
            origin_rank = wide["Origin"].map({"Domestic": 0, "Imports": 1}).fillna(2)
            wide = wide.assign(_o=origin_rank, _r=rank).sort_values(["_o", "_r"])
            wide = wide.drop(columns=["_o", "_r"])
        else:
            wide = wide.assign(_r=rank).sort_values("_r").drop(columns="_r")
        return cls.from_raw(
            wide.reset_index(drop=True),
            name=table,
            block=block,
            unit="元" if yuan else "万元",
            yuan_per_unit=1.0 if yuan else 1e4,
        )

    @staticmethod
    def _sector_metadata(dom: pd.DataFrame, codes: list[str], scheme: str) -> pd.DataFrame:
        meta = pd.DataFrame(index=pd.Index(codes, name="sector"))
        meta["name_zh"] = (
            dom["DescriptionInChinese"].astype(str).reindex(codes).to_numpy()
            if "DescriptionInChinese" in dom
            else ""
        )
        meta["name_en"] = (
            dom["Description"].astype(str).reindex(codes).to_numpy() if "Description" in dom else ""
        )
        mapping = sector_map(scheme)
        if len(mapping):
            mp = mapping.set_index("io_code")
            for col in ("kind", "section", "gbt_codes"):
                meta[col] = mp[col].reindex(codes).to_numpy()
            if "name_zh" in mp:
                empty = meta["name_zh"].isin(["", "nan"])
                meta.loc[empty, "name_zh"] = mp["name_zh"].reindex(codes)[empty.to_numpy()]
        return meta

    # ------------------------------------------------------------------ checks

    def check(self, rtol: float = 1e-6) -> None:
        """Verify total inputs = gross output and VA = total inputs − intermediate inputs.

        For the domestic block of a non-competitive table, intermediate inputs are domestic
        plus imported (``Z + imports``). Raises :class:`AnalysisError` naming the sector.
        """
        x = self.x.to_numpy()
        if self.total_inputs is not None:
            ti = self.total_inputs.to_numpy()
            gap = np.abs(ti - x) / np.maximum(np.abs(x), 1.0)
            if (gap > rtol).any():
                bad = self.x.index[gap > rtol][0]
                raise AnalysisError(
                    f"IO table {self.name!r}: total inputs ≠ gross output for sector {bad!r}"
                )
        inter = self.Z.to_numpy().sum(axis=0)
        if (
            self.layout == "noncompetitive"
            and self.block == "domestic"
            and self.imports is not None
        ):
            inter = inter + self.imports.to_numpy().sum(axis=0)
        if self.layout == "competitive" and self.block == "domestic":
            return  # estimated domestic block: imported inputs are not separately published
        gap = np.abs(inter + self.va.to_numpy() - x) / np.maximum(np.abs(x), 1.0)
        if (gap > rtol).any():
            bad = self.x.index[gap > rtol][0]
            raise AnalysisError(
                f"IO table {self.name!r}: intermediate inputs + value added ≠ gross output "
                f"for sector {bad!r}"
            )

    # ------------------------------------------------------------------ matrices

    @cached_property
    def A(self) -> pd.DataFrame:
        """Technical coefficients ``Z x̂⁻¹`` of the chosen block (yuan per yuan)."""
        return iomath.technical_coefficients(self.Z, self.x)

    @cached_property
    def L(self) -> pd.DataFrame:
        """Leontief inverse ``(I − A)⁻¹``."""
        return iomath.leontief_inverse(self.A)

    @cached_property
    def B(self) -> pd.DataFrame:
        """Ghosh allocation coefficients ``x̂⁻¹ Z``."""
        return iomath.allocation_coefficients(self.Z, self.x)

    @cached_property
    def G(self) -> pd.DataFrame:
        """Ghosh inverse ``(I − B)⁻¹``."""
        return iomath.ghosh_inverse(self.B)

    # ------------------------------------------------------------------ results

    def multipliers(self, employment: pd.Series | None = None) -> pd.DataFrame:
        """Multipliers per unit of final demand for each sector's product.

        Columns: ``output_multiplier`` (output in all sectors, yuan per yuan),
        ``value_added_multiplier`` (value added, yuan per yuan; ≤ 1, the rest leaks to
        imports when the block is domestic), ``value_added_type1`` (that divided by the
        sector's own value-added coefficient), ``import_multiplier`` (non-competitive
        domestic block: imported intermediate inputs, yuan per yuan), and with
        ``employment`` (persons per sector, same year) ``employment_multiplier`` in persons
        per million yuan of final demand.
        """
        L = self.L
        x = self.x.to_numpy()
        present = x > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            v = pd.Series(
                np.where(present, self.va.to_numpy() / np.where(present, x, 1), 0.0),
                index=self.x.index,
            )
        out = pd.DataFrame(index=self.x.index)
        out["output_multiplier"] = iomath.output_multipliers(L)
        out["value_added_multiplier"] = iomath.input_multipliers(L, v)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["value_added_type1"] = np.where(
                v.to_numpy() > 0, out["value_added_multiplier"] / v.replace(0, np.nan), np.nan
            )
        if (
            self.layout == "noncompetitive"
            and self.block == "domestic"
            and self.imports is not None
        ):
            m = self.imports.to_numpy().sum(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                mc = pd.Series(
                    np.where(present, m / np.where(present, x, 1), 0.0), index=self.x.index
                )
            out["import_multiplier"] = iomath.input_multipliers(L, mc)
        if employment is not None:
            emp = employment.reindex(self.x.index).astype(np.float64)
            if emp.isna().any():
                missing = emp.index[emp.isna()].tolist()[:5]
                raise AnalysisError(f"employment is missing for sector(s) {missing}")
            per_yuan = emp.to_numpy() / (np.where(present, x, 1) * self.yuan_per_unit)
            per_yuan = np.where(present, per_yuan, 0.0)
            out["employment_multiplier"] = (
                iomath.input_multipliers(L, pd.Series(per_yuan, index=self.x.index)) * 1e6
            )
        return out

    def employment(self, year: int | None = None) -> pd.Series:
        """Employed persons per sector from the packaged NBS series (``refdata``), in persons.

        The series (1990–2018) is published per GB/T 4754 division under ionet's own codes
        (``A01``… = the divisions of section A in code order; sections with a single
        division, e.g. K, P, carry only the section code). Divisions are summed into this
        table's sectors through ``gbt_codes``; that needs sectors made of whole divisions
        (the 42-sector scheme). ``year`` defaults to the table's year (2017, 2018 here).
        """
        from clusteratlas import refdata

        year = self.year if year is None else year
        series = refdata.employment_by_sector()
        series = series[series["year"] == year]
        if year is None or series["value"].notna().sum() == 0:
            years = sorted(refdata.employment_by_sector()["year"].unique().tolist())
            raise AnalysisError(
                f"no employment by sector for year {year} (available {years[0]}–{years[-1]}); "
                "pass employment=... to multipliers() instead"
            )
        if "gbt_codes" not in self.sectors:
            raise AnalysisError(f"IO table {self.name!r} has no GB/T mapping for employment")
        codes = self.sectors["gbt_codes"].fillna("").astype(str).str.split()
        if not all(len(c) == 2 for cs in codes for c in cs):
            raise AnalysisError(
                f"IO table {self.name!r}: employment is published per GB/T division but this "
                "scheme splits divisions between sectors; use a 42-sector table"
            )
        industries = refdata.industries()
        divisions = industries[industries["level"] == "division"].sort_values("code")
        rank = divisions.groupby("parent").cumcount() + 1
        per_section = divisions.groupby("parent")["code"].transform("count")
        ionet_code = np.where(
            per_section.to_numpy() == 1,
            divisions["parent"].to_numpy(),
            divisions["parent"].to_numpy().astype(str) + rank.map("{:02d}".format).to_numpy(),
        )
        by_code = series.set_index("code")["value"]
        division_emp = pd.Series(
            by_code.reindex(ionet_code).to_numpy(), index=divisions["code"].to_numpy()
        )
        pairs = codes.explode().dropna()
        values = division_emp.reindex(pairs.to_numpy())
        if values.isna().any():
            missing = sorted(set(pairs[values.isna().to_numpy()].tolist()))[:5]
            raise AnalysisError(f"employment missing for GB/T division(s) {missing} in {year}")
        out = pd.Series(values.to_numpy(), index=pairs.index).groupby(level=0).sum()
        return out.reindex(self.x.index).rename("employment")

    def linkages(self) -> pd.DataFrame:
        """:func:`~clusteratlas.analysis.linkages.linkages` of this table, output in yuan."""
        out = iomath.linkages(self.Z, self.x)
        out["output"] = out["output"] * self.yuan_per_unit
        return out

    def service_intensity(self, manufacturing_only: bool = False) -> pd.DataFrame:
        """:func:`~clusteratlas.analysis.linkages.service_intensity` with the sector kinds.

        ``manufacturing_only`` keeps GB/T section C sectors (metadata ``section``).
        """
        if "kind" not in self.sectors or self.sectors["kind"].isna().any():
            raise AnalysisError(
                f"IO table {self.name!r}: sector kinds (goods/services) are unknown for scheme "
                f"{self.scheme!r}; add it to io_sector_map.csv"
            )
        out = iomath.service_intensity(self.A, self.L, self.sectors["kind"])
        if manufacturing_only:
            out = out[(self.sectors["section"].reindex(out.index) == "C").to_numpy()]
        return out

    def sector_results(self) -> pd.DataFrame:
        """One row per sector: metadata, output (yuan), linkages, multipliers, service intensity.

        ``employment_multiplier`` (persons per million yuan of final demand) is included when
        :meth:`employment` has a same-year series for this table (42-sector 2017, 2018).
        """
        meta = self.sectors[
            [c for c in ("name_zh", "name_en", "kind", "section") if c in self.sectors]
        ]
        try:
            employment: pd.Series | None = self.employment()
        except AnalysisError:
            employment = None  # no same-year series, or a scheme that splits divisions
        parts = [meta, self.linkages(), self.multipliers(employment=employment)]
        if "kind" in self.sectors and not self.sectors["kind"].isna().any():
            si = self.service_intensity()
            parts.append(
                si[["direct", "total"]].rename(
                    columns={"direct": "service_direct", "total": "service_total"}
                )
            )
        out = pd.concat(parts, axis=1)
        out.index.name = "sector"
        return out
