//! PCAN TRC reader: v1.0, v1.1, v1.3, v2.0 and v2.1 layouts, start times, malformed lines.

#[path = "text/common.rs"]
mod common;

use common::{f, fl, read_all, F};
use otadiag_capture::trc::{sniff, Reader};
use otadiag_capture::{CaptureError, Position};

fn read(text: &str) -> (Vec<F>, Vec<CaptureError>) {
    read_all(&mut Reader::new("t.trc", text.as_bytes()))
}

/// `;$STARTTIME=45617.6579229051` in ns: python3 -c
/// "print(20048*86400*10**9 + 6579229051*86400*10**9//10**10)"
const START: i64 = 1_732_204_044_539_000_640;
const MS: i64 = 1_000_000;

#[test]
fn v1_1_with_start_time() {
    let text = "\
;$FILEVERSION=1.1\r
;$STARTTIME=45617.6579229051\r
;\r
;   Message Number\r
;---+--   ----+----  --+--  ----+---  +  -+ -- -- -- -- -- -- --\r
     1)      1841.3  Rx         0300  8  00 11 22 33 44 55 66 77 \r
     2)      1841.4  Tx     18DAF110  3  01 02 03 \r
     3)      1850.0  Rx         0123  4  RTR \r
     4)      1900.0  Warng  FFFFFFFF  4  00 00 00 08  BUSHEAVY \r
     5)      1901.0  Rx         07FF  0 \r
     6)      1902.0  Error      0004  2  01 02 \r
";
    let (frames, errors) = read(text);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        frames,
        vec![
            f(
                Some(START + 1_841_300_000),
                0,
                0x300,
                fl(""),
                &[0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]
            ),
            f(
                Some(START + 1_841_400_000),
                0,
                0x18DA_F110,
                fl("xt"),
                &[1, 2, 3]
            ),
            f(Some(START + 1850 * MS), 0, 0x123, fl("r"), &[]),
            f(Some(START + 1901 * MS), 0, 0x7FF, fl(""), &[]),
            f(Some(START + 1902 * MS), 0, 4, fl("E"), &[1, 2]),
        ]
    );
}

#[test]
fn v1_0_and_v1_3_are_relative_without_start_time() {
    let v10 = "\
;##########################################################################
;   C:\\trace.trc
;
     1)      1841 0001 8 00 00 00 00 00 00 00 00
     2)      1842 FFFFFFFF 4 00 00 00 08
";
    let (frames, errors) = read(v10);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(frames, vec![f(Some(1841 * MS), 0, 1, fl(""), &[0; 8])]);

    let v13 = ";$FILEVERSION=1.3\n     1)      1841.3 2  Rx         0300 -  2  AA BB\n";
    let (frames, errors) = read(v13);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        frames,
        vec![f(Some(1_841_300_000), 2, 0x300, fl(""), &[0xAA, 0xBB])]
    );
}

#[test]
fn v2_0_default_columns() {
    let text = "\
;$FILEVERSION=2.0
;$STARTTIME=45617.6579229051
     1      1059.900 DT     0300 Rx 7  00 00 00 00 04 00 00
     2      1060.000 FD     0400 Tx 12  00 01 02 03 04 05 06 07 08 09 0A 0B
     3      1060.001 ST Rx 00 00 00 08
";
    let (frames, errors) = read(text);
    assert!(errors.is_empty(), "{errors:?}");
    let seq: Vec<u8> = (0..12).collect();
    assert_eq!(
        frames,
        vec![
            f(
                Some(START + 1_059_900_000),
                0,
                0x300,
                fl(""),
                &[0, 0, 0, 0, 4, 0, 0]
            ),
            f(Some(START + 1060 * MS), 0, 0x400, fl("ft"), &seq),
        ]
    );
}

#[test]
fn v2_1_all_types() {
    let text = "\
;$FILEVERSION=2.1
;$COLUMNS=N,O,T,B,I,d,R,L,D
;   Message   Time    Type    ID     Rx/Tx
     1         1.000 DT 1      0300 Rx -  8    00 11 22 33 44 55 66 77
     2         2.000 FB 2  18DAF110 Rx -  9    00 01 02 03 04 05 06 07 08 09 0A 0B
     3         3.000 FE 1      0001 Tx -  1    AA
     4         4.000 BI 1      0002 Rx -  0
     5         5.000 RR 1      0003 Rx -  4
     6         6.000 ER 1      -    Rx -  5    04 00 02 00 00
     7         7.000 ST 1      Rx    00 00 00 08
     8         8.000 EC 1      Rx    01 02
     9         9.000 EV user event text
";
    let (frames, errors) = read(text);
    assert!(errors.is_empty(), "{errors:?}");
    let seq: Vec<u8> = (0..12).collect();
    assert_eq!(
        frames,
        vec![
            f(
                Some(MS),
                1,
                0x300,
                fl(""),
                &[0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]
            ),
            f(Some(2 * MS), 2, 0x18DA_F110, fl("xfb"), &seq),
            f(Some(3 * MS), 1, 1, fl("fet"), &[0xAA]),
            f(Some(4 * MS), 1, 2, fl("fbe"), &[]),
            f(Some(5 * MS), 1, 3, fl("r"), &[]),
            f(Some(6 * MS), 1, 0, fl("E"), &[4, 0, 2, 0, 0]),
        ]
    );
}

#[test]
fn malformed_lines_are_reported_and_skipped() {
    let text = "\
;$FILEVERSION=2.1
;$COLUMNS=N,O,T,B,I,d,R,L,D
     1         1.000 DT 1      0300 Rx -  8    00 11
     2         2.000 XX 1      0300 Rx -  1    00
     3         abc   DT 1      0300 Rx -  1    00
     4         4.000 DT 1      0300 Rx -  1    0G
     5         5.000 DT 1      0301 Rx -  1    01
;$STARTTIME=yesterday
";
    let (frames, errors) = read(text);
    assert_eq!(frames, vec![f(Some(5 * MS), 1, 0x301, fl(""), &[1])]);
    let lines: Vec<Position> = errors.iter().map(|e| e.pos).collect();
    assert_eq!(lines, [3, 4, 5, 6, 8].map(Position::Line));
    assert!(errors
        .iter()
        .all(|e| !e.fatal && e.msg.starts_with("expected ")));
    assert_eq!(
        errors[0].to_string(),
        "t.trc: line 3: expected 8 hex data bytes, found end of line"
    );

    let (frames, errors) = read("     1)      abc  Rx  0300  1  00\n     2)  1.0  Rx  0300  9\n");
    assert!(frames.is_empty());
    assert_eq!(errors.len(), 2);
    assert_eq!(
        errors[1].msg,
        "expected 8 hex data bytes, found end of line"
    );
}

#[test]
fn sniffs_trc_only() {
    assert!(sniff(
        b";$FILEVERSION=1.1\r\n;$STARTTIME=45617.6579229051\r\n"
    ));
    assert!(sniff(
        b";####\n;  C:\\x.trc\n     1)      1841 0001 8 00 00 00 00 00 00 00 00\n"
    ));
    assert!(!sniff(b";just a comment\n"));
    assert!(!sniff(b"(1436509052.249713) vcan0 123#DEADBEEF\n"));
    assert!(!sniff(b"date Thu Apr 2 10:37:15.950 am 2020\n"));
}
