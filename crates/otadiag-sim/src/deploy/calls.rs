//! The UCM calls of the deploy stage as data: a SOME/IP request and the GW's answer with every
//! header field the faults may change, their healthy defaults per call, and the wire header.

use super::{Deployer, Ex, ACTIVATE, CLIENT, DATA, EXIT, GW_IP, PROCESS, SERVICE, START, TBOX_IP};

/// A SOME/IP request (header fields plus the UCM arguments).
#[derive(Clone)]
pub(super) struct Req {
    pub(super) service: u16,
    pub(super) method: u16,
    pub(super) client: u16,
    pub(super) src: u32,
    pub(super) proto: u8,
    pub(super) iface: u8,
    pub(super) msgtype: u8,
    pub(super) args: Vec<u8>,
    pub(super) len: u32,
    pub(super) length_delta: i64,
}

/// The GW's answer.
#[derive(Clone)]
pub(super) struct Rsp {
    pub(super) after: i64,
    pub(super) service: u16,
    pub(super) method: u16,
    pub(super) src: u32,
    pub(super) proto: u8,
    pub(super) iface: u8,
    pub(super) msgtype: u8,
    pub(super) rc: u8,
    pub(super) payload: Vec<u8>,
    pub(super) length_delta: i64,
}

#[allow(clippy::too_many_arguments)] // the SOME/IP header's fields, in wire order
pub(super) fn header(
    service: u16,
    method: u16,
    len: u32,
    delta: i64,
    client: u16,
    session: u16,
    p: u8,
    i: u8,
    t: u8,
    rc: u8,
) -> Vec<u8> {
    let mut h = Vec::with_capacity(16);
    h.extend_from_slice(&service.to_be_bytes());
    h.extend_from_slice(&method.to_be_bytes());
    h.extend_from_slice(&((len as i64 - 8 + delta) as u32).to_be_bytes());
    h.extend_from_slice(&client.to_be_bytes());
    h.extend_from_slice(&session.to_be_bytes());
    h.extend_from_slice(&[p, i, t, rc]);
    h
}

impl Deployer<'_, '_> {
    pub(super) fn req(&self, method: u16, args: Vec<u8>, len: u32) -> Req {
        Req {
            service: SERVICE,
            method,
            client: CLIENT,
            src: TBOX_IP,
            proto: 1,
            iface: 1,
            msgtype: 0,
            args,
            len,
            length_delta: 0,
        }
    }

    pub(super) fn rsp(&mut self, method: u16, payload: Vec<u8>) -> Rsp {
        let after = self.ctx.response();
        Rsp {
            after,
            service: SERVICE,
            method,
            src: GW_IP,
            proto: 1,
            iface: 1,
            msgtype: 0x80,
            rc: 0,
            payload,
            length_delta: 0,
        }
    }

    pub(super) fn limit(&self, method: u16) -> i64 {
        let t = &self.ctx.sc.timing;
        let ms = if method == PROCESS || method == ACTIVATE {
            t.process_timeout_ms
        } else {
            t.call_timeout_ms
        };
        (ms * 1e6) as i64
    }

    pub(super) fn default_call(&mut self, ex: Ex, tid: &[u8], size: u64, n: u32) -> (Req, Rsp) {
        let block = self.ctx.sc.deploy_block_size;
        match ex {
            Ex::Start => {
                let q = self.req(START, size.to_be_bytes().to_vec(), 24);
                let mut p = tid.to_vec();
                p.extend_from_slice(&block.to_be_bytes());
                (q, self.rsp(START, p))
            }
            Ex::Data(k) => {
                let dlen = if k < n {
                    block as u64
                } else {
                    size - (n as u64 - 1) * block as u64
                };
                let mut a = tid.to_vec();
                a.extend_from_slice(&k.to_be_bytes());
                (self.req(DATA, a, 36 + dlen as u32), self.rsp(DATA, vec![]))
            }
            Ex::Exit => (self.req(EXIT, tid.to_vec(), 32), self.rsp(EXIT, vec![])),
            Ex::Process => {
                let q = self.req(PROCESS, tid.to_vec(), 32);
                let mut r = self.rsp(PROCESS, vec![]);
                r.after = self.ctx.ms(self.ctx.sc.timing.process_ms);
                (q, r)
            }
        }
    }
}
