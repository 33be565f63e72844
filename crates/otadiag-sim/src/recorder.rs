//! Records simulated messages the way the TBOX and GW recorders do: header kept up to the
//! protocol's `keep` length (payload dropped), per-unit record positions for the truth, and each
//! recorder's stop time.

use otadiag_model::{Bundle, Dir, Stage};
use std::collections::BTreeMap;

/// Payload filler for bytes a message has but the simulator does not spell out.
const FILL: u8 = 0xAA;

/// Kept header bytes per (stage, direction), as the shipped rules declare (`keep request/response`).
fn keep(stage: Stage, dir: Dir) -> usize {
    match (stage, dir) {
        (Stage::Deploy, Dir::Request) => 36,
        (Stage::Flash, Dir::Request) => 16,
        (_, Dir::Response) => 64,
    }
}

/// One message to record.
pub struct Msg<'a> {
    /// Stage.
    pub stage: Stage,
    /// Unit id.
    pub unit: &'a str,
    /// Transport name (`someip`, `doip`, `can`).
    pub transport: &'a str,
    /// Direction.
    pub dir: Dir,
    /// Timestamp, ns, on the recorder's clock.
    pub ts: i64,
    /// Sender.
    pub src: u32,
    /// Receiver.
    pub dst: u32,
    /// The leading bytes the simulator spells out.
    pub data: &'a [u8],
    /// The whole message length.
    pub len: u32,
}

/// The bundle under construction plus the bookkeeping the truth needs.
pub struct Tape {
    /// The bundle being filled.
    pub bundle: Bundle,
    per_unit: BTreeMap<(Stage, String), usize>,
    last: BTreeMap<String, i64>,
    min_stop: BTreeMap<String, i64>,
}

impl Tape {
    /// Wraps an empty bundle.
    pub fn new(bundle: Bundle) -> Tape {
        Tape {
            bundle,
            per_unit: BTreeMap::new(),
            last: BTreeMap::new(),
            min_stop: BTreeMap::new(),
        }
    }

    /// Records a message on `rec`'s tape; returns its position among its unit's records.
    pub fn push(&mut self, rec: &str, m: Msg) -> usize {
        let n = (m.len as usize).min(keep(m.stage, m.dir));
        let mut hdr = Vec::with_capacity(n);
        hdr.extend_from_slice(&m.data[..m.data.len().min(n)]);
        hdr.resize(n, FILL);
        self.bundle.push_record(
            m.stage,
            m.unit,
            rec,
            m.transport,
            m.dir,
            m.ts,
            m.src,
            m.dst,
            &hdr,
            m.len,
        );
        let last = self.last.entry(rec.to_string()).or_insert(m.ts);
        *last = (*last).max(m.ts);
        let c = self
            .per_unit
            .entry((m.stage, m.unit.to_string()))
            .or_insert(0);
        *c += 1;
        *c - 1
    }

    /// Makes sure `rec` keeps recording at least until `ts` (an unanswered request's timer must
    /// expire inside the recording for it to count as not answered).
    pub fn keep_until(&mut self, rec: &str, ts: i64) {
        let e = self.min_stop.entry(rec.to_string()).or_insert(ts);
        *e = (*e).max(ts);
    }

    /// Number of records of a unit so far.
    pub fn unit_records(&self, stage: Stage, unit: &str) -> usize {
        self.per_unit
            .get(&(stage, unit.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Finishes the bundle: every recorder with records stops `after` ns after its last record,
    /// or later when [`Tape::keep_until`] asked for it.
    pub fn finish(mut self, after: i64) -> Bundle {
        for (rec, last) in &self.last {
            let stop = (last + after).max(self.min_stop.get(rec).copied().unwrap_or(0));
            self.bundle.stop.insert(rec.clone(), stop);
        }
        self.bundle
    }
}
