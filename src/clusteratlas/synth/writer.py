"""Incremental writers for the synthetic registry: CSV, one Parquet file per table, or a
hive-partitioned Parquet dataset (``year=…/province=…``). Every batch is written as it is
generated, so memory is bounded by one chunk.

Completion marker: while a registry is being written its folder holds
:data:`INCOMPLETE_MARKER`; :meth:`Sink.finish` replaces it by :data:`COMPLETE_MARKER` (JSON:
each file's size in bytes). A failure or Ctrl-C removes the partial files
(:meth:`Sink.abort`); a killed run leaves the incomplete marker, and
:func:`check_complete` — called by every import — refuses files from such a folder, so a
cut-off registry never imports as if whole."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from clusteratlas.errors import ClusterAtlasError

KINDS = ("firms", "firm-years", "tags")
"""Table kinds, as the workspace import spells them (files are ``KIND.csv`` / ``KIND.parquet``)."""
INCOMPLETE_MARKER = "SYNTHETIC.incomplete"
"""Present while ``synth`` writes (and after a run that was killed)."""
COMPLETE_MARKER = "SYNTHETIC.complete"
"""Written last: the files of a finished run and their sizes in bytes."""
ROW_GROUP_ROWS = 1 << 20
"""Largest Parquet row group of a compacted partition (rows); a smaller partition is one group."""


def check_complete(path: Path) -> None:
    """A :class:`ClusterAtlasError` if ``path`` belongs to an unfinished or since-changed
    ``synth`` output (nothing to check for other files)."""
    folder = path.parent
    for parent in (folder, folder.parent):  # a partitioned table sits one level deeper
        if (parent / INCOMPLETE_MARKER).exists():
            raise ClusterAtlasError(
                f"{path}: this synthetic registry is incomplete ({parent / INCOMPLETE_MARKER} "
                "is present: synth was interrupted); run `clusteratlas synth` again"
            )
    marker = folder / COMPLETE_MARKER
    if not marker.exists() or not path.is_file():
        return
    try:
        sizes = json.loads(marker.read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError):
        return
    expected = sizes.get(path.name)
    if expected is not None and path.stat().st_size != expected:
        raise ClusterAtlasError(
            f"{path}: {path.stat().st_size} bytes, but synth wrote {expected} bytes "
            f"({marker.name}); the file was cut or changed — run `clusteratlas synth` again"
        )


def _province(region: pa.ChunkedArray | pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(pc.utf8_slice_codeunits(region, 0, 2), "0000", "")


class Sink:
    """Writes the three tables batch by batch into ``out_dir`` in ``fmt``."""

    def __init__(self, out_dir: Path, fmt: str, partition: bool = False) -> None:
        if fmt not in ("csv", "parquet"):
            raise ClusterAtlasError(f"synth: --format must be csv or parquet, got {fmt!r}")
        if partition and fmt != "parquet":
            raise ClusterAtlasError("synth: --partition needs --format parquet")
        self.out_dir = out_dir
        self.fmt = fmt
        self.partition = partition
        self._csv: dict[str, pacsv.CSVWriter] = {}
        self._pq: dict[str, pq.ParquetWriter] = {}
        self._parts: dict[str, int] = {}
        self._region_of: dict[str, str] = {}
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / COMPLETE_MARKER).unlink(missing_ok=True)
        (out_dir / INCOMPLETE_MARKER).write_text(
            "synth is writing this folder (or was interrupted); do not import it\n",
            encoding="utf-8",
        )

    def path(self, kind: str) -> Path:
        """Where ``kind`` is written (a directory when partitioned)."""
        if self.partition:
            return self.out_dir / kind
        return self.out_dir / f"{kind}.{self.fmt}"

    def write(self, kind: str, table: pa.Table, province: pa.Array | None = None) -> None:
        """Append ``table`` (``province``: each row's province code, for partitioning)."""
        if self.partition:
            self._write_partitioned(kind, table, province)
        elif self.fmt == "csv":
            if kind not in self._csv:
                self._csv[kind] = pacsv.CSVWriter(self.path(kind), table.schema)
            self._csv[kind].write_table(table)
        else:
            if kind not in self._pq:
                self._pq[kind] = pq.ParquetWriter(self.path(kind), table.schema, compression="zstd")
            self._pq[kind].write_table(table)

    def _write_partitioned(self, kind: str, table: pa.Table, province: pa.Array | None) -> None:
        part = self._parts.get(kind, 0)
        self._parts[kind] = part + 1
        if province is not None:
            table = table.append_column("province", province)
        keys = [c for c in ("year", "province") if c in table.column_names]
        schema = pa.schema([table.schema.field(k) for k in keys])
        pads.write_dataset(
            table,
            self.path(kind),
            format="parquet",
            partitioning=pads.partitioning(schema, flavor="hive"),
            basename_template=f"part-{part:06d}-{{i}}.parquet",
            existing_data_behavior="overwrite_or_ignore",
            use_threads=False,
            file_options=pads.ParquetFileFormat().make_write_options(compression="zstd"),
            max_rows_per_group=1 << 20,
            min_rows_per_group=0,
        )

    def close(self) -> None:
        """Finish every open file and compact the partitioned datasets."""
        self._close_writers()
        if self.partition:
            for kind in self._parts:
                compact_partitions(self.path(kind))
        self._parts.clear()

    def _close_writers(self) -> None:
        for w in self._csv.values():
            w.close()
        for p in self._pq.values():
            p.close()
        self._csv.clear()
        self._pq.clear()

    def finish(self, extra: list[Path] | None = None) -> None:
        """Close the files and mark the folder complete (sizes of the tables and ``extra``)."""
        self.close()
        files = [self.path(k) for k in KINDS if self.path(k).is_file()] + list(extra or [])
        record = {"files": {p.name: p.stat().st_size for p in files if p.is_file()}}
        (self.out_dir / COMPLETE_MARKER).write_text(
            json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
        (self.out_dir / INCOMPLETE_MARKER).unlink(missing_ok=True)

    def abort(self) -> None:
        """After a failure or Ctrl-C: close and remove the partial tables and the marker."""
        with contextlib.suppress(Exception):
            self._close_writers()
        for kind in KINDS:
            target = self.path(kind)
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
        (self.out_dir / INCOMPLETE_MARKER).unlink(missing_ok=True)


def compact_partitions(folder: Path, row_group_rows: int = ROW_GROUP_ROWS) -> None:
    """Rewrite each leaf folder of the hive dataset ``folder`` as one ``part-000000.parquet``
    with row groups of up to ``row_group_rows`` rows, the rows in file-name order (the order
    the chunks were written). Memory: one partition at a time."""
    leaves = sorted({p.parent for p in folder.rglob("part-*.parquet")})
    for leaf in leaves:
        parts = sorted(leaf.glob("part-*.parquet"))
        table = pa.concat_tables([pq.ParquetFile(p).read() for p in parts])
        staged = leaf / "compacting.parquet.tmp"
        pq.write_table(table, staged, compression="zstd", row_group_size=row_group_rows)
        del table
        for p in parts:
            p.unlink()
        staged.rename(leaf / "part-000000.parquet")


def province_of(region: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Province code (``110000``) of 6-digit region codes."""
    out = _province(region)
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out
