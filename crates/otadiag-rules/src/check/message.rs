//! Message strings with `{expr}` / `{expr:hex}` interpolation, checked like any other expression so
//! a typo in a message is a load error, not a `?` in a report read at 2 a.m.

use super::{Env, Scope};
use crate::diag::Diag;
use crate::ir::{Fmt, Message, Piece};
use crate::syntax::ast::{Span, Str};
use crate::syntax::parse_interpolation;

impl Env<'_> {
    /// Compiles a message string in the given scope.
    pub(crate) fn message(&mut self, s: &Str, sc: &Scope) -> Message {
        let raw = &s.raw;
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let bytes = raw.as_bytes();
        let mut i = 0;
        while i < raw.len() {
            let c = bytes[i];
            match c {
                b'\\' if i + 1 < raw.len() => {
                    let next = raw[i + 1..].chars().next().unwrap();
                    lit.push(match next {
                        'n' => '\n',
                        't' => '\t',
                        o => o,
                    });
                    i += 1 + next.len_utf8();
                }
                b'{' if raw[i + 1..].starts_with('{') => {
                    lit.push('{');
                    i += 2;
                }
                b'}' if raw[i + 1..].starts_with('}') => {
                    lit.push('}');
                    i += 2;
                }
                b'{' => {
                    let Some(close) = raw[i + 1..].find('}') else {
                        let span = Span {
                            file: s.span.file,
                            start: s.span.start + i as u32,
                            end: s.span.end,
                        };
                        self.diags.push(Diag::BadInterpolation {
                            span,
                            what: "`{` is never closed (write `{{` for a brace)".into(),
                        });
                        break;
                    };
                    let inner = &raw[i + 1..i + 1 + close];
                    let offset = s.span.start + i as u32 + 1;
                    if !lit.is_empty() {
                        pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                    }
                    match parse_interpolation(s.span.file, offset, inner) {
                        Ok((e, fmt)) => {
                            let fmt = match fmt {
                                None => Some(Fmt::Auto),
                                Some(f) if f.name == "hex" => Some(Fmt::Hex),
                                Some(f) if f.name == "ip" => Some(Fmt::Ip),
                                Some(f) => {
                                    self.diags.push(Diag::BadInterpolation {
                                        span: f.span,
                                        what: format!(
                                            "unknown format `{}`; the formats are `hex` and `ip`",
                                            f.name
                                        ),
                                    });
                                    None
                                }
                            };
                            if let (Some((x, _)), Some(fmt)) = (self.expr(&e, sc), fmt) {
                                pieces.push(Piece::Expr(x, fmt));
                            }
                        }
                        Err(d) => {
                            let span = d.span().unwrap_or(s.span);
                            self.diags.push(Diag::BadInterpolation {
                                span,
                                what: d.to_string(),
                            });
                        }
                    }
                    i += close + 2;
                }
                _ => {
                    let ch = raw[i..].chars().next().unwrap();
                    lit.push(ch);
                    i += ch.len_utf8();
                }
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        Message { pieces }
    }
}
