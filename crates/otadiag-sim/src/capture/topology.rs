//! The recorder's topology file for a simulated vehicle (`<vehicle>.topology.toml`, format in
//! docs/recorder.md), so that captures recorded with it name every unit, address and package as
//! the truth file does and the evaluator can compare verdicts from captures with the truth.

use crate::deploy::{GW_IP, TBOX_IP};
use crate::scenario::Transport;
use crate::vehicle::EcuSpec;
use otadiag_model::Manifest;
use std::fmt::Write;

/// The GW's DoIP tester address (every simulated DoIP ECU's tester).
pub const GW_TESTER: u32 = 0x0E80;

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The topology of one vehicle: VIN, campaign and task from its manifest; GW and TBOX addresses;
/// each ECU with its DoIP address or CAN id pair, package and version; the packages in the order
/// the TBOX deploys them.
pub fn topology(ecus: &[EcuSpec], manifest: &Manifest) -> String {
    let mut out =
        String::from("# written by otadiag simulate: the vehicle's units, as in its truth file\n");
    let _ = writeln!(
        out,
        "[vehicle]\nvin = {}\ncampaign = {}\ntask = {}\n",
        quoted(&manifest.vin),
        quoted(&manifest.campaign),
        quoted(&manifest.task)
    );
    let ip = |a: u32| std::net::Ipv4Addr::from(a).to_string();
    let _ = writeln!(
        out,
        "[gw]\ndoip = 0x{GW_TESTER:04X}\nip = \"{}\"\n\n[tbox]\nip = \"{}\"\n",
        ip(GW_IP),
        ip(TBOX_IP)
    );
    for e in ecus {
        let _ = writeln!(out, "[[ecu]]\nname = {}", quoted(&e.name));
        match e.transport {
            Transport::Doip => {
                let _ = writeln!(out, "doip = 0x{:04X}", e.address);
            }
            Transport::Can => {
                let _ = writeln!(out, "can = [0x{:03X}, 0x{:03X}]", e.tester, e.address);
            }
        }
        let _ = writeln!(
            out,
            "package = {}\nversion = {}\n",
            quoted(&e.package),
            quoted(&e.version)
        );
    }
    for e in ecus {
        let _ = writeln!(out, "[[package]]\nname = {}\n", quoted(&e.package));
    }
    out
}
