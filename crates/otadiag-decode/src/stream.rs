//! Cuts an in-order TCP byte stream into DoIP or SOME/IP messages (both: length at offset 4,
//! total = 8 + length), copying only what spans segment boundaries, and resyncs on the next
//! plausible header after a bad header or a gap.

use crate::someip::Tp;
use crate::types::{Endpoint, EventKind, Out, Transport, TransportEvent};
use crate::{doip, someip};

/// Application protocol of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proto {
    DoIp,
    SomeIp,
}

impl Proto {
    fn header_len(self) -> usize {
        match self {
            Proto::DoIp => 8,
            Proto::SomeIp => 16,
        }
    }
    pub(crate) fn transport(self) -> Transport {
        match self {
            Proto::DoIp => Transport::DoIp,
            Proto::SomeIp => Transport::SomeIpTcp,
        }
    }
    /// Total message length if `h` (at least `header_len` bytes) is a plausible header.
    fn check(self, h: &[u8], strict: bool) -> Result<usize, &'static str> {
        match self {
            Proto::DoIp => doip::check_header(h, strict),
            Proto::SomeIp => someip::check_header(h, strict),
        }
    }
}

/// Everything a complete message needs to be delivered.
pub(crate) struct Ctx<'a, 'o> {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub out: &'a mut Out<'o>,
    pub tp: &'a mut Tp,
    pub max_len: usize,
}

impl Ctx<'_, '_> {
    pub(crate) fn event(&mut self, proto: Proto, ts: Option<i64>, kind: EventKind, detail: String) {
        self.out.event(TransportEvent {
            ts,
            transport: proto.transport(),
            src: self.src,
            dst: self.dst,
            doip: None,
            kind,
            detail,
        });
    }

    fn deliver(
        &mut self,
        proto: Proto,
        msg: &[u8],
        total: usize,
        first_ts: Option<i64>,
        ts: Option<i64>,
    ) {
        match proto {
            Proto::DoIp => doip::handle(msg, total, first_ts, ts, self.src, self.dst, self.out),
            Proto::SomeIp => someip::handle(
                msg,
                total,
                first_ts,
                ts,
                Transport::SomeIpTcp,
                self.src,
                self.dst,
                self.tp,
                self.out,
            ),
        }
    }
}

/// Framing state of one stream direction (buffers kept across messages).
#[derive(Debug)]
pub(crate) struct Framer {
    pub proto: Proto,
    hdr: [u8; 16],
    hdr_len: usize,
    /// Body stage: full length of the message being assembled (0 = not in a body).
    total: usize,
    got: usize,
    buf: Vec<u8>,
    truncated: bool,
    first_ts: Option<i64>,
    /// Looking for the next plausible header (after a gap, a bad header or a mid-stream start).
    pub resync: bool,
}

impl Framer {
    pub(crate) fn new(proto: Proto, resync: bool) -> Self {
        Framer {
            proto,
            hdr: [0; 16],
            hdr_len: 0,
            total: 0,
            got: 0,
            buf: Vec::new(),
            truncated: false,
            first_ts: None,
            resync,
        }
    }

    /// Bytes of a partial message held (header or body), and its total length if known.
    pub(crate) fn partial(&self) -> Option<(usize, usize)> {
        if self.total > 0 {
            Some((self.got, self.total))
        } else if self.hdr_len > 0 && !self.resync {
            Some((self.hdr_len, 0))
        } else {
            None
        }
    }

    /// Drops any partial message and looks for the next header (data was lost).
    pub(crate) fn gap(&mut self) {
        self.hdr_len = 0;
        self.total = 0;
        self.got = 0;
        self.resync = true;
    }

    fn bad(&mut self, ctx: &mut Ctx<'_, '_>, ts: Option<i64>, why: &str) {
        if !self.resync {
            let kind = match self.proto {
                Proto::DoIp => EventKind::DoIpBadHeader,
                Proto::SomeIp => EventKind::SomeIpBadHeader,
            };
            ctx.event(
                self.proto,
                ts,
                kind,
                format!("{why}; resyncing at the next plausible header"),
            );
            self.resync = true;
        }
    }

    /// Feeds in-order stream bytes.
    pub(crate) fn feed(&mut self, mut d: &[u8], ts: Option<i64>, ctx: &mut Ctx<'_, '_>) {
        let h = self.proto.header_len();
        while !d.is_empty() {
            if self.total > 0 {
                // body stage
                let take = (self.total - self.got).min(d.len());
                if !self.truncated {
                    let room = ctx.max_len.saturating_sub(self.buf.len());
                    self.buf.extend_from_slice(&d[..take.min(room)]);
                }
                self.got += take;
                d = &d[take..];
                if self.got == self.total {
                    ctx.deliver(self.proto, &self.buf, self.total, self.first_ts, ts);
                    self.total = 0;
                    self.got = 0;
                }
                continue;
            }
            if self.hdr_len == 0 {
                // fast path: whole messages straight from the segment
                if d.len() < h {
                    self.hdr[..d.len()].copy_from_slice(d);
                    self.hdr_len = d.len();
                    self.first_ts = ts;
                    return;
                }
                match self.proto.check(d, self.resync) {
                    Err(why) => {
                        self.bad(ctx, ts, why);
                        d = &d[1..];
                    }
                    Ok(total) => {
                        self.resync = false;
                        if d.len() >= total {
                            ctx.deliver(self.proto, &d[..total], total, ts, ts);
                            d = &d[total..];
                        } else {
                            self.start_body(total, &d[..h], ts);
                            d = &d[h..];
                        }
                    }
                }
                continue;
            }
            // header stage: complete the header from the new bytes
            let take = (h - self.hdr_len).min(d.len());
            self.hdr[self.hdr_len..self.hdr_len + take].copy_from_slice(&d[..take]);
            self.hdr_len += take;
            d = &d[take..];
            while self.hdr_len == h {
                let hdr = self.hdr;
                match self.proto.check(&hdr[..h], self.resync) {
                    Ok(total) => {
                        self.resync = false;
                        self.hdr_len = 0;
                        self.start_body(total, &hdr[..h], self.first_ts);
                    }
                    Err(why) => {
                        self.bad(ctx, ts, why);
                        self.hdr.copy_within(1..h, 0);
                        self.hdr_len = h - 1;
                        if let Some((&b, rest)) = d.split_first() {
                            self.hdr[h - 1] = b;
                            self.hdr_len = h;
                            d = rest;
                        }
                    }
                }
            }
            if self.total == h {
                ctx.deliver(self.proto, &self.buf, self.total, self.first_ts, ts);
                self.total = 0;
                self.got = 0;
            }
        }
    }

    fn start_body(&mut self, total: usize, header: &[u8], ts: Option<i64>) {
        self.buf.clear();
        self.buf.extend_from_slice(header);
        self.total = total;
        self.got = header.len();
        self.truncated = false;
        self.first_ts = ts;
    }

    /// `n` bytes are known to be missing (snapped capture). Returns `false` when framing was
    /// lost (the hole is not inside one message body).
    pub(crate) fn hole(&mut self, n: usize, ts: Option<i64>, ctx: &mut Ctx<'_, '_>) -> bool {
        if n == 0 {
            return true;
        }
        if self.total > 0 && self.total - self.got >= n {
            self.got += n;
            self.truncated = true;
            if self.got == self.total {
                ctx.deliver(self.proto, &self.buf, self.total, self.first_ts, ts);
                self.total = 0;
                self.got = 0;
            }
            true
        } else {
            self.gap();
            false
        }
    }
}
