"""Mắt Thần settings: one pydantic model tree read from ``config.yaml`` with
environment overrides (``MATTHAN_…``, ``__`` between nesting levels, e.g.
``MATTHAN_SERVER__PORT=8060``).

Contract: ``load_settings(path)`` returns a validated, frozen ``Settings`` or raises
``SettingsError`` whose message names the file, the key path and the reason for every
problem (unknown keys are problems). Settings are loaded once by the composition roots
(``app.py``, ``cli.py``) and passed down; nothing imports a settings singleton.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent
DEFAULT_CONFIG = PROJECT_ROOT / "config.yaml"
CONFIG_ENV = "MATTHAN_CONFIG"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class SettingsError(ValueError):
    """Configuration is unreadable or invalid; the message lists every problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    host: str = Field("127.0.0.1", title="Địa chỉ lắng nghe của dashboard")
    port: int = Field(8050, ge=1, le=65535, title="Cổng của dashboard")
    threads: int = Field(8, ge=1, le=64, title="Số luồng phục vụ HTTP")


class StorageSettings(_Section):
    runtime_dir: Path = Field(Path("data/runtime"), title="Thư mục dữ liệu chạy (không đưa vào git)")
    warehouse_file: str = Field("warehouse.duckdb", min_length=1, title="Tên tệp DuckDB trong runtime_dir")

    @property
    def warehouse_path(self) -> Path:
        return self.runtime_dir / self.warehouse_file

    @property
    def evidence_dir(self) -> Path:
        return self.runtime_dir / "evidence"


class DataSettings(_Section):
    geo_dir: Path = Field(Path("data/geo"), title="Dữ liệu địa lý tham chiếu")
    registry_dir: Path = Field(Path("data/registry"), title="Danh mục camera và điểm lắp đặt")
    sim_scenes_dir: Path = Field(Path("data/scenes/sim"), title="Cảnh mô phỏng (bộ dựng clip, camera ảo)")
    scenes_dir: Path = Field(Path("data/scenes/cameras"), title="Cấu hình cảnh theo camera (<camera_id>.yaml)")
    models_dir: Path = Field(Path("data/models"), title="Trọng số mô hình phát hiện (tệp cục bộ, không tải về)")


class MapSettings(_Section):
    tiles_url: str | None = Field(
        None,
        title="Mẫu URL nền bản đồ XYZ ({z}/{x}/{y}); để trống thì dùng nền không cần mạng",
    )
    tiles_attribution: str = Field("", max_length=300, title="Ghi công của nền bản đồ")
    boundary_edition: Literal["2008", "2025"] = Field(
        "2025", title="Ranh giới tỉnh mặc định: trước 2025 hay sáp nhập 1/7/2025 (suy diễn)"
    )

    @field_validator("tiles_url")
    @classmethod
    def _tiles_template(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        missing = [p for p in ("{z}", "{x}", "{y}") if p not in value]
        if missing:
            raise ValueError(f"must contain the placeholders {', '.join(missing)}")
        return value


class LoggingSettings(_Section):
    level: LogLevel = Field("INFO", title="Mức log chung")
    loggers: dict[str, LogLevel] = Field(
        default_factory=dict, title="Mức log riêng theo tên logger, ví dụ werkzeug: WARNING"
    )


class SchedulerSettings(_Section):
    enabled: bool = Field(True, title="Chạy bộ lập lịch trong tiến trình ứng dụng")
    checkpoint_minutes: int = Field(10, ge=1, le=1440, title="Chu kỳ ghi WAL vào tệp DuckDB (phút)")


class SecuritySettings(_Section):
    secret_key_file: Path | None = Field(
        None, title="Tệp khóa ký cookie phiên (mặc định runtime_dir/secret_key; tạo ngẫu nhiên, quyền 600)",
    )
    cookie_secure: bool = Field(False, title="Chỉ gửi cookie qua HTTPS (bật khi chạy sau HTTPS)")
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60, title="Tự đăng xuất sau bấy nhiêu phút không hoạt động")
    max_failed_logins: int = Field(5, ge=1, le=100, title="Số lần đăng nhập sai trước khi tạm khóa tài khoản")
    lockout_minutes: int = Field(15, ge=1, le=24 * 60, title="Thời gian tạm khóa (phút)")
    max_failed_per_ip: int = Field(30, ge=1, le=10_000, title="Số lần sai tối đa từ một địa chỉ IP trong thời gian khóa")
    password_min_length: int = Field(10, ge=8, le=128, title="Độ dài tối thiểu của mật khẩu")


