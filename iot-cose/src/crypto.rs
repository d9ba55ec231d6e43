//! The key traits: how a software key, a secure element, a TPM or an HSM plugs in.
//!
//! Verification and signing see the to-be-signed bytes as a list of slices (the Sig_structure is
//! never assembled in one buffer), which is what RustCrypto's `MultipartVerifier` and
//! `MultipartSigner` take.

use crate::alg::{Algorithm, CoseAlgorithm};
use core::fmt;
use core::marker::PhantomData;

/// A public key that checks COSE signatures of one algorithm family.
///
/// Implemented for `p256::ecdsa::VerifyingKey` and `ed25519_dalek::VerifyingKey`; wrap any other
/// RustCrypto `MultipartVerifier` in [`Multipart`], or implement this trait for your own backend.
pub trait CoseVerifier {
    /// The signature type, which fixes the accepted algorithm ids.
    type Signature: CoseAlgorithm;
    /// Checks `signature` over the concatenation of `msg`.
    ///
    /// # Errors
    /// An opaque error when the signature is not valid.
    fn verify_parts(&self, msg: &[&[u8]], signature: &Self::Signature) -> Result<(), signature::Error>;
}

/// A private key (or a handle to one in hardware) that makes COSE signatures.
///
/// Implemented for `p256::ecdsa::SigningKey` and `ed25519_dalek::SigningKey`. A secure element that
/// signs digests plugs in through [`Prehashed`]; any RustCrypto `MultipartSigner` through
/// [`Multipart`]; with `alloc`, any plain `signature::Signer` through [`Contiguous`].
pub trait CoseSigner {
    /// The signature type, which fixes the algorithm.
    type Signature: CoseAlgorithm;
    /// Signs the concatenation of `msg`. Never panics: hardware failures come back as errors.
    ///
    /// # Errors
    /// The key or device failed to sign.
    fn try_sign_parts(&self, msg: &[&[u8]]) -> Result<Self::Signature, signature::Error>;
    /// The `alg` value to put in the protected header; must be one of
    /// `Self::Signature::ACCEPTS`. Defaults to `Self::Signature::ALG`.
    fn algorithm(&self) -> Algorithm {
        Self::Signature::ALG
    }
}

impl<T: CoseVerifier + ?Sized> CoseVerifier for &T {
    type Signature = T::Signature;
    fn verify_parts(&self, msg: &[&[u8]], signature: &Self::Signature) -> Result<(), signature::Error> {
        (**self).verify_parts(msg, signature)
    }
}

impl<T: CoseSigner + ?Sized> CoseSigner for &T {
    type Signature = T::Signature;
    fn try_sign_parts(&self, msg: &[&[u8]]) -> Result<Self::Signature, signature::Error> {
        (**self).try_sign_parts(msg)
    }
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }
}

/// Adapter: any RustCrypto `MultipartVerifier<S>` / `MultipartSigner<S>` as a COSE key.
pub struct Multipart<K, S> {
    key: K,
    _sig: PhantomData<fn() -> S>,
}

impl<K, S> Multipart<K, S> {
    /// Wraps `key`.
    #[must_use]
    pub fn new(key: K) -> Self {
        Self { key, _sig: PhantomData }
    }
    /// The wrapped key.
    #[must_use]
    pub fn inner(&self) -> &K {
        &self.key
    }
}

impl<K, S> fmt::Debug for Multipart<K, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Multipart(..)")
    }
}

impl<K: signature::MultipartVerifier<S>, S: CoseAlgorithm> CoseVerifier for Multipart<K, S> {
    type Signature = S;
    fn verify_parts(&self, msg: &[&[u8]], signature: &S) -> Result<(), signature::Error> {
        self.key.multipart_verify(msg, signature)
    }
}

impl<K: signature::MultipartSigner<S>, S: CoseAlgorithm> CoseSigner for Multipart<K, S> {
    type Signature = S;
    fn try_sign_parts(&self, msg: &[&[u8]]) -> Result<S, signature::Error> {
        self.key.try_multipart_sign(msg)
    }
}

/// Adapter: any plain `signature::Signer<S>` (for example an HSM or KMS client) as a COSE signer.
/// The to-be-signed bytes are joined into one buffer first, hence `alloc`.
#[cfg(feature = "alloc")]
pub struct Contiguous<K, S> {
    key: K,
    _sig: PhantomData<fn() -> S>,
}

#[cfg(feature = "alloc")]
impl<K, S> Contiguous<K, S> {
    /// Wraps `key`.
    #[must_use]
    pub fn new(key: K) -> Self {
        Self { key, _sig: PhantomData }
    }
}

#[cfg(feature = "alloc")]
impl<K, S> fmt::Debug for Contiguous<K, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Contiguous(..)")
    }
}

