"""The suite's own rules (tests/conftest.py, tests/checkout.py): under ``CLUSTERATLAS_NO_SKIP``
a skip fails — at run time and at collection time — and ``shared/`` is found from a clone at
any path."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from checkout import SHARED_ENV, find_shared_data, shared_candidates

pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parent

SAMPLE = """
import pytest

def test_runtime_skip():
    pytest.skip("no tool here")

@pytest.mark.spark
def test_marked_skip():
    pytest.skip("no Java")

def test_passes():
    assert True
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A throwaway suite with this suite's conftest and checkout helper."""
    pytester.makeconftest((TESTS / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(checkout=(TESTS / "checkout.py").read_text(encoding="utf-8"))
    pytester.makeini("[pytest]\nmarkers =\n  spark: x\n  shared_data: x\n")
    pytester.syspathinsert()
    pytester.makepyfile(test_sample=SAMPLE)
    pytester.makepyfile(test_oracle='pytest = __import__("pytest")\n'
                        'pytest.importorskip("no_such_oracle_package")\n'
                        "def test_never(): pass\n")  # fmt: skip
    return pytester


def test_without_the_variable_skips_are_reported_skips(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLUSTERATLAS_NO_SKIP", raising=False)
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1, skipped=3)


def test_marker_list_fails_only_those_markers(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERATLAS_NO_SKIP", "spark,browser")
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=2, failed=1)
    result.stdout.fnmatch_lines(["*test_marked_skip*"])


def test_all_fails_every_skip_even_a_module_level_importorskip(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERATLAS_NO_SKIP", "all")
    suite.runpytest("-p", "no:cacheprovider", "test_sample.py").assert_outcomes(passed=1, failed=2)
    # a module skipped while collecting is a collection error (the session stops, loudly)
    result = suite.runpytest("-p", "no:cacheprovider", "test_oracle.py")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*must run here*no_such_oracle_package*"])


def test_shared_data_tests_are_marked_and_fail_when_the_data_is_missing(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    suite.makepyfile(test_data="def test_reads(shared_data):\n    assert shared_data.is_dir()\n")
    monkeypatch.setenv(SHARED_ENV, str(tmp_path / "nowhere"))
    monkeypatch.setenv("CLUSTERATLAS_NO_SKIP", "all")
    result = suite.runpytest("-p", "no:cacheprovider", "test_data.py")
    result.assert_outcomes(errors=1)  # the fixture skips during setup: an error, not a skip
    result.stdout.fnmatch_lines([f"*{SHARED_ENV}*"])
    # without the data it can be deselected explicitly, never skipped silently
    deselected = suite.runpytest("-p", "no:cacheprovider", "test_data.py", "-m", "not shared_data")
    deselected.assert_outcomes(deselected=1)


def test_the_environment_variable_is_the_only_place_tried_when_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "shared" / "data").mkdir(parents=True)
    monkeypatch.setenv(SHARED_ENV, str(tmp_path / "shared"))
    assert find_shared_data() == tmp_path / "shared" / "data"
    monkeypatch.setenv(SHARED_ENV, str(tmp_path / "elsewhere"))
    assert shared_candidates() == [tmp_path / "elsewhere"] and find_shared_data() is None


def test_a_clone_at_a_long_path_finds_shared_beside_its_origin(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(SHARED_ENV, raising=False)
    origin = tmp_path / "home" / "repo"
    (tmp_path / "home" / "shared" / "data").mkdir(parents=True)
    origin.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", str(origin)], check=True)
    subprocess.run(
        [*git, "-C", str(origin), "commit", "-q", "--allow-empty", "-m", "x"], check=True
    )
    clone = tmp_path.joinpath(*[f"a-rather-long-folder-name-{i:02d}" for i in range(6)], "repo")
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    candidates = shared_candidates(clone)
    assert candidates.index(tmp_path / "home" / "shared") < candidates.index(Path("/work/shared"))
    assert find_shared_data(clone) == tmp_path / "home" / "shared" / "data"
