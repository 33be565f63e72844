//! `otadiag eval`: analyses a simulated campaign directory (its bundles, or its captures) and
//! scores the verdicts against the truth files; exits non-zero when a score falls below a required
//! minimum.

use crate::analyze::Format;
use otadiag_engine::Mode;
use otadiag_sim::{Source, Thresholds};
use std::path::Path;

/// Runs the command; returns the exit status (0 scores met, 1 below a threshold, 2 bad input).
pub fn run(
    dir: &Path,
    rules: Option<&Path>,
    mode: Mode,
    source: Source,
    format: Format,
    min: &Thresholds,
) -> u8 {
    let rules = match crate::embedded::load_or(rules) {
        Ok(r) => r,
        Err(d) => {
            eprint!("{}", d.render());
            return 2;
        }
    };
    let t = std::time::Instant::now();
    let scores = match otadiag_sim::evaluate_from(&rules, dir, mode, source) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let secs = t.elapsed().as_secs_f64();
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&scores.to_json()).expect("scores serialise")
        ),
        Format::Text => {
            print!("{}", scores.to_text());
            println!(
                "analysed in {secs:.2} s ({:.0} vehicles/s)",
                scores.vehicles as f64 / secs.max(1e-9)
            );
        }
    }
    let below = min.check(&scores);
    for b in &below {
        eprintln!("threshold not met: {b}");
    }
    if below.is_empty() {
        0
    } else {
        1
    }
}
