//! The abstract syntax tree: what a rule file says, with a span on every node and no meaning yet.
//!
//! Names are plain strings here; the checker resolves them. Keeping the AST dumb lets the parser
//! report only shape errors and leaves every semantic mistake to the checker's precise diagnostics.

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Index of the file in the load.
    pub file: u32,
    /// Start byte offset.
    pub start: u32,
    /// End byte offset (exclusive).
    pub end: u32,
}

impl Span {
    /// The span covering `self` and `other` (same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A name with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// One parsed rule file.
#[derive(Debug, Clone, Default)]
pub struct File {
    /// Top-level items in source order.
    pub items: Vec<Item>,
}

/// A top-level declaration.
#[derive(Debug, Clone)]
pub enum Item {
    /// `use NAME`: default protocol for the checks and flows that follow in this file.
    Use(Ident),
    /// `const NAME = EXPR`.
    Const(Ident, Expr),
    /// `set NAME = { ... }`.
    Set(Ident, SetLit),
    /// `table NAME(KEY) -> (COLUMNS) { ROWS }`.
    Table(Table),
    /// `parameter request.X "description"`.
    Parameter(Ident, Option<Str>),
    /// `cause NAME for PARAM blame SIDE "summary"`.
    Cause(Cause),
    /// `protocol NAME { ... }`.
    Protocol(Protocol),
    /// `check ID PARAM "title" { ... }`.
    Check(Check),
    /// `flow ID [PARAM] "title" { ... }`.
    Flow(Flow),
}

/// A string literal with its raw text (escapes and interpolations not yet processed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Str {
    /// Text between the quotes, as written.
    pub raw: String,
    /// Span of the text between the quotes.
    pub span: Span,
}

/// `{ a, b, c..=d }`.
#[derive(Debug, Clone)]
pub struct SetLit {
    /// Elements.
    pub elems: Vec<SetElem>,
    /// Whole literal.
    pub span: Span,
}

/// One element of a set literal.
#[derive(Debug, Clone)]
pub enum SetElem {
    /// A single value (constant expression).
    One(Expr),
    /// An inclusive integer range.
    Range(i64, i64, Span),
}

/// A lookup table.
#[derive(Debug, Clone)]
pub struct Table {
    /// Table name.
    pub name: Ident,
    /// Name of the key (documentation only).
    pub key: Ident,
    /// Columns and their types.
    pub columns: Vec<(Ident, Ident)>,
    /// Rows in source order; the first matching row wins.
    pub rows: Vec<Row>,
}

/// One table row.
#[derive(Debug, Clone)]
pub struct Row {
    /// Which keys it covers.
    pub key: RowKey,
    /// One value per column.
    pub values: Vec<Expr>,
    /// Whole row.
    pub span: Span,
}

/// The key part of a row.
#[derive(Debug, Clone)]
pub enum RowKey {
    /// `_`: every key not matched by an earlier row.
    Default,
    /// `a..=b`.
    Range(i64, i64),
    /// A single key (constant expression).
    One(Expr),
}

/// `cause NAME for PARAM blame SIDE "summary"`.
#[derive(Debug, Clone)]
pub struct Cause {
    /// Cause name (snake_case).
    pub name: Ident,
    /// The parameter type it explains.
    pub param: Ident,
    /// `client` or `server`.
    pub side: Ident,
    /// One-line summary.
    pub summary: Option<Str>,
}

/// A protocol declaration.
#[derive(Debug, Clone)]
pub struct Protocol {
    /// Protocol name.
    pub name: Ident,
    /// Its clauses in source order.
    pub clauses: Vec<ProtoClause>,
    /// Whole declaration.
    pub span: Span,
}

/// Field width keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// Fixed width in bytes (1, 2, 3, 4, 8).
    Bytes(u8),
    /// `uint ... len FIELD`: width taken from another field.
    Var,
}

/// One clause of a protocol declaration.
#[derive(Debug, Clone)]
pub enum ProtoClause {
    /// `stage deploy|flash`.
    Stage(Ident),
    /// `client "ROLE"`.
    Client(Str),
    /// `server "ROLE"`.
    Server(Str),
    /// `transport a, b`.
    Transport(Vec<Ident>),
    /// `keep request N, response M`.
    Keep(Vec<(Ident, i64)>),
    /// `field NAME: WIDTH at OFFSET [mask M] [len FIELD]`.
    Field {
        /// Field name.
        name: Ident,
        /// Width.
        width: Width,
        /// Byte offset.
        offset: i64,
        /// Optional bit mask (value is shifted down by the mask's trailing zeros).
        mask: Option<i64>,
        /// For `uint`: the field holding the byte count.
        len: Option<Ident>,
        /// Whole clause.
        span: Span,
    },
    /// `service FIELD`.
    Service(Ident),
    /// `response when EXPR` (context `msg`).
    Response(Expr),
    /// `negative when EXPR` (context `msg`).
    Negative(Expr),
    /// `pending when EXPR` (context `msg`).
    Pending(Expr),
    /// `functional when EXPR` (context `req`).
    Functional(Expr),
    /// `silent when EXPR` (context `req`): the request expects no response.
    Silent(Expr),
    /// `pair EXPR`: conjunction of `req.x == rsp.y` equalities.
    Pair(Expr),
    /// `match EXPR` (context `req`, `rsp`).
    Match(Expr),
    /// `timer first|pending = EXPR`.
    Timer(Ident, Expr),
    /// `config NAME = EXPR | SET`.
    Config(Ident, ConfigValue),
    /// `nrc EXPR [named EXPR]`.
    Nrc(Expr, Option<Expr>),
    /// `locate packet|block = EXPR [when EXPR]`.
    Locate(Ident, Expr, Option<Expr>),
}

