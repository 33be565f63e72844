//! Puts UDS messages (over DoIP or CAN ISO-TP) under the ECU they belong to: which side sent
//! them, which ECU, and whether a functional request's answers belong to the ECU being flashed.
//!
//! CAN ids come from the topology, then from the usual defaults (0x7E0–0x7E7 ↔ 0x7E8–0x7EF,
//! 29-bit normal fixed addressing 0x18DA<ta><sa>), and otherwise are learnt from the traffic:
//! an id whose message answers the last message on another id (same SID + 0x40, or `7F sid`)
//! makes that pair a tester → ECU pair.

use crate::topology::Topology;
use std::collections::HashMap;

/// How long after a request an answer on an unknown id still teaches the pair, ns.
const LEARN_WINDOW: i64 = 5_000_000_000;
/// How long after a functional request other ECUs' answers belong to it, ns (P2* default).
const FUNCTIONAL_WINDOW: i64 = 5_000_000_000;
/// How many functional requests are kept while no ECU has been addressed yet.
const MAX_HELD: usize = 16;

/// Where a UDS message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// ECU name (unit id).
    pub unit: String,
    /// Sent by the tester (GW).
    pub request: bool,
    /// Source and destination as the bundle records them.
    pub src: u32,
    /// Destination.
    pub dst: u32,
    /// The ECU's address for the task table (DoIP logical address, or its response CAN id).
    pub address: u32,
}

/// A message on a CAN id nobody has named yet, waiting for an answer that names it.
struct Waiting {
    /// Arrival order, the tie-break when timestamps are equal (or absent).
    seq: u64,
    ts: i64,
    sid: u8,
    hdr: Vec<u8>,
    len: u32,
}

/// The flash-stage placement state.
#[derive(Default)]
pub struct FlashPlacer {
    /// Learnt CAN pairs: request id → response id, and back.
    learnt_req: HashMap<u32, u32>,
    learnt_rsp: HashMap<u32, u32>,
    waiting: HashMap<u32, Waiting>,
    /// The ECU the GW addressed last, physically: (unit, tester address or CAN id, ECU address
    /// or response CAN id).
    current: Option<(String, u32, u32)>,
    /// Time of the last functional request.
    functional_at: Option<i64>,
    /// Messages on CAN ids that were never paired (count, for the report).
    pub unplaced: u64,
    /// Arrival counter for [`Waiting::seq`].
    seq: u64,
    /// Functional requests seen before any ECU was addressed physically (CAN id, message).
    held: Vec<(u32, Waiting)>,
    /// DoIP addresses seen as physical targets of the tester.
    doip_ecus: std::collections::HashSet<u32>,
    /// The last physical request to the ECU being flashed: (SID, time).
    last_request: Option<(u8, i64)>,
}

/// A message released from waiting once its pair was learnt.
pub struct Released {
    /// Its placement.
    pub placed: Placed,
    /// Its time.
    pub ts: i64,
    /// Its kept bytes.
    pub hdr: Vec<u8>,
    /// Its original length.
    pub len: u32,
}

impl FlashPlacer {
    /// Places a DoIP diagnostic message by its logical addresses.
    pub fn doip(
        &mut self,
        topo: &Topology,
        ts: i64,
        src: u32,
        dst: u32,
        data: &[u8],
    ) -> Option<Placed> {
        if topo.is_tester(src) {
            if topo.is_functional(dst, false) {
                self.functional_at = Some(ts);
                let (unit, _, address) = self.current.clone()?;
                return Some(Placed {
                    unit,
                    request: true,
                    src,
                    dst,
                    address,
                });
            }
            let unit = ecu_name_doip(topo, dst);
            self.doip_ecus.insert(dst);
            self.current = Some((unit.clone(), src, dst));
            self.last_request = data.first().map(|&sid| (sid, ts));
            return Some(Placed {
                unit,
                request: true,
                src,
                dst,
                address: dst,
            });
        }
        if topo.is_tester(dst) {
            // An answer from an address no ECU has, to the last request of an ECU the topology
            // plans to update: that ECU's answer from an illegal sender.
            if let Some((cur, _, address)) = self.current.clone() {
                let (sid, second) = (data.first().copied(), data.get(1).copied());
                if topo.ecu_by_doip(src).is_none()
                    && !self.doip_ecus.contains(&src)
                    && Self::planned(topo, &cur)
                    && sid.is_some_and(|s| self.answers_last(ts, s, second))
                {
                    return Some(Placed {
                        unit: cur,
                        request: false,
                        src,
                        dst,
                        address,
                    });
                }
            }
            return Some(self.answer(ts, ecu_name_doip(topo, src), src, dst, src));
        }
        // Neither end is a tester: a request from an illegal sender to a known ECU, or an
        // answer from a known ECU to an illegal address; the rules judge both.
        let known = |a: u32| self.doip_ecus.contains(&a) || topo.ecu_by_doip(a).is_some();
        if known(dst) {
            let unit = ecu_name_doip(topo, dst);
            return Some(Placed {
                unit,
                request: true,
                src,
                dst,
                address: dst,
            });
        }
        if known(src) {
            return Some(self.answer(ts, ecu_name_doip(topo, src), src, dst, src));
        }
        None
    }

