//! Test harness shared by the integration tests: a real server on 127.0.0.1:0 over a copy of the
//! shipped rules, backed by SQLite (always) or PostgreSQL (when `OTADIAG_TEST_POSTGRES` is set).
#![allow(dead_code)]

use otadiag_serve::store::postgres::{quote_ident, PgStore};
use otadiag_serve::store::sqlite::SqliteStore;
use otadiag_serve::{RuleSource, Running, ServeOptions, Store};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// The admin token every harness uses.
pub const ADMIN: &str = "test-admin-token";
/// The env var naming the PostgreSQL server for the PostgreSQL runs.
pub const PG_ENV: &str = "OTADIAG_TEST_POSTGRES";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Which store a harness runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

/// SQLite, plus PostgreSQL when the env var is set (a skip message otherwise).
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    match std::env::var(PG_ENV) {
        Ok(url) if !url.is_empty() => v.push(Backend::Postgres(url)),
        _ => eprintln!("skipping the PostgreSQL store: set {PG_ENV}=postgres://… to run it"),
    }
    v
}

/// Repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A shipped rule test bundle's bytes.
pub fn case(name: &str) -> Vec<u8> {
    std::fs::read(repo().join("rules/tests").join(name).join("bundle.jsonl")).expect("case bundle")
}

/// The manifest vin of a bundle.
pub fn vin_of(bundle: &[u8]) -> String {
    let first = bundle.split(|&b| b == b'\n').next().unwrap_or_default();
    let v: serde_json::Value = serde_json::from_slice(first).expect("manifest json");
    v["vin"].as_str().unwrap_or_default().to_string()
}

/// A variant of a bundle with one manifest string field replaced (so another content hash).
pub fn with_field(bundle: &[u8], key: &str, value: &str) -> Vec<u8> {
    let text = String::from_utf8(bundle.to_vec()).expect("utf8");
    let (first, rest) = text.split_once('\n').expect("lines");
    let mut m: serde_json::Value = serde_json::from_str(first).expect("manifest");
    m[key] = serde_json::Value::from(value);
    format!("{}\n{rest}", m).into_bytes()
}

/// Copies a directory tree, leaving out `tests` folders.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let name = e.file_name();
        if e.path().is_dir() {
            if name != "tests" {
                copy_dir(&e.path(), &to.join(&name));
            }
        } else {
            std::fs::copy(e.path(), to.join(&name)).expect("copy");
        }
    }
}

/// A running server with its own rule directory and database.
pub struct Harness {
    pub running: Option<Running>,
    pub base: String,
    pub client: reqwest::Client,
    pub rules_dir: PathBuf,
    pub store: Arc<dyn Store>,
    tmp: PathBuf,
    pg: Option<(String, String)>,
}

impl Harness {
    /// Starts a server; `tweak` adjusts the options (limit, watch, ...).
    pub async fn start(backend: &Backend, tweak: impl FnOnce(&mut ServeOptions)) -> Harness {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let tag = format!(
            "{}_{}_{}",
            std::process::id(),
            n,
            otadiag_serve::time::now_ms()
        );
        let tmp = std::env::temp_dir().join(format!("otadiag-serve-test-{tag}"));
        let rules_dir = tmp.join("rules");
        copy_dir(&repo().join("rules"), &rules_dir);
        let mut pg = None;
        let store: Arc<dyn Store> = match backend {
            Backend::Sqlite => {
                let p = tmp.join("otadiag.db");
                Arc::new(
                    tokio::task::spawn_blocking(move || SqliteStore::open(&p))
                        .await
                        .unwrap()
                        .expect("sqlite"),
                )
            }
            Backend::Postgres(url) => {
                let schema = format!("otadiag_test_{tag}");
                pg = Some((url.clone(), schema.clone()));
                let url = url.clone();
                Arc::new(
                    tokio::task::spawn_blocking(move || PgStore::open(&url, Some(&schema)))
                        .await
                        .unwrap()
                        .expect("postgres"),
                )
            }
        };
        let mut opts = ServeOptions::new(RuleSource::Dir(rules_dir.clone()));
        opts.listen = "127.0.0.1:0".parse().unwrap();
        opts.admin_token = Some(ADMIN.into());
        opts.sighup = false;
        tweak(&mut opts);
        let running = otadiag_serve::start_with_store(opts, store.clone())
            .await
            .expect("server starts");
        let base = format!("http://{}", running.addr);
        Harness {
            running: Some(running),
            base,
            client: reqwest::Client::new(),
            rules_dir,
            store,
            tmp,
            pg,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Registers a vehicle through the API and returns its token.
    pub async fn register(&self, vin: &str) -> String {
        let r = self
            .client
            .post(self.url("/api/v1/vehicles"))
            .bearer_auth(ADMIN)
            .json(&serde_json::json!({ "vin": vin }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "register {vin}");
        let v: serde_json::Value = r.json().await.unwrap();
        v["token"].as_str().unwrap().to_string()
    }

    /// Uploads bytes with a token; returns status and JSON body.
    pub async fn upload(&self, token: Option<&str>, body: Vec<u8>) -> (u16, serde_json::Value) {
        let mut req = self.client.post(self.url("/api/v1/bundles")).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// GET a JSON document.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// POST with the admin token, empty body.
    pub async fn admin_post(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(self.url(path))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Row counts straight from the store.
    pub async fn counts(&self) -> otadiag_serve::store::Counts {
        let s = self.store.clone();
        tokio::task::spawn_blocking(move || s.counts())
            .await
            .unwrap()
            .unwrap()
    }

    /// Stops the server, removes the temp dir and drops the PostgreSQL schema.
    pub async fn stop(mut self) {
        self.client = reqwest::Client::new();
        if let Some(r) = self.running.take() {
            r.shutdown().await.expect("clean shutdown");
        }
        let _ = std::fs::remove_dir_all(&self.tmp);
        if let Some((url, schema)) = self.pg.take() {
            let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("pg connect for cleanup");
            tokio::spawn(conn);
            c.batch_execute(&format!("DROP SCHEMA {} CASCADE", quote_ident(&schema)))
                .await
                .expect("drop schema");
        }
    }
}
