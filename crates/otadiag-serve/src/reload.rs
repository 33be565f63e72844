//! Hot reload: the directory watcher (100 ms debounce), SIGHUP and the reload endpoint all send
//! into ONE channel drained by ONE task, so reloads never race each other and bursts of triggers
//! collapse into a single load.

use crate::rules::{ReloadStatus, RulesHandle};
use notify_debouncer_mini::notify::RecursiveMode;
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

/// Watches a rule directory recursively; every debounced batch of changes sends one request.
/// Keep the returned debouncer alive for as long as watching should go on.
pub fn watch_dir(
    dir: &std::path::Path,
    tx: ReloadSender,
) -> anyhow::Result<
    notify_debouncer_mini::Debouncer<notify_debouncer_mini::notify::RecommendedWatcher>,
> {
    let mut debouncer = notify_debouncer_mini::new_debouncer(
        DEBOUNCE,
        move |res: notify_debouncer_mini::DebounceEventResult| match res {
            Ok(events) if events.iter().any(|e| relevant(&e.path)) => {
                let _ = tx.send(ReloadRequest {
                    trigger: "watch",
                    reply: None,
                });
            }
            Ok(_) => {}
            Err(e) => eprintln!("otadiag-serve: rule watcher error: {e}"),
        },
    )?;
    debouncer.watcher().watch(dir, RecursiveMode::Recursive)?;
    Ok(debouncer)
}

/// Rule files, `units.toml` and directories matter; rule test cases and editor droppings do not.
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
        assert!(!relevant(Path::new("/r/uds/.response.rules.swp")));
    }
}
