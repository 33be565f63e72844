//! Durations and byte sizes as people write them (`50ms`, `5s`, `4 KiB`), shared by the rule
//! language, the per-ECU TOML overrides and the report so all three print the same way.

/// Parses `50ms`, `5s`, `250us`, `10ns`, `1.5s`, `2min` into nanoseconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))?;
    let (num, unit) = s.split_at(split);
    let scale: f64 = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "min" => 60e9,
        _ => return None,
    };
    let num: f64 = num.replace('_', "").parse().ok()?;
    Some((num * scale).round() as i64)
}

/// Formats nanoseconds with the largest unit that keeps it readable: `73 ms`, `5 s`, `1.250 s`.
pub fn format_duration(ns: i64) -> String {
    let a = ns.unsigned_abs();
    let sign = if ns < 0 { "-" } else { "" };
    let (v, unit) = if a >= 1_000_000_000 {
        (a as f64 / 1e9, "s")
    } else if a >= 1_000_000 {
        (a as f64 / 1e6, "ms")
    } else if a >= 1_000 {
        (a as f64 / 1e3, "us")
    } else {
        (a as f64, "ns")
    };
    if v.fract() == 0.0 {
        format!("{sign}{v} {unit}")
    } else {
        let t = format!("{v:.3}");
        format!("{sign}{} {unit}", t.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip_through_text() {
        assert_eq!(parse_duration("50ms"), Some(50_000_000));
        assert_eq!(parse_duration("5s"), Some(5_000_000_000));
        assert_eq!(parse_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_duration("250us"), Some(250_000));
        assert_eq!(parse_duration("50"), None);
        assert_eq!(parse_duration("50 parsecs"), None);
        assert_eq!(format_duration(73_000_000), "73 ms");
        assert_eq!(format_duration(5_000_000_000), "5 s");
        assert_eq!(format_duration(1_250_000_000), "1.25 s");
        assert_eq!(format_duration(-2_000), "-2 us");
    }
}
