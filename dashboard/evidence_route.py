"""/evidence/<violation_id>/<file>: the only way evidence leaves the server.

Contract, in order: signed-in user with ``view_evidence``; the violation exists and its
camera is in the user's scope; the folder stays inside the evidence root and the file is
a plain file listed in the manifest (no traversal, no symlinks); its SHA-256 matches the
manifest on every view; personal data (plates, faces) is masked for users without
``view_personal_data`` (image boxes blurred, or the pre-masked video variant); a download
(``?download=1``) needs ``download_evidence`` and is watermarked with the user and time
(visibly on images; burnt into every frame and written into the metadata of clips). Every
view, download and refusal is audited.
"""

from __future__ import annotations

import io
import mimetypes
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import flask
import imageio_ffmpeg
from PIL import Image, ImageDraw, ImageFilter
from werkzeug.exceptions import Conflict, Forbidden, NotFound

from analytics import queries
from analytics.evidence_manifest import EvidenceFile, ManifestError, load_manifest, sha256_file, verify_folder
from dashboard.auth.guard import require, require_camera
from dashboard.auth.permissions import Permission
from dashboard.services import DashboardServices
from dashboard.timefmt import format_local

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _checked_file(folder: Path, entry: EvidenceFile) -> Path:
    path = folder / entry.name
    if path.is_symlink() or not path.is_file() or not _inside(path.resolve(), folder):
        raise Forbidden("evidence file is not a plain file inside its folder")
    if sha256_file(path) != entry.sha256:
        raise Conflict("evidence integrity check failed")
    return path


