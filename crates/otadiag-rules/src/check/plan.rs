//! The dispatch plan: for each protocol, the method's preset order of parameter types, and for
//! each one the checks to run per service id — so the engine never scans rules that cannot apply.

use super::Env;
use crate::diag::Diag;
use crate::ir::{Action, RuleSet, Side, Slot};

/// Builds every protocol's plan and checks that each parameter type in use has a cause.
pub(super) fn build(env: &mut Env, out: &mut RuleSet) {
    // Request side first, then response side; built-ins keep their preset order, declared types follow.
    let mut order: Vec<u16> = Vec::new();
    for side in [Side::Request, Side::Response] {
        order.extend(
            out.params
                .iter()
                .enumerate()
                .filter(|(_, p)| p.side == side)
                .map(|(i, _)| i as u16),
        );
    }
    for (pi, proto) in out.protocols.iter_mut().enumerate() {
        let mut slots = Vec::new();
        for &param in &order {
            let checks: Vec<u32> = out
                .checks
                .iter()
                .enumerate()
                .filter(|(_, c)| c.protocol == pi && c.param == param)
                .map(|(i, _)| i as u32)
                .collect();
            let flows: Vec<u32> = out
                .flows
                .iter()
                .enumerate()
                .filter(|(_, f)| f.protocol == pi && f.param == param)
                .map(|(i, _)| i as u32)
                .collect();
            if checks.is_empty() && flows.is_empty() {
                continue;
            }
            let max = checks
                .iter()
                .flat_map(|&c| out.checks[c as usize].services.iter().copied())
                .filter(|s| (0..0x10000).contains(s))
                .max();
            let generic: Vec<u32> = checks
                .iter()
                .copied()
                .filter(|&c| out.checks[c as usize].services.is_empty())
                .collect();
            let by_service = match max {
                None => Vec::new(),
                Some(m) => (0..=m)
                    .map(|s| {
                        checks
                            .iter()
                            .copied()
                            .filter(|&c| {
                                let sv = &out.checks[c as usize].services;
                                sv.is_empty() || sv.contains(&s)
                            })
                            .collect::<Vec<u32>>()
                            .into_boxed_slice()
                    })
                    .collect(),
            };
            slots.push(Slot {
                param,
                by_service,
                generic: generic.into_boxed_slice(),
                flows: flows.into_boxed_slice(),
            });
        }
        proto.plan.slots = slots;
    }
    // Every parameter type a rule can report must be explained by a cause.
    let mut used: Vec<(u16, crate::syntax::ast::Span)> =
        out.checks.iter().map(|c| (c.param, c.span)).collect();
    for f in &out.flows {
        used.push((f.param, f.span));
        used.push((f.sent_param, f.span));
        for a in f
            .steps
            .iter()
            .flat_map(|s| s.actions.iter())
            .chain(f.finish.iter())
        {
            if let Action::Require { param, span, .. } = a {
                used.push((*param, *span));
            }
        }
    }
    let mut reported = Vec::new();
    for (p, span) in used {
        if out.params[p as usize].cause.is_none() && !reported.contains(&p) {
            reported.push(p);
            env.diags.push(Diag::ParameterWithoutCause {
                span,
                param: out.params[p as usize].name.clone(),
            });
        }
    }
}
