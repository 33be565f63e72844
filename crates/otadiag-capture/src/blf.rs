//! Vector BLF reader and writer: CANoe/CANalyzer loggers record CAN, CAN FD and automotive
//! Ethernet in BLF, so field traces arrive in it.
//!
//! A BLF file is a `LOGG` header followed by `LOBJ` objects, nearly all of them LOG_CONTAINERs
//! whose (zlib) payloads concatenate into one stream of inner objects; an inner object may start
//! in one container and end in the next. We inflate container by container into one reused
//! buffer, so memory stays bounded by the largest container.

mod container;
mod objects;
mod systime;
mod writer;

use std::io::{self, Read};

use flate2::Decompress;

use crate::frame::{CaptureError, FrameReader, FrameRef, Position};
use container::read_full;
use objects::{le16, le32};
pub use writer::Writer;

/// Largest container payload (compressed or inflated) we accept; real ones are ~128 KiB.
const MAX_CONTAINER: usize = 16 << 20;
/// Largest inner object we buffer; larger ones of types we skip are skipped without buffering.
const MAX_OBJECT: usize = 1 << 20;
const LOBJ: &[u8; 4] = b"LOBJ";

/// Whether `head` (the first bytes of a file) is a BLF file.
pub fn sniff(head: &[u8]) -> bool {
    head.starts_with(b"LOGG")
}

/// Streaming BLF reader (lending: frames borrow its buffers).
///
/// Yields CAN_MESSAGE(2), CAN_FD_MESSAGE(_64), CAN_ERROR(_EXT) as [`FrameRef::Can`] and
/// ETHERNET_FRAME(_EX) as Ethernet [`FrameRef::Packet`]s; other objects are skipped. `channel`
/// is the BLF channel as the file numbers it (1-based in Vector tools). Timestamps are the
/// header's start time (read as UTC) plus each object's offset.
///
/// Errors: a corrupt or undecodable container is skipped with a non-fatal error naming its byte
/// offset, and reading resumes at the next `LOBJ` signature in the following containers; a bad
/// inner object header is likewise skipped. A truncated file or a broken top-level object is
/// fatal. Inner objects have no file offset of their own: errors name their container's.
pub struct Reader<R: Read> {
    name: String,
    inner: R,
    /// File offset of the next outer object.
    offset: u64,
    /// Offset of the container the stream data came from (for error messages).
    container_at: u64,
    start_ns: i64,
    /// Compressed payload of the current container.
    cbuf: Vec<u8>,
    /// Uncompressed object stream; `stream[spos..]` is unread.
    stream: Vec<u8>,
    spos: usize,
    /// Bytes of a skipped object still to drop from the next containers.
    skip: usize,
    /// Zero padding bytes we may still skip after the last object.
    pad: usize,
    /// After a corrupt container or object: look for the next `LOBJ` signature.
    resync: bool,
    scratch: Vec<u8>,
    inflate: Decompress,
    done: bool,
}

/// Where the next inner object lies in `stream`.
struct Obj {
    start: usize,
    size: usize,
}

impl<R: Read> Reader<R> {
    /// Reads the `LOGG` file header (its start time is the base of every timestamp; when it is
    /// unset, timestamps count from the start of the measurement). `name` is used in errors.
    pub fn new(name: impl Into<String>, mut inner: R) -> Result<Self, CaptureError> {
        let name = name.into();
        let mut h = [0u8; 72];
        let got = read_full(&mut inner, &mut h)
            .map_err(|e| err(&name, 0, format!("read error: {e}"), true))?;
        if got < 72 || &h[..4] != b"LOGG" {
            return Err(err(
                &name,
                0,
                "not a BLF file (72-byte LOGG header expected)".into(),
                true,
            ));
        }
        let hsize = le32(&h, 4) as usize;
        if !(72..=65_536).contains(&hsize) {
            return Err(err(
                &name,
                4,
                format!("impossible BLF header size {hsize}"),
                true,
            ));
        }
        let skipped = io::copy(&mut (&mut inner).take(hsize as u64 - 72), &mut io::sink())
            .map_err(|e| err(&name, 72, format!("read error: {e}"), true))?;
        if skipped < hsize as u64 - 72 {
            return Err(err(
                &name,
                72,
                format!("truncated BLF header: {hsize} bytes announced"),
                true,
            ));
        }
        let st: [u16; 8] = std::array::from_fn(|i| le16(&h, 40 + 2 * i));
        Ok(Reader {
            name,
            inner,
            offset: hsize as u64,
            container_at: hsize as u64,
            start_ns: systime::to_ns(st).unwrap_or(0),
            cbuf: Vec::new(),
            stream: Vec::new(),
            spos: 0,
            skip: 0,
            pad: 0,
            resync: false,
            scratch: Vec::new(),
            inflate: Decompress::new(true),
            done: false,
        })
    }

