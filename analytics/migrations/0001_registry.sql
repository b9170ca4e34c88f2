-- Reference registry: sites and the cameras installed at them.
CREATE TABLE sites (
    site_id            VARCHAR PRIMARY KEY,
    name               VARCHAR NOT NULL,
    kind               VARCHAR NOT NULL,
    province_code      VARCHAR NOT NULL,
    province_code_2025 VARCHAR NOT NULL,
    lon                DOUBLE  NOT NULL,
    lat                DOUBLE  NOT NULL,
    location_quality   VARCHAR NOT NULL CHECK (location_quality IN ('surveyed', 'approximate')),
    source             VARCHAR NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE cameras (
    camera_id          VARCHAR PRIMARY KEY,
    name               VARCHAR NOT NULL,
    kind               VARCHAR NOT NULL CHECK (kind IN ('violation', 'security', 'anpr')),
    site_id            VARCHAR NOT NULL,
    lon                DOUBLE  NOT NULL,
    lat                DOUBLE  NOT NULL,
    heading_deg        DOUBLE  NOT NULL,
    province_code      VARCHAR NOT NULL,
    province_code_2025 VARCHAR NOT NULL,
    stream_url         VARCHAR NOT NULL,
    snapshot_url       VARCHAR NOT NULL,
    contractor         VARCHAR NOT NULL,
    installed_on       DATE    NOT NULL,
    location_quality   VARCHAR NOT NULL CHECK (location_quality IN ('surveyed', 'approximate')),
    source             VARCHAR NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
