//! Resolves and type-checks expressions into IR: names to indices, units enforced, constants folded.
//!
//! Which names exist depends on where an expression stands (a request check cannot read the
//! response; `msg` exists only in classifiers), so every call carries a [`Scope`].

use super::Env;
use crate::diag::Diag;
use crate::ir::{Const, Ctx, Expr, Meta, XchField};
use crate::syntax::ast::{self, BinOp, ExprKind, SetRef, UnOp};

/// The type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// Integer (also sizes in bytes and addresses).
    Int,
    /// Duration or timestamp, in ns.
    Dur,
    /// Boolean.
    Bool,
    /// Text (table cells).
    Str,
}

impl Ty {
    fn article(self) -> &'static str {
        match self {
            Ty::Int => "an integer",
            Ty::Dur => "a duration",
            Ty::Bool => "a boolean",
            Ty::Str => "a string",
        }
    }
}

/// Where an expression stands: which of `req`, `rsp`, `msg`, `xch`, `unit` and flow variables exist.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// Protocol whose fields and config are visible.
    pub protocol: Option<usize>,
    /// `req` readable.
    pub req: bool,
    /// `rsp` readable.
    pub rsp: bool,
    /// `msg` readable.
    pub msg: bool,
    /// `xch` readable.
    pub xch: bool,
    /// `unit` readable.
    pub unit: bool,
    /// Flow variables in scope.
    pub vars: &'a [String],
    /// Words for diagnostics: "in a request check".
    pub place: &'static str,
}

impl Scope<'static> {
    /// Only constants: `const`, `set`, table cells.
    pub const CONST: Scope<'static> = Scope {
        protocol: None,
        req: false,
        rsp: false,
        msg: false,
        xch: false,
        unit: false,
        vars: &[],
        place: "in a constant",
    };
}

