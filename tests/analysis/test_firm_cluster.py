"""The stored firm × cluster table: the monitor is the same with and without it, it is read
instead of re-classifying, and new firm data (an import, a drop, a rewritten Parquet file)
make it stale or refresh it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clusteratlas import firm_cluster, open_workspace
from clusteratlas.analysis import panel as panel_module
from clusteratlas.analysis.panel import workspace_monitor
from clusteratlas.classify import classify_firms
from clusteratlas.model.plan import Plan, load_plan
from clusteratlas.sources import export_parquet, open_source
from sample_registry import FIRM_YEARS, FIRMS

KEYS = ["cluster", "region", "year"]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan("beijing-2441")


def _import(ws: Any, firms: pd.DataFrame, *, replace: bool = False) -> None:
    ws.import_frame("firms", firms, dataset="firms", source="test", replace=replace)


def _make(path: Path) -> None:
    with open_workspace(path) as ws:
        _import(ws, FIRMS)
        ws.import_frame(
            "firm-years",
            FIRM_YEARS,
            dataset="fy",
            source="test",
            units={"revenue": "元", "rd_spend": "元"},
        )


def _monitor(source: Any, plan: Plan) -> pd.DataFrame:
    frame, _ = workspace_monitor(source, plan, geography="firm", crossings=False)
    assert len(frame)
    return frame.sort_values(KEYS).reset_index(drop=True)


def _inline(source: Any, plan: Plan, monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    """The monitor with classification inline (no stored table is read or built)."""
    with monkeypatch.context() as m:
        m.setattr(firm_cluster, "cached_clusters", lambda *a, **k: None)
        m.setattr(firm_cluster, "cached_cluster_sets", lambda *a, **k: None)
        return _monitor(source, plan)


def _no_classification(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("classified although a current firm_cluster table exists")

    monkeypatch.setattr(panel_module, "classify_firms", refuse)  # the row panel
    monkeypatch.setattr(firm_cluster, "classify_firms", refuse)  # the sets computed inline


def _changed_firms() -> pd.DataFrame:
    firms = FIRMS.copy()
    firms.loc[firms["firm_id"] == "b4", ["industry", "name", "scope"]] = [
        "3973",
        "北京丁集成电路有限公司",
        "集成电路制造",
    ]
    return firms


def test_workspace_table_same_monitor_read_and_refreshed(
    tmp_path: Path, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ws.duckdb"
    _make(path)
    with open_source(path) as src:  # read-only, nothing stored: classified inline
        assert firm_cluster.cached_clusters(src, plan) is None
        before = _monitor(src, plan)
    with open_workspace(path) as ws:  # writable: the analysis stores the table
        pd.testing.assert_frame_equal(_monitor(ws, plan), before)
    with monkeypatch.context() as m, open_source(path) as src:
        _no_classification(m)  # read-only now reads the stored table
        pd.testing.assert_frame_equal(_monitor(src, plan), before)

    with open_workspace(path) as ws:  # a re-import refreshes the stored table
        _import(ws, _changed_firms(), replace=True)
        assert firm_cluster.cached_clusters(ws, plan, build=False) is not None
        expected = _inline(ws, plan, monkeypatch)
    assert not expected.equals(before)  # the change moves b4 into a chip cluster
    with monkeypatch.context() as m, open_source(path) as src:
        _no_classification(m)
        pd.testing.assert_frame_equal(_monitor(src, plan), expected)

    with open_workspace(path) as ws:  # dropping firm data makes it stale
        ws.drop("firms")
        assert firm_cluster.cached_clusters(ws, plan, build=False) is None


def test_import_without_stored_tables_creates_none(tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    _make(path)
    with open_workspace(path, read_only=True) as ws:
        tables = {r[0] for r in ws.con.execute("SHOW TABLES").fetchall()}
    assert firm_cluster.TABLE not in tables and firm_cluster.STATE not in tables


def test_parquet_sidecar_keyed_by_firm_files(
    tmp_path: Path, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ws.duckdb"
    _make(path)
    out = tmp_path / "pq"
    with open_workspace(path, read_only=True) as ws:
        written = export_parquet(ws, out, partition_by={"firm_year": ["year"]})
    with open_source(parquet=out) as src:
        inline = _inline(src, plan, monkeypatch)
        assert _monitor(src, plan).equals(inline)  # builds the sidecar
        name = firm_cluster.sidecar_name(src, plan)
    assert name is not None and (out / firm_cluster.SIDECAR_FOLDER / name).is_file()
    with monkeypatch.context() as m, open_source(parquet=out) as src:
        _no_classification(m)
        pd.testing.assert_frame_equal(_monitor(src, plan), inline)

    (firm_file,) = sorted(Path(written["firm"]).rglob("*.parquet"))
    original = pq.read_table(firm_file)
    changed = original.to_pandas().set_index("firm_id")
    changed.update(_changed_firms().set_index("firm_id")[["industry", "name", "scope"]])
    pq.write_table(
        pa.Table.from_pandas(changed.reset_index(), schema=original.schema, preserve_index=False),
        firm_file,
    )
    with open_source(parquet=out) as src:
        fresh = firm_cluster.sidecar_name(src, plan)
        assert fresh != name
        assert firm_cluster.cached_clusters(src, plan, build=False) is None
        expected = _inline(src, plan, monkeypatch)
        pd.testing.assert_frame_equal(_monitor(src, plan), expected)
    assert not expected.equals(inline)
    # the stale sidecar of the same plan is removed when the fresh one is written
    fresh_sets = firm_cluster.sidecar_name(src, plan, firm_cluster.SETS)
    left = sorted(p.name for p in (out / firm_cluster.SIDECAR_FOLDER).glob("*.parquet"))
    assert left == sorted([fresh, fresh_sets])


def test_cli_firm_import_stores_the_plan_for_read_only_analyses(tmp_path: Path, plan: Plan) -> None:
    from clirun import run_cli

    path, csv = tmp_path / "ws.duckdb", tmp_path / "firms.csv"
    FIRMS.to_csv(csv, index=False)
    done = run_cli("import", "firms", str(csv), "--workspace", str(path))
    assert done.returncode == 0, done.stderr
    assert f"classification by plan {plan.id} stored" in done.stderr
    with open_workspace(path, read_only=True) as ws:  # what the analysis commands open
        stored = firm_cluster.cached_clusters(ws, plan, build=False)
        assert stored is not None
        got = stored.to_pandas().sort_values(["firm_id", "cluster"]).reset_index(drop=True)
        want = classify_firms(ws.table("firm"), plan).to_pandas()
    want = want.sort_values(["firm_id", "cluster"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want[got.columns.tolist()])
    again = run_cli("import", "firms", str(csv), "--workspace", str(path))
    assert again.returncode == 0 and "stored" not in again.stderr  # current: not rebuilt


def test_tables_of_an_older_classifier_are_rebuilt(tmp_path: Path, plan: Plan) -> None:
    path = tmp_path / "ws.duckdb"
    _make(path)
    with open_workspace(path) as ws:  # version 2: a flag column, no sets table, an older key
        ws.con.execute(
            f"CREATE TABLE {firm_cluster.TABLE} (plan_key VARCHAR, firm_id VARCHAR, "
            "cluster VARCHAR, rule VARCHAR, first_of_firm BOOLEAN)"
        )
        ws.con.execute(
            f"INSERT INTO {firm_cluster.TABLE} VALUES ('old', 'b1', 'ic', 'code:65', true)"
        )
        ws.con.execute(
            f"CREATE TABLE {firm_cluster.STATE} (plan_key VARCHAR PRIMARY KEY, "
            "plan_id VARCHAR, firm_version VARCHAR, built_at TIMESTAMP)"
        )
        ws.con.execute(f"INSERT INTO {firm_cluster.STATE} VALUES ('old', ?, 'x', now())", [plan.id])
        assert firm_cluster.refresh(ws) == []  # the old key is not the plan's: forgotten
        sets = firm_cluster.cached_cluster_sets(ws, plan)
        assert sets is not None and sets.count().execute() == len(FIRMS)
        columns = ws.ibis.table(firm_cluster.TABLE).columns
        assert "first_of_firm" not in columns
        assert len(_monitor(ws, plan))


def test_cluster_sets_are_the_union_of_the_rows(tmp_path: Path, plan: Plan) -> None:
    """Each firm's set holds exactly the bits of its clusters."""
    path = tmp_path / "ws.duckdb"
    _make(path)
    bits = firm_cluster.cluster_bits(plan)
    assert bits is not None
    with open_workspace(path) as ws:
        sets = firm_cluster.cached_cluster_sets(ws, plan)
        assert sets is not None
        got = sets.to_pandas().set_index("firm_id")
        rows = classify_firms(ws.table("firm"), plan).to_pandas()
    want = rows.assign(bit=rows["cluster"].map(bits)).groupby("firm_id")["bit"].sum()
    want = want.reindex(got.index, fill_value=0)
    assert (got[firm_cluster.CLUSTER_SET] == want).all()
    assert got["region"].equals(FIRMS.set_index("firm_id")["region"].astype(str)[got.index])


