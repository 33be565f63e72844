//! The UDS reflash every generated capture carries, independent of the transport: the request
//! sequence the shipped `rules/uds` flow accepts, with realistic timing, repeated over several
//! ECUs and many download regions until the capture reaches its size.
//!
//! Per ECU: `10 03`, `31 01 02 03` (preconditions), functional `85 82` and `28 83 01`
//! (suppressed answers), `10 02` answered `7F 10 78` then `50 02`, `27 11`/`27 12`,
//! `2E F1 99`, then regions — `31 01 FF 00` erase (answered by pendings), `34 00 44 …`
//! (`74 20 0F FA`: 4090-byte blocks), TransferData `36` blocks with the counter running
//! 01 … FF, 00, 01 …, `37`, `31 01 02 02` check — then `31 01 FF 01`, `11 01` and the
//! functional `28 80 01` / `85 81` restore. TesterPresent `3E 80` every 2 s of capture time.

use std::io;

/// Time of the first frame: 2025-12-06 05:46:40 UTC, in ns since the epoch.
pub const BASE_NS: i64 = 1_765_000_000 * 1_000_000_000;
/// The ECU's maxNumberOfBlockLength (`74 20 0F FA`): bytes of one TransferData request.
pub const BLOCK_LEN: usize = 4090;
/// Firmware bytes per TransferData request (after `36 <bsc>`).
const DATA_PER_BLOCK: usize = BLOCK_LEN - 2;
const MS: i64 = 1_000_000;
const US: i64 = 1_000;

/// A small seeded generator (splitmix64): reproducible captures without a `rand` dependency.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    /// Fills `out` with random bytes (the firmware image).
    pub fn fill(&mut self, out: &mut [u8]) {
        let mut chunks = out.chunks_exact_mut(8);
        for c in &mut chunks {
            c.copy_from_slice(&self.next().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        let last = self.next().to_le_bytes();
        rest.copy_from_slice(&last[..rest.len()]);
    }
}

/// One UDS message handed to a transport.
pub struct Msg<'a> {
    /// Which ECU (0-based); the transport maps it to CAN ids or a DoIP logical address.
    pub ecu: usize,
    /// Sent by the tester (else by the ECU).
    pub request: bool,
    /// Sent to the functional address (CAN 0x7DF, DoIP 0xE400).
    pub functional: bool,
    /// The UDS message.
    pub data: &'a [u8],
}

/// A transport that puts UDS messages into a capture file.
pub trait Wire {
    /// Writes `m` starting at `ts` (ns); returns the time its last frame or packet was sent.
    fn send(&mut self, ts: i64, m: &Msg<'_>) -> io::Result<i64>;
    /// Bytes written to the file so far.
    fn written(&self) -> u64;
    /// Frames or packets written so far.
    fn frames(&self) -> u64;
    /// Closes the capture (trailer, TCP close) at `ts` and flushes it.
    fn finish(&mut self, ts: i64) -> io::Result<()>;
}

/// What was generated.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// ECUs flashed.
    pub ecus: usize,
    /// UDS messages sent (requests and responses, pendings included).
    pub messages: u64,
    /// Of them requests.
    pub requests: u64,
    /// Download regions (RequestDownload … RequestTransferExit).
    pub downloads: u64,
    /// TransferData blocks.
    pub blocks: u64,
    /// Firmware bytes carried.
    pub firmware: u64,
    /// Time of the last message, ns.
    pub end_ts: i64,
}

/// Writes the reflash of `ecus` ECUs through `wire` until about `size` bytes are written.
pub fn generate(wire: &mut dyn Wire, size: u64, ecus: usize, seed: u64) -> io::Result<Stats> {
    let mut s = Script {
        wire,
        rng: Rng::new(seed),
        t: BASE_NS + 100 * MS,
        last_tp: BASE_NS,
        stats: Stats {
            ecus,
            ..Stats::default()
        },
        block: vec![0; BLOCK_LEN],
        addr: 0x0008_0000,
        est: None,
    };
    for e in 0..ecus {
        let end = size * (e as u64 + 1) / ecus as u64;
        s.ecu(e, end)?;
    }
    s.stats.end_ts = s.t;
    let t = s.t + 50 * MS;
    s.wire.finish(t)?;
    Ok(s.stats)
}

