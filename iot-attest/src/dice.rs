//! Open Profile for DICE (google/open-dice `docs/specification.md`): CBOR CDI certificates,
//! their chains, and the derivations a verifier needs to check them.
//!
//! A DICE chain is the boot-time evidence of a layered device: the unique device secret (UDS)
//! certifies the first layer's key, each layer's key certifies the next. A CBOR CDI certificate
//! is an untagged COSE_Sign1 whose payload is a CWT claims set:
//!
//! | claim | key | |
//! |---|---|---|
//! | iss / sub | 1 / 2 | hex of the issuer's / subject's DICE ID (20 bytes) |
//! | codeHash, codeDescriptor | -4670545, -4670546 | the measured code |
//! | configurationHash, configurationDescriptor | -4670547, -4670548 | its configuration |
//! | authorityHash, authorityDescriptor | -4670549, -4670550 | who signed the code |
//! | mode | -4670551 | 1 byte: 0 not configured, 1 normal, 2 debug, 3 recovery |
//! | subjectPublicKey | -4670552 | the layer's public key as a COSE_Key |
//! | keyUsage | -4670553 | little-endian bits; keyCertSign = 0x20 |
//! | profileName | -4670554 | the profile |
//!
//! [`verify_chain`] checks every certificate against the key certified by the one before (the
//! first against the UDS public key), that each `iss` is the issuer's ID and each `sub` the ID of
//! the key it certifies (recomputed: `ID = HKDF-SHA512(key, ID_SALT, "ID")[..20]` with the top
//! bit cleared), that issuers may certify (keyCertSign), and that modes are defined. The result
//! lists each layer's measurements for appraisal.
//!
//! The derivations ([`cdi_attest`], [`cdi_seal`], [`key_seed`], [`ed25519_key`], [`p256_key`])
//! let a verifier that provisioned the UDS compute the UDS public key, and a device compute its
//! layers' CDIs and keys.

use alloc::string::String;
use alloc::vec::Vec;

use hkdf::Hkdf;
use iot_cose::cbor::{Decoder, Type};
use iot_cose::{CoseKey, CoseSign1, KeyMaterial, PublicKey, VerifyOptions};
use sha2::{Digest as _, Sha512};

use crate::error::{Error, Result};

/// The asymmetric-key salt of the Open Profile for DICE ("Key Pair" derivations).
const ASYM_SALT: [u8; 64] = [
    0x63, 0xB6, 0xA0, 0x4D, 0x2C, 0x07, 0x7F, 0xC1, 0x0F, 0x63, 0x9F, 0x21, 0xDA, 0x79, 0x38, 0x44, 0x35, 0x6C, 0xC2,
    0xB0, 0xB4, 0x41, 0xB3, 0xA7, 0x71, 0x24, 0x03, 0x5C, 0x03, 0xF8, 0xE1, 0xBE, 0x60, 0x35, 0xD3, 0x1F, 0x28, 0x28,
    0x21, 0xA7, 0x45, 0x0A, 0x02, 0x22, 0x2A, 0xB1, 0xB3, 0xCF, 0xF1, 0x67, 0x9B, 0x05, 0xAB, 0x1C, 0xA5, 0xD1, 0xAF,
    0xFB, 0x78, 0x9C, 0xCD, 0x2B, 0x0B, 0x3B,
];
/// The ID salt of the Open Profile for DICE.
const ID_SALT: [u8; 64] = [
    0xDB, 0xDB, 0xAE, 0xBC, 0x80, 0x20, 0xDA, 0x9F, 0xF0, 0xDD, 0x5A, 0x24, 0xC8, 0x3A, 0xA5, 0xA5, 0x42, 0x86, 0xDF,
    0xC2, 0x63, 0x03, 0x1E, 0x32, 0x9B, 0x4D, 0xA1, 0x48, 0x43, 0x06, 0x59, 0xFE, 0x62, 0xCD, 0xB5, 0xB7, 0xE1, 0xE0,
    0x0F, 0xC6, 0x80, 0x30, 0x67, 0x11, 0xEB, 0x44, 0x4A, 0xF7, 0x72, 0x09, 0x35, 0x94, 0x96, 0xFC, 0xFF, 0x1D, 0xB9,
    0x52, 0x0B, 0xA5, 0x1C, 0x7B, 0x29, 0xEA,
];

