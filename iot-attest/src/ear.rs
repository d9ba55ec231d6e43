//! Attestation results: EAR (draft-ietf-rats-ear) with the AR4SI trustworthiness vector
//! (draft-ietf-rats-ar4si), encoded as a CWT claims set, signed by the verifier as COSE_Sign1.

use crate::claims::{Items, MapEntries};
use crate::error::{Error, Result};
use crate::keys::{self, ear as k};
use crate::strict::{self, Limits};
use alloc::string::{String, ToString as _};
use alloc::vec::Vec;
use iot_cose::cbor::{Decoder, Encoder, Type};
use serde_json::{Map, Value, json};

/// The EAR profile this crate writes (draft-ietf-rats-ear-03).
pub const EAR_PROFILE: &str = "tag:ietf.org,2026:rats/ear#03";

/// An AR4SI tier: the overall status and the tier of each trust claim value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// No claim (0, 1 unknown, -1 verifier malfunction).
    None,
    /// Affirming (2..31).
    Affirming,
    /// Warning (32..95).
    Warning,
    /// Contraindicated (96..127).
    Contraindicated,
}

impl Status {
    /// The tier of a trust claim value (AR4SI section 2.3; negative values are the
    /// implementation-specific mirror of the same tiers).
    #[must_use]
    pub fn of(v: i8) -> Self {
        match v.unsigned_abs() {
            0 | 1 => Self::None,
            2..=31 => Self::Affirming,
            32..=95 => Self::Warning,
            _ => Self::Contraindicated,
        }
    }

    /// The value written as `ear_status`: 0, 2, 32 or 96.
    #[must_use]
    pub const fn code(self) -> i8 {
        match self {
            Self::None => 0,
            Self::Affirming => 2,
            Self::Warning => 32,
            Self::Contraindicated => 96,
        }
    }

    /// `none`, `affirming`, `warning`, `contraindicated`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Affirming => "affirming",
            Self::Warning => "warning",
            Self::Contraindicated => "contraindicated",
        }
    }
}

/// AR4SI trust claim values used by this crate's appraisal.
pub mod tv {
    /// Cryptographic validation of the evidence failed (any claim).
    pub const CRYPTO_FAILED: i8 = 99;
    /// instance-identity: recognized and not compromised.
    pub const INSTANCE_RECOGNIZED: i8 = 2;
    /// instance-identity: not recognized.
    pub const INSTANCE_UNRECOGNIZED: i8 = 97;
    /// configuration: approved.
    pub const CONFIG_APPROVED: i8 = 2;
    /// configuration: unsafe (e.g. debug enabled, device not in the secured lifecycle).
    pub const CONFIG_UNSAFE: i8 = 32;
    /// configuration: unsupported / unacceptable (e.g. decommissioned).
    pub const CONFIG_UNACCEPTABLE: i8 = 96;
    /// executables: only approved runtime executables.
    pub const EXEC_APPROVED_RUNTIME: i8 = 2;
    /// executables: approved boot executables.
    pub const EXEC_APPROVED_BOOT: i8 = 3;
    /// executables: known to have vulnerabilities (e.g. below the minimum version).
    pub const EXEC_VULNERABLE: i8 = 32;
    /// executables: unrecognized.
    pub const EXEC_UNRECOGNIZED: i8 = 33;
    /// executables: contraindicated (on a deny list).
    pub const EXEC_CONTRAINDICATED: i8 = 96;
    /// hardware: genuine.
    pub const HW_GENUINE: i8 = 2;
    /// hardware: unrecognized.
    pub const HW_UNRECOGNIZED: i8 = 97;
}

/// The eight AR4SI trustworthiness claims; `None` means no claim was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrustVector {
    /// 0: instance-identity.
    pub instance_identity: Option<i8>,
    /// 1: configuration.
    pub configuration: Option<i8>,
    /// 2: executables.
    pub executables: Option<i8>,
    /// 3: file-system.
    pub file_system: Option<i8>,
    /// 4: hardware.
    pub hardware: Option<i8>,
    /// 5: runtime-opaque.
    pub runtime_opaque: Option<i8>,
    /// 6: storage-opaque.
    pub storage_opaque: Option<i8>,
    /// 7: sourced-data.
    pub sourced_data: Option<i8>,
}

const TV_NAMES: [&str; 8] = [
    "instance-identity",
    "configuration",
    "executables",
    "file-system",
    "hardware",
    "runtime-opaque",
    "storage-opaque",
    "sourced-data",
];

