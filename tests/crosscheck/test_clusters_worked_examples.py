"""Cluster-monitor formulas against published worked examples (not against our own code).

Shift-share and LQ: the "Holukuluku" shift & share table of G. Krumme, University of
Washington, Geography 350 ("Shift & Share Table with Excel Explanations",
http://faculty.washington.edu/krumme/350/ssexcel.html). The region has four industries with
employment 500/100/200/200 (1985) and 1000/100/250/280 (1995); the nation's 1985 composition is
10/20/40/30 % and its industries grew 10/20/30/40 % (29 % overall). Published results:
LQ 5, 0.5, 0.5, 0.667; national growth effect 290; differential (regional) effects
450, −20, −10, 0 (net 420); composition (industry-mix) effects −95, −9, 2, 22 (net −80, the
table prints magnitudes); total change 630.

Our ``shift_share`` takes national growth from the sum of the regions in the table, so the
nation is represented as Holukuluku plus a "rest of nation" region chosen so that the
national totals have exactly the published composition and growth rates (nation 1985 =
10 000 employees: 1000/2000/4000/3000; 1995: 1100/2400/5200/4200).

Ellison–Glaeser γ and the locational Gini: hand computations from the original formulas
(Ellison & Glaeser 1997, JPE 105(5) p. 889ff., eq. for γ; Krugman 1991, Geography and Trade,
App. D) written out in the comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusteratlas.analysis.clusters import (
    ellison_glaeser,
    location_quotient,
    locational_gini,
    shift_share,
)

INDUSTRIES = ["I", "II", "III", "IV"]
HOLU_1985 = [500, 100, 200, 200]
HOLU_1995 = [1000, 100, 250, 280]
NATION_1985 = [1000, 2000, 4000, 3000]
NATION_1995 = [1100, 2400, 5200, 4200]


def _krumme_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    rest_0 = [n - h for n, h in zip(NATION_1985, HOLU_1985, strict=True)]
    rest_1 = [n - h for n, h in zip(NATION_1995, HOLU_1995, strict=True)]
    start = pd.DataFrame(
        {
            "region": ["Holukuluku"] * 4 + ["rest"] * 4,
            "industry": INDUSTRIES * 2,
            "employees": HOLU_1985 + rest_0,
        }
    )
    end = start.assign(employees=HOLU_1995 + rest_1)
    return start, end


def test_shift_share_matches_krumme_holukuluku_table() -> None:
    start, end = _krumme_tables()
    out = shift_share(start, end, region="region", industry="industry", value="employees")
    h = out[out.region == "Holukuluku"].set_index("industry").loc[INDUSTRIES]
    # published national growth effect: 1000 · 29 % = 290 in total, per industry e0 · 0.29
    np.testing.assert_allclose(h["national"], [145, 29, 58, 58], atol=1e-9)
    assert h["national"].sum() == pytest.approx(290)
    # published composition (industry-mix) effects, signed: −95, −9, +2, +22; net −80
    np.testing.assert_allclose(h["industry_mix"], [-95, -9, 2, 22], atol=1e-9)
    assert h["industry_mix"].sum() == pytest.approx(-80)
    # published differential (regional / competitive) effects 450, −20, −10, 0; net 420
    np.testing.assert_allclose(h["regional"], [450, -20, -10, 0], atol=1e-9)
    assert h["regional"].sum() == pytest.approx(420)
    # total regional growth 630 = 290 − 80 + 420 (persons)
    assert h["actual"].sum() == pytest.approx(630)
    np.testing.assert_allclose(h["start"], HOLU_1985)
    np.testing.assert_allclose(h["end"], HOLU_1995)


def test_location_quotient_matches_krumme_column_3() -> None:
    start, _ = _krumme_tables()
    out = location_quotient(start, region="region", industry="industry", value="employees")
    h = out[out.region == "Holukuluku"].set_index("industry").loc[INDUSTRIES]
    # published "Loc Quot" column: 5, 0.5, 0.5, .667
    np.testing.assert_allclose(h["lq"], [5.0, 0.5, 0.5, 0.667], atol=5e-4)
    # the rows come back in input order for pandas input
    assert list(out.region) == list(start.region)
    assert list(out.industry) == list(start.industry)


# Hand example for EG and the locational Gini. Employees (persons):
#   industry A: firm f1 in r1 30, f2 in r1 10         (industry total 40)
#   industry B: firm f3 in r2 40, f4 in r3 20         (industry total 60)
# total 100 → x = (r1 .4, r2 .4, r3 .2), Σx² = .36
FIRMS = pd.DataFrame(
    {
        "industry": ["A", "A", "B", "B"],
        "region": ["r1", "r1", "r2", "r3"],
        "firm": ["f1", "f2", "f3", "f4"],
        "employees": [30, 10, 40, 20],
    }
)


def test_ellison_glaeser_hand_computed() -> None:
    out = ellison_glaeser(
        FIRMS, industry="industry", region="region", firm="firm", value="employees"
    ).set_index("industry")
    # A: s = (1, 0, 0): G = .6² + .4² + .2² = .56; H = .75² + .25² = .625
    #    γ = (.56/.64 − .625) / (1 − .625) = (.875 − .625)/.375 = 2/3
    assert out.loc["A", "eg_g"] == pytest.approx(0.56)
    assert out.loc["A", "eg_h"] == pytest.approx(0.625)
    assert out.loc["A", "gamma"] == pytest.approx(2 / 3)
    # B: s = (0, 2/3, 1/3): G = .16 + (4/15)² + (2/15)² = .16 + 20/225; H = 5/9
    #    γ = (7/18 − 10/18) / (4/9) = −3/8
    assert out.loc["B", "eg_g"] == pytest.approx(0.16 + 20 / 225)
    assert out.loc["B", "eg_h"] == pytest.approx(5 / 9)
    assert out.loc["B", "gamma"] == pytest.approx(-0.375)
    assert out.loc["A", "n_firms"] == 2


def test_locational_gini_hand_computed() -> None:
    out = locational_gini(FIRMS, region="region", industry="industry", value="employees").set_index(
        "industry"
    )
    # A sits only in r1 (x = .4): Lorenz area sum = .4·(1 + 0) → Gini = .6
    #   mean-difference form: ½ΣΣ x_r x_q |LQ_r − LQ_q| with LQ = (2.5, 0, 0) → .16·2.5 + .08·2.5
    assert out.loc["A", "gini"] == pytest.approx(0.6)
    # B: LQ = (0, 5/3, 5/3): .4·(2/3) + .2·(1 + 2/3) = .6 → Gini = .4
    assert out.loc["B", "gini"] == pytest.approx(0.4)
    assert out.loc["B", "n_regions"] == 2


def test_locational_gini_equals_mean_difference_form_on_random_data() -> None:
    rng = np.random.default_rng(7)
    n_reg, n_ind = 9, 5
    emp = rng.integers(0, 50, size=(n_reg, n_ind)).astype(float)
    emp[rng.random(size=emp.shape) < 0.3] = 0.0
    emp[:, 0] += 1.0  # every region has some activity
    df = pd.DataFrame(
        [
            {"region": f"r{r}", "industry": f"i{i}", "v": emp[r, i]}
            for r in range(n_reg)
            for i in range(n_ind)
        ]
    )
    out = locational_gini(df, region="region", industry="industry", value="v").set_index("industry")
    x = emp.sum(axis=1) / emp.sum()
    for i in range(n_ind):
        if emp[:, i].sum() == 0:
            continue
        lq = (emp[:, i] / emp[:, i].sum()) / x
        expected = 0.5 * np.sum(np.outer(x, x) * np.abs(lq[:, None] - lq[None, :]))
        assert out.loc[f"i{i}", "gini"] == pytest.approx(expected, abs=1e-12)
