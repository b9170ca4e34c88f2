"""Evidence clips cut from the camera's own recording, bit for bit (stream copy, no re-encoding).

Contract:
- ``probe_video(path)`` returns the codec and pixel format of the recording's first video
  stream as ffmpeg reads them, or None when ffmpeg cannot read the file.
- ``browser_playable(info)``: H.264 in 4:2:0 — what Chromium plays from an MP4 as is.
- ``cut_clip(src, out, first_s, last_s)`` copies the packets from the keyframe at or before
  ``first_s`` to a little after ``last_s`` into an MP4 with ``+faststart``; ffmpeg writes an
  edit list, so players (Chromium, OpenCV, ffmpeg) start at ``first_s`` exactly. The tail
  runs ``TAIL_S`` past ``last_s`` because a B-frame shown before ``last_s`` may be stored
  after it. Raises ``ClipCutError`` with ffmpeg's message.

Why: a copy keeps the camera's original pictures (no second generation of compression in
legal evidence) and costs almost nothing, where encoding a 6 s 720p clip at x264
``veryfast`` costs about 2 s of CPU — more than detecting every frame of that clip.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

TAIL_S = 0.4
_STREAM = re.compile(r"Stream #\d+:\d+.*?: Video: (\w+)[^,]*, (\w+)")


class ClipCutError(RuntimeError):
    """ffmpeg could not copy the clip; the message names the recording and ffmpeg's reason."""


@dataclass(frozen=True, kw_only=True, slots=True)
class VideoStreamInfo:
    codec: str  # ffmpeg's codec name, e.g. h264, hevc
    pix_fmt: str  # e.g. yuv420p


def probe_video(path: Path) -> VideoStreamInfo | None:
    """The first video stream of ``path`` (ffmpeg prints it while failing for want of an output)."""
    try:
        done = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _STREAM.search(done.stderr)
    return VideoStreamInfo(codec=match.group(1), pix_fmt=match.group(2)) if match else None


def browser_playable(info: VideoStreamInfo | None) -> bool:
    return info is not None and info.codec == "h264" and info.pix_fmt in {"yuv420p", "yuvj420p"}


def cut_clip(src: Path, out: Path, first_s: float, last_s: float) -> Path:
    """Copy ``[first_s, last_s]`` (seconds from the recording's start) of ``src`` into ``out``."""
    if last_s < first_s:
        raise ClipCutError(f"{src}: clip ends ({last_s:.2f} s) before it starts ({first_s:.2f} s)")
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
               "-ss", f"{max(0.0, first_s):.3f}", "-i", str(src), "-t", f"{last_s - first_s + TAIL_S:.3f}",
               "-map", "0:v:0", "-c", "copy", "-an", "-sn", "-dn", "-movflags", "+faststart", "-f", "mp4", str(out)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClipCutError(f"{src}: ffmpeg did not run: {exc}") from exc
    if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        out.unlink(missing_ok=True)
        raise ClipCutError(f"{src}: cannot copy {first_s:.2f}–{last_s:.2f} s: {done.stderr.strip()[-300:]}")
    return out
