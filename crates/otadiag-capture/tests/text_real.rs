//! The text readers against real public traces in `shared/real-traces` (see its SOURCES.md):
//! zero errors, pinned frame counts (each cross-checked with the command beside it, run in that
//! folder), first and last frames, and the same result through `detect::open`.

#[path = "text/common.rs"]
mod common;

use common::{count_all, f, fl, read_all, real_traces, F};
use otadiag_capture::{asc, candump, detect, trc, FrameReader};

fn check(
    rel: &str,
    expected: usize,
    reader: fn(std::fs::File) -> Box<dyn FrameReader>,
) -> Option<Vec<F>> {
    let path = real_traces()?.join(rel);
    let (frames, errors) = read_all(reader(std::fs::File::open(&path).unwrap()).as_mut());
    assert!(errors.is_empty(), "{rel}: {errors:?}");
    assert_eq!(frames.len(), expected, "{rel}");
    let (n, errors) = count_all(detect::open(&path).unwrap().as_mut());
    assert!(errors.is_empty(), "{rel} via detect: {errors:?}");
    assert_eq!(n, expected, "{rel} via detect");
    Some(frames)
}

fn cd(file: std::fs::File) -> Box<dyn FrameReader> {
    Box::new(candump::Reader::new("real", file))
}

fn tr(file: std::fs::File) -> Box<dyn FrameReader> {
    Box::new(trc::Reader::new("real", file))
}

fn asc_(file: std::fs::File) -> Box<dyn FrameReader> {
    Box::new(asc::Reader::new("real", file))
}

#[test]
fn candump_logs() {
    // grep -c '#' scapy/gmlan_trace.candump
    let Some(fr) = check("scapy/gmlan_trace.candump", 1087, cd) else {
        return;
    };
    assert_eq!(
        fr[0],
        f(
            Some(297_000_000),
            0,
            0x12A,
            fl(""),
            &[0x12, 0x20, 0x10, 0xFF, 0, 0, 0x10, 0x80]
        )
    );
    assert_eq!(
        fr[1086],
        f(
            Some(4_951_645_000_000),
            0,
            0x241,
            fl(""),
            &[6, 0x36, 0x80, 0xFE, 0xDF, 0x10, 0, 1]
        )
    );
    // grep -c '#' scapy/candump_gmlan_scanner.log
    let fr = check("scapy/candump_gmlan_scanner.log", 3819, cd).unwrap();
    assert_eq!(
        fr[0],
        f(
            Some(1_625_906_307_412_579_000),
            0,
            0x00A,
            fl(""),
            b"ECURESET"
        )
    );
    // grep -c '#' dparnishchev.github.io/challenge3.log   (no newline after the last line)
    let fr = check("dparnishchev.github.io/challenge3.log", 20246, cd).unwrap();
    assert_eq!(
        fr[0],
        f(
            Some(1_752_232_976_292_496_000),
            0,
            0x062,
            fl(""),
            &[9, 0xA1, 0x2E, 0xCA, 0x43, 0x85, 0x40, 0xF4]
        )
    );
    assert_eq!(fr[20245].id, 0x062);

    // The same file gzipped (as uploads arrive) reads the same through detect, and
    // bytes_read ends at the unpacked size.
    let path = real_traces()
        .unwrap()
        .join("dparnishchev.github.io/challenge3.log");
    let raw = std::fs::read(&path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &raw).unwrap();
    let gz = gz.finish().unwrap();
    let mut r = detect::from_reader(
        "challenge3.log.gz".into(),
        Box::new(std::io::Cursor::new(gz)),
    )
    .unwrap();
    let (n, errors) = count_all(r.as_mut());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(n, 20246);
    assert_eq!(r.bytes_read(), raw.len() as u64);
}

