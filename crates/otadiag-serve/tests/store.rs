//! The stores on their own: migrations apply once and survive a restart, committed uploads are
//! there after reopening, SQLite runs WAL + synchronous=FULL; plus an embedded rule source and
//! the API docs listing every route.

mod common;

use common::{backends, Backend};
use otadiag_serve::store::postgres::{quote_ident, PgStore};
use otadiag_serve::store::sqlite::SqliteStore;
use otadiag_serve::store::{InsertOutcome, NewFinding, NewUpload, NewVerdict, Store};
use std::sync::Arc;

fn upload(hash: &str) -> NewUpload {
    NewUpload {
        content_hash: hash.into(),
        vin: "VIN1".into(),
        campaign: "C".into(),
        task: "T".into(),
        received_at: 1000,
        body: b"bytes".to_vec(),
        verdict: NewVerdict {
            revision: "sha256:r1".into(),
            analysed_at: 1001,
            verdict: "failure".into(),
            failed_stage: Some("flash".into()),
            report: "{}".into(),
            findings: vec![NewFinding {
                unit: "BCM".into(),
                stage: "flash".into(),
                version: "2.1.0".into(),
                cause: "response_timeout".into(),
                root: true,
                json: "{}".into(),
            }],
        },
    }
}

/// Opens the backend's store twice (a restart) and checks what the first run wrote is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_once_and_commits_survive_a_restart() {
    for b in backends() {
        let tag = format!("{}_{}", std::process::id(), otadiag_serve::time::now_ms());
        let dir = std::env::temp_dir().join(format!("otadiag-store-test-{tag}"));
        std::fs::create_dir_all(&dir).unwrap();
        let schema = format!("otadiag_store_test_{tag}");
        let open = {
            let (b, dir, schema) = (b.clone(), dir.clone(), schema.clone());
            move || -> Arc<dyn Store> {
                match &b {
                    Backend::Sqlite => Arc::new(SqliteStore::open(&dir.join("s.db")).unwrap()),
                    Backend::Postgres(url) => Arc::new(PgStore::open(url, Some(&schema)).unwrap()),
                }
            }
        };
        let o = open.clone();
        tokio::task::spawn_blocking(move || {
            let s = o();
            s.put_vehicle("VIN1", "hash1", 5).unwrap();
            let InsertOutcome::Inserted(ids) = s.insert_upload(&upload("sha256:a")).unwrap() else {
                panic!("first insert is new");
            };
            assert!(matches!(
                s.insert_upload(&upload("sha256:a")).unwrap(),
                InsertOutcome::Duplicate(d) if d == ids
            ));
        })
        .await
        .unwrap();
        let o = open.clone();
        tokio::task::spawn_blocking(move || {
            let s = o();
            let c = s.counts().unwrap();
            assert_eq!((c.bundles, c.verdicts, c.vehicles), (1, 1, 1));
            assert_eq!(
                s.vehicle_for_token("hash1").unwrap().as_deref(),
                Some("VIN1")
            );
            assert_eq!(s.bundle_body(1).unwrap().as_deref(), Some(&b"bytes"[..]));
            let rows = s.fleet_causes(&Default::default()).unwrap();
            assert_eq!(rows.len(), 1);
            assert_eq!(
                (rows[0].cause.as_str(), rows[0].count),
                ("response_timeout", 1)
            );
        })
        .await
        .unwrap();
        match &b {
            Backend::Sqlite => {
                let c = rusqlite::Connection::open(dir.join("s.db")).unwrap();
                let mode: String = c
                    .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                    .unwrap();
                assert_eq!(mode, "wal");
                let n: i64 = c
                    .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
                    .unwrap();
                assert_eq!(n as usize, otadiag_serve::store::SQLITE_MIGRATIONS.len());
                // synchronous is per connection: check the store's own setting.
                let src = include_str!("../src/store/sqlite.rs");
                assert!(src.contains("pragma_update(None, \"synchronous\", \"FULL\")"));
            }
            Backend::Postgres(url) => {
                let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                let q = quote_ident(&schema);
                let n: i64 = c
                    .query_one(&format!("SELECT COUNT(*) FROM {q}.schema_migrations"), &[])
                    .await
                    .unwrap()
                    .get(0);
                assert_eq!(n as usize, otadiag_serve::store::POSTGRES_MIGRATIONS.len());
                c.batch_execute(&format!("DROP SCHEMA {q} CASCADE"))
                    .await
                    .unwrap();
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_rule_source_serves_and_reloads() {
    let root = common::repo().join("rules");
    let mut files = Vec::new();
    for sub in ["", "uds", "deploy"] {
        let mut names: Vec<_> = std::fs::read_dir(root.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rules"))
            .collect();
        names.sort();
        for p in names {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.push(otadiag_rules::SourceFile {
                path: rel,
                text: std::fs::read_to_string(&p).unwrap(),
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let h = common::Harness::start(&Backend::Sqlite, |o| {
        o.rules = otadiag_serve::RuleSource::Embedded(files);
    })
    .await;
    let (_, r) = h.get("/api/v1/rules").await;
    assert_eq!(r["source"], "embedded");
    assert_eq!(
        r["revision"].as_str().unwrap(),
        otadiag_rules::load_dir(&root).unwrap().revision,
        "same files, same revision as the directory load"
    );
    let (s, st) = h.admin_post("/api/v1/rules/reload").await;
    assert_eq!(s, 200);
    assert_eq!(st["changed"], false);
    h.stop().await;
}

#[test]
fn openapi_and_api_md_document_every_route() {
    let src = include_str!("../src/api/mod.rs");
    let openapi = std::fs::read_to_string(common::repo().join("docs/openapi.yaml")).unwrap();
    let md = std::fs::read_to_string(common::repo().join("docs/api.md")).unwrap();
    let mut n = 0;
    for chunk in src.split(".route(").skip(1) {
        let path = chunk
            .trim_start()
            .trim_start_matches('"')
            .split('"')
            .next()
            .unwrap();
        n += 1;
        assert!(
            openapi.contains(&format!("  {path}:\n")),
            "{path} missing from openapi.yaml"
        );
        assert!(
            md.contains(&format!("`{path}`")),
            "{path} missing from api.md"
        );
    }
    assert!(n >= 12, "found only {n} routes");
}

#[test]
fn add_vehicle_works_from_sync_code() {
    let dir = std::env::temp_dir().join(format!("otadiag-add-vehicle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("v.db").display());
    let t1 = otadiag_serve::add_vehicle(&url, "VIN-A").unwrap();
    let t2 = otadiag_serve::add_vehicle(&url, "VIN-A").unwrap();
    assert_ne!(t1, t2);
    let s = SqliteStore::open(&dir.join("v.db")).unwrap();
    let h = |t: &str| otadiag_serve::auth::hash_token(t);
    assert_eq!(
        s.vehicle_for_token(&h(&t2)).unwrap().as_deref(),
        Some("VIN-A")
    );
    assert_eq!(s.vehicle_for_token(&h(&t1)).unwrap(), None, "rotated");
    assert!(otadiag_serve::add_vehicle(&url, "bad/id").is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_opens_the_database_url() {
    let dir = std::env::temp_dir().join(format!("otadiag-start-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut opts = otadiag_serve::ServeOptions::new(otadiag_serve::RuleSource::Dir(
        common::repo().join("rules"),
    ));
    opts.listen = "127.0.0.1:0".parse().unwrap();
    opts.database = format!("sqlite://{}", dir.join("x.db").display());
    opts.watch = false;
    opts.sighup = false;
    let running = otadiag_serve::start(opts).await.unwrap();
    let url = format!("http://{}/api/v1/health", running.addr);
    let v: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(v["store"], "sqlite");
    assert!(dir.join("x.db").exists());
    running.shutdown().await.unwrap();

    // A rule directory that does not load stops the start with its diagnostics.
    let mut bad = otadiag_serve::ServeOptions::new(otadiag_serve::RuleSource::Dir(dir.clone()));
    bad.listen = "127.0.0.1:0".parse().unwrap();
    bad.database = format!("sqlite://{}", dir.join("y.db").display());
    let err = otadiag_serve::start(bad)
        .await
        .err()
        .expect("no rules, no start");
    assert!(format!("{err:#}").contains("no rule files"), "{err:#}");
    let _ = std::fs::remove_dir_all(&dir);
}
