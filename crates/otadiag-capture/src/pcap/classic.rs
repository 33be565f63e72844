//! Classic libpcap files: a 24-byte file header, then 16-byte record headers each followed by the
//! captured bytes. Both byte orders, microsecond and nanosecond magic.

use std::io::Read;

use super::link::Iface;
use super::{rd16, rd32, Reader, Rec, MAX_CAPLEN};
use crate::frame::CaptureError;

/// Byte order and fraction unit (ns per fraction tick) for a magic read little-endian.
pub(super) fn magic(m: u32) -> Option<(bool, u64)> {
    match m {
        0xA1B2_C3D4 => Some((false, 1000)),
        0xD4C3_B2A1 => Some((true, 1000)),
        0xA1B2_3C4D => Some((false, 1)),
        0x4D3C_B2A1 => Some((true, 1)),
        _ => None,
    }
}

impl<R: Read> Reader<R> {
    pub(super) fn read_classic_header(&mut self, big: bool) -> Result<(), CaptureError> {
        if !self.io(0, |i| i.ensure(24))? {
            return Err(self.fatal(0, "truncated pcap file header (24 bytes expected)".into()));
        }
        let h = &self.input.avail()[..24];
        let (major, snaplen, network) =
            (rd16(&h[4..], big), rd32(&h[16..], big), rd32(&h[20..], big));
        if major != 2 {
            return Err(self.fatal(4, format!("unsupported pcap version {major} (expected 2)")));
        }
        // The low 16 bits are the link type; the upper bits carry FCS information.
        let link_type = network & 0xFFFF;
        let iface = Iface::new(link_type, 1, 1, snaplen);
        if iface.kind.is_none() {
            return Err(self.fatal(20, format!("unsupported link type {link_type}")));
        }
        self.ifaces.push(iface);
        self.input.consume(24);
        Ok(())
    }

    pub(super) fn classic_record(
        &mut self,
        big: bool,
        frac_ns: u64,
    ) -> Result<Option<Rec>, CaptureError> {
        let off = self.input.offset();
        if !self.io(off, |i| i.ensure(16))? {
            let have = self.input.avail().len();
            if have == 0 {
                return Ok(None);
            }
            return Err(self.fatal(off, format!("truncated record header: {have} of 16 bytes")));
        }
        let h = &self.input.avail()[..16];
        let (sec, frac) = (rd32(h, big) as i64, rd32(&h[4..], big) as i64);
        let (caplen, orig_len) = (rd32(&h[8..], big), rd32(&h[12..], big));
        if caplen > MAX_CAPLEN {
            return Err(self.fatal(
                off,
                format!("impossible captured length {caplen} (at most {MAX_CAPLEN})"),
            ));
        }
        let need = 16 + caplen as usize;
        if !self.io(off, |i| i.ensure(need))? {
            let have = self.input.avail().len() - 16;
            return Err(self.fatal(
                off,
                format!("truncated record: {caplen} bytes announced, {have} present"),
            ));
        }
        let start = self.input.pos + 16;
        self.input.consume(need);
        let ts = sec * 1_000_000_000 + frac * frac_ns as i64;
        Ok(Some(Rec {
            iface: 0,
            ts: Some(ts),
            start,
            len: caplen as usize,
            orig_len,
            offset: off,
        }))
    }
}
