//! Every error a rule load can produce, each with a unique code, a labelled span and help.
//!
//! Loading collects all of them (not just the first) and renders them with miette against the
//! right file, so a rule author fixes a whole edit in one round.

use crate::syntax::ast::Span;
use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};
use std::fmt;

/// One problem found while loading a rule set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Diag {
    /// The text does not have the shape of the language.
    #[error("unexpected input; expected {expected}")]
    Syntax { span: Span, expected: String },
    /// A literal that cannot be represented.
    #[error("bad literal: {what}")]
    BadLiteral { span: Span, what: String },
    /// A file or directory could not be read.
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    /// The directory holds no `*.rules` file.
    #[error("no rule files (*.rules) under {path}")]
    NoRuleFiles { path: String },
    /// The per-unit TOML overrides are malformed.
    #[error("{path}: {message}")]
    UnitsToml { path: String, message: String },
    /// A name that is not declared anywhere.
    #[error("unknown {kind} `{name}`")]
    UnknownName {
        span: Span,
        kind: &'static str,
        name: String,
        suggestion: Option<String>,
    },
    /// A field that the protocol does not declare.
    #[error("protocol `{protocol}` has no field `{name}`")]
    UnknownField {
        span: Span,
        protocol: String,
        name: String,
        suggestion: Option<String>,
    },
    /// A name declared twice.
    #[error("{kind} `{name}` is declared twice")]
    Duplicate {
        span: Span,
        kind: &'static str,
        name: String,
        first: String,
    },
    /// Two rules share an id.
    #[error("rule id `{id}` is used twice")]
    DuplicateRuleId {
        span: Span,
        id: String,
        first: String,
    },
    /// An operand of the wrong type.
    #[error("expected {expected}, found {found}")]
    TypeMismatch {
        span: Span,
        expected: String,
        found: String,
    },
    /// A duration mixed with a plain number.
    #[error("a duration is mixed with a plain number")]
    MissingUnit { span: Span, number: String },
    /// A parameter type that is neither built in nor declared.
    #[error("unknown parameter type `{name}`")]
    UnknownParameter {
        span: Span,
        name: String,
        suggestion: Option<String>,
    },
    /// A parameter type used by a rule but not mapped to a cause.
    #[error("parameter type `{param}` has no cause")]
    ParameterWithoutCause { span: Span, param: String },
    /// Two causes for one parameter type.
    #[error("parameter type `{param}` is mapped to a cause twice")]
    DuplicateCause {
        span: Span,
        param: String,
        first: String,
    },
    /// A check or flow with no protocol to belong to.
    #[error("no protocol for this rule")]
    NoProtocol { span: Span, count: usize },
    /// A protocol declaration lacks a mandatory clause.
    #[error("protocol `{protocol}` has no `{clause}` clause")]
    MissingClause {
        span: Span,
        protocol: String,
        clause: &'static str,
    },
    /// A clause given twice where only one is allowed.
    #[error("`{clause}` is given twice")]
    DuplicateClause { span: Span, clause: String },
    /// `pair` is not a conjunction of request/response equalities.
    #[error("`pair` must be `req.X == rsp.Y`, joined by `and`")]
    BadPair { span: Span },
    /// `pair` compares more fields than the engine keys exchanges by.
    #[error("`pair` compares {count} fields; at most {max} are supported")]
    PairTooLong {
        span: Span,
        count: usize,
        max: usize,
    },
    /// A name used where it has no value (e.g. `rsp` in a request check).
    #[error("`{name}` is not available {context}")]
    WrongContext {
        span: Span,
        name: String,
        context: String,
        hint: String,
    },
    /// A constant, set or table cell that is not a constant.
    #[error("this value must be known when the rules load")]
    NotConstant { span: Span },
    /// A malformed field declaration.
    #[error("bad field declaration: {what}")]
    BadField { span: Span, what: String },
    /// A table row that does not fit the table's columns.
    #[error("bad table row: {what}")]
    TableRow { span: Span, what: String },
    /// Two protocols claim the same stage and transport.
    #[error("protocols `{first}` and `{second}` both claim stage `{stage}` over `{transport}`")]
    AmbiguousProtocol {
        span: Span,
        first: String,
        second: String,
        stage: String,
        transport: String,
    },
    /// A `{...}` in a message that does not parse or check.
    #[error("bad interpolation: {what}")]
    BadInterpolation { span: Span, what: String },
    /// A check without `require`.
    #[error("check `{id}` has no `require` clause")]
    MissingRequire { span: Span, id: String },
    /// A function called with the wrong number of arguments.
    #[error("`{name}` takes {expected} argument(s), found {found}")]
    CallArity {
        span: Span,
        name: String,
        expected: usize,
        found: usize,
    },
}

