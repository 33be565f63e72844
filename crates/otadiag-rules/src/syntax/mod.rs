//! Text → AST: the pest grammar and the tree builder. No meaning is assigned here.

pub mod ast;
mod parse;

pub use parse::{parse_file, parse_int, parse_interpolation};
