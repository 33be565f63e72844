//! ISO-TP reassembly and fault reporting.
mod common;

use common::*;
use otadiag_decode::{DecodeConfig, Endpoint, EventKind, IdFilter, Padding};

fn ids(list: &[u32]) -> DecodeConfig {
    DecodeConfig {
        isotp_ids: IdFilter::Ids(list.to_vec()),
        ..DecodeConfig::default()
    }
}

/// Frames of a multi-frame transfer of `msg` on `id` (FF then CFs, no FC), starting at `t` ms, 1 ms apart.
fn segmented(t: i64, id: u32, msg: &[u8]) -> Vec<(Option<i64>, u32, Vec<u8>)> {
    let mut v = Vec::new();
    let mut ff = vec![0x10 | (msg.len() >> 8) as u8, msg.len() as u8];
    ff.extend_from_slice(&msg[..6]);
    v.push(can(t, id, &ff));
    for (i, chunk) in msg[6..].chunks(7).enumerate() {
        let mut cf = vec![0x20 | ((i + 1) & 0xF) as u8];
        cf.extend_from_slice(chunk);
        v.push(can(t + 1 + i as i64, id, &cf));
    }
    v
}

fn id_of(e: &Endpoint) -> u32 {
    match e {
        Endpoint::Can { id, .. } => *id,
        _ => panic!("not CAN"),
    }
}

#[test]
fn single_frame() {
    let (out, dec) = run_can(
        DecodeConfig::default(),
        &[can(
            5,
            0x7E0,
            &[0x02, 0x10, 0x03, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC],
        )],
    );
    assert_eq!(out.messages.len(), 1);
    let m = &out.messages[0];
    assert_eq!(m.data, [0x10, 0x03]);
    assert_eq!(m.len, 2);
    assert_eq!(m.ts, Some(5 * MS));
    assert_eq!(
        m.src,
        Endpoint::Can {
            channel: 0,
            id: 0x7E0,
            ext_addr: None
        }
    );
    assert_eq!(id_of(&m.dst), 0);
    assert!(out.events.is_empty());
    assert_eq!(dec.stats().messages[0], 1);
}

#[test]
fn first_frame_flow_control_consecutive() {
    let msg: Vec<u8> = (0..20).collect();
    let mut f = segmented(10, 0x7E0, &msg);
    f.insert(1, can(10, 0x7E8, &[0x30, 0x00, 0x00, 0, 0, 0, 0, 0]));
    f.push(can(50, 0x7E0, &[0x02, 0x3E, 0x00]));
    let (out, _) = run_can(DecodeConfig::default(), &f);
    assert_eq!(out.events, vec![]);
    assert_eq!(out.messages.len(), 2);
    let m = &out.messages[0];
    assert_eq!(m.data, msg);
    assert_eq!(m.len, 20);
    assert_eq!(m.first_ts, Some(10 * MS));
    assert_eq!(m.ts, Some(12 * MS));
    assert_eq!(id_of(&m.dst), 0x7E8, "dst is the flow-control sender");
    assert_eq!(
        id_of(&out.messages[1].dst),
        0x7E8,
        "partner learned for later single frames"
    );
}

#[test]
fn sequence_number_wraps_over_many_cfs() {
    let msg: Vec<u8> = (0..6 + 7 * 40).map(|i| i as u8).collect();
    let mut f = segmented(0, 0x7E8, &msg);
    f.insert(1, can(0, 0x7E0, &[0x30, 0x00, 0x00]));
    let (out, _) = run_can(DecodeConfig::default(), &f);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.messages.len(), 1);
    assert_eq!(out.messages[0].data, msg);
}

#[test]
fn block_size_needs_a_flow_control_per_block() {
    let msg: Vec<u8> = (0..6 + 7 * 4).map(|i| i as u8).collect();
    let f = segmented(0, 0x7E8, &msg);
    let mut frames = vec![f[0].clone(), can(1, 0x7E0, &[0x30, 0x02, 0x00])];
    frames.extend_from_slice(&f[1..3]);
    frames.push(can(5, 0x7E0, &[0x30, 0x02, 0x00]));
    frames.extend_from_slice(&f[3..]);
    let (out, _) = run_can(DecodeConfig::default(), &frames);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.messages[0].data, msg);
}

