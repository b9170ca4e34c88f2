"""The in-process APScheduler of the embedded deployment.

Contract: ``build_scheduler`` returns a stopped ``BackgroundScheduler`` in UTC with the
jobs given; ``app.py`` starts it and shuts it down. A job that raises is logged by
APScheduler and runs again at its next time: one failing job never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler


@dataclass(frozen=True, kw_only=True, slots=True)
class IntervalJob:
    job_id: str
    func: Callable[[], object]
    seconds: int
    first_after_s: float | None = None  # first run this long after start (default: one interval)


def build_scheduler(jobs: list[IntervalJob]) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    for job in jobs:
        first = {} if job.first_after_s is None else {
            "next_run_time": datetime.now(UTC) + timedelta(seconds=job.first_after_s)}
        scheduler.add_job(job.func, "interval", seconds=job.seconds, id=job.job_id, replace_existing=True, **first)
    return scheduler
