//! The decoder's output vocabulary (messages, transport events, counters), kept apart from the
//! protocol state machines so consumers can depend on it without reading them.

use std::net::IpAddr;

/// Which transport carried a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// ISO 15765-2 (DoCAN) on a CAN / CAN FD bus.
    IsoTp,
    /// ISO 13400-2 (DoIP) over TCP or UDP.
    DoIp,
    /// SOME/IP over UDP (after SOME/IP-TP reassembly).
    SomeIpUdp,
    /// SOME/IP over TCP.
    SomeIpTcp,
}

/// One end of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A CAN identifier on a channel; `ext_addr` is the N_TA / N_AE byte with extended or mixed
    /// addressing.
    Can {
        /// Channel number as the capture names it.
        channel: u16,
        /// 11- or 29-bit identifier (0 when unknown).
        id: u32,
        /// Extended / mixed addressing byte.
        ext_addr: Option<u8>,
    },
    /// An IP address and TCP/UDP port.
    Ip {
        /// IPv4 or IPv6 address.
        addr: IpAddr,
        /// TCP or UDP port.
        port: u16,
    },
}

/// One reassembled application message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// Nanoseconds; for multi-frame messages the time of the last frame (when it was complete).
    pub ts: Option<i64>,
    /// Time of the first frame.
    pub first_ts: Option<i64>,
    /// Carrying transport.
    pub transport: Transport,
    /// Sender.
    pub src: Endpoint,
    /// Receiver. For ISO-TP: the id that sent the flow control if known, else id 0 on the same
    /// channel.
    pub dst: Endpoint,
    /// DoIP logical (source, target) address of a diagnostic message (payload type 0x8001).
    pub doip: Option<(u16, u16)>,
    /// ISO-TP / DoIP: the UDS (or KWP/GMLAN) message. SOME/IP: the whole message including its
    /// 16-byte header (after SOME/IP-TP reassembly: TP flag cleared, length field rewritten, no TP
    /// header).
    pub data: &'a [u8],
    /// Original length (`data` is shorter only when the capture was snapped or the message
    /// exceeded the decoder's buffer limit).
    pub len: u32,
}

impl Message<'_> {
    /// An owned copy (for tests and collectors).
    pub fn to_owned_message(&self) -> OwnedMessage {
        OwnedMessage {
            ts: self.ts,
            first_ts: self.first_ts,
            transport: self.transport,
            src: self.src,
            dst: self.dst,
            doip: self.doip,
            data: self.data.to_vec(),
            len: self.len,
        }
    }
}

/// An owned [`Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedMessage {
    /// See [`Message::ts`].
    pub ts: Option<i64>,
    /// See [`Message::first_ts`].
    pub first_ts: Option<i64>,
    /// See [`Message::transport`].
    pub transport: Transport,
    /// See [`Message::src`].
    pub src: Endpoint,
    /// See [`Message::dst`].
    pub dst: Endpoint,
    /// See [`Message::doip`].
    pub doip: Option<(u16, u16)>,
    /// See [`Message::data`].
    pub data: Vec<u8>,
    /// See [`Message::len`].
    pub len: u32,
}

/// What went wrong (or what control traffic was seen) below the application layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A CF without a preceding FF, or a new SF/FF while a message was being received (the old
    /// message is lost).
    IsoTpUnexpectedFrame,
    /// A CF with the wrong sequence number; the message is dropped.
    IsoTpSequenceError,
    /// No flow control within N_Bs after the FF or the end of a block, and the sender gave up.
    IsoTpTimeoutBs,
    /// The next CF did not come within N_Cr; the receiver drops the message.
    IsoTpTimeoutCr,
    /// The receiver answered the FF with flow status Overflow.
    IsoTpOverflow,
    /// A frame on an ISO-TP id whose protocol control information is invalid.
    IsoTpBadPci,
    /// A multi-frame message still incomplete when the capture ended (no timeout could be
    /// established).
    IsoTpIncomplete,
    /// DoIP generic header NACK (payload type 0x0000) with this code.
    DoIpHeaderNack(u8),
    /// DoIP diagnostic message negative acknowledgement (0x8003) with this code.
    DoIpDiagNack(u8),
    /// DoIP diagnostic message positive acknowledgement (0x8002).
    DoIpDiagAck,
    /// DoIP routing activation request (0x0005).
    DoIpRoutingActivation {
        /// Tester logical address.
        source: u16,
        /// Activation type.
        activation_type: u8,
    },
    /// DoIP routing activation response (0x0006).
    DoIpRoutingActivationResponse {
        /// Tester logical address.
        tester: u16,
        /// DoIP entity logical address.
        entity: u16,
        /// Response code (0x10 = success).
        code: u8,
    },
    /// DoIP vehicle announcement / identification response (0x0004).
    DoIpVehicleAnnouncement,
    /// Any other DoIP payload type (identification requests, alive check, entity status, power
    /// mode, reserved types).
    DoIpOther(u16),
    /// A DoIP generic header failed the version / inverse-version / length checks.
    DoIpBadHeader,
    /// Bytes of a TCP stream are missing from the capture; the stream resyncs at the next header.
    TcpGap,
    /// A TCP stream ended in the middle of a DoIP / SOME/IP message.
    TcpIncompleteMessage,
    /// A SOME/IP-TP segment did not fit the message being reassembled.
    SomeIpTpError,
    /// A SOME/IP header on a SOME/IP stream failed the checks.
    SomeIpBadHeader,
}

impl EventKind {
    /// Number of kinds (length of [`Stats::events`]).
    pub const COUNT: usize = 19;