#[test]
fn can_fd_single_and_first_frames() {
    // SF with escape: 00 LL on a 64-byte frame
    let mut sf = vec![0x00, 20];
    sf.extend((0..20).map(|i| i as u8));
    sf.resize(64, 0xCC);
    // FF of 100 bytes on a 64-byte frame, one CF of 63 bytes carries the rest (38 bytes)
    let msg: Vec<u8> = (0..100).map(|i| (i * 3) as u8).collect();
    let mut ff = vec![0x10, 100];
    ff.extend_from_slice(&msg[..62]);
    let mut cf = vec![0x21];
    cf.extend_from_slice(&msg[62..]);
    cf.resize(48, 0xCC);
    let (out, _) = run_can(
        DecodeConfig::default(),
        &[
            can(0, 0x7E0, &sf),
            can(1, 0x7E8, &ff),
            can(2, 0x7E0, &[0x30, 0, 0]),
            can(3, 0x7E8, &cf),
        ],
    );
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.messages.len(), 2);
    assert_eq!(out.messages[0].data, (0..20).collect::<Vec<u8>>());
    assert_eq!(out.messages[1].data, msg);
    // an FD single frame without the escape byte is bad PCI
    let mut bad = vec![0x05, 1, 2, 3, 4, 5];
    bad.resize(12, 0);
    let (out, dec) = run_can(DecodeConfig::default(), &[can(0, 0x7E0, &bad)]);
    assert!(out.messages.is_empty());
    assert_eq!(dec.stats().bad_pci, 1);
}

#[test]
fn first_frame_with_32_bit_length() {
    let msg: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
    let mut frames = vec![];
    let mut ff = vec![0x10, 0x00];
    ff.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    ff.extend_from_slice(&msg[..2]);
    frames.push(can(0, 0x7E0, &ff));
    frames.push(can(0, 0x7E8, &[0x30, 0, 0]));
    for (i, c) in msg[2..].chunks(7).enumerate() {
        let mut cf = vec![0x20 | ((i + 1) & 0xF) as u8];
        cf.extend_from_slice(c);
        frames.push(can(1, 0x7E0, &cf));
    }
    let (out, _) = run_can(DecodeConfig::default(), &frames);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.messages[0].data, msg);
    assert_eq!(out.messages[0].len, 5000);
}

#[test]
fn extended_addressing_keys_per_address_byte() {
    let cfg = DecodeConfig {
        isotp_ids: IdFilter::All,
        extended_addressing_ids: vec![0x6F1],
        ..DecodeConfig::default()
    };
    // two transfers on the same id to targets 0x12 and 0x34, interleaved
    let a: Vec<u8> = (0..12).collect();
    let b: Vec<u8> = (100..112).collect();
    let frames = vec![
        can(0, 0x6F1, &[0x12, 0x10, 12, 0, 1, 2, 3, 4]),
        can(0, 0x6F1, &[0x34, 0x10, 12, 100, 101, 102, 103, 104]),
        can(1, 0x6F1, &[0x12, 0x21, 5, 6, 7, 8, 9, 10]),
        can(1, 0x6F1, &[0x34, 0x21, 105, 106, 107, 108, 109, 110]),
        can(2, 0x6F1, &[0x34, 0x22, 111]),
        can(2, 0x6F1, &[0x12, 0x22, 11]),
        can(3, 0x6F1, &[0x12, 0x02, 0x10, 0x03]),
    ];
    let (out, _) = run_can(cfg, &frames);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.messages.len(), 3);
    assert_eq!(out.messages[0].data, b);
    assert_eq!(
        out.messages[0].src,
        Endpoint::Can {
            channel: 0,
            id: 0x6F1,
            ext_addr: Some(0x34)
        }
    );
    assert_eq!(out.messages[1].data, a);
    assert_eq!(out.messages[2].data, [0x10, 0x03]);
    assert_eq!(
        out.messages[2].src,
        Endpoint::Can {
            channel: 0,
            id: 0x6F1,
            ext_addr: Some(0x12)
        }
    );
}

