//! The `otadiag` binary as a user runs it: exit statuses, JSON output, and clear errors for bad
//! bundles and broken rule sets.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_otadiag"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("runs")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn healthy_update_exits_zero() {
    let out = bin(&["analyze", "rules/tests/healthy_update/bundle.jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("verdict: SUCCESS"));
}

#[test]
fn diagnosed_failure_exits_one_with_stable_json() {
    let out = bin(&[
        "analyze",
        "--format",
        "json",
        "rules/tests/flash_multi_ecu_one_fails/bundle.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["format"], "otadiag-report");
    let units = v["bundles"][0]["units"].as_array().unwrap();
    let vcu = units
        .iter()
        .find(|u| u["unit"] == "VCU" && u["stage"] == "flash")
        .unwrap();
    let f = &vcu["findings"][0];
    assert_eq!(f["cause"], "negative_response");
    assert_eq!(f["side"], "server");
    assert_eq!(f["role"], "ECU");
    assert_eq!(f["nrc"], "0x72");
    assert_eq!(f["service"], "0x36");
    assert_eq!(f["location"]["block"], 3);
    assert_eq!(f["root"], true);
    assert!(f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["focus"] == true));
    let bcm = units
        .iter()
        .find(|u| u["unit"] == "BCM" && u["stage"] == "flash")
        .unwrap();
    assert_eq!(bcm["result"], "success");
}

#[test]
fn truncated_bundle_exits_two_naming_file_and_line() {
    let dir = std::env::temp_dir().join(format!("otadiag-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let full =
        std::fs::read_to_string(root().join("rules/tests/flash_response_timeout/bundle.jsonl"))
            .unwrap();
    let cut = &full[..full.len() / 2];
    let path = dir.join("cut.jsonl");
    std::fs::write(&path, cut).unwrap();
    let out = bin(&["analyze", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let line = cut.lines().count();
    assert!(err.contains(&format!("cut.jsonl:{line}:")), "{err}");
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn broken_rule_set_is_refused_with_all_its_errors() {
    let dir = std::env::temp_dir().join(format!("otadiag-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.rules"),
        "const X = 5ms\ncheck A-1 request.sender \"x\" {\n  require req.src == X\n}\n",
    )
    .unwrap();
    let out = bin(&["rules", "check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("otadiag::check::no_protocol"), "{err}");
    let out = bin(&[
        "analyze",
        "--rules",
        dir.to_str().unwrap(),
        "rules/tests/healthy_update/bundle.jsonl",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a broken rule set must not be used"
    );
}

#[test]
fn shipped_rules_check_and_rule_tests_pass_outside_cargo() {
    let out = bin(&["rules", "check", "rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = bin(&["rules", "test", "rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains(" passed, 0 failed"));
}

#[test]
fn serve_demo_stores_a_simulated_fleet_before_listening() {
    use std::io::{BufRead, BufReader};
    let dir = std::env::temp_dir().join(format!("otadiag-cli-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("demo.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_otadiag"))
        .args([
            "serve",
            "--demo",
            "3",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db,
        ])
        .current_dir(root())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let stored = loop {
        match lines.next() {
            Some(Ok(l)) => {
                let done = l.contains("listening on");
                seen.push(l);
                if done {
                    break seen.iter().any(|l| l.contains("stored 3 demo bundles"));
                }
            }
            _ => break false,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(stored, "{seen:?}");
}

#[test]
fn reports_follow_the_command_line_order_of_captures_and_bundles() {
    let dir = std::env::temp_dir().join(format!("otadiag-cli-order-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cap = dir.join("session.log");
    // A DiagnosticSessionControl request on 0x7E0 answered on 0x7E8 (candump -l).
    std::fs::write(
        &cap,
        "(1700000000.000000) can0 7E0#0210030000000000\n(1700000000.010000) can0 7E8#065003003201F400\n",
    )
    .unwrap();
    let out = bin(&[
        "analyze",
        "--format",
        "json",
        cap.to_str().unwrap(),
        "rules/tests/healthy_update/bundle.jsonl",
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let sources: Vec<&str> = v["bundles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources.len(), 2);
    assert!(sources[0].ends_with("session.log"), "{sources:?}");
    assert!(
        sources[1].ends_with("healthy_update/bundle.jsonl"),
        "{sources:?}"
    );
}
