//! The analysis report: per bundle, per unit, the findings with cause, blame, location and evidence.
//!
//! This is the stable JSON contract (`docs/report-format.md`) that the CLI prints, the service
//! stores and the evaluator scores; renderers turn it into text.

use crate::bundle::{Stage, UnitOutcome};
use serde::{Deserialize, Serialize};

/// The whole output of one `analyze` run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always `otadiag-report`.
    pub format: String,
    /// Report format version (1).
    pub version: u32,
    /// The rule set the verdicts were produced under.
    pub ruleset: RulesetInfo,
    /// `first` (stop at the first failing check per unit) or `all`.
    pub mode: String,
    /// One entry per analysed bundle, in input order.
    pub bundles: Vec<BundleReport>,
}

/// Identity of a loaded rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesetInfo {
    /// Where it was loaded from (`embedded` or a directory).
    pub source: String,
    /// `sha256:` of all rule file names and contents, in load order.
    pub revision: String,
    /// Number of rule files.
    pub files: usize,
}

/// Verdicts for one bundle (one vehicle, one update task).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleReport {
    /// File or label of the bundle.
    pub source: String,
    /// Vehicle identification number.
    pub vin: String,
    /// Campaign id.
    pub campaign: String,
    /// Task id.
    pub task: String,
    /// `success` when every unit succeeded, else `failure`.
    pub verdict: String,
    /// The stage whose units were analysed as failed (deploy first, then flash).
    pub failed_stage: Option<Stage>,
    /// Every unit of the bundle; failed ones carry findings.
    pub units: Vec<UnitReport>,
    /// Remarks about the bundle as a whole (e.g. records with no matching protocol).
    pub notes: Vec<String>,
    /// What reading the capture found, when the input was a capture rather than a bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<CaptureSummary>,
    /// Faults below the diagnostic protocol (ISO-TP, DoIP, TCP, SOME/IP-TP), in time order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transport: Vec<TransportFinding>,
}

/// What reading one analysis' captures found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureSummary {
    /// The capture files, in the order read, with their detected formats.
    pub files: Vec<String>,
    /// Bytes read from them.
    pub bytes: u64,
    /// Frames read (CAN frames and packets).
    pub frames: u64,
    /// Lines or objects that could not be read and were skipped (`--strict` makes them errors).
    pub skipped: u64,
    /// The first few skip reasons, each naming file and line or byte offset.
    pub skipped_examples: Vec<String>,
    /// Decoded application messages per transport (`isotp`, `doip`, `someip`).
    pub messages: std::collections::BTreeMap<String, u64>,
    /// Records written to the (in-memory) bundle.
    pub records: u64,
    /// Bytes of the recorded messages as sent.
    pub message_bytes: u64,
    /// Header bytes kept of them.
    pub kept_bytes: u64,
    /// Diagnostic messages left out, with the reason.
    pub not_recorded: std::collections::BTreeMap<String, u64>,
}

/// A fault below the diagnostic protocol, found while decoding a capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportFinding {
    /// Time, ns, when the capture has timestamps.
    pub ts: Option<i64>,
    /// Transport: `isotp`, `doip`, `tcp`, `someip`.
    pub transport: String,
    /// What happened (e.g. `isotp_sequence_error`, `doip_diag_nack`).
    pub kind: String,
    /// Sender, as the capture names it (CAN id, `ip:port`).
    pub src: String,
    /// Receiver.
    pub dst: String,
    /// Details, with the standard's meaning of any code.
    pub detail: String,
}

/// One package (deploy) or ECU (flash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitReport {
    /// Package id or ECU name.
    pub unit: String,
    /// Stage of the unit.
    pub stage: Stage,
    /// ECU address, hex, when known.
    pub address: Option<String>,
    /// Package id from the task table.
    pub package: Option<String>,
    /// Target software version from the task table.
    pub version: Option<String>,
    /// Success or failure.
    pub result: UnitOutcome,
    /// `reported` (a result line) or `inferred` (from the records).
    pub result_source: String,
    /// The recorder's reason for the reported result, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_detail: Option<String>,
    /// Whether the unit's exchanges were checked (failed units of the examined stage).
    pub analysed: bool,
    /// Records of the unit.
    pub records: usize,
    /// Exchanges (request with its responses) of the unit.
    pub exchanges: usize,
    /// Checks that could not run for lack of data (e.g. a field the recorder did not keep).
    pub not_applicable: usize,
    /// Per flow of the unit's protocol, how far the unit got (e.g. `reached RequestDownload (34)
    /// (step 11 of 17)`), over all its exchanges; only for analysed units.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub progress: Vec<String>,
    /// Findings, root first.
    pub findings: Vec<Finding>,
}

/// One failed check: the cause, who is to blame and where, with the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// True for the first (root) finding of the unit.
    pub root: bool,
    /// Index (in `findings`) of the root this finding is a consequence of.
    pub consequence_of: Option<usize>,
    /// Snake-case cause name, e.g. `response_timeout`.
    pub cause: String,
    /// Parameter type that failed, e.g. `response.time`.
    pub parameter: String,
    /// `client` or `server`.
    pub side: String,
    /// Role of the blamed side: `TBOX`, `GW` or `ECU`.
    pub role: String,
    /// Stable rule id.
    pub rule: String,
    /// Rule title.
    pub rule_title: String,
    /// Where the rule is written.
    pub rule_source: SourceRef,
    /// The rule's message, interpolated.
    pub message: String,
    /// Plain-language help, when the rule gives one.
    pub help: Option<String>,
    /// Service id of the request (`0x36`), when known.
    pub service: Option<String>,
    /// Negative response code (`0x72`), when there is one.
    pub nrc: Option<String>,
    /// Name of the negative response code.
    pub nrc_name: Option<String>,
    /// Index of the exchange in the unit.
    pub exchange: Option<usize>,
    /// The request of the exchange.
    pub request: Option<MsgRef>,
    /// The (final) response of the exchange.
    pub response: Option<MsgRef>,
    /// Measured value, formatted (`73 ms`).
    pub measured: Option<String>,
    /// Limit it was checked against, formatted (`50 ms`).
    pub limit: Option<String>,
    /// The problem unit, packet or block.
    pub location: Location,
    /// Records around the fault.
    pub evidence: Vec<Evidence>,
}

/// A rule's place in its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// Rule file path, relative to the rule set root.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// A reference to one record of a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsgRef {
    /// Index of the record among the unit's records (time order).
    pub index: usize,
    /// Timestamp, ns.
    pub ts: i64,
    /// Line in the bundle file (0 when not from a file).
    pub line: u32,
}

/// Where the fault is: the unit and, where one applies, the packet or block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Package id or ECU name.
    pub unit: String,
    /// ECU address, hex.
    pub address: Option<String>,
    /// Problem deployment packet number.
    pub packet: Option<i64>,
    /// Problem transfer block (block sequence counter).
    pub block: Option<i64>,
}

/// One record shown as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Index among the unit's records.
    pub index: usize,
    /// Timestamp, ns.
    pub ts: i64,
    /// `req` or `rsp`.
    pub dir: String,
    /// Sender address, hex.
    pub src: String,
    /// Receiver address, hex.
    pub dst: String,
    /// Kept header bytes, hex.
    pub hdr: String,
    /// Original length.
    pub len: u32,
    /// True for the records of the failing exchange.
    pub focus: bool,
}
