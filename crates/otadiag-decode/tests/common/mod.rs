//! Frame builders shared by the decoder tests (hand-assembled CAN frames and Ethernet/IPv4
//! packets via etherparse's PacketBuilder).
#![allow(dead_code)]

use etherparse::PacketBuilder;
use otadiag_capture::{CanFlags, FrameRef, Link};
use otadiag_decode::{Collector, DecodeConfig, Decoder, EventKind};

pub const MS: i64 = 1_000_000;

/// A CAN frame for `push`.
pub fn can(ts_ms: i64, id: u32, data: &[u8]) -> (Option<i64>, u32, Vec<u8>) {
    (Some(ts_ms * MS), id, data.to_vec())
}

/// Runs CAN frames (ts, id, data) on channel 0 through a decoder and returns the output.
pub fn run_can(cfg: DecodeConfig, frames: &[(Option<i64>, u32, Vec<u8>)]) -> (Collector, Decoder) {
    let mut dec = Decoder::new(cfg);
    let mut out = Collector::default();
    for (ts, id, data) in frames {
        let flags = CanFlags {
            extended: *id > 0x7FF,
            fd: data.len() > 8,
            ..CanFlags::default()
        };
        dec.push(
            &FrameRef::Can {
                ts: *ts,
                channel: 0,
                id: *id,
                flags,
                data,
            },
            &mut out,
        );
    }
    dec.finish(&mut out);
    (out, dec)
}

/// Kinds of the collected events.
pub fn kinds(out: &Collector) -> Vec<EventKind> {
    out.events.iter().map(|e| e.kind).collect()
}

pub const TESTER: ([u8; 4], u16) = ([10, 0, 0, 1], 50000);
pub const ECU: ([u8; 4], u16) = ([10, 0, 0, 2], 13400);

/// TCP flags for [`tcp`].
#[derive(Clone, Copy, Default)]
pub struct Flags {
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub ack: Option<u32>,
}

/// An Ethernet/IPv4/TCP packet.
pub fn tcp(
    src: ([u8; 4], u16),
    dst: ([u8; 4], u16),
    seq: u32,
    f: Flags,
    payload: &[u8],
) -> Vec<u8> {
    let mut b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(src.0, dst.0, 64)
        .tcp(src.1, dst.1, seq, 8192);
    if f.syn {
        b = b.syn();
    }
    if f.fin {
        b = b.fin();
    }
    if f.rst {
        b = b.rst();
    }
    if let Some(a) = f.ack {
        b = b.ack(a);
    }
    let mut v = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut v, payload).unwrap();
    v
}

/// An Ethernet/IPv4/UDP packet.
pub fn udp(src: ([u8; 4], u16), dst: ([u8; 4], u16), payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(src.0, dst.0, 64)
        .udp(src.1, dst.1);
    let mut v = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut v, payload).unwrap();
    v
}

/// A DoIP message (protocol version 2).
pub fn doip(pt: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x02, 0xFD];
    v.extend_from_slice(&pt.to_be_bytes());
    v.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// A DoIP diagnostic message sa → ta carrying `uds`.
pub fn diag(sa: u16, ta: u16, uds: &[u8]) -> Vec<u8> {
    let mut p = sa.to_be_bytes().to_vec();
    p.extend_from_slice(&ta.to_be_bytes());
    p.extend_from_slice(uds);
    doip(0x8001, &p)
}

/// A SOME/IP message.
pub fn someip(
    service: u16,
    method: u16,
    client: u16,
    session: u16,
    mtype: u8,
    rc: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut v = service.to_be_bytes().to_vec();
    v.extend_from_slice(&method.to_be_bytes());
    v.extend_from_slice(&(8 + payload.len() as u32).to_be_bytes());
    v.extend_from_slice(&client.to_be_bytes());
    v.extend_from_slice(&session.to_be_bytes());
    v.extend_from_slice(&[1, 1, mtype, rc]);
    v.extend_from_slice(payload);
    v
}

/// Packet frames (ts ms, bytes) through a decoder.
pub fn run_packets(cfg: DecodeConfig, packets: &[(i64, Vec<u8>)]) -> (Collector, Decoder) {
    let mut dec = Decoder::new(cfg);
    let mut out = Collector::default();
    for (ts, p) in packets {
        dec.push(
            &FrameRef::Packet {
                ts: Some(ts * MS),
                channel: 0,
                link: Link::Ethernet,
                data: p,
                orig_len: p.len() as u32,
            },
            &mut out,
        );
    }
    dec.finish(&mut out);
    (out, dec)
}
