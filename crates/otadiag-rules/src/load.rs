//! Loading a rule directory as one atomic unit: every `*.rules` file (sorted by path, `tests/`
//! folders skipped) plus `units.toml` overrides, one revision hash, all problems reported at once.
//!
//! `otadiag rules check`, `analyze` and the service's hot reload all call [`load_dir`] /
//! [`load_sources`], so a rule set that passes one passes all of them.

use crate::diag::{Diag, Diagnostics};
use crate::ir::RuleSet;
use crate::syntax::parse_file;
use sha2::{Digest, Sha256};
use std::path::Path;

/// One file of a rule set: its path relative to the set's root, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Relative path, `/`-separated.
    pub path: String,
    /// Contents.
    pub text: String,
}

/// Reads every `*.rules` and `units.toml` under `dir` (skipping `tests` folders) and loads them.
pub fn load_dir(dir: &Path) -> Result<RuleSet, Diagnostics> {
    let mut files = Vec::new();
    if let Err(d) = walk(dir, dir, &mut files) {
        return Err(Diagnostics {
            diags: vec![d],
            sources: vec![],
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if !files.iter().any(|f| f.path.ends_with(".rules")) {
        let d = Diag::NoRuleFiles {
            path: dir.display().to_string(),
        };
        return Err(Diagnostics {
            diags: vec![d],
            sources: vec![],
        });
    }
    load_sources(&dir.display().to_string(), files)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<SourceFile>) -> Result<(), Diag> {
    let io = |p: &Path, e: std::io::Error| Diag::Io {
        path: p.display().to_string(),
        message: e.to_string(),
    };
    let entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "tests" && !name.starts_with('.') {
                walk(root, &path, out)?;
            }
        } else if name.ends_with(".rules") || name == "units.toml" {
            let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push(SourceFile { path: rel, text });
        }
    }
    Ok(())
}

/// Loads a rule set from in-memory files (`*.rules` and `units.toml`), in the given order.
pub fn load_sources(label: &str, files: Vec<SourceFile>) -> Result<RuleSet, Diagnostics> {
    let mut hasher = Sha256::new();
    for f in &files {
        hasher.update(f.path.as_bytes());
        hasher.update([0]);
        hasher.update(f.text.as_bytes());
        hasher.update([0]);
    }
    let revision = format!("sha256:{}", hex::encode(hasher.finalize()));
    let (rule_files, unit_files): (Vec<SourceFile>, Vec<SourceFile>) =
        files.into_iter().partition(|f| f.path.ends_with(".rules"));
    let sources: Vec<(String, String)> = rule_files
        .iter()
        .map(|f| (f.path.clone(), f.text.clone()))
        .collect();
    let mut diags = Vec::new();
    let mut asts = Vec::new();
    for (i, f) in rule_files.iter().enumerate() {
        match parse_file(i as u32, &f.text) {
            Ok(ast) => asts.push(ast),
            Err(d) => diags.push(d),
        }
    }
    if !diags.is_empty() {
        // Shape errors first; checking half-parsed files would only add noise.
        return Err(Diagnostics { diags, sources });
    }
    let mut set = match crate::check::check(&asts, &sources, label, &revision) {
        Ok(set) => set,
        Err(diags) => return Err(Diagnostics { diags, sources }),
    };
    for u in &unit_files {
        if let Err(mut ds) = crate::units::apply(&mut set, &u.path, &u.text) {
            diags.append(&mut ds);
        }
    }
    if diags.is_empty() {
        Ok(set)
    } else {
        Err(Diagnostics { diags, sources })
    }
}
