//! The rule set compiled into the binary (from `rules/` at build time), used when no `--rules`
//! directory is given.

use otadiag_rules::{Diagnostics, RuleSet, SourceFile};

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// The embedded rule files.
pub fn files() -> Vec<SourceFile> {
    FILES
        .iter()
        .map(|(p, t)| SourceFile {
            path: p.to_string(),
            text: t.to_string(),
        })
        .collect()
}

/// Loads the embedded rule set.
pub fn load() -> Result<RuleSet, Diagnostics> {
    otadiag_rules::load_sources("embedded", files())
}

/// Loads `--rules DIR` if given, else the embedded set.
pub fn load_or(dir: Option<&std::path::Path>) -> Result<RuleSet, Diagnostics> {
    match dir {
        Some(d) => otadiag_rules::load_dir(d),
        None => load(),
    }
}
