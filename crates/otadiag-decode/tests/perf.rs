//! Throughput of the decoder alone (run: `cargo test --release -p otadiag-decode --test perf --
//! --ignored --nocapture`); the pcap path needs >= 500 MB/s and candump >= 300 MB/s end to end.
mod common;

use std::time::Instant;

use common::*;
use otadiag_capture::{CanFlags, FrameRef, Link};
use otadiag_decode::{DecodeConfig, Decoder, Message, Sink, TransportEvent};

#[derive(Default)]
struct Count(u64, u64);
impl Sink for Count {
    fn message(&mut self, m: &Message<'_>) {
        self.0 += m.data.len() as u64;
    }
    fn event(&mut self, _: &TransportEvent) {
        self.1 += 1;
    }
}

fn report(what: &str, frames: u64, bytes: u64, t: Instant) {
    let s = t.elapsed().as_secs_f64();
    println!(
        "{what}: {:.1} ns/frame, {:.0} MB/s of frame data",
        s * 1e9 / frames as f64,
        bytes as f64 / s / 1e6
    );
}

#[test]
#[ignore]
fn throughput() {
    // CAN: 80 % periodic traffic, 20 % ISO-TP (a 4 KiB transfer with FC, SF requests)
    let mut can = Vec::new();
    for i in 0..2000u32 {
        can.push((0x100 + (i % 20), vec![i as u8; 8]));
        can.push((0x7E0, vec![0x02, 0x3E, 0x00, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC]));
    }
    let msg: Vec<u8> = (0..4000u32).map(|i| i as u8).collect();
    let mut ff = vec![0x1F, 0xA0];
    ff.extend_from_slice(&msg[..6]);
    can.push((0x7E8, ff));
    can.push((0x7E0, vec![0x30, 0, 0]));
    for (i, c) in msg[6..].chunks(7).enumerate() {
        let mut cf = vec![0x20 | ((i + 1) & 0xF) as u8];
        cf.extend_from_slice(c);
        can.push((0x7E8, cf));
        for k in 0..4 {
            can.push((0x200 + k, vec![k as u8; 8]));
        }
    }
    let mut dec = Decoder::new(DecodeConfig::default());
    let mut sink = Count::default();
    let t = Instant::now();
    let mut n = 0u64;
    for round in 0..200i64 {
        for (j, (id, d)) in can.iter().enumerate() {
            let f = FrameRef::Can {
                ts: Some(round * 10_000_000_000 + j as i64 * 100_000),
                channel: 0,
                id: *id,
                flags: CanFlags::default(),
                data: d,
            };
            dec.push(&f, &mut sink);
            n += 1;
        }
    }
    report("CAN", n, n * 40, t); // ~40 bytes per candump -l line
    assert_eq!(sink.1, 0);

    // DoIP over TCP: 1460-byte segments carrying 4 KiB TransferData messages
    let m = diag(0x0E80, 0x1010, &[0x36; 4000]);
    let mut stream = Vec::new();
    for _ in 0..200 {
        stream.extend_from_slice(&m);
    }
    let mut pkts = Vec::new();
    for (i, c) in stream.chunks(1460).enumerate() {
        pkts.push(tcp(
            TESTER,
            ECU,
            1 + (i * 1460) as u32,
            Flags {
                ack: Some(1),
                ..Flags::default()
            },
            c,
        ));
    }
    // SOME/IP over UDP: small notifications
    let small: Vec<Vec<u8>> = (0..1000u16)
        .map(|i| {
            udp(
                ([10, 0, 0, 5], 30501),
                ([10, 0, 0, 6], 30502),
                &someip(0x1234, 0x8001, 0, i, 0x02, 0, &[0; 40]),
            )
        })
        .collect();
    for (what, set) in [("DoIP/TCP 1460 B", &pkts), ("SOME/IP/UDP 100 B", &small)] {
        let mut dec = Decoder::new(DecodeConfig::default());
        let mut sink = Count::default();
        let t = Instant::now();
        let (mut n, mut bytes) = (0u64, 0u64);
        for round in 0..if set.len() > 1000 { 100 } else { 2000 } {
            if what.starts_with("DoIP") {
                dec = Decoder::new(DecodeConfig::default()); // restart the stream each round
                let _ = round;
            }
            for p in set.iter() {
                dec.push(
                    &FrameRef::Packet {
                        ts: Some(0),
                        channel: 0,
                        link: Link::Ethernet,
                        data: p,
                        orig_len: p.len() as u32,
                    },
                    &mut sink,
                );
                n += 1;
                bytes += p.len() as u64;
            }
        }
        report(what, n, bytes, t);
        assert_eq!(sink.1, 0, "{what}");
    }
}

#[test]
#[ignore]
fn etherparse_alone() {
    let small: Vec<Vec<u8>> = (0..1000u16)
        .map(|i| {
            udp(
                ([10, 0, 0, 5], 30501),
                ([10, 0, 0, 6], 30502),
                &someip(0x1234, 0x8001, 0, i, 0x02, 0, &[0; 40]),
            )
        })
        .collect();
    let t = Instant::now();
    let mut x = 0usize;
    for _ in 0..2000 {
        for p in &small {
            let s = etherparse::LaxSlicedPacket::from_ethernet(p).unwrap();
            x += s.transport.is_some() as usize;
        }
    }
    report("LaxSlicedPacket", 2_000_000, 0, t);
    let t = Instant::now();
    for _ in 0..2000 {
        for p in &small {
            let s = etherparse::SlicedPacket::from_ethernet(p).unwrap();
            x += s.transport.is_some() as usize;
        }
    }
    report("SlicedPacket", 2_000_000, 0, t);
    assert!(x > 0);
}
