//! The device entry points measured by the probe.

use core::hint::black_box;
use iot_cose::{CoseMac0, CoseSign1, HmacKey};

/// COSE_Sign1 ES256: decode the message and the SEC1 key, verify (Sig_structure streamed).
#[unsafe(no_mangle)]
pub fn cose_sign1_verify_es256(msg: &[u8], sec1_key: &[u8], aad: &[u8]) -> bool {
    let Ok(key) = p256::ecdsa::VerifyingKey::from_sec1_bytes(black_box(sec1_key)) else { return false };
    CoseSign1::decode(black_box(msg)).and_then(|m| m.verify(&key, aad)).is_ok()
}

/// COSE_Sign1 EdDSA (Ed25519).
#[unsafe(no_mangle)]
pub fn cose_sign1_verify_eddsa(msg: &[u8], key: &[u8; 32], aad: &[u8]) -> bool {
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(black_box(key)) else { return false };
    CoseSign1::decode(black_box(msg)).and_then(|m| m.verify(&key, aad)).is_ok()
}

/// COSE_Mac0 with HMAC-SHA-256 (256/256 and 256/64).
#[unsafe(no_mangle)]
pub fn cose_mac0_verify(msg: &[u8], key: &[u8], aad: &[u8]) -> bool {
    CoseMac0::decode(black_box(msg)).and_then(|m| m.verify(&HmacKey::new(black_box(key)), aad)).is_ok()
}

/// Floor for ES256: p256 verify of a message (SHA-256 inside) from a SEC1 key and r||s.
#[unsafe(no_mangle)]
pub fn baseline_p256_verify(msg: &[u8], sec1_key: &[u8], sig: &[u8]) -> bool {
    use signature::Verifier as _;
    let Ok(key) = p256::ecdsa::VerifyingKey::from_sec1_bytes(black_box(sec1_key)) else { return false };
    let Ok(sig) = p256::ecdsa::Signature::from_slice(black_box(sig)) else { return false };
    key.verify(black_box(msg), &sig).is_ok()
}

/// Floor for EdDSA: ed25519-dalek verify.
#[unsafe(no_mangle)]
pub fn baseline_ed25519_verify(msg: &[u8], key: &[u8; 32], sig: &[u8; 64]) -> bool {
    use signature::Verifier as _;
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(black_box(key)) else { return false };
    key.verify(black_box(msg), &ed25519_dalek::Signature::from_bytes(black_box(sig))).is_ok()
}

/// Floor for Mac0: HMAC-SHA-256 over a message, compared in constant time.
#[unsafe(no_mangle)]
pub fn baseline_hmac_sha256(msg: &[u8], key: &[u8], tag: &[u8]) -> bool {
    use hmac::{KeyInit as _, Mac as _};
    let Ok(mut m) = hmac::Hmac::<sha2::Sha256>::new_from_slice(black_box(key)) else { return false };
    m.update(black_box(msg));
    m.verify_slice(black_box(tag)).is_ok()
}
