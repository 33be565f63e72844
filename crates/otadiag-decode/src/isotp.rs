//! ISO-TP (ISO 15765-2) reassembly per (channel, CAN id, addressing byte), so interleaved
//! multi-frame transfers of different ECUs all come out complete and every transport fault
//! (unexpected frame, wrong SN, N_Bs/N_Cr, overflow) becomes an event.

use otadiag_capture::CanFlags;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::isotp_pci::{self, Pci};

mod flow;
use crate::types::{Endpoint, EventKind, Message, Out, Transport, TransportEvent};
use crate::{DecodeConfig, IdFilter, Padding};

/// Reassembly key: channel, id, addressing byte (0x100 = normal addressing).
type Key = (u16, u32, u16);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    /// A FF or the end of a block was sent; the sender waits for a flow control.
    WaitFc,
    /// Consecutive frames are expected.
    Receiving,
    /// The current transfer was aborted; its remaining CFs are swallowed silently.
    Aborted,
}

/// Per-key receive state. The buffer is kept across messages.
#[derive(Debug)]
struct Rx {
    state: State,
    buf: Vec<u8>,
    total: u32,
    received: u32,
    next_sn: u8,
    bs: u8,
    in_block: u8,
    /// When the running timer (N_Bs in WaitFc, N_Cr in Receiving) started.
    since: Option<i64>,
    first_ts: Option<i64>,
    /// Id that sends our flow controls (learned or configured).
    partner: Option<u32>,
    /// A multi-frame transfer was seen on this key (it really carries ISO-TP).
    confirmed: bool,
    bad_reported: u32,
}

impl Rx {
    fn new() -> Self {
        Rx {
            state: State::Idle,
            buf: Vec::new(),
            total: 0,
            received: 0,
            next_sn: 0,
            bs: 0,
            in_block: 0,
            since: None,
            first_ts: None,
            partner: None,
            confirmed: false,
            bad_reported: 0,
        }
    }
}

/// ISO-TP decoder state for all CAN ids.
#[derive(Debug)]
pub(crate) struct IsoTp {
    filter: IdFilter,
    ids: FxHashSet<u32>,
    ext_ids: FxHashSet<u32>,
    pairs: FxHashMap<u32, u32>,
    padding: Padding,
    n_bs: i64,
    n_cr: i64,
    max_len: usize,
    rx: FxHashMap<Key, Rx>,
    /// Keys in `WaitFc`, oldest first.
    waiting: Vec<Key>,
}

fn elapsed(since: Option<i64>, now: Option<i64>) -> Option<i64> {
    Some(now?.saturating_sub(since?))
}

fn ep(key: Key) -> Endpoint {
    Endpoint::Can {
        channel: key.0,
        id: key.1,
        ext_addr: (key.2 < 0x100).then_some(key.2 as u8),
    }
}

impl IsoTp {
    pub(crate) fn new(cfg: &DecodeConfig) -> Self {
        let mut ids = FxHashSet::default();
        let mut pairs = FxHashMap::default();
        match &cfg.isotp_ids {
            IdFilter::Ids(l) => ids.extend(l.iter().copied()),
            IdFilter::Pairs(l) => {
                for &(a, b) in l {
                    ids.insert(a);
                    ids.insert(b);
                    pairs.insert(a, b);
                    pairs.insert(b, a);
                }
            }
            IdFilter::Default | IdFilter::All => {}
        }
        IsoTp {
            filter: cfg.isotp_ids.clone(),
            ids,
            ext_ids: cfg.extended_addressing_ids.iter().copied().collect(),
            pairs,
            padding: cfg.padding,
            n_bs: cfg.n_bs_ms as i64 * 1_000_000,
            n_cr: cfg.n_cr_ms as i64 * 1_000_000,
            max_len: cfg.max_message_len,
            rx: FxHashMap::default(),
            waiting: Vec::new(),
        }
    }

    fn accepts(&self, id: u32, extended: bool) -> bool {
        match self.filter {
            IdFilter::All => true,
            IdFilter::Default => {
                if id <= 0x7FF && !extended {
                    (0x600..=0x7FF).contains(&id)
                } else {
                    matches!(id & 0x1FFF_0000, 0x18DA_0000 | 0x18DB_0000)
                }
            }
            IdFilter::Ids(_) | IdFilter::Pairs(_) => self.ids.contains(&id),
        }
    }

