//! Builds protocol declarations: header fields, classifiers, pairing keys, timers, per-unit config.
//!
//! A protocol is what lets a new transport or OEM dialect be added with rule files only, so its
//! clauses are checked strictly (missing, repeated, or reading the wrong message).

use super::{Env, ProtoScope, Scope, Ty};
use crate::diag::Diag;
use crate::ir::{self, ConfigField, ConfigValue, Const, Expr, LocKind, Locate, Plan, RuleSet};
use crate::syntax::ast::{self, BinOp, ExprKind, Item, ProtoClause, Width};
use otadiag_model::Stage;

/// Builds every protocol; their field and config scopes become visible to later passes.
pub(super) fn build_all(env: &mut Env, items: &[&Item], out: &mut RuleSet) {
    for item in items {
        let Item::Protocol(p) = item else { continue };
        if out.protocols.iter().any(|q| q.name == p.name.name) {
            continue; // duplicate already reported
        }
        let idx = env.protos.len();
        env.protos.push(ProtoScope {
            name: p.name.name.clone(),
            fields: vec![],
            config: vec![],
        });
        let proto = build(env, p, idx);
        out.protocols.push(proto);
    }
    // (stage, transport) must pick exactly one protocol.
    for (i, a) in out.protocols.iter().enumerate() {
        for b in &out.protocols[..i] {
            if a.stage != b.stage {
                continue;
            }
            if let Some(t) = a.transports.iter().find(|t| b.transports.contains(t)) {
                env.diags.push(Diag::AmbiguousProtocol {
                    span: a.span,
                    first: b.name.clone(),
                    second: a.name.clone(),
                    stage: a.stage.as_str().into(),
                    transport: t.clone(),
                });
            }
        }
    }
}

fn once<T>(env: &mut Env, slot: &mut Option<T>, v: T, clause: &str, span: ast::Span) {
    if slot.is_some() {
        env.diags.push(Diag::DuplicateClause {
            span,
            clause: clause.into(),
        });
    } else {
        *slot = Some(v);
    }
}

