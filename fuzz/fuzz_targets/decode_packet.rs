#![no_main]
//! Arbitrary packet sequences → `otadiag_decode::Decoder` (IP, TCP reassembly, DoIP, SOME/IP(-TP)).
//!
//! Packets are either raw bytes with an arbitrary link type or built from structure: Ethernet
//! (optionally VLAN-tagged), Linux cooked v1/v2 or raw IP; IPv4 or IPv6; TCP (sequence numbers
//! mostly continuing the flow) or UDP; a DoIP, SOME/IP(-TP) or raw payload whose length fields
//! may lie; optionally snapped. Then `finish`, twice round to check the decoder can be reused.

use std::collections::HashMap;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use otadiag_capture::{FrameRef, Link};
use otadiag_decode::Decoder;
use otadiag_fuzz::dec::{Cfg, CheckSink, Clock, Ts};

const PORTS: [u16; 6] = [13400, 30490, 30501, 50000, 50001, 80];
const DOIP_TYPES: [u16; 10] = [
    0x8001, 0x8002, 0x8003, 0x0005, 0x0006, 0x0004, 0x0000, 0x0001, 0x4001, 0x0007,
];

#[derive(Arbitrary, Debug)]
enum Port {
    Known(u8),
    Raw(u16),
}

impl Port {
    fn get(&self) -> u16 {
        match *self {
            Port::Known(i) => PORTS[usize::from(i) % PORTS.len()],
            Port::Raw(p) => p,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Seq {
    /// Continue the flow.
    Next,
    /// Continue the flow, shifted (overlap, gap, retransmission).
    Shift(i16),
    Raw(u32),
}

#[derive(Arbitrary, Debug)]
enum Payload {
    Raw(Vec<u8>),
    DoIp {
        ptype: u8,
        raw_type: Option<u16>,
        /// Added to the true payload length in the header.
        len_delta: i8,
        version: Option<u8>,
        body: Vec<u8>,
    },
    SomeIp {
        service: u16,
        method: u16,
        client: u16,
        session: u16,
        version: Option<u8>,
        msg_type: u8,
        rc: u8,
        /// SOME/IP-TP: (offset in 16-byte units, more segments).
        tp: Option<(u16, bool)>,
        len_delta: i8,
        body: Vec<u8>,
    },
    /// Several payloads back to back in one segment/datagram.
    Many(Vec<Payload>),
}

impl Payload {
    fn encode(&self, out: &mut Vec<u8>, depth: u8) {
        match self {
            Payload::Raw(b) => out.extend_from_slice(b),
            Payload::DoIp {
                ptype,
                raw_type,
                len_delta,
                version,
                body,
            } => {
                let v = version.unwrap_or(2);
                let t = raw_type.unwrap_or(DOIP_TYPES[usize::from(*ptype) % DOIP_TYPES.len()]);
                let len = (body.len() as i64 + i64::from(*len_delta)).max(0) as u32;
                out.extend_from_slice(&[v, !v]);
                out.extend_from_slice(&t.to_be_bytes());
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(body);
            }
            Payload::SomeIp {
                service,
                method,
                client,
                session,
                version,
                msg_type,
                rc,
                tp,
                len_delta,
                body,
            } => {
                let tp_len = if tp.is_some() { 4 } else { 0 };
                let len = (8 + tp_len + body.len() as i64 + i64::from(*len_delta)).max(0) as u32;
                out.extend_from_slice(&service.to_be_bytes());
                out.extend_from_slice(&method.to_be_bytes());
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(&client.to_be_bytes());
                out.extend_from_slice(&session.to_be_bytes());
                let mt = if tp.is_some() {
                    msg_type | 0x20
                } else {
                    *msg_type
                };
                out.extend_from_slice(&[version.unwrap_or(1), 1, mt, *rc]);
                if let Some((off, more)) = tp {
                    let w = (u32::from(*off) << 4) | u32::from(*more);
                    out.extend_from_slice(&w.to_be_bytes());
                }
                out.extend_from_slice(body);
            }
            Payload::Many(v) => {
                if depth < 2 {
                    for p in v.iter().take(8) {
                        p.encode(out, depth + 1);
                    }
                }
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Built {
    link: u8,
    vlan: bool,
    v6: bool,
    src: u8,
    dst: u8,
    sport: Port,
    dport: Port,
    udp: bool,
    seq: Seq,
    tcp_flags: u8,
    /// Lies in the IP total length / UDP length (0 = truthful).
    len_delta: i8,
    payload: Payload,
    /// Cut the frame to at most this many bytes.
    snap: Option<u8>,
}

#[derive(Arbitrary, Debug)]
enum Pkt {
    Raw { link: u8, data: Vec<u8> },
    Built(Built),
}

#[derive(Arbitrary, Debug)]
struct Frame {
    ts: Ts,
    pkt: Pkt,
}

#[derive(Arbitrary, Debug)]
struct Input {
    cfg: Cfg,
    frames: Vec<Frame>,
}

fn link_of(b: u8) -> Link {
    match b % 4 {
        0 => Link::Ethernet,
        1 => Link::RawIp,
        2 => Link::Sll,
        _ => Link::Sll2,
    }
}

type FlowKey = (bool, u8, u8, u16, u16);

fn build(b: &Built, flows: &mut HashMap<FlowKey, u32>, out: &mut Vec<u8>) -> Link {
    let (sp, dp) = (b.sport.get(), b.dport.get());
    let (src, dst) = (b.src % 4, b.dst % 4);
    let mut l4 = Vec::new();
    let mut app = Vec::new();
    b.payload.encode(&mut app, 0);
    if b.udp {
        let len = (8 + app.len() as i64 + i64::from(b.len_delta)).clamp(0, 65535) as u16;
        l4.extend_from_slice(&sp.to_be_bytes());
        l4.extend_from_slice(&dp.to_be_bytes());
        l4.extend_from_slice(&len.to_be_bytes());
        l4.extend_from_slice(&[0, 0]);
    } else {
        let key = (b.v6, src, dst, sp, dp);
        let next = flows.entry(key).or_insert(0x1000_0000);
        let seq = match b.seq {
            Seq::Next => *next,
            Seq::Shift(d) => next.wrapping_add(d as i32 as u32),
            Seq::Raw(s) => s,
        };
        let syn = b.tcp_flags & 0x02 != 0;
        let fin = b.tcp_flags & 0x01 != 0;
        *next = seq
            .wrapping_add(app.len() as u32)
            .wrapping_add(u32::from(syn) + u32::from(fin));
        l4.extend_from_slice(&sp.to_be_bytes());
        l4.extend_from_slice(&dp.to_be_bytes());
        l4.extend_from_slice(&seq.to_be_bytes());
        l4.extend_from_slice(&0u32.to_be_bytes());
        l4.extend_from_slice(&[5 << 4, b.tcp_flags & 0x1F, 0xFF, 0xFF, 0, 0, 0, 0]);
    }
    l4.extend_from_slice(&app);
    let proto = if b.udp { 17 } else { 6 };
    let mut ip = Vec::new();
    if b.v6 {
        let plen = (l4.len() as i64 + i64::from(b.len_delta)).clamp(0, 65535) as u16;
        ip.extend_from_slice(&[0x60, 0, 0, 0]);
        ip.extend_from_slice(&plen.to_be_bytes());
        ip.extend_from_slice(&[proto, 64]);
        for a in [src, dst] {
            ip.extend_from_slice(&[0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, a + 1]);
        }
    } else {
        let tlen = (20 + l4.len() as i64 + i64::from(b.len_delta)).clamp(0, 65535) as u16;
        ip.extend_from_slice(&[0x45, 0]);
        ip.extend_from_slice(&tlen.to_be_bytes());
        ip.extend_from_slice(&[0, 0, 0x40, 0, 64, proto, 0, 0]);
        ip.extend_from_slice(&[192, 168, 0, src + 1, 192, 168, 0, dst + 1]);
    }
    ip.extend_from_slice(&l4);
    let link = link_of(b.link);
    let etype: u16 = if b.v6 { 0x86DD } else { 0x0800 };
    match link {
        Link::Ethernet => {
            out.extend_from_slice(&[2, 0, 0, 0, 0, b.dst, 2, 0, 0, 0, 0, b.src]);
            if b.vlan {
                out.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]);
            }
            out.extend_from_slice(&etype.to_be_bytes());
        }
        Link::RawIp => {}
        Link::Sll => {
            out.extend_from_slice(&[0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, b.src, 0, 0]);
            out.extend_from_slice(&etype.to_be_bytes());
        }
        Link::Sll2 => {
            out.extend_from_slice(&etype.to_be_bytes());
            out.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, b.src, 0, 0]);
        }
    }
    out.extend_from_slice(&ip);
    if let Some(s) = b.snap {
        out.truncate(usize::from(s));
    }
    link
}

fuzz_target!(|inp: Input| {
    let mut dec = Decoder::new(inp.cfg.build());
    let mut sink = CheckSink::default();
    let mut buf = Vec::new();
    for _round in 0..2 {
        let mut clock = Clock::default();
        let mut flows = HashMap::new();
        for f in &inp.frames {
            buf.clear();
            let link = match &f.pkt {
                Pkt::Raw { link, data } => {
                    buf.extend_from_slice(data);
                    link_of(*link)
                }
                Pkt::Built(b) => build(b, &mut flows, &mut buf),
            };
            let frame = FrameRef::Packet {
                ts: clock.next(f.ts),
                channel: 0,
                link,
                data: &buf,
                orig_len: buf.len() as u32,
            };
            dec.push(&frame, &mut sink);
        }
        dec.finish(&mut sink);
    }
    if std::env::var_os("OTADIAG_FUZZ_STATS").is_some() {
        // Depth check: `OTADIAG_FUZZ_STATS=1 fuzz/target/…/TARGET corpus/TARGET -runs=0`.
        eprintln!("STATS {:?}", dec.stats());
    }
    std::hint::black_box(dec.stats());
});
