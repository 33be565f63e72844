//! Link, IP and UDP/TCP slicing of packet frames (etherparse, zero-copy) and the choice of
//! application protocol per port, so the DoIP/SOME-IP code only ever sees transport payloads.

use std::net::IpAddr;

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, NetSlice, SlicedPacket, TransportSlice};
use otadiag_capture::Link;

use crate::someip::{self, Tp};
use crate::stream::Proto;
use crate::tcp::{App, Segment, Tcp};
use crate::types::{Endpoint, Out};
use crate::{doip, DecodeConfig};

/// Well-known ports of other protocols, never probed by the SOME/IP heuristic (DNS, DHCP, NTP,
/// NetBIOS, SNMP, HTTP(S), SSH, mDNS, SSDP, syslog, DHCPv6).
const NOT_SOMEIP: [u16; 16] = [
    22, 53, 67, 68, 80, 123, 137, 138, 161, 162, 443, 514, 546, 547, 1900, 5353,
];

/// Packet-side decoder state.
#[derive(Debug)]
pub(crate) struct Net {
    doip_ports: Vec<u16>,
    someip_ports: Option<Vec<u16>>,
    tcp: Tcp,
    tp: Tp,
}

impl Net {
    pub(crate) fn new(cfg: &DecodeConfig) -> Self {
        let mut tp = Tp::default();
        tp.max_len = cfg.max_message_len;
        Net {
            doip_ports: cfg.doip_ports.clone(),
            someip_ports: cfg.someip_ports.clone(),
            tcp: Tcp::new(cfg.tcp_reorder_limit, cfg.max_message_len),
            tp,
        }
    }

    fn is_doip(&self, a: u16, b: u16) -> bool {
        self.doip_ports.contains(&a) || self.doip_ports.contains(&b)
    }

    /// `Some(true)` = configured SOME/IP port, `Some(false)` = heuristic, `None` = not SOME/IP.
    fn someip_mode(&self, a: u16, b: u16) -> Option<bool> {
        match &self.someip_ports {
            None if NOT_SOMEIP.contains(&a) || NOT_SOMEIP.contains(&b) => None,
            None => Some(false),
            Some(p) if p.contains(&a) || p.contains(&b) => Some(true),
            Some(_) => None,
        }
    }

    /// Handles one packet frame.
    pub(crate) fn push(&mut self, ts: Option<i64>, link: Link, data: &[u8], out: &mut Out<'_>) {
        let Some(p) = slice(link, data) else {
            out.stats.non_ip += 1;
            return;
        };
        if p.fragmented {
            out.stats.ip_fragments += 1;
            return;
        }
        let (src_ip, dst_ip, pay_full) = (p.src, p.dst, p.payload_full);
        match &p.transport {
            Some(TransportSlice::Udp(u)) => {
                let payload = u.payload();
                let full = (u.length() as usize).saturating_sub(8).max(payload.len());
                let (sp, dp) = (u.source_port(), u.destination_port());
                let src = Endpoint::Ip {
                    addr: src_ip,
                    port: sp,
                };
                let dst = Endpoint::Ip {
                    addr: dst_ip,
                    port: dp,
                };
                if self.is_doip(sp, dp) {
                    doip::datagram(payload, full, ts, src, dst, out);
                } else if let Some(configured) = self.someip_mode(sp, dp) {
                    someip::datagram(payload, full, ts, src, dst, !configured, &mut self.tp, out);
                }
            }
            Some(TransportSlice::Tcp(t)) => {
                let (sp, dp) = (t.source_port(), t.destination_port());
                let app = if self.is_doip(sp, dp) {
                    App::Known(Proto::DoIp)
                } else {
                    match self.someip_mode(sp, dp) {
                        Some(true) => App::Known(Proto::SomeIp),
                        Some(false) => App::Detect(0),
                        None => return,
                    }
                };
                let payload = t.payload();
                let header_len = t.data_offset() as usize * 4;
                let missing = pay_full.map_or(0, |f| {
                    f.saturating_sub(header_len).saturating_sub(payload.len())
                });
                let seg = Segment {
                    ts,
                    src: (src_ip, sp),
                    dst: (dst_ip, dp),
                    seq: t.sequence_number(),
                    ack: t.ack().then(|| t.acknowledgment_number()),
                    syn: t.syn(),
                    fin: t.fin(),
                    rst: t.rst(),
                    payload,
                    missing,
                };
                self.tcp.segment(&seg, app, &mut self.tp, out);
            }
            _ => {}
        }
    }

    /// End of capture.
    pub(crate) fn finish(&mut self, ts: Option<i64>, out: &mut Out<'_>) {
        self.tcp.finish(ts, &mut self.tp, out);
        self.tp.finish(ts, out);
    }
}

/// What the decoder needs from a packet's IP and transport layers.
struct Parsed<'a> {
    src: IpAddr,
    dst: IpAddr,
    fragmented: bool,
    /// IP payload length on the wire (the captured payload may be shorter when snapped).
    payload_full: Option<usize>,
    transport: Option<TransportSlice<'a>>,
}

/// Slices a packet: the strict parser first (fast), the lax one for truncated/odd packets.
fn slice(link: Link, data: &[u8]) -> Option<Parsed<'_>> {
    let (ether_type, rest) = match link {
        Link::Sll => (Some(be16(data, 14)?), data.get(16..)?),
        Link::Sll2 => (Some(be16(data, 0)?), data.get(20..)?),
        Link::Ethernet | Link::RawIp => (None, data),
    };
    let strict = match (link, ether_type) {
        (Link::Ethernet, _) => SlicedPacket::from_ethernet(rest).ok(),
        (_, Some(t)) => SlicedPacket::from_ether_type(EtherType(t), rest).ok(),
        _ => SlicedPacket::from_ip(rest).ok(),
    };
    if let Some(p) = strict {
        let (src, dst, fragmented) = match &p.net {
            Some(NetSlice::Ipv4(v4)) => {
                let h = v4.header();
                (
                    IpAddr::V4(h.source_addr()),
                    IpAddr::V4(h.destination_addr()),
                    v4.is_payload_fragmented(),
                )
            }
            Some(NetSlice::Ipv6(v6)) => {
                let h = v6.header();
                (
                    IpAddr::V6(h.source_addr()),
                    IpAddr::V6(h.destination_addr()),
                    v6.is_payload_fragmented(),
                )
            }
            _ => return None,
        };
        return Some(Parsed {
            src,
            dst,
            fragmented,
            payload_full: None,
            transport: p.transport,
        });
    }
    let p = match (link, ether_type) {
        (Link::Ethernet, _) => LaxSlicedPacket::from_ethernet(rest).ok()?,
        (_, Some(t)) => LaxSlicedPacket::from_ether_type(EtherType(t), rest),
        _ => LaxSlicedPacket::from_ip(rest).ok()?,
    };
    let (src, dst, full) = match &p.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            let full = (h.total_len() as usize).checked_sub(h.ihl() as usize * 4);
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                full,
            )
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            let full = (h.payload_length() as usize).checked_sub(v6.extensions().slice().len());
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                full,
            )
        }
        _ => return None,
    };
    let fragmented = p
        .net
        .as_ref()
        .and_then(|n| n.ip_payload_ref())
        .is_some_and(|pl| pl.fragmented);
    Some(Parsed {
        src,
        dst,
        fragmented,
        payload_full: full,
        transport: p.transport,
    })
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}