fn build(env: &mut Env, p: &ast::Protocol, idx: usize) -> ir::Protocol {
    let name = p.name.name.clone();
    let mut stage = None;
    let (mut client, mut server, mut transports, mut keep) = (None, None, None, (16u32, 64u32));
    // Fields and config first: clause expressions may use them whatever the clause order.
    for c in &p.clauses {
        match c {
            ProtoClause::Field {
                name: f,
                width,
                offset,
                mask,
                len,
                span,
            } => field(env, idx, f, *width, *offset, *mask, len, *span),
            ProtoClause::Config(n, v) => config(env, idx, n, v),
            _ => {}
        }
    }
    let sc = |req: bool, rsp: bool, msg: bool, place: &'static str| Scope {
        protocol: Some(idx),
        req,
        rsp,
        msg,
        xch: false,
        unit: req || rsp,
        vars: &[],
        place,
    };
    let mut proto = ir::Protocol {
        name: name.clone(),
        stage: Stage::Flash,
        client_role: String::new(),
        server_role: String::new(),
        transports: vec![],
        keep_request: 16,
        keep_response: 64,
        fields: vec![],
        service: None,
        is_response: None,
        is_negative: None,
        is_pending: None,
        is_functional: None,
        is_silent: None,
        pair: vec![],
        matches: None,
        timer_first: None,
        timer_pending: None,
        config: vec![],
        nrc: None,
        locate: vec![],
        plan: Plan::default(),
        span: p.span,
    };
    let mut pair_seen = false;
    let (mut keep_seen, mut service_seen) = (None, None);
    for c in &p.clauses {
        match c {
            ProtoClause::Stage(s) => match Stage::parse(&s.name) {
                Some(st) => once(env, &mut stage, st, "stage", s.span),
                None => env.diags.push(Diag::UnknownName {
                    span: s.span,
                    kind: "stage",
                    name: s.name.clone(),
                    suggestion: super::suggest(&s.name, &["deploy".into(), "flash".into()]),
                }),
            },
            ProtoClause::Client(s) => once(env, &mut client, s.raw.clone(), "client", s.span),
            ProtoClause::Server(s) => once(env, &mut server, s.raw.clone(), "server", s.span),
            ProtoClause::Transport(ts) => {
                let names = ts.iter().map(|t| t.name.clone()).collect();
                once(env, &mut transports, names, "transport", ts[0].span)
            }
            ProtoClause::Keep(ks) => {
                once(env, &mut keep_seen, (), "keep", ks[0].0.span);
                for (dir, n) in ks {
                    if !(1..=i64::from(u16::MAX)).contains(n) {
                        env.diags.push(Diag::BadLiteral {
                            span: dir.span,
                            what: format!("keep {} {n}: expected 1 to 65535 bytes", dir.name),
                        });
                        continue;
                    }
                    if dir.name == "request" {
                        keep.0 = *n as u32;
                    } else {
                        keep.1 = *n as u32;
                    }
                }
            }
            ProtoClause::Service(f) => {
                once(env, &mut service_seen, (), "service", f.span);
                let fields = &env.protos[idx].fields;
                match fields.iter().position(|x| x.name == f.name) {
                    Some(i) => proto.service = Some(i as u16),
                    None => {
                        let names = fields.iter().map(|x| x.name.clone()).collect::<Vec<_>>();
                        env.diags.push(Diag::UnknownField {
                            span: f.span,
                            protocol: name.clone(),
                            name: f.name.clone(),
                            suggestion: super::suggest(&f.name, &names),
                        })
                    }
                }
            }
            ProtoClause::Response(e) => classifier(
                env,
                &mut proto.is_response,
                e,
                &sc(false, false, true, "in `response when`"),
                "response when",
            ),
            ProtoClause::Negative(e) => classifier(
                env,
                &mut proto.is_negative,
                e,
                &sc(false, false, true, "in `negative when`"),
                "negative when",
            ),
            ProtoClause::Pending(e) => classifier(
                env,
                &mut proto.is_pending,
                e,
                &sc(false, false, true, "in `pending when`"),
                "pending when",
            ),
            ProtoClause::Functional(e) => classifier(
                env,
                &mut proto.is_functional,
                e,
                &sc(true, false, false, "in `functional when`"),
                "functional when",
            ),
            ProtoClause::Silent(e) => classifier(
                env,
                &mut proto.is_silent,
                e,
                &sc(true, false, false, "in `silent when`"),
                "silent when",
            ),
            ProtoClause::Match(e) => classifier(
                env,
                &mut proto.matches,
                e,
                &sc(true, true, false, "in `match`"),
                "match",
            ),
            ProtoClause::Pair(e) => {
                if pair_seen {
                    env.diags.push(Diag::DuplicateClause {
                        span: e.span,
                        clause: "pair".into(),
                    });
                }
                pair_seen = true;
                proto.pair = pair(env, e, idx);
            }
            ProtoClause::Timer(kind, e) => {
                let s = sc(true, false, false, "in a timer");
                if let Some(x) = env.expr_of(e, &s, Ty::Dur) {
                    let slot = if kind.name == "first" {
                        &mut proto.timer_first
                    } else {
                        &mut proto.timer_pending
                    };
                    once(env, slot, x, &format!("timer {}", kind.name), kind.span);
                }
            }
            ProtoClause::Nrc(code, named) => {
                let s = sc(true, true, false, "in `nrc`");
                let c = env.expr_of(code, &s, Ty::Int);
                let n = named.as_ref().and_then(|n| env.expr_of(n, &s, Ty::Str));
                if let Some(c) = c {
                    once(env, &mut proto.nrc, (c, n), "nrc", code.span);
                }
            }
            ProtoClause::Locate(kind, value, when) => {
                let s = sc(true, false, false, "in `locate`");
                let v = env.expr_of(value, &s, Ty::Int);
                let w = when.as_ref().and_then(|w| env.expr_of(w, &s, Ty::Bool));
                if let Some(value) = v {
                    let kind = if kind.name == "packet" {
                        LocKind::Packet
                    } else {
                        LocKind::Block
                    };
                    proto.locate.push(Locate {
                        kind,
                        value,
                        when: w,
                    });
                }
            }
            ProtoClause::Field { .. } | ProtoClause::Config(..) => {}
        }
    }
    let missing = |env: &mut Env, clause: &'static str| {
        env.diags.push(Diag::MissingClause {
            span: p.name.span,
            protocol: name.clone(),
            clause,
        })
    };
    match stage {
        Some(s) => proto.stage = s,
        None => missing(env, "stage"),
    }
    match client {
        Some(c) => proto.client_role = c,
        None => missing(env, "client"),
    }
    match server {
        Some(s) => proto.server_role = s,
        None => missing(env, "server"),
    }
    match transports {
        Some(t) => proto.transports = t,
        None => missing(env, "transport"),
    }
    if !pair_seen {
        missing(env, "pair");
    }
    (proto.keep_request, proto.keep_response) = keep;
    proto.fields = env.protos[idx].fields.clone();
    proto.config = config_defaults(env, p, idx);
    proto
}

fn classifier(env: &mut Env, slot: &mut Option<Expr>, e: &ast::Expr, sc: &Scope, clause: &str) {
    if let Some(x) = env.expr_of(e, sc, Ty::Bool) {
        once(env, slot, x, clause, e.span);
    }
}

