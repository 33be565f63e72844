//! The vehicle-side recorder: decoded diagnostic traffic in, a header-only upload bundle out.
#![forbid(unsafe_code)]

pub mod classify;
pub mod deploy;
pub mod flash;
pub mod pipeline;
pub mod recorder;
pub mod topology;

pub use recorder::{Carrier, Counts, Msg, Recorder};
pub use topology::{Topology, TopologyError};