    /// Places a UDS message sent on CAN id `id`; a message on an id not known yet may be held
    /// back until its pair is learnt (then `released` gets it first).
    #[allow(clippy::too_many_arguments)]
    pub fn can(
        &mut self,
        topo: &Topology,
        ts: i64,
        id: u32,
        data: &[u8],
        len: u32,
        keep: usize,
        released: &mut Vec<Released>,
    ) -> Option<Placed> {
        if topo.is_functional(id, true) {
            self.functional_at = Some(ts);
            let Some((unit, tester, address)) = self.current.clone() else {
                // Before any ECU is addressed physically: kept until one is.
                if self.held.len() < MAX_HELD {
                    let hdr = data[..data.len().min(keep)].to_vec();
                    self.held.push((
                        id,
                        Waiting {
                            seq: 0,
                            ts,
                            sid: 0,
                            hdr,
                            len,
                        },
                    ));
                } else {
                    self.unplaced += 1;
                }
                return None;
            };
            return Some(Placed {
                unit,
                request: true,
                src: tester,
                dst: id,
                address,
            });
        }
        if let Some(rsp) = self.request_pair(topo, id) {
            let unit = ecu_name_can(topo, id, rsp);
            self.adopt(&unit, id, rsp, released);
            self.last_request = data.first().map(|&sid| (sid, ts));
            return Some(Placed {
                unit,
                request: true,
                src: id,
                dst: rsp,
                address: rsp,
            });
        }
        if let Some(req) = self.response_pair(topo, id) {
            let unit = ecu_name_can(topo, req, id);
            return Some(self.answer(ts, unit, id, req, id));
        }
        // Unknown id: does it answer a waiting message on another id?
        let sid = *data.first()?;
        if let Some(p) = self.stray(topo, ts, id, sid, data.get(1).copied()) {
            return Some(p);
        }
        let asked = if sid == 0x7F {
            data.get(1).copied()
        } else {
            sid.checked_sub(0x40)
        };
        let partner = asked.and_then(|a| {
            self.waiting
                .iter()
                .filter(|(&other, w)| other != id && w.sid == a && ts - w.ts <= LEARN_WINDOW)
                .max_by_key(|(_, w)| (w.ts, w.seq))
                .map(|(&other, _)| other)
        });
        if let Some(req) = partner {
            self.learnt_req.insert(req, id);
            self.learnt_rsp.insert(id, req);
            let w = self.waiting.remove(&req).expect("found above");
            let unit = ecu_name_can(topo, req, id);
            self.adopt(&unit, req, id, released);
            released.push(Released {
                placed: Placed {
                    unit: unit.clone(),
                    request: true,
                    src: req,
                    dst: id,
                    address: id,
                },
                ts: w.ts,
                hdr: w.hdr,
                len: w.len,
            });
            released.sort_by_key(|r| r.ts);
            return Some(Placed {
                unit,
                request: false,
                src: id,
                dst: req,
                address: id,
            });
        }
        let hdr = data[..data.len().min(keep)].to_vec();
        self.seq += 1;
        let seq = self.seq;
        if self
            .waiting
            .insert(
                id,
                Waiting {
                    seq,
                    ts,
                    sid,
                    hdr,
                    len,
                },
            )
            .is_some()
        {
            self.unplaced += 1;
        }
        None
    }

    /// Makes `unit` the ECU being worked on. The first time, functional requests sent before it
    /// (and an answer on its response id still waiting) are released under it.
    fn adopt(&mut self, unit: &str, tester: u32, rsp: u32, released: &mut Vec<Released>) {
        let first = self.current.is_none();
        self.current = Some((unit.to_string(), tester, rsp));
        if !first {
            return;
        }
        for (id, h) in self.held.drain(..) {
            released.push(Released {
                placed: Placed {
                    unit: unit.to_string(),
                    request: true,
                    src: tester,
                    dst: id,
                    address: rsp,
                },
                ts: h.ts,
                hdr: h.hdr,
                len: h.len,
            });
        }
        if let Some(w) = self.waiting.remove(&rsp) {
            released.push(Released {
                placed: Placed {
                    unit: unit.to_string(),
                    request: false,
                    src: rsp,
                    dst: tester,
                    address: rsp,
                },
                ts: w.ts,
                hdr: w.hdr,
                len: w.len,
            });
        }
    }

