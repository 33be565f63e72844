//! Writes a whole simulated campaign to a directory — `<vehicle>.jsonl` bundles and
//! `<vehicle>.truth.json` truths, with `captures` also the capture files and the topology — in
//! parallel, each vehicle from its own random stream so the
//! output is byte-identical for a given seed whatever the thread count.

use crate::fault::FaultSpec;
use crate::scenario::Scenario;
use crate::vehicle::simulate_vehicle;
use rayon::prelude::*;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// What a campaign run wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignSummary {
    /// Vehicles simulated.
    pub vehicles: u64,
    /// Records written across all bundles.
    pub records: u64,
    /// Bytes written (bundles and truth files).
    pub bytes: u64,
    /// Units that really failed.
    pub failed_units: u64,
    /// Vehicles with at least one failed unit.
    pub failed_vehicles: u64,
}

impl CampaignSummary {
    fn merge(mut self, o: CampaignSummary) -> CampaignSummary {
        self.vehicles += o.vehicles;
        self.records += o.records;
        self.bytes += o.bytes;
        self.failed_units += o.failed_units;
        self.failed_vehicles += o.failed_vehicles;
        self
    }
}

/// Simulates every vehicle of the scenario into `dir` (created if missing).
pub fn simulate_to_dir(
    sc: &Scenario,
    specs: &[FaultSpec],
    dir: &Path,
) -> io::Result<CampaignSummary> {
    std::fs::create_dir_all(dir)?;
    (0..sc.vehicles as u64)
        .into_par_iter()
        .map(|i| write_vehicle(sc, specs, dir, i))
        .try_reduce(CampaignSummary::default, |a, b| Ok(a.merge(b)))
}

fn write_vehicle(
    sc: &Scenario,
    specs: &[FaultSpec],
    dir: &Path,
    i: u64,
) -> io::Result<CampaignSummary> {
    let v = simulate_vehicle(sc, specs, i);
    let path = dir.join(format!("{}.jsonl", v.id));
    let mut w = Counting(BufWriter::new(File::create(&path)?), 0);
    otadiag_model::write_bundle(&v.bundle, &mut w)?;
    w.flush()?;
    let mut truth = serde_json::to_vec_pretty(&v.truth).map_err(io::Error::other)?;
    truth.push(b'\n');
    std::fs::write(dir.join(format!("{}.truth.json", v.id)), &truth)?;
    let mut bytes = w.1 + truth.len() as u64;
    if sc.captures {
        let c = crate::capture::captures(&v.bundle, &v.marks);
        let ecus: Vec<_> = (0..sc.ecus.len())
            .map(|i| crate::vehicle::resolve_ecu(sc, i))
            .collect();
        let topo = crate::capture::topology::topology(&ecus, &v.bundle.manifest);
        let parts: [(&str, Option<&[u8]>); 5] = [
            ("tbox.pcap", c.tbox_pcap.as_deref()),
            ("gw.pcap", c.gw_pcap.as_deref()),
            ("gw.candump.log", c.gw_candump.as_deref().map(str::as_bytes)),
            ("gw.asc", c.gw_asc.as_deref().map(str::as_bytes)),
            ("topology.toml", Some(topo.as_bytes())),
        ];
        for (ext, data) in parts {
            if let Some(d) = data {
                std::fs::write(dir.join(format!("{}.{ext}", v.id)), d)?;
                bytes += d.len() as u64;
            }
        }
    }
    let failed = v.truth.failed().count() as u64;
    Ok(CampaignSummary {
        vehicles: 1,
        records: v.bundle.records.len() as u64,
        bytes,
        failed_units: failed,
        failed_vehicles: (failed > 0) as u64,
    })
}

/// A writer that counts the bytes it passes on.
struct Counting<W>(W, u64);

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.0.write(buf)?;
        self.1 += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
