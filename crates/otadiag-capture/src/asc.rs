//! Reads Vector `.asc` logs (CANoe/CANalyzer text export), because OEM test benches and most
//! supplier bug reports hand traces over in this format.
//!
//! Frames: classic `t ch ID[x] Rx|Tx d DLC bytes… [Length = … BitCount = … ID = …] [// …]`
//! (`r [DLC]` for remote frames), `t ch ErrorFrame`, and
//! `t CANFD ch Rx|Tx ID[x] [name] BRS ESI DLC LEN bytes… [duration bits flags …]`. Every other
//! timestamped line (status, statistics, `Start of measurement`, J1939, LIN, system variables)
//! is skipped. `base dec` switches ids and bytes to decimal, `timestamps relative` makes each
//! time the delta to the previous line. A parsable `date` line makes times absolute (taken as
//! UTC: the file does not name its time zone), else they are relative to the start.

use std::io::Read;

use crate::detect::{
    civil_ns, expected, head_lines, parse_clock_ns, parse_fixed_ns, parse_uint, Lines, Tokens,
};
use crate::frame::{CanFlags, CaptureError, FrameReader, FrameRef};

/// Streaming reader of Vector ASC files.
pub struct Reader<R: Read> {
    lines: Lines<R>,
    hex: bool,
    relative: bool,
    date_ns: Option<i64>,
    /// Sum of the deltas so far (`timestamps relative`).
    acc_ns: i64,
    data: [u8; 64],
}

impl<R: Read> Reader<R> {
    /// A reader of `inner`; `name` names the file in errors.
    pub fn new(name: impl Into<String>, inner: R) -> Self {
        Reader {
            lines: Lines::new(name.into(), inner),
            hex: true,
            relative: false,
            date_ns: None,
            acc_ns: 0,
            data: [0; 64],
        }
    }

    /// Header lines (`date`, `base`); everything else without a time is ignored.
    fn header(&mut self, line: &[u8]) {
        let mut t = Tokens::new(line);
        match t.next() {
            Some(b"date") if self.date_ns.is_none() => self.date_ns = parse_date(t),
            Some(b"base") => {
                self.hex = t.next() != Some(b"dec");
                if t.next() == Some(b"timestamps") {
                    self.relative = t.next() == Some(b"relative");
                }
            }
            _ => {}
        }
    }
}

/// Whether one of the first lines of `head` is an ASC header line.
pub fn sniff(head: &[u8]) -> bool {
    head_lines(head).take(8).any(|l| {
        let l = Tokens::new(l).rest();
        l.starts_with(b"date ")
            || l.starts_with(b"base hex")
            || l.starts_with(b"base dec")
            || (l.len() >= 18 && l[..18].eq_ignore_ascii_case(b"begin triggerblock"))
    })
}

const MONTHS: [(&[u8], u32); 17] = [
    (b"Jan", 1),
    (b"Feb", 2),
    (b"Mar", 3),
    (b"M\xC3\xA4r", 3),
    (b"Mrz", 3),
    (b"Apr", 4),
    (b"May", 5),
    (b"Mai", 5),
    (b"Jun", 6),
    (b"Jul", 7),
    (b"Aug", 8),
    (b"Sep", 9),
    (b"Oct", 10),
    (b"Okt", 10),
    (b"Nov", 11),
    (b"Dec", 12),
    (b"Dez", 12),
];

/// `Wed Jun 13 10:34:25.123 am 2018` (weekday ignored, am/pm optional) → ns since the epoch.
fn parse_date(mut t: Tokens<'_>) -> Option<i64> {
    t.next()?;
    let mon = t.next()?;
    let m = MONTHS.iter().find(|(n, _)| n.eq_ignore_ascii_case(mon))?.1;
    let d = parse_uint(t.next()?, 10, 2).filter(|d| (1..=31).contains(d))?;
    let mut clock = parse_clock_ns(t.next()?)?;
    let mut tok = t.next()?;
    let half = 12 * 3_600_000_000_000i64;
    if tok.eq_ignore_ascii_case(b"am") || tok.eq_ignore_ascii_case(b"pm") {
        if clock >= half + 3_600_000_000_000 {
            return None;
        }
        if clock >= half {
            clock -= half;
        }
        if tok.eq_ignore_ascii_case(b"pm") {
            clock += half;
        }
        tok = t.next()?;
    }
    let y = parse_uint(tok, 10, 4)? as i64;
    civil_ns(y, m, d, clock)
}

