//! The second half of the AST builder: protocol clauses, check clauses, flows and expressions.

use super::{parse_int, Builder, Rule, P};
use crate::diag::Diag;
use crate::syntax::ast::*;

impl Builder {
    pub(super) fn proto_clause(&self, p: P) -> Result<ProtoClause, Diag> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut it = p.into_inner();
        Ok(match rule {
            Rule::p_stage => ProtoClause::Stage(self.ident(it.next().unwrap())),
            Rule::p_client => ProtoClause::Client(self.string(it.next().unwrap())),
            Rule::p_server => ProtoClause::Server(self.string(it.next().unwrap())),
            Rule::p_transport => ProtoClause::Transport(it.map(|i| self.ident(i)).collect()),
            Rule::p_keep => {
                let mut keeps = Vec::new();
                for k in it {
                    let mut k = k.into_inner();
                    let dir = self.ident(k.next().unwrap());
                    keeps.push((dir, self.int(&k.next().unwrap())?));
                }
                ProtoClause::Keep(keeps)
            }
            Rule::p_field => {
                let name = self.ident(it.next().unwrap());
                let width = match it.next().unwrap().as_str() {
                    "u8" => Width::Bytes(1),
                    "u16" => Width::Bytes(2),
                    "u24" => Width::Bytes(3),
                    "u32" => Width::Bytes(4),
                    "u64" => Width::Bytes(8),
                    _ => Width::Var,
                };
                let offset = self.int(&it.next().unwrap())?;
                let (mut mask, mut len) = (None, None);
                for opt in it {
                    let o = opt.into_inner().next().unwrap();
                    match o.as_rule() {
                        Rule::mask_opt => mask = Some(self.int(&o.into_inner().next().unwrap())?),
                        _ => len = Some(self.ident(o.into_inner().next().unwrap())),
                    }
                }
                ProtoClause::Field {
                    name,
                    width,
                    offset,
                    mask,
                    len,
                    span,
                }
            }
            Rule::p_service => ProtoClause::Service(self.ident(it.next().unwrap())),
            Rule::p_response => ProtoClause::Response(self.expr(it.next().unwrap())?),
            Rule::p_negative => ProtoClause::Negative(self.expr(it.next().unwrap())?),
            Rule::p_pending => ProtoClause::Pending(self.expr(it.next().unwrap())?),
            Rule::p_functional => ProtoClause::Functional(self.expr(it.next().unwrap())?),
            Rule::p_silent => ProtoClause::Silent(self.expr(it.next().unwrap())?),
            Rule::p_pair => ProtoClause::Pair(self.expr(it.next().unwrap())?),
            Rule::p_match => ProtoClause::Match(self.expr(it.next().unwrap())?),
            Rule::p_timer => ProtoClause::Timer(
                self.ident(it.next().unwrap()),
                self.expr(it.next().unwrap())?,
            ),
            Rule::p_config => {
                let name = self.ident(it.next().unwrap());
                let v = it.next().unwrap();
                let value = match v.as_rule() {
                    Rule::set_lit => ConfigValue::Set(self.set_lit(v)?),
                    _ => ConfigValue::Expr(self.expr(v)?),
                };
                ProtoClause::Config(name, value)
            }
            Rule::p_nrc => {
                let code = self.expr(it.next().unwrap())?;
                let name = it.next().map(|n| self.expr(n)).transpose()?;
                ProtoClause::Nrc(code, name)
            }
            Rule::p_locate => {
                let kind = self.ident(it.next().unwrap());
                let value = self.expr(it.next().unwrap())?;
                let when = it.next().map(|w| self.expr(w)).transpose()?;
                ProtoClause::Locate(kind, value, when)
            }
            r => unreachable!("protocol clause {r:?}"),
        })
    }

    pub(super) fn check_clause(&self, p: P) -> Result<CheckClause, Diag> {
        let rule = p.as_rule();
        let mut it = p.into_inner();
        Ok(match rule {
            Rule::c_service => {
                let mut sids = Vec::new();
                for s in it {
                    sids.push((self.int(&s)?, self.span(&s)));
                }
                CheckClause::Service(sids)
            }
            Rule::c_when => CheckClause::When(self.expr(it.next().unwrap())?),
            Rule::c_require => CheckClause::Require(self.expr(it.next().unwrap())?),
            Rule::c_measure => CheckClause::Measure(self.expr(it.next().unwrap())?),
            Rule::c_limit => CheckClause::Limit(self.expr(it.next().unwrap())?),
            Rule::c_message => CheckClause::Message(self.string(it.next().unwrap())),
            Rule::c_help => CheckClause::Help(self.string(it.next().unwrap())),
            Rule::c_locate => CheckClause::Locate(
                self.ident(it.next().unwrap()),
                self.expr(it.next().unwrap())?,
            ),
            r => unreachable!("check clause {r:?}"),
        })
    }

    pub(super) fn flow(
        &self,
        mut it: pest::iterators::Pairs<Rule>,
        span: Span,
    ) -> Result<Flow, Diag> {
        let id = self.ident(it.next().unwrap());
        let mut next = it.next().unwrap();
        let param = if next.as_rule() == Rule::param_name {
            let p = self.ident(next);
            next = it.next().unwrap();
            Some(p)
        } else {
            None
        };
        let title = self.string(next);
        let mut flow = Flow {
            id,
            param,
            title,
            skips: vec![],
            vars: vec![],
            help: None,
            parts: vec![],
            finish: vec![],
            span,
        };
        for p in it {
            match p.as_rule() {
                Rule::f_skip => flow.skips.push(self.expr(p.into_inner().next().unwrap())?),
                Rule::f_var => {
                    let mut v = p.into_inner();
                    flow.vars
                        .push((self.ident(v.next().unwrap()), self.expr(v.next().unwrap())?));
                }
                Rule::f_help => flow.help = Some(self.string(p.into_inner().next().unwrap())),
                Rule::f_finish => flow.finish = self.actions(p.into_inner().next().unwrap())?,
                Rule::step => flow.parts.push(FlowPart::Step(self.step(p)?)),
                Rule::group => {
                    let gspan = self.span(&p);
                    let steps = p
                        .into_inner()
                        .map(|s| self.step(s))
                        .collect::<Result<_, _>>()?;
                    flow.parts.push(FlowPart::Group(steps, gspan));
                }
                r => unreachable!("flow item {r:?}"),
            }
        }
        Ok(flow)
    }

    fn step(&self, p: P) -> Result<Step, Diag> {
        let mut it = p.into_inner();
        let name = self.ident(it.next().unwrap());
        let mut next = it.next().unwrap();
        let modifier = if next.as_rule() == Rule::step_mod {
            let m = next.as_str().chars().next();
            next = it.next().unwrap();
            m
        } else {
            None
        };
        let title = self.string(next);
        let when = self.expr(it.next().unwrap())?;
        let actions = match it.next() {
            Some(body) => self.actions(body)?,
            None => vec![],
        };
        Ok(Step {
            name,
            modifier,
            title,
            when,
            actions,
        })
    }

    fn actions(&self, body: P) -> Result<Vec<Action>, Diag> {
        let mut out = Vec::new();
        for a in body.into_inner() {
            let span = self.span(&a);
            match a.as_rule() {
                Rule::s_set => {
                    let mut s = a.into_inner();
                    out.push(Action::Set(
                        self.ident(s.next().unwrap()),
                        self.expr(s.next().unwrap())?,
                    ));
                }
                Rule::s_require => {
                    let mut s = a.into_inner().peekable();
                    let param = if s.peek().map(|x| x.as_rule()) == Some(Rule::param_name) {
                        Some(self.ident(s.next().unwrap()))
                    } else {
                        None
                    };
                    let cond = self.expr(s.next().unwrap())?;
                    let message = self.string(s.next().unwrap());
                    let locate = match s.next() {
                        Some(l) => {
                            let mut l = l.into_inner();
                            Some((self.ident(l.next().unwrap()), self.expr(l.next().unwrap())?))
                        }
                        None => None,
                    };
                    out.push(Action::Require {
                        param,
                        cond,
                        message,
                        locate,
                        span,
                    });
                }
                r => unreachable!("action {r:?}"),
            }
        }
        Ok(out)
    }

    pub(super) fn expr(&self, p: P) -> Result<Expr, Diag> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::expr => self.expr(p.into_inner().next().unwrap()),
            Rule::or_expr
            | Rule::and_expr
            | Rule::bit_expr
            | Rule::shift_expr
            | Rule::add_expr
            | Rule::mul_expr => {
                let mut it = p.into_inner();
                let mut lhs = self.expr(it.next().unwrap())?;
                while let Some(op) = it.next() {
                    let rhs = self.expr(it.next().unwrap())?;
                    let op = bin_op(op.as_str());
                    let span = lhs.span.to(rhs.span);
                    lhs = Expr {
                        kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                        span,
                    };
                }
                Ok(lhs)
            }
            Rule::not_expr | Rule::unary => {
                let mut ops = Vec::new();
                let mut inner = None;
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::not_op => ops.push(UnOp::Not),
                        Rule::neg_op => ops.push(UnOp::Neg),
                        _ => inner = Some(self.expr(q)?),
                    }
                }
                let mut e = inner.expect("operand");
                for op in ops.into_iter().rev() {
                    e = Expr {
                        kind: ExprKind::Unary(op, Box::new(e)),
                        span,
                    };
                }
                Ok(e)
            }
            Rule::cmp_expr => {
                let mut it = p.into_inner();
                let lhs = self.expr(it.next().unwrap())?;
                let Some(op) = it.next() else { return Ok(lhs) };
                let rhs = it.next().unwrap();
                if op.as_rule() == Rule::in_op {
                    let set = match rhs.as_rule() {
                        Rule::set_lit => SetRef::Lit(self.set_lit(rhs)?),
                        _ => SetRef::Named(Box::new(self.expr(rhs)?)),
                    };
                    return Ok(Expr {
                        kind: ExprKind::In(Box::new(lhs), set),
                        span,
                    });
                }
                let rhs = self.expr(rhs)?;
                Ok(Expr {
                    kind: ExprKind::Binary(bin_op(op.as_str()), Box::new(lhs), Box::new(rhs)),
                    span,
                })
            }
            Rule::postfix => {
                let mut it = p.into_inner();
                let mut e = self.expr(it.next().unwrap())?;
                for post in it {
                    let pspan = e.span.to(self.span(&post));
                    let inner = post.into_inner().next().unwrap();
                    e = match inner.as_rule() {
                        Rule::ident => Expr {
                            kind: ExprKind::Member(Box::new(e), self.ident(inner)),
                            span: pspan,
                        },
                        _ => Expr {
                            kind: ExprKind::Index(Box::new(e), Box::new(self.expr(inner)?)),
                            span: pspan,
                        },
                    };
                }
                Ok(e)
            }
            Rule::if_expr => {
                let mut it = p.into_inner().filter(|q| q.as_rule() == Rule::expr);
                let c = self.expr(it.next().unwrap())?;
                let a = self.expr(it.next().unwrap())?;
                let b = self.expr(it.next().unwrap())?;
                Ok(Expr {
                    kind: ExprKind::If(Box::new(c), Box::new(a), Box::new(b)),
                    span,
                })
            }
            Rule::call => {
                let mut it = p.into_inner();
                let name = self.ident(it.next().unwrap());
                let args = it.map(|a| self.expr(a)).collect::<Result<_, _>>()?;
                Ok(Expr {
                    kind: ExprKind::Call(name, args),
                    span,
                })
            }
            Rule::ident => Ok(Expr {
                kind: ExprKind::Name(p.as_str().to_string()),
                span,
            }),
            Rule::int_lit => Ok(Expr {
                kind: ExprKind::Int(self.int(&p)?),
                span,
            }),
            Rule::bool_lit => Ok(Expr {
                kind: ExprKind::Bool(p.as_str() == "true"),
                span,
            }),
            Rule::string => Ok(Expr {
                kind: ExprKind::Str(self.string(p).raw),
                span,
            }),
            Rule::ipv4 => {
                let ip: std::net::Ipv4Addr = p.as_str().parse().map_err(|_| Diag::BadLiteral {
                    span,
                    what: format!("`{}` is not an IPv4 address", p.as_str()),
                })?;
                Ok(Expr {
                    kind: ExprKind::Int(u32::from(ip) as i64),
                    span,
                })
            }
            Rule::duration => {
                let ns = otadiag_model::units::parse_duration(p.as_str()).ok_or_else(|| {
                    Diag::BadLiteral {
                        span,
                        what: format!("`{}` is not a duration", p.as_str()),
                    }
                })?;
                Ok(Expr {
                    kind: ExprKind::Dur(ns),
                    span,
                })
            }
            Rule::size => {
                let mut it = p.into_inner();
                let n = it.next().unwrap();
                let unit = it.next().unwrap().as_str();
                let v = parse_int(n.as_str()).unwrap_or(0);
                let scale = match unit {
                    "KiB" => 1024,
                    "MiB" => 1024 * 1024,
                    _ => 1,
                };
                Ok(Expr {
                    kind: ExprKind::Int(v.saturating_mul(scale)),
                    span,
                })
            }
            r => unreachable!("expression rule {r:?}"),
        }
    }
}

fn bin_op(s: &str) -> BinOp {
    use BinOp::*;
    match s {
        "or" => Or,
        "and" => And,
        "==" => Eq,
        "!=" => Ne,
        "<" => Lt,
        "<=" => Le,
        ">" => Gt,
        ">=" => Ge,
        "&" => BitAnd,
        "|" => BitOr,
        "^" => BitXor,
        "<<" => Shl,
        ">>" => Shr,
        "+" => Add,
        "-" => Sub,
        "*" => Mul,
        "/" => Div,
        _ => Rem,
    }
}
