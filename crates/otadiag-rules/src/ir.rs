//! The checked, compiled rule set: names resolved to indices, constants folded, types known.
//!
//! The engine evaluates this directly; there are no string lookups per message. Spans are kept
//! on every rule so findings can point back into the rule file.

use crate::syntax::ast::{BinOp, Span};
use otadiag_model::Stage;

/// The most equalities a protocol's `pair` may have: the engine keys open requests by a
/// fixed-size array of that many values.
pub const MAX_PAIR: usize = 4;

/// Index of a field within its protocol.
pub type FieldId = u16;
/// Index of a parameter type in [`RuleSet::params`].
pub type ParamId = u16;

/// A loaded, checked rule set.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// Where it came from (`embedded` or a directory).
    pub source: String,
    /// `sha256:` over file names and contents.
    pub revision: String,
    /// (path, text) of every rule file, indexed by `Span::file`.
    pub files: Vec<(String, String)>,
    /// Protocols.
    pub protocols: Vec<Protocol>,
    /// Parameter types: the 11 built-ins first, then declared ones.
    pub params: Vec<ParamInfo>,
    /// Cause map entries.
    pub causes: Vec<CauseInfo>,
    /// Checks in load order.
    pub checks: Vec<Check>,
    /// Flows in load order.
    pub flows: Vec<Flow>,
    /// Lookup tables.
    pub tables: Vec<Table>,
    /// Named and inline sets.
    pub sets: Vec<IntSet>,
    /// Per-unit overrides from `units.toml`.
    pub overrides: Vec<UnitOverride>,
}

/// Request side or response side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Request parameters (blame defaults to the client).
    Request,
    /// Response parameters (blame defaults to the server).
    Response,
}

/// Who a cause blames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blame {
    /// The requesting side (TBOX when deploying, GW when flashing).
    Client,
    /// The answering side (GW when deploying, the ECU when flashing).
    Server,
}

impl Blame {
    /// `client` or `server`.
    pub fn as_str(self) -> &'static str {
        match self {
            Blame::Client => "client",
            Blame::Server => "server",
        }
    }
}

/// A parameter type (`request.length`, ...).
#[derive(Debug, Clone)]
pub struct ParamInfo {
    /// Full name.
    pub name: String,
    /// Side.
    pub side: Side,
    /// Description.
    pub description: String,
    /// Index into [`RuleSet::causes`].
    pub cause: Option<usize>,
}

/// One entry of the cause map.
#[derive(Debug, Clone)]
pub struct CauseInfo {
    /// snake_case cause name.
    pub name: String,
    /// The parameter type it explains.
    pub param: ParamId,
    /// Blamed side.
    pub blame: Blame,
    /// Summary sentence.
    pub summary: String,
}

/// A protocol declaration, compiled.
#[derive(Debug, Clone)]
pub struct Protocol {
    /// Name.
    pub name: String,
    /// Stage it is used in.
    pub stage: Stage,
    /// Role name of the client (`TBOX`, `GW`).
    pub client_role: String,
    /// Role name of the server (`GW`, `ECU`).
    pub server_role: String,
    /// Record transports it handles.
    pub transports: Vec<String>,
    /// Request bytes the recorder keeps.
    pub keep_request: u32,
    /// Response bytes the recorder keeps.
    pub keep_response: u32,
    /// Header fields.
    pub fields: Vec<Field>,
    /// The field used for dispatch.
    pub service: Option<FieldId>,
    /// Tells a response from a request (context `msg`).
    pub is_response: Option<Expr>,
    /// Negative response (context `msg`).
    pub is_negative: Option<Expr>,
    /// Pending response: not final, restarts the pending timer (context `msg`).
    pub is_pending: Option<Expr>,
    /// Functionally addressed request (context `req`).
    pub is_functional: Option<Expr>,
    /// Requests that expect no response (UDS suppressPosRspMsgIndicationBit); reads `req`.
    pub is_silent: Option<Expr>,
    /// Pairing key: (request expression, response expression) pairs.
    pub pair: Vec<(Expr, Expr)>,
    /// Response content matches its request (contexts `req`, `rsp`).
    pub matches: Option<Expr>,
    /// Limit from request to first response.
    pub timer_first: Option<Expr>,
    /// Limit from a pending response to the next response.
    pub timer_pending: Option<Expr>,
    /// Per-unit configuration entries with defaults.
    pub config: Vec<ConfigField>,
    /// NRC expression and its name, for negative responses.
    pub nrc: Option<(Expr, Option<Expr>)>,
    /// Default locations.
    pub locate: Vec<Locate>,
    /// Dispatch tables.
    pub plan: Plan,
    /// Declaration span.
    pub span: Span,
}

