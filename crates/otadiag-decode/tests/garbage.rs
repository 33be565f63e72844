//! The decoder must never panic, whatever the frames contain.
mod common;

use common::*;
use otadiag_capture::{CanFlags, FrameRef, Link};
use otadiag_decode::{Collector, DecodeConfig, Decoder, IdFilter};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn mutate(r: &mut Rng, v: &mut Vec<u8>) {
    for _ in 0..r.below(4) {
        if v.is_empty() {
            break;
        }
        let i = r.below(v.len() as u64) as usize;
        v[i] = r.next() as u8;
    }
    if r.below(5) == 0 {
        let n = r.below(v.len() as u64 + 1) as usize;
        v.truncate(n);
    }
}

#[test]
fn random_frames_never_panic() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let seeds: Vec<Vec<u8>> = vec![
        tcp(
            TESTER,
            ECU,
            1,
            Flags {
                ack: Some(5),
                ..Flags::default()
            },
            &diag(0x0E80, 0x1010, &[0x10, 0x03]),
        ),
        tcp(
            ECU,
            TESTER,
            5,
            Flags {
                syn: true,
                ..Flags::default()
            },
            &[],
        ),
        tcp(
            ([10, 0, 0, 5], 40000),
            ([10, 0, 0, 6], 30501),
            9,
            Flags::default(),
            &someip(1, 2, 3, 4, 0x22, 0, &[0, 0, 0, 1, 1, 2, 3]),
        ),
        udp(
            ([10, 0, 0, 5], 40000),
            ([10, 0, 0, 6], 30501),
            &someip(1, 2, 3, 4, 0x20, 0, &[0, 0, 0, 0x11, 1, 2, 3]),
        ),
        udp(
            ([10, 0, 0, 5], 40000),
            ([10, 0, 0, 6], 13400),
            &doip(0x8003, &[1, 2, 3, 4, 5]),
        ),
    ];
    for cfg in [
        DecodeConfig::default(),
        DecodeConfig {
            isotp_ids: IdFilter::All,
            extended_addressing_ids: vec![0x10, 0x700],
            max_message_len: 64,
            tcp_reorder_limit: 100,
            ..DecodeConfig::default()
        },
    ] {
        let mut dec = Decoder::new(cfg);
        let mut out = Collector::default();
        for i in 0..200_000u64 {
            let ts = if r.below(10) == 0 {
                None
            } else {
                Some((i as i64) * 7_000_000 + r.below(3_000_000_000) as i64)
            };
            if r.below(2) == 0 {
                let len = r.below(65) as usize;
                let mut data: Vec<u8> = (0..len).map(|_| r.next() as u8).collect();
                if !data.is_empty() && r.below(2) == 0 {
                    data[0] = (r.below(5) as u8) << 4 | (r.next() as u8 & 0xF);
                }
                let id = if r.below(2) == 0 {
                    0x700 + r.below(0x20) as u32
                } else {
                    r.next() as u32 & 0x1FFF_FFFF
                };
                let flags = CanFlags {
                    extended: id > 0x7FF,
                    fd: len > 8,
                    rtr: r.below(50) == 0,
                    ..CanFlags::default()
                };
                dec.push(
                    &FrameRef::Can {
                        ts,
                        channel: r.below(2) as u16,
                        id,
                        flags,
                        data: &data,
                    },
                    &mut out,
                );
            } else {
                let mut data = if r.below(3) == 0 {
                    (0..r.below(200)).map(|_| r.next() as u8).collect()
                } else {
                    seeds[r.below(seeds.len() as u64) as usize].clone()
                };
                mutate(&mut r, &mut data);
                let link =
                    [Link::Ethernet, Link::RawIp, Link::Sll, Link::Sll2][r.below(4) as usize];
                let orig_len = data.len() as u32 + r.below(3) as u32 * 10;
                dec.push(
                    &FrameRef::Packet {
                        ts,
                        channel: 0,
                        link,
                        data: &data,
                        orig_len,
                    },
                    &mut out,
                );
            }
            if out.messages.len() > 10_000 {
                out.messages.clear();
                out.events.clear();
            }
        }
        dec.finish(&mut out);
        assert!(dec.stats().frames == 200_000);
    }
}

