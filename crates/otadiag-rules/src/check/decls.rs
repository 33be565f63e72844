//! Declarations that everything else refers to: constants, sets, tables, parameter types and the
//! cause map. Registered first so a rule may use a name declared in any file of the set.

use super::{ConstState, Env, Scope, Ty};
use crate::diag::Diag;
use crate::ir::{self, Blame, CauseInfo, Const, IntSet, ParamInfo, RuleSet, Side};
use crate::syntax::ast::{self, Item, RowKey};
use std::collections::HashMap;

/// Registers constants, set names, table names and parameter types; reports duplicates.
pub(super) fn register<'a>(env: &mut Env<'a>, items: &[&'a Item], out: &mut RuleSet) {
    let mut seen: HashMap<(&str, String), ast::Span> = HashMap::new();
    fn dup(
        env: &mut Env,
        seen: &mut HashMap<(&str, String), ast::Span>,
        kind: &'static str,
        id: &ast::Ident,
    ) -> bool {
        if let Some(first) = seen.get(&(kind, id.name.clone())) {
            let first = env.at(*first);
            env.diags.push(Diag::Duplicate {
                span: id.span,
                kind,
                name: id.name.clone(),
                first,
            });
            true
        } else {
            seen.insert((kind, id.name.clone()), id.span);
            false
        }
    }
    for item in items {
        match item {
            Item::Const(id, e) => {
                if !dup(env, &mut seen, "constant", id) {
                    env.consts
                        .insert(id.name.clone(), (ConstState::Pending(e), id.span));
                }
            }
            Item::Set(id, _) => {
                if !dup(env, &mut seen, "set", id) {
                    env.set_names.insert(id.name.clone(), u32::MAX);
                }
            }
            Item::Table(t) => {
                dup(env, &mut seen, "table", &t.name);
            }
            Item::Parameter(id, desc) => {
                if super::BUILTIN_PARAMS.iter().any(|(n, _)| *n == id.name)
                    || dup(env, &mut seen, "parameter type", id)
                {
                    if super::BUILTIN_PARAMS.iter().any(|(n, _)| *n == id.name) {
                        env.diags.push(Diag::Duplicate {
                            span: id.span,
                            kind: "parameter type",
                            name: id.name.clone(),
                            first: "the built-in parameter types".into(),
                        });
                    }
                    continue;
                }
                out.params.push(ParamInfo {
                    name: id.name.clone(),
                    side: if id.name.starts_with("request.") {
                        Side::Request
                    } else {
                        Side::Response
                    },
                    description: desc
                        .as_ref()
                        .map(|d| super::expr::unescape(&d.raw))
                        .unwrap_or_default(),
                    cause: None,
                });
            }
            Item::Protocol(p) => {
                dup(env, &mut seen, "protocol", &p.name);
            }
            Item::Check(c) => {
                dup_rule(env, &mut seen, &c.id);
            }
            Item::Flow(f) => {
                dup_rule(env, &mut seen, &f.id);
            }
            Item::Use(_) | Item::Cause(_) => {}
        }
    }
}

fn dup_rule(env: &mut Env, seen: &mut HashMap<(&str, String), ast::Span>, id: &ast::Ident) {
    if let Some(first) = seen.get(&("rule", id.name.clone())) {
        let first = env.at(*first);
        env.diags.push(Diag::DuplicateRuleId {
            span: id.span,
            id: id.name.clone(),
            first,
        });
    } else {
        seen.insert(("rule", id.name.clone()), id.span);
    }
}

/// Evaluates sets and tables (constants are evaluated on first use).
pub(super) fn values(env: &mut Env, items: &[&Item]) {
    // Tables first: set elements and constants may look values up in them.
    for item in items {
        if let Item::Table(t) = item {
            if env.table_id(&t.name.name).is_some() {
                continue;
            }
            let table = table(env, t);
            env.table_names
                .insert(t.name.name.clone(), env.tables.len() as u32);
            env.table_types.push(table.1);
            env.tables.push(table.0);
        }
    }
    for item in items {
        if let Item::Set(id, lit) = item {
            if env.set_names.get(&id.name) != Some(&u32::MAX) {
                continue;
            }
            let set = env.set_value(lit).unwrap_or_else(|d| {
                env.diags.push(d);
                IntSet::default()
            });
            env.sets.push(set);
            let idx = env.sets.len() as u32 - 1;
            env.set_names.insert(id.name.clone(), idx);
        }
    }
    // Constants nobody used are still checked.
    let names: Vec<(String, ast::Span)> =
        env.consts.iter().map(|(k, v)| (k.clone(), v.1)).collect();
    for (n, span) in names {
        if let Err(d) = env.const_value(&n, span) {
            env.diags.push(d);
        }
    }
}

