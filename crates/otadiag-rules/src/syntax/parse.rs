//! Runs the pest grammar (`grammar/otadiag.pest`) and turns its parse tree into the AST.
//!
//! Only shape errors come from here, rendered with pest's rule names renamed to words a rule
//! author knows; everything semantic is left to the checker.

use super::ast::*;
use crate::diag::Diag;
use pest::iterators::Pair;
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/otadiag.pest"]
struct Grammar;

type P<'a> = Pair<'a, Rule>;

/// Parses one rule file.
pub fn parse_file(file: u32, src: &str) -> Result<File, Diag> {
    let mut pairs = Grammar::parse(Rule::file, src).map_err(|e| syntax_error(file, e))?;
    let root = pairs.next().expect("file rule");
    let b = Builder { file };
    let mut items = Vec::new();
    for p in root.into_inner() {
        if p.as_rule() != Rule::EOI {
            items.push(b.item(p)?);
        }
    }
    Ok(File { items })
}

/// Parses the inside of a `{...}` interpolation: an expression and an optional format name.
/// `offset` is the byte offset of the text within its file, so spans point into the file.
pub fn parse_interpolation(
    file: u32,
    offset: u32,
    text: &str,
) -> Result<(Expr, Option<Ident>), Diag> {
    let mut pairs = Grammar::parse(Rule::interp, text).map_err(|e| {
        let mut d = syntax_error(file, e);
        if let Diag::Syntax { span, .. } = &mut d {
            span.start += offset;
            span.end += offset;
        }
        d
    })?;
    let b = Builder { file };
    let mut inner = pairs.next().expect("interp").into_inner();
    let mut expr = b.expr(inner.next().expect("expr"))?;
    shift_spans(&mut expr, offset);
    let fmt = inner.find(|p| p.as_rule() == Rule::ident).map(|p| {
        let mut id = b.ident(p);
        id.span.start += offset;
        id.span.end += offset;
        id
    });
    Ok((expr, fmt))
}

fn shift_spans(e: &mut Expr, by: u32) {
    e.span.start += by;
    e.span.end += by;
    match &mut e.kind {
        ExprKind::Member(b, id) => {
            shift_spans(b, by);
            id.span.start += by;
            id.span.end += by;
        }
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            shift_spans(a, by);
            shift_spans(b, by);
        }
        ExprKind::Call(id, args) => {
            id.span.start += by;
            id.span.end += by;
            args.iter_mut().for_each(|a| shift_spans(a, by));
        }
        ExprKind::Unary(_, a) => shift_spans(a, by),
        ExprKind::In(a, set) => {
            shift_spans(a, by);
            if let SetRef::Named(n) = set {
                shift_spans(n, by);
            }
        }
        ExprKind::If(a, b, c) => {
            shift_spans(a, by);
            shift_spans(b, by);
            shift_spans(c, by);
        }
        _ => {}
    }
}

fn syntax_error(file: u32, e: pest::error::Error<Rule>) -> Diag {
    let (start, end) = match e.location {
        pest::error::InputLocation::Pos(p) => (p, p),
        pest::error::InputLocation::Span((a, b)) => (a, b),
    };
    let expected = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut words: Vec<String> = positives
                .iter()
                .map(|r| rule_words(*r).to_string())
                .collect();
            words.dedup();
            words.join(", ")
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    Diag::Syntax {
        span: Span {
            file,
            start: start as u32,
            end: end.max(start) as u32,
        },
        expected: if expected.is_empty() {
            "something else".into()
        } else {
            expected
        },
    }
}

/// Words for grammar rules, so "expected check_decl" reads as "expected a `check` declaration".
fn rule_words(r: Rule) -> &'static str {
    match r {
        Rule::EOI => "end of file",
        Rule::use_decl
        | Rule::const_decl
        | Rule::set_decl
        | Rule::table_decl
        | Rule::parameter_decl
        | Rule::cause_decl
        | Rule::protocol_decl
        | Rule::check_decl
        | Rule::flow_decl => {
            "a declaration (use, const, set, table, parameter, cause, protocol, check, flow)"
        }
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::cmp_expr
        | Rule::bit_expr
        | Rule::shift_expr
        | Rule::add_expr
        | Rule::mul_expr
        | Rule::unary
        | Rule::postfix => "an expression",
        Rule::or_op | Rule::and_op => "`and` / `or`",
        Rule::cmp_op => "a comparison (==, !=, <, <=, >, >=)",
        Rule::in_op => "`in`",
        Rule::bit_op | Rule::shift_op | Rule::add_op | Rule::mul_op => "an operator",
        Rule::ident => "a name",
        Rule::rule_id => "a rule id (e.g. UDS-RT-001)",
        Rule::param_name => "a parameter type (request.X or response.X)",
        Rule::string => "a string in double quotes",
        Rule::int_lit => "an integer",
        Rule::duration => "a duration (e.g. 50ms)",
        Rule::set_lit => "a set `{ ... }`",
        Rule::width => "a field width (u8, u16, u24, u32, u64, uint)",
        Rule::side => "`client` or `server`",
        Rule::type_name => "a column type (str, int, dur, bool)",
        Rule::step => "a `step`",
        Rule::step_mod => "a step modifier (?, +, *)",
        Rule::locate_kind => "`packet` or `block`",
        Rule::timer_kind => "`first` or `pending`",
        Rule::dir_word => "`request` or `response`",
        Rule::index => "`[`",
        Rule::member => "`.`",
        Rule::c_service
        | Rule::c_when
        | Rule::c_require
        | Rule::c_measure
        | Rule::c_limit
        | Rule::c_message
        | Rule::c_help
        | Rule::c_locate => {
            "a check clause (service, when, require, measure, limit, message, help, locate)"
        }
        Rule::f_skip | Rule::f_var | Rule::f_help | Rule::f_finish | Rule::group => {
            "a flow item (skip, var, help, step, repeat, finish)"
        }
        Rule::s_require | Rule::s_set => "a step action (require, set)",
        Rule::table_row => "a table row `KEY => VALUE, ...`",
        _ => "a protocol clause or another token",
    }
}