    fn heuristic(&self) -> bool {
        matches!(self.filter, IdFilter::Default | IdFilter::All)
    }

    fn uses_ext_addr(&self, id: u32) -> bool {
        self.ext_ids.contains(&id)
            || (id > 0x7FF && matches!(id & 0x1FFF_0000, 0x18CE_0000 | 0x18CD_0000))
    }

    /// The id that receives what `key` sends (for `Message::dst`), 0 when unknown.
    fn partner_of(&self, key: Key, learned: Option<u32>) -> u32 {
        if let Some(p) = learned.or_else(|| self.pairs.get(&key.1).copied()) {
            return p;
        }
        if key.1 & 0x1FFF_0000 == 0x18DA_0000 {
            // normal fixed addressing 0x18DA<TA><SA>: the answer comes on 0x18DA<SA><TA>
            return 0x18DA_0000 | ((key.1 & 0xFF) << 8) | ((key.1 >> 8) & 0xFF);
        }
        0
    }

    fn dst(&self, key: Key, learned: Option<u32>) -> Endpoint {
        Endpoint::Can {
            channel: key.0,
            id: self.partner_of(key, learned),
            ext_addr: None,
        }
    }

    fn event(
        &self,
        out: &mut Out<'_>,
        ts: Option<i64>,
        key: Key,
        partner: Option<u32>,
        kind: EventKind,
        detail: String,
    ) {
        out.event(TransportEvent {
            ts,
            transport: Transport::IsoTp,
            src: ep(key),
            dst: self.dst(key, partner),
            doip: None,
            kind,
            detail,
        });
    }

    /// Handles one CAN frame.
    pub(crate) fn push(
        &mut self,
        ts: Option<i64>,
        channel: u16,
        id: u32,
        flags: CanFlags,
        data: &[u8],
        out: &mut Out<'_>,
    ) {
        if flags.rtr || flags.error || !self.accepts(id, flags.extended) {
            return;
        }
        out.stats.isotp_frames += 1;
        let (ext, p) = if self.uses_ext_addr(id) {
            match data.split_first() {
                Some((&a, rest)) => (a as u16, rest),
                None => (0x100, data),
            }
        } else {
            (0x100, data)
        };
        let key = (channel, id, ext);
        match isotp_pci::parse(p, data.len(), self.padding) {
            Err(why) => self.bad_pci(ts, key, why, out),
            Ok(Pci::Single(payload)) => {
                let partner = match self.rx.get_mut(&key) {
                    Some(rx) => {
                        let partner = rx.partner;
                        self.interrupt(ts, key, "single frame", out);
                        partner
                    }
                    None => None,
                };
                out.message(&Message {
                    ts,
                    first_ts: ts,
                    transport: Transport::IsoTp,
                    src: ep(key),
                    dst: self.dst(key, partner),
                    doip: None,
                    data: payload,
                    len: payload.len() as u32,
                });
            }
            Ok(Pci::First { total, data: first }) => {
                self.interrupt(ts, key, "first frame", out);
                let max_len = self.max_len;
                let rx = self.rx.entry(key).or_insert_with(Rx::new);
                rx.buf.clear();
                rx.buf.extend_from_slice(&first[..first.len().min(max_len)]);
                rx.total = total;
                rx.received = first.len() as u32;
                rx.next_sn = 1;
                rx.bs = 0;
                rx.in_block = 0;
                rx.since = ts;
                rx.first_ts = ts;
                rx.confirmed = true;
                rx.state = State::WaitFc;
                self.set_waiting(key);
            }
            Ok(Pci::Consecutive { sn, data: cf }) => self.consecutive(ts, key, sn, cf, out),
            Ok(Pci::Flow { fs, bs, st_min: _ }) => self.flow_control(ts, key, fs, bs, out),
        }
    }

