//! Opens a capture without being told its format: sniffs the first bytes (through gzip if need
//! be) and hands the stream to the matching reader.
//!
//! It also holds the line plumbing the three text readers share (`Lines`, tokens, hex, times),
//! which belongs in a `text` module of its own once `lib.rs` is free to be edited.

use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::Path;

use crate::frame::{CaptureError, FrameReader, Position};
use crate::{asc, blf, candump, pcap, trc};

/// How many bytes the sniffers look at.
const HEAD: usize = 4096;

/// Opens `path` and returns the reader for its format (see [`from_reader`]).
pub fn open(path: &Path) -> Result<Box<dyn FrameReader>, CaptureError> {
    let name = path.display().to_string();
    match std::fs::File::open(path) {
        Ok(f) => from_reader(name, Box::new(f)),
        Err(e) => Err(fatal(
            &name,
            Position::Offset(0),
            format!("cannot open: {e}"),
        )),
    }
}

/// Sniffs the start of `inner` (unpacking gzip first) and returns the reader for its format:
/// BLF, pcap/pcapng, PCAN TRC, Vector ASC or candump. Fatal error when none matches.
pub fn from_reader(
    name: String,
    inner: Box<dyn Read>,
) -> Result<Box<dyn FrameReader>, CaptureError> {
    let (head, inner) = peek(&name, inner)?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let gz: Box<dyn Read> = Box::new(flate2::read::MultiGzDecoder::new(inner));
        let (head, inner) = peek(&name, gz)?;
        return dispatch(name, &head, inner);
    }
    dispatch(name, &head, inner)
}

fn dispatch(
    name: String,
    head: &[u8],
    inner: Box<dyn Read>,
) -> Result<Box<dyn FrameReader>, CaptureError> {
    if blf::sniff(head) {
        return Ok(Box::new(blf::Reader::new(name, inner)?));
    }
    if pcap::sniff(head) {
        return Ok(Box::new(pcap::Reader::new(name, inner)?));
    }
    if trc::sniff(head) {
        return Ok(Box::new(trc::Reader::new(name, inner)));
    }
    if asc::sniff(head) {
        return Ok(Box::new(asc::Reader::new(name, inner)));
    }
    if candump::sniff(head) {
        return Ok(Box::new(candump::Reader::new(name, inner)));
    }
    Err(fatal(
        &name,
        Position::Offset(0),
        "not a capture otadiag reads: expected candump, PCAN TRC, Vector ASC/BLF or pcap/pcapng"
            .into(),
    ))
}

/// Reads up to [`HEAD`] bytes and returns them with a stream that still starts at byte 0.
fn peek(name: &str, mut inner: Box<dyn Read>) -> Result<(Vec<u8>, Box<dyn Read>), CaptureError> {
    let mut head = Vec::with_capacity(HEAD);
    if let Err(e) = (&mut inner).take(HEAD as u64).read_to_end(&mut head) {
        return Err(fatal(
            name,
            Position::Offset(0),
            format!("cannot read: {e}"),
        ));
    }
    let rest: Box<dyn Read> = Box::new(Cursor::new(head.clone()).chain(inner));
    Ok((head, rest))
}

/// `expected WHAT, found `TOKEN`` (the token cut to 40 bytes).
pub(crate) fn expected(what: &str, found: &[u8]) -> String {
    if found.is_empty() {
        return format!("expected {what}, found end of line");
    }
    let cut = &found[..found.len().min(40)];
    format!("expected {what}, found `{}`", String::from_utf8_lossy(cut))
}

