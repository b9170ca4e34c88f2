"""The CLI end to end, in-process with typer's runner, against a temp warehouse."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analytics.warehouse import Warehouse, available_migrations
from cli import app
from tests.conftest import REGISTRY_DIR, warehouse_held_by_another_process

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run(config_file: Path):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["--config", str(config_file), *args])

    return invoke


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("db", "cameras", "sites", "demo", "config"):
        assert command in result.output


def test_migrate_then_status(run) -> None:  # type: ignore[no-untyped-def]
    first = run("db", "migrate", "--to", "1")
    assert first.exit_code == 0 and "0001_registry" in first.output and "Phiên bản lược đồ: 1" in first.output
    second = run("db", "migrate")
    assert second.exit_code == 0 and "0002_operations" in second.output and "0001" not in second.output
    again = run("db", "migrate")
    assert "đã mới nhất" in again.output
    status = run("db", "status")
    latest = available_migrations()[-1].version
    assert status.exit_code == 0 and f"schema version {latest}" in status.output


def test_demo_prepare_is_idempotent(run) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        result = run("demo", "prepare")
        assert result.exit_code == 0, result.output
        assert "111 điểm, 481 camera" in result.output
    status = run("db", "status")
    assert "cameras" in status.output and " 481" in status.output


def test_bad_camera_file_is_rejected_with_reasons(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("demo", "prepare").exit_code == 0
    with (REGISTRY_DIR / "cameras.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))[:3]
    rows[1]["lat"] = "200"
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = run("cameras", "import", str(bad))
    assert result.exit_code == 2
    assert "line 3, lat: 200.0 is outside [-90.0, 90.0]" in result.output
    assert "nothing was written" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg"])
def test_export_then_import(run, tmp_path: Path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    assert run("demo", "prepare").exit_code == 0
    cams, sites = tmp_path / f"cams{suffix}", tmp_path / f"sites{suffix}"
    assert run("cameras", "export", str(cams)).exit_code == 0
    assert run("sites", "export", str(sites)).exit_code == 0
    assert cams.exists() and sites.exists()
    result = run("cameras", "import", str(cams), "--sites", str(sites))
    assert result.exit_code == 0, result.output
    assert "481 camera và 111 điểm" in result.output


def test_bad_config_is_reported_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("server:\n  port: 99999\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(bad), "db", "status"])
    assert result.exit_code == 2
    assert "server.port" in result.output and "Traceback" not in result.output


def test_locked_warehouse_gives_a_clear_message(config_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "runtime" / "warehouse.duckdb"
    with warehouse_held_by_another_process(path):
        result = subprocess.run(
            [sys.executable, str(ROOT / "cli.py"), "--config", str(config_file), "demo", "prepare"],
            capture_output=True, text=True, timeout=120, cwd=ROOT,
        )
    assert result.returncode == 2
    assert str(path) in result.stderr and "tiến trình khác" in result.stderr
    assert "Traceback" not in result.stderr


def test_first_admin_and_users_from_the_cli(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("demo", "prepare").exit_code == 0
    runner_input = "Quantri-2025\n"
    result = CliRunner().invoke(app, ["--config", str(tmp_path / "config.yaml"), "users", "create-admin", "quantri",
                                      "--password-stdin"], input=runner_input)
    assert result.exit_code == 0, result.output
    again = CliRunner().invoke(app, ["--config", str(tmp_path / "config.yaml"), "users", "create-admin", "quantri",
                                     "--password-stdin"], input=runner_input)
    assert again.exit_code == 2 and "đã tồn tại" in again.output
    weak = CliRunner().invoke(app, ["--config", str(tmp_path / "config.yaml"), "users", "add", "canbo1",
                                    "--role", "enforcement_officer", "--scope", "area:KG-RG", "--password-stdin"],
                              input="short\n")
    assert weak.exit_code == 2 and "ít nhất 10 ký tự" in weak.output
    bad_scope = CliRunner().invoke(app, ["--config", str(tmp_path / "config.yaml"), "users", "add", "canbo1",
                                         "--role", "enforcement_officer", "--scope", "area:NOWHERE",
                                         "--password-stdin"], input="Canbo-2025-x\n")
    assert bad_scope.exit_code == 2 and "Phạm vi không tồn tại" in bad_scope.output
    ok = CliRunner().invoke(app, ["--config", str(tmp_path / "config.yaml"), "users", "add", "canbo1",
                                  "--role", "enforcement_officer", "--scope", "area:KG-RG", "--scope",
                                  "group:TB-CN-VP", "--password-stdin"], input="Canbo-2025-x\n")
    assert ok.exit_code == 0, ok.output
    listing = run("users", "list")
    assert "quantri" in listing.output and "admin" in listing.output
    assert "canbo1" in listing.output and "area:KG-RG" in listing.output and "group:TB-CN-VP" in listing.output
    assert run("users", "disable", "canbo1").exit_code == 0
    assert "[đã khóa]" in run("users", "list").output


def test_audit_verify_and_export(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("demo", "prepare").exit_code == 0
    CliRunner().invoke(app, ["--config", str(tmp_path / "config.yaml"), "users", "create-admin", "quantri",
                             "--password-stdin"], input="Quantri-2025\n")
    verified = run("audit", "verify")
    assert verified.exit_code == 0 and "nguyên vẹn" in verified.output
    out = tmp_path / "audit.csv"
    exported = run("audit", "export", str(out))
    assert exported.exit_code == 0 and "user_created" in out.read_text(encoding="utf-8")
    with Warehouse.open(tmp_path / "runtime" / "warehouse.duckdb") as wh, wh.writer() as cur:
        cur.execute("UPDATE audit_log SET target = 'forged' WHERE seq = 1")
    broken = run("audit", "verify")
    assert broken.exit_code == 1 and "bản ghi 1" in broken.output


def test_permission_matrix_doc_is_current(tmp_path: Path) -> None:
    out = tmp_path / "permissions.md"
    assert CliRunner().invoke(app, ["users", "matrix", "--write", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8") == (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["dataset", "mine"])
def test_bad_class_mix_names_the_option(command: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["model", command, "--out", str(tmp_path / "ds"), "--mix", "bicycle"])
    assert result.exit_code == 2
    assert "--mix: 'bicycle'" in result.output
    assert not (tmp_path / "ds" / "images").exists()


def test_quantize_without_calibration_frames_names_the_folder_and_writes_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    weights = ROOT / "data" / "models" / "matthan-det.pt"
    empty = tmp_path / "no-frames"
    empty.mkdir()
    out = tmp_path / "q.int8.onnx"
    result = run("model", "quantize", "--weights", str(weights), "--images", str(empty), "--out", str(out))
    assert result.exit_code == 2
    assert "không có ảnh nào" in result.output and "model dataset" in result.output
    assert not out.exists()
    missing = run("model", "quantize", "--weights", str(tmp_path / "none.pt"), "--images", str(empty))
    assert missing.exit_code == 2 and "không có trọng số" in missing.output
