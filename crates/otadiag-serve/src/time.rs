//! Wall-clock time for the service: unix milliseconds in the store, RFC 3339 (UTC) on the wire,
//! and a small parser for the `from`/`to` query parameters (no date library needed for that).

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, unix ms.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Formats unix ms as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn rfc3339(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// Parses a time bound: unix ms (an integer), `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS[.fff]]Z`
/// (UTC only). Returns a message naming the accepted forms on failure.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let bad = || {
        format!("`{s}` is not a time; use unix milliseconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
    };
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let num = |t: &str| t.parse::<i64>().map_err(|_| bad());
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t.strip_suffix('Z').ok_or_else(bad)?)),
        None => (s, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let (y, m, d) = (num(y)?, num(m)?, num(d)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let mut ms = days_from_civil(y, m, d) * 86_400_000;
    if let Some(t) = time {
        let (hms, frac) = t.split_once('.').unwrap_or((t, ""));
        let f: Vec<&str> = hms.split(':').collect();
        if f.len() < 2 || f.len() > 3 {
            return Err(bad());
        }
        let h = num(f[0])?;
        let mi = num(f[1])?;
        let sec = f.get(2).map(|x| num(x)).transpose()?.unwrap_or(0);
        if h > 23 || mi > 59 || sec > 60 {
            return Err(bad());
        }
        let frac_ms = if frac.is_empty() {
            0
        } else {
            let digits: String = frac.chars().chain("000".chars()).take(3).collect();
            num(&digits)?
        };
        ms += h * 3_600_000 + mi * 60_000 + sec * 1000 + frac_ms;
    }
    Ok(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects() {
        assert_eq!(parse_time("1970-01-01").unwrap(), 0);
        assert_eq!(
            parse_time("2026-12-06T02:00:00Z").unwrap(),
            1_796_522_400_000
        );
        assert_eq!(rfc3339(1_796_522_400_123), "2026-12-06T02:00:00.123Z");
        assert_eq!(
            parse_time("2026-12-06T02:00:00.123Z").unwrap(),
            1_796_522_400_123
        );
        assert_eq!(parse_time("12345").unwrap(), 12345);
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2026-13-01").is_err());
        assert!(parse_time("2026-12-06T02:00:00+01:00").is_err());
    }
}
