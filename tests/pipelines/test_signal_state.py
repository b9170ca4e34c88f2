"""Signal phase from the lamp ROIs (colour), a schedule, and an external controller feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest

from analytics.scene_config import SignalExternal, SignalRoi, SignalSchedule
from pipelines.signal_state import SignalReader, schedule_phase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.conftest import serving

ROIS = {"red": (10, 10, 20, 20), "amber": (10, 40, 20, 20), "green": (10, 70, 20, 20)}
BGR = {"red": (30, 40, 255), "amber": (0, 180, 255), "green": (90, 230, 40)}
T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def lamp_frame(lit: str | None, *, glare: bool = False, digits: bool = False) -> np.ndarray:
    img = np.full((120, 200, 3), 25, np.uint8)
    for name, (x, y, w, h) in ROIS.items():
        colour = BGR[name] if name == lit else tuple(c // 4 for c in BGR[name])
        cv2.circle(img, (x + w // 2, y + h // 2), w // 2, colour, -1)
    if glare:  # white sun glare over the whole head: bright but unsaturated
        cv2.rectangle(img, (0, 0), (60, 100), (250, 250, 250), -1)
    if digits:  # a red countdown next to the head
        cv2.putText(img, "27", (60, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (30, 40, 255), 3)
    return img


def reader() -> SignalReader:
    return SignalReader(SignalRoi(red_roi=ROIS["red"], amber_roi=ROIS["amber"], green_roi=ROIS["green"]))


@pytest.mark.parametrize("phase", ["red", "amber", "green"])
def test_roi_reads_the_lit_lamp(phase: str) -> None:
    r = reader()
    assert [r.phase(T0, lamp_frame(phase)) for _ in range(3)][-1] == phase


def test_countdown_digits_do_not_light_the_red_lamp() -> None:
    r = reader()
    assert [r.phase(T0, lamp_frame("green", digits=True)) for _ in range(3)][-1] == "green"


def test_glare_is_not_a_lit_lamp() -> None:
    r = reader()
    assert [r.phase(T0, lamp_frame(None, glare=True)) for _ in range(3)][-1] == "unknown"


def test_a_single_odd_frame_does_not_flip_the_phase() -> None:
    r = reader()
    for _ in range(3):
        r.phase(T0, lamp_frame("red"))
    assert r.phase(T0, lamp_frame("green")) == "red"  # one frame: debounced
    assert r.phase(T0, lamp_frame("green")) == "green"  # two agreeing frames: accepted


def test_schedule() -> None:
    sig = SignalSchedule(green_s=30, amber_s=3, red_s=27, offset_s=0)
    midnight = datetime(2026, 3, 2, tzinfo=UTC)
    assert schedule_phase(sig, midnight + timedelta(seconds=10)) == "green"
    assert schedule_phase(sig, midnight + timedelta(seconds=31)) == "amber"
    assert schedule_phase(sig, midnight + timedelta(seconds=40)) == "red"
    assert schedule_phase(sig, midnight + timedelta(seconds=65)) == "green"


def test_external_feed_over_http_and_its_failure() -> None:
    state = {"phase": "red"}

    class Controller(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            body = json.dumps(state).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return  # keep the test output free of request logs

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Controller)) as url:
        r = SignalReader(SignalExternal(url=f"{url}/phase"))
        assert r.phase(T0, np.zeros((10, 10, 3), np.uint8)) == "red"
        state["phase"] = "green"
        assert r.phase(T0 + timedelta(seconds=0.5), np.zeros((10, 10, 3), np.uint8)) == "red"  # polled once a second
        assert r.phase(T0 + timedelta(seconds=2), np.zeros((10, 10, 3), np.uint8)) == "green"
    assert r.phase(T0 + timedelta(seconds=4), np.zeros((10, 10, 3), np.uint8)) == "unknown"  # feed gone
    assert r.errors and "signal feed" in r.errors[0]
