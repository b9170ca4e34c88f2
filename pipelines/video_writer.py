"""Browser-playable MP4 writing (H.264 / yuv420p / +faststart via imageio-ffmpeg's ffmpeg).

Contract: ``H264File(path, w, h, fps)`` accepts BGR frames; ``close()`` renames the
finished file into place, so a killed process never leaves a half clip under the final
name. OpenCV's own writer cannot produce H.264 and ``mp4v`` does not play in browsers.
"""

from __future__ import annotations

from pathlib import Path

import imageio_ffmpeg
import numpy as np


class H264File:
    def __init__(self, path: Path, width: int, height: int, fps: float, *, crf: int = 23,
                 preset: str = "veryfast", comment: str | None = None) -> None:
        self.path = path
        self._tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
        extra = ["-metadata", f"comment={comment}"] if comment else []
        self._gen = imageio_ffmpeg.write_frames(
            str(self._tmp), (width, height), fps=fps, codec="libx264", pix_fmt_in="bgr24", pix_fmt_out="yuv420p",
            macro_block_size=2, quality=None, ffmpeg_log_level="error",
            output_params=["-preset", preset, "-crf", str(crf), "-movflags", "+faststart", *extra])
        self._gen.send(None)
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        self._gen.send(np.ascontiguousarray(frame))
        self.frames += 1

    def close(self) -> Path:
        self._gen.close()
        self._tmp.replace(self.path)
        return self.path

    def abort(self) -> None:
        try:
            self._gen.close()
        finally:
            self._tmp.unlink(missing_ok=True)
