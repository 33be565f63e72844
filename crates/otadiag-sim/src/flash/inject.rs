//! How each fault kind changes one planned UDS exchange of the flash stage (the request, the
//! pending responses, the final response or its sender), true to ISO 14229-1 where the ECU reacts.

use super::{Flasher, Plan, St};
use crate::fault::FaultKind;

/// Negative response codes seen in real reflash failures (ISO 14229-1 Annex A.1).
const COMMON_NRCS: [u8; 22] = [
    0x10, 0x11, 0x12, 0x13, 0x14, 0x21, 0x22, 0x24, 0x25, 0x26, 0x31, 0x33, 0x35, 0x36, 0x37, 0x70,
    0x71, 0x72, 0x73, 0x7F, 0x92, 0x93,
];

fn neg(sid: u8, nrc: u8) -> Vec<u8> {
    vec![0x7F, sid, nrc]
}

impl Flasher<'_, '_> {
    /// Applies fault `k` to the plan of step `st`; sets `retry` when the GW repeats the request.
    /// Returns a sentence for the truth file.
    pub(super) fn inject(
        &mut self,
        k: FaultKind,
        st: St,
        variant: i64,
        p: &mut Plan,
        retry: &mut bool,
    ) -> String {
        let sid = p.req[0];
        let t = self.ctx.sc.timing.clone();
        let rng = &mut self.ctx.rng;
        let (r8, coin) = (rng.next_u64() as u8, rng.chance(0.5));
        let fin_delay = p.fin.as_ref().map(|f| f.0).unwrap_or(3_000_000);
        let set_fin = |p: &mut Plan, data: Vec<u8>| p.fin = Some((fin_delay, data));
        match k {
            FaultKind::RequestNotSent => "the GW stops after this exchange".into(),
            FaultKind::RequestSenderIllegal => {
                p.src = match self.ecu.transport {
                    crate::scenario::Transport::Doip => 0x0D00 | r8 as u32,
                    crate::scenario::Transport::Can => 0x600 | r8 as u32,
                };
                p.pendings.clear();
                p.fin = None;
                format!(
                    "request sent from 0x{:04X}, not a tester address; no answer",
                    p.src
                )
            }
            FaultKind::RequestFormatIllegal => {
                let (at, v, nrc) = match st {
                    St::Extended | St::Programming => (1, 0x05 + r8 % 0x3B, 0x12),
                    St::Reset => (1, 0x06 + r8 % 0x3A, 0x12),
                    St::Download => (2, [0x00, 0x40, 0x04][r8 as usize % 3], 0x31),
                    St::Seed => (1, 0x43 + r8 % 0x1C, 0x12),
                    _ => (1, 0x04 + r8 % 0x7C, 0x12), // RoutineControl type outside 01..03
                };
                p.req[at] = v;
                p.pendings.clear();
                set_fin(p, neg(sid, nrc));
                format!("request byte {at} set to reserved value 0x{v:02X}")
            }
            FaultKind::RequestLengthIllegal => {
                p.pendings.clear();
                match st {
                    St::Transfer(_) => {
                        p.len = self.mnbl + 1 + r8 as u32 % 64;
                        set_fin(p, neg(sid, 0x13));
                        return format!(
                            "TransferData of {} bytes, above maxNumberOfBlockLength {}",
                            p.len, self.mnbl
                        );
                    }
                    St::Key => p.req.truncate(2),
                    _ => p.req.push(0x00),
                }
                p.len = p.req.len() as u32;
                set_fin(p, neg(sid, 0x13));
                format!("request of {} bytes", p.len)
            }
            FaultKind::RequestFlowIllegal => {
                p.pendings.clear();
                match st {
                    St::Seed => {
                        let key: Vec<u8> = self.seed.iter().rev().map(|b| b ^ 0x5A).collect();
                        p.req = [&[0x27, 0x12][..], &key].concat();
                        p.len = p.req.len() as u32;
                        set_fin(p, neg(0x27, 0x24));
                        "sendKey without requestSeed".into()
                    }
                    St::Download => {
                        p.req = vec![0x36, 0x01];
                        p.len = self.mnbl.min(2 + self.size);
                        set_fin(p, neg(0x36, 0x24));
                        "TransferData without RequestDownload".into()
                    }
                    _ => {
                        let bsc = p.req[1].wrapping_add(1);
                        p.req[1] = bsc;
                        set_fin(p, neg(0x36, 0x73));
                        format!("TransferData block 0x{bsc:02X} sent, one block skipped")
                    }
                }
            }
            FaultKind::ResponseNotSent => {
                if coin {
                    p.pendings.clear();
                }
                p.fin = None;
                format!(
                    "no final response after {} pending responses",
                    p.pendings.len()
                )
            }
            FaultKind::ResponseTimeout => {
                p.pendings.clear();
                let d = ((t.p2_ms + 1.0) * 1e6) as i64 + self.ctx.ms([0.0, 500.0]);
                p.fin = p.fin.take().map(|(_, f)| (d, f));
                format!("answered after {} us, beyond P2", d / 1000)
            }
            FaultKind::ResponseTimeoutPending => {
                if p.pendings.is_empty() {
                    p.pendings.push(self.ctx.ms(t.first_pending_ms));
                }
                let late = ((t.p2_star_ms + 1.0) * 1e6) as i64 + self.ctx.ms([0.0, 2000.0]);
                let j = self.ctx.rng.range(1, p.pendings.len() as i64) as usize;
                if j == p.pendings.len() {
                    p.fin = p.fin.take().map(|(_, f)| (late, f));
                } else {
                    p.pendings[j] = late;
                }
                format!(
                    "gap of {} us after pending response {j}, beyond P2*",
                    late / 1000
                )
            }
            FaultKind::ResponseSenderIllegal => {
                p.rsp_src = self.ecu.address + 1 + r8 as u32 % 6;
                format!("answered from 0x{:04X}", p.rsp_src)
            }
            FaultKind::ResponseFormatIllegal => {
                let data = match (st, coin) {
                    (St::Download, true) => vec![0x74, 0x20, 0x0F],
                    (St::Extended | St::Programming, true) => {
                        let mut f = p.fin.as_ref().map(|f| f.1.clone()).unwrap_or_default();
                        f.push(0x00);
                        f
                    }
                    (St::Reset, true) => vec![0x51, 0x01, 0x00, 0x00],
                    _ if variant % 2 == 0 => vec![0x7F, sid, 0x22, 0x00],
                    _ => vec![0x7F, sid, 0x00],
                };
                let text = format!("malformed response {}", hex(&data));
                set_fin(p, data);
                text
            }
            FaultKind::NegativeResponse => {
                // Mostly codes ECUs really send during a reflash; otherwise any byte but 00 and 78.
                let nrc = match (!(coin && variant == 3), r8) {
                    (true, n) => COMMON_NRCS[n as usize % COMMON_NRCS.len()],
                    (false, 0x00 | 0x78) => 0x72,
                    (false, n) => n,
                };
                set_fin(p, neg(sid, nrc));
                format!("refused with NRC 0x{nrc:02X}")
            }
            FaultKind::ResponseUnmatched => {
                let mut f = p.fin.as_ref().map(|f| f.1.clone()).unwrap_or_default();
                match st {
                    St::Transfer(_) if !coin || variant == 0 => f[1] = f[1].wrapping_sub(1),
                    St::Pre | St::Erase | St::Check | St::Deps if !coin => f[3] ^= 0x01,
                    St::Extended | St::Programming | St::Reset | St::Seed | St::Key if !coin => {
                        f[1] ^= 0x01
                    }
                    // The response id of the next service; 0x27 skips 0x68, which would answer
                    // the still-open (suppressed) CommunicationControl and make the truth ambiguous.
                    _ => f[0] = f[0].wrapping_add(if sid == 0x27 { 2 } else { 1 }),
                }
                let text = format!("answered {} instead", hex(&f));
                set_fin(p, f);
                text
            }
            FaultKind::IsotpSequenceError => {
                let cfs = (p.len.saturating_sub(6)).div_ceil(7).max(1);
                let k = 1 + r8 as u32 % cfs;
                self.mark = Some(crate::capture::Mark::BadSequenceNumber(k));
                p.pendings.clear();
                p.fin = None;
                format!("ISO-TP consecutive frame {k} carries a wrong sequence number; the ECU dropped the request")
            }
            FaultKind::DoipNack => {
                // Invalid source address, message too large, target unreachable. Whatever the
                // code, the request was legal UDS from the GW's tester address within the block
                // length the ECU granted: the server side never answered (docs/simulator.md).
                let code = [0x02, 0x04, 0x06][r8 as usize % 3];
                self.mark = Some(crate::capture::Mark::Nack(code));
                p.pendings.clear();
                p.fin = None;
                format!("the DoIP entity refused the diagnostic message with NACK 0x{code:02X}")
            }
            FaultKind::RetryRecovered => {
                let nrc = if coin { 0x21 } else { 0x72 };
                set_fin(p, neg(sid, nrc));
                *retry = true;
                format!("refused with NRC 0x{nrc:02X}, then retried successfully")
            }
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}
