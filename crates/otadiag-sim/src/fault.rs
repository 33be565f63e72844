//! The faults the simulator can inject — one per cause of the method, a second flavour of
//! `response_timeout` (after P2* following pending responses) and a retry that hides a first
//! failure — and the `CAUSE[@UNIT][:PROB]` specs that choose where they go.

use crate::rng::Rng;
use otadiag_model::Stage;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The client stops before a request the sequence requires.
    RequestNotSent,
    /// A request comes from an address or client id that may not send it.
    RequestSenderIllegal,
    /// A request carries a header value its protocol does not allow.
    RequestFormatIllegal,
    /// A request is longer or shorter than its service or the granted block allows.
    RequestLengthIllegal,
    /// A request comes out of order (skipped block or packet, skipped step).
    RequestFlowIllegal,
    /// The server never answers a request.
    ResponseNotSent,
    /// The server answers after P2 (flash) or the call timeout (deploy).
    ResponseTimeout,
    /// Flash: a gap after a response-pending NRC exceeds P2*; deploy: a long call (ProcessSwPackage)
    /// is answered after its long timeout.
    ResponseTimeoutPending,
    /// The response comes from another address than the one asked.
    ResponseSenderIllegal,
    /// The response's header or length is not legal for its service.
    ResponseFormatIllegal,
    /// The server refuses the request (any NRC / SOME/IP or UCM error code).
    NegativeResponse,
    /// The response does not belong to its request (echo, service or method mismatch).
    ResponseUnmatched,
    /// A refused TransferData succeeds on retry; the unit ends successful.
    RetryRecovered,
    /// CAN only (else `response_not_sent`): a consecutive frame of a multi-frame request carries
    /// a wrong ISO-TP sequence number, the ECU drops the request and never answers. Visible in the
    /// candump capture only; the GW's bundle shows an unanswered request.
    IsotpSequenceError,
    /// DoIP only (else `response_not_sent`): the DoIP entity refuses a diagnostic message with a
    /// NACK (invalid source address, message too large, target unreachable). Visible in the pcap
    /// capture only; the GW's bundle shows an unanswered request.
    DoipNack,
}

impl FaultKind {
    /// Every kind, in cause order.
    pub const ALL: [FaultKind; 13] = [
        FaultKind::RequestNotSent,
        FaultKind::RequestSenderIllegal,
        FaultKind::RequestFormatIllegal,
        FaultKind::RequestLengthIllegal,
        FaultKind::RequestFlowIllegal,
        FaultKind::ResponseNotSent,
        FaultKind::ResponseTimeout,
        FaultKind::ResponseTimeoutPending,
        FaultKind::ResponseSenderIllegal,
        FaultKind::ResponseFormatIllegal,
        FaultKind::NegativeResponse,
        FaultKind::ResponseUnmatched,
        FaultKind::RetryRecovered,
    ];

    /// The snake-case name used in scenarios, on the command line and in truth files.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::RequestNotSent => "request_not_sent",
            FaultKind::RequestSenderIllegal => "request_sender_illegal",
            FaultKind::RequestFormatIllegal => "request_format_illegal",
            FaultKind::RequestLengthIllegal => "request_length_illegal",
            FaultKind::RequestFlowIllegal => "request_flow_illegal",
            FaultKind::ResponseNotSent => "response_not_sent",
            FaultKind::ResponseTimeout => "response_timeout",
            FaultKind::ResponseTimeoutPending => "response_timeout_pending",
            FaultKind::ResponseSenderIllegal => "response_sender_illegal",
            FaultKind::ResponseFormatIllegal => "response_format_illegal",
            FaultKind::NegativeResponse => "negative_response",
            FaultKind::ResponseUnmatched => "response_unmatched",
            FaultKind::RetryRecovered => "retry_recovered",
            FaultKind::IsotpSequenceError => "isotp_sequence_error",
            FaultKind::DoipNack => "doip_nack",
        }
    }

    /// The transport faults, injected only when asked for by name (not by `any` or `cover`).
    pub const TRANSPORT: [FaultKind; 2] = [FaultKind::IsotpSequenceError, FaultKind::DoipNack];

    /// Parses a kind name.
    pub fn parse(s: &str) -> Option<FaultKind> {
        FaultKind::ALL
            .into_iter()
            .chain(FaultKind::TRANSPORT)
            .find(|k| k.name() == s)
    }

    /// The cause the analyser should name (the shipped cause map); `None` when the unit succeeds.
    pub fn cause(self) -> Option<&'static str> {
        match self {
            FaultKind::ResponseTimeoutPending => Some("response_timeout"),
            FaultKind::RetryRecovered => None,
            // The GW broke ISO-TP framing, so the ECU dropped the request: as far as the ECU
            // (and the recorded messages) can tell, the client never sent it.
            FaultKind::IsotpSequenceError => Some("request_not_sent"),
            // Whatever the NACK code: the entity, not the GW, kept the request from the ECU.
            FaultKind::DoipNack => Some("response_not_sent"),
            k => Some(k.name()),
        }
    }

    /// The parameter type behind the cause.
    pub fn parameter(self) -> Option<&'static str> {
        parameter_of(self.cause()?)
    }

    /// The blamed side: `client` for request faults, `server` for response faults.
    pub fn side(self) -> Option<&'static str> {
        side_of(self.cause()?)
    }
}

/// The parameter type behind a cause of the shipped cause map.
pub fn parameter_of(cause: &str) -> Option<&'static str> {
    Some(match cause {
        "request_not_sent" => "request.sent",
        "request_sender_illegal" => "request.sender",
        "request_format_illegal" => "request.format",
        "request_length_illegal" => "request.length",
        "request_flow_illegal" => "request.flow",
        "response_not_sent" => "response.sent",
        "response_timeout" => "response.time",
        "response_sender_illegal" => "response.sender",
        "response_format_illegal" => "response.format",
        "negative_response" => "response.type",
        "response_unmatched" => "response.match",
        _ => return None,
    })
}

