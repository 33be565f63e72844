//! Capture files → frames → decoded messages → recorder, in one streaming pass with constant
//! memory: the path behind `otadiag record` and `otadiag analyze CAPTURE`.

use crate::recorder::{Carrier, Msg, Recorder};
use crate::topology::Topology;
use otadiag_capture::{detect, CaptureError};
use otadiag_decode::{
    DecodeConfig, Decoder, Endpoint, EventKind, IdFilter, Message, Sink, Transport, TransportEvent,
};
use otadiag_model::report::{CaptureSummary, TransportFinding};
use otadiag_model::Bundle;
use otadiag_rules::RuleSet;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

/// How many skip reasons and transport findings a report lists (the rest are counted).
const MAX_LISTED: usize = 200;

/// Options of a recording.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Names the units; defaults apply where it is silent.
    pub topology: Topology,
    /// Turn skipped lines/objects into errors.
    pub strict: bool,
}

/// What a recording produced.
pub struct Recorded {
    /// The header-only bundle.
    pub bundle: Bundle,
    /// What reading the captures found.
    pub summary: CaptureSummary,
    /// Transport faults (at most [`MAX_LISTED`]; `summary.not_recorded` counts the rest).
    pub transport: Vec<TransportFinding>,
}

/// Records the captures in `paths` as one vehicle's bundle. `progress` is called with the bytes
/// read so far across all files.
pub fn record_captures(
    rules: &RuleSet,
    paths: &[PathBuf],
    opts: &Options,
    progress: &mut dyn FnMut(u64),
) -> Result<Recorded, CaptureError> {
    let label = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let mut sink = Adapter {
        rec: Recorder::new(rules, opts.topology.clone(), &label),
        fd: false,
        messages: BTreeMap::new(),
        transport: Vec::new(),
        faults: 0,
        ipv6_someip: 0,
    };
    let mut decoder = Decoder::new(decode_config(&opts.topology));
    let mut summary = CaptureSummary::default();
    let mut done = 0u64;
    let mut cut_files = 0u64;
    for path in paths {
        let mut reader = detect::open(path)?;
        summary.files.push(path.display().to_string());
        let mut last_progress = 0u64;
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => {
                    summary.frames += 1;
                    if let otadiag_capture::FrameRef::Can { flags, .. } = &frame {
                        sink.fd = flags.fd;
                    }
                    sink.rec.saw_time(frame.ts());
                    decoder.push(&frame, &mut sink);
                    if summary.frames % 65_536 == 0 {
                        let b = done + reader.bytes_read();
                        if b - last_progress > (4 << 20) {
                            progress(b);
                            last_progress = b;
                        }
                    }
                }
                Ok(None) => break,
                Err(e) if opts.strict => return Err(e),
                Err(e) => {
                    summary.skipped += 1;
                    if e.fatal {
                        // The reader cannot go on: say that the rest of the file is missing,
                        // always, so a cut capture is never read as a short one.
                        summary
                            .skipped_examples
                            .push(format!("{e} (the rest of the file was not read)"));
                        cut_files += 1;
                    } else if summary.skipped_examples.len() < 5 {
                        summary.skipped_examples.push(e.to_string());
                    }
                }
            }
        }
        done += reader.bytes_read();
        progress(done);
    }
    decoder.finish(&mut sink);
    summary.bytes = done;
    let Adapter {
        rec,
        messages,
        transport,
        faults,
        ipv6_someip,
        ..
    } = sink;
    let (bundle, counts) = rec.finish();
    summary.messages = messages
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
    summary.records = counts.records;
    summary.message_bytes = counts.message_bytes;
    summary.kept_bytes = counts.kept_bytes;
    let mut not = BTreeMap::new();
    for (why, n) in [
        (
            "CAN ids never paired to a tester and an ECU",
            counts.unpaired_can,
        ),
        (
            "DoIP messages between two non-tester addresses",
            counts.doip_other,
        ),
        (
            "SOME/IP messages of other services than the deployment service",
            counts.someip_other,
        ),
        ("SOME/IP messages over IPv6", ipv6_someip),
        (
            "transport findings beyond the first 200",
            faults.saturating_sub(MAX_LISTED as u64),
        ),
        (
            "ISO-TP frames with invalid PCI on guessed ids",
            decoder.stats().bad_pci,
        ),
        (
            "capture files whose rest could not be read (see skipped)",
            cut_files,
        ),
    ] {
        if n > 0 {
            not.insert(why.to_string(), n);
        }
    }
    summary.not_recorded = not;
    Ok(Recorded {
        bundle,
        summary,
        transport,
    })
}

