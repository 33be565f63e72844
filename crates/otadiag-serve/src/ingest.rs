//! Analysing and storing a bundle — shared by `POST /api/v1/bundles` and by seeding — and
//! filling the store with bundles without HTTP, so `otadiag serve --demo N` opens on a populated
//! fleet view.

use crate::api::view::new_verdict;
use crate::api::AppState;
use crate::store::{InsertOutcome, NewUpload, StoreError};
use anyhow::Context;
use otadiag_model::Bundle;
use sha2::{Digest, Sha256};

/// The content hash a bundle is stored and deduplicated under (of the bytes as sent).
pub fn content_hash(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Analyses `bundle` under the active rule snapshot (held to the end, so the verdict records the
/// revision it was made under) and stores bytes, verdict and findings in one transaction.
pub fn analyse_and_insert(
    state: &AppState,
    mut bundle: Bundle,
    bytes: &[u8],
    hash: &str,
    vin: &str,
) -> Result<InsertOutcome, StoreError> {
    bundle.source = hash.to_string();
    let active = state.rules.snapshot();
    let report = otadiag_engine::analyze(&active.rules, &bundle, state.mode);
    let up = NewUpload {
        content_hash: hash.to_string(),
        vin: vin.to_string(),
        campaign: bundle.manifest.campaign.clone(),
        task: bundle.manifest.task.clone(),
        received_at: crate::time::now_ms(),
        body: bytes.to_vec(),
        verdict: new_verdict(&report, &active.rules.revision)?,
    };
    state.store.insert_upload(&up)
}

/// Analyses and stores one bundle under its manifest's VIN; `false` when the store already has
/// it (same content hash: nothing is analysed or written). No vehicle token is issued or
/// replaced: seeded vehicles do not upload.
pub fn seed(state: &AppState, bytes: &[u8]) -> anyhow::Result<bool> {
    let hash = content_hash(bytes);
    if state.store.find_bundle(&hash)?.is_some() {
        return Ok(false);
    }
    let bundle = otadiag_model::read_bundle_bytes("seed", bytes).context("seed bundle")?;
    let vin = bundle.manifest.vin.clone();
    let outcome = analyse_and_insert(state, bundle, bytes, &hash, &vin)?;
    Ok(matches!(outcome, InsertOutcome::Inserted(_)))
}