struct Parsed {
    channel: u16,
    id: u32,
    flags: CanFlags,
    len: usize,
}

/// A token that can be a CAN id: digits of the base, optionally ending in `x` (29-bit).
fn id_like(tok: &[u8], hex: bool) -> bool {
    let digits = tok
        .strip_suffix(b"x")
        .or_else(|| tok.strip_suffix(b"X"))
        .unwrap_or(tok);
    parse_uint(digits, if hex { 16 } else { 10 }, if hex { 8 } else { 9 }).is_some()
}

fn parse_id(tok: &[u8], hex: bool, f: &mut Parsed) -> Result<(), String> {
    let (digits, ext) = match tok.strip_suffix(b"x").or_else(|| tok.strip_suffix(b"X")) {
        Some(d) => (d, true),
        None => (tok, false),
    };
    let id = parse_uint(digits, if hex { 16 } else { 10 }, if hex { 8 } else { 9 });
    let max = if ext { 0x1FFF_FFFF } else { 0x7FF };
    f.id = id
        .filter(|&i| i <= max)
        .ok_or_else(|| expected("a CAN id", tok))?;
    f.flags.extended = ext;
    Ok(())
}

fn channel(tok: &[u8]) -> Result<u16, String> {
    parse_uint(tok, 10, 5)
        .and_then(|c| u16::try_from(c).ok())
        .ok_or_else(|| expected("a channel number", tok))
}

fn data_bytes(
    t: &mut Tokens<'_>,
    hex: bool,
    len: usize,
    data: &mut [u8; 64],
) -> Result<(), String> {
    if hex && t.hex_pairs(&mut data[..len.min(64)]) {
        return Ok(());
    }
    let (radix, digits) = if hex { (16, 2) } else { (10, 3) };
    for slot in data.iter_mut().take(len) {
        let tok = t.next().unwrap_or(b"");
        let b = parse_uint(tok, radix, digits).and_then(|b| u8::try_from(b).ok());
        *slot = b.ok_or_else(|| expected(&format!("{len} data bytes"), tok))?;
    }
    Ok(())
}

/// A DLC 0–15, written in the file's base.
fn parse_dlc(tok: &[u8], hex: bool) -> Result<u32, String> {
    let dlc = if hex {
        parse_uint(tok, 16, 1)
    } else {
        parse_uint(tok, 10, 2)
    };
    dlc.filter(|&d| d <= 15)
        .ok_or_else(|| expected("a DLC 0-15", tok))
}

/// What follows the time: `Ok(None)` for lines that are not frames.
fn parse_event(
    mut t: Tokens<'_>,
    hex: bool,
    data: &mut [u8; 64],
) -> Result<Option<Parsed>, String> {
    let mut f = Parsed {
        channel: 0,
        id: 0,
        flags: CanFlags::default(),
        len: 0,
    };
    let Some(tok) = t.next() else { return Ok(None) };
    if tok == b"CANFD" {
        return canfd(t, hex, f, data).map(Some);
    }
    let ch = if tok == b"CAN" {
        t.next().unwrap_or(b"")
    } else {
        tok
    };
    if parse_uint(ch, 10, 5).is_none() {
        return Ok(None);
    }
    let what = t.next().unwrap_or(b"");
    if what == b"ErrorFrame" {
        f.channel = channel(ch)?;
        f.flags.error = true;
        return Ok(Some(f));
    }
    if tok == b"CAN" || !id_like(what, hex) {
        return Ok(None);
    }
    f.channel = channel(ch)?;
    parse_id(what, hex, &mut f)?;
    match t.next().unwrap_or(b"") {
        b"Rx" => {}
        b"Tx" => f.flags.tx = true,
        b"TxRq" => return Ok(None),
        other => return Err(expected("Rx or Tx", other)),
    }
    match t.next().unwrap_or(b"") {
        b"d" => {
            let dlc = t.next().unwrap_or(b"");
            let n = parse_dlc(dlc, hex)?;
            f.len = n.min(8) as usize;
            data_bytes(&mut t, hex, f.len, data)?;
        }
        b"r" | b"R" => f.flags.rtr = true,
        other => return Err(expected("`d` (data) or `r` (remote)", other)),
    }
    Ok(Some(f))
}

