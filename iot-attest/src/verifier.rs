//! The cloud verifier: finds the device's key, verifies, checks freshness.

use crate::error::{Error, Result};
use crate::token::{Evidence, Kind, Options, Verified};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use iot_cose::KeyMaterial;

/// How a token names its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyId<'a> {
    /// The COSE `kid` header.
    Kid(&'a [u8]),
    /// The `ueid` claim (PSA instance id): claim-based key identification.
    Ueid(&'a [u8]),
}

/// Where the verifier looks up attestation keys. A fleet keeps millions in a database; this
/// trait is the seam.
pub trait KeyStore {
    /// The key for `id`, if known.
    fn find(&self, id: KeyId<'_>) -> Option<KeyMaterial>;
}

/// One key for every token (tests, a single device, the CLI).
impl KeyStore for KeyMaterial {
    fn find(&self, _: KeyId<'_>) -> Option<KeyMaterial> {
        Some(self.clone())
    }
}

/// An in-memory key store indexed by kid and by ueid.
#[derive(Debug, Clone, Default)]
pub struct MemoryKeyStore {
    by_kid: BTreeMap<Vec<u8>, KeyMaterial>,
    by_ueid: BTreeMap<Vec<u8>, KeyMaterial>,
}

impl MemoryKeyStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key found by `kid`.
    pub fn insert_kid(&mut self, kid: &[u8], key: KeyMaterial) {
        self.by_kid.insert(kid.to_vec(), key);
    }

    /// Adds a key found by `ueid` / instance id.
    pub fn insert_ueid(&mut self, ueid: &[u8], key: KeyMaterial) {
        self.by_ueid.insert(ueid.to_vec(), key);
    }

    /// Removes every key of a device (revocation takes effect at once).
    pub fn revoke(&mut self, id: KeyId<'_>) {
        match id {
            KeyId::Kid(k) => self.by_kid.remove(k),
            KeyId::Ueid(u) => self.by_ueid.remove(u),
        };
    }
}

impl KeyStore for MemoryKeyStore {
    fn find(&self, id: KeyId<'_>) -> Option<KeyMaterial> {
        match id {
            KeyId::Kid(k) => self.by_kid.get(k).cloned(),
            KeyId::Ueid(u) => self.by_ueid.get(u).cloned(),
        }
    }
}

/// Decodes `token`, finds its key (by `kid`, then by `ueid`), verifies signature or MAC, claims
/// and the options. An untagged token is taken as COSE_Sign1 for a public key and COSE_Mac0 for
/// a symmetric one.
///
/// # Errors
/// [`Error::UnknownKey`] when no key is found; everything [`Evidence::verify_sign1`] returns.
pub fn verify<'t, K: KeyStore + ?Sized>(token: &'t [u8], keys: &K, opts: &Options<'t>) -> Result<Verified<'t>> {
    let probe = Evidence::decode_as(token, Some(Kind::Sign1))?;
    let key = probe
        .kid()
        .and_then(|k| keys.find(KeyId::Kid(k)))
        .or_else(|| probe.unverified_ueid().and_then(|u| keys.find(KeyId::Ueid(u))))
        .ok_or(Error::UnknownKey)?;
    let ev = if !probe.is_tagged() && matches!(key, KeyMaterial::Symmetric(_)) {
        Evidence::decode_as(token, Some(Kind::Mac0))?
    } else {
        probe
    };
    ev.verify_with_key(&key, opts)
}

/// [`verify`], then accepts the token's nonce once from `nonces` (any element of a nonce
/// array); a replayed, expired or never-issued nonce is refused.
///
/// # Errors
/// As [`verify`]; [`Error::MissingNonce`], [`Error::Stale`].
#[cfg(feature = "std")]
pub fn verify_fresh<'t, K: KeyStore + ?Sized, N: crate::NonceStore + ?Sized>(
    token: &'t [u8],
    keys: &K,
    nonces: &N,
    now: i64,
    opts: &Options<'t>,
) -> Result<Verified<'t>> {
    let v = verify(token, keys, &opts.now(now))?;
    let n = v.claims.nonce.ok_or(Error::MissingNonce)?;
    let mut last = Error::MissingNonce;
    for candidate in n.iter() {
        match nonces.consume(candidate, now) {
            Ok(()) => return Ok(v),
            Err(e) => last = e,
        }
    }
    Err(last)
}
