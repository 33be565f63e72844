#![no_main]
//! Arbitrary CAN / CAN FD frame sequences (ids biased to diagnostic ids, timestamps mostly
//! advancing) under an arbitrary `DecodeConfig` → `otadiag_decode::Decoder` (ISO-TP), then
//! `finish`, then the same again to check the decoder can be reused.

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use otadiag_capture::{CanFlags, FrameRef};
use otadiag_decode::Decoder;
use otadiag_fuzz::dec::{Cfg, CheckSink, Clock, Ts};

/// Ids the default filter and typical configurations care about.
const IDS: [u32; 12] = [
    0x7E0,
    0x7E8,
    0x7DF,
    0x600,
    0x7FF,
    0x6F1,
    0x18DA_10F1,
    0x18DA_F110,
    0x18DB_33F1,
    0x18CE_10F1,
    0x18CD_F110,
    0x123,
];

#[derive(Arbitrary, Debug)]
enum Id {
    Known(u8),
    Raw(u32),
}

#[derive(Arbitrary, Debug)]
struct Frame {
    ts: Ts,
    channel: u8,
    id: Id,
    flags: u8,
    data: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    cfg: Cfg,
    frames: Vec<Frame>,
}

fuzz_target!(|inp: Input| {
    let mut dec = Decoder::new(inp.cfg.build());
    let mut sink = CheckSink::default();
    for _round in 0..2 {
        let mut clock = Clock::default();
        for f in &inp.frames {
            let (id, ext) = match f.id {
                Id::Known(i) => {
                    let id = IDS[usize::from(i) % IDS.len()];
                    (id, id > 0x7FF)
                }
                // Readers hand out 11- or 29-bit ids only.
                Id::Raw(r) => (r & 0x1FFF_FFFF, r & 0x8000_0000 != 0),
            };
            let fl = f.flags;
            let flags = CanFlags {
                extended: ext,
                fd: fl & 1 != 0,
                brs: fl & 2 != 0,
                esi: fl & 4 != 0,
                rtr: fl & 8 != 0 && fl & 0x30 == 0x30,
                error: fl & 0x40 != 0 && fl & 0x80 != 0,
                tx: fl & 0x10 != 0,
            };
            let data = &f.data[..f.data.len().min(64)];
            let frame = FrameRef::Can {
                ts: clock.next(f.ts),
                channel: u16::from(f.channel % 4),
                id,
                flags,
                data,
            };
            dec.push(&frame, &mut sink);
        }
        dec.finish(&mut sink);
    }
    if std::env::var_os("OTADIAG_FUZZ_STATS").is_some() {
        // Depth check: `OTADIAG_FUZZ_STATS=1 fuzz/target/…/TARGET corpus/TARGET -runs=0`.
        eprintln!("STATS {:?}", dec.stats());
    }
    std::hint::black_box(dec.stats());
});
