//! The captures carry exactly the simulated messages: ISO-TP reassembled from the candump log and
//! TCP payloads from the pcaps give back every record's message, read with otadiag-capture.

use otadiag_capture::{detect, FrameRef};
use otadiag_model::Dir;
use otadiag_sim::{simulate_vehicle, FaultSpec, Scenario};
use std::collections::BTreeMap;

fn messages(b: &otadiag_model::Bundle, transport: &str) -> Vec<Vec<u8>> {
    let mut recs: Vec<_> = b
        .records
        .iter()
        .filter(|r| b.transports[r.transport as usize] == transport)
        .collect();
    recs.sort_by_key(|r| r.ts);
    recs.iter()
        .map(|r| {
            let mut m = b.header(r).to_vec();
            m.resize(r.len as usize, 0xAA);
            m
        })
        .collect()
}

#[test]
fn candump_reassembles_to_the_can_messages() {
    let sc = Scenario {
        vehicles: 1,
        ..Scenario::default()
    };
    let v = simulate_vehicle(
        &sc,
        &[FaultSpec::parse("negative_response@EPS").unwrap()],
        0,
    );
    let caps = otadiag_sim::capture::captures(&v.bundle, &v.marks);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.candump.log");
    std::fs::write(&path, caps.gw_candump.expect("EPS is on CAN")).unwrap();
    let mut rd = detect::open(&path).unwrap();
    // Messages reassembled, and per CAN id the message being reassembled: (length, bytes, next SN).
    let mut out: Vec<Vec<u8>> = vec![];
    let mut open: BTreeMap<u32, (usize, Vec<u8>, u8)> = BTreeMap::new();
    let mut last_ts = 0;
    while let Some(f) = rd.next_frame().unwrap() {
        let FrameRef::Can { ts, id, data, .. } = f else {
            panic!("a CAN frame")
        };
        let ts = ts.unwrap();
        assert!(ts >= last_ts, "frames in time order");
        last_ts = ts;
        match data[0] >> 4 {
            0 => out.push(data[1..1 + (data[0] & 0x0F) as usize].to_vec()),
            1 => {
                let len = (((data[0] & 0x0F) as usize) << 8) | data[1] as usize;
                open.insert(id, (len, data[2..8].to_vec(), 1));
            }
            2 => {
                let (len, buf, sn) = open.get_mut(&id).expect("a first frame before");
                assert_eq!(data[0] & 0x0F, *sn & 0x0F, "sequence numbers count up");
                *sn = sn.wrapping_add(1);
                let take = (*len - buf.len()).min(7);
                buf.extend_from_slice(&data[1..1 + take]);
                if buf.len() == *len {
                    out.push(open.remove(&id).unwrap().1);
                }
            }
            3 => {}
            x => panic!("unexpected PCI {x}"),
        }
    }
    assert_eq!(out, messages(&v.bundle, "can"));
}

