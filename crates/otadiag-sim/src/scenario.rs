//! The scenario: what fleet to simulate (vehicles, ECU topology, package sizes, timing, background
//! traffic) and which faults to inject, read from TOML with built-in defaults for everything.
//! Errors name the file, line and column so a typo in a long scenario is found at once.

use crate::fault::{FaultKind, FaultSpec};
use otadiag_model::Stage;
use serde::Deserialize;
use std::fmt;
use std::path::Path;

/// A problem with a scenario, located in its file when it came from one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ScenarioError {
    /// The scenario file (or `<built-in>`).
    pub file: String,
    /// 1-based line and column, when known.
    pub at: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some((l, c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// How the GW reaches an ECU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// DoIP (ISO 13400-2): logical addresses.
    Doip,
    /// CAN ISO-TP (ISO 15765-2): a request/response CAN id pair.
    Can,
}

impl Transport {
    /// `doip` or `can`, as written in bundles.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Doip => "doip",
            Transport::Can => "can",
        }
    }
}

/// One ECU of the vehicle topology (`[[ecu]]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcuCfg {
    /// ECU name, the flash-stage unit id.
    pub name: String,
    /// `doip` (default) or `can`.
    #[serde(default = "d_doip")]
    pub transport: Transport,
    /// DoIP logical address (default 0x1A01 + position).
    #[serde(default)]
    pub address: Option<u32>,
    /// CAN request and response ids (default 0x7E0/0x7E8 + position among CAN ECUs).
    #[serde(default)]
    pub can_ids: Option<[u32; 2]>,
    /// Package id, the deploy-stage unit id (default: lower-case name + `-app`).
    #[serde(default)]
    pub package: Option<String>,
    /// Target software version (default `1.1.0`).
    #[serde(default)]
    pub version: Option<String>,
    /// Installed software version (default `1.0.0`).
    #[serde(default)]
    pub from_version: Option<String>,
    /// Image size range in KiB, drawn per vehicle (default `[64, 256]`).
    #[serde(default)]
    pub size_kib: Option<[u32; 2]>,
    /// maxNumberOfBlockLength the ECU grants in RequestDownload (default 4090).
    #[serde(default)]
    pub max_block: Option<u32>,
}

/// Timing distributions, all uniform over `[lo, hi]` milliseconds (`[timing]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timing {
    /// Normal response delay.
    pub response_ms: [f64; 2],
    /// Gap between a response and the client's next request.
    pub gap_ms: [f64; 2],
    /// Delay of the first response-pending NRC (must stay below P2).
    pub first_pending_ms: [f64; 2],
    /// Gap after each response-pending NRC (must stay below P2*).
    pub pending_ms: [f64; 2],
    /// Number of 0x78 pending responses during the erase routine.
    pub erase_pendings: [u32; 2],
    /// Number of 0x78 pending responses during the check-memory routine.
    pub check_pendings: [u32; 2],
    /// Number of 0x78 pending responses before the programming session is granted.
    pub programming_pendings: [u32; 2],
    /// ProcessSwPackage duration on the GW.
    pub process_ms: [f64; 2],
    /// Activate duration on the GW.
    pub activate_ms: [f64; 2],
    /// A TesterPresent every N TransferData blocks (0: none).
    pub tester_present_blocks: u32,
    /// GW recorder clock minus TBOX recorder clock.
    pub clock_offset_ms: [f64; 2],
    /// How long a recorder keeps recording after its last record.
    pub stop_after_ms: f64,
    /// P2 the ECUs are held to (the rule set's P2; keep in step with units.toml).
    pub p2_ms: f64,
    /// P2* the ECUs are held to.
    pub p2_star_ms: f64,
    /// Call timeout of TransferStart/Data/Exit.
    pub call_timeout_ms: f64,
    /// Timeout of ProcessSwPackage and Activate.
    pub process_timeout_ms: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            response_ms: [3.0, 15.0],
            gap_ms: [1.0, 3.0],
            first_pending_ms: [5.0, 40.0],
            pending_ms: [300.0, 4000.0],
            erase_pendings: [1, 4],
            check_pendings: [0, 2],
            programming_pendings: [0, 1],
            process_ms: [300.0, 800.0],
            activate_ms: [150.0, 300.0],
            tester_present_blocks: 16,
            clock_offset_ms: [-3000.0, 3000.0],
            stop_after_ms: 200.0,
            p2_ms: 50.0,
            p2_star_ms: 5000.0,
            call_timeout_ms: 1000.0,
            process_timeout_ms: 30000.0,
        }
    }
}

/// Traffic unrelated to the update (`[background]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Background {
    /// Probability of an unrelated ReadDataByIdentifier / ReadDTCInformation between two steps.
    pub reads: f64,
    /// Send the periodic TesterPresent functionally (true) or physically (false).
    pub functional_tester_present: bool,
    /// While waiting more than 2 s for a response (erase, check routine), the GW sends a
    /// functional TesterPresent halfway through the wait.
    pub tester_present_while_waiting: bool,
}

impl Default for Background {
    fn default() -> Self {
        Background {
            reads: 0.1,
            functional_tester_present: false,
            tester_present_while_waiting: false,
        }
    }
}

/// One `[[fault]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultCfg {
    /// A fault kind name or `any`.
    pub kind: String,
    /// Unit name, `deploy`, `flash` or `*` (default: any unit).
    #[serde(default)]
    pub unit: Option<String>,
    /// Per-vehicle probability (default 1).
    #[serde(default)]
    pub prob: Option<f64>,
}