/// Default value of a per-unit config entry.
#[derive(Debug, Clone)]
pub enum ConfigValue {
    /// A scalar default.
    Expr(Expr),
    /// A set default.
    Set(SetLit),
}

/// A check declaration.
#[derive(Debug, Clone)]
pub struct Check {
    /// Stable rule id.
    pub id: Ident,
    /// Parameter type it validates.
    pub param: Ident,
    /// Title.
    pub title: Str,
    /// Clauses.
    pub clauses: Vec<CheckClause>,
    /// Whole declaration.
    pub span: Span,
}

/// One clause of a check.
#[derive(Debug, Clone)]
pub enum CheckClause {
    /// `service 0x34, 0x35`.
    Service(Vec<(i64, Span)>),
    /// `when EXPR`.
    When(Expr),
    /// `require EXPR`.
    Require(Expr),
    /// `measure EXPR`.
    Measure(Expr),
    /// `limit EXPR`.
    Limit(Expr),
    /// `message "..."`.
    Message(Str),
    /// `help "..."`.
    Help(Str),
    /// `locate packet|block = EXPR`.
    Locate(Ident, Expr),
}

/// A flow (ordered steps) declaration.
#[derive(Debug, Clone)]
pub struct Flow {
    /// Stable rule id.
    pub id: Ident,
    /// Parameter type (default `request.flow`).
    pub param: Option<Ident>,
    /// Title.
    pub title: Str,
    /// `skip EXPR` clauses.
    pub skips: Vec<Expr>,
    /// `var NAME = EXPR`.
    pub vars: Vec<(Ident, Expr)>,
    /// `help "..."`.
    pub help: Option<Str>,
    /// Steps and repeat groups, in order.
    pub parts: Vec<FlowPart>,
    /// `finish { ... }` actions run after the unit's last exchange.
    pub finish: Vec<Action>,
    /// Whole declaration.
    pub span: Span,
}

/// A step or a repeat group.
#[derive(Debug, Clone)]
pub enum FlowPart {
    /// One step.
    Step(Step),
    /// `repeat { steps }`: the group may run again after its last step.
    Group(Vec<Step>, Span),
}

/// One flow step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Step name.
    pub name: Ident,
    /// `?`, `+`, `*` or none.
    pub modifier: Option<char>,
    /// Human title ("RequestDownload (34)").
    pub title: Str,
    /// Which exchanges this step accepts.
    pub when: Expr,
    /// Actions run when the step accepts an exchange.
    pub actions: Vec<Action>,
}

/// An action inside a step body or `finish`.
#[derive(Debug, Clone)]
pub enum Action {
    /// `require [PARAM] EXPR message "..." [locate KIND = EXPR]`.
    Require {
        /// Parameter type override.
        param: Option<Ident>,
        /// Condition.
        cond: Expr,
        /// Message.
        message: Str,
        /// Location override.
        locate: Option<(Ident, Expr)>,
        /// Whole action.
        span: Span,
    },
    /// `set NAME = EXPR`.
    Set(Ident, Expr),
}

/// An expression.
#[derive(Debug, Clone)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// Expression forms.
#[derive(Debug, Clone)]
pub enum ExprKind {
    /// Integer literal (sizes already scaled to bytes).
    Int(i64),
    /// Duration literal in nanoseconds.
    Dur(i64),
    /// `true` / `false`.
    Bool(bool),
    /// String literal (only meaningful as table cells).
    Str(String),
    /// A bare name.
    Name(String),
    /// `base.member`.
    Member(Box<Expr>, Ident),
    /// `base[index]`.
    Index(Box<Expr>, Box<Expr>),
    /// `name(args)`.
    Call(Ident, Vec<Expr>),
    /// Unary operator (`-`, `not`).
    Unary(UnOp, Box<Expr>),
    /// Binary operator.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `x in SET`.
    In(Box<Expr>, SetRef),
    /// `if c then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

/// The right side of `in`.
#[derive(Debug, Clone)]
pub enum SetRef {
    /// An inline set literal.
    Lit(SetLit),
    /// A named set or a set-valued member (`unit.testers`).
    Named(Box<Expr>),
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// Arithmetic negation.
    Neg,
    /// Boolean negation.
    Not,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `&`
    BitAnd,
    /// `|`
    BitOr,
    /// `^`
    BitXor,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        use BinOp::*;
        match self {
            Or => "or",
            And => "and",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            BitAnd => "&",
            BitOr => "|",
            BitXor => "^",
            Shl => "<<",
            Shr => ">>",
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Rem => "%",
        }
    }

    /// Whether this is a comparison producing a boolean.
    pub fn is_comparison(self) -> bool {
        use BinOp::*;
        matches!(self, Eq | Ne | Lt | Le | Gt | Ge)
    }
}