struct Script<'w> {
    wire: &'w mut dyn Wire,
    rng: Rng,
    /// Earliest time of the next message.
    t: i64,
    last_tp: i64,
    stats: Stats,
    block: Vec<u8>,
    /// Next flash address.
    addr: u32,
    /// Bytes written per TransferData block, once measured.
    est: Option<u64>,
}

impl Script<'_> {
    /// Sends one message at the current time; returns when it was done.
    fn send(
        &mut self,
        ecu: usize,
        request: bool,
        functional: bool,
        data: &[u8],
    ) -> io::Result<i64> {
        let done = self.wire.send(
            self.t,
            &Msg {
                ecu,
                request,
                functional,
                data,
            },
        )?;
        self.stats.messages += 1;
        self.stats.requests += u64::from(request);
        self.t = done;
        Ok(done)
    }

    /// Waits `lo..=hi` µs.
    fn wait_us(&mut self, lo: i64, hi: i64) {
        self.t += self.rng.range(lo * US, hi * US);
    }

    /// A request answered after 2–12 ms, then the tester's 1–3 ms pause.
    fn exchange(&mut self, ecu: usize, req: &[u8], rsp: &[u8]) -> io::Result<()> {
        self.send(ecu, true, false, req)?;
        self.wait_us(2_000, 12_000);
        self.send(ecu, false, false, rsp)?;
        self.wait_us(1_000, 3_000);
        Ok(())
    }

    /// A request without an answer (suppressed positive response), then a pause.
    fn quiet(&mut self, ecu: usize, functional: bool, req: &[u8]) -> io::Result<()> {
        self.send(ecu, true, functional, req)?;
        self.wait_us(2_000, 5_000);
        Ok(())
    }

    /// A request answered by `pendings` `7F <sid> 78` (the first after 5–10 ms, then every
    /// 1.5–2.5 s) and the final response 0.5–1.5 s after the last pending.
    fn pending(&mut self, ecu: usize, req: &[u8], pendings: u32, rsp: &[u8]) -> io::Result<()> {
        self.send(ecu, true, false, req)?;
        let nrc = [0x7F, req[0], 0x78];
        self.wait_us(5_000, 10_000);
        for i in 0..pendings {
            if i > 0 {
                self.wait_us(1_500_000, 2_500_000);
            }
            self.send(ecu, false, false, &nrc)?;
        }
        self.wait_us(20_000, 1_500_000);
        self.send(ecu, false, false, rsp)?;
        self.wait_us(1_000, 3_000);
        Ok(())
    }

    /// TesterPresent when 2 s passed since the last one.
    fn keep_alive(&mut self, ecu: usize) -> io::Result<()> {
        if self.t - self.last_tp >= 2_000 * MS {
            self.last_tp = self.t;
            self.quiet(ecu, false, &[0x3E, 0x80])?;
        }
        Ok(())
    }

    fn random4(&mut self) -> [u8; 4] {
        (self.rng.next() as u32).to_be_bytes()
    }

    /// One ECU's whole session; regions until the file reaches `end` bytes.
    fn ecu(&mut self, e: usize, end: u64) -> io::Result<()> {
        self.exchange(e, &[0x10, 0x03], &[0x50, 0x03, 0x00, 0x32, 0x01, 0xF4])?;
        self.exchange(
            e,
            &[0x31, 0x01, 0x02, 0x03],
            &[0x71, 0x01, 0x02, 0x03, 0x00],
        )?;
        self.quiet(e, true, &[0x85, 0x82])?;
        self.quiet(e, true, &[0x28, 0x83, 0x01])?;
        self.pending(e, &[0x10, 0x02], 1, &[0x50, 0x02, 0x00, 0x32, 0x01, 0xF4])?;
        let seed = self.random4();
        let mut rsp = vec![0x67, 0x11];
        rsp.extend_from_slice(&seed);
        self.exchange(e, &[0x27, 0x11], &rsp)?;
        let key = self.random4();
        let mut req = vec![0x27, 0x12];
        req.extend_from_slice(&key);
        self.exchange(e, &req, &[0x67, 0x12])?;
        self.exchange(
            e,
            &[0x2E, 0xF1, 0x99, 0x25, 0x12, 0x06],
            &[0x6E, 0xF1, 0x99],
        )?;
        self.last_tp = self.t;
        loop {
            self.region(e, end)?;
            if self.wire.written() >= end {
                break;
            }
        }
        self.exchange(
            e,
            &[0x31, 0x01, 0xFF, 0x01],
            &[0x71, 0x01, 0xFF, 0x01, 0x00],
        )?;
        self.exchange(e, &[0x11, 0x01], &[0x51, 0x01])?;
        self.wait_us(500_000, 1_000_000); // the ECU restarts
        self.quiet(e, true, &[0x28, 0x80, 0x01])?;
        self.quiet(e, true, &[0x85, 0x81])?;
        self.wait_us(50_000, 200_000);
        Ok(())
    }

    /// Blocks in the next region: 64–1024, fewer when the file would overshoot `end`, 8 while
    /// the bytes per block are not measured yet.
    fn region_blocks(&mut self, end: u64) -> u64 {
        let want = self.rng.range(64, 1024) as u64;
        match self.est {
            None => 8,
            Some(per) => {
                let left = end.saturating_sub(self.wire.written());
                want.min(left.div_ceil(per.max(1)).max(1))
            }
        }
    }

    /// Erase, download, transfer, exit and check of one memory region.
    fn region(&mut self, e: usize, end: u64) -> io::Result<()> {
        let n = self.region_blocks(end);
        let last = self.rng.range(1, DATA_PER_BLOCK as i64) as u64;
        let size = (n - 1) * DATA_PER_BLOCK as u64 + last;
        let mut spec = vec![0x44];
        spec.extend_from_slice(&self.addr.to_be_bytes());
        spec.extend_from_slice(&(size as u32).to_be_bytes());
        self.addr = self
            .addr
            .wrapping_add((size as u32).next_multiple_of(0x1000));

        let mut erase = vec![0x31, 0x01, 0xFF, 0x00];
        erase.extend_from_slice(&spec);
        let pendings = 1 + (n / 256) as u32;
        self.pending(e, &erase, pendings, &[0x71, 0x01, 0xFF, 0x00, 0x00])?;
        let mut download = vec![0x34, 0x00];
        download.extend_from_slice(&spec);
        self.exchange(e, &download, &[0x74, 0x20, 0x0F, 0xFA])?;
        self.stats.downloads += 1;

        let before = self.wire.written();
        let mut block = std::mem::take(&mut self.block);
        for i in 0..n {
            self.keep_alive(e)?;
            let bsc = ((i + 1) % 256) as u8;
            let len = if i + 1 == n {
                last as usize
            } else {
                DATA_PER_BLOCK
            };
            block[0] = 0x36;
            block[1] = bsc;
            self.rng.fill(&mut block[2..2 + len]);
            self.send(e, true, false, &block[..2 + len])?;
            self.wait_us(3_000, 9_000);
            self.send(e, false, false, &[0x76, bsc])?;
            self.wait_us(1_000, 2_000);
        }
        self.block = block;
        self.stats.blocks += n;
        self.stats.firmware += size;
        self.est = Some((self.wire.written() - before) / n);

        self.exchange(e, &[0x37], &[0x77])?;
        let crc = self.random4();
        let mut check = vec![0x31, 0x01, 0x02, 0x02];
        check.extend_from_slice(&crc);
        self.exchange(e, &check, &[0x71, 0x01, 0x02, 0x02, 0x00])
    }
}
