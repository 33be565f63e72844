//! The human report: per bundle the verdict, per failed unit the root cause with blame, measured
//! vs limit, help and the evidence frames; the text rule authors snapshot.

use otadiag_model::report::{BundleReport, Finding, UnitReport};
use otadiag_model::units::format_duration;
use otadiag_model::UnitOutcome;
use std::fmt::Write;

/// Renders one bundle's verdicts as plain text.
pub fn bundle_text(b: &BundleReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "bundle {}", b.source);
    let _ = writeln!(
        s,
        "vehicle {}  campaign {}  task {}",
        or_dash(&b.vin),
        or_dash(&b.campaign),
        or_dash(&b.task)
    );
    match b.failed_stage {
        None => {
            let _ = writeln!(s, "verdict: SUCCESS ({} units)", b.units.len());
        }
        Some(stage) => {
            let total = b.units.iter().filter(|u| u.stage == stage).count();
            let failed = b
                .units
                .iter()
                .filter(|u| u.stage == stage && u.result == UnitOutcome::Failure)
                .count();
            let _ = writeln!(
                s,
                "verdict: FAILURE in the {} stage ({failed} of {total} units failed)",
                stage.as_str()
            );
        }
    }
    for u in &b.units {
        unit(&mut s, u);
    }
    for t in &b.transport {
        let at = t.ts.map(format_ts).unwrap_or_else(|| "-".into());
        let _ = writeln!(
            s,
            "transport {} {} at {at}: {} -> {}: {}",
            t.transport, t.kind, t.src, t.dst, t.detail
        );
    }
    for n in &b.notes {
        let _ = writeln!(s, "note: {n}");
    }
    if let Some(c) = &b.capture {
        capture(&mut s, c);
    }
    s
}

fn format_ts(ns: i64) -> String {
    format!(
        "{}.{:06}s",
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000) / 1000
    )
}

fn capture(s: &mut String, c: &otadiag_model::report::CaptureSummary) {
    let msgs: Vec<String> = c.messages.iter().map(|(t, n)| format!("{n} {t}")).collect();
    let _ = writeln!(
        s,
        "capture: {} bytes, {} frames, messages: {}; {} records kept {} of {} message bytes",
        c.bytes,
        c.frames,
        if msgs.is_empty() {
            "none".into()
        } else {
            msgs.join(", ")
        },
        c.records,
        c.kept_bytes,
        c.message_bytes
    );
    for (why, n) in &c.not_recorded {
        let _ = writeln!(s, "capture: {n} messages not recorded: {why}");
    }
    if c.skipped > 0 {
        let _ = writeln!(
            s,
            "capture: {} unreadable lines/objects skipped, e.g.",
            c.skipped
        );
        for e in &c.skipped_examples {
            let _ = writeln!(s, "  {e}");
        }
    }
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}

fn unit(s: &mut String, u: &UnitReport) {
    let mark = match (u.result, u.result_source.as_str()) {
        (UnitOutcome::Failure, _) => "FAIL",
        (_, "not run") => "skip",
        _ => "ok  ",
    };
    let mut what = format!("{} {}", u.stage.as_str(), u.unit);
    if let Some(a) = &u.address {
        let _ = write!(what, " ({a})");
    }
    if let (Some(p), Some(v)) = (&u.package, &u.version) {
        let _ = write!(what, " package {p} {v}");
    }
    let _ = writeln!(
        s,
        "{mark} {what} [{}; {} records, {} exchanges]",
        u.result_source, u.records, u.exchanges
    );
    if let Some(d) = &u.result_detail {
        let _ = writeln!(s, "  result: {d}");
    }
    for p in &u.progress {
        let _ = writeln!(s, "  progress: {p}");
    }
    let first_ts = u
        .findings
        .iter()
        .flat_map(|f| f.evidence.iter().map(|e| e.ts))
        .min()
        .unwrap_or(0);
    for f in &u.findings {
        finding(s, f, first_ts);
    }
}

fn finding(s: &mut String, f: &Finding, t0: i64) {
    let tag = if f.root { "root cause" } else { "consequence" };
    let _ = writeln!(
        s,
        "  {tag}: {} ({}) - blame {} ({})",
        f.cause, f.parameter, f.side, f.role
    );
    let _ = writeln!(
        s,
        "    rule {} \"{}\" at {}:{}",
        f.rule, f.rule_title, f.rule_source.file, f.rule_source.line
    );
    let _ = writeln!(s, "    {}", f.message);
    let mut facts = Vec::new();
    if let (Some(m), Some(l)) = (&f.measured, &f.limit) {
        facts.push(format!("measured {m}, limit {l}"));
    }
    if let Some(n) = &f.nrc {
        facts.push(format!(
            "NRC {n}{}",
            f.nrc_name
                .as_ref()
                .map(|x| format!(" {x}"))
                .unwrap_or_default()
        ));
    }
    if let Some(p) = f.location.packet {
        facts.push(format!("packet {p}"));
    }
    if let Some(b) = f.location.block {
        facts.push(format!("block 0x{b:02X}"));
    }
    if let Some(r) = &f.request {
        facts.push(format!("request #{} at line {}", r.index, r.line));
    }
    if !facts.is_empty() {
        let _ = writeln!(s, "    {}", facts.join(" | "));
    }
    if let Some(h) = &f.help {
        let _ = writeln!(s, "    help: {h}");
    }
    if f.root && !f.evidence.is_empty() {
        let _ = writeln!(s, "    evidence:");
        for e in &f.evidence {
            let mark = if e.focus { ">" } else { " " };
            let _ = writeln!(
                s,
                "     {mark} #{:<4} {:>12} {} {} -> {} {} ({} B)",
                e.index,
                format!("+{}", format_duration(e.ts - t0)),
                e.dir,
                e.src,
                e.dst,
                spaced(&e.hdr),
                e.len
            );
        }
    }
}

fn spaced(hex: &str) -> String {
    let mut out = String::with_capacity(hex.len() * 3 / 2);
    for (i, c) in hex.chars().enumerate() {
        if i > 0 && i % 2 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}
