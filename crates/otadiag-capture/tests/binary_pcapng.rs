//! pcapng on synthetic files: sections in both byte orders, several interfaces with different
//! link types and timestamp resolutions, EPB/SPB/OPB, skipped blocks, broken files.

use otadiag_capture::pcap::{self, encode_socketcan, IdOrder};
use otadiag_capture::{CanFlags, FrameReader, FrameRef, Link, Position};

/// Builds a pcapng file block by block.
struct Ng {
    big: bool,
    out: Vec<u8>,
}

impl Ng {
    fn new(big: bool) -> Self {
        let mut ng = Ng {
            big,
            out: Vec::new(),
        };
        ng.shb();
        ng
    }
    fn u16(&self, v: u16) -> [u8; 2] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(&self, v: u32) -> [u8; 4] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn block(&mut self, btype: u32, body: &[u8]) -> &mut Self {
        let len = 12 + body.len().next_multiple_of(4);
        let (t, l) = (self.u32(btype), self.u32(len as u32));
        self.out.extend_from_slice(&t);
        self.out.extend_from_slice(&l);
        self.out.extend_from_slice(body);
        self.out.resize(self.out.len() + len - 12 - body.len(), 0);
        self.out.extend_from_slice(&l);
        self
    }
    fn shb(&mut self) -> &mut Self {
        let mut b = self.u32(0x1A2B_3C4D).to_vec();
        b.extend_from_slice(&self.u16(1));
        b.extend_from_slice(&self.u16(0));
        b.extend_from_slice(&[0xFF; 8]); // section length unknown
        self.block(0x0A0D_0D0A, &b)
    }
    fn idb(&mut self, link: u16, opts: &[(u16, &[u8])]) -> &mut Self {
        let mut b = self.u16(link).to_vec();
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&self.u32(0));
        for (code, v) in opts {
            b.extend_from_slice(&self.u16(*code));
            b.extend_from_slice(&self.u16(v.len() as u16));
            b.extend_from_slice(v);
            b.resize(b.len().next_multiple_of(4), 0);
        }
        if !opts.is_empty() {
            b.extend_from_slice(&[0; 4]); // opt_endofopt
        }
        self.block(1, &b)
    }
    fn epb(&mut self, iface: u32, ticks: u64, data: &[u8]) -> &mut Self {
        let mut b = self.u32(iface).to_vec();
        b.extend_from_slice(&self.u32((ticks >> 32) as u32));
        b.extend_from_slice(&self.u32(ticks as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(&self.u32(data.len() as u32 + 100));
        b.extend_from_slice(data);
        b.resize(b.len().next_multiple_of(4), 0);
        b.extend_from_slice(&self.u16(1)); // opt_comment "x"
        b.extend_from_slice(&self.u16(1));
        b.extend_from_slice(b"x\0\0\0\0\0\0\0");
        self.block(6, &b)
    }
    fn spb(&mut self, data: &[u8]) -> &mut Self {
        let mut b = self.u32(data.len() as u32).to_vec();
        b.extend_from_slice(data);
        self.block(3, &b)
    }
}

#[derive(Debug, PartialEq)]
struct Got {
    ts: Option<i64>,
    ch: u16,
    what: String,
    data: Vec<u8>,
}

fn read(bytes: &[u8]) -> (Vec<Got>, Vec<otadiag_capture::CaptureError>) {
    let mut r = pcap::Reader::new("ng", bytes).unwrap();
    let (mut got, mut errs) = (Vec::new(), Vec::new());
    loop {
        match r.next_frame() {
            Ok(Some(FrameRef::Can {
                ts,
                channel,
                id,
                data,
                ..
            })) => got.push(Got {
                ts,
                ch: channel,
                what: format!("can {id:#x}"),
                data: data.to_vec(),
            }),
            Ok(Some(FrameRef::Packet {
                ts,
                channel,
                link,
                data,
                orig_len,
            })) => got.push(Got {
                ts,
                ch: channel,
                what: format!("{link:?} {orig_len}"),
                data: data.to_vec(),
            }),
            Ok(None) => break,
            Err(e) => {
                let fatal = e.fatal;
                errs.push(e);
                if fatal {
                    break;
                }
            }
        }
    }
    (got, errs)
}

fn g(ts: Option<i64>, ch: u16, what: &str, data: &[u8]) -> Got {
    Got {
        ts,
        ch,
        what: what.into(),
        data: data.to_vec(),
    }
}

fn can_le(id: u32) -> Vec<u8> {
    let mut v = Vec::new();
    encode_socketcan(&mut v, id, CanFlags::default(), &[1, 2], IdOrder::Little);
    v
}

fn can_be(id: u32) -> Vec<u8> {
    let mut v = Vec::new();
    encode_socketcan(&mut v, id, CanFlags::default(), &[1, 2], IdOrder::Network);
    v
}

#[test]
fn interfaces_resolutions_and_sections() {
    for big in [false, true] {
        let mut ng = Ng::new(big);
        ng.idb(1, &[(9, &[9])]) // Ethernet, ns
            .idb(227, &[]) // SocketCAN, default µs
            .idb(227, &[(9, &[0x80 | 10]), (14, &(100i64.to_le_bytes()))]) // 2^-10 s; offset below
            .block(4, &[0; 8]) // name resolution block: skipped
            .block(0x0BAD, &[1; 40]) // unknown block: skipped
            .epb(0, 1_700_000_000_123_456_789, b"eth")
            .epb(1, 1_700_000_000_000_001, &can_be(0x7E0))
            .epb(2, 1024 * 5, &can_le(0x7E8))
            .spb(b"simple");
        // A second section in the other byte order: interfaces start again.
        let mut ng2 = Ng::new(!big);
        ng2.idb(101, &[(9, &[3])]).epb(0, 42, b"\x45raw");
        ng.out.extend_from_slice(&ng2.out);
        // if_tsoffset is in the file's byte order.
        let off_le = 100i64.to_le_bytes();
        if big {
            let at = ng.out.windows(8).position(|w| w == off_le).unwrap();
            ng.out[at..at + 8].copy_from_slice(&100i64.to_be_bytes());
        }
        assert!(pcap::sniff(&ng.out));
        let (got, errs) = read(&ng.out);
        assert!(errs.is_empty(), "{errs:?}");
        let want = vec![
            g(Some(1_700_000_000_123_456_789), 0, "Ethernet 103", b"eth"),
            g(Some(1_700_000_000_000_001_000), 1, "can 0x7e0", &[1, 2]),
            g(
                Some(5_000_000_000 + 100_000_000_000),
                2,
                "can 0x7e8",
                &[1, 2],
            ),
            g(None, 0, "Ethernet 6", b"simple"),
            g(Some(42_000_000), 0, "RawIp 104", b"\x45raw"),
        ];
        assert_eq!(got, want, "big = {big}");
    }
}

#[test]
fn unknown_link_type_in_pcapng_is_fatal_at_its_first_packet() {
    let mut ng = Ng::new(false);
    ng.idb(1, &[])
        .idb(147, &[])
        .epb(0, 1, b"ok")
        .epb(1, 2, b"user147");
    let (got, errs) = read(&ng.out);
    assert_eq!(got.len(), 1);
    assert!(
        errs[0].fatal && errs[0].msg.contains("link type 147"),
        "{}",
        errs[0]
    );
}

#[test]
fn undescribed_interface_is_skipped_with_an_error() {
    let mut ng = Ng::new(false);
    ng.idb(1, &[]).epb(3, 1, b"nope").epb(0, 2, b"ok");
    let (got, errs) = read(&ng.out);
    assert_eq!(got, vec![g(Some(2000), 0, "Ethernet 102", b"ok")]);
    assert!(
        !errs[0].fatal && errs[0].pos == Position::Offset(28 + 20),
        "{:?}",
        errs[0]
    );
}

#[test]
fn broken_blocks_name_their_offset() {
    let mut ng = Ng::new(false);
    ng.idb(1, &[]).epb(0, 1, b"first").epb(0, 2, b"second");
    let second = ng.out.len() - 52;
    // Truncated inside the last block.
    let (got, errs) = read(&ng.out[..ng.out.len() - 3]);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (errs[0].fatal, errs[0].pos),
        (true, Position::Offset(second as u64)),
        "{}",
        errs[0]
    );
    // Length not a multiple of 4.
    let mut bad = ng.out.clone();
    bad[second + 4] += 1;
    let (_, errs) = read(&bad);
    assert!(errs[0].msg.contains("multiple of 4"), "{}", errs[0]);
    assert_eq!(errs[0].pos, Position::Offset(second as u64));
    // Impossible length: an error, not a 4 GB buffer.
    bad[second + 4..second + 8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let (_, errs) = read(&bad);
    assert!(
        errs[0].fatal && errs[0].msg.contains("4294967280"),
        "{}",
        errs[0]
    );
    // Trailing length differs.
    let mut bad = ng.out.clone();
    let end = bad.len();
    bad[end - 4] = 0;
    let (_, errs) = read(&bad);
    assert!(errs[0].msg.contains("trailing"), "{}", errs[0]);
}

/// Every prefix and many corruptions of valid files read without panicking.
#[test]
fn no_panic_on_garbage() {
    let mut ng = Ng::new(false);
    ng.idb(1, &[(9, &[9])])
        .idb(113, &[])
        .epb(0, 1, b"abcdef")
        .spb(b"xyz");
    let mut p = vec![0, 4, 1, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0C];
    p.extend_from_slice(&can_le(0x710));
    ng.epb(1, 2, &p);
    let mut classic = pcap::Writer::new(Vec::new(), 227).unwrap();
    classic
        .write_can(5, 0x7FF, CanFlags::default(), &[1; 8])
        .unwrap();
    classic.write_packet(6, &[0xFF; 3]).unwrap();
    let classic = classic.into_inner().unwrap();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for file in [&ng.out, &classic] {
        for n in 0..file.len() {
            if let Ok(mut r) = pcap::Reader::new("p", &file[..n]) {
                while !matches!(r.next_frame(), Ok(None)) {}
            }
        }
        for _ in 0..2000 {
            let mut f = file.clone();
            for _ in 0..3 {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let at = (seed >> 33) as usize % f.len();
                f[at] = (seed >> 24) as u8;
            }
            if let Ok(mut r) = pcap::Reader::new("p", &f[..]) {
                let mut n = 0;
                while !matches!(r.next_frame(), Ok(None)) {
                    n += 1;
                    assert!(n < 1000);
                }
            }
        }
    }
}

#[test]
fn sll_raw_ip_is_kept_whole() {
    let mut ng = Ng::new(false);
    let mut p = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
    p.extend_from_slice(b"\x45ip");
    ng.idb(113, &[]).epb(0, 7, &p);
    let (got, errs) = read(&ng.out);
    assert!(errs.is_empty());
    assert_eq!(got, vec![g(Some(7000), 0, "Sll 119", &p)]);
    let _ = Link::Sll;
}

#[test]
fn packet_longer_than_its_block_is_skipped() {
    let mut ng = Ng::new(false);
    ng.idb(1, &[]).epb(0, 1, b"abcd").epb(0, 2, b"next");
    let first = 28 + 20;
    // Captured length 200 in a block holding 4 bytes of data.
    ng.out[first + 20..first + 24].copy_from_slice(&200u32.to_le_bytes());
    let (got, errs) = read(&ng.out);
    assert_eq!(got, vec![g(Some(2000), 0, "Ethernet 104", b"next")]);
    assert!(
        !errs[0].fatal && errs[0].pos == Position::Offset(first as u64),
        "{}",
        errs[0]
    );
    assert!(errs[0].msg.contains("captured length 200"), "{}", errs[0]);
}

#[test]
fn obsolete_packet_block() {
    let mut ng = Ng::new(true);
    ng.idb(1, &[]);
    let mut b = ng.u16(0).to_vec(); // interface 0
    b.extend_from_slice(&ng.u16(0)); // drops
    for v in [0, 3_000_000, 2, 60] {
        b.extend_from_slice(&ng.u32(v));
    }
    b.extend_from_slice(b"ok");
    ng.block(2, &b);
    let (got, errs) = read(&ng.out);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(got, vec![g(Some(3_000_000_000), 0, "Ethernet 60", b"ok")]);
}
