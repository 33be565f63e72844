//! Decodes every public capture in shared/real-traces and pins the message counts per transport
//! (cross-checked against shared/real-traces/SOURCES.md).
use std::path::{Path, PathBuf};

use otadiag_capture::detect;
use otadiag_decode::{Collector, DecodeConfig, Decoder, EventKind, IdFilter, Stats};

fn traces_dir() -> Option<PathBuf> {
    // OTADIAG_REAL_TRACES overrides the folder beside the repository.
    let dir = std::env::var_os("OTADIAG_REAL_TRACES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/real-traces"
            ))
        });
    if dir.is_dir() {
        Some(dir)
    } else if std::env::var("OTADIAG_REQUIRE_REAL_TRACES").as_deref() == Ok("1") {
        panic!(
            "{} is missing and OTADIAG_REQUIRE_REAL_TRACES=1",
            dir.display()
        );
    } else {
        eprintln!("skipping: {} not found", dir.display());
        None
    }
}

/// Decodes one file; returns the stats and the collected output.
fn decode(path: &Path) -> (Stats, Collector) {
    decode_with(path, config_for(path))
}

/// Settings per capture: the default filter, except for traces whose diagnostic ids lie outside
/// 0x600–0x7FF (as SOURCES.md describes them).
fn config_for(path: &Path) -> DecodeConfig {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.starts_with("gmlan_trace") || name.starts_with("candump_gmlan") {
        // GMLAN: tester 0x241, ECU 0x641, functional 0x101 with extended addressing (0xFE)
        // The timestamps of these files are 1000x too large (ms written as s: CFs with STmin 1 ms
        // are 5 "s" apart, yet every TransferData is acknowledged), so the ISO-TP timers are
        // scaled accordingly.
        DecodeConfig {
            isotp_ids: IdFilter::Ids(vec![0x241, 0x641, 0x101]),
            extended_addressing_ids: vec![0x101],
            n_bs_ms: 1_000_000,
            n_cr_ms: 1_000_000,
            ..DecodeConfig::default()
        }
    } else if name == "EngineDiagData.asc" {
        DecodeConfig {
            isotp_ids: IdFilter::Pairs(vec![(0x200, 0x400)]),
            ..DecodeConfig::default()
        }
    } else {
        DecodeConfig::default()
    }
}

fn decode_with(path: &Path, cfg: DecodeConfig) -> (Stats, Collector) {
    let mut reader = detect::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut dec = Decoder::new(cfg);
    let mut out = Collector::default();
    loop {
        match reader.next_frame() {
            Ok(Some(f)) => dec.push(&f, &mut out),
            Ok(None) => break,
            Err(e) if !e.fatal => continue,
            Err(e) => panic!("{e}"),
        }
    }
    dec.finish(&mut out);
    (dec.stats().clone(), out)
}

