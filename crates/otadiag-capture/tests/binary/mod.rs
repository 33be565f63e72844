//! Shared helpers of the binary reader tests.
pub mod common;
