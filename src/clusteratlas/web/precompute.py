"""What the dashboard pages need, computed once and stored next to the workspace.

The heavy analyses behind the pages (the ladder screening of every firm, the ladder pipeline
over all years, the cluster monitor …) take tens of seconds on a demo-sized registry; a page
must answer in about a second. So the results the pages read are computed **off the request
path** — by ``clusteratlas demo`` right after it builds the workspace, and by ``serve`` in a
background thread when they are missing or stale — and stored as Parquet files in
``<workspace>.pages/`` with a manifest. A store is valid only for the workspace file it was
computed from (size and modification time), the plan and the package version; anything else
and the pages compute on demand, as before.

The firm page reads one firm's rows from the stored screening of every firm (a filtered
Parquet read), so it never screens the whole registry on a request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from clusteratlas.errors import AnalysisError

log = logging.getLogger("clusteratlas.web")

#: Default parameters of each command as the pages call it (identical to the JSON routes').
DEFAULTS: dict[str, dict[str, Any]] = {
    "clusters": {
        "year": None,
        "all_years": False,
        "region": None,
        "geography": "plan",
        "n_sim": 2000,
        "seed": 0,
        "basis": None,
    },
    "targets": {"as_of": None, "facts": False, "n_sim": 2000, "seed": 0},
    "chains": {"chain": None, "region": None, "year": None, "summary": False},
    "coverage": {"chain": None, "region": None, "year": None},
    "attract": {"region": None, "year": None, "limit": 20},
    "regions": {"group": "jingjinji", "chain": None, "year": None, "basis": None},
    "ladder": {
        "tier": None,
        "region": None,
        "year": None,
        "view": "screen",
        "status": None,
        "ruleset": None,
        "year_offset": 1,
        "firm": None,
        "limit": 1000,
    },
    "opportunities": {
        "level": "class",
        "year": None,
        "indicator": "revenue",
        "region_level": "county",
        "source": "auto",
        "strategy": "balanced",
        "rca_cutoff": 1.0,
        "top": 20,
    },
    "linkages": {"table": "china-2020-42", "by": "sector", "block": "auto"},
}

#: The region of the opportunities page when none is asked for (Haidian).
DEFAULT_DISTRICT = "110108"


def params(command: str, **override: Any) -> dict[str, Any]:
    """The page parameters of ``command``: :data:`DEFAULTS` with ``override``."""
    return {**DEFAULTS[command], **override}


#: The screening of every firm (latest year, all tiers) — the firm page and the ladder list.
SCREEN_ALL = ("ladder", params("ladder", limit=None))

#: Everything the pages read on first load, cheapest first.
PAGE_RUNS: list[tuple[str, dict[str, Any]]] = [
    ("targets", params("targets")),
    ("coverage", params("coverage")),
    ("chains", params("chains")),
    ("regions", params("regions")),
    ("linkages", params("linkages")),
    ("clusters", params("clusters", all_years=True)),
    ("clusters", params("clusters", all_years=True, geography="firm")),
    ("opportunities", params("opportunities", region=DEFAULT_DISTRICT, top=None)),
    SCREEN_ALL,
    ("ladder", params("ladder", view="pipeline")),
]


def store_dir(workspace: Path) -> Path:
    """Where the page results of ``workspace`` are stored: ``<workspace>.pages/``."""
    return workspace.with_name(workspace.name + ".pages")


def _stats(workspace: Path) -> list[list[int]]:
    files = [workspace, workspace.with_name(workspace.name + ".wal")]
    return [[p.stat().st_size, p.stat().st_mtime_ns] for p in files if p.exists()]


def registry_hash(workspace: Path) -> str:
    """A hash of the workspace's dataset registry (names, content hashes, rows, import
    times): it changes with every import, and not when the file is merely copied."""
    from clusteratlas.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        frame = ws.datasets()
    rows = frame[["name", "content_hash", "rows", "imported_at"]].astype(str).to_numpy().tolist()
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def fingerprint(workspace: Path, plan: Any, *, registry: bool = True) -> dict[str, Any]:
    """What a store is valid for: the workspace file (and WAL) size and mtime, its dataset
    registry (``registry``), the plan and the package version."""
    from clusteratlas import __version__

    return {
        "workspace": _stats(workspace),
        "registry": registry_hash(workspace) if registry else None,
        "plan": hashlib.sha256(
            (plan.model_dump_json() if hasattr(plan, "model_dump_json") else str(plan)).encode()
        ).hexdigest(),
        "version": __version__,
    }


def key(command: str, parameters: dict[str, Any]) -> str:
    """A stable file name for ``command`` with ``parameters``."""
    text = json.dumps([command, sorted(parameters.items())], default=str, sort_keys=True)
    return f"{command}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


class Store:
    """The stored page results of one workspace and plan (read side)."""

    def __init__(self, workspace: Path, plan: Any) -> None:
        self.workspace = Path(workspace)
        self.plan = plan
        self.dir = store_dir(self.workspace)
        self._memo: dict[str, pd.DataFrame] = {}
        self._checked: tuple[float, bool] = (0.0, False)
        self._lock = threading.Lock()

    def valid(self) -> bool:
        """Whether the store matches the workspace and plan (re-checked at most every 2 s)."""
        now = time.monotonic()
        if now - self._checked[0] < 2.0:
            return self._checked[1]
        manifest = self.dir / "manifest.json"
        ok = False
        if manifest.exists():
            try:
                stored = json.loads(manifest.read_text(encoding="utf-8")).get("fingerprint", {})
                quick = fingerprint(self.workspace, self.plan, registry=False)
                same = {k: v for k, v in stored.items() if k != "registry"}
                if {**same, "registry": None} == quick:
                    ok = True  # the very file the store was computed from
                elif {k: v for k, v in same.items() if k != "workspace"} == {
                    k: v for k, v in quick.items() if k not in ("workspace", "registry")
                }:
                    # a copy or a touched file: the same datasets are the same data
                    ok = stored.get("registry") == registry_hash(self.workspace)
            except Exception:  # unreadable manifest or workspace: compute on demand
                ok = False
        if not ok:
            self._memo.clear()
        self._checked = (now, ok)
        return ok

    def get(self, command: str, parameters: dict[str, Any]) -> pd.DataFrame | None:
        """The stored result, or ``None`` if the store has none (or is stale)."""
        if not self.valid():
            return None
        name = key(command, parameters)
        with self._lock:
            if name in self._memo:
                return self._memo[name]
            path = self.dir / f"{name}.parquet"
            if not path.exists():
                return None
            frame = pd.read_parquet(path)
            self._memo[name] = frame
            return frame

    def firm_rows(self, firm_id: str) -> pd.DataFrame | None:
        """One firm's rows of the screening of every firm (a filtered read), or ``None``."""
        return self.screened(filters=[("firm_id", "==", firm_id)])

    def screened(
        self, *, columns: list[str] | None = None, filters: list[tuple[str, str, Any]] | None = None
    ) -> pd.DataFrame | None:
        """Rows and columns of the stored screening of every firm (Parquet filters: only the
        row groups that can match are read), or ``None`` without a valid store."""
        if not self.valid():
            return None
        path = self.dir / f"{key(*SCREEN_ALL)}.parquet"
        if not path.exists():
            return None
        return pq.read_table(path, columns=columns, filters=filters).to_pandas()


