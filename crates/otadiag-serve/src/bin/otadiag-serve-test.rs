//! A thin `otadiag serve` without the CLI crate, so this crate's own tests can run the service as
//! a child process and `kill -9` it (tests/crash.rs). Not the product's entry point: that is
//! `otadiag serve` in crates/otadiag.
//!
//! `otadiag-serve-test --rules DIR --database URL [--listen ADDR] [--admin-token T] [--no-watch]`

use otadiag_serve::{RuleSource, ServeOptions};
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut rules = None;
    let mut database = None;
    let mut listen = None;
    let mut admin = None;
    let mut watch = true;
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{a} needs a value"))
        };
        match a.as_str() {
            "--rules" => rules = Some(PathBuf::from(value()?)),
            "--database" => database = Some(value()?),
            "--listen" => listen = Some(value()?.parse()?),
            "--admin-token" => admin = Some(value()?),
            "--no-watch" => watch = false,
            other => anyhow::bail!("unknown argument `{other}`"),
        }
    }
    let rules = rules.ok_or_else(|| anyhow::anyhow!("--rules DIR is required"))?;
    let mut opts = ServeOptions::new(RuleSource::Dir(rules));
    if let Some(d) = database {
        opts.database = d;
    }
    if let Some(l) = listen {
        opts.listen = l;
    }
    opts.admin_token = admin;
    opts.watch = watch;
    otadiag_serve::serve_blocking(opts)
}
