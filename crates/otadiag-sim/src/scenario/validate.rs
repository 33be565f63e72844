//! The checks on a scenario that serde cannot make: ranges, uniqueness of names and addresses,
//! and healthy timing that stays inside the protocol limits the rules enforce.

use super::{Scenario, Transport};
use crate::fault::Target;

impl Scenario {
    /// Checks what serde cannot: ranges, uniqueness, addresses, timing inside the protocol limits.
    /// The error carries a text to look for in the file (to find its line) and the message.
    pub fn validate(&self) -> Result<(), (Option<String>, String)> {
        let t = &self.timing;
        let err = |needle: &str, m: String| Err((Some(needle.to_string()), m));
        if self.vehicles == 0 {
            return err("vehicles", "vehicles must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.omit_results) {
            return err("omit_results", "omit_results must be in 0..=1".into());
        }
        if self.ecus.is_empty() {
            return Err((None, "the scenario has no [[ecu]]".into()));
        }
        if self.deploy_block_size < 64 {
            return err(
                "deploy_block_size",
                "deploy_block_size must be at least 64".into(),
            );
        }
        for (name, r) in [
            ("response_ms", t.response_ms),
            ("gap_ms", t.gap_ms),
            ("first_pending_ms", t.first_pending_ms),
            ("pending_ms", t.pending_ms),
            ("process_ms", t.process_ms),
            ("activate_ms", t.activate_ms),
            ("clock_offset_ms", t.clock_offset_ms),
        ] {
            if r[0].is_nan()
                || r[1].is_nan()
                || r[0] > r[1]
                || (name != "clock_offset_ms" && r[0] < 0.0)
            {
                return err(
                    name,
                    format!("timing.{name} must be [lo, hi] with 0 <= lo <= hi"),
                );
            }
        }
        for (name, hi, limit, lname) in [
            ("response_ms", t.response_ms[1], t.p2_ms, "p2_ms"),
            ("first_pending_ms", t.first_pending_ms[1], t.p2_ms, "p2_ms"),
            ("pending_ms", t.pending_ms[1], t.p2_star_ms, "p2_star_ms"),
            (
                "process_ms",
                t.process_ms[1],
                t.process_timeout_ms,
                "process_timeout_ms",
            ),
            (
                "activate_ms",
                t.activate_ms[1],
                t.process_timeout_ms,
                "process_timeout_ms",
            ),
            (
                "response_ms",
                t.response_ms[1],
                t.call_timeout_ms,
                "call_timeout_ms",
            ),
        ] {
            if hi >= limit {
                return err(
                    name,
                    format!("timing.{name} reaches {hi} ms, not below {lname} ({limit} ms): healthy traffic would time out"),
                );
            }
        }
        for (name, r) in [
            ("erase_pendings", t.erase_pendings),
            ("check_pendings", t.check_pendings),
            ("programming_pendings", t.programming_pendings),
        ] {
            if r[0] > r[1] || r[1] > 50 {
                return err(
                    name,
                    format!("timing.{name} must be [lo, hi] with lo <= hi <= 50"),
                );
            }
        }
        let mut seen: Vec<(&str, String)> = Vec::new();
        for (i, e) in self.ecus.iter().enumerate() {
            let r = crate::vehicle::resolve_ecu(self, i);
            let quoted = format!("\"{}\"", e.name);
            if e.name.is_empty() {
                return err("name", "an ECU name is empty".into());
            }
            for (what, v) in [("ECU name", e.name.clone()), ("package", r.package.clone())] {
                if seen.iter().any(|(w, s)| *w == what && *s == v) {
                    return err(&format!("\"{v}\""), format!("{what} `{v}` is used twice"));
                }
                seen.push((what, v));
            }
            let addr = format!("address 0x{:X}", r.address);
            if seen.iter().any(|(w, s)| *w == "address" && *s == addr) {
                return err(
                    &quoted,
                    format!("ECU `{}`: {addr} is used by another ECU", e.name),
                );
            }
            seen.push(("address", addr));
            if r.size_kib[0] == 0 || r.size_kib[0] > r.size_kib[1] || r.size_kib[1] > 1 << 20 {
                return err(
                    &quoted,
                    format!(
                        "ECU `{}`: size_kib must be [lo, hi] with 1 <= lo <= hi <= 1048576",
                        e.name
                    ),
                );
            }
            let max = if e.transport == Transport::Can {
                4095
            } else {
                0xFFFF
            };
            if !(16..=max).contains(&r.max_block) {
                return err(
                    &quoted,
                    format!(
                        "ECU `{}`: max_block must be in 16..={max} for {}",
                        e.name,
                        e.transport.as_str()
                    ),
                );
            }
        }
        let specs = self.fault_specs().map_err(|m| {
            let needle = self
                .faults
                .iter()
                .map(|f| f.kind.clone())
                .find(|k| m.contains(k.as_str()));
            (needle.map(|k| format!("\"{k}\"")), m)
        })?;
        for s in &specs {
            if let Target::Unit(u) = &s.target {
                let known = (0..self.ecus.len()).any(|i| {
                    let r = crate::vehicle::resolve_ecu(self, i);
                    r.name == *u || r.package == *u
                });
                if !known {
                    return err(
                        &format!("\"{u}\""),
                        format!("fault unit `{u}` is neither an ECU nor a package of the scenario"),
                    );
                }
            }
        }
        Ok(())
    }
}
