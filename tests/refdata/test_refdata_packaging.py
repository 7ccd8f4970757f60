"""Loaders read only packaged files, fast, and hand out copies of their cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from clusteratlas import refdata

PACKAGE = Path(refdata.__file__).resolve().parents[1]

LOADERS: dict[str, Callable[[], pd.DataFrame]] = {
    "industries": refdata.industries,
    "high_tech_manufacturing": refdata.high_tech_manufacturing,
    "regions": refdata.regions,
    "region_groups": refdata.region_groups,
    "region_group_info": refdata.region_group_info,
    "beijing_facts": refdata.beijing_facts,
    "employment_by_sector": refdata.employment_by_sector,
    "us_cluster_crosswalk": refdata.us_cluster_crosswalk,
    "us_cluster_list": refdata.us_cluster_list,
    "us_cluster_linkages": refdata.us_cluster_linkages,
    "io_table_raw": lambda: refdata.io_table_raw("china-2020-42"),
}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_callers_cannot_mutate_the_cache(name: str) -> None:
    load = LOADERS[name]
    first = load()
    expected = first.copy()
    first.iloc[0, 0] = first.iloc[1, 0]
    first.drop(index=first.index[-1], inplace=True)
    pd.testing.assert_frame_equal(load(), expected)


def test_works_from_a_copy_outside_the_repository(tmp_path: Path) -> None:
    """An installed copy of the package (no ../shared beside it) loads every dataset."""
    site = tmp_path / "site"
    shutil.copytree(PACKAGE, site / "clusteratlas", ignore=shutil.ignore_patterns("__pycache__"))
    code = (
        "import clusteratlas.refdata as r, sys\n"
        "assert r.__file__.startswith(sys.argv[1]), r.__file__\n"
        "n = [len(r.industries()), len(r.regions()), len(r.beijing_facts()),"
        " len(r.region_groups()), len(r.employment_by_sector()),"
        " sum(len(r.io_table_raw(t)) for t in r.io_table_names())]\n"
        "print(n)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    result = subprocess.run(
        [sys.executable, "-c", code, str(site)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    expected = [
        len(refdata.industries()),
        len(refdata.regions()),
        len(refdata.beijing_facts()),
        len(refdata.region_groups()),
        len(refdata.employment_by_sector()),
        sum(len(refdata.io_table_raw(t)) for t in refdata.io_table_names()),
    ]
    assert expected[:3] == [1971, 3213, 202]
    assert result.stdout.strip() == str(expected)