/// Streams of plausible pieces (valid messages, cut anywhere, reordered, duplicated, garbage in
/// between) reach deeper into the TCP, framing, TP and ISO-TP state machines than random bytes.
#[test]
fn structured_chaos_never_panics() {
    let mut r = Rng(0x1234_5678_9ABC_DEF1);
    let pieces: Vec<Vec<u8>> = vec![
        diag(0x0E80, 0x1010, &[0x36, 0x01, 1, 2, 3, 4, 5, 6, 7, 8]),
        diag(0x1010, 0x0E80, &[0x7F, 0x36, 0x78]),
        doip(0x8003, &[0x10, 0x10, 0x0E, 0x80, 0x06]),
        doip(0x0006, &[0x0E, 0x80, 0x10, 0x10, 0x10, 0, 0, 0, 0]),
        someip(1, 2, 3, 4, 0, 0, &[5; 30]),
        vec![
            0xFF, 0xFF, 0x00, 0x00, 0, 0, 0, 8, 0xDE, 0xAD, 0xBE, 0xEF, 1, 1, 1, 0,
        ],
        vec![0x02, 0xFD, 0x80, 0x01, 0xFF, 0xFF, 0xFF, 0xFF],
    ];
    let cfg = DecodeConfig {
        tcp_reorder_limit: 300,
        max_message_len: 40,
        ..DecodeConfig::default()
    };
    let mut dec = Decoder::new(cfg);
    let mut out = Collector::default();
    let ports = [13400u16, 30501];
    for round in 0..3000u32 {
        // one TCP connection per round, both directions, on a DoIP or SOME/IP port
        let port = ports[r.below(2) as usize];
        let mut stream = Vec::new();
        for _ in 0..r.below(12) {
            let mut p = pieces[r.below(pieces.len() as u64) as usize].clone();
            if r.below(6) == 0 {
                mutate(&mut r, &mut p);
            }
            stream.extend_from_slice(&p);
        }
        let isn = r.next() as u32;
        let mut segs = Vec::new();
        let mut at = 0;
        while at < stream.len() {
            let n = 1 + r.below(40) as usize;
            let end = (at + n).min(stream.len());
            segs.push((at, end));
            at = end;
        }
        for _ in 0..r.below(4) {
            if segs.len() > 1 {
                let (i, j) = (
                    r.below(segs.len() as u64) as usize,
                    r.below(segs.len() as u64) as usize,
                );
                segs.swap(i, j);
            }
        }
        let src = ([10, 0, 0, 1], 40000 + (round % 100) as u16);
        let dst = ([10, 0, 0, 2], port);
        let mut frames = Vec::new();
        if r.below(2) == 0 {
            frames.push(tcp(
                src,
                dst,
                isn,
                Flags {
                    syn: true,
                    ..Flags::default()
                },
                &[],
            ));
        }
        for (a, b) in &segs {
            if r.below(8) == 0 {
                continue; // lost
            }
            let f = Flags {
                ack: (r.below(3) == 0).then(|| r.next() as u32),
                fin: r.below(50) == 0,
                rst: r.below(200) == 0,
                ..Flags::default()
            };
            frames.push(tcp(
                src,
                dst,
                isn.wrapping_add(1 + *a as u32),
                f,
                &stream[*a..*b],
            ));
            if r.below(5) == 0 {
                frames.push(tcp(
                    dst,
                    src,
                    r.next() as u32,
                    Flags {
                        ack: Some(isn.wrapping_add(r.below(200) as u32)),
                        ..Flags::default()
                    },
                    &[],
                ));
            }
            if r.below(10) == 0 {
                frames.push(udp(src, ([10, 0, 0, 2], 30501), &stream[*a..*b]));
            }
        }
        for (i, f) in frames.iter().enumerate() {
            let snap = if r.below(10) == 0 {
                r.below(f.len() as u64 + 1) as usize
            } else {
                f.len()
            };
            dec.push(
                &FrameRef::Packet {
                    ts: Some(round as i64 * 1_000_000 + i as i64),
                    channel: 0,
                    link: Link::Ethernet,
                    data: &f[..snap],
                    orig_len: f.len() as u32,
                },
                &mut out,
            );
        }
        // ISO-TP: a transfer cut into frames, some dropped/duplicated/reordered
        let len = 1 + r.below(60) as usize;
        let mut frames: Vec<Vec<u8>> = Vec::new();
        if len <= 7 {
            let mut f = vec![len as u8];
            f.extend((0..len).map(|i| i as u8));
            frames.push(f);
        } else {
            frames.push(vec![0x10 | (len >> 8) as u8, len as u8, 1, 2, 3, 4, 5, 6]);
            frames.push(vec![0x30, r.below(3) as u8, 0]);
            for i in 0..(len - 6).div_ceil(7) {
                frames.push(vec![0x20 | ((i + 1) & 0xF) as u8, 9, 9, 9, 9, 9, 9, 9]);
            }
        }
        for _ in 0..r.below(3) {
            let i = r.below(frames.len() as u64) as usize;
            match r.below(3) {
                0 => {
                    frames.remove(i);
                }
                1 => {
                    let f = frames[i].clone();
                    frames.insert(i, f);
                }
                _ => {
                    let j = r.below(frames.len() as u64) as usize;
                    frames.swap(i, j);
                }
            }
            if frames.is_empty() {
                break;
            }
        }
        for f in &frames {
            let id = if f[0] >> 4 == 3 {
                0x7E0
            } else {
                0x7E8 + r.below(2) as u32
            };
            let ts = if r.below(20) == 0 {
                None
            } else {
                Some(round as i64 * 1_000_000_000 + r.below(2_000_000_000) as i64)
            };
            dec.push(
                &FrameRef::Can {
                    ts,
                    channel: 0,
                    id,
                    flags: CanFlags::default(),
                    data: f,
                },
                &mut out,
            );
        }
        if out.messages.len() > 10_000 {
            out = Collector::default();
        }
    }
    dec.finish(&mut out);
    let s = dec.stats();
    assert!(
        s.total_messages() > 1000 && s.events.iter().sum::<u64>() > 1000,
        "{s:?}"
    );
}
