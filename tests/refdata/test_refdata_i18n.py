"""Every level and region group the reference data introduces has zh/en labels."""

from __future__ import annotations

from clusteratlas import refdata
from clusteratlas.i18n import catalogue, t


def test_labels_exist_in_both_languages() -> None:
    labels = catalogue()
    keys = [f"industry_level.{lvl}" for lvl in refdata.industries()["level"].unique()]
    keys += [f"region_level.{lvl}" for lvl in refdata.regions()["level"].unique()]
    keys += [f"region_group.{g}" for g in refdata.region_group_info()["group"]]
    keys += [f"region_role.{r}" for r in refdata.region_groups()["role"].unique()]
    keys += [f"fact.flag.{f}" for f in refdata.beijing_facts()["flag"].unique() if f]
    missing = [k for k in keys if k not in labels]
    assert not missing
    assert t("region_group.jingjinji", "zh") == "京津冀"
    assert t("industry_level.class", "en") == "Class"


def test_approximate_groups_say_so_in_their_labels() -> None:
    info = refdata.region_group_info()
    for group in info.loc[info["approximate"], "group"]:
        assert "近似" in t(f"region_group.{group}", "zh")
        assert "approx" in t(f"region_group.{group}", "en")
