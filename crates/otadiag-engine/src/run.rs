//! Runs a unit's checks and flows in the method's preset order (steps S203–S204): for each
//! exchange the request parameters, then the response parameters; in `first` mode it stops at
//! the first failing check, in `all` mode it collects everything.

use crate::eval::Env;
use crate::exchange::Xch;
use crate::finding::{FindingSpec, Findings};
use crate::unit::UnitView;
use otadiag_rules::ir::{Action, Flow, Side};
use otadiag_rules::value::Value;

/// Stop at the first failing check, or check everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The method's fast path.
    First,
    /// Exhaustive: later findings are marked as consequences of the first.
    All,
}

struct FlowState<'a> {
    flow: &'a Flow,
    pos: Option<usize>,
    vars: Vec<Value<'a>>,
    /// Index of the last exchange this flow looked at.
    seen: Option<u32>,
}

impl FlowState<'_> {
    /// How far the unit got through the flow, in words.
    fn progress(&self) -> String {
        let f = self.flow;
        let Some(p) = self.pos else {
            return format!("{}: the sequence never started", f.title);
        };
        let complete = f.steps[p + 1..].iter().all(|s| s.optional);
        format!(
            "{}: reached {} (step {} of {}){}",
            f.title,
            f.steps[p].title,
            p + 1,
            f.steps.len(),
            if complete { ", sequence complete" } else { "" }
        )
    }
}

/// Checks every exchange of the unit; returns the number of checks that were not applicable.
/// `progress` gets, per flow, how far the unit got through it (over all exchanges, also when
/// `first` mode stopped early).
pub fn run<'a>(
    view: &'a UnitView<'a>,
    xs: &'a [Xch],
    mode: Mode,
    out: &mut Findings<'_>,
    progress: &mut Vec<String>,
) -> usize {
    let rules = view.rules;
    let proto = view.proto;
    let base = view.env();
    let mut na = 0;
    let pidx = rules
        .protocols
        .iter()
        .position(|p| std::ptr::eq(p, proto))
        .unwrap_or(0);
    let mut flows: Vec<FlowState> = rules
        .flows
        .iter()
        .filter(|f| f.protocol == pidx)
        .map(|f| {
            let mut vars = Vec::with_capacity(f.vars.len());
            for (_, init) in &f.vars {
                let v = Env {
                    vars: &vars,
                    ..base
                }
                .eval(init);
                vars.push(v);
            }
            FlowState {
                flow: f,
                pos: None,
                vars,
                seen: None,
            }
        })
        .collect();
    let rec = |p: Option<u32>| p.map(|p| &view.bundle.records[view.recs[p as usize] as usize]);
    let mut stopped: Option<usize> = None;
    'exchanges: for (xi, x) in xs.iter().enumerate() {
        let env = Env {
            req: rec(x.req),
            rsp: rec(x.primary),
            xch: Some(x),
            ..base
        };
        for slot in &proto.plan.slots {
            if rules.params[slot.param as usize].side == Side::Request && x.req.is_none() {
                continue;
            }
            for &ci in slot.checks_for(x.service) {
                let c = &rules.checks[ci as usize];
                if let Some(w) = &c.when {
                    match env.eval(w) {
                        Value::Bool(true) => {}
                        Value::Bool(false) => continue,
                        _ => {
                            na += 1;
                            continue;
                        }
                    }
                }
                match env.eval(&c.require) {
                    Value::Bool(true) => {}
                    Value::Bool(false) => out.push(&env, FindingSpec::check(c, x)),
                    _ => na += 1,
                }
                if mode == Mode::First && !out.is_empty() {
                    stopped = Some(xi);
                    break 'exchanges;
                }
            }
            for &fi in slot.flows.iter() {
                let Some(st) = flows
                    .iter_mut()
                    .find(|s| std::ptr::eq(s.flow, &rules.flows[fi as usize]))
                else {
                    continue;
                };
                step(st, &env, x, out);
                if mode == Mode::First && !out.is_empty() {
                    stopped = Some(xi);
                    break 'exchanges;
                }
            }
        }
    }
    match stopped {
        // The fast path stopped: follow the flows to the end (findings discarded) only to say
        // how far the unit got.
        Some(xi) => {
            let mut scratch = Findings::new(view);
            for x in &xs[xi..] {
                let env = Env {
                    req: rec(x.req),
                    rsp: rec(x.primary),
                    xch: Some(x),
                    ..base
                };
                for st in flows.iter_mut().filter(|st| st.seen != Some(x.index)) {
                    step(st, &env, x, &mut scratch);
                }
            }
        }
        None => {
            for st in &mut flows {
                finish(st, &base, out);
                if mode == Mode::First && !out.is_empty() {
                    break;
                }
            }
        }
    }
    progress.extend(flows.iter().map(FlowState::progress));
    na
}

