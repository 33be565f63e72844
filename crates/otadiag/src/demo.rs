//! `otadiag demo`: simulates a small fleet with mixed faults in a temporary directory, analyses it
//! and prints what a fleet engineer wants first — failures by cause and ECU, then the worst
//! failures with their evidence — and how the verdicts compare with the simulator's truth.

use otadiag_engine::{analyze, render, Mode};
use otadiag_model::report::BundleReport;
use otadiag_model::{Stage, UnitOutcome};
use otadiag_sim::{evaluate, simulate_to_dir, FaultSpec, Scenario};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The demo fleet: 20 vehicles, four ECUs (one on CAN), a fixed seed, faults in both stages.
pub fn scenario() -> (Scenario, Vec<FaultSpec>) {
    let mut sc = Scenario {
        campaign: "C-DEMO".into(),
        vehicles: 20,
        seed: 2026,
        ..Scenario::default()
    };
    sc.background.reads = 0.2;
    let specs = [
        "any@flash:0.6",
        "negative_response@flash:0.3",
        "any@deploy:0.2",
        "retry_recovered@flash:0.2",
    ]
    .iter()
    .map(|s| FaultSpec::parse(s).expect("demo specs are valid"))
    .collect();
    (sc, specs)
}

/// The demo campaign's first `n` vehicles as bundle bytes (for `otadiag serve --demo`).
pub fn bundles(n: u32) -> Vec<Vec<u8>> {
    let (mut sc, specs) = scenario();
    sc.vehicles = n;
    (0..u64::from(n))
        .map(|i| {
            let v = otadiag_sim::simulate_vehicle(&sc, &specs, i);
            let mut bytes = Vec::new();
            otadiag_model::write::write_bundle(&v.bundle, &mut bytes)
                .expect("writing to memory cannot fail");
            bytes
        })
        .collect()
}

/// Runs the demo and returns its text; `Err` on an I/O or rule problem.
pub fn run() -> Result<String, String> {
    let rules = crate::embedded::load().map_err(|d| d.render())?;
    let (sc, specs) = scenario();
    let dir =
        tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let t = std::time::Instant::now();
    let sum = simulate_to_dir(&sc, &specs, dir.path()).map_err(|e| e.to_string())?;
    let mut reports = Vec::new();
    for p in otadiag_sim::eval::bundles_in(dir.path()).map_err(|e| e.to_string())? {
        let mut b = otadiag_model::read_bundle(&p).map_err(|e| e.to_string())?;
        b.source = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        reports.push(analyze(&rules, &b, Mode::First));
    }
    let scores = evaluate(&rules, dir.path(), Mode::First).map_err(|e| e.to_string())?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "otadiag demo: campaign {} simulated on {} vehicles ({} records) and analysed in {:.2} s",
        sc.campaign,
        sum.vehicles,
        sum.records,
        t.elapsed().as_secs_f64()
    );
    let failed: usize = reports.iter().filter(|r| r.failed_stage.is_some()).count();
    let _ = writeln!(
        s,
        "{failed} of {} vehicles failed their update.\n",
        reports.len()
    );
    s.push_str(&cause_table(&reports));
    let _ = writeln!(
        s,
        "\nchecked against the simulator's ground truth: recall {:.0} %, cause {:.0} %, blamed side {:.0} %, location {:.0} %, false failures {}\n",
        scores.recall() * 100.0,
        scores.cause() * 100.0,
        scores.side() * 100.0,
        scores.location() * 100.0,
        scores.false_failures
    );
    s.push_str(&worst(&reports, 3));
    Ok(s)
}

