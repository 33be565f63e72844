//! The rule language as a rule author meets it: rendered load errors (inline snapshots), unique
//! diagnostic codes, and a whole new protocol added with rule files only.

use otadiag_engine::{analyze, Mode};
use otadiag_model::{Bundle, Dir, Manifest, Stage, Task, UnitOutcome, UnitResult};
use otadiag_rules::{load_sources, Diag, SourceFile};

fn file(path: &str, text: &str) -> SourceFile {
    SourceFile {
        path: path.into(),
        text: text.into(),
    }
}

fn errors(files: Vec<SourceFile>) -> String {
    match load_sources("test", files) {
        Ok(_) => panic!("expected the load to fail"),
        Err(d) => d.render(),
    }
}

const CAUSES: &str = r#"
cause request_length_illegal for request.length blame client
cause response_timeout for response.time blame server
"#;

const PROTO: &str = r#"
protocol p {
  stage flash
  client "GW"
  server "ECU"
  transport doip
  field sid: u8 at 0
  pair req.src == rsp.dst
  timer first = 50ms
}
"#;

#[test]
fn unknown_field_suggests_the_closest_name() {
    let out = errors(vec![
        file("causes.rules", CAUSES),
        file("p.rules", PROTO),
        file(
            "c.rules",
            "check C-1 request.length \"len\" {\n  require req.sdi == 0x10\n}\n",
        ),
    ]);
    insta::assert_snapshot!(out, @r#"
    otadiag::check::unknown_field

      × protocol `p` has no field `sdi`
       ╭─[c.rules:2:15]
     1 │ check C-1 request.length "len" {
     2 │   require req.sdi == 0x10
       ·               ─┬─
       ·                ╰── no such field
     3 │ }
       ╰────
      help: did you mean `sid`?

    1 error in 3 files
    "#);
}

#[test]
fn a_duration_compared_with_a_bare_number_needs_a_unit() {
    let out = errors(vec![
        file("causes.rules", CAUSES),
        file("p.rules", PROTO),
        file(
            "c.rules",
            "check C-1 response.time \"fast\" {\n  require xch.wait <= 50\n}\n",
        ),
    ]);
    insta::assert_snapshot!(out, @r#"
    otadiag::check::missing_unit

      × a duration is mixed with a plain number
       ╭─[c.rules:2:23]
     1 │ check C-1 response.time "fast" {
     2 │   require xch.wait <= 50
       ·                       ─┬
       ·                        ╰── duration and number mixed
     3 │ }
       ╰────
      help: give the number a unit, e.g. `50ms` or `50s`

    1 error in 3 files
    "#);
}

#[test]
fn a_syntax_error_names_what_was_expected() {
    let out = errors(vec![file(
        "c.rules",
        "check C-1 request.length \"len\" {\n  require req.len >\n}\n",
    )]);
    insta::assert_snapshot!(out, @r#"
    otadiag::syntax::unexpected

      × unexpected input; expected an expression
       ╭─[c.rules:3:1]
     2 │   require req.len >
     3 │ }
       · ▲
       · ╰── here
       ╰────
      help: see docs/rule-language.md for the grammar

    1 error in 1 file
    "#);
}

#[test]
fn every_problem_of_a_load_is_reported_at_once() {
    let out = errors(vec![
        file("causes.rules", CAUSES),
        file("p.rules", PROTO),
        file(
            "c.rules",
            "check C-1 request.lenght \"a\" {\n  require req.lne > 3\n}\ncheck C-1 response.time \"b\" {\n  require xch.wiat <= 5ms\n  message \"{rsp.nope}\"\n}\n",
        ),
    ]);
    for code in [
        "otadiag::check::unknown_parameter",
        "otadiag::check::unknown_field",
        "otadiag::check::duplicate_rule_id",
        "otadiag::check::unknown_name",
    ] {
        assert!(out.contains(code), "{code} missing from:\n{out}");
    }
    assert!(
        out.contains("has no field `nope`"),
        "an error inside a message is found too:\n{out}"
    );
    assert!(out.contains("5 errors in 3 files"), "{out}");
}

#[test]
fn a_parameter_without_a_cause_is_rejected() {
    let out = errors(vec![
        file("p.rules", PROTO),
        file(
            "c.rules",
            "check C-1 request.format \"f\" {\n  require req.sid == 1\n}\n",
        ),
    ]);
    assert!(
        out.contains("otadiag::check::parameter_without_cause"),
        "{out}"
    );
}

#[test]
fn diagnostic_codes_are_unique() {
    let codes = Diag::all_codes();
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), codes.len(), "duplicate codes in {codes:?}");
    assert!(codes.iter().all(|c| c.starts_with("otadiag::")));
}

const TOY: &str = r#"
# A toy bus: 1-byte opcode, 1-byte sequence, 1-byte XOR checksum; answers set bit 7 of the opcode.
parameter request.checksum "the request's checksum byte is the XOR of opcode and sequence"
cause request_checksum_illegal for request.checksum blame client "The client computed a wrong checksum."
cause response_timeout for response.time blame server

protocol toy {
  stage flash
  client "GW"
  server "LAMP"
  transport toybus
  keep request 3, response 2
  field op: u8 at 0
  field seq: u8 at 1
  field crc: u8 at 2
  field status: u8 at 1
  service op
  negative when msg.status != 0
  pair req.src == rsp.dst
  match rsp.op == (req.op | 0x80)
  timer first = unit.answer_within
  config answer_within = 20ms
}

