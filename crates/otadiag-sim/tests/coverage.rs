//! The simulator against the shipped rules: a fixed-seed coverage campaign that puts every fault
//! kind on every unit (both stages; DoIP, CAN and SOME/IP) must be diagnosed perfectly.

use otadiag_engine::Mode;
use otadiag_sim::{evaluate, simulate_to_dir, Scenario};
use std::path::Path;

fn rules() -> otadiag_rules::RuleSet {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    otadiag_rules::load_dir(&dir).expect("shipped rules load")
}

fn coverage_scenario(seed: u64) -> Scenario {
    let mut sc = Scenario::parse(
        "coverage.toml",
        r#"
        cover = true
        [[ecu]]
        name = "BCM"
        size_kib = [8, 24]
        [[ecu]]
        name = "EPS"
        transport = "can"
        size_kib = [8, 24]
        [[ecu]]
        name = "ADAS"
        size_kib = [1030, 1040]
        "#,
    )
    .expect("valid scenario");
    sc.seed = seed;
    sc.vehicles = (13 * sc.units().len()) as u32;
    sc
}

#[test]
fn every_fault_class_on_every_transport_is_diagnosed_exactly() {
    let rules = rules();
    for seed in [1, 2, 3] {
        let dir = tempfile::tempdir().unwrap();
        let sc = coverage_scenario(seed);
        let sum = simulate_to_dir(&sc, &[], dir.path()).unwrap();
        assert_eq!(sum.vehicles, 78);
        for mode in [Mode::First, Mode::All] {
            let s = evaluate(&rules, dir.path(), mode).unwrap();
            let text = s.to_text();
            if seed == 1 && mode == Mode::First {
                eprintln!("{text}");
            }
            assert_eq!(s.vehicles, 78, "{text}");
            for (name, v) in [
                ("recall", s.recall()),
                ("precision", s.precision()),
                ("cause", s.cause()),
                ("side", s.side()),
                ("location", s.location()),
                ("record", s.record()),
            ] {
                assert_eq!(v, 1.0, "seed {seed} {mode:?}: {name}\n{text}");
            }
            assert_eq!(s.false_failures, 0, "{text}");
            // Every cause of the method in both stages, over every transport.
            for class in ["deploy/someip", "flash/doip", "flash/can"] {
                assert!(
                    s.by_class.get(class).is_some_and(|c| c.failed > 0),
                    "{class} missing\n{text}"
                );
            }
            assert_eq!(
                s.confusion.keys().filter(|k| *k != "healthy").count(),
                11,
                "{text}"
            );
        }
    }
}
