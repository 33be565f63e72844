//! Link and IP layers: VLAN, IPv6, Linux cooked captures, raw IP, IPv4 fragments.
mod common;

use common::*;
use etherparse::{PacketBuilder, VlanId};
use otadiag_capture::{FrameRef, Link};
use otadiag_decode::{Collector, DecodeConfig, Decoder, Endpoint};

fn push_all(frames: &[(Link, Vec<u8>)]) -> (Collector, Decoder) {
    let mut dec = Decoder::new(DecodeConfig::default());
    let mut out = Collector::default();
    for (link, data) in frames {
        dec.push(
            &FrameRef::Packet {
                ts: Some(0),
                channel: 0,
                link: *link,
                data,
                orig_len: data.len() as u32,
            },
            &mut out,
        );
    }
    dec.finish(&mut out);
    (out, dec)
}

fn ip_udp(payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64).udp(50001, 13400);
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

#[test]
fn vlan_ipv6_cooked_and_raw_ip() {
    let m = diag(0x0E80, 0x1010, &[0x3E, 0x00]);
    let mut vlan = Vec::new();
    PacketBuilder::ethernet2([2; 6], [3; 6])
        .single_vlan(VlanId::try_new(5).unwrap())
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(50001, 13400)
        .write(&mut vlan, &m)
        .unwrap();
    let mut v6 = Vec::new();
    PacketBuilder::ethernet2([2; 6], [3; 6])
        .ipv6([0xfe; 16], [0xfd; 16], 64)
        .udp(50001, 13400)
        .write(&mut v6, &m)
        .unwrap();
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 2, 2, 2, 2, 2, 0, 0, 0x08, 0x00];
    sll.extend(ip_udp(&m));
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 2, 2, 2, 2, 2, 0, 0,
    ];
    sll2.extend(ip_udp(&m));
    let (out, dec) = push_all(&[
        (Link::Ethernet, vlan),
        (Link::Ethernet, v6),
        (Link::Sll, sll),
        (Link::Sll2, sll2),
        (Link::RawIp, ip_udp(&m)),
    ]);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.messages.len(), 5);
    assert!(out.messages.iter().all(|x| x.data == [0x3E, 0x00]));
    assert!(matches!(
        out.messages[1].src,
        Endpoint::Ip {
            addr: std::net::IpAddr::V6(_),
            port: 50001
        }
    ));
    assert_eq!(dec.stats().non_ip, 0);
}

#[test]
fn fragments_and_non_ip_are_counted() {
    let m = diag(0x0E80, 0x1010, &[0x3E, 0x00]);
    let mut frag = ip_udp(&m);
    frag[6] = 0x20; // more fragments
    let arp = {
        let mut v = vec![0xff; 12];
        v.extend_from_slice(&[0x08, 0x06]);
        v.extend_from_slice(&[0; 28]);
        v
    };
    let (out, dec) = push_all(&[
        (Link::RawIp, frag),
        (Link::Ethernet, arp),
        (Link::Ethernet, vec![1, 2, 3]),
    ]);
    assert!(out.messages.is_empty());
    assert_eq!(dec.stats().ip_fragments, 1);
    assert_eq!(dec.stats().non_ip, 2);
}
