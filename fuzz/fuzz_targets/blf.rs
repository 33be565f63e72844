#![no_main]
//! Arbitrary bytes → `otadiag_capture::blf::Reader`, drained to the end (past non-fatal errors).

use libfuzzer_sys::fuzz_target;
use otadiag_capture::blf;
use otadiag_fuzz::{call_budget, drain};

fuzz_target!(|data: &[u8]| {
    let _ = blf::sniff(data);
    if let Ok(mut r) = blf::Reader::new("fuzz.blf", data) {
        drain(&mut r, Some(call_budget(data.len())), 0);
    }
});
