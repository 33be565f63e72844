//! Pairs a unit's records into exchanges (a request, its pending and final responses) and runs
//! the protocol's timers on recorded timestamps only.
//!
//! Pairing uses the protocol's `pair` key; when several requests on one key are open, a response
//! goes to the newest one whose `match` holds, else to the newest one (and is then "unmatched").
//! A response with no open request becomes an exchange of its own. Ties in time keep file order.

use crate::eval::Env;
use crate::unit::UnitView;
use otadiag_model::Dir;
use otadiag_rules::value::Value;

/// How many unanswered requests may stay open per key before the oldest is given up.
const MAX_OPEN_PER_KEY: usize = 16;

/// One exchange of a unit.
#[derive(Debug, Clone)]
pub struct Xch {
    /// Index among the unit's exchanges.
    pub index: u32,
    /// Position of the request among the unit's records.
    pub req: Option<u32>,
    /// Position of the final response (for functional requests: the unit's own answer if any).
    pub primary: Option<u32>,
    /// First and last record position that belong to the exchange.
    pub first_pos: u32,
    /// Last record position that belongs to the exchange.
    pub last_pos: u32,
    /// Pending responses seen.
    pub pendings: u16,
    /// Responses paired with the request (pending and final).
    pub responses: u16,
    /// Worst gap (answered) or silence (unanswered), ns.
    pub wait: Option<i64>,
    /// The timer that applied to `wait`, ns.
    pub limit: Option<i64>,
    /// Whether the final response satisfies the protocol's `match`.
    pub matched: Option<bool>,
    /// Whether the final response is negative.
    pub negative: bool,
    /// Still waiting, timer not expired, when the recording stopped.
    pub end_of_recording: bool,
    /// The unit's next request of the same service was answered positively (a retry).
    pub recovered: bool,
    /// Functionally addressed request.
    pub functional: bool,
    /// A request that expects no response (the protocol's `silent when`).
    pub silent: bool,
    /// Service value of the request.
    pub service: Option<i64>,
    key: Key,
}

/// Timer state of a request that may still get responses; kept beside the exchange list only
/// while the request is open, so the exchanges themselves stay small.
struct Open {
    /// Index of the exchange in the list.
    xi: u32,
    /// Time of the request or of its last pending response.
    last_event: i64,
    /// The timer running now (P2, or P2* after a pending response).
    cur_limit: Option<i64>,
    /// Largest amount by which a gap exceeded its timer.
    worst_excess: Option<i64>,
    /// Time of the next request on the same key, for the silence of an unanswered request.
    next_request: Option<i64>,
}

impl Open {
    /// The silence of a request that got no final response: until the next request on its key,
    /// else until the recorder stopped.
    fn close_unanswered(&self, x: &mut Xch, stop: i64) {
        let end = self.next_request.unwrap_or(stop);
        let silence = end - self.last_event;
        x.wait = Some(silence);
        x.limit = self.cur_limit;
        x.end_of_recording =
            self.next_request.is_none() && self.cur_limit.is_some_and(|l| silence < l);
    }
}

type Key = [i64; otadiag_rules::ir::MAX_PAIR];

fn key_of(env: &Env, exprs: &[&otadiag_rules::ir::Expr]) -> Key {
    let mut k = [i64::MIN; otadiag_rules::ir::MAX_PAIR];
    for (slot, e) in k.iter_mut().zip(exprs) {
        *slot = match env.eval(e) {
            Value::Int(v) | Value::Dur(v) => v,
            _ => i64::MIN + 1,
        };
    }
    k
}

/// Builds the exchanges of a unit, in time order of their first record.
pub fn build(view: &UnitView) -> Vec<Xch> {
    let mut xs = Vec::new();
    build_into(view, &mut xs);
    xs
}

