//! Reuses exchange buffers between analyses on the same thread, so a fleet analysis does not map,
//! fault in and unmap tens of megabytes of fresh memory for every large unit.
//!
//! A flash of a few hundred MB has hundreds of thousands of exchanges; a freshly allocated buffer
//! of that size comes straight from `mmap` and costs a page fault per 4 KiB on first touch
//! (measured at 15 % of the engine's time, docs/PERFORMANCE.md). Buffers are kept per thread
//! (rayon workers each keep their own) and capped, so a thread never hoards more than
//! [`MAX_KEPT_BYTES`].

use crate::exchange::Xch;
use std::cell::RefCell;

/// The most memory one thread keeps in idle buffers.
const MAX_KEPT_BYTES: usize = 256 << 20;
/// The most idle buffers one thread keeps.
const MAX_KEPT: usize = 16;

thread_local! {
    static IDLE: RefCell<Vec<Vec<Xch>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer for about `need` exchanges: the smallest idle one of this thread that holds
/// them, else the largest idle one (it grows once), else a new one.
pub fn take(need: usize) -> Vec<Xch> {
    IDLE.with(|idle| {
        let mut idle = idle.borrow_mut();
        if idle.is_empty() {
            return Vec::new();
        }
        let at = idle
            .partition_point(|b| b.capacity() < need)
            .min(idle.len() - 1);
        idle.remove(at)
    })
}

/// Returns a buffer for reuse on this thread (dropped instead when the thread keeps enough).
pub fn give_back(mut buf: Vec<Xch>) {
    buf.clear();
    if buf.capacity() == 0 {
        return;
    }
    IDLE.with(|idle| {
        let mut idle = idle.borrow_mut();
        let kept: usize = idle.iter().map(|b| b.capacity()).sum::<usize>() + buf.capacity();
        if idle.len() < MAX_KEPT && kept * std::mem::size_of::<Xch>() <= MAX_KEPT_BYTES {
            // Sorted by capacity, so `take` finds the smallest that fits.
            let at = idle.partition_point(|b| b.capacity() <= buf.capacity());
            idle.insert(at, buf);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_returned_buffer_is_handed_out_again_empty() {
        let mut b = take(0);
        b.extend(crate::exchange::tests_support::some(3));
        let cap = b.capacity();
        give_back(b);
        let again = take(3);
        assert!(again.is_empty());
        assert_eq!(again.capacity(), cap);
    }
}