/// A whole scenario.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Campaign id written into every manifest.
    #[serde(default = "d_campaign")]
    pub campaign: String,
    /// Number of vehicles.
    #[serde(default = "d_vehicles")]
    pub vehicles: u32,
    /// Master seed; vehicle `i` uses stream `i` of it.
    #[serde(default = "d_seed")]
    pub seed: u64,
    /// Probability that a unit's result line is left out, so the analyser must infer it.
    #[serde(default)]
    pub omit_results: f64,
    /// Coverage plan: vehicle `i` gets fault kind `i mod K` on unit `(i / K) mod units`, ignoring
    /// `[[fault]]`; K is 13, or 15 with captures (the transport faults too, see
    /// [`Scenario::cover_kinds`]); `vehicles = K × units` covers every kind on every unit.
    #[serde(default)]
    pub cover: bool,
    /// Also write captures of the traffic: `<vehicle>.tbox.pcap` (SOME/IP), `<vehicle>.gw.pcap`
    /// (DoIP) and `<vehicle>.gw.candump.log` (CAN ISO-TP).
    #[serde(default)]
    pub captures: bool,
    /// Timing distributions.
    #[serde(default)]
    pub timing: Timing,
    /// Background traffic.
    #[serde(default)]
    pub background: Background,
    /// TransferData block size the GW grants in TransferStart (deploy).
    #[serde(default = "d_block")]
    pub deploy_block_size: u32,
    /// The ECUs every vehicle has, flashed in this order.
    #[serde(default = "default_ecus", rename = "ecu")]
    pub ecus: Vec<EcuCfg>,
    /// Fault injection rules.
    #[serde(default, rename = "fault")]
    pub faults: Vec<FaultCfg>,
}

fn d_doip() -> Transport {
    Transport::Doip
}
fn d_campaign() -> String {
    "C-SIM".into()
}
fn d_vehicles() -> u32 {
    20
}
fn d_seed() -> u64 {
    1
}
fn d_block() -> u32 {
    65536
}

fn ecu(name: &str, transport: Transport, size_kib: [u32; 2]) -> EcuCfg {
    EcuCfg {
        name: name.into(),
        transport,
        address: None,
        can_ids: None,
        package: None,
        version: None,
        from_version: None,
        size_kib: Some(size_kib),
        max_block: None,
    }
}

/// The built-in topology: three DoIP ECUs (ADAS large enough to wrap the block counter) and one
/// CAN ECU.
pub fn default_ecus() -> Vec<EcuCfg> {
    vec![
        ecu("BCM", Transport::Doip, [64, 256]),
        ecu("VCU", Transport::Doip, [128, 384]),
        ecu("ADAS", Transport::Doip, [1040, 1200]),
        ecu("EPS", Transport::Can, [32, 96]),
    ]
}

impl Default for Scenario {
    fn default() -> Self {
        toml::from_str("").expect("the empty scenario is valid")
    }
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            at: None,
            message: format!("cannot read: {e}"),
        })?;
        Scenario::parse(&file, &text)
    }

    /// Parses and validates scenario text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let sc: Scenario = toml::from_str(text).map_err(|e| ScenarioError {
            file: file.into(),
            at: e.span().map(|s| line_col(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        sc.validate().map_err(|(needle, message)| ScenarioError {
            file: file.into(),
            at: needle
                .and_then(|n| text.find(&n))
                .map(|o| line_col(text, o)),
            message,
        })?;
        Ok(sc)
    }

    /// A default scenario with `n` generated ECUs (every third one on CAN), for campaign runs.
    pub fn with_ecus(mut self, n: usize) -> Scenario {
        self.ecus = (0..n)
            .map(|i| {
                let t = if i % 3 == 2 {
                    Transport::Can
                } else {
                    Transport::Doip
                };
                ecu(&format!("ECU{:02}", i + 1), t, [64, 256])
            })
            .collect();
        self
    }

    /// The fault specs of the `[[fault]]` entries.
    pub fn fault_specs(&self) -> Result<Vec<FaultSpec>, String> {
        self.faults
            .iter()
            .map(|f| {
                let mut s = f.kind.clone();
                if let Some(u) = &f.unit {
                    s = format!("{s}@{u}");
                }
                if let Some(p) = f.prob {
                    s = format!("{s}:{p}");
                }
                FaultSpec::parse(&s)
            })
            .collect()
    }

    /// Every unit of a vehicle: packages (deploy) then ECUs (flash).
    pub fn units(&self) -> Vec<(Stage, String)> {
        let rs: Vec<_> = (0..self.ecus.len())
            .map(|i| crate::vehicle::resolve_ecu(self, i))
            .collect();
        rs.iter()
            .map(|r| (Stage::Deploy, r.package.clone()))
            .chain(rs.iter().map(|r| (Stage::Flash, r.name.clone())))
            .collect()
    }

    /// The fault kinds the coverage plan cycles through: the 13 of [`FaultKind::ALL`], and with
    /// captures also the two transport faults (only the captures show them).
    pub fn cover_kinds(&self) -> Vec<FaultKind> {
        let mut k = FaultKind::ALL.to_vec();
        if self.captures {
            k.extend(FaultKind::TRANSPORT);
        }
        k
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(offset, |p| offset - p - 1) + 1;
    (line, col)
}

mod validate;
