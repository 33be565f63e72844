//! Analyser limitations the simulator exposed, written as the behaviour we want; both are fixed
//! now and run with the other tests (see docs/simulator.md, "Known analyser limitations");
//! run with `cargo test -p otadiag-sim --test known_issues -- --ignored`.

use otadiag_engine::{analyze, Mode};
use otadiag_model::Stage;
use otadiag_sim::{simulate_vehicle, FaultSpec, Scenario};
use std::path::Path;

fn rules() -> otadiag_rules::RuleSet {
    otadiag_rules::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")).unwrap()
}

#[test]
fn a_wrong_response_id_after_a_tester_present_is_still_unmatched() {
    let rules = rules();
    let mut sc = Scenario {
        vehicles: 1,
        ..Scenario::default()
    };
    sc.background.tester_present_while_waiting = true;
    sc.timing.erase_pendings = [2, 4];
    sc.timing.pending_ms = [2500.0, 4500.0];
    let specs = vec![FaultSpec::parse("response_unmatched@BCM").unwrap()];
    let mut seen = 0;
    for i in 0..300 {
        let v = simulate_vehicle(&sc, &specs, i);
        let t = v
            .truth
            .units
            .iter()
            .find(|u| u.unit == "BCM" && u.stage == Stage::Flash)
            .unwrap();
        if !t
            .detail
            .as_deref()
            .unwrap_or("")
            .starts_with("answered 72 01 FF 00")
        {
            continue;
        }
        seen += 1;
        let report = analyze(&rules, &v.bundle, Mode::First);
        let u = report
            .units
            .iter()
            .find(|u| u.unit == "BCM" && u.stage == Stage::Flash)
            .unwrap();
        assert_eq!(
            u.findings[0].cause, "response_unmatched",
            "vehicle {i}: {}",
            u.findings[0].message
        );
    }
    assert!(
        seen > 0,
        "no erase answered with a wrong response id in 300 vehicles"
    );
}

#[test]
fn a_deploy_retry_without_a_result_line_is_inferred_successful() {
    let rules = rules();
    let sc = Scenario {
        vehicles: 1,
        omit_results: 1.0,
        ..Scenario::default()
    };
    let specs = vec![FaultSpec::parse("retry_recovered@bcm-app").unwrap()];
    for i in 0..5 {
        let v = simulate_vehicle(&sc, &specs, i);
        let report = analyze(&rules, &v.bundle, Mode::First);
        assert_eq!(report.verdict, "success", "vehicle {i}");
    }
}
