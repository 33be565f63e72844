//! The ground truth written next to every simulated bundle: for each unit what really happened —
//! its result and, for a failure, the cause, parameter type, blamed side, location and the first
//! offending exchange — so the evaluator can score the analyser without trusting it.

use otadiag_model::Stage;
use serde::{Deserialize, Serialize};

/// What really happened to one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitTruth {
    /// `deploy` or `flash`.
    pub stage: Stage,
    /// Package id (deploy) or ECU name (flash).
    pub unit: String,
    /// `someip` (deploy), `doip` or `can` (flash).
    pub transport: String,
    /// `success`, `failure`, or `not_run` (flash units after a failed deploy stage).
    pub result: String,
    /// Whether the bundle carries the unit's result line (else the analyser must infer it).
    pub result_line: bool,
    /// The injected fault kind, if any (also set for `retry_recovered`, which does not fail).
    pub fault: Option<String>,
    /// The cause the analyser should name; `null` unless the unit failed.
    pub cause: Option<String>,
    /// The parameter type behind the cause.
    pub parameter: Option<String>,
    /// `client` or `server`.
    pub side: Option<String>,
    /// Who that side is: `TBOX`/`GW` (deploy) or `GW`/`ECU` (flash).
    pub role: Option<String>,
    /// The ECU's address, hex as in reports (`0x1A01`); `null` for deploy units.
    pub address: Option<String>,
    /// Problem deployment packet, where one applies.
    pub packet: Option<i64>,
    /// Problem TransferData block (block sequence counter value), where one applies.
    pub block: Option<i64>,
    /// Position (time order, among the unit's records) of the first offending exchange's request;
    /// `null` when the fault is a request that was never sent.
    pub record: Option<usize>,
    /// Its timestamp, ns on the recorder's clock.
    pub ts: Option<i64>,
    /// What was injected, in words.
    pub detail: Option<String>,
}

/// The truth file of one vehicle (`<vehicle>.truth.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truth {
    /// Always `otadiag-truth`.
    pub format: String,
    /// Truth format version, 1.
    pub version: u32,
    /// Vehicle id (the file stem).
    pub vehicle: String,
    /// VIN written into the bundle's manifest.
    pub vin: String,
    /// Campaign seed the vehicle was drawn from.
    pub seed: u64,
    /// GW recorder clock minus TBOX recorder clock, ns.
    pub clock_offset_ns: i64,
    /// Every unit: deploy packages, then ECUs, in task-table order.
    pub units: Vec<UnitTruth>,
}

impl Truth {
    /// The units that really failed.
    pub fn failed(&self) -> impl Iterator<Item = &UnitTruth> {
        self.units.iter().filter(|u| u.result == "failure")
    }
}

/// Formats an address as reports do: `0x` and upper-case hex, two digits up to 0xFF, else four.
pub fn hex(v: u32) -> String {
    if v <= 0xFF {
        format!("0x{v:02X}")
    } else {
        format!("0x{v:04X}")
    }
}
