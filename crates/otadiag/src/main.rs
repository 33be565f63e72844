//! `otadiag`: analyse upload bundles, check rule sets, run rule test cases.

use clap::{Parser, Subcommand};
use otadiag::analyze::{self, Format};
use otadiag::{demo, embedded, eval, ruletest, simulate};
use otadiag_engine::Mode;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "otadiag",
    version,
    about = "Tells OTA engineers why a vehicle's over-the-air update failed"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Analyse upload bundles or captures: failed units, causes, blamed side, problem
    /// packet/ECU, evidence.
    Analyze {
        /// Bundle files (JSON Lines, optionally gzip/zstd) and/or captures (candump, PCAN TRC,
        /// Vector ASC/BLF, pcap/pcapng; optionally gzip). Captures are one vehicle's recording.
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
        /// Topology file naming the units behind CAN ids, DoIP addresses and IP endpoints.
        #[arg(long)]
        topology: Option<PathBuf>,
        /// Fail on the first unreadable line/object of a capture instead of skipping it.
        #[arg(long)]
        strict: bool,
        /// Analyse each capture on its own instead of all captures as one recording.
        #[arg(long)]
        separate: bool,
        /// Rule set directory (default: the rule set built into the binary).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// `first` stops at the first failing check per unit; `all` checks everything.
        #[arg(long, value_enum, default_value_t = ModeArg::First)]
        mode: ModeArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Record captures into a header-only upload bundle (the vehicle-side recorder).
    Record {
        /// Captures of one vehicle's update (candump, PCAN TRC, Vector ASC/BLF, pcap/pcapng).
        #[arg(required = true)]
        captures: Vec<PathBuf>,
        /// Topology file naming the units behind CAN ids, DoIP addresses and IP endpoints.
        #[arg(long)]
        topology: Option<PathBuf>,
        /// Fail on the first unreadable line/object instead of skipping it.
        #[arg(long)]
        strict: bool,
        /// Rule set whose `keep` clauses say how many header bytes to keep (default: built in).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Bundle to write (`.gz` suffix: gzip-compressed).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Run the cloud service: upload API, verdict store, hot-reloaded rules, fleet dashboard.
    Serve {
        /// Rule set directory, watched and hot-reloaded (default: the built-in set, no reload).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// `sqlite://PATH` (default `sqlite://otadiag.db`) or `postgres://…`.
        #[arg(long)]
        database: Option<String>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7878")]
        listen: std::net::SocketAddr,
        /// Admin token for vehicle registration, reload and re-analysis (else
        /// `OTADIAG_ADMIN_TOKEN`).
        #[arg(long)]
        admin_token: Option<String>,
        /// Largest upload accepted, bytes.
        #[arg(long)]
        max_bundle_bytes: Option<usize>,
        /// Store N simulated vehicles (the demo campaign's mix of faults) before serving, so the
        /// dashboard has a fleet to show.
        #[arg(long, value_name = "N")]
        demo: Option<u32>,
    },
    /// Register a vehicle with the service's store and print its upload token (shown once).
    VehicleToken {
        /// VIN (or fleet vehicle id) the token uploads for.
        vin: String,
        /// Store, as for `serve`.
        #[arg(long)]
        database: Option<String>,
    },
    /// Simulate a fleet campaign with injected faults: one bundle and one truth file per vehicle.
    Simulate {
        /// Scenario file (TOML, see docs/simulator.md); built-in defaults when absent.
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Number of vehicles (overrides the scenario).
        #[arg(long)]
        vehicles: Option<u32>,
        /// Random seed (overrides the scenario); the same seed gives identical files.
        #[arg(long)]
        seed: Option<u64>,
        /// Replace the topology with N generated ECUs (every third on CAN).
        #[arg(long)]
        ecus: Option<usize>,
        /// Coverage plan: vehicle i gets fault kind i mod 13 on unit (i / 13) mod units; without
        /// --vehicles, 13 × units vehicles (every kind on every unit).
        #[arg(long)]
        cover: bool,
        /// Also write captures: `<vehicle>.tbox.pcap` (SOME/IP), `<vehicle>.gw.pcap` (DoIP),
        /// `<vehicle>.gw.candump.log` (CAN ISO-TP).
        #[arg(long)]
        captures: bool,
        /// Inject a fault: CAUSE[@UNIT][:PROB], CAUSE a fault name or `any`, UNIT a unit, `deploy`
        /// or `flash`; repeatable.
        #[arg(long = "fault", value_name = "CAUSE[@UNIT][:PROB]")]
        faults: Vec<String>,
        /// Output directory.
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
    },
    /// Analyse a simulated campaign and score the verdicts against its truth files.
    Eval {
        /// Directory written by `otadiag simulate`.
        dir: PathBuf,
        /// Rule set directory (default: the rule set built into the binary).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// `first` stops at the first failing check per unit; `all` checks everything.
        #[arg(long, value_enum, default_value_t = ModeArg::First)]
        mode: ModeArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Minimum failed-unit recall (0..1); exit 1 below it.
        #[arg(long)]
        min_recall: Option<f64>,
        /// Minimum failed-unit precision.
        #[arg(long)]
        min_precision: Option<f64>,
        /// Minimum exact-cause accuracy.
        #[arg(long)]
        min_cause: Option<f64>,
        /// Minimum blamed-side accuracy.
        #[arg(long)]
        min_side: Option<f64>,
        /// Minimum location accuracy.
        #[arg(long)]
        min_location: Option<f64>,
        /// Minimum transport-fault accuracy (with `--from captures`).
        #[arg(long)]
        min_transport: Option<f64>,
        /// What to analyse per vehicle: its bundle, or its captures (`simulate --captures`: TBOX
        /// pcap, GW pcap and CAN log as one recording, with `<vehicle>.topology.toml`).
        #[arg(long = "from", value_enum, default_value_t = FromArg::Bundles)]
        from: FromArg,
        /// Which CAN log `--from captures` reads.
        #[arg(long, value_enum, default_value_t = CanLogArg::Candump)]
        can_log: CanLogArg,
    },
    /// Simulate about 20 vehicles with mixed faults, analyse them and show the fleet view.
    Demo,
    /// Rule set commands.
    Rules {
        #[command(subcommand)]
        cmd: RulesCmd,
    },
}

#[derive(Subcommand)]
enum RulesCmd {
    /// Validate a rule set directory with the same checker the engine uses; prints every problem.
    Check {
        /// Rule set directory.
        dir: PathBuf,
    },
    /// Run the rule test cases in DIR/tests/<case>/ against the rule set in DIR.
    Test {
        /// Rule set directory (cases are read from its `tests/` folder).
        dir: PathBuf,
        /// Write the current output as the new snapshot of every case that differs.
        #[arg(long)]
        accept: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FromArg {
    Bundles,
    Captures,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CanLogArg {
    Candump,
    Asc,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ModeArg {
    First,
    All,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ExitCode::from(match cli.cmd {
        Cmd::Analyze {
            bundles,
            topology,
            strict,
            separate,
            rules,
            mode,
            format,
        } => {
            let mode = match mode {
                ModeArg::First => Mode::First,
                ModeArg::All => Mode::All,
            };
            let rules = match embedded::load_or(rules.as_deref()) {
                Ok(r) => r,
                Err(d) => {
                    eprint!("{}", d.render());
                    return ExitCode::from(2);
                }
            };
            let topology = match otadiag::capture::topology(topology.as_deref()) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            otadiag::capture::warn_defaults(&bundles, &topology);
            let opts = otadiag_record::pipeline::Options { topology, strict };
            match analyze::run(&rules, &bundles, mode, &opts, separate) {
                Ok(report) => {
                    print!("{}", analyze::print(&report, format));
                    analyze::status(&report) as u8
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    2
                }
            }
        }
        Cmd::Record {
            captures,
            topology,
            strict,
            rules,
            output,
        } => otadiag::record::run(
            &captures,
            topology.as_deref(),
            strict,
            rules.as_deref(),
            &output,
        ),
        Cmd::Serve {
            rules,
            database,
            listen,
            admin_token,
            max_bundle_bytes,
            demo,
        } => {
            let source = match rules {
                Some(d) => otadiag_serve::RuleSource::Dir(d),
                None => otadiag_serve::RuleSource::Embedded(embedded::files()),
            };
            let mut opts = otadiag_serve::ServeOptions::new(source);
            opts.listen = listen;
            if let Some(d) = database {
                opts.database = d;
            }
            opts.admin_token = admin_token.or(opts.admin_token);
            if let Some(m) = max_bundle_bytes {
                opts.max_bundle_bytes = m;
            }
            if let Some(n) = demo {
                opts.seed = otadiag::demo::bundles(n);
            }
            match otadiag_serve::serve_blocking(opts) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    2
                }
            }
        }
        Cmd::VehicleToken { vin, database } => {
            let db = database.unwrap_or_else(|| {
                otadiag_serve::ServeOptions::new(otadiag_serve::RuleSource::Embedded(vec![]))
                    .database
            });
            match otadiag_serve::add_vehicle(&db, &vin) {
                Ok(token) => {
                    println!("{token}");
                    0
                }
                Err(e) => {
                    eprintln!("error: {e:#}");
                    2
                }
            }
        }
        Cmd::Simulate {
            scenario,
            vehicles,
            seed,
            ecus,
            cover,
            captures,
            faults,
            out,
        } => simulate::run(&simulate::Args {
            scenario,
            vehicles,
            seed,
            ecus,
            cover,
            captures,
            faults,
            out,
        }),
        Cmd::Eval {
            dir,
            rules,
            mode,
            format,
            min_recall,
            min_precision,
            min_cause,
            min_side,
            min_location,
            min_transport,
            from,
            can_log,
        } => {
            let mode = match mode {
                ModeArg::First => Mode::First,
                ModeArg::All => Mode::All,
            };
            let min = otadiag_sim::Thresholds {
                recall: min_recall,
                precision: min_precision,
                cause: min_cause,
                side: min_side,
                location: min_location,
                transport: min_transport,
            };
            let source = match (from, can_log) {
                (FromArg::Bundles, _) => otadiag_sim::Source::Bundles,
                (FromArg::Captures, CanLogArg::Candump) => {
                    otadiag_sim::Source::Captures(otadiag_sim::CanLog::Candump)
                }
                (FromArg::Captures, CanLogArg::Asc) => {
                    otadiag_sim::Source::Captures(otadiag_sim::CanLog::Asc)
                }
            };
            eval::run(&dir, rules.as_deref(), mode, source, format, &min)
        }
        Cmd::Demo => match demo::run() {
            Ok(text) => {
                print!("{text}");
                0
            }
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
        },
        Cmd::Rules {
            cmd: RulesCmd::Check { dir },
        } => match otadiag_rules::load_dir(&dir) {
            Ok(set) => {
                println!(
                    "{}: {} protocols, {} checks, {} flows, {} causes ({} files, {})",
                    dir.display(),
                    set.protocols.len(),
                    set.checks.len(),
                    set.flows.len(),
                    set.causes.len(),
                    set.files.len(),
                    set.revision
                );
                0
            }
            Err(d) => {
                eprint!("{}", d.render());
                2
            }
        },
        Cmd::Rules {
            cmd: RulesCmd::Test { dir, accept },
        } => rules_test(&dir, accept),
    })
}

fn rules_test(dir: &std::path::Path, accept: bool) -> u8 {
    let rules = match otadiag_rules::load_dir(dir) {
        Ok(r) => r,
        Err(d) => {
            eprint!("{}", d.render());
            return 2;
        }
    };
    let cases = ruletest::discover(&dir.join("tests"));
    let (mut passed, mut failed) = (0, 0);
    for case in &cases {
        let outcome = match ruletest::run_case(&rules, case) {
            Ok(o) => o,
            Err(e) => {
                println!("FAIL {}: {e}", case.name);
                failed += 1;
                continue;
            }
        };
        let snap = ruletest::snapshot_path(case);
        let stored = ruletest::read_snapshot(&snap);
        let same = stored.as_deref() == Some(outcome.rendered.trim_end_matches('\n'));
        if !same && accept {
            if let Err(e) = ruletest::write_snapshot(&snap, &outcome.rendered) {
                println!("FAIL {}: cannot write {}: {e}", case.name, snap.display());
                failed += 1;
                continue;
            }
        }
        let mut problems = outcome.mismatches.clone();
        if !same && !accept {
            problems.push(match stored {
                None => format!("no snapshot yet ({}); run with --accept", snap.display()),
                Some(_) => format!(
                    "output differs from {}; review, then run with --accept",
                    snap.display()
                ),
            });
        }
        if problems.is_empty() {
            passed += 1;
            println!(
                "ok   {}{}",
                case.name,
                if !same && accept {
                    " (snapshot written)"
                } else {
                    ""
                }
            );
        } else {
            failed += 1;
            println!("FAIL {}", case.name);
            for p in problems {
                println!("     {p}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        1
    } else {
        0
    }
}