#[test]
fn two_ecus_interleaved_both_complete() {
    let a: Vec<u8> = (0..30).collect();
    let b: Vec<u8> = (50..90).collect();
    let fa = segmented(0, 0x7E8, &a);
    let fb = segmented(0, 0x7E9, &b);
    let mut frames = vec![
        fa[0].clone(),
        fb[0].clone(),
        can(1, 0x7E0, &[0x30, 0, 0]),
        can(1, 0x7E1, &[0x30, 0, 0]),
    ];
    // FCs: 0x7E0 answers the most recent waiting FF (0x7E9) unless known; use explicit pairs to be exact
    let cfg = DecodeConfig {
        isotp_ids: IdFilter::Pairs(vec![(0x7E0, 0x7E8), (0x7E1, 0x7E9)]),
        ..DecodeConfig::default()
    };
    let n = fa.len().max(fb.len());
    for i in 1..n {
        if let Some(f) = fa.get(i) {
            frames.push(f.clone());
        }
        if let Some(f) = fb.get(i) {
            frames.push(f.clone());
        }
    }
    let (out, _) = run_can(cfg, &frames);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.messages.len(), 2);
    let by = |id| out.messages.iter().find(|m| id_of(&m.src) == id).unwrap();
    assert_eq!(by(0x7E8).data, a);
    assert_eq!(id_of(&by(0x7E8).dst), 0x7E0);
    assert_eq!(by(0x7E9).data, b);
    assert_eq!(id_of(&by(0x7E9).dst), 0x7E1);
    // without pairs the default filter still completes both (FC association is by recency)
    let (out, _) = run_can(DecodeConfig::default(), &frames);
    assert_eq!(out.messages.len(), 2);
}

#[test]
fn cf_without_ff_is_unexpected() {
    let (out, _) = run_can(
        ids(&[0x7E8]),
        &[
            can(0, 0x7E8, &[0x21, 1, 2, 3, 4, 5, 6, 7]),
            can(1, 0x7E8, &[0x22, 1]),
        ],
    );
    assert_eq!(
        kinds(&out),
        vec![EventKind::IsoTpUnexpectedFrame],
        "the orphan's later CFs are swallowed"
    );
    // on guessed ids an unconfirmed id only counts as bad PCI
    let (out, dec) = run_can(
        DecodeConfig::default(),
        &[can(0, 0x7E8, &[0x21, 1, 2, 3, 4, 5, 6, 7])],
    );
    assert_eq!(kinds(&out), vec![EventKind::IsoTpBadPci]);
    assert_eq!(dec.stats().bad_pci, 1);
}

#[test]
fn sequence_error_drops_the_message() {
    let msg: Vec<u8> = (0..30).collect();
    let mut f = segmented(0, 0x7E8, &msg);
    f.remove(2); // CF with SN 2 missing
    let (out, _) = run_can(ids(&[0x7E8, 0x7E0]), &f);
    assert!(out.messages.is_empty());
    assert_eq!(kinds(&out), vec![EventKind::IsoTpSequenceError]);
    assert!(
        out.events[0].detail.contains("expected 2"),
        "{}",
        out.events[0].detail
    );
}

#[test]
fn new_first_frame_interrupts() {
    let msg: Vec<u8> = (0..30).collect();
    let mut f = segmented(0, 0x7E8, &msg);
    f.truncate(2);
    f.extend(segmented(5, 0x7E8, &msg));
    let (out, _) = run_can(DecodeConfig::default(), &f);
    assert_eq!(kinds(&out), vec![EventKind::IsoTpUnexpectedFrame]);
    assert_eq!(out.messages.len(), 1);
    // a single frame interrupting is reported as well
    let mut f = segmented(0, 0x7E8, &msg);
    f.truncate(2);
    f.push(can(3, 0x7E8, &[0x03, 0x7F, 0x22, 0x31]));
    let (out, _) = run_can(DecodeConfig::default(), &f);
    assert_eq!(kinds(&out), vec![EventKind::IsoTpUnexpectedFrame]);
    assert_eq!(out.messages.len(), 1);
}

#[test]
fn n_bs_timeout() {
    // FF, no flow control, the sender retries 1.5 s later with a new FF
    let msg: Vec<u8> = (0..20).collect();
    let mut f = vec![segmented(0, 0x7E0, &msg)[0].clone()];
    f.extend(segmented(1500, 0x7E0, &msg));
    let (out, _) = run_can(DecodeConfig::default(), &f);
    assert_eq!(kinds(&out), vec![EventKind::IsoTpTimeoutBs]);
    assert_eq!(out.events[0].ts, Some(1500 * MS));
    // FF and nothing until the capture ends 2 s later
    let f = vec![segmented(0, 0x7E0, &msg)[0].clone(), can(2000, 0x123, &[1])];
    let (out, _) = run_can(DecodeConfig::default(), &f);
    assert_eq!(kinds(&out), vec![EventKind::IsoTpTimeoutBs]);
    // ... or ends 100 ms later: incomplete only
    let f = vec![segmented(0, 0x7E0, &msg)[0].clone(), can(100, 0x123, &[1])];
    let (out, _) = run_can(DecodeConfig::default(), &f);
    assert_eq!(kinds(&out), vec![EventKind::IsoTpIncomplete]);
}

