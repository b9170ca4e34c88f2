"""Role × page × callback × route matrix, generated from the permission matrix: every role
gets exactly what ``dashboard/auth/permissions.py`` grants, over real HTTP requests."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from dash import Dash
from flask.testing import FlaskClient
from PIL import Image

from analytics.evidence_manifest import EvidenceFile, EvidenceManifest, load_manifest, sha256_file, write_manifest
from analytics.records import DataSource
from analytics.warehouse import Warehouse
from dashboard.auth.permissions import Permission, Role, allowed, matrix_markdown
from tests.analytics import builders
from tests.dashboard.dash_http import call_callback, login

ROOT = Path(__file__).resolve().parents[2]
KG_VIOLATION = "V-KG-1"  # on KG-VP-001, inside the Kiên Giang scope of the role accounts


def make_evidence(warehouse: Warehouse, root: Path, violation_id: str, camera_id: str) -> Path:
    """A small evidence folder: keyframe and plate images with plate boxes, clip + masked clip."""
    folder = root / camera_id / violation_id
    folder.mkdir(parents=True)
    for name, colour in (("keyframe.jpg", (90, 120, 160)), ("plate.jpg", (230, 230, 230))):
        image = Image.new("RGB", (160, 90), colour)
        for x in range(40, 120, 4):
            for y in range(30, 60):
                image.putpixel((x, y), (0, 0, 0))  # sharp "plate digits" that masking must blur
        image.save(folder / name, "JPEG", quality=95)
    (folder / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"clip" * 64)
    (folder / "clip_masked.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"mask" * 64)
    write_manifest(folder, EvidenceManifest(violation_id=violation_id, files=(
        EvidenceFile(name="keyframe.jpg", sha256=sha256_file(folder / "keyframe.jpg"), kind="keyframe",
                     personal=True, redact=((40, 30, 120, 60),)),
        EvidenceFile(name="plate.jpg", sha256=sha256_file(folder / "plate.jpg"), kind="plate", personal=True,
                     redact=((0, 0, 160, 90),)),
        EvidenceFile(name="clip.mp4", sha256=sha256_file(folder / "clip.mp4"), kind="clip", personal=True,
                     masked="clip_masked.mp4"),
        EvidenceFile(name="clip_masked.mp4", sha256=sha256_file(folder / "clip_masked.mp4"), kind="clip",
                     personal=False),
    )))
    warehouse.upsert([builders.violation(violation_id=violation_id, camera_id=camera_id,
                                         evidence_path=str(folder.relative_to(root)), source=DataSource.DEMO,
                                         occurred_at=datetime(2025, 3, 1, 1, 0, tzinfo=UTC))])
    return folder


@pytest.fixture
def secured(dash_app: Dash, demo_warehouse: Warehouse) -> Dash:
    root = demo_warehouse.path.parent / "evidence"
    make_evidence(demo_warehouse, root, KG_VIOLATION, "KG-VP-001")
    make_evidence(demo_warehouse, root, "V-TB-1", "TB-VP-011")  # TP Thái Bình intersection
    make_evidence(demo_warehouse, root, "V-TB-2", "TB-VP-001")  # Cầu Tân Đệ (bridges group)
    return dash_app


@dataclass(frozen=True)
class Check:
    name: str
    permission: Permission
    call: Callable[[FlaskClient], tuple[int, str]]  # → (status, body text)


def _page(path: str) -> Callable[[FlaskClient], tuple[int, str]]:
    def call(client: FlaskClient) -> tuple[int, str]:
        status, out = call_callback(client, [("_pages_content", "children"), ("_pages_store", "data")],
                                    [("_pages_location", "pathname", path), ("_pages_location", "search", ""),
                                     ("lang-toggle", "value", "vi")])
        text = json.dumps(out, ensure_ascii=False)
        return (403 if '"forbidden"' in text else status), text
    return call


def _callback(outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]],
              state: list[tuple[str, str, object]],
              changed: list[str] | None = None) -> Callable[[FlaskClient], tuple[int, str]]:
    def call(client: FlaskClient) -> tuple[int, str]:
        status, out = call_callback(client, outputs, inputs, state, changed=changed)
        return status, json.dumps(out, ensure_ascii=False)
    return call


def _get(url: str) -> Callable[[FlaskClient], tuple[int, str]]:
    def call(client: FlaskClient) -> tuple[int, str]:
        response = client.get(url)
        return response.status_code, response.get_data(as_text=False)[:200].decode("latin-1")
    return call


REVIEW_BUTTONS = ("review-btn-plate", "review-btn-verify", "review-btn-reject", "review-btn-approve",
                  "review-btn-return")


def review_action(button: str, violation_id: str = KG_VIOLATION, seen: str = "detected", plate: str = "",
                  reason: str | None = None, note: str = "") -> Callable[[FlaskClient], tuple[int, str]]:
    """POST the review page's action callback as if ``button`` was clicked."""
    return _callback(
        [("review-message", "children"), ("review-changed", "data")],
        [(b, "n_clicks", 1 if b == button else None) for b in REVIEW_BUTTONS],
        [("review-selected", "data", {"violation_id": violation_id, "state": seen}), ("review-plate", "value", plate),
         ("review-reason", "value", reason), ("review-note", "value", note), ("review-changed", "data", 0),
         ("review-lang", "data", "vi")],
        changed=[f"{button}.n_clicks"])


