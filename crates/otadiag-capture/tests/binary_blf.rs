//! BLF reader and writer: round trips, objects straddling containers, a corrupt container
//! (skipped with an error naming its offset), truncated and garbage files. Objects our writer
//! does not produce are in `binary_blf_objects.rs`.

mod binary;
use binary::common::*;
use otadiag_capture::blf::{self, Writer};
use otadiag_capture::{CanFlags, CaptureError, FrameReader, Link, Position};

fn read_all(bytes: &[u8]) -> (Vec<F>, Vec<CaptureError>) {
    drain(&mut blf::Reader::new("t.blf", bytes).unwrap())
}

fn frames(n: usize) -> Vec<F> {
    (0..n)
        .map(|i| {
            let ts = Some(START + 1_000 * i as i64 + 7);
            let i8 = i as u8;
            match i % 6 {
                0 => F::Can {
                    ts,
                    ch: 1,
                    id: 0x700 + i as u32 % 0x100,
                    flags: STD,
                    data: vec![i8; i % 9],
                },
                1 => F::Can {
                    ts,
                    ch: 2,
                    id: 0x18DA_F100 | i as u32 & 0xFF,
                    flags: CanFlags {
                        extended: true,
                        tx: true,
                        ..STD
                    },
                    data: vec![i8; 8],
                },
                2 => F::Can {
                    ts,
                    ch: 1,
                    id: 0x7E8,
                    flags: CanFlags {
                        fd: true,
                        brs: i % 4 == 0,
                        ..STD
                    },
                    data: vec![i8; [12, 64, 5, 0][i % 4]],
                },
                3 => F::Can {
                    ts,
                    ch: 1,
                    id: 0x123,
                    flags: CanFlags { rtr: true, ..STD },
                    data: vec![],
                },
                4 => F::Can {
                    ts,
                    ch: 3,
                    id: 0,
                    flags: CanFlags { error: true, ..STD },
                    data: vec![1, 2],
                },
                _ => {
                    let data: Vec<u8> = (0..60 + i % 7).map(|b| b as u8 ^ i8).collect();
                    F::Pkt {
                        ts,
                        ch: 4,
                        link: Link::Ethernet,
                        orig: data.len() as u32,
                        data,
                    }
                }
            }
        })
        .collect()
}

fn write(frames: &[F], container: usize) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), START)
        .unwrap()
        .with_container_size(container);
    for f in frames {
        match f {
            F::Can {
                ts,
                ch,
                id,
                flags,
                data,
            } => w.write_can(ts.unwrap(), *ch, *id, *flags, data).unwrap(),
            F::Pkt { ts, ch, data, .. } => w.write_ethernet(ts.unwrap(), *ch, data).unwrap(),
        }
    }
    w.finish().unwrap()
}

/// File offsets of the top-level LOG_CONTAINER objects.
fn containers(file: &[u8]) -> Vec<usize> {
    let mut at = 144;
    let mut out = Vec::new();
    while at + 16 <= file.len() {
        let size = u32::from_le_bytes(file[at + 8..at + 12].try_into().unwrap()) as usize;
        out.push(at);
        at += size + size % 4;
    }
    out
}

#[test]
fn round_trip() {
    let want = frames(50);
    let file = write(&want, 128 << 10);
    assert!(blf::sniff(&file));
    assert_eq!(containers(&file).len(), 1);
    let r = blf::Reader::new("t", &file[..]).unwrap();
    assert_eq!(r.start_ns(), START);
    let (got, errors) = read_all(&file);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(got, want);
}

#[test]
fn objects_straddle_small_containers() {
    let want = frames(300);
    let file = write(&want, 100); // no object size divides 100: most straddle
    assert!(containers(&file).len() > 100);
    let (got, errors) = read_all(&file);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(got, want);
}

#[test]
fn corrupt_container_is_skipped_with_its_offset() {
    let want = frames(120);
    let mut file = write(&want, 512);
    let cs = containers(&file);
    assert!(cs.len() > 6);
    let bad = cs[3];
    // Garble the compressed payload (after the 32 bytes of headers).
    for b in &mut file[bad + 34..bad + 60] {
        *b ^= 0x5A;
    }
    let (got, errors) = read_all(&file);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert!(!e.fatal);
    assert_eq!(e.pos, Position::Offset(bad as u64));
    assert!(
        e.to_string()
            .contains(&format!("corrupt log container at byte offset {bad}")),
        "{e}"
    );
    // Frames before and after the bad container are read; those inside it are lost.
    assert!(
        got.len() < want.len() && got.len() > want.len() - 40,
        "{} of {}",
        got.len(),
        want.len()
    );
    assert_eq!(got[..5], want[..5]);
    assert_eq!(got.last(), want.last());
    let n = got.len();
    assert_eq!(got[n - 20..], want[want.len() - 20..]);
}

#[test]
fn truncated_file_is_fatal_with_the_container_offset() {
    let file = write(&frames(60), 256);
    let cs = containers(&file);
    let last = *cs.last().unwrap();
    let (got, errors) = read_all(&file[..last + 20]);
    assert!(!got.is_empty());
    let e = errors.last().unwrap();
    assert!(e.fatal && e.pos == Position::Offset(last as u64), "{e}");
    // Cut inside an object that continues in the missing container.
    let (_, errors) = read_all(&file[..last]);
    assert!(errors.is_empty() || errors[0].fatal, "{errors:?}");
}

#[test]
fn not_blf() {
    assert!(blf::Reader::new("x", &b"LOGX"[..]).is_err());
    assert!(blf::Reader::new("x", &[0u8; 200][..]).is_err());
    let mut h = write(&[], 100);
    h[4..8].copy_from_slice(&10u32.to_le_bytes());
    assert!(blf::Reader::new("x", &h[..]).is_err());
    assert!(!blf::sniff(b"\xd4\xc3\xb2\xa1"));
}

#[test]
fn no_panic_on_garbage() {
    let file = write(&frames(40), 200);
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for n in (0..file.len()).step_by(7) {
        if let Ok(mut r) = blf::Reader::new("g", &file[..n]) {
            while !matches!(r.next_frame(), Ok(None)) {}
        }
    }
    for _ in 0..1000 {
        let mut f = file.clone();
        for _ in 0..3 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = 144 + (seed >> 20) as usize % (f.len() - 144);
            f[at] = seed as u8;
        }
        if let Ok(mut r) = blf::Reader::new("g", &f[..]) {
            let mut n = 0;
            while !matches!(r.next_frame(), Ok(None)) {
                n += 1;
                assert!(n < 10_000);
            }
        }
    }
}
