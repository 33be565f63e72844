//! Vector ASC reader: headers, classic/remote/error/CAN FD lines, dec base, relative times.

#[path = "text/common.rs"]
mod common;

use common::{f, fl, read_all, F};
use otadiag_capture::asc::{sniff, Reader};
use otadiag_capture::{CaptureError, Position};

fn read(text: &str) -> (Vec<F>, Vec<CaptureError>) {
    read_all(&mut Reader::new("t.asc", text.as_bytes()))
}

/// 2018-06-13 10:34:25.123 UTC: python3 -c "from datetime import *;
/// print(int(datetime(2018,6,13,10,34,25,tzinfo=timezone.utc).timestamp())*10**9+123000000)"
const D2018: i64 = 1_528_886_065_123_000_000;
const MS: i64 = 1_000_000;

#[test]
fn absolute_hex_file_with_every_frame_kind() {
    let fd12 = "00 01 02 03 04 05 06 07 08 09 0A 0B";
    let text = format!(
        "\
date Wed Jun 13 10:34:25.123 am 2018
base hex  timestamps absolute
internal events logged
// version 9.0.0
Begin Triggerblock Wed Jun 13 10:34:25.123 am 2018
   0.000000 Start of measurement
   0.012345 1  7E0             Rx   d 8 02 10 03 00 00 00 00 00  Length = 230000 BitCount = 119 ID = 2016
   0.020000 2  18DAF110x       Tx   d 3 01 02 03  // 1  OTP(01) Atom
   0.030000 1  123             Rx   r
   0.031000 1  124             Rx   r 4
   0.040000 1  ErrorFrame
   0.041000 CAN 2 ErrorFrame ECC: 10100010
   0.050000 CANFD   1 Rx        7E0                                   1 0 8  8 02 10 03 00 00 00 00 00   130000  130   303000 b0f3 46500250 4b140250 20011736 2001172d
   0.060000 CANFD   2 Tx   18DAF110x  MyMessage                       0 1 9 12 {fd12}   130000  130   5000 b0f3 46500250 4b140250 20011736 2001172d
   0.061000 CANFD   1 Rx        100                                   0 0 2  2 AA BB
   0.062000 CANFD   1 Rx        101                                   0 0 8  8 01 02 03 04 05 06 07 08   130000  130   0 b0f3
   0.065000 CANFD   1 Rx ErrorFrame  0 0 0 0 0
   0.070000 1  Statistic: D 0 R 0 XD 0 XR 0 E 0 O 0 B 0.00%
   0.080000 CAN 1 Status:chip status error active
   0.081000 1  123             TxRq d 1 00
   0.082000 1  J1939TP FEEBp 6 0 0 - Rx d 23 00
   0.090000 SV: 1 0 1 ::Sys::Var = 1
End TriggerBlock
"
    );
    let (frames, errors) = read(&text);
    assert!(errors.is_empty(), "{errors:?}");
    let seq: Vec<u8> = (0..12).collect();
    let t = |us: i64| Some(D2018 + us * 1000);
    assert_eq!(
        frames,
        vec![
            f(t(12_345), 1, 0x7E0, fl(""), &[2, 0x10, 3, 0, 0, 0, 0, 0]),
            f(t(20_000), 2, 0x18DA_F110, fl("xt"), &[1, 2, 3]),
            f(t(30_000), 1, 0x123, fl("r"), &[]),
            f(t(31_000), 1, 0x124, fl("r"), &[]),
            f(t(40_000), 1, 0, fl("E"), &[]),
            f(t(41_000), 2, 0, fl("E"), &[]),
            f(t(50_000), 1, 0x7E0, fl("fb"), &[2, 0x10, 3, 0, 0, 0, 0, 0]),
            f(t(60_000), 2, 0x18DA_F110, fl("xfet"), &seq),
            f(t(61_000), 1, 0x100, fl("f"), &[0xAA, 0xBB]),
            f(t(62_000), 1, 0x101, fl(""), &[1, 2, 3, 4, 5, 6, 7, 8]),
            f(t(65_000), 1, 0, fl("E"), &[]),
        ]
    );
}

