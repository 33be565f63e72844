//! The deploy stage: the TBOX transfers each package to the GW with UCM-style calls over SOME/IP
//! (TransferStart, numbered TransferData packets, TransferExit, ProcessSwPackage, then Activate),
//! exactly the layout `rules/deploy` and `docs/bundle-format.md` describe, with faults injected.

use crate::fault::FaultKind;
use crate::recorder::Msg;
use crate::vehicle::{Ctx, Injected};
use otadiag_model::{Dir, Stage};

/// The truth `detail` of a deploy response whose SOME/IP length field runs 8 bytes past its
/// bytes; evaluation from captures recognises the variant by it (`eval::captures`).
pub(crate) const LENGTH_PAST_MESSAGE: &str = "response length field 8 bytes too large";

/// The TBOX's IPv4 address (10.0.0.2).
pub const TBOX_IP: u32 = 0x0A00_0002;
/// The GW's IPv4 address (10.0.0.1).
pub const GW_IP: u32 = 0x0A00_0001;
const CLIENT: u16 = 0x0101;
const SERVICE: u16 = 0x5C00;
const START: u16 = 1;
const DATA: u16 = 2;
const EXIT: u16 = 3;
const PROCESS: u16 = 4;
const ACTIVATE: u16 = 5;

#[derive(Clone, Copy, PartialEq)]
enum Ex {
    Start,
    Data(u32),
    Exit,
    Process,
}

/// The TBOX side of the deploy stage for one vehicle.
pub struct Deployer<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    /// The TBOX recorder's clock: when the next request goes out.
    pub clock: i64,
    session: u16,
}

impl<'c, 'a> Deployer<'c, 'a> {
    /// Starts the TBOX at `clock` (ns, TBOX clock).
    pub fn new(ctx: &'c mut Ctx<'a>, clock: i64) -> Self {
        Deployer {
            ctx,
            clock,
            session: 0,
        }
    }

    /// One call; returns the request's position in the unit and its timestamp.
    fn call(&mut self, unit: &str, q: &Req, r: Option<&Rsp>, limit: i64) -> (usize, i64) {
        self.session = self.session.wrapping_add(1).max(1);
        let ts = self.clock;
        let margin = self.ctx.ms([50.0, 500.0]);
        let mut data = header(
            q.service,
            q.method,
            q.len,
            q.length_delta,
            q.client,
            self.session,
            q.proto,
            q.iface,
            q.msgtype,
            0,
        );
        data.extend_from_slice(&q.args);
        let tape = &mut self.ctx.tape;
        let pos = tape.push(
            "tbox",
            Msg {
                stage: Stage::Deploy,
                unit,
                transport: "someip",
                dir: Dir::Request,
                ts,
                src: q.src,
                dst: GW_IP,
                data: &data,
                len: q.len,
            },
        );
        let end = match r {
            Some(r) => {
                let len = 16 + r.payload.len() as u32;
                let mut d = header(
                    r.service,
                    r.method,
                    len,
                    r.length_delta,
                    q.client,
                    self.session,
                    r.proto,
                    r.iface,
                    r.msgtype,
                    r.rc,
                );
                d.extend_from_slice(&r.payload);
                let t = ts + r.after;
                tape.push(
                    "tbox",
                    Msg {
                        stage: Stage::Deploy,
                        unit,
                        transport: "someip",
                        dir: Dir::Response,
                        ts: t,
                        src: r.src,
                        dst: q.src,
                        data: &d,
                        len,
                    },
                );
                t
            }
            None => {
                let t = ts + limit + margin;
                tape.keep_until("tbox", t);
                t
            }
        };
        self.clock = end + self.ctx.gap();
        (pos, ts)
    }

