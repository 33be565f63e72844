//! The SQLite store, the default (`./otadiag.db`): one connection behind a mutex, WAL journal
//! and `synchronous=FULL`, so a 201 answer means the upload survives a power cut.
//!
//! Why FULL and not NORMAL: under WAL, NORMAL keeps the database consistent but may lose the last
//! committed transactions on power loss, and the API promises that an acknowledged upload is
//! durable. FULL syncs the WAL on every commit; uploads are few and large, so the cost is small.

use super::sql::{self, Dialect, Param};
use super::{
    migrate, CauseRow, Counts, FleetQuery, InsertOutcome, NewUpload, NewVerdict, Store,
    StoreResult, StoredFinding, StoredVerdict, TrendRow, UploadIds, VerdictFilter,
};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Transaction};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

const D: Dialect = Dialect::Sqlite;

/// A SQLite database file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let store = SqliteStore {
            conn: Mutex::new(conn),
        };
        store.migrate()?;
        Ok(store)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction open (it rolls back on
        // drop), so a poisoned connection is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn migrate(&self) -> StoreResult<()> {
        let mut c = self.lock();
        let tx = c.transaction()?;
        tx.execute(migrate::SCHEMA_MIGRATIONS_DDL, [])?;
        let applied: Vec<i64> = tx
            .prepare("SELECT version FROM schema_migrations")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for m in migrate::pending(super::SQLITE_MIGRATIONS, &applied) {
            tx.execute_batch(m.sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                params![m.version, m.name, crate::time::now_ms()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

fn bind(p: &[Param]) -> Vec<rusqlite::types::Value> {
    p.iter()
        .map(|p| match p {
            Param::Int(i) => rusqlite::types::Value::Integer(*i),
            Param::Text(s) => rusqlite::types::Value::Text(s.clone()),
        })
        .collect()
}

fn write_verdict(tx: &Transaction, bundle_id: i64, v: &NewVerdict) -> StoreResult<i64> {
    tx.execute(
        "UPDATE verdicts SET is_current = 0 WHERE bundle_id = ?1",
        [bundle_id],
    )?;
    let id: i64 = tx.query_row(
        &sql::insert_verdict(D),
        params![
            bundle_id,
            v.revision,
            v.analysed_at,
            v.verdict,
            v.failed_stage,
            v.report
        ],
        |r| r.get(0),
    )?;
    let mut st = tx.prepare(&sql::insert_finding(D))?;
    for (i, f) in v.findings.iter().enumerate() {
        st.execute(params![
            id,
            i as i64,
            f.unit,
            f.stage,
            f.version,
            f.cause,
            f.root as i64,
            f.json
        ])?;
    }
    Ok(id)
}

impl Store for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn put_vehicle(&self, vin: &str, token_hash: &str, now: i64) -> StoreResult<()> {
        self.lock().execute(
            "INSERT INTO vehicles (vin, token_hash, created_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (vin) DO UPDATE SET token_hash = excluded.token_hash",
            params![vin, token_hash, now],
        )?;
        Ok(())
    }

    fn vehicle_for_token(&self, token_hash: &str) -> StoreResult<Option<String>> {
        Ok(self
            .lock()
            .query_row(
                "SELECT vin FROM vehicles WHERE token_hash = ?1",
                [token_hash],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn find_bundle(&self, content_hash: &str) -> StoreResult<Option<(String, UploadIds)>> {
        let c = self.lock();
        find(&c, content_hash)
    }

    fn insert_upload(&self, up: &NewUpload) -> StoreResult<InsertOutcome> {
        let mut c = self.lock();
        let tx = c.transaction()?;
        if let Some((_, ids)) = find(&tx, &up.content_hash)? {
            return Ok(InsertOutcome::Duplicate(ids));
        }
        let bundle_id: i64 = tx.query_row(
            "INSERT INTO bundles (content_hash, vin, campaign, task, received_at, size, body) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            params![
                up.content_hash,
                up.vin,
                up.campaign,
                up.task,
                up.received_at,
                up.body.len() as i64,
                up.body
            ],
            |r| r.get(0),
        )?;
        let verdict_id = write_verdict(&tx, bundle_id, &up.verdict)?;
        tx.commit()?;
        Ok(InsertOutcome::Inserted(UploadIds {
            bundle_id,
            verdict_id,
        }))
    }

    fn verdicts(&self, filter: &VerdictFilter, limit: i64) -> StoreResult<Vec<StoredVerdict>> {
        let c = self.lock();
        let (q, p) = sql::verdicts(D, filter, limit);
        let mut out: Vec<StoredVerdict> = c
            .prepare(&q)?
            .query_map(params_from_iter(bind(&p)), |r| {
                Ok(StoredVerdict {
                    id: r.get(0)?,
                    bundle_id: r.get(1)?,
                    vin: r.get(2)?,
                    campaign: r.get(3)?,
                    task: r.get(4)?,
                    received_at: r.get(5)?,
                    revision: r.get(6)?,
                    analysed_at: r.get(7)?,
                    report: r.get(8)?,
                    finding_ids: vec![],
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut st = c.prepare(&sql::finding_ids(D))?;
        for v in &mut out {
            v.finding_ids = st
                .query_map([v.id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
        }
        Ok(out)
    }

    fn fleet_causes(&self, q: &FleetQuery) -> StoreResult<Vec<CauseRow>> {
        let c = self.lock();
        let (s, p) = sql::fleet_causes(D, q);
        let rows = c
            .prepare(&s)?
            .query_map(params_from_iter(bind(&p)), |r| {
                Ok(CauseRow {
                    cause: r.get(0)?,
                    ecu: r.get(1)?,
                    version: r.get(2)?,
                    campaign: r.get(3)?,
                    count: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn fleet_trend(&self, q: &FleetQuery, bucket_ms: i64) -> StoreResult<Vec<TrendRow>> {
        let c = self.lock();
        let (s, p) = sql::fleet_trend(D, q, bucket_ms);
        let rows = c
            .prepare(&s)?
            .query_map(params_from_iter(bind(&p)), |r| {
                Ok(TrendRow {
                    bucket: r.get(0)?,
                    cause: r.get(1)?,
                    count: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn finding(&self, id: i64) -> StoreResult<Option<StoredFinding>> {
        Ok(self
            .lock()
            .query_row(&sql::finding(D), [id], |r| {
                Ok(StoredFinding {
                    id: r.get(0)?,
                    verdict_id: r.get(1)?,
                    vin: r.get(2)?,
                    stage: r.get(3)?,
                    revision: r.get(4)?,
                    json: r.get(5)?,
                })
            })
            .optional()?)
    }

    fn bundles_for_reanalysis(&self) -> StoreResult<Vec<(i64, String)>> {
        let c = self.lock();
        let rows = c
            .prepare(
                "SELECT b.id, v.revision FROM bundles b JOIN verdicts v \
                 ON v.bundle_id = b.id AND v.is_current = 1 ORDER BY b.id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn bundle_body(&self, id: i64) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .lock()
            .query_row("SELECT body FROM bundles WHERE id = ?1", [id], |r| r.get(0))
            .optional()?)
    }

    fn replace_verdict(&self, bundle_id: i64, v: &NewVerdict) -> StoreResult<i64> {
        let mut c = self.lock();
        let tx = c.transaction()?;
        let id = write_verdict(&tx, bundle_id, v)?;
        tx.commit()?;
        Ok(id)
    }

    fn counts(&self) -> StoreResult<Counts> {
        let c = self.lock();
        let n = |t: &str| -> StoreResult<i64> {
            Ok(c.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))?)
        };
        Ok(Counts {
            bundles: n("bundles")?,
            verdicts: n("verdicts")?,
            vehicles: n("vehicles")?,
        })
    }
}

fn find(c: &Connection, content_hash: &str) -> StoreResult<Option<(String, UploadIds)>> {
    Ok(c.query_row(&sql::current_verdict(D), [content_hash], |r| {
        Ok((
            r.get(0)?,
            UploadIds {
                bundle_id: r.get(1)?,
                verdict_id: r.get(2)?,
            },
        ))
    })
    .optional()?)
}
