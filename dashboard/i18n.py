"""UI text in Vietnamese (default) and English.

Contract: ``t(key, lang)`` returns the text of ``key`` in ``lang`` ("vi" or "en"); an
unknown language falls back to Vietnamese, an unknown key raises ``KeyError`` so a
missing translation is caught by the tests rather than shown as a raw key.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal

Lang = Literal["vi", "en"]
DEFAULT_LANG: Lang = "vi"
LANGS: tuple[Lang, ...] = ("vi", "en")

_CATALOG: MappingProxyType[str, tuple[str, str]] = MappingProxyType({
    # key: (vi, en)
    "app.title": ("Mắt Thần – Trung tâm giám sát giao thông", "Mắt Thần – Traffic monitoring centre"),
    "app.brand": ("Mắt Thần", "Mắt Thần"),
    "app.lang": ("Ngôn ngữ", "Language"),
    "app.clock": ("Giờ Việt Nam", "Vietnam time"),
    "app.demo_badge": ("Dữ liệu mô phỏng", "Simulated data"),
    "nav.map": ("Bản đồ", "Map"),
    "map.heading": ("Bản đồ camera toàn tỉnh", "Province camera map"),
    "map.filters": ("Bộ lọc", "Filters"),
    "map.province": ("Tỉnh", "Province"),
    "map.province_all": ("Tất cả", "All"),
    "map.kind": ("Loại camera", "Camera kind"),
    "map.color_by": ("Tô màu theo", "Colour by"),
    "map.color_kind": ("Loại", "Kind"),
    "map.color_status": ("Trạng thái", "Status"),
    "map.edition": ("Ranh giới tỉnh", "Province boundaries"),
    "map.edition_2008": ("Trước 1/7/2025 (63 tỉnh)", "Before 1/7/2025 (63 provinces)"),
    "map.edition_2025": ("Từ 1/7/2025 (34 tỉnh, suy diễn)", "From 1/7/2025 (34 provinces, derived)"),
    "map.derived_note": (
        "Ranh giới 2025 được suy ra bằng cách gộp ranh giới cũ, không phải ranh giới chính thức.",
        "2025 outlines are derived by merging the old ones; not an official boundary.",
    ),
    "map.shown": ("Đang hiển thị {n} camera", "Showing {n} cameras"),
    "map.panel_empty": ("Bấm vào một camera trên bản đồ để xem chi tiết.",
                        "Click a camera on the map to see its details."),
    "map.panel_missing": ("Không tìm thấy camera {id}.", "Camera {id} not found."),
    "map.roads": ("Quốc lộ", "National roads"),
    "map.sites": ("Điểm lắp đặt", "Sites"),
    "map.attribution": (
        "Ranh giới: geoBoundaries (geoboundaries.org) · Đường: CTU-SematX/LegoCity (CC BY-SA 4.0)",
        "Boundaries: geoBoundaries (geoboundaries.org) · Roads: CTU-SematX/LegoCity (CC BY-SA 4.0)",
    ),
    "kind.violation": ("Camera phạt nguội", "Violation camera"),
    "kind.security": ("Camera an ninh", "Security camera"),
    "kind.anpr": ("Camera nhận dạng biển số", "ANPR camera"),
    "status.online": ("Hoạt động", "Online"),
    "status.offline": ("Mất kết nối", "Offline"),
    "status.frozen": ("Hình đứng", "Frozen image"),
    "status.black": ("Hình đen", "Black image"),
    "status.blurred": ("Mờ nét", "Blurred"),
    "status.dark": ("Quá tối", "Too dark"),
    "status.occluded": ("Bị che khuất", "Occluded"),
    "status.view_shifted": ("Lệch góc quay", "View shifted"),
    "status.unknown": ("Chưa kiểm tra", "Not checked yet"),
    "quality.surveyed": ("Đã khảo sát", "Surveyed"),
    "quality.approximate": ("Ước lượng", "Approximate"),
    "field.camera_id": ("Mã camera", "Camera id"),
    "field.name": ("Tên", "Name"),
    "field.kind": ("Loại", "Kind"),
    "field.site": ("Điểm lắp đặt", "Site"),
    "field.status": ("Trạng thái", "Status"),
    "field.last_check": ("Kiểm tra gần nhất", "Last check"),
    "field.never": ("chưa có", "never"),
    "field.coords": ("Tọa độ (kinh độ, vĩ độ)", "Coordinates (lon, lat)"),
    "field.location_quality": ("Độ tin cậy vị trí", "Location quality"),
    "field.heading": ("Hướng quay", "Heading"),
    "field.province": ("Tỉnh (mã cũ / mã 2025)", "Province (old / 2025 code)"),
    "field.contractor": ("Nhà thầu", "Contractor"),
    "field.installed_on": ("Ngày lắp đặt", "Installed on"),
    "field.stream_url": ("Luồng video", "Video stream"),
    "field.snapshot_url": ("Ảnh chụp", "Snapshot"),
    "field.source": ("Nguồn dữ liệu", "Data source"),
    "source.registry": ("Danh mục chính thức", "Official registry"),
    "source.demo": ("Dữ liệu mô phỏng", "Simulated data"),
    "source.pipeline": ("Hệ thống xử lý", "Processing pipeline"),
    "auth.title": ("Đăng nhập", "Sign in"),
    "auth.username": ("Tên đăng nhập", "Username"),
    "auth.password": ("Mật khẩu", "Password"),
    "auth.submit": ("Đăng nhập", "Sign in"),
    "auth.bad_credentials": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password."),
    "auth.locked": ("Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau.",
                    "Too many failed sign-ins: the account is locked for a while. Try again later."),
    "auth.expired": ("Phiên làm việc đã hết hạn do không hoạt động. Vui lòng đăng nhập lại.",
                     "Your session expired after inactivity. Please sign in again."),
    "auth.csrf": ("Yêu cầu bị từ chối: thiếu hoặc sai mã chống giả mạo (CSRF).",
                  "Request refused: missing or wrong anti-forgery (CSRF) token."),
    "auth.forbidden": ("Bạn không có quyền truy cập nội dung này.", "You are not allowed to see this."),
    "auth.logout": ("Đăng xuất", "Sign out"),
    "auth.change_password": ("Đổi mật khẩu", "Change password"),
    "auth.current_password": ("Mật khẩu hiện tại", "Current password"),
    "auth.new_password": ("Mật khẩu mới", "New password"),
    "auth.confirm_password": ("Nhập lại mật khẩu mới", "Repeat the new password"),
    "auth.save": ("Lưu", "Save"),
    "auth.mismatch": ("Hai lần nhập mật khẩu mới không khớp.", "The two new passwords differ."),
    "auth.password_changed": ("Đã đổi mật khẩu. Các phiên khác đã bị đăng xuất.",
                              "Password changed. Your other sessions were signed out."),
    "auth.back": ("Quay lại bản đồ", "Back to the map"),
    "auth.no_accounts": (
        "Chưa có tài khoản nào. Dừng ứng dụng và tạo quản trị viên đầu tiên: make admin",
        "No account exists yet. Stop the app and create the first administrator: make admin",
    ),
    "nav.audit": ("Nhật ký kiểm toán", "Audit trail"),
    "nav.users": ("Tài khoản", "Accounts"),
    "nav.runs": ("Lượt xử lý", "Pipeline runs"),
    "users.heading": ("Quản lý tài khoản, vai trò và phạm vi", "Accounts, roles and scopes"),
    "users.col.username": ("Tên đăng nhập", "Username"),
    "users.col.full_name": ("Họ tên", "Full name"),
    "users.col.role": ("Vai trò", "Role"),
    "users.col.scopes": ("Phạm vi", "Scopes"),
    "users.col.active": ("Hoạt động", "Active"),
    "users.col.password_changed": ("Đổi mật khẩu lần cuối", "Password changed"),
    "users.username": ("Tên đăng nhập", "Username"),
    "users.full_name": ("Họ tên", "Full name"),
    "users.role": ("Vai trò", "Role"),
    "users.scopes": ("Phạm vi (tỉnh → khu vực → nhóm camera)", "Scopes (province → area → camera group)"),
    "users.password": ("Mật khẩu (tạo mới hoặc đặt lại)", "Password (new account or reset)"),
    "users.create": ("Tạo tài khoản", "Create account"),
    "users.update": ("Cập nhật vai trò, phạm vi", "Update role and scopes"),
    "users.lock": ("Khóa", "Lock"),
    "users.unlock": ("Mở khóa", "Unlock"),
    "users.reset": ("Đặt lại mật khẩu", "Reset password"),
    "users.created": ("Đã tạo tài khoản {name}.", "Account {name} created."),
    "users.updated": ("Đã cập nhật {name}.", "{name} updated."),
    "users.not_self": ("Không thể tự khóa tài khoản của mình.", "You cannot lock your own account."),
    "users.yes": ("Có", "Yes"),
    "users.no": ("Đã khóa", "Locked"),
    "runs.heading": ("Lượt xử lý video", "Pipeline runs"),
    "runs.summary": ("{n} lượt; {failed} lỗi; {fallback} lượt phải dùng bộ phát hiện chuyển động thay YOLO.",
                     "{n} runs; {failed} failed; {fallback} fell back from YOLO to the motion detector."),
    "runs.filter.all": ("Tất cả", "All"),
    "runs.filter.failed": ("Lỗi", "Failed"),
    "runs.filter.partial": ("Dở dang", "Partial"),
    "runs.filter.warnings": ("Có cảnh báo", "With warnings"),
    "runs.col.time": ("Đoạn bắt đầu", "Segment start"),
    "runs.col.camera_id": ("Camera", "Camera"),
    "runs.col.status": ("Trạng thái", "Status"),
    "runs.col.detector": ("Bộ phát hiện", "Detector"),
    "runs.col.frames": ("Khung phát hiện/đọc", "Frames detected/read"),
    "runs.col.fps": ("Khung/giây", "FPS"),
    "runs.col.violations": ("Vi phạm", "Violations"),
    "runs.col.warnings": ("Cảnh báo", "Warnings"),
    "runs.col.errors": ("Lỗi", "Errors"),
    "audit.heading": ("Nhật ký kiểm toán", "Audit trail"),
    "audit.filter": ("Lọc theo người dùng, hành động, đối tượng…", "Filter by user, action, target…"),
    "audit.export": ("Xuất CSV", "Export CSV"),
    "audit.ok": ("Chuỗi băm nguyên vẹn: {n} bản ghi.", "Hash chain intact: {n} entries."),
    "audit.broken": ("PHÁT HIỆN SỬA ĐỔI tại bản ghi {seq}: {reason}", "TAMPERING DETECTED at entry {seq}: {reason}"),
    "audit.col.seq": ("STT", "Seq"),
    "audit.col.time": ("Thời gian", "Time"),
    "audit.col.actor": ("Người thực hiện", "Actor"),
    "audit.col.action": ("Hành động", "Action"),
    "audit.col.target": ("Đối tượng", "Target"),
    "audit.col.detail": ("Chi tiết", "Detail"),
    "audit.col.client_ip": ("Địa chỉ IP", "Client IP"),
})


def t(key: str, lang: str | None = DEFAULT_LANG, **fmt: object) -> str:
    """Translate ``key``; ``fmt`` fills ``{name}`` placeholders."""
    vi, en = _CATALOG[key]
    text = en if lang == "en" else vi
    return text.format(**fmt) if fmt else text


def keys() -> tuple[str, ...]:
    return tuple(_CATALOG)


def normalise(lang: str | None) -> Lang:
    return "en" if lang == "en" else "vi"
