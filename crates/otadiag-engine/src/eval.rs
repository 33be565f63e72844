//! Evaluates IR expressions against one exchange: header fields read straight from the kept
//! bytes, `Unknown` where the recorder kept too little or there is no response.

use crate::exchange::Xch;
use otadiag_model::{Bundle, Record};
use otadiag_rules::ir::{ConfigValue, Const, Ctx, Expr, Field, Meta, Protocol, RuleSet, XchField};
use otadiag_rules::syntax::ast::BinOp;
use otadiag_rules::value::{binary, Value};

/// Everything an expression may read.
#[derive(Clone, Copy)]
pub struct Env<'a, 'v> {
    /// The rule set (tables, sets).
    pub rules: &'a RuleSet,
    /// The unit's protocol.
    pub proto: &'a Protocol,
    /// The bundle (header bytes).
    pub bundle: &'a Bundle,
    /// The request, if any.
    pub req: Option<&'a Record>,
    /// The final response, if any.
    pub rsp: Option<&'a Record>,
    /// The message being classified.
    pub msg: Option<&'a Record>,
    /// The exchange.
    pub xch: Option<&'a Xch>,
    /// Per-unit configuration.
    pub config: &'a [&'a ConfigValue],
    /// The unit's address.
    pub address: Option<u32>,
    /// Flow variables.
    pub vars: &'v [Value<'a>],
}

impl<'a, 'v> Env<'a, 'v> {
    /// An environment that reads only one message (classifiers).
    pub fn for_msg(self, msg: &'a Record) -> Env<'a, 'v> {
        Env {
            msg: Some(msg),
            ..self
        }
    }

