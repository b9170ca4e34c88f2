"""Traffic-signal phase for the red-light and stop-line rules.

Contract: ``SignalReader.phase(at, image)`` returns ``red``, ``amber``, ``green`` or
``unknown``. Sources, chosen by the scene config's ``signal.source``:
- ``roi``: the lamp regions read by colour — a lamp is lit when enough of its pixels are
  bright and saturated in the lamp's hue band, so countdown digits (outside the lamp
  regions) and white glare (unsaturated) do not light it; a new phase is accepted after
  two consecutive agreeing frames (debounce);
- ``schedule``: a fixed cycle (green, amber, red) from ``offset_s`` after UTC midnight;
- ``external``: a controller URL returning JSON ``{"phase": "red"}``, polled at most once a second.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta

import cv2
import numpy as np

from analytics.scene_config import SignalExternal, SignalRoi, SignalSchedule

PHASES = ("red", "amber", "green")
HUE_BANDS = {"red": ((0, 12), (165, 180)), "amber": ((12, 35),), "green": ((40, 95),)}


def lamp_lit(image: np.ndarray, roi: tuple[int, int, int, int], colour: str) -> float:
    """Share of the lamp's pixels that are bright and saturated in its hue band (0..1)."""
    x, y, w, h = roi
    patch = image[y:y + h, x:x + w]
    if patch.size == 0:
        return 0.0
    hsv = cv2.cvtColor(patch, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    band = np.zeros(hue.shape, bool)
    for lo, hi in HUE_BANDS[colour]:
        band |= (hue >= lo) & (hue <= hi)
    return float(np.mean(band & (sat > 90) & (val > 150)))


class SignalReader:
    def __init__(self, signal: SignalRoi | SignalSchedule | SignalExternal | None, *, timeout_s: float = 1.0) -> None:
        self._signal = signal
        self._phase = "unknown"
        self._candidate = "unknown"
        self._agree = 0
        self._timeout = timeout_s
        self._polled_at: datetime | None = None
        self.errors: list[str] = []

    @property
    def available(self) -> bool:
        return self._signal is not None

    @property
    def needs_image(self) -> bool:
        """Whether ``phase`` reads the picture (lamp ROIs) rather than a schedule or feed."""
        return isinstance(self._signal, SignalRoi)

    def phase(self, at: datetime, image: np.ndarray | None) -> str:
        signal = self._signal
        if signal is None:
            return "unknown"
        if isinstance(signal, SignalSchedule):
            return schedule_phase(signal, at)
        if isinstance(signal, SignalExternal):
            return self._poll(signal, at)
        if image is None:
            raise ValueError("the signal is read from lamp ROIs: a picture is needed")
        return self._debounced(self._read_roi(signal, image))

    def _read_roi(self, signal: SignalRoi, image: np.ndarray) -> str:
        rois = {"red": signal.red_roi, "amber": signal.amber_roi, "green": signal.green_roi}
        lit = {name: lamp_lit(image, roi, name) for name, roi in rois.items() if roi is not None}
        best = max(lit, key=lambda k: lit[k])
        if lit[best] < 0.15:
            return "unknown" if len(lit) > 1 else "green"  # a lone red lamp that is dark means "not red"
        return best

    def _debounced(self, reading: str) -> str:
        if reading == self._candidate:
            self._agree += 1
        else:
            self._candidate, self._agree = reading, 1
        if self._agree >= 2 or self._phase == "unknown":
            self._phase = self._candidate
        return self._phase

    def _poll(self, signal: SignalExternal, at: datetime) -> str:
        if self._polled_at is not None and at - self._polled_at < timedelta(seconds=1):
            return self._phase
        self._polled_at = at
        try:
            with urllib.request.urlopen(signal.url, timeout=self._timeout) as response:  # noqa: S310 (configured URL)
                phase = str(json.loads(response.read().decode("utf-8")).get("phase", "unknown"))
            self._phase = phase if phase in PHASES else "unknown"
        except (urllib.error.URLError, OSError, ValueError, AttributeError) as exc:
            self._phase = "unknown"
            if len(self.errors) < 20:
                self.errors.append(f"signal feed {signal.url}: {exc}")
        return self._phase


def schedule_phase(signal: SignalSchedule, at: datetime) -> str:
    cycle = signal.green_s + signal.amber_s + signal.red_s
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    t = ((at - midnight).total_seconds() - signal.offset_s) % cycle
    if t < signal.green_s:
        return "green"
    if t < signal.green_s + signal.amber_s:
        return "amber"
    return "red"
