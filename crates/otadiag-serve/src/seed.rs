//! Fills the store with bundles without going through HTTP — the same analysis under the active
//! rule snapshot and the same single-transaction insert as `POST /api/v1/bundles` — so
//! `otadiag serve --demo N` opens on a populated fleet view.

use crate::api::view::new_verdict;
use crate::api::AppState;
use crate::store::{InsertOutcome, NewUpload};
use anyhow::Context;
use sha2::{Digest, Sha256};

/// Analyses and stores one bundle under its manifest's VIN; `false` when the store already has
/// it (same content hash: nothing is analysed or written). No vehicle token is issued or
/// replaced: seeded vehicles do not upload.
pub fn ingest(state: &AppState, bytes: &[u8]) -> anyhow::Result<bool> {
    let hash = format!("sha256:{}", hex::encode(Sha256::digest(bytes)));
    if state.store.find_bundle(&hash)?.is_some() {
        return Ok(false);
    }
    let mut bundle = otadiag_model::read_bundle_bytes("seed", bytes).context("seed bundle")?;
    bundle.source = hash.clone();
    let vin = bundle.manifest.vin.clone();
    let active = state.rules.snapshot();
    let report = otadiag_engine::analyze(&active.rules, &bundle, state.mode);
    let up = NewUpload {
        content_hash: hash,
        vin,
        campaign: bundle.manifest.campaign.clone(),
        task: bundle.manifest.task.clone(),
        received_at: crate::time::now_ms(),
        body: bytes.to_vec(),
        verdict: new_verdict(&report, &active.rules.revision)?,
    };
    Ok(matches!(
        state.store.insert_upload(&up)?,
        InsertOutcome::Inserted(_)
    ))
}
