-- Phạt nguội review workflow: the officer's plate, who decided, and every action taken.
-- Upserts from the pipeline never touch these columns (they are not Violation fields).
ALTER TABLE violations ADD COLUMN plate_confirmed VARCHAR;   -- plate as confirmed/corrected by an officer
ALTER TABLE violations ADD COLUMN verified_by VARCHAR;       -- officer who verified (four-eyes: not the approver)
ALTER TABLE violations ADD COLUMN decided_at TIMESTAMPTZ;    -- time of the latest workflow action

-- Append-only history of workflow actions (also chained in audit_log).
CREATE TABLE violation_actions (
    action_seq   BIGINT PRIMARY KEY,
    violation_id VARCHAR NOT NULL,
    action       VARCHAR NOT NULL CHECK (action IN ('correct_plate', 'verify', 'reject', 'approve', 'return')),
    from_state   VARCHAR NOT NULL,
    to_state     VARCHAR NOT NULL,
    plate_before VARCHAR,
    plate_after  VARCHAR,
    reason_code  VARCHAR,
    note         VARCHAR,
    actor        VARCHAR NOT NULL,
    acted_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX violation_actions_by_violation ON violation_actions (violation_id);
