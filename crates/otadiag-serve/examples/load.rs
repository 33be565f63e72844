//! Load generator for a running `otadiag serve`: registers N vehicles through the admin API, then
//! C concurrent clients upload distinct bundles (variants of one rule-case bundle, each with its
//! vehicle's VIN and a unique task so every content hash differs) for D seconds or M uploads.
//! Prints uploads/s, MB/s, latency percentiles and errors; writes every acknowledged upload's
//! content hash to a file (for checking durability after a crash). Starts no server itself.
//!
//! ```sh
//! cargo run --release -p otadiag-serve --example load -- --url http://127.0.0.1:7878 \
//!     --admin-token T [--vehicles 50] [--concurrency 50] [--duration 30] [--max-uploads M] \
//!     [--bundle rules/tests/flash_multi_ecu_one_fails/bundle.jsonl] [--acked acked.txt]
//! ```

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Args {
    url: String,
    admin_token: String,
    vehicles: usize,
    concurrency: usize,
    duration: Duration,
    max_uploads: usize,
    bundle: PathBuf,
    acked: PathBuf,
}

fn parse_args() -> anyhow::Result<Args> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut a = Args {
        url: "http://127.0.0.1:7878".into(),
        admin_token: std::env::var("OTADIAG_ADMIN_TOKEN").unwrap_or_default(),
        vehicles: 50,
        concurrency: 50,
        duration: Duration::from_secs(30),
        max_uploads: usize::MAX,
        bundle: root.join("rules/tests/flash_multi_ecu_one_fails/bundle.jsonl"),
        acked: "acked.txt".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => a.url = v.trim_end_matches('/').into(),
            "--admin-token" => a.admin_token = v,
            "--vehicles" => a.vehicles = v.parse()?,
            "--concurrency" => a.concurrency = v.parse()?,
            "--duration" => a.duration = Duration::from_secs_f64(v.parse()?),
            "--max-uploads" => a.max_uploads = v.parse()?,
            "--bundle" => a.bundle = v.into(),
            "--acked" => a.acked = v.into(),
            other => anyhow::bail!("unknown flag `{other}`"),
        }
    }
    anyhow::ensure!(
        a.vehicles > 0 && a.concurrency > 0,
        "need vehicles and clients"
    );
    Ok(a)
}

/// The bundle with its manifest's `vin` and `task` replaced.
fn variant(manifest: &serde_json::Value, rest: &str, vin: &str, task: &str) -> Vec<u8> {
    let mut m = manifest.clone();
    m["vin"] = vin.into();
    m["task"] = task.into();
    format!("{m}\n{rest}").into_bytes()
}

/// What the clients share and report into.
struct Run {
    args: Args,
    client: reqwest::Client,
    manifest: serde_json::Value,
    rest: String,
    tag: u128,
    vehicles: Vec<(String, String)>,
    next: AtomicUsize,
    deadline: Instant,
    latencies: Mutex<Vec<Duration>>,
    bytes: AtomicUsize,
    errors: Mutex<std::collections::BTreeMap<String, usize>>,
    acked: Mutex<Vec<String>>,
}

impl Run {
    fn error(&self, kind: String) {
        *self.errors.lock().unwrap().entry(kind).or_default() += 1;
    }
}