def precompute(
    workspace: str | Path,
    plan: Any,
    *,
    runs: list[tuple[str, dict[str, Any]]] | None = None,
    compute: Any = None,
) -> dict[str, float]:
    """Compute the page results of ``workspace`` and store them; returns seconds per run.

    ``compute(command, params)`` defaults to ``api.<command>`` on the workspace opened
    read-only once. The manifest is written last, so an interrupted run leaves no valid store.
    """
    from clusteratlas import api
    from clusteratlas.model.plan import Plan, load_plan

    path = Path(workspace)
    the_plan = plan if isinstance(plan, Plan) else load_plan(plan)
    out = store_dir(path)
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / "manifest.json"
    if manifest.exists():
        manifest.unlink()
    before = fingerprint(path, the_plan)
    timings: dict[str, float] = {}
    names: dict[str, str] = {}
    for command, parameters in runs or PAGE_RUNS:
        start = time.perf_counter()
        try:
            if compute is not None:
                frame = compute(command, parameters)
            elif command == "linkages":
                frame = api.linkages(None, the_plan, **parameters)
            else:
                frame = getattr(api, command)(path, the_plan, **parameters)
        except AnalysisError as exc:  # a refusal (e.g. complexity not identified): the page
            log.info("page data %s not stored: %s", command, exc)  # says why on demand
            continue
        name = key(command, parameters)
        tmp = out / f"{name}.parquet.tmp"
        # small row groups: one firm's rows are found from the row-group statistics
        frame.to_parquet(tmp, index=False, row_group_size=4096)
        tmp.replace(out / f"{name}.parquet")
        names[name] = f"{command} {json.dumps(parameters, default=str, sort_keys=True)}"
        timings[name] = time.perf_counter() - start
    if fingerprint(path, the_plan) != before:  # the workspace changed meanwhile: not valid
        return timings
    tmp = out / "manifest.json.tmp"
    tmp.write_text(
        json.dumps({"fingerprint": before, "entries": names}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    tmp.replace(manifest)
    return timings


def warm_up(plan: Any) -> None:
    """Load what the first page requests would otherwise load (the ladder module, the tier
    rules, the DuckDB engine behind Ibis), so that no visitor pays for it."""
    import ibis

    from clusteratlas.analysis import ladder  # noqa: F401  (import cost only)
    from clusteratlas.analysis.tier_rules import load_ruleset

    load_ruleset(plan.tier_ruleset)
    ibis.memtable({"x": [1]}).to_pandas()


def warm_in_background(state: Any, store: Store) -> threading.Thread | None:
    """Start computing a missing or stale store in a daemon thread (``serve``); the results
    also land in the app's result cache. ``None`` when the store is already valid."""
    threading.Thread(target=warm_up, args=(state.plan,), daemon=True).start()
    if store.valid() or not store.workspace.exists():
        return None

    def work() -> None:
        try:
            precompute(store.workspace, state.plan, compute=lambda c, p: state.run(c, **p))
            store._checked = (0.0, False)
        except Exception:  # a failed warm-up only costs speed: pages compute on demand
            log.exception("precomputing the dashboard pages failed")

    thread = threading.Thread(target=work, name="clusteratlas-precompute", daemon=True)
    thread.start()
    return thread
