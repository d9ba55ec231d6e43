//! Keys: COSE_Key (RFC 9052 section 7, RFC 9053 section 7) and PEM (SPKI / PKCS#8) import and
//! export for EC2 P-256, OKP Ed25519 and symmetric keys.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use zeroize::Zeroizing;

use crate::alg::Algorithm;
use crate::cbor::{Decoder, Encoder, Type};
use crate::crypto::MacKey;
use crate::error::KeyError;

/// COSE_Key parameter labels and values used here.
#[allow(dead_code, reason = "which values are used depends on the enabled curves")]
mod kl {
    pub(super) const KTY: i64 = 1;
    pub(super) const KID: i64 = 2;
    pub(super) const ALG: i64 = 3;
    pub(super) const CRV: i64 = -1;
    pub(super) const X: i64 = -2;
    pub(super) const Y: i64 = -3;
    pub(super) const D: i64 = -4;
    pub(super) const K: i64 = -1;
    pub(super) const KTY_OKP: i64 = 1;
    pub(super) const KTY_EC2: i64 = 2;
    pub(super) const KTY_SYMMETRIC: i64 = 4;
    pub(super) const CRV_P256: i64 = 1;
    #[cfg(feature = "p384")]
    pub(super) const CRV_P384: i64 = 2;
    #[cfg(feature = "p521")]
    pub(super) const CRV_P521: i64 = 3;
    pub(super) const CRV_ED25519: i64 = 6;
}

/// Most parameters a COSE_Key may have before it is rejected.
const MAX_KEY_PARAMS: u64 = 16;

/// A public key this crate can verify with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// ECDSA P-256 (ES256 / ESP256).
    #[cfg(feature = "p256")]
    P256(p256::ecdsa::VerifyingKey),
    /// ECDSA P-384 (ES384 / ESP384).
    #[cfg(feature = "p384")]
    P384(p384::ecdsa::VerifyingKey),
    /// ECDSA P-521 (ES512 / ESP512).
    #[cfg(feature = "p521")]
    P521(p521::ecdsa::VerifyingKey),
    /// Ed25519 (EdDSA / Ed25519).
    #[cfg(feature = "ed25519")]
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// A private key this crate can sign with. `Debug` never shows key material.
#[derive(Clone)]
#[non_exhaustive]
pub enum PrivateKey {
    /// ECDSA P-256.
    #[cfg(feature = "p256")]
    P256(p256::ecdsa::SigningKey),
    /// Ed25519.
    #[cfg(feature = "ed25519")]
    Ed25519(ed25519_dalek::SigningKey),
}

/// A symmetric key for HMAC. Zeroized on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct SymmetricKey(Zeroizing<Vec<u8>>);

/// What a COSE_Key holds.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum KeyMaterial {
    /// A public key.
    Public(PublicKey),
    /// A private key (the public part is derived from it).
    Private(PrivateKey),
    /// A symmetric key.
    Symmetric(SymmetricKey),
}

/// A decoded COSE_Key.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CoseKey {
    /// `kid`.
    pub kid: Option<Vec<u8>>,
    /// `alg`, when the key is restricted to one algorithm.
    pub alg: Option<Algorithm>,
    /// The key itself.
    pub material: KeyMaterial,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({}, public: {:?})", self.algorithm(), self.public_key())
    }
}

impl fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SymmetricKey({} bytes, redacted)", self.0.len())
    }
}

impl SymmetricKey {
    /// Wraps key bytes.
    #[must_use]
    pub fn new(bytes: &[u8]) -> Self {
        Self(Zeroizing::new(bytes.to_vec()))
    }

    /// The key bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Encodes as a COSE_Key (kty Symmetric).
    #[must_use]
    pub fn to_cose_key(&self, kid: Option<&[u8]>, alg: Option<Algorithm>) -> Zeroizing<Vec<u8>> {
        let mut v = Zeroizing::new(Vec::new());
        let n = 2usize.saturating_add(usize::from(kid.is_some())).saturating_add(usize::from(alg.is_some()));
        let mut e = Encoder::new(&mut *v);
        // Writing into a Vec cannot fail.
        let _ = e.map(n).and_then(|e| e.int(kl::KTY)?.int(kl::KTY_SYMMETRIC));
        write_kid_alg(&mut e, kid, alg);
        let _ = e.int(kl::K).and_then(|e| e.bytes(&self.0));
        v
    }
}

