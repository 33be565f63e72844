//! Link-layer types of pcap/pcapng interfaces and the SocketCAN decoding, including the per-file
//! detection of the CAN id byte order (old scapy wrote LINKTYPE_CAN_SOCKETCAN ids little-endian).

use crate::frame::{CanFlags, FrameRef, Link};

/// LINKTYPE_ETHERNET.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// LINKTYPE_RAW (raw IPv4/IPv6).
pub const LINKTYPE_RAW: u32 = 101;
/// LINKTYPE_LINUX_SLL (Linux cooked capture v1).
pub const LINKTYPE_LINUX_SLL: u32 = 113;
/// LINKTYPE_CAN_SOCKETCAN (struct can_frame / canfd_frame, id in network byte order).
pub const LINKTYPE_CAN_SOCKETCAN: u32 = 227;
/// LINKTYPE_IPV4.
pub const LINKTYPE_IPV4: u32 = 228;
/// LINKTYPE_IPV6.
pub const LINKTYPE_IPV6: u32 = 229;
/// LINKTYPE_LINUX_SLL2 (Linux cooked capture v2).
pub const LINKTYPE_LINUX_SLL2: u32 = 276;

const CAN_EFF_FLAG: u32 = 0x8000_0000;
const CAN_RTR_FLAG: u32 = 0x4000_0000;
const CAN_ERR_FLAG: u32 = 0x2000_0000;
const CANFD_BRS: u8 = 0x01;
const CANFD_ESI: u8 = 0x02;
const CANFD_FDF: u8 = 0x04;
/// Size of `struct canfd_frame` (CANFD_MTU).
const CANFD_MTU: usize = 72;

/// How an interface's frames are turned into [`FrameRef`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Packet(Link),
    SocketCan,
}

/// The decoding for a link type, or `None` when we do not know it.
pub(crate) fn kind_of(link_type: u32) -> Option<Kind> {
    Some(match link_type {
        LINKTYPE_ETHERNET => Kind::Packet(Link::Ethernet),
        LINKTYPE_RAW | LINKTYPE_IPV4 | LINKTYPE_IPV6 => Kind::Packet(Link::RawIp),
        LINKTYPE_LINUX_SLL => Kind::Packet(Link::Sll),
        LINKTYPE_LINUX_SLL2 => Kind::Packet(Link::Sll2),
        LINKTYPE_CAN_SOCKETCAN => Kind::SocketCan,
        _ => return None,
    })
}

/// Byte order of the 32-bit CAN id word of a SocketCAN frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Big,
    Little,
}

/// Per-interface decoding state.
#[derive(Debug, Clone)]
pub(crate) struct Iface {
    /// The interface's link type number.
    pub(crate) link_type: u32,
    /// How to decode it; `None` for a link type we do not know (fatal at its first packet).
    pub(crate) kind: Option<Kind>,
    /// The id byte order once the first unambiguous frame decided it.
    pub(crate) order: Option<Order>,
    /// Timestamp units: nanoseconds = ticks * mul / div.
    pub(crate) mul: u64,
    pub(crate) div: u64,
    /// Seconds added to every timestamp (pcapng if_tsoffset).
    pub(crate) offset_ns: i64,
    pub(crate) snaplen: u32,
}

impl Iface {
    pub(crate) fn new(link_type: u32, mul: u64, div: u64, snaplen: u32) -> Self {
        let kind = kind_of(link_type);
        Iface {
            link_type,
            kind,
            order: None,
            mul,
            div,
            offset_ns: 0,
            snaplen,
        }
    }

    /// Ticks → nanoseconds since the epoch (saturating; timestamps past 2262 do not exist).
    pub(crate) fn ts_ns(&self, ticks: u64) -> i64 {
        let ns = if self.div == 1 {
            ticks
                .checked_mul(self.mul)
                .and_then(|ns| i64::try_from(ns).ok())
        } else {
            i64::try_from((u128::from(ticks) * u128::from(self.mul)) / u128::from(self.div)).ok()
        };
        ns.unwrap_or(i64::MAX).saturating_add(self.offset_ns)
    }
}

/// Whether the id word read in one byte order looks like a real SocketCAN id.
fn plausible(word: u32) -> bool {
    let id = word & 0x1FFF_FFFF;
    match word & 0xE000_0000 {
        0 | CAN_RTR_FLAG => id <= 0x7FF,
        CAN_EFF_FLAG | 0xC000_0000 => true,
        // Error frames carry a small error-class mask and never the EFF/RTR bits.
        CAN_ERR_FLAG => id <= 0xFFFF,
        _ => false,
    }
}

fn word(b: [u8; 4], order: Order) -> u32 {
    match order {
        Order::Big => u32::from_be_bytes(b),
        Order::Little => u32::from_le_bytes(b),
    }
}

