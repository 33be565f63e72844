//! Engine throughput: one header-only UDS reflash of about 1,000,000 records, analysed with the
//! full shipped rule set (`rules/`). The flash is healthy but reported as failed, so the engine
//! analyses it; in `all` mode every check runs on every exchange. Criterion reports elements/s,
//! one element = one record (message). See docs/PERFORMANCE.md.
//!
//! Run: `cargo bench -p otadiag-engine --bench engine`

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use otadiag_engine::Mode;
use otadiag_model::{Bundle, Dir, Manifest, Recorder, Stage, Task, UnitOutcome, UnitResult};
use otadiag_rules::RuleSet;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

/// TransferData blocks; the prologue and epilogue add 19 records, so 2 × 499_990 + 19 = 999_999.
const BLOCKS: usize = 499_990;
const TESTER: u32 = 0x0E80;
const ECU: u32 = 0x1A01;
const MS: i64 = 1_000_000;

fn rules() -> RuleSet {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    match otadiag_rules::load_dir(&dir) {
        Ok(r) => r,
        Err(e) => panic!("shipped rules do not load:\n{}", e.render()),
    }
}

/// Appends request/response pairs: each response 5 ms after its request, the next request 1 ms
/// after the last response.
struct Stream {
    bundle: Bundle,
    ts: i64,
}

impl Stream {
    fn msg(&mut self, dir: Dir, hdr: &[u8], len: u32) {
        let (src, dst) = if dir == Dir::Request {
            (TESTER, ECU)
        } else {
            (ECU, TESTER)
        };
        self.bundle.push_record(
            Stage::Flash,
            "BCM",
            "gw",
            "doip",
            dir,
            self.ts,
            src,
            dst,
            hdr,
            len,
        );
    }

    /// A request and its responses (pending ones first); returns after the last response.
    fn exchange(&mut self, req: &[u8], req_len: u32, rsps: &[(&[u8], u32)]) {
        self.msg(Dir::Request, req, req_len);
        for (hdr, len) in rsps {
            self.ts += 5 * MS;
            self.msg(Dir::Response, hdr, *len);
        }
        self.ts += MS;
    }
}

fn stream() -> Bundle {
    let manifest = Manifest {
        version: 1,
        vin: "LSVBENCH000000001".into(),
        campaign: "C-BENCH".into(),
        task: "bench_flash".into(),
        recorders: vec![Recorder {
            id: "gw".into(),
            role: "GW".into(),
            software: "bench".into(),
        }],
        tasks: vec![Task {
            ecu: "BCM".into(),
            address: Some(ECU),
            package: "bcm-app".into(),
            version: "2.1.0".into(),
            from_version: Some("2.0.3".into()),
            transport: Some("doip".into()),
        }],
        ..Manifest::default()
    };
    let mut s = Stream {
        bundle: Bundle::new("bench:flash", manifest),
        ts: 1_000 * MS,
    };
    s.bundle.results.push(UnitResult {
        stage: Stage::Flash,
        unit: "BCM".into(),
        result: UnitOutcome::Failure,
        detail: None,
    });
    s.bundle.records.reserve(2 * BLOCKS + 19);
    s.bundle.headers.reserve(18 * BLOCKS + 128);

    // Prologue: extended session, programming session (with one pending), seed/key, erase,
    // RequestDownload granting maxNumberOfBlockLength 0x0FFA = 4090.
    s.exchange(
        &[0x10, 0x03],
        2,
        &[(&[0x50, 0x03, 0x00, 0x32, 0x01, 0xF4], 6)],
    );
    s.exchange(
        &[0x10, 0x02],
        2,
        &[
            (&[0x7F, 0x10, 0x78], 3),
            (&[0x50, 0x02, 0x00, 0x32, 0x01, 0xF4], 6),
        ],
    );
    s.exchange(
        &[0x27, 0x11],
        2,
        &[(&[0x67, 0x11, 0x7E, 0x97, 0x4D, 0x1E], 6)],
    );
    s.exchange(
        &[0x27, 0x12, 0x44, 0x17, 0xCD, 0x24],
        6,
        &[(&[0x67, 0x12], 2)],
    );
    let erase = [
        0x31, 0x01, 0xFF, 0x00, 0x44, 0x08, 0x00, 0x00, 0x00, 0x00, 0x12, 0xB2, 0xB8,
    ];
    s.exchange(&erase, 13, &[(&[0x71, 0x01, 0xFF, 0x00, 0x00], 5)]);
    let download = [
        0x34, 0x00, 0x44, 0x08, 0x00, 0x00, 0x00, 0x00, 0x12, 0xB2, 0xB8,
    ];
    s.exchange(&download, 11, &[(&[0x74, 0x20, 0x0F, 0xFA], 4)]);

    // TransferData: 4090-byte requests keeping 16 header bytes, counter 01, 02, … FF, 00, …
    let mut req = [0xAA_u8; 16];
    req[0] = 0x36;
    for i in 0..BLOCKS {
        let bsc = ((i + 1) % 256) as u8;
        req[1] = bsc;
        s.exchange(&req, 4090, &[(&[0x76, bsc], 2)]);
    }

    // Epilogue: exit, dependency check, hard reset.
    s.exchange(&[0x37], 1, &[(&[0x77], 1)]);
    s.exchange(
        &[0x31, 0x01, 0xFF, 0x01],
        4,
        &[(&[0x71, 0x01, 0xFF, 0x01, 0x00], 5)],
    );
    s.exchange(&[0x11, 0x01], 2, &[(&[0x51, 0x01], 2)]);

    let stop = s.ts + 100 * MS;
    s.bundle.stop.insert("gw".into(), stop);
    s.bundle
}

fn bench(c: &mut Criterion) {
    let rules = rules();
    let bundle = stream();
    let records = bundle.records.len() as u64;

    // Once, untimed: the healthy stream must not produce a finding in either mode.
    for mode in [Mode::All, Mode::First] {
        let report = otadiag_engine::analyze(&rules, &bundle, mode);
        let unit = report
            .units
            .iter()
            .find(|u| u.unit == "BCM" && u.stage == Stage::Flash)
            .expect("BCM unit");
        assert!(unit.analysed, "BCM was not analysed: {report:#?}");
        assert_eq!(unit.records as u64, records);
        if !unit.findings.is_empty() {
            eprintln!(
                "{mode:?}: {} finding(s) on a healthy flash:",
                unit.findings.len()
            );
            for f in &unit.findings {
                eprintln!("{f:#?}");
            }
            panic!("a shipped rule fires on a healthy flash ({mode:?} mode)");
        }
        eprintln!(
            "stream: {records} records, {} exchanges, {} not applicable checks, 0 findings ({mode:?})",
            unit.exchanges, unit.not_applicable
        );
    }

    let mut g = c.benchmark_group("analyze");
    g.throughput(Throughput::Elements(records));
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(2));
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("uds_flash_1M/all", |b| {
        b.iter(|| otadiag_engine::analyze(&rules, black_box(&bundle), Mode::All))
    });
    g.bench_function("uds_flash_1M/first", |b| {
        b.iter(|| otadiag_engine::analyze(&rules, black_box(&bundle), Mode::First))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
