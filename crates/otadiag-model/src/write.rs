//! Writing bundles in the v1 JSON Lines form, so recorders, the simulator and tests all produce
//! exactly what `read` accepts.

use crate::bundle::{Bundle, Dir};
use serde_json::json;
use std::io::{self, Write};

/// Writes `bundle` as JSON Lines: manifest, results, records, end line.
pub fn write_bundle(bundle: &Bundle, mut out: impl Write) -> io::Result<()> {
    let mut manifest = serde_json::to_value(&bundle.manifest).map_err(io::Error::other)?;
    if let Some(tasks) = manifest.get_mut("tasks").and_then(|t| t.as_array_mut()) {
        for t in tasks {
            if let Some(a) = t.get("address").and_then(|a| a.as_u64()) {
                t["address"] = json!(format!("0x{a:04X}"));
            }
        }
    }
    manifest["type"] = json!("manifest");
    writeln!(out, "{manifest}")?;
    for r in &bundle.results {
        let mut v = serde_json::to_value(r).map_err(io::Error::other)?;
        v["type"] = json!("result");
        writeln!(out, "{v}")?;
    }
    for r in &bundle.records {
        let dir = match r.dir {
            Dir::Request => "req",
            Dir::Response => "rsp",
        };
        writeln!(
            out,
            r#"{{"type":"record","stage":"{}","unit":{},"rec":{},"transport":{},"dir":"{dir}","ts":{},"src":"0x{:04X}","dst":"0x{:04X}","hdr":"{}","len":{}}}"#,
            r.stage.as_str(),
            json!(bundle.unit_names[r.unit as usize]),
            json!(bundle.recorder_ids[r.rec as usize]),
            json!(bundle.transports[r.transport as usize]),
            r.ts,
            r.src,
            r.dst,
            hex::encode_upper(bundle.header(r)),
            r.len
        )?;
    }
    let mut end = json!({"type": "end", "records": bundle.records.len()});
    if !bundle.stop.is_empty() {
        end["stop"] = json!(bundle.stop);
    }
    writeln!(out, "{end}")
}