def test_workspace_import_stores_the_importers_plan_once(
    tmp_path: Path, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workspace import (every face: CLI, synth, web) stores the importer's plan; an
    unchanged re-import builds nothing, a changed one rebuilds the stale table."""
    built: list[str] = []
    store = firm_cluster.store
    monkeypatch.setattr(firm_cluster, "store", lambda ws, p: built.append(p.id) or store(ws, p))
    with open_workspace(tmp_path / "ws.duckdb") as ws:
        first = ws.import_frame("firms", FIRMS, dataset="firms", source="test", plan=plan)
        assert built == [plan.id]
        assert any(f"classification by plan {plan.id} stored" in n for n in first.notes)
        again = ws.import_frame("firms", FIRMS, dataset="firms", source="test", plan=plan)
        assert again.status == "unchanged"
        assert built == [plan.id] and not any("classification" in n for n in again.notes)
        _import(ws, _changed_firms(), replace=True)  # no plan given: the stored one follows
        assert built == [plan.id, plan.id]
        assert firm_cluster.cached_clusters(ws, plan, build=False) is not None


def test_a_failed_sidecar_build_leaves_no_file(
    tmp_path: Path, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows and the sets are renamed into place only when all are written: a fault in
    the last step (the sets) leaves neither, nor a staged file; the next run builds both."""
    path = tmp_path / "ws.duckdb"
    _make(path)
    out = tmp_path / "pq"
    with open_workspace(path, read_only=True) as ws:
        export_parquet(ws, out)

    def disk_full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m, open_source(parquet=out) as src:
        m.setattr(firm_cluster, "cluster_sets", disk_full)
        with pytest.raises(OSError, match="No space"):
            firm_cluster.cached_cluster_sets(src, plan)
    assert list((out / firm_cluster.SIDECAR_FOLDER).iterdir()) == []
    with open_source(parquet=out) as src:
        assert firm_cluster.cached_cluster_sets(src, plan) is not None
    assert len(list((out / firm_cluster.SIDECAR_FOLDER).glob("*.parquet"))) == 2
