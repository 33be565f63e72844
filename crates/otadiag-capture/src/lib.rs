//! Capture readers: every format the field records CAN and automotive Ethernet in, turned into one
//! stream of [`FrameRef`]s.
#![forbid(unsafe_code)]

pub mod frame;

pub use frame::{CanFlags, CaptureError, FrameReader, FrameRef, Link, Position};

pub mod asc;
pub mod blf;
pub mod candump;
pub mod detect;
pub mod pcap;
pub mod trc;
