//! The units of a bundle (packages and ECUs), their records in time order, their protocol and
//! per-unit configuration, and their result — reported by the recorder or inferred (step S202).

use crate::eval::Env;
use otadiag_model::{Bundle, Stage, UnitOutcome};
use otadiag_rules::ir::{ConfigValue, Protocol, RuleSet};

/// One unit, ready to analyse.
pub struct UnitView<'a> {
    /// The bundle.
    pub bundle: &'a Bundle,
    /// The rule set.
    pub rules: &'a RuleSet,
    /// The unit's protocol.
    pub proto: &'a Protocol,
    /// Stage.
    pub stage: Stage,
    /// Package id or ECU name.
    pub name: String,
    /// ECU address, when known.
    pub address: Option<u32>,
    /// Indices of its records in the bundle, by time (file order breaks ties).
    pub recs: Vec<u32>,
    /// Per-unit configuration (defaults with `units.toml` overrides).
    pub config: Vec<&'a ConfigValue>,
    /// When the recording of its records stopped.
    pub stop: i64,
}

impl<'a> UnitView<'a> {
    /// A blank evaluation environment for this unit.
    pub fn env(&'a self) -> Env<'a, 'a> {
        Env {
            rules: self.rules,
            proto: self.proto,
            bundle: self.bundle,
            req: None,
            rsp: None,
            msg: None,
            xch: None,
            config: &self.config,
            address: self.address,
            vars: &[],
        }
    }
}

/// A unit's identity and result before analysis.
pub struct UnitInfo {
    /// Stage.
    pub stage: Stage,
    /// Name.
    pub name: String,
    /// Reported result, if a result line exists.
    pub reported: Option<UnitOutcome>,
    /// The recorder's reason for the reported result, if it gave one.
    pub detail: Option<String>,
    /// Records of the unit by time.
    pub recs: Vec<u32>,
}

/// Every unit of the bundle: task table first (deploy packages, then ECUs), then any other unit
/// named by a result or record line.
pub fn units(bundle: &Bundle) -> Vec<UnitInfo> {
    let mut out: Vec<UnitInfo> = Vec::new();
    let add = |out: &mut Vec<UnitInfo>, stage: Stage, name: &str| {
        if !name.is_empty() && !out.iter().any(|u| u.stage == stage && u.name == name) {
            out.push(UnitInfo {
                stage,
                name: name.to_string(),
                reported: None,
                detail: None,
                recs: vec![],
            });
        }
    };
    for t in &bundle.manifest.tasks {
        add(&mut out, Stage::Deploy, &t.package);
    }
    for t in &bundle.manifest.tasks {
        add(&mut out, Stage::Flash, &t.ecu);
    }
    for r in &bundle.results {
        add(&mut out, r.stage, &r.unit);
    }
    let mut index: Vec<Option<usize>> = vec![None; bundle.unit_names.len() * 2];
    for (i, r) in bundle.records.iter().enumerate() {
        let slot = r.unit as usize * 2 + (r.stage == Stage::Flash) as usize;
        let ui = match index[slot] {
            Some(u) => u,
            None => {
                let name = &bundle.unit_names[r.unit as usize];
                add(&mut out, r.stage, name);
                let u = out
                    .iter()
                    .position(|u| u.stage == r.stage && &u.name == name)
                    .expect("added");
                index[slot] = Some(u);
                u
            }
        };
        out[ui].recs.push(i as u32);
    }
    for r in &bundle.results {
        if let Some(u) = out
            .iter_mut()
            .find(|u| u.stage == r.stage && u.name == r.unit)
        {
            u.reported = Some(r.result);
            u.detail.clone_from(&r.detail);
        }
    }
    for u in &mut out {
        // Recorders write in time order, so this is nearly always already sorted.
        if !u.recs.is_sorted_by_key(|&i| bundle.records[i as usize].ts) {
            u.recs.sort_by_key(|&i| bundle.records[i as usize].ts);
        }
    }
    out
}

/// The protocol for a unit: by stage and the transport of its first record.
pub fn protocol_for<'a>(
    rules: &'a RuleSet,
    bundle: &Bundle,
    stage: Stage,
    recs: &[u32],
) -> Option<&'a Protocol> {
    let transport = recs
        .first()
        .map(|&i| bundle.transports[bundle.records[i as usize].transport as usize].as_str());
    rules
        .protocols
        .iter()
        .find(|p| p.stage == stage && transport.is_none_or(|t| p.transports.iter().any(|x| x == t)))
}

/// Builds the view of a unit (protocol already chosen); takes `info.recs` (left empty).
pub fn view<'a>(
    rules: &'a RuleSet,
    bundle: &'a Bundle,
    proto: &'a Protocol,
    info: &mut UnitInfo,
) -> UnitView<'a> {
    let task = bundle.task_of(info.stage, &info.name);
    let ov = rules
        .overrides
        .iter()
        .filter(|o| o.stage == info.stage)
        .find(|o| {
            o.name.as_deref() == Some(info.name.as_str())
                || (o.address.is_some() && o.address == task.and_then(|t| t.address))
        });
    let address = task.and_then(|t| t.address).or(ov.and_then(|o| o.address));
    let config = proto
        .config
        .iter()
        .map(|c| {
            ov.and_then(|o| o.values.iter().find(|v| v.0 == c.name))
                .map(|v| &v.1)
                .unwrap_or(&c.default)
        })
        .collect();
    let stop = stop_time(bundle, &info.recs);
    UnitView {
        bundle,
        rules,
        proto,
        stage: info.stage,
        name: info.name.clone(),
        address: if info.stage == Stage::Flash {
            address
        } else {
            None
        },
        recs: std::mem::take(&mut info.recs),
        config,
        stop,
    }
}

fn stop_time(bundle: &Bundle, recs: &[u32]) -> i64 {
    let Some(&last) = recs.last() else { return 0 };
    let rec = bundle.records[last as usize].rec;
    if let Some(&t) = bundle
        .recorder_ids
        .get(rec as usize)
        .and_then(|id| bundle.stop.get(id))
    {
        return t;
    }
    bundle
        .records
        .iter()
        .filter(|r| r.rec == rec)
        .map(|r| r.ts)
        .max()
        .unwrap_or(0)
}
