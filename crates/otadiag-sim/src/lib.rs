//! A fault-injecting fleet simulator and the evaluator that scores otadiag against its ground truth.
//!
//! The simulator turns a scenario ([`scenario`]) into one upload bundle and one truth file per
//! vehicle ([`campaign`]): the TBOX → GW deployment ([`deploy`]) and the GW → ECU UDS reflash
//! ([`flash`]), with the faults of [`fault`] injected where the scenario asks. The evaluator
//! ([`eval`]) analyses every bundle of a directory with `otadiag_engine` and compares the verdicts
//! with the truth ([`truth`]), producing the scores of [`scores`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod campaign;
pub mod capture;
pub mod deploy;
pub mod eval;
pub mod fault;
pub mod flash;
pub mod recorder;
pub mod rng;
pub mod scenario;
pub mod scores;
pub mod truth;
pub mod vehicle;

pub use campaign::{simulate_to_dir, CampaignSummary};
pub use eval::{evaluate, evaluate_from, CanLog, EvalError, Source};
pub use fault::{FaultKind, FaultSpec, Target};
pub use scenario::{Scenario, ScenarioError};
pub use scores::{Scores, Thresholds};
pub use truth::{Truth, UnitTruth};
pub use vehicle::{simulate_vehicle, SimVehicle};
