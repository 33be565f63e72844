//! `otadiag record`: captures in, a header-only bundle out, and how much smaller it is.

use crate::{capture, embedded};
use otadiag_record::pipeline::Options;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Runs the command; returns the exit status (0 written, 2 bad input).
pub fn run(
    captures: &[PathBuf],
    topology: Option<&Path>,
    strict: bool,
    rules: Option<&Path>,
    output: &Path,
) -> u8 {
    let rules = match embedded::load_or(rules) {
        Ok(r) => r,
        Err(d) => {
            eprint!("{}", d.render());
            return 2;
        }
    };
    let topology = match capture::topology(topology) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    capture::warn_defaults(captures, &topology);
    let rec = match capture::record(&rules, captures, &Options { topology, strict }) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    if let Err(e) = write(&rec.bundle, output) {
        eprintln!("error: {}: {e}", output.display());
        return 2;
    }
    let written = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    let s = &rec.summary;
    eprintln!(
        "recorded {} messages as {} records ({} results) from {} frames",
        s.messages.values().sum::<u64>(),
        s.records,
        rec.bundle.results.len(),
        s.frames
    );
    eprintln!(
        "capture {} bytes -> bundle {} bytes: {:.1} % smaller",
        s.bytes,
        written,
        100.0 * (1.0 - written as f64 / s.bytes.max(1) as f64)
    );
    for (why, n) in &s.not_recorded {
        eprintln!("not recorded: {n} {why}");
    }
    if s.skipped > 0 {
        eprintln!(
            "skipped {} unreadable lines/objects, e.g. {}",
            s.skipped,
            s.skipped_examples.join("; ")
        );
    }
    0
}

fn write(bundle: &otadiag_model::Bundle, output: &Path) -> std::io::Result<()> {
    let file = std::io::BufWriter::new(std::fs::File::create(output)?);
    if output.extension().is_some_and(|e| e == "gz") {
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        otadiag_model::write::write_bundle(bundle, &mut gz)?;
        gz.finish()?.flush()
    } else {
        let mut file = file;
        otadiag_model::write::write_bundle(bundle, &mut file)?;
        file.flush()
    }
}