    fn bad_pci(&mut self, ts: Option<i64>, key: Key, why: &str, out: &mut Out<'_>) {
        out.stats.bad_pci += 1;
        let limit = if self.heuristic() { 1 } else { 100 };
        let rx = self.rx.entry(key).or_insert_with(Rx::new);
        rx.bad_reported += 1;
        if rx.bad_reported > limit {
            return;
        }
        let more = if rx.bad_reported == limit {
            " (further bad frames on this id are only counted)"
        } else {
            ""
        };
        let partner = rx.partner;
        self.event(
            out,
            ts,
            key,
            partner,
            EventKind::IsoTpBadPci,
            format!("{why}{more}"),
        );
    }

    /// A new SF/FF arrived on `key`: reports and drops any transfer in progress.
    fn interrupt(&mut self, ts: Option<i64>, key: Key, what: &str, out: &mut Out<'_>) {
        let Some(rx) = self.rx.get_mut(&key) else {
            return;
        };
        let (state, since, received, total, partner) =
            (rx.state, rx.since, rx.received, rx.total, rx.partner);
        if matches!(state, State::Idle | State::Aborted) {
            rx.state = State::Idle;
            return;
        }
        rx.state = State::Idle;
        let (n_bs, n_cr) = (self.n_bs, self.n_cr);
        if state == State::WaitFc {
            self.unwait(key);
        }
        let el = elapsed(since, ts);
        let (kind, detail) = match (state, el) {
            (State::WaitFc, Some(e)) if e > n_bs => (
                EventKind::IsoTpTimeoutBs,
                format!("no flow control {} ms after the first frame / block ({received}/{total} bytes sent, N_Bs {} ms); the sender gave up and sent a new {what}", e / 1_000_000, n_bs / 1_000_000),
            ),
            // without timestamps, a sender that starts anew while waiting for a flow control
            // evidently gave up waiting
            (State::WaitFc, None) => (
                EventKind::IsoTpTimeoutBs,
                format!("no flow control seen ({received}/{total} bytes sent); the sender gave up and sent a new {what} (no timestamps to measure N_Bs)"),
            ),
            (State::Receiving, Some(e)) if e > n_cr => (
                EventKind::IsoTpTimeoutCr,
                format!("no consecutive frame for {} ms ({received}/{total} bytes received, N_Cr {} ms); the sender then sent a new {what}", e / 1_000_000, n_cr / 1_000_000),
            ),
            _ => (
                EventKind::IsoTpUnexpectedFrame,
                format!("{what} while a {total}-byte message was in progress ({received} bytes received); the old message is lost"),
            ),
        };
        self.event(out, ts, key, partner, kind, detail);
    }

    /// End of capture: every transfer still in progress becomes a timeout or incomplete event.
    pub(crate) fn finish(&mut self, end: Option<i64>, out: &mut Out<'_>) {
        let mut open: Vec<(Option<i64>, Key)> = self
            .rx
            .iter()
            .filter(|(_, r)| matches!(r.state, State::WaitFc | State::Receiving))
            .map(|(k, r)| (r.first_ts, *k))
            .collect();
        open.sort_unstable();
        for (_, key) in open {
            let rx = self.rx.get_mut(&key).expect("key from the map");
            let (state, since, received, total, partner) =
                (rx.state, rx.since, rx.received, rx.total, rx.partner);
            rx.state = State::Idle;
            let el = elapsed(since, end);
            let (kind, detail) = match (state, el) {
                (State::WaitFc, Some(e)) if e > self.n_bs => (
                    EventKind::IsoTpTimeoutBs,
                    format!("no flow control within N_Bs {} ms ({received}/{total} bytes sent; capture ends {} ms later)", self.n_bs / 1_000_000, e / 1_000_000),
                ),
                (State::Receiving, Some(e)) if e > self.n_cr => (
                    EventKind::IsoTpTimeoutCr,
                    format!("no consecutive frame within N_Cr {} ms ({received}/{total} bytes received; capture ends {} ms later)", self.n_cr / 1_000_000, e / 1_000_000),
                ),
                _ => (
                    EventKind::IsoTpIncomplete,
                    format!("capture ends during a {total}-byte message ({received} bytes transferred)"),
                ),
            };
            self.event(out, end, key, partner, kind, detail);
        }
        self.waiting.clear();
    }
}
