//! Provisioning: scoped, expiring, one-time credentials and just-in-time registration.
//!
//! # Provisioning tokens
//!
//! A [`Token`] is a CWT (RFC 8392) claims set in a COSE_Sign1 (RFC 9052) signed by the
//! provisioning service's key through `iot-cose`:
//!
//! | claim | key | |
//! |---|---|---|
//! | iss | 1 | who issued it |
//! | sub | 2 | the device serial it is for (absent: any device of a registered manufacturer) |
//! | aud | 3 | the service that accepts it |
//! | exp | 4 | expiry (seconds since the epoch) |
//! | nbf | 5 | not before |
//! | iat | 6 | issued at |
//! | cti | 7 | 16-byte token id: one-time use and revocation |
//! | scope | 9 | space-separated operations it allows (RFC 9200), e.g. `register` |
//!
//! Any other claim is refused (a claim this crate does not know could restrict the token, and
//! ignoring it would widen it). Verification ([`Token::verify`]) needs no allocator, so a device
//! can check a token too.
//!
//! # Just-in-time registration
//!
//! [`Registrar`] (feature `alloc`) is the cloud side of zero-touch onboarding: a device presents
//! its IDevID chain and a CSR for its operational identity; the registrar validates the chain
//! under the DevID profile to one of the registered manufacturer CAs, checks possession of the
//! IDevID key (a TLS client authentication the caller performed, or a CSR signed with the IDevID
//! key itself), checks the CSR names the same device serial, consumes the provisioning token if
//! tokens are required, records the device and issues its LDevID from its operational CA.
//! A token is used once; once a device is onboarded, every other token for it is refused too.

use iot_cose::cbor::{Decoder, Type};
use iot_cose::{CoseSign1, VerifiedSign1};

use crate::cert::{KeyAlgorithm, PublicKeyInfo};
use crate::{Error, Result, Time};

/// The most claims a token may carry.
const MAX_CLAIMS: u64 = 8;

/// A verification key for COSE messages signed by a device or a service: P-256 (ES256) or
/// Ed25519 (EdDSA), from a certificate's public key or given directly.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum VerifyKey {
    /// ECDSA P-256 with SHA-256 (ES256).
    #[cfg(feature = "p256")]
    P256(iot_cose::p256::ecdsa::VerifyingKey),
    /// Ed25519 (EdDSA).
    #[cfg(feature = "ed25519")]
    Ed25519(iot_cose::ed25519_dalek::VerifyingKey),
}

impl VerifyKey {
    /// The key of a certificate or CSR.
    ///
    /// # Errors
    /// [`Error::UnsupportedAlgorithm`] for other key types (or a disabled feature),
    /// [`Error::Malformed`] for a bad point.
    pub fn from_public_key(key: &PublicKeyInfo<'_>) -> Result<Self> {
        match key.algorithm {
            #[cfg(feature = "p256")]
            KeyAlgorithm::EcP256 => iot_cose::p256::ecdsa::VerifyingKey::from_sec1_bytes(key.key)
                .map(Self::P256)
                .map_err(|_| Error::Malformed("P-256 public key")),
            #[cfg(feature = "ed25519")]
            KeyAlgorithm::Ed25519 => {
                let raw: &[u8; 32] = key.key.try_into().map_err(|_| Error::Malformed("Ed25519 public key"))?;
                iot_cose::ed25519_dalek::VerifyingKey::from_bytes(raw)
                    .map(Self::Ed25519)
                    .map_err(|_| Error::Malformed("Ed25519 public key"))
            }
            _ => Err(Error::UnsupportedAlgorithm),
        }
    }

