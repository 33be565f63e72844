//! Turns a failed check or flow step into a [`Finding`]: cause and blamed side from the cause
//! map, the interpolated message, measured vs limit, the problem packet/block and the evidence
//! window (step S204).

use crate::eval::Env;
use crate::exchange::Xch;
use crate::unit::UnitView;
use otadiag_model::report::{Evidence, Finding, Location, MsgRef, SourceRef};
use otadiag_rules::diag::line_col;
use otadiag_rules::ir::{Action, Check, Expr, Flow, Fmt, LocKind, Message, Piece};
use otadiag_rules::syntax::ast::Span;
use otadiag_rules::value::Value;

/// Records shown on each side of the failing exchange.
pub const EVIDENCE_CONTEXT: usize = 3;

/// What failed, before it is rendered.
pub struct FindingSpec<'a> {
    param: u16,
    rule: &'a str,
    title: &'a str,
    span: Span,
    message: Result<&'a Message, String>,
    help: Option<&'a Message>,
    measure: Option<&'a Expr>,
    limit: Option<&'a Expr>,
    locate: Option<&'a (LocKind, Expr)>,
    x: Option<&'a Xch>,
}

impl<'a> FindingSpec<'a> {
    /// A failed check.
    pub fn check(c: &'a Check, x: &'a Xch) -> Self {
        FindingSpec {
            param: c.param,
            rule: &c.id,
            title: &c.title,
            span: c.span,
            message: Ok(&c.message),
            help: c.help.as_ref(),
            measure: c.measure.as_ref(),
            limit: c.limit.as_ref(),
            locate: c.locate.as_ref(),
            x: Some(x),
        }
    }

    /// A failed `require` inside a flow step or its `finish`.
    pub fn flow_require(f: &'a Flow, a: &'a Action, x: Option<&'a Xch>) -> Self {
        let Action::Require {
            param,
            message,
            locate,
            measure,
            limit,
            span,
            ..
        } = a
        else {
            unreachable!("only requirements fail")
        };
        FindingSpec {
            param: *param,
            rule: &f.id,
            title: &f.title,
            span: *span,
            message: Ok(message),
            help: f.help.as_ref(),
            measure: measure.as_ref(),
            limit: limit.as_ref(),
            locate: locate.as_ref(),
            x,
        }
    }

    /// A request that no step accepts at this point of the flow.
    pub fn flow_order(f: &'a Flow, x: &'a Xch, after: Option<&str>, wanted: &[&str]) -> Self {
        let msg = format!(
            "request {{service}} is out of order {}; expected {}",
            after
                .map(|a| format!("after {a}"))
                .unwrap_or_else(|| "at the start".into()),
            if wanted.is_empty() {
                "nothing more".into()
            } else {
                wanted.join(" or ")
            }
        );
        FindingSpec {
            message: Err(msg),
            ..Self::bare(f, f.param, Some(x))
        }
    }

    /// The flow ended with a mandatory step never reached.
    pub fn flow_incomplete(f: &'a Flow, after: Option<&str>, next: &str) -> Self {
        let msg = match after {
            Some(a) => format!("{next} was never sent after {a}"),
            None => format!("{next} was never sent: the sequence never started"),
        };
        FindingSpec {
            message: Err(msg),
            ..Self::bare(f, f.sent_param, None)
        }
    }

    fn bare(f: &'a Flow, param: u16, x: Option<&'a Xch>) -> Self {
        FindingSpec {
            param,
            rule: &f.id,
            title: &f.title,
            span: f.span,
            message: Err(String::new()),
            help: f.help.as_ref(),
            measure: None,
            limit: None,
            locate: None,
            x,
        }
    }
}

/// The findings of one unit.
pub struct Findings<'v> {
    view: &'v UnitView<'v>,
    /// Findings in the order found; the first is the root.
    pub list: Vec<Finding>,
}

impl<'v> Findings<'v> {
    /// An empty list for a unit.
    pub fn new(view: &'v UnitView<'v>) -> Self {
        Findings {
            view,
            list: Vec::new(),
        }
    }

