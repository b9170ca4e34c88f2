"""Virtual IP cameras: one HTTP server that answers for every registry camera the way real
IP cameras do — a JPEG snapshot and an MJPEG stream, with the burnt-in timestamp — and
that can be told to misbehave.

Endpoints (loopback by default):
- ``GET /cameras/<id>/snapshot.jpg`` — the current frame as JPEG;
- ``GET /cameras/<id>/stream.mjpeg`` — ``multipart/x-mixed-replace`` JPEG stream;
- ``GET /control/cameras`` — JSON of the active faults;
- ``PUT /control/cameras/<id>`` with ``{"fault": "frozen"}`` (or ``null`` to heal) — for tests
  and demos.

Faults: ``offline`` (the connection is dropped without an answer), ``timeout`` (no answer for
``timeout_s``), ``slow`` (answers after 1.5–3 s), ``intermittent`` (every other request
dropped), ``frozen`` (same frame and timestamp forever), ``black``, ``blurred`` (defocus),
``occluded`` (lens covered), ``view_shifted`` (camera knocked), ``night_no_ir`` (dark, no IR).

Frames are pre-rendered loops of the simulated scenes (violation cameras show their scene,
others a generic street), so serving costs one JPEG encode per camera and second.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import logging
import re
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from simulator.render import Renderer, font
from simulator.traffic import TrafficSim
from simulator.world import SimScene, load_sim_scene

log = logging.getLogger(__name__)
VN = timezone(timedelta(hours=7))
_CAMERA_PATH = re.compile(r"^/cameras/([A-Za-z0-9_.\-]{1,64})/(snapshot\.jpg|stream\.mjpeg)$")
_CONTROL_PATH = re.compile(r"^/control/cameras/([A-Za-z0-9_.\-]{1,64})$")


class Fault(str, enum.Enum):
    OFFLINE = "offline"
    TIMEOUT = "timeout"
    SLOW = "slow"
    INTERMITTENT = "intermittent"
    FROZEN = "frozen"
    BLACK = "black"
    BLURRED = "blurred"
    OCCLUDED = "occluded"
    VIEW_SHIFTED = "view_shifted"
    NIGHT_NO_IR = "night_no_ir"


@dataclass(frozen=True, kw_only=True, slots=True)
class CameraSpec:
    camera_id: str
    kind: str  # violation | security | anpr
    name: str


def read_camera_specs(cameras_csv: Path) -> list[CameraSpec]:
    """Camera ids, kinds and names from a registry CSV (``camera_id, name, kind`` columns)."""
    with cameras_csv.open(encoding="utf-8", newline="") as fh:
        return [CameraSpec(camera_id=r["camera_id"], kind=r["kind"], name=r["name"]) for r in csv.DictReader(fh)]


class FrameLibrary:
    """Pre-rendered frame loops, one per scene, at the server's resolution."""

    def __init__(self, scenes: list[SimScene], *, width: int = 640, height: int = 360, frames: int = 24,
                 every: int = 6, seed: int = 1) -> None:
        self.loops: dict[str, list[np.ndarray]] = {}
        for scene in scenes:
            small = SimScene.model_validate({**scene.model_dump(), "frame": {"width": width, "height": height,
                                                                             "fps": scene.frame.fps}})
            sim, renderer = TrafficSim(small, seed), Renderer(small, seed, overlay=False)
            for _ in range(int(small.frame.fps * 10)):
                sim.step()
            loop = []
            for _ in range(frames):
                frame, _ = renderer.draw(sim, datetime(2026, 1, 1, tzinfo=UTC), sim.frame)
                loop.append(frame)
                for _ in range(every):
                    sim.step()
            self.loops[scene.name] = loop
        self.names = sorted(self.loops)
        self.frame_seconds = every / scenes[0].frame.fps if scenes else 1.0


