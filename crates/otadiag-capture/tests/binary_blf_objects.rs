//! BLF reader on objects our writer does not produce: a file written by python-can, hand-built
//! objects of every decoded type, header v2, 10 µs timestamps, stored containers, skipped
//! objects spanning containers, a bad object header.

mod binary;
use binary::common::*;
use otadiag_capture::blf::{self, Writer};
use otadiag_capture::{CanFlags, CaptureError, Link};

fn read_all(bytes: &[u8]) -> (Vec<F>, Vec<CaptureError>) {
    drain(&mut blf::Reader::new("t.blf", bytes).unwrap())
}

/// A BLF file written by python-can 4.6.1 (`can.BLFWriter`, CAN_MESSAGE, CAN_FD_MESSAGE and
/// CAN_ERROR_EXT objects, one zlib container) from these messages:
/// `Message(timestamp=1752232976.5, arbitration_id=0x7E0, is_extended_id=False, data=[2, 0x10, 3],
/// channel=0)`, `(…976.501, 0x18DAF110, extended, data 01..08, channel=1)`, `(…976.502, 0x123,
/// is_remote_frame=True)`, `(…976.503, 0x7E8, is_fd=True, bitrate_switch=True, data=range(12))`,
/// `(…976.504, is_error_frame=True)`. python-can stores channel + 1; the machine ran in UTC.
const PYTHON_CAN_BLF: [u8; 300] = [
    0x4c, 0x4f, 0x47, 0x47, 0x90, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x02, 0x06, 0x08, 0x01,
    0x2c, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe9, 0x07, 0x07, 0x00, 0x05, 0x00, 0x0b, 0x00,
    0x0b, 0x00, 0x16, 0x00, 0x38, 0x00, 0xf4, 0x01, 0xe9, 0x07, 0x07, 0x00, 0x05, 0x00, 0x0b, 0x00,
    0x0b, 0x00, 0x16, 0x00, 0x38, 0x00, 0xf8, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x4c, 0x4f, 0x42, 0x4a, 0x10, 0x00, 0x01, 0x00, 0x9a, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x44, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x78, 0x9c, 0xf3, 0xf1, 0x77, 0xf2, 0x52, 0x60, 0x60, 0x64, 0x30, 0x60, 0x60, 0x00, 0x92, 0x0c,
    0x0c, 0x4c, 0x0c, 0xa8, 0x00, 0x28, 0xc6, 0xfc, 0x80, 0x1d, 0x28, 0x2e, 0xc0, 0x0c, 0xe6, 0xfb,
    0xe0, 0x50, 0xff, 0xdd, 0x91, 0x1f, 0x4c, 0x03, 0xf9, 0x1c, 0x02, 0x1f, 0x6f, 0xcd, 0x60, 0x64,
    0x62, 0x66, 0x61, 0x65, 0x63, 0xe7, 0xc0, 0xa5, 0xfe, 0x6e, 0x8b, 0x1c, 0xd4, 0xfc, 0x06, 0x06,
    0x65, 0x46, 0x84, 0x7d, 0x30, 0xf5, 0x25, 0x40, 0x76, 0x0a, 0x92, 0xfa, 0x2b, 0xc7, 0x74, 0x61,
    0xee, 0xe1, 0x7c, 0xc1, 0x0e, 0x15, 0x64, 0xe6, 0x81, 0x3a, 0x12, 0x6a, 0x19, 0x27, 0x17, 0x37,
    0x03, 0x19, 0x00, 0x66, 0xa7, 0x03, 0x90, 0xed, 0x89, 0x64, 0xe7, 0x19, 0x0e, 0x5b, 0x98, 0x9d,
    0xe8, 0xa0, 0x01, 0x99, 0x03, 0x00, 0x1a, 0x1e, 0x14, 0x16, 0x00, 0x00,
];