    /// Decodes and verifies a COSE_Sign1 with this key (no external AAD).
    ///
    /// # Errors
    /// [`Error::Cose`] for a malformed message, a wrong algorithm or a bad signature.
    pub fn verify_sign1<'m>(&self, message: &'m [u8]) -> Result<VerifiedSign1<'m>> {
        let msg = CoseSign1::decode(message)?;
        let verified = match self {
            #[cfg(feature = "p256")]
            Self::P256(k) => msg.verify(k, &[])?,
            #[cfg(feature = "ed25519")]
            Self::Ed25519(k) => msg.verify(k, &[])?,
        };
        Ok(verified)
    }
}

/// The claims of a provisioning token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Token<'a> {
    /// iss: the issuing service.
    pub issuer: &'a str,
    /// sub: the device serial number it is for; `None` for any device.
    pub subject: Option<&'a str>,
    /// aud: the service that accepts it.
    pub audience: &'a str,
    /// exp.
    pub expires: Time,
    /// nbf.
    pub not_before: Time,
    /// iat.
    pub issued_at: Time,
    /// cti: the token id.
    pub id: [u8; 16],
    /// scope: space-separated operations.
    pub scope: &'a str,
}

impl<'a> Token<'a> {
    /// Claims for a token valid from `now` for `lifetime_secs`.
    #[must_use]
    pub fn new(
        issuer: &'a str,
        audience: &'a str,
        scope: &'a str,
        id: [u8; 16],
        now: Time,
        lifetime_secs: i64,
    ) -> Self {
        Self {
            issuer,
            subject: None,
            audience,
            expires: Time(now.0.saturating_add(lifetime_secs)),
            not_before: now,
            issued_at: now,
            id,
            scope,
        }
    }

    /// Restricts the token to one device serial number.
    #[must_use]
    pub fn for_device(mut self, serial: &'a str) -> Self {
        self.subject = Some(serial);
        self
    }

    /// Whether `operation` is one of the scope's space-separated entries.
    #[must_use]
    pub fn allows(&self, operation: &str) -> bool {
        self.scope.split(' ').any(|s| s == operation)
    }

    /// Checks the signature with `key`, decodes the claims and checks audience and time.
    ///
    /// # Errors
    /// [`Error::Cose`] for a bad message or signature, [`Error::Malformed`] for bad claims
    /// (unknown, duplicate or missing ones included), [`Error::WrongBinding`] for another
    /// audience, [`Error::NotYetValid`] / [`Error::Expired`].
    pub fn verify(token: &'a [u8], key: &VerifyKey, audience: &str, now: Time) -> Result<Self> {
        let verified = key.verify_sign1(token)?;
        let claims = Self::decode(verified.payload().ok_or(Error::Malformed("token: detached payload"))?)?;
        if claims.audience != audience {
            return Err(Error::WrongBinding("token for another audience"));
        }
        if now < claims.not_before {
            return Err(Error::NotYetValid);
        }
        if now >= claims.expires {
            return Err(Error::Expired);
        }
        Ok(claims)
    }