async fn client_loop(run: Arc<Run>) {
    loop {
        let i = run.next.fetch_add(1, Ordering::Relaxed);
        if i >= run.args.max_uploads || Instant::now() >= run.deadline {
            return;
        }
        let (vin, token) = &run.vehicles[i % run.vehicles.len()];
        let body = variant(
            &run.manifest,
            &run.rest,
            vin,
            &format!("load-{}-{i}", run.tag),
        );
        let len = body.len();
        let t = Instant::now();
        let sent = run
            .client
            .post(format!("{}/api/v1/bundles", run.args.url))
            .bearer_auth(token)
            .body(body)
            .send()
            .await;
        let answer = match sent {
            Ok(r) => {
                let status = r.status().as_u16();
                r.json::<serde_json::Value>().await.map(|v| (status, v))
            }
            Err(e) => Err(e),
        };
        let took = t.elapsed();
        match answer {
            Ok((200 | 201, v)) => {
                run.latencies.lock().unwrap().push(took);
                run.bytes.fetch_add(len, Ordering::Relaxed);
                let hash = v["content_hash"].as_str().unwrap_or("?").to_string();
                run.acked.lock().unwrap().push(hash);
            }
            Ok((status, v)) => run.error(format!("{status} {}", v["error"])),
            Err(e) if e.is_timeout() => run.error("timeout".into()),
            Err(e) if e.is_connect() => run.error("connect".into()),
            Err(_) => run.error("transport".into()),
        }
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e3
}

async fn register(client: &reqwest::Client, a: &Args, vin: &str) -> anyhow::Result<String> {
    let r = client
        .post(format!("{}/api/v1/vehicles", a.url))
        .bearer_auth(&a.admin_token)
        .json(&serde_json::json!({ "vin": vin }))
        .send()
        .await?;
    anyhow::ensure!(r.status() == 201, "registering {vin}: {}", r.status());
    let v: serde_json::Value = r.json().await?;
    Ok(v["token"].as_str().unwrap_or_default().to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let text = std::fs::read_to_string(&args.bundle)?;
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let manifest: serde_json::Value = serde_json::from_str(first)?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(60))
        .build()?;
    let tag = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let mut vehicles = Vec::with_capacity(args.vehicles);
    for i in 0..args.vehicles {
        let vin = format!("LOAD{:08}{i:05}", tag % 100_000_000);
        let token = register(&client, &args, &vin).await?;
        vehicles.push((vin, token));
    }
    let size = variant(&manifest, rest, &vehicles[0].0, "load-0-0").len();
    eprintln!(
        "{} vehicles registered; {} clients uploading {size}-byte bundles to {} for {:?} (max {} uploads)",
        args.vehicles, args.concurrency, args.url, args.duration, args.max_uploads
    );
    let concurrency = args.concurrency;
    let start = Instant::now();
    let run = Arc::new(Run {
        deadline: start + args.duration,
        args,
        client,
        manifest,
        rest: rest.to_string(),
        tag,
        vehicles,
        next: AtomicUsize::new(0),
        latencies: Mutex::new(Vec::new()),
        bytes: AtomicUsize::new(0),
        errors: Mutex::new(Default::default()),
        acked: Mutex::new(Vec::new()),
    });
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(client_loop(run.clone())))
        .collect();
    for t in tasks {
        t.await?;
    }
    let secs = start.elapsed().as_secs_f64();
    let mut lat = run.latencies.lock().unwrap().clone();
    lat.sort();
    let bytes = run.bytes.load(Ordering::Relaxed) as f64;
    let errors = run.errors.lock().unwrap().clone();
    println!("bundle bytes      {size}");
    println!("clients           {concurrency}");
    println!("elapsed s         {secs:.2}");
    println!("acknowledged      {}", lat.len());
    println!("uploads/s         {:.1}", lat.len() as f64 / secs);
    println!("MB/s              {:.2}", bytes / secs / 1e6);
    for (name, p) in [("p50", 50.0), ("p95", 95.0), ("p99", 99.0), ("max", 100.0)] {
        println!("latency {name} ms    {:.1}", pct(&lat, p));
    }
    println!("errors            {}", errors.values().sum::<usize>());
    for (kind, n) in &errors {
        println!("  {kind}: {n}");
    }
    let acked = run.acked.lock().unwrap();
    std::fs::write(&run.args.acked, acked.join("\n") + "\n")?;
    eprintln!(
        "acknowledged content hashes written to {}",
        run.args.acked.display()
    );
    Ok(())
}
