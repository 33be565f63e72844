//! Vector ASC text of the GW's CAN traffic, because OEM benches hand CAN traces over in CANoe's
//! format more often than as candump logs: the same frames as `<vehicle>.gw.candump.log`, with a
//! `date` header so the times stay absolute, frames the GW sent marked `Tx`, the ECUs' `Rx`.

use std::fmt::Write;

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Civil date (year, month 1–12, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The `date` header line for a start time (whole seconds, ns since the epoch, UTC), in CANoe's
/// 12-hour form: `date Thu Jan 1 09:05:07.000 am 2026`.
fn date_line(start: i64) -> String {
    let days = start.div_euclid(86_400_000_000_000);
    let secs = start.rem_euclid(86_400_000_000_000) / 1_000_000_000;
    let (y, m, d) = civil(days);
    let (h, min, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let h12 = if h % 12 == 0 { 12 } else { h % 12 };
    let half = if h < 12 { "am" } else { "pm" };
    let wd = WEEKDAYS[days.rem_euclid(7) as usize];
    let mon = MONTHS[m as usize - 1];
    format!("date {wd} {mon} {d} {h12:02}:{min:02}:{s:02}.000 {half} {y}")
}

/// Converts the simulator's `candump -l` text (`(1767290141.523012) can0 7E0#0210030000000000`)
/// to ASC; `tx(id)` tells the ids the GW sends on. Times are relative to the `date` line, which
/// is the first frame's time rounded down to the second, so no precision is lost.
pub fn from_candump(candump: &str, tx: &dyn Fn(u32) -> bool) -> String {
    let frames: Vec<(i64, u32, Vec<u8>)> = candump.lines().filter_map(parse).collect();
    let start = frames
        .first()
        .map_or(0, |f| f.0 - f.0.rem_euclid(1_000_000_000));
    let mut out = String::new();
    let _ = writeln!(out, "{}", date_line(start));
    out.push_str("base hex  timestamps absolute\ninternal events logged\n");
    let _ = writeln!(
        out,
        "// version 9.0.0\nBegin Triggerblock {}",
        &date_line(start)[5..]
    );
    out.push_str("   0.000000 Start of measurement\n");
    for (ts, id, data) in &frames {
        let t = ts - start;
        let _ = write!(
            out,
            "{:>4}.{:06} 1  {:<15} {}   d {}",
            t / 1_000_000_000,
            t % 1_000_000_000 / 1000,
            format!("{id:X}"),
            if tx(*id) { "Tx" } else { "Rx" },
            data.len()
        );
        for b in data {
            let _ = write!(out, " {b:02X}");
        }
        out.push('\n');
    }
    out.push_str("End TriggerBlock\n");
    out
}

/// One `candump -l` line of the simulator: time in ns, CAN id, data.
fn parse(line: &str) -> Option<(i64, u32, Vec<u8>)> {
    let (time, rest) = line.strip_prefix('(')?.split_once(") ")?;
    let (s, us) = time.split_once('.')?;
    let ts = s.parse::<i64>().ok()? * 1_000_000_000 + us.parse::<i64>().ok()? * 1000;
    let (id, hex) = rest.split_once(' ')?.1.split_once('#')?;
    let data = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    Some((ts, u32::from_str_radix(id, 16).ok()?, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_canoe_style() {
        // 2026-01-01T00:00:00Z was a Thursday.
        assert_eq!(
            date_line(1_767_225_600_000_000_000),
            "date Thu Jan 1 12:00:00.000 am 2026"
        );
        assert_eq!(
            date_line(1_767_225_600_000_000_000 + 86_400_000_000_000 * 45 + 13 * 3_600_000_000_000),
            "date Sun Feb 15 01:00:00.000 pm 2026"
        );
    }

    #[test]
    fn frames_keep_their_time_and_direction() {
        let asc = from_candump(
            "(1767290141.523012) can0 7E0#0210030000000000\n(1767290141.530000) can0 7E8#065003003201F4CC\n",
            &|id| id == 0x7E0,
        );
        let lines: Vec<&str> = asc.lines().collect();
        assert_eq!(lines[0], "date Thu Jan 1 05:55:41.000 pm 2026");
        assert_eq!(lines[1], "base hex  timestamps absolute");
        assert_eq!(
            lines[6],
            "   0.523012 1  7E0             Tx   d 8 02 10 03 00 00 00 00 00"
        );
        assert!(lines[7].starts_with("   0.530000 1  7E8             Rx   d 8 06 50"));
        assert_eq!(lines[8], "End TriggerBlock");
    }
}
