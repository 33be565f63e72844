//! Runs every rule test case in `rules/tests/<case>/` through the real engine: one insta snapshot
//! of the rendered findings per case (stored beside the case as `findings.snap`, the same file
//! `otadiag rules test` compares), plus the case's `expect.toml`.

use otadiag::ruletest::{self, Case};
use otadiag_engine::{analyze_with, Mode};
use otadiag_model::UnitOutcome;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

fn cases() -> Vec<Case> {
    let cases = ruletest::discover(&root().join("tests"));
    assert!(
        cases.len() >= 30,
        "expected the shipped rule cases, found {}",
        cases.len()
    );
    cases
}

#[test]
fn every_case_matches_its_snapshot_and_expectations() {
    let rules = otadiag_rules::load_dir(&root()).unwrap_or_else(|d| panic!("{}", d.render()));
    let mut failures = Vec::new();
    for case in cases() {
        let outcome =
            ruletest::run_case(&rules, &case).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        for m in &outcome.mismatches {
            failures.push(format!("{}: {m}", case.name));
        }
        insta::with_settings!({
            snapshot_path => case.dir.clone(),
            prepend_module_to_snapshot => false,
            input_file => case.dir.join("bundle.jsonl"),
            omit_expression => true,
        }, {
            insta::assert_snapshot!("findings", outcome.rendered.trim_end_matches('\n'));
        });
    }
    assert!(
        failures.is_empty(),
        "expectation mismatches:\n{}",
        failures.join("\n")
    );
}

/// No shipped rule fires on a unit that succeeded: every unit of every case is checked in `all`
/// mode, and only the units the case expects to fail may have findings.
#[test]
fn shipped_rules_stay_quiet_on_healthy_units() {
    let rules = otadiag_rules::load_dir(&root()).unwrap();
    let mut noisy = Vec::new();
    for case in cases() {
        let bundle = otadiag_model::read_bundle(&case.dir.join("bundle.jsonl")).unwrap();
        let report = analyze_with(&rules, &bundle, Mode::All, true);
        for u in report
            .units
            .iter()
            .filter(|u| u.result == UnitOutcome::Success)
        {
            for f in &u.findings {
                noisy.push(format!(
                    "{} {} {}: {} {}",
                    case.name,
                    u.stage.as_str(),
                    u.unit,
                    f.rule,
                    f.message
                ));
            }
        }
    }
    assert!(
        noisy.is_empty(),
        "rules fired on healthy units:\n{}",
        noisy.join("\n")
    );
}

/// `all` mode marks everything after the root as its consequence.
#[test]
fn all_mode_marks_consequences_of_the_root() {
    let rules = otadiag_rules::load_dir(&root()).unwrap();
    let bundle =
        otadiag_model::read_bundle(&root().join("tests/flash_request_format_illegal/bundle.jsonl"))
            .unwrap();
    let report = analyze_with(&rules, &bundle, Mode::All, false);
    let bcm = report.units.iter().find(|u| u.unit == "BCM").unwrap();
    assert!(bcm.findings.len() >= 2, "{:#?}", bcm.findings);
    assert!(bcm.findings[0].root && bcm.findings[0].cause == "request_format_illegal");
    assert!(bcm.findings[1..]
        .iter()
        .all(|f| !f.root && f.consequence_of == Some(0)));
    let first = analyze_with(&rules, &bundle, Mode::First, false);
    assert_eq!(
        first
            .units
            .iter()
            .find(|u| u.unit == "BCM")
            .unwrap()
            .findings
            .len(),
        1
    );
}
