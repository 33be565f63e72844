//! The otadiag command line as a library: the embedded rule set, the analysis, capture, record,
//! simulate/eval/demo commands and the rule test-case runner, shared by the binary and the
//! workspace tests so both behave alike.
#![forbid(unsafe_code)]

pub mod analyze;
pub mod capture;
pub mod demo;
pub mod embedded;
pub mod eval;
pub mod record;
pub mod ruletest;
pub mod simulate;