    /// Decodes a claims set (no signature check: use [`Token::verify`]).
    ///
    /// # Errors
    /// [`Error::Malformed`] / [`Error::Cose`] as in [`Token::verify`].
    pub fn decode(payload: &'a [u8]) -> Result<Self> {
        let mut d = Decoder::new(payload);
        let n = d.map().map_err(iot_cose::Error::from)?;
        if n > MAX_CLAIMS {
            return Err(Error::LimitExceeded("token claims"));
        }
        let mut seen = 0u16;
        let (mut iss, mut sub, mut aud, mut exp, mut nbf, mut iat, mut cti, mut scope) =
            (None, None, None, None, None, None, None, None);
        for _ in 0..n {
            if d.peek_type().map_err(iot_cose::Error::from)? != Type::UInt {
                return Err(Error::Malformed("token: unknown claim"));
            }
            let key = d.uint().map_err(iot_cose::Error::from)?;
            let bit = match key {
                1..=7 | 9 => 1u16 << key,
                _ => return Err(Error::Malformed("token: unknown claim")),
            };
            if seen & bit != 0 {
                return Err(Error::Malformed("token: duplicate claim"));
            }
            seen |= bit;
            match key {
                1 => iss = Some(d.str().map_err(iot_cose::Error::from)?),
                2 => sub = Some(d.str().map_err(iot_cose::Error::from)?),
                3 => aud = Some(d.str().map_err(iot_cose::Error::from)?),
                4 => exp = Some(Time(d.int().map_err(iot_cose::Error::from)?)),
                5 => nbf = Some(Time(d.int().map_err(iot_cose::Error::from)?)),
                6 => iat = Some(Time(d.int().map_err(iot_cose::Error::from)?)),
                7 => {
                    let id = d.bytes().map_err(iot_cose::Error::from)?;
                    cti = Some(<[u8; 16]>::try_from(id).map_err(|_| Error::Malformed("token: cti is not 16 bytes"))?);
                }
                _ => scope = Some(d.str().map_err(iot_cose::Error::from)?),
            }
        }
        d.finish().map_err(iot_cose::Error::from)?;
        let missing = |what| Error::Malformed(what);
        let token = Self {
            issuer: iss.ok_or(missing("token: iss missing"))?,
            subject: sub,
            audience: aud.ok_or(missing("token: aud missing"))?,
            expires: exp.ok_or(missing("token: exp missing"))?,
            not_before: nbf.ok_or(missing("token: nbf missing"))?,
            issued_at: iat.ok_or(missing("token: iat missing"))?,
            id: cti.ok_or(missing("token: cti missing"))?,
            scope: scope.ok_or(missing("token: scope missing"))?,
        };
        if token.expires <= token.not_before {
            return Err(Error::InvalidValidity);
        }
        Ok(token)
    }

