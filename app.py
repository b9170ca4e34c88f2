"""Mắt Thần composition root: settings → logging → warehouse → geodata → demo data →
scheduler → Dash, all in one process (the embedded deployment).

Run with ``make run`` (or ``.venv/bin/python app.py``). Exits with status 2 and a clear
message when the configuration is invalid or the warehouse is held by another process.
"""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

import waitress

from analytics.accounts import count_users
from analytics.warehouse import WarehouseError
from bootstrap import (
    build_accounts,
    load_geodata,
    load_secret_key,
    open_warehouse,
    prepare_demo,
    prepare_history,
    secret_key_path,
    warehouse_is_empty,
)
from dashboard.app_factory import create_app
from dashboard.services import DashboardServices
from demo_pipelines import DemoPipelineJob, demo_feeds
from layers.map_figure import Tiles
from logsetup import configure_logging
from pipelines.scheduler import IntervalJob, build_scheduler
from settings import Settings, SettingsError, load_settings

log = logging.getLogger("matthan")


def build(settings: Settings):  # type: ignore[no-untyped-def]
    """Open everything the server needs; returns (dash app, scheduler, warehouse)."""
    warehouse = open_warehouse(settings)
    geodata = load_geodata(settings)
    if settings.demo.prepare_on_start and warehouse_is_empty(warehouse):
        log.info("warehouse %s has no cameras: loading the embedded demo registry", warehouse.path)
        prepare_demo(settings, warehouse, geodata)
        if settings.demo.history_days:
            log.info("simulating %d days of demo history (about half a minute)", settings.demo.history_days)
            prepare_history(warehouse, days=settings.demo.history_days, evidence_root=settings.storage.evidence_dir,
                            scenes_dir=settings.data.sim_scenes_dir)
    for edition in ("2008", "2025"):
        geodata.provinces(edition)  # read once at start-up, not on the first click
    geodata.vietnam_outline()
    geodata.roads()
    tiles = Tiles(url=settings.map.tiles_url, attribution=settings.map.tiles_attribution) \
        if settings.map.tiles_url else None
    accounts = build_accounts(settings, warehouse)
    if count_users(warehouse) == 0:
        log.warning("no accounts yet: stop the app and create the first administrator with 'make admin' "
                    "(= .venv/bin/python cli.py users create-admin admin)")
    services = DashboardServices(
        warehouse=warehouse, accounts=accounts, secret_key=load_secret_key(secret_key_path(settings)),
        cookie_secure=settings.security.cookie_secure, evidence_root=settings.storage.evidence_dir,
        geodata=geodata, tiles=tiles,
        default_edition=settings.map.boundary_edition, timezone=settings.timezone,
    )
    jobs = [IntervalJob(job_id="warehouse-checkpoint", func=warehouse.checkpoint,
                        seconds=settings.scheduler.checkpoint_minutes * 60)]
    feeds = demo_feeds(warehouse, settings.data.sim_scenes_dir) if settings.demo.pipeline_every_s else ()
    if feeds:
        job = DemoPipelineJob(warehouse, feeds, every_s=settings.demo.pipeline_every_s,
                              seconds=settings.demo.pipeline_seconds, evidence_root=settings.storage.evidence_dir,
                              models_dir=settings.data.models_dir, scenes_dir=settings.data.scenes_dir)
        jobs.append(IntervalJob(job_id="demo-pipelines", func=job, seconds=settings.demo.pipeline_every_s,
                                first_after_s=15))
        log.info("live demo pipelines: %s, %d s of each every %d s",
                 ", ".join(f.camera_id for f in feeds), settings.demo.pipeline_seconds, settings.demo.pipeline_every_s)
    scheduler = build_scheduler(jobs)
    return create_app(services), scheduler, warehouse


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"Cấu hình không hợp lệ / invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    configure_logging(settings.logging)
    try:
        dash_app, scheduler, warehouse = build(settings)
    except WarehouseError as exc:
        log.error("%s", exc)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    if settings.scheduler.enabled:
        scheduler.start()
    host, port = settings.server.host, settings.server.port
    log.info("Mắt Thần dashboard on http://%s:%d/map (Ctrl+C to stop)", host, port)
    try:
        waitress.serve(dash_app.server, host=host, port=port, threads=settings.server.threads,
                       ident="matthan")
    except KeyboardInterrupt:
        log.info("Ctrl+C: stopping")
    finally:
        if scheduler.running:
            for job in scheduler.get_jobs():
                getattr(job.func, "stop", lambda: None)()  # long jobs end after the camera in hand
            log.info("stopping: waiting for a running job to write what it has done")
            scheduler.shutdown(wait=True)
        warehouse.checkpoint()
        warehouse.close()
        log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
