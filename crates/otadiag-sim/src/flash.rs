//! The flash stage: the GW reprograms each ECU over UDS (DoIP or CAN) with the sequence the shipped
//! `rules/uds` flow expects — sessions, seed/key, erase with response-pending runs, RequestDownload
//! with ALFID, TransferData with a wrapping block counter, exit, check routine, reset — plus
//! TesterPresent and unrelated reads in the background, and faults injected on request.

use crate::fault::FaultKind;
use crate::vehicle::{Ctx, EcuSpec, Injected};

const MEM_ADDR: u32 = 0x0800_0000;

#[derive(Clone, Copy, PartialEq, Debug)]
enum St {
    Extended,
    Pre,
    DtcOff,
    CommOff,
    Programming,
    Seed,
    Key,
    Fingerprint,
    Erase,
    Download,
    Transfer(u32),
    Exit,
    Check,
    Deps,
    Reset,
}

/// One planned exchange: request bytes, its length, where it goes, and the responses.
struct Plan {
    req: Vec<u8>,
    len: u32,
    src: u32,
    dst: u32,
    /// Pending responses before the final one (each delay, ns, after the previous message).
    pendings: Vec<i64>,
    /// The final response and its delay; `None` when none is sent.
    fin: Option<(i64, Vec<u8>)>,
    /// Sender of the responses.
    rsp_src: u32,
    /// Whether an answer is expected (false for suppressPosRsp requests).
    answered: bool,
}

/// The GW side of the flash stage for one ECU.
pub struct Flasher<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    ecu: &'c EcuSpec,
    /// The GW recorder's clock: when the next request goes out.
    pub clock: i64,
    size: u32,
    mnbl: u32,
    seed: [u8; 4],
    /// Set by `inject` for faults whose cause depends on the injection.
    cause: Option<&'static str>,
    /// Set by `inject` for transport faults: what the capture of the faulty request shows.
    mark: Option<crate::capture::Mark>,
}

impl<'c, 'a> Flasher<'c, 'a> {
    /// Prepares flashing `ecu` with an image of `size` bytes, starting at `clock` (GW clock).
    pub fn new(ctx: &'c mut Ctx<'a>, ecu: &'c EcuSpec, size: u32, clock: i64) -> Self {
        let s = ctx.rng.bytes(4);
        Flasher {
            ctx,
            ecu,
            clock,
            size,
            mnbl: ecu.max_block,
            seed: [s[0], s[1], s[2], s[3]],
            cause: None,
            mark: None,
        }
    }

    fn blocks(&self) -> u32 {
        self.size.div_ceil(self.mnbl - 2).max(1)
    }

    fn pendings(&mut self, range: [u32; 2]) -> Vec<i64> {
        let n = self.ctx.rng.range(range[0] as i64, range[1] as i64);
        let t = self.ctx.sc.timing.clone();
        (0..n)
            .map(|i| {
                if i == 0 {
                    self.ctx.ms(t.first_pending_ms)
                } else {
                    self.ctx.ms(t.pending_ms)
                }
            })
            .collect()
    }

    fn plan(&mut self, st: St) -> Plan {
        let e = self.ecu;
        let mem: Vec<u8> = [MEM_ADDR.to_be_bytes(), self.size.to_be_bytes()].concat();
        let key: Vec<u8> = self.seed.iter().rev().map(|b| b ^ 0x5A).collect();
        let t = self.ctx.sc.timing.clone();
        let (req, fin, pend): (Vec<u8>, Option<Vec<u8>>, [u32; 2]) = match st {
            St::Extended => (
                vec![0x10, 0x03],
                Some(vec![0x50, 0x03, 0x00, 0x32, 0x01, 0xF4]),
                [0, 0],
            ),
            St::Pre => (
                vec![0x31, 0x01, 0x02, 0x03],
                Some(vec![0x71, 0x01, 0x02, 0x03, 0x00]),
                [0, 0],
            ),
            St::DtcOff => (vec![0x85, 0x82], None, [0, 0]),
            St::CommOff => (vec![0x28, 0x83, 0x01], None, [0, 0]),
            St::Programming => (
                vec![0x10, 0x02],
                Some(vec![0x50, 0x02, 0x00, 0x32, 0x01, 0xF4]),
                t.programming_pendings,
            ),
            St::Seed => (
                vec![0x27, 0x11],
                Some([&[0x67, 0x11][..], &self.seed].concat()),
                [0, 0],
            ),
            St::Key => (
                [&[0x27, 0x12][..], &key].concat(),
                Some(vec![0x67, 0x12]),
                [0, 0],
            ),
            St::Fingerprint => (
                vec![0x2E, 0xF1, 0x99, 0x26, 0x11, 0x25],
                Some(vec![0x6E, 0xF1, 0x99]),
                [0, 0],
            ),
            St::Erase => (
                [&[0x31, 0x01, 0xFF, 0x00, 0x44][..], &mem].concat(),
                Some(vec![0x71, 0x01, 0xFF, 0x00, 0x00]),
                t.erase_pendings,
            ),
            St::Download => {
                let lfi = if self.mnbl <= 0xFFFF { 2 } else { 4 };
                let mut r = vec![0x74, (lfi as u8) << 4];
                r.extend_from_slice(&self.mnbl.to_be_bytes()[4 - lfi..]);
                ([&[0x34, 0x00, 0x44][..], &mem].concat(), Some(r), [0, 0])
            }
            St::Transfer(k) => {
                let bsc = (k & 0xFF) as u8;
                let n = self.blocks();
                let len = if k < n {
                    self.mnbl
                } else {
                    2 + self.size - (n - 1) * (self.mnbl - 2)
                };
                let p = self.base(vec![0x36, bsc], Some(vec![0x76, bsc]), vec![]);
                return Plan { len, ..p };
            }
            St::Exit => (vec![0x37], Some(vec![0x77]), [0, 0]),
            St::Check => (
                [&[0x31, 0x01, 0x02, 0x02][..], &self.ctx.rng.bytes(4)].concat(),
                Some(vec![0x71, 0x01, 0x02, 0x02, 0x00]),
                t.check_pendings,
            ),
            St::Deps => (
                vec![0x31, 0x01, 0xFF, 0x01],
                Some(vec![0x71, 0x01, 0xFF, 0x01, 0x00]),
                [0, 0],
            ),
            St::Reset => (vec![0x11, 0x01], Some(vec![0x51, 0x01]), [0, 0]),
        };
        let pendings = self.pendings(pend);
        let mut p = self.base(req, fin, pendings);
        if matches!(st, St::DtcOff | St::CommOff) {
            p.dst = e.functional;
        }
        p
    }

