//! `iot cose ...`: keygen, sign, verify.

use crate::{Failure, Outcome, keys};
use clap::{Args, Subcommand, ValueEnum};
use iot_cose::{Algorithm, CoseSign1, Headers, PrivateKey, Sign1Builder, VerifyOptions};
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub(crate) enum CoseCommand {
    /// Generate a signing key pair.
    Keygen(KeygenArgs),
    /// Sign a payload into a tagged COSE_Sign1.
    Sign(SignArgs),
    /// Verify a COSE_Sign1.
    Verify(VerifyArgs),
}

/// Signature algorithms the CLI offers.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Alg {
    /// ECDSA P-256 with SHA-256 (COSE -7).
    #[value(name = "ES256")]
    Es256,
    /// EdDSA with Ed25519 (COSE -8).
    #[value(name = "EdDSA")]
    EdDsa,
}

impl Alg {
    pub(crate) fn cose(self) -> Algorithm {
        match self {
            Alg::Es256 => Algorithm::ES256,
            Alg::EdDsa => Algorithm::EDDSA,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Algorithm of the key.
    #[arg(long, value_enum)]
    alg: Alg,
    /// Where to write the private key (PEM, PKCS#8).
    #[arg(long)]
    out: PathBuf,
    /// Where to write the public key (PEM, SPKI).
    #[arg(long)]
    public: Option<PathBuf>,
    /// Also write the public key as a COSE_Key here.
    #[arg(long)]
    cose_key: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// Private key (PEM or COSE_Key).
    #[arg(long)]
    key: PathBuf,
    /// Algorithm; must match the key.
    #[arg(long, value_enum)]
    alg: Alg,
    /// Key identifier to put in the unprotected header (UTF-8 text).
    #[arg(long)]
    kid: Option<String>,
    /// Leave the payload out of the message (it is still signed).
    #[arg(long)]
    detached: bool,
    /// File with external additional authenticated data.
    #[arg(long)]
    aad: Option<PathBuf>,
    /// The payload file.
    payload: PathBuf,
    /// Output file (tagged COSE_Sign1).
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// Public key (PEM or COSE_Key; a private key file also works).
    #[arg(long)]
    key: PathBuf,
    /// The detached payload, when the message carries none.
    #[arg(long)]
    payload: Option<PathBuf>,
    /// File with external additional authenticated data.
    #[arg(long)]
    aad: Option<PathBuf>,
    /// Require `alg` in the protected header.
    #[arg(long)]
    require_protected_alg: bool,
    /// The COSE_Sign1 file.
    input: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: CoseCommand) -> Result<Outcome, Failure> {
    match cmd {
        CoseCommand::Keygen(a) => keygen(&a),
        CoseCommand::Sign(a) => sign(&a),
        CoseCommand::Verify(a) => verify(&a),
    }
}

fn keygen(a: &KeygenArgs) -> Result<Outcome, Failure> {
    let key = PrivateKey::generate(a.alg.cose())?;
    keys::write(&a.out, key.to_pem()?.as_bytes())?;
    let public = key.public_key();
    if let Some(p) = &a.public {
        keys::write(p, public.to_pem()?.as_bytes())?;
    }
    if let Some(p) = &a.cose_key {
        keys::write(p, &public.to_cose_key(None))?;
    }
    if a.json {
        println!(
            "{}",
            json!({
                "alg": a.alg.cose().to_string(),
                "private": a.out,
                "public": a.public,
                "cose_key": a.cose_key,
                "public_cose_key_hex": hex::encode(public.to_cose_key(None)),
            })
        );
    } else {
        println!("generated {} key -> {}", a.alg.cose(), a.out.display());
        if let Some(p) = &a.public {
            println!("public key -> {}", p.display());
        }
    }
    Ok(Outcome::Ok)
}

fn sign(a: &SignArgs) -> Result<Outcome, Failure> {
    let key = keys::private(&a.key)?;
    if key.algorithm() != a.alg.cose() {
        return Err(Failure(format!("--alg {} does not match the key ({})", a.alg.cose(), key.algorithm())));
    }
    let payload = keys::read(&a.payload)?;
    let aad = a.aad.as_ref().map(|p| keys::read(p)).transpose()?.unwrap_or_default();
    let mut unprotected = Headers::default();
    if let Some(k) = &a.kid {
        unprotected = unprotected.kid(k.as_bytes());
    }
    let builder = Sign1Builder::new(&payload).unprotected(unprotected).detached(a.detached).external_aad(&aad);
    let msg = key.sign1(&builder)?;
    keys::write(&a.out, &msg)?;
    if a.json {
        println!(
            "{}",
            json!({
                "out": a.out,
                "alg": a.alg.cose().to_string(),
                "kid": a.kid.as_ref().map(hex::encode),
                "detached": a.detached,
                "payload_len": payload.len(),
                "len": msg.len(),
            })
        );
    } else {
        println!("signed {} bytes with {} -> {} ({} bytes)", payload.len(), a.alg.cose(), a.out.display(), msg.len());
    }
    Ok(Outcome::Ok)
}

fn verify(a: &VerifyArgs) -> Result<Outcome, Failure> {
    let key = keys::public(&a.key)?;
    let bytes = keys::read(&a.input)?;
    let detached = a.payload.as_ref().map(|p| keys::read(p)).transpose()?;
    let aad = a.aad.as_ref().map(|p| keys::read(p)).transpose()?.unwrap_or_default();
    let opts = VerifyOptions::default().require_protected_alg(a.require_protected_alg);
    let result =
        CoseSign1::decode(&bytes).and_then(|m| key.verify_sign1(&m, detached.as_deref(), &aad, &opts).map(|v| (m, v)));
    match result {
        Ok((m, v)) => {
            let payload_len = v.payload().or(detached.as_deref()).map_or(0, <[u8]>::len);
            if a.json {
                println!(
                    "{}",
                    json!({
                        "valid": true,
                        "alg": v.alg().to_string(),
                        "kid": v.kid().map(hex::encode),
                        "payload_len": payload_len,
                        "detached": m.is_detached(),
                        "tagged": m.is_tagged(),
                    })
                );
            } else {
                println!("valid: {} signature, payload {} bytes", v.alg(), payload_len);
            }
            Ok(Outcome::Ok)
        }
        Err(e @ (iot_cose::Error::MissingPayload | iot_cose::Error::UnexpectedPayload)) => {
            Err(Failure(format!("{e} (use --payload for a detached payload, and only then)")))
        }
        Err(e) => {
            eprintln!("rejected: {e}");
            if a.json {
                let m = CoseSign1::decode(&bytes).ok();
                let alg = m.and_then(|m| match m.protected().map.alg().or(m.unprotected().alg()) {
                    Some(iot_cose::Label::Int(i)) => Some(Algorithm(i).to_string()),
                    _ => None,
                });
                println!(
                    "{}",
                    json!({
                        "valid": false,
                        "alg": alg,
                        "kid": m.and_then(|m| m.kid()).map(hex::encode),
                        "payload_len": m.and_then(|m| m.unverified_payload()).map(<[u8]>::len),
                        "error": e.to_string(),
                    })
                );
            }
            Ok(Outcome::Rejected)
        }
    }
}
