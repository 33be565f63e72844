//! Builds checks and flows: resolves their protocol, parameter type and every expression, and
//! infers "measured vs limit" from a comparison so authors rarely need to spell it out.

use super::decls::param_id;
use super::{Env, Scope, Ty};
use crate::diag::Diag;
use crate::ir::{self, Action, Expr, LocKind, RuleSet, Side, Step};
use crate::syntax::ast::{self, BinOp, CheckClause, FlowPart, Item};

/// Builds every check and flow, file by file (a `use` or `protocol` sets the file's default).
pub(super) fn build_all(env: &mut Env, files: &[ast::File], out: &mut RuleSet) {
    for file in files {
        let mut current: Option<usize> = None;
        for item in &file.items {
            match item {
                Item::Use(id) => match out.protocols.iter().position(|p| p.name == id.name) {
                    Some(i) => current = Some(i),
                    None => {
                        let names: Vec<String> =
                            out.protocols.iter().map(|p| p.name.clone()).collect();
                        env.diags.push(Diag::UnknownName {
                            span: id.span,
                            kind: "protocol",
                            name: id.name.clone(),
                            suggestion: super::suggest(&id.name, &names),
                        });
                    }
                },
                Item::Protocol(p) => {
                    current = out.protocols.iter().position(|q| q.name == p.name.name)
                }
                Item::Check(c) => {
                    if let Some(proto) = protocol_for(env, out, current, c.span) {
                        if let Some(chk) = check(env, out, c, proto) {
                            out.checks.push(chk);
                        }
                    }
                }
                Item::Flow(f) => {
                    if let Some(proto) = protocol_for(env, out, current, f.span) {
                        if let Some(fl) = flow(env, out, f, proto) {
                            out.flows.push(fl);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn protocol_for(
    env: &mut Env,
    out: &RuleSet,
    current: Option<usize>,
    span: ast::Span,
) -> Option<usize> {
    if current.is_some() {
        return current;
    }
    if out.protocols.len() == 1 {
        return Some(0);
    }
    let head = ast::Span {
        end: span.start + 5,
        ..span
    };
    env.diags.push(Diag::NoProtocol {
        span: head,
        count: out.protocols.len(),
    });
    None
}

fn scope(proto: usize, side: Side, vars: &[String]) -> Scope<'_> {
    Scope {
        protocol: Some(proto),
        req: true,
        rsp: side == Side::Response,
        msg: false,
        xch: true,
        unit: true,
        vars,
        place: if side == Side::Request {
            "in a request-side rule"
        } else {
            "in a response-side rule"
        },
    }
}

/// `a <= b` → measured `a`, limit `b`.
fn infer_measure(e: &ast::Expr) -> Option<(&ast::Expr, &ast::Expr)> {
    match &e.kind {
        ast::ExprKind::Binary(op, a, b) if op.is_comparison() && *op != BinOp::Ne => Some((a, b)),
        _ => None,
    }
}

fn check(env: &mut Env, out: &RuleSet, c: &ast::Check, proto: usize) -> Option<ir::Check> {
    let param = param_id(env, out, &c.param);
    // Keep checking the body under an unknown parameter type, so one load reports everything.
    let side = param.map(|p| out.params[p as usize].side).unwrap_or(
        if c.param.name.starts_with("response.") {
            Side::Response
        } else {
            Side::Request
        },
    );
    let param = param.unwrap_or(0);
    let sc = scope(proto, side, &[]);
    let mut chk = ir::Check {
        id: c.id.name.clone(),
        title: super::expr::unescape(&c.title.raw),
        param,
        protocol: proto,
        services: vec![],
        when: None,
        require: Expr::Lit(ir::Const::Bool(true)),
        measure: None,
        limit: None,
        message: ir::Message::default(),
        help: None,
        locate: None,
        span: c.span,
    };
    let (mut require, mut message) = (None, None);
    let mut seen: Vec<&str> = Vec::new();
    for clause in &c.clauses {
        let (name, span) = clause_name(clause);
        if name != "service" && seen.contains(&name) {
            env.diags.push(Diag::DuplicateClause {
                span,
                clause: name.into(),
            });
            continue;
        }
        seen.push(name);
        match clause {
            CheckClause::Service(sids) => {
                for &(sid, span) in sids {
                    if (0..=0xFFFF).contains(&sid) {
                        chk.services.push(sid);
                    } else {
                        env.diags.push(Diag::BadLiteral {
                            span,
                            what: format!("service id {sid:#X}: expected 0 to 0xFFFF"),
                        });
                    }
                }
            }
            CheckClause::When(e) => chk.when = env.expr_of(e, &sc, Ty::Bool),
            CheckClause::Require(e) => {
                require = env.expr_of(e, &sc, Ty::Bool);
                // Operands already checked above: no diagnostic can come twice.
                if let (Some(_), Some((m, l))) = (&require, infer_measure(e)) {
                    chk.measure = env.expr(m, &sc).map(|x| x.0);
                    chk.limit = env.expr(l, &sc).map(|x| x.0);
                }
            }
            CheckClause::Measure(_) | CheckClause::Limit(_) => {}
            CheckClause::Message(s) => message = Some(env.message(s, &sc)),
            CheckClause::Help(s) => chk.help = Some(env.message(s, &sc)),
            CheckClause::Locate(k, e) => {
                chk.locate = env.expr_of(e, &sc, Ty::Int).map(|x| (loc_kind(k), x))
            }
        }
    }
    // An explicit measure/limit clause wins over the inferred one; re-apply in clause order.
    for clause in &c.clauses {
        match clause {
            CheckClause::Measure(e) => chk.measure = env.expr(e, &sc).map(|x| x.0),
            CheckClause::Limit(e) => chk.limit = env.expr(e, &sc).map(|x| x.0),
            _ => {}
        }
    }
    match require {
        Some(r) => chk.require = r,
        None if !seen.contains(&"require") => {
            env.diags.push(Diag::MissingRequire {
                span: c.id.span,
                id: c.id.name.clone(),
            });
            return None;
        }
        None => return None,
    }
    chk.message = message.unwrap_or_else(|| ir::Message {
        pieces: vec![ir::Piece::Lit(chk.title.clone())],
    });
    Some(chk)
}

fn clause_name(c: &CheckClause) -> (&'static str, ast::Span) {
    match c {
        CheckClause::Service(s) => ("service", s[0].1),
        CheckClause::When(e) => ("when", e.span),
        CheckClause::Require(e) => ("require", e.span),
        CheckClause::Measure(e) => ("measure", e.span),
        CheckClause::Limit(e) => ("limit", e.span),
        CheckClause::Message(s) => ("message", s.span),
        CheckClause::Help(s) => ("help", s.span),
        CheckClause::Locate(k, _) => ("locate", k.span),
    }
}

fn loc_kind(k: &ast::Ident) -> LocKind {
    if k.name == "packet" {
        LocKind::Packet
    } else {
        LocKind::Block
    }
}

fn flow(env: &mut Env, out: &RuleSet, f: &ast::Flow, proto: usize) -> Option<ir::Flow> {
    let param = match &f.param {
        Some(p) => param_id(env, out, p)?,
        None => out.params.iter().position(|p| p.name == "request.flow")? as u16,
    };
    let sent_param = out.params.iter().position(|p| p.name == "request.sent")? as u16;
    // Variables: each initial value may use the unit and earlier variables.
    let mut names: Vec<String> = Vec::new();
    let mut vars = Vec::new();
    env.var_types.clear();
    for (id, e) in &f.vars {
        if names.contains(&id.name) {
            env.diags.push(Diag::Duplicate {
                span: id.span,
                kind: "flow variable",
                name: id.name.clone(),
                first: "this flow".into(),
            });
            continue;
        }
        let sc = Scope {
            req: false,
            rsp: false,
            xch: false,
            ..scope(proto, Side::Request, &names)
        };
        let (x, t) = env
            .expr(e, &sc)
            .unwrap_or((Expr::Lit(ir::Const::Int(0)), Ty::Int));
        env.var_types.push(t);
        names.push(id.name.clone());
        vars.push((id.name.clone(), x));
    }
    let sc = scope(proto, Side::Response, &names);
    let skips = f
        .skips
        .iter()
        .filter_map(|s| env.expr_of(s, &sc, Ty::Bool))
        .collect();
    let mut steps: Vec<Step> = Vec::new();
    for part in &f.parts {
        let (group_steps, grouped): (&[ast::Step], bool) = match part {
            FlowPart::Step(s) => (std::slice::from_ref(s), false),
            FlowPart::Group(g, _) => (g, true),
        };
        let first = steps.len();
        for s in group_steps {
            if steps.iter().any(|x| x.name == s.name.name) {
                env.diags.push(Diag::Duplicate {
                    span: s.name.span,
                    kind: "step",
                    name: s.name.name.clone(),
                    first: "this flow".into(),
                });
            }
            let when = env
                .expr_of(&s.when, &sc, Ty::Bool)
                .unwrap_or(Expr::Lit(ir::Const::Bool(false)));
            let actions = actions(env, out, &s.actions, &sc, &names, param);
            steps.push(Step {
                name: s.name.name.clone(),
                title: super::expr::unescape(&s.title.raw),
                optional: matches!(s.modifier, Some('?') | Some('*')),
                repeat: matches!(s.modifier, Some('+') | Some('*')),
                group: None,
                when,
                actions,
            });
        }
        if grouped && steps.len() > first {
            let last = steps.len() - 1;
            for s in &mut steps[first..] {
                s.group = Some((first, last));
            }
        }
    }
    let fin_sc = Scope {
        req: false,
        rsp: false,
        xch: false,
        ..scope(proto, Side::Request, &names)
    };
    let finish = actions(env, out, &f.finish, &fin_sc, &names, sent_param);
    let help = f.help.as_ref().map(|h| env.message(h, &fin_sc));
    Some(ir::Flow {
        id: f.id.name.clone(),
        title: super::expr::unescape(&f.title.raw),
        param,
        sent_param,
        protocol: proto,
        skips,
        vars,
        steps,
        finish,
        help,
        span: f.span,
    })
}

fn actions(
    env: &mut Env,
    out: &RuleSet,
    acts: &[ast::Action],
    sc: &Scope,
    names: &[String],
    default_param: u16,
) -> Vec<Action> {
    let mut v = Vec::new();
    for a in acts {
        match a {
            ast::Action::Set(id, e) => {
                let Some(i) = names.iter().position(|n| n == &id.name) else {
                    env.diags.push(Diag::UnknownName {
                        span: id.span,
                        kind: "flow variable",
                        name: id.name.clone(),
                        suggestion: super::suggest(&id.name, names),
                    });
                    continue;
                };
                let want = env.var_types[i];
                if let Some(x) = env.expr_of(e, sc, want) {
                    v.push(Action::Set(i as u16, x));
                }
            }
            ast::Action::Require {
                param,
                cond,
                message,
                locate,
                span,
            } => {
                let p = match param {
                    Some(p) => match param_id(env, out, p) {
                        Some(p) => p,
                        None => continue,
                    },
                    None => default_param,
                };
                let Some(c) = env.expr_of(cond, sc, Ty::Bool) else {
                    continue;
                };
                let (measure, limit) = match infer_measure(cond) {
                    Some((m, l)) => (env.expr(m, sc).map(|x| x.0), env.expr(l, sc).map(|x| x.0)),
                    None => (None, None),
                }; // `cond` checked without error above, so its operands check cleanly
                let message = env.message(message, sc);
                let locate = locate
                    .as_ref()
                    .and_then(|(k, e)| env.expr_of(e, sc, Ty::Int).map(|x| (loc_kind(k), x)));
                v.push(Action::Require {
                    param: p,
                    cond: c,
                    message,
                    locate,
                    measure,
                    limit,
                    span: *span,
                });
            }
        }
    }
    v
}