const CODE_HASH: i64 = -4_670_545;
const CODE_DESCRIPTOR: i64 = -4_670_546;
const CONFIG_HASH: i64 = -4_670_547;
const CONFIG_DESCRIPTOR: i64 = -4_670_548;
const AUTHORITY_HASH: i64 = -4_670_549;
const AUTHORITY_DESCRIPTOR: i64 = -4_670_550;
const MODE: i64 = -4_670_551;
const SUBJECT_PUBLIC_KEY: i64 = -4_670_552;
const KEY_USAGE: i64 = -4_670_553;
const PROFILE_NAME: i64 = -4_670_554;

/// keyUsage bit for certificate signing (little-endian bit 5).
pub const KEY_CERT_SIGN: u8 = 0x20;
/// The most certificates [`verify_chain`] accepts.
pub const MAX_CHAIN: usize = 16;
/// The most claims in a CDI certificate.
const MAX_CLAIMS: u64 = 32;

/// A decoded CBOR CDI certificate (not yet verified; see [`verify_chain`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CdiCertificate<'a> {
    /// `iss`: hex of the issuer's DICE ID.
    pub issuer: &'a str,
    /// `sub`: hex of the subject's DICE ID.
    pub subject: &'a str,
    /// codeHash.
    pub code_hash: Option<&'a [u8]>,
    /// codeDescriptor.
    pub code_descriptor: Option<&'a [u8]>,
    /// configurationHash.
    pub config_hash: Option<&'a [u8]>,
    /// configurationDescriptor.
    pub config_descriptor: Option<&'a [u8]>,
    /// authorityHash.
    pub authority_hash: Option<&'a [u8]>,
    /// authorityDescriptor.
    pub authority_descriptor: Option<&'a [u8]>,
    /// mode: 0 not configured, 1 normal, 2 debug, 3 recovery.
    pub mode: Option<u8>,
    /// subjectPublicKey: the COSE_Key bytes.
    pub subject_public_key: &'a [u8],
    /// keyUsage bytes (little-endian bits).
    pub key_usage: Option<&'a [u8]>,
    /// profileName.
    pub profile_name: Option<&'a str>,
}

fn cbor<T>(r: core::result::Result<T, iot_cose::cbor::DecodeError>) -> Result<T> {
    r.map_err(Error::Cbor)
}

fn bad(problem: &'static str) -> Error {
    Error::Invalid { what: "DICE certificate", problem }
}

impl<'a> CdiCertificate<'a> {
    /// Decodes the CWT claims set of a CDI certificate (the COSE_Sign1 payload).
    ///
    /// # Errors
    /// [`Error::Cbor`] for bad CBOR, [`Error::Invalid`] for a missing `iss`, `sub` or
    /// `subjectPublicKey`, a mode byte that is not one byte, [`Error::DuplicateKey`],
    /// [`Error::LimitExceeded`].
    pub fn decode_claims(payload: &'a [u8]) -> Result<Self> {
        let mut d = Decoder::new(payload);
        let n = cbor(d.map())?;
        if n > MAX_CLAIMS {
            return Err(Error::LimitExceeded("DICE certificate claims"));
        }
        let mut seen: Vec<i64> = Vec::new();
        let (mut issuer, mut subject, mut spk) = (None, None, None);
        let mut c = Self {
            issuer: "",
            subject: "",
            code_hash: None,
            code_descriptor: None,
            config_hash: None,
            config_descriptor: None,
            authority_hash: None,
            authority_descriptor: None,
            mode: None,
            subject_public_key: &[],
            key_usage: None,
            profile_name: None,
        };
        for _ in 0..n {
            let offset = d.position();
            let key = match cbor(d.peek_type())? {
                Type::UInt | Type::NInt | Type::Int => cbor(d.int())?,
                _ => {
                    // text-keyed private claims are allowed and skipped
                    cbor(d.str())?;
                    cbor(d.skip(16))?;
                    continue;
                }
            };
            if seen.contains(&key) {
                return Err(Error::DuplicateKey { offset });
            }
            seen.push(key);
            match key {
                1 => issuer = Some(cbor(d.str())?),
                2 => subject = Some(cbor(d.str())?),
                CODE_HASH => c.code_hash = Some(cbor(d.bytes())?),
                CODE_DESCRIPTOR => c.code_descriptor = Some(cbor(d.bytes())?),
                CONFIG_HASH => c.config_hash = Some(cbor(d.bytes())?),
                CONFIG_DESCRIPTOR => c.config_descriptor = Some(cbor(d.bytes())?),
                AUTHORITY_HASH => c.authority_hash = Some(cbor(d.bytes())?),
                AUTHORITY_DESCRIPTOR => c.authority_descriptor = Some(cbor(d.bytes())?),
                MODE => match cbor(d.bytes())? {
                    [m] => c.mode = Some(*m),
                    _ => return Err(bad("mode is not one byte")),
                },
                SUBJECT_PUBLIC_KEY => spk = Some(cbor(d.bytes())?),
                KEY_USAGE => c.key_usage = Some(cbor(d.bytes())?),
                PROFILE_NAME => c.profile_name = Some(cbor(d.str())?),
                _ => cbor(d.skip(16))?,
            }
        }
        cbor(d.finish())?;
        c.issuer = issuer.ok_or(bad("iss missing"))?;
        c.subject = subject.ok_or(bad("sub missing"))?;
        c.subject_public_key = spk.ok_or(bad("subjectPublicKey missing"))?;
        Ok(c)
    }

