//! Faults that must not be blamed (a retry that hid a first failure) and vehicles with several
//! faults at once.

use otadiag_engine::{analyze, Mode};
use otadiag_model::{Stage, UnitOutcome};
use otadiag_sim::{simulate_vehicle, FaultSpec, Scenario};
use std::path::Path;

fn rules() -> otadiag_rules::RuleSet {
    otadiag_rules::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")).unwrap()
}

fn specs(list: &[&str]) -> Vec<FaultSpec> {
    list.iter().map(|s| FaultSpec::parse(s).unwrap()).collect()
}

#[test]
fn a_transfer_retry_hides_the_first_failure_and_nobody_is_blamed() {
    let rules = rules();
    let sc = Scenario {
        vehicles: 1,
        ..Scenario::default()
    };
    for i in 0..8 {
        let v = simulate_vehicle(
            &sc,
            &specs(&["retry_recovered@BCM", "retry_recovered@vcu-app"]),
            i,
        );
        let bcm = v.truth.units.iter().find(|u| u.unit == "BCM").unwrap();
        assert_eq!(
            (bcm.result.as_str(), bcm.fault.as_deref()),
            ("success", Some("retry_recovered"))
        );
        assert_eq!(bcm.cause, None);
        // The refused TransferData really is in the bundle, followed by its successful repeat.
        let hdrs: Vec<Vec<u8>> = v
            .bundle
            .records
            .iter()
            .filter(|r| v.bundle.unit_names[r.unit as usize] == "BCM")
            .map(|r| v.bundle.header(r).to_vec())
            .collect();
        let refused = hdrs
            .iter()
            .position(|h| h.len() == 3 && h[0] == 0x7F && h[1] == 0x36)
            .expect("a refused block");
        assert_eq!(
            hdrs[refused + 1][..2],
            hdrs[refused - 1][..2],
            "the same block is sent again"
        );
        let report = analyze(&rules, &v.bundle, Mode::All);
        assert_eq!(report.verdict, "success", "{report:#?}");
        assert!(report.units.iter().all(|u| u.findings.is_empty()));
    }
}

#[test]
fn without_result_lines_the_retry_is_inferred_successful() {
    let rules = rules();
    let sc = Scenario {
        vehicles: 1,
        omit_results: 1.0,
        ..Scenario::default()
    };
    for i in 0..8 {
        let v = simulate_vehicle(&sc, &specs(&["retry_recovered@BCM"]), i);
        assert!(v.bundle.results.is_empty());
        let report = analyze(&rules, &v.bundle, Mode::First);
        let bcm = report
            .units
            .iter()
            .find(|u| u.unit == "BCM" && u.stage == Stage::Flash)
            .unwrap();
        assert_eq!(
            (bcm.result, bcm.result_source.as_str()),
            (UnitOutcome::Success, "inferred"),
            "vehicle {i}"
        );
        assert_eq!(report.verdict, "success");
    }
}

#[test]
fn several_faults_in_one_vehicle_are_each_diagnosed() {
    let rules = rules();
    let sc = Scenario {
        vehicles: 1,
        ..Scenario::default()
    };
    let v = simulate_vehicle(
        &sc,
        &specs(&[
            "negative_response@BCM",
            "response_timeout@EPS",
            "request_flow_illegal@ADAS",
        ]),
        0,
    );
    assert_eq!(v.truth.failed().count(), 3);
    let report = analyze(&rules, &v.bundle, Mode::First);
    assert_eq!(report.failed_stage, Some(Stage::Flash));
    for t in v.truth.failed() {
        let u = report
            .units
            .iter()
            .find(|u| u.unit == t.unit && u.stage == t.stage)
            .unwrap();
        let f = &u.findings[0];
        assert_eq!(Some(f.cause.as_str()), t.cause.as_deref(), "{}", t.unit);
        assert_eq!(Some(f.side.as_str()), t.side.as_deref());
        assert_eq!(f.location.block, t.block);
        assert_eq!(f.request.as_ref().map(|r| r.index), t.record);
        assert_eq!(f.request.as_ref().map(|r| r.ts), t.ts);
    }
    // VCU had no fault and is reported successful.
    let vcu = report
        .units
        .iter()
        .find(|u| u.unit == "VCU" && u.stage == Stage::Flash)
        .unwrap();
    assert_eq!(vcu.result, UnitOutcome::Success);
}

#[test]
fn a_deploy_failure_leaves_the_flash_stage_not_run() {
    let sc = Scenario {
        vehicles: 1,
        ..Scenario::default()
    };
    let v = simulate_vehicle(
        &sc,
        &specs(&["negative_response@bcm-app", "negative_response@BCM"]),
        0,
    );
    assert!(v.bundle.records.iter().all(|r| r.stage == Stage::Deploy));
    let bcm = v.truth.units.iter().find(|u| u.unit == "BCM").unwrap();
    assert_eq!(bcm.result, "not_run");
    let report = analyze(&rules(), &v.bundle, Mode::First);
    assert_eq!(report.failed_stage, Some(Stage::Deploy));
}
