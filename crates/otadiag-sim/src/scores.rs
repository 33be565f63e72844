//! The evaluation scores (recall, precision, cause, side and location accuracy, transport faults
//! found from captures, false failures, a confusion matrix per cause), how partial scores merge, the thresholds a caller checks, and the
//! text and JSON renderings.

use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write;

/// How many wrong verdicts are kept as examples.
const MISSES_KEPT: usize = 20;

/// One wrong verdict, for the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Miss {
    /// Vehicle id.
    pub vehicle: String,
    /// `stage unit`.
    pub unit: String,
    /// What the truth says.
    pub expected: String,
    /// What the analyser said.
    pub got: String,
}

/// Failures of one stage over one transport (`flash/can`, `deploy/someip`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClassScore {
    /// Failed units.
    pub failed: usize,
    /// Of them, reported failed.
    pub found: usize,
    /// With the right cause.
    pub cause: usize,
    /// With the right location.
    pub location: usize,
}

/// Counts behind every score; rates are derived.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scores {
    /// Vehicles evaluated.
    pub vehicles: usize,
    /// Units scored (run units only).
    pub units: usize,
    /// Units not run (flash units after a failed deploy stage), not scored.
    pub not_run: usize,
    /// Units that really failed.
    pub truth_failed: usize,
    /// Units the analyser reported failed.
    pub reported_failed: usize,
    /// Really failed and reported failed.
    pub true_positive: usize,
    /// Really failed units with a root finding.
    pub diagnosed: usize,
    /// Really failed units whose root cause is the true cause (only units reported failed count).
    pub cause_ok: usize,
    /// ... whose blamed side is right.
    pub side_ok: usize,
    /// ... whose location (unit, address, packet, block) is right.
    pub location_ok: usize,
    /// ... whose root finding points at the first offending request (or at none when none was sent).
    pub record_ok: usize,
    /// Units that really succeeded.
    pub healthy: usize,
    /// Healthy units reported failed.
    pub false_failures: usize,
    /// Healthy units on which some rule fired when every unit was checked (not a verdict).
    pub noisy_healthy: usize,
    /// Units whose first failure a retry hid.
    pub retries: usize,
    /// Of them, reported failed.
    pub retries_blamed: usize,
    /// Failed units with a transport fault (scored only from captures).
    pub transport_faults: usize,
    /// Of them, with the matching transport finding at the offending request.
    pub transport_found: usize,
    /// Transport findings the truth does not explain.
    pub transport_spurious: usize,
    /// Failures per stage/transport.
    pub by_class: BTreeMap<String, ClassScore>,
    /// True cause (or `healthy`) → root cause found (or `none`) → count.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// The first wrong verdicts, by vehicle.
    pub misses: Vec<Miss>,
    /// The first healthy units on which a rule fired (`got` names the rule).
    pub noise: Vec<Miss>,
}

fn rate(n: usize, d: usize) -> f64 {
    if d == 0 {
        1.0
    } else {
        n as f64 / d as f64
    }
}

impl Scores {
    /// Failed-unit recall: really failed units reported failed.
    pub fn recall(&self) -> f64 {
        rate(self.true_positive, self.truth_failed)
    }
    /// Failed-unit precision: reported failures that are real.
    pub fn precision(&self) -> f64 {
        rate(self.true_positive, self.reported_failed)
    }
    /// Exact-cause accuracy over really failed units.
    pub fn cause(&self) -> f64 {
        rate(self.cause_ok, self.truth_failed)
    }
    /// Blamed-side accuracy over really failed units.
    pub fn side(&self) -> f64 {
        rate(self.side_ok, self.truth_failed)
    }
    /// Location accuracy over really failed units.
    pub fn location(&self) -> f64 {
        rate(self.location_ok, self.truth_failed)
    }
    /// First-offending-record accuracy over really failed units.
    pub fn record(&self) -> f64 {
        rate(self.record_ok, self.truth_failed)
    }
    /// Transport-fault accuracy: failed units with a transport fault whose transport finding was
    /// reported, with every unexplained transport finding counted as a miss too.
    pub fn transport(&self) -> f64 {
        rate(
            self.transport_found,
            self.transport_faults + self.transport_spurious,
        )
    }
    /// Share of healthy units reported failed.
    pub fn false_failure_rate(&self) -> f64 {
        if self.healthy == 0 {
            0.0
        } else {
            self.false_failures as f64 / self.healthy as f64
        }
    }

    pub(crate) fn confusion_add(&mut self, truth: &str, got: &str) {
        *self
            .confusion
            .entry(truth.into())
            .or_default()
            .entry(got.into())
            .or_default() += 1;
    }

    pub(crate) fn miss(&mut self, m: Miss) {
        keep(&mut self.misses, m);
    }

    pub(crate) fn noise_add(&mut self, m: Miss) {
        keep(&mut self.noise, m);
    }

    /// Adds another partial score (order does not matter).
    pub fn merge(mut self, o: Scores) -> Scores {
        macro_rules! add { ($($f:ident),*) => { $( self.$f += o.$f; )* } }
        add!(
            vehicles,
            units,
            not_run,
            truth_failed,
            reported_failed,
            true_positive,
            diagnosed,
            cause_ok,
            side_ok,
            location_ok,
            record_ok,
            healthy,
            false_failures,
            noisy_healthy,
            retries,
            retries_blamed,
            transport_faults,
            transport_found,
            transport_spurious
        );
        for (k, v) in o.by_class {
            let e = self.by_class.entry(k).or_default();
            e.failed += v.failed;
            e.found += v.found;
            e.cause += v.cause;
            e.location += v.location;
        }
        for (t, row) in o.confusion {
            for (g, n) in row {
                *self
                    .confusion
                    .entry(t.clone())
                    .or_default()
                    .entry(g)
                    .or_default() += n;
            }
        }
        for m in o.misses {
            self.miss(m);
        }
        for m in o.noise {
            self.noise_add(m);
        }
        self
    }