#[test]
fn candump_console() {
    // grep -cE '\[[0-9]+\]' talking-with-cars/test_kwp_all_seeds.log
    let Some(fr) = check("talking-with-cars/test_kwp_all_seeds.log", 490, cd) else {
        return;
    };
    assert_eq!(
        fr[0],
        f(None, 0, 0x700, fl("t"), &[2, 0x10, 3, 0, 0, 0, 0, 0])
    );
    assert_eq!(
        fr[1],
        f(
            None,
            0,
            0x77D,
            fl(""),
            &[6, 0x50, 3, 0, 0x32, 1, 0xF4, 0xAA]
        )
    );
    // grep -cE '\[[0-9]+\]' talking-with-cars/test_bf_abs_ecu.log   (last line cut inside the ASCII column)
    let fr = check("talking-with-cars/test_bf_abs_ecu.log", 4571, cd).unwrap();
    assert_eq!(
        fr[5],
        f(
            None,
            0,
            0x18DA_F130,
            fl("x"),
            &[6, 0x50, 3, 0, 0x32, 1, 0xF4]
        )
    );
    assert_eq!(
        fr[4570],
        f(
            None,
            0,
            0x18DA_28F1,
            fl("xt"),
            &[3, 0x22, 8, 0xFC, 0, 0, 0, 0]
        )
    );
    // grep -cE '\[[0-9]+\]' open3e/candump.log
    let fr = check("open3e/candump.log", 6488, cd).unwrap();
    assert_eq!(
        fr[0],
        f(None, 0, 0x680, fl(""), &[3, 0x22, 1, 0, 0, 0, 0, 0])
    );
}

#[test]
fn pcan_trc() {
    // grep -cE '^ +[0-9]+\) ' CANBUSlogs/fuelpumponoff.trc
    let Some(fr) = check("CANBUSlogs/fuelpumponoff.trc", 8287, tr) else {
        return;
    };
    // ;$STARTTIME=45617.6579229051: python3 -c "print(20048*86400*10**9 + 6579229051*86400*10**9//10**10)"
    let start = 1_732_204_044_539_000_640;
    assert_eq!(fr[0], f(Some(start + 1_800_000), 0, 0x455, fl(""), &[0; 8]));
    assert_eq!(
        fr[8286],
        f(
            Some(start + 8_768_900_000),
            0,
            0x72E,
            fl(""),
            &[4, 0x62, 0xD1, 0x34, 0, 0, 0, 0]
        )
    );
}

#[test]
fn vector_asc() {
    // grep -cE ' (Rx|Tx) +d [0-9]' t0night/ecu_can_log.asc
    let Some(fr) = check("t0night/ecu_can_log.asc", 1564, asc_) else {
        return;
    };
    // date Thu Apr 2 10:37:15.950 am 2020: python3 -c "from datetime import *;
    // print(int(datetime(2020,4,2,10,37,15,tzinfo=timezone.utc).timestamp())*10**9+950000000)"
    let d = 1_585_823_835_950_000_000;
    assert_eq!(
        fr[0],
        f(
            Some(d + 4_000_621_000),
            1,
            0x7DF,
            fl("t"),
            &[2, 0x3E, 0x80, 0, 0, 0, 0, 0]
        )
    );
    assert_eq!(
        fr[3],
        f(
            Some(d + 9_499_693_000),
            1,
            0x7B0,
            fl(""),
            &[6, 0x50, 2, 0, 0x32, 1, 0xF4, 0]
        )
    );
    // grep -cE ' (Rx|Tx) +d [0-9]' EcuBus-Pro/EngineDiagData.asc
    let fr = check("EcuBus-Pro/EngineDiagData.asc", 36, asc_).unwrap();
    // date Don Nov 24 15:30:43 2005 (German weekday)
    let d = 1_132_846_243_000_000_000;
    assert_eq!(
        fr[0],
        f(
            Some(d + 789_091_000),
            2,
            0x200,
            fl("t"),
            &[2, 0x10, 0x81, 0, 0, 0, 0, 0]
        )
    );
}
