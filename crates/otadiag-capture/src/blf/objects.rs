//! The BLF objects we decode (CAN, CAN FD, CAN error, Ethernet), from their published layouts
//! (Vector's `binlog_objects.h` as mirrored in public projects, python-can's `blf.py`).
//! All fields are little-endian.

use crate::frame::{CanFlags, FrameRef, Link};

pub(super) const CAN_MESSAGE: u32 = 1;
pub(super) const CAN_ERROR: u32 = 2;
pub(super) const LOG_CONTAINER: u32 = 10;
pub(super) const ETHERNET_FRAME: u32 = 71;
pub(super) const CAN_ERROR_EXT: u32 = 73;
pub(super) const CAN_MESSAGE2: u32 = 86;
pub(super) const CAN_FD_MESSAGE: u32 = 100;
pub(super) const CAN_FD_MESSAGE_64: u32 = 101;
pub(super) const ETHERNET_FRAME_EX: u32 = 120;

/// Object header flags: timestamp unit.
const TIME_TEN_MICS: u32 = 1;
const CAN_MSG_EXT: u32 = 0x8000_0000;
/// CAN_MESSAGE(2)/CAN_FD_MESSAGE flags byte: RTR bit; the low nibble is the direction (1 = Tx).
const MSG_RTR: u8 = 0x80;
/// CAN_FD_MESSAGE `mCANFDFlags`.
const FD_EDL: u8 = 0x01;
const FD_BRS: u8 = 0x02;
const FD_ESI: u8 = 0x04;
/// CAN_FD_MESSAGE_64 `mFlags`.
const FD64_REMOTE: u32 = 0x0010;
const FD64_FDF: u32 = 0x1000;
const FD64_BRS: u32 = 0x2000;
const FD64_ESI: u32 = 0x4000;

/// Whether we decode objects of this type (all others are skipped silently).
pub(super) fn known(t: u32) -> bool {
    matches!(
        t,
        CAN_MESSAGE
            | CAN_ERROR
            | ETHERNET_FRAME
            | CAN_ERROR_EXT
            | CAN_MESSAGE2
            | CAN_FD_MESSAGE
            | CAN_FD_MESSAGE_64
            | ETHERNET_FRAME_EX
    )
}

pub(super) fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

pub(super) fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from(le32(b, at)) | u64::from(le32(b, at + 4)) << 32
}

/// Data length of a CAN FD DLC.
pub(super) fn dlc_len(dlc: u8) -> usize {
    const LEN: [usize; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64];
    LEN[usize::from(dlc & 0x0F)]
}

