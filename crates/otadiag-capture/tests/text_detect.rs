//! Format detection: each text format, gzip wrapping, pcap dispatch and unknown input.

#[path = "text/common.rs"]
mod common;

use std::io::Write;

use common::{f, fl, read_all};
use otadiag_capture::detect::{from_reader, open};

fn detect(
    bytes: &[u8],
) -> Result<Box<dyn otadiag_capture::FrameReader>, otadiag_capture::CaptureError> {
    from_reader("in".into(), Box::new(std::io::Cursor::new(bytes.to_vec())))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

const CANDUMP: &[u8] = b"(1.000001) can0 7E0#0210030000000000\n";
const CONSOLE: &[u8] = b"  can0  7E0   [2]  02 10\n";
const TRC: &[u8] = b";$FILEVERSION=1.1\n     1)         1.5  Rx         07E0  2  02 10\n";
const ASC: &[u8] = b"base hex  timestamps absolute\n   0.25 1  7E0  Rx  d 2 02 10\n";

#[test]
fn text_formats_are_told_apart() {
    let cases: [(&[u8], Option<i64>, u16); 4] = [
        (CANDUMP, Some(1_000_001_000), 0),
        (CONSOLE, None, 0),
        (TRC, Some(1_500_000), 0),
        (ASC, Some(250_000_000), 1),
    ];
    for (bytes, ts, ch) in cases {
        let (frames, errors) = read_all(detect(bytes).unwrap().as_mut());
        assert!(errors.is_empty(), "{errors:?}");
        let data: &[u8] = if bytes == CANDUMP {
            &[2, 0x10, 3, 0, 0, 0, 0, 0]
        } else {
            &[2, 0x10]
        };
        assert_eq!(frames, vec![f(ts, ch, 0x7E0, fl(""), data)]);
        // The same through gzip, twice (MultiGzDecoder reads concatenated members).
        let mut two = gzip(bytes);
        two.extend(gzip(bytes));
        let (frames, errors) = read_all(detect(&two).unwrap().as_mut());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(frames.len(), 2);
    }
}

#[test]
fn pcap_header_goes_to_the_pcap_reader() {
    let mut hdr = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    hdr.extend([0; 8]);
    hdr.extend(65535u32.to_le_bytes());
    hdr.extend(1u32.to_le_bytes());
    let mut r = detect(&hdr).unwrap();
    assert!(r.next_frame().unwrap().is_none());
}

#[test]
fn unknown_input_is_a_fatal_error() {
    for bytes in [
        &b"hello world\nthis is not a capture\n"[..],
        b"",
        b"\x00\x01\x02\x03",
    ] {
        let e = detect(bytes).err().expect("not a capture");
        assert!(e.fatal);
        assert_eq!(
            e.to_string(),
            "in: byte offset 0: not a capture otadiag reads: expected candump, PCAN TRC, Vector ASC/BLF or pcap/pcapng"
        );
    }
    let e = detect(&gzip(b"plain words\n"))
        .err()
        .expect("not a capture");
    assert!(e.msg.starts_with("not a capture"));
    assert!(
        detect(b"LOGG\x90\x00\x00\x00").is_err(),
        "a cut BLF header is an error"
    );
}

#[test]
fn open_names_the_file() {
    let e = open(std::path::Path::new("/nonexistent/trace.asc"))
        .err()
        .expect("missing file");
    assert!(e.fatal);
    assert!(
        e.to_string()
            .starts_with("/nonexistent/trace.asc: byte offset 0: cannot open: "),
        "{e}"
    );
}
