//! One simulated vehicle: draws its image sizes, clock offset and faults, runs the deploy stage
//! then (if every package deployed) the flash stage, and returns the bundle with its truth.

use crate::deploy::Deployer;
use crate::fault::{FaultKind, FaultSpec};
use crate::flash::Flasher;
use crate::recorder::Tape;
use crate::rng::Rng;
use crate::scenario::{Scenario, Transport};
use crate::truth::{hex, Truth, UnitTruth};
use otadiag_model::{Bundle, Manifest, Recorder, Stage, Task, UnitOutcome, UnitResult};

/// 2026-01-01T00:00:00Z in ns: simulated recorder clocks start around here.
const EPOCH: i64 = 1_767_225_600_000_000_000;

/// Shared state while a vehicle is simulated.
pub struct Ctx<'a> {
    /// The scenario.
    pub sc: &'a Scenario,
    /// The vehicle's random stream.
    pub rng: Rng,
    /// The bundle under construction.
    pub tape: Tape,
}

impl Ctx<'_> {
    /// A duration drawn uniformly from `[lo, hi]` ms, at microsecond resolution, in ns.
    pub fn ms(&mut self, r: [f64; 2]) -> i64 {
        self.rng.range((r[0] * 1e3) as i64, (r[1] * 1e3) as i64) * 1000
    }

    /// A normal response delay.
    pub fn response(&mut self) -> i64 {
        self.ms(self.sc.timing.response_ms)
    }

    /// The client's gap before its next request.
    pub fn gap(&mut self) -> i64 {
        self.ms(self.sc.timing.gap_ms)
    }
}

/// What a stage generator reports about one unit's injected fault.
#[derive(Debug, Default, Clone)]
pub struct Injected {
    /// The unit failed.
    pub failed: bool,
    /// Problem packet.
    pub packet: Option<i64>,
    /// Problem block.
    pub block: Option<i64>,
    /// Position of the offending request among the unit's records.
    pub record: Option<usize>,
    /// Its timestamp.
    pub ts: Option<i64>,
    /// The fault has no offending record (a request never sent).
    pub no_record: bool,
    /// What was injected.
    pub detail: String,
    /// The cause, when it depends on the injection (a DoIP NACK's code) rather than the kind.
    pub cause: Option<&'static str>,
    /// A transport fault the captures must show.
    pub mark: Option<(usize, crate::capture::Mark)>,
}

/// An ECU with every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct EcuSpec {
    /// ECU name.
    pub name: String,
    /// Package id.
    pub package: String,
    /// Target version.
    pub version: String,
    /// Installed version.
    pub from_version: String,
    /// Transport.
    pub transport: Transport,
    /// The ECU's address: DoIP logical address or CAN response id.
    pub address: u32,
    /// The GW's tester address: DoIP tester address or CAN request id.
    pub tester: u32,
    /// Functional address (DoIP 0xE400, CAN 0x7DF).
    pub functional: u32,
    /// maxNumberOfBlockLength the ECU grants.
    pub max_block: u32,
    /// Image size range, KiB.
    pub size_kib: [u32; 2],
}

/// Resolves ECU `i` of the scenario, filling in defaults by position.
pub fn resolve_ecu(sc: &Scenario, i: usize) -> EcuSpec {
    let e = &sc.ecus[i];
    let same = sc.ecus[..i]
        .iter()
        .filter(|x| x.transport == e.transport)
        .count() as u32;
    let (address, tester, functional) = match e.transport {
        Transport::Doip => (e.address.unwrap_or(0x1A01 + same), 0x0E80, 0xE400),
        Transport::Can => {
            let ids = e.can_ids.unwrap_or(if same < 8 {
                [0x7E0 + same, 0x7E8 + same]
            } else {
                [0x700 + same, 0x780 + same]
            });
            (ids[1], ids[0], 0x7DF)
        }
    };
    EcuSpec {
        name: e.name.clone(),
        package: e
            .package
            .clone()
            .unwrap_or_else(|| format!("{}-app", e.name.to_lowercase())),
        version: e.version.clone().unwrap_or_else(|| "1.1.0".into()),
        from_version: e.from_version.clone().unwrap_or_else(|| "1.0.0".into()),
        transport: e.transport,
        address,
        tester,
        functional,
        max_block: e.max_block.unwrap_or(4090),
        size_kib: e.size_kib.unwrap_or([64, 256]),
    }
}

