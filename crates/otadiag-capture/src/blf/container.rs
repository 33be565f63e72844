//! The outer layer of a BLF file: top-level objects (each followed by `size % 4` padding bytes,
//! as python-can and vector_blf read and write them), LOG_CONTAINERs inflated onto the reader's
//! object stream.

use std::io::{self, Read};

use flate2::{Decompress, FlushDecompress, Status};

use super::objects::{le16, le32, LOG_CONTAINER};
use super::{Reader, LOBJ, MAX_CONTAINER};
use crate::frame::CaptureError;

impl<R: Read> Reader<R> {
    /// Appends the next container's data to the stream; `Ok(false)` at the end of the file.
    pub(super) fn fill(&mut self) -> Result<bool, CaptureError> {
        self.stream.drain(..self.spos);
        self.spos = 0;
        loop {
            let off = self.offset;
            let mut h = [0u8; 32];
            let got = read_full(&mut self.inner, &mut h[..16])
                .map_err(|e| self.err(off, format!("read error: {e}"), true))?;
            if got == 0 {
                return Ok(false);
            }
            if got < 16 || &h[..4] != LOBJ {
                return Err(self.err(
                    off,
                    format!("expected an LOBJ object header ({got} bytes read)"),
                    true,
                ));
            }
            let (size, otype) = (le32(&h, 8) as usize, le32(&h, 12));
            if size < 16 {
                return Err(self.err(off, format!("impossible object size {size}"), true));
            }
            // Objects are followed by `size % 4` padding bytes (python-can, vector_blf).
            let total = size + size % 4;
            if otype != LOG_CONTAINER {
                let rest = (total - 16) as u64;
                let n = io::copy(&mut (&mut self.inner).take(rest), &mut io::sink())
                    .map_err(|e| self.err(off, format!("read error: {e}"), true))?;
                if n < rest && n < (size - 16) as u64 {
                    return Err(self.err(
                        off,
                        format!("truncated object: {size} bytes announced"),
                        true,
                    ));
                }
                self.offset += 16 + n;
                continue;
            }
            if !(32..=MAX_CONTAINER).contains(&size) {
                return Err(self.err(off, format!("impossible container size {size}"), true));
            }
            self.cbuf.resize(total - 16, 0);
            let n = read_full(&mut self.inner, &mut self.cbuf)
                .map_err(|e| self.err(off, format!("read error: {e}"), true))?;
            if n < size - 16 {
                return Err(self.err(
                    off,
                    format!(
                        "truncated container: {size} bytes announced, {} present",
                        16 + n
                    ),
                    true,
                ));
            }
            self.offset += 16 + n as u64;
            self.container_at = off;
            return self.unpack(off, size - 16).map(|()| true);
        }
    }

    /// Inflates (or copies) the container payload `cbuf[..len]` onto the stream.
    fn unpack(&mut self, off: u64, len: usize) -> Result<(), CaptureError> {
        let (method, usize_) = (le16(&self.cbuf, 0), le32(&self.cbuf, 8) as usize);
        let data = &self.cbuf[16..len];
        let before = self.stream.len();
        let res = match method {
            0 => {
                self.stream.extend_from_slice(data);
                Ok(())
            }
            2 if usize_ <= MAX_CONTAINER => {
                inflate(&mut self.inflate, data, &mut self.stream, usize_)
            }
            2 => Err(format!("impossible uncompressed size {usize_}")),
            m => Err(format!("unknown compression method {m}")),
        };
        if let Err(msg) = res {
            // Whatever was pending from earlier containers cannot be completed any more.
            self.stream.clear();
            self.skip = 0;
            self.resync = true;
            return Err(self.err(
                off,
                format!("corrupt log container at byte offset {off}: {msg}; skipped"),
                false,
            ));
        }
        let drop = self.skip.min(self.stream.len() - before);
        self.stream.drain(before..before + drop);
        self.skip -= drop;
        Ok(())
    }
}

/// Inflates one zlib stream onto `out`, growing it to at most [`MAX_CONTAINER`] new bytes.
fn inflate(d: &mut Decompress, data: &[u8], out: &mut Vec<u8>, hint: usize) -> Result<(), String> {
    d.reset(true);
    let start = out.len();
    out.reserve(hint.max(64));
    loop {
        let consumed = d.total_in() as usize;
        let status = d
            .decompress_vec(&data[consumed..], out, FlushDecompress::Finish)
            .map_err(|e| format!("zlib: {e}"))?;
        match status {
            Status::StreamEnd => return Ok(()),
            _ if out.len() - start >= MAX_CONTAINER => return Err("inflates past 16 MiB".into()),
            _ if out.len() == out.capacity() => out.reserve(64 << 10),
            _ => return Err("zlib: compressed data ends early".into()),
        }
    }
}

/// Reads until `buf` is full or the input ends; returns the number of bytes read.
pub(super) fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