    /// A UDS message on a CAN id the topology does not know, while an ECU the topology plans to
    /// update is being flashed: a request (SID below 0x40) is that ECU's request from an illegal
    /// sender, an answer to its last request (SID + 0x40 or `7F sid`, within P2*) its answer from
    /// an illegal sender; the rules judge both by the real id. Without a task-table ECU (no
    /// `package` in the topology) nothing changes: the id may be learnt as a new pair instead.
    fn stray(
        &mut self,
        topo: &Topology,
        ts: i64,
        id: u32,
        sid: u8,
        second: Option<u8>,
    ) -> Option<Placed> {
        let (unit, tester, address) = self.current.clone()?;
        let on_can = topo.ecu.iter().any(|e| e.name == unit && e.can.is_some());
        if !on_can
            || !Self::planned(topo, &unit)
            || topo.ecu_by_can(id, true).is_some()
            || topo.ecu_by_can(id, false).is_some()
        {
            return None;
        }
        if sid < 0x40 {
            return Some(Placed {
                unit,
                request: true,
                src: id,
                dst: address,
                address,
            });
        }
        self.answers_last(ts, sid, second).then_some(Placed {
            unit,
            request: false,
            src: id,
            dst: tester,
            address,
        })
    }

    /// Whether a message (first two bytes) answers the last physical request, within P2*.
    fn answers_last(&self, ts: i64, sid: u8, second: Option<u8>) -> bool {
        let Some((asked, at)) = self.last_request else {
            return false;
        };
        let answers = if sid == 0x7F {
            second == Some(asked)
        } else {
            sid == asked.wrapping_add(0x40)
        };
        answers && ts - at <= FUNCTIONAL_WINDOW
    }

    /// Whether `unit` is an ECU the topology plans to update (it has a `package`).
    fn planned(topo: &Topology, unit: &str) -> bool {
        topo.ecu
            .iter()
            .any(|e| e.name == unit && e.package.is_some())
    }

    /// Messages still waiting at the end: never paired.
    pub fn finish(&mut self) -> u64 {
        self.unplaced += (self.waiting.len() + self.held.len()) as u64;
        self.waiting.clear();
        self.held.clear();
        self.unplaced
    }

    fn answer(&self, ts: i64, unit: String, src: u32, dst: u32, address: u32) -> Placed {
        // Another ECU answering a functional request: recorded with the ECU being flashed, as an
        // answer to that ECU's tester.
        if let (Some((cur, tester, _)), Some(at)) = (&self.current, self.functional_at) {
            if *cur != unit && ts - at <= FUNCTIONAL_WINDOW {
                return Placed {
                    unit: cur.clone(),
                    request: false,
                    src,
                    dst: *tester,
                    address,
                };
            }
        }
        Placed {
            unit,
            request: false,
            src,
            dst,
            address,
        }
    }

    fn request_pair(&self, topo: &Topology, id: u32) -> Option<u32> {
        if let Some(e) = topo.ecu_by_can(id, true) {
            return e.can.map(|c| c[1].0);
        }
        if let Some(&r) = self.learnt_req.get(&id) {
            return Some(r);
        }
        if topo.ecu.iter().any(|e| e.can.is_some()) {
            return None;
        }
        match id {
            0x7E0..=0x7E7 => Some(id + 8),
            // 29-bit normal fixed addressing 0x18DA<ta><sa>, tester sa 0xF1.
            _ if id & 0xFFFF_00FF == 0x18DA_00F1 && id & 0xFF00 != 0xF100 => {
                Some(0x18DA_F100 | ((id >> 8) & 0xFF))
            }
            _ => None,
        }
    }

    fn response_pair(&self, topo: &Topology, id: u32) -> Option<u32> {
        if let Some(e) = topo.ecu_by_can(id, false) {
            return e.can.map(|c| c[0].0);
        }
        if let Some(&r) = self.learnt_rsp.get(&id) {
            return Some(r);
        }
        if topo.ecu.iter().any(|e| e.can.is_some()) {
            return None;
        }
        match id {
            0x7E8..=0x7EF => Some(id - 8),
            _ if id & 0xFFFF_FF00 == 0x18DA_F100 => Some(0x18DA_0000 | ((id & 0xFF) << 8) | 0xF1),
            _ => None,
        }
    }
}

fn ecu_name_doip(topo: &Topology, a: u32) -> String {
    topo.ecu_by_doip(a)
        .map(|e| e.name.clone())
        .unwrap_or_else(|| format!("ECU_{a:04X}"))
}

fn ecu_name_can(topo: &Topology, req: u32, rsp: u32) -> String {
    topo.ecu_by_can(req, true)
        .map(|e| e.name.clone())
        .unwrap_or_else(|| {
            if rsp > 0x7FF {
                format!("ECU_{rsp:08X}")
            } else {
                format!("ECU_{rsp:03X}")
            }
        })
}