#[test]
fn pcaps_carry_the_someip_and_doip_messages() {
    let mut sc = Scenario {
        vehicles: 1,
        ..Scenario::default()
    };
    for e in &mut sc.ecus {
        e.size_kib = Some([8, 16]);
    }
    let v = simulate_vehicle(&sc, &[], 3);
    let caps = otadiag_sim::capture::captures(&v.bundle, &v.marks);
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, transport) in [
        ("t.pcap", caps.tbox_pcap.unwrap(), "someip"),
        ("g.pcap", caps.gw_pcap.unwrap(), "doip"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let mut rd = detect::open(&path).unwrap();
        // TCP payload per direction (client → server, server → client), in capture order.
        let mut streams: BTreeMap<(u32, u32), Vec<u8>> = BTreeMap::new();
        let (mut frames, mut last_ts) = (0, 0);
        while let Some(f) = rd.next_frame().unwrap() {
            let FrameRef::Packet { data, ts, .. } = f else {
                panic!("a packet")
            };
            frames += 1;
            assert!(ts.unwrap() >= last_ts, "{name}: frames in time order");
            last_ts = ts.unwrap();
            assert_eq!(&data[12..14], &[0x08, 0x00], "IPv4");
            let ip = &data[14..];
            assert_eq!(
                otadiag_sim::capture::pcap::checksum(&ip[..20]),
                0,
                "IPv4 header checksum"
            );
            let total = u16::from_be_bytes([ip[2], ip[3]]) as usize;
            let src = u32::from_be_bytes([ip[12], ip[13], ip[14], ip[15]]);
            let dst = u32::from_be_bytes([ip[16], ip[17], ip[18], ip[19]]);
            let tcp = &ip[20..total];
            let off = (tcp[12] >> 4) as usize * 4;
            streams
                .entry((src, dst))
                .or_default()
                .extend_from_slice(&tcp[off..]);
        }
        assert!(frames > 10);
        let all: Vec<u8> = streams.values().flatten().copied().collect();
        let find = |m: &[u8]| all.windows(m.len()).any(|w| w == m);
        for m in messages(&v.bundle, transport)
            .iter()
            .filter(|m| m.len() < 200)
        {
            assert!(find(m), "{name}: message {m:02X?} not in the TCP payload");
        }
        if transport == "doip" {
            // One diagnostic-message ACK per request.
            let reqs = v
                .bundle
                .records
                .iter()
                .filter(|r| {
                    r.dir == Dir::Request && v.bundle.transports[r.transport as usize] == "doip"
                })
                .count();
            let acks = all
                .windows(4)
                .filter(|w| *w == [0x02, 0xFD, 0x80, 0x02])
                .count();
            assert_eq!(acks, reqs);
        }
    }
}

#[test]
fn transport_faults_show_in_the_captures_only() {
    let sc = Scenario {
        vehicles: 1,
        ..Scenario::default()
    };
    let specs: Vec<FaultSpec> = [
        "isotp_sequence_error@EPS",
        "doip_nack@BCM",
        "isotp_sequence_error@VCU",
    ]
    .iter()
    .map(|s| FaultSpec::parse(s).unwrap())
    .collect();
    for i in 0..6 {
        let v = simulate_vehicle(&sc, &specs, i);
        let t = |u: &str| v.truth.units.iter().find(|x| x.unit == u).unwrap();
        assert_eq!(t("EPS").cause.as_deref(), Some("request_not_sent"));
        assert_eq!(t("EPS").side.as_deref(), Some("client"));
        assert!(t("BCM").detail.as_deref().unwrap().contains("NACK"));
        // ISO-TP on a DoIP ECU does not exist: the request just goes unanswered.
        assert_eq!(t("VCU").fault.as_deref(), Some("response_not_sent"));
        assert_eq!(v.marks.len(), 2);
        let caps = otadiag_sim::capture::captures(&v.bundle, &v.marks);
        let can = caps.gw_candump.unwrap();
        let mut expect = 0u8;
        let mut bad = false;
        for l in can.lines().filter(|l| l.contains(" 7E0#")) {
            let pci = u8::from_str_radix(&l[l.find('#').unwrap() + 1..][..2], 16).unwrap();
            match pci >> 4 {
                1 => expect = 1,
                2 => {
                    bad |= pci & 0x0F != expect & 0x0F;
                    expect = expect.wrapping_add(1);
                }
                _ => {}
            }
        }
        assert!(
            bad,
            "a consecutive frame out of sequence in:\n{}",
            &can[..can.len().min(2000)]
        );
        let pcap = caps.gw_pcap.unwrap();
        assert!(
            pcap.windows(4).any(|w| w == [0x02, 0xFD, 0x80, 0x03]),
            "a DoIP NACK"
        );
        // The GW's bundle alone only shows unanswered requests.
        let rules = otadiag_rules::load_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules"),
        )
        .unwrap();
        let report = otadiag_engine::analyze(&rules, &v.bundle, otadiag_engine::Mode::First);
        let eps = report
            .units
            .iter()
            .find(|u| u.unit == "EPS" && u.stage == otadiag_model::Stage::Flash)
            .unwrap();
        assert_eq!(eps.findings[0].cause, "response_not_sent");
    }
}
