//! The durable store behind the service: one synchronous trait, two implementations (SQLite and
//! PostgreSQL), so the HTTP layer and the tests never care which database holds the verdicts.
//!
//! Methods are blocking; the API calls them through `tokio::task::spawn_blocking`. Every write
//! that the API acknowledges is one transaction, committed before the method returns.

mod migrate;
pub mod postgres;
mod sql;
pub mod sqlite;

use serde::Serialize;
use std::sync::Arc;

pub use migrate::{Migration, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

/// A store failure (database error, corrupt row). Shown to clients as a 500.
#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(e.to_string())
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError(format!("stored JSON: {e}"))
    }
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// One finding as written to the `findings` table.
#[derive(Debug, Clone)]
pub struct NewFinding {
    /// Unit (package or ECU) the finding belongs to.
    pub unit: String,
    /// `deploy` or `flash`.
    pub stage: String,
    /// Target software version of the unit (`""` when unknown).
    pub version: String,
    /// Cause name.
    pub cause: String,
    /// Whether it is the unit's root finding.
    pub root: bool,
    /// The whole `Finding` as JSON (report format).
    pub json: String,
}

/// A verdict (one analysed bundle) about to be stored.
#[derive(Debug, Clone)]
pub struct NewVerdict {
    /// Rule revision it was produced under.
    pub revision: String,
    /// Unix ms of the analysis.
    pub analysed_at: i64,
    /// `success` or `failure`.
    pub verdict: String,
    /// `deploy`, `flash` or none.
    pub failed_stage: Option<String>,
    /// The `BundleReport` as JSON.
    pub report: String,
    /// Findings in report order (units, then findings).
    pub findings: Vec<NewFinding>,
}

/// An uploaded bundle with its first verdict, stored in one transaction.
#[derive(Debug, Clone)]
pub struct NewUpload {
    /// `sha256:` of the uploaded bytes.
    pub content_hash: String,
    /// Vehicle the upload was authenticated as.
    pub vin: String,
    /// Campaign from the manifest.
    pub campaign: String,
    /// Task from the manifest.
    pub task: String,
    /// Unix ms of receipt.
    pub received_at: i64,
    /// The bytes exactly as uploaded (possibly compressed).
    pub body: Vec<u8>,
    /// The verdict.
    pub verdict: NewVerdict,
}

/// Ids of a stored upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UploadIds {
    /// Bundle row id.
    pub bundle_id: i64,
    /// Current verdict id of that bundle.
    pub verdict_id: i64,
}

/// What [`Store::insert_upload`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// New rows were written.
    Inserted(UploadIds),
    /// A bundle with the same content hash already existed; nothing was written.
    Duplicate(UploadIds),
}

/// A stored verdict with its bundle's metadata and the ids of its findings (report order).
#[derive(Debug, Clone)]
pub struct StoredVerdict {
    /// Verdict id.
    pub id: i64,
    /// Bundle id.
    pub bundle_id: i64,
    /// Vehicle.
    pub vin: String,
    /// Campaign.
    pub campaign: String,
    /// Task.
    pub task: String,
    /// Unix ms of upload.
    pub received_at: i64,
    /// Rule revision.
    pub revision: String,
    /// Unix ms of analysis.
    pub analysed_at: i64,
    /// The `BundleReport` JSON.
    pub report: String,
    /// Finding ids in report order.
    pub finding_ids: Vec<i64>,
}

/// Which verdicts to list.
#[derive(Debug, Clone)]
pub enum VerdictFilter {
    /// Current verdicts of one vehicle.
    Vehicle(String),
    /// Current verdicts of one campaign.
    Campaign(String),
    /// One verdict by id (current or not).
    Id(i64),
}

/// Filters of the fleet aggregation; times are unix ms, `to` exclusive.
#[derive(Debug, Clone, Default)]
pub struct FleetQuery {
    /// Earliest upload time.
    pub from: Option<i64>,
    /// Upload time bound (exclusive).
    pub to: Option<i64>,
    /// Only this campaign.
    pub campaign: Option<String>,
    /// Only this unit (ECU or package).
    pub ecu: Option<String>,
    /// Only this software version.
    pub version: Option<String>,
}

/// One cell of the fleet aggregation (root findings of current verdicts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CauseRow {
    /// Cause name.
    pub cause: String,
    /// Unit (ECU or package).
    pub ecu: String,
    /// Software version.
    pub version: String,
    /// Campaign.
    pub campaign: String,
    /// Number of root findings.
    pub count: i64,
}

/// One bucket of the fleet trend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrendRow {
    /// Bucket start, unix ms.
    pub bucket: i64,
    /// Cause name.
    pub cause: String,
    /// Number of root findings.
    pub count: i64,
}

/// One stored finding with the verdict it belongs to.
#[derive(Debug, Clone)]
pub struct StoredFinding {
    /// Finding id.
    pub id: i64,
    /// Verdict id.
    pub verdict_id: i64,
    /// Vehicle.
    pub vin: String,
    /// Stage.
    pub stage: String,
    /// Rule revision of the verdict.
    pub revision: String,
    /// The `Finding` JSON.
    pub json: String,
}

/// Row counts, for status pages and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Stored bundles.
    pub bundles: i64,
    /// Stored verdicts (all revisions).
    pub verdicts: i64,
    /// Registered vehicles.
    pub vehicles: i64,
}

/// The store interface. Implementations serialise access internally and are shared via `Arc`.
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn kind(&self) -> &'static str;
    /// Registers a vehicle or replaces its token hash.
    fn put_vehicle(&self, vin: &str, token_hash: &str, now: i64) -> StoreResult<()>;
    /// The vehicle owning a token hash.
    fn vehicle_for_token(&self, token_hash: &str) -> StoreResult<Option<String>>;
    /// The vehicle and ids of an already stored bundle.
    fn find_bundle(&self, content_hash: &str) -> StoreResult<Option<(String, UploadIds)>>;
    /// Stores a bundle and its verdict in one transaction (or reports the duplicate).
    fn insert_upload(&self, up: &NewUpload) -> StoreResult<InsertOutcome>;
    /// Current verdicts, newest upload first.
    fn verdicts(&self, filter: &VerdictFilter, limit: i64) -> StoreResult<Vec<StoredVerdict>>;
    /// Root-finding counts by cause × unit × version × campaign.
    fn fleet_causes(&self, q: &FleetQuery) -> StoreResult<Vec<CauseRow>>;
    /// Root-finding counts by time bucket and cause.
    fn fleet_trend(&self, q: &FleetQuery, bucket_ms: i64) -> StoreResult<Vec<TrendRow>>;
    /// One finding.
    fn finding(&self, id: i64) -> StoreResult<Option<StoredFinding>>;
    /// Every bundle id with the revision of its current verdict.
    fn bundles_for_reanalysis(&self) -> StoreResult<Vec<(i64, String)>>;
    /// The stored bytes of a bundle.
    fn bundle_body(&self, id: i64) -> StoreResult<Option<Vec<u8>>>;
    /// Adds a verdict to a bundle and makes it current, in one transaction.
    fn replace_verdict(&self, bundle_id: i64, v: &NewVerdict) -> StoreResult<i64>;
    /// Row counts.
    fn counts(&self) -> StoreResult<Counts>;
}

/// Opens the store a database URL names: `sqlite://PATH`, a bare path, or `postgres://…`.
pub fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open(url, None)?))
    } else {
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        Ok(Arc::new(sqlite::SqliteStore::open(std::path::Path::new(
            path,
        ))?))
    }
}