impl Env<'_> {
    /// Resolves, type-checks and folds an expression; records a diagnostic and returns `None` on error.
    pub fn expr(&mut self, e: &ast::Expr, sc: &Scope) -> Option<(Expr, Ty)> {
        let r = self.expr_inner(e, sc);
        match r {
            Ok(v) => Some(v),
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    /// Like [`Env::expr`] but requires a type.
    pub fn expr_of(&mut self, e: &ast::Expr, sc: &Scope, want: Ty) -> Option<Expr> {
        let (x, t) = self.expr(e, sc)?;
        if t != want {
            self.diags.push(Diag::TypeMismatch {
                span: e.span,
                expected: want.article().into(),
                found: t.article().into(),
            });
            return None;
        }
        Some(x)
    }

    fn expr_inner(&mut self, e: &ast::Expr, sc: &Scope) -> Result<(Expr, Ty), Diag> {
        Ok(match &e.kind {
            ExprKind::Int(v) => (Expr::Lit(Const::Int(*v)), Ty::Int),
            ExprKind::Dur(v) => (Expr::Lit(Const::Dur(*v)), Ty::Dur),
            ExprKind::Bool(v) => (Expr::Lit(Const::Bool(*v)), Ty::Bool),
            ExprKind::Str(s) => (Expr::Lit(Const::Str(unescape(s).into())), Ty::Str),
            ExprKind::Name(n) => self.name(n, e, sc)?,
            ExprKind::Member(base, m) => self.member(base, m, e, sc)?,
            ExprKind::Index(base, idx) => self.index(base, idx, e, sc)?,
            ExprKind::Call(name, args) => self.call(name, args, e, sc)?,
            ExprKind::Unary(UnOp::Not, x) => {
                let x = self.want(x, sc, Ty::Bool)?;
                (fold(Expr::Not(Box::new(x))), Ty::Bool)
            }
            ExprKind::Unary(UnOp::Neg, x) => {
                let (x, t) = self.expr_inner(x, sc)?;
                if t != Ty::Int && t != Ty::Dur {
                    return Err(mismatch(e.span, "a number or duration", t));
                }
                (fold(Expr::Neg(Box::new(x))), t)
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, e, sc)?,
            ExprKind::In(x, set) => {
                let xv = self.want(x, sc, Ty::Int)?;
                match set {
                    SetRef::Lit(lit) => {
                        let id = self.set_literal(lit)?;
                        (Expr::InSet(Box::new(xv), id), Ty::Bool)
                    }
                    SetRef::Named(n) => self.named_set(xv, n, sc)?,
                }
            }
            ExprKind::If(c, a, b) => {
                let c = self.want(c, sc, Ty::Bool)?;
                let (a, ta) = self.expr_inner(a, sc)?;
                let (bx, tb) = self.expr_inner(b, sc)?;
                if ta != tb {
                    return Err(mismatch(b.span, ta.article(), tb));
                }
                (fold(Expr::If(Box::new(c), Box::new(a), Box::new(bx))), ta)
            }
        })
    }

    fn want(&mut self, e: &ast::Expr, sc: &Scope, t: Ty) -> Result<Expr, Diag> {
        let (x, got) = self.expr_inner(e, sc)?;
        if got != t {
            return Err(mismatch(e.span, t.article(), got));
        }
        Ok(x)
    }

    fn name(&mut self, n: &str, e: &ast::Expr, sc: &Scope) -> Result<(Expr, Ty), Diag> {
        if let Some(i) = sc.vars.iter().position(|v| v == n) {
            let ty = self.var_types.get(i).copied().unwrap_or(Ty::Int);
            return Ok((Expr::Var(i as u16), ty));
        }
        if let Some(c) = self.const_value(n, e.span)? {
            let ty = const_ty(&c);
            return Ok((Expr::Lit(c), ty));
        }
        if matches!(n, "req" | "rsp" | "msg" | "xch" | "unit") {
            return Err(Diag::WrongContext {
                span: e.span,
                name: n.into(),
                context: "on its own".into(),
                hint: format!(
                    "read one of its fields, e.g. `{n}.{}`",
                    if n == "xch" { "wait" } else { "len" }
                ),
            });
        }
        let mut candidates: Vec<String> = sc.vars.to_vec();
        candidates.extend(self.const_names());
        Err(Diag::UnknownName {
            span: e.span,
            kind: "name",
            name: n.into(),
            suggestion: suggest(n, &candidates),
        })
    }

    fn ctx(&self, base: &str, span: ast::Span, sc: &Scope) -> Result<Option<Ctx>, Diag> {
        let (ctx, ok) = match base {
            "req" => (Ctx::Req, sc.req),
            "rsp" => (Ctx::Rsp, sc.rsp),
            "msg" => (Ctx::Msg, sc.msg),
            _ => return Ok(None),
        };
        if !ok {
            let hint = match base {
                "rsp" => "request-side rules run before the response is looked at; use a response.* parameter type",
                "msg" => "`msg` exists only in `response when`, `negative when` and `pending when`",
                _ => "this clause looks at a single message; use `msg`",
            };
            return Err(Diag::WrongContext {
                span,
                name: base.into(),
                context: sc.place.into(),
                hint: hint.into(),
            });
        }
        Ok(Some(ctx))
    }

    fn member(
        &mut self,
        base: &ast::Expr,
        m: &ast::Ident,
        e: &ast::Expr,
        sc: &Scope,
    ) -> Result<(Expr, Ty), Diag> {
        if let ExprKind::Name(b) = &base.kind {
            if let Some(ctx) = self.ctx(b, base.span, sc)? {
                return self.message_member(ctx, m, sc);
            }
            match b.as_str() {
                "xch" if sc.xch => return xch_member(m),
                "xch" => {
                    return Err(Diag::WrongContext {
                        span: base.span,
                        name: "xch".into(),
                        context: sc.place.into(),
                        hint: "exchange facts exist only in checks and flows".into(),
                    })
                }
                "unit" if sc.unit => return self.unit_member(m, sc),
                "unit" => {
                    return Err(Diag::WrongContext {
                        span: base.span,
                        name: "unit".into(),
                        context: sc.place.into(),
                        hint: "per-unit configuration is not known when constants load".into(),
                    })
                }
                _ => {}
            }
        }
        if let ExprKind::Index(t, key) = &base.kind {
            if let ExprKind::Name(tname) = &t.kind {
                if let Some(tid) = self.table_id(tname) {
                    let key = self.want(key, sc, Ty::Int)?;
                    let (cols, tys) = self.table_columns(tid);
                    let Some(ci) = cols.iter().position(|c| c == &m.name) else {
                        return Err(Diag::UnknownName {
                            span: m.span,
                            kind: "table column",
                            name: m.name.clone(),
                            suggestion: suggest(&m.name, &cols),
                        });
                    };
                    return Ok((
                        fold_table(self, Expr::Table(tid, ci as u16, Box::new(key))),
                        tys[ci],
                    ));
                }
            }
        }
        Err(Diag::UnknownName {
            span: e.span,
            kind: "value",
            name: render_path(e),
            suggestion: None,
        })
    }

    fn message_member(&mut self, ctx: Ctx, m: &ast::Ident, sc: &Scope) -> Result<(Expr, Ty), Diag> {
        let meta = match m.name.as_str() {
            "src" => Some((Meta::Src, Ty::Int)),
            "dst" => Some((Meta::Dst, Ty::Int)),
            "len" => Some((Meta::Len, Ty::Int)),
            "ts" => Some((Meta::Ts, Ty::Dur)),
            "kept" => Some((Meta::Kept, Ty::Int)),
            "negative" => Some((Meta::Negative, Ty::Bool)),
            "pending" => Some((Meta::Pending, Ty::Bool)),
            "functional" => Some((Meta::Functional, Ty::Bool)),
            _ => None,
        };
        if let Some((meta, ty)) = meta {
            return Ok((Expr::Meta(ctx, meta), ty));
        }
        let Some(p) = sc.protocol else {
            return Err(Diag::UnknownName {
                span: m.span,
                kind: "field",
                name: m.name.clone(),
                suggestion: None,
            });
        };
        let proto = &self.protos[p];
        match proto.fields.iter().position(|f| f.name == m.name) {
            Some(i) => Ok((Expr::Field(ctx, i as u16), Ty::Int)),
            None => {
                let mut names: Vec<String> = proto.fields.iter().map(|f| f.name.clone()).collect();
                names.extend(
                    [
                        "src",
                        "dst",
                        "len",
                        "ts",
                        "kept",
                        "negative",
                        "pending",
                        "functional",
                    ]
                    .map(String::from),
                );
                Err(Diag::UnknownField {
                    span: m.span,
                    protocol: proto.name.clone(),
                    name: m.name.clone(),
                    suggestion: suggest(&m.name, &names),
                })
            }
        }
    }

    fn unit_member(&mut self, m: &ast::Ident, sc: &Scope) -> Result<(Expr, Ty), Diag> {
        if m.name == "address" {
            return Ok((Expr::UnitAddress, Ty::Int));
        }
        let proto = &self.protos[sc.protocol.expect("unit scope has a protocol")];
        match proto.config.iter().position(|c| c.0 == m.name) {
            Some(i) => match proto.config[i].1 {
                Some(ty) => Ok((Expr::Config(i as u16), ty)),
                None => Err(Diag::TypeMismatch {
                    span: m.span,
                    expected: "a value".into(),
                    found: "a set (use it after `in`)".into(),
                }),
            },
            None => {
                let mut names: Vec<String> = proto.config.iter().map(|c| c.0.clone()).collect();
                names.push("address".into());
                Err(Diag::UnknownName {
                    span: m.span,
                    kind: "unit setting",
                    name: m.name.clone(),
                    suggestion: suggest(&m.name, &names),
                })
            }
        }
    }

    fn named_set(&mut self, x: Expr, n: &ast::Expr, sc: &Scope) -> Result<(Expr, Ty), Diag> {
        match &n.kind {
            ExprKind::Name(name) => match self.set_id(name) {
                Some(id) => Ok((Expr::InSet(Box::new(x), id), Ty::Bool)),
                None => Err(Diag::UnknownName {
                    span: n.span,
                    kind: "set",
                    name: name.clone(),
                    suggestion: suggest(name, &self.set_names()),
                }),
            },
            ExprKind::Member(b, m)
                if matches!(&b.kind, ExprKind::Name(u) if u == "unit") && sc.unit =>
            {
                let proto = &self.protos[sc.protocol.expect("protocol")];
                match proto
                    .config
                    .iter()
                    .position(|c| c.0 == m.name && c.1.is_none())
                {
                    Some(i) => Ok((Expr::InConfig(Box::new(x), i as u16), Ty::Bool)),
                    None => Err(Diag::UnknownName {
                        span: m.span,
                        kind: "set-valued unit setting",
                        name: m.name.clone(),
                        suggestion: None,
                    }),
                }
            }
            _ => Err(Diag::TypeMismatch {
                span: n.span,
                expected: "a set".into(),
                found: "something else".into(),
            }),
        }
    }

    fn index(
        &mut self,
        base: &ast::Expr,
        idx: &ast::Expr,
        e: &ast::Expr,
        sc: &Scope,
    ) -> Result<(Expr, Ty), Diag> {
        if let ExprKind::Name(b) = &base.kind {
            if let Some(ctx) = self.ctx(b, base.span, sc)? {
                let i = self.want(idx, sc, Ty::Int)?;
                return Ok((Expr::Byte(ctx, Box::new(i)), Ty::Int));
            }
            if let Some(tid) = self.table_id(b) {
                let (cols, _) = self.table_columns(tid);
                return Err(Diag::WrongContext {
                    span: e.span,
                    name: b.clone(),
                    context: "without a column".into(),
                    hint: format!(
                        "pick a column: `{b}[...].{}`",
                        cols.first().cloned().unwrap_or_default()
                    ),
                });
            }
        }
        Err(Diag::UnknownName {
            span: base.span,
            kind: "table",
            name: render_path(base),
            suggestion: suggest(&render_path(base), &self.table_names()),
        })
    }

    fn call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Expr],
        e: &ast::Expr,
        sc: &Scope,
    ) -> Result<(Expr, Ty), Diag> {
        let arity = match name.name.as_str() {
            "min" | "max" => 2,
            _ => {
                return Err(Diag::UnknownName {
                    span: name.span,
                    kind: "function",
                    name: name.name.clone(),
                    suggestion: suggest(&name.name, &["min".into(), "max".into()]),
                })
            }
        };
        if args.len() != arity {
            return Err(Diag::CallArity {
                span: e.span,
                name: name.name.clone(),
                expected: arity,
                found: args.len(),
            });
        }
        let (a, ta) = self.expr_inner(&args[0], sc)?;
        let (b, tb) = self.expr_inner(&args[1], sc)?;
        if ta != tb || !matches!(ta, Ty::Int | Ty::Dur) {
            return Err(mismatch(args[1].span, ta.article(), tb));
        }
        let x = if name.name == "min" {
            Expr::Min(Box::new(a), Box::new(b))
        } else {
            Expr::Max(Box::new(a), Box::new(b))
        };
        Ok((fold(x), ta))
    }

    fn binary(
        &mut self,
        op: BinOp,
        a: &ast::Expr,
        b: &ast::Expr,
        e: &ast::Expr,
        sc: &Scope,
    ) -> Result<(Expr, Ty), Diag> {
        use BinOp::*;
        let (x, tx) = self.expr_inner(a, sc)?;
        let (y, ty) = self.expr_inner(b, sc)?;
        let out = match op {
            Or | And => {
                if tx != Ty::Bool {
                    return Err(mismatch(a.span, "a boolean", tx));
                }
                if ty != Ty::Bool {
                    return Err(mismatch(b.span, "a boolean", ty));
                }
                Ty::Bool
            }
            Eq | Ne | Lt | Le | Gt | Ge => {
                unit_check(tx, ty, a, b)?;
                if tx != ty {
                    return Err(mismatch(b.span, tx.article(), ty));
                }
                if !matches!(op, Eq | Ne) && !matches!(tx, Ty::Int | Ty::Dur) {
                    return Err(mismatch(e.span, "numbers or durations to order", tx));
                }
                Ty::Bool
            }
            Add | Sub => {
                unit_check(tx, ty, a, b)?;
                if tx != ty || !matches!(tx, Ty::Int | Ty::Dur) {
                    return Err(mismatch(b.span, tx.article(), ty));
                }
                tx
            }
            Mul => match (tx, ty) {
                (Ty::Int, Ty::Int) => Ty::Int,
                (Ty::Dur, Ty::Int) | (Ty::Int, Ty::Dur) => Ty::Dur,
                _ => {
                    return Err(mismatch(
                        e.span,
                        "numbers (a duration may be scaled by a number)",
                        ty,
                    ))
                }
            },
            Div => match (tx, ty) {
                (Ty::Int, Ty::Int) => Ty::Int,
                (Ty::Dur, Ty::Int) => Ty::Dur,
                (Ty::Dur, Ty::Dur) => Ty::Int,
                _ => return Err(mismatch(e.span, "numbers or durations", ty)),
            },
            Rem | BitAnd | BitOr | BitXor | Shl | Shr => {
                if tx != Ty::Int {
                    return Err(mismatch(a.span, "an integer", tx));
                }
                if ty != Ty::Int {
                    return Err(mismatch(b.span, "an integer", ty));
                }
                Ty::Int
            }
        };
        Ok((fold(Expr::Bin(op, Box::new(x), Box::new(y))), out))
    }
}

