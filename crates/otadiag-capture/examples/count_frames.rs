//! Counts the frames of capture files (any format `detect` knows) and prints MB/s, so a reader's
//! throughput can be checked without a benchmark harness:
//! `cargo run --release -p otadiag-capture --example count_frames -- FILE...`

use std::time::Instant;

fn main() {
    let mut status = 0;
    for path in std::env::args().skip(1) {
        let mut reader = match otadiag_capture::detect::open(path.as_ref()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                status = 2;
                continue;
            }
        };
        let start = Instant::now();
        let (mut frames, mut errors) = (0u64, 0u64);
        loop {
            match reader.next_frame() {
                Ok(Some(_)) => frames += 1,
                Ok(None) => break,
                Err(e) => {
                    errors += 1;
                    if errors <= 5 {
                        eprintln!("{e}");
                    }
                }
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let mb = reader.bytes_read() as f64 / 1e6;
        println!(
            "{path}: {frames} frames, {errors} errors, {mb:.1} MB in {secs:.3} s = {:.0} MB/s",
            mb / secs
        );
    }
    std::process::exit(status);
}