    fn base(&mut self, req: Vec<u8>, fin: Option<Vec<u8>>, pendings: Vec<i64>) -> Plan {
        let answered = fin.is_some();
        let delay = if pendings.is_empty() {
            self.ctx.response()
        } else {
            self.ctx.ms(self.ctx.sc.timing.pending_ms)
        };
        Plan {
            len: req.len() as u32,
            req,
            src: self.ecu.tester,
            dst: self.ecu.address,
            pendings,
            fin: fin.map(|f| (delay, f)),
            rsp_src: self.ecu.address,
            answered,
        }
    }

    /// Flashes the ECU with an optional fault; the GW stops after the faulty exchange.
    pub fn run(&mut self, fault: Option<FaultKind>) -> Injected {
        let n = self.blocks();
        let mut steps = vec![
            St::Extended,
            St::Pre,
            St::DtcOff,
            St::CommOff,
            St::Programming,
            St::Seed,
            St::Key,
            St::Fingerprint,
            St::Erase,
            St::Download,
        ];
        steps.extend((1..=n).map(St::Transfer));
        steps.extend([St::Exit, St::Check, St::Deps, St::Reset]);
        let rng = &mut self.ctx.rng;
        let variant = rng.range(0, 3);
        let idx = |s: St| steps.iter().position(|x| *x == s).unwrap_or(0);
        let answered: Vec<usize> = (0..steps.len())
            .filter(|&i| !matches!(steps[i], St::DtcOff | St::CommOff))
            .collect();
        let any = *rng.pick(&answered).expect("non-empty");
        let block = idx(St::Transfer(rng.range(1, n as i64) as u32));
        let pick = |rng: &mut crate::rng::Rng, of: &[St]| idx(*rng.pick(of).expect("non-empty"));
        let target = match fault {
            None => usize::MAX,
            Some(FaultKind::RequestNotSent) => rng.index(steps.len() - 1),
            Some(FaultKind::RequestFormatIllegal) => pick(
                rng,
                &[
                    St::Extended,
                    St::Programming,
                    St::Reset,
                    St::Pre,
                    St::Erase,
                    St::Check,
                    St::Deps,
                    St::Download,
                    St::Seed,
                ],
            ),
            Some(FaultKind::RequestLengthIllegal) if variant < 2 => block,
            Some(FaultKind::RequestLengthIllegal) => {
                pick(rng, &[St::Download, St::Extended, St::Reset, St::Key])
            }
            Some(FaultKind::RequestFlowIllegal) => match variant {
                0 => idx(St::Seed),
                1 => idx(St::Download),
                _ => block,
            },
            Some(FaultKind::ResponseTimeoutPending) => {
                pick(rng, &[St::Erase, St::Check, St::Programming])
            }
            Some(FaultKind::RetryRecovered) => block,
            Some(FaultKind::IsotpSequenceError) => {
                pick(rng, &[St::Erase, St::Download, St::Transfer(1)])
            }
            Some(FaultKind::ResponseUnmatched) if variant == 0 => block,
            Some(_) => any,
        };
        let mut out = Injected::default();
        for (i, st) in steps.clone().into_iter().enumerate() {
            if st != St::Extended {
                self.background();
            }
            let mut p = self.plan(st);
            let mut stop = false;
            let mut retry = false;
            if i == target {
                let k = fault.expect("target implies a fault");
                stop = true;
                out.detail = self.inject(k, st, variant, &mut p, &mut retry);
                if retry {
                    stop = false;
                }
            }
            let global = self.ctx.tape.bundle.records.len();
            let (pos, ts) = self.send(&p);
            if i == target {
                out.cause = self.cause;
                out.mark = self.mark.map(|m| (global, m));
                out.failed = fault.is_some_and(|k| k.cause().is_some());
                if fault == Some(FaultKind::IsotpSequenceError) {
                    // The request never reached the ECU: no record in a recording of the wire,
                    // but its time places the transport finding.
                    out.ts = Some(ts);
                    out.no_record = true;
                } else if fault != Some(FaultKind::RequestNotSent) {
                    out.record = Some(pos);
                    out.ts = Some(ts);
                    if p.req.first() == Some(&0x36) {
                        out.block = p.req.get(1).map(|b| *b as i64);
                    }
                } else {
                    out.no_record = true;
                }
            }
            if stop {
                return out;
            }
            if retry {
                let again = self.plan(st);
                self.send(&again);
            }
            let tp = self.ctx.sc.timing.tester_present_blocks;
            if st == St::Erase || matches!(st, St::Transfer(k) if tp > 0 && k % tp == 0 && k < n) {
                self.tester_present();
            }
        }
        out
    }
}

mod inject;
mod wire;
