//! ISO 15765-2 N_PCI parsing of one CAN frame, separate from the reassembly state machine so the
//! sanity checks (which decide what counts as "bad PCI") are in one place.
//!
//! Layouts (protocols.md §2.1, §2.2): SF `0L` (CAN FD escape `00 LL`), FF `1L LL` (escape
//! `10 00 LLLLLLLL`), CF `2N`, FC `3S BS ST`.

use crate::Padding;

/// One parsed ISO-TP frame (payload borrowed from the CAN frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pci<'a> {
    /// Single frame with its payload.
    Single(&'a [u8]),
    /// First frame: total length and the first payload bytes.
    First { total: u32, data: &'a [u8] },
    /// Consecutive frame: sequence number and payload (may include padding on the last CF).
    Consecutive { sn: u8, data: &'a [u8] },
    /// Flow control: flow status, block size, STmin.
    Flow { fs: u8, bs: u8, st_min: u8 },
}

/// Why a frame failed the checks (static text, no allocation).
pub(crate) type BadPci = &'static str;

/// Parses the PCI of `p` (the CAN data after the optional addressing byte). `frame_len` is the
/// whole CAN data length (decides classic vs. CAN FD escape rules).
pub(crate) fn parse(p: &[u8], frame_len: usize, padding: Padding) -> Result<Pci<'_>, BadPci> {
    let Some(&b0) = p.first() else {
        return Err("empty frame");
    };
    match b0 >> 4 {
        0 => {
            let (len, start) = if frame_len <= 8 {
                ((b0 & 0x0F) as usize, 1)
            } else {
                if b0 != 0 {
                    return Err("single frame on CAN FD (>8 bytes) without the escape length byte");
                }
                match p.get(1) {
                    Some(&l) => (l as usize, 2),
                    None => return Err("truncated single frame"),
                }
            };
            if len == 0 {
                return Err("single frame with length 0");
            }
            let end = start + len;
            if end > p.len() {
                return Err("single frame length exceeds the frame");
            }
            check_padding(&p[end..], frame_len, padding)?;
            Ok(Pci::Single(&p[start..end]))
        }
        1 => {
            if p.len() < 2 {
                return Err("truncated first frame");
            }
            let short = (((b0 & 0x0F) as u32) << 8) | p[1] as u32;
            let (total, start) = if short == 0 {
                if p.len() < 6 {
                    return Err("truncated first frame with 32-bit length");
                }
                let t = u32::from_be_bytes([p[2], p[3], p[4], p[5]]);
                if t <= 4095 {
                    return Err("first frame with 32-bit length escape for a length below 4096");
                }
                (t, 6)
            } else {
                (short, 2)
            };
            if frame_len < 8 {
                return Err("first frame shorter than 8 bytes");
            }
            let data = &p[start..];
            if total as usize <= data.len() {
                return Err("first frame length fits in the first frame itself");
            }
            Ok(Pci::First { total, data })
        }
        2 => Ok(Pci::Consecutive {
            sn: b0 & 0x0F,
            data: &p[1..],
        }),
        3 => {
            if p.len() < 3 {
                return Err("truncated flow control");
            }
            let fs = b0 & 0x0F;
            if fs > 2 {
                return Err("flow control with reserved flow status");
            }
            check_padding(&p[3..], frame_len, padding)?;
            Ok(Pci::Flow {
                fs,
                bs: p[1],
                st_min: p[2],
            })
        }
        _ => Err("reserved N_PCI type (high nibble 4..F)"),
    }
}

/// Checks the padding bytes after the used part of an SF/FC/last CF when configured.
pub(crate) fn check_padding(rest: &[u8], frame_len: usize, padding: Padding) -> Result<(), BadPci> {
    match padding {
        Padding::Ignore => Ok(()),
        Padding::Check(b) => {
            if frame_len < 8 {
                Err("frame not padded to 8 bytes")
            } else if rest.iter().any(|&x| x != b) {
                Err("padding bytes differ from the configured padding byte")
            } else {
                Ok(())
            }
        }
    }
}

/// Plain-language name of a flow status.
pub(crate) fn flow_status_name(fs: u8) -> &'static str {
    match fs {
        0 => "ContinueToSend",
        1 => "Wait",
        2 => "Overflow",
        _ => "reserved",
    }
}
