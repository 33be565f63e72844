//! Puts one planned flash exchange on the GW's tape: the request (stamped after its ISO-TP
//! transfer on CAN), the pending responses and the final one, TesterPresent while the GW waits,
//! and the background reads and TesterPresents between steps.

use super::{Flasher, Plan};
use crate::recorder::Msg;
use crate::scenario::Transport;
use otadiag_model::{Dir, Stage};

/// A gap after which the GW sends a TesterPresent while waiting (when asked to).
const TP_WAIT_NS: i64 = 2_000_000_000;

impl Flasher<'_, '_> {
    fn record(&mut self, dir: Dir, ts: i64, src: u32, dst: u32, data: &[u8], len: u32) -> usize {
        let e = self.ecu;
        let m = Msg {
            stage: Stage::Flash,
            unit: &e.name,
            transport: e.transport.as_str(),
            dir,
            ts,
            src,
            dst,
            data,
            len,
        };
        self.ctx.tape.push("gw", m)
    }

    /// Waits `d` ns after `t` for the next response; a long wait gets a functional TesterPresent
    /// halfway when `background.tester_present_while_waiting` is set.
    fn wait(&mut self, t: i64, d: i64, p: &Plan) -> i64 {
        if self.ctx.sc.background.tester_present_while_waiting && d > TP_WAIT_NS {
            let f = self.ecu.functional;
            self.record(Dir::Request, t + d / 2, p.src, f, &[0x3E, 0x80], 2);
        }
        t + d
    }

    /// Sends one planned exchange; returns the request's position in the unit and its timestamp.
    pub(super) fn send(&mut self, p: &Plan) -> (usize, i64) {
        // On CAN the record is stamped when ISO-TP delivered the last frame; the frames before it
        // take time on the bus (the capture writer lays them out backwards from this stamp).
        let ts = match self.ecu.transport {
            Transport::Can => self.clock + crate::capture::candump::duration(p.len),
            Transport::Doip => self.clock,
        };
        let pos = self.record(Dir::Request, ts, p.src, p.dst, &p.req, p.len);
        let mut t = ts;
        let sid = p.req.first().copied().unwrap_or(0);
        for &d in &p.pendings {
            t = self.wait(t, d, p);
            self.record(Dir::Response, t, p.rsp_src, p.src, &[0x7F, sid, 0x78], 3);
        }
        let timing = &self.ctx.sc.timing;
        match &p.fin {
            Some((d, data)) => {
                t = self.wait(t, *d, p);
                self.record(Dir::Response, t, p.rsp_src, p.src, data, data.len() as u32);
            }
            None if p.answered => {
                let limit = if p.pendings.is_empty() {
                    timing.p2_ms
                } else {
                    timing.p2_star_ms
                };
                t += ((limit + 20.0) * 1e6) as i64;
                self.ctx.tape.keep_until("gw", t + 1_000_000);
            }
            None => {}
        }
        self.clock = t + self.ctx.gap();
        (pos, ts)
    }

    /// Maybe an unrelated read between two steps (`background.reads`).
    pub(super) fn background(&mut self) {
        if !self.ctx.rng.chance(self.ctx.sc.background.reads) {
            return;
        }
        let (req, rsp): (Vec<u8>, Vec<u8>) = match self.ctx.rng.index(3) {
            0 => (
                vec![0x22, 0xF1, 0x90],
                [&[0x62, 0xF1, 0x90][..], b"LSVSIM00000000000"].concat(),
            ),
            1 => (
                vec![0x22, 0xF1, 0x95],
                vec![0x62, 0xF1, 0x95, 0x01, 0x02, 0x03, 0x04],
            ),
            _ => (
                vec![0x19, 0x02, 0xFF],
                vec![0x59, 0x02, 0xFF, 0x00, 0x12, 0x34, 0x09],
            ),
        };
        let p = self.base(req, Some(rsp), vec![]);
        self.send(&p);
    }

    /// The periodic TesterPresent (suppressPosRsp), physical or functional.
    pub(super) fn tester_present(&mut self) {
        let mut p = self.base(vec![0x3E, 0x80], None, vec![]);
        if self.ctx.sc.background.functional_tester_present {
            p.dst = self.ecu.functional;
        }
        self.send(&p);
    }
}