impl Diag {
    /// The primary span, when the problem sits in a rule file.
    pub fn span(&self) -> Option<Span> {
        use Diag::*;
        match self {
            Io { .. } | NoRuleFiles { .. } | UnitsToml { .. } => None,
            Syntax { span, .. }
            | BadLiteral { span, .. }
            | UnknownName { span, .. }
            | UnknownField { span, .. }
            | Duplicate { span, .. }
            | DuplicateRuleId { span, .. }
            | TypeMismatch { span, .. }
            | MissingUnit { span, .. }
            | UnknownParameter { span, .. }
            | ParameterWithoutCause { span, .. }
            | DuplicateCause { span, .. }
            | NoProtocol { span, .. }
            | MissingClause { span, .. }
            | DuplicateClause { span, .. }
            | BadPair { span }
            | PairTooLong { span, .. }
            | WrongContext { span, .. }
            | NotConstant { span }
            | BadField { span, .. }
            | TableRow { span, .. }
            | AmbiguousProtocol { span, .. }
            | BadInterpolation { span, .. }
            | MissingRequire { span, .. }
            | CallArity { span, .. } => Some(*span),
        }
    }

    /// The unique diagnostic code.
    pub fn code_str(&self) -> &'static str {
        use Diag::*;
        match self {
            Syntax { .. } => "otadiag::syntax::unexpected",
            BadLiteral { .. } => "otadiag::syntax::bad_literal",
            Io { .. } => "otadiag::load::io",
            NoRuleFiles { .. } => "otadiag::load::no_rule_files",
            UnitsToml { .. } => "otadiag::load::units_toml",
            UnknownName { .. } => "otadiag::check::unknown_name",
            UnknownField { .. } => "otadiag::check::unknown_field",
            Duplicate { .. } => "otadiag::check::duplicate",
            DuplicateRuleId { .. } => "otadiag::check::duplicate_rule_id",
            TypeMismatch { .. } => "otadiag::check::type_mismatch",
            MissingUnit { .. } => "otadiag::check::missing_unit",
            UnknownParameter { .. } => "otadiag::check::unknown_parameter",
            ParameterWithoutCause { .. } => "otadiag::check::parameter_without_cause",
            DuplicateCause { .. } => "otadiag::check::duplicate_cause",
            NoProtocol { .. } => "otadiag::check::no_protocol",
            MissingClause { .. } => "otadiag::check::missing_clause",
            DuplicateClause { .. } => "otadiag::check::duplicate_clause",
            BadPair { .. } => "otadiag::check::bad_pair",
            PairTooLong { .. } => "otadiag::check::pair_too_long",
            WrongContext { .. } => "otadiag::check::wrong_context",
            NotConstant { .. } => "otadiag::check::not_constant",
            BadField { .. } => "otadiag::check::bad_field",
            TableRow { .. } => "otadiag::check::table_row",
            AmbiguousProtocol { .. } => "otadiag::check::ambiguous_protocol",
            BadInterpolation { .. } => "otadiag::check::bad_interpolation",
            MissingRequire { .. } => "otadiag::check::missing_require",
            CallArity { .. } => "otadiag::check::call_arity",
        }
    }

    /// Every code, one per variant (used by the uniqueness test and the docs).
    pub fn all_codes() -> Vec<&'static str> {
        let s = Span::default();
        let t = String::new;
        use Diag::*;
        [
            Syntax {
                span: s,
                expected: t(),
            },
            BadLiteral { span: s, what: t() },
            Io {
                path: t(),
                message: t(),
            },
            NoRuleFiles { path: t() },
            UnitsToml {
                path: t(),
                message: t(),
            },
            UnknownName {
                span: s,
                kind: "",
                name: t(),
                suggestion: None,
            },
            UnknownField {
                span: s,
                protocol: t(),
                name: t(),
                suggestion: None,
            },
            Duplicate {
                span: s,
                kind: "",
                name: t(),
                first: t(),
            },
            DuplicateRuleId {
                span: s,
                id: t(),
                first: t(),
            },
            TypeMismatch {
                span: s,
                expected: t(),
                found: t(),
            },
            MissingUnit {
                span: s,
                number: t(),
            },
            UnknownParameter {
                span: s,
                name: t(),
                suggestion: None,
            },
            ParameterWithoutCause {
                span: s,
                param: t(),
            },
            DuplicateCause {
                span: s,
                param: t(),
                first: t(),
            },
            NoProtocol { span: s, count: 0 },
            MissingClause {
                span: s,
                protocol: t(),
                clause: "",
            },
            DuplicateClause {
                span: s,
                clause: t(),
            },
            BadPair { span: s },
            PairTooLong {
                span: s,
                count: 0,
                max: 0,
            },
            WrongContext {
                span: s,
                name: t(),
                context: t(),
                hint: t(),
            },
            NotConstant { span: s },
            BadField { span: s, what: t() },
            TableRow { span: s, what: t() },
            AmbiguousProtocol {
                span: s,
                first: t(),
                second: t(),
                stage: t(),
                transport: t(),
            },
            BadInterpolation { span: s, what: t() },
            MissingRequire { span: s, id: t() },
            CallArity {
                span: s,
                name: t(),
                expected: 0,
                found: 0,
            },
        ]
        .iter()
        .map(Diag::code_str)
        .collect()
    }

    fn help_text(&self) -> Option<String> {
        use Diag::*;
        let dym = |s: &Option<String>| s.as_ref().map(|s| format!("did you mean `{s}`?"));
        match self {
            UnknownName { suggestion, .. } | UnknownField { suggestion, .. } | UnknownParameter { suggestion, .. } => {
                dym(suggestion).or_else(|| match self {
                    UnknownParameter { .. } => Some(
                        "built-in types: request.{sent,sender,format,length,flow}, \
                         response.{sent,time,sender,format,type,match}; declare others with `parameter`"
                            .into(),
                    ),
                    _ => None,
                })
            }
            Duplicate { first, .. } | DuplicateRuleId { first, .. } | DuplicateCause { first, .. } => {
                Some(format!("first declared at {first}"))
            }
            MissingUnit { number, .. } => Some(format!("give the number a unit, e.g. `{number}ms` or `{number}s`")),
            ParameterWithoutCause { param, .. } => {
                Some(format!("add `cause NAME for {param} blame client|server` so its findings can be explained"))
            }
            NoProtocol { count, .. } => Some(format!(
                "the rule set declares {count} protocols; put `use NAME` above this rule to say which one it checks"
            )),
            BadPair { .. } => Some("example: `pair req.src == rsp.dst and req.session == rsp.session`".into()),
            PairTooLong { .. } => Some(
                "pair on the fields that tell concurrent requests apart; check the rest in `match`".into(),
            ),
            WrongContext { hint, .. } => Some(hint.clone()),
            NotConstant { .. } => Some("use literals, constants and arithmetic on them only".into()),
            MissingClause { clause, .. } => Some(format!("add a `{clause}` clause to the protocol")),
            Syntax { .. } => Some("see docs/rule-language.md for the grammar".into()),
            _ => None,
        }
    }

    fn label_text(&self) -> String {
        use Diag::*;
        match self {
            Syntax { .. } => "here".into(),
            UnknownName { kind, .. } => format!("not a known {kind}"),
            UnknownField { .. } => "no such field".into(),
            Duplicate { .. } | DuplicateRuleId { .. } | DuplicateCause { .. } => {
                "declared again here".into()
            }
            TypeMismatch { found, .. } => format!("this is {found}"),
            MissingUnit { .. } => "duration and number mixed".into(),
            _ => "here".into(),
        }
    }
}

