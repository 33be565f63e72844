//! The binary readers against real public pcap/pcapng traces (see shared/real-traces/SOURCES.md).
//! Every count and time below was cross-checked with tshark; the command is beside each number.

use std::collections::BTreeSet;
use std::path::PathBuf;

use otadiag_capture::{pcap, FrameReader, FrameRef, Link};

fn traces() -> Option<PathBuf> {
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
        return Some(dir);
    }
    if std::env::var("OTADIAG_REQUIRE_REAL_TRACES").as_deref() == Ok("1") {
        panic!("real traces not found at {}", dir.display());
    }
    eprintln!("real traces not found at {}, skipping", dir.display());
    None
}

/// What one pass over a file saw.
#[derive(Debug, Default)]
struct Seen {
    frames: usize,
    first_ts: i64,
    last_ts: i64,
    /// Sum of the captured lengths of packet frames.
    packet_bytes: usize,
    links: BTreeSet<String>,
    can_ids: BTreeSet<u32>,
    first_can_id: Option<u32>,
    can_data: Vec<Vec<u8>>,
}

fn read(dir: &std::path::Path, rel: &str) -> Seen {
    let path = dir.join(rel);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut r = pcap::Reader::new(rel, file).unwrap_or_else(|e| panic!("{e}"));
    let mut s = Seen::default();
    while let Some(f) = r.next_frame().unwrap_or_else(|e| panic!("{e}")) {
        let ts = f.ts().expect("pcap frames have timestamps");
        if s.frames == 0 {
            s.first_ts = ts;
        }
        s.last_ts = ts;
        s.frames += 1;
        match f {
            FrameRef::Can {
                id, data, flags, ..
            } => {
                assert!(!flags.fd && !flags.error && !flags.extended, "{rel}: {f:?}");
                s.first_can_id.get_or_insert(id);
                s.can_ids.insert(id);
                if s.can_data.len() < 3 {
                    s.can_data.push(data.to_vec());
                }
                s.links.insert("can".into());
            }
            FrameRef::Packet {
                link,
                data,
                orig_len,
                ..
            } => {
                assert!(data.len() <= orig_len as usize);
                s.packet_bytes += data.len();
                s.links.insert(format!("{link:?}"));
                assert_eq!(link, Link::Ethernet, "{rel}");
            }
        }
    }
    assert!(r.bytes_read() > 0);
    s
}

/// Checks an Ethernet capture: frame count, first/last timestamp (ns), sum of captured lengths.
fn eth(rel: &str, frames: usize, first: i64, last: i64, bytes: usize) {
    let Some(dir) = traces() else { return };
    let s = read(&dir, rel);
    assert_eq!(
        (s.frames, s.first_ts, s.last_ts, s.packet_bytes),
        (frames, first, last, bytes),
        "{rel}"
    );
}

// Numbers: `tshark -r F | wc -l`; times: `tshark -r F -T fields -e frame.time_epoch` (first,
// last line); bytes: `tshark -r F -T fields -e frame.cap_len | paste -sd+ | bc`.

#[test]
fn scapy_doip() {
    eth(
        "scapy/doip.pcap",
        172,
        1_606_230_281_920_332_000,
        1_606_231_213_098_583_000,
        13212,
    );
    eth(
        "scapy/doip_ack.pcap",
        1,
        1_644_507_988_664_326_000,
        1_644_507_988_664_326_000,
        70,
    );
    eth(
        "scapy/doip_functional_request.pcap",
        27,
        1_728_571_469_659_727_000,
        1_728_571_470_592_681_000,
        1969,
    );
    eth(
        "scapy/multiple_doip_layers.pcap",
        2,
        1_689_228_698_000_890_000,
        1_689_228_698_005_161_000,
        244,
    );
}

#[test]
fn chipmunk_someip() {
    eth(
        "chipmunk/udp/someip.pcap",
        55,
        1_683_656_786_972_964_000,
        1_683_656_796_996_925_000,
        4818,
    );
    eth(
        "chipmunk/tcp/someip.pcapng",
        55,
        1_683_656_786_972_964_000,
        1_683_656_796_996_925_000,
        5478,
    );
}

#[test]
fn someip_firewall() {
    let f = "someip-firewall/error_on_error_dataset.pcap";
    eth(
        f,
        1810,
        1_715_076_403_159_065_000,
        1_715_076_405_465_230_000,
        123_615,
    );
}

#[test]
fn pcapplusplus() {
    // These carry if_tsresol 10^-9 (sub-µs digits below).
    eth(
        "PcapPlusPlus/IPV4UDPSomeIP.pcapng",
        68,
        1_651_417_058_734_182_893,
        1_651_417_076_081_783_883,
        9300,
    );
    eth(
        "PcapPlusPlus/SomeIpSd.pcapng",
        3,
        1_665_497_288_000_001_000,
        1_665_497_288_000_003_000,
        455,
    );
    eth(
        "PcapPlusPlus/SomeIpTp.pcapng",
        2,
        1_663_137_178_000_001_000,
        1_663_137_178_000_002_000,
        1749,
    );
    eth(
        "PcapPlusPlus/doipPackets.pcapng",
        20,
        1_748_735_170_984_604_094,
        1_748_735_170_988_229_768,
        1267,
    );
    eth(
        "PcapPlusPlus/someip.pcapng",
        2,
        1_662_906_771_000_001_000,
        1_662_906_771_000_002_000,
        263,
    );
}