impl MacKey for SymmetricKey {
    fn hmac_sha256(&self, msg: &[&[u8]]) -> Result<[u8; 32], signature::Error> {
        crate::crypto::HmacKey::new(&self.0).hmac_sha256(msg)
    }
    #[cfg(feature = "hmac-sha512")]
    fn hmac_sha384(&self, msg: &[&[u8]]) -> Result<[u8; 48], signature::Error> {
        crate::crypto::HmacKey::new(&self.0).hmac_sha384(msg)
    }
    #[cfg(feature = "hmac-sha512")]
    fn hmac_sha512(&self, msg: &[&[u8]]) -> Result<[u8; 64], signature::Error> {
        crate::crypto::HmacKey::new(&self.0).hmac_sha512(msg)
    }
}

fn write_kid_alg(e: &mut Encoder<&mut Vec<u8>>, kid: Option<&[u8]>, alg: Option<Algorithm>) {
    if let Some(k) = kid {
        let _ = e.int(kl::KID).and_then(|e| e.bytes(k));
    }
    if let Some(a) = alg {
        let _ = e.int(kl::ALG).and_then(|e| e.int(a.0));
    }
}

impl PublicKey {
    /// The algorithm this key signs with by default (ES256 or EdDSA).
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        match self {
            #[cfg(feature = "p256")]
            Self::P256(_) => Algorithm::ES256,
            #[cfg(feature = "p384")]
            Self::P384(_) => Algorithm::ES384,
            #[cfg(feature = "p521")]
            Self::P521(_) => Algorithm::ES512,
            #[cfg(feature = "ed25519")]
            Self::Ed25519(_) => Algorithm::EDDSA,
        }
    }

    /// Whether `alg` is an algorithm this key verifies.
    #[must_use]
    pub fn accepts(&self, alg: Algorithm) -> bool {
        match self {
            #[cfg(feature = "p256")]
            Self::P256(_) => alg == Algorithm::ES256 || alg == Algorithm::ESP256,
            #[cfg(feature = "p384")]
            Self::P384(_) => alg == Algorithm::ES384 || alg == Algorithm::ESP384,
            #[cfg(feature = "p521")]
            Self::P521(_) => alg == Algorithm::ES512 || alg == Algorithm::ESP512,
            #[cfg(feature = "ed25519")]
            Self::Ed25519(_) => alg == Algorithm::EDDSA || alg == Algorithm::ED25519,
        }
    }

    /// Imports a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) for P-256 or Ed25519.
    ///
    /// # Errors
    /// [`KeyError::Pem`] if it is neither.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        #[cfg(feature = "p256")]
        {
            use p256::pkcs8::DecodePublicKey as _;
            if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_pem(pem) {
                return Ok(Self::P256(k));
            }
        }
        #[cfg(feature = "p384")]
        {
            use p384::pkcs8::DecodePublicKey as _;
            if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_pem(pem) {
                return Ok(Self::P384(k));
            }
        }
        #[cfg(feature = "p521")]
        {
            use p521::pkcs8::DecodePublicKey as _;
            if let Ok(k) = p521::ecdsa::VerifyingKey::from_public_key_pem(pem) {
                return Ok(Self::P521(k));
            }
        }
        #[cfg(feature = "ed25519")]
        {
            use ed25519_dalek::pkcs8::DecodePublicKey as _;
            if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
                // Small-order keys accept forgeries for any message; refuse them at import.
                return if k.is_weak() { Err(KeyError::InvalidKey) } else { Ok(Self::Ed25519(k)) };
            }
        }
        let _ = pem;
        Err(KeyError::Pem)
    }

    /// Exports as a PEM `PUBLIC KEY`.
    ///
    /// # Errors
    /// [`KeyError::Pem`] if encoding fails.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        match self {
            #[cfg(feature = "p256")]
            Self::P256(k) => {
                use p256::pkcs8::EncodePublicKey as _;
                k.to_public_key_pem(p256::pkcs8::LineEnding::LF).map_err(|_| KeyError::Pem)
            }
            #[cfg(feature = "p384")]
            Self::P384(k) => {
                use p384::pkcs8::EncodePublicKey as _;
                k.to_public_key_pem(p384::pkcs8::LineEnding::LF).map_err(|_| KeyError::Pem)
            }
            #[cfg(feature = "p521")]
            Self::P521(k) => {
                use p521::pkcs8::EncodePublicKey as _;
                k.to_public_key_pem(p521::pkcs8::LineEnding::LF).map_err(|_| KeyError::Pem)
            }
            #[cfg(feature = "ed25519")]
            Self::Ed25519(k) => {
                use ed25519_dalek::pkcs8::EncodePublicKey as _;
                k.to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF).map_err(|_| KeyError::Pem)
            }
        }
    }

    /// Encodes as a COSE_Key (EC2 with x and y, or OKP with x).
    #[must_use]
    pub fn to_cose_key(&self, kid: Option<&[u8]>) -> Vec<u8> {
        let mut v = Vec::new();
        encode_public(self, kid, None, &mut v);
        v
    }

    /// Verifies a COSE_Sign1 with this key, dispatching on the key type.
    ///
    /// # Errors
    /// As [`crate::CoseSign1::verify_with`].
    pub fn verify_sign1<'a>(
        &self,
        msg: &crate::CoseSign1<'a>,
        detached: Option<&[u8]>,
        external_aad: &[u8],
        opts: &crate::VerifyOptions<'_>,
    ) -> crate::Result<crate::VerifiedSign1<'a>> {
        match self {
            #[cfg(feature = "p256")]
            Self::P256(k) => msg.verify_with(k, detached, external_aad, opts),
            #[cfg(feature = "p384")]
            Self::P384(k) => msg.verify_with(k, detached, external_aad, opts),
            #[cfg(feature = "p521")]
            Self::P521(k) => msg.verify_with(k, detached, external_aad, opts),
            #[cfg(feature = "ed25519")]
            Self::Ed25519(k) => msg.verify_with(k, detached, external_aad, opts),
        }
    }
}

