//! Reads can-utils `candump` text — `-l` log files and the console output in its `-t`, `-a` and
//! `-x` flavours — because that is what a Linux bench or a Raspberry Pi in a car records.
//!
//! Log lines: `(1436509052.249713) vcan0 123#DEADBEEF [T|R]`, with `123##<flags><data>` for
//! CAN FD (flags nibble: BRS 1, ESI 2), `123#R[len]` for remote frames and 8-digit ids for
//! 29-bit and error frames (`CAN_ERR_FLAG` 0x20000000). Console lines:
//! `[(ts)]  vcan0  [TX|RX B|- E|-]  123   [4]  DE AD BE EF   ['....']`, `[16]` (two digits) for
//! CAN FD, `remote request` for RTR. Interfaces become channels 0, 1, … in order of appearance.
//! `-t d` (delta) console times are passed on as they are, not summed.

use std::io::Read;

use crate::detect::{
    civil_ns, expected, head_lines, parse_clock_ns, parse_fixed_prefix, parse_uint, Lines, Tokens,
    HEX,
};
use crate::frame::{CanFlags, CaptureError, FrameReader, FrameRef};

const CAN_ERR_FLAG: u32 = 0x2000_0000;
const CAN_EFF_MASK: u32 = 0x1FFF_FFFF;
/// Longest interface name kept in the channel table (Linux allows 15 bytes).
const MAX_IFACE: usize = 64;

/// Streaming reader of candump log files and console output.
pub struct Reader<R: Read> {
    lines: Lines<R>,
    ifaces: Ifaces,
    data: [u8; 64],
}

impl<R: Read> Reader<R> {
    /// A reader of `inner`; `name` names the file in errors.
    pub fn new(name: impl Into<String>, inner: R) -> Self {
        Reader {
            lines: Lines::new(name.into(), inner),
            ifaces: Ifaces::default(),
            data: [0; 64],
        }
    }
}

/// Whether `head` (the first bytes of a file) starts with a candump log or console line.
pub fn sniff(head: &[u8]) -> bool {
    let mut data = [0; 64];
    match head_lines(head).next() {
        Some(l) => matches!(
            parse_line(l, &mut Ifaces::default(), &mut data),
            Ok(Some(_))
        ),
        None => false,
    }
}

impl<R: Read> FrameReader for Reader<R> {
    fn next_frame(&mut self) -> Result<Option<FrameRef<'_>>, CaptureError> {
        loop {
            if !self.lines.advance()? {
                return Ok(None);
            }
            match parse_line(&self.lines.line, &mut self.ifaces, &mut self.data) {
                Ok(Some(f)) => {
                    return Ok(Some(FrameRef::Can {
                        ts: f.ts,
                        channel: f.channel,
                        id: f.id,
                        flags: f.flags,
                        data: &self.data[..f.len],
                    }))
                }
                Ok(None) => {}
                Err(msg) => return Err(self.lines.bad(msg)),
            }
        }
    }

    fn bytes_read(&self) -> u64 {
        self.lines.bytes_read()
    }
}

/// Interface name → channel number, in order of first appearance.
#[derive(Default)]
struct Ifaces {
    names: Vec<Box<[u8]>>,
    last: usize,
}

impl Ifaces {
    fn get(&mut self, name: &[u8]) -> Result<u16, String> {
        if self.names.get(self.last).is_some_and(|n| **n == *name) {
            return Ok(self.last as u16);
        }
        if let Some(i) = self.names.iter().position(|n| **n == *name) {
            self.last = i;
            return Ok(i as u16);
        }
        if name.len() > MAX_IFACE || self.names.len() > u16::MAX as usize {
            return Err(expected(
                "an interface name (at most 64 bytes, 65536 names)",
                name,
            ));
        }
        self.names.push(name.into());
        self.last = self.names.len() - 1;
        Ok(self.last as u16)
    }
}

/// A parsed frame whose data went into the reader's buffer.
struct Parsed {
    ts: Option<i64>,
    channel: u16,
    id: u32,
    flags: CanFlags,
    len: usize,
}

