//! pcapng: section headers (either byte order), interface descriptions (link type, `if_tsresol`,
//! `if_tsoffset`), enhanced / simple / obsolete packet blocks; every other block is skipped
//! without being buffered.

use std::io::Read;

use super::link::Iface;
use super::{rd16, rd32, Fmt, Reader, Rec, MAX_CAPLEN, PCAPNG_SHB};
use crate::frame::CaptureError;

const IDB: u32 = 1;
const OPB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
/// Largest block we buffer: a maximal packet plus generous room for options.
const MAX_BLOCK: u32 = MAX_CAPLEN + 65_536;

impl<R: Read> Reader<R> {
    /// Reads a Section Header Block at the cursor: sets the byte order, forgets the interfaces.
    pub(super) fn read_shb(&mut self) -> Result<(), CaptureError> {
        let off = self.input.offset();
        if !self.io(off, |i| i.ensure(12))? {
            return Err(self.fatal(off, "truncated pcapng section header".into()));
        }
        let a = self.input.avail();
        let bom = u32::from_le_bytes([a[8], a[9], a[10], a[11]]);
        let big = match bom {
            BYTE_ORDER_MAGIC => false,
            0x4D3C_2B1A => true,
            _ => {
                return Err(self.fatal(off + 8, format!("bad pcapng byte-order magic {bom:#010x}")))
            }
        };
        let len = rd32(&a[4..], big);
        self.buffer_block(off, len, big, "section header")?;
        let major = rd16(&self.input.avail()[12..], big);
        if major != 1 {
            return Err(self.fatal(
                off + 12,
                format!("unsupported pcapng version {major} (expected 1)"),
            ));
        }
        self.input.consume(len as usize);
        self.fmt = Fmt::Ng { big };
        self.ifaces.clear();
        Ok(())
    }

    /// Checks a block's length and makes the whole block available at the cursor.
    fn buffer_block(
        &mut self,
        off: u64,
        len: u32,
        big: bool,
        what: &str,
    ) -> Result<(), CaptureError> {
        if len < 12 || len & 3 != 0 {
            return Err(self.fatal(
                off,
                format!("{what} block length {len} is not a multiple of 4 of at least 12"),
            ));
        }
        if len > MAX_BLOCK {
            return Err(self.fatal(
                off,
                format!("impossible {what} block length {len} (at most {MAX_BLOCK})"),
            ));
        }
        let len = len as usize;
        if !self.io(off, |i| i.ensure(len))? {
            let have = self.input.avail().len();
            return Err(self.fatal(
                off,
                format!("truncated {what} block: {len} bytes announced, {have} present"),
            ));
        }
        let b = &self.input.avail()[..len];
        let trailer = rd32(&b[len - 4..], big) as usize;
        if trailer != len {
            let msg =
                format!("{what} block length {len} does not match its trailing length {trailer}");
            return Err(self.fatal(off, msg));
        }
        Ok(())
    }

    /// The next packet record of a pcapng file, handling every other block on the way.
    pub(super) fn ng_record(&mut self) -> Result<Option<Rec>, CaptureError> {
        loop {
            let Fmt::Ng { big } = self.fmt else {
                return Ok(None);
            };
            let off = self.input.offset();
            if !self.io(off, |i| i.ensure(8))? {
                let have = self.input.avail().len();
                if have == 0 {
                    return Ok(None);
                }
                return Err(self.fatal(off, format!("truncated block header: {have} of 8 bytes")));
            }
            let a = self.input.avail();
            let (btype, len) = (rd32(a, big), rd32(&a[4..], big));
            match btype {
                PCAPNG_SHB => self.read_shb()?,
                IDB => {
                    self.buffer_block(off, len, big, "interface description")?;
                    let b = &self.input.avail()[..len as usize];
                    let iface = parse_idb(b, big).map_err(|m| self.fatal(off, m))?;
                    self.ifaces.push(iface);
                    self.input.consume(len as usize);
                }
                EPB | SPB | OPB => {
                    self.buffer_block(off, len, big, "packet")?;
                    let b = &self.input.avail()[..len as usize];
                    let rec = self.packet(b, btype, big, off);
                    // The block framing is sound, so a bad packet inside is skipped, not fatal.
                    self.input.consume(len as usize);
                    return match rec {
                        Ok(rec) => Ok(Some(rec)),
                        Err(m) => Err(CaptureError {
                            fatal: false,
                            ..self.fatal(off, m)
                        }),
                    };
                }
                _ => {
                    if len < 12 || len & 3 != 0 {
                        return Err(self.fatal(
                            off,
                            format!("block length {len} is not a multiple of 4 of at least 12"),
                        ));
                    }
                    let skipped = self.io(off, |i| i.skip(len as u64))?;
                    if skipped < len as u64 {
                        return Err(self.fatal(
                            off,
                            format!("truncated block: {len} bytes announced, {skipped} present"),
                        ));
                    }
                }
            }
        }
    }

