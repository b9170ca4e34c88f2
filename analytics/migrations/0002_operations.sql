-- Camera operations: health checks, outages and pipeline bookkeeping.
CREATE TABLE camera_checks (
    camera_id  VARCHAR NOT NULL,
    checked_at TIMESTAMPTZ NOT NULL,
    status     VARCHAR NOT NULL,
    latency_ms DOUBLE,
    detail     VARCHAR NOT NULL DEFAULT '',
    source     VARCHAR NOT NULL,
    PRIMARY KEY (camera_id, checked_at)
);

CREATE TABLE outages (
    outage_id  VARCHAR PRIMARY KEY,
    camera_id  VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at   TIMESTAMPTZ,
    cause      VARCHAR NOT NULL,
    source     VARCHAR NOT NULL
);

CREATE TABLE pipeline_runs (
    run_id          VARCHAR PRIMARY KEY,
    camera_id       VARCHAR NOT NULL,
    segment_start   TIMESTAMPTZ NOT NULL,
    segment_end     TIMESTAMPTZ NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    status          VARCHAR NOT NULL,
    detector        VARCHAR NOT NULL,
    frames_read     BIGINT NOT NULL DEFAULT 0,
    frames_detected BIGINT NOT NULL DEFAULT 0,
    fps             DOUBLE,
    warnings        VARCHAR[] NOT NULL DEFAULT [],
    errors          VARCHAR[] NOT NULL DEFAULT [],
    source          VARCHAR NOT NULL
);
