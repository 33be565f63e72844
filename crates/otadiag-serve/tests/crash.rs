//! Durability under a crash: the service runs as a child process on a SQLite file, concurrent
//! vehicles upload, the child is killed with SIGKILL mid-load, and a restart on the same file must
//! open cleanly (migrations re-run as no-ops) and still hold every upload that was acknowledged
//! with 201/200 before the kill — a 201 is only sent after the commit.

mod common;

use common::{case, copy_dir, repo, with_field, ADMIN};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENTS: usize = 12;
/// Acknowledged uploads to wait for before the kill (or [`LOAD_FOR`], whichever comes first).
const ACKS_BEFORE_KILL: usize = 100;
const LOAD_FOR: Duration = Duration::from_secs(8);

/// An acknowledged upload: what the server promised to have stored.
#[derive(Debug, Clone)]
struct Ack {
    hash: String,
    verdict_id: i64,
    vin: String,
    n: usize,
}

/// Starts the test server binary and waits for its "listening on" line; returns it and its URL.
fn spawn_server(rules: &Path, db: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_otadiag-serve-test"))
        .args(["--rules", &rules.display().to_string()])
        .args(["--database", &format!("sqlite://{}", db.display())])
        .args([
            "--listen",
            "127.0.0.1:0",
            "--admin-token",
            ADMIN,
            "--no-watch",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn otadiag-serve-test");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

async fn register(client: &reqwest::Client, url: &str, vin: &str) -> String {
    let r = client
        .post(format!("{url}/api/v1/vehicles"))
        .bearer_auth(ADMIN)
        .json(&serde_json::json!({ "vin": vin }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// What every uploading client shares.
struct Load {
    client: reqwest::Client,
    url: String,
    base: Vec<u8>,
    stop: AtomicBool,
    acks: Mutex<Vec<Ack>>,
    cut_off: AtomicUsize,
}

/// The `n`th distinct bundle of a vehicle.
fn bundle(base: &[u8], vin: &str, n: usize) -> Vec<u8> {
    with_field(&with_field(base, "vin", vin), "task", &format!("crash-{n}"))
}

/// One vehicle uploading distinct bundles until `stop`; acknowledged ones go into `acks`.
async fn uploader(load: Arc<Load>, vin: String, token: String) {
    let mut n = 0;
    while !load.stop.load(Ordering::Relaxed) {
        n += 1;
        let sent = load
            .client
            .post(format!("{}/api/v1/bundles", load.url))
            .bearer_auth(&token)
            .body(bundle(&load.base, &vin, n))
            .send()
            .await;
        let r = match sent {
            Ok(r) if r.status() == 201 || r.status() == 200 => r.json::<Value>().await,
            Ok(r) => panic!("upload answered {}", r.status()),
            Err(_) => {
                load.cut_off.fetch_add(1, Ordering::Relaxed);
                break; // the server is gone
            }
        };
        // A body cut off by the kill is no acknowledgement.
        if let Ok(v) = r {
            load.acks.lock().unwrap().push(Ack {
                hash: v["content_hash"].as_str().unwrap().to_string(),
                verdict_id: v["verdict_id"].as_i64().unwrap(),
                vin: vin.clone(),
                n,
            });
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_upload_is_lost_to_kill_9() {
    let tmp = std::env::temp_dir().join(format!("otadiag-crash-{}", std::process::id()));
    let rules = tmp.join("rules");
    copy_dir(&repo().join("rules"), &rules);
    let db = tmp.join("otadiag.db");
    let client = reqwest::Client::new();

    let (mut child, url) = spawn_server(&rules, &db);
    let mut vehicles = Vec::new();
    for i in 0..CLIENTS {
        let vin = format!("LCRASH{i:011}");
        let token = register(&client, &url, &vin).await;
        vehicles.push((vin, token));
    }
    let load = Arc::new(Load {
        client: client.clone(),
        url: url.clone(),
        base: case("flash_multi_ecu_one_fails"),
        stop: AtomicBool::new(false),
        acks: Mutex::new(Vec::new()),
        cut_off: AtomicUsize::new(0),
    });
    let tasks: Vec<_> = vehicles
        .iter()
        .map(|(vin, token)| tokio::spawn(uploader(load.clone(), vin.clone(), token.clone())))
        .collect();
    let t0 = Instant::now();
    while load.acks.lock().unwrap().len() < ACKS_BEFORE_KILL && t0.elapsed() < LOAD_FOR {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // SIGKILL while the clients are still sending: no shutdown, no flush, no destructors.
    child.kill().expect("kill -9");
    child.wait().unwrap();
    load.stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let acked = load.acks.lock().unwrap().clone();
    eprintln!(
        "killed after {:?}: {} acknowledged, {} clients cut off",
        t0.elapsed(),
        acked.len(),
        load.cut_off.load(Ordering::Relaxed)
    );
    assert!(acked.len() >= 10, "too few uploads before the kill");
    assert!(
        load.cut_off.load(Ordering::Relaxed) > 0,
        "the kill did not land mid-load"
    );

    // Restart on the same file: it opens (migrations are idempotent) and serves.
    let (mut child, url) = spawn_server(&rules, &db);
    let health: Value = client
        .get(format!("{url}/api/v1/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["ok"], true, "{health}");
    let stored = health["counts"]["bundles"].as_u64().unwrap() as usize;
    assert!(
        stored >= acked.len(),
        "{stored} stored < {} acked",
        acked.len()
    );
    eprintln!("after restart: {stored} bundles stored");

    // Every acknowledged upload is there, with the verdict the client was given.
    for a in &acked {
        let r = client
            .get(format!("{url}/api/v1/verdicts/{}", a.verdict_id))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "acknowledged verdict {} lost",
            a.verdict_id
        );
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["vin"], a.vin.as_str());
        assert_eq!(v["report"]["source"], a.hash.as_str(), "{a:?}");
    }
    // And the tokens survived: an acknowledged bundle sent again is a duplicate of the stored
    // one, a new one is stored.
    let a = &acked[acked.len() / 2];
    let token = &vehicles.iter().find(|(v, _)| *v == a.vin).unwrap().1;
    let r = client
        .post(format!("{url}/api/v1/bundles"))
        .bearer_auth(token)
        .body(bundle(&load.base, &a.vin, a.n))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["duplicate"].as_bool(), v["content_hash"].as_str()),
        (Some(true), Some(a.hash.as_str()))
    );
    let r = client
        .post(format!("{url}/api/v1/bundles"))
        .bearer_auth(token)
        .body(bundle(&load.base, &a.vin, 0))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&tmp);
}