#[cfg(feature = "alloc")]
impl<K: signature::Signer<S>, S: CoseAlgorithm> CoseSigner for Contiguous<K, S> {
    type Signature = S;
    fn try_sign_parts(&self, msg: &[&[u8]]) -> Result<S, signature::Error> {
        self.key.try_sign(&msg.concat())
    }
}

/// Adapter for ES256 on a secure element that signs a SHA-256 digest: hashes the to-be-signed
/// bytes in software (streamed, no buffer) and hands the 32-byte digest to the device.
#[cfg(feature = "p256")]
pub struct Prehashed<T> {
    device: T,
}

#[cfg(feature = "p256")]
impl<T> Prehashed<T> {
    /// Wraps a digest signer.
    #[must_use]
    pub fn new(device: T) -> Self {
        Self { device }
    }
}

#[cfg(feature = "p256")]
impl<T> fmt::Debug for Prehashed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Prehashed(..)")
    }
}

#[cfg(feature = "p256")]
impl<T: signature::hazmat::PrehashSigner<p256::ecdsa::Signature>> CoseSigner for Prehashed<T> {
    type Signature = p256::ecdsa::Signature;
    fn try_sign_parts(&self, msg: &[&[u8]]) -> Result<Self::Signature, signature::Error> {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        for part in msg {
            h.update(part);
        }
        self.device.sign_prehash(&h.finalize())
    }
}

#[cfg(feature = "p256")]
impl CoseVerifier for p256::ecdsa::VerifyingKey {
    type Signature = p256::ecdsa::Signature;
    fn verify_parts(&self, msg: &[&[u8]], signature: &Self::Signature) -> Result<(), signature::Error> {
        signature::MultipartVerifier::multipart_verify(self, msg, signature)
    }
}

#[cfg(feature = "p256")]
impl CoseSigner for p256::ecdsa::SigningKey {
    type Signature = p256::ecdsa::Signature;
    fn try_sign_parts(&self, msg: &[&[u8]]) -> Result<Self::Signature, signature::Error> {
        signature::MultipartSigner::try_multipart_sign(self, msg)
    }
}

#[cfg(feature = "p384")]
impl CoseVerifier for p384::ecdsa::VerifyingKey {
    type Signature = p384::ecdsa::Signature;
    fn verify_parts(&self, msg: &[&[u8]], signature: &Self::Signature) -> Result<(), signature::Error> {
        signature::MultipartVerifier::multipart_verify(self, msg, signature)
    }
}

#[cfg(feature = "p384")]
impl CoseSigner for p384::ecdsa::SigningKey {
    type Signature = p384::ecdsa::Signature;
    fn try_sign_parts(&self, msg: &[&[u8]]) -> Result<Self::Signature, signature::Error> {
        signature::MultipartSigner::try_multipart_sign(self, msg)
    }
}

#[cfg(feature = "p521")]
impl CoseVerifier for p521::ecdsa::VerifyingKey {
    type Signature = p521::ecdsa::Signature;
    fn verify_parts(&self, msg: &[&[u8]], signature: &Self::Signature) -> Result<(), signature::Error> {
        signature::MultipartVerifier::multipart_verify(self, msg, signature)
    }
}

#[cfg(feature = "p521")]
impl CoseSigner for p521::ecdsa::SigningKey {
    type Signature = p521::ecdsa::Signature;
    fn try_sign_parts(&self, msg: &[&[u8]]) -> Result<Self::Signature, signature::Error> {
        signature::MultipartSigner::try_multipart_sign(self, msg)
    }
}

#[cfg(feature = "ed25519")]
impl CoseVerifier for ed25519_dalek::VerifyingKey {
    type Signature = ed25519::Signature;
    fn verify_parts(&self, msg: &[&[u8]], signature: &Self::Signature) -> Result<(), signature::Error> {
        // Small-order ("weak") keys are rejected where keys enter: `CoseKey::decode` and
        // `PublicKey::from_pem`. Checking here would cost a point compression on every verify.
        signature::MultipartVerifier::multipart_verify(self, msg, signature)
    }
}

#[cfg(feature = "ed25519")]
impl CoseSigner for ed25519_dalek::SigningKey {
    type Signature = ed25519::Signature;
    fn try_sign_parts(&self, msg: &[&[u8]]) -> Result<Self::Signature, signature::Error> {
        signature::MultipartSigner::try_multipart_sign(self, msg)
    }
}

/// A signer that writes another of the ids its signature type accepts, for example ESP256 (-9)
/// instead of ES256 (-7) for a P-256 key (RFC 9864 fully-specified algorithms).
#[derive(Debug, Clone, Copy)]
pub struct WithAlgorithm<S> {
    signer: S,
    alg: Algorithm,
}

impl<S: CoseSigner> WithAlgorithm<S> {
    /// Wraps `signer` to announce `alg`. Signing fails with an algorithm mismatch if `alg` is not one
    /// of `S::Signature::ACCEPTS`.
    pub fn new(signer: S, alg: Algorithm) -> Self {
        Self { signer, alg }
    }
}

