#![no_main]
//! Arbitrary bytes → `otadiag_capture::pcap::Reader`, drained to the end (past non-fatal errors).

use libfuzzer_sys::fuzz_target;
use otadiag_capture::pcap;
use otadiag_fuzz::{call_budget, drain};

fuzz_target!(|data: &[u8]| {
    let _ = pcap::sniff(data);
    if let Ok(mut r) = pcap::Reader::new("fuzz.pcap", data) {
        drain(&mut r, Some(call_budget(data.len())), 0);
    }
});
