//! TCP stream reassembly per connection direction: in-order delivery by sequence number, bounded
//! buffering of out-of-order segments, retransmissions dropped, and gaps that never fill reported
//! (the framer then resyncs), so DoIP and SOME/IP over TCP survive imperfect captures.

use std::net::IpAddr;

use rustc_hash::FxHashMap;

use crate::someip::{self, Tp};
use crate::stream::{Ctx, Framer, Proto};
use crate::types::{Endpoint, EventKind, Out};

/// What a connection carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum App {
    Known(Proto),
    /// SOME/IP heuristic: check payloads until one parses (count of failed segments).
    Detect(u8),
    Ignore,
}

/// One TCP segment as seen on the wire.
pub(crate) struct Segment<'a> {
    pub ts: Option<i64>,
    pub src: (IpAddr, u16),
    pub dst: (IpAddr, u16),
    pub seq: u32,
    pub ack: Option<u32>,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
    /// Payload bytes on the wire but not in the capture (snapped).
    pub missing: usize,
}

#[derive(Debug)]
struct Pending {
    seq: u32,
    ts: Option<i64>,
    data: Vec<u8>,
    missing: usize,
}

#[derive(Debug)]
struct Dir {
    next: Option<u32>,
    ooo: Vec<Pending>,
    ooo_bytes: usize,
    fin_at: Option<u32>,
    closed: bool,
    framer: Framer,
}

impl Dir {
    fn new(proto: Proto) -> Self {
        Dir {
            next: None,
            ooo: Vec::new(),
            ooo_bytes: 0,
            fin_at: None,
            closed: false,
            framer: Framer::new(proto, true),
        }
    }
}

#[derive(Debug)]
struct Conn {
    app: App,
    order: u64,
    dirs: [Dir; 2],
}

type ConnKey = ((IpAddr, u16), (IpAddr, u16));

/// All TCP connections.
#[derive(Debug)]
pub(crate) struct Tcp {
    conns: FxHashMap<ConnKey, Conn>,
    limit: usize,
    max_len: usize,
    counter: u64,
}

fn off(seq: u32, next: u32) -> i32 {
    seq.wrapping_sub(next) as i32
}

fn ep(a: (IpAddr, u16)) -> Endpoint {
    Endpoint::Ip {
        addr: a.0,
        port: a.1,
    }
}

impl Tcp {
    pub(crate) fn new(limit: usize, max_len: usize) -> Self {
        Tcp {
            conns: FxHashMap::default(),
            limit,
            max_len,
            counter: 0,
        }
    }

    /// Handles one segment of a connection whose application is `app` (decided by ports).
    pub(crate) fn segment(&mut self, s: &Segment<'_>, app: App, tp: &mut Tp, out: &mut Out<'_>) {
        let (key, d) = if s.src <= s.dst {
            ((s.src, s.dst), 0)
        } else {
            ((s.dst, s.src), 1)
        };
        let conn = self.conns.entry(key).or_insert_with(|| {
            self.counter += 1;
            let proto = if let App::Known(p) = app {
                p
            } else {
                Proto::SomeIp
            };
            Conn {
                app,
                order: self.counter,
                dirs: [Dir::new(proto), Dir::new(proto)],
            }
        });
        if let App::Detect(n) = conn.app {
            if s.payload.len() >= 16 && someip::check_header(s.payload, true).is_ok() {
                conn.app = App::Known(Proto::SomeIp);
                let dir = &mut conn.dirs[d];
                dir.next = Some(s.seq);
                dir.framer.resync = false;
            } else {
                conn.app = if n >= 16 {
                    App::Ignore
                } else {
                    App::Detect(n + u8::from(!s.payload.is_empty()))
                };
                return;
            }
        }
        if conn.app == App::Ignore {
            if s.fin || s.rst {
                self.conns.remove(&key);
            }
            return;
        }
        let mut ctx = Ctx {
            src: ep(s.src),
            dst: ep(s.dst),
            out,
            tp,
            max_len: self.max_len,
        };
        // the peer acknowledging beyond our expected sequence means the capture lost data
        if let Some(ack) = s.ack {
            let rev = &mut conn.dirs[1 - d];
            if let Some(next) = rev.next {
                if !rev.ooo.is_empty() && off(ack, next) > 0 {
                    let mut rctx = Ctx {
                        src: ep(s.dst),
                        dst: ep(s.src),
                        out: &mut *ctx.out,
                        tp: &mut *ctx.tp,
                        max_len: self.max_len,
                    };
                    skip_gap(
                        rev,
                        s.ts,
                        &mut rctx,
                        "the peer acknowledged data the capture does not have",
                    );
                }
            }
        }
        let dir = &mut conn.dirs[d];
        if s.syn {
            let proto = dir.framer.proto;
            *dir = Dir::new(proto);
            dir.framer.resync = false;
            dir.next = Some(s.seq.wrapping_add(1));
            return;
        }
        if dir.closed {
            return;
        }
        if s.rst {
            end_dir(dir, s.ts, &mut ctx);
            let other = &mut conn.dirs[1 - d];
            let mut rctx = Ctx {
                src: ep(s.dst),
                dst: ep(s.src),
                out: &mut *ctx.out,
                tp: &mut *ctx.tp,
                max_len: self.max_len,
            };
            end_dir(other, s.ts, &mut rctx);
            self.conns.remove(&key);
            return;
        }
        let next = *dir.next.get_or_insert(s.seq);
        if s.fin {
            dir.fin_at = Some(s.seq.wrapping_add((s.payload.len() + s.missing) as u32));
        }
        let o = off(s.seq, next);
        if o > 0 {
            if !s.payload.is_empty() || s.missing > 0 {
                ctx.out.stats.tcp_out_of_order += 1;
                dir.ooo_bytes += s.payload.len();
                dir.ooo.push(Pending {
                    seq: s.seq,
                    ts: s.ts,
                    data: s.payload.to_vec(),
                    missing: s.missing,
                });
                while dir.ooo_bytes > self.limit {
                    skip_gap(
                        dir,
                        s.ts,
                        &mut ctx,
                        "out-of-order data exceeded the reorder buffer",
                    );
                }
            }
        } else {
            deliver(dir, s.seq, s.payload, s.missing, s.ts, &mut ctx);
            drain(dir, &mut ctx);
        }
        check_fin(dir, s.ts, &mut ctx);
        if conn.dirs.iter().all(|d| d.closed) {
            self.conns.remove(&key);
        }
    }

