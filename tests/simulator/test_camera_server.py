"""Virtual IP cameras over real HTTP on loopback: snapshots, MJPEG, and every fault."""

from __future__ import annotations

import http.client
import io
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from simulator.camera_server import (
    CameraFarm,
    CameraSpec,
    Fault,
    FrameLibrary,
    VirtualCameraServer,
    read_camera_specs,
)
from simulator.world import load_sim_scene
from tests.conftest import REGISTRY_DIR, serving

SCENES = Path(__file__).resolve().parents[2] / "data" / "scenes" / "sim"


@pytest.fixture(scope="module")
def library() -> FrameLibrary:
    scenes = [load_sim_scene(SCENES / "nga_tu_rach_gia.yaml"), load_sim_scene(SCENES / "pho_tran_phu.yaml")]
    return FrameLibrary(scenes, width=320, height=180, frames=8, every=6)


@pytest.fixture
def server(library: FrameLibrary) -> Iterator[tuple[str, CameraFarm]]:
    specs = read_camera_specs(REGISTRY_DIR / "cameras.csv")
    farm = CameraFarm(specs, library, street_scene="pho_tran_phu", timeout_s=3.0)
    with serving(VirtualCameraServer(("127.0.0.1", 0), farm, stream_fps=10, stream_max_s=5)) as base:
        yield base, farm


def get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        assert response.status == 200
        return response.read()


def image(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L")).astype(np.float32)[24:]  # below the overlay


def edges(img: np.ndarray) -> float:
    pil = Image.fromarray(img.astype(np.uint8))
    return float(np.asarray(pil.filter(ImageFilter.FIND_EDGES)).astype(np.float32).mean())


def put_fault(base: str, camera_id: str, fault: str | None) -> int:
    request = urllib.request.Request(f"{base}/control/cameras/{camera_id}", method="PUT",
                                     data=json.dumps({"fault": fault}).encode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_every_registry_camera_answers(server: tuple[str, CameraFarm]) -> None:
    base, farm = server
    assert len(farm.specs) == 481
    for camera_id in ("KG-VP-001", "TB-NB-001", "KG-AN-289"):
        data = get(f"{base}/cameras/{camera_id}/snapshot.jpg")
        assert Image.open(io.BytesIO(data)).size == (320, 180)
    with pytest.raises(urllib.error.HTTPError) as info:
        get(f"{base}/cameras/NOPE/snapshot.jpg")
    assert info.value.code == 404


def test_mjpeg_stream(server: tuple[str, CameraFarm]) -> None:
    base, _ = server
    with urllib.request.urlopen(f"{base}/cameras/KG-VP-001/stream.mjpeg", timeout=5) as response:
        assert response.headers["Content-Type"] == "multipart/x-mixed-replace; boundary=frame"
        chunk = b""
        while chunk.count(b"--frame") < 3:
            chunk += response.read(4096)
    parts = [p for p in chunk.split(b"--frame") if b"\r\n\r\n" in p]
    jpeg = parts[0].split(b"\r\n\r\n", 1)[1]
    assert jpeg.startswith(b"\xff\xd8")


def test_offline_timeout_slow_intermittent(server: tuple[str, CameraFarm]) -> None:
    base, _ = server
    cam = f"{base}/cameras/KG-AN-001/snapshot.jpg"
    assert put_fault(base, "KG-AN-001", "offline") == 200
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        get(cam)
    put_fault(base, "KG-AN-001", "timeout")
    with pytest.raises((socket.timeout, TimeoutError, urllib.error.URLError)):
        get(cam, timeout=1.0)
    put_fault(base, "KG-AN-001", "slow")
    started = time.monotonic()
    get(cam)
    assert time.monotonic() - started >= 1.4
    put_fault(base, "KG-AN-001", "intermittent")
    results = []
    for _ in range(4):
        try:
            get(cam)
            results.append(True)
        except (http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError):
            results.append(False)
    assert results.count(True) == 2 and results.count(False) == 2
    put_fault(base, "KG-AN-001", None)
    get(cam)


def test_frozen_image(server: tuple[str, CameraFarm]) -> None:
    base, _ = server
    cam = f"{base}/cameras/KG-VP-002/snapshot.jpg"
    a = get(cam)
    time.sleep(1.1)
    assert get(cam) != a  # a live camera changes (and so does its clock)
    put_fault(base, "KG-VP-002", "frozen")
    first = get(cam)
    time.sleep(1.1)
    assert get(cam) == first


@pytest.mark.parametrize("fault", ["black", "night_no_ir", "blurred", "occluded", "view_shifted"])
def test_picture_faults(server: tuple[str, CameraFarm], fault: str) -> None:
    base, _ = server
    cam = f"{base}/cameras/KG-VP-003/snapshot.jpg"
    normal = image(get(cam))
    put_fault(base, "KG-VP-003", fault)
    bad = image(get(cam))
    if fault == "black":
        assert bad.mean() < 8 and bad.std() < 4
    elif fault == "night_no_ir":
        assert bad.mean() < 25 and normal.mean() > 60
    elif fault == "blurred":
        assert edges(bad) < edges(normal) * 0.5
    elif fault == "occluded":
        assert (bad < 40).mean() > 0.4 > (normal < 40).mean()
    else:
        fill = (np.abs(bad - 103) < 6).mean()  # the grey-green outside the knocked view
        assert fill > 0.05


def test_control_rejects_unknown_faults(server: tuple[str, CameraFarm]) -> None:
    base, farm = server
    assert put_fault(base, "KG-VP-004", "exploded") == 400
    assert put_fault(base, "NOPE", "black") == 404
    assert put_fault(base, "KG-VP-004", "black") == 200
    assert json.loads(get(f"{base}/control/cameras"))["KG-VP-004"] == "black"
    assert farm.fault("KG-VP-004") is Fault.BLACK


def test_scene_choice_follows_the_site(library: FrameLibrary) -> None:
    farm = CameraFarm([CameraSpec(camera_id="KG-VP-001", kind="violation", name="Ngã tư X"),
                       CameraSpec(camera_id="KG-AN-001", kind="security", name="Điểm Y")],
                      library, street_scene="pho_tran_phu")
    assert (farm.scene_of("KG-VP-001"), farm.scene_of("KG-AN-001")) == ("nga_tu_rach_gia", "pho_tran_phu")
