//! Constant folding: an operator whose operands are all constants becomes a constant, using the
//! same operator semantics as the engine ([`crate::value`]).

use crate::ir::{Const, Expr};
use crate::value::{binary, Value};

/// Folds one node whose children are already folded.
pub fn fold(e: Expr) -> Expr {
    fn lit(x: &Expr) -> Option<Value<'_>> {
        match x {
            Expr::Lit(c) => Some(Value::of(c)),
            _ => None,
        }
    }
    let folded = match &e {
        Expr::Bin(op, a, b) => match (lit(a), lit(b)) {
            (Some(x), Some(y)) => binary(*op, x, y).to_const(),
            _ => None,
        },
        Expr::Not(a) => match lit(a) {
            Some(Value::Bool(v)) => Some(Const::Bool(!v)),
            _ => None,
        },
        Expr::Neg(a) => match lit(a) {
            Some(Value::Int(v)) => Some(Const::Int(v.wrapping_neg())),
            Some(Value::Dur(v)) => Some(Const::Dur(v.wrapping_neg())),
            _ => None,
        },
        Expr::If(c, a, b) => match lit(c) {
            Some(Value::Bool(true)) => return (**a).clone(),
            Some(Value::Bool(false)) => return (**b).clone(),
            _ => None,
        },
        Expr::Min(a, b) | Expr::Max(a, b) => {
            match (lit(a).and_then(Value::num), lit(b).and_then(Value::num)) {
                (Some(x), Some(y)) => {
                    let v = if matches!(e, Expr::Min(..)) {
                        x.min(y)
                    } else {
                        x.max(y)
                    };
                    Some(match lit(a) {
                        Some(Value::Dur(_)) => Const::Dur(v),
                        _ => Const::Int(v),
                    })
                }
                _ => None,
            }
        }
        _ => None,
    };
    match folded {
        Some(c) => Expr::Lit(c),
        None => e,
    }
}
