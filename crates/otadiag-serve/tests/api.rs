//! The upload and query API over real HTTP on loopback, against every configured store: verdicts
//! for shipped bundles, idempotent resends, rejected uploads leaving nothing behind, tokens,
//! fleet aggregation and evidence.

mod common;

use common::{backends, case, vin_of, with_field, Backend, Harness, ADMIN};
use serde_json::Value;
use std::io::Write;

async fn each_backend<F, Fut>(f: F)
where
    F: Fn(Backend) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for b in backends() {
        eprintln!("-- store: {b:?}");
        f(b).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_gives_the_verdict_and_resend_is_idempotent() {
    each_backend(|b| async move {
        let h = Harness::start(&b, |_| {}).await;
        let bundle = case("flash_multi_ecu_one_fails");
        let token = h.register(&vin_of(&bundle)).await;

        let (status, v) = h.upload(Some(&token), bundle.clone()).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["duplicate"], false);
        assert_eq!(v["verdict"], "failure");
        assert_eq!(v["failed_stage"], "flash");
        let root = &v["findings"][0];
        assert_eq!(root["unit"], "VCU");
        assert_eq!(root["cause"], "negative_response");
        assert_eq!(root["side"], "server");
        assert_eq!(root["block"], 3);
        assert_eq!(root["nrc"], "0x72");
        let active = h.get("/api/v1/rules").await.1;
        assert_eq!(v["revision"], active["revision"]);
        let verdict_id = v["verdict_id"].as_i64().unwrap();

        // The same bytes again: same verdict, 200, nothing new stored.
        let (status, again) = h.upload(Some(&token), bundle.clone()).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(again["duplicate"], true);
        assert_eq!(again["verdict_id"].as_i64(), Some(verdict_id));
        let c = h.counts().await;
        assert_eq!((c.bundles, c.verdicts), (1, 1));

        // The same content gzip-compressed is another upload (hash over the bytes sent).
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&with_field(&bundle, "task", "gz")).unwrap();
        let (status, z) = h.upload(Some(&token), gz.finish().unwrap()).await;
        assert_eq!(status, 201, "{z}");
        assert_eq!(z["findings"][0]["cause"], "negative_response");

        // Identical uploads racing each other: one is stored, the others are duplicates of it.
        let twin = with_field(&bundle, "task", "twin");
        let mut racers = Vec::new();
        for _ in 0..6 {
            let (client, url, t, body) = (
                h.client.clone(),
                h.url("/api/v1/bundles"),
                token.clone(),
                twin.clone(),
            );
            racers.push(tokio::spawn(async move {
                let r = client
                    .post(url)
                    .bearer_auth(t)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let s = r.status().as_u16();
                (s, r.json::<Value>().await.unwrap())
            }));
        }
        let mut created = 0;
        let mut ids = std::collections::HashSet::new();
        for r in racers {
            let (s, v) = r.await.unwrap();
            assert!(s == 201 || (s == 200 && v["duplicate"] == true), "{s} {v}");
            created += usize::from(s == 201);
            ids.insert(v["verdict_id"].as_i64().unwrap());
        }
        assert_eq!((created, ids.len()), (1, 1));
        assert_eq!(h.counts().await.bundles, 3);

        // Listings.
        let (s, list) = h
            .get(&format!("/api/v1/vehicles/{}/verdicts", vin_of(&bundle)))
            .await;
        assert_eq!(s, 200);
        assert_eq!(list["count"], 3);
        assert_eq!(list["verdicts"][0]["task"], "twin", "newest first");
        let (_, camp) = h.get("/api/v1/campaigns/C-TEST/verdicts?limit=2").await;
        assert_eq!(camp["count"], 2);
        let (_, none) = h.get("/api/v1/campaigns/nope/verdicts").await;
        assert_eq!(none["count"], 0);
        let (s, one) = h.get(&format!("/api/v1/verdicts/{verdict_id}")).await;
        assert_eq!(s, 200);
        assert_eq!(one["report"]["units"].as_array().unwrap().len(), 6);
        h.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_are_4xx_and_store_nothing() {
    each_backend(|b| async move {
        let h = Harness::start(&b, |o| {
            o.max_bundle_bytes = 64 * 1024;
            o.max_decompressed_bytes = 128 * 1024;
        })
        .await;
        let bundle = case("flash_negative_response");
        let token = h.register(&vin_of(&bundle)).await;
        let text = String::from_utf8(bundle.clone()).unwrap();
        let truncated_mid_line = bundle[..bundle.len() - 30].to_vec();
        let lines: Vec<&str> = text.lines().collect();
        let no_end = (lines[..lines.len() - 1].join("\n") + "\n").into_bytes();
        let big = vec![b' '; 65 * 1024];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![b'\n'; 200 * 1024]).unwrap();
        let bomb = gz.finish().unwrap();
        assert!(bomb.len() < 64 * 1024);

        // (token, body, status, error code, text the message must contain)
        type Case<'a> = (Option<&'a str>, Vec<u8>, u16, &'a str, &'a str);
        let cases: Vec<Case> = vec![
            (
                Some(&token),
                b"garbage, not json\n".to_vec(),
                400,
                "bad_bundle",
                "upload:1:",
            ),
            (
                Some(&token),
                truncated_mid_line,
                400,
                "bad_bundle",
                "truncated",
            ),
            (Some(&token), no_end, 400, "bad_bundle", "no end line"),
            (Some(&token), vec![], 400, "bad_bundle", "empty"),
            (Some(&token), big, 413, "too_large", "65536"),
            (Some(&token), bomb, 413, "too_large", "decompresses"),
            (
                Some(&token),
                vec![0x1f, 0x8b, 8, 0, 0],
                400,
                "bad_bundle",
                "gzip",
            ),
            (None, bundle.clone(), 401, "unauthorized", "missing bearer"),
            (
                Some("otv_wrong"),
                bundle.clone(),
                401,
                "unauthorized",
                "unknown",
            ),
            (Some(ADMIN), bundle.clone(), 401, "unauthorized", "unknown"),
        ];
        for (tok, body, status, code, needle) in cases {
            let (s, v) = h.upload(tok, body).await;
            assert_eq!(s, status, "{v}");
            assert_eq!(v["error"], code, "{v}");
            let msg = v["message"].as_str().unwrap();
            assert!(msg.contains(needle), "`{msg}` lacks `{needle}`");
        }
        // A field error names line and field, as the bundle reader does.
        let bad_hdr = text.replacen("\"hdr\":\"", "\"hdr\":\"Z", 1).into_bytes();
        let (s, v) = h.upload(Some(&token), bad_hdr).await;
        assert_eq!(s, 400);
        let msg = v["message"].as_str().unwrap();
        assert!(
            msg.starts_with("upload:") && msg.contains("field `hdr`"),
            "{msg}"
        );

        // Another vehicle's token may not upload this vehicle's bundle.
        let other = h.register("OTHERVEHICLE0001").await;
        let (s, v) = h.upload(Some(&other), bundle.clone()).await;
        assert_eq!(s, 403, "{v}");
        assert_eq!(v["error"], "vehicle_mismatch");

        let c = h.counts().await;
        assert_eq!((c.bundles, c.verdicts), (0, 0), "nothing stored");
        assert_eq!(
            h.get("/api/v1/campaigns/C-TEST/verdicts").await.1["count"],
            0
        );

        // Admin endpoints need the admin token.
        let r = h
            .client
            .post(h.url("/api/v1/vehicles"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"vin": "X"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let r = h
            .client
            .post(h.url("/api/v1/rules/reload"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let r = h
            .client
            .post(h.url("/api/v1/vehicles"))
            .bearer_auth(ADMIN)
            .json(&serde_json::json!({"vin": "a/b"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);

        // A fleet-side vehicle id in the manifest's `vehicle` field authorises as well.
        let fleet_token = h.register("FLEET-7").await;
        let (s, v) = h
            .upload(
                Some(&fleet_token),
                with_field(&bundle, "vehicle", "FLEET-7"),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(v["vin"], "FLEET-7");
        assert_eq!(
            h.get("/api/v1/vehicles/FLEET-7/verdicts").await.1["count"],
            1
        );

        // Rotating a token invalidates the old one.
        let rotated = h.register(&vin_of(&bundle)).await;
        assert_ne!(rotated, token);
        assert_eq!(h.upload(Some(&token), bundle.clone()).await.0, 401);
        assert_eq!(h.upload(Some(&rotated), bundle.clone()).await.0, 201);
        h.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_aggregation_and_evidence() {
    each_backend(|b| async move {
        let h = Harness::start(&b, |_| {}).await;
        let uploads = [
            ("flash_multi_ecu_one_fails", "C-A"),
            ("flash_negative_response", "C-A"),
            ("flash_response_timeout", "C-B"),
            ("deploy_response_timeout", "C-B"),
            ("healthy_update", "C-B"),
        ];
        let mut finding_of = std::collections::HashMap::new();
        for (name, campaign) in uploads {
            let bundle = with_field(&case(name), "campaign", campaign);
            let token = h.register(&vin_of(&bundle)).await;
            let (s, v) = h.upload(Some(&token), bundle).await;
            assert_eq!(s, 201, "{name}: {v}");
            finding_of.insert(name, v["findings"][0]["id"].as_i64());
        }
        assert_eq!(finding_of["healthy_update"], None);

        let (s, all) = h.get("/api/v1/fleet/causes").await;
        assert_eq!(s, 200);
        assert_eq!(all["total"], 4);
        let rows = all["rows"].as_array().unwrap();
        let has = |cause: &str, ecu: &str, version: &str, campaign: &str| {
            rows.iter().any(|r| {
                r["cause"] == cause
                    && r["ecu"] == ecu
                    && r["version"] == version
                    && r["campaign"] == campaign
                    && r["count"] == 1
            })
        };
        assert!(has("negative_response", "VCU", "1.4.0", "C-A"), "{all}");
        assert!(has("negative_response", "BCM", "2.1.0", "C-A"), "{all}");
        assert!(has("response_timeout", "BCM", "2.1.0", "C-B"), "{all}");
        assert!(has("response_timeout", "bcm-app", "2.1.0", "C-B"), "{all}");

        let (_, bcm) = h.get("/api/v1/fleet/causes?ecu=BCM&campaign=C-B").await;
        assert_eq!(bcm["total"], 1);
        assert_eq!(bcm["rows"][0]["cause"], "response_timeout");
        let (_, v14) = h.get("/api/v1/fleet/causes?version=1.4.0").await;
        assert_eq!(v14["total"], 1);
        let (_, future) = h.get("/api/v1/fleet/causes?from=2999-01-01").await;
        assert_eq!(future["total"], 0);
        let (_, past) = h
            .get("/api/v1/fleet/causes?from=2000-01-01&to=2999-01-01T00:00:00Z")
            .await;
        assert_eq!(past["total"], 4);
        let (s, bad) = h.get("/api/v1/fleet/causes?from=yesterday").await;
        assert_eq!(s, 400);
        assert!(bad["message"].as_str().unwrap().contains("from"));
        let (s, trend) = h.get("/api/v1/fleet/trend?bucket=hour").await;
        assert_eq!(s, 200);
        let sum: i64 = trend["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["count"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, 4);

        // Evidence of the VCU finding: the failing exchange is the focus, TransferData refused.
        let id = finding_of["flash_multi_ecu_one_fails"].unwrap();
        let (s, ev) = h.get(&format!("/api/v1/findings/{id}/evidence")).await;
        assert_eq!(s, 200, "{ev}");
        assert_eq!(ev["client_role"], "GW");
        assert_eq!(ev["server_role"], "ECU");
        let evidence = ev["finding"]["evidence"].as_array().unwrap();
        assert!(evidence.len() >= 2 && evidence.len() <= 13);
        let focus: Vec<&Value> = evidence.iter().filter(|e| e["focus"] == true).collect();
        assert_eq!(focus.len(), 2);
        assert!(
            focus[1]["hdr"].as_str().unwrap().starts_with("7F3672"),
            "{ev}"
        );
        let id = finding_of["deploy_response_timeout"].unwrap();
        let (_, ev) = h.get(&format!("/api/v1/findings/{id}/evidence")).await;
        assert_eq!(
            (ev["client_role"].as_str(), ev["server_role"].as_str()),
            (Some("TBOX"), Some("GW"))
        );
        assert!(ev["finding"]["measured"].is_string() && ev["finding"]["limit"].is_string());
        assert_eq!(h.get("/api/v1/findings/999999/evidence").await.0, 404);
        assert_eq!(h.get("/api/v1/nothing").await.0, 404);
        h.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_and_health_are_served() {
    let h = Harness::start(&Backend::Sqlite, |_| {}).await;
    let r = h.client.get(h.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    for id in ["id=\"view\"", "id=\"vehicle-search\"", "src=\"/app.js\""] {
        assert!(html.contains(id), "{id}");
    }
    let js = h
        .client
        .get(h.url("/app.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(js.contains("function sequenceSvg") && js.contains("fleet-causes"));
    let css = h.client.get(h.url("/app.css")).send().await.unwrap();
    assert_eq!(css.status(), 200);
    let (s, v) = h.get("/api/v1/health").await;
    assert_eq!(s, 200);
    assert_eq!(v["store"], "sqlite");
    assert_eq!(v["counts"]["bundles"], 0);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_declared_length_is_refused_before_the_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = Harness::start(&Backend::Sqlite, |o| o.max_bundle_bytes = 1024).await;
    let token = h.register("LSVCASE0000000019").await;
    let addr = h.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let req = format!(
        "POST /api/v1/bundles HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Length: 10485760\r\nExpect: 100-continue\r\n\r\n"
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        let mut chunk = [0u8; 4096];
        loop {
            let n = tcp.read(&mut chunk).await.unwrap_or(0);
            buf.extend_from_slice(&chunk[..n]);
            if n == 0 || String::from_utf8_lossy(&buf).contains("}") {
                break;
            }
        }
    });
    read.await.expect("answered without waiting for the body");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(!text.contains("100 Continue"), "{text}");
    assert!(text.contains("\"too_large\""), "{text}");
    assert_eq!(h.counts().await.bundles, 0);
    h.stop().await;
}
