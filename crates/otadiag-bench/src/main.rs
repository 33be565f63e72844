//! `otadiag-bench`: writes large synthetic UDS-reflash captures and measures `otadiag analyze` on
//! them beside `cat` (the read limit) and tshark (the usual tool), so the capture throughput
//! floors in docs/PERFORMANCE.md can be checked on any machine.
#![forbid(unsafe_code)]

mod can;
mod doip;
mod run;
mod script;
mod text;
mod tshark;

use clap::{Parser, Subcommand, ValueEnum};
use std::fs::File;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "otadiag-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

/// Capture formats `gen` writes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Debug)]
pub enum Format {
    /// candump `-l` log (`(sec.usec) can0 7E0#…`), ISO-TP on 0x7E0+e / 0x7E8+e.
    Candump,
    /// Vector ASC (`base hex timestamps absolute`), the same CAN frames.
    Asc,
    /// pcap, Ethernet/IPv4/TCP DoIP from tester 0x0E80 to ECUs 0x1A01+e.
    Pcap,
    /// pcap, LINKTYPE_CAN_SOCKETCAN: the candump frames in a form tshark reads.
    PcapCan,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write a synthetic capture of a healthy multi-ECU UDS reflash (4090-byte TransferData
    /// blocks), streamed in constant memory until it reaches the size.
    Gen {
        /// Capture format.
        #[arg(long, value_enum)]
        format: Format,
        /// Size to reach: bytes, or with a suffix (k, M, G = KiB, MiB, GiB; KB, MB, GB = 10^3…).
        #[arg(long, value_parser = parse_size)]
        size: u64,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
        /// Seed of the firmware bytes and the timing jitter.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// ECUs flashed one after the other (CAN: at most 8, ids 0x7E0–0x7E7).
        #[arg(long, default_value_t = 4)]
        ecus: usize,
    },
    /// Time `cat`, `otadiag analyze` and tshark on capture files and print a table.
    Run(run::Args),
}

/// Parses `1GiB`, `200MB`, `5M`, `4096`.
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("not a size: {s:?}"))?;
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => return Err(format!("unknown size unit {unit:?} (k, M, G, KiB, MB, …)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size {s} too large"))
}

fn gen(format: Format, size: u64, output: &PathBuf, seed: u64, ecus: usize) -> Result<(), String> {
    let max = if format == Format::Pcap { 255 } else { 8 };
    if ecus == 0 || ecus > max {
        return Err(format!("--ecus must be 1..={max} for {format:?}"));
    }
    let file = File::create(output).map_err(|e| format!("{}: {e}", output.display()))?;
    let start = Instant::now();
    let mut wire: Box<dyn script::Wire> = match format {
        Format::Candump => Box::new(can::IsoTp::new(
            can::Candump(text::TextOut::new(file)),
            seed,
        )),
        Format::Asc => Box::new(can::IsoTp::new(
            can::Asc::new(text::TextOut::new(file)).map_err(|e| e.to_string())?,
            seed,
        )),
        Format::PcapCan => Box::new(can::IsoTp::new(
            can::PcapCan::new(file).map_err(|e| e.to_string())?,
            seed,
        )),
        Format::Pcap => Box::new(doip::DoIp::new(file, seed).map_err(|e| e.to_string())?),
    };
    let st = script::generate(wire.as_mut(), size, ecus, seed)
        .map_err(|e| format!("{}: {e}", output.display()))?;
    let secs = start.elapsed().as_secs_f64();
    let bytes = wire.written();
    println!(
        "wrote {}: {bytes} bytes, {} {}, {} UDS messages ({} requests), {} ECUs, {} downloads, \
         {} TransferData blocks, {} firmware bytes, {:.1} s of traffic; in {secs:.1} s ({:.0} MB/s)",
        output.display(),
        wire.frames(),
        if format == Format::Pcap {
            "packets"
        } else {
            "CAN frames"
        },
        st.messages,
        st.requests,
        st.ecus,
        st.downloads,
        st.blocks,
        st.firmware,
        (st.end_ts - script::BASE_NS) as f64 / 1e9,
        bytes as f64 / 1e6 / secs,
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Gen {
            format,
            size,
            output,
            seed,
            ecus,
        } => gen(format, size, &output, seed, ecus),
        Cmd::Run(args) => run::run(&args),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("200MB"), Ok(200_000_000));
        assert_eq!(parse_size("5M"), Ok(5 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("5 parsecs").is_err());
    }
}
