//! The shipped rule set (`rules/`) loads without a single diagnostic.

use std::path::Path;

#[test]
fn shipped_rules_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    match otadiag_rules::load_dir(&dir) {
        Ok(set) => {
            assert_eq!(set.protocols.len(), 2);
            assert!(set.checks.len() > 30, "{} checks", set.checks.len());
            assert_eq!(set.flows.len(), 2);
        }
        Err(d) => panic!("{}", d.render()),
    }
}
