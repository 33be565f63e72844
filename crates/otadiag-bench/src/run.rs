//! `otadiag-bench run`: per capture file, the read limit (`cat FILE > /dev/null`), `otadiag
//! analyze FILE --format json` (wall time, MB/s, messages/s, peak RSS, verdicts) and tshark
//! extracting the UDS service ids from the same traffic, as one table.

use crate::tshark;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Arguments of `run`.
#[derive(clap::Args)]
pub struct Args {
    /// Capture files (any format `otadiag analyze` reads).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The otadiag binary (default: `otadiag` next to this binary, else on PATH).
    #[arg(long)]
    otadiag: Option<PathBuf>,
    /// Runs of `otadiag analyze` per file; the fastest counts.
    #[arg(long, default_value_t = 1)]
    runs: u32,
    /// Do not run tshark.
    #[arg(long)]
    no_tshark: bool,
    /// Run tshark only on files up to this size (it is slow and its memory grows with the
    /// number of packets).
    #[arg(long, value_parser = crate::parse_size)]
    tshark_max: Option<u64>,
}

/// One timed child process.
pub struct Timed {
    /// Wall time.
    pub wall: Duration,
    /// Peak resident set size in KiB (from `/usr/bin/time`), when known.
    pub rss_kib: Option<u64>,
    /// User + system CPU time in seconds (from `/usr/bin/time`), when known.
    pub cpu: Option<f64>,
    /// Exit code.
    pub code: Option<i32>,
    /// Standard output (only when captured).
    pub stdout: Vec<u8>,
    /// Lines on standard output (when counted instead of captured).
    pub lines: u64,
}

/// How a child's standard output is handled.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Out {
    /// Discarded.
    Null,
    /// Kept in [`Timed::stdout`].
    Keep,
    /// Counted line by line into [`Timed::lines`], not kept.
    CountLines,
}

/// Runs `prog args…` under `/usr/bin/time -f %M` (when installed) and times it.
pub fn timed(prog: &Path, args: &[&str], out: Out) -> Result<Timed, String> {
    let time = Path::new("/usr/bin/time");
    let rss_file = std::env::temp_dir().join(format!("otadiag-bench-rss-{}", std::process::id()));
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-f")
            .arg("%M %U %S")
            .arg("-o")
            .arg(&rss_file)
            .arg(prog);
        c
    } else {
        Command::new(prog)
    };
    cmd.args(args).stdin(Stdio::null());
    cmd.stdout(if out == Out::Null {
        Stdio::null()
    } else {
        Stdio::piped()
    });
    cmd.stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", prog.display()))?;
    let mut stdout = Vec::new();
    let mut lines = 0u64;
    if let Some(mut s) = child.stdout.take() {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = s.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            match out {
                Out::Keep => stdout.extend_from_slice(&buf[..n]),
                _ => lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64,
            }
        }
    }
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let wall = start.elapsed();
    // The last line of the `-o` file is "maxrss_kib user_s system_s".
    let usage = std::fs::read_to_string(&rss_file).unwrap_or_default();
    let fields: Vec<&str> = usage
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let rss_kib = fields.first().and_then(|f| f.parse().ok());
    let cpu = match (fields.get(1), fields.get(2)) {
        (Some(u), Some(s)) => u
            .parse::<f64>()
            .ok()
            .zip(s.parse::<f64>().ok())
            .map(|(u, s)| u + s),
        _ => None,
    };
    let _ = std::fs::remove_file(&rss_file);
    if !stderr.trim().is_empty() && status.code().is_none_or(|c| c > 1) {
        eprintln!("{}: {}", prog.display(), stderr.trim());
    }
    Ok(Timed {
        wall,
        rss_kib,
        cpu,
        code: status.code(),
        stdout,
        lines,
    })
}

/// What `otadiag analyze --format json` said about a capture.
#[derive(Default)]
struct Analysed {
    frames: u64,
    messages: u64,
    units: usize,
    succeeded: usize,
    findings: usize,
    transport: usize,
}

fn parse_report(json: &[u8]) -> Result<Analysed, String> {
    let v: Value = serde_json::from_slice(json).map_err(|e| format!("bad JSON report: {e}"))?;
    let mut a = Analysed::default();
    for b in v["bundles"].as_array().into_iter().flatten() {
        let c = &b["capture"];
        a.frames += c["frames"].as_u64().unwrap_or(0);
        a.messages += c["messages"]
            .as_object()
            .map_or(0, |m| m.values().filter_map(Value::as_u64).sum());
        a.transport += b["transport"].as_array().map_or(0, Vec::len);
        for u in b["units"].as_array().into_iter().flatten() {
            a.units += 1;
            a.succeeded += usize::from(u["result"] == "success");
            a.findings += u["findings"].as_array().map_or(0, Vec::len);
        }
    }
    Ok(a)
}

