//! Scenario files: defaults, overrides, and errors that name the file, line and column.

use otadiag_sim::Scenario;

#[test]
fn empty_file_gives_the_built_in_fleet() {
    let sc = Scenario::parse("empty.toml", "").unwrap();
    assert_eq!(sc.vehicles, 20);
    let names: Vec<_> = sc.ecus.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["BCM", "VCU", "ADAS", "EPS"]);
    assert_eq!(sc.units().len(), 8);
}

#[test]
fn fields_override_defaults() {
    let sc = Scenario::parse(
        "s.toml",
        "vehicles = 3\nseed = 9\n[timing]\nresponse_ms = [1, 2]\n[[ecu]]\nname = \"GW2\"\ntransport = \"can\"\ncan_ids = [0x710, 0x718]\nmax_block = 0x402\n[[fault]]\nkind = \"response_timeout\"\nunit = \"GW2\"\nprob = 0.5\n",
    )
    .unwrap();
    assert_eq!((sc.vehicles, sc.seed), (3, 9));
    assert_eq!(sc.timing.response_ms, [1.0, 2.0]);
    assert_eq!(sc.timing.p2_ms, 50.0, "untouched timing keeps its default");
    assert_eq!(sc.ecus.len(), 1);
    assert_eq!(sc.ecus[0].can_ids, Some([0x710, 0x718]));
    assert_eq!(sc.fault_specs().unwrap()[0].prob, 0.5);
}

#[test]
fn syntax_and_type_errors_name_file_line_and_column() {
    let e = Scenario::parse(
        "fleet.toml",
        "vehicles = 3\n\n[timing]\nresponse_ms = \"fast\"\n",
    )
    .unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("fleet.toml:4:"), "{text}");
    let e = Scenario::parse("fleet.toml", "vehicles = 3\nvehicels = 4\n").unwrap_err();
    assert!(e.to_string().starts_with("fleet.toml:2:1:"), "{e}");
    assert!(e.to_string().contains("vehicels"), "{e}");
    let e = Scenario::parse(
        "fleet.toml",
        "[[ecu]]\nname = \"A\"\ntransport = \"flexray\"\n",
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("fleet.toml:3:"), "{e}");
    let e = Scenario::parse("fleet.toml", "vehicles = [\n").unwrap_err();
    assert!(e.to_string().starts_with("fleet.toml:"), "{e}");
}

#[test]
fn semantic_errors_point_at_the_offending_line() {
    let e = Scenario::parse(
        "f.toml",
        "[[ecu]]\nname = \"A\"\n[[fault]]\nkind = \"negative_response\"\nunit = \"B\"\n",
    )
    .unwrap_err();
    assert_eq!(e.at.map(|a| a.0), Some(5), "{e}");
    assert!(e.message.contains("`B`"), "{e}");
    let e = Scenario::parse("f.toml", "[[fault]]\nkind = \"timeout\"\n").unwrap_err();
    assert_eq!(e.at.map(|a| a.0), Some(2), "{e}");
    assert!(e.message.contains("unknown fault `timeout`"), "{e}");
    let e = Scenario::parse("f.toml", "[timing]\nresponse_ms = [3, 80]\n").unwrap_err();
    assert_eq!(e.at.map(|a| a.0), Some(2), "{e}");
    assert!(e.message.contains("p2_ms"), "{e}");
    let e =
        Scenario::parse("f.toml", "[[ecu]]\nname = \"A\"\n[[ecu]]\nname = \"A\"\n").unwrap_err();
    assert!(e.message.contains("used twice"), "{e}");
    let e = Scenario::parse(
        "f.toml",
        "[[ecu]]\nname = \"A\"\ntransport = \"can\"\nmax_block = 5000\n",
    )
    .unwrap_err();
    assert!(e.message.contains("max_block"), "{e}");
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let e = Scenario::load(std::path::Path::new("/nonexistent/x.toml")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/x.toml: cannot read"),
        "{e}"
    );
}
