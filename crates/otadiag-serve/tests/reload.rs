//! Hot reload over real HTTP: a broken edit never takes effect, a fixed one does, SIGHUP and the
//! endpoint reload, uploads racing reloads all land under a valid revision, re-analysis moves
//! verdicts to the active revision; and the edit → live latency is measured and printed.

mod common;

use common::{backends, case, vin_of, with_field, Harness};
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

/// Polls `path` until `pred` holds (10 s at most).
async fn wait_for(h: &Harness, path: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, v) = h.get(path).await;
        if pred(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting on {path}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Writes a file the way editors do (temp file + rename), so the watcher never sees it half written.
fn write_atomic(path: &Path, text: &str) {
    let tmp = path.with_extension("rules.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn expected_revision(dir: &Path) -> String {
    otadiag_rules::load_dir(dir).expect("valid rules").revision
}

async fn revision(h: &Harness) -> String {
    h.get("/api/v1/rules").await.1["revision"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_edit_never_takes_effect_and_a_fix_does() {
    let h = Harness::start(&common::Backend::Sqlite, |_| {}).await;
    let causes = h.rules_dir.join("causes.rules");
    let original = std::fs::read_to_string(&causes).unwrap();
    let rev0 = revision(&h).await;

    write_atomic(
        &causes,
        &format!("{original}\ncause broken for nonsense.param blame\n"),
    );
    let st = wait_for(&h, "/api/v1/rules/status", |v| v["status"] == "failed").await;
    assert_eq!(st["trigger"], "watch");
    assert_eq!(st["active_revision"], rev0.as_str());
    assert!(st["errors"].as_u64().unwrap() >= 1);
    let diags = st["diagnostics"].as_str().unwrap();
    assert!(
        diags.contains("causes.rules") && diags.contains("otadiag::"),
        "{diags}"
    );
    assert_eq!(revision(&h).await, rev0, "the broken set never goes live");

    // Uploads keep working under the old set.
    let bundle = case("flash_multi_ecu_one_fails");
    let token = h.register(&vin_of(&bundle)).await;
    let (s, v) = h.upload(Some(&token), bundle).await;
    assert_eq!(s, 201);
    assert_eq!(v["revision"], rev0.as_str());
    assert_eq!(v["findings"][0]["cause"], "negative_response");
    // The endpoint reports the same failure with 422.
    let (s, r) = h.admin_post("/api/v1/rules/reload").await;
    assert_eq!(s, 422);
    assert_eq!(r["status"], "failed");
    assert_eq!(r["trigger"], "api");

    write_atomic(&causes, &format!("{original}\n# fixed\n"));
    let want = expected_revision(&h.rules_dir);
    assert_ne!(want, rev0);
    let st = wait_for(&h, "/api/v1/rules/status", |v| v["status"] == "ok").await;
    assert_eq!(st["active_revision"], want.as_str());
    assert_eq!(revision(&h).await, want);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_watched_directory_is_not_reloaded() {
    // Reading the rule files (as every reload does) must not count as a change: that made the
    // service reload itself about twenty times a second while idle.
    let h = Harness::start(&common::Backend::Sqlite, |_| {}).await;
    let (_, rules) = h.get("/api/v1/rules").await;
    let _ = otadiag_rules::load_dir(&h.rules_dir);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, st) = h.get("/api/v1/rules/status").await;
    assert_eq!(
        st["trigger"], "startup",
        "reloaded with nothing edited: {st}"
    );
    assert_eq!(st["active_revision"], rules["revision"]);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_to_live_latency() {
    let h = Harness::start(&common::Backend::Sqlite, |_| {}).await;
    let file = h.rules_dir.join("uds/nrc.rules");
    let original = std::fs::read_to_string(&file).unwrap();
    let mut latencies = Vec::new();
    for i in 0..5 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let before = revision(&h).await;
        let t0 = Instant::now();
        write_atomic(&file, &format!("{original}\n# edit {i}\n"));
        let v = wait_for(&h, "/api/v1/rules", |v| v["revision"] != before.as_str()).await;
        latencies.push(t0.elapsed());
        assert_eq!(v["revision"], expected_revision(&h.rules_dir).as_str());
    }
    latencies.sort();
    eprintln!(
        "edit -> live latency over {} edits: min {:?}, median {:?}, max {:?} (debounce {:?})",
        latencies.len(),
        latencies[0],
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1],
        otadiag_serve::reload::DEBOUNCE
    );
    h.stop().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads() {
    let h = Harness::start(&common::Backend::Sqlite, |o| {
        o.watch = false;
        o.sighup = true;
    })
    .await;
    let file = h.rules_dir.join("causes.rules");
    let original = std::fs::read_to_string(&file).unwrap();
    let rev0 = revision(&h).await;
    std::fs::write(&file, format!("{original}\n# hup\n")).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        revision(&h).await,
        rev0,
        "no watcher: nothing changes by itself"
    );
    let ok = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let st = wait_for(&h, "/api/v1/rules/status", |v| v["trigger"] == "sighup").await;
    assert_eq!(st["status"], "ok");
    assert_eq!(revision(&h).await, expected_revision(&h.rules_dir));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_racing_reloads_all_land_under_a_valid_revision() {
    for b in backends() {
        let h = Harness::start(&b, |o| o.watch = false).await;
        let file = h.rules_dir.join("uds/services.rules");
        let original = std::fs::read_to_string(&file).unwrap();
        let mut valid: HashSet<String> = HashSet::from([revision(&h).await]);
        let bundle = case("flash_multi_ecu_one_fails");
        let token = h.register(&vin_of(&bundle)).await;
        const N: usize = 24;
        let mut tasks = Vec::new();
        for i in 0..N {
            let body = with_field(&bundle, "task", &format!("race-{i}"));
            let (client, url, token) = (h.client.clone(), h.url("/api/v1/bundles"), token.clone());
            tasks.push(tokio::spawn(async move {
                // Spread the uploads over the reloads (some start together, some later).
                tokio::time::sleep(Duration::from_millis(5 * (i as u64 % 12))).await;
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let s = r.status().as_u16();
                (s, r.json::<Value>().await.unwrap())
            }));
        }
        let mut reloads = 0;
        while !tasks.iter().all(|t| t.is_finished()) || reloads < 6 {
            let text = match reloads % 3 {
                0 => format!("{original}\n# a {reloads}\n"),
                1 => format!("{original}\n# b {reloads}\n"),
                _ => format!("{original}\nthis does not parse\n"),
            };
            std::fs::write(&file, text).unwrap();
            let (s, st) = h.admin_post("/api/v1/rules/reload").await;
            if reloads % 3 == 2 {
                assert_eq!(s, 422, "{st}");
            } else {
                assert_eq!(s, 200, "{st}");
                valid.insert(st["active_revision"].as_str().unwrap().to_string());
            }
            reloads += 1;
        }
        let mut seen = HashSet::new();
        for t in tasks {
            let (s, v) = t.await.unwrap();
            assert_eq!(s, 201, "{v}");
            assert_eq!(v["findings"][0]["cause"], "negative_response");
            let rev = v["revision"].as_str().unwrap().to_string();
            assert!(valid.contains(&rev), "{rev} is not a valid revision");
            seen.insert(rev);
        }
        let c = h.counts().await;
        assert_eq!(
            (c.bundles, c.verdicts),
            (N as i64, N as i64),
            "every upload stored"
        );
        let (_, list) = h
            .get(&format!(
                "/api/v1/vehicles/{}/verdicts?limit=1000",
                vin_of(&bundle)
            ))
            .await;
        assert_eq!(list["count"], N);
        for v in list["verdicts"].as_array().unwrap() {
            assert!(valid.contains(v["revision"].as_str().unwrap()));
        }
        eprintln!(
            "{b:?}: {N} uploads under {reloads} reloads, {} revisions used",
            seen.len()
        );
        h.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reanalyze_moves_verdicts_to_the_active_revision() {
    for b in backends() {
        let h = Harness::start(&b, |o| o.watch = false).await;
        let bundle = case("flash_multi_ecu_one_fails");
        let token = h.register(&vin_of(&bundle)).await;
        let (s, first) = h.upload(Some(&token), bundle.clone()).await;
        assert_eq!(s, 201);
        let causes = h.rules_dir.join("causes.rules");
        let text = std::fs::read_to_string(&causes).unwrap();
        std::fs::write(
            &causes,
            text.replace("cause negative_response ", "cause refused_by_server "),
        )
        .unwrap();
        let (s, st) = h.admin_post("/api/v1/rules/reload").await;
        assert_eq!(s, 200, "{st}");
        let rev1 = st["active_revision"].as_str().unwrap().to_string();
        assert_ne!(first["revision"], rev1.as_str());

        let r = h
            .client
            .post(h.url("/api/v1/reanalyze"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let (s, r) = h.admin_post("/api/v1/reanalyze").await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(
            (r["bundles"].as_i64(), r["reanalysed"].as_i64()),
            (Some(1), Some(1))
        );
        let (_, list) = h
            .get(&format!("/api/v1/vehicles/{}/verdicts", vin_of(&bundle)))
            .await;
        assert_eq!(list["count"], 1);
        assert_eq!(list["verdicts"][0]["revision"], rev1.as_str());
        assert_eq!(
            list["verdicts"][0]["findings"][0]["cause"],
            "refused_by_server"
        );
        let (_, fleet) = h.get("/api/v1/fleet/causes").await;
        assert_eq!(fleet["total"], 1);
        assert_eq!(fleet["rows"][0]["cause"], "refused_by_server");
        // A resend now answers with the current verdict.
        let (s, again) = h.upload(Some(&token), bundle).await;
        assert_eq!(s, 200);
        assert_eq!(again["revision"], rev1.as_str());
        let (_, r) = h.admin_post("/api/v1/reanalyze").await;
        assert_eq!(
            (r["reanalysed"].as_i64(), r["unchanged"].as_i64()),
            (Some(0), Some(1))
        );
        assert_eq!(h.counts().await.verdicts, 2);
        h.stop().await;
    }
}

#[test]
fn an_analysis_keeps_the_snapshot_it_started_with() {
    let dir = std::env::temp_dir().join(format!("otadiag-snapshot-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    common::copy_dir(&common::repo().join("rules"), &dir);
    let rules =
        otadiag_serve::RulesHandle::new(otadiag_serve::RuleSource::Dir(dir.clone())).unwrap();
    let held = rules.snapshot();
    let causes = dir.join("causes.rules");
    let text = std::fs::read_to_string(&causes).unwrap();
    std::fs::write(
        &causes,
        text.replace("cause negative_response ", "cause refused "),
    )
    .unwrap();
    let st = rules.reload("test");
    assert_eq!((st.status, st.changed), ("ok", true));
    assert_ne!(rules.snapshot().rules.revision, held.rules.revision);
    // The held snapshot still analyses with the old cause map.
    let bundle = otadiag_model::read_bundle_bytes("b", &case("flash_multi_ecu_one_fails")).unwrap();
    let old = otadiag_engine::analyze(&held.rules, &bundle, otadiag_engine::Mode::First);
    let new = otadiag_engine::analyze(
        &rules.snapshot().rules,
        &bundle,
        otadiag_engine::Mode::First,
    );
    let cause = |r: &otadiag_model::BundleReport| {
        r.units
            .iter()
            .flat_map(|u| &u.findings)
            .map(|f| f.cause.clone())
            .next()
    };
    assert_eq!(cause(&old).as_deref(), Some("negative_response"));
    assert_eq!(cause(&new).as_deref(), Some("refused"));
    let _ = std::fs::remove_dir_all(&dir);
}