/// `CANFD ch dir ID [name] brs esi dlc len bytes… [duration bits flags …]`, after `CANFD`.
fn canfd(
    mut t: Tokens<'_>,
    hex: bool,
    mut f: Parsed,
    data: &mut [u8; 64],
) -> Result<Parsed, String> {
    f.channel = channel(t.next().unwrap_or(b""))?;
    match t.next().unwrap_or(b"") {
        b"Rx" => {}
        b"Tx" => f.flags.tx = true,
        other => return Err(expected("Rx or Tx", other)),
    }
    let id = t.next().unwrap_or(b"");
    if id == b"ErrorFrame" {
        f.flags.error = true;
        return Ok(f);
    }
    parse_id(id, hex, &mut f)?;
    let bit = |tok: Option<&[u8]>| match tok {
        Some(b"0") => Some(false),
        Some(b"1") => Some(true),
        _ => None,
    };
    let mut peek = t.clone();
    if !(bit(peek.next()).is_some() && bit(peek.next()).is_some()) {
        t.next(); // symbolic name
    }
    let brs = t.next();
    f.flags.brs = bit(brs).ok_or_else(|| expected("BRS 0 or 1", brs.unwrap_or(b"")))?;
    let esi = t.next();
    f.flags.esi = bit(esi).ok_or_else(|| expected("ESI 0 or 1", esi.unwrap_or(b"")))?;
    let dlc = t.next().unwrap_or(b"");
    parse_dlc(dlc, hex)?;
    let len = t.next().unwrap_or(b"");
    f.len = parse_uint(len, 10, 2)
        .filter(|&n| n <= 64)
        .ok_or_else(|| expected("a data length 0-64", len))? as usize;
    data_bytes(&mut t, hex, f.len, data)?;
    f.flags.fd = true;
    let (_duration, _bits) = (t.next(), t.next());
    if let Some(flags) = t.next().and_then(|fl| parse_uint(fl, 16, 8)) {
        f.flags.fd = flags & 0x1000 != 0;
        f.flags.rtr = flags & 0x10 != 0;
    }
    Ok(f)
}

impl<R: Read> FrameReader for Reader<R> {
    fn next_frame(&mut self) -> Result<Option<FrameRef<'_>>, CaptureError> {
        loop {
            if !self.lines.advance()? {
                return Ok(None);
            }
            let line = std::mem::take(&mut self.lines.line);
            let mut t = Tokens::new(&line);
            let first = t.clone().next().unwrap_or(b"");
            let time = if first.first().is_some_and(u8::is_ascii_digit) {
                parse_fixed_ns(first, 9)
            } else {
                None
            };
            let Some(time) = time else {
                self.header(&line);
                self.lines.line = line;
                continue;
            };
            t.next();
            let time = if self.relative {
                self.acc_ns = self.acc_ns.saturating_add(time);
                self.acc_ns
            } else {
                time
            };
            let parsed = parse_event(t, self.hex, &mut self.data);
            self.lines.line = line;
            match parsed {
                Ok(Some(f)) => {
                    return Ok(Some(FrameRef::Can {
                        ts: Some(self.date_ns.map_or(time, |d| d.saturating_add(time))),
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
