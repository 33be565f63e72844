//! The recorder against the rule cases: every case bundle is replayed as decoded traffic (its
//! kept headers padded to the original length), recorded again with a topology derived from its
//! manifest, and the recorded bundle must get the same verdicts as the original.

use otadiag_engine::{analyze, Mode};
use otadiag_model::{read::read_bundle, Bundle, Stage, UnitOutcome};
use otadiag_record::topology::{Addr, Ecu, Node, Package, VehicleInfo};
use otadiag_record::{Carrier, Msg, Recorder, Topology};
use std::path::{Path, PathBuf};

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

fn topology_of(b: &Bundle) -> Topology {
    let first = |stage: Stage, pick: fn(&otadiag_model::Record) -> u32| {
        b.records
            .iter()
            .find(|r| r.stage == stage && r.dir == otadiag_model::Dir::Request)
            .map(|r| Addr(pick(r)))
    };
    let can_tester = first(Stage::Flash, |r| r.src);
    Topology {
        vehicle: VehicleInfo {
            vin: b.manifest.vin.clone(),
            campaign: b.manifest.campaign.clone(),
            task: b.manifest.task.clone(),
        },
        gw: Node {
            doip: None,
            ip: first(Stage::Deploy, |r| r.dst),
        },
        tbox: Node {
            doip: None,
            ip: first(Stage::Deploy, |r| r.src),
        },
        ecu: b
            .manifest
            .tasks
            .iter()
            .map(|t| {
                let can = t.transport.as_deref() == Some("can");
                Ecu {
                    name: t.ecu.clone(),
                    doip: t.address.filter(|_| !can).map(Addr),
                    can: t
                        .address
                        .filter(|_| can)
                        .map(|a| [can_tester.unwrap_or(Addr(0x7E0)), Addr(a)]),
                    package: Some(t.package.clone()),
                    version: Some(t.version.clone()),
                }
            })
            .collect(),
        package: b
            .manifest
            .tasks
            .iter()
            .map(|t| Package {
                name: t.package.clone(),
            })
            .collect(),
        functional: vec![],
        extended_addressing: vec![],
        deploy_service: None,
    }
}

fn record_again(rules: &otadiag_rules::RuleSet, b: &Bundle) -> Bundle {
    let mut order: Vec<usize> = (0..b.records.len()).collect();
    order.sort_by_key(|&i| b.records[i].ts);
    let mut rec = Recorder::new(rules, topology_of(b), &b.source);
    for i in order {
        let r = &b.records[i];
        let mut data = b.header(r).to_vec();
        data.resize((r.len as usize).max(data.len()), 0xAA);
        let carrier = match b.transports[r.transport as usize].as_str() {
            "doip" => Carrier::DoIp,
            "can" => Carrier::IsoTp { fd: false },
            _ => Carrier::SomeIp,
        };
        rec.push(&Msg {
            ts: Some(r.ts),
            carrier,
            src: r.src,
            dst: r.dst,
            data: &data,
            len: r.len,
        });
    }
    for t in b.stop.values() {
        rec.saw_time(Some(*t));
    }
    rec.finish().0
}

/// (stage, unit, cause, side) of every failed unit's root finding.
fn verdicts(rules: &otadiag_rules::RuleSet, b: &Bundle) -> Vec<String> {
    let rep = analyze(rules, b, Mode::First);
    let mut v: Vec<String> = rep
        .units
        .iter()
        .filter(|u| u.result == UnitOutcome::Failure)
        .map(|u| {
            let root = u.findings.first();
            format!(
                "{} {} {} {}",
                u.stage.as_str(),
                u.unit,
                root.map_or("-", |f| f.cause.as_str()),
                root.map_or("-", |f| f.side.as_str())
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn recorded_rule_cases_get_the_original_verdicts() {
    let rules = otadiag_rules::load_dir(&rules_dir()).expect("shipped rules load");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(rules_dir().join("tests"))
        .expect("rules/tests")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("bundle.jsonl").exists())
        .collect();
    cases.sort();
    assert!(cases.len() >= 30, "rule cases not found");
    let mut mismatches = Vec::new();
    for case in &cases {
        let original = read_bundle(&case.join("bundle.jsonl")).expect("case bundle reads");
        let again = record_again(&rules, &original);
        let (want, got) = (verdicts(&rules, &original), verdicts(&rules, &again));
        if want != got {
            mismatches.push(format!(
                "{}:\n  original {want:?}\n  recorded {got:?}",
                case.display()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