CHECKS = [
    Check("page /map", Permission.VIEW_MAP, _page("/map")),
    Check("page /admin/audit", Permission.VIEW_AUDIT, _page("/admin/audit")),
    Check("callback map figure", Permission.VIEW_MAP, _callback(
        [("map-graph", "figure"), ("map-summary", "children"), ("map-demo-badge", "hidden")],
        [("map-edition", "value", "2025"), ("map-province", "value", "all"),
         ("map-kinds", "value", ["violation"]), ("map-color-by", "value", "kind"),
         ("map-refresh", "n_intervals", None)], [("map-lang", "data", "vi")])),
    Check("callback camera panel", Permission.VIEW_MAP, _callback(
        [("map-camera-panel", "children")], [("map-graph", "clickData", {"points": [{"customdata": ["KG-VP-001"]}]})],
        [("map-lang", "data", "vi")])),
    Check("callback audit table", Permission.VIEW_AUDIT, _callback(
        [("audit-table", "rowData"), ("audit-verify", "children")], [("audit-filter", "value", "")],
        [("audit-lang", "data", "vi")])),
    Check("route audit export", Permission.VIEW_AUDIT, _get("/export/audit.csv")),
    Check("page /admin/users", Permission.MANAGE_USERS, _page("/admin/users")),
    Check("page /admin/runs", Permission.MANAGE_CAMERAS, _page("/admin/runs")),
    Check("callback runs table", Permission.MANAGE_CAMERAS, _callback(
        [("runs-table", "rowData"), ("runs-summary", "children")], [("runs-status", "value", "all")],
        [("runs-lang", "data", "vi")])),
    Check("callback users action", Permission.MANAGE_USERS, _callback(
        [("users-table", "rowData"), ("users-message", "children")],
        [("users-create", "n_clicks", None), ("users-update", "n_clicks", None), ("users-lock", "n_clicks", 1),
         ("users-unlock", "n_clicks", None), ("users-reset", "n_clicks", None)],
        [("users-username", "value", ""), ("users-full-name", "value", ""), ("users-role", "value", "planner"),
         ("users-scopes", "value", []), ("users-password", "value", ""), ("users-lang", "data", "vi")])),
    Check("page /review", Permission.REVIEW_VIOLATIONS, _page("/review")),
    Check("callback review queue", Permission.REVIEW_VIOLATIONS, _callback(
        [("review-table", "rowData"), ("review-summary", "children")],
        [("review-state", "value", "detected"), ("review-type", "value", "all"), ("review-changed", "data", 0)],
        [("review-lang", "data", "vi")])),
    Check("callback review detail", Permission.REVIEW_VIOLATIONS, _callback(
        [("review-detail", "children"), ("review-selected", "data"), ("review-controls", "hidden"),
         ("review-plate", "value")],
        [("review-table", "selectedRows", [{"violation_id": KG_VIOLATION}]), ("review-changed", "data", 0)],
        [("review-selected", "data", None), ("review-lang", "data", "vi")])),
    Check("callback review plate edit", Permission.REVIEW_VIOLATIONS,
          review_action("review-btn-plate", plate="not a plate")),
    Check("callback review approve", Permission.APPROVE_VIOLATIONS, review_action("review-btn-approve")),
    Check("route evidence view", Permission.VIEW_EVIDENCE, _get(f"/evidence/{KG_VIOLATION}/keyframe.jpg")),
    Check("route evidence download", Permission.DOWNLOAD_EVIDENCE,
          _get(f"/evidence/{KG_VIOLATION}/keyframe.jpg?download=1")),
]


