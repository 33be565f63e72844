//! Windows SYSTEMTIME (the BLF file header's start/stop times) ↔ nanoseconds since the epoch.
//!
//! BLF stores the recorder's wall-clock time without a zone; we read and write it as UTC.

/// Days from 1970-01-01 to the civil date (proleptic Gregorian; Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// SYSTEMTIME fields (year, month, day of week, day, hour, minute, second, milliseconds) →
/// nanoseconds since the epoch; `None` when unset (year 0) or out of range.
pub(super) fn to_ns(st: [u16; 8]) -> Option<i64> {
    let [year, month, _dow, day, hour, minute, second, ms] = st.map(i64::from);
    if !(1601..=2200).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 || ms > 999 {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some(secs * 1_000_000_000 + ms * 1_000_000)
}

/// Nanoseconds since the epoch → SYSTEMTIME fields (milliseconds truncated).
pub(super) fn from_ns(ns: i64) -> [u16; 8] {
    let ms_total = ns.div_euclid(1_000_000);
    let (days, ms_of_day) = (
        ms_total.div_euclid(86_400_000),
        ms_total.rem_euclid(86_400_000),
    );
    let (y, m, d) = civil_from_days(days);
    let dow = (days + 4).rem_euclid(7); // 1970-01-01 was a Thursday (4)
    let s = ms_of_day / 1000;
    [
        y,
        m,
        dow,
        d,
        s / 3600,
        s / 60 % 60,
        s % 60,
        ms_of_day % 1000,
    ]
    .map(|v| v.clamp(0, 65_535) as u16)
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let ns = 1_752_232_976_292_000_000; // 2025-07-11 11:22:56.292 UTC
        let st = super::from_ns(ns);
        assert_eq!(st, [2025, 7, 5, 11, 11, 22, 56, 292]);
        assert_eq!(super::to_ns(st), Some(ns));
        assert_eq!(super::to_ns([0; 8]), None);
    }
}
