#![no_main]
//! End to end: capture bytes → `detect::from_reader` → every frame → `Decoder` (default
//! configuration) → `finish`. Mutates whole captures (pcap/pcapng DoIP and SOME/IP, candump
//! ISO-TP …), which reaches decoder states the structured targets build only slowly.

use libfuzzer_sys::fuzz_target;
use otadiag_capture::detect;
use otadiag_decode::{DecodeConfig, Decoder};
use otadiag_fuzz::{check_frame, dec::CheckSink};

fuzz_target!(|data: &[u8]| {
    let inner: Box<dyn std::io::Read> = Box::new(std::io::Cursor::new(data.to_vec()));
    let Ok(mut r) = detect::from_reader("fuzz.capture".into(), inner) else {
        return;
    };
    let mut dec = Decoder::new(DecodeConfig::default());
    let mut sink = CheckSink::default();
    for _ in 0..200_000 {
        match r.next_frame() {
            Ok(Some(f)) => {
                check_frame(&f);
                dec.push(&f, &mut sink);
            }
            Ok(None) => break,
            Err(e) if e.fatal => break,
            Err(_) => {}
        }
    }
    dec.finish(&mut sink);
    if std::env::var_os("OTADIAG_FUZZ_STATS").is_some() {
        eprintln!("STATS {:?}", dec.stats());
    }
});
