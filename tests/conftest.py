"""Suite-wide rule: where CI provisions Java and Chromium (``.ci/run`` sets
``CLUSTERATLAS_NO_SKIP=spark,browser``), a skipped Spark or browser test is a failure — a
missing Java or Chromium must not turn those checks silently green."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    report = yield
    required = {m for m in os.environ.get("CLUSTERATLAS_NO_SKIP", "").split(",") if m}
    marked = required & {m.name for m in item.iter_markers()}
    if report.skipped and marked:
        report.outcome = "failed"
        report.longrepr = f"skipped, but {', '.join(sorted(marked))} tests must run here: " + str(
            report.longrepr
        )
    return report