    /// Number of findings so far.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// No finding yet.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Renders a spec into a finding (the first one is the root, later ones its consequences).
    pub fn push<'a>(&mut self, env: &Env<'a, '_>, spec: FindingSpec<'a>) {
        let view = self.view;
        let rules = view.rules;
        let proto = view.proto;
        let param = &rules.params[spec.param as usize];
        let cause = param.cause.map(|c| &rules.causes[c]);
        let blame = cause.map(|c| c.blame);
        let role = match blame {
            Some(otadiag_rules::ir::Blame::Client) => proto.client_role.clone(),
            Some(otadiag_rules::ir::Blame::Server) => proto.server_role.clone(),
            None => String::new(),
        };
        let service = spec.x.and_then(|x| x.service);
        let message = match spec.message {
            Ok(m) => render(m, env),
            Err(text) => text.replace("{service}", &service.map(hex).unwrap_or_else(|| "?".into())),
        };
        let (nrc, nrc_name) = match (&proto.nrc, spec.x) {
            (Some((code, name)), Some(x)) if x.negative && x.primary.is_some() => (
                env.eval(code).num().map(hex),
                name.as_ref().and_then(|n| match env.eval(n) {
                    Value::Str(s) => Some(s.to_string()),
                    _ => None,
                }),
            ),
            _ => (None, None),
        };
        let (file, text) = &rules.files[spec.span.file as usize];
        let (line, column) = line_col(text, spec.span.start as usize);
        let msg_ref = |pos: Option<u32>| {
            pos.map(|p| {
                let r = &view.bundle.records[view.recs[p as usize] as usize];
                MsgRef {
                    index: p as usize,
                    ts: r.ts,
                    line: r.line,
                }
            })
        };
        let root = self.list.is_empty();
        self.list.push(Finding {
            root,
            consequence_of: if root { None } else { Some(0) },
            cause: cause
                .map(|c| c.name.clone())
                .unwrap_or_else(|| param.name.replace('.', "_")),
            parameter: param.name.clone(),
            side: blame.map(|b| b.as_str().to_string()).unwrap_or_default(),
            role,
            rule: spec.rule.to_string(),
            rule_title: spec.title.to_string(),
            rule_source: SourceRef {
                file: file.clone(),
                line,
                column,
            },
            message,
            help: spec.help.map(|h| render(h, env)).filter(|h| !h.is_empty()),
            service: service.map(hex),
            nrc,
            nrc_name,
            exchange: spec.x.map(|x| x.index as usize),
            request: msg_ref(spec.x.and_then(|x| x.req)),
            response: msg_ref(spec.x.and_then(|x| x.primary)),
            measured: spec
                .measure
                .map(|e| env.eval(e))
                .filter(|v| *v != Value::Unknown)
                .map(|v| v.display(false)),
            limit: spec
                .limit
                .map(|e| env.eval(e))
                .filter(|v| *v != Value::Unknown)
                .map(|v| v.display(false)),
            location: self.location(env, spec.locate, spec.x),
            evidence: self.evidence(spec.x),
        });
    }

    fn location(&self, env: &Env, over: Option<&(LocKind, Expr)>, x: Option<&Xch>) -> Location {
        let view = self.view;
        let mut loc = Location {
            unit: view.name.clone(),
            address: view.address.map(|a| hex(a as i64)),
            packet: None,
            block: None,
        };
        let mut set = |kind: LocKind, v: Option<i64>| match kind {
            LocKind::Packet => loc.packet = loc.packet.or(v),
            LocKind::Block => loc.block = loc.block.or(v),
        };
        if let Some((kind, e)) = over {
            set(*kind, env.eval(e).num());
        }
        if x.is_some_and(|x| x.req.is_some()) {
            for l in &view.proto.locate {
                if l.when.as_ref().is_none_or(|w| env.holds(w)) {
                    set(l.kind, env.eval(&l.value).num());
                }
            }
        }
        loc
    }

    fn evidence(&self, x: Option<&Xch>) -> Vec<Evidence> {
        let view = self.view;
        let n = view.recs.len();
        if n == 0 {
            return vec![];
        }
        let (from, to) = match x {
            Some(x) => (x.first_pos as usize, x.last_pos as usize),
            None => (n - 1, n - 1),
        };
        let lo = from.saturating_sub(EVIDENCE_CONTEXT);
        let hi = (to + EVIDENCE_CONTEXT)
            .min(n - 1)
            .min(lo + 4 * EVIDENCE_CONTEXT);
        (lo..=hi)
            .map(|p| {
                let r = &view.bundle.records[view.recs[p] as usize];
                let ip = view.bundle.transports[r.transport as usize].starts_with("someip");
                let addr = |a: u32| {
                    if ip {
                        std::net::Ipv4Addr::from(a).to_string()
                    } else {
                        hex(a as i64)
                    }
                };
                let focus =
                    x.is_some_and(|x| x.req == Some(p as u32) || x.primary == Some(p as u32));
                Evidence {
                    index: p,
                    ts: r.ts,
                    dir: r.dir.short().into(),
                    src: addr(r.src),
                    dst: addr(r.dst),
                    hdr: hex::encode_upper(view.bundle.header(r)),
                    len: r.len,
                    focus,
                }
            })
            .collect()
    }
}

/// `0x36`, `0x0E80`, `0x5C00`.
pub fn hex(v: i64) -> String {
    if (0..=0xFF).contains(&v) {
        format!("0x{v:02X}")
    } else {
        format!("0x{v:04X}")
    }
}

/// Renders an interpolated message.
pub fn render(m: &Message, env: &Env) -> String {
    let mut s = String::new();
    for p in &m.pieces {
        match p {
            Piece::Lit(t) => s.push_str(t),
            Piece::Expr(e, Fmt::Ip) => match env.eval(e) {
                Value::Int(v) => s.push_str(&std::net::Ipv4Addr::from(v as u32).to_string()),
                v => s.push_str(&v.display(false)),
            },
            Piece::Expr(e, fmt) => s.push_str(&env.eval(e).display(*fmt == Fmt::Hex)),
        }
    }
    s
}
