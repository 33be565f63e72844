//! `otadiag simulate`: writes a simulated fleet campaign — one bundle and one truth file per
//! vehicle — from a scenario file, the built-in defaults and `--fault` specs.

use otadiag_sim::{simulate_to_dir, FaultSpec, Scenario};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The `simulate` command line.
#[derive(Debug, Clone, Default)]
pub struct Args {
    /// Scenario file (TOML); built-in defaults when absent.
    pub scenario: Option<PathBuf>,
    /// Overrides the scenario's vehicle count.
    pub vehicles: Option<u32>,
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    /// Replaces the topology with N generated ECUs.
    pub ecus: Option<usize>,
    /// Coverage plan: every fault kind on every unit in turn.
    pub cover: bool,
    /// Also write pcap and candump captures of the traffic.
    pub captures: bool,
    /// `CAUSE[@UNIT][:PROB]` specs, added to the scenario's `[[fault]]` entries.
    pub faults: Vec<String>,
    /// Output directory.
    pub out: PathBuf,
}

/// Builds the scenario the arguments describe.
pub fn scenario(args: &Args) -> Result<(Scenario, Vec<FaultSpec>), String> {
    let mut sc = match &args.scenario {
        Some(p) => Scenario::load(p).map_err(|e| e.to_string())?,
        None => Scenario::default(),
    };
    if let Some(n) = args.ecus {
        if n == 0 || n > 200 {
            return Err(format!("--ecus {n}: expected 1 to 200"));
        }
        sc = sc.with_ecus(n);
    }
    if let Some(v) = args.vehicles {
        sc.vehicles = v;
    }
    if let Some(s) = args.seed {
        sc.seed = s;
    }
    sc.cover |= args.cover;
    sc.captures |= args.captures;
    if args.cover && args.vehicles.is_none() {
        // Enough vehicles for every fault kind on every unit.
        sc.vehicles = (sc.cover_kinds().len() * sc.units().len()) as u32;
    }
    let label = args
        .scenario
        .as_deref()
        .map_or("<built-in scenario>".to_string(), |p| {
            p.display().to_string()
        });
    sc.validate().map_err(|(_, m)| format!("{label}: {m}"))?;
    let mut specs = sc.fault_specs()?;
    let units = sc.units();
    for f in &args.faults {
        let spec = FaultSpec::parse(f).map_err(|e| format!("--fault {e}"))?;
        if let otadiag_sim::Target::Unit(u) = &spec.target {
            if !units.iter().any(|(_, n)| n == u) {
                let names: Vec<&str> = units.iter().map(|(_, n)| n.as_str()).collect();
                return Err(format!(
                    "--fault {f}: no unit `{u}`; the units are {}",
                    names.join(", ")
                ));
            }
        }
        specs.push(spec);
    }
    Ok((sc, specs))
}

/// Runs the command; returns the exit status (0 written, 2 bad arguments or I/O error).
pub fn run(args: &Args) -> u8 {
    let (sc, specs) = match scenario(args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let t = Instant::now();
    match simulate_to_dir(&sc, &specs, &args.out) {
        Ok(sum) => {
            println!(
                "{}",
                summary_line(&sum, &args.out, t.elapsed().as_secs_f64())
            );
            0
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.out.display());
            2
        }
    }
}

/// `wrote 20 vehicles ... to DIR in 0.12 s (…MB/s, … vehicles/s); F failed units in V vehicles`.
pub fn summary_line(sum: &otadiag_sim::CampaignSummary, out: &Path, secs: f64) -> String {
    let mb = sum.bytes as f64 / 1e6;
    let secs = secs.max(1e-9);
    format!(
        "wrote {} vehicles ({} records, {mb:.1} MB) to {} in {secs:.2} s ({:.1} MB/s, {:.0} vehicles/s); {} failed units in {} vehicles",
        sum.vehicles,
        sum.records,
        out.display(),
        mb / secs,
        sum.vehicles as f64 / secs,
        sum.failed_units,
        sum.failed_vehicles
    )
}