    /// Transfers one package of `size` bytes (the `pidx`-th of the vehicle) with an optional fault.
    pub fn package(
        &mut self,
        unit: &str,
        pidx: usize,
        size: u64,
        fault: Option<FaultKind>,
    ) -> Injected {
        let block = self.ctx.sc.deploy_block_size as u64;
        let n = size.div_ceil(block).max(1) as u32;
        let mut tid: Vec<u8> = (0x10u8..0x1F).collect();
        tid.push(0x1Fu8.wrapping_add(pidx as u8));
        let mut plan = vec![Ex::Start];
        plan.extend((1..=n).map(Ex::Data));
        plan.extend([Ex::Exit, Ex::Process]);
        let data_idx = |k: u32| k as usize; // plan index of Data(k)
        let rng = &mut self.ctx.rng;
        let any = rng.index(plan.len());
        let some_data = data_idx(rng.range(1, n as i64) as u32);
        let variant = rng.range(0, 3);
        let target = match fault {
            None => usize::MAX,
            Some(FaultKind::RequestNotSent) => rng.index(plan.len() - 1),
            Some(FaultKind::ResponseTimeout) => rng.index(plan.len() - 1),
            Some(FaultKind::ResponseTimeoutPending) => plan.len() - 1,
            Some(FaultKind::RetryRecovered) => some_data,
            Some(FaultKind::RequestFlowIllegal) => match variant {
                0 if n > 1 => data_idx(rng.range(2, n as i64) as u32), // TransferExit too early
                1 => plan.len() - 2, // ProcessSwPackage before TransferExit
                _ => some_data,      // a skipped packet
            },
            Some(FaultKind::RequestLengthIllegal) if variant < 2 => some_data,
            Some(_) => any,
        };
        let mut out = Injected::default();
        let mut i = 0;
        while i < plan.len() {
            let ex = plan[i];
            let (mut q, mut r) = self.default_call(ex, &tid, size, n);
            let mut rsp = Some(r.clone());
            let mut stop = false;
            let mut retry = false;
            let mut packet = match ex {
                Ex::Data(k) => Some(k as i64),
                _ => None,
            };
            if i == target {
                let k = fault.expect("target implies a fault");
                let v = variant;
                let rng = &mut self.ctx.rng;
                let (client, ip, extra, rc_any, other, coin) = (
                    0x0700 + rng.range(0, 0xFF) as u16,
                    0x0A00_0000 + rng.range(3, 250) as u32,
                    rng.range(1, 8192) as u32,
                    rng.range(1, 0x5E) as u8,
                    rng.index(5),
                    rng.chance(0.5),
                );
                let retry_rc = *rng.pick(&[0x04u8, 0x2C, 0x46]).expect("non-empty");
                let late = self.limit(q.method) + self.ctx.ms([5.0, 2000.0]);
                let very_late = self.limit(q.method) + self.ctx.ms([5.0, 5000.0]);
                stop = true;
                let err = |r: &mut Rsp, rc: u8| {
                    r.msgtype = 0x81;
                    r.rc = rc;
                    r.payload.clear();
                };
                out.detail = match k {
                    FaultKind::RequestNotSent => {
                        out.packet = match ex {
                            Ex::Start => Some(1),
                            Ex::Data(k) if k < n => Some(k as i64 + 1),
                            _ => None,
                        };
                        out.no_record = true;
                        "the TBOX stops after this call".into()
                    }
                    FaultKind::RequestSenderIllegal => {
                        err(&mut r, 0x01);
                        if v % 2 == 0 {
                            q.client = client;
                            format!("sent with client id 0x{:04X}", q.client)
                        } else {
                            q.src = ip;
                            "sent from another IPv4 address".into()
                        }
                    }
                    FaultKind::RequestFormatIllegal => match v {
                        0 => {
                            q.proto = 2;
                            err(&mut r, 0x07);
                            "SOME/IP protocol version 0x02".into()
                        }
                        1 => {
                            q.iface = 2;
                            err(&mut r, 0x08);
                            "interface version 0x02".into()
                        }
                        2 => {
                            q.msgtype = 0x01;
                            err(&mut r, 0x0A);
                            "message type REQUEST_NO_RETURN".into()
                        }
                        _ => {
                            q.service = 0x5C01;
                            r.service = 0x5C01;
                            err(&mut r, 0x02);
                            "service id 0x5C01".into()
                        }
                    },
                    FaultKind::RequestLengthIllegal => match (v, ex) {
                        (0 | 1, Ex::Data(_)) => {
                            q.len = 36 + block as u32 + extra;
                            err(&mut r, 0x3E);
                            format!(
                                "packet carries {} bytes, above the block size {block}",
                                block as u32 + extra
                            )
                        }
                        _ => {
                            q.length_delta = 4;
                            err(&mut r, 0x09);
                            "SOME/IP length field 4 bytes too large".into()
                        }
                    },
                    FaultKind::RequestFlowIllegal => match ex {
                        Ex::Data(k) if v == 0 && n > 1 => {
                            let (eq, _) = self.default_call(Ex::Exit, &tid, size, n);
                            q = eq;
                            packet = None;
                            err(&mut r, 0x26);
                            format!("TransferExit after {} of {n} packets", k - 1)
                        }
                        Ex::Exit => {
                            let (pq, _) = self.default_call(Ex::Process, &tid, size, n);
                            q = pq;
                            r.method = PROCESS;
                            err(&mut r, 0x25);
                            "ProcessSwPackage before TransferExit".into()
                        }
                        Ex::Data(k) => {
                            q.args[16..20].copy_from_slice(&(k + 1).to_be_bytes());
                            packet = Some(k as i64 + 1);
                            err(&mut r, 0x22);
                            format!("packet {} sent instead of {k}", k + 1)
                        }
                        _ => unreachable_flow(),
                    },
                    FaultKind::ResponseNotSent
                    | FaultKind::IsotpSequenceError
                    | FaultKind::DoipNack => {
                        rsp = None;
                        "the GW never answers".into()
                    }
                    FaultKind::ResponseTimeout => {
                        r.after = late;
                        "answered after the call timeout".into()
                    }
                    FaultKind::ResponseTimeoutPending => {
                        r.after = very_late;
                        "ProcessSwPackage answered after its long timeout".into()
                    }
                    FaultKind::ResponseSenderIllegal => {
                        r.src = ip;
                        "answered from another IPv4 address".into()
                    }
                    FaultKind::ResponseFormatIllegal => match v {
                        0 => {
                            r.proto = if coin { 0 } else { 2 };
                            format!("response protocol version 0x{:02X}", r.proto)
                        }
                        1 => {
                            r.iface = 2;
                            "response interface version 0x02".into()
                        }
                        2 => {
                            r.msgtype = 0x81;
                            r.rc = 0;
                            "ERROR message with E_OK".into()
                        }
                        _ => {
                            r.length_delta = 8;
                            LENGTH_PAST_MESSAGE.into()
                        }
                    },
                    FaultKind::NegativeResponse => {
                        let rc = rc_any;
                        err(&mut r, rc);
                        if v == 0 {
                            r.msgtype = 0x80;
                        }
                        format!("answered with return code 0x{rc:02X}")
                    }
                    FaultKind::ResponseUnmatched => {
                        if v % 2 == 0 {
                            r.method = [START, DATA, EXIT, PROCESS, ACTIVATE, 6]
                                .into_iter()
                                .filter(|m| *m != q.method)
                                .nth(other)
                                .unwrap_or(6);
                            format!("answered as method 0x{:04X}", r.method)
                        } else {
                            r.service = 0x5C01;
                            "answered for service 0x5C01".into()
                        }
                    }
                    FaultKind::RetryRecovered => {
                        err(&mut r, retry_rc);
                        stop = false;
                        retry = true;
                        format!("refused with 0x{:02X}, then retried successfully", r.rc)
                    }
                };
                if k != FaultKind::ResponseNotSent {
                    rsp = Some(r.clone());
                }
            }
            let limit = self.limit(q.method);
            let (pos, ts) = self.call(unit, &q, rsp.as_ref(), limit);
            if i == target {
                if !out.no_record {
                    out.record = Some(pos);
                    out.ts = Some(ts);
                    out.packet = packet;
                }
                out.failed = fault.is_some_and(|k| k.cause().is_some());
            }
            if stop {
                return out;
            }
            if retry {
                let (q, _) = self.default_call(ex, &tid, size, n);
                let r = self.rsp(q.method, vec![]);
                self.call(unit, &q, Some(&r), limit);
            }
            i += 1;
        }
        out
    }

    /// Activate after every package was processed (recorded under the last package's unit).
    pub fn activate(&mut self, unit: &str) {
        let q = self.req(ACTIVATE, vec![], 16);
        let mut r = self.rsp(ACTIVATE, vec![]);
        r.after = self.ctx.ms(self.ctx.sc.timing.activate_ms);
        let limit = self.limit(ACTIVATE);
        self.call(unit, &q, Some(&r), limit);
    }
}

fn unreachable_flow() -> String {
    // The flow-fault targets are only Data and Exit exchanges (see `package`).
    "out-of-order call".into()
}

mod calls;
use calls::{header, Req, Rsp};
