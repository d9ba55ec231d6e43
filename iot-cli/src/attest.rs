//! `iot attest evidence|verify|appraise|result`: attestation evidence and its appraisal.

use crate::{Failure, Outcome, keys};
use clap::{Args, Subcommand, ValueEnum};
use iot_attest::claims::Profile;
use iot_attest::{
    ClaimsSet, DebugStatus, Ear, Eat, Evidence, KeyMaterial, Measurement, OemId, Options, Psa, ReferenceValues, Status,
    Version,
};
use iot_cose::{HmacKey, PrivateKey};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub(crate) enum AttestCommand {
    /// Write signed evidence (an EAT or a PSA token) from a claims file and a nonce.
    Evidence(EvidenceArgs),
    /// Verify evidence: signature or MAC, claims rules, nonce, validity time.
    Verify(VerifyArgs),
    /// Verify evidence, appraise it against reference values, print the attestation result (EAR).
    Appraise(AppraiseArgs),
    /// Verify a signed attestation result (EAR), as a relying party does.
    Result(ResultArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ProfileArg {
    /// RFC 9711 EAT (generic rules; the constrained profile when the claims name it).
    Eat,
    /// RFC 9783 PSA attestation token.
    Psa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckProfile {
    /// The profile the token names.
    Auto,
    /// Plain RFC 9711 rules.
    Eat,
    /// RFC 9711 constrained device profile (preferred serialization, nonce required).
    Constrained,
    /// RFC 9783 PSA token.
    Psa,
}

impl CheckProfile {
    fn profile(self) -> Option<Profile> {
        match self {
            Self::Auto => None,
            Self::Eat => Some(Profile::Generic),
            Self::Constrained => Some(Profile::Constrained),
            Self::Psa => Some(Profile::Psa),
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct EvidenceArgs {
    /// Attestation key: PEM / COSE_Key private key (COSE_Sign1) or a symmetric COSE_Key (COSE_Mac0).
    #[arg(long)]
    key: PathBuf,
    /// Claims file (JSON, see the iot-attest README).
    #[arg(long)]
    claims: PathBuf,
    /// The verifier's nonce, hex.
    #[arg(long)]
    nonce: String,
    /// Token format.
    #[arg(long, value_enum, default_value_t = ProfileArg::Eat)]
    profile: ProfileArg,
    /// Measured-boot log (JSON array of measurements), instead of or added to the claims file's.
    #[arg(long)]
    log: Option<PathBuf>,
    /// Key id to put in the unprotected header, hex.
    #[arg(long)]
    kid: Option<String>,
    /// Where to write the token.
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The device's public key (PEM / COSE_Key), or its symmetric key for COSE_Mac0 tokens.
    #[arg(long)]
    key: PathBuf,
    /// The nonce the token must carry, hex.
    #[arg(long)]
    nonce: Option<String>,
    /// Claims rules to apply.
    #[arg(long, value_enum, default_value_t = CheckProfile::Auto)]
    profile: CheckProfile,
    /// Validation time for exp / nbf, seconds since the epoch (default: now).
    #[arg(long)]
    time: Option<i64>,
    /// The token.
    token: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AppraiseArgs {
    /// The device's public key (or symmetric key).
    #[arg(long)]
    key: PathBuf,
    /// Reference values: JSON (see the iot-attest README) or a CoRIM / CoMID (CBOR).
    #[arg(long)]
    reference: PathBuf,
    /// The key that signed a signed CoRIM given as --reference.
    #[arg(long)]
    reference_key: Option<PathBuf>,
    /// The nonce the token must carry, hex.
    #[arg(long)]
    nonce: Option<String>,
    /// Validation time, seconds since the epoch (default: now).
    #[arg(long)]
    time: Option<i64>,
    /// The evidence.
    token: PathBuf,
    /// The verifier's private key: sign the EAR and write it to --out.
    #[arg(long)]
    sign_key: Option<PathBuf>,
    /// Where to write the signed EAR (default ear.cbor).
    #[arg(short = 'o', long = "out")]
    out: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ResultArgs {
    /// The verifier's public key.
    #[arg(long)]
    key: PathBuf,
    /// Validation time for exp (default: now).
    #[arg(long)]
    time: Option<i64>,
    /// The signed EAR: COSE_Sign1 (CBOR) or a JWT (ES256 / EdDSA).
    ear: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(c: AttestCommand) -> Result<Outcome, Failure> {
    match c {
        AttestCommand::Evidence(a) => evidence(&a),
        AttestCommand::Verify(a) => verify(&a),
        AttestCommand::Appraise(a) => appraise(&a),
        AttestCommand::Result(a) => result(&a),
    }
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn unhex(what: &str, s: &str) -> Result<Vec<u8>, Failure> {
    hex::decode(s.trim()).map_err(|e| Failure(format!("{what}: not hex: {e}")))
}

fn hex32(what: &str, s: &str) -> Result<[u8; 32], Failure> {
    unhex(what, s)?.try_into().map_err(|_| Failure(format!("{what}: must be 32 bytes")))
}

/// A verification key: public (a private key file yields its public half) or symmetric.
fn verification_key(path: &Path) -> Result<KeyMaterial, Failure> {
    Ok(match keys::material(path)? {
        KeyMaterial::Private(p) => KeyMaterial::Public(p.public_key()),
        m => m,
    })
}

enum SigningKey {
    Private(Box<PrivateKey>),
    Hmac(iot_cose::SymmetricKey),
}

fn signing_key(path: &Path) -> Result<SigningKey, Failure> {
    match keys::material(path)? {
        KeyMaterial::Private(p) => Ok(SigningKey::Private(Box::new(p))),
        KeyMaterial::Symmetric(s) => Ok(SigningKey::Hmac(s)),
        _ => Err(Failure(format!("{}: a public key cannot sign", path.display()))),
    }
}

/// A measurement from the claims file or log, owned.
struct OwnedMeasurement {
    name: String,
    version: String,
    signer_id: [u8; 32],
    value: [u8; 32],
}

fn measurements(v: &Value, base: &Path) -> Result<Vec<OwnedMeasurement>, Failure> {
    let list = v.as_array().ok_or_else(|| Failure("measurements: must be an array".into()))?;
    list.iter()
        .map(|m| {
            let s = |k: &str| m.get(k).and_then(Value::as_str);
            let name = s("name").ok_or_else(|| Failure("measurement: \"name\" is required".into()))?.to_string();
            let value = match (s("digest"), s("image")) {
                (Some(d), _) => hex32("measurement digest", d)?,
                (None, Some(file)) => {
                    let image = keys::read(&base.join(file))?;
                    Measurement::of("", "", [0; 32], &image).value
                }
                (None, None) => return Err(Failure(format!("measurement {name}: needs \"digest\" or \"image\""))),
            };
            let signer_id = s("signer_id").map(|h| hex32("signer_id", h)).transpose()?.unwrap_or([0; 32]);
            Ok(OwnedMeasurement { name, version: s("version").unwrap_or("").to_string(), signer_id, value })
        })
        .collect()
}

fn version(v: Option<&Value>) -> Result<Option<(String, Option<i64>)>, Failure> {
    Ok(match v {
        None => None,
        Some(Value::String(s)) => Some((s.clone(), None)),
        Some(Value::Array(a)) => {
            let s = a.first().and_then(Value::as_str).ok_or_else(|| Failure("version: [text, scheme]".into()))?;
            Some((s.to_string(), a.get(1).and_then(Value::as_i64)))
        }
        Some(_) => return Err(Failure("version: must be text or [text, scheme]".into())),
    })
}

fn evidence(a: &EvidenceArgs) -> Result<Outcome, Failure> {
    let text = std::fs::read_to_string(&a.claims).map_err(|e| Failure(format!("{}: {e}", a.claims.display())))?;
    let j: Value = serde_json::from_str(&text).map_err(|e| Failure(format!("{}: {e}", a.claims.display())))?;
    let base = a.claims.parent().unwrap_or(Path::new("."));
    let nonce = unhex("--nonce", &a.nonce)?;
    let mut ms = match j.get("measurements") {
        Some(v) => measurements(v, base)?,
        None => Vec::new(),
    };
    if let Some(log) = &a.log {
        let t = std::fs::read_to_string(log).map_err(|e| Failure(format!("{}: {e}", log.display())))?;
        let v: Value = serde_json::from_str(&t).map_err(|e| Failure(format!("{}: {e}", log.display())))?;
        ms.extend(measurements(&v, log.parent().unwrap_or(Path::new(".")))?);
    }
    let comps: Vec<Measurement<'_>> = ms
        .iter()
        .map(|m| Measurement { name: &m.name, version: &m.version, signer_id: m.signer_id, value: m.value })
        .collect();
    let s = |k: &str| j.get(k).and_then(Value::as_str);
    let hexfield = |k: &str| s(k).map(|h| unhex(k, h)).transpose();
    let kid = a.kid.as_deref().map(|k| unhex("--kid", k)).transpose()?;
    let key = signing_key(&a.key)?;

    let claims_bytes: Vec<u8>;
    let owned_ueid = hexfield("ueid")?;
    let owned_hwmodel = hexfield("hwmodel")?;
    let owned_bootseed = hexfield("bootseed")?;
    match a.profile {
        ProfileArg::Psa => {
            if let SigningKey::Private(k) = &key {
                if k.algorithm() != iot_cose::Algorithm::ES256 {
                    return Err(Failure("psa: RFC 9783 tokens are signed with ECDSA (ES256); use a P-256 key".into()));
                }
            }
            let instance = hexfield("instance_id")?
                .or(owned_ueid.clone())
                .ok_or_else(|| Failure("psa: instance_id is required".into()))?;
            let impl_id = hex32(
                "implementation_id",
                s("implementation_id").ok_or_else(|| Failure("psa: implementation_id is required".into()))?,
            )?;
            let lifecycle = match j.get("lifecycle") {
                Some(Value::String(name)) if name == "secured" => 0x3000,
                Some(v) => v
                    .as_u64()
                    .and_then(|v| u16::try_from(v).ok())
                    .ok_or_else(|| Failure("lifecycle: a number or \"secured\"".into()))?,
                None => 0x3000,
            };
            let client_id = j.get("client_id").and_then(Value::as_i64).unwrap_or(1);
            let client_id = i32::try_from(client_id).map_err(|_| Failure("client_id: must fit 32 bits".into()))?;
            let mut psa = Psa::new(&nonce, &instance, &impl_id, client_id, lifecycle, &comps);
            psa.boot_seed = owned_bootseed.as_deref();
            psa.certification_reference = s("certification_reference");
            psa.vsi = s("vsi");
            claims_bytes = sign(&psa, &key, kid.as_deref())?;
        }
        ProfileArg::Eat => {
            let hwv = version(j.get("hwversion"))?;
            let swv = version(j.get("swversion"))?;
            let oemid_bytes;
            let oemid = match j.get("oemid") {
                None => None,
                Some(Value::Number(n)) => {
                    Some(OemId::Pen(n.as_u64().ok_or_else(|| Failure("oemid: a PEN number".into()))?))
                }
                Some(Value::String(h)) => {
                    oemid_bytes = unhex("oemid", h)?;
                    Some(if oemid_bytes.len() == 3 { OemId::Ieee(&oemid_bytes) } else { OemId::Random(&oemid_bytes) })
                }
                Some(_) => return Err(Failure("oemid: a number or hex".into())),
            };
            let dbgstat = match j.get("dbgstat") {
                None => None,
                Some(v) => {
                    let code = v
                        .as_u64()
                        .or_else(|| (0..5).find(|&c| DebugStatus::from_u64(c).map(DebugStatus::name) == v.as_str()));
                    Some(
                        code.and_then(DebugStatus::from_u64)
                            .ok_or_else(|| Failure("dbgstat: 0..4 or its name".into()))?,
                    )
                }
            };
            let eat = Eat {
                iss: s("iss"),
                sub: s("sub"),
                iat: j.get("iat").and_then(Value::as_i64).or(Some(now())),
                exp: j.get("exp").and_then(Value::as_i64),
                nonce: Some(&nonce),
                ueid: owned_ueid.as_deref(),
                oemid,
                hwmodel: owned_hwmodel.as_deref(),
                hwversion: hwv.as_ref().map(|(v, sch)| Version { version: v, scheme: *sch }),
                swname: s("swname"),
                swversion: swv.as_ref().map(|(v, sch)| Version { version: v, scheme: *sch }),
                oemboot: j.get("oemboot").and_then(Value::as_bool),
                dbgstat,
                uptime: j.get("uptime").and_then(Value::as_u64),
                bootcount: j.get("bootcount").and_then(Value::as_u64),
                bootseed: owned_bootseed.as_deref(),
                profile: s("eat_profile"),
                intuse: j.get("intuse").and_then(Value::as_i64),
                measurements: &comps,
                ..Eat::default()
            };
            claims_bytes = sign(&eat, &key, kid.as_deref())?;
        }
    }
    keys::write(&a.out, &claims_bytes)?;
    println!("wrote {} ({} bytes, {} measurements)", a.out.display(), claims_bytes.len(), comps.len());
    Ok(Outcome::Ok)
}

fn sign<C: ClaimsSet>(claims: &C, key: &SigningKey, kid: Option<&[u8]>) -> Result<Vec<u8>, Failure> {
    match key {
        SigningKey::Private(k) => iot_attest::sign_with_key(claims, k, kid),
        SigningKey::Hmac(k) => iot_attest::mac(claims, &HmacKey::new(k.as_bytes()), kid),
    }
    .map_err(|e| Failure(format!("cannot write evidence: {e}")))
}

fn options<'o>(nonce: Option<&'o [u8]>, profile: Option<Profile>, time: i64) -> Options<'o> {
    let mut o = Options::default().now(time);
    if let Some(n) = nonce {
        o = o.nonce(n);
    }
    if let Some(p) = profile {
        o = o.profile(p);
    }
    o
}

fn kind_name(k: iot_attest::Kind) -> &'static str {
    match k {
        iot_attest::Kind::Sign1 => "sign1",
        iot_attest::Kind::Mac0 => "mac0",
    }
}

/// The profile the unverified token names, for reporting a rejection.
fn claimed_profile(token: &[u8]) -> Option<&'static str> {
    let ev = Evidence::decode_as(token, Some(iot_attest::Kind::Sign1)).ok()?;
    iot_attest::Claims::decode(ev.unverified_payload()?).ok().map(|c| c.profile.name())
}

fn verify(a: &VerifyArgs) -> Result<Outcome, Failure> {
    let key = verification_key(&a.key)?;
    let token = keys::read(&a.token)?;
    let nonce = a.nonce.as_deref().map(|n| unhex("--nonce", n)).transpose()?;
    let opts = options(nonce.as_deref(), a.profile.profile(), a.time.unwrap_or_else(now));
    match iot_attest::verify(&token, &key, &opts) {
        Ok(v) => {
            if a.json {
                println!(
                    "{}",
                    json!({
                        "valid": true,
                        "profile": v.claims.profile.name(),
                        "kind": kind_name(v.kind),
                        "alg": v.alg.0,
                        "claims": iot_attest::render::claims_to_json(&v.claims),
                    })
                );
            } else {
                println!("valid {} evidence ({}, alg {})", v.claims.profile.name(), kind_name(v.kind), v.alg.0);
                println!("{}", serde_json::to_string_pretty(&iot_attest::render::claims_to_json(&v.claims))?);
            }
            Ok(Outcome::Ok)
        }
        Err(e) => {
            if a.json {
                println!("{}", json!({"valid": false, "profile": claimed_profile(&token), "reason": e.to_string()}));
            }
            eprintln!("rejected: {e}");
            Ok(Outcome::Rejected)
        }
    }
}

fn appraise(a: &AppraiseArgs) -> Result<Outcome, Failure> {
    let key = verification_key(&a.key)?;
    let token = keys::read(&a.token)?;
    let raw = keys::read(&a.reference)?;
    let refs = if raw.trim_ascii_start().starts_with(b"{") {
        ReferenceValues::from_json(&String::from_utf8_lossy(&raw))
    } else {
        let corim_key = a.reference_key.as_deref().map(keys::material).transpose()?;
        iot_attest::corim::reference_values(&raw, corim_key.as_ref())
    }
    .map_err(|e| Failure(format!("{}: {e}", a.reference.display())))?;
    if refs.components.is_empty() && refs.implementation_ids.is_empty() && refs.hwmodels.is_empty() {
        // An appraisal against nothing would affirm any evidence.
        return Err(Failure(format!("{}: no reference values", a.reference.display())));
    }
    let nonce = a.nonce.as_deref().map(|n| unhex("--nonce", n)).transpose()?;
    let t = a.time.unwrap_or_else(now);
    let opts = options(nonce.as_deref(), None, t);
    let (appraisal, reason, echoed) = match iot_attest::verify(&token, &key, &opts) {
        Ok(v) => (refs.appraise(&v.claims), None, v.claims.single_nonce().map(<[u8]>::to_vec)),
        Err(e) => (refs.failed(), Some(e.to_string()), None),
    };
    let mut ear = Ear::new(t, &refs.name, appraisal);
    ear.nonce = echoed;
    let status = ear.status();
    if let Some(sk) = &a.sign_key {
        let k = keys::private(sk)?;
        let signed = ear.sign_with_key(&k).map_err(|e| Failure(format!("cannot sign the EAR: {e}")))?;
        let out = a.out.clone().unwrap_or_else(|| PathBuf::from("ear.cbor"));
        keys::write(&out, &signed)?;
        if !a.json {
            println!("wrote signed EAR {} ({} bytes)", out.display(), signed.len());
        }
    }
    let mut j = ear.to_json();
    if let (Some(r), Some(o)) = (&reason, j.as_object_mut()) {
        o.insert("reason".into(), json!(r));
    }
    if a.json {
        println!("{j}");
    } else {
        println!("{}", serde_json::to_string_pretty(&j)?);
    }
    if let Some(r) = reason {
        eprintln!("rejected: {r}");
    }
    Ok(if status == Status::Affirming { Outcome::Ok } else { Outcome::Rejected })
}

fn result(a: &ResultArgs) -> Result<Outcome, Failure> {
    let key = keys::public(&a.key)?;
    let bytes = keys::read(&a.ear)?;
    let at = Some(a.time.unwrap_or_else(now));
    // A JWT (JWS compact, starts with the base64url of `{"`) or else COSE_Sign1 CBOR.
    let verified = match std::str::from_utf8(&bytes) {
        Ok(token) if token.trim_start().starts_with("eyJ") => Ear::verify_jwt(token, &key, at),
        _ => Ear::verify(&bytes, &key, at),
    };
    match verified {
        Ok(ear) => {
            let j = ear.to_json();
            if a.json {
                println!("{j}");
            } else {
                println!("{}", serde_json::to_string_pretty(&j)?);
            }
            Ok(if ear.status() == Status::Affirming { Outcome::Ok } else { Outcome::Rejected })
        }
        Err(e) => {
            if a.json {
                println!("{}", json!({"valid": false, "reason": e.to_string()}));
            }
            eprintln!("rejected: {e}");
            Ok(Outcome::Rejected)
        }
    }
}
