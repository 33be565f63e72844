//! Bad bundles get an error naming the file, the line and the field; good ones round-trip,
//! compressed or not.

use otadiag_model::{read_bundle_bytes, write_bundle, Bundle, Dir, Manifest, Stage};

fn sample() -> Bundle {
    let mut b = Bundle::new(
        "s",
        Manifest {
            version: 1,
            vin: "VIN1".into(),
            ..Manifest::default()
        },
    );
    b.push_record(
        Stage::Flash,
        "BCM",
        "gw",
        "doip",
        Dir::Request,
        10,
        0x0E80,
        0x1A01,
        &[0x10, 0x02],
        2,
    );
    b.push_record(
        Stage::Flash,
        "BCM",
        "gw",
        "doip",
        Dir::Response,
        20,
        0x1A01,
        0x0E80,
        &[0x50, 0x02],
        6,
    );
    b.stop.insert("gw".into(), 99);
    b
}

fn text() -> String {
    let mut out = Vec::new();
    write_bundle(&sample(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn error_of(t: &str) -> String {
    read_bundle_bytes("b.jsonl", t.as_bytes())
        .unwrap_err()
        .to_string()
}

#[test]
fn round_trip_plain_and_gzip() {
    let t = text();
    let b = read_bundle_bytes("b", t.as_bytes()).unwrap();
    assert_eq!(b.records.len(), 2);
    assert_eq!(b.header(&b.records[1]), &[0x50, 0x02]);
    assert_eq!(b.records[1].len, 6);
    assert_eq!(b.stop["gw"], 99);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, t.as_bytes()).unwrap();
    let b2 = read_bundle_bytes("b.gz", &gz.finish().unwrap()).unwrap();
    assert_eq!(b2.records, b.records);
}

#[test]
fn truncated_mid_line() {
    let t = text();
    let cut = &t[..t.len() - 30];
    let e = error_of(cut);
    assert!(
        e.starts_with(&format!("b.jsonl:{}:", cut.lines().count())),
        "{e}"
    );
    assert!(e.contains("truncated"), "{e}");
}

#[test]
fn cut_at_a_line_boundary_is_still_caught() {
    let t = text();
    let lines: Vec<&str> = t.lines().collect();
    let e = error_of(&(lines[..lines.len() - 1].join("\n") + "\n"));
    assert!(e.contains("no end line"), "{e}");
    let e = error_of(&t.replace("\"records\":2", "\"records\":3"));
    assert!(
        e.contains("field `records`") && e.contains("announces 3"),
        "{e}"
    );
}

#[test]
fn bad_fields_are_named() {
    let t = text();
    assert!(error_of(&t.replace("\"hdr\":\"1002\"", "\"hdr\":\"10G2\""))
        .contains("b.jsonl:2: field `hdr`"));
    assert!(
        error_of(&t.replace("\"dir\":\"req\"", "\"dir\":\"sideways\"")).contains("field `dir`")
    );
    assert!(
        error_of(&t.replace("\"src\":\"0x0E80\"", "\"src\":\"nowhere\"")).contains("field `src`")
    );
    assert!(error_of(&t.replace("\"version\":1", "\"version\":7"))
        .contains("version 7 is not supported"));
    assert!(error_of(&t.replace(",\"ts\":10", "")).contains("field `ts`"));
    assert!(error_of("garbage\n").contains("b.jsonl:1:"));
    assert!(error_of("").contains("no manifest"));
}