class CameraFarm:
    """State of every virtual camera: which loop it shows, its fault, its frozen frame."""

    def __init__(self, specs: list[CameraSpec], library: FrameLibrary, *, street_scene: str,
                 faults: dict[str, Fault] | None = None, timeout_s: float = 12.0) -> None:
        self.specs = {s.camera_id: s for s in specs}
        self.library = library
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = dict(faults or {})
        self._requests: dict[str, int] = {}
        self._frozen: dict[str, bytes] = {}
        self._cache: dict[str, tuple[int, bytes]] = {}
        self._scene_of = {s.camera_id: self._pick_scene(s, street_scene) for s in specs}
        self._phase = {s.camera_id: zlib.crc32(s.camera_id.encode()) % 997 for s in specs}

    def scene_of(self, camera_id: str) -> str:
        return self._scene_of[camera_id]

    def _pick_scene(self, spec: CameraSpec, street_scene: str) -> str:
        """Violation cameras show the scene that looks like their site; the others a street."""
        names = self.library.names
        if spec.kind != "violation":
            return street_scene
        wanted = [n for n in names if n != street_scene]
        if "Cầu" in spec.name:
            wanted = [n for n in wanted if n.startswith("cau")] or wanted
        elif spec.camera_id.startswith("TB-"):
            wanted = [n for n in wanted if n.startswith("nga_ba")] or wanted
        else:
            wanted = [n for n in wanted if n.startswith("nga_tu")] or wanted
        return (wanted or names)[zlib.crc32(spec.camera_id.encode()) % len(wanted or names)]

    def fault(self, camera_id: str) -> Fault | None:
        with self._lock:
            return self._faults.get(camera_id)

    def set_fault(self, camera_id: str, fault: Fault | None) -> None:
        with self._lock:
            if fault is None:
                self._faults.pop(camera_id, None)
            else:
                self._faults[camera_id] = fault
            self._frozen.pop(camera_id, None)
            self._cache.pop(camera_id, None)

    def faults(self) -> dict[str, str]:
        with self._lock:
            return {k: v.value for k, v in sorted(self._faults.items())}

    def count_request(self, camera_id: str) -> int:
        with self._lock:
            self._requests[camera_id] = self._requests.get(camera_id, 0) + 1
            return self._requests[camera_id]

    def jpeg(self, camera_id: str, now: datetime | None = None) -> bytes:
        """The camera's current frame as JPEG (cached per camera and second)."""
        now = now or datetime.now(UTC)
        second = int(now.timestamp())
        fault = self.fault(camera_id)
        if fault is Fault.FROZEN:
            with self._lock:
                frozen = self._frozen.get(camera_id)
            if frozen is None:
                frozen = self._encode(camera_id, now, None)
                with self._lock:
                    self._frozen[camera_id] = frozen
            return frozen
        with self._lock:
            cached = self._cache.get(camera_id)
        if cached is not None and cached[0] == second:
            return cached[1]
        data = self._encode(camera_id, now, fault)
        with self._lock:
            self._cache[camera_id] = (second, data)
        return data

    def _encode(self, camera_id: str, now: datetime, fault: Fault | None) -> bytes:
        loop = self.library.loops[self._scene_of[camera_id]]
        index = int(now.timestamp() / self.library.frame_seconds + self._phase[camera_id]) % len(loop)
        img = Image.fromarray(loop[index])
        img = _apply(img, fault, camera_id)
        draw = ImageDraw.Draw(img)
        stamp = now.astimezone(VN).strftime("%d-%m-%Y %H:%M:%S")
        draw.rectangle([0, 0, img.width, 22], fill=(0, 0, 0))
        draw.text((6, 11), f"{stamp}  {camera_id}", fill=(255, 255, 255), font=font(14), anchor="lm")
        out = io.BytesIO()
        img.save(out, "JPEG", quality=80)
        return out.getvalue()


def _apply(img: Image.Image, fault: Fault | None, camera_id: str) -> Image.Image:
    if fault is Fault.BLACK:
        return Image.new("RGB", img.size, (2, 2, 2))
    if fault is Fault.BLURRED:
        return img.filter(ImageFilter.GaussianBlur(radius=7))
    if fault is Fault.NIGHT_NO_IR:
        arr = np.asarray(img).astype(np.float32) * 0.06 + 4
        return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if fault is Fault.OCCLUDED:
        out = img.copy()
        d = ImageDraw.Draw(out)
        w, h = out.size
        d.ellipse([-w * 0.2, h * 0.05, w * 0.85, h * 1.3], fill=(28, 24, 20))  # something over the lens
        return out.filter(ImageFilter.GaussianBlur(radius=2))
    if fault is Fault.VIEW_SHIFTED:
        w, h = img.size
        return img.rotate(9, resample=Image.BILINEAR, translate=(int(w * 0.22), int(-h * 0.18)), fillcolor=(90, 110, 80))
    return img


