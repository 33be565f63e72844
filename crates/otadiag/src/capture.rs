//! Captures on the command line: tells a capture from a bundle, records captures into an
//! in-memory bundle (one streaming pass, with a progress bar on a terminal) and attaches what the
//! capture showed to the report.

use otadiag_engine::{analyze, Mode};
use otadiag_model::report::BundleReport;
use otadiag_record::pipeline::{self, Options, Recorded};
use otadiag_record::Topology;
use otadiag_rules::RuleSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A progress bar appears (on a terminal) once reading has taken this long.
const PROGRESS_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

/// Said when no topology names the units (report note and a warning on stderr).
pub const DEFAULTS_NOTE: &str = "no topology file: units found with the defaults (CAN pairs \
    0x7E0–0x7E7 ↔ +8, 29-bit 0x18DA…, pairs learnt from answers; DoIP testers 0x0E00–0x0FFF), \
    ECUs named by address; give --topology to name them (docs/recorder.md)";

/// Whether `path` holds an upload bundle (JSON Lines, maybe gzip/zstd) rather than a capture.
pub fn is_bundle(path: &Path) -> bool {
    let mut head = [0u8; 512];
    let n = match std::fs::File::open(path).and_then(|mut f| f.read(&mut head)) {
        Ok(n) => n,
        Err(_) => return path.extension().is_some_and(|e| e == "jsonl"),
    };
    let head = &head[..n];
    if head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        return true; // zstd: captures are never zstd-compressed here
    }
    let mut plain = Vec::new();
    let text: &[u8] = if head.starts_with(&[0x1F, 0x8B]) {
        let _ = flate2::read::MultiGzDecoder::new(head).read_to_end(&mut plain);
        &plain
    } else {
        head
    };
    text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Reads the topology file, or the defaults (with a warning on stderr) when there is none.
pub fn topology(path: Option<&Path>) -> Result<Topology, String> {
    match path {
        Some(p) => Topology::load(p).map_err(|e| e.to_string()),
        None => Ok(Topology::default()),
    }
}

/// Warns on stderr when captures are read without a topology.
pub fn warn_defaults(paths: &[PathBuf], topology: &Topology) {
    if topology.is_empty() && paths.iter().any(|p| !is_bundle(p)) {
        eprintln!("warning: {DEFAULTS_NOTE}");
    }
}

/// Records captures as one vehicle's bundle.
pub fn record(rules: &RuleSet, paths: &[PathBuf], opts: &Options) -> Result<Recorded, String> {
    let total: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::hidden(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {wide_bar}",
        )
        .expect("valid template"),
    );
    let started = std::time::Instant::now();
    let mut shown = false;
    let mut progress = |b: u64| {
        // Only inputs that take a while get a bar; stderr hides it when it is not a terminal.
        if !shown && started.elapsed() > PROGRESS_AFTER {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            shown = true;
        }
        bar.set_position(b);
    };
    let out =
        pipeline::record_captures(rules, paths, opts, &mut progress).map_err(|e| e.to_string());
    bar.finish_and_clear();
    out
}

/// Records and analyses captures as one vehicle.
pub fn analyze_captures(
    rules: &RuleSet,
    paths: &[PathBuf],
    opts: &Options,
    mode: Mode,
) -> Result<BundleReport, String> {
    let rec = record(rules, paths, opts)?;
    let mut report = analyze(rules, &rec.bundle, mode);
    if opts.topology.is_empty() {
        report.notes.push(DEFAULTS_NOTE.to_string());
    }
    report.capture = Some(rec.summary);
    report.transport = rec.transport;
    Ok(report)
}
