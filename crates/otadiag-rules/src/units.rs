//! Per-unit overrides (`units.toml`): ECU address → name, P2/P2*, max block length, allowed
//! testers, and the same for deployment packages. Values are type-checked against the protocol's
//! `config` declarations, so a typo such as `p2 = 80` (no unit) is a load error.
//!
//! ```toml
//! [ecu.0x1A01]
//! name = "BCM"
//! p2 = "80ms"
//! testers = [0x0E80, 0x0F00]
//!
//! [package.bcm-app]
//! call_timeout = "2s"
//! ```

use crate::diag::Diag;
use crate::ir::{ConfigValue, Const, IntSet, RuleSet, UnitOverride};
use otadiag_model::read::parse_address_str;
use otadiag_model::units::parse_duration;
use otadiag_model::Stage;

/// Parses one `units.toml` and appends its overrides to the rule set.
pub fn apply(set: &mut RuleSet, path: &str, text: &str) -> Result<(), Vec<Diag>> {
    let err = |line: usize, message: String| Diag::UnitsToml {
        path: format!("{path}:{line}"),
        message,
    };
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start].matches('\n').count() + 1)
            .unwrap_or(0);
        vec![err(line, e.message().to_string())]
    })?;
    let mut diags = Vec::new();
    for (kind, units) in &table {
        let stage = match kind.as_str() {
            "ecu" => Stage::Flash,
            "package" => Stage::Deploy,
            other => {
                diags.push(err(
                    line_of(text, other),
                    format!("unknown table `{other}`; expected `ecu` or `package`"),
                ));
                continue;
            }
        };
        let Some(units) = units.as_table() else {
            diags.push(err(
                line_of(text, kind),
                format!("`{kind}` must hold tables like [{kind}.NAME]"),
            ));
            continue;
        };
        for (key, entries) in units {
            let line = line_of(text, key);
            let Some(entries) = entries.as_table() else {
                diags.push(err(line, format!("[{kind}.{key}] must be a table")));
                continue;
            };
            let mut ov = UnitOverride {
                stage,
                address: parse_address_str(key).ok(),
                name: None,
                values: vec![],
            };
            if ov.address.is_none() {
                ov.name = Some(key.clone());
            }
            for (k, v) in entries {
                if k == "name" {
                    match v.as_str() {
                        Some(n) => ov.name = Some(n.to_string()),
                        None => {
                            diags.push(err(line, format!("[{kind}.{key}] name: expected a string")))
                        }
                    }
                    continue;
                }
                match config_value(set, stage, k, v) {
                    Ok(pair) => ov.values.push(pair),
                    Err(m) => diags.push(err(line, format!("[{kind}.{key}] {k}: {m}"))),
                }
            }
            set.overrides.push(ov);
        }
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(diags)
    }
}

fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| l.contains(key))
        .map(|i| i + 1)
        .unwrap_or(0)
}

fn config_value(
    set: &RuleSet,
    stage: Stage,
    key: &str,
    v: &toml::Value,
) -> Result<(String, ConfigValue), String> {
    let proto = set
        .protocols
        .iter()
        .find(|p| p.stage == stage && p.config.iter().any(|c| c.name == key))
        .ok_or_else(|| {
            let names: Vec<String> = set
                .protocols
                .iter()
                .filter(|p| p.stage == stage)
                .flat_map(|p| p.config.iter().map(|c| c.name.clone()))
                .collect();
            match crate::check::suggest(key, &names) {
                Some(s) => format!("no such setting; did you mean `{s}`?"),
                None => format!("no such setting; known: {}", names.join(", ")),
            }
        })?;
    let idx = proto
        .config
        .iter()
        .position(|c| c.name == key)
        .expect("found above");
    let value = match &proto.config[idx].default {
        ConfigValue::Set(_) => {
            let arr = v.as_array().ok_or("expected an array of addresses")?;
            let mut ranges = Vec::new();
            for x in arr {
                let n = match x {
                    toml::Value::Integer(i) => *i,
                    toml::Value::String(s) => parse_address_str(s)? as i64,
                    _ => return Err("expected integers or address strings".into()),
                };
                ranges.push((n, n));
            }
            ConfigValue::Set(IntSet::from_ranges(ranges))
        }
        ConfigValue::Scalar(Const::Dur(_)) => {
            let s = v
                .as_str()
                .ok_or("expected a duration string such as \"80ms\"")?;
            ConfigValue::Scalar(Const::Dur(
                parse_duration(s)
                    .ok_or_else(|| format!("`{s}` is not a duration such as \"80ms\""))?,
            ))
        }
        ConfigValue::Scalar(Const::Int(_)) => {
            ConfigValue::Scalar(Const::Int(v.as_integer().ok_or("expected an integer")?))
        }
        ConfigValue::Scalar(Const::Bool(_)) => {
            ConfigValue::Scalar(Const::Bool(v.as_bool().ok_or("expected true or false")?))
        }
        ConfigValue::Scalar(Const::Str(_)) => {
            ConfigValue::Scalar(Const::Str(v.as_str().ok_or("expected a string")?.into()))
        }
    };
    Ok((key.to_string(), value))
}
