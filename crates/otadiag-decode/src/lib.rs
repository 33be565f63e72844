//! Turns capture frames into application messages: ISO-TP reassembly on CAN, TCP stream
//! reassembly, DoIP and SOME/IP(-TP) framing on Ethernet — and reports every transport fault on
//! the way as a [`TransportEvent`], because an OTA failure is often a transport failure.
//!
//! Decisions worth knowing:
//! - ISO-TP state is kept per (channel, id, addressing byte); a flow control is matched to the
//!   most recent first frame waiting for one on the same channel, preferring the configured
//!   ([`IdFilter::Pairs`]) or already learned partner, and `0x18DA<TA><SA>` pairs with
//!   `0x18DA<SA><TA>`. A flow control nobody waits for is only counted ([`Stats::stray_fc`]).
//! - Timers run on capture timestamps and are evaluated lazily (next frame on the id, end of
//!   capture). N_Bs is reported only when the sender gives up (a new SF/FF, or the capture ends):
//!   a late flow control after which the transfer continues shows the sender tolerates it.
//!   Without timestamps, a sender starting anew while waiting for a flow control counts as an
//!   N_Bs timeout too. A CF later than N_Cr drops the message (the receiver would).
//! - On guessed ids ([`IdFilter::Default`], [`IdFilter::All`]) bad PCI is reported once per id and
//!   counted after that; a CF on an id that never carried a first frame is bad PCI, not an
//!   unexpected frame.
//! - TCP: the first bytes seen for a sequence range win; a gap is declared when the peer
//!   acknowledges beyond it, when the reorder buffer overflows, or at FIN/RST/end of capture.
//!   Snapped segments leave a known-length hole: a message spanning it is emitted truncated with
//!   its full `len`.
//! - SOME/IP-TP messages are emitted as one SOME/IP message (TP flag cleared, length rewritten,
//!   no TP header); segments must arrive in order (duplicates are ignored).
//! - Packets go through etherparse's strict slicer first (fast) and its lax one only when that
//!   fails (truncated packets). IP fragments are counted and skipped.
//!
//! ```
//! use otadiag_decode::{Collector, DecodeConfig, Decoder};
//! use otadiag_capture::{CanFlags, FrameRef};
//!
//! let mut dec = Decoder::new(DecodeConfig::default());
//! let mut out = Collector::default();
//! let f = FrameRef::Can { ts: Some(0), channel: 0, id: 0x7E0, flags: CanFlags::default(), data: &[0x02, 0x10, 0x03] };
//! dec.push(&f, &mut out);
//! dec.finish(&mut out);
//! assert_eq!(out.messages[0].data, [0x10, 0x03]);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod doip;
mod doip_codes;
mod isotp;
mod isotp_pci;
mod net;
mod someip;
mod stream;
mod tcp;
mod types;

pub use doip_codes::{
    explain_doip_diag_nack, explain_doip_header_nack, explain_doip_payload_type,
    explain_doip_routing_activation,
};
pub use someip::{someip_message_type_name, someip_return_code_name};
pub use types::{
    Collector, Endpoint, EventKind, Message, OwnedMessage, Sink, Stats, Transport, TransportEvent,
};

use otadiag_capture::FrameRef;
use types::Out;

/// Which CAN ids carry ISO-TP.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum IdFilter {
    /// 11-bit 0x600–0x7FF plus 29-bit normal fixed addressing 0x18DA____ / 0x18DB____. Ids are
    /// guessed, so frames failing the PCI checks are counted and reported once per id only.
    #[default]
    Default,
    /// Every id (same lenient reporting as `Default`).
    All,
    /// Exactly these ids.
    Ids(Vec<u32>),
    /// These (request id, response id) pairs: each side's flow control travels on the other id.
    Pairs(Vec<(u32, u32)>),
}

/// Padding expectation for SF, FC and the last CF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Padding {
    /// Any padding (or none) is accepted.
    #[default]
    Ignore,
    /// Frames must be padded to 8 bytes with this byte, else they count as bad PCI (helps to
    /// tell ISO-TP from periodic frames on guessed ids).
    Check(u8),
}

/// Decoder settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeConfig {
    /// Which CAN ids are ISO-TP.
    pub isotp_ids: IdFilter,
    /// Ids using extended or mixed addressing (first data byte = N_TA / N_AE). 29-bit mixed
    /// addressing ids 0x18CE____ / 0x18CD____ are always treated so.
    pub extended_addressing_ids: Vec<u32>,
    /// DoIP ports (TCP and UDP); default `[13400]`.
    pub doip_ports: Vec<u16>,
    /// SOME/IP ports; `None` = any UDP/TCP port whose payload parses as SOME/IP (protocol
    /// version 1). Port 30490 (SD) is included by the heuristic.
    pub someip_ports: Option<Vec<u16>>,
    /// ISO-TP N_Bs timeout in ms (default 1000).
    pub n_bs_ms: u32,
    /// ISO-TP N_Cr timeout in ms (default 1000).
    pub n_cr_ms: u32,
    /// ISO-TP padding expectation.
    pub padding: Padding,
    /// Largest message kept whole (longer ones are emitted truncated with the full `len`);
    /// default 16 MiB.
    pub max_message_len: usize,
    /// Out-of-order bytes buffered per TCP direction before a gap is declared; default 1 MiB.
    pub tcp_reorder_limit: usize,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        DecodeConfig {
            isotp_ids: IdFilter::Default,
            extended_addressing_ids: Vec::new(),
            doip_ports: vec![13400],
            someip_ports: None,
            n_bs_ms: 1000,
            n_cr_ms: 1000,
            padding: Padding::Ignore,
            max_message_len: 16 << 20,
            tcp_reorder_limit: 1 << 20,
        }
    }
}

/// The decoder: push frames in capture order, then call [`Decoder::finish`].
#[derive(Debug)]
pub struct Decoder {
    isotp: isotp::IsoTp,
    net: net::Net,
    stats: Stats,
    last_ts: Option<i64>,
}

impl Decoder {
    /// A decoder with these settings.
    pub fn new(cfg: DecodeConfig) -> Self {
        Decoder {
            isotp: isotp::IsoTp::new(&cfg),
            net: net::Net::new(&cfg),
            stats: Stats::default(),
            last_ts: None,
        }
    }

    /// Decodes one frame; complete messages and events go to `sink`.
    pub fn push(&mut self, f: &FrameRef<'_>, sink: &mut impl Sink) {
        self.stats.frames += 1;
        if let Some(t) = f.ts() {
            self.last_ts = Some(self.last_ts.map_or(t, |l| l.max(t)));
        }
        let mut out = Out {
            sink,
            stats: &mut self.stats,
        };
        match *f {
            FrameRef::Can {
                ts,
                channel,
                id,
                flags,
                data,
            } => {
                out.stats.can_frames += 1;
                self.isotp.push(ts, channel, id, flags, data, &mut out);
            }
            FrameRef::Packet {
                ts,
                channel: _,
                link,
                data,
                orig_len: _,
            } => {
                out.stats.packets += 1;
                self.net.push(ts, link, data, &mut out);
            }
        }
    }

    /// End of capture: incomplete ISO-TP transfers, unfilled TCP gaps and partial messages at
    /// the end of TCP streams become events. The decoder can be reused afterwards.
    pub fn finish(&mut self, sink: &mut impl Sink) {
        let mut out = Out {
            sink,
            stats: &mut self.stats,
        };
        self.isotp.finish(self.last_ts, &mut out);
        self.net.finish(self.last_ts, &mut out);
    }

    /// Counters so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
}
