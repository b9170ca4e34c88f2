"""The single owner of the DuckDB warehouse file.

Contract:
- ``Warehouse`` is the only code that opens the DuckDB file. One instance per process
  holds the read-write connection; threads read through ``reader()`` (a cursor each)
  and write through ``upsert``/``write``, which serialise on a lock and run in one
  transaction each, so a failed batch leaves nothing behind.
- Opening a file that another process holds raises ``WarehouseLockedError`` naming the
  file and the holder; a file that is not a DuckDB database raises ``WarehouseError``.
- Migrations are the ordered ``NNNN_name.sql`` files beside this module. Applied
  versions are recorded in ``schema_version`` and never re-applied.
- Writes are upserts keyed by each table's primary key (deterministic ids), so the
  same record written twice leaves one row.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from analytics.records import (
    Area,
    Camera,
    CameraGroup,
    CameraGroupMember,
    CameraCheck,
    CountBin,
    Outage,
    PipelineRun,
    Site,
    SiteArea,
    Violation,
)

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened or written; the message says why and which file."""


class WarehouseLockedError(WarehouseError):
    """Another process holds the DuckDB file (DuckDB allows one writing process)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


@dataclass(frozen=True, kw_only=True, slots=True)
class _TableSpec:
    table: str
    key: tuple[str, ...]
    stamped: bool  # has an updated_at column filled at write time
    keep: tuple[str, ...] = ()  # columns an upsert never overwrites on an existing row (human decisions)


_TABLES: dict[type, _TableSpec] = {
    Site: _TableSpec(table="sites", key=("site_id",), stamped=True),
    Camera: _TableSpec(table="cameras", key=("camera_id",), stamped=True),
    CameraCheck: _TableSpec(table="camera_checks", key=("camera_id", "checked_at"), stamped=False),
    Outage: _TableSpec(table="outages", key=("outage_id",), stamped=False),
    PipelineRun: _TableSpec(table="pipeline_runs", key=("run_id",), stamped=False),
    Violation: _TableSpec(table="violations", key=("violation_id",), stamped=True, keep=("workflow_state",)),
    CountBin: _TableSpec(
        table="count_bins", key=("camera_id", "bin_start", "vehicle_class", "movement"), stamped=False
    ),
    Area: _TableSpec(table="areas", key=("area_id",), stamped=False),
    SiteArea: _TableSpec(table="site_areas", key=("site_id",), stamped=False),
    CameraGroup: _TableSpec(table="camera_groups", key=("group_id",), stamped=False),
    CameraGroupMember: _TableSpec(table="camera_group_members", key=("group_id", "camera_id"), stamped=False),
}


def available_migrations() -> list[Migration]:
    """All migrations shipped with the package, ordered by version."""
    found: list[Migration] = []
    for entry in resources.files("analytics.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(
                Migration(version=int(match[1]), name=match[2], sql=entry.read_text(encoding="utf-8"))
            )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise WarehouseError(f"duplicate migration versions in analytics/migrations: {versions}")
    return found


def _cell(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


class Warehouse:
    """Owner of the read-write DuckDB connection. Use ``Warehouse.open`` and ``close``."""

    def __init__(self, path: Path, connection: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self._con = connection
        self._write_lock = threading.Lock()

    @classmethod
    def open(cls, path: Path | str, *, migrate: bool = True) -> Warehouse:
        """Open (creating if needed) the warehouse file and apply pending migrations."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(path))
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" in text.lower():
                raise WarehouseLockedError(
                    f"Kho dữ liệu {path} đang được một tiến trình khác giữ (DuckDB chỉ cho một "
                    f"tiến trình ghi). Hãy dừng ứng dụng đang chạy hoặc gửi lệnh qua ứng dụng. "
                    f"Chi tiết: {text}"
                ) from exc
            raise WarehouseError(f"Không mở được kho dữ liệu {path}: {text}") from exc
        except duckdb.Error as exc:
            raise WarehouseError(f"Không mở được kho dữ liệu {path}: {exc}") from exc
        con.execute("SET TimeZone = 'UTC'")
        warehouse = cls(path, con)
        if migrate:
            warehouse.migrate()
        return warehouse

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- migrations -------------------------------------------------------------

    def schema_version(self) -> int:
        """Highest applied migration version, 0 for a new file."""
        with self.reader() as cur:
            exists = cur.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
            ).fetchone()
            if not exists or exists[0] == 0:
                return 0
            row = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
            return int(row[0]) if row else 0

    def migrate(self, target: int | None = None) -> list[Migration]:
        """Apply pending migrations up to ``target`` (default: all); return those applied."""
        applied: list[Migration] = []
        with self._write_lock:
            cur = self._con.cursor()
            try:
                cur.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version ("
                    " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                    " applied_at TIMESTAMPTZ NOT NULL)"
                )
                done = {int(r[0]) for r in cur.execute("SELECT version FROM schema_version").fetchall()}
                for migration in available_migrations():
                    if migration.version in done:
                        continue
                    if target is not None and migration.version > target:
                        break
                    cur.execute("BEGIN TRANSACTION")
                    try:
                        cur.execute(migration.sql)
                        cur.execute(
                            "INSERT INTO schema_version VALUES (?, ?, ?)",
                            [migration.version, migration.name, datetime.now(UTC)],
                        )
                        cur.execute("COMMIT")
                    except duckdb.Error as exc:
                        cur.execute("ROLLBACK")
                        raise WarehouseError(
                            f"Migration {migration.version:04d}_{migration.name}.sql failed on {self.path}: {exc}"
                        ) from exc
                    log.info("applied migration %04d_%s", migration.version, migration.name)
                    applied.append(migration)
            finally:
                cur.close()
        return applied

    # --- reads ------------------------------------------------------------------

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for read queries from any thread; closed on exit."""
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    # --- writes -----------------------------------------------------------------

    def upsert(self, *batches: Sequence[Any]) -> int:
        """Insert-or-replace the records of every batch in one transaction; return rows written.

        Each batch holds records of one type. Records with the same key in one batch
        collapse to the last one. If any batch fails, nothing of the call is written.
        """
        frames = [(spec, frame) for spec, frame in (self._frame(b) for b in batches if b)]
        if not frames:
            return 0
        written = 0
        with self.writer() as cur:
            for spec, frame in frames:
                columns = ", ".join(f'"{c}"' for c in frame.columns)
                cur.register("_batch", frame)  # dropped with the cursor, also after a failure
                if spec.keep:
                    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in frame.columns
                                        if c not in spec.keep and c not in spec.key)
                    keys = ", ".join(f'"{c}"' for c in spec.key)
                    cur.execute(f"INSERT INTO {spec.table} ({columns}) SELECT {columns} FROM _batch "
                                f"ON CONFLICT ({keys}) DO UPDATE SET {updates}")
                else:
                    cur.execute(f"INSERT OR REPLACE INTO {spec.table} ({columns}) SELECT {columns} FROM _batch")
                cur.unregister("_batch")
                written += len(frame)
        return written

    def replace_demo(self, record_type: type, frame: pd.DataFrame, *, time_column: str | None = None,
                     start: datetime | None = None, end: datetime | None = None) -> int:
        """Replace the ``source='demo'`` rows of one table (within [start, end) of
        ``time_column`` when given) by ``frame``, in one transaction; returns rows written.

        ``frame`` must have exactly the columns of ``record_type`` (bulk path for the
        simulated history, where building millions of record objects would be wasteful).
        """
        spec = _TABLES.get(record_type)
        if spec is None:
            raise TypeError(f"no warehouse table for {record_type.__name__}")
        expected = [f.name for f in dataclasses.fields(record_type)]
        if not frame.empty and sorted(frame.columns) != sorted(expected):
            raise ValueError(f"{record_type.__name__} frame columns {sorted(frame.columns)} != {sorted(expected)}")
        if not frame.empty and (frame["source"] != "demo").any():
            raise ValueError("replace_demo writes demo rows only")
        where, params = "source = 'demo'", []
        if time_column is not None:
            if time_column not in expected or start is None or end is None:
                raise ValueError("time_column needs start and end and must be a column")
            where += f' AND "{time_column}" >= ? AND "{time_column}" < ?'
            params = [start, end]
        with self.writer() as cur:
            cur.execute(f"DELETE FROM {spec.table} WHERE {where}", params)
            if frame.empty:
                return 0
            data = frame.loc[:, expected]
            if spec.stamped:
                data = data.assign(updated_at=pd.Timestamp.now(tz="UTC"))
            columns = ", ".join(f'"{c}"' for c in data.columns)
            cur.register("_batch", data)
            cur.execute(f"INSERT INTO {spec.table} ({columns}) SELECT {columns} FROM _batch")
            cur.unregister("_batch")
        return len(frame)

    @staticmethod
    def _frame(records: Sequence[Any]) -> tuple[_TableSpec, pd.DataFrame]:
        kind = type(records[0])
        spec = _TABLES.get(kind)
        if spec is None:
            raise TypeError(f"no warehouse table for {kind.__name__}")
        if any(type(r) is not kind for r in records):
            raise TypeError("each batch must hold records of a single type")
        rows = [{f.name: _cell(getattr(r, f.name)) for f in dataclasses.fields(r)} for r in records]
        frame = pd.DataFrame(rows)
        if spec.stamped:
            frame["updated_at"] = pd.Timestamp.now(tz="UTC")
        return spec, frame.drop_duplicates(subset=list(spec.key), keep="last")

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside one transaction, serialised with every other write.

        Commits on normal exit, rolls back on any exception (and re-raises it).
        """
        with self._write_lock:
            cur = self._con.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            finally:
                cur.close()

    def checkpoint(self) -> None:
        """Flush the write-ahead log into the database file."""
        with self._write_lock:
            self._con.execute("CHECKPOINT")
