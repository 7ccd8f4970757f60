"""The server's resource budget: a result cache bounded in bytes, a row cap on JSON
responses, a time budget per request and a readers–writer lock over the workspace.

Analyses run in worker threads; many of them read the workspace at once (each on its own
read-only DuckDB connection), while an import waits for the readers to finish and then
has the workspace alone. The event loop itself never touches DuckDB, so ``/api/health``
and cached routes answer while heavy work runs.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "")
    return int(text) if text.strip().isdigit() else default


@dataclass(frozen=True)
class WebBudget:
    """Limits of one server (environment variables in brackets; docs/limits.md)."""

    cache_bytes: int = 256 << 20
    """Bytes of cached results and JSON bodies (``CLUSTERATLAS_CACHE_MB``, in MiB)."""
    max_response_rows: int = 100_000
    """Rows of one JSON response; longer results are cut and flagged with the headers
    ``X-Total-Rows`` and ``X-Truncated: true`` (``CLUSTERATLAS_MAX_RESPONSE_ROWS``)."""
    concurrent_analyses: int = 4
    """Cold analyses computed at once (``CLUSTERATLAS_CONCURRENT_ANALYSES``): bounds the
    memory of many distinct uncached requests; more wait (within the time budget)."""
    request_seconds: float = 60.0
    """Time one request may wait for its result before a 503 (``CLUSTERATLAS_REQUEST_SECONDS``);
    the work continues and its result is cached, so the retry is fast."""

    @classmethod
    def from_env(cls) -> WebBudget:
        """The defaults overridden by the environment."""
        base = cls()
        return cls(
            cache_bytes=_env_int("CLUSTERATLAS_CACHE_MB", base.cache_bytes >> 20) << 20,
            max_response_rows=_env_int("CLUSTERATLAS_MAX_RESPONSE_ROWS", base.max_response_rows),
            concurrent_analyses=max(
                1, _env_int("CLUSTERATLAS_CONCURRENT_ANALYSES", base.concurrent_analyses)
            ),
            request_seconds=float(
                _env_int("CLUSTERATLAS_REQUEST_SECONDS", int(base.request_seconds))
            ),
        )


def size_of(value: Any, depth: int = 0) -> int:
    """Approximate bytes held by a cached value (frames measured deeply, arrays and bytes by
    length, other objects by their attributes, six levels deep)."""
    if depth > 6:
        return sys.getsizeof(value)
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=True, deep=True).sum())
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, (tuple, list)):
        return sum(size_of(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return sum(size_of(k, depth + 1) + size_of(v, depth + 1) for k, v in value.items())
    if hasattr(value, "__dict__") and not isinstance(value, type):  # e.g. a scenario baseline
        return sys.getsizeof(value) + size_of(vars(value), depth + 1)
    return sys.getsizeof(value)


class ResultCache:
    """A thread-safe LRU bounded by the bytes of its values, not by their number.

    A value larger than a quarter of the budget is not kept (it would evict everything).
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def get(self, key: Hashable) -> Any:
        """The value of ``key`` (now most recently used), or ``None``."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` under ``key``, evicting the least recently used beyond the budget."""
        size = size_of(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            if size > self.max_bytes // 4:
                return
            self._items[key] = (value, size)
            self.bytes += size
            while self.bytes > self.max_bytes and self._items:
                _, (_, freed) = self._items.popitem(last=False)
                self.bytes -= freed

    def clear(self) -> None:
        """Forget everything (after an import)."""
        with self._lock:
            self._items.clear()
            self.bytes = 0


class ReadWriteLock:
    """Many readers or one writer; a waiting writer blocks new readers (no starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        """Hold a shared lock (an analysis reading the workspace)."""
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """Hold the exclusive lock (an import writing the workspace)."""
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


def cap_rows(frame: pd.DataFrame, limit: int) -> tuple[pd.DataFrame, dict[str, str]]:
    """``frame`` cut to ``limit`` rows and the headers that say so (none when it fits)."""
    if limit <= 0 or len(frame) <= limit:
        return frame, {}
    return frame.head(limit), {"X-Total-Rows": str(len(frame)), "X-Truncated": "true"}