/// An EC2 public COSE_Key: kty, the optional kid, crv, x and y; `extra` counts the optional
/// entries (kid, and the private d the caller writes after).
#[cfg(any(feature = "p256", feature = "p384", feature = "p521"))]
fn write_ec2(
    e: &mut Encoder<&mut Vec<u8>>,
    extra: usize,
    kid: Option<&[u8]>,
    crv: i64,
    x: Option<&[u8]>,
    y: Option<&[u8]>,
) {
    let (x, y) = (x.unwrap_or_default(), y.unwrap_or_default());
    let _ = e.map(4usize.saturating_add(extra)).and_then(|e| e.int(kl::KTY)?.int(kl::KTY_EC2));
    write_kid_alg(e, kid, None);
    let _ = e.int(kl::CRV).and_then(|e| e.int(crv)?.int(kl::X)?.bytes(x)?.int(kl::Y)?.bytes(y));
}

fn encode_public(key: &PublicKey, kid: Option<&[u8]>, d: Option<&[u8]>, v: &mut Vec<u8>) {
    let extra = usize::from(kid.is_some()).saturating_add(usize::from(d.is_some()));
    let mut e = Encoder::new(v);
    match key {
        #[cfg(feature = "p256")]
        PublicKey::P256(k) => {
            let pt = k.to_sec1_point(false);
            write_ec2(&mut e, extra, kid, kl::CRV_P256, pt.x().map(|x| &x[..]), pt.y().map(|y| &y[..]));
        }
        #[cfg(feature = "p384")]
        PublicKey::P384(k) => {
            let pt = k.to_sec1_point(false);
            write_ec2(&mut e, extra, kid, kl::CRV_P384, pt.x().map(|x| &x[..]), pt.y().map(|y| &y[..]));
        }
        #[cfg(feature = "p521")]
        PublicKey::P521(k) => {
            let pt = k.to_sec1_point(false);
            write_ec2(&mut e, extra, kid, kl::CRV_P521, pt.x().map(|x| &x[..]), pt.y().map(|y| &y[..]));
        }
        #[cfg(feature = "ed25519")]
        PublicKey::Ed25519(k) => {
            let _ = e.map(3usize.saturating_add(extra)).and_then(|e| e.int(kl::KTY)?.int(kl::KTY_OKP));
            write_kid_alg(&mut e, kid, None);
            let _ = e.int(kl::CRV).and_then(|e| e.int(kl::CRV_ED25519)?.int(kl::X)?.bytes(k.as_bytes()));
        }
    }
    if let Some(d) = d {
        let _ = e.int(kl::D).and_then(|e| e.bytes(d));
    }
}