def _masked_image(path: Path, boxes: tuple[tuple[int, int, int, int], ...]) -> bytes:
    image = Image.open(path).convert("RGB")
    for box in boxes:
        region = image.crop(box)
        image.paste(region.filter(ImageFilter.GaussianBlur(radius=max(4, (box[3] - box[1]) // 3))), box[:2])
    return _encode(image, path.suffix)


def _watermark_image(data: bytes, suffix: str, text: str) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    draw = ImageDraw.Draw(image)
    x, y = 8, image.height - 22
    draw.rectangle((x - 4, y - 4, x + 8 * len(text), y + 16), fill=(0, 0, 0))
    draw.text((x, y), text, fill=(255, 255, 0))
    return _encode(image, suffix)


def _encode(image: Image.Image, suffix: str) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG" if suffix.lower() == ".png" else "JPEG", quality=92)
    return out.getvalue()


def _font_file() -> Path:
    import matplotlib  # only for the location of its bundled DejaVu font (covers Vietnamese)

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"


def _watermark_mp4(data: bytes, text: str) -> bytes:
    """Re-encode the clip (H.264, yuv420p, faststart) with the watermark burnt into every
    frame — a band at the bottom and a faint copy across the middle, so cropping one away
    leaves the other — and also written into the container metadata."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst, label = Path(tmp) / "in.mp4", Path(tmp) / "out.mp4", Path(tmp) / "label.txt"
        src.write_bytes(data)
        label.write_text(text, encoding="utf-8")  # textfile= avoids escaping user text in the filter
        draw = f"drawtext=fontfile='{_font_file()}':textfile='{label}'"
        vf = (f"drawbox=x=0:y=ih-ih/14:w=iw:h=ih/14:color=black@0.65:t=fill,"
              f"{draw}:fontcolor=yellow:fontsize=h/26:x=10:y=h-h/14+(h/14-text_h)/2,"
              f"{draw}:fontcolor=white@0.30:fontsize=h/16:x=(w-text_w)/2:y=(h-text_h)/2")
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(src), "-map", "0:v:0",
                        "-vf", vf, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
                        "-metadata", f"comment={text}", "-movflags", "+faststart", str(dst)],
                       check=True, timeout=300, capture_output=True)
        return dst.read_bytes()


def evidence_listing(root: Path, relative: str) -> tuple[tuple[EvidenceFile, ...], list[str]]:
    """The files a violation's evidence folder lists, and every integrity problem found
    (folder outside the root, unreadable manifest, missing or altered file). Pages link to
    the files through the authorising route; this only tells them what exists."""
    root = root.resolve()
    folder = (root / relative).resolve()
    if not _inside(folder, root) or not folder.is_dir():
        return (), ["evidence folder missing or outside the evidence root"]
    try:
        manifest = load_manifest(folder)
    except ManifestError as exc:
        return (), [str(exc)]
    return manifest.files, verify_folder(folder)


def register_evidence_route(server: flask.Flask, services: DashboardServices) -> None:
    root = services.evidence_root.resolve()

    @server.route("/evidence/<path:rest>")
    def evidence_other(rest: str) -> flask.Response:
        raise NotFound()  # anything but /evidence/<violation>/<file> (e.g. "../" tricks)

    @server.route("/evidence/<violation_id>/<name>")
    def evidence(violation_id: str, name: str) -> flask.Response:
        accounts = services.accounts
        user = require(accounts, Permission.VIEW_EVIDENCE, f"{violation_id}/{name}")
        ip = flask.request.remote_addr or ""
        with services.warehouse.reader() as cur:
            found = queries.violation_evidence(cur, violation_id)
        if found is None or not found[1]:
            raise NotFound()
        camera_id, relative = found
        require_camera(accounts, Permission.VIEW_EVIDENCE, camera_id)
        folder = (root / relative).resolve()
        if not _inside(folder, root) or not folder.is_dir():
            accounts.audit(user.username, "evidence_path_rejected", violation_id, ip, path=relative)
            raise Forbidden("evidence folder outside the evidence root")
        try:
            manifest = load_manifest(folder)
        except ManifestError as exc:
            accounts.audit(user.username, "evidence_tampered", violation_id, ip, problem=str(exc))
            raise Conflict("evidence manifest unreadable") from exc
        entry = manifest.file(name)
        if entry is None:
            raise NotFound()
        try:
            path = _checked_file(folder, entry)
        except Conflict:
            accounts.audit(user.username, "evidence_tampered", f"{violation_id}/{name}", ip)
            raise
        except Forbidden:
            accounts.audit(user.username, "evidence_path_rejected", f"{violation_id}/{name}", ip)
            raise
        masked = entry.personal and not user.can(Permission.VIEW_PERSONAL_DATA)
        if masked and path.suffix.lower() in IMAGE_SUFFIXES and entry.redact:
            data = _masked_image(path, entry.redact)
        elif masked:
            variant = manifest.file(entry.masked) if entry.masked else None
            if variant is None:
                accounts.audit(user.username, "permission_denied", f"{violation_id}/{name}", ip,
                               permission=Permission.VIEW_PERSONAL_DATA.value)
                raise Forbidden("no masked version of this personal-data file")
            data = _checked_file(folder, variant).read_bytes()
        else:
            data = path.read_bytes()
        download = flask.request.args.get("download") == "1"
        if download:
            require(accounts, Permission.DOWNLOAD_EVIDENCE, f"{violation_id}/{name}")
            stamp = f"{user.username} {format_local(datetime.now(UTC), services.timezone)}"
            if path.suffix.lower() in IMAGE_SUFFIXES:
                data = _watermark_image(data, path.suffix, stamp)
            elif path.suffix.lower() == ".mp4":
                try:
                    data = _watermark_mp4(data, f"Mắt Thần – tải bởi {stamp}")
                except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                    accounts.audit(user.username, "evidence_watermark_failed", f"{violation_id}/{name}", ip)
                    raise Conflict("the clip could not be watermarked; download refused") from exc
        accounts.audit(user.username, "evidence_downloaded" if download else "evidence_viewed",
                       f"{violation_id}/{name}", ip, masked=masked)
        response = flask.Response(data, mimetype=mimetypes.guess_type(name)[0] or "application/octet-stream")
        response.headers["Cache-Control"] = "private, no-store"
        if download:
            response.headers["Content-Disposition"] = f'attachment; filename="{violation_id}-{name}"'
        return response
