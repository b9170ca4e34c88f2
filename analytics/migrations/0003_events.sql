-- Traffic events: violations and the 15-minute counts planners normalise by.
CREATE TABLE violations (
    violation_id       VARCHAR PRIMARY KEY,
    camera_id          VARCHAR NOT NULL,
    violation_type     VARCHAR NOT NULL CHECK (violation_type IN
        ('red_light', 'stop_line', 'wrong_way', 'wrong_lane', 'illegal_stop', 'speeding', 'no_helmet')),
    occurred_at        TIMESTAMPTZ NOT NULL,
    track_id           BIGINT NOT NULL,
    vehicle_class      VARCHAR NOT NULL,
    plate_text         VARCHAR,
    plate_confidence   DOUBLE,
    plate_needs_review BOOLEAN NOT NULL,
    speed_kmh          DOUBLE,
    evidence_path      VARCHAR,
    run_id             VARCHAR,
    workflow_state     VARCHAR NOT NULL DEFAULT 'detected',
    source             VARCHAR NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE count_bins (
    camera_id     VARCHAR NOT NULL,
    bin_start     TIMESTAMPTZ NOT NULL,
    vehicle_class VARCHAR NOT NULL,
    movement      VARCHAR NOT NULL,
    count         INTEGER NOT NULL CHECK (count >= 0),
    source        VARCHAR NOT NULL,
    PRIMARY KEY (camera_id, bin_start, vehicle_class, movement)
);
