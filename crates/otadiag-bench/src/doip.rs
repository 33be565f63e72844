//! DoIP pcap captures: the UDS messages as DoIP diagnostic messages (0x8001) in one TCP
//! connection from the tester 0x0E80 at 10.0.0.10:50000 to the DoIP entity at 10.0.0.20:13400
//! (ECU `e` is logical address 0x1A01 + e), each acknowledged with 0x8002, in Ethernet/IPv4/TCP
//! segments of at most 1460 bytes with correct sequence numbers and checksums.

use crate::can::Counting;
use crate::script::{Msg, Rng, Wire, BASE_NS};
use otadiag_capture::pcap;
use std::fs::File;
use std::io::{self, BufWriter};

/// The tester's logical address.
pub const TESTER_LA: u16 = 0x0E80;
/// The first ECU's logical address.
pub const ECU_LA: u16 = 0x1A01;
/// Functional logical address.
pub const FUNCTIONAL_LA: u16 = 0xE400;
/// The DoIP entity's own logical address (routing activation response).
const ENTITY_LA: u16 = 0x1000;
const TESTER_IP: [u8; 4] = [10, 0, 0, 10];
const ENTITY_IP: [u8; 4] = [10, 0, 0, 20];
const TESTER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x10];
const ENTITY_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x20];
const TESTER_PORT: u16 = 50000;
const DOIP_PORT: u16 = 13400;
/// TCP payload per segment (Ethernet MTU 1500 − 40).
const MSS: usize = 1460;
const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;
const FIN_ACK: u8 = 0x11;

/// One side of the TCP connection.
struct Side {
    seq: u32,
    ip_id: u16,
}

/// The DoIP transport writing a pcap (LINKTYPE_ETHERNET).
pub struct DoIp {
    pcap: Option<pcap::Writer<Counting<BufWriter<File>>>>,
    written: u64,
    rng: Rng,
    tester: Side,
    entity: Side,
    pkt: Vec<u8>,
    msg: Vec<u8>,
    frames: u64,
}

impl DoIp {
    /// Writes the pcap header, the TCP handshake and the routing activation to `file`.
    pub fn new(file: File, seed: u64) -> io::Result<Self> {
        let w = Counting::new(BufWriter::with_capacity(1 << 20, file));
        let mut rng = Rng::new(seed ^ 0xD01F);
        let tester = Side {
            seq: rng.next() as u32,
            ip_id: rng.next() as u16,
        };
        let entity = Side {
            seq: rng.next() as u32,
            ip_id: rng.next() as u16,
        };
        let mut d = DoIp {
            pcap: Some(pcap::Writer::new(w, pcap::LINKTYPE_ETHERNET)?),
            written: 24,
            rng,
            tester,
            entity,
            pkt: Vec::with_capacity(1600),
            msg: Vec::with_capacity(8192),
            frames: 0,
        };
        let t = BASE_NS;
        d.segment(t, true, SYN, &[])?;
        d.segment(t + 200_000, false, SYN | ACK, &[])?;
        d.segment(t + 300_000, true, ACK, &[])?;
        let mut act = doip_header(0x0005, 7);
        act.extend_from_slice(&TESTER_LA.to_be_bytes());
        act.extend_from_slice(&[0x00, 0, 0, 0, 0]);
        d.segment(t + 1_000_000, true, PSH_ACK, &act)?;
        let mut rsp = doip_header(0x0006, 9);
        rsp.extend_from_slice(&TESTER_LA.to_be_bytes());
        rsp.extend_from_slice(&ENTITY_LA.to_be_bytes());
        rsp.extend_from_slice(&[0x10, 0, 0, 0, 0]);
        d.segment(t + 3_000_000, false, PSH_ACK, &rsp)?;
        Ok(d)
    }

