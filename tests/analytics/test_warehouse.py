from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from analytics.records import CameraStatus, CountBin
from analytics.warehouse import Warehouse, WarehouseError, WarehouseLockedError, available_migrations
from tests.analytics import builders
from tests.conftest import warehouse_held_by_another_process


def test_new_file_is_migrated_to_latest(warehouse: Warehouse) -> None:
    latest = available_migrations()[-1].version
    assert warehouse.schema_version() == latest
    with warehouse.reader() as cur:
        tables = {r[0] for r in cur.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"sites", "cameras", "camera_checks", "outages", "violations", "count_bins",
            "pipeline_runs", "schema_version"} <= tables


def test_migrations_are_ordered_and_unique() -> None:
    versions = [m.version for m in available_migrations()]
    assert versions == sorted(versions) == list(range(1, len(versions) + 1))


def test_migrate_is_idempotent(warehouse: Warehouse) -> None:
    assert warehouse.migrate() == []
    with warehouse.reader() as cur:
        rows = cur.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert [r[0] for r in rows] == [m.version for m in available_migrations()]


def test_reopen_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    Warehouse.open(path).close()
    with Warehouse.open(path, migrate=False) as again:
        assert again.migrate() == []


def test_upgrade_from_older_version_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    old = Warehouse.open(path, migrate=False)
    assert [m.version for m in old.migrate(target=1)] == [1]
    old.upsert([builders.site()], [builders.camera()])
    old.close()

    with Warehouse.open(path) as new:
        assert new.schema_version() == available_migrations()[-1].version
        with new.reader() as cur:
            assert cur.execute("SELECT camera_id FROM cameras").fetchall() == [("C1",)]
        new.upsert([builders.check()])


def test_upsert_is_keyed_and_idempotent(warehouse: Warehouse) -> None:
    warehouse.upsert([builders.site()], [builders.camera(), builders.camera(camera_id="C2")])
    warehouse.upsert([builders.camera(name="Tên mới")])
    with warehouse.reader() as cur:
        rows = cur.execute("SELECT camera_id, name FROM cameras ORDER BY camera_id").fetchall()
    assert rows == [("C1", "Tên mới"), ("C2", "Camera thử nghiệm")]


def test_duplicate_keys_in_one_batch_keep_the_last(warehouse: Warehouse) -> None:
    warehouse.upsert([builders.camera(name="a"), builders.camera(name="b")])
    with warehouse.reader() as cur:
        assert cur.execute("SELECT name FROM cameras").fetchall() == [("b",)]


def test_failed_batch_writes_nothing(warehouse: Warehouse) -> None:
    bad = CountBin(camera_id="C1", bin_start=datetime(2025, 1, 1, tzinfo=UTC), vehicle_class="car",
                   movement="through", count=1)
    object.__setattr__(bad, "count", -5)  # bypass the record check to hit the table CHECK
    with pytest.raises(Exception):
        warehouse.upsert([builders.camera()], [bad])
    with warehouse.reader() as cur:
        assert cur.execute("SELECT count(*) FROM cameras").fetchone() == (0,)


def test_timestamps_are_stored_in_utc(warehouse: Warehouse) -> None:
    hanoi = timezone(timedelta(hours=7))
    local = datetime(2025, 3, 1, 8, 30, tzinfo=hanoi)
    with pytest.raises(ValueError, match="UTC"):
        builders.check(checked_at=local)
    with pytest.raises(ValueError, match="UTC"):
        builders.check(checked_at=datetime(2025, 3, 1, 8, 30))
    warehouse.upsert([builders.check(checked_at=local.astimezone(UTC), status=CameraStatus.OFFLINE)])
    with warehouse.reader() as cur:
        stored = cur.execute("SELECT checked_at, status FROM camera_checks").fetchone()
    assert stored[0] == datetime(2025, 3, 1, 1, 30, tzinfo=UTC)
    assert stored[1] == "offline"


def test_violation_round_trip(warehouse: Warehouse) -> None:
    warehouse.upsert([builders.violation()])
    warehouse.upsert([builders.violation()])
    with warehouse.reader() as cur:
        rows = cur.execute("SELECT violation_id, violation_type, plate_text, workflow_state FROM violations").fetchall()
    assert rows == [("V1", "red_light", "68-B1 234.56", "detected")]


def test_upsert_rejects_mixed_and_unknown_types(warehouse: Warehouse) -> None:
    with pytest.raises(TypeError):
        warehouse.upsert([builders.camera(), builders.site()])
    with pytest.raises(TypeError):
        warehouse.upsert(["not a record"])


def test_second_process_gets_a_clear_lock_error(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with warehouse_held_by_another_process(path), pytest.raises(WarehouseLockedError) as info:
        Warehouse.open(path)
    message = str(info.value)
    assert str(path) in message
    assert "tiến trình khác" in message


def test_not_a_database_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    path.write_bytes(b"this is not duckdb" * 1000)
    with pytest.raises(WarehouseError) as info:
        Warehouse.open(path)
    assert str(path) in str(info.value)
