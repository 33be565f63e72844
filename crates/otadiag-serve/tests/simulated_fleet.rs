//! A simulated fleet through the service: every vehicle of a fault-injecting campaign uploads its
//! bundle, and the fleet view must show exactly the causes the simulator injected (its ground
//! truth), per cause and per ECU/package — upload, analysis, storage and aggregation end to end.

mod common;

use common::{backends, Harness};
use otadiag_sim::{simulate_vehicle, FaultSpec, Scenario};
use std::collections::BTreeMap;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_view_shows_the_injected_causes() {
    for backend in backends() {
        let h = Harness::start(&backend, |_| {}).await;
        let sc = Scenario {
            vehicles: 24,
            seed: 11,
            campaign: "C-SIM".into(),
            ..Scenario::default()
        };
        let specs = vec![FaultSpec::parse("any:0.6").expect("fault spec")];
        let mut want: BTreeMap<String, i64> = BTreeMap::new();
        for i in 0..u64::from(sc.vehicles) {
            let v = simulate_vehicle(&sc, &specs, i);
            let mut bytes = Vec::new();
            otadiag_model::write::write_bundle(&v.bundle, &mut bytes).expect("bundle writes");
            let token = h.register(&v.bundle.manifest.vin).await;
            let (status, body) = h.upload(Some(&token), bytes).await;
            assert_eq!(status, 201, "vehicle {i}: {body}");
            for u in v.truth.failed() {
                *want
                    .entry(u.cause.clone().expect("a failed unit has a cause"))
                    .or_default() += 1;
            }
        }
        assert!(
            want.len() >= 4,
            "the campaign should inject several causes: {want:?}"
        );
        let (status, all) = h.get("/api/v1/fleet/causes?campaign=C-SIM").await;
        assert_eq!(status, 200, "{all}");
        let mut got: BTreeMap<String, i64> = BTreeMap::new();
        for row in all["rows"].as_array().expect("rows") {
            *got.entry(row["cause"].as_str().expect("cause").to_string())
                .or_default() += row["count"].as_i64().expect("count");
        }
        assert_eq!(
            got, want,
            "fleet causes differ from the injected ones ({backend:?})"
        );
        h.stop().await;
    }
}
