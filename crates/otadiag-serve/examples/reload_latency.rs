//! Measures hot reload's edit → live latency on a running `otadiag serve` that watches its rule
//! directory: rewrites one rule file as editors save (temp file renamed over it; the original plus
//! a numbered comment, so the revision hash changes but the rules stay valid), then polls `GET /api/v1/rules` until the active revision
//! changes. Prints min / median / p95 / max over the edits and restores the file.
//!
//! ```sh
//! cargo run --release -p otadiag-serve --example reload_latency -- --url http://127.0.0.1:7878 \
//!     --file /tmp/rules/causes.rules [--edits 20] [--poll-ms 2]
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

async fn revision(client: &reqwest::Client, url: &str) -> anyhow::Result<String> {
    let v: serde_json::Value = client
        .get(format!("{url}/api/v1/rules"))
        .send()
        .await?
        .json()
        .await?;
    Ok(v["revision"].as_str().unwrap_or_default().to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut url = "http://127.0.0.1:7878".to_string();
    let mut file: Option<PathBuf> = None;
    let mut edits = 20usize;
    let mut poll = Duration::from_millis(2);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => url = v.trim_end_matches('/').into(),
            "--file" => file = Some(v.into()),
            "--edits" => edits = v.parse()?,
            "--poll-ms" => poll = Duration::from_millis(v.parse()?),
            other => anyhow::bail!("unknown flag `{other}`"),
        }
    }
    let file = file.ok_or_else(|| anyhow::anyhow!("--file RULE_FILE is required"))?;
    let original = std::fs::read_to_string(&file)?;
    let client = reqwest::Client::new();
    let mut took = Vec::with_capacity(edits);
    for i in 0..edits {
        let before = revision(&client, &url).await?;
        // As editors save: a temp file renamed over the original.
        let tmp = file.with_extension("rules.tmp");
        std::fs::write(&tmp, format!("{original}# reload probe {i}\n"))?;
        std::fs::rename(&tmp, &file)?;
        let t = Instant::now();
        loop {
            if revision(&client, &url).await? != before {
                break;
            }
            anyhow::ensure!(
                t.elapsed() < Duration::from_secs(10),
                "edit {i} never went live"
            );
            tokio::time::sleep(poll).await;
        }
        took.push(t.elapsed());
        // Let the watcher's debounce window close before the next edit.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    std::fs::write(&file, &original)?;
    took.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let p95 = took[((took.len() as f64 * 0.95).ceil() as usize).clamp(1, took.len()) - 1];
    println!("edits       {}", took.len());
    println!("min ms      {:.1}", ms(took[0]));
    println!("median ms   {:.1}", ms(took[took.len() / 2]));
    println!("p95 ms      {:.1}", ms(p95));
    println!("max ms      {:.1}", ms(*took.last().unwrap()));
    Ok(())
}
