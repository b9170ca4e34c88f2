"""Mắt Thần command line: ``.venv/bin/python cli.py --help``.

Every command loads the settings once (``--config`` or $MATTHAN_CONFIG or config.yaml),
and reports bad input or a busy warehouse as a clear message with exit status 2 —
never a traceback. Commands that write need the warehouse file for themselves: while
``make run`` is serving, stop it first (DuckDB allows one writing process).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import typer
import yaml
from pydantic import ValidationError

from analytics import queries
from analytics.warehouse import Warehouse, WarehouseError
from analytics import accounts as account_store
from analytics import audit
from analytics.accounts import ScopeEntry
from bootstrap import build_accounts, import_registry, load_geodata, open_warehouse, prepare_demo, prepare_history
from dashboard.auth.accounts import AccountError
from dashboard.auth.permissions import Role, matrix_markdown
from layers.geodata import GeoDataError
from layers.registry_io import RegistryFileError, write_cameras, write_sites
from logsetup import configure_logging
from pipelines.model_training import offline_ultralytics
from settings import Settings, SettingsError, load_settings
from simulator.camera_server import Fault, VirtualCameraServer, build_farm
from simulator.clip import render_clip
from simulator.demo_registry import build_demo_registry, write_demo_registry, write_demo_scopes
from simulator.world import SimScene, SimSceneError, load_sim_scene

app = typer.Typer(help="Mắt Thần — nền tảng vận hành camera giao thông cấp tỉnh.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Kho dữ liệu DuckDB: migration, trạng thái.", no_args_is_help=True)
cameras_app = typer.Typer(help="Danh mục camera: nhập/xuất CSV, GeoJSON, GeoPackage.", no_args_is_help=True)
sites_app = typer.Typer(help="Điểm lắp đặt: nhập/xuất CSV, GeoJSON, GeoPackage.", no_args_is_help=True)
demo_app = typer.Typer(help="Dữ liệu mô phỏng cho trình diễn và kiểm thử.", no_args_is_help=True)
simulator_app = typer.Typer(help="Thế giới camera mô phỏng: dựng clip có dữ liệu chuẩn, camera IP ảo.",
                            no_args_is_help=True)
users_app = typer.Typer(help="Tài khoản, vai trò và phạm vi (tỉnh → khu vực → nhóm camera).", no_args_is_help=True)
audit_app = typer.Typer(help="Nhật ký kiểm toán có chuỗi băm: kiểm tra, xuất.", no_args_is_help=True)
model_app = typer.Typer(help="Mô hình phát hiện phương tiện của riêng ta: dữ liệu mô phỏng, huấn luyện, đánh giá.",
                        no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(cameras_app, name="cameras")
app.add_typer(sites_app, name="sites")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(simulator_app, name="simulator")
app.add_typer(audit_app, name="audit")
app.add_typer(model_app, name="model")

T = TypeVar("T")
_EXPECTED = (SettingsError, WarehouseError, RegistryFileError, GeoDataError, AccountError, SimSceneError,
             ValidationError)
ScopeOption = Annotated[list[str], typer.Option(
    "--scope", help="Phạm vi, lặp lại được: all, province:91, area:KG-RG, group:KG-RG-VP")]


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code=2)


def _settings(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


@contextmanager
def _warehouse(ctx: typer.Context) -> Iterator[Warehouse]:
    try:
        warehouse = open_warehouse(_settings(ctx))
    except WarehouseError as exc:
        _fail(str(exc))
    try:
        yield warehouse
    finally:
        warehouse.close()


def _guard(action: Callable[[], T]) -> T:
    try:
        return action()
    except _EXPECTED as exc:
        _fail(str(exc))


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Tệp cấu hình YAML (mặc định config.yaml).")] = None,
) -> None:
    try:
        settings = load_settings(config)
    except SettingsError as exc:
        _fail(str(exc))
    configure_logging(settings.logging)
    offline_ultralytics(settings.storage.runtime_dir / "ultralytics")
    ctx.obj = settings


@app.command("config")
def show_config(ctx: typer.Context) -> None:
    """Kiểm tra và in cấu hình đang dùng (sau khi áp biến môi trường)."""
    typer.echo(_settings(ctx).model_dump_json(indent=2))


@db_app.command("migrate")
def db_migrate(
    ctx: typer.Context,
    to: Annotated[int | None, typer.Option(help="Chỉ nâng tới phiên bản này.")] = None,
) -> None:
    """Áp các migration còn thiếu (không bao giờ áp lại)."""
    try:
        warehouse = Warehouse.open(_settings(ctx).storage.warehouse_path, migrate=False)
    except WarehouseError as exc:
        _fail(str(exc))
    try:
        applied = _guard(lambda: warehouse.migrate(target=to))
        version = warehouse.schema_version()
    finally:
        warehouse.close()
    names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied) or "không có (đã mới nhất)"
    typer.echo(f"Đã áp: {names}. Phiên bản lược đồ: {version}.")


@db_app.command("status")
def db_status(ctx: typer.Context) -> None:
    """Phiên bản lược đồ và số dòng từng bảng."""
    with _warehouse(ctx) as warehouse, warehouse.reader() as cur:
        typer.echo(f"{warehouse.path}: schema version {warehouse.schema_version()}")
        for name, count in queries.table_counts(cur).items():
            typer.echo(f"  {name:<16} {count:>10}")


@cameras_app.command("import")
def cameras_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Tệp .csv, .geojson hoặc .gpkg")],
    sites: Annotated[Path | None, typer.Option(help="Tệp điểm lắp đặt nhập cùng (nếu camera dùng điểm mới).")] = None,
) -> None:
    """Nhập camera: tệp có dòng lỗi bị từ chối toàn bộ, không ghi gì; tệp hợp lệ được upsert."""
    geodata = load_geodata(_settings(ctx))
    with _warehouse(ctx) as warehouse:
        result = _guard(lambda: import_registry(warehouse, geodata, sites_file=sites, cameras_file=file))
    typer.echo(f"Đã nhập {result.cameras} camera và {result.sites} điểm lắp đặt.")


@cameras_app.command("export")
def cameras_export(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Tệp đích .csv, .geojson hoặc .gpkg")],
) -> None:
    """Xuất toàn bộ danh mục camera."""
    with _warehouse(ctx) as warehouse, warehouse.reader() as cur:
        frame = queries.cameras_table(cur)
        _guard(lambda: _write_or_fail(write_cameras, frame, file))
        audit.append(warehouse, audit.AuditEvent(actor="cli", action="cameras_exported", target=str(file),
                                                 detail={"rows": len(frame)}))
    typer.echo(f"Đã xuất {len(frame)} camera vào {file}.")


@sites_app.command("import")
def sites_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Tệp .csv, .geojson hoặc .gpkg")],
) -> None:
    """Nhập điểm lắp đặt (toàn bộ hoặc không gì cả)."""
    geodata = load_geodata(_settings(ctx))
    with _warehouse(ctx) as warehouse:
        result = _guard(lambda: import_registry(warehouse, geodata, sites_file=file, cameras_file=None))
    typer.echo(f"Đã nhập {result.sites} điểm lắp đặt.")


@sites_app.command("export")
def sites_export(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Tệp đích .csv, .geojson hoặc .gpkg")],
) -> None:
    """Xuất toàn bộ điểm lắp đặt."""
    with _warehouse(ctx) as warehouse, warehouse.reader() as cur:
        frame = queries.sites_table(cur)
        _guard(lambda: _write_or_fail(write_sites, frame, file))
        audit.append(warehouse, audit.AuditEvent(actor="cli", action="sites_exported", target=str(file),
                                                 detail={"rows": len(frame)}))
    typer.echo(f"Đã xuất {len(frame)} điểm lắp đặt vào {file}.")


def _write_or_fail(writer: Callable[[Any, Path], Path], frame: Any, file: Path) -> Path:
    try:
        return writer(frame, file)
    except ValueError as exc:
        _fail(str(exc))


@demo_app.command("prepare")
def demo_prepare(
    ctx: typer.Context,
    days: Annotated[int | None, typer.Option(min=0, max=730, help="Số ngày lịch sử (mặc định demo.history_days)")] = None,
    seed: Annotated[int, typer.Option(help="Hạt giống của lịch sử mô phỏng")] = 2024,
) -> None:
    """Nạp dữ liệu mô phỏng: danh mục camera và lịch sử (đếm xe 15 phút, vi phạm, kiểm tra camera,
    sự cố). Chạy lại cùng ngày không thêm gì."""
    settings = _settings(ctx)
    geodata = load_geodata(settings)
    days = settings.demo.history_days if days is None else days
    with _warehouse(ctx) as warehouse:
        result = _guard(lambda: prepare_demo(settings, warehouse, geodata))
        history = prepare_history(warehouse, days=days, seed=seed, evidence_root=settings.storage.evidence_dir,
                                  scenes_dir=settings.data.sim_scenes_dir) if days else None
    typer.echo(f"Dữ liệu mô phỏng sẵn sàng: {result.sites} điểm, {result.cameras} camera.")
    if history is not None:
        typer.echo("Lịch sử đã có, không thêm gì." if history.skipped else
                   f"Lịch sử {history.days} ngày: {history.count_bins} ô đếm 15 phút, {history.violations} vi phạm, "
                   f"{history.camera_checks} lần kiểm tra, {history.outages} sự cố.")


@demo_app.command("registry")
def demo_registry(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option(help="Thư mục ghi sites.csv và cameras.csv.")] = None,
    seed: Annotated[int, typer.Option(help="Hạt giống ngẫu nhiên (cố định = tái lập được).")] = 2024,
) -> None:
    """Sinh lại danh mục camera mô phỏng (481 camera Kiên Giang + Thái Bình) từ dữ liệu địa lý."""
    settings = _settings(ctx)
    registry = build_demo_registry(settings.data.geo_dir, seed=seed)
    sites_path, cameras_path = write_demo_registry(registry, out or settings.data.registry_dir)
    scope_paths = write_demo_scopes(registry, out or settings.data.registry_dir)
    typer.echo(f"{len(registry.sites)} điểm → {sites_path}; {len(registry.cameras)} camera → {cameras_path}; "
               f"khu vực và nhóm → {', '.join(p.name for p in scope_paths)}")


SCENES_DIR = Path(__file__).resolve().parent / "data" / "scenes" / "sim"


@simulator_app.command("scenes")
def simulator_scenes() -> None:
    """Liệt kê các cảnh mô phỏng có sẵn."""
    for path in sorted(SCENES_DIR.glob("*.yaml")):
        scene = _guard(lambda p=path: load_sim_scene(p))
        typer.echo(f"{scene.name:<20} {scene.kind:<13} {scene.title}")


@simulator_app.command("render")
def simulator_render(
    scene: Annotated[str, typer.Option(help="Tên cảnh (xem 'simulator scenes') hoặc đường dẫn YAML")],
    seconds: Annotated[float, typer.Option(min=1, max=3600, help="Độ dài clip (giây)")] = 60.0,
    seed: Annotated[int, typer.Option(help="Hạt giống ngẫu nhiên: cùng hạt giống = cùng clip")] = 7,
    out: Annotated[Path, typer.Option(help="Thư mục ghi clip, dữ liệu chuẩn, cấu hình cảnh")] = Path(
        "data/runtime/clips"),
    lighting: Annotated[str | None, typer.Option(help="day hoặc night (ghi đè cảnh)")] = None,
    weather: Annotated[str | None, typer.Option(help="clear hoặc rain (ghi đè cảnh)")] = None,
    fps: Annotated[float | None, typer.Option(help="Số khung hình/giây (ghi đè cảnh)")] = None,
) -> None:
    """Dựng clip H.264 (xem được trên trình duyệt) kèm dữ liệu chuẩn (.truth.json) và cấu hình cảnh."""
    path = Path(scene) if scene.endswith(".yaml") else SCENES_DIR / f"{scene}.yaml"
    sim_scene = _guard(lambda: load_sim_scene(path))
    overrides: dict[str, object] = {}
    if lighting:
        overrides["lighting"] = lighting
    if weather:
        overrides["weather"] = weather
    if fps:
        overrides["frame"] = sim_scene.frame.model_copy(update={"fps": fps})
    if overrides:
        sim_scene = _guard(lambda: SimScene.model_validate({**sim_scene.model_dump(), **overrides}))
    suffix = "".join(f"_{v}" for k, v in overrides.items() if k != "frame")
    result = render_clip(sim_scene, seconds=seconds, seed=seed, out_dir=out, name=f"{sim_scene.name}{suffix}_s{seed}")
    typer.echo(f"{result.video} ({result.frames} khung hình, dựng {result.render_fps:.0f} fps, "
               f"{result.violations} vi phạm)\n{result.truth}\n{result.scene_config}")


@simulator_app.command("serve")
def simulator_serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe (mặc định chỉ loopback)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8090,
    faults: Annotated[Path | None, typer.Option(help="YAML {camera_id: fault} bật sẵn khi khởi động")] = Path(
        "data/simulator/faults.yaml"),
    width: Annotated[int, typer.Option(min=160, max=1920)] = 640,
    height: Annotated[int, typer.Option(min=120, max=1080)] = 360,
) -> None:
    """Chạy camera IP ảo cho mọi camera trong danh mục: ảnh chụp JPEG, luồng MJPEG, lỗi giả lập."""
    settings = _settings(ctx)
    initial: dict[str, Fault] = {}
    if faults is not None and faults.exists():
        raw = yaml.safe_load(faults.read_text(encoding="utf-8")) or {}
        try:
            initial = {str(k): Fault(v) for k, v in raw.items()}
        except ValueError as exc:
            _fail(f"{faults}: {exc}; faults: {', '.join(f.value for f in Fault)}")
    typer.echo("Đang dựng khung hình cho camera ảo…")
    farm = build_farm(settings.data.registry_dir / "cameras.csv", SCENES_DIR, faults=initial, width=width,
                      height=height)
    server = VirtualCameraServer((host, port), farm)
    typer.echo(f"Camera ảo: http://{host}:{port}/cameras/<id>/snapshot.jpg | stream.mjpeg "
               f"({len(farm.specs)} camera, {len(initial)} đang lỗi). Ctrl+C để dừng.")
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        typer.echo("Dừng camera ảo.")
    finally:
        server.shutdown()
        server.server_close()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True))


def _scopes(values: list[str]) -> list[ScopeEntry]:
    entries = []
    for value in values:
        kind, _, ident = value.partition(":")
        if kind == "all":
            entries.append(ScopeEntry(kind="all", scope_id="*"))
        elif kind in ("province", "area", "group") and ident:
            entries.append(ScopeEntry(kind=kind, scope_id=ident))
        else:
            _fail(f"--scope {value!r}: use all, province:CODE, area:ID or group:ID")
    return entries


@users_app.command("create-admin")
def users_create_admin(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    full_name: Annotated[str, typer.Option(help="Họ tên")] = "Quản trị viên",
    password_stdin: Annotated[bool, typer.Option(help="Đọc mật khẩu từ stdin thay vì hỏi")] = False,
) -> None:
    """Tạo tài khoản quản trị (toàn quyền phạm vi). Không có mật khẩu mặc định."""
    password = _password(password_stdin)
    with _warehouse(ctx) as warehouse:
        service = build_accounts(_settings(ctx), warehouse)
        _guard(lambda: service.create_user(username=username, full_name=full_name, role=Role.ADMIN,
                                           password=password, scopes=[ScopeEntry(kind="all", scope_id="*")],
                                           actor="cli"))
    typer.echo(f"Đã tạo quản trị viên {username}.")


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    role: Annotated[Role, typer.Option(help="Vai trò")],
    scope: ScopeOption,
    full_name: Annotated[str, typer.Option(help="Họ tên")] = "",
    password_stdin: Annotated[bool, typer.Option(help="Đọc mật khẩu từ stdin thay vì hỏi")] = False,
) -> None:
    """Thêm tài khoản với vai trò và phạm vi."""
    scopes = _scopes(scope)
    password = _password(password_stdin)
    with _warehouse(ctx) as warehouse:
        service = build_accounts(_settings(ctx), warehouse)
        _guard(lambda: service.create_user(username=username, full_name=full_name, role=role, password=password,
                                           scopes=scopes, actor="cli"))
    typer.echo(f"Đã tạo tài khoản {username} ({role.value}).")


@users_app.command("set-role")
def users_set_role(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument()],
    role: Annotated[Role, typer.Option(help="Vai trò")],
    scope: ScopeOption,
) -> None:
    """Đổi vai trò và phạm vi của tài khoản."""
    scopes = _scopes(scope)
    with _warehouse(ctx) as warehouse:
        service = build_accounts(_settings(ctx), warehouse)
        _guard(lambda: service.set_role_and_scopes(username, role, scopes, actor="cli"))
    typer.echo(f"Đã cập nhật {username}.")


@users_app.command("disable")
def users_disable(ctx: typer.Context, username: Annotated[str, typer.Argument()]) -> None:
    """Khóa tài khoản (đăng xuất mọi phiên)."""
    with _warehouse(ctx) as warehouse:
        _guard(lambda: build_accounts(_settings(ctx), warehouse).set_active(username, False, actor="cli"))
    typer.echo(f"Đã khóa {username}.")


@users_app.command("enable")
def users_enable(ctx: typer.Context, username: Annotated[str, typer.Argument()]) -> None:
    """Mở khóa tài khoản."""
    with _warehouse(ctx) as warehouse:
        _guard(lambda: build_accounts(_settings(ctx), warehouse).set_active(username, True, actor="cli"))
    typer.echo(f"Đã mở khóa {username}.")


@users_app.command("reset-password")
def users_reset_password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument()],
    password_stdin: Annotated[bool, typer.Option(help="Đọc mật khẩu từ stdin thay vì hỏi")] = False,
) -> None:
    """Đặt lại mật khẩu (đăng xuất mọi phiên của tài khoản)."""
    password = _password(password_stdin)
    with _warehouse(ctx) as warehouse:
        _guard(lambda: build_accounts(_settings(ctx), warehouse).reset_password(username, password, actor="cli"))
    typer.echo(f"Đã đặt lại mật khẩu của {username}.")


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """Liệt kê tài khoản, vai trò và phạm vi."""
    with _warehouse(ctx) as warehouse:
        for user in account_store.list_users(warehouse):
            scopes = ", ".join(f"{s.kind}:{s.scope_id}" for s in account_store.user_scopes(warehouse, user.username))
            state = "" if user.active else " [đã khóa]"
            typer.echo(f"{user.username:<20} {user.role:<20} {scopes}{state}")


@users_app.command("matrix")
def users_matrix(
    write: Annotated[Path | None, typer.Option(help="Ghi ra tệp Markdown (docs/permissions.md)")] = None,
) -> None:
    """In ma trận phân quyền (sinh từ mã nguồn)."""
    table = matrix_markdown()
    if write:
        write.write_text(PERMISSIONS_DOC_HEAD + table + "\n", encoding="utf-8")
        typer.echo(f"Đã ghi {write}")
    else:
        typer.echo(table)


PERMISSIONS_DOC_HEAD = """# Ma trận phân quyền / permission matrix