@pytest.fixture
def clients(secured: Dash) -> Iterator[Callable[[str], FlaskClient]]:
    cache: dict[str, FlaskClient] = {}

    def client_for(username: str) -> FlaskClient:
        if username not in cache:
            cache[username] = login(secured.server, username)
        return cache[username]

    yield client_for


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_role_gets_exactly_the_matrix(role: Role, clients: Callable[[str], FlaskClient]) -> None:
    client = clients(role.value)
    failures = []
    for check in CHECKS:
        expected_ok = allowed(role, check.permission)
        # downloading needs view rights first
        if check.permission is Permission.DOWNLOAD_EVIDENCE:
            expected_ok = expected_ok and allowed(role, Permission.VIEW_EVIDENCE)
        status, _ = check.call(client)
        if expected_ok and status != 200 or not expected_ok and status != 403:
            failures.append(f"{check.name}: expected {'200' if expected_ok else '403'}, got {status}")
    assert failures == []


def test_permission_doc_matches_the_code() -> None:
    assert matrix_markdown() in (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")


def test_leader_never_sees_personal_data() -> None:
    for permission in (Permission.VIEW_PERSONAL_DATA, Permission.VIEW_EVIDENCE, Permission.DOWNLOAD_EVIDENCE):
        assert not allowed(Role.LEADER, permission)
        assert not allowed(Role.PLANNER, permission)


def test_denials_are_audited(secured: Dash, demo_warehouse: Warehouse,
                             clients: Callable[[str], FlaskClient]) -> None:
    status, _ = _get("/export/audit.csv")(clients("leader"))
    assert status == 403
    with demo_warehouse.reader() as cur:
        rows = cur.execute("SELECT actor, action, target FROM audit_log WHERE action = 'permission_denied'").fetchall()
    assert ("leader", "permission_denied", "/export/audit.csv") in rows


def _image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("L")


def _sharpness(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    low, high = image.crop(box).getextrema()
    return float(high - low)


def test_masking_and_watermark(secured: Dash, clients: Callable[[str], FlaskClient]) -> None:
    url = f"/evidence/{KG_VIOLATION}/keyframe.jpg"
    unmasked = _image(clients("enforcement_officer").get(url).data)
    masked = _image(clients("admin").get(url).data)  # admin: evidence yes, personal data no
    box = (44, 34, 116, 56)
    assert _sharpness(unmasked, box) > 100  # plate digits crisp
    assert _sharpness(masked, box) < _sharpness(unmasked, box) / 2  # plate blurred
    video = clients("admin").get(f"/evidence/{KG_VIOLATION}/clip.mp4")
    assert video.status_code == 200 and b"mask" in video.data and b"clip" not in video.data[12:]
    download = clients("enforcement_officer").get(url + "?download=1")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    stamped = _image(download.data)
    assert stamped.crop((0, 60, 160, 90)).getextrema()[0] == 0  # black watermark band added
    assert stamped.size == unmasked.size


def test_scope_is_enforced_on_evidence_and_callbacks(secured: Dash, clients: Callable[[str], FlaskClient]) -> None:
    kg_officer, tb_city, bridges = clients("enforcement_officer"), clients("officer_tb_city"), clients("officer_bridges")
    assert kg_officer.get("/evidence/V-TB-1/keyframe.jpg").status_code == 403
    assert tb_city.get(f"/evidence/{KG_VIOLATION}/keyframe.jpg").status_code == 403
    assert tb_city.get("/evidence/V-TB-1/keyframe.jpg").status_code == 200
    assert tb_city.get("/evidence/V-TB-2/keyframe.jpg").status_code == 403
    assert bridges.get("/evidence/V-TB-2/keyframe.jpg").status_code == 200
    assert bridges.get("/evidence/V-TB-1/keyframe.jpg").status_code == 403
    status, _ = call_callback(kg_officer, [("map-camera-panel", "children")],
                              [("map-graph", "clickData", {"points": [{"customdata": ["TB-VP-001"]}]})],
                              [("map-lang", "data", "vi")])
    assert status == 403
    figure_call = CHECKS[2].call
    for client, expected_prefix, expected_count in ((kg_officer, "KG-", 36), (tb_city, "TB-", 24),
                                                    (bridges, "TB-", 10)):
        _, text = figure_call(client)
        ids = [cd[0] for tr in json.loads(text)["map-graph"]["figure"]["data"] if tr.get("meta") == "camera"
               for cd in tr["customdata"]]
        assert len(ids) == expected_count and all(i.startswith(expected_prefix) for i in ids)


def _first_frame(path: Path) -> np.ndarray:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    frame = np.frombuffer(next(reader), dtype=np.uint8).reshape(h, w, 3)
    reader.close()
    return frame


def test_clip_download_is_watermarked_on_every_frame(secured: Dash, demo_warehouse: Warehouse,
                                                     clients: Callable[[str], FlaskClient]) -> None:
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    folder = demo_warehouse.path.parent / "evidence" / "KG-VP-001" / KG_VIOLATION
    subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=1:size=320x240:rate=5",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(folder / "clip.mp4")], check=True, timeout=60)
    manifest = load_manifest(folder)
    write_manifest(folder, EvidenceManifest(violation_id=manifest.violation_id, files=tuple(
        EvidenceFile(name=f.name, sha256=sha256_file(folder / f.name), kind=f.kind, personal=f.personal,
                     redact=f.redact, masked=f.masked) for f in manifest.files)))
    response = clients("enforcement_officer").get(f"/evidence/{KG_VIOLATION}/clip.mp4?download=1")
    assert response.status_code == 200
    out = folder.parent / "downloaded.mp4"
    out.write_bytes(response.data)
    probe = subprocess.run([ffmpeg, "-hide_banner", "-i", str(out)], capture_output=True, text=True, timeout=60)
    assert "tải bởi enforcement_officer" in probe.stderr
    assert "h264" in probe.stderr and "yuv420p" in probe.stderr
    original, stamped = _first_frame(folder / "clip.mp4"), _first_frame(out)
    band = slice(240 - 240 // 14, 240)
    assert stamped[band].mean() < original[band].mean() * 0.6  # dark band burnt in
    yellow = (stamped[band, :, 0] > 170) & (stamped[band, :, 1] > 170) & (stamped[band, :, 2] < 110)
    assert yellow.sum() > 50  # the user and time written in yellow on every frame
    assert clients("commander").get(f"/evidence/{KG_VIOLATION}/clip.mp4?download=1").status_code == 403