#[test]
fn relative_dec_crlf_file() {
    // 2020-04-02 22:37:15.950 UTC (pm): python3 -c "from datetime import *;
    // print(int(datetime(2020,4,2,22,37,15,tzinfo=timezone.utc).timestamp())*10**9+950000000)"
    let d: i64 = 1_585_867_035_950_000_000;
    let text = "date Thu Apr 2 10:37:15.950 pm 2020\r\n\
                base dec  timestamps relative\r\n\
                \x20  0.100000 1  2016             Rx   d 2 2 16\r\n\
                \x20  0.050000 1  Statistic: D 0 R 0\r\n\
                \x20  0.010000 1  291x             Tx   d 1 255\r\n\
                \x20  0.010000 1  256              Rx   d 12 1 2 3 4 5 6 7 8\r\n";
    let (frames, errors) = read(text);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        frames,
        vec![
            f(Some(d + 100 * MS), 1, 0x7E0, fl(""), &[2, 16]),
            f(Some(d + 160 * MS), 1, 291, fl("xt"), &[255]),
            f(
                Some(d + 170 * MS),
                1,
                256,
                fl(""),
                &[1, 2, 3, 4, 5, 6, 7, 8]
            ),
        ]
    );
}

#[test]
fn unparsable_or_missing_date_gives_times_since_start() {
    let text = "date 13.06.2018 10:34\nbase hex  timestamps absolute\n   1.5 1  7E0  Rx d 1 AA\n";
    let (frames, errors) = read(text);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(frames, vec![f(Some(1500 * MS), 1, 0x7E0, fl(""), &[0xAA])]);

    // German weekday, no am/pm (EcuBus-Pro style header).
    let text =
        "date Don Nov 24 15:30:43 2005\nbase hex  timestamps absolute\n   0.5 2  200  Tx d 1 01\n";
    let (frames, _) = read(text);
    assert_eq!(frames[0].ts, Some(1_132_846_243_000_000_000 + 500 * MS));
}

#[test]
fn malformed_frame_lines_are_reported_and_skipped() {
    let text = "\
base hex  timestamps absolute
   0.1 1  7E0   Rx   d 8 02 10 03 00
   0.2 1  7E0   Qx   d 1 00
   0.3 1  7E0   Rx   q 1 00
   0.4 1  800   Rx   d 1 00
   0.5 CANFD 1 Rx 7E0 1 0 8 8 00 01
   0.6 CANFD 1 Rx 7E0 1 0 8 99 00
   0.7 1  7E8   Rx   d 2 50 03
   0.8 1  7E8   Rx   d 1 GG
";
    let (frames, errors) = read(text);
    assert_eq!(
        frames,
        vec![f(Some(700 * MS), 1, 0x7E8, fl(""), &[0x50, 3])]
    );
    let lines: Vec<Position> = errors.iter().map(|e| e.pos).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 7, 9].map(Position::Line));
    assert!(errors
        .iter()
        .all(|e| !e.fatal && e.file == "t.asc" && e.msg.starts_with("expected ")));
    assert_eq!(
        errors[0].to_string(),
        "t.asc: line 2: expected 8 data bytes, found end of line"
    );
    assert_eq!(errors[1].msg, "expected Rx or Tx, found `Qx`");
}

#[test]
fn sniffs_asc_only() {
    assert!(sniff(
        b"date Thu Apr 2 10:37:15.950 am 2020\r\nbase hex  timestamps absolute\r\n"
    ));
    assert!(sniff(b"// comment\nbase dec  timestamps relative\n"));
    assert!(sniff(b"\xEF\xBB\xBFBegin TriggerBlock\n"));
    assert!(!sniff(b"(1436509052.249713) vcan0 123#DEADBEEF\n"));
    assert!(!sniff(b";$FILEVERSION=1.1\n"));
}
