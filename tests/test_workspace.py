"""The workspace store, the CLI commands init/status/import, and engine selection."""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import clusteratlas
from clirun import run_cli
from clusteratlas.engine import connect
from clusteratlas.errors import InputError, WorkspaceError
from clusteratlas.model.schema import KINDS, TABLES


def cli(
    *args: str, env_ws: Path | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"CLUSTERATLAS_WORKSPACE": str(env_ws)} if env_ws is not None else None
    return run_cli(*args, env=env, cwd=cwd, timeout=120)


def test_open_creates_canonical_tables_and_refdata(tmp_path: Path) -> None:
    with clusteratlas.open_workspace(tmp_path / "w.duckdb") as ws:
        tables = {r[0] for r in ws.con.execute("SHOW TABLES").fetchall()}
        assert set(TABLES) | {"dataset"} <= tables
        for name, schema in TABLES.items():
            columns = [r[0] for r in ws.con.execute(f'DESCRIBE "{name}"').fetchall()]
            assert columns == ["dataset", *schema.column_names]
        counts = ws.counts()
        assert counts["industry"] > 1000 and counts["region"] > 3000
        assert counts["region_group"] > 0
        # Beijing and its districts, GB/T 4754 class 3911 are there
        assert ws.con.execute("SELECT name_zh FROM region WHERE code = '110000'").fetchone() == (
            "北京市",
        )
        assert ws.table("industry").filter(lambda t: t.code == "3911").count().execute() == 1
        datasets = ws.datasets()
        assert set(datasets["kind"]) == {"refdata"}
    # reopening does not load the reference data twice
    with clusteratlas.open_workspace(tmp_path / "w.duckdb") as ws:
        assert ws.counts() == counts


def test_kinds_map_to_tables() -> None:
    assert KINDS == {
        "observations": "observation",
        "firms": "firm",
        "firm-years": "firm_year",
        "tags": "firm_tag",
        "supply-edges": "supply_edge",
        "io-table": "io_table",
    }


def test_env_var_default_and_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "env.duckdb"
    monkeypatch.setenv("CLUSTERATLAS_WORKSPACE", str(path))
    clusteratlas.open_workspace().close()
    assert path.exists()
    with clusteratlas.open_workspace(read_only=True) as ws:
        with pytest.raises(WorkspaceError, match="read-only"):
            ws.import_frame("firms", pd.DataFrame({"firm_id": ["a"]}), dataset="x", source="y")
        with pytest.raises(WorkspaceError, match="no table"):
            ws.table("nope")
    with pytest.raises(WorkspaceError, match="no workspace"):
        clusteratlas.open_workspace(tmp_path / "missing.duckdb", read_only=True)


def test_cli_init_import_status(tmp_path: Path) -> None:
    ws = tmp_path / "cli.duckdb"
    data = tmp_path / "firm_years.csv"
    data.write_text("企业ID,年份,营业收入(亿元)\nf1,2022,3.5\nf2,2022,1\n", encoding="gbk")
    assert cli("init", "--workspace", str(ws)).returncode == 0
    done = cli("import", "firm-years", str(data), env_ws=ws)
    assert done.returncode == 0, done.stderr
    assert "imported 2 rows" in done.stderr
    again = cli("import", "firm-years", str(data), env_ws=ws)
    assert again.returncode == 0 and "unchanged" in again.stderr
    status = cli("status", "--format", "csv", env_ws=ws)
    assert status.returncode == 0, status.stderr
    frame = pd.read_csv(pd.io.common.StringIO(status.stdout))
    row = frame[frame["name"] == "firm_years"].iloc[0]
    assert (row["kind"], row["rows"], row["source_file"]) == ("firm-years", 2, str(data))
    assert len(row["content_hash"]) == 64


def test_cli_rejects_exit_2_without_traceback(tmp_path: Path) -> None:
    ws = tmp_path / "cli.duckdb"
    data = tmp_path / "bad.csv"
    data.write_text("firm_id,year,revenue\nf1,2022,-5万元\n", encoding="utf-8")
    done = cli("import", "firm-years", str(data), "-w", str(ws))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "must not be negative" in done.stderr and "row 2" in done.stderr  # CSV line 2
    assert Path(str(data) + ".rejects.csv").exists()
    con = duckdb.connect(str(ws), read_only=True)
    assert con.execute("SELECT count(*) FROM firm_year").fetchone() == (0,)
    con.close()
    for args, code in (
        (("import", "widgets", str(data)), 2),
        (("import", "firms", str(tmp_path / "none.csv")), 2),
        (("import", "firms", str(data), "--map", "oops"), 2),
    ):
        result = cli(*args, "-w", str(ws))
        assert result.returncode == code, result.stderr
        assert "Traceback" not in result.stderr and "error:" in result.stderr


