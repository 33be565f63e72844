//! `otadiag simulate`, `eval` and `demo` as a user runs them: files written, identical output for
//! a seed, perfect scores on a coverage campaign, thresholds turned into exit statuses, and clear
//! errors for bad scenarios and fault specs.

use std::path::Path;
use std::process::{Command, Output};

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_otadiag"))
        .args(args)
        .output()
        .expect("runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn p(d: &Path) -> &str {
    d.to_str().unwrap()
}

#[test]
fn simulate_writes_a_bundle_and_a_truth_per_vehicle_deterministically() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for d in [&a, &b] {
        let out = bin(&[
            "simulate",
            "--vehicles",
            "5",
            "--seed",
            "7",
            "--fault",
            "negative_response@BCM:0.5",
            "--fault",
            "any@deploy:0.3",
            "-o",
            p(d.path()),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).starts_with("wrote 5 vehicles"),
            "{}",
            text(&out.stdout)
        );
    }
    for i in 1..=5 {
        for ext in ["jsonl", "truth.json"] {
            let name = format!("V{i:06}.{ext}");
            let x = std::fs::read(a.path().join(&name)).unwrap();
            assert_eq!(
                x,
                std::fs::read(b.path().join(&name)).unwrap(),
                "{name} differs between runs"
            );
        }
    }
    // The bundles are what `analyze` reads.
    let out = bin(&[
        "analyze",
        "--format",
        "json",
        p(&a.path().join("V000001.jsonl")),
    ]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["bundles"][0]["campaign"], "C-SIM");
}

#[test]
fn eval_scores_a_coverage_campaign_perfectly_and_checks_thresholds() {
    let d = tempfile::tempdir().unwrap();
    let out = bin(&[
        "simulate",
        "--cover",
        "--ecus",
        "3",
        "--vehicles",
        "78",
        "--seed",
        "3",
        "-o",
        p(d.path()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = bin(&[
        "eval",
        p(d.path()),
        "--min-recall",
        "1",
        "--min-precision",
        "1",
        "--min-cause",
        "1",
        "--min-side",
        "1",
        "--min-location",
        "1",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("exact cause                  100.00 %"),
        "{stdout}"
    );
    let out = bin(&["eval", p(d.path()), "--format", "json", "--mode", "all"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["format"], "otadiag-eval");
    assert_eq!(v["rates"]["cause"], 1.0);
    assert_eq!(
        v["counts"]["confusion"]["negative_response"]["negative_response"]
            .as_u64()
            .map(|n| n > 0),
        Some(true)
    );
}

#[test]
fn eval_below_a_threshold_exits_one() {
    let d = tempfile::tempdir().unwrap();
    let scen = d.path().join("omit.toml");
    std::fs::write(
        &scen,
        "omit_results = 1.0\n[[fault]]\nkind = \"response_timeout\"\nunit = \"flash\"\n",
    )
    .unwrap();
    let camp = d.path().join("camp");
    let out = bin(&[
        "simulate",
        "--scenario",
        p(&scen),
        "--vehicles",
        "6",
        "-o",
        p(&camp),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // A late positive response leaves nothing to infer a failure from: recall drops.
    let out = bin(&["eval", p(&camp), "--min-recall", "0.99"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("threshold not met: recall"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_scenarios_and_specs_exit_two_with_the_place_named() {
    let d = tempfile::tempdir().unwrap();
    let scen = d.path().join("bad.toml");
    std::fs::write(
        &scen,
        "vehicles = 2\n[timing]\nresponse_ms = [3, 15]\ngap = 4\n",
    )
    .unwrap();
    let out = bin(&[
        "simulate",
        "--scenario",
        p(&scen),
        "-o",
        p(&d.path().join("x")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.toml:4:1:") && err.contains("gap"),
        "{err}"
    );
    let out = bin(&[
        "simulate",
        "--fault",
        "negative_response@XYZ",
        "-o",
        p(&d.path().join("y")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no unit `XYZ`"),
        "{}",
        text(&out.stderr)
    );
    let out = bin(&["simulate", "--fault", "bogus", "-o", p(&d.path().join("z"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown fault `bogus`"));
    let out = bin(&["eval", p(&d.path().join("nothing-here"))]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn demo_shows_the_fleet_view_with_evidence() {
    let out = bin(&["demo"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.contains("failed units by root cause and ECU"),
        "{stdout}"
    );
    for col in ["BCM", "VCU", "ADAS", "EPS", "total"] {
        assert!(stdout.contains(col), "{col}: {stdout}");
    }
    assert!(stdout.contains("recall 100 %, cause 100 %"), "{stdout}");
    assert!(stdout.contains("worst failures"));
    assert!(
        stdout.contains("root cause:") && stdout.contains("evidence:"),
        "{stdout}"
    );
}

#[test]
fn simulate_with_captures_writes_captures_that_eval_scores_from() {
    let d = tempfile::tempdir().unwrap();
    let out = bin(&[
        "simulate",
        "--vehicles",
        "2",
        "--captures",
        "--fault",
        "doip_nack@BCM",
        "--fault",
        "isotp_sequence_error@EPS",
        "-o",
        p(d.path()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for f in [
        "V000001.tbox.pcap",
        "V000001.gw.pcap",
        "V000001.gw.candump.log",
        "V000001.gw.asc",
        "V000001.topology.toml",
        "V000002.jsonl",
    ] {
        assert!(d.path().join(f).exists(), "{f}");
    }
    let asc = std::fs::read_to_string(d.path().join("V000001.gw.asc")).unwrap();
    assert!(asc.starts_with("date ") && asc.contains("\nbase hex  timestamps absolute\n"));
    assert!(
        asc.contains(" 1  7E0             Tx   d 8 02 10 03 "),
        "{}",
        &asc[..600]
    );
    // Analysed from the captures, both transport faults are found at their requests and every
    // failure is diagnosed; the ASC log gives the same scores as the candump log.
    let mut reports = vec![];
    for log in ["candump", "asc"] {
        let out = bin(&[
            "eval",
            p(d.path()),
            "--from",
            "captures",
            "--can-log",
            log,
            "--min-transport",
            "1",
            "--min-recall",
            "1",
            "--min-cause",
            "1",
            "--min-location",
            "1",
        ]);
        let o = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{o}{}", text(&out.stderr));
        assert!(
            o.contains("(4/4 transport faults found, 0 unexplained findings)"),
            "{o}"
        );
        reports.push(
            o.lines()
                .filter(|l| !l.starts_with("analysed in"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    assert_eq!(reports[0], reports[1]);
    let pcap = std::fs::read(d.path().join("V000001.gw.pcap")).unwrap();
    assert_eq!(&pcap[..4], &0xa1b2_3c4du32.to_le_bytes(), "nanosecond pcap");
    let can = std::fs::read_to_string(d.path().join("V000001.gw.candump.log")).unwrap();
    assert!(
        can.lines()
            .all(|l| l.starts_with('(') && l.contains(") can0 ")),
        "candump -l lines"
    );
}