class _Handler(BaseHTTPRequestHandler):
    server: VirtualCameraServer
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: object) -> None:
        log.debug("%s " + fmt, self.address_string(), *args)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            log.debug("connection already closed by the client")

    def do_GET(self) -> None:  # noqa: N802
        farm = self.server.farm
        if self.path == "/control/cameras":
            self._send(HTTPStatus.OK, json.dumps(farm.faults()).encode(), "application/json")
            return
        match = _CAMERA_PATH.match(self.path.split("?")[0])
        if not match or match[1] not in farm.specs:
            self._send(HTTPStatus.NOT_FOUND, b"no such camera\n", "text/plain")
            return
        camera_id, what = match[1], match[2]
        fault = farm.fault(camera_id)
        n = farm.count_request(camera_id)
        if fault is Fault.OFFLINE or (fault is Fault.INTERMITTENT and n % 2 == 0):
            self._drop()
            return
        if fault is Fault.TIMEOUT:
            self.server.stopping.wait(farm.timeout_s)
            self._drop()
            return
        if fault is Fault.SLOW:
            self.server.stopping.wait(1.5 + (n % 4) * 0.5)
        if what == "snapshot.jpg":
            self._send(HTTPStatus.OK, farm.jpeg(camera_id), "image/jpeg")
            return
        self._stream(camera_id)

    def _stream(self, camera_id: str) -> None:
        farm = self.server.farm
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.close_connection = True
        deadline = time.monotonic() + self.server.stream_max_s
        try:
            while not self.server.stopping.is_set() and time.monotonic() < deadline:
                if farm.fault(camera_id) in (Fault.OFFLINE, Fault.TIMEOUT):
                    return  # the camera died mid-stream
                jpeg = farm.jpeg(camera_id)
                self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                 + str(len(jpeg)).encode() + b"\r\n\r\n" + jpeg + b"\r\n")
                self.wfile.flush()
                self.server.stopping.wait(1.0 / self.server.stream_fps)
        except (BrokenPipeError, ConnectionResetError):
            return

    def do_PUT(self) -> None:  # noqa: N802
        match = _CONTROL_PATH.match(self.path)
        farm = self.server.farm
        if not match or match[1] not in farm.specs:
            self._send(HTTPStatus.NOT_FOUND, b"no such camera\n", "text/plain")
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
            payload = json.loads(self.rfile.read(min(length, 10_000)) or b"{}")
            raw = payload.get("fault")
            fault = None if raw in (None, "", "none") else Fault(raw)
        except (ValueError, AttributeError) as exc:
            self._send(HTTPStatus.BAD_REQUEST, f"bad fault: {exc}; use one of {[f.value for f in Fault]}\n".encode(),
                       "text/plain")
            return
        farm.set_fault(match[1], fault)
        self._send(HTTPStatus.OK, json.dumps({"camera_id": match[1], "fault": raw}).encode(), "application/json")


class VirtualCameraServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], farm: CameraFarm, *, stream_fps: float = 4.0,
                 stream_max_s: float = 600.0) -> None:
        super().__init__(address, _Handler)
        self.farm = farm
        self.stream_fps = stream_fps
        self.stream_max_s = stream_max_s
        self.stopping = threading.Event()

    def shutdown(self) -> None:
        self.stopping.set()
        super().shutdown()


def build_farm(cameras_csv: Path, scenes_dir: Path, *, faults: dict[str, Fault] | None = None,
               width: int = 640, height: int = 360, timeout_s: float = 12.0) -> CameraFarm:
    scenes = [load_sim_scene(p) for p in sorted(scenes_dir.glob("*.yaml"))]
    library = FrameLibrary(scenes, width=width, height=height)
    street = next((s.name for s in scenes if s.kind == "street"), scenes[0].name)
    return CameraFarm(read_camera_specs(cameras_csv), library, street_scene=street, faults=faults,
                      timeout_s=timeout_s)