    fn record(&self, c: Ctx) -> Option<&'a Record> {
        match c {
            Ctx::Req => self.req,
            Ctx::Rsp => self.rsp,
            Ctx::Msg => self.msg,
        }
    }

    /// Evaluates an expression.
    ///
    /// Leaves (constants, header fields, message and exchange facts, config values, flow
    /// variables) are evaluated inline, so an operator node reads its operands without a call;
    /// everything else goes through [`Env::node`]. This is the engine's hot path: every check
    /// runs on every exchange (see docs/PERFORMANCE.md).
    #[inline(always)]
    pub fn eval(&self, e: &'a Expr) -> Value<'a> {
        match e {
            Expr::Lit(c) => Value::of(c),
            Expr::Field(c, f) => match self.record(*c) {
                Some(r) => self.field(r, &self.proto.fields[*f as usize]),
                None => Value::Unknown,
            },
            Expr::Meta(c, m) if !matches!(m, Meta::Negative | Meta::Pending | Meta::Functional) => {
                match self.record(*c) {
                    Some(r) => fact(r, *m),
                    None => Value::Unknown,
                }
            }
            Expr::Xch(f) => match self.xch {
                Some(x) => xch_value(x, *f),
                None => Value::Unknown,
            },
            Expr::Config(i) => match self.config.get(*i as usize) {
                Some(ConfigValue::Scalar(c)) => Value::of(c),
                _ => Value::Unknown,
            },
            Expr::Var(i) => self
                .vars
                .get(*i as usize)
                .copied()
                .unwrap_or(Value::Unknown),
            _ => self.node(e),
        }
    }

    /// Evaluates the common operators (`and`, `or`, comparisons, `not`); the rest goes through
    /// [`Env::other`], so this frame stays small. Results are exactly those of [`binary`].
    #[inline(never)]
    fn node(&self, e: &'a Expr) -> Value<'a> {
        match e {
            Expr::Bin(op, a, b) => {
                let x = self.eval(a);
                // Short-circuit where the left side decides.
                match (op, x) {
                    (BinOp::And, Value::Bool(false)) => return Value::Bool(false),
                    (BinOp::Or, Value::Bool(true)) => return Value::Bool(true),
                    _ => {}
                }
                let y = self.eval(b);
                // Fast paths for the usual operand types; same results as `binary`.
                match (op, x, y) {
                    (BinOp::Eq, Value::Int(p), Value::Int(q)) => Value::Bool(p == q),
                    (BinOp::Ne, Value::Int(p), Value::Int(q)) => Value::Bool(p != q),
                    (BinOp::Lt, Value::Int(p), Value::Int(q)) => Value::Bool(p < q),
                    (BinOp::Le, Value::Int(p), Value::Int(q)) => Value::Bool(p <= q),
                    (BinOp::Gt, Value::Int(p), Value::Int(q)) => Value::Bool(p > q),
                    (BinOp::Ge, Value::Int(p), Value::Int(q)) => Value::Bool(p >= q),
                    (BinOp::And, Value::Bool(p), Value::Bool(q)) => Value::Bool(p && q),
                    (BinOp::Or, Value::Bool(p), Value::Bool(q)) => Value::Bool(p || q),
                    (BinOp::Add, Value::Int(p), Value::Int(q)) => Value::Int(p.wrapping_add(q)),
                    (BinOp::Sub, Value::Int(p), Value::Int(q)) => Value::Int(p.wrapping_sub(q)),
                    (BinOp::Rem, Value::Int(p), Value::Int(q)) if q != 0 => {
                        Value::Int(p.wrapping_rem(q))
                    }
                    _ => binary(*op, x, y),
                }
            }
            Expr::Not(a) => match self.eval(a) {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Unknown,
            },
            _ => self.other(e),
        }
    }

    /// Evaluates the remaining forms; leaves and `and`/`or`/comparisons/`not` never reach here
    /// (they are handled by [`Env::eval`] and [`Env::node`]).
    #[inline(never)]
    fn other(&self, e: &'a Expr) -> Value<'a> {
        match e {
            Expr::Lit(_)
            | Expr::Field(..)
            | Expr::Xch(_)
            | Expr::Config(_)
            | Expr::Var(_)
            | Expr::Bin(..)
            | Expr::Not(_) => {
                unreachable!("evaluated by `eval` or `node`")
            }
            Expr::Byte(c, i) => match (self.record(*c), self.eval(i)) {
                (Some(r), Value::Int(i)) if i >= 0 => self
                    .bundle
                    .header(r)
                    .get(i as usize)
                    .map(|b| Value::Int(*b as i64))
                    .unwrap_or(Value::Unknown),
                _ => Value::Unknown,
            },
            Expr::Meta(c, m) => match self.record(*c) {
                Some(r) => self.meta(r, *m),
                None => Value::Unknown,
            },
            Expr::UnitAddress => self
                .address
                .map(|a| Value::Int(a as i64))
                .unwrap_or(Value::Unknown),
            Expr::Neg(a) => match self.eval(a) {
                Value::Int(v) => Value::Int(v.wrapping_neg()),
                Value::Dur(v) => Value::Dur(v.wrapping_neg()),
                _ => Value::Unknown,
            },
            Expr::InSet(x, s) => match self.eval(x) {
                Value::Int(v) => Value::Bool(self.rules.sets[*s as usize].contains(v)),
                _ => Value::Unknown,
            },
            Expr::InConfig(x, i) => match (self.eval(x), self.config.get(*i as usize)) {
                (Value::Int(v), Some(ConfigValue::Set(s))) => Value::Bool(s.contains(v)),
                _ => Value::Unknown,
            },
            Expr::Table(t, c, k) => match self.eval(k) {
                Value::Int(key) => {
                    let table = &self.rules.tables[*t as usize];
                    match table.row(key) {
                        Some(r) => Value::of(&table.rows[r][*c as usize]),
                        None => Value::Unknown,
                    }
                }
                _ => Value::Unknown,
            },
            Expr::If(c, a, b) => match self.eval(c) {
                Value::Bool(true) => self.eval(a),
                Value::Bool(false) => self.eval(b),
                _ => Value::Unknown,
            },
            Expr::Min(a, b) | Expr::Max(a, b) => {
                let (x, y) = (self.eval(a), self.eval(b));
                match (x.num(), y.num()) {
                    (Some(p), Some(q)) => {
                        let pick_x = if matches!(e, Expr::Min(..)) {
                            p <= q
                        } else {
                            p >= q
                        };
                        if pick_x {
                            x
                        } else {
                            y
                        }
                    }
                    // An unknown bound does not hide a known one.
                    (Some(_), None) => x,
                    (None, Some(_)) => y,
                    _ => Value::Unknown,
                }
            }
        }
    }

    /// Reads a header field; `Unknown` when it lies beyond the kept bytes.
    #[inline(always)]
    pub fn field(&self, r: &Record, f: &Field) -> Value<'a> {
        let width = if f.width > 0 {
            f.width as usize
        } else {
            match self.field_width(r, f) {
                Some(w) => w,
                None => return Value::Unknown,
            }
        };
        // `Bundle::header`, inlined (it lives in another crate).
        let off = r.hdr_off as usize;
        let h = &self.bundle.headers[off..off + r.hdr_len as usize];
        let start = f.offset as usize;
        let Some(bytes) = h.get(start..start + width) else {
            return Value::Unknown;
        };
        let mut v: u64 = 0;
        for b in bytes {
            v = (v << 8) | *b as u64;
        }
        Value::Int(((v & f.mask) >> f.shift) as i64)
    }

    /// The width of a variable-width field, from its length field (1..=8 bytes).
    #[cold]
    #[inline(never)]
    fn field_width(&self, r: &Record, f: &Field) -> Option<usize> {
        match f
            .len_field
            .map(|l| self.field(r, &self.proto.fields[l as usize]))
        {
            Some(Value::Int(w)) if (1..=8).contains(&w) => Some(w as usize),
            _ => None,
        }
    }

    fn meta(&self, r: &'a Record, m: Meta) -> Value<'a> {
        let classify = |e: &'a Option<Expr>| match e {
            Some(e) => self.for_msg(r).eval(e),
            None => Value::Bool(false),
        };
        match m {
            Meta::Src | Meta::Dst | Meta::Len | Meta::Ts | Meta::Kept => fact(r, m),
            Meta::Negative => classify(&self.proto.is_negative),
            Meta::Pending => classify(&self.proto.is_pending),
            Meta::Functional => match &self.proto.is_functional {
                Some(e) => Env {
                    req: Some(r),
                    ..*self
                }
                .eval(e),
                None => Value::Bool(false),
            },
        }
    }

    /// True only when the expression evaluates to `true`.
    #[inline]
    pub fn holds(&self, e: &'a Expr) -> bool {
        self.eval(e) == Value::Bool(true)
    }
}

/// A message fact read straight from the record (not the classifiers, which evaluate rules).
#[inline]
fn fact<'a>(r: &Record, m: Meta) -> Value<'a> {
    match m {
        Meta::Src => Value::Int(r.src as i64),
        Meta::Dst => Value::Int(r.dst as i64),
        Meta::Len => Value::Int(r.len as i64),
        Meta::Ts => Value::Dur(r.ts),
        Meta::Kept => Value::Int(r.hdr_len as i64),
        // Not called for these: `eval` and `meta` send the classifiers to their rules.
        Meta::Negative | Meta::Pending | Meta::Functional => Value::Unknown,
    }
}

#[inline]
fn xch_value<'a>(x: &Xch, f: XchField) -> Value<'a> {
    let opt_dur = |v: Option<i64>| v.map(Value::Dur).unwrap_or(Value::Unknown);
    match f {
        XchField::Answered => Value::Bool(x.primary.is_some()),
        XchField::HasRequest => Value::Bool(x.req.is_some()),
        XchField::Wait => opt_dur(x.wait),
        XchField::Limit => opt_dur(x.limit),
        XchField::Pending => Value::Int(x.pendings as i64),
        XchField::Responses => Value::Int(x.responses as i64),
        XchField::Matched => x.matched.map(Value::Bool).unwrap_or(Value::Unknown),
        XchField::EndOfRecording => Value::Bool(x.end_of_recording),
        XchField::Recovered => Value::Bool(x.recovered),
        XchField::Index => Value::Int(x.index as i64),
    }
}

/// The value of a per-unit config entry as a constant, for display.
pub fn const_of(c: &ConfigValue) -> Option<&Const> {
    match c {
        ConfigValue::Scalar(c) => Some(c),
        ConfigValue::Set(_) => None,
    }
}