def test_cli_allow_rejects_and_map(tmp_path: Path) -> None:
    ws = tmp_path / "cli.duckdb"
    data = tmp_path / "fy.csv"
    data.write_text("编号,年份,营业额\nf1,2022,5\nf2,1800,6\n", encoding="utf-8")
    done = cli(
        "import",
        "firm-years",
        str(data),
        "-w",
        str(ws),
        "--allow-rejects",
        "--map",
        "编号=firm_id",
        "--map",
        "营业额=revenue(万元)",
        "--dataset",
        "mine",
    )
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(ws), read_only=True)
    assert con.execute("SELECT dataset, firm_id, revenue FROM firm_year").fetchall() == [
        ("mine", "f1", 5e4)
    ]
    assert con.execute("SELECT rows, rejected FROM dataset WHERE name='mine'").fetchone() == (1, 1)
    con.close()


def test_engine_duckdb(tmp_path: Path) -> None:
    backend = connect("duckdb", path=tmp_path / "e.duckdb", memory_limit="512MB")
    backend.raw_sql("CREATE TABLE t AS SELECT 1 AS x")
    assert backend.table("t").x.sum().execute() == 1
    limit = backend.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limit.replace(" ", "") in ("512.0MiB", "488.2MiB", "512MB", "488.2MB")
    memory = connect()
    memory.raw_sql("CREATE TABLE m AS SELECT 41 + 1 AS y")
    assert memory.table("m").y.sum().execute() == 42
    with pytest.raises(InputError, match="unknown engine"):
        connect("oracle")


@pytest.mark.spark
@pytest.mark.slow
def test_engine_pyspark_smoke() -> None:
    pytest.importorskip("pyspark")
    backend = connect("pyspark", spark_master="local[1]")
    try:
        session = backend._session
        session.createDataFrame(pd.DataFrame({"x": [1, 2, 3]})).createOrReplaceTempView("t")
        table = backend.table("t")
        assert table.x.sum().execute() == 6
        assert session.conf.get("spark.ui.enabled") == "false"
        assert session.conf.get("spark.driver.host") == "127.0.0.1"
    finally:
        backend._session.stop()


def test_cli_import_sheet(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.append(["填报说明"])
    data = book.create_sheet("企业")
    data.append(["企业ID", "年份", "营业收入(亿元)"])
    data.append(["f1", 2022, 3.5])
    path = tmp_path / "book.xlsx"
    book.save(path)
    ws = tmp_path / "cli.duckdb"
    done = cli("import", "firm-years", str(path), "--sheet", "企业", "-w", str(ws))
    assert done.returncode == 0, done.stderr
    assert "imported 1 rows" in done.stderr
    wrong = cli("import", "firm-years", str(path), "--sheet", "9", "-d", "other", "-w", str(ws))
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert "no sheet '9'" in wrong.stderr and "'企业'" in wrong.stderr


def test_unknown_firm_ids_are_a_warning_not_a_reject(tmp_path: Path) -> None:
    firms = tmp_path / "firms.csv"
    firms.write_text("firm_id,name\nf1,甲公司\nf2,乙公司\n", encoding="utf-8")
    years = tmp_path / "fy.csv"
    years.write_text(
        "firm_id,year,revenue\nf1,2022,1亿元\nf9,2022,2亿元\nf9,2023,3亿元\nf8,2023,1万元\n"
    )
    edges = tmp_path / "edges.csv"
    edges.write_text("supplier,customer,year,value\nf1,f2,2022,1万元\nf2,f7,2022,1万元\n")
    with clusteratlas.open_workspace(tmp_path / "w.duckdb") as ws:
        ws.import_file("firms", firms)
        result = ws.import_file("firm-years", years)
        assert result.rows == 4  # imported all the same: firms may come later
        assert (result.unknown_firms, result.unknown_firm_examples) == (2, ["f8", "f9"])
        edge = ws.import_file("supply-edges", edges)
        assert (edge.unknown_firms, edge.unknown_firm_examples) == (1, ["f7"])
    ws2 = tmp_path / "cli.duckdb"
    done = cli("import", "firm-years", str(years), "-w", str(ws2))
    assert done.returncode == 0, done.stderr
    assert "warning: 3 firm id(s) are not in the firm table (e.g. f1, f8, f9)" in done.stderr
