-- Which simulated history windows have been written (demo prepare is idempotent by window).
CREATE TABLE demo_history (
    window_start TIMESTAMPTZ NOT NULL,
    window_end   TIMESTAMPTZ NOT NULL,
    seed         INTEGER NOT NULL,
    written_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (window_start, window_end, seed)
);