/// A fatal error (the reader cannot go on).
pub(crate) fn fatal(file: &str, pos: Position, msg: String) -> CaptureError {
    CaptureError {
        file: file.to_string(),
        pos,
        msg,
        fatal: true,
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Longest line the text readers accept; longer ones are skipped with an error.
const MAX_LINE: usize = 64 * 1024;

/// Line source of the text readers: a 256 KiB buffer, one reused line (without `\r\n`).
pub(crate) struct Lines<R> {
    inner: BufReader<R>,
    /// The current line.
    pub(crate) line: Vec<u8>,
    /// 1-based number of the current line.
    pub(crate) no: u64,
    /// The file name for errors.
    pub(crate) file: String,
    bytes: u64,
    done: bool,
}

impl<R: Read> Lines<R> {
    pub(crate) fn new(file: String, inner: R) -> Self {
        Lines {
            inner: BufReader::with_capacity(256 * 1024, inner),
            line: Vec::with_capacity(512),
            no: 0,
            file,
            bytes: 0,
            done: false,
        }
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// A non-fatal error at the current line.
    pub(crate) fn bad(&self, msg: String) -> CaptureError {
        CaptureError {
            file: self.file.clone(),
            pos: Position::Line(self.no),
            msg,
            fatal: false,
        }
    }

    /// Moves to the next line: `Ok(false)` at the end, fatal error on I/O failure.
    pub(crate) fn advance(&mut self) -> Result<bool, CaptureError> {
        self.line.clear();
        if self.done {
            return Ok(false);
        }
        let mut got = false;
        let mut too_long = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    let msg = format!("read failed: {e}");
                    return Err(fatal(&self.file, Position::Line(self.no + 1), msg));
                }
            };
            if avail.is_empty() {
                self.done = true;
                if !got {
                    return Ok(false);
                }
                break;
            }
            got = true;
            let (take, used, end) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i, i + 1, true),
                None => (avail.len(), avail.len(), false),
            };
            if self.line.len() + take <= MAX_LINE {
                self.line.extend_from_slice(&avail[..take]);
            } else {
                too_long = true;
            }
            self.inner.consume(used);
            self.bytes += used as u64;
            if end {
                break;
            }
        }
        self.no += 1;
        if too_long {
            self.line.clear();
            return Err(self.bad(format!(
                "expected a line of at most {MAX_LINE} bytes, found a longer one"
            )));
        }
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        if self.no == 1 && self.line.starts_with(BOM) {
            self.line.drain(..BOM.len());
        }
        Ok(true)
    }
}

/// Whitespace-separated tokens of a line (spaces and tabs).
#[derive(Clone)]
pub(crate) struct Tokens<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Tokens<'a> {
    pub(crate) fn new(s: &'a [u8]) -> Self {
        Tokens { s, i: 0 }
    }
    /// What is left after the tokens taken so far, leading blanks removed.
    pub(crate) fn rest(&self) -> &'a [u8] {
        let mut i = self.i;
        while i < self.s.len() && is_blank(self.s[i]) {
            i += 1;
        }
        &self.s[i..]
    }
}

impl Tokens<'_> {
    /// Fast path for `out.len()` two-digit hex tokens, each after exactly one blank and before
    /// a blank or the end: fills `out`, moves past them and returns true. Otherwise returns
    /// false and leaves the position alone, so the caller can take the tokens one by one (which
    /// gives the same bytes wherever this succeeds).
    pub(crate) fn hex_pairs(&mut self, out: &mut [u8]) -> bool {
        let s = self.s;
        let mut i = self.i;
        for slot in out.iter_mut() {
            if s.len() < i + 3 || !is_blank(s[i]) {
                return false;
            }
            let (hi, lo) = (HEX[s[i + 1] as usize], HEX[s[i + 2] as usize]);
            if (hi | lo) > 0xF || s.get(i + 3).is_some_and(|&c| !is_blank(c)) {
                return false;
            }
            *slot = hi << 4 | lo;
            i += 3;
        }
        self.i = i;
        true
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let s = self.s;
        let mut i = self.i;
        while i < s.len() && is_blank(s[i]) {
            i += 1;
        }
        if i == s.len() {
            self.i = i;
            return None;
        }
        let start = i;
        while i < s.len() && !is_blank(s[i]) {
            i += 1;
        }
        self.i = i;
        Some(&s[start..i])
    }
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

