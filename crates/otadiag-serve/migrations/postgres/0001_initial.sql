-- Vehicles and their hashed upload tokens, uploaded bundles, verdicts and findings (flags are 0/1 BIGINTs, as in the SQLite schema).
CREATE TABLE vehicles (
    vin         TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE bundles (
    id            BIGSERIAL PRIMARY KEY,
    content_hash  TEXT NOT NULL UNIQUE,
    vin           TEXT NOT NULL,
    campaign      TEXT NOT NULL,
    task          TEXT NOT NULL,
    received_at   BIGINT NOT NULL,
    size          BIGINT NOT NULL,
    body          BYTEA NOT NULL
);
CREATE INDEX bundles_vin ON bundles (vin);
CREATE INDEX bundles_campaign ON bundles (campaign);

CREATE TABLE verdicts (
    id            BIGSERIAL PRIMARY KEY,
    bundle_id     BIGINT NOT NULL REFERENCES bundles (id),
    is_current    BIGINT NOT NULL,
    revision      TEXT NOT NULL,
    analysed_at   BIGINT NOT NULL,
    verdict       TEXT NOT NULL,
    failed_stage  TEXT,
    report        TEXT NOT NULL
);
CREATE INDEX verdicts_bundle ON verdicts (bundle_id, is_current);

CREATE TABLE findings (
    id          BIGSERIAL PRIMARY KEY,
    verdict_id  BIGINT NOT NULL REFERENCES verdicts (id),
    ordinal     BIGINT NOT NULL,
    unit        TEXT NOT NULL,
    stage       TEXT NOT NULL,
    version     TEXT NOT NULL,
    cause       TEXT NOT NULL,
    is_root     BIGINT NOT NULL,
    finding     TEXT NOT NULL
);
CREATE INDEX findings_verdict ON findings (verdict_id, ordinal);
