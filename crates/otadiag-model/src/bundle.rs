//! The in-memory form of an upload bundle: manifest, per-unit results and header-only records.
//!
//! Records are stored flat (fixed-size structs plus one shared header arena) because a fleet
//! analysis walks hundreds of millions of them; see `docs/bundle-format.md` for the wire format.

use serde::{Deserialize, Serialize};

/// The two stages of an OTA update, in the order the method examines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// TBOX → GW: update packages are transferred packet by packet.
    Deploy,
    /// GW → ECU: each ECU is reprogrammed over UDS.
    Flash,
}

impl Stage {
    /// Both stages, deploy first.
    pub const ALL: [Stage; 2] = [Stage::Deploy, Stage::Flash];

    /// The lowercase name used in bundles, rules and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Deploy => "deploy",
            Stage::Flash => "flash",
        }
    }

    /// Parses `deploy` or `flash`.
    pub fn parse(s: &str) -> Option<Stage> {
        match s {
            "deploy" => Some(Stage::Deploy),
            "flash" => Some(Stage::Flash),
            _ => None,
        }
    }
}

/// Whether a record is a request (client → server) or a response (server → client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// Sent by the client (TBOX when deploying, GW when flashing).
    Request,
    /// Sent by the server (GW when deploying, the ECU when flashing).
    Response,
}

impl Dir {
    /// `req` or `rsp`, as written in bundles and evidence.
    pub fn short(self) -> &'static str {
        match self {
            Dir::Request => "req",
            Dir::Response => "rsp",
        }
    }
}

/// The outcome a recorder reported for one unit (package or ECU).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitOutcome {
    /// The unit was deployed / flashed.
    Success,
    /// The unit failed.
    Failure,
}

/// One recorder that contributed records (normally `tbox` and `gw`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorder {
    /// Short id used by records (`rec` field).
    pub id: String,
    /// Role of the device: `TBOX` or `GW`.
    pub role: String,
    /// Recorder software name and version.
    #[serde(default)]
    pub software: String,
}

/// One row of the task table: which ECU gets which package (the patent's table 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// ECU name, the flash-stage unit id.
    pub ecu: String,
    /// ECU logical address (DoIP logical address, or the UDS address the GW uses).
    #[serde(default)]
    pub address: Option<u32>,
    /// Package id, the deploy-stage unit id.
    pub package: String,
    /// Software version being installed.
    #[serde(default)]
    pub version: String,
    /// Software version before the update, when known.
    #[serde(default)]
    pub from_version: Option<String>,
    /// Transport used to flash this ECU (`doip`, `can`, ...).
    #[serde(default)]
    pub transport: Option<String>,
}

/// What the vehicle says about the update as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Bundle format version (1).
    pub version: u32,
    /// Vehicle identification number.
    #[serde(default)]
    pub vin: String,
    /// Fleet-side vehicle id, when different from the VIN.
    #[serde(default)]
    pub vehicle: Option<String>,
    /// OTA campaign id.
    #[serde(default)]
    pub campaign: String,
    /// Update task id within the campaign.
    #[serde(default)]
    pub task: String,
    /// The records carry no real timestamps (the capture had none, e.g. `candump` console
    /// output): their order holds, their `ts` does not, so timing checks are not applicable.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub untimed: bool,
    /// Recorders that contributed to this bundle.
    #[serde(default)]
    pub recorders: Vec<Recorder>,
    /// The task table.
    #[serde(default)]
    pub tasks: Vec<Task>,
}

