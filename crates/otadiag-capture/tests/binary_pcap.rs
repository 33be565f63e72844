//! pcap/pcapng reader and writer on synthetic files: every link type, both SocketCAN id byte
//! orders, pcapng sections in both byte orders, and broken files (errors with offsets, no panics).

mod binary;
use binary::common::*;
use otadiag_capture::pcap::{self, encode_socketcan, IdOrder, Writer};
use otadiag_capture::{CanFlags, CaptureError, FrameReader, Link, Position};

/// All frames and all errors of a file (stops after a fatal error).
fn read_all(bytes: &[u8]) -> Result<(Vec<F>, Vec<CaptureError>), CaptureError> {
    let mut r = pcap::Reader::new("t", bytes)?;
    let out = drain(&mut r);
    assert!(r.bytes_read() <= bytes.len() as u64);
    Ok(out)
}

fn ok_frames(bytes: &[u8]) -> Vec<F> {
    let (frames, errors) = read_all(bytes).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    frames
}

fn can(ts: i64, id: u32, flags: CanFlags, data: &[u8]) -> F {
    F::Can {
        ts: Some(ts),
        ch: 0,
        id,
        flags,
        data: data.to_vec(),
    }
}

const EXT: CanFlags = CanFlags {
    extended: true,
    fd: false,
    brs: false,
    esi: false,
    rtr: false,
    error: false,
    tx: false,
};
const STD: CanFlags = CanFlags {
    extended: false,
    ..EXT
};

fn can_frames() -> Vec<F> {
    vec![
        can(1_000_000_001, 0x7E0, STD, &[0x02, 0x10, 0x03]),
        can(1_000_000_002, 0x18DA_F110, EXT, &[1, 2, 3, 4, 5, 6, 7, 8]),
        can(1_000_000_003, 0x123, CanFlags { rtr: true, ..STD }, &[]),
        can(
            1_000_000_004,
            0x004,
            CanFlags { error: true, ..STD },
            &[0, 0, 0, 0, 0, 0, 0, 0],
        ),
        can(
            1_000_000_005,
            0x7E8,
            CanFlags {
                fd: true,
                brs: true,
                ..STD
            },
            &[0xAA; 64],
        ),
        can(
            1_000_000_006,
            0x1F,
            CanFlags {
                fd: true,
                esi: true,
                ..EXT
            },
            &[0x55; 12],
        ),
    ]
}

fn write_can_pcap(order: IdOrder, frames: &[F]) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), pcap::LINKTYPE_CAN_SOCKETCAN).unwrap();
    let mut buf = Vec::new();
    for f in frames {
        let F::Can {
            ts,
            id,
            flags,
            data,
            ..
        } = f
        else {
            unreachable!()
        };
        if order == IdOrder::Network {
            w.write_can(ts.unwrap(), *id, *flags, data).unwrap();
        } else {
            buf.clear();
            encode_socketcan(&mut buf, *id, *flags, data, order);
            w.write_packet(ts.unwrap(), &buf).unwrap();
        }
    }
    w.into_inner().unwrap()
}

#[test]
fn socketcan_round_trip_network_order() {
    let frames = can_frames();
    let file = write_can_pcap(IdOrder::Network, &frames);
    assert!(pcap::sniff(&file));
    assert_eq!(ok_frames(&file), frames);
}

#[test]
fn socketcan_little_endian_ids_are_detected() {
    // Old scapy: ids little-endian. The first frame (id 0) reads the same both ways and must
    // not decide the order.
    let mut frames = vec![can(999, 0, STD, &[9])];
    frames.extend(can_frames());
    let file = write_can_pcap(IdOrder::Little, &frames);
    assert_eq!(ok_frames(&file), frames);
    // The same file with network order still reads (the order is per file).
    assert_eq!(
        ok_frames(&write_can_pcap(IdOrder::Network, &frames)),
        frames
    );
}

