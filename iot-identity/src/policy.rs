//! Operational policy around a validated identity: a deny list that revokes at once, server-key
//! pinning, and when a certificate must be renewed (and what an expired one may still do).

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::cert::Certificate;
use crate::error::{Error, Result};
use crate::time::Time;

/// SHA-256 of a certificate's DER SubjectPublicKeyInfo: the value SPKI pins and key deny-list
/// entries hold (as in HPKP and most pinning libraries).
#[must_use]
pub fn spki_sha256(cert: &Certificate<'_>) -> [u8; 32] {
    Sha256::digest(cert.public_key.raw).into()
}

/// A set of pinned server keys (SHA-256 of the SPKI).
///
/// Call [`PinSet::check`] on the end-entity certificate (or any certificate of the validated path)
/// from a rustls `ServerCertVerifier` after the chain itself verified.
#[derive(Debug, Clone, Copy)]
pub struct PinSet<'p> {
    pins: &'p [[u8; 32]],
}

impl<'p> PinSet<'p> {
    /// Pins on these SPKI digests.
    #[must_use]
    pub const fn new(pins: &'p [[u8; 32]]) -> Self {
        Self { pins }
    }

    /// Whether `cert`'s key is pinned (each pin compared in constant time).
    ///
    /// # Errors
    /// [`Error::WrongBinding`] when it is not.
    pub fn check(&self, cert: &Certificate<'_>) -> Result<()> {
        let digest = spki_sha256(cert);
        let mut hit = subtle::Choice::from(0);
        for pin in self.pins {
            hit |= pin.ct_eq(&digest);
        }
        if bool::from(hit) { Ok(()) } else { Err(Error::WrongBinding("server key is not pinned")) }
    }

    /// Whether any certificate of `chain` (leaf first) has a pinned key.
    ///
    /// # Errors
    /// [`Error::WrongBinding`] when none has.
    pub fn check_any(&self, chain: &[Certificate<'_>]) -> Result<()> {
        if chain.iter().any(|c| self.check(c).is_ok()) {
            Ok(())
        } else {
            Err(Error::WrongBinding("no key of the chain is pinned"))
        }
    }
}

/// A deny list of certificates (issuer + serial) and keys that takes effect for the next
/// validation, without waiting for a CRL. Plug it in with [`crate::Options::with_revocation`].
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, Default)]
pub struct DenyList {
    serials: alloc::collections::BTreeSet<([u8; 32], alloc::vec::Vec<u8>)>,
    keys: alloc::collections::BTreeSet<[u8; 32]>,
}

#[cfg(feature = "alloc")]
impl DenyList {
    /// An empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn issuer_id(cert: &Certificate<'_>) -> [u8; 32] {
        Sha256::digest(cert.issuer.raw).into()
    }

    /// Revokes `cert` (by issuer name and serial number).
    pub fn revoke(&mut self, cert: &Certificate<'_>) {
        self.serials.insert((Self::issuer_id(cert), cert.serial.to_vec()));
    }

    /// Revokes every certificate for the key with this SPKI digest ([`spki_sha256`]), for example
    /// a device key known to be extracted.
    pub fn revoke_key(&mut self, spki_sha256: [u8; 32]) {
        self.keys.insert(spki_sha256);
    }

    /// Lifts a revocation of `cert` (returns whether it was revoked).
    pub fn unrevoke(&mut self, cert: &Certificate<'_>) -> bool {
        self.serials.remove(&(Self::issuer_id(cert), cert.serial.to_vec()))
    }

    /// Whether `cert` or its key is on the list.
    #[must_use]
    pub fn is_revoked(&self, cert: &Certificate<'_>) -> bool {
        self.keys.contains(&spki_sha256(cert)) || self.serials.contains(&(Self::issuer_id(cert), cert.serial.to_vec()))
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.serials.len().saturating_add(self.keys.len())
    }

    /// Whether the list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(feature = "alloc")]
impl crate::path::RevocationCheck for DenyList {
    fn check(&self, cert: &Certificate<'_>, _issuer: &Certificate<'_>) -> Result<()> {
        if self.is_revoked(cert) { Err(Error::Revoked) } else { Ok(()) }
    }
}

/// Where a certificate stands in its lifetime under a [`RenewalPolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Renewal {
    /// Valid, and not yet due for renewal.
    Valid,
    /// Valid, but inside the renewal window: renew now (EST `simplereenroll`, a new CSR).
    RenewNow,
    /// Expired, inside the grace period: only critical operations (fetching an update,
    /// re-enrolling) may still use it.
    Grace,
    /// Expired beyond the grace period, or not yet valid: unusable.
    Unusable,
}

/// What an operation needs from the device identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// Ordinary use: telemetry, commands.
    Normal,
    /// Operations that must keep working so the device can recover: fetching an update,
    /// renewing its certificate.
    Critical,
}

/// When to renew a certificate and how long an expired one may still do critical work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RenewalPolicy {
    /// Renew when less than this many seconds of validity remain.
    pub window: i64,
    /// After notAfter, critical operations remain allowed for this many seconds.
    pub grace: i64,
}

impl RenewalPolicy {
    /// Renew `window` seconds before expiry; allow critical operations `grace` seconds after.
    #[must_use]
    pub const fn new(window: i64, grace: i64) -> Self {
        Self { window, grace }
    }

    /// Where `cert` stands at `now`. A certificate without expiry ([`Time::NO_EXPIRY`]) is never
    /// due for renewal.
    #[must_use]
    pub fn status(&self, cert: &Certificate<'_>, now: Time) -> Renewal {
        if now < cert.not_before {
            return Renewal::Unusable;
        }
        if cert.not_after == Time::NO_EXPIRY {
            return Renewal::Valid;
        }
        if now > cert.not_after {
            return if now <= cert.not_after.plus(self.grace) { Renewal::Grace } else { Renewal::Unusable };
        }
        if now >= cert.not_after.plus(self.window.saturating_neg()) { Renewal::RenewNow } else { Renewal::Valid }
    }

    /// Whether `op` may use `cert` at `now`.
    ///
    /// # Errors
    /// [`Error::Expired`] / [`Error::NotYetValid`] when it may not.
    pub fn allows(&self, cert: &Certificate<'_>, now: Time, op: Operation) -> Result<Renewal> {
        match (self.status(cert, now), op) {
            (Renewal::Unusable, _) if now < cert.not_before => Err(Error::NotYetValid),
            (Renewal::Unusable, _) | (Renewal::Grace, Operation::Normal) => Err(Error::Expired),
            (s, _) => Ok(s),
        }
    }
}
