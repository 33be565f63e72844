//! Helpers shared by the text reader tests: owned frames and a read-everything loop.
#![allow(dead_code)]

use otadiag_capture::{CanFlags, CaptureError, FrameReader, FrameRef};

/// An owned copy of a CAN frame, easy to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct F {
    pub ts: Option<i64>,
    pub ch: u16,
    pub id: u32,
    pub flags: CanFlags,
    pub data: Vec<u8>,
}

/// A frame with the given fields.
pub fn f(ts: Option<i64>, ch: u16, id: u32, flags: CanFlags, data: &[u8]) -> F {
    F {
        ts,
        ch,
        id,
        flags,
        data: data.to_vec(),
    }
}

/// Flags from a short spec: letters x(extended) f(fd) b(brs) e(esi) r(rtr) E(error) t(tx).
pub fn fl(spec: &str) -> CanFlags {
    CanFlags {
        extended: spec.contains('x'),
        fd: spec.contains('f'),
        brs: spec.contains('b'),
        esi: spec.contains('e'),
        rtr: spec.contains('r'),
        error: spec.contains('E'),
        tx: spec.contains('t'),
    }
}

/// Reads every frame; collects the non-fatal errors; stops at a fatal one (returned last).
pub fn read_all(r: &mut dyn FrameReader) -> (Vec<F>, Vec<CaptureError>) {
    let mut frames = Vec::new();
    let mut errors = Vec::new();
    loop {
        match r.next_frame() {
            Ok(Some(FrameRef::Can {
                ts,
                channel,
                id,
                flags,
                data,
            })) => frames.push(F {
                ts,
                ch: channel,
                id,
                flags,
                data: data.to_vec(),
            }),
            Ok(Some(other)) => panic!("unexpected non-CAN frame {other:?}"),
            Ok(None) => break,
            Err(e) => {
                let fatal = e.fatal;
                errors.push(e);
                if fatal {
                    break;
                }
            }
        }
    }
    (frames, errors)
}

/// Counts frames without copying them (for the big real traces).
pub fn count_all(r: &mut dyn FrameReader) -> (usize, Vec<CaptureError>) {
    let mut n = 0;
    let mut errors = Vec::new();
    loop {
        match r.next_frame() {
            Ok(Some(_)) => n += 1,
            Ok(None) => break,
            Err(e) => {
                let fatal = e.fatal;
                errors.push(e);
                if fatal {
                    break;
                }
            }
        }
    }
    (n, errors)
}

/// The shared real-trace folder, or `None` (after saying so) when it is absent; panics instead
/// when `OTADIAG_REQUIRE_REAL_TRACES=1`.
pub fn real_traces() -> Option<std::path::PathBuf> {
    // OTADIAG_REAL_TRACES overrides the folder beside the repository.
    let dir = std::env::var_os("OTADIAG_REAL_TRACES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/real-traces"
            ))
        });
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("OTADIAG_REQUIRE_REAL_TRACES").as_deref() == Ok("1") {
        panic!(
            "real traces not found at {}, and OTADIAG_REQUIRE_REAL_TRACES=1",
            dir.display()
        );
    }
    println!("real traces not found at {}, skipping", dir.display());
    None
}