    /// Whether keyUsage allows certifying the next layer.
    #[must_use]
    pub fn may_certify(&self) -> bool {
        self.key_usage.and_then(|u| u.first()).is_some_and(|b| b & KEY_CERT_SIGN != 0)
    }
}

/// The raw public key bytes DICE IDs are computed over: Ed25519's 32 bytes, P-256's X || Y.
fn id_input(key: &PublicKey) -> Vec<u8> {
    match key {
        #[cfg(feature = "p256")]
        PublicKey::P256(k) => k.to_sec1_point(false).as_bytes().get(1..).unwrap_or_default().to_vec(),
        #[cfg(feature = "ed25519")]
        PublicKey::Ed25519(k) => k.as_bytes().to_vec(),
        #[allow(unreachable_patterns, reason = "PublicKey is non_exhaustive")]
        _ => Vec::new(),
    }
}

/// The DICE KDF: HKDF-SHA512 of `ikm` with `salt` and `info`, `N` bytes.
fn kdf<const N: usize>(ikm: &[u8], salt: &[u8], info: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    // N is at most 64 here, far below HKDF-SHA512's 255 * 64 limit.
    let _ = Hkdf::<Sha512>::new(Some(salt), ikm).expand(info, &mut out);
    out
}

/// The DICE ID of a public key: `HKDF-SHA512(key, ID_SALT, "ID")`, 20 bytes, top bit cleared.
#[must_use]
pub fn dice_id(key: &PublicKey) -> [u8; 20] {
    let mut id = kdf::<20>(&id_input(key), &ID_SALT, b"ID");
    if let Some(b) = id.first_mut() {
        *b &= 0x7f;
    }
    id
}

/// Lower-case hex, as DICE writes IDs in `iss` and `sub`.
fn hex20(id: &[u8; 20]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(40);
    for b in id {
        for n in [b >> 4, b & 15] {
            s.push(char::from(HEX.get(usize::from(n)).copied().unwrap_or(b'0')));
        }
    }
    s
}

/// One verified layer of a DICE chain.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Layer<'a> {
    /// The certificate's claims.
    pub certificate: CdiCertificate<'a>,
    /// The key it certifies (the next layer's issuer key, or the leaf key).
    pub subject_key: PublicKey,
}

/// Verifies a DICE chain (see the [module docs](self)) rooted at the UDS public key; returns
/// each layer, first to last.
///
/// # Errors
/// [`Error::Cose`] for a malformed certificate or a bad signature; [`Error::KeyMismatch`] when a
/// certificate's `iss` is not its issuer's ID or its `sub` not the ID of the key it certifies;
/// [`Error::Invalid`] for an issuer without keyCertSign, an undefined mode, a subject key that is
/// not a public P-256 / Ed25519 COSE_Key; [`Error::LimitExceeded`] past [`MAX_CHAIN`].
pub fn verify_chain<'a>(uds_public_key: &PublicKey, chain: &[&'a [u8]]) -> Result<Vec<Layer<'a>>> {
    if chain.len() > MAX_CHAIN {
        return Err(Error::LimitExceeded("DICE chain"));
    }
    let mut key = uds_public_key.clone();
    let mut out: Vec<Layer<'a>> = Vec::with_capacity(chain.len());
    for cert in chain {
        let msg = CoseSign1::decode(cert)?;
        let verified = key.verify_sign1(&msg, None, &[], &VerifyOptions::default())?;
        let payload = verified.payload().ok_or(bad("detached payload"))?;
        let c = CdiCertificate::decode_claims(payload)?;
        if c.issuer != hex20(&dice_id(&key)) {
            return Err(Error::KeyMismatch);
        }
        if let Some(previous) = out.last() {
            if !previous.certificate.may_certify() {
                return Err(bad("issuer without keyCertSign"));
            }
        }
        if c.mode.is_some_and(|m| m > 3) {
            return Err(bad("mode not defined"));
        }
        let subject_key = match CoseKey::decode(c.subject_public_key).map(|k| k.material) {
            Ok(KeyMaterial::Public(k)) => k,
            _ => return Err(bad("subjectPublicKey is not a public P-256 or Ed25519 COSE_Key")),
        };
        if c.subject != hex20(&dice_id(&subject_key)) {
            return Err(Error::KeyMismatch);
        }
        key = subject_key.clone();
        out.push(Layer { certificate: c, subject_key });
    }
    Ok(out)
}

