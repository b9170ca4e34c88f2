"""Set-up of a detection worker process (one per CPU core in a process pool).

Contract: ``init_worker(threads)`` limits torch and OpenCV to ``threads`` CPU threads in
this process. N single-threaded workers on N cores outrun one process whose libraries
each spread over every core: decoding, tracking and rules are single-threaded anyway, and
libraries that all grab every core oversubscribe the machine.
"""

from __future__ import annotations


def init_worker(threads: int = 1) -> None:
    import cv2
    import torch

    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