check TOY-001 request.checksum "checksum is op XOR seq" {
  require req.crc == (req.op ^ req.seq)
  message "checksum {req.crc:hex}, expected {req.op ^ req.seq:hex}"
}

check TOY-002 response.time "the lamp answers in time" {
  when xch.answered
  require xch.wait <= xch.limit
}
"#;

fn toy_bundle(crc: u8) -> Bundle {
    let manifest = Manifest {
        version: 1,
        tasks: vec![Task {
            ecu: "LAMP".into(),
            address: Some(0x10),
            package: "lamp-fw".into(),
            version: "1.0".into(),
            from_version: None,
            transport: Some("toybus".into()),
        }],
        ..Manifest::default()
    };
    let mut b = Bundle::new("toy", manifest);
    b.results.push(UnitResult {
        stage: Stage::Flash,
        unit: "LAMP".into(),
        result: UnitOutcome::Failure,
        detail: None,
    });
    b.push_record(
        Stage::Flash,
        "LAMP",
        "gw",
        "toybus",
        Dir::Request,
        0,
        0x01,
        0x10,
        &[0x01, 0x07, crc],
        3,
    );
    b.push_record(
        Stage::Flash,
        "LAMP",
        "gw",
        "toybus",
        Dir::Response,
        30_000_000,
        0x10,
        0x01,
        &[0x81, 0x00],
        2,
    );
    b
}

#[test]
fn a_new_protocol_with_its_own_checks_and_cause_needs_rule_files_only() {
    let rules = load_sources("toy", vec![file("toy.rules", TOY)])
        .unwrap_or_else(|d| panic!("{}", d.render()));
    // Wrong checksum: the new parameter type maps to the new cause, blamed on the client.
    let report = analyze(&rules, &toy_bundle(0x00), Mode::All);
    let lamp = &report.units[1];
    assert_eq!(lamp.unit, "LAMP");
    let root = &lamp.findings[0];
    assert_eq!(
        (root.cause.as_str(), root.side.as_str(), root.role.as_str()),
        ("request_checksum_illegal", "client", "GW")
    );
    assert_eq!(root.message, "checksum 0x00, expected 0x06");
    // The answer came after 30 ms against the protocol's 20 ms timer: blamed on the LAMP.
    let late = &lamp.findings[1];
    assert_eq!(
        (late.cause.as_str(), late.role.as_str()),
        ("response_timeout", "LAMP")
    );
    assert_eq!(
        (late.measured.as_deref(), late.limit.as_deref()),
        (Some("30 ms"), Some("20 ms"))
    );
    // Correct checksum: only the timeout remains, and it is now the root.
    let report = analyze(&rules, &toy_bundle(0x06), Mode::All);
    assert_eq!(report.units[1].findings.len(), 1);
    assert_eq!(report.units[1].findings[0].cause, "response_timeout");
    assert!(report.units[1].findings[0].root);
}

#[test]
fn units_toml_overrides_a_timer_per_ecu() {
    let units = "[ecu.0x10]\nname = \"LAMP\"\nanswer_within = \"40ms\"\n";
    let rules = load_sources(
        "toy",
        vec![file("toy.rules", TOY), file("units.toml", units)],
    )
    .unwrap();
    let report = analyze(&rules, &toy_bundle(0x06), Mode::All);
    assert!(
        report.units[1].findings.is_empty(),
        "{:#?}",
        report.units[1].findings
    );
    // A value of the wrong type is a load error naming the file and line.
    let bad = "[ecu.0x10]\nanswer_within = 40\n";
    let out = errors(vec![file("toy.rules", TOY), file("units.toml", bad)]);
    assert!(
        out.contains("units.toml:1") && out.contains("answer_within"),
        "{out}"
    );
}

#[test]
fn protocol_clauses_that_would_be_silently_wrong_are_rejected() {
    let proto = r#"
protocol p {
  stage flash
  client "GW"
  server "ECU"
  transport doip
  field sid: u8 at 0
  field a: u8 at 1
  field b: u8 at 2
  keep request 16, response 64
  keep request 32
  service sid
  service a
  config p2 = 50ms
  config p2 = 60ms
  pair req.src == rsp.dst and req.sid == rsp.sid and req.a == rsp.a and req.b == rsp.b and req.len == rsp.len
  timer first = unit.p2
}
"#;
    let out = errors(vec![
        file("causes.rules", CAUSES),
        file("p.rules", proto),
        file(
            "t.rules",
            "table T(k) -> (n: str) {\n  0x20..=0x10 => \"empty\"\n}\n",
        ),
        file(
            "c.rules",
            "check C-1 request.length \"len\" {\n  service 0x10000\n  require req.sid == 0x10\n}\n",
        ),
    ]);
    for (code, what) in [
        ("otadiag::check::duplicate_clause", "`keep` is given twice"),
        (
            "otadiag::check::duplicate_clause",
            "`service` is given twice",
        ),
        (
            "otadiag::check::duplicate",
            "config setting `p2` is declared twice",
        ),
        (
            "otadiag::check::pair_too_long",
            "`pair` compares 5 fields; at most 4",
        ),
        ("otadiag::check::table_row", "the range 0x20..0x10 is empty"),
        (
            "otadiag::syntax::bad_literal",
            "service id 0x10000: expected 0 to 0xFFFF",
        ),
    ] {
        assert!(
            out.contains(code) && out.contains(what),
            "missing {code} / {what} in:\n{out}"
        );
    }
}
