//! ES256 verification through aws-lc-rs (feature `aws-lc-rs`): assembly-backed P-256, for cloud
//! services that verify many messages.
//!
//! A Sig_structure of up to 512 bytes is gathered in a stack buffer and verified in one aws-lc call;
//! a longer one is streamed: hashed with aws-lc's SHA-256 and the digest verified with
//! `verify_digest_sig`, so no heap buffer ever holds the whole to-be-signed bytes. Parse the
//! key once and reuse it; parsing dominates a single verification.
//!
//! ```
//! # use iot_cose::{CoseSign1, Sign1Builder, aws_lc::Es256VerifyingKey};
//! let sk = iot_cose::p256::ecdsa::SigningKey::from_slice(&[7u8; 32])?;
//! let msg = Sign1Builder::new(b"telemetry").sign(&sk)?;
//! let fast = Es256VerifyingKey::from_p256(sk.verifying_key())?;
//! let verified = CoseSign1::decode(&msg)?.verify(&fast, b"")?;
//! assert_eq!(verified.payload(), Some(&b"telemetry"[..]));
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

use core::fmt;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};

use crate::crypto::CoseVerifier;
use crate::error::KeyError;

/// A parsed P-256 public key whose verification runs in aws-lc.
pub struct Es256VerifyingKey {
    key: ParsedPublicKey,
}

impl fmt::Debug for Es256VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Es256VerifyingKey(aws-lc)")
    }
}

impl Es256VerifyingKey {
    /// From an uncompressed or compressed SEC1 point.
    ///
    /// # Errors
    /// [`KeyError::InvalidKey`] if the point is not on the curve.
    pub fn from_sec1(point: &[u8]) -> Result<Self, KeyError> {
        ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).map(|key| Self { key }).map_err(|_| KeyError::InvalidKey)
    }

    /// From a RustCrypto P-256 key.
    ///
    /// # Errors
    /// [`KeyError::InvalidKey`] (cannot happen for a valid RustCrypto key).
    pub fn from_p256(key: &p256::ecdsa::VerifyingKey) -> Result<Self, KeyError> {
        Self::from_sec1(key.to_sec1_point(false).as_bytes())
    }
}

impl CoseVerifier for Es256VerifyingKey {
    type Signature = p256::ecdsa::Signature;
    fn verify_parts(&self, msg: &[&[u8]], signature: &Self::Signature) -> Result<(), signature::Error> {
        // Short to-be-signed bytes (SUIT digests, tokens, telemetry) are gathered on the stack and
        // verified in one aws-lc call, which saves the separate digest context's FFI round trips.
        let mut buf = [0u8; 512];
        let mut len = 0usize;
        let mut fits = true;
        for part in msg {
            match len.checked_add(part.len()).and_then(|end| buf.get_mut(len..end)) {
                Some(dst) => {
                    dst.copy_from_slice(part);
                    len = len.saturating_add(part.len());
                }
                None => {
                    fits = false;
                    break;
                }
            }
        }
        if fits {
            let tbs = buf.get(..len).unwrap_or_default();
            return self.key.verify_sig(tbs, &signature.to_bytes()).map_err(|_| signature::Error::new());
        }
        let mut ctx = digest::Context::new(&digest::SHA256);
        for part in msg {
            ctx.update(part);
        }
        let digest = ctx.finish();
        self.key.verify_digest_sig(&digest, &signature.to_bytes()).map_err(|_| signature::Error::new())
    }
}
