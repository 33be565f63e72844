//! Captures of the simulated traffic, for the capture decoders: the TBOX's SOME/IP and the GW's
//! DoIP as pcap (Ethernet/IPv4/TCP, with routing activation and diagnostic-message ACKs, a NACK
//! for an illegal source address), the GW's CAN as `candump -l` and Vector ASC with ISO-TP
//! segmentation, and the topology file the recorder needs to name the units. Built from the
//! bundle: each message is its kept header followed by the simulator's 0xAA filler.

pub mod asc;
pub mod candump;
pub mod pcap;
pub mod topology;

use otadiag_model::{Bundle, Dir, Record};
use pcap::PcapWriter;

/// The TCP port the GW's package manager listens on (SOME/IP methods over TCP).
pub const SOMEIP_PORT: u16 = 30501;
/// The DoIP TCP port (ISO 13400-2).
pub const DOIP_PORT: u16 = 13400;
/// The GW's IPv4 address on the diagnostic Ethernet (10.0.1.1).
pub const GW_DIAG_IP: u32 = 0x0A00_0101;

/// A transport fault that only a capture shows, attached to one record (by its index in the bundle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// ISO-TP: this consecutive frame (1-based) of the message carries a wrong sequence number.
    BadSequenceNumber(u32),
    /// DoIP: the entity answers the diagnostic message with this NACK code (0x8003).
    Nack(u8),
}

/// The capture files of one vehicle; a part is `None` when the vehicle has no such traffic.
#[derive(Debug, Default)]
pub struct Captures {
    /// SOME/IP between TBOX and GW, TBOX clock (`<vehicle>.tbox.pcap`).
    pub tbox_pcap: Option<Vec<u8>>,
    /// DoIP between GW and ECUs, GW clock (`<vehicle>.gw.pcap`).
    pub gw_pcap: Option<Vec<u8>>,
    /// CAN between GW and ECUs, GW clock (`<vehicle>.gw.candump.log`).
    pub gw_candump: Option<String>,
    /// The same CAN frames as Vector ASC (`<vehicle>.gw.asc`).
    pub gw_asc: Option<String>,
}

/// The whole message a record stands for: kept header, then filler up to its length.
fn message(b: &Bundle, r: &Record) -> Vec<u8> {
    let mut m = b.header(r).to_vec();
    m.resize(r.len as usize, 0xAA);
    m
}

/// The DoIP entity address (10.0.1.10 + task-table position) of the ECU a record belongs to.
fn entity_ip(b: &Bundle, r: &Record) -> u32 {
    let unit = &b.unit_names[r.unit as usize];
    let i = b
        .manifest
        .tasks
        .iter()
        .position(|t| &t.ecu == unit)
        .unwrap_or(0);
    0x0A00_010A + i as u32
}

fn doip(ptype: u16, payload: &[u8]) -> Vec<u8> {
    let mut m = vec![0x02, 0xFD];
    m.extend_from_slice(&ptype.to_be_bytes());
    m.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    m.extend_from_slice(payload);
    m
}

/// Builds the captures of a bundle, with the transport faults `marks` puts on some records.
pub fn captures(b: &Bundle, marks: &[(usize, Mark)]) -> Captures {
    let mark = |i: usize| marks.iter().find(|m| m.0 == i).map(|m| m.1);
    let mut order: Vec<usize> = (0..b.records.len()).collect();
    order.sort_by_key(|&i| (b.records[i].rec, b.records[i].ts, i));
    let mut tbox = PcapWriter::new();
    let mut gw = PcapWriter::new();
    let mut can = String::new();
    let (mut has_tbox, mut has_gw) = (false, false);
    let mut activated: Vec<u32> = Vec::new();
    for i in order {
        let r = &b.records[i];
        let tr = b.transports[r.transport as usize].as_str();
        let msg = message(b, r);
        match tr {
            t if t.starts_with("someip") => {
                has_tbox = true;
                let (client, server) = match r.dir {
                    Dir::Request => (r.src, r.dst),
                    Dir::Response => (r.dst, r.src),
                };
                tbox.send(
                    r.ts,
                    (client, 40001),
                    (server, SOMEIP_PORT),
                    r.dir == Dir::Request,
                    &msg,
                );
            }
            "doip" => {
                has_gw = true;
                let ecu = entity_ip(b, r);
                let (c, s) = ((GW_DIAG_IP, 50000 + (ecu & 0xFF) as u16), (ecu, DOIP_PORT));
                if !activated.contains(&ecu) {
                    activated.push(ecu);
                    let tester = if r.dir == Dir::Request { r.src } else { r.dst };
                    let ecu_la = b
                        .manifest
                        .tasks
                        .get((ecu - 0x0A00_010A) as usize)
                        .and_then(|t| t.address)
                        .unwrap_or(0);
                    let mut rq = (tester as u16).to_be_bytes().to_vec();
                    rq.extend_from_slice(&[0x00, 0, 0, 0, 0]);
                    gw.send(r.ts - 3_000_000, c, s, true, &doip(0x0005, &rq));
                    let mut rs = (tester as u16).to_be_bytes().to_vec();
                    rs.extend_from_slice(&(ecu_la as u16).to_be_bytes());
                    rs.extend_from_slice(&[0x10, 0, 0, 0, 0]);
                    gw.send(r.ts - 2_000_000, c, s, false, &doip(0x0006, &rs));
                }
                let mut p = (r.src as u16).to_be_bytes().to_vec();
                p.extend_from_slice(&(r.dst as u16).to_be_bytes());
                p.extend_from_slice(&msg);
                gw.send(r.ts, c, s, r.dir == Dir::Request, &doip(0x8001, &p));
                if r.dir == Dir::Request {
                    // The entity acknowledges the diagnostic message, or refuses an unknown source.
                    let code = match mark(i) {
                        Some(Mark::Nack(code)) => code,
                        _ if !(0x0E00..=0x0FFF).contains(&r.src) => 0x02,
                        _ => 0x00,
                    };
                    let mut a = (r.dst as u16).to_be_bytes().to_vec();
                    a.extend_from_slice(&(r.src as u16).to_be_bytes());
                    a.push(code);
                    let ptype = if code == 0 { 0x8002 } else { 0x8003 };
                    gw.send(r.ts + 100_000, c, s, false, &doip(ptype, &a));
                }
            }
            _ => {
                let bad = match mark(i) {
                    Some(Mark::BadSequenceNumber(k)) => Some(k),
                    _ => None,
                };
                candump::message(&mut can, r.ts, r.src, r.dst, &msg, bad)
            }
        }
    }
    // The GW sends the requests and the flow control for the ECUs' multi-frame responses.
    let gw_ids: Vec<u32> = b
        .records
        .iter()
        .filter(|r| r.dir == Dir::Request && b.transports[r.transport as usize] == "can")
        .map(|r| r.src)
        .collect();
    let gw_asc = (!can.is_empty()).then(|| asc::from_candump(&can, &|id| gw_ids.contains(&id)));
    Captures {
        tbox_pcap: has_tbox.then(|| tbox.into_bytes()),
        gw_pcap: has_gw.then(|| gw.into_bytes()),
        gw_candump: (!can.is_empty()).then_some(can),
        gw_asc,
    }
}
