//! The recorder (the method's vehicle side, patent claims 12–13): decoded messages in, header-only
//! records out — each message's header as its protocol's rule file declares it (`keep`), its
//! original length, addresses and time; payloads dropped; every unit's result decided from the
//! responses (a final negative response or no response fails it, as step S603).

use crate::classify::{self, Dialect};
use crate::deploy::DeployPlacer;
use crate::flash::{FlashPlacer, Released};
use crate::topology::Topology;
use otadiag_model::{
    Bundle, Dir, Manifest, Recorder as RecorderInfo, Stage, Task, UnitOutcome, UnitResult,
};
use otadiag_rules::RuleSet;
use std::collections::BTreeMap;

/// More distinct request services than an update uses (a UDS reflash uses about ten): a scan.
const MAX_UPDATE_SIDS: usize = 24;

/// How a message reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// CAN ISO-TP (`fd`: CAN FD frames).
    IsoTp {
        /// Carried in CAN FD frames.
        fd: bool,
    },
    /// DoIP diagnostic message.
    DoIp,
    /// SOME/IP (UDP or TCP).
    SomeIp,
}

/// One decoded application message.
#[derive(Debug, Clone, Copy)]
pub struct Msg<'a> {
    /// Time in ns, `None` when the capture has no timestamps.
    pub ts: Option<i64>,
    /// Transport.
    pub carrier: Carrier,
    /// CAN id of the sender; DoIP logical source address; IPv4 source address.
    pub src: u32,
    /// DoIP logical target address; IPv4 destination (unused for CAN).
    pub dst: u32,
    /// The message bytes (UDS message, or whole SOME/IP message).
    pub data: &'a [u8],
    /// Original length in bytes.
    pub len: u32,
}

/// What the recorder saw and did, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Messages offered.
    pub messages: u64,
    /// Records written.
    pub records: u64,
    /// Bytes of the original messages recorded.
    pub message_bytes: u64,
    /// Header bytes kept.
    pub kept_bytes: u64,
    /// CAN messages on ids never paired to a tester/ECU pair.
    pub unpaired_can: u64,
    /// DoIP messages between two non-tester addresses.
    pub doip_other: u64,
    /// SOME/IP messages of services other than the deployment service.
    pub someip_other: u64,
}

