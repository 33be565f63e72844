//! BLF writer (CAN_MESSAGE2, CAN_FD_MESSAGE_64, CAN_ERROR_EXT and ETHERNET_FRAME_EX objects in
//! zlib LOG_CONTAINERs), so tests and the simulator can produce BLF files: none of the real
//! traces we have is BLF.

use std::io::{self, Write};

use flate2::{Compress, Compression, FlushCompress, Status};

use super::objects::{
    CAN_ERROR_EXT, CAN_FD_MESSAGE_64, CAN_MESSAGE2, ETHERNET_FRAME_EX, LOG_CONTAINER,
};
use super::systime;
use crate::frame::CanFlags;

/// Uncompressed bytes per container, as CANoe and python-can write them.
const CONTAINER: usize = 128 << 10;
const FILE_HEADER: usize = 144;

/// Writes a BLF file. The header's file size and object count stay 0 (the writer does not
/// seek back); readers, ours and python-can's, do not need them.
pub struct Writer<W: Write> {
    inner: W,
    start_ns: i64,
    cache: Vec<u8>,
    container: usize,
    out: Vec<u8>,
    deflate: Compress,
}

impl<W: Write> Writer<W> {
    /// Writes the file header with measurement start `start_ns` (ns since the epoch, stored with
    /// millisecond precision; object timestamps are relative to the stored value).
    pub fn new(mut inner: W, start_ns: i64) -> io::Result<Self> {
        let start_ns = start_ns.div_euclid(1_000_000) * 1_000_000;
        let mut h = vec![0u8; FILE_HEADER];
        h[..4].copy_from_slice(b"LOGG");
        h[4..8].copy_from_slice(&(FILE_HEADER as u32).to_le_bytes());
        h[8] = 5; // application id (python-can uses 5 too), versions 0
        h[12..16].copy_from_slice(&[4, 7, 1, 0]); // binlog API version
        let st = systime::from_ns(start_ns);
        for (i, v) in st.iter().chain(st.iter()).enumerate() {
            h[40 + 2 * i..42 + 2 * i].copy_from_slice(&v.to_le_bytes());
        }
        inner.write_all(&h)?;
        let deflate = Compress::new(Compression::default(), true);
        Ok(Writer {
            inner,
            start_ns,
            cache: Vec::new(),
            container: CONTAINER,
            out: Vec::new(),
            deflate,
        })
    }

    /// Sets the uncompressed size of each container (at least 64 bytes). Small containers make
    /// objects straddle container boundaries, which readers must handle.
    pub fn with_container_size(mut self, bytes: usize) -> Self {
        self.container = bytes.max(64);
        self
    }

    /// Appends one object: v1 header with nanosecond timestamp, then `body`, zero-padded so the
    /// object size is a multiple of 4.
    fn object(&mut self, otype: u32, ts_ns: i64, body: &[u8]) -> io::Result<()> {
        let size = 32 + body.len().next_multiple_of(4);
        let rel = ts_ns.saturating_sub(self.start_ns).max(0) as u64;
        let c = &mut self.cache;
        c.extend_from_slice(b"LOBJ");
        c.extend_from_slice(&32u16.to_le_bytes());
        c.extend_from_slice(&1u16.to_le_bytes());
        c.extend_from_slice(&(size as u32).to_le_bytes());
        c.extend_from_slice(&otype.to_le_bytes());
        c.extend_from_slice(&2u32.to_le_bytes()); // timestamps in ns
        c.extend_from_slice(&[0; 4]); // client index, object version
        c.extend_from_slice(&rel.to_le_bytes());
        c.extend_from_slice(body);
        c.resize(c.len() + size - 32 - body.len(), 0);
        while self.cache.len() >= self.container {
            self.flush_container(self.container)?;
        }
        Ok(())
    }

