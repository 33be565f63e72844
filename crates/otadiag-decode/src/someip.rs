//! SOME/IP header checks (also the port-less heuristic), SOME/IP-TP reassembly and names of
//! message types and return codes (protocols.md §4).

use rustc_hash::FxHashMap;

use crate::types::{Endpoint, EventKind, Message, Out, Transport, TransportEvent};

/// Longest length field accepted (larger is treated as a corrupt header).
const MAX_LEN: u32 = 64 << 20;

/// Whether `t` is a defined message type (with or without the TP flag 0x20).
fn valid_type(t: u8) -> bool {
    matches!(
        t & !0x20,
        0x00 | 0x01 | 0x02 | 0x40 | 0x41 | 0x42 | 0x80 | 0x81 | 0xC0 | 0xC1
    )
}

/// Checks a SOME/IP header (`h` has at least 16 bytes); returns the total message length.
/// `strict` (heuristic detection, resync) also requires protocol version 1 and reserved
/// return-code bits to be 0. On an established stream a message with another protocol version
/// still frames (its length is all the framing needs), so it is delivered and the rules judge its
/// version instead of the decoder swallowing it.
pub(crate) fn check_header(h: &[u8], strict: bool) -> Result<usize, &'static str> {
    if h.len() < 16 {
        return Err("truncated SOME/IP header");
    }
    let len = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    if strict && h[12] != 1 {
        return Err("SOME/IP protocol version is not 1");
    }
    if !(8..=MAX_LEN).contains(&len) {
        return Err("SOME/IP length field out of range");
    }
    if !valid_type(h[14]) {
        return Err("unknown SOME/IP message type");
    }
    if strict && (h[15] & 0xC0 != 0 || (h[14] & 0x20 != 0 && len < 12)) {
        return Err("SOME/IP header with reserved bits set");
    }
    Ok(8 + len as usize)
}

/// Name of a message type (protocols.md §4.2).
pub fn someip_message_type_name(t: u8) -> &'static str {
    match t {
        0x00 => "REQUEST",
        0x01 => "REQUEST_NO_RETURN",
        0x02 => "NOTIFICATION",
        0x40 => "REQUEST_ACK",
        0x41 => "REQUEST_NO_RETURN_ACK",
        0x42 => "NOTIFICATION_ACK",
        0x80 => "RESPONSE",
        0x81 => "ERROR",
        0xC0 => "RESPONSE_ACK",
        0xC1 => "ERROR_ACK",
        0x20 => "TP_REQUEST",
        0x21 => "TP_REQUEST_NO_RETURN",
        0x22 => "TP_NOTIFICATION",
        0xA0 => "TP_RESPONSE",
        0xA1 => "TP_ERROR",
        _ => "reserved",
    }
}

/// Name of a return code (protocols.md §4.3).
pub fn someip_return_code_name(rc: u8) -> &'static str {
    match rc {
        0x00 => "E_OK",
        0x01 => "E_NOT_OK",
        0x02 => "E_UNKNOWN_SERVICE",
        0x03 => "E_UNKNOWN_METHOD",
        0x04 => "E_NOT_READY",
        0x05 => "E_NOT_REACHABLE",
        0x06 => "E_TIMEOUT",
        0x07 => "E_WRONG_PROTOCOL_VERSION",
        0x08 => "E_WRONG_INTERFACE_VERSION",
        0x09 => "E_MALFORMED_MESSAGE",
        0x0A => "E_WRONG_MESSAGE_TYPE",
        0x0B => "E_E2E_REPEATED",
        0x0C => "E_E2E_WRONG_SEQUENCE",
        0x0D => "E_E2E",
        0x0E => "E_E2E_NOT_AVAILABLE",
        0x0F => "E_E2E_NO_NEW_DATA",
        0x10..=0x1F => "reserved generic error",
        0x20..=0x5E => "service-specific error",
        _ => "reserved",
    }
}

/// vsomeip magic cookie (TCP resync marker): service 0xFFFF, method 0x0000 / 0x8000, length 8.
fn is_magic_cookie(h: &[u8]) -> bool {
    h.len() >= 16
        && h[0] == 0xFF
        && h[1] == 0xFF
        && (h[2] == 0x00 || h[2] == 0x80)
        && h[3] == 0
        && h[4..8] == [0, 0, 0, 8]
        && h[8..12] == [0xDE, 0xAD, 0xBE, 0xEF]
}

type TpKey = (Endpoint, Endpoint, u32, u32);

#[derive(Debug)]
struct TpBuf {
    buf: Vec<u8>,
    first_ts: Option<i64>,
}

/// SOME/IP-TP reassembly state, keyed by (src, dst, message id, request id).
#[derive(Debug, Default)]
pub(crate) struct Tp {
    open: FxHashMap<TpKey, TpBuf>,
    pool: Vec<Vec<u8>>,
    pub(crate) max_len: usize,
}

