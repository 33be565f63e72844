//! The PostgreSQL store (`--database postgres://…`): tokio-postgres driven from the blocking
//! thread pool, so it implements the same synchronous [`Store`] trait as SQLite.
//!
//! Every method must be called off the async workers (the API uses `spawn_blocking`); it blocks
//! on the runtime handle captured at open time. One connection, serialised by a mutex, keeps the
//! transaction logic identical to SQLite's; PostgreSQL's default `synchronous_commit = on` makes a
//! commit durable before it returns.

use super::sql::{self, Dialect, Param};
use super::{
    migrate, CauseRow, Counts, FleetQuery, InsertOutcome, NewUpload, NewVerdict, Store, StoreError,
    StoreResult, StoredFinding, StoredVerdict, TrendRow, UploadIds, VerdictFilter,
};
use tokio::runtime::Handle;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Transaction};

const D: Dialect = Dialect::Postgres;

/// A PostgreSQL database (optionally one schema of it).
pub struct PgStore {
    client: tokio::sync::Mutex<Client>,
    rt: Handle,
}

impl PgStore {
    /// Connects, selects (and creates) `schema` when given, and applies pending migrations.
    /// Must run inside a Tokio runtime but outside async code (e.g. in `spawn_blocking`).
    pub fn open(url: &str, schema: Option<&str>) -> StoreResult<PgStore> {
        let rt = Handle::try_current()
            .map_err(|_| StoreError("the PostgreSQL store needs a Tokio runtime".into()))?;
        let client = rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    eprintln!("otadiag-serve: postgres connection closed: {e}");
                }
            });
            if let Some(s) = schema {
                let q = quote_ident(s);
                client
                    .batch_execute(&format!(
                        "CREATE SCHEMA IF NOT EXISTS {q}; SET search_path TO {q}"
                    ))
                    .await?;
            }
            Ok::<_, StoreError>(client)
        })?;
        let store = PgStore {
            client: tokio::sync::Mutex::new(client),
            rt,
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&self) -> StoreResult<()> {
        self.rt.block_on(async {
            let mut c = self.client.lock().await;
            let tx = c.transaction().await?;
            // Serialise concurrent starts against the same database.
            tx.batch_execute("SELECT pg_advisory_xact_lock(7346105)")
                .await?;
            tx.batch_execute(migrate::SCHEMA_MIGRATIONS_DDL).await?;
            let applied: Vec<i64> = tx
                .query("SELECT version FROM schema_migrations", &[])
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            for m in migrate::pending(super::POSTGRES_MIGRATIONS, &applied) {
                tx.batch_execute(m.sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    &[&m.version, &m.name, &crate::time::now_ms()],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

/// Quotes an SQL identifier.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn bind(p: &[Param]) -> Vec<Box<dyn ToSql + Sync + Send>> {
    p.iter()
        .map(|p| match p {
            Param::Int(i) => Box::new(*i) as Box<dyn ToSql + Sync + Send>,
            Param::Text(s) => Box::new(s.clone()),
        })
        .collect()
}

fn refs(b: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    b.iter()
        .map(|b| b.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

async fn write_verdict(tx: &Transaction<'_>, bundle_id: i64, v: &NewVerdict) -> StoreResult<i64> {
    tx.execute(
        "UPDATE verdicts SET is_current = 0 WHERE bundle_id = $1",
        &[&bundle_id],
    )
    .await?;
    let row = tx
        .query_one(
            &sql::insert_verdict(D),
            &[
                &bundle_id,
                &v.revision,
                &v.analysed_at,
                &v.verdict,
                &v.failed_stage,
                &v.report,
            ],
        )
        .await?;
    let id: i64 = row.get(0);
    let st = tx.prepare(&sql::insert_finding(D)).await?;
    for (i, f) in v.findings.iter().enumerate() {
        tx.execute(
            &st,
            &[
                &id,
                &(i as i64),
                &f.unit,
                &f.stage,
                &f.version,
                &f.cause,
                &(f.root as i64),
                &f.json,
            ],
        )
        .await?;
    }
    Ok(id)
}

async fn find(c: &Client, content_hash: &str) -> StoreResult<Option<(String, UploadIds)>> {
    let row = c
        .query_opt(&sql::current_verdict(D), &[&content_hash])
        .await?;
    Ok(row.map(|r| {
        (
            r.get(0),
            UploadIds {
                bundle_id: r.get(1),
                verdict_id: r.get(2),
            },
        )
    }))
}

impl Store for PgStore {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn put_vehicle(&self, vin: &str, token_hash: &str, now: i64) -> StoreResult<()> {
        self.rt.block_on(async {
            self.client
                .lock()
                .await
                .execute(
                    "INSERT INTO vehicles (vin, token_hash, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (vin) DO UPDATE SET token_hash = excluded.token_hash",
                    &[&vin, &token_hash, &now],
                )
                .await?;
            Ok(())
        })
    }

    fn vehicle_for_token(&self, token_hash: &str) -> StoreResult<Option<String>> {
        self.rt.block_on(async {
            let c = self.client.lock().await;
            let row = c
                .query_opt(
                    "SELECT vin FROM vehicles WHERE token_hash = $1",
                    &[&token_hash],
                )
                .await?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    fn find_bundle(&self, content_hash: &str) -> StoreResult<Option<(String, UploadIds)>> {
        self.rt
            .block_on(async { find(&*self.client.lock().await, content_hash).await })
    }

    fn insert_upload(&self, up: &NewUpload) -> StoreResult<InsertOutcome> {
        self.rt.block_on(async {
            let mut c = self.client.lock().await;
            let tx = c.transaction().await?;
            let row = tx
                .query_opt(
                    "INSERT INTO bundles (content_hash, vin, campaign, task, received_at, size, body) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (content_hash) DO NOTHING \
                     RETURNING id",
                    &[
                        &up.content_hash,
                        &up.vin,
                        &up.campaign,
                        &up.task,
                        &up.received_at,
                        &(up.body.len() as i64),
                        &up.body,
                    ],
                )
                .await?;
            let Some(row) = row else {
                tx.rollback().await?;
                return match find(&c, &up.content_hash).await? {
                    Some((_, ids)) => Ok(InsertOutcome::Duplicate(ids)),
                    None => Err(StoreError("duplicate bundle without a verdict".into())),
                };
            };
            let bundle_id: i64 = row.get(0);
            let verdict_id = write_verdict(&tx, bundle_id, &up.verdict).await?;
            tx.commit().await?;
            Ok(InsertOutcome::Inserted(UploadIds {
                bundle_id,
                verdict_id,
            }))
        })
    }

    fn verdicts(&self, filter: &VerdictFilter, limit: i64) -> StoreResult<Vec<StoredVerdict>> {
        self.rt.block_on(async {
            let c = self.client.lock().await;
            let (q, p) = sql::verdicts(D, filter, limit);
            let b = bind(&p);
            let mut out = Vec::new();
            for r in c.query(&q, &refs(&b)).await? {
                let id: i64 = r.get(0);
                let ids = c.query(&sql::finding_ids(D), &[&id]).await?;
                out.push(StoredVerdict {
                    id,
                    bundle_id: r.get(1),
                    vin: r.get(2),
                    campaign: r.get(3),
                    task: r.get(4),
                    received_at: r.get(5),
                    revision: r.get(6),
                    analysed_at: r.get(7),
                    report: r.get(8),
                    finding_ids: ids.iter().map(|r| r.get(0)).collect(),
                });
            }
            Ok(out)
        })
    }

    fn fleet_causes(&self, q: &FleetQuery) -> StoreResult<Vec<CauseRow>> {
        self.rt.block_on(async {
            let c = self.client.lock().await;
            let (s, p) = sql::fleet_causes(D, q);
            let b = bind(&p);
            Ok(c.query(&s, &refs(&b))
                .await?
                .iter()
                .map(|r| CauseRow {
                    cause: r.get(0),
                    ecu: r.get(1),
                    version: r.get(2),
                    campaign: r.get(3),
                    count: r.get(4),
                })
                .collect())
        })
    }

    fn fleet_trend(&self, q: &FleetQuery, bucket_ms: i64) -> StoreResult<Vec<TrendRow>> {
        self.rt.block_on(async {
            let c = self.client.lock().await;
            let (s, p) = sql::fleet_trend(D, q, bucket_ms);
            let b = bind(&p);
            Ok(c.query(&s, &refs(&b))
                .await?
                .iter()
                .map(|r| TrendRow {
                    bucket: r.get(0),
                    cause: r.get(1),
                    count: r.get(2),
                })
                .collect())
        })
    }

    fn finding(&self, id: i64) -> StoreResult<Option<StoredFinding>> {
        self.rt.block_on(async {
            let c = self.client.lock().await;
            let row = c.query_opt(&sql::finding(D), &[&id]).await?;
            Ok(row.map(|r| StoredFinding {
                id: r.get(0),
                verdict_id: r.get(1),
                vin: r.get(2),
                stage: r.get(3),
                revision: r.get(4),
                json: r.get(5),
            }))
        })
    }

    fn bundles_for_reanalysis(&self) -> StoreResult<Vec<(i64, String)>> {
        self.rt.block_on(async {
            let c = self.client.lock().await;
            let rows = c
                .query(
                    "SELECT b.id, v.revision FROM bundles b JOIN verdicts v \
                     ON v.bundle_id = b.id AND v.is_current = 1 ORDER BY b.id",
                    &[],
                )
                .await?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    fn bundle_body(&self, id: i64) -> StoreResult<Option<Vec<u8>>> {
        self.rt.block_on(async {
            let c = self.client.lock().await;
            let row = c
                .query_opt("SELECT body FROM bundles WHERE id = $1", &[&id])
                .await?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    fn replace_verdict(&self, bundle_id: i64, v: &NewVerdict) -> StoreResult<i64> {
        self.rt.block_on(async {
            let mut c = self.client.lock().await;
            let tx = c.transaction().await?;
            let id = write_verdict(&tx, bundle_id, v).await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    fn counts(&self) -> StoreResult<Counts> {
        self.rt.block_on(async {
            let c = self.client.lock().await;
            let row = c
                .query_one(
                    "SELECT (SELECT COUNT(*) FROM bundles), (SELECT COUNT(*) FROM verdicts), \
                     (SELECT COUNT(*) FROM vehicles)",
                    &[],
                )
                .await?;
            Ok(Counts {
                bundles: row.get(0),
                verdicts: row.get(1),
                vehicles: row.get(2),
            })
        })
    }
}