    /// Writes one CAN frame: CAN_FD_MESSAGE_64 when `flags.fd`, CAN_ERROR_EXT when
    /// `flags.error`, CAN_MESSAGE2 otherwise. Data beyond 8 (64 for FD) bytes is cut off.
    pub fn write_can(
        &mut self,
        ts_ns: i64,
        channel: u16,
        id: u32,
        flags: CanFlags,
        data: &[u8],
    ) -> io::Result<()> {
        let word = (id & 0x1FFF_FFFF) | if flags.extended { 0x8000_0000 } else { 0 };
        let mut b = [0u8; 104];
        if flags.fd {
            let data = &data[..data.len().min(64)];
            let fl: u32 =
                0x1000 | if flags.brs { 0x2000 } else { 0 } | if flags.esi { 0x4000 } else { 0 };
            b[0] = channel.min(255) as u8;
            b[1] = (0..16u8)
                .find(|&d| super::objects::dlc_len(d) >= data.len())
                .unwrap_or(15);
            b[2] = data.len() as u8;
            b[4..8].copy_from_slice(&word.to_le_bytes());
            b[12..16].copy_from_slice(&(fl | if flags.rtr { 0x10 } else { 0 }).to_le_bytes());
            b[34] = u8::from(flags.tx);
            b[40..40 + data.len()].copy_from_slice(data);
            return self.object(CAN_FD_MESSAGE_64, ts_ns, &b[..40 + data.len()]);
        }
        let data = &data[..data.len().min(8)];
        b[0..2].copy_from_slice(&channel.to_le_bytes());
        if flags.error {
            b[10] = data.len() as u8;
            b[16..20].copy_from_slice(&word.to_le_bytes());
            b[24..24 + data.len()].copy_from_slice(data);
            return self.object(CAN_ERROR_EXT, ts_ns, &b[..32]);
        }
        b[2] = u8::from(flags.tx) | if flags.rtr { 0x80 } else { 0 };
        b[3] = data.len() as u8;
        b[4..8].copy_from_slice(&word.to_le_bytes());
        b[8..8 + data.len()].copy_from_slice(data);
        self.object(CAN_MESSAGE2, ts_ns, &b[..24])
    }

    /// Writes one Ethernet frame (destination MAC first) as ETHERNET_FRAME_EX.
    pub fn write_ethernet(&mut self, ts_ns: i64, channel: u16, frame: &[u8]) -> io::Result<()> {
        let frame = &frame[..frame.len().min(u16::MAX as usize)];
        let mut b = vec![0u8; 32 + frame.len()];
        b[0..2].copy_from_slice(&30u16.to_le_bytes()); // struct length
        b[4..6].copy_from_slice(&channel.to_le_bytes());
        b[22..24].copy_from_slice(&(frame.len() as u16).to_le_bytes());
        b[32..].copy_from_slice(frame);
        self.object(ETHERNET_FRAME_EX, ts_ns, &b)
    }

    /// Compresses the first `n` cached bytes into one LOG_CONTAINER.
    fn flush_container(&mut self, n: usize) -> io::Result<()> {
        let n = n.min(self.cache.len());
        self.deflate.reset();
        self.out.clear();
        self.out.reserve(n + n / 8 + 64);
        loop {
            let done = self.deflate.total_in() as usize;
            let st = self.deflate.compress_vec(
                &self.cache[done..n],
                &mut self.out,
                FlushCompress::Finish,
            )?;
            if st == Status::StreamEnd {
                break;
            }
            self.out.reserve(4096);
        }
        let size = 32 + self.out.len();
        let mut h = [0u8; 32];
        h[..4].copy_from_slice(b"LOBJ");
        h[4..6].copy_from_slice(&16u16.to_le_bytes());
        h[6..8].copy_from_slice(&1u16.to_le_bytes());
        h[8..12].copy_from_slice(&(size as u32).to_le_bytes());
        h[12..16].copy_from_slice(&LOG_CONTAINER.to_le_bytes());
        h[16..18].copy_from_slice(&2u16.to_le_bytes()); // zlib
        h[24..28].copy_from_slice(&(n as u32).to_le_bytes());
        self.inner.write_all(&h)?;
        self.inner.write_all(&self.out)?;
        self.inner.write_all(&[0; 3][..size % 4])?;
        self.cache.drain(..n);
        Ok(())
    }

    /// Writes the last container, flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        while !self.cache.is_empty() {
            self.flush_container(self.container)?;
        }
        self.inner.flush()?;
        Ok(self.inner)
    }
}
