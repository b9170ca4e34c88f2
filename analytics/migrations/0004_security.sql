-- Accounts, sessions, login attempts, area scopes and the hash-chained audit trail.
CREATE TABLE areas (
    area_id       VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    province_code VARCHAR NOT NULL   -- 2025 province code
);

CREATE TABLE site_areas (
    site_id VARCHAR PRIMARY KEY,
    area_id VARCHAR NOT NULL
);

CREATE TABLE camera_groups (
    group_id VARCHAR PRIMARY KEY,
    name     VARCHAR NOT NULL,
    area_id  VARCHAR NOT NULL
);

CREATE TABLE camera_group_members (
    group_id  VARCHAR NOT NULL,
    camera_id VARCHAR NOT NULL,
    PRIMARY KEY (group_id, camera_id)
);

CREATE TABLE users (
    username        VARCHAR PRIMARY KEY,
    full_name       VARCHAR NOT NULL,
    role            VARCHAR NOT NULL CHECK (role IN
        ('leader', 'planner', 'commander', 'duty_officer', 'enforcement_officer', 'supervisor', 'admin')),
    password_hash   VARCHAR NOT NULL,
    active          BOOLEAN NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    password_changed_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_scopes (
    username   VARCHAR NOT NULL,
    scope_kind VARCHAR NOT NULL CHECK (scope_kind IN ('all', 'province', 'area', 'group')),
    scope_id   VARCHAR NOT NULL,
    PRIMARY KEY (username, scope_kind, scope_id)
);

CREATE TABLE sessions (
    session_id   VARCHAR PRIMARY KEY,
    username     VARCHAR NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ,
    end_reason   VARCHAR
);

CREATE TABLE login_attempts (
    attempted_at TIMESTAMPTZ NOT NULL,
    username     VARCHAR NOT NULL,
    client_ip    VARCHAR NOT NULL,
    success      BOOLEAN NOT NULL
);

CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    logged_at TIMESTAMPTZ NOT NULL,
    actor     VARCHAR NOT NULL,
    action    VARCHAR NOT NULL,
    target    VARCHAR NOT NULL,
    detail    VARCHAR NOT NULL,   -- canonical JSON
    client_ip VARCHAR NOT NULL,
    prev_hash VARCHAR NOT NULL,
    hash      VARCHAR NOT NULL
);