    /// The measurement start from the file header, in ns since the epoch (0 when unset).
    pub fn start_ns(&self) -> i64 {
        self.start_ns
    }

    fn err(&self, off: u64, msg: String, fatal: bool) -> CaptureError {
        err(&self.name, off, msg, fatal)
    }

    /// Finds the next complete inner object of a type we decode.
    fn next_object(&mut self) -> Result<Option<Obj>, CaptureError> {
        loop {
            let avail = &self.stream[self.spos..];
            if self.resync {
                match avail.windows(4).position(|w| w == LOBJ) {
                    Some(i) => {
                        self.spos += i;
                        self.resync = false;
                    }
                    None => {
                        self.spos += avail.len().saturating_sub(3);
                        if !self.fill()? {
                            return Ok(None);
                        }
                    }
                }
                continue;
            }
            let zeros = avail.iter().take(self.pad).take_while(|&&b| b == 0).count();
            if zeros > 0 {
                self.spos += zeros;
                self.pad -= zeros;
                continue;
            }
            if avail.len() < 32 {
                let (left, all_zero) = (avail.len(), avail.iter().all(|&b| b == 0));
                if self.fill()? {
                    continue;
                }
                if all_zero {
                    return Ok(None);
                }
                let msg = format!("file ends inside an object ({left} bytes of it present)");
                return Err(self.err(self.container_at, msg, true));
            }
            let (hsize, ver) = (usize::from(le16(avail, 4)), le16(avail, 6));
            let (size, otype) = (le32(avail, 8) as usize, le32(avail, 12));
            if &avail[..4] != LOBJ || !(1..=2).contains(&ver) || hsize < 32 || size < hsize {
                let msg = format!(
                    "bad object header in the stream of the container at byte offset {} \
                     (signature {:02x?}, header version {ver}, header size {hsize}, size {size}); resyncing",
                    self.container_at,
                    &avail[..4]
                );
                self.spos += 1;
                self.resync = true;
                return Err(self.err(self.container_at, msg, false));
            }
            // Writers pad inner objects either with `size % 4` zero bytes or to a multiple of 4:
            // skipping up to 3 zero bytes (a signature starts with 'L') reads both.
            self.pad = 3;
            if !objects::known(otype) {
                let here = size.min(avail.len());
                self.spos += here;
                self.skip = size - here;
                continue;
            }
            if size > MAX_OBJECT {
                self.spos += 4;
                self.resync = true;
                return Err(self.err(
                    self.container_at,
                    format!("impossible object size {size}"),
                    false,
                ));
            }
            if avail.len() < size {
                if self.fill()? {
                    continue;
                }
                let msg = format!("file ends inside an object of {size} bytes");
                return Err(self.err(self.container_at, msg, true));
            }
            let start = self.spos;
            self.spos += size;
            return Ok(Some(Obj { start, size }));
        }
    }
}

impl<R: Read> FrameReader for Reader<R> {
    fn next_frame(&mut self) -> Result<Option<FrameRef<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let obj = match self.next_object() {
            Ok(Some(obj)) => obj,
            Ok(None) => {
                self.done = true;
                return Ok(None);
            }
            Err(e) => {
                self.done |= e.fatal;
                return Err(e);
            }
        };
        let bytes = &self.stream[obj.start..obj.start + obj.size];
        match objects::decode(bytes, &mut self.scratch, self.start_ns) {
            Ok(frame) => Ok(Some(frame)),
            Err(msg) => Err(err(
                &self.name,
                self.container_at,
                format!(
                    "in the container at byte offset {}: {msg}",
                    self.container_at
                ),
                false,
            )),
        }
    }

    fn bytes_read(&self) -> u64 {
        self.offset
    }
}

fn err(file: &str, off: u64, msg: String, fatal: bool) -> CaptureError {
    CaptureError {
        file: file.to_string(),
        pos: Position::Offset(off),
        msg,
        fatal,
    }
}