/// A header field.
#[derive(Debug, Clone)]
pub struct Field {
    /// Name.
    pub name: String,
    /// Byte offset.
    pub offset: u32,
    /// Width in bytes (0: taken from `len_field`).
    pub width: u8,
    /// Bit mask applied after reading (all ones when none).
    pub mask: u64,
    /// Right shift applied after masking.
    pub shift: u8,
    /// For variable width: the field holding the byte count.
    pub len_field: Option<FieldId>,
}

/// A per-unit configuration entry.
#[derive(Debug, Clone)]
pub struct ConfigField {
    /// Name (`p2`, `testers`).
    pub name: String,
    /// Default value.
    pub default: ConfigValue,
}

/// A configuration value.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    /// A scalar.
    Scalar(Const),
    /// A set of integers.
    Set(IntSet),
}

/// Overrides for one unit, from `units.toml`.
#[derive(Debug, Clone)]
pub struct UnitOverride {
    /// Stage (`ecu` tables are flash, `package` tables deploy).
    pub stage: Stage,
    /// Unit address, when the table key was an address.
    pub address: Option<u32>,
    /// Unit name (the table key, or its `name` entry).
    pub name: Option<String>,
    /// (setting name, value); applied to whichever protocol of the stage declares that name.
    pub values: Vec<(String, ConfigValue)>,
}

/// `locate packet|block = EXPR [when EXPR]`.
#[derive(Debug, Clone)]
pub struct Locate {
    /// Packet or block.
    pub kind: LocKind,
    /// Value.
    pub value: Expr,
    /// Guard.
    pub when: Option<Expr>,
}

/// What a location number names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocKind {
    /// A deployment packet.
    Packet,
    /// A transfer block.
    Block,
}

/// Which checks and flows run for an exchange, in the method's preset order.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// One slot per parameter type, request side first then response side, in preset order.
    pub slots: Vec<Slot>,
}

/// The rules of one parameter type.
#[derive(Debug, Clone, Default)]
pub struct Slot {
    /// Parameter type.
    pub param: ParamId,
    /// Check ids per service value (index = service value); each list already merges the
    /// service-independent checks, in declaration order.
    pub by_service: Vec<Box<[u32]>>,
    /// Checks for service values beyond `by_service`, or when the service is unknown.
    pub generic: Box<[u32]>,
    /// Flows whose parameter type is this one.
    pub flows: Box<[u32]>,
}

impl Slot {
    /// The checks to run for an exchange whose request has this service value.
    pub fn checks_for(&self, service: Option<i64>) -> &[u32] {
        match service {
            Some(s) if s >= 0 && (s as usize) < self.by_service.len() => {
                &self.by_service[s as usize]
            }
            _ => &self.generic,
        }
    }
}

/// A compiled check.
#[derive(Debug, Clone)]
pub struct Check {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Parameter type.
    pub param: ParamId,
    /// Protocol index.
    pub protocol: usize,
    /// Service values it is restricted to (empty: all).
    pub services: Vec<i64>,
    /// Guard.
    pub when: Option<Expr>,
    /// The validation.
    pub require: Expr,
    /// Measured value (explicit or inferred from a comparison).
    pub measure: Option<Expr>,
    /// Limit (explicit or inferred from a comparison).
    pub limit: Option<Expr>,
    /// Message.
    pub message: Message,
    /// Help.
    pub help: Option<Message>,
    /// Location override.
    pub locate: Option<(LocKind, Expr)>,
    /// Declaration span.
    pub span: Span,
}

/// A compiled flow.
#[derive(Debug, Clone)]
pub struct Flow {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Parameter type of its ordering findings.
    pub param: ParamId,
    /// Parameter type of "expected request never sent" findings (`request.sent`).
    pub sent_param: ParamId,
    /// Protocol index.
    pub protocol: usize,
    /// Exchanges the flow ignores.
    pub skips: Vec<Expr>,
    /// Variables and their initial values.
    pub vars: Vec<(String, Expr)>,
    /// Steps, groups flattened (see [`Step::group`]).
    pub steps: Vec<Step>,
    /// Actions after the last exchange.
    pub finish: Vec<Action>,
    /// Help.
    pub help: Option<Message>,
    /// Declaration span.
    pub span: Span,
}

/// A flow step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Name.
    pub name: String,
    /// Title.
    pub title: String,
    /// May be skipped.
    pub optional: bool,
    /// May accept several exchanges in a row.
    pub repeat: bool,
    /// (first, last) step index of the repeat group it belongs to.
    pub group: Option<(usize, usize)>,
    /// Acceptance condition.
    pub when: Expr,
    /// Actions.
    pub actions: Vec<Action>,
}

/// A step action.
#[derive(Debug, Clone)]
pub enum Action {
    /// A requirement producing a finding when false.
    Require {
        /// Parameter type.
        param: ParamId,
        /// Condition.
        cond: Expr,
        /// Message.
        message: Message,
        /// Location override.
        locate: Option<(LocKind, Expr)>,
        /// Inferred measured value.
        measure: Option<Expr>,
        /// Inferred limit.
        limit: Option<Expr>,
        /// Span.
        span: Span,
    },
    /// Assign a flow variable.
    Set(u16, Expr),
}

