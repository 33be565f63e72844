//! Runtime values and the meaning of every operator, shared by the constant folder and the engine
//! so a rule means the same thing whether it is folded at load time or evaluated per message.
//!
//! `Unknown` stands for "the recorder did not keep this" or "there is no response": it propagates
//! through arithmetic and comparisons, and `and`/`or` follow three-valued (Kleene) logic, so a
//! check that cannot be decided is reported as not applicable instead of failing.

use crate::ir::Const;
use crate::syntax::ast::BinOp;
use otadiag_model::units::format_duration;

/// A value during evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Not known (field not kept, no response, lookup miss).
    Unknown,
    /// Integer.
    Int(i64),
    /// Duration or timestamp in ns.
    Dur(i64),
    /// Boolean.
    Bool(bool),
    /// Text from a table.
    Str(&'a str),
}

impl<'a> Value<'a> {
    /// The value of a constant.
    pub fn of(c: &'a Const) -> Value<'a> {
        match c {
            Const::Int(v) => Value::Int(*v),
            Const::Dur(v) => Value::Dur(*v),
            Const::Bool(v) => Value::Bool(*v),
            Const::Str(s) => Value::Str(s),
        }
    }

    /// Back to a constant (for folding), `None` for `Unknown`.
    pub fn to_const(self) -> Option<Const> {
        Some(match self {
            Value::Unknown => return None,
            Value::Int(v) => Const::Int(v),
            Value::Dur(v) => Const::Dur(v),
            Value::Bool(v) => Const::Bool(v),
            Value::Str(s) => Const::Str(s.into()),
        })
    }

    /// The number inside an `Int` or `Dur`.
    pub fn num(self) -> Option<i64> {
        match self {
            Value::Int(v) | Value::Dur(v) => Some(v),
            _ => None,
        }
    }

    /// Text for messages: durations with a unit, integers in decimal or hex.
    pub fn display(self, hex: bool) -> String {
        match self {
            Value::Unknown => "?".into(),
            Value::Int(v) if hex => format!("0x{v:02X}"),
            Value::Int(v) => v.to_string(),
            Value::Dur(v) => format_duration(v),
            Value::Bool(b) => b.to_string(),
            Value::Str(s) => s.to_string(),
        }
    }
}

/// Applies a binary operator (both operands already evaluated).
pub fn binary<'a>(op: BinOp, a: Value<'a>, b: Value<'a>) -> Value<'a> {
    use BinOp::*;
    use Value::*;
    match op {
        And => match (a, b) {
            (Bool(false), _) | (_, Bool(false)) => Bool(false),
            (Bool(true), Bool(true)) => Bool(true),
            _ => Unknown,
        },
        Or => match (a, b) {
            (Bool(true), _) | (_, Bool(true)) => Bool(true),
            (Bool(false), Bool(false)) => Bool(false),
            _ => Unknown,
        },
        Eq | Ne => {
            let eq = match (a, b) {
                (Unknown, _) | (_, Unknown) => return Unknown,
                (Str(x), Str(y)) => x == y,
                (Bool(x), Bool(y)) => x == y,
                (x, y) => x.num() == y.num(),
            };
            Bool(if op == Eq { eq } else { !eq })
        }
        Lt | Le | Gt | Ge => match (a.num(), b.num()) {
            (Some(x), Some(y)) => Bool(match op {
                Lt => x < y,
                Le => x <= y,
                Gt => x > y,
                _ => x >= y,
            }),
            _ => Unknown,
        },
        _ => {
            let (Some(x), Some(y)) = (a.num(), b.num()) else {
                return Unknown;
            };
            let dur = matches!(a, Dur(_)) || matches!(b, Dur(_));
            let v = match op {
                Add => x.wrapping_add(y),
                Sub => x.wrapping_sub(y),
                Mul => x.wrapping_mul(y),
                Div if y == 0 => return Unknown,
                Div => {
                    let q = x.wrapping_div(y);
                    return if matches!((a, b), (Dur(_), Dur(_))) {
                        Int(q)
                    } else if dur {
                        Dur(q)
                    } else {
                        Int(q)
                    };
                }
                Rem if y == 0 => return Unknown,
                Rem => x.wrapping_rem(y),
                BitAnd => x & y,
                BitOr => x | y,
                BitXor => x ^ y,
                Shl => x.checked_shl(y as u32).unwrap_or(0),
                Shr => x.checked_shr(y as u32).unwrap_or(0),
                _ => unreachable!(),
            };
            if dur {
                Dur(v)
            } else {
                Int(v)
            }
        }
    }
}
