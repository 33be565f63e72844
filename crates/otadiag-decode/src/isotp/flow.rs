//! Consecutive frames and flow control: the part of ISO-TP reassembly that spans two ids (the
//! sender's CFs, the receiver's FCs), kept apart from single/first-frame handling.

use super::{elapsed, ep, IsoTp, Key, Rx, State};
use crate::isotp_pci;
use crate::types::{EventKind, Message, Out, Transport};

impl IsoTp {
    pub(super) fn consecutive(
        &mut self,
        ts: Option<i64>,
        key: Key,
        sn: u8,
        cf: &[u8],
        out: &mut Out<'_>,
    ) {
        let heuristic = self.heuristic();
        let (n_cr, max_len, padding) = (self.n_cr, self.max_len, self.padding);
        let Some(rx) = self
            .rx
            .get_mut(&key)
            .filter(|rx| rx.state != State::Idle || rx.confirmed)
        else {
            if heuristic {
                return self.bad_pci(
                    ts,
                    key,
                    "consecutive frame on an id not (yet) seen carrying a multi-frame transfer",
                    out,
                );
            }
            let detail = format!("consecutive frame (SN {sn:X}) without a first frame");
            // swallow the rest of this orphan transfer
            self.rx.entry(key).or_insert_with(Rx::new).state = State::Aborted;
            return self.event(out, ts, key, None, EventKind::IsoTpUnexpectedFrame, detail);
        };
        let partner = rx.partner;
        match rx.state {
            State::Aborted => return,
            State::Idle => {
                let detail = format!("consecutive frame (SN {sn:X}) without a first frame");
                rx.state = State::Aborted;
                return self.event(
                    out,
                    ts,
                    key,
                    partner,
                    EventKind::IsoTpUnexpectedFrame,
                    detail,
                );
            }
            State::Receiving => {
                if let Some(e) = elapsed(rx.since, ts).filter(|&e| e > n_cr) {
                    let detail = format!(
                        "consecutive frame came {} ms after the previous frame (N_Cr {} ms); the receiver dropped the message ({}/{} bytes received)",
                        e / 1_000_000,
                        n_cr / 1_000_000,
                        rx.received,
                        rx.total
                    );
                    rx.state = State::Aborted;
                    return self.event(out, ts, key, partner, EventKind::IsoTpTimeoutCr, detail);
                }
            }
            // The flow control may travel on an id outside the filter: accept the CFs.
            State::WaitFc => {}
        }
        if sn != rx.next_sn {
            let detail = format!(
                "consecutive frame with SN {sn:X}, expected {:X} ({}/{} bytes received); the message is dropped",
                rx.next_sn, rx.received, rx.total
            );
            let was_waiting = rx.state == State::WaitFc;
            rx.state = State::Aborted;
            if was_waiting {
                self.unwait(key);
            }
            return self.event(out, ts, key, partner, EventKind::IsoTpSequenceError, detail);
        }
        let was_waiting = rx.state == State::WaitFc;
        rx.state = State::Receiving;
        let remaining = (rx.total - rx.received) as usize;
        let take = cf.len().min(remaining);
        let room = max_len.saturating_sub(rx.buf.len());
        rx.buf.extend_from_slice(&cf[..take.min(room)]);
        rx.received += take as u32;
        rx.next_sn = (sn + 1) & 0x0F;
        rx.since = ts;
        let mut bad_pad = None;
        if rx.received >= rx.total {
            rx.state = State::Idle;
            if let Err(why) = isotp_pci::check_padding(&cf[take..], cf.len() + 1, padding) {
                bad_pad = Some(why);
            }
        } else if rx.bs > 0 {
            rx.in_block += 1;
            if rx.in_block >= rx.bs {
                rx.in_block = 0;
                rx.state = State::WaitFc;
            }
        }
        let (state, total) = (rx.state, rx.total);
        if was_waiting && state != State::WaitFc {
            self.unwait(key);
        } else if !was_waiting && state == State::WaitFc {
            self.set_waiting(key);
        }
        if state == State::Idle {
            if let Some(why) = bad_pad {
                return self.bad_pci(ts, key, why, out);
            }
            let dst = self.dst(key, partner);
            let rx = &self.rx[&key];
            out.message(&Message {
                ts,
                first_ts: rx.first_ts,
                transport: Transport::IsoTp,
                src: ep(key),
                dst,
                doip: None,
                data: &rx.buf,
                len: total,
            });
        }
    }

    pub(super) fn flow_control(
        &mut self,
        ts: Option<i64>,
        key: Key,
        fs: u8,
        bs: u8,
        out: &mut Out<'_>,
    ) {
        let (channel, id) = (key.0, key.1);
        let my_partner = self
            .rx
            .get(&key)
            .and_then(|r| r.partner)
            .or_else(|| self.pairs.get(&id).copied());
        let mut best = None;
        for (i, k) in self.waiting.iter().enumerate().rev() {
            if k.0 != channel || k.1 == id {
                continue;
            }
            let their = self
                .rx
                .get(k)
                .and_then(|r| r.partner)
                .or_else(|| self.pairs.get(&k.1).copied());
            if my_partner == Some(k.1) || their == Some(id) {
                best = Some(i);
                break;
            }
            if best.is_none() {
                best = Some(i);
            }
        }
        let Some(i) = best else {
            out.stats.stray_fc += 1;
            return;
        };
        let target = self.waiting[i];
        self.rx.entry(key).or_insert_with(Rx::new).partner = Some(target.1);
        let Some(rx) = self.rx.get_mut(&target) else {
            return;
        };
        rx.partner = Some(id);
        match fs {
            0 => {
                rx.state = State::Receiving;
                rx.bs = bs;
                rx.in_block = 0;
                rx.since = ts;
                self.waiting.remove(i);
            }
            1 => rx.since = ts,
            _ => {
                let detail = format!(
                    "receiver 0x{id:X} answered the {}-byte first frame with flow status {} (its buffer is too small); the sender aborts",
                    rx.total,
                    isotp_pci::flow_status_name(fs)
                );
                rx.state = State::Aborted;
                self.waiting.remove(i);
                self.event(out, ts, target, Some(id), EventKind::IsoTpOverflow, detail);
            }
        }
    }

    pub(super) fn set_waiting(&mut self, key: Key) {
        self.unwait(key);
        if self.waiting.len() >= 64 {
            self.waiting.remove(0);
        }
        self.waiting.push(key);
    }

    pub(super) fn unwait(&mut self, key: Key) {
        if let Some(i) = self.waiting.iter().position(|k| *k == key) {
            self.waiting.remove(i);
        }
    }
}