impl PrivateKey {
    /// Generates a fresh key from the operating system's RNG: `ES256` (P-256) or `EdDSA` /
    /// `Ed25519`.
    ///
    /// # Errors
    /// [`KeyError::Unsupported`] for other algorithms; [`KeyError::InvalidKey`] if the RNG fails.
    #[cfg(feature = "std")]
    pub fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        match alg {
            #[cfg(feature = "p256")]
            Algorithm::ES256 | Algorithm::ESP256 => {
                // A random 32-byte string is a valid scalar except with probability ~2^-32.
                for _ in 0..16 {
                    getrandom::fill(&mut *seed).map_err(|_| KeyError::InvalidKey)?;
                    if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&*seed) {
                        return Ok(Self::P256(k));
                    }
                }
                Err(KeyError::InvalidKey)
            }
            #[cfg(feature = "ed25519")]
            Algorithm::EDDSA | Algorithm::ED25519 => {
                getrandom::fill(&mut *seed).map_err(|_| KeyError::InvalidKey)?;
                Ok(Self::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed)))
            }
            _ => Err(KeyError::Unsupported),
        }
    }

    /// The algorithm this key signs with by default.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.public_key().algorithm()
    }

    /// The matching public key.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        match self {
            #[cfg(feature = "p256")]
            Self::P256(k) => PublicKey::P256(*k.verifying_key()),
            #[cfg(feature = "ed25519")]
            Self::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
        }
    }

    /// Imports a PEM `PRIVATE KEY` (PKCS#8) for P-256 or Ed25519.
    ///
    /// # Errors
    /// [`KeyError::Pem`] if it is neither.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        #[cfg(feature = "p256")]
        {
            use p256::pkcs8::DecodePrivateKey as _;
            if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_pem(pem) {
                return Ok(Self::P256(k));
            }
        }
        #[cfg(feature = "ed25519")]
        {
            use ed25519_dalek::pkcs8::DecodePrivateKey as _;
            if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
                return Ok(Self::Ed25519(k));
            }
        }
        let _ = pem;
        Err(KeyError::Pem)
    }

    /// Exports as a PEM `PRIVATE KEY` (PKCS#8), zeroized on drop.
    ///
    /// # Errors
    /// [`KeyError::Pem`] if encoding fails.
    pub fn to_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        match self {
            #[cfg(feature = "p256")]
            Self::P256(k) => {
                use p256::pkcs8::EncodePrivateKey as _;
                k.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).map_err(|_| KeyError::Pem)
            }
            #[cfg(feature = "ed25519")]
            Self::Ed25519(k) => {
                use ed25519_dalek::pkcs8::EncodePrivateKey as _;
                k.to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF).map_err(|_| KeyError::Pem)
            }
        }
    }

    /// Encodes as a COSE_Key including the private part `d`, zeroized on drop.
    #[must_use]
    pub fn to_cose_key(&self, kid: Option<&[u8]>) -> Zeroizing<Vec<u8>> {
        let d: Zeroizing<Vec<u8>> = match self {
            #[cfg(feature = "p256")]
            Self::P256(k) => Zeroizing::new(k.to_bytes().to_vec()),
            #[cfg(feature = "ed25519")]
            Self::Ed25519(k) => Zeroizing::new(k.to_bytes().to_vec()),
        };
        let mut v = Zeroizing::new(Vec::new());
        encode_public(&self.public_key(), kid, Some(&d), &mut v);
        v
    }

    /// Signs a COSE_Sign1, dispatching on the key type.
    ///
    /// # Errors
    /// As [`crate::Sign1Builder::sign`].
    pub fn sign1(&self, builder: &crate::Sign1Builder<'_>) -> crate::Result<Vec<u8>> {
        match self {
            #[cfg(feature = "p256")]
            Self::P256(k) => builder.sign(k),
            #[cfg(feature = "ed25519")]
            Self::Ed25519(k) => builder.sign(k),
        }
    }
}