fn otadiag_path(given: &Option<PathBuf>) -> PathBuf {
    if let Some(p) = given {
        return p.clone();
    }
    let sibling = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|d| d.join("otadiag")));
    match sibling {
        Some(p) if p.exists() => p,
        _ => PathBuf::from("otadiag"),
    }
}

fn mbps(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn rss(r: Option<u64>) -> String {
    r.map_or("-".into(), |k| format!("{:.0} MB", k as f64 * 1024.0 / 1e6))
}

/// Runs the measurements and prints the table.
pub fn run(args: &Args) -> Result<(), String> {
    let ota = otadiag_path(&args.otadiag);
    let tshark = if args.no_tshark { None } else { tshark::find() };
    let mut rows = Vec::new();
    for f in &args.files {
        let name = f.display().to_string();
        let size = std::fs::metadata(f)
            .map_err(|e| format!("{name}: {e}"))?
            .len();
        let load = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|l| l.split_whitespace().next().map(str::to_string))
            .unwrap_or_else(|| "-".into());
        eprintln!("{name}: {size} bytes, load average {load}");
        let cat = (0..2)
            .map(|_| timed(Path::new("cat"), &[&name], Out::Null).map(|t| t.wall))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .min()
            .expect("two runs");
        eprintln!("  cat: {:.2} s", cat.as_secs_f64());
        let mut best: Option<Timed> = None;
        for _ in 0..args.runs.max(1) {
            let t = timed(&ota, &["analyze", &name, "--format", "json"], Out::Keep)?;
            if !matches!(t.code, Some(0 | 1)) {
                return Err(format!("otadiag analyze {name} exited with {:?}", t.code));
            }
            eprintln!(
                "  otadiag: {:.2} s wall, {:.2} s CPU, {}",
                t.wall.as_secs_f64(),
                t.cpu.unwrap_or(f64::NAN),
                rss(t.rss_kib)
            );
            if best.as_ref().is_none_or(|b| t.wall < b.wall) {
                best = Some(t);
            }
        }
        let ot = best.expect("at least one run");
        let a = parse_report(&ot.stdout)?;
        let ts = match &tshark {
            Some(bin) if args.tshark_max.is_none_or(|m| size <= m) => {
                let r = tshark::measure(bin, f)?;
                eprintln!(
                    "  tshark: {:.2} s, {} UDS messages, {}",
                    r.wall.as_secs_f64(),
                    r.lines,
                    rss(r.rss_kib)
                );
                Some(r)
            }
            _ => None,
        };
        rows.push(Row {
            name,
            load,
            size,
            cat,
            ot,
            a,
            ts,
        });
    }
    print_table(&rows);
    Ok(())
}

struct Row {
    name: String,
    /// 1-minute load average when the file's measurements started.
    load: String,
    size: u64,
    cat: Duration,
    ot: Timed,
    a: Analysed,
    ts: Option<Timed>,
}

fn print_table(rows: &[Row]) {
    println!(
        "| file | load | size | cat MB/s | otadiag s | otadiag MB/s | otadiag CPU s | MB/s per CPU s | frames/s | messages/s | otadiag peak RSS | verdicts | tshark s | tshark MB/s | tshark UDS msgs | tshark peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let s = r.ot.wall.as_secs_f64();
        let (tsec, tmb, tmsg, trss) = match &r.ts {
            Some(t) => (
                format!("{:.2}", t.wall.as_secs_f64()),
                format!("{:.1}", mbps(r.size, t.wall)),
                t.lines.to_string(),
                rss(t.rss_kib),
            ),
            None => ("-".into(), "-".into(), "-".into(), "-".into()),
        };
        println!(
            "| {} | {} | {:.1} MB | {:.0} | {:.2} | {:.0} | {} | {} | {:.2} M | {:.0} | {} | {}/{} success, {} findings, {} transport | {} | {} | {} | {} |",
            r.name,
            r.load,
            r.size as f64 / 1e6,
            mbps(r.size, r.cat),
            s,
            mbps(r.size, r.ot.wall),
            r.ot.cpu.map_or("-".into(), |c| format!("{c:.2}")),
            r.ot
                .cpu
                .map_or("-".into(), |c| format!("{:.0}", r.size as f64 / 1e6 / c)),
            r.a.frames as f64 / s / 1e6,
            r.a.messages as f64 / s,
            rss(r.ot.rss_kib),
            r.a.succeeded,
            r.a.units,
            r.a.findings,
            r.a.transport,
            tsec,
            tmb,
            tmsg,
            trss,
        );
    }
    println!("(MB = 10^6 bytes; messages = decoded ISO-TP/DoIP messages from the report's capture.messages; frames = capture.frames)");
}
