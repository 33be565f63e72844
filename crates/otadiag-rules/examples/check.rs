fn main() {
    let dir = std::env::args().nth(1).unwrap();
    match otadiag_rules::load_dir(std::path::Path::new(&dir)) {
        Ok(s) => println!(
            "ok: {} protocols, {} checks, {} flows, {}",
            s.protocols.len(),
            s.checks.len(),
            s.flows.len(),
            s.revision
        ),
        Err(d) => print!("{}", d.render()),
    }
}