/// Root causes by ECU: rows `cause (stage)`, one column per ECU (deploy failures count under the
/// ECU their package is for).
pub fn cause_table(reports: &[BundleReport]) -> String {
    let mut ecus: Vec<String> = Vec::new();
    let mut cells: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in reports {
        for u in &r.units {
            let ecu = match u.stage {
                Stage::Flash => u.unit.clone(),
                Stage::Deploy => r
                    .units
                    .iter()
                    .find(|x| x.stage == Stage::Flash && x.package.as_deref() == Some(&u.unit))
                    .map_or(u.unit.clone(), |x| x.unit.clone()),
            };
            if u.stage == Stage::Flash && !ecus.contains(&ecu) {
                ecus.push(ecu.clone());
            }
            if u.result != UnitOutcome::Failure || Some(u.stage) != r.failed_stage {
                continue;
            }
            let cause = u
                .findings
                .iter()
                .find(|f| f.root)
                .map_or("(unexplained)".to_string(), |f| f.cause.clone());
            *cells
                .entry((format!("{cause} ({})", u.stage.as_str()), ecu))
                .or_default() += 1;
        }
    }
    let rows: Vec<String> = cells
        .keys()
        .map(|(c, _)| c.clone())
        .fold(Vec::new(), |mut v, c| {
            if !v.contains(&c) {
                v.push(c);
            }
            v
        });
    let w = rows.iter().map(|r| r.len()).max().unwrap_or(5).max(5);
    let mut s = String::new();
    let _ = write!(s, "{:<w$}", "failed units by root cause and ECU");
    let _ = write!(s, "\n{:<w$}", "cause (stage)");
    for e in &ecus {
        let _ = write!(s, " {e:>6}");
    }
    let _ = writeln!(s, " {:>6}", "total");
    let mut col = vec![0; ecus.len()];
    for r in &rows {
        let _ = write!(s, "{r:<w$}");
        let mut total = 0;
        for (i, e) in ecus.iter().enumerate() {
            let n = cells.get(&(r.clone(), e.clone())).copied().unwrap_or(0);
            total += n;
            col[i] += n;
            let _ = write!(
                s,
                " {:>6}",
                if n == 0 {
                    ".".to_string()
                } else {
                    n.to_string()
                }
            );
        }
        let _ = writeln!(s, " {total:>6}");
    }
    let _ = write!(s, "{:<w$}", "total");
    for n in &col {
        let _ = write!(s, " {n:>6}");
    }
    let _ = writeln!(s, " {:>6}", col.iter().sum::<usize>());
    s
}

/// The worst failures: the `n` most frequent root causes, each with the unit it hit most often
/// and one example rendered with the engine's text report (failed units only).
pub fn worst(reports: &[BundleReport], n: usize) -> String {
    // cause -> unit -> (bundle index, unit name) of every hit
    let mut groups: BTreeMap<String, BTreeMap<String, Vec<usize>>> = BTreeMap::new();
    for (i, r) in reports.iter().enumerate() {
        for u in r
            .units
            .iter()
            .filter(|u| u.result == UnitOutcome::Failure && Some(u.stage) == r.failed_stage)
        {
            let cause = u
                .findings
                .first()
                .map_or("(unexplained)".to_string(), |f| f.cause.clone());
            groups
                .entry(cause)
                .or_default()
                .entry(u.unit.clone())
                .or_default()
                .push(i);
        }
    }
    let mut ranked: Vec<(String, usize, String, usize)> = groups
        .into_iter()
        .map(|(cause, units)| {
            let total = units.values().map(Vec::len).sum();
            let (unit, hits) = units
                .into_iter()
                .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(&a.0)))
                .expect("non-empty");
            (cause, total, unit, hits[0])
        })
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut s = String::new();
    let _ = writeln!(
        s,
        "worst failures (most frequent root causes, one example each):\n"
    );
    for (cause, total, unit, i) in ranked.into_iter().take(n) {
        let mut b = reports[i].clone();
        let stage = b.failed_stage;
        let failed = b
            .units
            .iter()
            .filter(|u| Some(u.stage) == stage && u.result == UnitOutcome::Failure)
            .count();
        let of = b.units.iter().filter(|u| Some(u.stage) == stage).count();
        b.units.retain(|u| u.unit == unit && Some(u.stage) == stage);
        b.notes.clear();
        let _ = writeln!(s, "== {cause}: {total} failed unit(s); example {unit} in {} ({failed} of {of} units of its stage failed)", b.source);
        // The unit alone: the verdict line would count only it.
        for line in render::bundle_text(&b)
            .lines()
            .filter(|l| !l.starts_with("verdict:"))
        {
            let _ = writeln!(s, "{line}");
        }
        s.push('\n');
    }
    s
}