#[test]
fn packet_link_types() {
    for (lt, link) in [
        (pcap::LINKTYPE_ETHERNET, Link::Ethernet),
        (pcap::LINKTYPE_RAW, Link::RawIp),
        (pcap::LINKTYPE_IPV4, Link::RawIp),
        (pcap::LINKTYPE_IPV6, Link::RawIp),
        (pcap::LINKTYPE_LINUX_SLL, Link::Sll),
        (pcap::LINKTYPE_LINUX_SLL2, Link::Sll2),
    ] {
        let mut w = Writer::new(Vec::new(), lt).unwrap();
        let pkt: Vec<u8> = (0..60u8).collect(); // SLL protocol 0x0E0F / SLL2 0x0001: not CAN
        w.write_packet(1_700_000_000_123_456_789, &pkt).unwrap();
        w.write_packet(-5, &[]).unwrap();
        let got = ok_frames(&w.into_inner().unwrap());
        let want = vec![
            F::Pkt {
                ts: Some(1_700_000_000_123_456_789),
                ch: 0,
                link,
                data: pkt.clone(),
                orig: 60,
            },
            F::Pkt {
                ts: Some(0),
                ch: 0,
                link,
                data: vec![],
                orig: 0,
            },
        ];
        assert_eq!(got, want, "link type {lt}");
    }
}

/// A Linux cooked (v1) header for protocol `proto`, packet type `pkttype`.
fn sll(pkttype: u16, proto: u16) -> Vec<u8> {
    let mut h = pkttype.to_be_bytes().to_vec();
    h.extend_from_slice(&280u16.to_be_bytes()); // ARPHRD_CAN
    h.extend_from_slice(&[0; 10]);
    h.extend_from_slice(&proto.to_be_bytes());
    h
}

/// A Linux cooked v2 header.
fn sll2(pkttype: u8, proto: u16) -> Vec<u8> {
    let mut h = proto.to_be_bytes().to_vec();
    h.extend_from_slice(&[0; 6]);
    h.extend_from_slice(&280u16.to_be_bytes());
    h.push(pkttype);
    h.extend_from_slice(&[0; 9]);
    h
}

#[test]
fn cooked_captures_carry_can_little_endian() {
    for v2 in [false, true] {
        let hdr = |pt: u8, proto| {
            if v2 {
                sll2(pt, proto)
            } else {
                sll(u16::from(pt), proto)
            }
        };
        let lt = if v2 {
            pcap::LINKTYPE_LINUX_SLL2
        } else {
            pcap::LINKTYPE_LINUX_SLL
        };
        let mut w = Writer::new(Vec::new(), lt).unwrap();
        let mut p = hdr(4, 0x000C); // outgoing CAN
        encode_socketcan(&mut p, 0x710, STD, &[0x02, 0x10, 0x03], IdOrder::Little);
        w.write_packet(10, &p).unwrap();
        let mut p = hdr(0, 0x000D); // incoming CAN FD
        encode_socketcan(
            &mut p,
            0x77A,
            CanFlags { fd: true, ..STD },
            &[1; 16],
            IdOrder::Little,
        );
        w.write_packet(20, &p).unwrap();
        let ip = hdr(0, 0x0800);
        w.write_packet(30, &ip).unwrap();
        let link = if v2 { Link::Sll2 } else { Link::Sll };
        let want = vec![
            can(10, 0x710, CanFlags { tx: true, ..STD }, &[0x02, 0x10, 0x03]),
            can(20, 0x77A, CanFlags { fd: true, ..STD }, &[1; 16]),
            F::Pkt {
                ts: Some(30),
                ch: 0,
                link,
                data: ip.clone(),
                orig: ip.len() as u32,
            },
        ];
        assert_eq!(ok_frames(&w.into_inner().unwrap()), want, "v2 = {v2}");
    }
}

