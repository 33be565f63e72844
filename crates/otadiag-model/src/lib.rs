//! Shared data types: the upload bundle a vehicle sends and the report the analyser produces.
//!
//! Every other crate speaks these types, so they live apart from the rule language and the engine.
//! The bundle is documented field by field in `docs/bundle-format.md`, the report in
//! `docs/report-format.md`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bundle;
pub mod read;
pub mod report;
pub mod units;
pub mod write;

pub use bundle::{Bundle, Dir, Manifest, Record, Recorder, Stage, Task, UnitOutcome, UnitResult};
pub use read::{read_bundle, read_bundle_bytes, BundleError};
pub use report::{
    BundleReport, Evidence, Finding, Location, MsgRef, Report, RulesetInfo, SourceRef, UnitReport,
};
pub use write::write_bundle;
