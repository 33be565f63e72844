//! tshark as the reference: it extracts the UDS service ids from the same traffic
//! (`tshark -r F -Y uds -T fields -e uds.sid`). tshark reads neither candump nor ASC, so CAN
//! captures are first converted (untimed) to a pcap with LINKTYPE_CAN_SOCKETCAN by our own
//! reader and writer, and ISO-TP is switched on for the CAN ids.

use crate::run::{timed, Out, Timed};
use otadiag_capture::{detect, pcap, FrameRef};
use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};

/// tshark options that make it run ISO-TP, and UDS on top, over the CAN ids of a SocketCAN
/// capture: Wireshark 4.0 binds ISO 15765 to CAN ids only by preference (a decimal range; here
/// 0x600–0x7FF, the ids otadiag's decoder takes as ISO-TP by default) and hands its payload to
/// UDS only by "decode as" of the `iso15765.subdissector` table (which has no selector value).
pub const CAN_OPTS: &[&str] = &[
    "-o",
    "iso15765.can.ids:1536-2047",
    "-d",
    "iso15765.subdissector,uds",
];

/// tshark on PATH, if installed.
pub fn find() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("tshark"))
        .find(|p| p.exists())
}

/// The link type of a classic pcap file, `None` for anything else.
fn pcap_link_type(f: &Path) -> Option<u32> {
    let mut h = [0u8; 24];
    File::open(f).ok()?.read_exact(&mut h).ok()?;
    let magic = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    match magic {
        0xA1B2_C3D4 | 0xA1B2_3C4D => Some(u32::from_le_bytes([h[20], h[21], h[22], h[23]])),
        0xD4C3_B2A1 | 0x4D3C_B2A1 => Some(u32::from_be_bytes([h[20], h[21], h[22], h[23]])),
        _ => None,
    }
}

/// Converts any capture `detect` reads to a SocketCAN pcap at `out`; returns the frame count.
pub fn to_pcap_can(input: &Path, out: &Path) -> Result<u64, String> {
    let mut r = detect::open(input).map_err(|e| e.to_string())?;
    let file = File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut w = pcap::Writer::new(
        BufWriter::with_capacity(1 << 20, file),
        pcap::LINKTYPE_CAN_SOCKETCAN,
    )
    .map_err(|e| e.to_string())?;
    let mut n = 0;
    while let Some(f) = r.next_frame().map_err(|e| e.to_string())? {
        if let FrameRef::Can {
            ts,
            id,
            flags,
            data,
            ..
        } = f
        {
            w.write_can(ts.unwrap_or(0), id, flags, data)
                .map_err(|e| e.to_string())?;
            n += 1;
        }
    }
    w.into_inner().map_err(|e| e.to_string())?;
    Ok(n)
}

/// Times tshark extracting the UDS service ids from `f` (converting it first when it is not a
/// pcap). The `lines` of the result are the UDS messages tshark found.
pub fn measure(bin: &Path, f: &Path) -> Result<Timed, String> {
    let name = f.display().to_string();
    let (file, converted, can) = match pcap_link_type(f) {
        Some(pcap::LINKTYPE_CAN_SOCKETCAN) => (f.to_path_buf(), false, true),
        Some(_) => (f.to_path_buf(), false, false),
        None => {
            let out = PathBuf::from(format!("{name}.tshark.pcap"));
            let frames = to_pcap_can(f, &out)?;
            eprintln!("  converted to {} ({frames} CAN frames)", out.display());
            (out, true, true)
        }
    };
    let file_s = file.display().to_string();
    let mut args: Vec<&str> = vec!["-r", &file_s];
    if can {
        args.extend_from_slice(CAN_OPTS);
    }
    args.extend_from_slice(&["-Y", "uds", "-T", "fields", "-e", "uds.sid"]);
    eprintln!("  tshark {}", args.join(" "));
    let r = timed(bin, &args, Out::CountLines);
    if converted {
        let _ = std::fs::remove_file(&file);
    }
    r
}
