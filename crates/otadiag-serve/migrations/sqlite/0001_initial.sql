-- Vehicles and their hashed upload tokens, uploaded bundles, verdicts and findings.
CREATE TABLE vehicles (
    vin         TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE bundles (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    content_hash  TEXT NOT NULL UNIQUE,
    vin           TEXT NOT NULL,
    campaign      TEXT NOT NULL,
    task          TEXT NOT NULL,
    received_at   INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    body          BLOB NOT NULL
);
CREATE INDEX bundles_vin ON bundles (vin);
CREATE INDEX bundles_campaign ON bundles (campaign);

CREATE TABLE verdicts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    bundle_id     INTEGER NOT NULL REFERENCES bundles (id),
    is_current    INTEGER NOT NULL,
    revision      TEXT NOT NULL,
    analysed_at   INTEGER NOT NULL,
    verdict       TEXT NOT NULL,
    failed_stage  TEXT,
    report        TEXT NOT NULL
);
CREATE INDEX verdicts_bundle ON verdicts (bundle_id, is_current);

CREATE TABLE findings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    verdict_id  INTEGER NOT NULL REFERENCES verdicts (id),
    ordinal     INTEGER NOT NULL,
    unit        TEXT NOT NULL,
    stage       TEXT NOT NULL,
    version     TEXT NOT NULL,
    cause       TEXT NOT NULL,
    is_root     INTEGER NOT NULL,
    finding     TEXT NOT NULL
);
CREATE INDEX findings_verdict ON findings (verdict_id, ordinal);
