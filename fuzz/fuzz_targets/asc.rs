#![no_main]
//! Arbitrary bytes → `otadiag_capture::asc::Reader`, drained to the end (past non-fatal errors).

use libfuzzer_sys::fuzz_target;
use otadiag_capture::asc;
use otadiag_fuzz::{call_budget, drain};

fuzz_target!(|data: &[u8]| {
    // The sniffer must not panic on any head either.
    let _ = asc::sniff(data);
    let mut r = asc::Reader::new("fuzz.asc", data);
    drain(&mut r, Some(call_budget(data.len())), 0);
});