struct Builder {
    file: u32,
}

impl Builder {
    fn span(&self, p: &P) -> Span {
        let s = p.as_span();
        Span {
            file: self.file,
            start: s.start() as u32,
            end: s.end() as u32,
        }
    }

    fn ident(&self, p: P) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn string(&self, p: P) -> Str {
        let inner = p.into_inner().next().expect("str_inner");
        Str {
            raw: inner.as_str().to_string(),
            span: self.span(&inner),
        }
    }

    fn int(&self, p: &P) -> Result<i64, Diag> {
        parse_int(p.as_str()).ok_or_else(|| Diag::BadLiteral {
            span: self.span(p),
            what: format!("`{}` does not fit a 64-bit integer", p.as_str()),
        })
    }

    fn item(&self, p: P) -> Result<Item, Diag> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut it = p.into_inner();
        Ok(match rule {
            Rule::use_decl => Item::Use(self.ident(it.next().unwrap())),
            Rule::const_decl => Item::Const(
                self.ident(it.next().unwrap()),
                self.expr(it.next().unwrap())?,
            ),
            Rule::set_decl => Item::Set(
                self.ident(it.next().unwrap()),
                self.set_lit(it.next().unwrap())?,
            ),
            Rule::parameter_decl => Item::Parameter(
                self.ident(it.next().unwrap()),
                it.next().map(|s| self.string(s)),
            ),
            Rule::cause_decl => Item::Cause(Cause {
                name: self.ident(it.next().unwrap()),
                param: self.ident(it.next().unwrap()),
                side: self.ident(it.next().unwrap()),
                summary: it.next().map(|s| self.string(s)),
            }),
            Rule::table_decl => Item::Table(self.table(it)?),
            Rule::protocol_decl => {
                let name = self.ident(it.next().unwrap());
                let clauses = it.map(|c| self.proto_clause(c)).collect::<Result<_, _>>()?;
                Item::Protocol(Protocol {
                    name,
                    clauses,
                    span,
                })
            }
            Rule::check_decl => {
                let id = self.ident(it.next().unwrap());
                let param = self.ident(it.next().unwrap());
                let title = self.string(it.next().unwrap());
                let clauses = it.map(|c| self.check_clause(c)).collect::<Result<_, _>>()?;
                Item::Check(Check {
                    id,
                    param,
                    title,
                    clauses,
                    span,
                })
            }
            Rule::flow_decl => Item::Flow(self.flow(it, span)?),
            r => unreachable!("item rule {r:?}"),
        })
    }

    fn table(&self, mut it: pest::iterators::Pairs<Rule>) -> Result<Table, Diag> {
        let name = self.ident(it.next().unwrap());
        let key = self.ident(it.next().unwrap());
        let mut columns = Vec::new();
        let mut rows = Vec::new();
        for p in it {
            match p.as_rule() {
                Rule::column => {
                    let mut c = p.into_inner();
                    columns.push((self.ident(c.next().unwrap()), self.ident(c.next().unwrap())));
                }
                Rule::table_row => {
                    let span = self.span(&p);
                    let mut r = p.into_inner();
                    let k = r.next().unwrap().into_inner().next().unwrap();
                    let key = match k.as_rule() {
                        Rule::wildcard => RowKey::Default,
                        Rule::range => {
                            let (a, b, _) = self.range(k)?;
                            RowKey::Range(a, b)
                        }
                        _ => RowKey::One(self.expr(k)?),
                    };
                    let values = r.map(|v| self.expr(v)).collect::<Result<_, _>>()?;
                    rows.push(Row { key, values, span });
                }
                r => unreachable!("table part {r:?}"),
            }
        }
        Ok(Table {
            name,
            key,
            columns,
            rows,
        })
    }

    fn range(&self, p: P) -> Result<(i64, i64, Span), Diag> {
        let span = self.span(&p);
        let mut r = p.into_inner();
        let a = self.int(&r.next().unwrap())?;
        let b = self.int(&r.next().unwrap())?;
        Ok((a, b, span))
    }

    fn set_lit(&self, p: P) -> Result<SetLit, Diag> {
        let span = self.span(&p);
        let mut elems = Vec::new();
        for e in p.into_inner() {
            elems.push(match e.as_rule() {
                Rule::range => {
                    let (a, b, s) = self.range(e)?;
                    SetElem::Range(a, b, s)
                }
                _ => SetElem::One(self.expr(e)?),
            });
        }
        Ok(SetLit { elems, span })
    }
}

/// Parses `0x1F`, `0b101`, `1_000`.
pub fn parse_int(s: &str) -> Option<i64> {
    let s = s.replace('_', "");
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()?
    } else if let Some(b) = s.strip_prefix("0b") {
        u64::from_str_radix(b, 2).ok()?
    } else {
        s.parse::<u64>().ok()?
    };
    Some(v as i64)
}

#[path = "parse_items.rs"]
mod items;
