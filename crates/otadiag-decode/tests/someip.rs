//! SOME/IP over UDP and TCP, SD, and SOME/IP-TP reassembly.
mod common;

use common::*;
use otadiag_decode::{
    someip_message_type_name, someip_return_code_name, DecodeConfig, EventKind, Transport,
};

const CLIENT: ([u8; 4], u16) = ([10, 0, 0, 5], 40000);
const SERVER: ([u8; 4], u16) = ([10, 0, 0, 6], 30501);

#[test]
fn udp_heuristic_request_and_response() {
    let req = someip(0x1234, 0x0001, 0x0010, 0x0001, 0x00, 0x00, &[1, 2, 3]);
    let err = someip(0x1234, 0x0001, 0x0010, 0x0001, 0x81, 0x04, &[]);
    let p = vec![
        (0, udp(CLIENT, SERVER, &req)),
        (1, udp(SERVER, CLIENT, &err)),
    ];
    let (out, dec) = run_packets(DecodeConfig::default(), &p);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.messages.len(), 2);
    assert_eq!(out.messages[0].transport, Transport::SomeIpUdp);
    assert_eq!(out.messages[0].data, req);
    assert_eq!(out.messages[0].len, 19);
    assert_eq!(out.messages[1].data, err);
    assert_eq!(dec.stats().messages[2], 2);
    assert_eq!(someip_message_type_name(0x81), "ERROR");
    assert_eq!(someip_return_code_name(0x04), "E_NOT_READY");
}

#[test]
fn non_someip_udp_is_ignored() {
    // DNS query shaped payload and random bytes
    let dns = [
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, b'w', b'w',
        b'w', 0,
    ];
    let p = vec![
        (0, udp(CLIENT, ([8, 8, 8, 8], 53), &dns)),
        (1, udp(CLIENT, SERVER, &[0xFF; 40])),
    ];
    let (out, _) = run_packets(DecodeConfig::default(), &p);
    assert!(out.messages.is_empty() && out.events.is_empty());
}

#[test]
fn sd_and_packed_messages() {
    let sd = someip(
        0xFFFF,
        0x8100,
        0x0000,
        0x0001,
        0x02,
        0x00,
        &[0xC0, 0, 0, 0, 0, 0, 0, 0],
    );
    let n1 = someip(0x007B, 0x8005, 0, 1, 0x02, 0, &[9; 4]);
    let n2 = someip(0x007B, 0x8005, 0, 2, 0x02, 0, &[8; 4]);
    let mut both = n1.clone();
    both.extend_from_slice(&n2);
    let p = vec![
        (
            0,
            udp(([10, 0, 0, 6], 30490), ([224, 224, 224, 245], 30490), &sd),
        ),
        (1, udp(SERVER, CLIENT, &both)),
    ];
    let (out, _) = run_packets(DecodeConfig::default(), &p);
    assert_eq!(out.messages.len(), 3);
    assert_eq!(&out.messages[0].data[..4], &[0xFF, 0xFF, 0x81, 0x00]);
    assert_eq!(out.messages[1].data, n1);
    assert_eq!(out.messages[2].data, n2);
}

#[test]
fn configured_ports_only() {
    let req = someip(0x1234, 0x0001, 0x0010, 0x0001, 0x00, 0x00, &[1]);
    let cfg = DecodeConfig {
        someip_ports: Some(vec![30509]),
        ..DecodeConfig::default()
    };
    let (out, _) = run_packets(cfg.clone(), &[(0, udp(CLIENT, SERVER, &req))]);
    assert!(out.messages.is_empty());
    let (out, _) = run_packets(
        cfg,
        &[
            (0, udp(CLIENT, ([10, 0, 0, 6], 30509), &req)),
            (1, udp(CLIENT, ([10, 0, 0, 6], 30509), &[0; 20])),
        ],
    );
    assert_eq!(out.messages.len(), 1);
    assert_eq!(kinds(&out), vec![EventKind::SomeIpBadHeader]);
}

