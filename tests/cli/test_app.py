"""The CLI's error boundary: user mistakes print one message and exit non-zero, no traceback."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from clirun import run_cli

_run = partial(run_cli, timeout=120)


def test_usage_error_has_no_traceback(tmp_path: Path) -> None:
    result = _run("chains", "unexpected-extra-argument", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "unexpected extra argument" in result.stderr


def test_user_error_has_no_traceback(tmp_path: Path) -> None:
    result = _run("plan", "validate", str(tmp_path / "missing.yaml"), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "not found" in result.stderr


def test_help_lists_the_areas(tmp_path: Path) -> None:
    result = _run("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("import", "chains", "attract", "regions", "linkages"):
        assert command in result.stdout


def test_validation_problems_print_their_rule(tmp_path: Path) -> None:
    data = tmp_path / "neg.csv"
    data.write_text("firm_id,year,revenue\nA,2020,-5万元\n", encoding="utf-8")
    result = _run("import", "firm-years", str(data), "-w", str(tmp_path / "w.duckdb"), cwd=tmp_path)
    assert result.returncode == 2
    assert "[rule: negative]" in result.stderr  # not swallowed as console markup
    assert "Traceback" not in result.stderr