/// Why a SocketCAN frame could not be decoded (non-fatal: the record is skipped).
pub(crate) type BadFrame = String;

/// Decodes one SocketCAN `can_frame`/`canfd_frame`. `fd_hint` is true when the encapsulation says
/// CAN FD (SLL protocol 0x000D); `default` is the id order to assume until the file decides.
pub(crate) fn socketcan<'a>(
    b: &'a [u8],
    ts: Option<i64>,
    channel: u16,
    order: &mut Option<Order>,
    default: Order,
    fd_hint: bool,
    tx: bool,
) -> Result<FrameRef<'a>, BadFrame> {
    if b.len() < 8 {
        return Err(format!(
            "SocketCAN frame of {} bytes, expected at least 8",
            b.len()
        ));
    }
    let raw = [b[0], b[1], b[2], b[3]];
    let order_now = match *order {
        Some(o) => o,
        None => {
            let (be, le) = (
                plausible(word(raw, Order::Big)),
                plausible(word(raw, Order::Little)),
            );
            let pick = match (be, le) {
                (true, false) => Some(Order::Big),
                (false, true) => Some(Order::Little),
                _ => None,
            };
            // Only an id word that differs between the two readings can decide the file.
            if pick.is_some() && word(raw, Order::Big) != word(raw, Order::Little) {
                *order = pick;
            }
            pick.unwrap_or(default)
        }
    };
    let w = word(raw, order_now);
    let len = b[4] as usize;
    let fd_flags = b[5];
    let fd = fd_hint || fd_flags & CANFD_FDF != 0 || b.len() == CANFD_MTU;
    let max = if fd { 64 } else { 8 };
    if len > max {
        return Err(format!("SocketCAN frame length {len} exceeds {max}"));
    }
    let mut flags = CanFlags {
        extended: w & CAN_EFF_FLAG != 0,
        rtr: w & CAN_RTR_FLAG != 0 && !fd,
        error: w & CAN_ERR_FLAG != 0,
        tx,
        ..CanFlags::default()
    };
    if fd {
        flags.fd = true;
        flags.brs = fd_flags & CANFD_BRS != 0;
        flags.esi = fd_flags & CANFD_ESI != 0;
    }
    let id = w & 0x1FFF_FFFF;
    let data = if flags.rtr {
        &[][..]
    } else {
        &b[8..(8 + len).min(b.len())]
    };
    Ok(FrameRef::Can {
        ts,
        channel,
        id,
        flags,
        data,
    })
}

/// Decodes one captured frame of an interface.
pub(crate) fn decode<'a>(
    iface: &mut Iface,
    b: &'a [u8],
    ts: Option<i64>,
    channel: u16,
    orig_len: u32,
) -> Result<FrameRef<'a>, BadFrame> {
    let packet = |link| -> Result<FrameRef<'a>, BadFrame> {
        Ok(FrameRef::Packet {
            ts,
            channel,
            link,
            data: b,
            orig_len,
        })
    };
    let Some(kind) = iface.kind else {
        return Err(format!("unsupported link type {}", iface.link_type));
    };
    match kind {
        Kind::SocketCan => socketcan(b, ts, channel, &mut iface.order, Order::Big, false, false),
        Kind::Packet(Link::Sll) if b.len() >= 16 => {
            // pkttype(2) arphrd(2) addrlen(2) addr(8) protocol(2), all big-endian.
            let proto = u16::from_be_bytes([b[14], b[15]]);
            let tx = u16::from_be_bytes([b[0], b[1]]) == 4;
            cooked_can(iface, b, 16, proto, ts, channel, tx).unwrap_or_else(|| packet(Link::Sll))
        }
        Kind::Packet(Link::Sll2) if b.len() >= 20 => {
            // protocol(2) reserved(2) ifindex(4) arphrd(2) pkttype(1) addrlen(1) addr(8).
            let proto = u16::from_be_bytes([b[0], b[1]]);
            let tx = b[10] == 4;
            cooked_can(iface, b, 20, proto, ts, channel, tx).unwrap_or_else(|| packet(Link::Sll2))
        }
        Kind::Packet(link) => packet(link),
    }
}

/// CAN inside a Linux cooked header: ids are in host (little-endian) order there.
fn cooked_can<'a>(
    iface: &mut Iface,
    b: &'a [u8],
    hdr: usize,
    proto: u16,
    ts: Option<i64>,
    channel: u16,
    tx: bool,
) -> Option<Result<FrameRef<'a>, BadFrame>> {
    let fd = match proto {
        0x000C => false,
        0x000D => true,
        _ => return None,
    };
    Some(socketcan(
        &b[hdr..],
        ts,
        channel,
        &mut iface.order,
        Order::Little,
        fd,
        tx,
    ))
}
