#![no_main]
//! Differential: the same bytes through `detect::from_reader` once from a plain cursor and once
//! from a reader that hands out short reads (1..=n bytes at a time, n from the first input byte).
//! A streaming reader must yield exactly the same frames and errors either way — read sizes are
//! the OS's business (pipes, sockets, gzip), not the file's.

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use otadiag_capture::{detect, FrameReader};

struct Short {
    data: Vec<u8>,
    pos: usize,
    max: usize,
    k: usize,
}

impl Read for Short {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Sizes cycle 1, 2, …, max so every boundary position gets hit.
        self.k = self.k % self.max + 1;
        let n = self.k.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn collect(r: Result<Box<dyn FrameReader>, otadiag_capture::CaptureError>) -> Vec<String> {
    let mut out = Vec::new();
    let mut r = match r {
        Ok(r) => r,
        Err(e) => return vec![format!("open: {e} fatal={}", e.fatal)],
    };
    for _ in 0..20_000 {
        match r.next_frame() {
            Ok(Some(f)) => out.push(format!("{f:?}")),
            Ok(None) => break,
            Err(e) => out.push(format!("{e} fatal={}", e.fatal)),
        }
    }
    out
}

fuzz_target!(|input: &[u8]| {
    let Some((&b, data)) = input.split_first() else {
        return;
    };
    let max = usize::from(b % 32) + 1;
    let whole = collect(detect::from_reader(
        "f".into(),
        Box::new(std::io::Cursor::new(data.to_vec())),
    ));
    let short = collect(detect::from_reader(
        "f".into(),
        Box::new(Short {
            data: data.to_vec(),
            pos: 0,
            max,
            k: 0,
        }),
    ));
    if whole != short {
        let i = whole
            .iter()
            .zip(&short)
            .position(|(a, b)| a != b)
            .unwrap_or(whole.len().min(short.len()));
        panic!(
            "short reads (1..={max}) change the output at item {i}:\n  whole: {:?}\n  short: {:?}",
            whole.get(i),
            short.get(i)
        );
    }
});