/// An interpolated message.
#[derive(Debug, Clone, Default)]
pub struct Message {
    /// Literal text and expressions.
    pub pieces: Vec<Piece>,
}

/// A piece of a message.
#[derive(Debug, Clone)]
pub enum Piece {
    /// Literal text.
    Lit(String),
    /// An expression and its format.
    Expr(Expr, Fmt),
}

/// How an interpolated value is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    /// Integers in decimal, durations with a unit.
    Auto,
    /// `0x1A` style.
    Hex,
    /// Dotted IPv4 address.
    Ip,
}

/// A constant value.
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    /// Integer.
    Int(i64),
    /// Duration in ns.
    Dur(i64),
    /// Boolean.
    Bool(bool),
    /// String.
    Str(Box<str>),
}

/// Which message an expression reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// The exchange's request.
    Req,
    /// The exchange's final response.
    Rsp,
    /// The single message being classified.
    Msg,
}

/// Facts about a message other than header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meta {
    /// Sender address.
    Src,
    /// Receiver address.
    Dst,
    /// Original length.
    Len,
    /// Timestamp.
    Ts,
    /// Header bytes kept.
    Kept,
    /// Negative response.
    Negative,
    /// Pending response.
    Pending,
    /// Functionally addressed request.
    Functional,
}

/// Facts about the exchange as a whole, computed by the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XchField {
    /// A final response arrived.
    Answered,
    /// The exchange has a request (false for a response nobody asked for).
    HasRequest,
    /// Worst gap between request/pending and the next response.
    Wait,
    /// The timer that applies to that gap.
    Limit,
    /// Number of pending responses.
    Pending,
    /// Number of responses paired with the request.
    Responses,
    /// The final response matches the request's content.
    Matched,
    /// Still waiting, timer not expired, when the recording stopped.
    EndOfRecording,
    /// A later exchange repeated this request and was answered positively.
    Recovered,
    /// Index of the exchange within the unit.
    Index,
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A constant.
    Lit(Const),
    /// A header field.
    Field(Ctx, FieldId),
    /// A raw header byte, `req[3]`.
    Byte(Ctx, Box<Expr>),
    /// Message facts.
    Meta(Ctx, Meta),
    /// Exchange facts.
    Xch(XchField),
    /// Per-unit configuration scalar.
    Config(u16),
    /// The unit's address.
    UnitAddress,
    /// A flow variable.
    Var(u16),
    /// Unary operator.
    Not(Box<Expr>),
    /// Arithmetic negation.
    Neg(Box<Expr>),
    /// Binary operator.
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// Membership in a set of [`RuleSet::sets`].
    InSet(Box<Expr>, u32),
    /// Membership in a set-valued config entry.
    InConfig(Box<Expr>, u16),
    /// Table column lookup: (table, column, key).
    Table(u32, u16, Box<Expr>),
    /// Conditional.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `min(a, b)`.
    Min(Box<Expr>, Box<Expr>),
    /// `max(a, b)`.
    Max(Box<Expr>, Box<Expr>),
}

/// A set of integers as sorted, merged inclusive ranges.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntSet {
    /// Ranges.
    pub ranges: Vec<(i64, i64)>,
}

impl IntSet {
    /// Builds a set from possibly overlapping ranges.
    pub fn from_ranges(mut r: Vec<(i64, i64)>) -> IntSet {
        r.sort_unstable();
        let mut out: Vec<(i64, i64)> = Vec::with_capacity(r.len());
        for (a, b) in r {
            match out.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        IntSet { ranges: out }
    }

    /// Membership test.
    pub fn contains(&self, v: i64) -> bool {
        self.ranges
            .binary_search_by(|&(a, b)| {
                if b < v {
                    std::cmp::Ordering::Less
                } else if a > v {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    }
}

/// A lookup table.
#[derive(Debug, Clone)]
pub struct Table {
    /// Name.
    pub name: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Row values.
    pub rows: Vec<Vec<Const>>,
    /// Direct index for small keys: `dense[key]` = row + 1 (0 = not in table).
    pub dense: Vec<u32>,
    /// Ranges for keys beyond `dense`: (from, to, row).
    pub ranges: Vec<(i64, i64, u32)>,
    /// Row of `_`.
    pub default: Option<u32>,
}

impl Table {
    /// The row for a key, first match wins.
    pub fn row(&self, key: i64) -> Option<usize> {
        if key >= 0 && (key as usize) < self.dense.len() {
            let r = self.dense[key as usize];
            if r > 0 {
                return Some(r as usize - 1);
            }
        }
        for &(a, b, r) in &self.ranges {
            if a <= key && key <= b {
                return Some(r as usize);
            }
        }
        self.default.map(|r| r as usize)
    }
}
