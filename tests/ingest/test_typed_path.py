"""The typed fast path: a clean numeric file is read with DOUBLE number columns; any cell
the typed read refuses (``1,234万元``, ``-``, ``1_000``) or any row that breaks a rule sends
the file down the text path, so the table, the rejects and the errors are exactly those of
the text path (forced here by giving the readers no typed columns)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from clusteratlas import workspace as workspace_module
from clusteratlas.errors import ValidationError
from clusteratlas.ingest.readers import RawTable
from clusteratlas.workspace import open_workspace

HEADER = "企业ID,年份,营业收入(万元),从业人员,净利润率\n"
CLEAN = HEADER + "F1,2020,12.5,3,0.1\nF1,2021,1e3,4,-0.05\nF2,2021,,5,\n"


@dataclass
class Outcome:
    """What one import left: the typed columns of each read, the rows, rejects, result."""

    reads: list[frozenset[int]]
    rows: list[tuple[object, ...]]
    rejects: str | None
    result: tuple[object, ...]


@pytest.fixture()
def importer(
    tmp_path: Path, template_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    """``run(file, text=False, **options)``: import ``file`` as firm-years into a fresh
    workspace, on the normal path or forced down the text path (``text=True``)."""
    reads: list[frozenset[int]] = []
    read_file = workspace_module.read_file

    def spy(*args: object) -> RawTable:
        raw = read_file(*args)  # type: ignore[arg-type]
        reads.append(raw.typed)
        return raw

    monkeypatch.setattr(workspace_module, "read_file", spy)

    def run(file: Path, text: bool = False, **options: object) -> Outcome:
        reads.clear()
        target = tmp_path / f"ws-{text}-{len(list(tmp_path.iterdir()))}.duckdb"
        shutil.copy(template_workspace, target)
        with monkeypatch.context() as patch:
            if text:
                patch.setattr(workspace_module, "typed_columns", lambda bindings: {})
            with open_workspace(target) as ws:
                if "existing" in options:
                    ws.import_file("firm-years", options.pop("existing"), dataset="before")
                    reads.clear()
                try:
                    r = ws.import_file("firm-years", file, **options)  # type: ignore[arg-type]
                    result: tuple[object, ...] = (
                        r.status,
                        r.rows,
                        r.rejected,
                        r.units,
                        r.columns,
                        r.problems,
                        r.notes,
                    )
                except ValidationError as exc:
                    result = ("error", str(exc), exc.problems)
                rows = ws.con.execute(
                    "SELECT * EXCLUDE (dataset) FROM firm_year ORDER BY ALL"
                ).fetchall()
        rejects = file.with_name(file.name + ".rejects.csv")
        text_of_rejects = rejects.read_text(encoding="utf-8") if rejects.exists() else None
        rejects.unlink(missing_ok=True)
        return Outcome(list(reads), rows, text_of_rejects, result)

    return run


def test_a_clean_numeric_csv_takes_the_typed_path(importer, tmp_path: Path) -> None:
    file = tmp_path / "clean.csv"
    file.write_text(CLEAN, encoding="utf-8")
    typed = importer(file)
    assert typed.reads == [frozenset({1, 2, 3, 4})]  # one read, numbers as DOUBLE
    assert typed.rows[0][:4] == ("F1", 2020, 125000.0, None)
    text = importer(file, text=True)
    assert text.reads == [frozenset()]
    assert (typed.rows, typed.rejects, typed.result) == (text.rows, text.rejects, text.result)


@pytest.mark.parametrize(
    "body",
    [
        'F1,2020,"1,234万元",3,0.1\nF2,2020,-,4,0.2\nF3,2020,5,x,0.3\n',  # cells with units
        "F1,2020,12,3,0.1\nF2,2020,1_000,4,0.2\n",  # DuckDB's number reader takes 1_000
        "F1,2020年,12,3,0.1\nF2,2021,13,4,0.2\n",  # a year with 年
    ],
    ids=["unit-suffix-and-dash", "digit-underscore", "year-suffix"],
)
def test_cells_the_typed_read_refuses_go_down_the_text_path(
    importer, tmp_path: Path, body: str
) -> None:
    file = tmp_path / "mixed.csv"
    file.write_text(HEADER + body, encoding="utf-8")
    ours = importer(file, allow_rejects=True)
    assert ours.reads == [frozenset()]
    text = importer(file, text=True, allow_rejects=True)
    assert (ours.rows, ours.rejects, ours.result) == (text.rows, text.rejects, text.result)


@pytest.mark.parametrize(
    "body",
    [
        "F1,2020,12,3,0.1\nF1,2020,13,4,0.2\n",  # duplicate key in the file
        "F1,2020,-12,3,0.1\nF2,2020,13,4,0.2\n",  # negative revenue
        "F1,2020,nan,3,0.1\nF2,2020,inf,4,0.2\n",  # not finite
        "F1,1900,12,3,0.1\nF2,2020.5,13,4,0.2\n",  # year range, not an integer
        ",2020,12,3,0.1\nF2,,13,4,0.2\n",  # required cells empty
    ],
    ids=["duplicate", "negative", "not-finite", "year", "required"],
)
@pytest.mark.parametrize("allow_rejects", [True, False])
def test_a_row_problem_on_the_typed_path_gives_the_text_path_rejects(
    importer, tmp_path: Path, body: str, allow_rejects: bool
) -> None:
    file = tmp_path / "bad.csv"
    file.write_text(HEADER + body, encoding="utf-8")
    ours = importer(file, allow_rejects=allow_rejects)
    assert ours.reads == [frozenset({1, 2, 3, 4}), frozenset()]  # typed, then text
    text = importer(file, text=True, allow_rejects=allow_rejects)
    assert (ours.rows, ours.rejects, ours.result) == (text.rows, text.rejects, text.result)
    assert ours.rejects is not None


def test_duplicates_against_the_workspace_fall_back_too(importer, tmp_path: Path) -> None:
    before = tmp_path / "before.csv"
    before.write_text(HEADER + "F1,2020,1,1,0.1\n", encoding="utf-8")
    file = tmp_path / "again.csv"
    file.write_text(CLEAN, encoding="utf-8")
    ours = importer(file, existing=before, allow_rejects=True)
    assert ours.reads == [frozenset({1, 2, 3, 4}), frozenset()]
    text = importer(file, text=True, existing=before, allow_rejects=True)
    assert (ours.rows, ours.rejects, ours.result) == (text.rows, text.rejects, text.result)
    assert ours.result[2] == 1  # F1 2020 rejected as duplicate_in_workspace


def test_parquet_numbers_are_read_typed(importer, tmp_path: Path) -> None:
    csv = tmp_path / "clean.csv"
    csv.write_text(CLEAN, encoding="utf-8")
    file = tmp_path / "clean.parquet"
    duckdb.execute(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{file}' (FORMAT parquet)")
    typed = importer(file)
    assert typed.reads == [frozenset({1, 2, 3, 4})]
    text = importer(file, text=True)
    assert (typed.rows, typed.result) == (text.rows, text.result)


def test_a_parquet_row_problem_falls_back_to_the_text_path(importer, tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(HEADER + "F1,2020,-12,3,0.1\nF2,2020,13,4,0.2\n", encoding="utf-8")
    file = tmp_path / "bad.parquet"
    duckdb.execute(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{file}' (FORMAT parquet)")
    ours = importer(file, allow_rejects=True)
    assert ours.reads == [frozenset({1, 2, 3, 4}), frozenset()]
    text = importer(file, text=True, allow_rejects=True)
    assert (ours.rows, ours.rejects, ours.result) == (text.rows, text.rejects, text.result)


def test_a_total_row_is_left_out_on_the_typed_path(importer, tmp_path: Path) -> None:
    file = tmp_path / "total.csv"
    file.write_text(CLEAN + "合计,,1013.5,12,\n", encoding="utf-8")
    typed = importer(file)
    assert typed.reads == [frozenset({1, 2, 3, 4})]
    text = importer(file, text=True)
    assert (typed.rows, typed.rejects, typed.result) == (text.rows, text.rejects, text.result)
    assert len(typed.rows) == 3 and "left out 1 note or total row(s)" in str(typed.result)


def test_replacing_a_dataset_on_the_typed_path(importer, tmp_path: Path) -> None:
    before = tmp_path / "before.csv"
    before.write_text(CLEAN.replace("12.5", "99"), encoding="utf-8")
    file = tmp_path / "after.csv"
    file.write_text(CLEAN, encoding="utf-8")
    # the same keys under the dataset being replaced are no duplicates
    ours = importer(file, existing=before, dataset="before", replace=True)
    assert ours.reads == [frozenset({1, 2, 3, 4})]
    text = importer(file, text=True, existing=before, dataset="before", replace=True)
    assert (ours.rows, ours.rejects, ours.result) == (text.rows, text.rejects, text.result)
    assert ours.result[0] == "replaced" and ours.rows[0][2] == 125000.0


def test_units_in_cells_keep_their_column_text_and_the_rest_typed(importer, tmp_path: Path) -> None:
    file = tmp_path / "cells.csv"
    file.write_text(
        "企业ID,年份,营业收入,从业人员\nF1,2020,12万元,3\nF2,2020,1.5亿元,4\n", encoding="utf-8"
    )
    ours = importer(file)
    assert ours.reads == [frozenset({1, 3})]  # year and employees typed, revenue text
    text = importer(file, text=True)
    assert (ours.rows, ours.rejects, ours.result) == (text.rows, text.rejects, text.result)
    assert [r[2] for r in ours.rows] == [120000.0, 150000000.0]