impl CoseKey {
    /// Decodes a COSE_Key: EC2 P-256 (public or private), OKP Ed25519 (public or private) or
    /// Symmetric. Duplicate or mistyped parameters, unknown key types and curves, and an `alg`
    /// that does not fit the key type are rejected; other parameters are skipped.
    ///
    /// # Errors
    /// [`KeyError`] describing the first problem.
    pub fn decode(bytes: &[u8]) -> Result<Self, KeyError> {
        let mut d = Decoder::new(bytes);
        let n = d.map().map_err(KeyError::Malformed)?;
        if n > MAX_KEY_PARAMS {
            return Err(KeyError::Unsupported);
        }
        let mut seen: Vec<i64> = Vec::new();
        let (mut kty, mut kid, mut alg, mut crv) = (None, None, None, None);
        let (mut x, mut y, mut dd): (Option<&[u8]>, Option<YCoord<'_>>, Option<&[u8]>) = (None, None, None);
        for _ in 0..n {
            if d.peek_type().map_err(KeyError::Malformed)? == Type::Text {
                d.str().map_err(KeyError::Malformed)?;
                d.skip(8).map_err(KeyError::Malformed)?;
                continue;
            }
            let l = d.int().map_err(KeyError::Malformed)?;
            if seen.contains(&l) {
                return Err(KeyError::InvalidParameter { label: l });
            }
            seen.push(l);
            let bad = KeyError::InvalidParameter { label: l };
            match l {
                kl::KTY => kty = Some(d.int().map_err(|_| bad)?),
                kl::KID => kid = Some(d.bytes().map_err(|_| bad)?),
                kl::ALG => alg = Some(Algorithm(d.int().map_err(|_| bad)?)),
                // -1 is crv for EC2/OKP and k for Symmetric: keep the raw item and decide below.
                kl::CRV => {
                    crv = Some(match d.peek_type().map_err(KeyError::Malformed)? {
                        Type::Bytes => CrvOrK::K(d.bytes().map_err(|_| bad)?),
                        _ => CrvOrK::Crv(d.int().map_err(|_| bad)?),
                    })
                }
                kl::X => x = Some(d.bytes().map_err(|_| bad)?),
                kl::Y => {
                    y = Some(match d.peek_type().map_err(KeyError::Malformed)? {
                        Type::Bool => YCoord::Sign(d.bool().map_err(|_| bad)?),
                        _ => YCoord::Bytes(d.bytes().map_err(|_| bad)?),
                    })
                }
                kl::D => dd = Some(d.bytes().map_err(|_| bad)?),
                _ => d.skip(8).map_err(KeyError::Malformed)?,
            }
        }
        d.finish().map_err(KeyError::Malformed)?;
        let kty = kty.ok_or(KeyError::MissingParameter { label: kl::KTY })?;
        let material = match (kty, crv) {
            (kl::KTY_SYMMETRIC, Some(CrvOrK::K(k))) => KeyMaterial::Symmetric(SymmetricKey::new(k)),
            (kl::KTY_SYMMETRIC, Some(CrvOrK::Crv(_))) => return Err(KeyError::InvalidParameter { label: kl::K }),
            (kl::KTY_SYMMETRIC, None) => return Err(KeyError::MissingParameter { label: kl::K }),
            (_, None) => return Err(KeyError::MissingParameter { label: kl::CRV }),
            (_, Some(CrvOrK::K(_))) => return Err(KeyError::InvalidParameter { label: kl::CRV }),
            (kty, Some(CrvOrK::Crv(crv))) => asymmetric(kty, crv, x, y, dd)?,
        };
        if let Some(a) = alg {
            let fits = match &material {
                KeyMaterial::Public(p) => p.accepts(a),
                KeyMaterial::Private(p) => p.public_key().accepts(a),
                KeyMaterial::Symmetric(_) => a.mac_len().is_some(),
            };
            if !fits {
                return Err(KeyError::InvalidParameter { label: kl::ALG });
            }
        }
        Ok(Self { kid: kid.map(<[u8]>::to_vec), alg, material })
    }
}

enum CrvOrK<'a> {
    Crv(i64),
    K(&'a [u8]),
}

#[allow(dead_code, reason = "read only when p256 is enabled")]
enum YCoord<'a> {
    Bytes(&'a [u8]),
    Sign(bool),
}

#[allow(unused_variables, reason = "which arms exist depends on the enabled curves")]
fn asymmetric(
    kty: i64,
    crv: i64,
    x: Option<&[u8]>,
    y: Option<YCoord<'_>>,
    d: Option<&[u8]>,
) -> Result<KeyMaterial, KeyError> {
    let x = x.ok_or(KeyError::MissingParameter { label: kl::X })?;
    match (kty, crv) {
        #[cfg(feature = "p256")]
        (kl::KTY_EC2, kl::CRV_P256) => {
            let mut sec1 = Zeroizing::new(Vec::with_capacity(65));
            if x.len() != 32 {
                return Err(KeyError::InvalidParameter { label: kl::X });
            }
            match y.ok_or(KeyError::MissingParameter { label: kl::Y })? {
                YCoord::Bytes(y) if y.len() == 32 => {
                    sec1.push(4);
                    sec1.extend_from_slice(x);
                    sec1.extend_from_slice(y);
                }
                YCoord::Bytes(_) => return Err(KeyError::InvalidParameter { label: kl::Y }),
                YCoord::Sign(s) => {
                    sec1.push(if s { 3 } else { 2 });
                    sec1.extend_from_slice(x);
                }
            }
            let public = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| KeyError::InvalidKey)?;
            match d {
                None => Ok(KeyMaterial::Public(PublicKey::P256(public))),
                Some(d) => {
                    let sk = p256::ecdsa::SigningKey::from_slice(d).map_err(|_| KeyError::InvalidKey)?;
                    if *sk.verifying_key() != public {
                        return Err(KeyError::InvalidKey);
                    }
                    Ok(KeyMaterial::Private(PrivateKey::P256(sk)))
                }
            }
        }
        #[cfg(feature = "p384")]
        (kl::KTY_EC2, kl::CRV_P384) => {
            let sec1 = ec2_public_point(x, y, d, 48)?;
            let public = p384::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| KeyError::InvalidKey)?;
            Ok(KeyMaterial::Public(PublicKey::P384(public)))
        }
        #[cfg(feature = "p521")]
        (kl::KTY_EC2, kl::CRV_P521) => {
            let sec1 = ec2_public_point(x, y, d, 66)?;
            let public = p521::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| KeyError::InvalidKey)?;
            Ok(KeyMaterial::Public(PublicKey::P521(public)))
        }
        #[cfg(feature = "ed25519")]
        (kl::KTY_OKP, kl::CRV_ED25519) => {
            let xb: &[u8; 32] = x.try_into().map_err(|_| KeyError::InvalidParameter { label: kl::X })?;
            let public = ed25519_dalek::VerifyingKey::from_bytes(xb).map_err(|_| KeyError::InvalidKey)?;
            if public.is_weak() {
                return Err(KeyError::InvalidKey);
            }
            match d {
                None => Ok(KeyMaterial::Public(PublicKey::Ed25519(public))),
                Some(d) => {
                    let db: &[u8; 32] = d.try_into().map_err(|_| KeyError::InvalidParameter { label: kl::D })?;
                    let sk = ed25519_dalek::SigningKey::from_bytes(db);
                    if sk.verifying_key() != public {
                        return Err(KeyError::InvalidKey);
                    }
                    Ok(KeyMaterial::Private(PrivateKey::Ed25519(sk)))
                }
            }
        }
        _ => Err(KeyError::Unsupported),
    }
}

/// The SEC1 point of an EC2 public COSE_Key with `len`-byte coordinates (P-384, P-521: public keys
/// only; a private one is not supported).
#[cfg(any(feature = "p384", feature = "p521"))]
fn ec2_public_point(x: &[u8], y: Option<YCoord<'_>>, d: Option<&[u8]>, len: usize) -> Result<Vec<u8>, KeyError> {
    if d.is_some() {
        return Err(KeyError::Unsupported);
    }
    if x.len() != len {
        return Err(KeyError::InvalidParameter { label: kl::X });
    }
    let mut sec1 = Vec::with_capacity(len.saturating_mul(2).saturating_add(1));
    match y.ok_or(KeyError::MissingParameter { label: kl::Y })? {
        YCoord::Bytes(y) if y.len() == len => {
            sec1.push(4);
            sec1.extend_from_slice(x);
            sec1.extend_from_slice(y);
        }
        YCoord::Bytes(_) => return Err(KeyError::InvalidParameter { label: kl::Y }),
        YCoord::Sign(s) => {
            sec1.push(if s { 3 } else { 2 });
            sec1.extend_from_slice(x);
        }
    }
    Ok(sec1)
}
