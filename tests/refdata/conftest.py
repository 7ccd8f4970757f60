"""Shared fixtures for the reference-data tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the clone; tests needing it skip explicitly when absent."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared/data is absent ({SHARED}); cannot compare with the sources")
    return SHARED