/// A simulated vehicle: its id, bundle and truth.
pub struct SimVehicle {
    /// Vehicle id, the file stem (`V000001`).
    pub id: String,
    /// The upload bundle.
    pub bundle: Bundle,
    /// What really happened.
    pub truth: Truth,
    /// Transport faults only the captures show (bundle record index, what).
    pub marks: Vec<(usize, crate::capture::Mark)>,
}

/// Simulates vehicle `index` (0-based) of the scenario with the given fault specs.
pub fn simulate_vehicle(sc: &Scenario, specs: &[FaultSpec], index: u64) -> SimVehicle {
    let mut rng = Rng::for_vehicle(sc.seed, index);
    let ecus: Vec<EcuSpec> = (0..sc.ecus.len()).map(|i| resolve_ecu(sc, i)).collect();
    let sizes: Vec<u32> = ecus
        .iter()
        .map(|e| rng.range(e.size_kib[0] as i64 * 1024, e.size_kib[1] as i64 * 1024) as u32)
        .collect();
    let units: Vec<(Stage, String)> = ecus
        .iter()
        .map(|e| (Stage::Deploy, e.package.clone()))
        .chain(ecus.iter().map(|e| (Stage::Flash, e.name.clone())))
        .collect();
    let mut faults: Vec<Option<FaultKind>> = vec![None; units.len()];
    if sc.cover {
        let kinds = sc.cover_kinds();
        let k = kinds[index as usize % kinds.len()];
        faults[(index as usize / kinds.len()) % units.len()] = Some(k);
    } else {
        for spec in specs {
            let view: Vec<(Stage, &str, bool)> = units
                .iter()
                .zip(&faults)
                .map(|((s, n), f)| (*s, n.as_str(), f.is_some()))
                .collect();
            if let Some((u, k)) = spec.draw(&mut rng, &view) {
                faults[u] = Some(k);
            }
        }
    }
    // Transport faults go only where their transport is; elsewhere the request just goes unanswered.
    for (u, f) in faults.iter_mut().enumerate() {
        let transport = (u >= ecus.len()).then(|| ecus[u - ecus.len()].transport);
        *f = match (*f, transport) {
            (Some(FaultKind::IsotpSequenceError), t) if t != Some(Transport::Can) => {
                Some(FaultKind::ResponseNotSent)
            }
            (Some(FaultKind::DoipNack), t) if t != Some(Transport::Doip) => {
                Some(FaultKind::ResponseNotSent)
            }
            (f, _) => f,
        };
    }
    let id = format!("V{:06}", index + 1);
    let manifest = Manifest {
        version: 1,
        vin: format!("LSVSIM{:011}", index + 1),
        untimed: false,
        vehicle: Some(id.clone()),
        campaign: sc.campaign.clone(),
        task: format!("{}-T{:06}", sc.campaign, index + 1),
        recorders: vec![
            Recorder {
                id: "tbox".into(),
                role: "TBOX".into(),
                software: "otadiag-sim tbox".into(),
            },
            Recorder {
                id: "gw".into(),
                role: "GW".into(),
                software: "otadiag-sim gw".into(),
            },
        ],
        tasks: ecus
            .iter()
            .map(|e| Task {
                ecu: e.name.clone(),
                address: Some(e.address),
                package: e.package.clone(),
                version: e.version.clone(),
                from_version: Some(e.from_version.clone()),
                transport: Some(e.transport.as_str().into()),
            })
            .collect(),
    };
    let start = EPOCH + rng.range(0, 86_400) * 1_000_000_000;
    let mut ctx = Ctx {
        sc,
        rng,
        tape: Tape::new(Bundle::new(format!("{id}.jsonl"), manifest)),
    };
    let offset = ctx.ms(sc.timing.clock_offset_ms);
    let n = ecus.len();
    let mut injected: Vec<Option<Injected>> = vec![None; units.len()];
    let mut d = Deployer::new(&mut ctx, start);
    for (i, e) in ecus.iter().enumerate() {
        injected[i] = Some(d.package(&e.package, i, sizes[i] as u64, faults[i]));
    }
    let deploy_ok = injected[..n].iter().flatten().all(|x| !x.failed);
    if deploy_ok {
        d.activate(&ecus[n - 1].package);
    }
    let mut clock = d.clock + offset + ctx.gap();
    if deploy_ok {
        for (i, e) in ecus.iter().enumerate() {
            let mut f = Flasher::new(&mut ctx, e, sizes[i], clock);
            injected[n + i] = Some(f.run(faults[n + i]));
            clock = f.clock + ctx.ms([20.0, 50.0]); // the GW moves on to the next ECU
        }
    }
    let mut truth_units = Vec::with_capacity(units.len());
    let mut results = Vec::new();
    for (u, ((stage, name), inj)) in units.iter().zip(&injected).enumerate() {
        let Some(inj) = inj else {
            truth_units.push(not_run(*stage, name, &ecus[u - n]));
            continue;
        };
        let line = !ctx.rng.chance(sc.omit_results);
        if line {
            results.push(UnitResult {
                stage: *stage,
                unit: name.clone(),
                result: if inj.failed {
                    UnitOutcome::Failure
                } else {
                    UnitOutcome::Success
                },
                detail: None,
            });
        }
        let kind = faults[u];
        let cause = kind
            .filter(|_| inj.failed)
            .and_then(|k| inj.cause.or(k.cause()));
        let fail = |f: fn(&str) -> Option<&'static str>| cause.and_then(f).map(String::from);
        let (client, server) = if *stage == Stage::Deploy {
            ("TBOX", "GW")
        } else {
            ("GW", "ECU")
        };
        let side = fail(crate::fault::side_of);
        truth_units.push(UnitTruth {
            stage: *stage,
            unit: name.clone(),
            transport: if *stage == Stage::Deploy {
                "someip".into()
            } else {
                ecus[u - n].transport.as_str().into()
            },
            result: if inj.failed { "failure" } else { "success" }.into(),
            result_line: line,
            fault: kind.map(|k| k.name().to_string()),
            cause: cause.map(String::from),
            parameter: fail(crate::fault::parameter_of),
            role: side
                .as_deref()
                .map(|s| if s == "client" { client } else { server }.to_string()),
            side,
            address: (*stage == Stage::Flash).then(|| hex(ecus[u - n].address)),
            packet: inj.packet.filter(|_| inj.failed),
            block: inj.block.filter(|_| inj.failed),
            record: inj.record.filter(|_| inj.failed),
            ts: inj.ts.filter(|_| inj.failed),
            detail: kind.map(|_| inj.detail.clone()),
        });
    }
    ctx.tape.bundle.results = results;
    let bundle = ctx.tape.finish((sc.timing.stop_after_ms * 1e6) as i64);
    let truth = Truth {
        format: "otadiag-truth".into(),
        version: 1,
        vehicle: id.clone(),
        vin: bundle.manifest.vin.clone(),
        seed: sc.seed,
        clock_offset_ns: offset,
        units: truth_units,
    };
    let marks = injected.iter().flatten().filter_map(|i| i.mark).collect();
    SimVehicle {
        id,
        bundle,
        truth,
        marks,
    }
}

fn not_run(stage: Stage, name: &str, e: &EcuSpec) -> UnitTruth {
    UnitTruth {
        stage,
        unit: name.to_string(),
        transport: e.transport.as_str().into(),
        result: "not_run".into(),
        result_line: false,
        fault: None,
        cause: None,
        parameter: None,
        side: None,
        role: None,
        address: Some(hex(e.address)),
        packet: None,
        block: None,
        record: None,
        ts: None,
        detail: Some("not run: the deploy stage failed".into()),
    }
}
