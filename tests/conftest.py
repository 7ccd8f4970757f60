"""Suite-wide rules and fixtures.

**No silent skips where everything is provisioned.** ``CLUSTERATLAS_NO_SKIP`` names what may
not skip: ``all`` (what ``.ci/run`` sets — setup installed Java, Chromium, poppler, the dev
extras with the independent oracles, and ``shared/`` lies beside the clone) or a comma list of
markers (``spark,browser``). A skip it covers is reported as a failure, at run time and at
collection time (a module-level ``importorskip`` or ``skipif``) alike — a missing Java,
Chromium, oracle package or data folder must not turn those checks silently green.

``shared_data`` is the one fixture that finds the real public data (``shared/data``, see
:mod:`checkout`); tests that need it are marked ``shared_data`` so that a machine without it
can deselect them explicitly (``-m "not shared_data"``) instead of skipping them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checkout import SHARED_ENV, find_shared_data, shared_candidates

NO_SKIP_ENV = "CLUSTERATLAS_NO_SKIP"


def _required() -> set[str]:
    return {m.strip() for m in os.environ.get(NO_SKIP_ENV, "").split(",") if m.strip()}


def _forbidden(markers: set[str]) -> set[str]:
    """The names (``all`` or markers) under which a skip of something marked ``markers`` fails."""
    required = _required()
    if "all" in required:
        return {"all"}
    return required & markers


def _fail_skip(report: Any, why: set[str]) -> None:
    report.outcome = "failed"
    report.longrepr = (
        f"skipped, but {', '.join(sorted(why))} tests must run here ({NO_SKIP_ENV}): "
        f"{report.longrepr}"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    report = yield
    why = _forbidden({m.name for m in item.iter_markers()})
    if report.skipped and why:
        _fail_skip(report, why)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """A whole module skipped while collecting (``importorskip``, module ``skipif``) fails too
    under ``all`` (its markers are unknown when the module could not be imported)."""
    report = yield
    if report.skipped and "all" in _required():
        _fail_skip(report, {"all"})
    return report


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``shared/data``: the real public data beside the checkout (see :mod:`checkout`)."""
    found = find_shared_data()
    if found is None:
        tried = ", ".join(str(p) for p in shared_candidates())
        pytest.skip(f"no shared/data found (tried {tried}); set {SHARED_ENV} to the shared folder")
    return found


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses ``shared_data`` with the ``shared_data`` marker."""
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared_data)