    /// The scores as a JSON document: counts, rates, per-class rows, confusion matrix, misses.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "format": "otadiag-eval",
            "version": 1,
            "rates": {
                "recall": self.recall(),
                "precision": self.precision(),
                "cause": self.cause(),
                "side": self.side(),
                "location": self.location(),
                "record": self.record(),
                "transport": self.transport(),
                "false_failure_rate": self.false_failure_rate(),
            },
            "counts": self,
        })
    }

    /// The scores as text for a terminal.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let pct = |r: f64| format!("{:6.2} %", r * 100.0);
        let _ = writeln!(
            s,
            "evaluated {} vehicles: {} units ({} failed, {} healthy, {} not run)",
            self.vehicles, self.units, self.truth_failed, self.healthy, self.not_run
        );
        for (name, r, n, d) in [
            (
                "failed-unit recall",
                self.recall(),
                self.true_positive,
                self.truth_failed,
            ),
            (
                "failed-unit precision",
                self.precision(),
                self.true_positive,
                self.reported_failed,
            ),
            (
                "exact cause",
                self.cause(),
                self.cause_ok,
                self.truth_failed,
            ),
            ("blamed side", self.side(), self.side_ok, self.truth_failed),
            (
                "location (packet/ECU/block)",
                self.location(),
                self.location_ok,
                self.truth_failed,
            ),
            (
                "first offending record",
                self.record(),
                self.record_ok,
                self.truth_failed,
            ),
        ] {
            let _ = writeln!(s, "  {name:<28} {}  ({n}/{d})", pct(r));
        }
        if self.transport_faults + self.transport_spurious > 0 {
            let _ = writeln!(
                s,
                "  {:<28} {}  ({}/{} transport faults found, {} unexplained findings)",
                "transport faults",
                pct(self.transport()),
                self.transport_found,
                self.transport_faults,
                self.transport_spurious
            );
        }
        let _ = writeln!(
            s,
            "  {:<28} {}  ({}/{} healthy units)",
            "false failures",
            pct(self.false_failure_rate()),
            self.false_failures,
            self.healthy
        );
        let _ = writeln!(
            s,
            "  {:<28} {} of {} hidden by a retry reported failed",
            "retries", self.retries_blamed, self.retries
        );
        let _ = writeln!(
            s,
            "  {:<28} {} healthy units on which a rule fired when every unit was checked",
            "noise", self.noisy_healthy
        );
        if !self.by_class.is_empty() {
            let _ = writeln!(
                s,
                "by stage/transport:            failed  found  cause  location"
            );
            for (k, v) in &self.by_class {
                let _ = writeln!(
                    s,
                    "  {k:<28} {:>6} {:>6} {:>6} {:>9}",
                    v.failed, v.found, v.cause, v.location
                );
            }
        }
        if !self.confusion.is_empty() {
            let _ = writeln!(s, "confusion (true cause -> root cause found):");
            for (t, row) in &self.confusion {
                let total: usize = row.values().sum();
                let cells: Vec<String> = row
                    .iter()
                    .map(|(g, n)| {
                        if g == t {
                            format!("{g} {n}")
                        } else {
                            format!("{g} {n} !")
                        }
                    })
                    .collect();
                let _ = writeln!(s, "  {t:<26} {total:>5} -> {}", cells.join(", "));
            }
        }
        if !self.noise.is_empty() {
            let _ = writeln!(
                s,
                "rules firing on healthy units (first {}):",
                self.noise.len()
            );
            for m in &self.noise {
                let _ = writeln!(
                    s,
                    "  {} {}: {}; rule says {}",
                    m.vehicle, m.unit, m.expected, m.got
                );
            }
        }
        if !self.misses.is_empty() {
            let _ = writeln!(s, "wrong verdicts (first {}):", self.misses.len());
            for m in &self.misses {
                let _ = writeln!(
                    s,
                    "  {} {}: expected {}; got {}",
                    m.vehicle, m.unit, m.expected, m.got
                );
            }
        }
        s
    }
}

fn keep(list: &mut Vec<Miss>, m: Miss) {
    list.push(m);
    list.sort();
    list.truncate(MISSES_KEPT);
}

/// Minimum scores a caller requires (`None`: not checked).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thresholds {
    /// Minimum failed-unit recall.
    pub recall: Option<f64>,
    /// Minimum failed-unit precision.
    pub precision: Option<f64>,
    /// Minimum exact-cause accuracy.
    pub cause: Option<f64>,
    /// Minimum blamed-side accuracy.
    pub side: Option<f64>,
    /// Minimum location accuracy.
    pub location: Option<f64>,
    /// Minimum transport-fault accuracy (from captures).
    pub transport: Option<f64>,
}

impl Thresholds {
    /// Every score below its threshold, as `name X < Y` lines; empty when all pass.
    pub fn check(&self, s: &Scores) -> Vec<String> {
        [
            ("recall", self.recall, s.recall()),
            ("precision", self.precision, s.precision()),
            ("cause", self.cause, s.cause()),
            ("side", self.side, s.side()),
            ("location", self.location, s.location()),
            ("transport", self.transport, s.transport()),
        ]
        .into_iter()
        .filter_map(|(n, min, got)| {
            min.filter(|m| got < *m)
                .map(|m| format!("{n} {got:.4} is below the required {m}"))
        })
        .collect()
    }
}
