//! The checker: turns the ASTs of a whole rule directory into one checked [`RuleSet`], or the
//! complete list of problems. Nothing runs before every name, type and unit has been checked.
//!
//! Passes: (1) register every declaration, so order across files does not matter; (2) constants,
//! sets and tables; (3) protocols; (4) cause map; (5) checks and flows; (6) dispatch plan.

mod decls;
mod expr;
mod fold;
mod message;
mod plan;
mod protocol;
mod rules;

pub use expr::{suggest, Scope, Ty, XCH_FIELDS};

use crate::diag::{Diag, Diagnostics};
use crate::ir::{self, Const, IntSet, RuleSet};
use crate::syntax::ast::{self, Span};
use std::collections::HashMap;

/// The 11 parameter types of the method, in the preset checking order.
pub const BUILTIN_PARAMS: [(&str, &str); 11] = [
    ("request.sent", "the request the flow expected was sent"),
    (
        "request.sender",
        "the request came from a legal client address",
    ),
    (
        "request.format",
        "the request's header fields hold legal values",
    ),
    ("request.length", "the request's length fits its service"),
    ("request.flow", "the request comes in a legal order"),
    ("response.sent", "a response came back"),
    ("response.time", "the response came within its timer"),
    (
        "response.sender",
        "the response came from the addressed server",
    ),
    (
        "response.format",
        "the response's header fields and length are legal",
    ),
    ("response.type", "the response is positive"),
    ("response.match", "the response belongs to its request"),
];

enum ConstState<'a> {
    Pending(&'a ast::Expr),
    Busy,
    Done(Option<Const>),
}

/// What a protocol exposes to expressions while it is being built.
pub(crate) struct ProtoScope {
    pub name: String,
    pub fields: Vec<ir::Field>,
    /// (name, scalar type or `None` for a set)
    pub config: Vec<(String, Option<Ty>)>,
}

/// Symbol tables and collected diagnostics of one load.
pub struct Env<'a> {
    pub(crate) diags: Vec<Diag>,
    sources: &'a [(String, String)],
    consts: HashMap<String, (ConstState<'a>, Span)>,
    set_names: HashMap<String, u32>,
    pub(crate) sets: Vec<IntSet>,
    table_names: HashMap<String, u32>,
    pub(crate) tables: Vec<ir::Table>,
    table_types: Vec<Vec<Ty>>,
    pub(crate) protos: Vec<ProtoScope>,
    pub(crate) var_types: Vec<Ty>,
}

