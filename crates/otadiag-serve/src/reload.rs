//! Hot reload: the directory watcher (100 ms debounce), SIGHUP and the reload endpoint all send
//! into ONE channel drained by ONE task, so reloads never race each other and bursts of triggers
//! collapse into a single load.

use crate::rules::{ReloadStatus, RulesHandle};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Debounce window of the directory watcher.
pub const DEBOUNCE: Duration = Duration::from_millis(100);

/// A request to reload, with an optional reply for the caller that waits (the API).
#[derive(Debug)]
pub struct ReloadRequest {
    /// `watch`, `sighup` or `api`.
    pub trigger: &'static str,
    /// Receives the status of the load that covered this request.
    pub reply: Option<oneshot::Sender<ReloadStatus>>,
}

/// Sender side of the reload channel.
pub type ReloadSender = mpsc::UnboundedSender<ReloadRequest>;

/// Spawns the reload task; it ends when every sender is gone.
pub fn spawn_reloader(rules: Arc<RulesHandle>) -> (ReloadSender, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<ReloadRequest>();
    let task = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            // Everything queued now is covered by the load we are about to do.
            let mut batch = vec![first];
            while let Ok(more) = rx.try_recv() {
                batch.push(more);
            }
            let trigger = batch[0].trigger;
            let r = rules.clone();
            let status = match tokio::task::spawn_blocking(move || r.reload(trigger)).await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("otadiag-serve: rule reload task failed: {e}");
                    continue;
                }
            };
            if status.status == "ok" && status.changed {
                eprintln!(
                    "otadiag-serve: rules reloaded ({trigger}): {}",
                    status.active_revision
                );
            } else if status.status == "failed" {
                eprintln!(
                    "otadiag-serve: rule reload ({trigger}) failed with {} error(s); still serving {}",
                    status.errors, status.active_revision
                );
            }
            for req in batch {
                if let Some(reply) = req.reply {
                    let _ = reply.send(status.clone());
                }
            }
        }
    });
    (tx, task)
}

/// Watches a rule directory recursively; a change to a relevant file followed by [`DEBOUNCE`] of
/// quiet sends one reload request. Keep the returned watcher alive for as long as watching should
/// go on; dropping it also ends the debounce thread.
///
/// Only changes count, not accesses: inotify reports every open of a watched file (notify 8
/// watches `IN_OPEN`), and every reload opens all rule files, so counting opens made the service
/// reload itself about twenty times a second while idle.
pub fn watch_dir(
    dir: &std::path::Path,
    tx: ReloadSender,
) -> anyhow::Result<notify::RecommendedWatcher> {
    use notify::Watcher;
    let (changed, rx) = std::sync::mpsc::channel::<()>();
    // Judge paths below the watched directory only: a `tests` folder above it (say
    // `/srv/tests/rules`) must not hide every change.
    let given = dir.to_path_buf();
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let below = move |p: &std::path::Path| -> std::path::PathBuf {
        p.strip_prefix(&given)
            .or_else(|_| p.strip_prefix(&canonical))
            .map(std::path::Path::to_path_buf)
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let mut watcher =
        notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
            Ok(ev) if is_change(&ev.kind) && ev.paths.iter().any(|p| relevant(&below(p))) => {
                let _ = changed.send(());
            }
            Ok(_) => {}
            Err(e) => eprintln!("otadiag-serve: rule watcher error: {e}"),
        })?;
    watcher.watch(dir, notify::RecursiveMode::Recursive)?;
    std::thread::Builder::new()
        .name("otadiag-rules-debounce".into())
        .spawn(move || {
            use std::sync::mpsc::RecvTimeoutError;
            // Block for the first change, then wait until DEBOUNCE passes without another (at
            // most 10 × DEBOUNCE, so a file written on and on still gets loaded).
            while rx.recv().is_ok() {
                let first = std::time::Instant::now();
                while first.elapsed() < DEBOUNCE * 10 {
                    match rx.recv_timeout(DEBOUNCE) {
                        Ok(()) => continue,
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                let req = ReloadRequest {
                    trigger: "watch",
                    reply: None,
                };
                if tx.send(req).is_err() {
                    return;
                }
            }
        })?;
    Ok(watcher)
}

/// Creations, removals, renames, writes and attribute changes; not opens, reads or closes.
fn is_change(kind: &notify::EventKind) -> bool {
    !matches!(kind, notify::EventKind::Access(_))
}

/// Rule files, `units.toml` and directories matter; rule test cases and editor droppings do not.
/// `path` is relative to the watched directory.
fn relevant(path: &std::path::Path) -> bool {
    if path.components().any(|c| c.as_os_str() == "tests") {
        return false;
    }
    match path.file_name().and_then(|n| n.to_str()) {
        Some(n) => n.ends_with(".rules") || n == "units.toml" || !n.contains('.'),
        None => true,
    }
}

/// Forwards SIGHUP to the reload channel until the channel closes.
#[cfg(unix)]
pub fn spawn_sighup(tx: ReloadSender) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        while hup.recv().await.is_some() {
            if tx
                .send(ReloadRequest {
                    trigger: "sighup",
                    reply: None,
                })
                .is_err()
            {
                break;
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::relevant;
    use std::path::Path;

    #[test]
    fn only_rule_files_trigger() {
        assert!(relevant(Path::new("/r/uds/response.rules")));
        assert!(relevant(Path::new("/r/units.toml")));
        assert!(relevant(Path::new("/r/uds")));
        assert!(!relevant(Path::new("/r/tests/case/bundle.jsonl")));
        assert!(relevant(Path::new("uds/response.rules")));
        assert!(!relevant(Path::new("tests/case/expect.toml")));
        assert!(!relevant(Path::new("/r/uds/.response.rules.swp")));
    }
}
