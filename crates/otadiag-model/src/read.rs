//! Reading upload bundles (JSON Lines, optionally gzip- or zstd-compressed) with errors that name
//! the file, the line and the field, because a truncated upload must never pass as a short one.

use crate::bundle::{Bundle, Dir, Manifest, Stage, UnitResult};
use serde::Deserialize;
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// The only bundle format version this build reads.
pub const FORMAT_VERSION: u32 = 1;

/// A bundle that could not be read: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {}{message}", field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
pub struct BundleError {
    /// File (or label) the bundle came from.
    pub path: String,
    /// 1-based line number (0 when the problem is the file as a whole).
    pub line: usize,
    /// The offending field, when one can be named.
    pub field: Option<String>,
    /// What was wrong and what was expected.
    pub message: String,
}

/// Reads a bundle from a file, decompressing gzip or zstd by magic number.
pub fn read_bundle(path: &Path) -> Result<Bundle, BundleError> {
    let label = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| err(&label, 0, None, format!("cannot read: {e}")))?;
    read_bundle_bytes(&label, &bytes)
}

/// Reads a bundle from bytes (plain, gzip or zstd).
pub fn read_bundle_bytes(label: &str, bytes: &[u8]) -> Result<Bundle, BundleError> {
    let text = decompress(label, bytes)?;
    let text = std::str::from_utf8(&text).map_err(|e| {
        err(
            label,
            line_of(&text, e.valid_up_to()),
            None,
            "not UTF-8 text".into(),
        )
    })?;
    parse_lines(label, text)
}

fn decompress(label: &str, bytes: &[u8]) -> Result<Vec<u8>, BundleError> {
    let mut out = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| {
                err(
                    label,
                    0,
                    None,
                    format!("gzip stream broken after {} bytes: {e}", out.len()),
                )
            })?;
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let mut dec = ruzstd::decoding::StreamingDecoder::new(bytes)
            .map_err(|e| err(label, 0, None, format!("zstd header invalid: {e}")))?;
        dec.read_to_end(&mut out).map_err(|e| {
            err(
                label,
                0,
                None,
                format!("zstd stream broken after {} bytes: {e}", out.len()),
            )
        })?;
    } else {
        return Ok(bytes.to_vec());
    }
    Ok(out)
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1
}

fn err(path: &str, line: usize, field: Option<&str>, message: String) -> BundleError {
    BundleError {
        path: path.to_string(),
        line,
        field: field.map(str::to_string),
        message,
    }
}

#[derive(Deserialize)]
struct RawRecord<'a> {
    stage: Stage,
    unit: &'a str,
    #[serde(default)]
    rec: Option<&'a str>,
    transport: &'a str,
    dir: &'a str,
    ts: i64,
    src: Value,
    dst: Value,
    hdr: &'a str,
    len: u32,
}

fn parse_lines(label: &str, text: &str) -> Result<Bundle, BundleError> {
    let mut bundle = Bundle::new(label, Manifest::default());
    let mut seen_manifest = false;
    let mut end: Option<(usize, u64)> = None;
    let mut hexbuf = Vec::with_capacity(64);
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some((end_line, _)) = end {
            return Err(err(
                label,
                n,
                None,
                format!("content after the end line (line {end_line})"),
            ));
        }
        let kind = line_type(label, n, line)?;
        match kind.as_str() {
            "manifest" => {
                if seen_manifest {
                    return Err(err(label, n, None, "second manifest line".into()));
                }
                bundle.manifest = parse_manifest(label, n, line)?;
                seen_manifest = true;
            }
            _ if !seen_manifest => {
                return Err(err(
                    label,
                    n,
                    Some("type"),
                    format!("expected the manifest first, found `{kind}`"),
                ))
            }
            "result" => {
                let r: UnitResult =
                    serde_json::from_str(line).map_err(|e| json_err(label, n, e))?;
                bundle.results.push(r);
            }
            "record" => parse_record(label, n, line, &mut bundle, &mut hexbuf)?,
            "end" => {
                let v: Value = serde_json::from_str(line).map_err(|e| json_err(label, n, e))?;
                let count = v.get("records").and_then(Value::as_u64).ok_or_else(|| {
                    err(
                        label,
                        n,
                        Some("records"),
                        "expected the record count (integer)".into(),
                    )
                })?;
                if let Some(stop) = v.get("stop") {
                    let map = stop.as_object().ok_or_else(|| {
                        err(
                            label,
                            n,
                            Some("stop"),
                            "expected an object: recorder id → stop timestamp (ns)".into(),
                        )
                    })?;
                    for (rec, ts) in map {
                        let ts = ts.as_i64().ok_or_else(|| {
                            err(
                                label,
                                n,
                                Some("stop"),
                                format!("stop time of `{rec}` is not an integer (ns)"),
                            )
                        })?;
                        bundle.stop.insert(rec.clone(), ts);
                    }
                }
                end = Some((n, count));
            }
            other => {
                return Err(err(
                    label,
                    n,
                    Some("type"),
                    format!(
                        "unknown line type `{other}`; expected manifest, result, record or end"
                    ),
                ))
            }
        }
    }
    if !seen_manifest {
        return Err(err(label, 0, None, "empty bundle: no manifest line".into()));
    }
    match end {
        None => Err(err(
            label,
            text.lines().count(),
            None,
            format!(
                "truncated: the bundle has no end line (read {} records); expected {{\"type\":\"end\",\"records\":N}}",
                bundle.records.len()
            ),
        )),
        Some((n, count)) if count != bundle.records.len() as u64 => Err(err(
            label,
            n,
            Some("records"),
            format!("end line announces {count} records but the bundle holds {}", bundle.records.len()),
        )),
        Some(_) => Ok(bundle),
    }
}