/// Checks a CAN capture: frame count, first/last timestamp, first id, the set of ids.
fn can(
    rel: &str,
    frames: usize,
    first: i64,
    last: i64,
    first_id: u32,
    ids: &[u32],
) -> Option<Seen> {
    let dir = traces()?;
    let s = read(&dir, rel);
    assert_eq!(
        (s.frames, s.first_ts, s.last_ts),
        (frames, first, last),
        "{rel}"
    );
    assert_eq!(s.links.iter().collect::<Vec<_>>(), ["can"], "{rel}");
    assert_eq!(s.first_can_id, Some(first_id), "{rel}");
    if !ids.is_empty() {
        assert_eq!(s.can_ids.iter().copied().collect::<Vec<_>>(), ids, "{rel}");
    }
    Some(s)
}

#[test]
fn ecu_trace_cooked_can() {
    // pcapng, LINKTYPE_LINUX_SLL, protocol 0x000C, ids little-endian.
    // `tshark -r scapy/ecu_trace.pcap -T fields -e can.id | sort -u` → 1792 1808 1914 1917
    let first = 1_539_006_519_395_399_000; // frame.time_epoch, first line
    let last = 1_539_006_539_570_462_000; // last line
    can(
        "scapy/ecu_trace.pcap",
        141,
        first,
        last,
        0x710,
        &[0x700, 0x710, 0x77A, 0x77D],
    );
}

#[test]
fn gmlan_trace_little_endian_socketcan() {
    // DLT 227 written by old scapy with little-endian ids; plain tshark decodes them big-endian
    // (wrongly). Ids cross-checked with `tshark -o can.byte_swap:TRUE -r scapy/gmlan_trace.pcap
    // -T fields -e can.id | sort -u` (24 ids) and the candump twin:
    // `awk '{print $3}' scapy/gmlan_trace.candump | cut -d'#' -f1 | sort -u`.
    // The first frame is 0x12A (`head -1 gmlan_trace.candump`; bytes 2a 01 00 00 at offset 40),
    // the second 0x1E1 (SOURCES.md calls 0x1E1 the first).
    let ids = [
        0x0F1, 0x101, 0x120, 0x12A, 0x135, 0x137, 0x139, 0x140, 0x160, 0x1E1, 0x1F1, 0x1F3, 0x241,
        0x32A, 0x3C9, 0x3F1, 0x451, 0x4C5, 0x4E1, 0x4E9, 0x514, 0x52A, 0x530, 0x641,
    ];
    // 1087 = `tshark -r scapy/gmlan_trace.pcap | wc -l` = `wc -l < gmlan_trace.candump`;
    // times 0.297000000 / 4951.645000000 from frame.time_epoch.
    let Some(s) = can(
        "scapy/gmlan_trace.pcap",
        1087,
        297_000_000,
        4_951_645_000_000,
        0x12A,
        &ids,
    ) else {
        return;
    };
    // `head -2 gmlan_trace.candump`: 12A#122010FF00001080, 1E1#00000400000000.
    assert_eq!(
        s.can_data[0],
        [0x12, 0x20, 0x10, 0xFF, 0x00, 0x00, 0x10, 0x80]
    );
    assert_eq!(s.can_data[1], [0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00]);
}

#[test]
fn gmlan_scanner_little_endian_socketcan() {
    // 3819 = `tshark -r scapy/candump_gmlan_scanner.pcap | wc -l` = `wc -l < candump_gmlan_scanner.log`;
    // ids: `awk '{print $3}' candump_gmlan_scanner.log | cut -d'#' -f1 | sort -u` → 00A 241 641
    // (same with `tshark -o can.byte_swap:TRUE ... -e can.id | sort -u`).
    let (first, last) = (1_625_906_307_412_579_000, 1_625_908_919_473_994_000);
    can(
        "scapy/candump_gmlan_scanner.pcap",
        3819,
        first,
        last,
        0x00A,
        &[0x00A, 0x241, 0x641],
    );
}

#[test]
fn uds_scanner_little_endian_socketcan() {
    // 9434 = `tshark -r scapy/candump_uds_scanner.pcap | wc -l`; first frame id 0x00A with
    // "ECURESET" (`xxd -s 40 -l 16`).
    let (first, last) = (1_626_788_898_688_202_000, 1_626_789_869_755_683_000);
    let Some(s) = can(
        "scapy/candump_uds_scanner.pcap",
        9434,
        first,
        last,
        0x00A,
        &[],
    ) else {
        return;
    };
    assert_eq!(s.can_data[0], b"ECURESET");
    // `tshark -o can.byte_swap:TRUE -r scapy/candump_uds_scanner.pcap -T fields -e can.id
    //  2>/dev/null | sort -u` → 257 ids: 0x00A, 0x201 and the sweep 0x600..=0x6FE.
    let mut ids = vec![0x00A, 0x201];
    ids.extend(0x600..=0x6FE);
    assert_eq!(s.can_ids.iter().copied().collect::<Vec<_>>(), ids);
}

#[test]
fn detect_opens_binary_traces() {
    let Some(dir) = traces() else { return };
    for (rel, frames) in [
        ("scapy/gmlan_trace.pcap", 1087),
        ("chipmunk/tcp/someip.pcapng", 55),
    ] {
        let mut r = otadiag_capture::detect::open(&dir.join(rel)).unwrap();
        let mut n = 0;
        while r.next_frame().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, frames, "{rel}");
    }
}
