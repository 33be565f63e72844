//! Fast text output for the line formats (candump, ASC): lines are formatted by hand into one
//! 1 MiB buffer, because `write!` formatting would make writing a 1 GB capture take minutes.

use std::fs::File;
use std::io::{self, Write};

const HEX: &[u8; 16] = b"0123456789ABCDEF";
const FLUSH_AT: usize = 1 << 20;

/// A buffered text file that counts what it wrote.
pub struct TextOut {
    file: File,
    buf: Vec<u8>,
    flushed: u64,
}

impl TextOut {
    /// Writes to `file`.
    pub fn new(file: File) -> Self {
        TextOut {
            file,
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            flushed: 0,
        }
    }

    /// The buffer to append the next line to.
    pub fn line(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Called after a line was appended: writes the buffer out when it is full.
    pub fn done(&mut self) -> io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes out everything buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.file.write_all(&self.buf)?;
        self.flushed += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// Bytes written so far, buffered ones included.
    pub fn written(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }
}

/// Appends `v` in decimal, zero-padded to at least `width` digits.
pub fn push_dec(b: &mut Vec<u8>, mut v: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut i = tmp.len();
    while v > 0 {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    let start = i.min(tmp.len() - width.clamp(1, 20));
    b.extend_from_slice(&tmp[start..]);
}

/// Appends a byte as two upper-case hex digits.
#[inline]
pub fn push_hex_byte(b: &mut Vec<u8>, x: u8) {
    b.extend_from_slice(&[HEX[usize::from(x >> 4)], HEX[usize::from(x & 15)]]);
}

/// Appends a CAN id in upper-case hex, zero-padded to at least `width` digits.
pub fn push_hex_id(b: &mut Vec<u8>, id: u32, width: usize) {
    let digits = ((32 - id.leading_zeros() as usize).div_ceil(4)).max(width.max(1));
    for k in (0..digits).rev() {
        b.push(HEX[((id >> (4 * k)) & 15) as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let mut b = Vec::new();
        push_dec(&mut b, 42, 6);
        b.push(b' ');
        push_dec(&mut b, 0, 1);
        b.push(b' ');
        push_dec(&mut b, 1_765_000_000, 1);
        b.push(b' ');
        push_hex_id(&mut b, 0x7E0, 3);
        b.push(b' ');
        push_hex_id(&mut b, 0x7, 3);
        b.push(b' ');
        push_hex_byte(&mut b, 0x0A);
        assert_eq!(b, b"000042 0 1765000000 7E0 007 0A");
    }
}
