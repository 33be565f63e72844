#![no_main]
//! Arbitrary bytes → `otadiag_capture::detect::from_reader` (sniffing, gzip, every reader),
//! drained past non-fatal errors. gzip may wrap a compressed BLF, so the output is unbounded:
//! the drain stops after a fixed number of calls instead of calling that a hang.

use libfuzzer_sys::fuzz_target;
use otadiag_capture::detect;
use otadiag_fuzz::drain;

fuzz_target!(|data: &[u8]| {
    let inner: Box<dyn std::io::Read> = Box::new(std::io::Cursor::new(data.to_vec()));
    if let Ok(mut r) = detect::from_reader("fuzz.capture".into(), inner) {
        drain(&mut *r, None, 200_000);
    }
});
