"""U.S. Cluster Mapping definitions as packaged."""

from __future__ import annotations

from clusteratlas import refdata


def test_crosswalk_counts() -> None:
    cw = refdata.us_cluster_crosswalk()
    assert len(cw) == 992
    std = refdata.us_cluster_crosswalk(standard_only=True)
    assert len(std) == 955
    assert std["naics2012"].str.fullmatch(r"\d{6}").all()
    typed = std[std["cluster_type"] != ""]
    assert typed["cluster_type"].value_counts().to_dict() == {"traded": 660, "local": 295}
    assert typed.loc[typed["cluster_code"] != "", "cluster_code"].nunique() == 67
    # 814110 (private households) is the one standard code without a cluster
    assert typed.loc[typed["cluster_code"] == "", "naics2012"].tolist() == ["814110"]


def test_list_and_linkages_consistent() -> None:
    clusters = refdata.us_cluster_list()
    assert len(clusters) == 67
    assert clusters["cluster_type"].value_counts().to_dict() == {"traded": 51, "local": 16}
    totals = clusters.groupby("cluster_type")["national_emp_2016_implied"].sum()
    assert abs(totals["traded"] - 45_242_110) <= 5
    assert abs(totals["local"] - 81_486_210) <= 5
    links = refdata.us_cluster_linkages()
    assert len(links) == 203
    assert links["core_code"].isin(clusters["cluster_code"]).all()
    assert links["linked_code"].isin(clusters["cluster_code"]).all()
    assert set(links["strength"]) <= {"very strong", "strong", "lower"}
    for name in ("us_cluster_crosswalk", "us_cluster_list", "us_cluster_linkages"):
        assert "clustermapping.us" in refdata.provenance(name)["license"]
