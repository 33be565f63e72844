//! Bearer tokens: per-vehicle upload tokens (stored only as SHA-256 hashes) and the admin token,
//! plus the function that registers a vehicle, usable from the CLI as well as the API.

use crate::store::{Store, StoreError};
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

/// Prefix of generated vehicle tokens, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "otv_";

/// The hex SHA-256 of a token, as stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token (256 bits from the OS).
pub fn new_token() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError(format!("no randomness: {e}")))?;
    Ok(format!("{TOKEN_PREFIX}{}", hex::encode(bytes)))
}

/// Whether a vehicle id is acceptable: 1–64 printable ASCII characters, no `/` or spaces.
pub fn valid_vehicle_id(vin: &str) -> bool {
    !vin.is_empty()
        && vin.len() <= 64
        && vin
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b'?' && b != b'#')
}

/// Registers `vin` (or rotates its token) and returns the new plain-text token, which is shown
/// exactly once; only its hash is stored. Blocking.
pub fn register_vehicle(store: &dyn Store, vin: &str) -> Result<String, StoreError> {
    if !valid_vehicle_id(vin) {
        return Err(StoreError(format!(
            "`{vin}` is not a valid vehicle id (1-64 printable ASCII characters, no / ? #)"
        )));
    }
    let token = new_token()?;
    store.put_vehicle(vin, &hash_token(&token), crate::time::now_ms())?;
    Ok(token)
}

/// The bearer token of a request, if it has one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = v.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
        Some(token.trim())
    } else {
        None
    }
}

/// Compares a presented token with the admin token by hash, so the comparison time does not
/// depend on how many leading characters match.
pub fn is_admin(headers: &HeaderMap, admin: Option<&str>) -> bool {
    match (bearer(headers), admin) {
        (Some(t), Some(a)) if !a.is_empty() => hash_token(t) == hash_token(a),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert("authorization", "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc"));
        assert!(is_admin(&h, Some("abc")));
        assert!(!is_admin(&h, Some("abd")));
        assert!(!is_admin(&h, None));
        h.insert("authorization", "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), None);
        assert!(valid_vehicle_id("LSVCASE0000000019"));
        assert!(!valid_vehicle_id("a/b"));
        assert!(!valid_vehicle_id(""));
    }
}