fn decode_config(topo: &Topology) -> DecodeConfig {
    let pairs: Vec<(u32, u32)> = topo
        .ecu
        .iter()
        .filter_map(|e| e.can.map(|c| (c[0].0, c[1].0)))
        .collect();
    let outside = pairs
        .iter()
        .any(|&(a, b)| !(0x600..=0x7FF).contains(&a) || !(0x600..=0x7FF).contains(&b));
    let mut cfg = DecodeConfig {
        extended_addressing_ids: topo.extended_addressing.iter().map(|a| a.0).collect(),
        ..DecodeConfig::default()
    };
    if outside {
        let mut ids: Vec<u32> = pairs.iter().flat_map(|&(a, b)| [a, b]).collect();
        ids.extend(topo.functional.iter().map(|f| f.0));
        ids.extend(topo.extended_addressing.iter().map(|f| f.0));
        ids.extend([0x7DF, 0x18DB_33F1]);
        cfg.isotp_ids = IdFilter::Ids(ids);
    }
    cfg
}

/// Feeds decoded messages to the recorder and keeps transport faults.
struct Adapter<'r> {
    rec: Recorder<'r>,
    /// Whether the frame being decoded is CAN FD (an ISO-TP message completes on it).
    fd: bool,
    /// Decoded messages per transport name (few names: no allocation per message).
    messages: BTreeMap<&'static str, u64>,
    transport: Vec<TransportFinding>,
    faults: u64,
    ipv6_someip: u64,
}

fn v4(e: &Endpoint) -> Option<u32> {
    match e {
        Endpoint::Ip {
            addr: IpAddr::V4(a),
            ..
        } => Some(u32::from(*a)),
        _ => None,
    }
}

fn can_id(e: &Endpoint) -> u32 {
    match e {
        Endpoint::Can { id, .. } => *id,
        _ => 0,
    }
}

fn endpoint(e: &Endpoint) -> String {
    match e {
        Endpoint::Can {
            channel,
            id,
            ext_addr: None,
        } => format!("can{channel}:0x{id:03X}"),
        Endpoint::Can {
            channel,
            id,
            ext_addr: Some(x),
        } => format!("can{channel}:0x{id:03X}/{x:02X}"),
        Endpoint::Ip { addr, port } => format!("{addr}:{port}"),
    }
}

impl Sink for Adapter<'_> {
    fn message(&mut self, m: &Message<'_>) {
        let (name, carrier, src, dst) = match m.transport {
            Transport::IsoTp => (
                "isotp",
                Carrier::IsoTp { fd: self.fd },
                can_id(&m.src),
                can_id(&m.dst),
            ),
            Transport::DoIp => {
                let Some((s, t)) = m.doip else { return };
                ("doip", Carrier::DoIp, u32::from(s), u32::from(t))
            }
            Transport::SomeIpUdp | Transport::SomeIpTcp => {
                let (Some(s), Some(d)) = (v4(&m.src), v4(&m.dst)) else {
                    *self.messages.entry("someip").or_default() += 1;
                    self.ipv6_someip += 1;
                    return;
                };
                ("someip", Carrier::SomeIp, s, d)
            }
        };
        *self.messages.entry(name).or_default() += 1;
        self.rec.push(&Msg {
            ts: m.ts,
            carrier,
            src,
            dst,
            data: m.data,
            len: m.len,
        });
    }

    fn event(&mut self, e: &TransportEvent) {
        if e.kind == EventKind::DoIpVehicleAnnouncement {
            if let Some(vin) = e.detail.strip_prefix("vehicle announcement VIN ") {
                let vin: String = vin
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                if vin.len() == 17 {
                    self.rec.saw_vin(&vin);
                }
            }
        }
        let fault = match e.kind {
            EventKind::DoIpRoutingActivationResponse { code, .. } => code != 0x10,
            EventKind::DoIpDiagAck
            | EventKind::DoIpRoutingActivation { .. }
            | EventKind::DoIpVehicleAnnouncement
            | EventKind::DoIpOther(_)
            | EventKind::IsoTpBadPci => false,
            _ => true,
        };
        if !fault {
            return;
        }
        self.faults += 1;
        if self.transport.len() < MAX_LISTED {
            let transport = match e.kind {
                EventKind::TcpGap | EventKind::TcpIncompleteMessage => "tcp",
                _ => match e.transport {
                    Transport::IsoTp => "isotp",
                    Transport::DoIp => "doip",
                    Transport::SomeIpUdp | Transport::SomeIpTcp => "someip",
                },
            };
            self.transport.push(TransportFinding {
                ts: e.ts,
                transport: transport.into(),
                kind: e.kind.name().into(),
                src: endpoint(&e.src),
                dst: endpoint(&e.dst),
                detail: e.detail.clone(),
            });
        }
    }
}
