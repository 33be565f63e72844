//! CAN captures: ISO-TP segmentation of the UDS messages (single, first and consecutive frames
//! with the receiver's flow control) and the three file forms that carry the frames — candump
//! `-l` log, Vector ASC and pcap with LINKTYPE_CAN_SOCKETCAN.

use crate::script::{Msg, Rng, Wire, BASE_NS};
use crate::text::TextOut;
use otadiag_capture::pcap;
use otadiag_capture::CanFlags;
use std::fs::File;
use std::io::{self, BufWriter, Write};

/// Tester request id of the first ECU (ECU `e` uses 0x7E0 + e and answers on 0x7E8 + e).
pub const REQ_ID: u32 = 0x7E0;
/// Response id of the first ECU.
pub const RSP_ID: u32 = 0x7E8;
/// OBD functional request id.
pub const FUNCTIONAL_ID: u32 = 0x7DF;
/// Padding of SF, FC and the last CF.
const PAD: u8 = 0x00;

/// Where CAN frames go.
pub trait CanSink {
    /// Writes one classic 8-byte frame.
    fn frame(&mut self, ts: i64, id: u32, data: &[u8; 8]) -> io::Result<()>;
    /// Bytes written so far.
    fn written(&self) -> u64;
    /// Writes the trailer and flushes.
    fn finish(&mut self) -> io::Result<()>;
}

/// The ISO-TP transport over a frame sink, at 500 kbit/s: an 8-byte frame every 230–260 µs
/// (STmin 0), flow control 300–800 µs after a first frame.
pub struct IsoTp<S: CanSink> {
    sink: S,
    rng: Rng,
    frames: u64,
}

impl<S: CanSink> IsoTp<S> {
    /// A transport writing to `sink`; `seed` varies the frame timing.
    pub fn new(sink: S, seed: u64) -> Self {
        IsoTp {
            sink,
            rng: Rng::new(seed ^ 0xCA11),
            frames: 0,
        }
    }

    fn frame(&mut self, ts: i64, id: u32, data: &[u8; 8]) -> io::Result<()> {
        self.frames += 1;
        self.sink.frame(ts, id, data)
    }

    /// Time for one frame on the bus.
    fn gap(&mut self) -> i64 {
        self.rng.range(230_000, 260_000)
    }
}

impl<S: CanSink> Wire for IsoTp<S> {
    fn send(&mut self, ts: i64, m: &Msg<'_>) -> io::Result<i64> {
        let e = m.ecu as u32;
        let (id, peer) = match (m.request, m.functional) {
            (true, true) => (FUNCTIONAL_ID, RSP_ID + e),
            (true, false) => (REQ_ID + e, RSP_ID + e),
            (false, _) => (RSP_ID + e, REQ_ID + e),
        };
        let d = m.data;
        let mut f = [PAD; 8];
        if d.len() <= 7 {
            f[0] = d.len() as u8;
            f[1..=d.len()].copy_from_slice(d);
            self.frame(ts, id, &f)?;
            return Ok(ts);
        }
        assert!(
            d.len() <= 4095,
            "classic ISO-TP first frames carry at most 4095 bytes"
        );
        f[0] = 0x10 | (d.len() >> 8) as u8;
        f[1] = d.len() as u8;
        f[2..8].copy_from_slice(&d[..6]);
        self.frame(ts, id, &f)?;
        let mut t = ts + self.rng.range(300_000, 800_000);
        self.frame(t, peer, &[0x30, 0x00, 0x00, PAD, PAD, PAD, PAD, PAD])?;
        let mut sn = 1u8;
        for chunk in d[6..].chunks(7) {
            t += self.gap();
            let mut f = [PAD; 8];
            f[0] = 0x20 | (sn & 0x0F);
            f[1..=chunk.len()].copy_from_slice(chunk);
            self.frame(t, id, &f)?;
            sn = sn.wrapping_add(1);
        }
        Ok(t)
    }

    fn written(&self) -> u64 {
        self.sink.written()
    }

    fn frames(&self) -> u64 {
        self.frames
    }

    fn finish(&mut self, _ts: i64) -> io::Result<()> {
        self.sink.finish()
    }
}

/// candump `-l` log lines: `(1765000000.123456) can0 7E0#0210030000000000`.
pub struct Candump(pub TextOut);