#[test]
fn reads_python_can_output() {
    let (got, errors) = read_all(&PYTHON_CAN_BLF);
    assert!(errors.is_empty(), "{errors:?}");
    // python-can computes the relative times in float seconds: the ns are not round.
    let t = |ns: i64| Some(1_752_232_976_500_000_000 + ns);
    let want = vec![
        F::Can {
            ts: t(0),
            ch: 1,
            id: 0x7E0,
            flags: STD,
            data: vec![2, 0x10, 3],
        },
        F::Can {
            ts: t(999_927),
            ch: 2,
            id: 0x18DA_F110,
            flags: CanFlags {
                extended: true,
                ..STD
            },
            data: (1..=8).collect(),
        },
        F::Can {
            ts: t(2_000_093),
            ch: 1,
            id: 0x123,
            flags: CanFlags { rtr: true, ..STD },
            data: vec![],
        },
        F::Can {
            ts: t(3_000_020),
            ch: 1,
            id: 0x7E8,
            flags: CanFlags {
                fd: true,
                brs: true,
                ..STD
            },
            data: (0..12).collect(),
        },
        // python-can marks error frames extended (`is_extended_id` defaults to true).
        F::Can {
            ts: t(3_999_948),
            ch: 1,
            id: 0,
            flags: CanFlags {
                error: true,
                extended: true,
                ..STD
            },
            data: vec![],
        },
    ];
    assert_eq!(got, want);
}

// Hand-built objects, for types and header variants our writer does not produce.

fn obj(otype: u32, v2: bool, ten_us: bool, ts: u64, body: &[u8]) -> Vec<u8> {
    let hsize: u16 = if v2 { 40 } else { 32 };
    let size = usize::from(hsize) + body.len();
    let mut o = b"LOBJ".to_vec();
    o.extend_from_slice(&hsize.to_le_bytes());
    o.extend_from_slice(&(if v2 { 2u16 } else { 1 }).to_le_bytes());
    o.extend_from_slice(&(size as u32).to_le_bytes());
    o.extend_from_slice(&otype.to_le_bytes());
    o.extend_from_slice(&(if ten_us { 1u32 } else { 2 }).to_le_bytes());
    o.extend_from_slice(&[0; 4]);
    o.extend_from_slice(&ts.to_le_bytes());
    if v2 {
        o.extend_from_slice(&[0; 8]);
    }
    o.extend_from_slice(body);
    o.resize(o.len() + size % 4, 0); // BLF padding: size % 4 bytes
    o
}

fn file_with(stream: &[u8], unset_start: bool) -> Vec<u8> {
    stored_containers(stream, stream.len().max(1), unset_start)
}

/// A file whose object stream is cut into stored (method 0) containers of `chunk` bytes, plus
/// a top-level object that is not a container (skipped) before them.
fn stored_containers(stream: &[u8], chunk: usize, unset_start: bool) -> Vec<u8> {
    let mut f = Writer::new(Vec::new(), START).unwrap().finish().unwrap();
    if unset_start {
        f[40..72].fill(0);
    }
    f.extend(obj(65, false, false, 0, b"top-level text"));
    for part in stream.chunks(chunk) {
        let size = 32 + part.len();
        f.extend_from_slice(b"LOBJ");
        f.extend_from_slice(&16u16.to_le_bytes());
        f.extend_from_slice(&1u16.to_le_bytes());
        f.extend_from_slice(&(size as u32).to_le_bytes());
        f.extend_from_slice(&10u32.to_le_bytes());
        f.extend_from_slice(&0u16.to_le_bytes()); // method 0: stored
        f.extend_from_slice(&[0; 6]);
        f.extend_from_slice(&(part.len() as u32).to_le_bytes());
        f.extend_from_slice(&[0; 4]);
        f.extend_from_slice(part);
        f.resize(f.len() + size % 4, 0);
    }
    f
}

/// A CAN_MESSAGE on channel 1 with id `id` and one data byte.
fn can_msg(ts: u64, id: u16) -> Vec<u8> {
    let mut b = vec![1, 0, 0, 1];
    b.extend_from_slice(&u32::from(id).to_le_bytes());
    b.extend_from_slice(&[0xD0, 0, 0, 0, 0, 0, 0, 0]);
    obj(1, false, false, ts, &b)
}

