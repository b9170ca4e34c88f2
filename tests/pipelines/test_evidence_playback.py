"""Evidence clips play in real headless Chromium: a clip copied from the recording (its
first shown picture is the frame asked for, not the keyframe before it) and an encoded one."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import pytest
from dash import Dash, html
from flask import send_from_directory
from selenium.webdriver.support.wait import WebDriverWait

from pipelines.clip_cut import cut_clip
from pipelines.video_writer import H264File
from simulator.clip import render_clip
from simulator.world import load_sim_scene

pytestmark = pytest.mark.browser
SCENES = Path(__file__).resolve().parents[2] / "data" / "scenes" / "sim"
FIRST = 40

FIRST_PICTURE = """
const v = document.getElementById(arguments[0]);
if (!v || v.readyState < 2 || v.videoWidth === 0) return null;
const c = document.createElement('canvas'); c.width = 128; c.height = 72;
c.getContext('2d').drawImage(v, 0, 0, 128, 72);
return [v.duration, c.toDataURL('image/png')];
"""


def _small(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image, (128, 72), interpolation=cv2.INTER_AREA).astype(np.int16)


def test_copied_and_encoded_clips_play_in_chromium(dash_duo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scene = load_sim_scene(SCENES / "nga_tu_rach_gia.yaml")
    recording = render_clip(scene, seconds=4, seed=31, out_dir=tmp_path, name="rec").video
    cap = cv2.VideoCapture(str(recording))
    frames = [cap.read()[1] for _ in range(100)]
    cut_clip(recording, tmp_path / "copied.mp4", (FIRST - 0.5) / 25, (FIRST + 30.5) / 25)
    writer = H264File(tmp_path / "encoded.mp4", frames[0].shape[1], frames[0].shape[0], 25.0)
    for image in frames[FIRST:FIRST + 31]:
        writer.write(image)
    writer.close()

    app = Dash(__name__)
    app.layout = html.Div([html.Video(id=name, src=f"/clips/{name}.mp4", muted=True, preload="auto")
                           for name in ("copied", "encoded")])
    app.server.add_url_rule("/clips/<path:name>", "clips", lambda name: send_from_directory(tmp_path, name))
    dash_duo.start_server(app)
    for name in ("copied", "encoded"):
        got = WebDriverWait(dash_duo.driver, 30).until(lambda d, n=name: d.execute_script(FIRST_PICTURE, n))
        duration, data_url = got
        assert 1.0 <= duration <= 2.0, f"{name}: {duration} s"
        png = base64.b64decode(data_url.split(",", 1)[1])
        shown = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR).astype(np.int16)
        errors = {i: float(np.abs(shown - _small(frames[i])).mean()) for i in (0, FIRST - 10, FIRST)}
        assert min(errors, key=errors.__getitem__) == FIRST, f"{name}: first picture is not frame {FIRST}: {errors}"