#[test]
fn tcp_stream_split_and_magic_cookie() {
    let cookie = [
        0xFF, 0xFF, 0x00, 0x00, 0, 0, 0, 8, 0xDE, 0xAD, 0xBE, 0xEF, 1, 1, 1, 0,
    ];
    let a = someip(
        0x0100,
        0x0002,
        0x0001,
        0x0001,
        0x00,
        0x00,
        &(0..50).collect::<Vec<u8>>(),
    );
    let b = someip(0x0100, 0x0002, 0x0001, 0x0002, 0x00, 0x00, &[7]);
    let mut s = cookie.to_vec();
    s.extend_from_slice(&a);
    s.extend_from_slice(&b);
    let isn = 100u32;
    let mut p = vec![(
        0,
        tcp(
            CLIENT,
            SERVER,
            isn,
            Flags {
                syn: true,
                ..Flags::default()
            },
            &[],
        ),
    )];
    // the first data segment decides the protocol: it must start with a header
    for (i, w) in [0usize, 16, 40, 41, s.len()].windows(2).enumerate() {
        p.push((
            i as i64 + 1,
            tcp(
                CLIENT,
                SERVER,
                isn + 1 + w[0] as u32,
                Flags {
                    ack: Some(1),
                    ..Flags::default()
                },
                &s[w[0]..w[1]],
            ),
        ));
    }
    let (out, dec) = run_packets(DecodeConfig::default(), &p);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.messages.len(), 2);
    assert_eq!(out.messages[0].transport, Transport::SomeIpTcp);
    assert_eq!(out.messages[0].data, a);
    assert_eq!(out.messages[1].data, b);
    assert_eq!(dec.stats().someip_magic_cookies, 1);
}

fn tp_segment(offset: u32, more: bool, chunk: &[u8]) -> Vec<u8> {
    let mut p = ((offset & !0xF) | more as u32).to_be_bytes().to_vec();
    p.extend_from_slice(chunk);
    someip(0x0200, 0x8001, 0, 0x0042, 0x22, 0x00, &p)
}

#[test]
fn tp_reassembly() {
    let payload: Vec<u8> = (0..80u32).map(|i| i as u8).collect();
    let p = vec![
        (0, udp(SERVER, CLIENT, &tp_segment(0, true, &payload[..32]))),
        (
            1,
            udp(SERVER, CLIENT, &tp_segment(32, true, &payload[32..64])),
        ),
        (
            1,
            udp(SERVER, CLIENT, &tp_segment(32, true, &payload[32..64])),
        ), // duplicate
        (
            2,
            udp(SERVER, CLIENT, &tp_segment(64, false, &payload[64..])),
        ),
    ];
    let (out, _) = run_packets(DecodeConfig::default(), &p);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.messages.len(), 1);
    let m = &out.messages[0];
    assert_eq!(
        m.data,
        someip(0x0200, 0x8001, 0, 0x0042, 0x02, 0x00, &payload)
    );
    assert_eq!(m.len, 96);
    assert_eq!(m.first_ts, Some(0));
    assert_eq!(m.ts, Some(2 * MS));
}

#[test]
fn tp_missing_segment_and_unfinished() {
    let payload = [5u8; 64];
    let p = vec![
        (0, udp(SERVER, CLIENT, &tp_segment(0, true, &payload[..16]))),
        (
            1,
            udp(SERVER, CLIENT, &tp_segment(32, false, &payload[32..])),
        ),
        (2, udp(SERVER, CLIENT, &tp_segment(0, true, &payload[..16]))),
    ];
    let (out, _) = run_packets(DecodeConfig::default(), &p);
    assert!(out.messages.is_empty());
    assert_eq!(
        kinds(&out),
        vec![EventKind::SomeIpTpError, EventKind::SomeIpTpError]
    );
    assert!(out.events[1].detail.contains("capture ends"));
}
