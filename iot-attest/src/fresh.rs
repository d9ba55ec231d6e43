//! Freshness: nonces issued by the verifier, accepted once, refused when replayed or expired.

use crate::error::{Error, Result};
use alloc::vec::Vec;
use std::collections::HashMap;
use std::sync::Mutex;

/// Where a verifier keeps the nonces it handed out.
///
/// A fleet-scale verifier backs this with a shared store (Redis, a database) so that any
/// instance can accept a nonce any other issued, and still only once.
pub trait NonceStore {
    /// Issues a fresh random nonce valid until `now + ttl` seconds.
    ///
    /// # Errors
    /// [`Error::Full`] when the store is full, [`Error::Invalid`] when the random source failed.
    fn issue(&self, now: i64, ttl: u64) -> Result<Vec<u8>>;

    /// Accepts `nonce` once: it must have been issued and not expired at `now`. A second
    /// call with the same nonce fails.
    ///
    /// # Errors
    /// [`Error::Stale`] when the nonce is unknown, used or expired.
    fn consume(&self, nonce: &[u8], now: i64) -> Result<()>;
}

/// An in-memory [`NonceStore`] for one verifier process, bounded in size.
#[derive(Debug)]
pub struct MemoryNonceStore {
    inner: Mutex<HashMap<Vec<u8>, i64>>,
    capacity: usize,
    len: usize,
}

impl MemoryNonceStore {
    /// A store holding at most `capacity` outstanding nonces; 32-byte nonces.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self { inner: Mutex::new(HashMap::new()), capacity, len: 32 }
    }

    /// Sets the nonce length (8 to 64; PSA tokens need 32, 48 or 64).
    #[must_use]
    pub fn with_nonce_len(mut self, len: usize) -> Self {
        self.len = len.clamp(8, 64);
        self
    }

    /// Registers a nonce made elsewhere (for example by a relying party), valid until `expires`.
    ///
    /// # Errors
    /// [`Error::Full`] when the store is full of nonces unexpired at `now`.
    pub fn insert(&self, nonce: &[u8], now: i64, expires: i64) -> Result<()> {
        let mut m = self.inner.lock().map_err(|_| Error::Stale("nonce store poisoned"))?;
        make_room(&mut m, self.capacity, now)?;
        m.insert(nonce.to_vec(), expires);
        Ok(())
    }

    /// How many nonces are outstanding (issued, not used; expired ones until the next purge).
    #[must_use]
    pub fn outstanding(&self) -> usize {
        self.inner.lock().map(|m| m.len()).unwrap_or(0)
    }
}

/// Drops expired nonces when the store is full; fails if it is still full.
fn make_room(m: &mut HashMap<Vec<u8>, i64>, capacity: usize, now: i64) -> Result<()> {
    if m.len() >= capacity {
        m.retain(|_, &mut exp| exp > now);
    }
    if m.len() >= capacity {
        return Err(Error::Full("nonce store"));
    }
    Ok(())
}

impl NonceStore for MemoryNonceStore {
    fn issue(&self, now: i64, ttl: u64) -> Result<Vec<u8>> {
        let mut nonce = alloc::vec![0u8; self.len];
        getrandom::fill(&mut nonce)
            .map_err(|_| Error::Invalid { what: "nonce", problem: "the random source failed" })?;
        let expires = now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX));
        let mut m = self.inner.lock().map_err(|_| Error::Stale("nonce store poisoned"))?;
        make_room(&mut m, self.capacity, now)?;
        m.insert(nonce.clone(), expires);
        Ok(nonce)
    }

    fn consume(&self, nonce: &[u8], now: i64) -> Result<()> {
        let mut m = self.inner.lock().map_err(|_| Error::Stale("nonce store poisoned"))?;
        match m.remove(nonce) {
            None => Err(Error::Stale("nonce unknown or already used")),
            Some(exp) if now >= exp => Err(Error::Stale("nonce expired")),
            Some(_) => Ok(()),
        }
    }
}
