"""The 15-minute count bench's summary: per class the error of the sum and of the worst bin."""

from __future__ import annotations

import pytest

bench_counts = pytest.importorskip("bench.bench_counts")


def test_the_summary_gives_the_error_of_the_sum_and_of_the_worst_bin() -> None:
    rows = [{"counted": {"car": 98, "bus": 4}, "truth": {"car": 100, "bus": 5}},
            {"counted": {"car": 103, "truck": 1}, "truth": {"car": 100, "bus": 2}}]
    summary = bench_counts.summarise(rows)
    assert summary["car"] == {"counted": 201, "truth": 200, "error": 0.005, "worst_bin_error": 0.03}
    assert summary["bus"] == {"counted": 4, "truth": 7, "error": 0.429, "worst_bin_error": 1.0}
    assert summary["truck"] == {"counted": 1, "truth": 0, "error": None, "worst_bin_error": None}