impl CanSink for Candump {
    fn frame(&mut self, ts: i64, id: u32, data: &[u8; 8]) -> io::Result<()> {
        let b = self.0.line();
        b.push(b'(');
        crate::text::push_dec(b, (ts / 1_000_000_000) as u64, 1);
        b.push(b'.');
        crate::text::push_dec(b, ((ts % 1_000_000_000) / 1_000) as u64, 6);
        b.extend_from_slice(b") can0 ");
        crate::text::push_hex_id(b, id, 3);
        b.push(b'#');
        for &x in data {
            crate::text::push_hex_byte(b, x);
        }
        b.push(b'\n');
        self.0.done()
    }

    fn written(&self) -> u64 {
        self.0.written()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Vector ASC: `date`/`base hex timestamps absolute` header, then
/// `   0.012345 1  7E0             Rx   d 8 02 10 03 00 00 00 00 00`, times since the `date`.
pub struct Asc(TextOut);

impl Asc {
    /// Writes the header; times in the file count from [`BASE_NS`] (2025-12-06 05:46:40 UTC).
    pub fn new(mut out: TextOut) -> io::Result<Self> {
        let b = out.line();
        b.extend_from_slice(
            b"date Sat Dec 6 05:46:40.000 am 2025\n\
              base hex  timestamps absolute\n\
              internal events logged\n\
              // version 13.0.0\n\
              Begin Triggerblock Sat Dec 6 05:46:40.000 am 2025\n   0.000000 Start of measurement\n",
        );
        out.done()?;
        Ok(Asc(out))
    }
}

impl CanSink for Asc {
    fn frame(&mut self, ts: i64, id: u32, data: &[u8; 8]) -> io::Result<()> {
        let rel = (ts - BASE_NS).max(0) as u64;
        let b = self.0.line();
        let secs = rel / 1_000_000_000;
        let digits = if secs == 0 {
            1
        } else {
            secs.ilog10() as usize + 1
        };
        b.resize(b.len() + 4usize.saturating_sub(digits), b' ');
        crate::text::push_dec(b, secs, 1);
        b.push(b'.');
        crate::text::push_dec(b, (rel % 1_000_000_000) / 1_000, 6);
        b.extend_from_slice(b" 1  ");
        let start = b.len();
        crate::text::push_hex_id(b, id, 1);
        b.resize(start + 16, b' ');
        b.extend_from_slice(b"Rx   d 8");
        for &x in data {
            b.push(b' ');
            crate::text::push_hex_byte(b, x);
        }
        b.push(b'\n');
        self.0.done()
    }

    fn written(&self) -> u64 {
        self.0.written()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.0.line().extend_from_slice(b"End TriggerBlock\n");
        self.0.done()?;
        self.0.flush()
    }
}

/// Counts the bytes going through a writer.
pub struct Counting<W: Write> {
    inner: W,
    /// Bytes written so far.
    pub n: u64,
}

impl<W: Write> Counting<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Counting { inner, n: 0 }
    }

    /// The wrapped writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.n += k as u64;
        Ok(k)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// pcap with LINKTYPE_CAN_SOCKETCAN (227), id in network byte order: what Wireshark reads.
pub struct PcapCan(Option<pcap::Writer<Counting<BufWriter<File>>>>, u64);

impl PcapCan {
    /// Writes the pcap file header to `file`.
    pub fn new(file: File) -> io::Result<Self> {
        let w = Counting::new(BufWriter::with_capacity(1 << 20, file));
        Ok(PcapCan(
            Some(pcap::Writer::new(w, pcap::LINKTYPE_CAN_SOCKETCAN)?),
            24,
        ))
    }
}

impl CanSink for PcapCan {
    fn frame(&mut self, ts: i64, id: u32, data: &[u8; 8]) -> io::Result<()> {
        self.1 += 32; // 16-byte record header + 16-byte can_frame
        let w = self.0.as_mut().expect("not finished");
        w.write_can(ts, id, CanFlags::default(), data)
    }

    fn written(&self) -> u64 {
        self.1
    }

    fn finish(&mut self) -> io::Result<()> {
        if let Some(w) = self.0.take() {
            let c = w.into_inner()?;
            debug_assert_eq!(c.n, self.1);
            c.into_inner().into_inner().map_err(|e| e.into_error())?;
        }
        Ok(())
    }
}