const fn hex_table() -> [u8; 256] {
    let mut t = [0xFFu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
}

/// Hex digit values; 0xFF for anything else.
pub(crate) static HEX: [u8; 256] = hex_table();

/// Parses an unsigned number of 1..=`max_digits` digits in `radix` 10 or 16.
pub(crate) fn parse_uint(tok: &[u8], radix: u32, max_digits: usize) -> Option<u32> {
    if tok.is_empty() || tok.len() > max_digits {
        return None;
    }
    let mut v: u32 = 0;
    for &b in tok {
        let d = HEX[b as usize] as u32;
        if d >= radix {
            return None;
        }
        v = v.checked_mul(radix)?.checked_add(d)?;
    }
    Some(v)
}

/// Parses `int[.frac]` in a unit of 10^`exp` ns (9: seconds, 6: milliseconds) into ns, exactly:
/// digits beyond 1 ns are cut off, never rounded through a float.
#[inline]
pub(crate) fn parse_fixed_ns(tok: &[u8], exp: u32) -> Option<i64> {
    match parse_fixed_prefix(tok, exp) {
        Some((ns, used)) if used == tok.len() => Some(ns),
        _ => None,
    }
}

/// [`parse_fixed_ns`] of the longest `[-]int[.frac]` prefix: the value and the bytes it took.
#[inline]
pub(crate) fn parse_fixed_prefix(tok: &[u8], exp: u32) -> Option<(i64, usize)> {
    const POW10: [i64; 10] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
    ];
    let neg = tok.first() == Some(&b'-');
    let mut i = neg as usize;
    let mut v: i64 = 0;
    while let Some(d) = tok.get(i).map(|b| b.wrapping_sub(b'0')).filter(|&d| d <= 9) {
        v = v * 10 + d as i64;
        i += 1;
        if i > 13 {
            return None;
        }
    }
    if i == neg as usize {
        return None;
    }
    let (mut f, mut k) = (0i64, 0u32);
    if tok.get(i) == Some(&b'.') {
        i += 1;
        while let Some(d) = tok.get(i).map(|b| b.wrapping_sub(b'0')).filter(|&d| d <= 9) {
            if k < exp {
                f = f * 10 + d as i64;
                k += 1;
            }
            i += 1;
        }
    }
    let exp = exp.min(9) as usize;
    let ns = v
        .checked_mul(POW10[exp])?
        .checked_add(f * POW10[exp - k as usize])?;
    Some((if neg { -ns } else { ns }, i))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// ns since the epoch of a date and a time of day (taken as UTC); `None` outside 1677–2262.
pub(crate) fn civil_ns(y: i64, m: u32, d: u32, clock_ns: i64) -> Option<i64> {
    days_from_civil(y, m, d)
        .checked_mul(86_400_000_000_000)?
        .checked_add(clock_ns)
}

/// Parses `HH:MM:SS[.frac]` into ns since midnight.
pub(crate) fn parse_clock_ns(tok: &[u8]) -> Option<i64> {
    let mut parts = tok.splitn(3, |&b| b == b':');
    let h = parse_uint(parts.next()?, 10, 2)? as i64;
    let m = parse_uint(parts.next()?, 10, 2)? as i64;
    let s = parse_fixed_ns(parts.next()?, 9)?;
    if h > 23 || m > 59 || !(0..61_000_000_000).contains(&s) {
        return None;
    }
    Some((h * 3600 + m * 60) * 1_000_000_000 + s)
}

/// Complete lines of a sniffed head (the last, cut-off line is dropped unless it is all there is),
/// without blank ones.
pub(crate) fn head_lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    let head = head.strip_prefix(BOM).unwrap_or(head);
    let complete = match memchr::memrchr(b'\n', head) {
        Some(p) => &head[..p],
        None => head,
    };
    complete
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| l.iter().any(|&b| !is_blank(b)))
}