/// A result line: the recorder's verdict for one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitResult {
    /// Stage of the unit.
    pub stage: Stage,
    /// Package id (deploy) or ECU name (flash).
    pub unit: String,
    /// The reported outcome.
    pub result: UnitOutcome,
    /// Free text from the recorder, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One recorded message, payload dropped. Header bytes live in [`Bundle::headers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// Stage the record belongs to.
    pub stage: Stage,
    /// Index into [`Bundle::unit_names`].
    pub unit: u32,
    /// Index into [`Bundle::recorder_ids`].
    pub rec: u16,
    /// Index into [`Bundle::transports`].
    pub transport: u16,
    /// Request or response, as the recorder saw it.
    pub dir: Dir,
    /// Timestamp in nanoseconds on the recorder's clock.
    pub ts: i64,
    /// Sender address (DoIP logical address, CAN id, IPv4 address as u32, ...).
    pub src: u32,
    /// Receiver address.
    pub dst: u32,
    /// Original message length in bytes (before the payload was dropped).
    pub len: u32,
    /// Offset of the kept header bytes in [`Bundle::headers`].
    pub hdr_off: u32,
    /// Number of kept header bytes.
    pub hdr_len: u16,
    /// 1-based line of the record in its bundle file (0 when built in memory).
    pub line: u32,
}

/// A whole upload bundle in memory.
#[derive(Debug, Clone, Default)]
pub struct Bundle {
    /// Where the bundle came from (a path or a label).
    pub source: String,
    /// The manifest line.
    pub manifest: Manifest,
    /// Per-unit results, in file order.
    pub results: Vec<UnitResult>,
    /// Records, in file order.
    pub records: Vec<Record>,
    /// Header bytes of all records, back to back.
    pub headers: Vec<u8>,
    /// Interned unit names (records refer to them by index).
    pub unit_names: Vec<String>,
    /// Interned recorder ids.
    pub recorder_ids: Vec<String>,
    /// Interned transport names.
    pub transports: Vec<String>,
    /// When each recorder stopped recording (ns, recorder id → timestamp), from the end line.
    /// A request still waiting at that moment is "unanswered at end of recording".
    pub stop: std::collections::BTreeMap<String, i64>,
}

impl Bundle {
    /// An empty bundle with the given source label and manifest.
    pub fn new(source: impl Into<String>, manifest: Manifest) -> Bundle {
        Bundle {
            source: source.into(),
            manifest,
            ..Bundle::default()
        }
    }

    /// The kept header bytes of a record.
    pub fn header(&self, r: &Record) -> &[u8] {
        let start = r.hdr_off as usize;
        &self.headers[start..start + r.hdr_len as usize]
    }

    /// Interns a unit name and returns its index.
    pub fn intern_unit(&mut self, name: &str) -> u32 {
        intern(&mut self.unit_names, name) as u32
    }

    /// Interns a recorder id and returns its index.
    pub fn intern_recorder(&mut self, id: &str) -> u16 {
        intern(&mut self.recorder_ids, id) as u16
    }

    /// Interns a transport name and returns its index.
    pub fn intern_transport(&mut self, name: &str) -> u16 {
        intern(&mut self.transports, name) as u16
    }

    /// Appends a record; `header` is copied into the arena (at most `u16::MAX` bytes kept).
    #[allow(clippy::too_many_arguments)]
    pub fn push_record(
        &mut self,
        stage: Stage,
        unit: &str,
        rec: &str,
        transport: &str,
        dir: Dir,
        ts: i64,
        src: u32,
        dst: u32,
        header: &[u8],
        len: u32,
    ) {
        let unit = self.intern_unit(unit);
        let rec = self.intern_recorder(rec);
        let transport = self.intern_transport(transport);
        let keep = &header[..header.len().min(u16::MAX as usize)];
        let hdr_off = self.headers.len() as u32;
        self.headers.extend_from_slice(keep);
        self.records.push(Record {
            stage,
            unit,
            rec,
            transport,
            dir,
            ts,
            src,
            dst,
            len,
            hdr_off,
            hdr_len: keep.len() as u16,
            line: 0,
        });
    }

    /// The task-table row of a unit, by ECU name (flash) or package id (deploy).
    pub fn task_of(&self, stage: Stage, unit: &str) -> Option<&Task> {
        self.manifest.tasks.iter().find(|t| match stage {
            Stage::Flash => t.ecu == unit,
            Stage::Deploy => t.package == unit,
        })
    }
}

fn intern(names: &mut Vec<String>, name: &str) -> usize {
    match names.iter().position(|n| n == name) {
        Some(i) => i,
        None => {
            names.push(name.to_string());
            names.len() - 1
        }
    }
}