impl TrustVector {
    /// The claims in key order 0..7.
    #[must_use]
    pub fn as_array(&self) -> [Option<i8>; 8] {
        [
            self.instance_identity,
            self.configuration,
            self.executables,
            self.file_system,
            self.hardware,
            self.runtime_opaque,
            self.storage_opaque,
            self.sourced_data,
        ]
    }

    fn slot(&mut self, key: u64) -> Option<&mut Option<i8>> {
        Some(match key {
            0 => &mut self.instance_identity,
            1 => &mut self.configuration,
            2 => &mut self.executables,
            3 => &mut self.file_system,
            4 => &mut self.hardware,
            5 => &mut self.runtime_opaque,
            6 => &mut self.storage_opaque,
            7 => &mut self.sourced_data,
            _ => return None,
        })
    }

    /// The worst tier over the claims made (contraindicated > warning > affirming > none).
    #[must_use]
    pub fn status(&self) -> Status {
        self.as_array().iter().flatten().map(|&v| Status::of(v)).max().unwrap_or(Status::None)
    }

    /// JSON object with the AR4SI names.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        for (name, v) in TV_NAMES.iter().zip(self.as_array()) {
            if let Some(v) = v {
                m.insert((*name).to_string(), json!(v));
            }
        }
        Value::Object(m)
    }
}

/// The appraisal of one attester (one `submods` entry of the EAR).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Appraisal {
    /// `ear_status`.
    pub status: Status,
    /// `ear_trustworthiness_vector`.
    pub trust_vector: TrustVector,
    /// `ear_appraisal_policy_ids`.
    pub policy_ids: Vec<String>,
}

impl Appraisal {
    /// An appraisal whose status is the vector's worst tier.
    #[must_use]
    pub fn new(trust_vector: TrustVector, policy_ids: Vec<String>) -> Self {
        Self { status: trust_vector.status(), trust_vector, policy_ids }
    }

    /// The appraisal of evidence whose signature or MAC did not verify: every claim 99
    /// would say too much, so instance-identity alone carries 99 (contraindicated).
    #[must_use]
    pub fn crypto_failed(policy_ids: Vec<String>) -> Self {
        Self::new(TrustVector { instance_identity: Some(tv::CRYPTO_FAILED), ..TrustVector::default() }, policy_ids)
    }
}

/// An EAT Attestation Result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ear {
    /// `eat_profile`.
    pub profile: String,
    /// `iat`.
    pub iat: i64,
    /// `exp`.
    pub exp: Option<i64>,
    /// `ear_verifier_id`: developer.
    pub developer: String,
    /// `ear_verifier_id`: build.
    pub build: String,
    /// `eat_nonce` (echoed from the evidence).
    pub nonce: Option<Vec<u8>>,
    /// `ear_raw_evidence`.
    pub raw_evidence: Option<Vec<u8>>,
    /// `submods`: one appraisal per attester, by name.
    pub submods: Vec<(String, Appraisal)>,
}

impl Ear {
    /// A result with this crate's profile and verifier id, for one appraised attester.
    #[must_use]
    pub fn new(iat: i64, name: &str, appraisal: Appraisal) -> Self {
        Self {
            profile: EAR_PROFILE.to_string(),
            iat,
            exp: None,
            developer: "https://github.com/iot-security-rs/iot".to_string(),
            build: concat!("iot-attest ", env!("CARGO_PKG_VERSION")).to_string(),
            nonce: None,
            raw_evidence: None,
            submods: alloc::vec![(name.to_string(), appraisal)],
        }
    }

    /// The worst status over all submodules.
    #[must_use]
    pub fn status(&self) -> Status {
        self.submods.iter().map(|(_, a)| a.status).max().unwrap_or(Status::None)
    }

