//! `otadiag serve`, the cloud side of otadiag: vehicles upload bundles over HTTP, each is analysed
//! under the live rule set and stored durably with its verdict; rules hot-reload from their
//! directory; fleet queries and a dashboard show causes across vehicles, campaigns and versions.
//!
//! Pieces: [`api`] (axum routes), [`store`] (SQLite / PostgreSQL behind one trait), [`rules`] and
//! [`reload`] (the ArcSwap'd rule snapshot and its single reload task), [`dashboard`] (static
//! page). The API is documented in `docs/api.md` and `docs/openapi.yaml`.
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod dashboard;
pub mod ingest;
pub mod reload;
pub mod rules;
pub mod store;
pub mod time;

pub use api::{router, AppState};
pub use auth::register_vehicle;
pub use otadiag_engine::Mode;
pub use rules::{RuleSource, RulesHandle};
pub use store::Store;

use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;

/// Default upload limit: 64 MiB as uploaded.
pub const DEFAULT_MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;

/// Default limit on the decompressed size of a gzip/zstd upload: 512 MiB.
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: u64 = 512 * 1024 * 1024;

/// Default database when none is given.
pub const DEFAULT_DATABASE: &str = "sqlite://otadiag.db";

/// How to run the service.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on (port 0 picks a free one).
    pub listen: SocketAddr,
    /// `sqlite://PATH`, a bare path, or `postgres://…`.
    pub database: String,
    /// Where the rules come from.
    pub rules: RuleSource,
    /// Admin bearer token; when `None`, `OTADIAG_ADMIN_TOKEN` is used if set.
    pub admin_token: Option<String>,
    /// Upload size limit, bytes (as sent).
    pub max_bundle_bytes: usize,
    /// Limit on what a compressed upload may decompress to, bytes.
    pub max_decompressed_bytes: u64,
    /// Analysis mode.
    pub mode: Mode,
    /// Watch a rule directory for changes.
    pub watch: bool,
    /// Reload on SIGHUP.
    pub sighup: bool,
    /// Bundles stored before serving (`otadiag serve --demo`): analysed and inserted like uploads.
    pub seed: Vec<Vec<u8>>,
}

impl ServeOptions {
    /// Defaults: `127.0.0.1:7878`, `./otadiag.db`, 64 MiB uploads (512 MiB decompressed), mode `first`, watching and SIGHUP on.
    pub fn new(rules: RuleSource) -> ServeOptions {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 7878)),
            database: DEFAULT_DATABASE.into(),
            rules,
            admin_token: None,
            max_bundle_bytes: DEFAULT_MAX_BUNDLE_BYTES,
            max_decompressed_bytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
            mode: Mode::First,
            watch: true,
            sighup: true,
            seed: Vec::new(),
        }
    }
}

/// A started service: its address and state, running until [`Running::shutdown`] or forever.
pub struct Running {
    /// The bound address.
    pub addr: SocketAddr,
    /// The shared state (for tests and embedding).
    pub state: AppState,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _watcher: Option<notify::RecommendedWatcher>,
}

impl Running {
    /// Waits until the server stops.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        (&mut self.server).await.context("server task")??;
        Ok(())
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.wait().await
    }
}

/// Opens the store named by `opts.database` and starts the service.
pub async fn start(opts: ServeOptions) -> anyhow::Result<Running> {
    let url = opts.database.clone();
    let store = tokio::task::spawn_blocking(move || store::open(&url))
        .await
        .context("opening the store")?
        .with_context(|| format!("cannot open database {}", opts.database))?;
    start_with_store(opts, store).await
}

/// Starts the service on an already opened store: loads the rules (failing with the rendered
/// diagnostics if they do not load), starts the reload task, watcher and SIGHUP handler, binds.
pub async fn start_with_store(
    opts: ServeOptions,
    store: Arc<dyn Store>,
) -> anyhow::Result<Running> {
    let source = opts.rules.clone();
    let handle = tokio::task::spawn_blocking(move || RulesHandle::new(source))
        .await
        .context("loading rules")?
        .map_err(|d| anyhow::anyhow!("the rules do not load:\n{d}"))?;
    let rules = Arc::new(handle);
    let (reload_tx, _reloader) = reload::spawn_reloader(rules.clone());
    let watcher = match (opts.watch, rules.source().dir()) {
        (true, Some(dir)) => Some(
            reload::watch_dir(dir, reload_tx.clone())
                .with_context(|| format!("cannot watch {}", dir.display()))?,
        ),
        _ => None,
    };
    #[cfg(unix)]
    if opts.sighup {
        reload::spawn_sighup(reload_tx.clone()).context("cannot install the SIGHUP handler")?;
    }
    let admin = opts
        .admin_token
        .clone()
        .or_else(|| std::env::var("OTADIAG_ADMIN_TOKEN").ok())
        .filter(|t| !t.is_empty());
    let state = AppState {
        store,
        rules,
        reload: reload_tx,
        admin_token: admin.map(Arc::from),
        max_bundle_bytes: opts.max_bundle_bytes,
        max_decompressed_bytes: opts.max_decompressed_bytes,
        mode: opts.mode,
    };
    if !opts.seed.is_empty() {
        let (st, seed) = (state.clone(), opts.seed);
        let n = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
            let mut n = 0;
            for bytes in &seed {
                n += usize::from(ingest::seed(&st, bytes)?);
            }
            Ok(n)
        })
        .await
        .context("seeding")??;
        eprintln!("otadiag-serve: stored {n} demo bundles");
    }
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("cannot listen on {}", opts.listen))?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let app = router(state.clone());
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await
    });
    Ok(Running {
        addr,
        state,
        server,
        stop: Some(stop_tx),
        _watcher: watcher,
    })
}

/// Runs `otadiag serve` until Ctrl-C: opens the store, loads and watches the rules, serves HTTP.
pub async fn serve(opts: ServeOptions) -> anyhow::Result<()> {
    let running = start(opts).await?;
    eprintln!(
        "otadiag-serve: listening on http://{} ({} store, rules {})",
        running.addr,
        running.state.store.kind(),
        running.state.rules.snapshot().rules.revision
    );
    if running.state.admin_token.is_none() {
        eprintln!("otadiag-serve: no admin token (OTADIAG_ADMIN_TOKEN); admin endpoints are off");
    }
    stop_signal().await;
    eprintln!("otadiag-serve: shutting down");
    running.shutdown().await
}

/// [`serve`] for sync callers (the CLI): runs it on a new multi-threaded Tokio runtime.
pub fn serve_blocking(opts: ServeOptions) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(opts))
}

/// Ctrl-C, or SIGTERM on Unix (how service managers stop a process).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Registers a vehicle (or rotates its token) in the database named by `database`, from sync
/// code such as a CLI subcommand (not from inside a Tokio runtime: it starts its own); returns
/// the new token, which is shown only once.
pub fn add_vehicle(database: &str, vin: &str) -> anyhow::Result<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (database, vin) = (database.to_string(), vin.to_string());
    rt.block_on(async move {
        tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
            let store = store::open(&database)
                .with_context(|| format!("cannot open database {database}"))?;
            Ok(register_vehicle(&*store, &vin)?)
        })
        .await?
    })
}
