//! The topology file: which addresses, CAN ids and IP endpoints belong to which ECU, package or
//! role, so the recorder can put every message under its unit. Without one, defaults apply.

use otadiag_model::read::parse_address_str;
use serde::Deserialize;
use std::path::Path;

/// Names the units of one vehicle (TOML, see docs/topology.md).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// Vehicle facts copied into the bundle manifest.
    #[serde(default)]
    pub vehicle: VehicleInfo,
    /// The gateway: its DoIP tester address and its IP address (server of the deploy stage).
    #[serde(default)]
    pub gw: Node,
    /// The telematics box: its IP address (client of the deploy stage).
    #[serde(default)]
    pub tbox: Node,
    /// ECUs flashed by the gateway.
    #[serde(default)]
    pub ecu: Vec<Ecu>,
    /// Packages deployed by the TBOX, in transfer order.
    #[serde(default)]
    pub package: Vec<Package>,
    /// Functionally addressed targets (DoIP functional logical addresses, functional CAN ids).
    #[serde(default)]
    pub functional: Vec<Addr>,
    /// CAN ids that use ISO-TP extended addressing (first data byte = target address), e.g.
    /// GMLAN's functional 0x101.
    #[serde(default)]
    pub extended_addressing: Vec<Addr>,
    /// SOME/IP service id of the deployment protocol (default 0x5C00, as `rules/deploy`).
    #[serde(default)]
    pub deploy_service: Option<u16>,
}

/// Manifest facts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VehicleInfo {
    /// VIN (else taken from DoIP vehicle announcements, else empty).
    #[serde(default)]
    pub vin: String,
    /// Campaign id.
    #[serde(default)]
    pub campaign: String,
    /// Task id.
    #[serde(default)]
    pub task: String,
}

/// A role's addresses.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// DoIP logical address (the GW's tester address).
    pub doip: Option<Addr>,
    /// IPv4 address.
    pub ip: Option<Addr>,
}

/// One ECU.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ecu {
    /// ECU name: the flash-stage unit id.
    pub name: String,
    /// DoIP logical address.
    pub doip: Option<Addr>,
    /// CAN ids: `[request id, response id]`.
    pub can: Option<[Addr; 2]>,
    /// Package this ECU receives (task table).
    #[serde(default)]
    pub package: Option<String>,
    /// Software version being installed (task table).
    #[serde(default)]
    pub version: Option<String>,
}

/// One package of the deploy stage.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// Package id: the deploy-stage unit id.
    pub name: String,
}

/// An address written as an integer (`0x1A01`) or a string (`"0x1A01"`, `"10.0.0.1"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "toml::Value")]
pub struct Addr(pub u32);

impl TryFrom<toml::Value> for Addr {
    type Error = String;
    fn try_from(v: toml::Value) -> Result<Self, String> {
        match v {
            toml::Value::Integer(i) => u32::try_from(i)
                .map(Addr)
                .map_err(|_| format!("address {i} does not fit 32 bits")),
            toml::Value::String(s) => parse_address_str(&s).map(Addr),
            other => Err(format!(
                "expected an address (integer, \"0x…\" or \"a.b.c.d\"), found {}",
                other.type_str()
            )),
        }
    }
}

/// A topology file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TopologyError {
    /// The file.
    pub path: String,
    /// What was wrong, with line and column from the TOML parser.
    pub message: String,
}

impl Topology {
    /// Reads and parses a topology file.
    pub fn load(path: &Path) -> Result<Topology, TopologyError> {
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| TopologyError {
            path: label.clone(),
            message: format!("cannot read: {e}"),
        })?;
        Topology::parse(&label, &text)
    }

    /// Parses topology text; errors name the line and column.
    pub fn parse(label: &str, text: &str) -> Result<Topology, TopologyError> {
        toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start].matches('\n').count() + 1;
                    let col = s.start - text[..s.start].rfind('\n').map_or(0, |p| p + 1) + 1;
                    format!("line {line}, column {col}: ")
                })
                .unwrap_or_default();
            TopologyError {
                path: label.to_string(),
                message: format!("{at}{}", e.message()),
            }
        })
    }

    /// Whether nothing is named (no file given, or an empty one): the defaults apply throughout.
    pub fn is_empty(&self) -> bool {
        self.ecu.is_empty()
            && self.package.is_empty()
            && self.functional.is_empty()
            && self.extended_addressing.is_empty()
            && self.gw.doip.is_none()
            && self.gw.ip.is_none()
            && self.tbox.ip.is_none()
            && self.deploy_service.is_none()
    }

    /// The ECU with this DoIP logical address.
    pub fn ecu_by_doip(&self, a: u32) -> Option<&Ecu> {
        self.ecu.iter().find(|e| e.doip.map(|d| d.0) == Some(a))
    }

    /// The ECU whose CAN request id (`req == true`) or response id is `id`.
    pub fn ecu_by_can(&self, id: u32, req: bool) -> Option<&Ecu> {
        self.ecu
            .iter()
            .find(|e| e.can.is_some_and(|c| c[usize::from(!req)].0 == id))
    }

    /// Whether `a` is a functional target (explicit list, else the usual ones: DoIP 0xE400–0xE4FF,
    /// CAN 0x7DF and 29-bit 0x18DB33F1).
    pub fn is_functional(&self, a: u32, can: bool) -> bool {
        if !self.functional.is_empty() {
            return self.functional.iter().any(|f| f.0 == a);
        }
        if can {
            a == 0x7DF || a & 0xFFFF_00FF == 0x18DB_00F1
        } else {
            (0xE400..=0xE4FF).contains(&a)
        }
    }

    /// Whether a DoIP logical address is the GW's tester (explicit, else ISO 13400-2's external
    /// test equipment range 0x0E00–0x0FFF).
    pub fn is_tester(&self, a: u32) -> bool {
        match self.gw.doip {
            Some(d) => d.0 == a,
            None => (0x0E00..=0x0FFF).contains(&a),
        }
    }

    /// The deployment protocol's SOME/IP service id.
    pub fn deploy_service(&self) -> u16 {
        self.deploy_service.unwrap_or(0x5C00)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let doc = include_str!("../../../docs/recorder.md");
        let start = doc.find("```toml\n").expect("example in docs/recorder.md") + 8;
        let end = start + doc[start..].find("```").expect("closing fence");
        let t = Topology::parse("docs/recorder.md", &doc[start..end]).expect("parses");
        assert_eq!(t.deploy_service(), 0x5C00);
        assert_eq!(t.ecu_by_doip(0x1A01).map(|e| e.name.as_str()), Some("BCM"));
        assert_eq!(
            t.ecu_by_can(0x7E8, false).map(|e| e.name.as_str()),
            Some("BCM")
        );
        assert!(t.is_tester(0x0E80) && !t.is_tester(0x0E81));
        assert!(t.is_functional(0xE400, false) && !t.is_functional(0xE401, false));
        assert_eq!(t.package[0].name, "bcm-app");
    }

    #[test]
    fn an_unknown_key_names_its_line_and_column() {
        let e = Topology::parse("car.toml", "[[ecu]]\nname = \"A\"\ncan_id = 1\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("car.toml: line 3, column 1: unknown field `can_id`"),
            "{e}"
        );
    }
}
