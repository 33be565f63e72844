//! A demo server for looking at the dashboard by hand: serves `rules/` from a temporary SQLite
//! database, uploads every rule test bundle (as two campaigns), prints the URL and runs until
//! Ctrl-C. `cargo run -p otadiag-serve --example demo [PORT]`

use otadiag_serve::{RuleSource, ServeOptions};
use std::path::Path;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(7878);
    let db = std::env::temp_dir().join(format!("otadiag-demo-{}.db", std::process::id()));
    let mut opts = ServeOptions::new(RuleSource::Dir(root.join("rules")));
    opts.listen = ([127, 0, 0, 1], port).into();
    opts.database = format!("sqlite://{}", db.display());
    opts.admin_token = Some("demo".into());
    let running = otadiag_serve::start(opts).await?;
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    let mut cases: Vec<_> = std::fs::read_dir(root.join("rules/tests"))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("bundle.jsonl").exists())
        .collect();
    cases.sort();
    for (i, case) in cases.iter().enumerate() {
        let text = std::fs::read_to_string(case.join("bundle.jsonl"))?;
        let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
        let mut manifest: serde_json::Value = serde_json::from_str(first)?;
        manifest["campaign"] = if i % 2 == 0 { "C-2026-11" } else { "C-2026-12" }.into();
        let vin = manifest["vin"].as_str().unwrap_or_default().to_string();
        let reg: serde_json::Value = client
            .post(format!("{base}/api/v1/vehicles"))
            .bearer_auth("demo")
            .json(&serde_json::json!({ "vin": vin }))
            .send()
            .await?
            .json()
            .await?;
        let token = reg["token"].as_str().unwrap_or_default();
        let r = client
            .post(format!("{base}/api/v1/bundles"))
            .bearer_auth(token)
            .body(format!("{manifest}\n{rest}"))
            .send()
            .await?;
        eprintln!("{}: {}", case.display(), r.status());
    }
    eprintln!(
        "dashboard: {base}/   (admin token: demo, database {})",
        db.display()
    );
    tokio::signal::ctrl_c().await?;
    running.shutdown().await?;
    let _ = std::fs::remove_file(&db);
    Ok(())
}