    /// End of capture: unfilled gaps and partial messages become events.
    pub(crate) fn finish(&mut self, ts: Option<i64>, tp: &mut Tp, out: &mut Out<'_>) {
        let mut conns: Vec<(ConnKey, Conn)> = self.conns.drain().collect();
        conns.sort_by_key(|(_, c)| c.order);
        for (key, mut conn) in conns {
            if !matches!(conn.app, App::Known(_)) {
                continue;
            }
            for (i, dir) in conn.dirs.iter_mut().enumerate() {
                let (src, dst) = if i == 0 {
                    (key.0, key.1)
                } else {
                    (key.1, key.0)
                };
                let mut ctx = Ctx {
                    src: ep(src),
                    dst: ep(dst),
                    out,
                    tp,
                    max_len: self.max_len,
                };
                while !dir.ooo.is_empty() {
                    skip_gap(
                        dir,
                        ts,
                        &mut ctx,
                        "the capture ends before the missing bytes arrive",
                    );
                }
                end_dir(dir, ts, &mut ctx);
            }
        }
    }
}

/// Delivers a segment starting at `seq` (at or before `next`), trimming what was delivered.
fn deliver(
    dir: &mut Dir,
    seq: u32,
    payload: &[u8],
    missing: usize,
    ts: Option<i64>,
    ctx: &mut Ctx<'_, '_>,
) {
    let Some(next) = dir.next else { return };
    let skip = (-(off(seq, next) as i64)) as usize;
    let wire = payload.len() + missing;
    if skip >= wire {
        if wire > 0 {
            ctx.out.stats.tcp_retransmitted += 1;
        }
        return;
    }
    let (data, missing) = if skip <= payload.len() {
        (&payload[skip..], missing)
    } else {
        (&[][..], wire - skip)
    };
    dir.framer.feed(data, ts, ctx);
    if missing > 0 && !dir.framer.hole(missing, ts, ctx) {
        let detail = format!("{missing} bytes of a segment were not captured (snapped); resyncing");
        ctx.event(dir.framer.proto, ts, EventKind::TcpGap, detail);
    }
    dir.next = Some(next.wrapping_add((wire - skip) as u32));
}

/// Delivers buffered segments that have become in order.
fn drain(dir: &mut Dir, ctx: &mut Ctx<'_, '_>) {
    while let Some(next) = dir.next {
        let Some(i) = dir.ooo.iter().position(|p| off(p.seq, next) <= 0) else {
            break;
        };
        let p = dir.ooo.swap_remove(i);
        dir.ooo_bytes -= p.data.len();
        deliver(dir, p.seq, &p.data, p.missing, p.ts, ctx);
    }
}

/// Gives up on the bytes before the earliest buffered segment: TcpGap, resync, continue there.
fn skip_gap(dir: &mut Dir, ts: Option<i64>, ctx: &mut Ctx<'_, '_>, why: &str) {
    let Some(next) = dir.next else {
        dir.ooo.clear();
        dir.ooo_bytes = 0;
        return;
    };
    let Some(first) = dir.ooo.iter().map(|p| p.seq).min_by_key(|&s| off(s, next)) else {
        return;
    };
    let lost = off(first, next).max(0);
    let partial = match dir.framer.partial() {
        Some((got, 0)) => format!("; a partial header of {got} bytes is dropped"),
        Some((got, total)) => {
            format!("; a partial {total}-byte message ({got} bytes received) is dropped")
        }
        None => String::new(),
    };
    ctx.event(dir.framer.proto, ts, EventKind::TcpGap, format!("{lost} bytes missing from the TCP stream ({why}){partial}; resyncing at the next header"));
    dir.framer.gap();
    dir.next = Some(first);
    drain(dir, ctx);
}

fn check_fin(dir: &mut Dir, ts: Option<i64>, ctx: &mut Ctx<'_, '_>) {
    if let (Some(next), Some(fin)) = (dir.next, dir.fin_at) {
        if off(next, fin) >= 0 {
            end_dir(dir, ts, ctx);
        }
    }
}

/// The direction ended (FIN, RST, end of capture): a partial message becomes an event.
fn end_dir(dir: &mut Dir, ts: Option<i64>, ctx: &mut Ctx<'_, '_>) {
    if dir.closed {
        return;
    }
    dir.closed = true;
    if let Some((got, total)) = dir.framer.partial() {
        let detail = if total == 0 {
            format!("TCP stream ends after {got} bytes of a header")
        } else {
            format!("TCP stream ends during a {total}-byte message ({got} bytes received)")
        };
        ctx.event(
            dir.framer.proto,
            ts,
            EventKind::TcpIncompleteMessage,
            detail,
        );
    }
    dir.framer.gap();
}
