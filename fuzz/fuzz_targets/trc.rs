#![no_main]
//! Arbitrary bytes → `otadiag_capture::trc::Reader`, drained to the end (past non-fatal errors).

use libfuzzer_sys::fuzz_target;
use otadiag_capture::trc;
use otadiag_fuzz::{call_budget, drain};

fuzz_target!(|data: &[u8]| {
    // The sniffer must not panic on any head either.
    let _ = trc::sniff(data);
    let mut r = trc::Reader::new("fuzz.trc", data);
    drain(&mut r, Some(call_budget(data.len())), 0);
});