Generated from `dashboard/auth/permissions.py` by `cli.py users matrix --write docs/permissions.md`;
`tests/dashboard/test_security_matrix.py` checks that this file, the code and the server agree.
Every user also has a **scope** (all, a 2025 province, an area, or a camera group): whatever a
permission grants is limited to the cameras of that scope, on every page, callback, route and export.

"""


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Kiểm tra chuỗi băm của nhật ký kiểm toán; mã thoát 1 khi phát hiện sửa đổi."""
    with _warehouse(ctx) as warehouse, warehouse.reader() as cur:
        result = audit.verify(cur)
    if result.ok:
        typer.echo(f"Nhật ký nguyên vẹn: {result.entries} bản ghi.")
        return
    typer.echo(f"PHÁT HIỆN SỬA ĐỔI tại bản ghi {result.first_bad_seq}: {result.reason}", err=True)
    raise typer.Exit(code=1)


@audit_app.command("export")
def audit_export(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Tệp CSV đích")]) -> None:
    """Xuất toàn bộ nhật ký kiểm toán ra CSV (kèm hash để kiểm tra độc lập)."""
    with _warehouse(ctx) as warehouse, warehouse.reader() as cur:
        frame = cur.execute("SELECT * FROM audit_log ORDER BY seq").df()
        audit.append(warehouse, audit.AuditEvent(actor="cli", action="audit_exported", target=str(file)))
    frame.to_csv(file, index=False)
    typer.echo(f"Đã xuất {len(frame)} bản ghi vào {file}.")



MODEL_YAML = Path("data/models/matthan-det.yaml")
MODEL_WEIGHTS = Path("data/models/matthan-det.pt")


def _mix_shares(mix: str | None) -> dict[str, float] | None:
    """``--mix`` 'class=share,…' as a dict (None when not given)."""
    if not mix:
        return None
    try:
        return {k.strip(): float(v) for k, v in (part.split("=", 1) for part in mix.split(",") if part.strip())}
    except ValueError:
        raise typer.BadParameter(f"--mix: '{mix}' không đúng dạng lớp=tỉ_lệ,…") from None


@model_app.command("dataset")
def model_dataset(
    out: Annotated[Path, typer.Option(help="Thư mục bộ dữ liệu (định dạng YOLO)")] = Path("data/runtime/dataset"),
    split: Annotated[str, typer.Option(help="train, val hoặc test")] = "train",
    seeds: Annotated[str, typer.Option(help="Các hạt giống, cách nhau dấu phẩy")] = "1,2,3",
    seconds: Annotated[float, typer.Option(min=1, max=600)] = 40.0,
    stride: Annotated[int, typer.Option(min=1, max=250, help="Giữ 1 khung hình mỗi N")] = 10,
    mix: Annotated[str | None, typer.Option(
        help="Thay tỉ lệ loại xe, ví dụ 'bicycle=0.4,motorbike=0.3,bus=0.15,car=0.1,truck=0.05' "
             "(dựng thêm ảnh của các lớp hiếm)")] = None,
    conditions: Annotated[str | None, typer.Option(
        help="Chỉ các điều kiện này, cách nhau dấu phẩy: day, night, rain, shadow (mặc định: tất cả)")] = None,
) -> None:
    """Dựng khung hình mô phỏng (ngày, đêm, mưa, nắng xiên có bóng đổ; đường đông xe) kèm nhãn hộp cho huấn luyện."""
    from simulator.dataset import build_dataset

    scenes = [_guard(lambda p=path: load_sim_scene(p)) for path in sorted(SCENES_DIR.glob("*.yaml"))]
    seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    shares = _mix_shares(mix)
    try:
        summary = build_dataset(scenes, out, seeds=seed_list, seconds=seconds, stride=stride, split=split, mix=shares,
                                conditions=[c.strip() for c in conditions.split(",") if c.strip()] if conditions else None)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    typer.echo(f"{summary.root}: {summary.images} ảnh; hộp theo lớp {summary.boxes}")


@model_app.command("mine")
def model_mine(
    out: Annotated[Path, typer.Option(help="Bộ dữ liệu nhận thêm các khung hình khó (phần train)")] = Path(
        "data/runtime/dataset"),
    weights: Annotated[Path, typer.Option(help="Trọng số hiện tại")] = MODEL_WEIGHTS,
    seeds: Annotated[str, typer.Option(help="Hạt giống MỚI (chưa dùng để huấn luyện hay đánh giá)")] = "11,12",
    seconds: Annotated[float, typer.Option(min=1, max=600)] = 40.0,
    stride: Annotated[int, typer.Option(min=1, max=250)] = 8,
    imgsz: Annotated[int, typer.Option(min=160, max=1280, help="Kích thước ảnh khi chạy (như pipeline)")] = 640,
    mix: Annotated[str | None, typer.Option(help="Tỉ lệ loại xe như ở 'model dataset'")] = None,
) -> None:
    """Tìm khung hình khó: dựng khung hình mới, chạy trọng số hiện tại, giữ lại những khung hình
    mô hình nhận sai (báo nhầm, nhầm lớp, bỏ sót) và thêm chúng vào bộ dữ liệu huấn luyện."""
    import collections
    import shutil
    import tempfile

    from pipelines.hard_frames import select_hard_frames
    from simulator.dataset import CLASSES, build_dataset, write_data_yaml

    scenes = [_guard(lambda p=path: load_sim_scene(p)) for path in sorted(SCENES_DIR.glob("*.yaml"))]
    shares = _mix_shares(mix)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mine-", dir=out) as tmp:
        staging = Path(tmp)
        try:
            rendered = build_dataset(scenes, staging, seeds=[int(s) for s in seeds.split(",") if s.strip()],
                                     seconds=seconds, stride=stride, split="train", mix=shares)
        except ValueError as exc:
            raise typer.BadParameter(f"--mix: {exc}") from None
        hard = select_hard_frames(weights, staging / "images" / "train", staging / "labels" / "train",
                                  names=CLASSES, imgsz=imgsz)
        for folder in ("images", "labels"):
            (out / folder / "train").mkdir(parents=True, exist_ok=True)
        kinds: collections.Counter[str] = collections.Counter()
        for frame in hard:
            shutil.copyfile(frame.image, out / "images" / "train" / f"{frame.image.stem}_hard.jpg")
            shutil.copyfile(frame.label, out / "labels" / "train" / f"{frame.image.stem}_hard.txt")
            kinds.update(f"báo nhầm {c}" for c in frame.errors.false_positives)
            kinds.update(f"nhầm {a}→{b}" for a, b in frame.errors.confusions)
            kinds.update(f"bỏ sót {c}" for c in frame.errors.misses)
    write_data_yaml(out)
    typer.echo(f"{len(hard)} khung hình khó trên {sum(rendered.images.values())} đã thêm vào {out}")
    for kind, n in kinds.most_common():
        typer.echo(f"  {kind}: {n}")


@model_app.command("train")
def model_train(
    data: Annotated[Path, typer.Option(help="data.yaml của bộ dữ liệu")] = Path("data/runtime/dataset/data.yaml"),
    epochs: Annotated[int, typer.Option(min=1, max=500)] = 20,
    imgsz: Annotated[int, typer.Option(min=160, max=1280)] = 480,
    fraction: Annotated[float, typer.Option(
        min=0.01, max=1.0,
        help="Phần ảnh huấn luyện được dùng — ultralytics lấy N ảnh ĐẦU theo tên (không ngẫu nhiên), nên "
             "muốn ít ảnh hơn thì dựng bộ dữ liệu với --stride lớn hơn")] = 1.0,
    out: Annotated[Path, typer.Option(help="Nơi ghi trọng số tốt nhất")] = MODEL_WEIGHTS,
    init: Annotated[Path | None, typer.Option(help="Tiếp tục từ trọng số của giai đoạn trước (cùng yaml)")] = None,
) -> None:
    """Huấn luyện mô hình từ đầu (từ yaml, không tải gì) trên khung hình mô phỏng."""
    from pipelines.model_training import train_detector

    weights = train_detector(model_yaml=MODEL_YAML, data_yaml=data, out=out, epochs=epochs, imgsz=imgsz,
                             fraction=fraction, init=init)
    typer.echo(f"{weights} ({weights.stat().st_size / 1e6:.1f} MB)")


@model_app.command("quantize")
def model_quantize(
    weights: Annotated[Path, typer.Option(help="Trọng số .pt cần lượng tử hoá")] = MODEL_WEIGHTS,
    images: Annotated[Path, typer.Option(help="Ảnh hiệu chỉnh (ảnh huấn luyện của 'model dataset')")] = Path(
        "data/runtime/dataset/images/train"),
    frames: Annotated[int, typer.Option(min=1, max=2000, help="Số ảnh hiệu chỉnh (chọn ngẫu nhiên)")] = 64,
    seed: Annotated[int, typer.Option(help="Hạt giống của phép chọn ảnh")] = 1,
    imgsz: Annotated[int, typer.Option(min=160, max=1280, help="Kích thước ảnh khi chạy (như pipeline)")] = 640,
    out: Annotated[Path | None, typer.Option(help="Mặc định <tên trọng số>.int8.onnx bên cạnh trọng số")] = None,
) -> None:
    """Lượng tử hoá mô hình về int8 (ONNX Runtime, hiệu chỉnh trên ảnh mô phỏng) — nhanh hơn trên CPU."""
    from pipelines.detect_yolo import int8_path
    from pipelines.onnx_quantize import calibration_pictures, quantize_detector

    if not weights.is_file():
        raise typer.BadParameter(f"không có trọng số {weights}", param_hint="--weights")
    pictures = calibration_pictures(images, frames, seed)
    if not pictures:
        raise typer.BadParameter(f"{images}: không có ảnh nào (dựng bằng: python cli.py model dataset)",
                                 param_hint="--images")
    target = quantize_detector(weights, pictures, out or int8_path(weights), imgsz=imgsz)
    typer.echo(f"{target} ({target.stat().st_size / 1e6:.2f} MB, hiệu chỉnh trên {len(pictures)} ảnh)")


@model_app.command("evaluate")
def model_evaluate(
    data: Annotated[Path, typer.Option(help="data.yaml của bộ dữ liệu giữ lại (hạt giống mới)")] = Path(
        "data/runtime/heldout/data.yaml"),
    weights: Annotated[Path, typer.Option()] = MODEL_WEIGHTS,
    imgsz: Annotated[int, typer.Option(min=160, max=1280, help="Kích thước ảnh khi chạy (mặc định của pipeline)")] = 640,
    out: Annotated[Path | None, typer.Option(help="Ghi chỉ số ra JSON")] = Path("data/models/matthan-det.metrics.json"),
) -> None:
    """Đánh giá trên khung hình hạt giống mới: mAP50, mAP50-95, precision, recall theo lớp."""
    from pipelines.model_training import evaluate_detector

    metrics = evaluate_detector(weights=weights, data_yaml=data, imgsz=imgsz)
    typer.echo(metrics.to_json())
    if out is not None:
        out.write_text(metrics.to_json() + "\n", encoding="utf-8")


@app.command("process")
def process_video(
    ctx: typer.Context,
    video: Annotated[Path, typer.Argument(help="Tệp video (MP4, AVI, MKV…)")],
    camera: Annotated[str, typer.Option("--camera", help="Mã camera trong danh mục")],
    scene: Annotated[Path | None, typer.Option(help="Cấu hình cảnh; mặc định <video>.scene.yaml hoặc "
                                                    "data/scenes/cameras/<camera>.yaml")] = None,
    start: Annotated[str | None, typer.Option(help="Thời điểm bắt đầu ghi (ISO, UTC); mặc định từ tệp kèm "
                                                   "<video>.truth.json hoặc thời gian sửa tệp")] = None,
    detector: Annotated[str | None, typer.Option(help="motion hoặc yolo (ghi đè cấu hình cảnh)")] = None,
    imgsz: Annotated[int | None, typer.Option(min=160, max=1920, help="Kích thước ảnh cho yolo")] = None,
    annotate: Annotated[Path | None, typer.Option(help="Ghi video duyệt có chú thích (hộp, mã track, đèn, vạch)")] = None,
    write: Annotated[bool, typer.Option(help="Ghi kết quả vào kho dữ liệu")] = True,
) -> None:
    """Chạy toàn bộ pipeline trên một tệp video: phát hiện, theo dõi, luật vi phạm, biển số, chứng cứ."""
    from pipelines.video_job import VideoJobError, process_file

    settings = _settings(ctx)
    try:
        summary = process_file(video, camera_id=camera, scene_path=scene, start=start, detector=detector, imgsz=imgsz,
                               annotate=annotate, evidence_root=settings.storage.evidence_dir,
                               scenes_dir=settings.data.scenes_dir, models_dir=settings.data.models_dir,
                               progress=True)
    except VideoJobError as exc:
        _fail(str(exc))
    result = summary.result
    run = result.run
    typer.echo(f"Lượt chạy {run.run_id}: {run.status} — {run.frames_read} khung hình đọc, {run.frames_detected} "
               f"phát hiện, {run.fps or 0:.1f} fps, bộ phát hiện {run.detector}")
    for warning in run.warnings:
        typer.echo(f"  cảnh báo: {warning}")
    for error in run.errors:
        typer.echo(f"  lỗi: {error}")
    for v in result.violations:
        plate = v.plate_text or "(cần duyệt biển số)"
        speed = f" {v.speed_kmh:.0f} km/h" if v.speed_kmh else ""
        local = v.occurred_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M:%S")
        typer.echo(f"  {local}  {v.violation_type.value:<13}"
                   f" track {v.track_id:<5} {v.vehicle_class:<10} {plate}{speed}  {v.evidence_path or ''}")
    totals: dict[str, int] = {}
    for b in result.count_bins:
        totals[b.vehicle_class] = totals.get(b.vehicle_class, 0) + b.count
    typer.echo(f"Vi phạm: {len(result.violations)}; lưu lượng: {totals}")
    if annotate is not None:
        typer.echo(f"Video duyệt: {annotate}")
    if write:
        with _warehouse(ctx) as warehouse:
            written = _guard(lambda: warehouse.upsert(result.violations, result.count_bins, [run]))
        typer.echo(f"Đã ghi {written} dòng vào {settings.storage.warehouse_path}")
    if run.status == "failed":
        raise typer.Exit(code=1)


if __name__ == "__main__":
    app()