class DemoSettings(_Section):
    prepare_on_start: bool = Field(
        True, title="Khi kho dữ liệu chưa có camera, nạp danh mục và lịch sử mô phỏng lúc khởi động"
    )
    history_days: int = Field(180, ge=0, le=730, title="Số ngày lịch sử mô phỏng (0 = không tạo)")
    pipeline_every_s: int = Field(
        300, ge=0, le=86_400,
        title="Chu kỳ chạy pipeline trực tiếp trên camera mô phỏng (giây; 0 = tắt): mỗi chu kỳ, mỗi cảnh "
              "mô phỏng một camera vi phạm được ghi hình và xử lý đầy đủ",
    )
    pipeline_seconds: int = Field(30, ge=2, le=600, title="Độ dài đoạn ghi hình được xử lý mỗi chu kỳ (giây)")

    @model_validator(mode="after")
    def _window_fits(self) -> DemoSettings:
        if self.pipeline_every_s and self.pipeline_seconds > self.pipeline_every_s:
            raise ValueError("pipeline_seconds must not exceed pipeline_every_s")
        return self


class Settings(BaseSettings):
    """Root of the settings tree."""

    model_config = SettingsConfigDict(
        env_prefix="MATTHAN_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    timezone: Literal["Asia/Ho_Chi_Minh"] = Field(
        "Asia/Ho_Chi_Minh", title="Múi giờ hiển thị (lưu trữ luôn là UTC)"
    )
    server: ServerSettings = Field(default_factory=ServerSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    data: DataSettings = Field(default_factory=DataSettings)
    map: MapSettings = Field(default_factory=MapSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the YAML file (passed as init kwargs).
        return (env_settings, init_settings)

    def resolve(self, root: Path) -> Settings:
        """Return a copy whose relative paths are anchored at ``root``."""

        def anchor(p: Path) -> Path:
            return p if p.is_absolute() else (root / p)

        return self.model_copy(
            update={
                "storage": self.storage.model_copy(update={"runtime_dir": anchor(self.storage.runtime_dir)}),
                "security": self.security.model_copy(update={
                    "secret_key_file": anchor(self.security.secret_key_file)
                    if self.security.secret_key_file else None}),
                "data": self.data.model_copy(
                    update={
                        "geo_dir": anchor(self.data.geo_dir),
                        "registry_dir": anchor(self.data.registry_dir),
                        "sim_scenes_dir": anchor(self.data.sim_scenes_dir),
                    }
                ),
            }
        )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read configuration file: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SettingsError(f"{path}:{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: the top level must be a mapping of keys, got {type(data).__name__}")
    return data


def _describe(exc: ValidationError, path: Path) -> str:
    lines = [f"{path}: invalid configuration ({exc.error_count()} problem(s)):"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(root)"
        reason = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        given = err.get("input")
        shown = "" if err["type"] in ("extra_forbidden", "missing") else f" (got {given!r})"
        lines.append(f"  - {key}: {reason}{shown}")
    lines.append(f"  (environment overrides use {Settings.model_config['env_prefix']}SECTION__KEY)")
    return "\n".join(lines)


def load_settings(path: Path | str | None = None, *, root: Path = PROJECT_ROOT) -> Settings:
    """Read and validate settings from ``path`` (default: $MATTHAN_CONFIG or config.yaml)
    plus environment overrides; relative paths are resolved against ``root``."""
    chosen = Path(path) if path is not None else Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG))
    data = _read_yaml(chosen)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise SettingsError(_describe(exc, chosen)) from exc
    return settings.resolve(root)