fn table(env: &mut Env, t: &ast::Table) -> (ir::Table, Vec<Ty>) {
    let mut types = Vec::new();
    for (col, ty) in &t.columns {
        types.push(match ty.name.as_str() {
            "str" => Ty::Str,
            "int" => Ty::Int,
            "dur" => Ty::Dur,
            _ => Ty::Bool,
        });
        let _ = col;
    }
    let mut rows = Vec::new();
    let mut keys: Vec<(i64, i64)> = Vec::new();
    let mut default = None;
    for row in &t.rows {
        if row.values.len() != types.len() {
            env.diags.push(Diag::TableRow {
                span: row.span,
                what: format!(
                    "{} value(s) for {} column(s)",
                    row.values.len(),
                    types.len()
                ),
            });
            continue;
        }
        let mut vals = Vec::new();
        for (v, want) in row.values.iter().zip(&types) {
            match env.expr(v, &Scope::CONST) {
                Some((ir::Expr::Lit(c), ty)) if ty == *want => vals.push(c),
                Some((ir::Expr::Lit(_), ty)) => env.diags.push(Diag::TableRow {
                    span: v.span,
                    what: format!("column expects {want:?}, found {ty:?}").to_lowercase(),
                }),
                Some(_) => env.diags.push(Diag::NotConstant { span: v.span }),
                None => {}
            }
        }
        if vals.len() != types.len() {
            continue;
        }
        let range = match &row.key {
            RowKey::Default => {
                default.get_or_insert(rows.len() as u32);
                None
            }
            RowKey::Range(a, b) if a > b => {
                env.diags.push(Diag::TableRow {
                    span: row.span,
                    what: format!("the range {a:#X}..{b:#X} is empty (its start is above its end)"),
                });
                None
            }
            RowKey::Range(a, b) => Some((*a, *b)),
            RowKey::One(e) => match env.expr(e, &Scope::CONST) {
                Some((ir::Expr::Lit(Const::Int(v)), _)) => Some((v, v)),
                Some(_) => {
                    env.diags.push(Diag::TableRow {
                        span: e.span,
                        what: "a key must be a constant integer".into(),
                    });
                    None
                }
                None => None,
            },
        };
        keys.push(range.unwrap_or((1, 0)));
        rows.push(vals);
    }
    let max_key = keys
        .iter()
        .filter(|(a, b)| a <= b)
        .map(|&(_, b)| b)
        .max()
        .unwrap_or(-1);
    let dense_len = if (0..=0xFFFF).contains(&max_key) {
        max_key as usize + 1
    } else {
        256
    };
    let mut dense = vec![0u32; dense_len];
    let mut ranges = Vec::new();
    for (r, &(a, b)) in keys.iter().enumerate().rev() {
        if a > b {
            continue;
        }
        for k in a.max(0)..=b.min(dense_len as i64 - 1) {
            dense[k as usize] = r as u32 + 1;
        }
    }
    for (r, &(a, b)) in keys.iter().enumerate() {
        if a <= b && (a < 0 || b >= dense_len as i64) {
            ranges.push((a, b, r as u32));
        }
    }
    let columns = t.columns.iter().map(|(c, _)| c.name.clone()).collect();
    (
        ir::Table {
            name: t.name.name.clone(),
            columns,
            rows,
            dense,
            ranges,
            default,
        },
        types,
    )
}

/// Builds the cause map and checks every parameter type has at most one cause.
pub(super) fn causes(env: &mut Env, items: &[&Item], out: &mut RuleSet) {
    let mut first: HashMap<u16, ast::Span> = HashMap::new();
    for item in items {
        let Item::Cause(c) = item else { continue };
        let Some(pid) = param_id(env, out, &c.param) else {
            continue;
        };
        if let Some(f) = first.get(&pid) {
            let f = env.at(*f);
            env.diags.push(Diag::DuplicateCause {
                span: c.param.span,
                param: c.param.name.clone(),
                first: f,
            });
            continue;
        }
        first.insert(pid, c.param.span);
        let blame = if c.side.name == "client" {
            Blame::Client
        } else {
            Blame::Server
        };
        out.causes.push(CauseInfo {
            name: c.name.name.clone(),
            param: pid,
            blame,
            summary: c
                .summary
                .as_ref()
                .map(|s| super::expr::unescape(&s.raw))
                .unwrap_or_default(),
        });
        out.params[pid as usize].cause = Some(out.causes.len() - 1);
    }
}

/// Resolves a parameter type name, reporting unknown ones with a suggestion.
pub(super) fn param_id(env: &mut Env, out: &RuleSet, id: &ast::Ident) -> Option<u16> {
    match out.params.iter().position(|p| p.name == id.name) {
        Some(i) => Some(i as u16),
        None => {
            let names: Vec<String> = out.params.iter().map(|p| p.name.clone()).collect();
            env.diags.push(Diag::UnknownParameter {
                span: id.span,
                name: id.name.clone(),
                suggestion: super::suggest(&id.name, &names),
            });
            None
        }
    }
}
