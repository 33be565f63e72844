//! TCP stream reassembly and DoIP framing / payload types.
mod common;

use common::*;
use otadiag_capture::{FrameRef, Link};
use otadiag_decode::{
    explain_doip_diag_nack, explain_doip_header_nack, explain_doip_routing_activation, Collector,
    DecodeConfig, Decoder, EventKind,
};

const ISN_T: u32 = 1000;
const ISN_E: u32 = 5000;

fn handshake() -> Vec<(i64, Vec<u8>)> {
    vec![
        (
            0,
            tcp(
                TESTER,
                ECU,
                ISN_T,
                Flags {
                    syn: true,
                    ..Flags::default()
                },
                &[],
            ),
        ),
        (
            0,
            tcp(
                ECU,
                TESTER,
                ISN_E,
                Flags {
                    syn: true,
                    ack: Some(ISN_T + 1),
                    ..Flags::default()
                },
                &[],
            ),
        ),
    ]
}

/// A tester → ECU data segment at stream offset `off`.
fn t2e(ts: i64, off: u32, data: &[u8]) -> (i64, Vec<u8>) {
    (
        ts,
        tcp(
            TESTER,
            ECU,
            ISN_T + 1 + off,
            Flags {
                ack: Some(ISN_E + 1),
                ..Flags::default()
            },
            data,
        ),
    )
}

fn uds(out: &Collector) -> Vec<Vec<u8>> {
    out.messages.iter().map(|m| m.data.clone()).collect()
}

#[test]
fn one_message_per_segment() {
    let mut p = handshake();
    let m = diag(0x0E80, 0x1010, &[0x10, 0x03]);
    p.push(t2e(1, 0, &m));
    let (out, dec) = run_packets(DecodeConfig::default(), &p);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(uds(&out), vec![vec![0x10, 0x03]]);
    assert_eq!(out.messages[0].doip, Some((0x0E80, 0x1010)));
    assert_eq!(out.messages[0].len, 2);
    assert_eq!(dec.stats().messages[1], 1);
}

