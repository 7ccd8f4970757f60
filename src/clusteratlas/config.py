"""Configuration in one place: defaults, environment variables and preset names.

The CLI, the Python API, the web app and the reports read their defaults from here, so a
default is stated once. Environment variables (an empty value counts as unset):

``CLUSTERATLAS_WORKSPACE``
    the workspace file used when none is given (default ``./clusteratlas.duckdb``);
``CLUSTERATLAS_ENGINE``
    ``duckdb`` (default) or ``spark``/``pyspark``;
``SPARK_MASTER``
    the Spark master URL (default: local mode);
``CLUSTERATLAS_CHROMIUM``
    the Chromium used to print PDFs (default ``/usr/bin/chromium``).

This module imports nothing of the package but :mod:`clusteratlas.errors`, so every other
module may import it.
"""

from __future__ import annotations

import os
from pathlib import Path

from clusteratlas.errors import InputError

DEFAULT_PLAN = "beijing-2441"
"""The packaged plan used when none is named: Beijing's 2441 high-end industry plan."""
DEFAULT_RULESET = "miit-2022"
"""The packaged enterprise tier ruleset (MIIT 专精特新 / 小巨人 rules, 2022)."""
DEFAULT_WORKSPACE = "clusteratlas.duckdb"
"""The workspace file name, relative to the working folder, when nothing else is set."""
DEFAULT_CHROMIUM = "/usr/bin/chromium"

WORKSPACE_ENV = "CLUSTERATLAS_WORKSPACE"
ENGINE_ENV = "CLUSTERATLAS_ENGINE"
SPARK_MASTER_ENV = "SPARK_MASTER"
CHROMIUM_ENV = "CLUSTERATLAS_CHROMIUM"

ENGINES = ("duckdb", "pyspark")
ENGINE_ALIASES = {"duckdb": "duckdb", "pyspark": "pyspark", "spark": "pyspark"}
"""User spellings of the engines (case-insensitive) → the Ibis backend name."""


def env(name: str) -> str | None:
    """The environment variable ``name``, stripped; None when unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or None


def workspace_path(path: str | os.PathLike[str] | None = None) -> Path:
    """``path`` if given, else ``$CLUSTERATLAS_WORKSPACE`` if set and not empty, else
    ``./clusteratlas.duckdb``."""
    if path is not None:
        return Path(path)
    return Path(env(WORKSPACE_ENV) or DEFAULT_WORKSPACE)


def normalize_engine(engine: str | None) -> str:
    """``duckdb`` or ``pyspark`` from a user spelling (``spark`` → ``pyspark``; None or empty
    → ``duckdb``). Raises :class:`~clusteratlas.errors.InputError` for anything else."""
    if engine is None or not str(engine).strip():
        return "duckdb"
    key = str(engine).strip().lower()
    if key not in ENGINE_ALIASES:
        raise InputError(f"unknown engine {engine!r}; use duckdb or spark")
    return ENGINE_ALIASES[key]


def engine_from_env(default: str = "duckdb") -> str:
    """The engine named by ``$CLUSTERATLAS_ENGINE``, else ``default`` (normalised)."""
    return normalize_engine(env(ENGINE_ENV) or default)


def spark_master_from_env() -> str | None:
    """``$SPARK_MASTER`` (e.g. ``spark://host:7077``, ``local[4]``) or None (local mode)."""
    return env(SPARK_MASTER_ENV)


def chromium() -> str:
    """The Chromium executable for PDF printing: ``$CLUSTERATLAS_CHROMIUM`` or the default."""
    return env(CHROMIUM_ENV) or DEFAULT_CHROMIUM
