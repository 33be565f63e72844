//! Classic pcap (nanosecond timestamps, Ethernet link type) with IPv4/TCP framing: the simulated
//! SOME/IP and DoIP messages as a tap between the devices would have captured them.

use std::collections::BTreeMap;

/// TCP maximum segment size used to split messages.
const MSS: usize = 1460;

/// A pcap file being built in memory.
pub struct PcapWriter {
    out: Vec<u8>,
    /// Per connection (client ip, client port, server ip, server port): next sequence numbers.
    conns: BTreeMap<(u32, u16, u32, u16), (u32, u32)>,
}

impl Default for PcapWriter {
    fn default() -> Self {
        PcapWriter::new()
    }
}

impl PcapWriter {
    /// An empty capture with its global header (magic a1b23c4d: nanosecond fractions).
    pub fn new() -> PcapWriter {
        let mut out = Vec::with_capacity(1 << 16);
        out.extend_from_slice(&0xa1b2_3c4du32.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&0i32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&65535u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
        PcapWriter {
            out,
            conns: BTreeMap::new(),
        }
    }

    /// The finished file.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    fn frame(&mut self, ts: i64, data: &[u8]) {
        let ts = ts.max(0);
        self.out
            .extend_from_slice(&((ts / 1_000_000_000) as u32).to_le_bytes());
        self.out
            .extend_from_slice(&((ts % 1_000_000_000) as u32).to_le_bytes());
        self.out
            .extend_from_slice(&(data.len() as u32).to_le_bytes());
        self.out
            .extend_from_slice(&(data.len() as u32).to_le_bytes());
        self.out.extend_from_slice(data);
    }

    /// Opens a TCP connection (three-way handshake ending at `ts`) unless it is open already.
    pub fn connect(&mut self, ts: i64, client: (u32, u16), server: (u32, u16)) {
        let key = (client.0, client.1, server.0, server.1);
        if self.conns.contains_key(&key) {
            return;
        }
        let (cs, ss) = (
            client.0.wrapping_mul(2_654_435_761),
            server.0.wrapping_mul(40_503),
        );
        self.conns
            .insert(key, (cs.wrapping_add(1), ss.wrapping_add(1)));
        self.segment(ts - 2_000, client, server, cs, 0, 0x02, &[]);
        self.segment(
            ts - 1_000,
            server,
            client,
            ss,
            cs.wrapping_add(1),
            0x12,
            &[],
        );
        self.segment(
            ts,
            client,
            server,
            cs.wrapping_add(1),
            ss.wrapping_add(1),
            0x10,
            &[],
        );
    }

    /// Sends `payload` from `from` to `to` on the connection `client`/`server`; the last segment
    /// is stamped `ts`, earlier ones a microsecond apart before it.
    pub fn send(
        &mut self,
        ts: i64,
        client: (u32, u16),
        server: (u32, u16),
        from_client: bool,
        payload: &[u8],
    ) {
        self.connect(ts - 1_000_000, client, server);
        let key = (client.0, client.1, server.0, server.1);
        let chunks: Vec<&[u8]> = if payload.is_empty() {
            vec![payload]
        } else {
            payload.chunks(MSS).collect()
        };
        let n = chunks.len() as i64;
        for (i, c) in chunks.into_iter().enumerate() {
            let (cseq, sseq) = self.conns[&key];
            let t = ts - (n - 1 - i as i64) * 1_000;
            let (from, to, seq, ack) = if from_client {
                (client, server, cseq, sseq)
            } else {
                (server, client, sseq, cseq)
            };
            self.segment(t, from, to, seq, ack, 0x18, c);
            let e = self.conns.get_mut(&key).expect("connected");
            if from_client {
                e.0 = e.0.wrapping_add(c.len() as u32);
            } else {
                e.1 = e.1.wrapping_add(c.len() as u32);
            }
        }
    }

    #[allow(clippy::too_many_arguments)] // one TCP segment's header fields
    fn segment(
        &mut self,
        ts: i64,
        from: (u32, u16),
        to: (u32, u16),
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) {
        let mut tcp = Vec::with_capacity(20 + payload.len());
        tcp.extend_from_slice(&from.1.to_be_bytes());
        tcp.extend_from_slice(&to.1.to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&ack.to_be_bytes());
        tcp.extend_from_slice(&[0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]);
        tcp.extend_from_slice(payload);
        let mut pseudo = Vec::with_capacity(12 + tcp.len());
        pseudo.extend_from_slice(&from.0.to_be_bytes());
        pseudo.extend_from_slice(&to.0.to_be_bytes());
        pseudo.extend_from_slice(&[0, 6]);
        pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
        pseudo.extend_from_slice(&tcp);
        let c = checksum(&pseudo);
        tcp[16..18].copy_from_slice(&c.to_be_bytes());
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
        ip.extend_from_slice(&from.0.to_be_bytes());
        ip.extend_from_slice(&to.0.to_be_bytes());
        let c = checksum(&ip);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        let mut eth = Vec::with_capacity(14 + ip.len() + tcp.len());
        eth.extend_from_slice(&mac(to.0));
        eth.extend_from_slice(&mac(from.0));
        eth.extend_from_slice(&[0x08, 0x00]);
        eth.extend_from_slice(&ip);
        eth.extend_from_slice(&tcp);
        self.frame(ts, &eth);
    }
}

/// A locally administered MAC address derived from an IPv4 address.
fn mac(ip: u32) -> [u8; 6] {
    let b = ip.to_be_bytes();
    [0x02, 0x00, b[0], b[1], b[2], b[3]]
}

/// The Internet checksum (RFC 1071).
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in data.chunks(2) {
        sum += u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32;
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}
