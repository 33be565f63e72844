//! pcap and pcapng reader (and a small pcap writer), because vehicle Ethernet (DoIP, SOME/IP) and
//! SocketCAN traces are recorded with tcpdump/Wireshark/scapy.
//!
//! Own code rather than the `pcap-file` crate (v2.0.0, source read): it allocates an 8 MB buffer
//! per reader, interprets every EPB timestamp as nanoseconds whatever the interface's
//! `if_tsresol` says (the pcapng default is microseconds), collects each packet's options into a
//! fresh `Vec` (an allocation per packet), has no byte offsets in its errors, and `assert!`s /
//! `expect`s inside its buffer handling. What we need is small: a chunked buffer
//! (`input`), the two container formats (`classic`, `ng`) and the link-type decoding (`link`,
//! with the SocketCAN id byte-order detection).

mod classic;
mod input;
mod link;
mod ng;
mod writer;

use std::io::Read;

pub use link::{
    LINKTYPE_CAN_SOCKETCAN, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2, LINKTYPE_RAW,
};
pub use writer::{encode_socketcan, IdOrder, Writer};

use crate::frame::{CaptureError, FrameReader, FrameRef, Position};
use input::Input;
use link::Iface;

/// The largest captured length we accept for one packet (libpcap's maximum snapshot length).
pub const MAX_CAPLEN: u32 = 262_144;

/// pcapng block type of the Section Header Block (the file magic).
const PCAPNG_SHB: u32 = 0x0A0D_0D0A;

/// Whether `head` (the first bytes of a file) starts like a pcap or pcapng file.
pub fn sniff(head: &[u8]) -> bool {
    let Some(m) = head.get(..4) else { return false };
    let m = u32::from_le_bytes([m[0], m[1], m[2], m[3]]);
    classic::magic(m).is_some() || m == PCAPNG_SHB
}

/// Which container the file is and its byte order.
#[derive(Debug, Clone, Copy)]
enum Fmt {
    /// Classic pcap; `frac_ns` converts the fraction field to nanoseconds (1000 or 1).
    Classic { big: bool, frac_ns: u64 },
    /// pcapng; `big` is the byte order of the current section.
    Ng { big: bool },
}

/// A packet record found in the buffer: where it is, not yet decoded.
struct Rec {
    iface: usize,
    ts: Option<i64>,
    start: usize,
    len: usize,
    orig_len: u32,
    offset: u64,
}

/// Streaming pcap/pcapng reader: constant memory (one buffer of at most 1 MiB, or one maximal
/// block), frames borrowed from that buffer.
///
/// Frames: Ethernet / raw IP / non-CAN Linux cooked packets as [`FrameRef::Packet`] (whole
/// frame, `channel` = pcapng interface id); SocketCAN (link type 227) and CAN / CAN FD inside
/// Linux cooked captures as [`FrameRef::Can`]. The CAN id byte order is decided per interface by
/// the first frame whose id word is plausible in only one order (spec: big-endian for 227; old
/// scapy wrote it little-endian; cooked captures carry host order); until then the link type's
/// usual order is assumed. Timestamps are ns since the epoch (SPB packets have none).
///
/// Errors: a truncated record/block, an impossible length or an unknown link type is fatal;
/// a bad packet inside a sound block (e.g. a SocketCAN length over 8) is skipped with a
/// non-fatal error. Every error names the byte offset of its record/block.
pub struct Reader<R: Read> {
    name: String,
    input: Input<R>,
    fmt: Fmt,
    ifaces: Vec<Iface>,
    done: bool,
}

impl<R: Read> Reader<R> {
    /// Opens a capture: reads and checks the file header (classic pcap) or the first section
    /// header (pcapng). `name` is used in error messages.
    pub fn new(name: impl Into<String>, inner: R) -> Result<Self, CaptureError> {
        let mut r = Reader {
            name: name.into(),
            input: Input::new(inner),
            fmt: Fmt::Ng { big: false },
            ifaces: Vec::new(),
            done: false,
        };
        if !r.io(0, |i| i.ensure(4))? {
            return Err(r.fatal(0, "file too short for a pcap/pcapng magic number".into()));
        }
        let a = r.input.avail();
        let m = u32::from_le_bytes([a[0], a[1], a[2], a[3]]);
        if m == PCAPNG_SHB {
            r.read_shb()?;
        } else if let Some((big, frac_ns)) = classic::magic(m) {
            r.fmt = Fmt::Classic { big, frac_ns };
            r.read_classic_header(big)?;
        } else {
            return Err(r.fatal(0, format!("not a pcap or pcapng file (magic {m:#010x})")));
        }
        Ok(r)
    }

    fn fatal(&self, off: u64, msg: String) -> CaptureError {
        CaptureError {
            file: self.name.clone(),
            pos: Position::Offset(off),
            msg,
            fatal: true,
        }
    }

    /// Runs an I/O step on the input, turning an I/O error into a fatal capture error.
    fn io<T>(
        &mut self,
        off: u64,
        f: impl FnOnce(&mut Input<R>) -> std::io::Result<T>,
    ) -> Result<T, CaptureError> {
        f(&mut self.input).map_err(|e| self.fatal(off, format!("read error: {e}")))
    }

    fn next_record(&mut self) -> Result<Option<Rec>, CaptureError> {
        match self.fmt {
            Fmt::Classic { big, frac_ns } => self.classic_record(big, frac_ns),
            Fmt::Ng { .. } => self.ng_record(),
        }
    }
}

impl<R: Read> FrameReader for Reader<R> {
    fn next_frame(&mut self) -> Result<Option<FrameRef<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let rec = match self.next_record() {
            Ok(Some(rec)) => rec,
            Ok(None) => {
                self.done = true;
                return Ok(None);
            }
            Err(e) => {
                self.done |= e.fatal;
                return Err(e);
            }
        };
        let Some(iface) = self.ifaces.get_mut(rec.iface) else {
            let n = self.ifaces.len();
            let msg = format!(
                "packet names interface {} but {n} were described",
                rec.iface
            );
            return Err(CaptureError {
                fatal: false,
                ..self.fatal(rec.offset, msg)
            });
        };
        if iface.kind.is_none() {
            self.done = true;
            let (lt, i) = (iface.link_type, rec.iface);
            return Err(self.fatal(
                rec.offset,
                format!("unsupported link type {lt} (interface {i})"),
            ));
        }
        let channel = u16::try_from(rec.iface).unwrap_or(u16::MAX);
        let data = &self.input.buf[rec.start..rec.start + rec.len];
        match link::decode(iface, data, rec.ts, channel, rec.orig_len) {
            Ok(frame) => Ok(Some(frame)),
            Err(msg) => Err(CaptureError {
                file: self.name.clone(),
                pos: Position::Offset(rec.offset),
                msg,
                fatal: false,
            }),
        }
    }

    fn bytes_read(&self) -> u64 {
        self.input.offset()
    }
}

/// Reads a `u16` in the file's byte order (`b` has at least 2 bytes).
fn rd16(b: &[u8], big: bool) -> u16 {
    let a = [b[0], b[1]];
    if big {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    }
}

/// Reads a `u32` in the file's byte order (`b` has at least 4 bytes).
fn rd32(b: &[u8], big: bool) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if big {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}
