//! Public captures recorded by others (`../shared/real-traces/`, see its SOURCES.md), analysed end
//! to end as a user would: capture → frames → messages → bundle → verdicts. Every file of a
//! supported format reads without error, and each pins what it decodes and what we conclude.
//!
//! The traces are not in this repository (their licences differ). Without the folder the tests
//! print a message and pass; `.ci/run` sets `OTADIAG_REQUIRE_REAL_TRACES=1`, which makes a
//! missing folder a failure. `OTADIAG_REAL_TRACES` may point at the folder.
//!
//! Message counts were cross-checked with TShark 4.0.17 (Debian 12):
//! - DoIP: `tshark -r F -Y uds -T fields -e uds.sid | wc -l` gives 21 (doip.pcap), 9
//!   (doip_functional_request.pcap), 2 (multiple_doip_layers.pcap), equal to ours; for
//!   doipPackets.pcapng TShark gives 0 because it takes the crafted diagnostic message for a TCP
//!   retransmission of the NACK segment before it (different bytes, same sequence numbers); we keep
//!   the first bytes seen for a range and decode one.
//! - SOME/IP: `tshark -r F --enable-heuristic someip_udp_heur --enable-heuristic someip_tcp_heur
//!   -Y someip -T fields -e someip.messageid | tr , '\n' | wc -l` gives 55, 55, 1810, 36, 3, 3 and
//!   2 segments (SomeIpTp.pcapng: first and last segment of one message, which we report as a
//!   SOME/IP-TP error instead of a message), equal to ours.
//! - ISO-TP: against SOURCES.md's per-file UDS counts (58 ecu_trace, 5377 candump_uds_scanner,
//!   6259 open3e …; crates/otadiag-decode/tests/real_traces.rs lists them); TShark 4.0 needs the ids
//!   as ISO-TP by hand (`-d can.id==0x7E2,iso15765`) and loses interleaved multi-frame transfers.
//!
//! Exchanges are ours alone (a request with its pending and final responses); the recorder counts
//! every message it could not place, with the reason, so records + not recorded = messages.

use otadiag::capture::analyze_captures;
use otadiag_engine::Mode;
use otadiag_model::report::BundleReport;
use otadiag_record::pipeline::Options;
use otadiag_record::Topology;
use std::path::{Path, PathBuf};

