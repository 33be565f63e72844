//! Tells UDS (ISO 14229-1) from the other diagnostic protocols that share its transports —
//! GMLAN (GM-2000) and KWP2000 (ISO 14230-3) — by the request service ids a unit uses, so a
//! GMLAN programming session is never reported as a failed UDS flash.

use otadiag_model::Bundle;

/// A diagnostic protocol family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// ISO 14229-1.
    Uds,
    /// GM GMLAN diagnostics.
    Gmlan,
    /// ISO 14230-3 KWP2000 (on CAN: ISO 15765-3 era ECUs).
    Kwp2000,
}

impl Dialect {
    /// The transport name its records get.
    pub fn transport(self) -> &'static str {
        match self {
            Dialect::Uds => "can",
            Dialect::Gmlan => "gmlan",
            Dialect::Kwp2000 => "kwp2000",
        }
    }
}

/// Services only GMLAN defines: ReadDataByPacketIdentifier 0xAA, ReportProgrammedState 0xA2,
/// ProgrammingMode 0xA5, ReadDiagnosticInformation 0xA9, DeviceControl 0xAE,
/// ReadDataByIdentifier 0x1A, ReturnToNormalMode 0x20, WriteDataByIdentifier 0x3B.
const GMLAN_ONLY: [u8; 8] = [0xA2, 0xA5, 0xA9, 0xAA, 0xAE, 0x1A, 0x20, 0x3B];
/// GMLAN services that UDS does not have at all (the 0xA_ range is reserved by ISO 14229-1).
const GMLAN_STRONG: [u8; 5] = [0xA2, 0xA5, 0xA9, 0xAA, 0xAE];
/// Services only KWP2000 defines: StartCommunication 0x81, StopCommunication 0x82,
/// ReadDTCByStatus 0x18, ReadStatusOfDTC 0x17, ReadEcuIdentification 0x1A,
/// ReadDataByLocalIdentifier 0x21, WriteDataByLocalIdentifier 0x3B, IOControlByLocalId 0x30,
/// StartRoutineByLocalIdentifier 0x31 is shared, so it is not listed.
const KWP_ONLY: [u8; 8] = [0x81, 0x82, 0x18, 0x17, 0x1A, 0x21, 0x3B, 0x30];
/// Services only UDS defines (ReadDTCInformation 0x19, SecuredDataTransmission 0x84,
/// Authentication 0x29, DynamicallyDefineDataIdentifier 0x2C, RequestFileTransfer 0x38,
/// ControlDTCSetting 0x85, ResponseOnEvent 0x86, LinkControl 0x87).
const UDS_ONLY: [u8; 8] = [0x19, 0x84, 0x29, 0x2C, 0x38, 0x85, 0x86, 0x87];

/// How often a unit sent each request service id.
pub type SidCounts = [u32; 256];

/// The dialect of a unit, from how often it sent each request service id.
pub fn dialect(sids: &SidCounts) -> Dialect {
    let count = |set: &[u8]| {
        set.iter()
            .map(|&s| sids[s as usize] as usize)
            .sum::<usize>()
    };
    let uds = count(&UDS_ONLY);
    if count(&GMLAN_STRONG) > 0 && count(&GMLAN_ONLY) > uds {
        return Dialect::Gmlan;
    }
    if count(&KWP_ONLY) > 0 && uds == 0 {
        return Dialect::Kwp2000;
    }
    Dialect::Uds
}

/// Moves every record of `unit` to transport `name`.
pub fn relabel(b: &mut Bundle, unit: &str, name: &str) {
    let Some(u) = b.unit_names.iter().position(|n| n == unit) else {
        return;
    };
    let t = b.intern_transport(name);
    for r in b.records.iter_mut().filter(|r| r.unit as usize == u) {
        r.transport = t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(sids: &[u8]) -> SidCounts {
        let mut c = [0; 256];
        sids.iter().for_each(|&s| c[s as usize] += 1);
        c
    }

    fn dialect(sids: &[u8]) -> Dialect {
        super::dialect(&counts(sids))
    }

    #[test]
    fn dialects_by_their_own_services() {
        // UDS reflash: 10 27 31 34 36 37 11.
        assert_eq!(
            dialect(&[0x10, 0x27, 0x31, 0x34, 0x36, 0x37, 0x11]),
            Dialect::Uds
        );
        // GMLAN programming: 10 28 A2 A5 27 1A 34 36.
        assert_eq!(
            dialect(&[0x10, 0x28, 0xA2, 0xA5, 0x27, 0x1A, 0x34, 0x36]),
            Dialect::Gmlan
        );
        // KWP2000 on CAN: 10 27 21 1A.
        assert_eq!(dialect(&[0x10, 0x27, 0x21, 0x1A]), Dialect::Kwp2000);
        // A UDS tester that also reads DTCs is UDS even if it probes 0x21 once.
        assert_eq!(dialect(&[0x10, 0x19, 0x19, 0x21]), Dialect::Uds);
    }
}
