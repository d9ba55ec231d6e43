//! Test-only helper that finds the public test vectors kept beside the checkout.
//!
//! Vectors live in `../shared/vectors/<area>/` (or `$IOT_VECTORS/<area>/`) and are never copied into
//! this repository. When they are absent a test skips with a printed reason, unless
//! `IOT_REQUIRE_VECTORS=1`, in which case it fails: CI sets that so vector tests cannot silently
//! pass by skipping.
#![allow(clippy::panic, clippy::expect_used, reason = "test helper: failing loudly is the point")]

use std::path::PathBuf;

/// The folder of one vector area (for example `"cose"`), or `None` after printing why it is
/// skipped.
///
/// # Panics
/// When the folder is missing and `IOT_REQUIRE_VECTORS=1`.
#[must_use]
pub fn area(name: &str) -> Option<PathBuf> {
    let root = std::env::var_os("IOT_VECTORS").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("..").join("shared").join("vectors")
    });
    let dir = root.join(name);
    if dir.is_dir() {
        return Some(dir);
    }
    let why = format!("test vectors not found at {}", dir.display());
    if std::env::var("IOT_REQUIRE_VECTORS").is_ok_and(|v| v == "1") {
        panic!("{why} and IOT_REQUIRE_VECTORS=1");
    }
    eprintln!("SKIPPED: {why} (set IOT_VECTORS or place ../shared/vectors beside the checkout)");
    None
}

/// Reads and parses a JSON file.
///
/// # Panics
/// When it cannot be read or parsed.
#[must_use]
pub fn json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decodes hex (any case).
///
/// # Panics
/// On invalid hex.
#[must_use]
pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}"))
}

/// Decodes unpadded base64url (the JWK encoding).
///
/// # Panics
/// On invalid input.
#[must_use]
pub fn b64url(s: &str) -> Vec<u8> {
    use base64ct::Encoding as _;
    base64ct::Base64UrlUnpadded::decode_vec(s).unwrap_or_else(|e| panic!("bad base64url {s:?}: {e}"))
}