    /// Encodes the claims (deterministic CBOR: keys ascending, shortest forms).
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`].
    pub fn encode<W: iot_cose::cbor::Write>(&self, w: W) -> Result<()> {
        let mut e = iot_cose::cbor::Encoder::new(w);
        let n = if self.subject.is_some() { 8 } else { 7 };
        let r = (|| {
            e.map(n)?.uint(1)?.str(self.issuer)?;
            if let Some(s) = self.subject {
                e.uint(2)?.str(s)?;
            }
            e.uint(3)?.str(self.audience)?;
            e.uint(4)?.int(self.expires.0)?.uint(5)?.int(self.not_before.0)?.uint(6)?.int(self.issued_at.0)?;
            e.uint(7)?.bytes(&self.id)?.uint(9)?.str(self.scope)?;
            Ok::<(), iot_cose::cbor::BufferTooSmall>(())
        })();
        r.map_err(|_| Error::BufferTooSmall)
    }

    /// Signs the token with the service's key: a COSE_Sign1 (tag 18) over the claims.
    ///
    /// # Errors
    /// [`Error::Cose`] when the signer fails.
    #[cfg(feature = "alloc")]
    pub fn sign<S: iot_cose::CoseSigner + ?Sized>(&self, signer: &S) -> Result<alloc::vec::Vec<u8>> {
        let mut payload = alloc::vec::Vec::new();
        self.encode(&mut payload)?;
        Ok(iot_cose::Sign1Builder::new(&payload).sign(signer)?)
    }
}

#[cfg(feature = "alloc")]
pub use registrar::{DeviceRecord, Possession, Registrar, Registration};

#[cfg(feature = "alloc")]
mod registrar {
    use alloc::collections::{BTreeMap, BTreeSet};
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;

    use super::{Token, VerifyKey};
    use crate::ca::Ca;
    use crate::policy::spki_sha256;
    use crate::sig::Signer;
    use crate::{Certificate, Csr, Error, Options, Profile, Result, Time, validate};

    /// How the registrar knows the requester holds the IDevID private key.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum Possession {
        /// The caller authenticated the request's TLS connection with the chain's leaf
        /// certificate (mutual TLS, as AWS JITR and Azure DPS do).
        TlsClientAuth,
        /// No TLS binding: the CSR must be for the IDevID key itself, so that its signature
        /// proves possession.
        CsrSignedByDevId,
    }

    /// What a device presents to register.
    #[derive(Debug, Clone, Copy)]
    #[non_exhaustive]
    pub struct Registration<'r> {
        /// The IDevID certificate and its intermediates (DER, leaf first).
        pub chain: &'r [&'r [u8]],
        /// The PKCS#10 request for the operational identity (LDevID).
        pub csr: &'r [u8],
        /// The provisioning token, when the registrar requires one.
        pub token: Option<&'r [u8]>,
        /// How possession of the IDevID key was shown.
        pub possession: Possession,
    }

    impl<'r> Registration<'r> {
        /// A registration request.
        #[must_use]
        pub const fn new(chain: &'r [&'r [u8]], csr: &'r [u8], possession: Possession) -> Self {
            Self { chain, csr, token: None, possession }
        }

        /// With a provisioning token.
        #[must_use]
        pub const fn with_token(mut self, token: &'r [u8]) -> Self {
            self.token = Some(token);
            self
        }
    }

    /// A registered device.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[non_exhaustive]
    pub struct DeviceRecord {
        /// The device serial number (IDevID subject serialNumber).
        pub serial: String,
        /// SHA-256 of the IDevID SubjectPublicKeyInfo.
        pub idevid_key: [u8; 32],
        /// Which registered manufacturer CA the IDevID chains to (index in registration order).
        pub manufacturer: usize,
        /// The LDevID certificate issued (DER).
        pub ldevid: Vec<u8>,
        /// When it was registered.
        pub registered_at: Time,
        /// The provisioning token consumed, if any.
        pub token: Option<[u8; 16]>,
    }

    /// The cloud side of just-in-time registration (see the [module docs](super)).
    #[derive(Debug)]
    pub struct Registrar<S> {
        ca: Ca<S>,
        manufacturers: Vec<Vec<u8>>,
        token_key: Option<VerifyKey>,
        audience: String,
        used_tokens: BTreeSet<[u8; 16]>,
        revoked_tokens: BTreeSet<[u8; 16]>,
        devices: BTreeMap<String, DeviceRecord>,
        ldevid_lifetime: i64,
    }

    impl<S: Signer> Registrar<S> {
        /// A registrar that issues LDevIDs from `ca` (valid for `ldevid_lifetime_secs`) and
        /// accepts tokens addressed to `audience`.
        #[must_use]
        pub fn new(ca: Ca<S>, audience: &str, ldevid_lifetime_secs: i64) -> Self {
            Self {
                ca,
                manufacturers: Vec::new(),
                token_key: None,
                audience: audience.to_string(),
                used_tokens: BTreeSet::new(),
                revoked_tokens: BTreeSet::new(),
                devices: BTreeMap::new(),
                ldevid_lifetime: ldevid_lifetime_secs,
            }
        }

        /// Registers a manufacturer CA (DER) whose devices may register; returns its index.
        ///
        /// # Errors
        /// [`Error::Der`] / [`Error::Malformed`] for a bad certificate, [`Error::IssuerNotCa`].
        pub fn add_manufacturer(&mut self, ca_der: &[u8]) -> Result<usize> {
            if !Certificate::from_der(ca_der)?.is_ca() {
                return Err(Error::IssuerNotCa);
            }
            self.manufacturers.push(ca_der.to_vec());
            Ok(self.manufacturers.len().saturating_sub(1))
        }

        /// Requires a provisioning token signed by `key` for every registration.
        pub fn require_tokens(&mut self, key: VerifyKey) {
            self.token_key = Some(key);
        }

        /// Revokes a token id at once (a leaked token, a cancelled order).
        pub fn revoke_token(&mut self, id: [u8; 16]) {
            self.revoked_tokens.insert(id);
        }

        /// The record of a registered device.
        #[must_use]
        pub fn device(&self, serial: &str) -> Option<&DeviceRecord> {
            self.devices.get(serial)
        }

        /// The operational CA.
        #[must_use]
        pub fn ca(&self) -> &Ca<S> {
            &self.ca
        }

        /// Registers a device at `now` and issues its LDevID.
        ///
        /// # Errors
        /// Any path-validation error of the IDevID chain (under [`Profile::DevId`]);
        /// [`Error::Profile`] when the IDevID has no serialNumber; for tokens
        /// [`Error::Malformed`] when one is required and missing, [`Error::Cose`],
        /// [`Error::Expired`], [`Error::NotYetValid`], [`Error::WrongBinding`] (audience,
        /// scope without `register`, another device) and [`Error::NotUsable`] (used or revoked);
        /// [`Error::BadSignature`] for the CSR's proof of possession, [`Error::WrongBinding`] when
        /// the CSR names another serial or (with [`Possession::CsrSignedByDevId`]) another key;
        /// [`Error::NotUsable`] when the device is already onboarded, [`Error::WrongBinding`]
        /// when its serial is registered with another IDevID key (a clone).
        pub fn register(&mut self, req: &Registration<'_>, now: Time) -> Result<&DeviceRecord> {
            let (leaf_der, rest) = req.chain.split_first().ok_or(Error::Malformed("empty chain"))?;
            let leaf = Certificate::from_der(leaf_der)?;
            let inters = rest.iter().map(|d| Certificate::from_der(d)).collect::<Result<Vec<_>>>()?;
            let anchors = self.manufacturers.iter().map(|d| Certificate::from_der(d)).collect::<Result<Vec<_>>>()?;
            let path = validate(&leaf, &inters, &anchors, &Options::new(now, Profile::DevId))?;
            let serial = leaf
                .subject
                .serial_number()
                .ok_or(Error::Profile { profile: "devid", rule: "the subject must carry serialNumber" })?;
            let idevid_key = spki_sha256(&leaf);
            if let Some(existing) = self.devices.get(serial) {
                return Err(if existing.idevid_key == idevid_key {
                    Error::NotUsable("device already onboarded")
                } else {
                    Error::WrongBinding("serial registered with another IDevID key")
                });
            }

            let token_id = match &self.token_key {
                None => None,
                Some(key) => {
                    let raw = req.token.ok_or(Error::Malformed("provisioning token required"))?;
                    let token = Token::verify(raw, key, &self.audience, now)?;
                    if !token.allows("register") {
                        return Err(Error::WrongBinding("token scope does not allow register"));
                    }
                    if token.subject.is_some_and(|s| s != serial) {
                        return Err(Error::WrongBinding("token for another device"));
                    }
                    if self.revoked_tokens.contains(&token.id) {
                        return Err(Error::NotUsable("token revoked"));
                    }
                    if self.used_tokens.contains(&token.id) {
                        return Err(Error::NotUsable("token already used"));
                    }
                    Some(token.id)
                }
            };

            let csr = Csr::from_der(req.csr)?;
            csr.verify()?;
            if csr.subject.serial_number() != Some(serial) {
                return Err(Error::WrongBinding("csr names another serial number"));
            }
            if req.possession == Possession::CsrSignedByDevId && csr.public_key.raw != leaf.public_key.raw {
                return Err(Error::WrongBinding("csr key is not the IDevID key"));
            }
            let ldevid = self.ca.issue_devid(req.csr, now, Time(now.0.saturating_add(self.ldevid_lifetime)))?;
            if let Some(id) = token_id {
                self.used_tokens.insert(id);
            }
            let record = DeviceRecord {
                serial: serial.to_string(),
                idevid_key,
                manufacturer: path.anchor,
                ldevid,
                registered_at: now,
                token: token_id,
            };
            Ok(self.devices.entry(record.serial.clone()).or_insert(record))
        }
    }
}
