//! DoIP (ISO 13400-2): generic header checks and what each payload type becomes — diagnostic
//! messages become [`Message`]s carrying the UDS bytes, everything else (ACK/NACK, routing
//! activation, discovery, alive check, status) becomes a [`TransportEvent`].

use crate::doip_codes::{
    explain_doip_diag_nack, explain_doip_header_nack, explain_doip_payload_type,
    explain_doip_routing_activation, known_payload_type,
};
use crate::types::{Endpoint, EventKind, Message, Out, Transport, TransportEvent};

/// Longest payload length accepted in a header (larger is treated as a corrupt header).
const MAX_PAYLOAD: u32 = 64 << 20;

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Checks a generic header (`h` has at least 8 bytes); returns the total message length.
/// `strict` (used while resyncing) also requires a payload type ISO 13400-2 defines.
pub(crate) fn check_header(h: &[u8], strict: bool) -> Result<usize, &'static str> {
    if h.len() < 8 {
        return Err("truncated DoIP header");
    }
    let (ver, inv) = (h[0], h[1]);
    if ver ^ 0xFF != inv {
        return Err("DoIP protocol version and inverse version do not match");
    }
    if !matches!(ver, 0x01..=0x04 | 0xFF) {
        return Err("unknown DoIP protocol version");
    }
    let pt = u16::from_be_bytes([h[2], h[3]]);
    if strict && !known_payload_type(pt) {
        return Err("unknown DoIP payload type");
    }
    let len = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    if len > MAX_PAYLOAD {
        return Err("DoIP payload length implausibly large");
    }
    Ok(8 + len as usize)
}

/// One UDP datagram on a DoIP port (may hold several messages). `full_len` is the datagram
/// payload length on the wire.
pub(crate) fn datagram(
    mut d: &[u8],
    full_len: usize,
    ts: Option<i64>,
    src: Endpoint,
    dst: Endpoint,
    out: &mut Out<'_>,
) {
    let mut wire_left = full_len.max(d.len());
    while d.len() >= 8 {
        match check_header(d, false) {
            Err(why) => {
                return bad(out, ts, src, dst, why);
            }
            Ok(total) if total > wire_left => {
                return bad(
                    out,
                    ts,
                    src,
                    dst,
                    "DoIP payload length exceeds the datagram",
                );
            }
            Ok(total) => {
                let take = total.min(d.len());
                handle(&d[..take], total, ts, ts, src, dst, out);
                d = &d[take..];
                wire_left -= total;
            }
        }
    }
}

fn bad(out: &mut Out<'_>, ts: Option<i64>, src: Endpoint, dst: Endpoint, why: &str) {
    out.event(TransportEvent {
        ts,
        transport: Transport::DoIp,
        src,
        dst,
        doip: None,
        kind: EventKind::DoIpBadHeader,
        detail: why.to_string(),
    });
}