fn step<'a>(st: &mut FlowState<'a>, env: &Env<'a, '_>, x: &'a Xch, out: &mut Findings<'_>) {
    st.seen = Some(x.index);
    if x.req.is_none() {
        return;
    }
    let f = st.flow;
    let outer = *env;
    let env = Env {
        vars: &st.vars,
        ..*env
    };
    if f.skips.iter().any(|s| env.holds(s)) {
        return;
    }
    let steps = &f.steps;
    let accepts = |k: usize| env.holds(&steps[k].when);
    let mut expected: Vec<usize> = Vec::new();
    let mut found = None;
    if let Some(p) = st.pos.filter(|&p| steps[p].repeat && accepts(p)) {
        found = Some(p);
    }
    if found.is_none() {
        found = scan(
            st.pos.map_or(0, |p| p + 1),
            steps.len(),
            &accepts,
            steps,
            &mut expected,
        );
    }
    if found.is_none() {
        if let Some((g0, g1)) = st.pos.and_then(|p| {
            steps[p]
                .group
                .filter(|&(_, g1)| (p + 1..=g1).all(|j| steps[j].optional))
        }) {
            found = scan(g0, g1 + 1, &accepts, steps, &mut expected);
        }
    }
    let target = match found {
        Some(k) => k,
        None => {
            let after = st.pos.map(|p| steps[p].title.as_str());
            let wanted: Vec<&str> = expected.iter().map(|&k| steps[k].title.as_str()).collect();
            out.push(&env, FindingSpec::flow_order(f, x, after, &wanted));
            // Resynchronise on any step that accepts the request, so one slip is reported once.
            match (0..steps.len()).find(|&k| accepts(k)) {
                Some(k) => k,
                None => return,
            }
        }
    };
    st.pos = Some(target);
    // In place: no new vector per exchange.
    apply_to(
        &steps[target].actions,
        &mut st.vars,
        &outer,
        Some(x),
        f,
        out,
    );
}

#[allow(clippy::needless_range_loop)] // `k` is the step index the caller needs, not just a cursor
fn scan(
    from: usize,
    to: usize,
    accepts: &dyn Fn(usize) -> bool,
    steps: &[otadiag_rules::ir::Step],
    expected: &mut Vec<usize>,
) -> Option<usize> {
    for k in from..to {
        if accepts(k) {
            return Some(k);
        }
        expected.push(k);
        if !steps[k].optional {
            break;
        }
    }
    None
}

/// Runs actions in order; requirements see the variables as set by earlier actions.
fn apply<'a>(
    actions: &'a [Action],
    env: &Env<'a, '_>,
    x: Option<&'a Xch>,
    f: &'a Flow,
    out: &mut Findings<'_>,
) -> Vec<Value<'a>> {
    let mut vars: Vec<Value<'a>> = env.vars.to_vec();
    apply_to(actions, &mut vars, env, x, f, out);
    vars
}

/// Like [`apply`], on `vars` in place (`env`'s own variables are not read).
fn apply_to<'a>(
    actions: &'a [Action],
    vars: &mut [Value<'a>],
    env: &Env<'a, '_>,
    x: Option<&'a Xch>,
    f: &'a Flow,
    out: &mut Findings<'_>,
) {
    for a in actions {
        match a {
            Action::Set(i, e) => {
                let v = Env {
                    vars: &*vars,
                    ..*env
                }
                .eval(e);
                vars[*i as usize] = v;
            }
            Action::Require { cond, .. } => {
                let e = Env {
                    vars: &*vars,
                    ..*env
                };
                if e.eval(cond) == Value::Bool(false) {
                    out.push(&e, FindingSpec::flow_require(f, a, x));
                }
            }
        }
    }
}

fn finish<'a>(st: &mut FlowState<'a>, base: &Env<'a, '_>, out: &mut Findings<'_>) {
    let f = st.flow;
    let before = out.len();
    let env = Env {
        vars: &st.vars,
        ..*base
    };
    apply(&f.finish, &env, None, f, out);
    if out.len() > before {
        return;
    }
    let from = st.pos.map_or(0, |p| p + 1);
    if let Some(k) = (from..f.steps.len()).find(|&k| !f.steps[k].optional) {
        let after = st.pos.map(|p| f.steps[p].title.as_str());
        out.push(
            &env,
            FindingSpec::flow_incomplete(f, after, &f.steps[k].title),
        );
    }
}