/// The blamed side of a cause: `client` for request causes, `server` for response causes.
pub fn side_of(cause: &str) -> Option<&'static str> {
    parameter_of(cause).map(|p| {
        if p.starts_with("request.") {
            "client"
        } else {
            "server"
        }
    })
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which units a fault spec may hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Any unit of the vehicle.
    Any,
    /// Any unit of one stage (`@deploy`, `@flash`).
    Stage(Stage),
    /// One unit by name: an ECU name (flash) or a package id (deploy).
    Unit(String),
}

/// One injection rule: per vehicle, with probability `prob`, one unit matching `target` that has
/// no fault yet gets `kind` (a random kind when `kind` is `None`, written `any`).
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    /// The fault, or `None` for a random one.
    pub kind: Option<FaultKind>,
    /// Where it may go.
    pub target: Target,
    /// Per-vehicle probability, 0..=1.
    pub prob: f64,
}

impl FaultSpec {
    /// Parses `CAUSE[@UNIT][:PROB]`: CAUSE a fault kind name or `any`; UNIT a unit name, `deploy`,
    /// `flash` or `*`; PROB a number in 0..=1 (default 1).
    pub fn parse(s: &str) -> Result<FaultSpec, String> {
        let (head, prob) = match s.rsplit_once(':') {
            Some((h, p)) => {
                let v: f64 = p
                    .trim()
                    .parse()
                    .map_err(|_| format!("fault `{s}`: probability `{p}` is not a number"))?;
                if !(0.0..=1.0).contains(&v) {
                    return Err(format!("fault `{s}`: probability {v} is outside 0..=1"));
                }
                (h, v)
            }
            None => (s, 1.0),
        };
        let (kind, target) = match head.split_once('@') {
            Some((k, u)) => (k.trim(), Some(u.trim())),
            None => (head.trim(), None),
        };
        let kind = match kind {
            "any" => None,
            k => Some(FaultKind::parse(k).ok_or_else(|| {
                format!(
                    "fault `{s}`: unknown fault `{k}`; expected any or one of {}",
                    names()
                )
            })?),
        };
        let target = match target {
            None | Some("*") => Target::Any,
            Some("") => return Err(format!("fault `{s}`: empty unit after `@`")),
            Some(u) => match Stage::parse(u) {
                Some(st) => Target::Stage(st),
                None => Target::Unit(u.to_string()),
            },
        };
        Ok(FaultSpec { kind, target, prob })
    }

    /// Draws this spec for one vehicle: the chosen unit index and kind, if it fires. `units` lists
    /// (stage, name, already faulted) for every unit of the vehicle.
    pub fn draw(&self, rng: &mut Rng, units: &[(Stage, &str, bool)]) -> Option<(usize, FaultKind)> {
        // Always draw the same number of values so other specs see the same stream.
        let fires = rng.chance(self.prob);
        let any_kind = *rng.pick(&FaultKind::ALL).expect("non-empty");
        let free: Vec<usize> = units
            .iter()
            .enumerate()
            .filter(|(_, (st, name, taken))| {
                !taken
                    && match &self.target {
                        Target::Any => true,
                        Target::Stage(s) => s == st,
                        Target::Unit(u) => u == name,
                    }
            })
            .map(|(i, _)| i)
            .collect();
        let pick = rng.index(free.len());
        if !fires || free.is_empty() {
            return None;
        }
        Some((free[pick], self.kind.unwrap_or(any_kind)))
    }
}

/// All kind names, comma-separated, for error messages and help.
pub fn names() -> String {
    FaultKind::ALL.map(|k| k.name()).join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let f = FaultSpec::parse("negative_response@BCM:0.25").unwrap();
        assert_eq!(f.kind, Some(FaultKind::NegativeResponse));
        assert_eq!(f.target, Target::Unit("BCM".into()));
        assert_eq!(f.prob, 0.25);
        let f = FaultSpec::parse("any@deploy").unwrap();
        assert_eq!(
            (f.kind, f.target, f.prob),
            (None, Target::Stage(Stage::Deploy), 1.0)
        );
        assert!(FaultSpec::parse("nope")
            .unwrap_err()
            .contains("unknown fault `nope`"));
        assert!(FaultSpec::parse("response_timeout:2").is_err());
        assert!(FaultSpec::parse("response_timeout:x").is_err());
    }

    #[test]
    fn causes_and_sides_follow_the_cause_map() {
        assert_eq!(
            FaultKind::ResponseTimeoutPending.cause(),
            Some("response_timeout")
        );
        assert_eq!(FaultKind::RequestFlowIllegal.side(), Some("client"));
        assert_eq!(
            FaultKind::NegativeResponse.parameter(),
            Some("response.type")
        );
        assert_eq!(FaultKind::RetryRecovered.cause(), None);
    }

    #[test]
    fn draw_only_hits_free_matching_units() {
        let mut rng = Rng::for_vehicle(3, 0);
        let units = [
            (Stage::Deploy, "a", false),
            (Stage::Flash, "A", true),
            (Stage::Flash, "B", false),
        ];
        let spec = FaultSpec::parse("response_timeout@flash").unwrap();
        for _ in 0..20 {
            assert_eq!(
                spec.draw(&mut rng, &units),
                Some((2, FaultKind::ResponseTimeout))
            );
        }
        let never = FaultSpec::parse("response_timeout:0").unwrap();
        assert_eq!(never.draw(&mut rng, &units), None);
    }
}
