//! Reads PEAK PCAN-View `.trc` traces (v1.0–1.3 and 2.0/2.1), because PCAN adapters are the
//! cheapest tool a workshop records a vehicle bus with.
//!
//! v1.x lines: `N)  offset_ms  [bus]  [Rx|Tx|Warng|Error]  ID  [-]  DLC  bytes|RTR`.
//! v2.x lines follow `;$COLUMNS=` (defaults: 2.0 `N,O,T,I,d,l,D`, 2.1 `N,O,T,B,I,d,R,L,D`);
//! types DT, FD, FB, FE, BI, RR and ER are frames, ST/EC/EV are status lines and are skipped.
//! Offsets are added to `;$STARTTIME` (an OLE date: days since 1899-12-30, taken as UTC since
//! the file does not name its time zone) when present, else they are relative to the start.

use std::io::Read;

use crate::detect::{expected, head_lines, parse_fixed_ns, parse_uint, Lines, Tokens, HEX};
use crate::frame::{CanFlags, CaptureError, FrameReader, FrameRef};

const DAY_NS: i128 = 86_400_000_000_000;
/// 1970-01-01 as an OLE date.
const OLE_UNIX_DAYS: i64 = 25_569;
/// CAN FD DLC → data length.
const DLC_LEN: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64];

/// Streaming reader of PCAN-View TRC files.
pub struct Reader<R: Read> {
    lines: Lines<R>,
    /// `None` for v1.x, the column layout for v2.x.
    cols: Option<Cols>,
    start_ns: i64,
    data: [u8; 64],
}

/// Positions of the v2.x columns (`usize::MAX` when absent).
#[derive(Clone, Copy)]
struct Cols {
    o: usize,
    t: usize,
    b: usize,
    i: usize,
    d: usize,
    big_l: usize,
    l: usize,
    /// Index of `D`, the last column: data bytes follow.
    data: usize,
}

impl Cols {
    fn parse(spec: &[u8]) -> Option<Cols> {
        let mut c = Cols {
            o: !0,
            t: !0,
            b: !0,
            i: !0,
            d: !0,
            big_l: !0,
            l: !0,
            data: !0,
        };
        for (k, name) in spec.split(|&b| b == b',').enumerate() {
            let slot = match name.trim_ascii() {
                b"O" => &mut c.o,
                b"T" => &mut c.t,
                b"B" => &mut c.b,
                b"I" => &mut c.i,
                b"d" => &mut c.d,
                b"L" => &mut c.big_l,
                b"l" => &mut c.l,
                b"D" => &mut c.data,
                b"N" | b"R" => continue,
                _ => return None,
            };
            *slot = k;
        }
        let ok = c.o < c.data && c.t < c.data && c.i < c.data && c.data < 12;
        ok.then_some(c)
    }
}

impl<R: Read> Reader<R> {
    /// A reader of `inner`; `name` names the file in errors.
    pub fn new(name: impl Into<String>, inner: R) -> Self {
        Reader {
            lines: Lines::new(name.into(), inner),
            cols: None,
            start_ns: 0,
            data: [0; 64],
        }
    }

    /// `;$KEY=value` header lines; other comments are ignored.
    fn header(&mut self) -> Result<(), String> {
        let line = &self.lines.line;
        let Some(eq) = memchr::memchr(b'=', line) else {
            return Ok(());
        };
        let (key, val) = (line[..eq].trim_ascii(), line[eq + 1..].trim_ascii());
        match key {
            b";$FILEVERSION" => match val {
                b"1.0" | b"1.1" | b"1.2" | b"1.3" => self.cols = None,
                b"2.0" => self.cols = Cols::parse(b"N,O,T,I,d,l,D"),
                b"2.1" => self.cols = Cols::parse(b"N,O,T,B,I,d,R,L,D"),
                _ => return Err(expected("a file version 1.0-1.3, 2.0 or 2.1", val)),
            },
            b";$STARTTIME" => {
                self.start_ns =
                    ole_days_ns(val).ok_or_else(|| expected("an OLE date like 45617.657", val))?
            }
            b";$COLUMNS" => {
                let c = Cols::parse(val);
                self.cols = Some(c.ok_or_else(|| expected("columns like N,O,T,B,I,d,R,L,D", val))?);
            }
            _ => {}
        }
        Ok(())
    }
}

