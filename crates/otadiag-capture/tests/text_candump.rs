//! candump reader: every log and console variant, malformed lines, sniffing.

#[path = "text/common.rs"]
mod common;

use common::{f, fl, read_all, F};
use otadiag_capture::candump::{sniff, Reader};
use otadiag_capture::{FrameReader, Position};

fn read(text: &str) -> (Vec<F>, Vec<otadiag_capture::CaptureError>) {
    read_all(&mut Reader::new("t.log", text.as_bytes()))
}

const T0: i64 = 1_436_509_052_249_713_000;

#[test]
fn log_lines() {
    let text = "\
(1436509052.249713) vcan0 123#DEADBEEF
(1436509052.249714) can1 12345678#0102
(1436509052.249715) vcan0 7FF#
(1436509052.249716) vcan0 123##1000102030405060708090A0B
(1436509052.249717) vcan0 456##3
(1436509052.249718) can1 0AA##2FF
(1436509052.249719) vcan0 123#R
(1436509052.249720) vcan0 1ABCDEF0#R4
(1436509052.249721) vcan0 20000080#0000000000000000
(1436509052.249722) vcan0 321#11.22.33 T
(1436509052.249723) vcan0 321#1122334455667788_C R
(1.5) vcan2 001#AA";
    let (frames, errors) = read(text);
    assert!(errors.is_empty(), "{errors:?}");
    let us = 1000;
    let fd12: Vec<u8> = (0..12).collect();
    assert_eq!(
        frames,
        vec![
            f(Some(T0), 0, 0x123, fl(""), &[0xDE, 0xAD, 0xBE, 0xEF]),
            f(Some(T0 + us), 1, 0x1234_5678, fl("x"), &[1, 2]),
            f(Some(T0 + 2 * us), 0, 0x7FF, fl(""), &[]),
            f(Some(T0 + 3 * us), 0, 0x123, fl("fb"), &fd12),
            f(Some(T0 + 4 * us), 0, 0x456, fl("fbe"), &[]),
            f(Some(T0 + 5 * us), 1, 0x0AA, fl("fe"), &[0xFF]),
            f(Some(T0 + 6 * us), 0, 0x123, fl("r"), &[]),
            f(Some(T0 + 7 * us), 0, 0x1ABC_DEF0, fl("xr"), &[]),
            f(Some(T0 + 8 * us), 0, 0x80, fl("E"), &[0; 8]),
            f(Some(T0 + 9 * us), 0, 0x321, fl("t"), &[0x11, 0x22, 0x33]),
            f(
                Some(T0 + 10 * us),
                0,
                0x321,
                fl(""),
                &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]
            ),
            f(Some(1_500_000_000), 2, 1, fl(""), &[0xAA]),
        ]
    );
}

