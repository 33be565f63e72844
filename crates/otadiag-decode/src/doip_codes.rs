//! Plain-language texts for the DoIP codes an engineer meets when a diagnostic connection fails
//! (ISO 13400-2 tables, as collected in protocols.md §3.2–§3.5 from Wireshark's packet-doip.c,
//! scapy's doip.py and python-doipclient). Tables are cited by title: their numbers differ between
//! editions (2012/2019); only Table 17 of the 2019 edition is confirmed by a source (ecu-proto-rs).

/// Generic DoIP header NACK code (payload type 0x0000) — ISO 13400-2 table "Generic DoIP header
/// NACK codes" (protocols.md §3.3).
pub fn explain_doip_header_nack(code: u8) -> &'static str {
    match code {
        0x00 => "incorrect pattern format: protocol version and inverse version do not match; the entity closes the socket",
        0x01 => "unknown payload type: the entity does not support this payload type and discards the message",
        0x02 => "message too large: the message exceeds the entity's maximum; discarded",
        0x03 => "out of memory: the entity cannot buffer the message right now; discarded",
        0x04 => "invalid payload length for this payload type; the entity closes the socket",
        _ => "reserved header NACK code",
    }
}

/// Diagnostic message negative acknowledgement code (payload type 0x8003) — ISO 13400-2 table
/// "Diagnostic message negative acknowledge codes" (protocols.md §3.5).
pub fn explain_doip_diag_nack(code: u8) -> &'static str {
    match code {
        0x00 | 0x01 => "reserved diagnostic NACK code",
        0x02 => "invalid source address: the tester's logical address is not the one activated on this socket",
        0x03 => "unknown target address: no ECU with this logical address behind the DoIP entity",
        0x04 => "diagnostic message too large for the target or the gateway's buffers",
        0x05 => "out of memory: the DoIP entity cannot buffer the message right now",
        0x06 => "target unreachable: the gateway could not reach the ECU (bus off, ECU asleep or not powered)",
        0x07 => "unknown network: the target's network is not known to the gateway",
        0x08 => "transport protocol error: forwarding failed on the vehicle network (e.g. ISO-TP failure behind the gateway)",
        _ => "reserved / vehicle-manufacturer-specific diagnostic NACK code",
    }
}

/// Routing activation response code (payload type 0x0006) — ISO 13400-2 table "Routing
/// activation response code values" (protocols.md §3.4).
pub fn explain_doip_routing_activation(code: u8) -> &'static str {
    match code {
        0x00 => "denied: unknown source address; the socket is closed",
        0x01 => "denied: all concurrently supported TCP_DATA sockets are registered and active; the socket is closed",
        0x02 => "denied: the source address differs from the one already activated on this socket; the socket is closed",
        0x03 => "denied: the source address is already registered and active on another socket; the socket is closed",
        0x04 => "denied: missing authentication",
        0x05 => "denied: confirmation rejected; the socket is closed",
        0x06 => "denied: unsupported routing activation type; the socket is closed",
        0x07 => "denied: this activation type requires a TLS socket",
        0x10 => "routing successfully activated",
        0x11 => "routing will be activated; confirmation required",
        0x08..=0x0F => "reserved routing activation response code",
        0xE0..=0xFE => "vehicle-manufacturer-specific routing activation response code",
        _ => "reserved routing activation response code",
    }
}

/// Name of a DoIP payload type — ISO 13400-2:2019 Table 17 ("Overview of DoIP payload types").
pub fn explain_doip_payload_type(pt: u16) -> &'static str {
    match pt {
        0x0000 => "generic DoIP header negative acknowledge",
        0x0001 => "vehicle identification request",
        0x0002 => "vehicle identification request with EID",
        0x0003 => "vehicle identification request with VIN",
        0x0004 => "vehicle announcement / identification response",
        0x0005 => "routing activation request",
        0x0006 => "routing activation response",
        0x0007 => "alive check request",
        0x0008 => "alive check response",
        0x4001 => "DoIP entity status request",
        0x4002 => "DoIP entity status response",
        0x4003 => "diagnostic power mode information request",
        0x4004 => "diagnostic power mode information response",
        0x8001 => "diagnostic message",
        0x8002 => "diagnostic message positive acknowledge",
        0x8003 => "diagnostic message negative acknowledge",
        _ => "reserved / vehicle-manufacturer-specific payload type",
    }
}

/// Whether `pt` is a payload type ISO 13400-2 defines (used when resyncing a stream).
pub(crate) fn known_payload_type(pt: u16) -> bool {
    matches!(pt, 0x0000..=0x0008 | 0x4001..=0x4004 | 0x8001..=0x8003)
}
