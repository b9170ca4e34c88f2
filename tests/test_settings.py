from __future__ import annotations

from pathlib import Path

import pytest

from settings import DEFAULT_CONFIG, PROJECT_ROOT, SettingsError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_loads_with_defaults() -> None:
    settings = load_settings(DEFAULT_CONFIG)
    assert settings.server.port == 8050
    assert settings.server.host == "127.0.0.1"
    assert settings.map.tiles_url is None
    assert settings.storage.warehouse_path == PROJECT_ROOT / "data" / "runtime" / "warehouse.duckdb"
    assert settings.timezone == "Asia/Ho_Chi_Minh"


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""))
    assert settings.map.boundary_edition == "2025"


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATTHAN_SERVER__PORT", "8123")
    monkeypatch.setenv("MATTHAN_MAP__TILES_URL", "https://tiles.example.vn/{z}/{x}/{y}.png")
    settings = load_settings(write(tmp_path, "server:\n  port: 9000\n"))
    assert settings.server.port == 8123
    assert settings.map.tiles_url == "https://tiles.example.vn/{z}/{x}/{y}.png"


def test_relative_paths_anchor_at_root(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "storage:\n  runtime_dir: rt\n"), root=tmp_path)
    assert settings.storage.runtime_dir == tmp_path / "rt"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("server:\n  prot: 8050\n", "server.prot: unknown key"),
        ("servr:\n  port: 8050\n", "servr: unknown key"),
        ("server:\n  port: 70000\n", "server.port: Input should be less than or equal to 65535"),
        ("server:\n  port: abc\n", "server.port:"),
        ("map:\n  tiles_url: ftp://x/{z}/{x}/{y}\n", "map.tiles_url: Value error, must start with http"),
        ("map:\n  tiles_url: https://x/tiles.png\n", "must contain the placeholders {z}, {x}, {y}"),
        ("map:\n  boundary_edition: '2030'\n", "map.boundary_edition:"),
        ("logging:\n  level: LOUD\n", "logging.level:"),
        ("timezone: Europe/Paris\n", "timezone:"),
        ("demo:\n  pipeline_every_s: 60\n  pipeline_seconds: 90\n",
         "demo: Value error, pipeline_seconds must not exceed pipeline_every_s"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message


def test_every_problem_is_listed(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(write(tmp_path, "server:\n  port: 0\n  hots: x\nfoo: 1\n"))
    message = str(info.value)
    assert "3 problem(s)" in message
    assert "server.port" in message and "server.hots" in message and "foo: unknown key" in message


def test_bad_environment_value_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATTHAN_SERVER__PORT", "not-a-port")
    with pytest.raises(SettingsError, match="server.port"):
        load_settings(write(tmp_path, ""))


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"line 3, .*mapping values are not allowed"):
        load_settings(write(tmp_path, "server:\n  port: 1\n   host: x\n"))


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="mapping"):
        load_settings(write(tmp_path, "- a\n- b\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "nope.yaml")


def test_settings_are_frozen() -> None:
    settings = load_settings(DEFAULT_CONFIG)
    with pytest.raises(Exception):
        settings.server.port = 1  # type: ignore[misc]
