//! The pcap reader's chunked input buffer: large reads, records parsed in place, byte offsets
//! for error messages, no allocation per record.

use std::io::{self, Read};

/// Size of the reads from the underlying file once the buffer has grown.
const CHUNK: usize = 1 << 20;

/// Buffered input with an explicit cursor; records are parsed in place in `buf`.
pub(crate) struct Input<R> {
    inner: R,
    /// Buffered bytes; `buf[pos..end]` is not yet consumed.
    pub(crate) buf: Vec<u8>,
    pub(crate) pos: usize,
    end: usize,
    /// File offset of `buf[0]`.
    base: u64,
    eof: bool,
}

impl<R: Read> Input<R> {
    pub(crate) fn new(inner: R) -> Self {
        Input {
            inner,
            buf: Vec::new(),
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
        }
    }

    /// File offset of the cursor.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// The unconsumed buffered bytes.
    pub(crate) fn avail(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Makes at least `n` bytes available at the cursor; `Ok(false)` when the file ends first
    /// (then `avail()` holds what is left). `n` must be bounded by the caller.
    pub(crate) fn ensure(&mut self, n: usize) -> io::Result<bool> {
        if self.end - self.pos >= n {
            return Ok(true);
        }
        if self.pos + n > self.buf.len() {
            // Move the unconsumed tail to the front (and grow if one record needs more room).
            self.buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.pos = 0;
            // Start small (many captures are tiny), double up to CHUNK-sized reads.
            let want = n.max((self.buf.len() * 2).clamp(64 << 10, CHUNK));
            if self.buf.len() < want {
                self.buf.resize(want, 0);
            }
        }
        while self.end - self.pos < n && !self.eof {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - self.pos >= n)
    }

    /// Consumes `n` buffered bytes (`n <= avail().len()`).
    pub(crate) fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.end);
    }

    /// Skips `n` bytes, buffered or not; returns how many could be skipped before the file ended.
    pub(crate) fn skip(&mut self, n: u64) -> io::Result<u64> {
        let mut left = n;
        loop {
            let here = (left.min((self.end - self.pos) as u64)) as usize;
            self.consume(here);
            left -= here as u64;
            if left == 0 {
                return Ok(n);
            }
            if !self.ensure(1)? {
                return Ok(n - left);
            }
        }
    }
}