/// Whether `head` starts like a TRC file: `;$FILEVERSION`, or `;` comments followed by `N)` lines.
pub fn sniff(head: &[u8]) -> bool {
    let mut lines = head_lines(head);
    match lines.next() {
        Some(l) if l.starts_with(b";$FILEVERSION") => true,
        Some(l) if l.starts_with(b";") => lines.any(|l| {
            let tok = Tokens::new(l).next().unwrap_or(b"");
            tok.len() > 1
                && tok.ends_with(b")")
                && parse_uint(&tok[..tok.len() - 1], 10, 9).is_some()
        }),
        _ => false,
    }
}

/// OLE automation date (`45617.6579229051`) → ns since the Unix epoch.
fn ole_days_ns(s: &[u8]) -> Option<i64> {
    let (int, frac) = match memchr::memchr(b'.', s) {
        Some(p) => (&s[..p], &s[p + 1..]),
        None => (s, &s[..0]),
    };
    let days = parse_uint(int, 10, 7)? as i64;
    let mut f: i128 = 0;
    for &b in frac.iter().take(15) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        f = f * 10 + i128::from(d);
    }
    let digits = frac.len().min(15) as u32;
    let ns = (days - OLE_UNIX_DAYS) as i128 * DAY_NS + f * DAY_NS / 10i128.pow(digits);
    i64::try_from(ns).ok()
}

fn byte(tok: &[u8]) -> Option<u8> {
    match tok {
        [h, l] if HEX[*h as usize] <= 0xF && HEX[*l as usize] <= 0xF => {
            Some(HEX[*h as usize] << 4 | HEX[*l as usize])
        }
        _ => None,
    }
}

struct Parsed {
    ts: i64,
    channel: u16,
    id: u32,
    flags: CanFlags,
    len: usize,
}

fn data_bytes(t: &mut Tokens<'_>, len: usize, data: &mut [u8; 64]) -> Result<(), String> {
    for slot in data.iter_mut().take(len) {
        let tok = t.next().unwrap_or(b"");
        *slot = byte(tok).ok_or_else(|| expected(&format!("{len} hex data bytes"), tok))?;
    }
    Ok(())
}

fn parse_id(tok: &[u8], f: &mut Parsed) -> Result<(), String> {
    f.id = parse_uint(tok, 16, 8).ok_or_else(|| expected("a hex CAN id", tok))?;
    f.flags.extended = tok.len() > 4 || f.id > 0x7FF;
    if f.id > 0x1FFF_FFFF {
        return Err(expected("a 29-bit id", tok));
    }
    Ok(())
}

fn is_type_v1(tok: &[u8]) -> bool {
    matches!(tok, b"Rx" | b"Tx" | b"Warng" | b"Error")
}

/// A v1.x frame line; `Ok(None)` for warnings and bus-info lines (id FFFFFFFF).
fn parse_v1(line: &[u8], start: i64, data: &mut [u8; 64]) -> Result<Option<Parsed>, String> {
    let mut t = Tokens::new(line);
    let num = t.next().unwrap_or(b"");
    if !num.ends_with(b")") || parse_uint(&num[..num.len() - 1], 10, 10).is_none() {
        return Err(expected("a message number like `12)`", num));
    }
    let time = t.next().unwrap_or(b"");
    let off = parse_fixed_ns(time, 6).ok_or_else(|| expected("a time offset in ms", time))?;
    let mut f = Parsed {
        ts: start.saturating_add(off),
        channel: 0,
        id: 0,
        flags: CanFlags::default(),
        len: 0,
    };
    let mut tok = t.next().unwrap_or(b"");
    let mut peek = t.clone();
    if peek.next().is_some_and(is_type_v1) {
        f.channel = parse_uint(tok, 10, 5)
            .and_then(|b| u16::try_from(b).ok())
            .ok_or_else(|| expected("a bus number", tok))?;
        tok = t.next().unwrap_or(b"");
    }
    if is_type_v1(tok) {
        match tok {
            b"Warng" => return Ok(None),
            b"Error" => f.flags.error = true,
            b"Tx" => f.flags.tx = true,
            _ => {}
        }
        tok = t.next().unwrap_or(b"");
    }
    if tok == b"FFFFFFFF" {
        return Ok(None);
    }
    parse_id(tok, &mut f)?;
    let mut dlc = t.next().unwrap_or(b"");
    if dlc == b"-" {
        dlc = t.next().unwrap_or(b"");
    }
    let dlc = parse_uint(dlc, 10, 2)
        .filter(|&d| d <= 15)
        .ok_or_else(|| expected("a DLC 0-15", dlc))?;
    if t.clone().next() == Some(b"RTR") {
        f.flags.rtr = true;
        return Ok(Some(f));
    }
    f.len = dlc.min(8) as usize;
    data_bytes(&mut t, f.len, data)?;
    Ok(Some(f))
}