    /// Locates the packet of an EPB/SPB/OPB block `b` (already checked and buffered).
    fn packet(&self, b: &[u8], btype: u32, big: bool, off: u64) -> Result<Rec, String> {
        let body = &b[8..b.len() - 4];
        let start0 = self.input.pos + 8;
        let (iface, ts_ticks, caplen, orig_len, data_at) = match btype {
            EPB if body.len() >= 20 => {
                let ticks =
                    (u64::from(rd32(&body[4..], big)) << 32) | u64::from(rd32(&body[8..], big));
                (
                    rd32(body, big) as usize,
                    Some(ticks),
                    rd32(&body[12..], big),
                    rd32(&body[16..], big),
                    20,
                )
            }
            OPB if body.len() >= 20 => {
                let ticks =
                    (u64::from(rd32(&body[4..], big)) << 32) | u64::from(rd32(&body[8..], big));
                (
                    rd16(body, big) as usize,
                    Some(ticks),
                    rd32(&body[12..], big),
                    rd32(&body[16..], big),
                    20,
                )
            }
            SPB if body.len() >= 4 => {
                let orig = rd32(body, big);
                let snap = self.ifaces.first().map_or(0, |i| i.snaplen);
                let mut cap = orig.min((body.len() - 4) as u32);
                if snap != 0 {
                    cap = cap.min(snap);
                }
                (0, None, cap, orig, 4)
            }
            _ => return Err(format!("packet block of {} bytes is too short", b.len())),
        };
        if caplen as usize > body.len() - data_at {
            return Err(format!(
                "captured length {caplen} exceeds its block ({} bytes of data)",
                body.len() - data_at
            ));
        }
        let ts = match (ts_ticks, self.ifaces.get(iface)) {
            (Some(t), Some(i)) => Some(i.ts_ns(t)),
            _ => None,
        };
        Ok(Rec {
            iface,
            ts,
            start: start0 + data_at,
            len: caplen as usize,
            orig_len,
            offset: off,
        })
    }
}

/// Parses an Interface Description Block: link type, snap length, `if_tsresol`, `if_tsoffset`.
fn parse_idb(b: &[u8], big: bool) -> Result<Iface, String> {
    if b.len() < 20 {
        return Err(format!(
            "interface description block of {} bytes is too short",
            b.len()
        ));
    }
    let link_type = u32::from(rd16(&b[8..], big));
    let snaplen = rd32(&b[12..], big);
    let (mut mul, mut div, mut offset_ns) = (1000u64, 1u64, 0i64);
    let mut opts = &b[16..b.len() - 4];
    while opts.len() >= 4 {
        let (code, len) = (rd16(opts, big), rd16(&opts[2..], big) as usize);
        let padded = (len + 3) & !3;
        if code == 0 || opts.len() < 4 + padded {
            break;
        }
        let v = &opts[4..4 + len];
        match (code, len) {
            (9, 1) => (mul, div) = tsresol(v[0])?,
            (14, 8) => {
                let a = [v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]];
                let secs = if big {
                    i64::from_be_bytes(a)
                } else {
                    i64::from_le_bytes(a)
                };
                offset_ns = secs.saturating_mul(1_000_000_000);
            }
            _ => {}
        }
        opts = &opts[4 + padded..];
    }
    let mut iface = Iface::new(link_type, mul, div, snaplen);
    iface.offset_ns = offset_ns;
    Ok(iface)
}

/// `if_tsresol`: high bit clear → 10^-n seconds, set → 2^-n seconds; returns ns = ticks*mul/div.
fn tsresol(v: u8) -> Result<(u64, u64), String> {
    let n = u32::from(v & 0x7F);
    if v & 0x80 == 0 {
        match n {
            0..=9 => Ok((10u64.pow(9 - n), 1)),
            10..=19 => Ok((1, 10u64.pow(n - 9))),
            _ => Err(format!("unsupported if_tsresol 10^-{n}")),
        }
    } else if n <= 63 {
        Ok((1_000_000_000, 1u64 << n))
    } else {
        Err(format!("unsupported if_tsresol 2^-{n}"))
    }
}
