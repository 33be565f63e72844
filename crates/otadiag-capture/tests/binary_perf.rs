//! Throughput of the pcap reader, end to end from a file (ignored by default; run in release):
//! `cargo test --release -p otadiag-capture --test binary_perf -- --ignored --nocapture`.

use std::io::BufWriter;
use std::time::Instant;

use otadiag_capture::pcap::{self, Writer};
use otadiag_capture::{CanFlags, FrameReader, FrameRef};

type W = Writer<BufWriter<std::fs::File>>;

/// Writes about `mb` MB with `make` (which returns the bytes it wrote) to a temp file, reads it
/// back and prints MB/s and frames/s.
fn measure(what: &str, link: u32, mb: u64, mut make: impl FnMut(u64, &mut W) -> u64) {
    let path =
        std::env::temp_dir().join(format!("otadiag-perf-{}-{what}.pcap", std::process::id()));
    let mut w = Writer::new(BufWriter::new(std::fs::File::create(&path).unwrap()), link).unwrap();
    let (mut i, mut written) = (0, 24);
    while written < mb << 20 {
        written += make(i, &mut w);
        i += 1;
    }
    drop(w.into_inner().unwrap());
    let size = std::fs::metadata(&path).unwrap().len();
    let t = Instant::now();
    let mut r = pcap::Reader::new(what, std::fs::File::open(&path).unwrap()).unwrap();
    let (mut n, mut sum) = (0u64, 0u64);
    while let Some(f) = r.next_frame().unwrap() {
        n += 1;
        sum += match f {
            FrameRef::Can { id, data, .. } => u64::from(id) + data.len() as u64,
            FrameRef::Packet { data, .. } => data.len() as u64,
        };
    }
    let s = t.elapsed().as_secs_f64();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(n, i);
    println!(
        "{what}: {} MiB, {n} frames in {s:.3} s = {:.0} MB/s, {:.1} M frames/s (checksum {sum})",
        size >> 20,
        size as f64 / s / 1e6,
        n as f64 / s / 1e6
    );
}

#[test]
#[ignore]
fn pcap_throughput() {
    let pkt: Vec<u8> = (0..1514u32).map(|b| b as u8).collect();
    measure("ethernet", pcap::LINKTYPE_ETHERNET, 512, |i, w| {
        // A mix of DoIP/SOME/IP sized packets: 60..1514 bytes.
        let len = [60, 1514, 120, 1514, 590, 1514, 74, 1400][i as usize % 8];
        w.write_packet(i as i64 * 1000, &pkt[..len]).unwrap();
        16 + len as u64
    });
    measure("socketcan", pcap::LINKTYPE_CAN_SOCKETCAN, 128, |i, w| {
        w.write_can(
            i as i64 * 1000,
            0x700 + (i as u32 & 0xFF),
            CanFlags::default(),
            &pkt[..8],
        )
        .unwrap();
        32
    });
}
