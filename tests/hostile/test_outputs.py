"""Outputs are whole or absent, and every failure is one ``error:`` line (issue 14, items
6, 8, 9, 10)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clirun import SRC, run_cli
from clusteratlas import outputs
from clusteratlas.faults import StorageError, WorkspaceBusyError, public_message
from clusteratlas.safe_cells import FORMULA_PREFIXES, csv_frame, is_formula_like
from hostile.conftest import assert_one_error, locked

NAMES = [
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "\t=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\r=2",
]


# ------------------------------------------------------------------ formula safety
def test_xlsx_has_no_formula_cells(tmp_path: Path) -> None:
    from clusteratlas.report.xlsx import write_xlsx

    frame = pd.DataFrame({"name": NAMES, "revenue": range(len(NAMES))})
    path = write_xlsx(
        {"firms": frame}, tmp_path / "r.xlsx", readme={"dataset =1+2": "=1+2"}, synthetic=False
    )
    with zipfile.ZipFile(path) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/")]
        for name in sheets:
            assert b"<f>" not in zf.read(name) and b"<f " not in zf.read(name), name
    from openpyxl import load_workbook

    wb = load_workbook(path)
    values = [c.value for c in wb["firms"]["A"][1:]]
    assert values == [n.replace("\r", "\n") for n in NAMES]  # the text itself is unchanged
    assert all(c.data_type == "s" for c in wb["firms"]["A"][1:])


@given(st.text(max_size=20))
def test_csv_cells_never_start_a_formula(text: str) -> None:
    """Property: after csv_frame no text cell starts with = + - @ tab or CR, and stripping
    the one added apostrophe gives the original back."""
    out = csv_frame(pd.DataFrame({"name": [text]}))["name"].iloc[0]
    assert not is_formula_like(out)
    assert (out[1:] if is_formula_like(text) else out) == text


def test_csv_numbers_are_not_prefixed() -> None:
    frame = pd.DataFrame({"name": ["-x", "ok"], "value": [-1.5, 2.0]})
    out = csv_frame(frame)
    assert out["name"].tolist() == ["'-x", "ok"]
    assert out["value"].tolist() == [-1.5, 2.0]
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"}


def test_cli_csv_export_is_formula_safe(tmp_path: Path, workspace: Path) -> None:
    firms = tmp_path / "firms.csv"
    firms.write_text("firm_id,name\nF1,=1+2\nF2,@SUM(A1)\n", encoding="utf-8")
    imported = run_cli("import", "firms", str(firms), "-w", str(workspace), "-d", "=evil")
    assert imported.returncode == 0, imported.stderr
    result = run_cli("status", "-w", str(workspace), "-f", "csv")
    assert result.returncode == 0, result.stderr
    assert "\n'=evil," in result.stdout and "\n=evil," not in result.stdout


# ------------------------------------------------------------------ atomic outputs
def test_atomic_path_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    for error in (RuntimeError, KeyboardInterrupt):
        with pytest.raises(error), outputs.atomic_path(target) as temp:
            temp.write_text("half")
            raise error
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    outputs.write_text(target, "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_atomic_path_refuses_folders_and_missing_folders(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="is a directory"):
        outputs.write_text(tmp_path, "x")
    with pytest.raises(StorageError, match="does not exist"):
        outputs.write_text(tmp_path / "nowhere" / "x.csv", "x")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_full_disk_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match="no space left"):
        outputs.write_text("/dev/full", "x" * 10_000)


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_cli_out_folder_and_full_disk_are_clear_errors(
    tmp_path: Path, workspace: Path, fmt: str
) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    result = run_cli("status", "-w", str(workspace), "-f", fmt, "--out", str(folder))
    assert_one_error(result, StorageError.exit_code, "is a directory")
    if Path("/dev/full").exists():
        result = run_cli("status", "-w", str(workspace), "-f", fmt, "--out", "/dev/full")
        assert_one_error(result, StorageError.exit_code, "no space left")
    assert list(folder.iterdir()) == []


def test_report_out_folder_and_full_disk_are_clear_errors(tmp_path: Path, workspace: Path) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    result = run_cli("report", "-w", str(workspace), "--out", str(folder), "--n-sim", "50")
    assert_one_error(result, StorageError.exit_code, "is a directory")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_full_stdout_is_one_error_line(workspace: Path) -> None:
    code = "from clusteratlas.cli import main; main()"
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-c", code, "status", "-w", str(workspace), "-f", "csv"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(SRC)},
            timeout=120,
        )
    assert_one_error(result, StorageError.exit_code, "no space left")


def test_half_truncated_workspace_is_a_clear_error(tmp_path: Path, workspace: Path) -> None:
    from clusteratlas.workspace import open_workspace

    with open_workspace(workspace) as ws:  # some data, so the file has pages to lose
        ws.import_frame(
            "firms",
            pd.DataFrame({"firm_id": [f"F{i}" for i in range(20_000)], "name": "x"}),
            dataset="many",
            source="test",
        )
        ws.con.execute("CHECKPOINT")
    data = workspace.read_bytes()
    half = tmp_path / "half.duckdb"
    half.write_bytes(data[: len(data) // 2])
    for command in (["status"], ["import", "firms", str(tmp_path / "none.csv")]):
        result = run_cli(*command, "-w", str(half))
        assert result.returncode != 0
        assert_one_error(result, result.returncode)
        assert "Traceback" not in result.stderr


# ------------------------------------------------------------------ synth marker, Ctrl-C
def test_synth_marks_completion_and_import_checks_it(tmp_path: Path, workspace: Path) -> None:
    from clusteratlas.synth.writer import COMPLETE_MARKER, INCOMPLETE_MARKER

    out = tmp_path / "syn"
    result = run_cli("synth", "--firms", "18075", "--out", str(out), "--years", "2023-2024")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (out / COMPLETE_MARKER).exists() and not (out / INCOMPLETE_MARKER).exists()
    sizes = json.loads((out / COMPLETE_MARKER).read_text())["files"]
    assert sizes["firms.csv"] == (out / "firms.csv").stat().st_size
    # a cut file (e.g. a copy stopped half-way) no longer matches the marker
    firms = (out / "firms.csv").read_bytes()
    (out / "firms.csv").write_bytes(firms[: len(firms) // 2])
    result = run_cli("import", "firms", str(out / "firms.csv"), "-w", str(workspace))
    assert_one_error(result, 1, "run `clusteratlas synth` again")
    # an interrupted run leaves the incomplete marker: nothing imports from that folder
    (out / INCOMPLETE_MARKER).write_text("x")
    result = run_cli("import", "tags", str(out / "tags.csv"), "-w", str(workspace))
    assert_one_error(result, 1, "incomplete")


@pytest.mark.slow
def test_ctrl_c_during_synth_leaves_no_partial_files(tmp_path: Path) -> None:
    out = tmp_path / "syn"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from clusteratlas.cli import main; main()",
            "synth",
            "--firms",
            "400000",
            "--out",
            str(out),
        ],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not (out / "firms.csv").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr and "error: interrupted" in stderr
    assert sorted(p.name for p in out.iterdir()) == []


def test_synth_out_an_existing_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    result = run_cli("synth", "--firms", "18075", "--out", str(path))
    assert_one_error(result, StorageError.exit_code)


# ------------------------------------------------------------------ locks, messages
def test_lock_conflict_is_retried_then_a_clear_message(workspace: Path) -> None:
    """Another process holds the workspace: the CLI waits a little, then says so."""
    with locked(workspace):
        started = time.monotonic()
        result = run_cli("status", "-w", str(workspace))
        assert_one_error(result, WorkspaceBusyError.exit_code, "in use by another process")
        assert time.monotonic() - started >= 2.5  # it did retry
        assert "PID" not in result.stderr


def test_public_message_hides_paths_and_pids() -> None:
    text = (
        'IO Error: Could not set lock on file "/root/x/ws.duckdb": Conflicting lock is held '
        "in /root/.pyenv/versions/3.11.7/bin/python3.11 (PID 4242) by user root"
    )
    cleaned = public_message(text)
    assert "/root" not in cleaned and "4242" not in cleaned
    assert "ws.duckdb" in cleaned


def test_ctrl_c_inside_duckdb_is_an_interrupt_not_a_database_error() -> None:
    import duckdb

    from clusteratlas.faults import is_interrupt, translate

    assert is_interrupt(duckdb.InterruptException("INTERRUPT Error: Interrupted!"))
    assert translate(duckdb.InterruptException("Interrupted!")) is None
    assert isinstance(translate(duckdb.IOException("IO Error: x")), Exception)


def test_demo_out_an_existing_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    result = run_cli("demo", "--out", str(path), "--firms", "18075", timeout=300)
    assert result.returncode != 0
    assert_one_error(result, result.returncode)


def test_rejects_file_is_formula_safe(tmp_path: Path, workspace: Path) -> None:
    """The rejects CSV repeats the user's cells: a formula-like one gets the ' prefix."""
    path = tmp_path / "years.csv"
    path.write_text("firm_id,year,revenue\n=HYPERLINK(1),1700,@bad\n", encoding="utf-8")
    result = run_cli("import", "firm-years", str(path), "-w", str(workspace))
    assert result.returncode == 2, result.stderr
    rejects = (tmp_path / "years.csv.rejects.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(1)" in rejects and "\n=" not in rejects and ",=" not in rejects
    assert ",@" not in rejects
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
