//! The one frame type every capture reader yields, so decoders never care which file format a frame came from.
//!
//! Frames are borrowed from the reader's buffer (`FrameRef<'_>`): a reader hands out one frame at a
//! time and reuses its buffer, so reading a 1 GB capture allocates nothing per frame.

/// Flags of a CAN / CAN FD frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CanFlags {
    /// 29-bit identifier.
    pub extended: bool,
    /// CAN FD frame (up to 64 data bytes).
    pub fd: bool,
    /// CAN FD bit rate switch.
    pub brs: bool,
    /// CAN FD error state indicator.
    pub esi: bool,
    /// Remote transmission request (no data).
    pub rtr: bool,
    /// Error frame (the id carries the error class where the format has one).
    pub error: bool,
    /// Sent by the recording node itself (`Tx` in ASC/TRC), when the format says so.
    pub tx: bool,
}

/// What link layer a packet frame starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Ethernet II (with optional 802.1Q tags).
    Ethernet,
    /// Raw IPv4 or IPv6 packet (no link header).
    RawIp,
    /// Linux cooked capture v1 (SLL, link type 113) carrying a non-CAN protocol.
    Sll,
    /// Linux cooked capture v2 (SLL2, link type 276) carrying a non-CAN protocol.
    Sll2,
}

/// One frame of a capture, borrowed from the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameRef<'a> {
    /// A CAN or CAN FD frame (also when it came from a pcap SocketCAN / cooked capture).
    Can {
        /// Nanoseconds since the Unix epoch, or since the start of the recording when the format
        /// only has relative times; `None` when the format has no timestamps (candump console output).
        ts: Option<i64>,
        /// Channel / interface number as the file names it (0 when the format has none).
        channel: u16,
        /// 11- or 29-bit identifier (without flag bits).
        id: u32,
        /// Frame flags.
        flags: CanFlags,
        /// Data bytes (empty for RTR and error frames without data).
        data: &'a [u8],
    },
    /// A link-layer packet (Ethernet and friends), as captured.
    Packet {
        /// Nanoseconds since the Unix epoch (or since start, see `Can::ts`).
        ts: Option<i64>,
        /// Interface number (pcapng interface id, BLF channel; 0 otherwise).
        channel: u16,
        /// What the bytes start with.
        link: Link,
        /// The captured bytes (may be shorter than `orig_len` when the capture was snapped).
        data: &'a [u8],
        /// Length of the packet on the wire.
        orig_len: u32,
    },
}

impl FrameRef<'_> {
    /// The frame's timestamp, if the format has one.
    pub fn ts(&self) -> Option<i64> {
        match self {
            FrameRef::Can { ts, .. } | FrameRef::Packet { ts, .. } => *ts,
        }
    }
}

/// Where in its file a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// 1-based line of a text format.
    Line(u64),
    /// Byte offset of a binary format.
    Offset(u64),
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Position::Line(l) => write!(f, "line {l}"),
            Position::Offset(o) => write!(f, "byte offset {o}"),
        }
    }
}

/// A problem reading a capture: names the file, the position and what was expected.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {pos}: {msg}")]
pub struct CaptureError {
    /// The file being read.
    pub file: String,
    /// Where the problem is.
    pub pos: Position,
    /// What was found and what was expected.
    pub msg: String,
    /// `false` when the reader skipped the bad line/object and can go on; `true` when it cannot.
    pub fatal: bool,
}

/// A capture reader: hands out frames one at a time from its own buffer (a lending iterator).
///
/// `Ok(Some(frame))` is the next frame, `Ok(None)` the end of the file. An `Err` with
/// `fatal == false` reports a skipped line/object; the caller counts it (or stops, with `--strict`)
/// and calls `next_frame` again. After a fatal error the reader returns `Ok(None)`.
pub trait FrameReader {
    /// The next frame.
    fn next_frame(&mut self) -> Result<Option<FrameRef<'_>>, CaptureError>;
    /// Bytes consumed from the underlying file so far (for progress bars and MB/s figures).
    fn bytes_read(&self) -> u64;
}