#[test]
fn large_skipped_object_across_containers() {
    for chunk in [7, 64, 1000, 1 << 20] {
        let mut s = can_msg(1, 0x100);
        s.extend(obj(65, false, false, 2, &[0x4C; 5001])); // 'L' bytes: no false padding
        s.extend(can_msg(3, 0x101));
        let (got, errors) = read_all(&stored_containers(&s, chunk, true));
        assert!(errors.is_empty(), "chunk {chunk}: {errors:?}");
        let ids: Vec<_> = got
            .iter()
            .map(|f| match f {
                F::Can { id, ts, .. } => (*id, ts.unwrap()),
                F::Pkt { .. } => panic!(),
            })
            .collect();
        assert_eq!(ids, [(0x100, 1), (0x101, 3)], "chunk {chunk}");
    }
}

#[test]
fn every_decoded_object_type() {
    let mut s = Vec::new();
    // CAN_MESSAGE, 10 µs timestamps, v2 header: channel 1, Tx, dlc 3, id 0x7E0.
    let mut b = vec![1, 0, 0x01, 3, 0xE0, 0x07, 0, 0];
    b.extend_from_slice(&[0x02, 0x10, 0x03, 9, 9, 9, 9, 9]);
    s.extend(obj(1, true, true, 5, &b));
    // An object type we do not decode (APP_TEXT) is skipped.
    s.extend(obj(65, false, false, 0, b"hello, odd length"));
    // CAN_ERROR.
    s.extend(obj(2, false, false, 100, &[2, 0, 0, 0]));
    // CAN_FD_MESSAGE: channel 2, dlc 9 (12 bytes), EDL|BRS, extended id.
    let mut b = vec![2, 0, 0, 9];
    b.extend_from_slice(&0x8000_0123u32.to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&[0, 0x03, 12, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&[7; 64]);
    s.extend(obj(100, false, false, 200, &b));
    // ETHERNET_FRAME: src, channel 5, dst, dir, type 0x0800, tpid 0x8100, tci 5, len 3, reserved(8), payload.
    let mut b = vec![0xA; 6];
    b.extend_from_slice(&5u16.to_le_bytes());
    b.extend_from_slice(&[0xB; 6]);
    for v in [0u16, 0x0800, 0x8100, 5, 3] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(b"xyz");
    s.extend(obj(71, false, false, 300, &b));
    let file = file_with(&s, true);
    let (got, errors) = read_all(&file);
    assert!(errors.is_empty(), "{errors:?}");
    let mut eth = vec![0xB; 6];
    eth.extend_from_slice(&[0xA; 6]);
    eth.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
    eth.extend_from_slice(b"xyz");
    let want = vec![
        F::Can {
            ts: Some(50_000),
            ch: 1,
            id: 0x7E0,
            flags: CanFlags { tx: true, ..STD },
            data: vec![2, 0x10, 3],
        },
        F::Can {
            ts: Some(100),
            ch: 2,
            id: 0,
            flags: CanFlags { error: true, ..STD },
            data: vec![],
        },
        F::Can {
            ts: Some(200),
            ch: 2,
            id: 0x123,
            flags: CanFlags {
                extended: true,
                fd: true,
                brs: true,
                ..STD
            },
            data: vec![7; 12],
        },
        F::Pkt {
            ts: Some(300),
            ch: 5,
            link: Link::Ethernet,
            orig: eth.len() as u32,
            data: eth,
        },
    ];
    assert_eq!(got, want);
}

#[test]
fn bad_object_header_resyncs() {
    let mut s = obj(
        1,
        false,
        false,
        1,
        &[1, 0, 0, 1, 1, 0, 0, 0, 0xEE, 0, 0, 0, 0, 0, 0, 0],
    );
    s.extend_from_slice(b"JUNKJUNKJUNK");
    s.extend(obj(
        1,
        false,
        false,
        2,
        &[1, 0, 0, 1, 2, 0, 0, 0, 0xEF, 0, 0, 0, 0, 0, 0, 0],
    ));
    let (got, errors) = read_all(&file_with(&s, false));
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(errors.len(), 1);
    assert!(
        !errors[0].fatal && errors[0].msg.contains("resync"),
        "{}",
        errors[0]
    );
}
