//! Puts deployment-protocol messages (UCM-style transfer calls over SOME/IP, docs/bundle-format.md)
//! under the package they transfer: TransferStart opens the next package, its response names the
//! transfer id, later calls carry that id, and a response follows its request by client + session.

use crate::topology::Topology;
use std::collections::HashMap;

const M_TRANSFER_START: u16 = 0x0001;

/// Where a deploy message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// Package id (unit id).
    pub unit: String,
    /// A request (from the TBOX) rather than a response.
    pub request: bool,
}

/// The deploy-stage placement state.
#[derive(Default)]
pub struct DeployPlacer {
    /// Packages opened so far, in order.
    pub packages: Vec<String>,
    by_transfer: HashMap<[u8; 16], String>,
    /// Open requests: (client, session) → package.
    open: HashMap<(u16, u16), (String, u16)>,
}

impl DeployPlacer {
    /// Places a SOME/IP message of the deployment service; `None` for other services.
    pub fn place(&mut self, topo: &Topology, msg: &[u8]) -> Option<Placed> {
        if msg.len() < 16 {
            return None;
        }
        let method = u16::from_be_bytes([msg[2], msg[3]]);
        let key = (
            u16::from_be_bytes([msg[8], msg[9]]),
            u16::from_be_bytes([msg[10], msg[11]]),
        );
        // REQUEST (0x00) and REQUEST_NO_RETURN (0x01, judged by the rules) are the TBOX's calls;
        // RESPONSE and ERROR (0x80, 0x81) the GW's answers; notifications and acknowledgements
        // are no part of a call (the TP flag 0x20 aside).
        let response = match msg[14] & !0x20 {
            0x00 | 0x01 => false,
            0x80 | 0x81 => true,
            _ => return None,
        };
        // Another service's message is not ours, unless it answers an open deploy call (client
        // and session): then it is that call's (unmatched) answer, for the rules to judge.
        if u16::from_be_bytes([msg[0], msg[1]]) != topo.deploy_service()
            && !(response && self.open.contains_key(&key))
        {
            return None;
        }
        if response {
            let (unit, method) = self
                .open
                .remove(&key)
                .or_else(|| self.current().map(|u| (u, 0)))?;
            if method == M_TRANSFER_START {
                if let Some(tid) = transfer_id(msg) {
                    self.by_transfer.insert(tid, unit.clone());
                }
            }
            return Some(Placed {
                unit,
                request: false,
            });
        }
        let unit = if method == M_TRANSFER_START {
            let n = self.packages.len();
            let name = topo
                .package
                .get(n)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| format!("package-{}", n + 1));
            self.packages.push(name.clone());
            name
        } else {
            transfer_id(msg)
                .and_then(|t| self.by_transfer.get(&t).cloned())
                .or_else(|| self.current())
                .unwrap_or_else(|| "package-1".into())
        };
        self.open.insert(key, (unit.clone(), method));
        Some(Placed {
            unit,
            request: true,
        })
    }

    fn current(&self) -> Option<String> {
        self.packages.last().cloned()
    }
}

/// The 16-byte transfer id at offset 16, when the message is long enough to hold one.
fn transfer_id(msg: &[u8]) -> Option<[u8; 16]> {
    msg.get(16..32).map(|b| b.try_into().expect("16 bytes"))
}
