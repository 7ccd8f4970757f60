"""One configuration module (``clusteratlas.config``): defaults stated once, environment
variables read one way (an empty value is unset) by the CLI, the API, the web app and the
workspace."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

import clusteratlas
from clusteratlas import api, config
from clusteratlas.cli._app import default_workspace
from clusteratlas.engine import connect
from clusteratlas.errors import InputError
from clusteratlas.workspace import default_path

PACKAGE = Path(clusteratlas.__file__).resolve().parent


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_workspace_variable_means_the_default(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(config.WORKSPACE_ENV, value)
    expected = Path(config.DEFAULT_WORKSPACE)
    # the CLI's default used to be Path("") — the working folder, not a workspace file
    assert config.workspace_path() == default_workspace() == default_path() == expected


def test_every_face_reads_the_workspace_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    file = tmp_path / "elsewhere.duckdb"
    file.write_bytes(b"")
    os.utime(file, (1_000_000, 1_000_000))
    monkeypatch.setenv(config.WORKSPACE_ENV, str(file))
    assert config.workspace_path() == default_workspace() == default_path() == file
    assert config.workspace_path(tmp_path / "given.duckdb") == tmp_path / "given.duckdb"
    # the web cache's version of "no workspace given" used to ignore the variable
    assert api.workspace_mtime(None) == 1_000_000


@pytest.mark.parametrize(
    ("spelling", "engine"),
    [(None, "duckdb"), ("", "duckdb"), (" DuckDB ", "duckdb"), ("spark", "pyspark"),
     ("PySpark", "pyspark")],
)  # fmt: skip
def test_engine_spellings(spelling: str | None, engine: str) -> None:
    assert config.normalize_engine(spelling) == engine


def test_an_unknown_engine_is_one_clear_error_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="unknown engine 'hadoop'"):
        connect("hadoop")
    monkeypatch.setenv(config.ENGINE_ENV, "hadoop")
    with pytest.raises(InputError, match="unknown engine 'hadoop'"):
        config.engine_from_env()
    monkeypatch.setenv(config.ENGINE_ENV, "")
    assert config.engine_from_env() == "duckdb"


def test_connect_accepts_the_same_spellings() -> None:
    backend = connect(" DUCKDB ")
    assert backend.name == "duckdb"


def test_preset_names_are_stated_once() -> None:
    """No module but config spells the default plan or ruleset as a string literal."""
    offenders = []
    for file in PACKAGE.rglob("*.py"):
        if file.name == "config.py" and file.parent == PACKAGE:
            continue
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in (
                config.DEFAULT_PLAN,
                config.DEFAULT_RULESET,
            ):
                offenders.append(f"{file.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders


def test_config_imports_only_the_errors_module() -> None:
    tree = ast.parse((PACKAGE / "config.py").read_text(encoding="utf-8"))
    ours = {
        n.module
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("clusteratlas")
    }
    assert ours == {"clusteratlas.errors"}
