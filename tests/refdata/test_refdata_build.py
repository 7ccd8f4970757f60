"""scripts/build_refdata.py is deterministic and reproduces the packaged files byte for byte."""

from __future__ import annotations

import gzip
import importlib.util
import sys
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusteratlas import refdata

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_refdata.py"


@pytest.fixture(scope="module")
def build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_refdata", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_refdata"] = module
    spec.loader.exec_module(module)
    return module


def test_rebuild_is_byte_identical(build: ModuleType, shared_data: Path, tmp_path: Path) -> None:
    date = refdata.manifest()["build_date"]
    assert (
        build.main(
            ["--shared", str(shared_data), "--out", str(tmp_path / "a"), "--build-date", date],
            echo=lambda _: None,
        )
        == 0
    )
    assert (
        build.main(
            ["--shared", str(shared_data), "--out", str(tmp_path / "b"), "--build-date", date],
            echo=lambda _: None,
        )
        == 0
    )
    packaged = resources.files("clusteratlas.refdata")
    files = ["manifest.yaml"] + [
        f"data/{e['file']}" for e in refdata.manifest()["datasets"].values()
    ]
    for rel in files:
        a = (tmp_path / "a" / rel).read_bytes()
        assert a == (tmp_path / "b" / rel).read_bytes(), f"{rel} differs between two builds"
        node = packaged
        for part in rel.split("/"):
            node = node / part
        assert a == node.read_bytes(), f"packaged {rel} is stale: rerun scripts/build_refdata.py"


def test_missing_shared_folder_is_reported(build: ModuleType, tmp_path: Path) -> None:
    messages: list[str] = []
    code = build.main(
        ["--shared", str(tmp_path / "none"), "--out", str(tmp_path / "o")], echo=messages.append
    )
    assert code == 2 and "not found" in messages[0]
    assert not (tmp_path / "o").exists()


@given(st.binary(max_size=2048))
def test_gzip_is_deterministic_and_lossless(build: ModuleType, data: bytes) -> None:
    packed = build.gzip_bytes(data)
    assert packed == build.gzip_bytes(data)
    assert gzip.decompress(packed) == data
    assert packed[4:8] == b"\x00\x00\x00\x00"  # mtime 0


@given(st.floats(min_value=-1e300, max_value=1e300))  # data values are far below
def test_stable_numbers_round_trip(build: ModuleType, value: float) -> None:
    text = build._cell(value)
    assert float(text) == pytest.approx(value, rel=1e-14, abs=0)
    assert build._cell(float(text)) == text  # idempotent: rebuilds cannot drift