fn traces() -> Option<PathBuf> {
    let dir = std::env::var_os("OTADIAG_REAL_TRACES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/real-traces")
        });
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("OTADIAG_REQUIRE_REAL_TRACES").as_deref() == Ok("1") {
        panic!(
            "real traces required (OTADIAG_REQUIRE_REAL_TRACES=1) but not found at {}",
            dir.display()
        );
    }
    eprintln!("real traces not found at {}, skipping", dir.display());
    None
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn analyse(dir: &Path, file: &str, topology: Option<&str>) -> BundleReport {
    let rules = otadiag::embedded::load().expect("embedded rules load");
    let topology = match topology {
        Some(t) => Topology::load(&root().join("tests/topologies").join(t)).expect("topology"),
        None => Topology::default(),
    };
    let opts = Options {
        topology,
        strict: true,
    };
    analyze_captures(&rules, &[dir.join(file)], &opts, Mode::First)
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// (file, topology, ISO-TP messages, DoIP messages, SOME/IP messages, records, exchanges,
/// verdict, transport findings listed)
type Row = (
    &'static str,
    Option<&'static str>,
    u64,
    u64,
    u64,
    u64,
    usize,
    &'static str,
    usize,
);

#[rustfmt::skip]
const PINNED: &[Row] = &[
    ("CANBUSlogs/fuelpumponoff.trc", None, 861, 0, 0, 861, 431, "success", 0),
    ("EcuBus-Pro/EngineDiagData.asc", Some("engine_diag_data.toml"), 32, 0, 0, 32, 0, "success", 0),
    ("PcapPlusPlus/IPV4UDPSomeIP.pcapng", None, 0, 0, 36, 0, 0, "success", 0),
    ("PcapPlusPlus/SomeIpSd.pcapng", None, 0, 0, 3, 0, 0, "success", 0),
    ("PcapPlusPlus/SomeIpTp.pcapng", None, 0, 0, 0, 0, 0, "success", 1),
    ("PcapPlusPlus/doipPackets.pcapng", None, 0, 1, 0, 1, 1, "success", 3),
    ("PcapPlusPlus/someip.pcapng", None, 0, 0, 3, 0, 0, "success", 0),
    ("chipmunk/tcp/someip.pcapng", None, 0, 0, 55, 0, 0, "success", 0),
    ("chipmunk/udp/someip.pcap", None, 0, 0, 55, 0, 0, "success", 0),
    ("dparnishchev.github.io/challenge3.log", None, 75, 0, 0, 75, 38, "failure", 0),
    ("open3e/candump.log", None, 6259, 0, 0, 6248, 3234, "success", 200),
    ("scapy/candump_gmlan_scanner.log", Some("candump_gmlan_scanner.toml"), 3595, 0, 0, 3595, 0, "success", 0),
    ("scapy/candump_gmlan_scanner.pcap", Some("candump_gmlan_scanner.toml"), 3595, 0, 0, 3595, 0, "success", 0),
    ("scapy/candump_uds_scanner.pcap", None, 5377, 0, 0, 5377, 2698, "success", 200),
    ("scapy/doip.pcap", None, 0, 21, 0, 21, 10, "success", 3),
    ("scapy/doip_ack.pcap", None, 0, 0, 0, 0, 0, "success", 0),
    ("scapy/doip_functional_request.pcap", None, 0, 9, 0, 8, 8, "success", 0),
    ("scapy/ecu_trace.pcap", Some("ecu_trace.toml"), 58, 0, 0, 58, 34, "failure", 0),
    ("scapy/gmlan_trace.candump", Some("gmlan_trace.toml"), 102, 0, 0, 102, 0, "success", 36),
    ("scapy/gmlan_trace.pcap", Some("gmlan_trace.toml"), 102, 0, 0, 102, 0, "success", 36),
    ("scapy/multiple_doip_layers.pcap", None, 0, 2, 0, 2, 1, "success", 0),
    ("someip-firewall/error_on_error_dataset.pcap", None, 0, 0, 1810, 0, 0, "success", 0),
    ("t0night/ecu_can_log.asc", None, 216, 0, 0, 216, 77, "success", 0),
    ("talking-with-cars/test_bf_abs_ecu.log", None, 4317, 0, 0, 4317, 3989, "success", 1),
    ("talking-with-cars/test_kwp_all_seeds.log", None, 490, 0, 0, 414, 234, "success", 0),
];

#[test]
fn every_real_trace_reads_and_gives_its_pinned_figures() {
    let Some(dir) = traces() else { return };
    let mut wrong = Vec::new();
    for &(file, topo, isotp, doip, someip, records, exchanges, verdict, transport) in PINNED {
        let r = analyse(&dir, file, topo);
        let c = r.capture.as_ref().expect("capture summary");
        let m = |t: &str| c.messages.get(t).copied().unwrap_or(0);
        let got = (
            m("isotp"),
            m("doip"),
            m("someip"),
            c.records,
            r.units.iter().map(|u| u.exchanges).sum::<usize>(),
            r.verdict.as_str(),
            r.transport.len(),
        );
        let want = (isotp, doip, someip, records, exchanges, verdict, transport);
        assert_eq!(c.skipped, 0, "{file}: skipped {:?}", c.skipped_examples);
        if got != want {
            wrong.push(format!("{file}: got {got:?}, pinned {want:?}"));
        }
        // Every decoded message is recorded or counted with its reason.
        let not: u64 = c
            .not_recorded
            .iter()
            .filter(|(why, _)| !why.contains("transport findings") && !why.contains("invalid PCI"))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(
            c.records + not,
            m("isotp") + m("doip") + m("someip"),
            "{file}: {:?}",
            c.not_recorded
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn unit<'r>(r: &'r BundleReport, name: &str) -> &'r otadiag_model::report::UnitReport {
    r.units
        .iter()
        .find(|u| u.unit == name)
        .unwrap_or_else(|| panic!("no unit {name}: {r:#?}"))
}

#[test]
fn the_complete_real_flashes_are_reported_complete() {
    let Some(dir) = traces() else { return };
    // CANoe trace of a whole programming sequence with pending responses (SOURCES.md).
    let r = analyse(&dir, "t0night/ecu_can_log.asc", None);
    let u = unit(&r, "ECU_7B0");
    assert_eq!(r.verdict, "success");
    let detail = u.result_detail.as_deref().unwrap_or_default();
    assert!(detail.contains("sequence complete"), "{detail}");
    // RAMN reflash: every TransferData block sent and acknowledged, the exit answered, then the
    // final dependency check 31 01 FF01 got no answer before the log ends.
    let r = analyse(&dir, "dparnishchev.github.io/challenge3.log", None);
    let u = unit(&r, "ECU_7EA");
    assert!(
        u.progress
            .iter()
            .any(|p| p.contains("reached check programming dependencies (31 01 FF01)")),
        "{:?}",
        u.progress
    );
    let detail = u.result_detail.as_deref().unwrap_or_default();
    assert!(
        detail.contains("RoutineControl (0x31) to 0x7EA was never answered"),
        "{detail}"
    );
}

#[test]
fn the_interrupted_real_flash_is_reported_stopped_after_request_download() {
    let Some(dir) = traces() else { return };
    let r = analyse(&dir, "scapy/ecu_trace.pcap", Some("ecu_trace.toml"));
    let u = unit(&r, "ECU_77A");
    assert_eq!(r.verdict, "failure");
    assert_eq!(
        u.result_detail.as_deref(),
        Some("TransferData (36) was never sent after RequestDownload (34); UDS reprogramming sequence: reached RequestDownload (34) (step 11 of 17)")
    );
}

#[test]
fn gmlan_and_kwp2000_are_recognised_not_reported_as_failed_uds_flashes() {
    let Some(dir) = traces() else { return };
    for (file, topo, transport) in [
        ("scapy/gmlan_trace.pcap", "gmlan_trace.toml", "gmlan"),
        ("scapy/gmlan_trace.candump", "gmlan_trace.toml", "gmlan"),
        (
            "scapy/candump_gmlan_scanner.log",
            "candump_gmlan_scanner.toml",
            "gmlan",
        ),
        (
            "EcuBus-Pro/EngineDiagData.asc",
            "engine_diag_data.toml",
            "kwp2000",
        ),
    ] {
        let r = analyse(&dir, file, Some(topo));
        assert_eq!(r.verdict, "success", "{file}");
        assert!(
            r.notes
                .iter()
                .any(|n| n.contains(&format!("over `{transport}`"))),
            "{file}: {:?}",
            r.notes
        );
    }
}