/// A v2.x line laid out by `c`; `Ok(None)` for status, error-counter and event lines.
fn parse_v2(
    line: &[u8],
    c: Cols,
    start: i64,
    data: &mut [u8; 64],
) -> Result<Option<Parsed>, String> {
    let mut t = Tokens::new(line);
    let mut col: [&[u8]; 12] = [b""; 12];
    for slot in col.iter_mut().take(c.data) {
        *slot = t.next().unwrap_or(b"");
    }
    let mut f = Parsed {
        ts: 0,
        channel: 0,
        id: 0,
        flags: CanFlags::default(),
        len: 0,
    };
    match col[c.t] {
        b"DT" => {}
        b"FD" => f.flags.fd = true,
        b"FB" => (f.flags.fd, f.flags.brs) = (true, true),
        b"FE" => (f.flags.fd, f.flags.esi) = (true, true),
        b"BI" => (f.flags.fd, f.flags.brs, f.flags.esi) = (true, true, true),
        b"RR" => f.flags.rtr = true,
        b"ER" => f.flags.error = true,
        b"ST" | b"EC" | b"EV" => return Ok(None),
        other => {
            return Err(expected(
                "a message type DT, FD, FB, FE, BI, RR, ER, ST, EC or EV",
                other,
            ))
        }
    }
    let time = col[c.o];
    let off = parse_fixed_ns(time, 6).ok_or_else(|| expected("a time offset in ms", time))?;
    f.ts = start.saturating_add(off);
    if c.b < c.data {
        let b = col[c.b];
        f.channel = parse_uint(b, 10, 5)
            .and_then(|b| u16::try_from(b).ok())
            .ok_or_else(|| expected("a bus number", b))?;
    }
    if c.d < c.data {
        f.flags.tx = col[c.d] == b"Tx";
    }
    if !(f.flags.error && col[c.i] == b"-") {
        parse_id(col[c.i], &mut f)?;
    }
    let max = if f.flags.fd || f.flags.error { 64 } else { 8 };
    f.len = if c.l < c.data {
        let l = col[c.l];
        parse_uint(l, 10, 2)
            .filter(|&n| n as usize <= max)
            .ok_or_else(|| expected("a data length", l))? as usize
    } else if c.big_l < c.data {
        let l = col[c.big_l];
        let dlc = parse_uint(l, 10, 2)
            .filter(|&d| d <= 15)
            .ok_or_else(|| expected("a DLC 0-15", l))?;
        (DLC_LEN[dlc as usize] as usize).min(max)
    } else {
        return Err("expected an L or l column in ;$COLUMNS, found neither".into());
    };
    if f.flags.rtr {
        f.len = 0;
    }
    data_bytes(&mut t, f.len, data)?;
    Ok(Some(f))
}

impl<R: Read> FrameReader for Reader<R> {
    fn next_frame(&mut self) -> Result<Option<FrameRef<'_>>, CaptureError> {
        loop {
            if !self.lines.advance()? {
                return Ok(None);
            }
            let line = Tokens::new(&self.lines.line).rest();
            let parsed = match line.first() {
                None => continue,
                Some(b';') => match self.header() {
                    Ok(()) => continue,
                    Err(msg) => return Err(self.lines.bad(msg)),
                },
                Some(_) => match self.cols {
                    None => parse_v1(line, self.start_ns, &mut self.data),
                    Some(c) => parse_v2(line, c, self.start_ns, &mut self.data),
                },
            };
            match parsed {
                Ok(Some(f)) => {
                    return Ok(Some(FrameRef::Can {
                        ts: Some(f.ts),
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