    /// Deterministic CBOR of the claims set.
    #[must_use]
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut v = Vec::new();
        let mut e = Encoder::new(&mut v);
        let n = 4usize
            .saturating_add(usize::from(self.exp.is_some()))
            .saturating_add(usize::from(self.nonce.is_some()))
            .saturating_add(usize::from(self.raw_evidence.is_some()));
        // Writing to a Vec cannot fail.
        let _ = (|| -> core::result::Result<(), iot_cose::cbor::BufferTooSmall> {
            e.map(n)?;
            if let Some(exp) = self.exp {
                e.int(keys::EXP)?.int(exp)?;
            }
            e.int(keys::IAT)?.int(self.iat)?;
            if let Some(nonce) = &self.nonce {
                e.int(keys::NONCE)?.bytes(nonce)?;
            }
            e.int(keys::PROFILE)?.str(&self.profile)?;
            e.int(keys::SUBMODS)?.map(self.submods.len())?;
            let mut subs: Vec<&(String, Appraisal)> = self.submods.iter().collect();
            subs.sort_by(|a, b| (a.0.len(), &a.0).cmp(&(b.0.len(), &b.0)));
            for (name, a) in subs {
                let made = a.trust_vector.as_array().iter().filter(|v| v.is_some()).count();
                let m = 2usize.saturating_add(usize::from(!a.policy_ids.is_empty()));
                e.str(name)?.map(m)?;
                e.int(k::STATUS)?.int(i64::from(a.status.code()))?;
                e.int(k::TRUST_VECTOR)?.map(made)?;
                for (i, v) in a.trust_vector.as_array().iter().enumerate() {
                    if let Some(v) = v {
                        e.uint(u64::try_from(i).unwrap_or(0))?.int(i64::from(*v))?;
                    }
                }
                if !a.policy_ids.is_empty() {
                    e.int(k::POLICY_IDS)?.array(a.policy_ids.len())?;
                    for p in &a.policy_ids {
                        e.str(p)?;
                    }
                }
            }
            if let Some(raw) = &self.raw_evidence {
                e.int(k::RAW_EVIDENCE)?.bytes(raw)?;
            }
            e.int(k::VERIFIER_ID)?.map(2)?.uint(0)?.str(&self.developer)?.uint(1)?.str(&self.build)?;
            Ok(())
        })();
        v
    }

    /// Decodes and validates an EAR claims set (unknown claims and extensions are ignored).
    ///
    /// # Errors
    /// Malformed CBOR, duplicate keys, or a missing / mistyped EAR claim.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self> {
        const W: &str = "EAR";
        strict::check(bytes, &Limits::DEFAULT)?;
        let bad = |problem| Error::Invalid { what: W, problem };
        let (mut profile, mut iat, mut exp, mut nonce, mut raw, mut vid, mut subs) =
            (None, None, None, None, None, None, None);
        for (key, v) in MapEntries::new(bytes) {
            let Ok(key) = Decoder::new(key).int() else { continue };
            let mut d = Decoder::new(v);
            match key {
                keys::PROFILE => profile = Some(d.str().map_err(|_| bad("eat_profile must be text"))?.to_string()),
                keys::IAT => iat = Some(d.int().map_err(|_| bad("iat must be an integer"))?),
                keys::EXP => exp = Some(d.int().map_err(|_| bad("exp must be an integer"))?),
                keys::NONCE => nonce = Some(d.bytes().map_err(|_| bad("eat_nonce must be bytes"))?.to_vec()),
                k::RAW_EVIDENCE => raw = Some(d.bytes().map_err(|_| bad("ear_raw_evidence must be bytes"))?.to_vec()),
                k::VERIFIER_ID => {
                    let (mut dev, mut build) = (None, None);
                    for (ik, iv) in MapEntries::new(v) {
                        match Decoder::new(ik).uint() {
                            Ok(0) => dev = Decoder::new(iv).str().ok(),
                            Ok(1) => build = Decoder::new(iv).str().ok(),
                            _ => {}
                        }
                    }
                    let dev = dev.ok_or(bad("ear_verifier_id needs a developer"))?;
                    let build = build.ok_or(bad("ear_verifier_id needs a build"))?;
                    vid = Some((dev.to_string(), build.to_string()));
                }
                keys::SUBMODS => {
                    let mut list = Vec::new();
                    for (name, a) in MapEntries::new(v) {
                        let name = Decoder::new(name).str().map_err(|_| bad("submod names must be text"))?;
                        list.push((name.to_string(), appraisal(a)?));
                    }
                    subs = Some(list);
                }
                _ => {}
            }
        }
        let (developer, build) = vid.ok_or(bad("ear_verifier_id is required"))?;
        let submods = subs.filter(|s| !s.is_empty()).ok_or(bad("submods with at least one appraisal is required"))?;
        Ok(Self {
            profile: profile.ok_or(bad("eat_profile is required"))?,
            iat: iat.ok_or(bad("iat is required"))?,
            exp,
            developer,
            build,
            nonce,
            raw_evidence: raw,
            submods,
        })
    }

    /// Signs the result as a tagged COSE_Sign1.
    ///
    /// # Errors
    /// The signer's failure.
    pub fn sign<S: iot_cose::CoseSigner + ?Sized>(&self, signer: &S) -> Result<Vec<u8>> {
        Ok(iot_cose::Sign1Builder::new(&self.to_cbor()).sign(signer)?)
    }

    /// Signs the result with a key loaded from PEM or COSE_Key.
    ///
    /// # Errors
    /// The signing failure.
    #[cfg(any(feature = "p256", feature = "ed25519"))]
    pub fn sign_with_key(&self, key: &iot_cose::PrivateKey) -> Result<Vec<u8>> {
        Ok(key.sign1(&iot_cose::Sign1Builder::new(&self.to_cbor()))?)
    }

    /// Verifies a signed EAR with the verifier's public key and decodes it; with `now`, an
    /// expired result is refused.
    ///
    /// # Errors
    /// COSE errors (bad signature), EAR decoding errors, [`Error::Expired`].
    #[cfg(any(feature = "p256", feature = "ed25519"))]
    pub fn verify(token: &[u8], key: &iot_cose::PublicKey, now: Option<i64>) -> Result<Self> {
        let msg = iot_cose::CoseSign1::decode(crate::token::strip_cwt_tag(token)?)?;
        let v = key.verify_sign1(&msg, None, &[], &iot_cose::VerifyOptions::default())?;
        let ear = Self::from_cbor(v.payload().unwrap_or_default())?;
        if let (Some(now), Some(exp)) = (now, ear.exp) {
            if now >= exp {
                return Err(Error::Expired);
            }
        }
        Ok(ear)
    }

    /// Reads the JSON form: the draft's names (`ear_status`, `ear_trustworthiness_vector`,
    /// `ear_appraisal_policy_ids`, `ear_verifier_id`, `ear_raw_evidence`) or Veraison's
    /// (`ear.status`, `ear.trustworthiness-vector`, `ear.appraisal-policy-id`, `ear.verifier-id`,
    /// `ear.raw-evidence`, bytes as base64url). A status is its name or its number; trust claims
    /// are integers from -128 to 127 under their AR4SI names. Veraison's key-attestation
    /// extension (`ear.veraison.key-attestation` or `ear_veraison_key_attestation`), when present, must carry `akpub`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a missing or mistyped claim.
    pub fn from_json(v: &Value) -> Result<Self> {
        let bad = |problem| Error::Invalid { what: "EAR", problem };
        let o = v.as_object().ok_or(bad("must be a JSON object"))?;
        let get = |a: &str, b: &str| o.get(a).or_else(|| o.get(b));
        let b64 = |x: &Value, problem| {
            use base64ct::Encoding as _;
            let s = x.as_str().ok_or(bad(problem))?;
            base64ct::Base64UrlUnpadded::decode_vec(s.trim_end_matches('=')).map_err(|_| bad(problem))
        };
        let profile = o.get("eat_profile").and_then(Value::as_str).ok_or(bad("eat_profile is required"))?;
        let iat = o.get("iat").and_then(Value::as_i64).ok_or(bad("iat is required"))?;
        let exp = match o.get("exp") {
            None => None,
            Some(x) => Some(x.as_i64().ok_or(bad("exp must be an integer"))?),
        };
        let vid = get("ear_verifier_id", "ear.verifier-id")
            .and_then(Value::as_object)
            .ok_or(bad("ear_verifier_id is required"))?;
        let developer = vid.get("developer").and_then(Value::as_str).ok_or(bad("ear_verifier_id needs a developer"))?;
        let build = vid.get("build").and_then(Value::as_str).ok_or(bad("ear_verifier_id needs a build"))?;
        let raw_evidence = match get("ear_raw_evidence", "ear.raw-evidence") {
            None => None,
            Some(x) => Some(b64(x, "ear_raw_evidence must be base64url")?),
        };
        let nonce = match o.get("eat_nonce") {
            None => None,
            Some(x) => Some(b64(x, "eat_nonce must be base64url")?),
        };
        let subs = o.get("submods").and_then(Value::as_object).ok_or(bad("submods is required"))?;
        let mut submods = Vec::new();
        for (name, a) in subs {
            let a = a.as_object().ok_or(bad("a submod must be an object"))?;
            let sget = |x: &str, y: &str| a.get(x).or_else(|| a.get(y));
            let status = match sget("ear_status", "ear.status").ok_or(bad("ear_status is required"))? {
                Value::String(n) => match n.as_str() {
                    "none" => Status::None,
                    "affirming" => Status::Affirming,
                    "warning" => Status::Warning,
                    "contraindicated" => Status::Contraindicated,
                    _ => return Err(bad("ear_status is not a tier name")),
                },
                x => Status::of(x.as_i64().and_then(|n| i8::try_from(n).ok()).ok_or(bad("ear_status out of range"))?),
            };
            let mut trust_vector = TrustVector::default();
            if let Some(t) = sget("ear_trustworthiness_vector", "ear.trustworthiness-vector") {
                let t = t.as_object().ok_or(bad("the trustworthiness vector must be an object"))?;
                for (k, x) in t {
                    let i = TV_NAMES.iter().position(|n| n == k).ok_or(bad("unknown trust claim"))?;
                    let val = x.as_i64().and_then(|n| i8::try_from(n).ok()).ok_or(bad("trust claim out of range"))?;
                    let slot = match i {
                        0 => &mut trust_vector.instance_identity,
                        1 => &mut trust_vector.configuration,
                        2 => &mut trust_vector.executables,
                        3 => &mut trust_vector.file_system,
                        4 => &mut trust_vector.hardware,
                        5 => &mut trust_vector.runtime_opaque,
                        6 => &mut trust_vector.storage_opaque,
                        _ => &mut trust_vector.sourced_data,
                    };
                    *slot = Some(val);
                }
            }
            let policy_ids = match (a.get("ear_appraisal_policy_ids"), a.get("ear.appraisal-policy-id")) {
                (Some(Value::Array(l)), _) => l
                    .iter()
                    .map(|x| x.as_str().map(str::to_string).ok_or(bad("policy ids must be text")))
                    .collect::<Result<Vec<_>>>()?,
                (Some(_), _) => return Err(bad("ear_appraisal_policy_ids must be an array")),
                (None, Some(Value::String(p))) => alloc::vec![p.clone()],
                (None, Some(_)) => return Err(bad("ear.appraisal-policy-id must be text")),
                (None, None) => Vec::new(),
            };
            if let Some(ka) = sget("ear.veraison.key-attestation", "ear_veraison_key_attestation") {
                let akpub = ka.as_object().and_then(|m| m.get("akpub")).ok_or(bad("key-attestation without akpub"))?;
                if b64(akpub, "akpub must be base64url")?.is_empty() {
                    return Err(bad("akpub is empty"));
                }
            }
            submods.push((name.clone(), Appraisal { status, trust_vector, policy_ids }));
        }
        if submods.is_empty() {
            return Err(bad("submods with at least one appraisal is required"));
        }
        Ok(Self {
            profile: profile.to_string(),
            iat,
            exp,
            developer: developer.to_string(),
            build: build.to_string(),
            nonce,
            raw_evidence,
            submods,
        })
    }

    /// Verifies an EAR in JWT form (JWS compact serialization, `ES256` with a P-256 key or `EdDSA`
    /// with an Ed25519 key) and reads its claims with [`Ear::from_json`]; with `now`, an expired
    /// result is refused. The header's own key (`jwk`), if any, is ignored: the caller's key decides.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a malformed token or an algorithm that does not fit the key,
    /// [`Error::KeyMismatch`] for a bad signature, [`Error::Expired`].
    #[cfg(any(feature = "p256", feature = "ed25519"))]
    pub fn verify_jwt(token: &str, key: &iot_cose::PublicKey, now: Option<i64>) -> Result<Self> {
        use base64ct::Encoding as _;
        let bad = |problem| Error::Invalid { what: "EAR JWT", problem };
        let mut parts = token.trim().split('.');
        let (Some(h), Some(p), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(bad("not a JWS compact serialization"));
        };
        let dec = |x: &str| base64ct::Base64UrlUnpadded::decode_vec(x).map_err(|_| bad("not base64url"));
        let header: Value = serde_json::from_slice(&dec(h)?).map_err(|_| bad("header is not JSON"))?;
        let alg = header.get("alg").and_then(Value::as_str).ok_or(bad("header without alg"))?;
        let signed = token.trim().get(..h.len().saturating_add(p.len()).saturating_add(1)).ok_or(bad("token"))?;
        let sig = dec(sig)?;
        let ok = match (alg, key) {
            #[cfg(feature = "p256")]
            ("ES256", iot_cose::PublicKey::P256(k)) => {
                let s = iot_cose::p256::ecdsa::Signature::from_slice(&sig).map_err(|_| bad("ES256 signature"))?;
                iot_cose::signature::Verifier::verify(k, signed.as_bytes(), &s).is_ok()
            }
            #[cfg(feature = "ed25519")]
            ("EdDSA", iot_cose::PublicKey::Ed25519(k)) => {
                let s = iot_cose::ed25519_dalek::Signature::from_slice(&sig).map_err(|_| bad("EdDSA signature"))?;
                k.verify_strict(signed.as_bytes(), &s).is_ok()
            }
            _ => return Err(bad("alg does not fit the key")),
        };
        if !ok {
            return Err(Error::KeyMismatch);
        }
        let claims: Value = serde_json::from_slice(&dec(p)?).map_err(|_| bad("payload is not JSON"))?;
        let ear = Self::from_json(&claims)?;
        if let (Some(now), Some(exp)) = (now, ear.exp) {
            if now >= exp {
                return Err(Error::Expired);
            }
        }
        Ok(ear)
    }

    /// The JSON form with the draft's claim names (`ear_status` as its tier name; bytes as
    /// base64url, as the draft's JSON encoding says), which [`Ear::from_json`] reads back.
    #[must_use]
    pub fn to_json(&self) -> Value {
        use base64ct::Encoding as _;
        let mut subs = Map::new();
        for (name, a) in &self.submods {
            let mut m = Map::new();
            m.insert("ear_status".into(), json!(a.status.name()));
            m.insert("ear_trustworthiness_vector".into(), a.trust_vector.to_json());
            if !a.policy_ids.is_empty() {
                m.insert("ear_appraisal_policy_ids".into(), json!(a.policy_ids));
            }
            subs.insert(name.clone(), Value::Object(m));
        }
        let mut o = Map::new();
        o.insert("eat_profile".into(), json!(self.profile));
        o.insert("iat".into(), json!(self.iat));
        if let Some(exp) = self.exp {
            o.insert("exp".into(), json!(exp));
        }
        o.insert("ear_verifier_id".into(), json!({"developer": self.developer, "build": self.build}));
        if let Some(n) = &self.nonce {
            o.insert("eat_nonce".into(), json!(base64ct::Base64UrlUnpadded::encode_string(n)));
        }
        if let Some(r) = &self.raw_evidence {
            o.insert("ear_raw_evidence".into(), json!(base64ct::Base64UrlUnpadded::encode_string(r)));
        }
        o.insert("submods".into(), Value::Object(subs));
        o.insert("status".into(), json!(self.status().name()));
        Value::Object(o)
    }
}