impl Diagnostic for Diag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code_str()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help_text()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span()?;
        let ss = SourceSpan::new(
            (span.start as usize).into(),
            (span.end - span.start) as usize,
        );
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(self.label_text()), ss),
        )))
    }
}

/// All problems of one load, with the sources needed to render them.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    /// Problems in the order found.
    pub diags: Vec<Diag>,
    /// (path, text) of every file of the load, indexed by `Span::file`.
    pub sources: Vec<(String, String)>,
}

impl Diagnostics {
    /// Renders every problem as plain text (no colour), the way `otadiag rules check` prints them.
    pub fn render(&self) -> String {
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .with_width(100)
                .with_links(false);
        let mut out = String::new();
        for d in &self.diags {
            let report: miette::Report =
                match d.span().and_then(|s| self.sources.get(s.file as usize)) {
                    Some((path, text)) => miette::Report::new(d.clone())
                        .with_source_code(NamedSource::new(path, text.clone())),
                    None => miette::Report::new(d.clone()),
                };
            let _ = handler.render_report(&mut out, report.as_ref());
            out.push('\n');
        }
        out.push_str(&format!(
            "{} error{} in {} file{}\n",
            self.diags.len(),
            if self.diags.len() == 1 { "" } else { "s" },
            self.sources.len(),
            if self.sources.len() == 1 { "" } else { "s" }
        ));
        out
    }

    /// `file:line:column` of a span, for "first declared at" notes.
    pub fn locate(sources: &[(String, String)], span: Span) -> String {
        match sources.get(span.file as usize) {
            Some((path, text)) => {
                let (line, col) = line_col(text, span.start as usize);
                format!("{path}:{line}:{col}")
            }
            None => "?".into(),
        }
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map(|i| offset - i).unwrap_or(offset + 1);
    (line, col)
}