/// (file, messages [ISO-TP, DoIP, SOME/IP-UDP, SOME/IP-TCP], events as "name=count", sorted).
/// Cross-checks: SOURCES.md counts where it gives them (noted), tshark for the Ethernet files.
const PINNED: &[(&str, [u64; 4], &[&str])] = &[
    // ~420 RDBI + IOCBI exchanges, all positive
    ("CANBUSlogs/fuelpumponoff.trc", [861, 0, 0, 0], &[]),
    // KWP2000 on 0x200/0x400 (36 frames; the 1A 90 answer is multi-frame)
    ("EcuBus-Pro/EngineDiagData.asc", [32, 0, 0, 0], &[]),
    // tshark: 27 SD + 9 notifications on 31000; the RTPS (DDS) frames are not SOME/IP
    ("PcapPlusPlus/IPV4UDPSomeIP.pcapng", [0, 0, 36, 0], &[]),
    ("PcapPlusPlus/SomeIpSd.pcapng", [0, 0, 3, 0], &[]),
    // only the first (offset 0) and the last (offset 91872) segment are in the file
    (
        "PcapPlusPlus/SomeIpTp.pcapng",
        [0, 0, 0, 0],
        &["someip_tp_error=1"],
    ),
    // crafted: frames 2, 18 and 20 reuse the sequence numbers of frames 1 and 11 with other
    // content, so TCP treats them as retransmissions (first bytes win); frame 20 adds one byte
    (
        "PcapPlusPlus/doipPackets.pcapng",
        [0, 1, 0, 0],
        &[
            "doip_diag_nack=1",
            "doip_header_nack=1",
            "doip_other=11",
            "doip_routing_activation=1",
            "doip_routing_activation_response=1",
            "doip_vehicle_announcement=1",
            "tcp_incomplete_message=1",
        ],
    ),
    // one request over TCP, two packed into one UDP datagram
    ("PcapPlusPlus/someip.pcapng", [0, 0, 2, 1], &[]),
    // SOURCES: 55 frames each: 33 SD + 22 notifications
    ("chipmunk/tcp/someip.pcapng", [0, 0, 0, 55], &[]),
    ("chipmunk/udp/someip.pcap", [0, 0, 55, 0], &[]),
    ("dparnishchev.github.io/challenge3.log", [75, 0, 0, 0], &[]),
    // SOURCES: 3245 requests + 196 positive + 1916 + 902 negative = 6259; the tester never sends a
    // flow control for 229 multi-frame answers, the ECU gives up and answers the next request
    (
        "open3e/candump.log",
        [6259, 0, 0, 0],
        &["isotp_timeout_bs=229"],
    ),
    ("scapy/candump_gmlan_scanner.log", [3595, 0, 0, 0], &[]),
    ("scapy/candump_gmlan_scanner.pcap", [3595, 0, 0, 0], &[]),
    // SOURCES: 5377 UDS messages; the scanner's FF probes (one per id 0x600-0x6FF) never continue
    (
        "scapy/candump_uds_scanner.pcap",
        [5377, 0, 0, 0],
        &["isotp_timeout_bs=257", "isotp_timeout_cr=2"],
    ),
    // SOURCES: 22 x 0x8001, one of them a 4-byte UDP payload without user data (malformed)
    (
        "scapy/doip.pcap",
        [0, 21, 0, 0],
        &[
            "doip_bad_header=1",
            "doip_diag_ack=9",
            "doip_header_nack=2",
            "doip_other=11",
            "doip_routing_activation=7",
            "doip_routing_activation_response=6",
            "doip_vehicle_announcement=115",
        ],
    ),
    ("scapy/doip_ack.pcap", [0, 0, 0, 0], &["doip_diag_ack=1"]),
    // SOURCES: one functional 3E 00, eight ECUs answer
    (
        "scapy/doip_functional_request.pcap",
        [0, 9, 0, 0],
        &[
            "doip_diag_ack=1",
            "doip_routing_activation=1",
            "doip_routing_activation_response=1",
        ],
    ),
    // SOURCES: 58 UDS messages
    ("scapy/ecu_trace.pcap", [58, 0, 0, 0], &[]),
    ("scapy/gmlan_trace.candump", [138, 0, 0, 0], &[]),
    ("scapy/gmlan_trace.pcap", [138, 0, 0, 0], &[]),
    // SOURCES: alive check response + RDBI request + response in one TCP segment
    (
        "scapy/multiple_doip_layers.pcap",
        [0, 2, 0, 0],
        &["doip_other=1"],
    ),
    // SOURCES: 1810 frames, one message each
    (
        "someip-firewall/error_on_error_dataset.pcap",
        [0, 0, 1810, 0],
        &[],
    ),
    ("t0night/ecu_can_log.asc", [216, 0, 0, 0], &[]),
    // the ECU's only multi-frame answer gets a flow control, then the ECU starts a new answer
    (
        "talking-with-cars/test_bf_abs_ecu.log",
        [4317, 0, 0, 0],
        &["isotp_unexpected_frame=1"],
    ),
    (
        "talking-with-cars/test_kwp_all_seeds.log",
        [490, 0, 0, 0],
        &[],
    ),
];

fn event_names(s: &Stats) -> Vec<String> {
    let mut ev: Vec<String> = (0..EventKind::COUNT)
        .filter(|&i| s.events[i] > 0)
        .map(|i| format!("{}={}", EventKind::name_of(i), s.events[i]))
        .collect();
    ev.sort();
    ev
}