#[test]
fn n_cr_timeout() {
    let msg: Vec<u8> = (0..30).collect();
    let mut f = segmented(0, 0x7E8, &msg);
    f.insert(1, can(0, 0x7E0, &[0x30, 0, 0]));
    f[3].0 = Some(1400 * MS); // second CF late
    let (out, _) = run_can(DecodeConfig::default(), &f);
    assert_eq!(kinds(&out), vec![EventKind::IsoTpTimeoutCr]);
    assert!(out.messages.is_empty());
    // with a larger configured N_Cr the same transfer is fine
    let (out, _) = run_can(
        DecodeConfig {
            n_cr_ms: 2000,
            ..DecodeConfig::default()
        },
        &f,
    );
    assert!(out.events.is_empty());
    assert_eq!(out.messages.len(), 1);
    // no timestamps: no timeouts, ever
    let f: Vec<_> = f.into_iter().map(|(_, id, d)| (None, id, d)).collect();
    let (out, _) = run_can(DecodeConfig::default(), &f);
    assert!(out.events.is_empty());
}

#[test]
fn flow_control_overflow() {
    let msg: Vec<u8> = (0..30).collect();
    let f = vec![
        segmented(0, 0x7E0, &msg)[0].clone(),
        can(1, 0x7E8, &[0x32, 0, 0]),
    ];
    let (out, _) = run_can(DecodeConfig::default(), &f);
    assert_eq!(kinds(&out), vec![EventKind::IsoTpOverflow]);
    assert_eq!(id_of(&out.events[0].src), 0x7E0);
    assert_eq!(id_of(&out.events[0].dst), 0x7E8);
}

#[test]
fn flow_control_wait_restarts_n_bs() {
    let msg: Vec<u8> = (0..20).collect();
    let mut f = segmented(0, 0x7E0, &msg);
    f[1].0 = Some(1800 * MS);
    f[2].0 = Some(1801 * MS);
    f.insert(1, can(900, 0x7E8, &[0x31, 0, 0]));
    f.insert(2, can(1700, 0x7E8, &[0x30, 0, 0]));
    let (out, _) = run_can(DecodeConfig::default(), &f);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.messages.len(), 1);
}

#[test]
fn bad_pci_is_rate_limited_on_guessed_ids() {
    let f: Vec<_> = (0..10)
        .map(|i| can(i, 0x650, &[0x45, 1, 2, 3, 4, 5, 6, 7]))
        .collect();
    let (out, dec) = run_can(DecodeConfig::default(), &f);
    assert_eq!(kinds(&out), vec![EventKind::IsoTpBadPci]);
    assert_eq!(dec.stats().bad_pci, 10);
    assert_eq!(dec.stats().events[EventKind::IsoTpBadPci.index()], 1);
    // ids outside the default range are not ISO-TP at all
    let (out, dec) = run_can(
        DecodeConfig::default(),
        &[can(0, 0x123, &[0x02, 0x10, 0x03])],
    );
    assert!(out.messages.is_empty() && out.events.is_empty());
    assert_eq!(dec.stats().isotp_frames, 0);
}

#[test]
fn padding_check() {
    let cfg = DecodeConfig {
        padding: Padding::Check(0xCC),
        ..DecodeConfig::default()
    };
    let (out, _) = run_can(
        cfg.clone(),
        &[
            can(0, 0x7E0, &[0x02, 0x10, 0x03, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC]),
            can(1, 0x7E0, &[0x02, 0x10, 0x03, 0, 0, 0, 0, 0]),
        ],
    );
    assert_eq!(out.messages.len(), 1);
    assert_eq!(kinds(&out), vec![EventKind::IsoTpBadPci]);
}

#[test]
fn normal_fixed_addressing_29_bit() {
    let (out, _) = run_can(
        DecodeConfig::default(),
        &[
            can(0, 0x18DA10F1, &[0x02, 0x10, 0x03]),
            can(1, 0x18DAF110, &[0x02, 0x50, 0x03]),
        ],
    );
    assert_eq!(out.messages.len(), 2);
    assert_eq!(id_of(&out.messages[0].dst), 0x18DAF110);
    assert_eq!(id_of(&out.messages[1].dst), 0x18DA10F1);
}
