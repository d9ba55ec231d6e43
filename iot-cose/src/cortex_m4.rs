//! ES256 on Cortex-M4 and Cortex-M33 with [P256-Cortex-M4](https://github.com/Emill/P256-Cortex-M4)
//! (assembly, through the `p256-cortex-m4` crate): the same COSE signer and verifier traits in about
//! 8 KB of flash for signing or verifying, where the portable RustCrypto `p256` takes about 26 KB.
//!
//! Built only for `thumbv7em-*` and `thumbv8m.main-*` targets (feature `p256-cortex-m4`; building the
//! assembly needs `arm-none-eabi-gcc`). SHA-256 runs in software over the to-be-signed parts; the
//! assembly signs or verifies the digest. Signing is randomized ECDSA: the [`SigningKey`] takes the
//! device's random number generator.

use core::cell::RefCell;

use sha2::{Digest as _, Sha256};

use crate::alg::{Algorithm, CoseAlgorithm};
use crate::crypto::{CoseSigner, CoseVerifier};

/// An ES256 signature (`r || s`) as the assembly reads and writes it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Es256Signature([u8; 64]);

impl core::fmt::Debug for Es256Signature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Es256Signature(..)")
    }
}

impl CoseAlgorithm for Es256Signature {
    const ALG: Algorithm = Algorithm::ES256;
    const ACCEPTS: &'static [Algorithm] = &[Algorithm::ES256, Algorithm::ESP256];
    const LEN: usize = 64;
    fn from_cose_bytes(bytes: &[u8]) -> Result<Self, signature::Error> {
        bytes.try_into().map(Self).map_err(|_| signature::Error::new())
    }
    fn write_cose_bytes(&self, out: &mut [u8]) {
        if let Some(dst) = out.get_mut(..64) {
            dst.copy_from_slice(&self.0);
        }
    }
}

fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// A P-256 public key verified by the assembly.
#[derive(Clone)]
pub struct VerifyingKey(p256_cortex_m4::PublicKey);

impl core::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("VerifyingKey(P-256)")
    }
}

impl VerifyingKey {
    /// From a SEC1 point (uncompressed or compressed).
    ///
    /// # Errors
    /// Not a point on P-256.
    pub fn from_sec1_bytes(bytes: &[u8]) -> Result<Self, signature::Error> {
        p256_cortex_m4::PublicKey::from_sec1_bytes(bytes).map(Self).map_err(|_| signature::Error::new())
    }
}

impl CoseVerifier for VerifyingKey {
    type Signature = Es256Signature;
    fn verify_parts(&self, msg: &[&[u8]], signature: &Es256Signature) -> Result<(), signature::Error> {
        let sig = p256_cortex_m4::Signature::from_untagged_bytes(&signature.0).map_err(|_| signature::Error::new())?;
        if self.0.verify_prehashed(&digest(msg), &sig) { Ok(()) } else { Err(signature::Error::new()) }
    }
}

/// A P-256 private key signing with the assembly, with the device's random number generator.
pub struct SigningKey<R> {
    key: p256_cortex_m4::SecretKey,
    rng: RefCell<R>,
}

impl<R> core::fmt::Debug for SigningKey<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SigningKey { .. }")
    }
}

impl<R: rand_core06::RngCore + rand_core06::CryptoRng> SigningKey<R> {
    /// From the 32-byte big-endian private scalar.
    ///
    /// # Errors
    /// Zero or not below the group order.
    pub fn from_bytes(scalar: &[u8; 32], rng: R) -> Result<Self, signature::Error> {
        let key = p256_cortex_m4::SecretKey::from_bytes(scalar).map_err(|_| signature::Error::new())?;
        Ok(Self { key, rng: RefCell::new(rng) })
    }

    /// The public key.
    #[must_use]
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.key.public_key())
    }
}

impl<R: rand_core06::RngCore + rand_core06::CryptoRng> CoseSigner for SigningKey<R> {
    type Signature = Es256Signature;
    fn try_sign_parts(&self, msg: &[&[u8]]) -> Result<Es256Signature, signature::Error> {
        let mut rng = self.rng.try_borrow_mut().map_err(|_| signature::Error::new())?;
        let sig = self.key.sign_prehashed(&digest(msg), &mut *rng);
        Ok(Es256Signature(sig.to_untagged_bytes()))
    }
}