/// One line: `Ok(None)` for blank lines and `-e` error detail lines (they start with a tab).
fn parse_line(
    line: &[u8],
    ifaces: &mut Ifaces,
    data: &mut [u8; 64],
) -> Result<Option<Parsed>, String> {
    if line.first() == Some(&b'\t') {
        return Ok(None);
    }
    let mut rest = Tokens::new(line).rest();
    if rest.is_empty() {
        return Ok(None);
    }
    let mut ts = None;
    if rest[0] == b'(' {
        let body = &rest[1..];
        let (ns, used) = match parse_fixed_prefix(body, 9) {
            Some((ns, used)) if body.get(used) == Some(&b')') => (ns, used),
            _ => {
                let close = body.iter().position(|&b| b == b')');
                let close = close.ok_or_else(|| expected("`)` after the time", rest))?;
                let inner = &body[..close];
                let ns = parse_date_time(inner)
                    .ok_or_else(|| expected("a time like 1436509052.249713", inner))?;
                (ns, close)
            }
        };
        ts = Some(ns);
        rest = &body[used + 1..];
        if let Some(f) = fast_log(rest, ts, ifaces, data) {
            return Ok(Some(f));
        }
    }
    let mut t = Tokens::new(rest);
    let iface = t.next().ok_or_else(|| expected("an interface name", b""))?;
    let tok = t.next().ok_or_else(|| expected("a frame", b""))?;
    let mut f = Parsed {
        ts,
        channel: 0,
        id: 0,
        flags: CanFlags::default(),
        len: 0,
    };
    match tok.iter().position(|&b| b == b'#') {
        Some(h) => {
            log_frame(tok, h, &mut f, data)?;
            match t.next() {
                None | Some(b"R") => {}
                Some(b"T") => f.flags.tx = true,
                Some(other) => return Err(expected("end of line or the direction T/R", other)),
            }
        }
        None => console_frame(tok, t, &mut f, data)?,
    }
    // Only a good line names a channel, so a bad one cannot shift the numbering.
    f.channel = ifaces.get(iface)?;
    Ok(Some(f))
}

/// The usual `-l` line after its time, ` can0 7E0#0210030000000000`: one blank, the interface,
/// one blank, a 3-digit id, `#`, 0–8 data bytes as bare hex pairs, end of line. It parses exactly
/// as the general path would; `None` hands anything else (or anything wrong) to that path.
#[inline]
fn fast_log(
    rest: &[u8],
    ts: Option<i64>,
    ifaces: &mut Ifaces,
    data: &mut [u8; 64],
) -> Option<Parsed> {
    let s = rest.strip_prefix(b" ")?;
    let sp = s.iter().position(|&b| b == b' ' || b == b'\t')?;
    let (iface, tok) = (&s[..sp], &s[sp + 1..]);
    if iface.is_empty() || tok.len() < 4 || tok[3] != b'#' {
        return None;
    }
    let (a, b, c) = (
        HEX[tok[0] as usize],
        HEX[tok[1] as usize],
        HEX[tok[2] as usize],
    );
    if a > 7 || (b | c) > 0xF {
        return None;
    }
    let hex = &tok[4..];
    if hex.len() % 2 != 0 || hex.len() > 16 {
        return None;
    }
    for (slot, pair) in data.iter_mut().zip(hex.chunks_exact(2)) {
        let (hi, lo) = (HEX[pair[0] as usize], HEX[pair[1] as usize]);
        if (hi | lo) > 0xF {
            return None;
        }
        *slot = hi << 4 | lo;
    }
    let channel = ifaces.get(iface).ok()?;
    Some(Parsed {
        ts,
        channel,
        id: u32::from(a) << 8 | u32::from(b) << 4 | u32::from(c),
        flags: CanFlags::default(),
        len: hex.len() / 2,
    })
}

/// A `-t A` time: `2015-07-10 08:17:32.249713` (taken as UTC).
fn parse_date_time(s: &[u8]) -> Option<i64> {
    if s.len() < 11 || s[4] != b'-' || s[7] != b'-' || s[10] != b' ' {
        return None;
    }
    let y = parse_uint(&s[..4], 10, 4)? as i64;
    let m = parse_uint(&s[5..7], 10, 2)?;
    let d = parse_uint(&s[8..10], 10, 2)?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    civil_ns(y, m, d, parse_clock_ns(&s[11..])?)
}

/// An id of 1–3 hex digits (11-bit) or 4–8 (29-bit; `CAN_ERR_FLAG` makes it an error frame).
fn parse_id(tok: &[u8], f: &mut Parsed) -> Result<(), String> {
    let id = parse_uint(tok, 16, 8).ok_or_else(|| expected("a hex CAN id", tok))?;
    if tok.len() <= 3 {
        if id > 0x7FF {
            return Err(expected("an 11-bit id (at most 7FF)", tok));
        }
        f.id = id;
    } else if id & CAN_ERR_FLAG != 0 {
        f.flags.error = true;
        f.id = id & CAN_EFF_MASK;
    } else if id > CAN_EFF_MASK {
        return Err(expected("a 29-bit id (at most 1FFFFFFF)", tok));
    } else {
        f.flags.extended = true;
        f.id = id;
    }
    Ok(())
}