    /// Writes one TCP segment (`from_tester` picks the direction) and advances its sequence.
    fn segment(&mut self, ts: i64, from_tester: bool, flags: u8, payload: &[u8]) -> io::Result<()> {
        let (me, peer) = if from_tester {
            (&mut self.tester, &self.entity)
        } else {
            (&mut self.entity, &self.tester)
        };
        let (src_mac, dst_mac, src, dst, sport, dport) = if from_tester {
            (
                TESTER_MAC,
                ENTITY_MAC,
                TESTER_IP,
                ENTITY_IP,
                TESTER_PORT,
                DOIP_PORT,
            )
        } else {
            (
                ENTITY_MAC,
                TESTER_MAC,
                ENTITY_IP,
                TESTER_IP,
                DOIP_PORT,
                TESTER_PORT,
            )
        };
        let p = &mut self.pkt;
        p.clear();
        p.extend_from_slice(&dst_mac);
        p.extend_from_slice(&src_mac);
        p.extend_from_slice(&[0x08, 0x00]);
        let total = (20 + 20 + payload.len()) as u16;
        let ip = p.len();
        p.extend_from_slice(&[0x45, 0x00]);
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&me.ip_id.to_be_bytes());
        p.extend_from_slice(&[0x40, 0x00, 64, 6, 0, 0]);
        p.extend_from_slice(&src);
        p.extend_from_slice(&dst);
        let c = !fold(sum(&p[ip..ip + 20], 0));
        p[ip + 10..ip + 12].copy_from_slice(&c.to_be_bytes());
        let tcp = p.len();
        p.extend_from_slice(&sport.to_be_bytes());
        p.extend_from_slice(&dport.to_be_bytes());
        p.extend_from_slice(&me.seq.to_be_bytes());
        let ack = if flags & ACK != 0 { peer.seq } else { 0 };
        p.extend_from_slice(&ack.to_be_bytes());
        p.extend_from_slice(&[0x50, flags, 0xFA, 0xF0, 0, 0, 0, 0]);
        p.extend_from_slice(payload);
        let mut pseudo = [0u8; 12];
        pseudo[..4].copy_from_slice(&src);
        pseudo[4..8].copy_from_slice(&dst);
        pseudo[9] = 6;
        pseudo[10..].copy_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
        let c = !fold(sum(&p[tcp..], sum(&pseudo, 0)));
        p[tcp + 16..tcp + 18].copy_from_slice(&c.to_be_bytes());
        me.ip_id = me.ip_id.wrapping_add(1);
        let used = payload.len() as u32 + u32::from(flags & (SYN | 0x01) != 0);
        me.seq = me.seq.wrapping_add(used);
        self.frames += 1;
        self.written += 16 + p.len() as u64;
        let w = self.pcap.as_mut().expect("not finished");
        w.write_packet(ts, p)
    }

    /// Time to send `len` bytes of TCP payload on 100 Mbit/s Ethernet (headers, preamble, gap).
    fn wire_time(&mut self, len: usize) -> i64 {
        (len as i64 + 54 + 24) * 80 + self.rng.range(0, 5_000)
    }
}

/// A DoIP generic header (version 2) for `payload_type` with `len` payload bytes.
fn doip_header(payload_type: u16, len: u32) -> Vec<u8> {
    let mut h = vec![0x02, 0xFD];
    h.extend_from_slice(&payload_type.to_be_bytes());
    h.extend_from_slice(&len.to_be_bytes());
    h
}

/// Ones' complement sum of `b` in 16-bit big-endian words, added to `acc`.
fn sum(b: &[u8], mut acc: u64) -> u64 {
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let x = u64::from_be_bytes(w.try_into().expect("8 bytes"));
        acc += (x >> 48) + ((x >> 32) & 0xFFFF) + ((x >> 16) & 0xFFFF) + (x & 0xFFFF);
    }
    let mut rest = words.remainder().chunks(2);
    for w in &mut rest {
        acc += u64::from(w[0]) << 8 | u64::from(*w.get(1).unwrap_or(&0));
    }
    acc
}

/// Folds a sum to 16 bits.
fn fold(mut acc: u64) -> u16 {
    while acc > 0xFFFF {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    acc as u16
}

impl Wire for DoIp {
    fn send(&mut self, ts: i64, m: &Msg<'_>) -> io::Result<i64> {
        let ecu = ECU_LA + m.ecu as u16;
        let (sa, ta) = match (m.request, m.functional) {
            (true, true) => (TESTER_LA, FUNCTIONAL_LA),
            (true, false) => (TESTER_LA, ecu),
            (false, _) => (ecu, TESTER_LA),
        };
        let mut msg = std::mem::take(&mut self.msg);
        msg.clear();
        msg.extend_from_slice(&doip_header(0x8001, 4 + m.data.len() as u32));
        msg.extend_from_slice(&sa.to_be_bytes());
        msg.extend_from_slice(&ta.to_be_bytes());
        msg.extend_from_slice(m.data);
        let mut t = ts;
        let mut first = true;
        for chunk in msg.chunks(MSS) {
            if !first {
                t += self.wire_time(MSS);
            }
            first = false;
            self.segment(t, m.request, PSH_ACK, chunk)?;
        }
        self.msg = msg;
        // The receiver's diagnostic message positive acknowledgement.
        let mut ack = doip_header(0x8002, 5);
        ack.extend_from_slice(&ta.to_be_bytes());
        ack.extend_from_slice(&sa.to_be_bytes());
        ack.push(0x00);
        let at = t + self.rng.range(100_000, 250_000);
        self.segment(at, !m.request, PSH_ACK, &ack)?;
        Ok(t)
    }

    fn written(&self) -> u64 {
        self.written
    }

    fn frames(&self) -> u64 {
        self.frames
    }

    fn finish(&mut self, ts: i64) -> io::Result<()> {
        self.segment(ts, true, FIN_ACK, &[])?;
        self.segment(ts + 200_000, false, FIN_ACK, &[])?;
        self.segment(ts + 300_000, true, ACK, &[])?;
        if let Some(w) = self.pcap.take() {
            let c = w.into_inner()?;
            debug_assert_eq!(c.n, self.written);
            c.into_inner().into_inner().map_err(|e| e.into_error())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_a_known_ipv4_header() {
        // RFC 1071 style example: header with checksum field zero.
        let h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(!fold(sum(&h, 0)), 0xB861);
    }
}