#[allow(clippy::too_many_arguments)]
fn field(
    env: &mut Env,
    idx: usize,
    f: &ast::Ident,
    width: Width,
    offset: i64,
    mask: Option<i64>,
    len: &Option<ast::Ident>,
    span: ast::Span,
) {
    let bad = |what: String| Diag::BadField { span, what };
    if env.protos[idx].fields.iter().any(|x| x.name == f.name) {
        env.diags.push(Diag::Duplicate {
            span: f.span,
            kind: "field",
            name: f.name.clone(),
            first: "this protocol".into(),
        });
        return;
    }
    if !(0..=0xFFFF).contains(&offset) {
        env.diags
            .push(bad(format!("offset {offset} is out of range")));
        return;
    }
    let (width, len_field) = match (width, len) {
        (Width::Bytes(w), None) => (w, None),
        (Width::Var, Some(l)) => match env.protos[idx].fields.iter().position(|x| x.name == l.name)
        {
            Some(i) => (0, Some(i as u16)),
            None => {
                env.diags.push(Diag::UnknownField {
                    span: l.span,
                    protocol: env.protos[idx].name.clone(),
                    name: l.name.clone(),
                    suggestion: None,
                });
                return;
            }
        },
        (Width::Var, None) => {
            return env.diags.push(bad(
                "`uint` needs `len FIELD` (the field holding its byte count)".into(),
            ))
        }
        (Width::Bytes(_), Some(_)) => {
            return env
                .diags
                .push(bad("`len` applies only to `uint` fields".into()))
        }
    };
    let mask = mask.map(|m| m as u64).unwrap_or(u64::MAX);
    if mask == 0 {
        env.diags.push(bad("mask 0 leaves no bits".into()));
        return;
    }
    env.protos[idx].fields.push(ir::Field {
        name: f.name.clone(),
        offset: offset as u32,
        width,
        mask,
        shift: mask.trailing_zeros() as u8,
        len_field,
    });
}

fn config(env: &mut Env, idx: usize, n: &ast::Ident, v: &ast::ConfigValue) {
    if env.protos[idx]
        .config
        .iter()
        .any(|(name, _)| *name == n.name)
    {
        env.diags.push(Diag::Duplicate {
            span: n.span,
            kind: "config setting",
            name: n.name.clone(),
            first: format!("earlier in protocol `{}`", env.protos[idx].name),
        });
        return;
    }
    let ty = match v {
        ast::ConfigValue::Set(_) => None,
        ast::ConfigValue::Expr(ast::Expr {
            kind: ExprKind::Name(s),
            ..
        }) if env.set_id(s).is_some() => None,
        ast::ConfigValue::Expr(e) => match env.expr(e, &Scope::CONST) {
            Some((Expr::Lit(c), _)) => Some(super::expr::const_ty(&c)),
            Some(_) => {
                env.diags.push(Diag::NotConstant { span: e.span });
                Some(Ty::Int)
            }
            None => Some(Ty::Int),
        },
    };
    env.protos[idx].config.push((n.name.clone(), ty));
}

fn config_defaults(env: &mut Env, p: &ast::Protocol, idx: usize) -> Vec<ConfigField> {
    let _ = idx;
    let mut out = Vec::new();
    for c in &p.clauses {
        let ProtoClause::Config(n, v) = c else {
            continue;
        };
        let default = match v {
            ast::ConfigValue::Set(lit) => match env.set_value(lit) {
                Ok(s) => ConfigValue::Set(s),
                Err(d) => {
                    env.diags.push(d);
                    continue;
                }
            },
            ast::ConfigValue::Expr(ast::Expr {
                kind: ExprKind::Name(s),
                ..
            }) if env.set_id(s).is_some() => {
                ConfigValue::Set(env.sets[env.set_id(s).unwrap() as usize].clone())
            }
            ast::ConfigValue::Expr(e) => {
                let n = env.diags.len();
                let v = match env.expr(e, &Scope::CONST) {
                    Some((Expr::Lit(c), _)) => ConfigValue::Scalar(c),
                    _ => ConfigValue::Scalar(Const::Int(0)),
                };
                env.diags.truncate(n); // already reported while typing the entry
                v
            }
        };
        out.push(ConfigField {
            name: n.name.clone(),
            default,
        });
    }
    out
}

fn pair(env: &mut Env, e: &ast::Expr, idx: usize) -> Vec<(Expr, Expr)> {
    let mut terms = Vec::new();
    flatten_and(e, &mut terms);
    let req = Scope {
        protocol: Some(idx),
        req: true,
        rsp: false,
        msg: false,
        xch: false,
        unit: false,
        vars: &[],
        place: "on the request side of `pair`",
    };
    let rsp = Scope {
        req: false,
        rsp: true,
        place: "on the response side of `pair`",
        ..req
    };
    let mut out = Vec::new();
    if terms.len() > ir::MAX_PAIR {
        env.diags.push(Diag::PairTooLong {
            span: e.span,
            count: terms.len(),
            max: ir::MAX_PAIR,
        });
    }
    for t in terms {
        let ExprKind::Binary(BinOp::Eq, a, b) = &t.kind else {
            env.diags.push(Diag::BadPair { span: t.span });
            continue;
        };
        let (Some(x), Some(y)) = (env.expr_of(a, &req, Ty::Int), env.expr_of(b, &rsp, Ty::Int))
        else {
            continue;
        };
        out.push((x, y));
    }
    out
}

fn flatten_and<'e>(e: &'e ast::Expr, out: &mut Vec<&'e ast::Expr>) {
    match &e.kind {
        ExprKind::Binary(BinOp::And, a, b) => {
            flatten_and(a, out);
            flatten_and(b, out);
        }
        _ => out.push(e),
    }
}