impl<S: CoseSigner> CoseSigner for WithAlgorithm<S> {
    type Signature = S::Signature;
    fn try_sign_parts(&self, msg: &[&[u8]]) -> Result<Self::Signature, signature::Error> {
        self.signer.try_sign_parts(msg)
    }
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

/// A key that computes HMAC-SHA-256 for COSE_Mac0 (algorithms 4 and 5). Implement it for a
/// secure element that holds the key; [`HmacKey`] is the software version.
pub trait MacKey {
    /// HMAC-SHA-256 over the concatenation of `msg`.
    ///
    /// # Errors
    /// The key or device failed.
    fn hmac_sha256(&self, msg: &[&[u8]]) -> Result<[u8; 32], signature::Error>;
    /// HMAC-SHA-384 over the concatenation of `msg` (HMAC 384/384).
    ///
    /// # Errors
    /// The key or device failed; by default the key does not do SHA-384.
    fn hmac_sha384(&self, msg: &[&[u8]]) -> Result<[u8; 48], signature::Error> {
        let _ = msg;
        Err(signature::Error::new())
    }
    /// HMAC-SHA-512 over the concatenation of `msg` (HMAC 512/512).
    ///
    /// # Errors
    /// The key or device failed; by default the key does not do SHA-512.
    fn hmac_sha512(&self, msg: &[&[u8]]) -> Result<[u8; 64], signature::Error> {
        let _ = msg;
        Err(signature::Error::new())
    }
}

impl<T: MacKey + ?Sized> MacKey for &T {
    fn hmac_sha256(&self, msg: &[&[u8]]) -> Result<[u8; 32], signature::Error> {
        (**self).hmac_sha256(msg)
    }
    fn hmac_sha384(&self, msg: &[&[u8]]) -> Result<[u8; 48], signature::Error> {
        (**self).hmac_sha384(msg)
    }
    fn hmac_sha512(&self, msg: &[&[u8]]) -> Result<[u8; 64], signature::Error> {
        (**self).hmac_sha512(msg)
    }
}

/// The full HMAC of `alg` over `msg` into `out`; returns its length (before any truncation).
pub(crate) fn mac_full<K: MacKey + ?Sized>(
    key: &K,
    alg: Algorithm,
    msg: &[&[u8]],
    out: &mut [u8; 64],
) -> Result<usize, signature::Error> {
    let (tag, len): ([u8; 64], usize) = match alg {
        Algorithm::HMAC_384_384 => {
            let t = key.hmac_sha384(msg)?;
            let mut o = [0u8; 64];
            o.get_mut(..48).ok_or_else(signature::Error::new)?.copy_from_slice(&t);
            (o, 48)
        }
        Algorithm::HMAC_512_512 => (key.hmac_sha512(msg)?, 64),
        _ => {
            let t = key.hmac_sha256(msg)?;
            let mut o = [0u8; 64];
            o.get_mut(..32).ok_or_else(signature::Error::new)?.copy_from_slice(&t);
            (o, 32)
        }
    };
    *out = tag;
    Ok(len)
}

/// A borrowed HMAC key held in software. Its `Debug` output never shows the key.
#[derive(Clone, Copy)]
pub struct HmacKey<'k>(&'k [u8]);

impl<'k> HmacKey<'k> {
    /// Wraps key bytes (RFC 9053 section 3.1 recommends 32 bytes for HMAC 256).
    #[must_use]
    pub fn new(key: &'k [u8]) -> Self {
        Self(key)
    }
}

impl fmt::Debug for HmacKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HmacKey({} bytes, redacted)", self.0.len())
    }
}

/// HMAC with hash `$h` over the concatenation of `$msg` under `$key`, as a fixed-size array.
macro_rules! hmac_parts {
    ($h:ty, $key:expr, $msg:expr) => {{
        use hmac::{KeyInit as _, Mac as _};
        let mut m = hmac::Hmac::<$h>::new_from_slice($key).map_err(|_| signature::Error::new())?;
        for part in $msg {
            m.update(part);
        }
        Ok(m.finalize().into_bytes().into())
    }};
}

impl MacKey for HmacKey<'_> {
    fn hmac_sha256(&self, msg: &[&[u8]]) -> Result<[u8; 32], signature::Error> {
        hmac_parts!(sha2::Sha256, self.0, msg)
    }
    #[cfg(feature = "hmac-sha512")]
    fn hmac_sha384(&self, msg: &[&[u8]]) -> Result<[u8; 48], signature::Error> {
        hmac_parts!(sha2::Sha384, self.0, msg)
    }
    #[cfg(feature = "hmac-sha512")]
    fn hmac_sha512(&self, msg: &[&[u8]]) -> Result<[u8; 64], signature::Error> {
        hmac_parts!(sha2::Sha512, self.0, msg)
    }
}