#[test]
fn split_and_multiple_per_segment() {
    let a = diag(0x0E80, 0x1010, &[0x36, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    let b = diag(0x0E80, 0x1010, &[0x3E, 0x00]);
    let c = diag(0x0E80, 0x1010, &[0x22, 0xF1, 0x90]);
    let mut stream = a.clone();
    stream.extend_from_slice(&b);
    stream.extend_from_slice(&c);
    // cut into 3-byte, 10-byte, rest segments: a split inside the header and inside the body
    let mut p = handshake();
    let cuts = [0, 3, 13, 14, stream.len()];
    for w in cuts.windows(2) {
        p.push(t2e(w[0] as i64 + 1, w[0] as u32, &stream[w[0]..w[1]]));
    }
    let (out, _) = run_packets(DecodeConfig::default(), &p);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(
        uds(&out),
        vec![a[12..].to_vec(), b[12..].to_vec(), c[12..].to_vec()]
    );
    assert_eq!(out.messages[0].first_ts, Some(MS));
    assert_eq!(out.messages[0].ts, Some(15 * MS));
}

#[test]
fn out_of_order_and_retransmission() {
    let a = diag(0x0E80, 0x1010, &[0x10, 0x02]);
    let b = diag(0x0E80, 0x1010, &[0x11, 0x01]);
    let la = a.len() as u32;
    let mut p = handshake();
    p.push(t2e(2, la, &b)); // second first
    p.push(t2e(3, 0, &a));
    p.push(t2e(4, 0, &a)); // retransmission
    p.push(t2e(5, la, &b)); // retransmission
    let (out, dec) = run_packets(DecodeConfig::default(), &p);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(uds(&out), vec![vec![0x10, 0x02], vec![0x11, 0x01]]);
    assert_eq!(dec.stats().tcp_out_of_order, 1);
    assert_eq!(dec.stats().tcp_retransmitted, 2);
}

#[test]
fn overlapping_retransmission_delivers_only_new_bytes() {
    let a = diag(0x0E80, 0x1010, &[0x10, 0x02]);
    let b = diag(0x0E80, 0x1010, &[0x11, 0x01]);
    let mut s = a.clone();
    s.extend_from_slice(&b);
    let mut p = handshake();
    p.push(t2e(1, 0, &s[..10]));
    p.push(t2e(2, 5, &s[5..])); // overlaps 5 bytes
    let (out, _) = run_packets(DecodeConfig::default(), &p);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(uds(&out), vec![vec![0x10, 0x02], vec![0x11, 0x01]]);
}

#[test]
fn gap_resyncs_at_next_header() {
    let a = diag(0x0E80, 0x1010, &[0x36, 0x01, 1, 2, 3, 4, 5, 6, 7, 8]);
    let b = diag(0x0E80, 0x1010, &[0x37]);
    let la = a.len() as u32;
    let mut p = handshake();
    p.push(t2e(1, 0, &a[..6])); // first part of a
                                // a[6..] lost
    p.push(t2e(3, la, &b));
    // the ECU acknowledges everything: the lost bytes will never come
    p.push((
        4,
        tcp(
            ECU,
            TESTER,
            ISN_E + 1,
            Flags {
                ack: Some(ISN_T + 1 + la + b.len() as u32),
                ..Flags::default()
            },
            &[],
        ),
    ));
    let (out, dec) = run_packets(DecodeConfig::default(), &p);
    assert_eq!(kinds(&out), vec![EventKind::TcpGap]);
    assert!(
        out.events[0].detail.contains("partial header"),
        "{}",
        out.events[0].detail
    );
    assert_eq!(uds(&out), vec![vec![0x37]]);
    assert_eq!(dec.stats().events_named("tcp_gap"), 1);
}

#[test]
fn gap_at_end_of_capture_and_tail() {
    let a = diag(0x0E80, 0x1010, &[0x36, 0x01, 1, 2, 3, 4, 5, 6, 7, 8]);
    let b = diag(0x0E80, 0x1010, &[0x37]);
    let mut p = handshake();
    p.push(t2e(1, 0, &a[..14]));
    p.push(t2e(2, a.len() as u32 + 3, &b[3..]));
    let (out, _) = run_packets(DecodeConfig::default(), &p);
    // the gap is reported at the end, the partial b after resync is not a header → the bytes after
    // the gap are scanned and nothing valid remains
    assert_eq!(kinds(&out)[0], EventKind::TcpGap);
    assert!(
        out.events[0].detail.contains("22-byte message"),
        "{}",
        out.events[0].detail
    );
    assert!(out.messages.is_empty());
    // a stream that simply ends mid-message
    let mut p = handshake();
    p.push(t2e(1, 0, &a[..14]));
    let (out, _) = run_packets(DecodeConfig::default(), &p);
    assert_eq!(kinds(&out), vec![EventKind::TcpIncompleteMessage]);
}

#[test]
fn fin_ends_the_stream() {
    let a = diag(0x0E80, 0x1010, &[0x36, 0x01, 1, 2, 3]);
    let mut p = handshake();
    p.push(t2e(1, 0, &a[..10]));
    p.push((
        2,
        tcp(
            TESTER,
            ECU,
            ISN_T + 11,
            Flags {
                fin: true,
                ack: Some(ISN_E + 1),
                ..Flags::default()
            },
            &[],
        ),
    ));
    p.push(t2e(3, 11, &a[10..])); // data after FIN is ignored
    let (out, _) = run_packets(DecodeConfig::default(), &p);
    assert_eq!(kinds(&out), vec![EventKind::TcpIncompleteMessage]);
    assert!(out.messages.is_empty());
}

#[test]
fn mid_stream_start_resyncs() {
    let a = diag(0x0E80, 0x1010, &[0x36, 0x01, 1, 2, 3]);
    let b = diag(0x1010, 0x0E80, &[0x76, 0x01]);
    let mut s = a[5..].to_vec();
    s.extend_from_slice(&b);
    let p = vec![(1, tcp(ECU, TESTER, 777, Flags::default(), &s))];
    let (out, _) = run_packets(DecodeConfig::default(), &p);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(uds(&out), vec![vec![0x76, 0x01]]);
}

#[test]
fn bad_header_resyncs() {
    let mut s = vec![0x02, 0xFE, 0x80, 0x01, 0, 0, 0, 6, 1, 2, 3, 4, 5, 6]; // inverse version wrong
    s.extend_from_slice(&diag(0x0E80, 0x1010, &[0x3E, 0x00]));
    let mut p = handshake();
    p.push(t2e(1, 0, &s));
    let (out, _) = run_packets(DecodeConfig::default(), &p);
    assert_eq!(kinds(&out), vec![EventKind::DoIpBadHeader]);
    assert_eq!(uds(&out), vec![vec![0x3E, 0x00]]);
}

#[test]
fn every_payload_type() {
    let eid = [1, 2, 3, 4, 5, 6];
    let vin = *b"WVWZZZ1KZAW000001";
    let mut ann = vin.to_vec();
    ann.extend_from_slice(&[0x10, 0x10]);
    ann.extend_from_slice(&eid);
    ann.extend_from_slice(&eid);
    ann.push(0x00);
    let udp_msgs = [
        doip(0x0001, &[]),
        doip(0x0002, &eid),
        doip(0x0003, &vin),
        doip(0x0004, &ann),
        doip(0x4001, &[]),
        doip(0x4002, &[0, 4, 1]),
        doip(0x4003, &[]),
        doip(0x4004, &[1]),
    ];
    let mut p: Vec<(i64, Vec<u8>)> = udp_msgs
        .iter()
        .map(|m| {
            (
                0,
                udp(([10, 0, 0, 1], 50001), ([255, 255, 255, 255], 13400), m),
            )
        })
        .collect();
    p.extend(handshake());
    let tcp_msgs = [
        doip(0x0005, &[0x0E, 0x80, 0x00, 0, 0, 0, 0]),
        doip(0x0006, &[0x0E, 0x80, 0x10, 0x10, 0x06, 0, 0, 0, 0]),
        doip(0x0007, &[]),
        doip(0x0008, &[0x0E, 0x80]),
        diag(0x0E80, 0x1010, &[0x10, 0x03]),
        doip(0x8002, &[0x10, 0x10, 0x0E, 0x80, 0x00, 0x10, 0x03]),
        doip(0x8003, &[0x10, 0x10, 0x0E, 0x80, 0x06]),
        doip(0x0000, &[0x01]),
        doip(0x7777, &[1, 2]),
    ];
    let mut off = 0;
    for m in &tcp_msgs {
        p.push(t2e(1, off, m));
        off += m.len() as u32;
    }
    let (out, _) = run_packets(DecodeConfig::default(), &p);
    assert_eq!(uds(&out), vec![vec![0x10, 0x03]]);
    assert_eq!(
        kinds(&out),
        vec![
            EventKind::DoIpOther(0x0001),
            EventKind::DoIpOther(0x0002),
            EventKind::DoIpOther(0x0003),
            EventKind::DoIpVehicleAnnouncement,
            EventKind::DoIpOther(0x4001),
            EventKind::DoIpOther(0x4002),
            EventKind::DoIpOther(0x4003),
            EventKind::DoIpOther(0x4004),
            EventKind::DoIpRoutingActivation {
                source: 0x0E80,
                activation_type: 0
            },
            EventKind::DoIpRoutingActivationResponse {
                tester: 0x0E80,
                entity: 0x1010,
                code: 0x06
            },
            EventKind::DoIpOther(0x0007),
            EventKind::DoIpOther(0x0008),
            EventKind::DoIpDiagAck,
            EventKind::DoIpDiagNack(0x06),
            EventKind::DoIpHeaderNack(0x01),
            EventKind::DoIpOther(0x7777),
        ]
    );
    let ev = |k: EventKind| out.events.iter().find(|e| e.kind == k).unwrap();
    assert!(ev(EventKind::DoIpVehicleAnnouncement)
        .detail
        .contains("WVWZZZ1KZAW000001"));
    assert!(ev(EventKind::DoIpDiagNack(6))
        .detail
        .contains("target unreachable"));
    assert_eq!(ev(EventKind::DoIpDiagNack(6)).doip, Some((0x1010, 0x0E80)));
    assert!(ev(EventKind::DoIpHeaderNack(1))
        .detail
        .contains("unknown payload type"));
    assert!(ev(EventKind::DoIpOther(0x4004)).detail.contains("ready"));
}

#[test]
fn explanations_cover_every_code() {
    for c in 0..=4 {
        assert!(!explain_doip_header_nack(c).contains("reserved"));
    }
    for c in 2..=8 {
        assert!(!explain_doip_diag_nack(c).contains("reserved"));
    }
    for c in (0..=7).chain([0x10, 0x11]) {
        assert!(!explain_doip_routing_activation(c).contains("reserved"));
    }
    assert!(explain_doip_routing_activation(0x10).contains("success"));
    for c in 0..=255u8 {
        assert!(
            !explain_doip_header_nack(c).is_empty()
                && !explain_doip_diag_nack(c).is_empty()
                && !explain_doip_routing_activation(c).is_empty()
        );
    }
}

#[test]
fn snapped_segment_keeps_full_length() {
    let big: Vec<u8> = std::iter::once(0x36)
        .chain((0..200).map(|i| i as u8))
        .collect();
    let a = diag(0x0E80, 0x1010, &big);
    let b = diag(0x0E80, 0x1010, &[0x37]);
    let mut p = handshake();
    let full = t2e(1, 0, &a).1;
    let mut dec = Decoder::new(DecodeConfig::default());
    let mut out = Collector::default();
    for (ts, pk) in &p {
        dec.push(
            &FrameRef::Packet {
                ts: Some(*ts),
                channel: 0,
                link: Link::Ethernet,
                data: pk,
                orig_len: pk.len() as u32,
            },
            &mut out,
        );
    }
    // capture snapped at 100 bytes
    dec.push(
        &FrameRef::Packet {
            ts: Some(1),
            channel: 0,
            link: Link::Ethernet,
            data: &full[..100],
            orig_len: full.len() as u32,
        },
        &mut out,
    );
    p.clear();
    p.push(t2e(2, a.len() as u32, &b));
    for (ts, pk) in &p {
        dec.push(
            &FrameRef::Packet {
                ts: Some(*ts),
                channel: 0,
                link: Link::Ethernet,
                data: pk,
                orig_len: pk.len() as u32,
            },
            &mut out,
        );
    }
    dec.finish(&mut out);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.messages.len(), 2);
    assert_eq!(out.messages[0].len, 201);
    assert!(out.messages[0].data.len() < 201 && big.starts_with(&out.messages[0].data));
    assert_eq!(out.messages[1].data, [0x37]);
}

#[test]
fn udp_diagnostic_and_bad_header() {
    let p = vec![
        (
            0,
            udp(
                ([10, 0, 0, 1], 50001),
                ([10, 0, 0, 2], 13400),
                &diag(0x0E80, 0x1010, &[0x3E, 0x00]),
            ),
        ),
        (
            1,
            udp(
                ([10, 0, 0, 1], 50001),
                ([10, 0, 0, 2], 13400),
                &[0x02, 0x02, 0, 1, 0, 0, 0, 0],
            ),
        ),
    ];
    let (out, _) = run_packets(DecodeConfig::default(), &p);
    assert_eq!(uds(&out), vec![vec![0x3E, 0x00]]);
    assert_eq!(kinds(&out), vec![EventKind::DoIpBadHeader]);
}

#[test]
fn reorder_buffer_overflow_declares_a_gap() {
    let cfg = DecodeConfig {
        tcp_reorder_limit: 64,
        ..DecodeConfig::default()
    };
    let msgs: Vec<Vec<u8>> = (0..10u8)
        .map(|i| diag(0x0E80, 0x1010, &[0x3E, i]))
        .collect();
    let l = msgs[0].len() as u32;
    let mut p = handshake();
    // message 0 is lost; 1..9 arrive and pile up beyond the 64-byte limit
    for (i, m) in msgs.iter().enumerate().skip(1) {
        p.push(t2e(i as i64, i as u32 * l, m));
    }
    let (out, _) = run_packets(cfg, &p);
    assert_eq!(kinds(&out), vec![EventKind::TcpGap]);
    assert!(
        out.events[0].detail.contains("reorder buffer"),
        "{}",
        out.events[0].detail
    );
    assert_eq!(out.messages.len(), 9);
    assert_eq!(out.messages[0].data, [0x3E, 1]);
}

#[test]
fn rst_ends_both_directions() {
    let a = diag(0x0E80, 0x1010, &[0x36, 0x01, 1, 2, 3]);
    let mut p = handshake();
    p.push(t2e(1, 0, &a[..10]));
    p.push((
        2,
        tcp(
            ECU,
            TESTER,
            ISN_E + 1,
            Flags {
                rst: true,
                ..Flags::default()
            },
            &[],
        ),
    ));
    let (out, _) = run_packets(DecodeConfig::default(), &p);
    assert_eq!(kinds(&out), vec![EventKind::TcpIncompleteMessage]);
    assert_eq!(
        out.events[0].src,
        otadiag_decode::Endpoint::Ip {
            addr: [10, 0, 0, 1].into(),
            port: 50000
        }
    );
}

#[test]
fn other_tcp_traffic_is_ignored() {
    let http = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let src = ([10, 0, 0, 1], 50123);
    let dst = ([10, 0, 0, 9], 8080);
    let p: Vec<(i64, Vec<u8>)> = (0..40)
        .map(|i| {
            (
                i,
                tcp(
                    src,
                    dst,
                    1 + i as u32 * http.len() as u32,
                    Flags::default(),
                    http,
                ),
            )
        })
        .collect();
    let (out, dec) = run_packets(DecodeConfig::default(), &p);
    assert!(out.messages.is_empty() && out.events.is_empty());
    assert_eq!(dec.stats().packets, 40);
}