    /// Dense index of the kind (ignoring its data), for [`Stats::events`].
    pub fn index(&self) -> usize {
        use EventKind::*;
        match self {
            IsoTpUnexpectedFrame => 0,
            IsoTpSequenceError => 1,
            IsoTpTimeoutBs => 2,
            IsoTpTimeoutCr => 3,
            IsoTpOverflow => 4,
            IsoTpBadPci => 5,
            IsoTpIncomplete => 6,
            DoIpHeaderNack(_) => 7,
            DoIpDiagNack(_) => 8,
            DoIpDiagAck => 9,
            DoIpRoutingActivation { .. } => 10,
            DoIpRoutingActivationResponse { .. } => 11,
            DoIpVehicleAnnouncement => 12,
            DoIpOther(_) => 13,
            DoIpBadHeader => 14,
            TcpGap => 15,
            TcpIncompleteMessage => 16,
            SomeIpTpError => 17,
            SomeIpBadHeader => 18,
        }
    }

    /// Stable snake-case name of a kind index (see [`EventKind::index`]).
    pub fn name_of(index: usize) -> &'static str {
        const NAMES: [&str; EventKind::COUNT] = [
            "isotp_unexpected_frame",
            "isotp_sequence_error",
            "isotp_timeout_bs",
            "isotp_timeout_cr",
            "isotp_overflow",
            "isotp_bad_pci",
            "isotp_incomplete",
            "doip_header_nack",
            "doip_diag_nack",
            "doip_diag_ack",
            "doip_routing_activation",
            "doip_routing_activation_response",
            "doip_vehicle_announcement",
            "doip_other",
            "doip_bad_header",
            "tcp_gap",
            "tcp_incomplete_message",
            "someip_tp_error",
            "someip_bad_header",
        ];
        NAMES.get(index).copied().unwrap_or("")
    }

    /// Stable snake-case name of this kind.
    pub fn name(&self) -> &'static str {
        Self::name_of(self.index())
    }
}

/// A transport-level fault or control message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportEvent {
    /// When it happened (the frame that revealed it; for timeouts the frame or end of capture
    /// at which the timer was found expired).
    pub ts: Option<i64>,
    /// Transport concerned.
    pub transport: Transport,
    /// Sender of the offending frame / message.
    pub src: Endpoint,
    /// Its receiver (as far as known).
    pub dst: Endpoint,
    /// DoIP logical (source, target) addresses when the event concerns a DoIP diagnostic
    /// ACK/NACK.
    pub doip: Option<(u16, u16)>,
    /// What happened.
    pub kind: EventKind,
    /// Plain-language detail (built only when an event is emitted).
    pub detail: String,
}

/// Receives the decoder's output.
pub trait Sink {
    /// A complete application message.
    fn message(&mut self, m: &Message<'_>);
    /// A transport event.
    fn event(&mut self, e: &TransportEvent);
}

/// A [`Sink`] that keeps everything (tests, small captures).
#[derive(Debug, Default, Clone)]
pub struct Collector {
    /// Messages in output order.
    pub messages: Vec<OwnedMessage>,
    /// Events in output order.
    pub events: Vec<TransportEvent>,
}

impl Sink for Collector {
    fn message(&mut self, m: &Message<'_>) {
        self.messages.push(m.to_owned_message());
    }
    fn event(&mut self, e: &TransportEvent) {
        self.events.push(e.clone());
    }
}

/// Counters of what the decoder saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Frames pushed.
    pub frames: u64,
    /// CAN frames pushed.
    pub can_frames: u64,
    /// CAN frames on ids the ISO-TP filter accepted.
    pub isotp_frames: u64,
    /// Packet frames pushed.
    pub packets: u64,
    /// Packets that were not IPv4/IPv6 (ARP, LLDP, …) or whose headers did not parse.
    pub non_ip: u64,
    /// IP fragments (skipped: DoIP/SOME-IP endpoints do not fragment in practice).
    pub ip_fragments: u64,
    /// Messages emitted, per transport: [IsoTp, DoIp, SomeIpUdp, SomeIpTcp].
    pub messages: [u64; 4],
    /// Events emitted per [`EventKind::index`].
    pub events: [u64; EventKind::COUNT],
    /// Frames failing the ISO-TP PCI checks (also those not reported as events).
    pub bad_pci: u64,
    /// Flow-control frames no transfer was waiting for.
    pub stray_fc: u64,
    /// TCP segments (or parts) already delivered (retransmissions / overlaps).
    pub tcp_retransmitted: u64,
    /// TCP segments that arrived ahead of a gap and were buffered.
    pub tcp_out_of_order: u64,
    /// vsomeip magic-cookie messages skipped on SOME/IP TCP streams.
    pub someip_magic_cookies: u64,
}

impl Stats {
    /// Total messages emitted.
    pub fn total_messages(&self) -> u64 {
        self.messages.iter().sum()
    }
    /// Events emitted of the kind with this [`EventKind::name`].
    pub fn events_named(&self, name: &str) -> u64 {
        (0..EventKind::COUNT)
            .find(|&i| EventKind::name_of(i) == name)
            .map_or(0, |i| self.events[i])
    }
}

/// Index of a transport in [`Stats::messages`].
pub(crate) fn transport_index(t: Transport) -> usize {
    match t {
        Transport::IsoTp => 0,
        Transport::DoIp => 1,
        Transport::SomeIpUdp => 2,
        Transport::SomeIpTcp => 3,
    }
}

/// Output helper that counts while forwarding.
pub(crate) struct Out<'s> {
    pub sink: &'s mut dyn Sink,
    pub stats: &'s mut Stats,
}

impl Out<'_> {
    pub fn message(&mut self, m: &Message<'_>) {
        self.stats.messages[transport_index(m.transport)] += 1;
        self.sink.message(m);
    }
    pub fn event(&mut self, e: TransportEvent) {
        self.stats.events[e.kind.index()] += 1;
        self.sink.event(&e);
    }
}