#[test]
fn console_lines() {
    let text = "\
  vcan0  123   [4]  DE AD BE EF\r
  vcan0  123   [4]  DE AD BE EF   '....'
  can0  TX - -  18DA30F1   [8]  02 10 03 00 00 00 00 00   '........'
  can0  RX B -  123  [12]  00 01 02 03 04 05 06 07 08 09 0A 0B
  can0  RX - E  124  [04]  01 02 03 04
  vcan0  321  [16]  00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F
 (1436509052.249713)  vcan0  123   [2]  01 02
 (000.000123)  vcan0  123   [0]
(2015-07-10 08:17:32.249713)  vcan0  7FF   [1]  FF

  vcan0  123   [4]  remote request
  vcan0  20000004   [8]  00 04 00 00 00 00 00 00   ERRORFRAME
\tcontroller-problem{rx-error-warning}
  vcan1  12345678  [64]  ";
    let text = format!("{text}{}\n", vec!["AB"; 64].join(" "));
    let (frames, errors) = read(&text);
    assert!(errors.is_empty(), "{errors:?}");
    let seq: Vec<u8> = (0..16).collect();
    let deadbeef = [0xDE, 0xAD, 0xBE, 0xEF];
    assert_eq!(
        frames,
        vec![
            f(None, 0, 0x123, fl(""), &deadbeef),
            f(None, 0, 0x123, fl(""), &deadbeef),
            f(None, 1, 0x18DA_30F1, fl("xt"), &[2, 0x10, 3, 0, 0, 0, 0, 0]),
            f(None, 1, 0x123, fl("fb"), &seq[..12]),
            f(None, 1, 0x124, fl("fe"), &[1, 2, 3, 4]),
            f(None, 0, 0x321, fl("f"), &seq),
            f(Some(T0), 0, 0x123, fl(""), &[1, 2]),
            f(Some(123_000), 0, 0x123, fl(""), &[]),
            f(Some(1_436_516_252_249_713_000), 0, 0x7FF, fl(""), &[0xFF]),
            f(None, 0, 0x123, fl("r"), &[]),
            f(None, 0, 4, fl("E"), &[0, 4, 0, 0, 0, 0, 0, 0]),
            f(None, 2, 0x1234_5678, fl("xf"), &[0xAB; 64]),
        ]
    );
}

#[test]
fn malformed_lines_are_reported_and_skipped() {
    let text = "\
(1.0) vcan0 123#ABC
(1.0) vcan0 800#00
(1.0) vcan0 123##
(1.0) vcan0 123#001122334455667788
(abc) vcan0 123#00
(1.0) vcan0 123#00 X
  vcan0  123   [4]  01 02
  vcan0  123   [9]  01 02
  vcan0  12G   [1]  01
(2.0) vcan0 124#01
garbage
(1.0 vcan0 123#00
(3.0) can7 7FF#R9
(4.0) can1 125#02
";
    let (frames, errors) = read(text);
    // can7 is on a bad line only, so can1 is still the second channel.
    assert_eq!(
        frames,
        vec![
            f(Some(2_000_000_000), 0, 0x124, fl(""), &[1]),
            f(Some(4_000_000_000), 1, 0x125, fl(""), &[2])
        ]
    );
    let lines: Vec<u64> = errors
        .iter()
        .map(|e| {
            assert!(!e.fatal);
            assert_eq!(e.file, "t.log");
            assert!(e.msg.starts_with("expected "), "{}", e.msg);
            match e.pos {
                Position::Line(l) => l,
                other => panic!("{other:?}"),
            }
        })
        .collect();
    assert_eq!(lines, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13]);
    assert_eq!(
        errors[0].to_string(),
        "t.log: line 1: expected hex data bytes, found `C`"
    );
    assert_eq!(
        errors[6].msg,
        "expected 4 hex data bytes, found end of line"
    );
}

#[test]
fn overlong_line_is_skipped() {
    let text = format!(
        "(1.0) vcan0 123#{}\n(2.0) vcan0 124#01\n",
        "00".repeat(40_000)
    );
    let mut r = Reader::new("big.log", text.as_bytes());
    let (frames, errors) = read_all(&mut r);
    assert_eq!(frames.len(), 1);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].pos, Position::Line(1));
    assert_eq!(r.bytes_read(), text.len() as u64);
}

#[test]
fn sniffs_both_flavours_only() {
    assert!(sniff(
        b"(1436509052.249713) vcan0 123#DEADBEEF\n(1436509052.2"
    ));
    assert!(sniff(
        b"\n  can0  TX - -  700   [8]  02 10 03 00 00 00 00 00   '........'\n"
    ));
    assert!(sniff(b"  can0  680   [8]  03 22 01 00 00 00 00 00"));
    assert!(!sniff(
        b"date Thu Apr 2 10:37:15.950 am 2020\r\nbase hex  timestamps absolute\r\n"
    ));
    assert!(!sniff(b";$FILEVERSION=1.1\n"));
    assert!(!sniff(b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00"));
    assert!(!sniff(b""));
}