impl<'a> Env<'a> {
    fn new(sources: &'a [(String, String)]) -> Env<'a> {
        Env {
            diags: Vec::new(),
            sources,
            consts: HashMap::new(),
            set_names: HashMap::new(),
            sets: Vec::new(),
            table_names: HashMap::new(),
            tables: Vec::new(),
            table_types: Vec::new(),
            protos: Vec::new(),
            var_types: Vec::new(),
        }
    }

    pub(crate) fn at(&self, span: Span) -> String {
        Diagnostics::locate(self.sources, span)
    }

    pub(crate) fn const_value(
        &mut self,
        name: &str,
        use_span: Span,
    ) -> Result<Option<Const>, Diag> {
        let Some((state, _)) = self.consts.get_mut(name) else {
            return Ok(None);
        };
        match state {
            ConstState::Done(v) => Ok(v.clone()),
            ConstState::Busy => Err(Diag::WrongContext {
                span: use_span,
                name: name.into(),
                context: "inside its own definition".into(),
                hint: "constants may not refer to themselves, directly or through others".into(),
            }),
            ConstState::Pending(e) => {
                let e: &ast::Expr = e;
                self.consts.get_mut(name).unwrap().0 = ConstState::Busy;
                let v = self.expr(e, &Scope::CONST).and_then(|(x, _)| match x {
                    ir::Expr::Lit(c) => Some(c),
                    _ => {
                        self.diags.push(Diag::NotConstant { span: e.span });
                        None
                    }
                });
                self.consts.get_mut(name).unwrap().0 = ConstState::Done(v.clone());
                // An error inside the definition was already reported; don't report each use.
                Ok(Some(v.unwrap_or(Const::Int(0))))
            }
        }
    }

    pub(crate) fn const_names(&self) -> Vec<String> {
        self.consts.keys().cloned().collect()
    }

    pub(crate) fn set_id(&self, name: &str) -> Option<u32> {
        self.set_names.get(name).copied()
    }

    pub(crate) fn set_names(&self) -> Vec<String> {
        self.set_names.keys().cloned().collect()
    }

    /// Builds a set from a literal and stores it; returns its id.
    pub(crate) fn set_literal(&mut self, lit: &ast::SetLit) -> Result<u32, Diag> {
        let set = self.set_value(lit)?;
        self.sets.push(set);
        Ok(self.sets.len() as u32 - 1)
    }

    pub(crate) fn set_value(&mut self, lit: &ast::SetLit) -> Result<IntSet, Diag> {
        let mut ranges = Vec::new();
        for el in &lit.elems {
            match el {
                ast::SetElem::Range(a, b, span) => {
                    if a > b {
                        return Err(Diag::BadLiteral {
                            span: *span,
                            what: format!("empty range {a}..={b}"),
                        });
                    }
                    ranges.push((*a, *b));
                }
                ast::SetElem::One(e) => match self.expr(e, &Scope::CONST) {
                    Some((ir::Expr::Lit(Const::Int(v)), _)) => ranges.push((v, v)),
                    Some(_) => return Err(Diag::NotConstant { span: e.span }),
                    None => {}
                },
            }
        }
        Ok(IntSet::from_ranges(ranges))
    }

    pub(crate) fn table_id(&self, name: &str) -> Option<u32> {
        self.table_names.get(name).copied()
    }

    pub(crate) fn table_names(&self) -> Vec<String> {
        self.table_names.keys().cloned().collect()
    }

    pub(crate) fn table_columns(&self, t: u32) -> (Vec<String>, Vec<Ty>) {
        (
            self.tables[t as usize].columns.clone(),
            self.table_types[t as usize].clone(),
        )
    }

    pub(crate) fn table_cell(&self, t: u32, c: u16, key: i64) -> Option<Const> {
        let table = &self.tables[t as usize];
        table.row(key).map(|r| table.rows[r][c as usize].clone())
    }
}

/// Checks parsed files (`(path, ast)`, in load order) into a rule set, or returns every problem.
pub fn check(
    files: &[ast::File],
    sources: &[(String, String)],
    source: &str,
    revision: &str,
) -> Result<RuleSet, Vec<Diag>> {
    let mut env = Env::new(sources);
    let mut out = RuleSet {
        source: source.into(),
        revision: revision.into(),
        files: sources.to_vec(),
        protocols: vec![],
        params: BUILTIN_PARAMS
            .iter()
            .map(|(n, d)| ir::ParamInfo {
                name: n.to_string(),
                side: if n.starts_with("request.") {
                    ir::Side::Request
                } else {
                    ir::Side::Response
                },
                description: d.to_string(),
                cause: None,
            })
            .collect(),
        causes: vec![],
        checks: vec![],
        flows: vec![],
        tables: vec![],
        sets: vec![],
        overrides: vec![],
    };
    let items: Vec<&ast::Item> = files.iter().flat_map(|f| f.items.iter()).collect();
    decls::register(&mut env, &items, &mut out);
    decls::values(&mut env, &items);
    protocol::build_all(&mut env, &items, &mut out);
    decls::causes(&mut env, &items, &mut out);
    rules::build_all(&mut env, files, &mut out);
    plan::build(&mut env, &mut out);
    if !env.diags.is_empty() {
        return Err(env.diags);
    }
    out.sets = std::mem::take(&mut env.sets);
    out.tables = std::mem::take(&mut env.tables);
    Ok(out)
}
