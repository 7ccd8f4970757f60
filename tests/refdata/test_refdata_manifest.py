"""Manifest and provenance: every packaged file is listed, hashed and sourced."""

from __future__ import annotations

import gzip
import hashlib
import io
from importlib import resources

import pandas as pd
import pytest

from clusteratlas import refdata
from clusteratlas.errors import InputError

REQUIRED = {
    "file",
    "source_path",
    "upstream",
    "license",
    "rows",
    "sha256",
    "build_date",
    "transforms",
}


def packaged(rel: str) -> bytes:
    node = resources.files("clusteratlas.refdata") / "data"
    for part in rel.split("/"):
        node = node / part
    return node.read_bytes()


def test_every_entry_complete_and_hash_matches() -> None:
    datasets = refdata.manifest()["datasets"]
    assert len(datasets) == 20  # 11 tables (zones: issue 12) + 6 IO tables + 3 provincial
    for name, entry in datasets.items():
        assert set(entry) >= REQUIRED, name
        data = packaged(entry["file"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
        text = gzip.decompress(data) if entry["file"].endswith(".gz") else data
        frame = pd.read_csv(io.BytesIO(text), dtype=str, keep_default_na=False)
        assert len(frame) == entry["rows"], name
        assert entry["license"] and entry["transforms"] and entry["upstream"], name


def test_no_unlisted_data_files() -> None:
    listed = {e["file"] for e in refdata.manifest()["datasets"].values()}
    root = resources.files("clusteratlas.refdata") / "data"
    found = {
        f"{folder.name}/{item.name}"
        for folder in root.iterdir()
        if folder.is_dir()
        for item in folder.iterdir()
        if item.is_file()
    }
    assert found == listed


def test_loader_row_counts_match_manifest() -> None:
    pairs = {
        "industries": refdata.industries(),
        "regions": refdata.regions(),
        "region_groups": refdata.region_groups(),
        "beijing_facts": refdata.beijing_facts(),
        "employment_by_sector": refdata.employment_by_sector(),
        "us_cluster_crosswalk": refdata.us_cluster_crosswalk(),
    }
    for name, frame in pairs.items():
        assert len(frame) == refdata.provenance(name)["rows"], name
    for name in refdata.io_table_names():
        assert len(refdata.io_table_raw(name)) == refdata.provenance(name)["rows"]


def test_provenance_lookup() -> None:
    prov = refdata.provenance("china-2020-42")
    assert prov["name"] == "china-2020-42"
    assert prov["upstream"]["commit"] == "51145dcab476e75783af41a688488db1a4abeb56"
    assert prov["source_path"] == "china_io/io_2020_42.csv"
    assert prov["source"] == "shared/data/china_io/io_2020_42.csv"
    assert prov["url"] == "https://github.com/Carol-seven/ionet"
    assert prov["commit"] == "51145dcab476e75783af41a688488db1a4abeb56"
    assert refdata.provenance("industries")["name"] == "gbt4754-2017"
    assert refdata.provenance("beijing_facts")["source_path"] == "beijing/facts_official.csv"
    prov["rows"] = -1  # a copy: the manifest is not changed
    assert refdata.provenance("china-2020-42")["rows"] == 91
    with pytest.raises(InputError, match="unknown reference dataset"):
        refdata.provenance("nope")


def test_sources_md_names_every_dataset() -> None:
    text = (resources.files("clusteratlas.refdata") / "SOURCES.md").read_text(encoding="utf-8")
    for name in refdata.manifest()["datasets"]:
        if not name.startswith("china-"):
            assert f"`{name}`" in text, name
    assert "clustermapping.us" in text
    assert "APPROXIMATION" in text


def test_provincial_aggregates_keep_the_two_gdp_vintages_apart() -> None:
    both = refdata.province_gdp("post-revision"), refdata.province_gdp("pre-revision")
    assert [set(f["vintage"]) for f in both] == [{"post-revision"}, {"pre-revision"}]
    for frame in both:
        assert frame["region"].nunique() == 31 and (frame["unit"] == "yuan").all()
    bj = {v: f.set_index(["region", "year"])["value"] for v, f in zip("BA", both, strict=True)}
    assert bj["A"][("110000", 2023)] == pytest.approx(43_760.7e8)  # SOURCES.md check figures
    assert bj["B"][("110000", 2023)] == pytest.approx(47_353.7e8)
    with pytest.raises(ValueError, match="vintage"):
        refdata.province_gdp("mixed")
    ht = refdata.province_high_tech()
    assert 2017 not in set(ht["year"]) and {"enterprises", "revenue"} <= set(ht["measure"])
    assert (refdata.province_employment()["unit"] == "persons").all()
    assert refdata.provenance("province_gdp")["source"].endswith("two_vintages.csv")