fn xch_member(m: &ast::Ident) -> Result<(Expr, Ty), Diag> {
    use XchField::*;
    let (f, t) = match m.name.as_str() {
        "answered" => (Answered, Ty::Bool),
        "has_request" => (HasRequest, Ty::Bool),
        "wait" => (Wait, Ty::Dur),
        "limit" => (Limit, Ty::Dur),
        "pending" => (Pending, Ty::Int),
        "responses" => (Responses, Ty::Int),
        "matched" => (Matched, Ty::Bool),
        "end_of_recording" => (EndOfRecording, Ty::Bool),
        "recovered" => (Recovered, Ty::Bool),
        "index" => (Index, Ty::Int),
        _ => {
            let names: Vec<String> = XCH_FIELDS.iter().map(|s| s.to_string()).collect();
            return Err(Diag::UnknownName {
                span: m.span,
                kind: "exchange fact",
                name: m.name.clone(),
                suggestion: suggest(&m.name, &names),
            });
        }
    };
    Ok((Expr::Xch(f), t))
}

/// Names of the exchange facts, for docs and suggestions.
pub const XCH_FIELDS: [&str; 10] = [
    "answered",
    "has_request",
    "wait",
    "limit",
    "pending",
    "responses",
    "matched",
    "end_of_recording",
    "recovered",
    "index",
];

