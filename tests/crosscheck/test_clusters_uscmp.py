"""U.S. Cluster Mapping conventions, checked against USCMP-derived national figures.

``shared/data/us_clusters/cluster_list.csv`` (see its SOURCES.md) holds each of the 67
USCMP clusters' implied 2016 national employment and its implied share of national
**traded** or **local** employment, both derived from USCMP's published state rows
(national share = published share of region type employment / published LQ). Passing the
national column as ``national`` with ``group = cluster_type`` must reproduce those published
shares in the LQ denominator, and the type totals 45,242,110 (traded) and 81,486,210 (local).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusteratlas.analysis.clusters import location_quotient


@pytest.fixture(scope="module")
def clusters(shared_data: Path) -> pd.DataFrame:
    """``shared/data/us_clusters/cluster_list.csv`` (found by the suite's ``shared_data``)."""
    return pd.read_csv(shared_data / "us_clusters" / "cluster_list.csv")


def _national(clusters: pd.DataFrame) -> pd.DataFrame:
    return clusters.rename(columns={"cluster_code": "cluster", "national_emp_2016_implied": "emp"})[
        ["cluster", "cluster_type", "emp"]
    ]


def test_type_totals_are_the_published_ones(clusters: pd.DataFrame) -> None:
    totals = clusters.groupby("cluster_type").national_emp_2016_implied.sum()
    # implied totals (rounded per cluster): traded 45,242,110; local 81,486,210 persons
    assert totals["traded"] == pytest.approx(45_242_110, abs=5)
    assert totals["local"] == pytest.approx(81_486_210, abs=5)


def test_lq_with_national_reproduces_published_type_shares(clusters: pd.DataFrame) -> None:
    rng = np.random.default_rng(2016)
    region = pd.DataFrame(
        {
            "state": "XX",
            "cluster": clusters.cluster_code,
            "cluster_type": clusters.cluster_type,
            "emp": rng.integers(100, 50_000, size=len(clusters)).astype(float),
        }
    )
    out = location_quotient(
        region,
        region="state",
        industry="cluster",
        value="emp",
        group="cluster_type",
        national=_national(clusters),
    )
    # independent expectation: region share of its own type's employment divided by the
    # published national share of type employment
    type_total = region.groupby("cluster_type").emp.transform("sum")
    expected = (region.emp / type_total) / clusters.national_share_of_type_emp_implied
    np.testing.assert_allclose(out.lq.to_numpy(), expected.to_numpy(), rtol=1e-6)
    # traded LQs ignore local employment (the USCMP convention): triple one local cluster
    first_local = region.index[region.cluster_type == "local"][0]
    bumped = region.assign(emp=np.where(region.index == first_local, region.emp * 3, region.emp))
    out2 = location_quotient(
        bumped,
        region="state",
        industry="cluster",
        value="emp",
        group="cluster_type",
        national=_national(clusters),
    )
    traded = (region.cluster_type == "traded").to_numpy()
    np.testing.assert_allclose(out2.lq.to_numpy()[traded], out.lq.to_numpy()[traded])
    assert not np.allclose(out2.lq.to_numpy()[~traded], out.lq.to_numpy()[~traded])


def test_region_mirroring_the_nation_has_lq_one(clusters: pd.DataFrame) -> None:
    # a state with 2 % of every national cluster: LQ = 1 for traded and local clusters alike
    nat = _national(clusters)
    state = nat.assign(state="mirror", emp=nat.emp * 0.02)
    other = nat.assign(state="other", emp=nat.emp * 0.5 * (1 + (nat.cluster % 3)))
    data = pd.concat([state, other], ignore_index=True)
    out = location_quotient(
        data, region="state", industry="cluster", value="emp", group="cluster_type", national=nat
    )
    np.testing.assert_allclose(out[out.state == "mirror"].lq, 1.0, rtol=1e-12)
    # without the national file, the "other" state's distortions move the mirror's LQs
    own = location_quotient(data, region="state", industry="cluster", value="emp")
    assert not np.allclose(own[own.state == "mirror"].lq, 1.0, rtol=1e-3)