/// One DoIP message: `msg` is the header plus the captured payload, `total` its full length.
pub(crate) fn handle(
    msg: &[u8],
    total: usize,
    first_ts: Option<i64>,
    ts: Option<i64>,
    src: Endpoint,
    dst: Endpoint,
    out: &mut Out<'_>,
) {
    if msg.len() < 8 {
        return;
    }
    let pt = u16::from_be_bytes([msg[2], msg[3]]);
    let p = &msg[8..];
    let plen = total.saturating_sub(8);
    let addrs = be16(p, 0).zip(be16(p, 2));
    let ev = |kind: EventKind, doip: Option<(u16, u16)>, detail: String, out: &mut Out<'_>| {
        out.event(TransportEvent {
            ts,
            transport: Transport::DoIp,
            src,
            dst,
            doip,
            kind,
            detail,
        });
    };
    match pt {
        0x8001 => match addrs {
            Some(a) if plen >= 5 => out.message(&Message {
                ts,
                first_ts,
                transport: Transport::DoIp,
                src,
                dst,
                doip: Some(a),
                data: &p[4..],
                len: (plen - 4) as u32,
            }),
            _ => ev(EventKind::DoIpBadHeader, addrs, format!("diagnostic message with a {plen}-byte payload (needs at least 5: addresses and user data)"), out),
        },
        0x8002 => {
            let code = p.get(4).copied().unwrap_or(0);
            let detail = format!("diagnostic message acknowledged (code 0x{code:02X}){}", echo(plen));
            ev(EventKind::DoIpDiagAck, addrs, detail, out)
        }
        0x8003 => match p.get(4) {
            Some(&code) => {
                let detail = format!("diagnostic message refused: NACK 0x{code:02X} {}{}", explain_doip_diag_nack(code), echo(plen));
                ev(EventKind::DoIpDiagNack(code), addrs, detail, out)
            }
            None => ev(EventKind::DoIpBadHeader, addrs, format!("diagnostic NACK with a {plen}-byte payload (needs 5)"), out),
        },
        0x0000 => match p.first() {
            Some(&code) => ev(EventKind::DoIpHeaderNack(code), None, format!("generic header NACK 0x{code:02X}: {}", explain_doip_header_nack(code)), out),
            None => ev(EventKind::DoIpOther(0), None, "generic header NACK without a NACK code".to_string(), out),
        },
        0x0005 => match be16(p, 0) {
            Some(source) => {
                let activation_type = p.get(2).copied().unwrap_or(0);
                let kind = EventKind::DoIpRoutingActivation { source, activation_type };
                ev(kind, None, format!("routing activation request from tester 0x{source:04X}, activation type 0x{activation_type:02X} ({})", activation_type_name(activation_type)), out)
            }
            None => ev(EventKind::DoIpBadHeader, None, format!("routing activation request with a {plen}-byte payload"), out),
        },
        0x0006 => match (addrs, p.get(4)) {
            (Some((tester, entity)), Some(&code)) => {
                let kind = EventKind::DoIpRoutingActivationResponse { tester, entity, code };
                let detail = format!("routing activation response to tester 0x{tester:04X} from entity 0x{entity:04X}: 0x{code:02X} {}", explain_doip_routing_activation(code));
                ev(kind, Some((entity, tester)), detail, out)
            }
            _ => ev(EventKind::DoIpBadHeader, None, format!("routing activation response with a {plen}-byte payload"), out),
        },
        0x0004 => {
            let vin: String = p.iter().take(17).map(|&b| if b.is_ascii_graphic() { b as char } else { '.' }).collect();
            let la = be16(p, 17).map_or(String::new(), |a| format!(", logical address 0x{a:04X}"));
            let action = p.get(31).map_or(String::new(), |a| format!(", further action 0x{a:02X}"));
            ev(EventKind::DoIpVehicleAnnouncement, None, format!("vehicle announcement VIN {vin}{la}{action}"), out)
        }
        _ => {
            let mut detail = format!("0x{pt:04X} {}", explain_doip_payload_type(pt));
            match pt {
                0x0008 => {
                    if let Some(a) = be16(p, 0) {
                        detail.push_str(&format!(" (tester 0x{a:04X})"));
                    }
                }
                0x4002 => {
                    if let (Some(nt), Some(max), Some(open)) = (p.first(), p.get(1), p.get(2)) {
                        let node = if *nt == 0 { "gateway" } else { "node" };
                        detail.push_str(&format!(" ({node}, {open}/{max} TCP sockets open)"));
                    }
                }
                0x4004 => {
                    if let Some(&m) = p.first() {
                        let mode = match m {
                            0 => "not ready",
                            1 => "ready",
                            2 => "not supported",
                            _ => "reserved",
                        };
                        detail.push_str(&format!(": power mode {mode}"));
                    }
                }
                _ => {}
            }
            ev(EventKind::DoIpOther(pt), None, detail, out)
        }
    }
}

fn echo(plen: usize) -> String {
    if plen > 5 {
        format!(", echoing {} bytes of the acknowledged message", plen - 5)
    } else {
        String::new()
    }
}

fn activation_type_name(t: u8) -> &'static str {
    match t {
        0x00 => "default",
        0x01 => "WWH-OBD",
        0xE0 => "central security",
        0xE1..=0xFF => "vehicle-manufacturer-specific",
        _ => "reserved",
    }
}
