//! `candump -l` text for the CAN part of the flash stage: every UDS message segmented with ISO-TP
//! (ISO 15765-2 normal addressing: single frame, or first frame, flow control from the receiver and
//! consecutive frames with sequence numbers 1…F, 0, …), padded to 8 bytes with 0xCC.

use std::fmt::Write;

/// Duration of one classic CAN frame at 500 kbit/s (about 130 bits), ns.
pub const FRAME_NS: i64 = 260_000;
const PAD: u8 = 0xCC;

/// How long ISO-TP needs to carry a message of `len` bytes (first frame to last frame), ns.
pub fn duration(len: u32) -> i64 {
    if len <= 7 {
        0
    } else {
        (1 + cf_count(len)) as i64 * FRAME_NS
    }
}

fn cf_count(len: u32) -> u32 {
    (len.saturating_sub(6)).div_ceil(7)
}

/// Appends the frames of one message sent on `id` (flow control comes back on `fc_id`), the last
/// frame stamped `end` ns; `bad_sn` makes that consecutive frame (1-based) carry a wrong sequence
/// number.
pub fn message(out: &mut String, end: i64, id: u32, fc_id: u32, msg: &[u8], bad_sn: Option<u32>) {
    let len = msg.len() as u32;
    if len <= 7 {
        let mut f = vec![len as u8];
        f.extend_from_slice(msg);
        line(out, end, id, &f);
        return;
    }
    let n = cf_count(len);
    let mut t = end - duration(len) + FRAME_NS;
    let mut ff = vec![0x10 | ((len >> 8) & 0x0F) as u8, len as u8];
    ff.extend_from_slice(&msg[..6]);
    line(out, t - FRAME_NS, id, &ff);
    line(out, t, fc_id, &[0x30, 0x00, 0x00]);
    for (i, chunk) in msg[6..].chunks(7).enumerate() {
        t += FRAME_NS;
        let k = i as u32 + 1;
        let sn = if bad_sn == Some(k) {
            (k + 5) & 0x0F
        } else {
            k & 0x0F
        };
        let mut cf = vec![0x20 | sn as u8];
        cf.extend_from_slice(chunk);
        line(out, t, id, &cf);
        if bad_sn == Some(k) {
            return; // the receiver aborts the reception; the sender stops too
        }
    }
    debug_assert_eq!(n as usize, msg[6..].chunks(7).count());
}

fn line(out: &mut String, ts: i64, id: u32, data: &[u8]) {
    let ts = ts.max(0);
    let _ = write!(
        out,
        "({}.{:06}) can0 {:03X}#",
        ts / 1_000_000_000,
        (ts % 1_000_000_000) / 1000,
        id
    );
    for i in 0..8 {
        let _ = write!(out, "{:02X}", data.get(i).copied().unwrap_or(PAD));
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_multi_frame_messages() {
        let mut s = String::new();
        message(&mut s, 1_000_000_000, 0x7E0, 0x7E8, &[0x10, 0x03], None);
        assert_eq!(s, "(1.000000) can0 7E0#021003CCCCCCCCCC\n");
        let msg: Vec<u8> = (0..20).collect();
        let mut s = String::new();
        message(&mut s, 10_000_000_000, 0x7E8, 0x7E0, &msg, None);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 4, "FF, FC and two CFs: {s}");
        assert!(lines[0].ends_with("7E8#1014000102030405"), "{s}");
        assert!(lines[1].ends_with("7E0#300000CCCCCCCCCC"), "{s}");
        assert!(lines[2].ends_with("7E8#21060708090A0B0C"), "{s}");
        assert!(
            lines[3].starts_with("(10.000000)"),
            "the last frame ends the message: {s}"
        );
        assert_eq!(duration(20), 3 * FRAME_NS);
    }

    #[test]
    fn a_bad_sequence_number_cuts_the_message() {
        let msg = vec![0x36; 40];
        let mut s = String::new();
        message(&mut s, 1_000_000_000, 0x7E0, 0x7E8, &msg, Some(2));
        let last = s.lines().last().unwrap();
        assert!(last.contains("7E0#27"), "{s}");
        assert_eq!(s.lines().count(), 4);
    }
}