/// Builds a bundle from decoded messages.
pub struct Recorder<'r> {
    rules: &'r RuleSet,
    topo: Topology,
    bundle: Bundle,
    flash: FlashPlacer,
    deploy: DeployPlacer,
    released: Vec<Released>,
    addresses: BTreeMap<String, (u32, &'static str)>,
    /// Per unit, how often each request service id was sent (dialect and scan detection).
    sids: BTreeMap<String, Box<classify::SidCounts>>,
    reprogramming: std::collections::HashSet<String>,
    programming_session: std::collections::HashSet<String>,
    last_ts: Option<i64>,
    timed: bool,
    counts: Counts,
    /// Header bytes kept per (stage, transport written): (request, response), from the rule set's
    /// `keep` clauses, looked up once instead of per message.
    keeps: [(Stage, &'static str, usize, usize); 4],
}

/// The transports the recorder writes, by stage.
const WRITTEN: [(Stage, &str); 4] = [
    (Stage::Flash, "doip"),
    (Stage::Flash, "can"),
    (Stage::Flash, "canfd"),
    (Stage::Deploy, "someip"),
];

impl<'r> Recorder<'r> {
    /// A recorder for one vehicle; `source` labels the bundle (the capture's path).
    pub fn new(rules: &'r RuleSet, topo: Topology, source: &str) -> Self {
        Recorder {
            rules,
            topo,
            bundle: Bundle::new(
                source,
                Manifest {
                    version: 1,
                    ..Manifest::default()
                },
            ),
            flash: FlashPlacer::default(),
            deploy: DeployPlacer::default(),
            released: Vec::new(),
            addresses: BTreeMap::new(),
            sids: BTreeMap::new(),
            reprogramming: Default::default(),
            programming_session: Default::default(),
            last_ts: None,
            timed: true,
            counts: Counts::default(),
            keeps: WRITTEN.map(|(stage, t)| {
                let proto = rules
                    .protocols
                    .iter()
                    .find(|p| p.stage == stage && p.transports.iter().any(|x| x == t));
                match proto {
                    Some(p) => (stage, t, p.keep_request as usize, p.keep_response as usize),
                    None => (stage, t, 64, 64),
                }
            }),
        }
    }

    /// Notes the time of any frame, so the bundle's stop time is the end of the capture.
    pub fn saw_time(&mut self, ts: Option<i64>) {
        match ts {
            Some(t) => self.last_ts = Some(self.last_ts.map_or(t, |l| l.max(t))),
            None => self.timed = false,
        }
    }

    /// Notes a VIN seen on the wire (DoIP vehicle announcement).
    pub fn saw_vin(&mut self, vin: &str) {
        if self.bundle.manifest.vin.is_empty() {
            self.bundle.manifest.vin = vin.to_string();
        }
    }

    /// Records one message.
    pub fn push(&mut self, m: &Msg<'_>) {
        self.counts.messages += 1;
        self.saw_time(m.ts);
        let ts = m.ts.unwrap_or(0);
        match m.carrier {
            Carrier::SomeIp => {
                let Some(p) = self.deploy.place(&self.topo, m.data) else {
                    self.counts.someip_other += 1;
                    return;
                };
                let dir = if p.request {
                    Dir::Request
                } else {
                    Dir::Response
                };
                self.write(
                    Stage::Deploy,
                    &p.unit,
                    "someip",
                    dir,
                    ts,
                    m.src,
                    m.dst,
                    m.data,
                    m.len,
                );
            }
            Carrier::DoIp => {
                let Some(p) = self.flash.doip(&self.topo, ts, m.src, m.dst, m.data) else {
                    self.counts.doip_other += 1;
                    return;
                };
                self.flash_record(&p, "doip", ts, m.data, m.len);
            }
            Carrier::IsoTp { fd } => {
                let transport = if fd { "canfd" } else { "can" };
                let keep = self.keep(Stage::Flash, transport, true).max(self.keep(
                    Stage::Flash,
                    transport,
                    false,
                ));
                let mut released = std::mem::take(&mut self.released);
                let placed =
                    self.flash
                        .can(&self.topo, ts, m.src, m.data, m.len, keep, &mut released);
                for r in released.drain(..) {
                    self.flash_record(&r.placed, transport, r.ts, &r.hdr, r.len);
                }
                self.released = released;
                if let Some(p) = placed {
                    self.flash_record(&p, transport, ts, m.data, m.len);
                }
            }
        }
    }

    fn flash_record(
        &mut self,
        p: &crate::flash::Placed,
        transport: &'static str,
        ts: i64,
        data: &[u8],
        len: u32,
    ) {
        if p.request {
            if let Some(&sid) = data.first() {
                match self.sids.get_mut(&p.unit) {
                    Some(c) => c[sid as usize] += 1,
                    None => {
                        let mut c = Box::new([0; 256]);
                        c[sid as usize] = 1;
                        self.sids.insert(p.unit.clone(), c);
                    }
                }
                // A reprogramming attempt: RequestDownload, or security access / erase after a
                // programming session request (a session test alone is not one).
                let prog = sid == 0x10 && data.get(1).is_some_and(|s| s & 0x7F == 0x02);
                if prog {
                    self.programming_session.insert(p.unit.clone());
                }
                let erase = sid == 0x31 && data.get(2..4) == Some(&[0xFF, 0x00]);
                if sid == 0x34
                    || ((sid == 0x27 || erase) && self.programming_session.contains(&p.unit))
                {
                    self.reprogramming.insert(p.unit.clone());
                }
            }
        }
        if !self.addresses.contains_key(&p.unit) {
            self.addresses
                .insert(p.unit.clone(), (p.address, transport));
        }
        let dir = if p.request {
            Dir::Request
        } else {
            Dir::Response
        };
        self.write(
            Stage::Flash,
            &p.unit,
            transport,
            dir,
            ts,
            p.src,
            p.dst,
            data,
            len,
        );
    }

    fn keep(&self, stage: Stage, transport: &str, request: bool) -> usize {
        match self.keeps.iter().find(|k| k.0 == stage && k.1 == transport) {
            Some(&(_, _, req, _)) if request => req,
            Some(&(_, _, _, rsp)) => rsp,
            None => 64,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn write(
        &mut self,
        stage: Stage,
        unit: &str,
        transport: &str,
        dir: Dir,
        ts: i64,
        src: u32,
        dst: u32,
        data: &[u8],
        len: u32,
    ) {
        let keep = self
            .keep(stage, transport, dir == Dir::Request)
            .min(data.len());
        let rec = if stage == Stage::Deploy { "tbox" } else { "gw" };
        self.bundle.push_record(
            stage,
            unit,
            rec,
            transport,
            dir,
            ts,
            src,
            dst,
            &data[..keep],
            len,
        );
        self.counts.records += 1;
        self.counts.message_bytes += u64::from(len);
        self.counts.kept_bytes += keep as u64;
    }

    /// Closes the recording: task table, dialects, stop times and each unit's result.
    pub fn finish(mut self) -> (Bundle, Counts) {
        self.counts.unpaired_can = self.flash.finish();
        let b = &mut self.bundle;
        let v = &self.topo.vehicle;
        if !v.vin.is_empty() {
            b.manifest.vin = v.vin.clone();
        }
        b.manifest.campaign = v.campaign.clone();
        b.manifest.task = v.task.clone();
        b.manifest.untimed = !self.timed;
        for (id, role) in [("tbox", "TBOX"), ("gw", "GW")] {
            if b.recorder_ids.iter().any(|r| r == id) {
                b.manifest.recorders.push(RecorderInfo {
                    id: id.into(),
                    role: role.into(),
                    software: concat!("otadiag-record ", env!("CARGO_PKG_VERSION")).into(),
                });
                if let Some(t) = self.last_ts {
                    b.stop.insert(id.into(), t);
                }
            }
        }
        // Units speaking another diagnostic protocol keep their records under its name, which no
        // UDS rule handles, so they are reported as not checked rather than as failed flashes.
        for (unit, sids) in &self.sids {
            let dialect = classify::dialect(sids);
            if dialect != Dialect::Uds {
                classify::relabel(b, unit, dialect.transport());
            }
        }
        let packages = self.deploy.packages.clone();
        for pkg in &packages {
            let ecu = self
                .topo
                .ecu
                .iter()
                .find(|e| e.package.as_deref() == Some(pkg));
            b.manifest.tasks.push(Task {
                ecu: ecu.map(|e| e.name.clone()).unwrap_or_default(),
                address: None,
                package: pkg.clone(),
                version: ecu.and_then(|e| e.version.clone()).unwrap_or_default(),
                from_version: None,
                transport: None,
            });
        }
        for (unit, (address, transport)) in &self.addresses {
            let ecu = self.topo.ecu.iter().find(|e| &e.name == unit);
            let package = ecu.and_then(|e| e.package.clone());
            if let Some(t) = b
                .manifest
                .tasks
                .iter_mut()
                .find(|t| Some(&t.package) == package.as_ref())
            {
                t.ecu = unit.clone();
                t.address = Some(*address);
                t.transport = Some(transport.to_string());
                continue;
            }
            b.manifest.tasks.push(Task {
                ecu: unit.clone(),
                address: Some(*address),
                package: package.unwrap_or_default(),
                version: ecu.and_then(|e| e.version.clone()).unwrap_or_default(),
                from_version: None,
                transport: Some(transport.to_string()),
            });
        }
        // S603, decided by the rule set's own checks: a request left without the usable response
        // it needed (response.sent; .time, .sender, .format on the last exchange) or a final negative
        // response that no retry recovered (response.type) fails the unit; so does a reprogramming sequence that stopped before
        // its flow's end ("expected next request never sent") — only for units that started one
        // (a deploy transfer, a UDS programming session or RequestDownload), so a scan or a
        // session of reads is never taken for a failed flash.
        let report = otadiag_engine::analyze_with(self.rules, b, otadiag_engine::Mode::All, true);
        for u in report.units.iter().filter(|u| u.records > 0) {
            // A scanner probing dozens of services is not an update, whatever it probes.
            let scan = self
                .sids
                .get(&u.unit)
                .is_some_and(|c| c.iter().filter(|&&n| n > 0).count() > MAX_UPDATE_SIDS);
            // An ECU the topology gives a package is being updated, however early its flash
            // stopped (before the programming session, say).
            let planned = self
                .topo
                .ecu
                .iter()
                .any(|e| e.name == u.unit && e.package.is_some());
            let reprogramming = u.stage == Stage::Deploy
                || ((self.reprogramming.contains(&u.unit) || planned) && !scan);
            // The client got no usable answer: none or a final negative one no retry recovered;
            // or, to the unit's last exchange (the client gave up there), one too late, from the
            // wrong sender, malformed or for another call. A late answer the client waited for
            // and went on after is not a failure (real ECUs answer routines after P2). On the
            // flash stage `response.match` never counts: other ECUs' answers to a functional
            // request are recorded with the unit and match nothing of it.
            let last = u.exchanges.checked_sub(1);
            let answer = u.findings.iter().find(|f| match f.parameter.as_str() {
                "response.sent" | "response.type" => true,
                "response.time" | "response.sender" | "response.format" => f.exchange == last,
                "response.match" => u.stage == Stage::Deploy && f.exchange == last,
                _ => false,
            });
            let stopped = u
                .findings
                .iter()
                .find(|f| f.parameter == "request.sent" && f.exchange.is_none())
                .filter(|_| reprogramming);
            let (result, mut detail) = match (answer.or(stopped), u.analysed) {
                (Some(_), _) if scan => (
                    UnitOutcome::Success,
                    "a diagnostic scan (dozens of services probed), not an update".to_string(),
                ),
                (Some(_), _) if !reprogramming => (
                    UnitOutcome::Success,
                    "no reprogramming attempted: a diagnostic session, not an update".to_string(),
                ),
                (Some(f), _) => (UnitOutcome::Failure, f.message.clone()),
                (None, false) => (
                    UnitOutcome::Success,
                    "not checked: no protocol of the rule set handles it".to_string(),
                ),
                (None, true) => (
                    UnitOutcome::Success,
                    "every request answered as needed, no negative final response".to_string(),
                ),
            };
            if reprogramming {
                for p in &u.progress {
                    detail.push_str("; ");
                    detail.push_str(p);
                }
            }
            b.results.push(UnitResult {
                stage: u.stage,
                unit: u.unit.clone(),
                result,
                detail: Some(detail),
            });
        }
        (self.bundle, self.counts)
    }
}