/// Decodes one complete object (`obj` is exactly its object size; the header was checked:
/// header size ≥ 32, object size ≥ header size). Ethernet frames that BLF stores split into
/// fields are rebuilt in `scratch`. `start_ns` is the measurement start.
pub(super) fn decode<'a>(
    obj: &'a [u8],
    scratch: &'a mut Vec<u8>,
    start_ns: i64,
) -> Result<FrameRef<'a>, String> {
    let (hsize, otype, flags) = (usize::from(le16(obj, 4)), le32(obj, 12), le32(obj, 16));
    let rel = le64(obj, 24);
    let rel = if flags == TIME_TEN_MICS {
        rel.saturating_mul(10_000)
    } else {
        rel
    };
    let ts = Some(start_ns.saturating_add(i64::try_from(rel).unwrap_or(i64::MAX)));
    let b = &obj[hsize..];
    let need = |n: usize| {
        if b.len() < n {
            Err(format!(
                "object type {otype} has {} bytes of data, expected at least {n}",
                b.len()
            ))
        } else {
            Ok(())
        }
    };
    let can = |channel: u16,
               word: u32,
               flags: CanFlags,
               data: &'a [u8]|
     -> Result<FrameRef<'a>, String> {
        let flags = CanFlags {
            extended: word & CAN_MSG_EXT != 0,
            ..flags
        };
        Ok(FrameRef::Can {
            ts,
            channel,
            id: word & 0x1FFF_FFFF,
            flags,
            data,
        })
    };
    match otype {
        CAN_MESSAGE | CAN_MESSAGE2 => {
            need(16)?;
            let (fl, dlc) = (b[2], usize::from(b[3]).min(8));
            let flags = CanFlags {
                rtr: fl & MSG_RTR != 0,
                tx: fl & 0x0F == 1,
                ..CanFlags::default()
            };
            let data = if flags.rtr { &b[8..8] } else { &b[8..8 + dlc] };
            can(le16(b, 0), le32(b, 4), flags, data)
        }
        CAN_ERROR => {
            need(2)?;
            can(
                le16(b, 0),
                0,
                CanFlags {
                    error: true,
                    ..CanFlags::default()
                },
                &[],
            )
        }
        CAN_ERROR_EXT => {
            need(32)?;
            let dlc = usize::from(b[10] & 0x0F).min(8);
            can(
                le16(b, 0),
                le32(b, 16),
                CanFlags {
                    error: true,
                    ..CanFlags::default()
                },
                &b[24..24 + dlc],
            )
        }
        CAN_FD_MESSAGE => {
            need(20)?;
            let (fl, fd) = (b[2], b[13]);
            let mut flags = CanFlags {
                rtr: fl & MSG_RTR != 0,
                tx: fl & 0x0F == 1,
                ..CanFlags::default()
            };
            let len = if fd & FD_EDL != 0 {
                flags.fd = true;
                flags.brs = fd & FD_BRS != 0;
                flags.esi = fd & FD_ESI != 0;
                dlc_len(b[3])
            } else {
                usize::from(b[3]).min(8)
            };
            let data = if flags.rtr {
                &b[20..20]
            } else {
                &b[20..(20 + len).min(b.len())]
            };
            can(le16(b, 0), le32(b, 4), flags, data)
        }
        CAN_FD_MESSAGE_64 => {
            need(40)?;
            let fl = le32(b, 12);
            let flags = CanFlags {
                rtr: fl & FD64_REMOTE != 0,
                fd: fl & FD64_FDF != 0,
                brs: fl & FD64_BRS != 0,
                esi: fl & FD64_ESI != 0,
                tx: b[34] == 1,
                ..CanFlags::default()
            };
            let len = usize::from(b[2]).min(64);
            let data = if flags.rtr {
                &b[40..40]
            } else {
                &b[40..(40 + len).min(b.len())]
            };
            can(u16::from(b[0]), le32(b, 4), flags, data)
        }
        ETHERNET_FRAME => {
            need(24)?;
            let plen = usize::from(le16(b, 22));
            // The payload ends the object; a reserved field (4 or 8 bytes) precedes it.
            let Some(at) = b.len().checked_sub(plen).filter(|&at| at >= 24) else {
                return Err(format!("Ethernet payload length {plen} exceeds its object"));
            };
            let (tpid, tci, etype) = (le16(b, 18), le16(b, 20), le16(b, 16));
            scratch.clear();
            scratch.extend_from_slice(&b[8..14]);
            scratch.extend_from_slice(&b[0..6]);
            if tpid != 0 {
                scratch.extend_from_slice(&tpid.to_be_bytes());
                scratch.extend_from_slice(&tci.to_be_bytes());
            }
            scratch.extend_from_slice(&etype.to_be_bytes());
            scratch.extend_from_slice(&b[at..]);
            let data: &'a [u8] = scratch;
            let channel = le16(b, 6);
            Ok(FrameRef::Packet {
                ts,
                channel,
                link: Link::Ethernet,
                data,
                orig_len: data.len() as u32,
            })
        }
        ETHERNET_FRAME_EX => {
            need(32)?;
            let at = (2 + usize::from(le16(b, 0))).max(32);
            let len = usize::from(le16(b, 22));
            let Some(data) = b.get(at..at + len) else {
                return Err(format!("Ethernet frame length {len} exceeds its object"));
            };
            Ok(FrameRef::Packet {
                ts,
                channel: le16(b, 4),
                link: Link::Ethernet,
                data,
                orig_len: len as u32,
            })
        }
        _ => Err(format!("object type {otype} is not decoded")),
    }
}