fn unit_check(tx: Ty, ty: Ty, a: &ast::Expr, b: &ast::Expr) -> Result<(), Diag> {
    let bare = |e: &ast::Expr| match &e.kind {
        ExprKind::Int(v) => Some(v.to_string()),
        _ => None,
    };
    match (tx, ty) {
        (Ty::Dur, Ty::Int) => match bare(b) {
            Some(n) => Err(Diag::MissingUnit {
                span: b.span,
                number: n,
            }),
            None => Err(mismatch(b.span, "a duration", ty)),
        },
        (Ty::Int, Ty::Dur) => match bare(a) {
            Some(n) => Err(Diag::MissingUnit {
                span: a.span,
                number: n,
            }),
            None => Err(mismatch(a.span, "a duration", tx)),
        },
        _ => Ok(()),
    }
}

fn mismatch(span: ast::Span, expected: &str, found: Ty) -> Diag {
    Diag::TypeMismatch {
        span,
        expected: expected.into(),
        found: found.article().into(),
    }
}

/// The type of a constant.
pub fn const_ty(c: &Const) -> Ty {
    match c {
        Const::Int(_) => Ty::Int,
        Const::Dur(_) => Ty::Dur,
        Const::Bool(_) => Ty::Bool,
        Const::Str(_) => Ty::Str,
    }
}

/// `a.b[c].d` as text, for messages.
pub fn render_path(e: &ast::Expr) -> String {
    match &e.kind {
        ExprKind::Name(n) => n.clone(),
        ExprKind::Member(b, m) => format!("{}.{}", render_path(b), m.name),
        ExprKind::Index(b, _) => format!("{}[..]", render_path(b)),
        _ => "expression".into(),
    }
}

/// The closest candidate within a small edit distance.
pub fn suggest(name: &str, candidates: &[String]) -> Option<String> {
    candidates
        .iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&name.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.clone())
}

/// Processes `\"`, `\\`, `\n`, `\t` escapes.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn fold_table(env: &Env, e: Expr) -> Expr {
    if let Expr::Table(t, c, k) = &e {
        if let Expr::Lit(Const::Int(key)) = **k {
            if let Some(v) = env.table_cell(*t, *c, key) {
                return Expr::Lit(v);
            }
        }
    }
    e
}

pub use super::fold::fold;