#[test]
fn message_counts_are_pinned() {
    let Some(dir) = traces_dir() else { return };
    let mut failures = Vec::new();
    for (file, messages, events) in PINNED {
        let (s, _) = decode(&dir.join(file));
        let ev = event_names(&s);
        if s.messages != *messages || ev != *events {
            failures.push(format!(
                "{file}: messages {:?} events {ev:?} (pinned {messages:?} {events:?})",
                s.messages
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Message contents that SOURCES.md describes.
#[test]
fn contents_match_sources() {
    let Some(dir) = traces_dir() else { return };
    let count = |out: &Collector, prefix: &[u8]| {
        out.messages
            .iter()
            .filter(|m| m.data.starts_with(prefix))
            .count()
    };
    // RAMN flash: 28 TransferData blocks, 27 of 4090 bytes (FF length 0xFFA) and the last of
    // 2522 (27 * 4088 + 2520 = 0x1B900, the RequestDownload size)
    let (_, out) = decode(&dir.join("dparnishchev.github.io/challenge3.log"));
    let td = |len: u32| {
        out.messages
            .iter()
            .filter(|m| m.data.first() == Some(&0x36) && m.len == len)
            .count()
    };
    assert_eq!((td(0xFFA), td(2522)), (27, 1));
    // CANoe flash: 64 TransferData (2 + 128 bytes), each answered 7F 36 78 first
    let (_, out) = decode(&dir.join("t0night/ecu_can_log.asc"));
    assert_eq!(
        out.messages
            .iter()
            .filter(|m| m.data.first() == Some(&0x36) && m.len == 130)
            .count(),
        64
    );
    assert_eq!(count(&out, &[0x7F, 0x36, 0x78]), 64);
    // VW ECU: reflash sequence with 4 x 7F 31 78
    let (_, out) = decode(&dir.join("scapy/ecu_trace.pcap"));
    assert_eq!(out.messages[0].data, [0x10, 0x03]);
    assert_eq!(count(&out, &[0x7F, 0x31, 0x78]), 4);
    // brute force: 314 x 7F 22 31
    let (_, out) = decode(&dir.join("talking-with-cars/test_bf_abs_ecu.log"));
    assert_eq!(count(&out, &[0x7F, 0x22, 0x31]), 314);
    // KWP seeds: 7F 10 21 x 6, 7F 27 11 x 15
    let (_, out) = decode(&dir.join("talking-with-cars/test_kwp_all_seeds.log"));
    assert_eq!(count(&out, &[0x7F, 0x10, 0x21]), 6);
    assert_eq!(count(&out, &[0x7F, 0x27, 0x11]), 15);
    // SOME/IP errors: 320 ERROR (0x81) messages
    let (_, out) = decode(&dir.join("someip-firewall/error_on_error_dataset.pcap"));
    assert_eq!(
        out.messages
            .iter()
            .filter(|m| m.data.get(14) == Some(&0x81))
            .count(),
        320
    );
    // GMLAN programming: multi-frame TransferData, each acknowledged 76, then the single-frame
    // 36 80 (download and execute). SOURCES.md says 37 transfers, but the file holds 36 first
    // frames on 0x241 (`grep -c '241#10'`), all 36 complete.
    let (_, out) = decode(&dir.join("scapy/gmlan_trace.candump"));
    assert_eq!(
        out.messages
            .iter()
            .filter(|m| m.data.first() == Some(&0x36) && m.len > 7)
            .count(),
        36
    );
    assert_eq!(
        out.messages
            .iter()
            .filter(|m| m.data.starts_with(&[0x36, 0x80]))
            .count(),
        1
    );
}

/// `OTADIAG_DUMP=<file> cargo test --test real_traces dump -- --ignored --nocapture` prints
/// every message and event of one capture.
#[test]
#[ignore]
fn dump() {
    let Ok(p) = std::env::var("OTADIAG_DUMP") else {
        return;
    };
    let (_, out) = decode(Path::new(&p));
    for m in &out.messages {
        let hex: String = m
            .data
            .iter()
            .take(24)
            .map(|b| format!("{b:02X} "))
            .collect();
        println!(
            "MSG {:?} {:?} {:?}->{:?} doip={:?} len={} {hex}",
            m.ts, m.transport, m.src, m.dst, m.doip, m.len
        );
    }
    for e in &out.events {
        println!(
            "EV {:?} {:?} {:?}->{:?} {:?}: {}",
            e.ts, e.kind, e.src, e.dst, e.doip, e.detail
        );
    }
}
