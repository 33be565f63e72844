//! The live rule set: one immutable snapshot behind an `ArcSwap`, replaced whole only by a load
//! that passed the validator, plus the outcome of the last reload attempt for `/rules/status`.
//!
//! An analysis takes `RulesHandle::snapshot()` once and keeps that `Arc` to the end, so it finishes
//! under the revision it started with even if a reload swaps the set meanwhile.

use arc_swap::ArcSwap;
use otadiag_rules::{Diagnostics, RuleSet, SourceFile};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Where the rules come from.
#[derive(Debug, Clone)]
pub enum RuleSource {
    /// A rule directory, loaded with `otadiag_rules::load_dir` and watched for changes.
    Dir(PathBuf),
    /// In-memory files (the CLI passes its embedded set), loaded with `load_sources`.
    Embedded(Vec<SourceFile>),
}

impl RuleSource {
    /// Loads the whole source as one snapshot (all-or-nothing).
    pub fn load(&self) -> Result<RuleSet, Diagnostics> {
        match self {
            RuleSource::Dir(d) => otadiag_rules::load_dir(d),
            RuleSource::Embedded(files) => otadiag_rules::load_sources("embedded", files.clone()),
        }
    }

    /// The directory to watch, if any.
    pub fn dir(&self) -> Option<&PathBuf> {
        match self {
            RuleSource::Dir(d) => Some(d),
            RuleSource::Embedded(_) => None,
        }
    }
}

/// A loaded rule set with when it went live.
#[derive(Debug)]
pub struct ActiveRules {
    /// The checked rule set (its `revision` is the content hash).
    pub rules: RuleSet,
    /// Unix ms when it became active.
    pub loaded_at: i64,
}

/// Outcome of the last reload attempt.
#[derive(Debug, Clone, Serialize)]
pub struct ReloadStatus {
    /// `ok` or `failed`.
    pub status: &'static str,
    /// What asked for the reload: `startup`, `watch`, `sighup`, `api`.
    pub trigger: String,
    /// Unix ms of the attempt.
    pub at: i64,
    /// RFC 3339 of `at`.
    pub at_text: String,
    /// Revision that was loaded (ok) or is still active (failed).
    pub active_revision: String,
    /// Whether the attempt changed the active revision.
    pub changed: bool,
    /// Number of diagnostics (0 when ok).
    pub errors: usize,
    /// The miette-rendered diagnostics, as `otadiag rules check` prints them (`""` when ok).
    pub diagnostics: String,
}

/// Shared state of the rule set: the active snapshot and the last reload status.
pub struct RulesHandle {
    source: RuleSource,
    active: ArcSwap<ActiveRules>,
    status: Mutex<ReloadStatus>,
}

impl RulesHandle {
    /// Loads the source for the first time; fails with the rendered diagnostics.
    pub fn new(source: RuleSource) -> Result<RulesHandle, String> {
        let rules = source.load().map_err(|d| d.render())?;
        let now = crate::time::now_ms();
        let status = ReloadStatus {
            status: "ok",
            trigger: "startup".into(),
            at: now,
            at_text: crate::time::rfc3339(now),
            active_revision: rules.revision.clone(),
            changed: true,
            errors: 0,
            diagnostics: String::new(),
        };
        Ok(RulesHandle {
            source,
            active: ArcSwap::from_pointee(ActiveRules {
                rules,
                loaded_at: now,
            }),
            status: Mutex::new(status),
        })
    }

    /// The source the rules are loaded from.
    pub fn source(&self) -> &RuleSource {
        &self.source
    }

    /// The active snapshot; hold it for the whole of one analysis.
    pub fn snapshot(&self) -> Arc<ActiveRules> {
        self.active.load_full()
    }

    /// The last reload attempt.
    pub fn status(&self) -> ReloadStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Loads the source again (blocking) and swaps it in when it is valid; on any diagnostic the
    /// active set stays and the diagnostics are kept for `/rules/status`.
    pub fn reload(&self, trigger: &str) -> ReloadStatus {
        let result = self.source.load();
        let now = crate::time::now_ms();
        let old = self.snapshot();
        let status = match result {
            Ok(rules) => {
                let changed = rules.revision != old.rules.revision;
                let revision = rules.revision.clone();
                if changed {
                    self.active.store(Arc::new(ActiveRules {
                        rules,
                        loaded_at: now,
                    }));
                }
                ReloadStatus {
                    status: "ok",
                    trigger: trigger.into(),
                    at: now,
                    at_text: crate::time::rfc3339(now),
                    active_revision: revision,
                    changed,
                    errors: 0,
                    diagnostics: String::new(),
                }
            }
            Err(d) => ReloadStatus {
                status: "failed",
                trigger: trigger.into(),
                at: now,
                at_text: crate::time::rfc3339(now),
                active_revision: old.rules.revision.clone(),
                changed: false,
                errors: d.diags.len(),
                diagnostics: d.render(),
            },
        };
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) = status.clone();
        status
    }
}