fn appraisal(raw: &[u8]) -> Result<Appraisal> {
    let bad = |problem| Error::Invalid { what: "EAR appraisal", problem };
    let (mut status, mut vector, mut policies) = (None, TrustVector::default(), Vec::new());
    for (key, v) in MapEntries::new(raw) {
        match Decoder::new(key).int() {
            Ok(k::STATUS) => {
                let s = Decoder::new(v)
                    .int()
                    .ok()
                    .and_then(|s| i8::try_from(s).ok())
                    .ok_or(bad("ear_status must be an int8"))?;
                status = Some(Status::of(s));
            }
            Ok(k::TRUST_VECTOR) => {
                for (tk, tv) in MapEntries::new(v) {
                    let key = Decoder::new(tk).uint().map_err(|_| bad("trust vector keys must be 0..7"))?;
                    let val = Decoder::new(tv)
                        .int()
                        .ok()
                        .and_then(|s| i8::try_from(s).ok())
                        .ok_or(bad("trust claims must be int8"))?;
                    *vector.slot(key).ok_or(bad("trust vector keys must be 0..7"))? = Some(val);
                }
            }
            Ok(k::POLICY_IDS) => {
                if Decoder::new(v).peek_type()? != Type::Array {
                    return Err(bad("ear_appraisal_policy_ids must be an array"));
                }
                for p in Items::new(v) {
                    policies.push(Decoder::new(p).str().map_err(|_| bad("policy ids must be text"))?.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(Appraisal { status: status.ok_or(bad("ear_status is required"))?, trust_vector: vector, policy_ids: policies })
}
