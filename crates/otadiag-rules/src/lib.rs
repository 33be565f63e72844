//! The otadiag rule language: a rule directory is parsed (pest) into an AST with spans, checked
//! (names, types, units, cause map) into an IR with dispatch tables, or rejected with every
//! problem of the load rendered by miette.
//!
//! Stages (see docs/ARCHITECTURE.md): text → [`syntax::ast`] → [`check`] → [`ir::RuleSet`] with
//! its [`ir::Plan`]; the engine crate evaluates the IR with [`value`] semantics.
#![forbid(unsafe_code)]

pub mod check;
pub mod diag;
pub mod ir;
pub mod load;
pub mod syntax;
pub mod units;
pub mod value;

pub use diag::{Diag, Diagnostics};
pub use ir::RuleSet;
pub use load::{load_dir, load_sources, SourceFile};
