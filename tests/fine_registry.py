"""A small fine-grain registry (region × four-digit industry) and hand-written references of
the cluster monitor on it, shared by ``tests/analysis/test_monitor_fine.py`` and the Spark
parity test.

A small registry with the perf anchor's shape (``../shared/perf_anchor/gen_registry.py``:
Zipf regions and industries, balanced firm × year panel) plus the edge cases the fast plan must
keep: a gap year (no YoY across it), unclassified firms (NULL cluster; they count in the region
totals only), a NULL region, a zero previous value. ``monitor`` with ``region_totals`` = the
panel itself (the one-scan path) must equal hand-written DuckDB SQL (windows + LAG), an
independent pandas version, and ``monitor`` with the same totals given as a separate table.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from clusteratlas.analysis.clusters import monitor

LEVELS = [("trillion", 1e12), ("hundred_billion", 1e10)]
MEASURES = ["revenue", "employees", "rd_spend"]
FLOWS = [*MEASURES, "firms"]

REFERENCE_SQL = """
WITH a AS (
  SELECT cluster, region, year, sum(revenue) AS revenue, sum(employees) AS employees,
         sum(rd_spend) AS rd_spend, count(firm_id) AS firms
  FROM panel GROUP BY ALL),
r AS (SELECT region, year, sum(employees) AS e_r FROM a GROUP BY ALL)
SELECT a.*,
  CASE WHEN lag(a.year) OVER w = a.year - 1
       THEN a.revenue / nullif(lag(a.revenue) OVER w, 0) - 1 END AS revenue_yoy,
  CASE WHEN lag(a.year) OVER w = a.year - 1
       THEN a.employees / nullif(lag(a.employees) OVER w, 0) - 1 END AS employees_yoy,
  CASE WHEN lag(a.year) OVER w = a.year - 1
       THEN a.rd_spend / nullif(lag(a.rd_spend) OVER w, 0) - 1 END AS rd_spend_yoy,
  CASE WHEN lag(a.year) OVER w = a.year - 1
       THEN a.firms / nullif(lag(a.firms) OVER w, 0) - 1 END AS firms_yoy,
  (a.employees / r.e_r)
    / (sum(a.employees) OVER (PARTITION BY a.cluster, a.year)
       / (SELECT sum(e_r) FROM r WHERE r.year = a.year)) AS lq
FROM a LEFT JOIN r ON r.region = a.region AND r.year = a.year
WHERE a.cluster IS NOT NULL
WINDOW w AS (PARTITION BY a.cluster, a.region ORDER BY a.year)
ORDER BY a.cluster, a.region, a.year
"""


def registry(firms: int = 3_000, seed: int = 7) -> pd.DataFrame:
    """A small fine-grain registry: one row per firm × year, ``cluster`` = the industry."""
    rng = np.random.default_rng(seed)
    n_regions, n_industries, years = 40, 60, [2019, 2020, 2021, 2022, 2023]
    cdf_r = np.cumsum(1 / np.arange(1, n_regions + 1))
    cdf_i = np.cumsum(1 / np.arange(1, n_industries + 1) ** 0.9)
    region = np.searchsorted(cdf_r / cdf_r[-1], rng.random(firms))
    industry = np.searchsorted(cdf_i / cdf_i[-1], rng.random(firms))
    base = rng.lognormal(13.0, 1.6, firms)
    frames = []
    for k, y in enumerate(years):
        revenue = base * np.exp(rng.normal(0.03 * k, 0.15, firms))
        frames.append(
            pd.DataFrame(
                {
                    "firm_id": np.arange(firms),
                    "year": y,
                    "region": (110000 + region).astype(str),
                    "cluster": (1000 + industry).astype(str),
                    "revenue": revenue,
                    "employees": np.maximum(1, np.rint(revenue / 150_000)),
                    "rd_spend": np.where(rng.random(firms) < 0.25, revenue * 0.03, 0.0),
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    df.loc[df.firm_id % 11 == 0, "cluster"] = None  # unclassified: region totals only
    df = df[~((df.cluster == "1005") & (df.year == 2021))]  # a gap year: no YoY across it
    df.loc[(df.firm_id % 97 == 1) & (df.year >= 2022), "region"] = None  # a NULL region
    df.loc[(df.cluster == "1003") & (df.year == 2020), "rd_spend"] = 0.0  # zero previous value
    return df.reset_index(drop=True)


def by_hand_pandas(panel: pd.DataFrame) -> pd.DataFrame:
    """Independent pandas version (groupby, transform, shift), from the docstring."""
    keys = ["cluster", "region", "year"]
    all_rows = panel.groupby(keys, as_index=False, dropna=False).agg(
        revenue=("revenue", "sum"),
        employees=("employees", "sum"),
        rd_spend=("rd_spend", "sum"),
        firms=("firm_id", "count"),
    )
    e_r = panel.groupby(["region", "year"]).employees.sum().rename("e_r")
    e = panel.groupby("year").employees.sum().rename("e")
    out = all_rows.dropna(subset=["cluster"]).sort_values(keys).reset_index(drop=True)
    e_c = out.groupby(["cluster", "year"]).employees.sum().rename("e_c")
    out = out.join(e_r, on=["region", "year"]).join(e_c, on=["cluster", "year"]).join(e, on="year")
    out["lq"] = (out.employees / out.e_r) / (out.e_c / out.e)
    g = out.groupby(["cluster", "region"], dropna=False)
    consecutive = g.year.shift() == out.year - 1
    for m in FLOWS:
        prev = g[m].shift().replace(0, np.nan)
        out[f"{m}_yoy"] = (out[m] / prev - 1).where(consecutive)
    return out


def ours(panel: pd.DataFrame, *, separate_totals: bool = False) -> pd.DataFrame:
    con = ibis.duckdb.connect()
    t = con.create_table("panel", panel)
    totals = (
        con.create_table("totals", panel[["region", "year", "employees"]])
        if (separate_totals)
        else t
    )
    out = monitor(t, measures=MEASURES, levels=LEVELS, region_totals=totals, lazy=True)
    return out.to_pyarrow().to_pandas()


def assert_same(got: pd.DataFrame, exp: pd.DataFrame) -> None:
    assert len(got) == len(exp)
    for key in ("cluster", "region"):
        assert got[key].fillna("∅").tolist() == exp[key].fillna("∅").tolist()
    assert got.year.tolist() == exp.year.tolist()
    for col in [*MEASURES, "lq", *(f"{m}_yoy" for m in FLOWS)]:
        np.testing.assert_allclose(
            got[col].to_numpy(float), exp[col].to_numpy(float), rtol=1e-9, err_msg=col
        )
    np.testing.assert_array_equal(got.firms.to_numpy(), exp.firms.to_numpy())