/// `ID#DATA`, `ID##<flags>DATA`, `ID#R[len]`; `h` is the index of the first `#`.
fn log_frame(tok: &[u8], h: usize, f: &mut Parsed, data: &mut [u8; 64]) -> Result<(), String> {
    parse_id(&tok[..h], f)?;
    let after = &tok[h + 1..];
    match after.first() {
        Some(b'#') => {
            let fl = after.get(1).map_or(0xFF, |&b| HEX[b as usize]);
            if fl > 0xF {
                return Err(expected("a CAN FD flags digit after `##`", &after[1..]));
            }
            f.flags.fd = true;
            f.flags.brs = fl & 1 != 0;
            f.flags.esi = fl & 2 != 0;
            f.len = hex_bytes(&after[2..], data, 64)?;
        }
        Some(b'R' | b'r') => {
            if after.len() > 2 || (after.len() == 2 && !(b'0'..=b'8').contains(&after[1])) {
                return Err(expected("`R` or `R` and a length digit 0-8", after));
            }
            f.flags.rtr = true;
        }
        _ => f.len = hex_bytes(after, data, 8)?,
    }
    Ok(())
}

/// Hex byte pairs, optionally `.`-separated, with an optional `_<dlc>` suffix (len8_dlc).
fn hex_bytes(s: &[u8], data: &mut [u8; 64], max: usize) -> Result<usize, String> {
    let mut n = 0;
    let mut i = 0;
    while i < s.len() {
        let hi = HEX[s[i] as usize];
        if hi > 0xF {
            match s[i] {
                b'.' => {
                    i += 1;
                    continue;
                }
                b'_' if n == 8 && max == 8 && i + 2 == s.len() && HEX[s[i + 1] as usize] <= 0xF => {
                    return Ok(n)
                }
                _ => return Err(expected("hex data bytes", &s[i..])),
            }
        }
        let lo = s.get(i + 1).map_or(0xFF, |&b| HEX[b as usize]);
        if lo > 0xF {
            return Err(expected("hex data bytes", &s[i..]));
        }
        if n == max {
            return Err(expected(&format!("at most {max} data bytes"), s));
        }
        data[n] = hi << 4 | lo;
        n += 1;
        i += 2;
    }
    Ok(n)
}

/// The console part after the interface: `[TX|RX B|- E|-]  ID  [len]  bytes|remote request`.
fn console_frame(
    first: &[u8],
    mut t: Tokens<'_>,
    f: &mut Parsed,
    data: &mut [u8; 64],
) -> Result<(), String> {
    let mut tok = first;
    if tok == b"TX" || tok == b"RX" {
        f.flags.tx = tok == b"TX";
        for _ in 0..2 {
            match t.next() {
                Some(b"-") => {}
                Some(b"B") => f.flags.brs = true,
                Some(b"E") => f.flags.esi = true,
                other => return Err(expected("a flag column B, E or -", other.unwrap_or(b""))),
            }
        }
        tok = t.next().unwrap_or(b"");
    }
    parse_id(tok, f)?;
    let len_tok = t.next().unwrap_or(b"");
    let digits = len_tok
        .strip_prefix(b"[")
        .and_then(|s| s.strip_suffix(b"]"))
        .ok_or_else(|| expected("a length like [8]", len_tok))?;
    let len =
        parse_uint(digits, 10, 2).ok_or_else(|| expected("a length like [8]", len_tok))? as usize;
    f.flags.fd = digits.len() == 2;
    if len > if f.flags.fd { 64 } else { 8 } {
        return Err(expected(
            "a length of at most 8 (CAN) or 64 (CAN FD)",
            len_tok,
        ));
    }
    if t.rest().starts_with(b"remote request") {
        f.flags.rtr = true;
        return Ok(());
    }
    for slot in data.iter_mut().take(len) {
        let b = t.next().unwrap_or(b"");
        if b.len() != 2 || HEX[b[0] as usize] > 0xF || HEX[b[1] as usize] > 0xF {
            return Err(expected(&format!("{len} hex data bytes"), b));
        }
        *slot = HEX[b[0] as usize] << 4 | HEX[b[1] as usize];
    }
    f.len = len;
    let rest = t.rest();
    if !(rest.is_empty() || rest[0] == b'\'' || rest[0] == b'`' || rest.starts_with(b"ERRORFRAME"))
    {
        return Err(expected("end of line, an ASCII column or ERRORFRAME", rest));
    }
    Ok(())
}
