//! Shared plumbing of the fuzz targets: draining a capture reader while checking the contract
//! documented on `otadiag_capture::FrameReader` / `FrameRef`, and building packets for the
//! decoder targets.

use otadiag_capture::{CaptureError, FrameReader, FrameRef};

/// Upper bound on `next_frame` calls for an input of `len` bytes read without a gzip layer.
///
/// Every frame or non-fatal error consumes at least one byte of the (inflated) stream, and zlib
/// inflates at most ~1032×, so a reader that goes beyond this is not making progress.
pub fn call_budget(len: usize) -> usize {
    2_000 * len + 10_000
}

/// Checks one frame against the documented `FrameRef` contract.
pub fn check_frame(f: &FrameRef<'_>) {
    let _ = f.ts();
    match *f {
        FrameRef::Can { id, data, .. } => {
            assert!(
                data.len() <= 64,
                "CAN frame with {} data bytes (CAN FD has at most 64)",
                data.len()
            );
            assert!(
                id <= 0x1FFF_FFFF,
                "CAN id {id:#x} carries flag bits (FrameRef::Can::id is an 11- or 29-bit id)"
            );
        }
        FrameRef::Packet { data, .. } => {
            // Read every borrowed byte (the frame must stay valid until the next call; the
            // sanitizer checks the unsafe code of the dependencies, e.g. memchr).
            std::hint::black_box(data.iter().fold(0u8, |a, &b| a ^ b));
        }
    }
}

fn check_error(e: &CaptureError) {
    // The message must render (Display) without panicking.
    std::hint::black_box(e.to_string());
}

/// Calls `next_frame` until the end of the file or a fatal error, going past non-fatal errors.
///
/// Panics when the reader breaks the `FrameReader` contract: a frame or error after a fatal
/// error (it must return `Ok(None)`), `bytes_read` going backwards, or — when `budget` is
/// `Some` — more than `budget` calls without reaching the end (a reader that does not progress).
/// With `budget == None` the drain simply stops after `cap` calls (inputs that may legitimately
/// expand without bound, e.g. gzip around a compressed BLF).
pub fn drain(r: &mut dyn FrameReader, budget: Option<usize>, cap: usize) {
    let limit = budget.unwrap_or(cap);
    let mut last = r.bytes_read();
    for _ in 0..limit {
        let fatal = match r.next_frame() {
            Ok(Some(f)) => {
                check_frame(&f);
                false
            }
            Ok(None) => return,
            Err(e) => {
                check_error(&e);
                e.fatal
            }
        };
        let now = r.bytes_read();
        assert!(now >= last, "bytes_read went backwards: {last} -> {now}");
        last = now;
        if fatal {
            match r.next_frame() {
                Ok(None) => return,
                Ok(Some(f)) => panic!("frame after a fatal error: {f:?}"),
                Err(e) => panic!("error after a fatal error: {e}"),
            }
        }
    }
    if let Some(b) = budget {
        panic!("reader still yielding after {b} calls: no progress");
    }
}

pub mod dec {
    //! Structured inputs of the decoder targets.

    use libfuzzer_sys::arbitrary::{self, Arbitrary};
    use otadiag_decode::{DecodeConfig, IdFilter, Message, Padding, Sink, TransportEvent};

    /// A timestamp step: mostly small forward steps (so ISO-TP timers run), sometimes none or
    /// an arbitrary absolute value (readers can produce any i64, e.g. BLF saturates at i64::MAX).
    #[derive(Arbitrary, Debug, Clone, Copy)]
    pub enum Ts {
        /// Forward by this many 100 µs units.
        Step(u16),
        /// Backward by this many 100 µs units.
        Back(u8),
        /// No timestamp (candump console output).
        None,
        /// Any value.
        Abs(i64),
    }

    /// Running clock of a frame sequence.
    #[derive(Default)]
    pub struct Clock(i64);

    impl Clock {
        pub fn next(&mut self, t: Ts) -> Option<i64> {
            match t {
                Ts::Step(d) => self.0 = self.0.saturating_add(i64::from(d) * 100_000),
                Ts::Back(d) => self.0 = self.0.saturating_sub(i64::from(d) * 100_000),
                Ts::None => return None,
                Ts::Abs(v) => self.0 = v,
            }
            Some(self.0)
        }
    }

    /// Decoder settings worth varying.
    #[derive(Arbitrary, Debug)]
    pub struct Cfg {
        filter: u8,
        ids: Vec<u32>,
        ext_ids: Vec<u32>,
        doip_ports: Option<Vec<u16>>,
        someip_ports: Option<Vec<u16>>,
        n_bs_ms: u16,
        n_cr_ms: u16,
        padding: Option<u8>,
        /// 0 = default (16 MiB), else this many bytes.
        max_message_len: u16,
        /// 0 = default (1 MiB), else this many bytes.
        tcp_reorder_limit: u16,
    }

    impl Cfg {
        pub fn build(&self) -> DecodeConfig {
            let d = DecodeConfig::default();
            DecodeConfig {
                isotp_ids: match self.filter % 4 {
                    0 => IdFilter::Default,
                    1 => IdFilter::All,
                    2 => IdFilter::Ids(self.ids.clone()),
                    _ => IdFilter::Pairs(self.ids.chunks_exact(2).map(|p| (p[0], p[1])).collect()),
                },
                extended_addressing_ids: self.ext_ids.clone(),
                doip_ports: self.doip_ports.clone().unwrap_or(d.doip_ports),
                someip_ports: self.someip_ports.clone(),
                n_bs_ms: if self.n_bs_ms != 0 {
                    u32::from(self.n_bs_ms)
                } else {
                    d.n_bs_ms
                },
                n_cr_ms: if self.n_cr_ms != 0 {
                    u32::from(self.n_cr_ms)
                } else {
                    d.n_cr_ms
                },
                padding: match self.padding {
                    None => Padding::Ignore,
                    Some(b) => Padding::Check(b),
                },
                max_message_len: if self.max_message_len != 0 {
                    usize::from(self.max_message_len)
                } else {
                    d.max_message_len
                },
                tcp_reorder_limit: if self.tcp_reorder_limit != 0 {
                    usize::from(self.tcp_reorder_limit)
                } else {
                    d.tcp_reorder_limit
                },
            }
        }
    }

    /// A sink that checks the documented message invariants and drops everything.
    #[derive(Default)]
    pub struct CheckSink {
        pub messages: usize,
        pub events: usize,
    }

    impl Sink for CheckSink {
        fn message(&mut self, m: &Message<'_>) {
            assert!(
                m.data.len() as u64 <= u64::from(m.len),
                "message data ({} bytes) longer than its len {}",
                m.data.len(),
                m.len
            );
            std::hint::black_box(m.data.iter().fold(0u8, |a, &b| a ^ b));
            self.messages += 1;
        }
        fn event(&mut self, e: &TransportEvent) {
            std::hint::black_box((e.kind.name(), e.detail.len()));
            self.events += 1;
        }
    }
}
