//! What the binary reader tests share: an owned copy of a frame, and reading a whole capture into
//! frames and errors while checking the reader's contract after a fatal error.
#![allow(dead_code)] // each test file uses its own part

use otadiag_capture::{CanFlags, CaptureError, FrameReader, FrameRef, Link};

/// An owned frame, comparable in assertions.
#[derive(Debug, Clone, PartialEq)]
pub enum F {
    Can {
        ts: Option<i64>,
        ch: u16,
        id: u32,
        flags: CanFlags,
        data: Vec<u8>,
    },
    Pkt {
        ts: Option<i64>,
        ch: u16,
        link: Link,
        data: Vec<u8>,
        /// Length on the wire (more than `data` when the capture was snapped).
        orig: u32,
    },
}

/// Copies a borrowed frame.
pub fn own(f: FrameRef<'_>) -> F {
    match f {
        FrameRef::Can {
            ts,
            channel,
            id,
            flags,
            data,
        } => F::Can {
            ts,
            ch: channel,
            id,
            flags,
            data: data.to_vec(),
        },
        FrameRef::Packet {
            ts,
            channel,
            link,
            data,
            orig_len,
        } => F::Pkt {
            ts,
            ch: channel,
            link,
            data: data.to_vec(),
            orig: orig_len,
        },
    }
}

/// Reads every frame and error; after a fatal error the reader must end.
pub fn drain(r: &mut dyn FrameReader) -> (Vec<F>, Vec<CaptureError>) {
    let (mut frames, mut errors) = (Vec::new(), Vec::new());
    loop {
        match r.next_frame() {
            Ok(Some(f)) => frames.push(own(f)),
            Ok(None) => break,
            Err(e) => {
                let fatal = e.fatal;
                errors.push(e);
                if fatal {
                    assert!(matches!(r.next_frame(), Ok(None)));
                    break;
                }
            }
        }
    }
    (frames, errors)
}

/// BLF files start here in the tests (2025-07-11 11:22:56.292 UTC).
pub const START: i64 = 1_752_232_976_292_000_000;

/// Flags of a classic 11-bit data frame.
pub const STD: CanFlags = CanFlags {
    extended: false,
    fd: false,
    brs: false,
    esi: false,
    rtr: false,
    error: false,
    tx: false,
};
