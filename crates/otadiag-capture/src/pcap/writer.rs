//! A classic pcap writer (nanosecond magic, little-endian) so the simulator and the tests can
//! produce captures, plus the SocketCAN frame encoder for LINKTYPE_CAN_SOCKETCAN.

use std::io::{self, Write};

use super::link::LINKTYPE_CAN_SOCKETCAN;
use super::MAX_CAPLEN;
use crate::frame::CanFlags;

/// Byte order of the CAN id word when encoding a SocketCAN frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdOrder {
    /// Network byte order, as the LINKTYPE_CAN_SOCKETCAN specification says.
    Network,
    /// Little-endian, as old scapy wrote it (and as Linux cooked captures carry it).
    Little,
}

/// Appends a SocketCAN `can_frame` (16 bytes) or, when `flags.fd`, `canfd_frame` (72 bytes) to
/// `out`. Data beyond 8 (classic) or 64 (FD) bytes is cut off.
pub fn encode_socketcan(out: &mut Vec<u8>, id: u32, flags: CanFlags, data: &[u8], order: IdOrder) {
    let mut word = id & 0x1FFF_FFFF;
    if flags.extended {
        word |= 0x8000_0000;
    }
    if flags.rtr {
        word |= 0x4000_0000;
    }
    if flags.error {
        word |= 0x2000_0000;
    }
    out.extend_from_slice(&match order {
        IdOrder::Network => word.to_be_bytes(),
        IdOrder::Little => word.to_le_bytes(),
    });
    let (cap, size) = if flags.fd { (64, 72) } else { (8, 16) };
    let data = &data[..data.len().min(cap)];
    let mut fd_flags = 0u8;
    if flags.fd {
        fd_flags = 0x04 | u8::from(flags.brs) | (u8::from(flags.esi) << 1);
    }
    out.extend_from_slice(&[data.len() as u8, fd_flags, 0, 0]);
    out.extend_from_slice(data);
    out.resize(out.len() + (size - 8 - data.len()), 0);
}

/// Writes a classic pcap file: nanosecond timestamps, little-endian, one link type.
pub struct Writer<W: Write> {
    inner: W,
    link_type: u32,
    scratch: Vec<u8>,
}

impl<W: Write> Writer<W> {
    /// Writes the file header for `link_type` (e.g. [`super::LINKTYPE_ETHERNET`]).
    pub fn new(mut inner: W, link_type: u32) -> io::Result<Self> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&0xA1B2_3C4Du32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&[0; 8]); // thiszone, sigfigs
        h.extend_from_slice(&MAX_CAPLEN.to_le_bytes());
        h.extend_from_slice(&link_type.to_le_bytes());
        inner.write_all(&h)?;
        Ok(Writer {
            inner,
            link_type,
            scratch: Vec::with_capacity(80),
        })
    }

    /// Writes one packet with its timestamp in nanoseconds since the epoch (negative
    /// timestamps are written as 0). Packets longer than [`MAX_CAPLEN`] are snapped.
    pub fn write_packet(&mut self, ts_ns: i64, data: &[u8]) -> io::Result<()> {
        let ts = ts_ns.max(0) as u64;
        let cap = data.len().min(MAX_CAPLEN as usize);
        let mut h = [0u8; 16];
        // Seconds past 2106 do not fit the format; they wrap like every other writer's.
        h[..4].copy_from_slice(&((ts / 1_000_000_000) as u32).to_le_bytes());
        h[4..8].copy_from_slice(&((ts % 1_000_000_000) as u32).to_le_bytes());
        h[8..12].copy_from_slice(&(cap as u32).to_le_bytes());
        h[12..].copy_from_slice(&(u32::try_from(data.len()).unwrap_or(u32::MAX)).to_le_bytes());
        self.inner.write_all(&h)?;
        self.inner.write_all(&data[..cap])
    }

    /// Writes one CAN frame as LINKTYPE_CAN_SOCKETCAN with the id in network byte order.
    /// Fails when the file was created for another link type.
    pub fn write_can(
        &mut self,
        ts_ns: i64,
        id: u32,
        flags: CanFlags,
        data: &[u8],
    ) -> io::Result<()> {
        if self.link_type != LINKTYPE_CAN_SOCKETCAN {
            let msg = format!("write_can on a pcap of link type {}", self.link_type);
            return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        }
        let mut frame = std::mem::take(&mut self.scratch);
        frame.clear();
        encode_socketcan(&mut frame, id, flags, data, IdOrder::Network);
        let r = self.write_packet(ts_ns, &frame);
        self.scratch = frame;
        r
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.inner.flush()?;
        Ok(self.inner)
    }
}