/// One UDP datagram (several messages may be packed). With `heuristic`, nothing is emitted
/// unless the first header passes the strict check; returns whether the datagram was SOME/IP.
#[allow(clippy::too_many_arguments)]
pub(crate) fn datagram(
    mut d: &[u8],
    full_len: usize,
    ts: Option<i64>,
    src: Endpoint,
    dst: Endpoint,
    heuristic: bool,
    tp: &mut Tp,
    out: &mut Out<'_>,
) -> bool {
    let mut wire_left = full_len.max(d.len());
    let mut first = true;
    while !d.is_empty() {
        match check_header(d, heuristic) {
            Ok(total) if total <= wire_left => {
                let take = total.min(d.len());
                handle(
                    &d[..take],
                    total,
                    ts,
                    ts,
                    Transport::SomeIpUdp,
                    src,
                    dst,
                    tp,
                    out,
                );
                d = &d[take..];
                wire_left -= total;
            }
            bad => {
                if !(heuristic && first) {
                    let why = bad.err().unwrap_or("SOME/IP length exceeds the datagram");
                    out.event(TransportEvent {
                        ts,
                        transport: Transport::SomeIpUdp,
                        src,
                        dst,
                        doip: None,
                        kind: EventKind::SomeIpBadHeader,
                        detail: why.to_string(),
                    });
                }
                return !first;
            }
        }
        first = false;
    }
    !first
}

/// One SOME/IP message: `msg` is header + captured payload, `total` its full length.
#[allow(clippy::too_many_arguments)]
pub(crate) fn handle(
    msg: &[u8],
    total: usize,
    first_ts: Option<i64>,
    ts: Option<i64>,
    transport: Transport,
    src: Endpoint,
    dst: Endpoint,
    tp: &mut Tp,
    out: &mut Out<'_>,
) {
    if msg.len() < 16 {
        return;
    }
    if is_magic_cookie(msg) {
        out.stats.someip_magic_cookies += 1;
        return;
    }
    if msg[14] & 0x20 == 0 {
        return out.message(&Message {
            ts,
            first_ts,
            transport,
            src,
            dst,
            doip: None,
            data: msg,
            len: total as u32,
        });
    }
    let tp_error = |detail: String, out: &mut Out<'_>| {
        out.event(TransportEvent {
            ts,
            transport,
            src,
            dst,
            doip: None,
            kind: EventKind::SomeIpTpError,
            detail,
        });
    };
    if total < 20 || msg.len() < total {
        return tp_error(
            format!(
                "SOME/IP-TP segment truncated in the capture ({} of {total} bytes)",
                msg.len()
            ),
            out,
        );
    }
    let mid = u32::from_be_bytes([msg[0], msg[1], msg[2], msg[3]]);
    let rid = u32::from_be_bytes([msg[8], msg[9], msg[10], msg[11]]);
    let word = u32::from_be_bytes([msg[16], msg[17], msg[18], msg[19]]);
    let (offset, more) = ((word & !0xF) as usize, word & 1 == 1);
    let seg = &msg[20..total];
    let key = (src, dst, mid, rid);
    let max_len = tp.max_len;
    if offset == 0 {
        if let Some(old) = tp.open.remove(&key) {
            tp_error(format!("new first SOME/IP-TP segment for 0x{mid:08X} while {} bytes of the previous message were pending; it is dropped", old.buf.len() - 16), out);
            tp.pool.push(old.buf);
        }
        if tp.open.len() >= 1024 {
            tp_error(format!("more than 1024 SOME/IP-TP messages open at once; {} unfinished ones are dropped", tp.open.len()), out);
            let bufs: Vec<Vec<u8>> = tp.open.drain().map(|(_, b)| b.buf).collect();
            tp.pool.extend(bufs.into_iter().take(16));
        }
        let mut buf = tp.pool.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(&msg[..16]);
        buf[14] &= !0x20;
        tp.open.insert(key, TpBuf { buf, first_ts });
    }
    let Some(open) = tp.open.get_mut(&key) else {
        return tp_error(
            format!(
                "SOME/IP-TP segment at offset {offset} of 0x{mid:08X} without its first segment"
            ),
            out,
        );
    };
    let have = open.buf.len() - 16;
    if offset < have {
        return; // retransmitted segment
    }
    if offset > have {
        let buf = tp.open.remove(&key).map(|o| o.buf);
        tp.pool.extend(buf);
        return tp_error(format!("SOME/IP-TP segment at offset {offset} of 0x{mid:08X} but {have} bytes received: a segment is missing; message dropped"), out);
    }
    if have + seg.len() > max_len {
        let buf = tp.open.remove(&key).map(|o| o.buf);
        tp.pool.extend(buf);
        return tp_error(
            format!("SOME/IP-TP message 0x{mid:08X} exceeds {max_len} bytes; dropped"),
            out,
        );
    }
    open.buf.extend_from_slice(seg);
    if more {
        return;
    }
    let Some(mut done) = tp.open.remove(&key) else {
        return;
    };
    let len = (done.buf.len() - 8) as u32;
    done.buf[4..8].copy_from_slice(&len.to_be_bytes());
    out.message(&Message {
        ts,
        first_ts: done.first_ts,
        transport,
        src,
        dst,
        doip: None,
        data: &done.buf,
        len: done.buf.len() as u32,
    });
    tp.pool.push(done.buf);
}

impl Tp {
    /// End of capture: unfinished TP messages become events.
    pub(crate) fn finish(&mut self, ts: Option<i64>, out: &mut Out<'_>) {
        let mut open: Vec<(TpKey, TpBuf)> = self.open.drain().collect();
        open.sort_by_key(|(k, b)| (b.first_ts, k.2, k.3));
        for ((src, dst, mid, _), b) in open {
            let detail = format!(
                "capture ends during SOME/IP-TP message 0x{mid:08X} ({} bytes received)",
                b.buf.len() - 16
            );
            out.event(TransportEvent {
                ts,
                transport: Transport::SomeIpUdp,
                src,
                dst,
                doip: None,
                kind: EventKind::SomeIpTpError,
                detail,
            });
        }
    }
}