fn line_type(label: &str, n: usize, line: &str) -> Result<String, BundleError> {
    #[derive(Deserialize)]
    struct Head<'a> {
        #[serde(rename = "type")]
        kind: Option<&'a str>,
    }
    let head: Head = serde_json::from_str(line).map_err(|e| json_err(label, n, e))?;
    head.kind.map(str::to_string).ok_or_else(|| {
        err(
            label,
            n,
            Some("type"),
            "missing; expected manifest, result, record or end".into(),
        )
    })
}

fn parse_manifest(label: &str, n: usize, line: &str) -> Result<Manifest, BundleError> {
    let mut v: Value = serde_json::from_str(line).map_err(|e| json_err(label, n, e))?;
    if let Some(tasks) = v.get_mut("tasks").and_then(Value::as_array_mut) {
        for t in tasks {
            if let Some(a) = t.get_mut("address") {
                let parsed =
                    parse_address(a).map_err(|m| err(label, n, Some("tasks.address"), m))?;
                *a = Value::from(parsed);
            }
        }
    }
    let m: Manifest = serde_json::from_value(v).map_err(|e| err(label, n, None, e.to_string()))?;
    if m.version != FORMAT_VERSION {
        return Err(err(
            label,
            n,
            Some("version"),
            format!("bundle format version {} is not supported; this build reads version {FORMAT_VERSION}", m.version),
        ));
    }
    Ok(m)
}

fn parse_record(
    label: &str,
    n: usize,
    line: &str,
    b: &mut Bundle,
    hexbuf: &mut Vec<u8>,
) -> Result<(), BundleError> {
    let r: RawRecord = serde_json::from_str(line).map_err(|e| json_err(label, n, e))?;
    let dir = match r.dir {
        "req" | "request" => Dir::Request,
        "rsp" | "response" => Dir::Response,
        other => {
            return Err(err(
                label,
                n,
                Some("dir"),
                format!("`{other}`; expected `req` or `rsp`"),
            ))
        }
    };
    let src = parse_address(&r.src).map_err(|m| err(label, n, Some("src"), m))?;
    let dst = parse_address(&r.dst).map_err(|m| err(label, n, Some("dst"), m))?;
    hexbuf.clear();
    hexbuf.resize(r.hdr.len() / 2, 0);
    if !r.hdr.len().is_multiple_of(2) || hex::decode_to_slice(r.hdr, hexbuf).is_err() {
        return Err(err(
            label,
            n,
            Some("hdr"),
            format!("`{}` is not an even-length hex string", r.hdr),
        ));
    }
    if hexbuf.len() > r.len as usize {
        return Err(err(
            label,
            n,
            Some("len"),
            format!(
                "{} is shorter than the {} header bytes kept",
                r.len,
                hexbuf.len()
            ),
        ));
    }
    let rec = r.rec.unwrap_or("");
    b.push_record(
        r.stage,
        r.unit,
        rec,
        r.transport,
        dir,
        r.ts,
        src,
        dst,
        hexbuf,
        r.len,
    );
    b.records.last_mut().expect("just pushed").line = n as u32;
    Ok(())
}

/// Parses an address: a JSON number, a `0x` hex string, a decimal string or a dotted IPv4 address.
pub fn parse_address(v: &Value) -> Result<u32, String> {
    match v {
        Value::Number(num) => num
            .as_u64()
            .and_then(|x| u32::try_from(x).ok())
            .ok_or_else(|| format!("{num} is not a 32-bit unsigned address")),
        Value::String(s) => parse_address_str(s),
        other => Err(format!(
            "{other} is not an address; expected a number, \"0x1A01\" or \"10.0.0.2\""
        )),
    }
}

/// String form of [`parse_address`].
pub fn parse_address_str(s: &str) -> Result<u32, String> {
    let bad = || format!("`{s}` is not an address; expected a number, \"0x1A01\" or \"10.0.0.2\"");
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u32::from_str_radix(h, 16).map_err(|_| bad());
    }
    if s.contains('.') {
        let ip: std::net::Ipv4Addr = s.parse().map_err(|_| bad())?;
        return Ok(u32::from(ip));
    }
    s.parse().map_err(|_| bad())
}

fn json_err(label: &str, n: usize, e: serde_json::Error) -> BundleError {
    let msg = e.to_string();
    // serde_json appends " at line 1 column N"; keep the column, our line is the file line.
    let msg = match msg.rfind(" at line ") {
        Some(i) => format!("{} (column {})", &msg[..i], e.column()),
        None => msg,
    };
    let field = msg
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
        .map(str::to_string);
    let message = if e.is_eof() {
        format!("truncated or unterminated JSON: {msg}")
    } else {
        msg
    };
    BundleError {
        path: label.to_string(),
        line: n,
        field,
        message,
    }
}