/// The DICE inputs of one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inputs<'i> {
    /// Hash of the layer's code (64 bytes).
    pub code_hash: &'i [u8; 64],
    /// The configuration: 64 inline bytes, or the hash of its descriptor.
    pub config: &'i [u8; 64],
    /// Hash of the code-signing authority (64 bytes).
    pub authority_hash: &'i [u8; 64],
    /// 0 not configured, 1 normal, 2 debug, 3 recovery.
    pub mode: u8,
    /// Hidden inputs (64 bytes; not in the certificate).
    pub hidden: &'i [u8; 64],
}

/// The next layer's attestation CDI: `KDF(32, cdi, SHA512(code || config || authority || mode ||
/// hidden), "CDI_Attest")` (for the first layer, `cdi` is the UDS).
#[must_use]
pub fn cdi_attest(cdi: &[u8], inputs: &Inputs<'_>) -> [u8; 32] {
    let mut h = Sha512::new();
    h.update(inputs.code_hash);
    h.update(inputs.config);
    h.update(inputs.authority_hash);
    h.update([inputs.mode]);
    h.update(inputs.hidden);
    kdf::<32>(cdi, &h.finalize(), b"CDI_Attest")
}

/// The next layer's sealing CDI: `KDF(32, cdi, SHA512(authority || mode || hidden), "CDI_Seal")`.
#[must_use]
pub fn cdi_seal(cdi: &[u8], inputs: &Inputs<'_>) -> [u8; 32] {
    let mut h = Sha512::new();
    h.update(inputs.authority_hash);
    h.update([inputs.mode]);
    h.update(inputs.hidden);
    kdf::<32>(cdi, &h.finalize(), b"CDI_Seal")
}

/// The private key seed of a CDI (or the UDS): `KDF(32, cdi, ASYM_SALT, "Key Pair")`.
#[must_use]
pub fn key_seed(cdi: &[u8]) -> [u8; 32] {
    kdf::<32>(cdi, &ASYM_SALT, b"Key Pair")
}

/// The Ed25519 key of a seed (the seed is the private key).
#[cfg(feature = "ed25519")]
#[must_use]
pub fn ed25519_key(seed: &[u8; 32]) -> iot_cose::ed25519_dalek::SigningKey {
    iot_cose::ed25519_dalek::SigningKey::from_bytes(seed)
}

/// The P-256 key of a seed, as open-dice derives it: an HMAC-SHA512 DRBG in the style of RFC 6979
/// section 3.2 (K = 0, V = 1; K = HMAC(K, V || 0 || seed); V = HMAC(K, V); K = HMAC(K, V || 1 ||
/// seed); then V = HMAC(K, HMAC(K, V)), the first 32 bytes of V as a candidate, K = HMAC(K, V || 0),
/// until the candidate is a valid scalar).
///
/// # Errors
/// [`Error::Invalid`] if 64 candidates in a row are out of range (probability 2^-2048).
#[cfg(feature = "p256")]
pub fn p256_key(seed: &[u8; 32]) -> Result<iot_cose::p256::ecdsa::SigningKey> {
    use hmac::{KeyInit as _, Mac as _};
    let mac = |k: &[u8; 64], parts: &[&[u8]]| -> Result<[u8; 64]> {
        let mut m = hmac::Hmac::<Sha512>::new_from_slice(k)
            .map_err(|_| Error::Invalid { what: "DICE key seed", problem: "hmac key" })?;
        for p in parts {
            m.update(p);
        }
        Ok(m.finalize().into_bytes().into())
    };
    let mut v = [1u8; 64];
    let mut k = mac(&[0u8; 64], &[&v, &[0], seed])?;
    v = mac(&k, &[&v])?;
    k = mac(&k, &[&v, &[1], seed])?;
    for _ in 0..64 {
        v = mac(&k, &[&v])?;
        v = mac(&k, &[&v])?;
        if let Ok(key) = iot_cose::p256::ecdsa::SigningKey::from_slice(v.get(..32).unwrap_or_default()) {
            return Ok(key);
        }
        k = mac(&k, &[&v, &[0]])?;
    }
    Err(Error::Invalid { what: "DICE key seed", problem: "no valid P-256 scalar" })
}