/// Like [`build`], into `xs` (cleared first), so a caller can reuse one buffer across units.
pub fn build_into(view: &UnitView, xs: &mut Vec<Xch>) {
    let proto = view.proto;
    let base = view.env();
    let req_keys: Vec<_> = proto.pair.iter().map(|p| &p.0).collect();
    let rsp_keys: Vec<_> = proto.pair.iter().map(|p| &p.1).collect();
    xs.clear();
    xs.reserve(view.recs.len() / 2 + 1);
    let mut open: Vec<Open> = Vec::new();
    for (pos, &ri) in view.recs.iter().enumerate() {
        let r = &view.bundle.records[ri as usize];
        let pos = pos as u32;
        if r.dir == Dir::Request {
            let env = Env {
                req: Some(r),
                ..base
            };
            let key = key_of(&env, &req_keys);
            let mut same_key = 0;
            for o in open.iter_mut() {
                if xs[o.xi as usize].key == key {
                    same_key += 1;
                    o.next_request.get_or_insert(r.ts);
                }
            }
            if same_key >= MAX_OPEN_PER_KEY {
                let oldest = open
                    .iter()
                    .position(|o| xs[o.xi as usize].key == key)
                    .expect("counted");
                let o = open.remove(oldest);
                let x = &mut xs[o.xi as usize];
                if x.primary.is_none() {
                    o.close_unanswered(x, view.stop);
                }
            }
            let functional = proto.is_functional.as_ref().is_some_and(|e| env.holds(e));
            let silent = proto.is_silent.as_ref().is_some_and(|e| env.holds(e));
            let limit = proto.timer_first.as_ref().and_then(|e| env.eval(e).num());
            let service = proto
                .service
                .and_then(|f| env.field(r, &proto.fields[f as usize]).num());
            open.push(Open {
                xi: xs.len() as u32,
                last_event: r.ts,
                cur_limit: limit,
                worst_excess: None,
                next_request: None,
            });
            xs.push(Xch {
                index: xs.len() as u32,
                req: Some(pos),
                primary: None,
                first_pos: pos,
                last_pos: pos,
                pendings: 0,
                responses: 0,
                wait: None,
                limit: None,
                matched: None,
                negative: false,
                end_of_recording: false,
                recovered: false,
                functional,
                silent,
                service,
                key,
            });
            continue;
        }
        let env = Env {
            rsp: Some(r),
            ..base
        };
        let key = key_of(&env, &rsp_keys);
        let mut chosen: Option<usize> = None;
        // Whether the chosen request satisfies `match`: the final response's `matched` below.
        let mut chosen_ok = false;
        for (oi, o) in open.iter().enumerate().rev() {
            let x = &xs[o.xi as usize];
            if x.key != key {
                continue;
            }
            let req =
                &view.bundle.records[view.recs[x.req.expect("open has request") as usize] as usize];
            let ok = proto.matches.as_ref().is_none_or(|m| {
                Env {
                    req: Some(req),
                    ..env
                }
                .holds(m)
            });
            if ok {
                chosen = Some(oi);
                chosen_ok = true;
                break;
            }
            // A request that expects no answer does not take one that does not match it.
            if !x.silent {
                chosen.get_or_insert(oi);
            }
        }
        let pending = proto
            .is_pending
            .as_ref()
            .is_some_and(|e| base.for_msg(r).holds(e));
        let negative = proto
            .is_negative
            .as_ref()
            .is_some_and(|e| base.for_msg(r).holds(e));
        let Some(oi) = chosen else {
            // A stray pending response is not a final negative one.
            xs.push(orphan(xs.len() as u32, pos, negative && !pending));
            continue;
        };
        let o = &mut open[oi];
        let xi = o.xi as usize;
        let req = &view.bundle.records[view.recs[xs[xi].req.expect("open") as usize] as usize];
        let x = &mut xs[xi];
        x.responses = x.responses.saturating_add(1);
        x.last_pos = pos;
        // For a functional request only the unit's own answers run its timer: another ECU's
        // pending or final answer neither restarts it nor counts as the unit's gap.
        let own = !x.functional || view.address.is_none_or(|a| a == r.src);
        let gap = r.ts - o.last_event;
        match o.cur_limit {
            _ if !own => {}
            Some(l) if o.worst_excess.is_none_or(|w| gap - l > w) => {
                o.worst_excess = Some(gap - l);
                x.wait = Some(gap);
                x.limit = Some(l);
            }
            None if x.wait.is_none_or(|w| gap > w) => x.wait = Some(gap),
            _ => {}
        }
        if pending {
            // Still being worked on: a request sent meanwhile does not end its silence.
            if o.next_request.is_some_and(|t| t < r.ts) {
                o.next_request = None;
            }
            if !own {
                continue;
            }
            // Only the unit's own pending answers oblige it to a final one.
            x.pendings = x.pendings.saturating_add(1);
            o.last_event = r.ts;
            let renv = Env {
                req: Some(req),
                ..base
            };
            if let Some(l) = proto
                .timer_pending
                .as_ref()
                .and_then(|e| renv.eval(e).num())
            {
                o.cur_limit = Some(l);
            }
            continue;
        }
        // Already evaluated for this request and response while choosing the request.
        let matched = proto.matches.as_ref().map(|_| chosen_ok);
        if x.functional {
            // The unit's own answer; another unit's answer only when the unit has no known address.
            if Some(r.src) == view.address || (view.address.is_none() && x.primary.is_none()) {
                x.primary = Some(pos);
                x.matched = matched;
                x.negative = negative;
            }
        } else {
            x.primary = Some(pos);
            x.matched = matched;
            x.negative = negative;
            open.remove(oi);
        }
    }
    for o in &open {
        let x = &mut xs[o.xi as usize];
        if x.primary.is_none() {
            o.close_unanswered(x, view.stop);
        }
    }
    if view.bundle.manifest.untimed {
        // Order is known, time is not: no gap, no timer, nothing ended "before the timer".
        for x in xs.iter_mut() {
            x.wait = None;
            x.limit = None;
            x.end_of_recording = false;
        }
    }
    mark_recovered(xs);
}

fn orphan(index: u32, pos: u32, negative: bool) -> Xch {
    Xch {
        index,
        req: None,
        primary: Some(pos),
        first_pos: pos,
        last_pos: pos,
        pendings: 0,
        responses: 1,
        wait: None,
        limit: None,
        matched: None,
        negative,
        end_of_recording: false,
        recovered: false,
        functional: false,
        silent: false,
        service: None,
        key: [i64::MIN; otadiag_rules::ir::MAX_PAIR],
    }
}

/// A negative final response is "recovered" when the unit's next request of the same service
/// got a positive final response (a retry that hid the first failure). Not by pair key: a
/// protocol whose key includes a per-call session id (SOME/IP) retries under a new key.
fn mark_recovered(xs: &mut [Xch]) {
    for i in 0..xs.len() {
        if !(xs[i].negative && xs[i].req.is_some()) {
            continue;
        }
        let next = xs[i + 1..]
            .iter()
            .find(|y| y.req.is_some() && y.service == xs[i].service);
        if let Some(y) = next {
            if y.primary.is_some() && !y.negative {
                xs[i].recovered = true;
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    /// `n` response-only exchanges, for tests that need some.
    pub fn some(n: u32) -> Vec<super::Xch> {
        (0..n).map(|i| super::orphan(i, i, false)).collect()
    }
}