/// A classic pcap written by hand: any byte order / magic / link type.
fn classic(big: bool, nanos: bool, link_type: u32, records: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let u32b = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16b = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut f = u32b(if nanos { 0xA1B2_3C4D } else { 0xA1B2_C3D4 }).to_vec();
    f.extend_from_slice(&u16b(2));
    f.extend_from_slice(&u16b(4));
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&u32b(65535));
    f.extend_from_slice(&u32b(link_type));
    for (sec, frac, data) in records {
        for v in [*sec, *frac, data.len() as u32, data.len() as u32] {
            f.extend_from_slice(&u32b(v));
        }
        f.extend_from_slice(data);
    }
    f
}

#[test]
fn classic_byte_orders_and_resolutions() {
    for big in [false, true] {
        for nanos in [false, true] {
            let file = classic(big, nanos, 1, &[(1_600_000_000, 250, b"abc")]);
            assert!(pcap::sniff(&file));
            let ts = 1_600_000_000_000_000_000 + if nanos { 250 } else { 250_000 };
            let want = vec![F::Pkt {
                ts: Some(ts),
                ch: 0,
                link: Link::Ethernet,
                data: b"abc".to_vec(),
                orig: 3,
            }];
            assert_eq!(ok_frames(&file), want, "big {big} nanos {nanos}");
        }
    }
}

#[test]
fn unknown_link_type_is_fatal_and_named() {
    let e = pcap::Reader::new("t", &classic(false, false, 147, &[])[..])
        .err()
        .unwrap();
    assert!(e.fatal && e.msg.contains("147"), "{e}");
}

#[test]
fn truncated_classic_record_names_its_offset() {
    let file = classic(false, false, 1, &[(1, 0, &[7; 20]), (2, 0, &[8; 20])]);
    // Cut inside the second record's data: header at 24 + 16 + 20 = 60.
    let (frames, errors) = read_all(&file[..file.len() - 5]).unwrap();
    assert_eq!(frames.len(), 1);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].fatal);
    assert_eq!(errors[0].pos, Position::Offset(60));
    assert!(
        errors[0].to_string().contains("byte offset 60"),
        "{}",
        errors[0]
    );
    // Cut inside the record header.
    let (_, errors) = read_all(&file[..66]).unwrap();
    assert_eq!(errors[0].pos, Position::Offset(60));
    // Cut inside the file header.
    assert!(pcap::Reader::new("t", &file[..10]).is_err());
    assert!(pcap::Reader::new("t", &[][..]).is_err());
}

#[test]
fn impossible_captured_length_is_an_error_not_an_allocation() {
    let mut file = classic(false, false, 1, &[(1, 0, &[1; 4])]);
    file[24 + 8..24 + 12].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let (_, errors) = read_all(&file).unwrap();
    assert!(
        errors[0].fatal && errors[0].msg.contains("4294967280"),
        "{}",
        errors[0]
    );
    assert_eq!(errors[0].pos, Position::Offset(24));
}

#[test]
fn bad_socketcan_length_is_skipped() {
    let mut w = Writer::new(Vec::new(), pcap::LINKTYPE_CAN_SOCKETCAN).unwrap();
    let mut p = Vec::new();
    encode_socketcan(&mut p, 0x100, STD, &[1; 8], IdOrder::Network);
    p[4] = 9; // length 9 in a classic CAN frame
    w.write_packet(1, &p).unwrap();
    w.write_can(2, 0x101, STD, &[2]).unwrap();
    let (frames, errors) = read_all(&w.into_inner().unwrap()).unwrap();
    assert_eq!(frames, vec![can(2, 0x101, STD, &[2])]);
    assert!(
        !errors[0].fatal && errors[0].pos == Position::Offset(24),
        "{:?}",
        errors[0]
    );
}

#[test]
fn write_can_needs_socketcan_link_type() {
    let mut w = Writer::new(Vec::new(), pcap::LINKTYPE_ETHERNET).unwrap();
    assert!(w.write_can(0, 1, STD, &[]).is_err());
}

#[test]
fn sniff() {
    assert!(!pcap::sniff(b"LOGG"));
    assert!(!pcap::sniff(b"\xd4\xc3"));
    assert!(pcap::sniff(&[0x0A, 0x0D, 0x0D, 0x0A]));
}
