//! `iot identity ca|csr|issue|verify|claim|pin`: device identity certificates (IEEE 802.1AR DevID).

use crate::{Failure, Outcome, keys};
use clap::{Args, Subcommand, ValueEnum};
use iot_cose::{Algorithm, PrivateKey};
use iot_identity::cert::{pem_blocks, to_pem};
use iot_identity::claim;
use iot_identity::{Ca, Certificate, ExpectedName, Options, Profile, Subject, Time, validate, write_csr};
use serde_json::json;
use std::path::{Path, PathBuf};

const DAY: i64 = 86_400;

#[derive(Debug, Subcommand)]
pub(crate) enum IdentityCommand {
    /// Create a root CA, or an intermediate CA under an existing one.
    Ca(CaArgs),
    /// Write a device's certification request (PKCS#10) signed by its key (proof of possession).
    Csr(CsrArgs),
    /// Issue a DevID certificate from a CSR (checks the CSR's signature first).
    Issue(IssueArgs),
    /// Validate a certificate chain (RFC 5280 path validation under a profile).
    Verify(VerifyArgs),
    /// Claim a device with proof of physical possession (code on its label, signed answer).
    #[command(subcommand)]
    Claim(ClaimCommand),
    /// Print a certificate's SPKI pin (SHA-256), or check it against a pin list.
    Pin(PinArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum ClaimCommand {
    /// Factory: make a new claim code for the label / QR code, and the hash the device keeps.
    Code(ClaimCodeArgs),
    /// Cloud: open a challenge (a fresh nonce) for an account.
    Challenge(ClaimChallengeArgs),
    /// Device: answer a challenge, signed with the DevID key.
    Respond(ClaimRespondArgs),
    /// Cloud: check a device's answer against the owner's code and the challenge.
    Verify(ClaimVerifyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ClaimCodeArgs {
    /// Write the code hash (hex) the device stores here.
    #[arg(long)]
    hash_out: Option<PathBuf>,
    /// Use this code instead of a random one (to compute its hash).
    #[arg(long)]
    code: Option<String>,
    /// Print one JSON object: code, hash.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ClaimChallengeArgs {
    /// The account that claims the device.
    #[arg(long)]
    account: String,
    /// Print one JSON object: nonce, account.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ClaimRespondArgs {
    /// The device's DevID private key (PEM).
    #[arg(long)]
    key: PathBuf,
    /// The code hash file the device keeps (hex, from `claim code --hash-out`).
    #[arg(long)]
    code_hash: PathBuf,
    /// The device serial number.
    #[arg(long)]
    serial: String,
    /// The account named in the challenge.
    #[arg(long)]
    account: String,
    /// The challenge nonce (32 hex digits).
    #[arg(long)]
    nonce: String,
    /// Where to write the answer (COSE_Sign1).
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ClaimVerifyArgs {
    /// The device's DevID certificate (PEM or DER).
    #[arg(long)]
    cert: PathBuf,
    /// Validate the certificate to these roots under the devid profile first.
    #[arg(long)]
    roots: Option<PathBuf>,
    /// Intermediates for `--roots`.
    #[arg(long, requires = "roots")]
    intermediates: Option<PathBuf>,
    /// The code the owner presented (from the label or QR code).
    #[arg(long)]
    code: String,
    /// The account that claims the device.
    #[arg(long)]
    account: String,
    /// The challenge nonce sent to the device (32 hex digits).
    #[arg(long)]
    nonce: String,
    /// The device's answer.
    response: PathBuf,
    /// Print one JSON object: valid, serial, account, reason.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PinArgs {
    /// The certificate (PEM or DER; with several, the first).
    cert: PathBuf,
    /// Check the key against this pin list (one `sha256/<base64>` or hex digest per line).
    #[arg(long)]
    check: Option<PathBuf>,
    /// Print one JSON object: pin, sha256, pinned (with --check).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AlgArg {
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// Ed25519.
    Eddsa,
}

#[derive(Debug, Args)]
pub(crate) struct CaArgs {
    /// The CA's commonName.
    #[arg(long)]
    subject: String,
    /// Make an intermediate CA certified by this CA certificate (PEM or DER)...
    #[arg(long, requires = "ca_key")]
    intermediate_of: Option<PathBuf>,
    /// ...whose private key is this file.
    #[arg(long)]
    ca_key: Option<PathBuf>,
    /// Validity in days.
    #[arg(long, default_value_t = 3650)]
    days: u32,
    /// pathLenConstraint (default: none for a root, 0 for an intermediate).
    #[arg(long)]
    path_len: Option<u8>,
    /// Key algorithm of the new CA key.
    #[arg(long, value_enum, default_value_t = AlgArg::Es256)]
    alg: AlgArg,
    /// Where to write the CA certificate (PEM).
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    /// Where to write the new CA private key (PKCS#8 PEM).
    #[arg(long)]
    key_out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct CsrArgs {
    /// The device key (PKCS#8 PEM or COSE_Key); created (P-256) when the file does not exist.
    #[arg(long)]
    key: PathBuf,
    /// The device serial number (subject serialNumber, IEEE 802.1AR).
    #[arg(long)]
    serial: String,
    /// A subject commonName.
    #[arg(long)]
    cn: Option<String>,
    /// Where to write the CSR (PEM).
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct IssueArgs {
    /// The issuing CA certificate (PEM or DER).
    #[arg(long)]
    ca: PathBuf,
    /// The issuing CA's private key.
    #[arg(long)]
    ca_key: PathBuf,
    /// The device's CSR (PEM or DER).
    #[arg(long)]
    csr: PathBuf,
    /// Validity in days; without it the certificate has no expiry (99991231235959Z, as 802.1AR
    /// recommends for an IDevID).
    #[arg(long)]
    days: Option<u32>,
    /// Where to write the certificate (PEM).
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ProfileArg {
    /// RFC 5280 only.
    Rfc5280,
    /// IEEE 802.1AR DevID.
    Devid,
    /// Matter PAA -> PAI -> DAC.
    Matter,
    /// Web PKI (CA/Browser Forum) rules.
    Webpki,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EkuArg {
    /// TLS client authentication (a device).
    Client,
    /// TLS server authentication.
    Server,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// Trust anchors (PEM, one or more certificates).
    #[arg(long)]
    roots: PathBuf,
    /// Untrusted intermediates (PEM, any number).
    #[arg(long)]
    intermediates: Option<PathBuf>,
    /// Validation time (RFC 3339); default now.
    #[arg(long)]
    time: Option<String>,
    /// The profile.
    #[arg(long, value_enum, default_value_t = ProfileArg::Rfc5280)]
    profile: ProfileArg,
    /// A purpose the certificate must allow.
    #[arg(long, value_enum)]
    eku: Option<EkuArg>,
    /// A DNS name the certificate must be valid for.
    #[arg(long)]
    dns: Option<String>,
    /// Accept CAs that omit key identifiers and other issuance details (as rustls-webpki does).
    #[arg(long)]
    lenient: bool,
    /// The certificate to validate (PEM or DER).
    leaf: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: IdentityCommand) -> Result<Outcome, Failure> {
    match cmd {
        IdentityCommand::Ca(a) => ca(&a),
        IdentityCommand::Csr(a) => csr(&a),
        IdentityCommand::Issue(a) => issue(&a),
        IdentityCommand::Verify(a) => verify(&a),
        IdentityCommand::Claim(c) => match c {
            ClaimCommand::Code(a) => claim_code(&a),
            ClaimCommand::Challenge(a) => claim_challenge(&a),
            ClaimCommand::Respond(a) => claim_respond(&a),
            ClaimCommand::Verify(a) => claim_verify(&a),
        },
        IdentityCommand::Pin(a) => pin(&a),
    }
}

fn nonce_arg(hex_nonce: &str) -> Result<[u8; 16], Failure> {
    let bytes = hex::decode(hex_nonce.trim()).map_err(|e| Failure(format!("--nonce: {e}")))?;
    bytes.try_into().map_err(|_| Failure("--nonce: expected 32 hex digits".into()))
}

fn claim_code(a: &ClaimCodeArgs) -> Result<Outcome, Failure> {
    let code = match &a.code {
        Some(c) => c.clone(),
        None => claim::generate_code()?,
    };
    let hash = hex::encode(claim::code_hash(&code)?);
    if let Some(p) = &a.hash_out {
        keys::write(p, format!("{hash}\n").as_bytes())?;
    }
    if a.json {
        println!("{}", json!({"code": code, "hash": hash}));
    } else {
        println!("{code}");
        if let Some(p) = &a.hash_out {
            eprintln!("code hash for the device written to {}", p.display());
        }
    }
    Ok(Outcome::Ok)
}

fn claim_challenge(a: &ClaimChallengeArgs) -> Result<Outcome, Failure> {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(|e| Failure(format!("rng: {e}")))?;
    if a.json {
        println!("{}", json!({"nonce": hex::encode(nonce), "account": a.account}));
    } else {
        println!("{}", hex::encode(nonce));
    }
    Ok(Outcome::Ok)
}

fn claim_respond(a: &ClaimRespondArgs) -> Result<Outcome, Failure> {
    let key = keys::private(&a.key)?;
    let text = keys::read(&a.code_hash)?;
    let hash: [u8; 32] = hex::decode(String::from_utf8_lossy(&text).trim())
        .ok()
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| Failure(format!("{}: expected 64 hex digits", a.code_hash.display())))?;
    let challenge = claim::Challenge { nonce: nonce_arg(&a.nonce)?, account: &a.account };
    let mut buf = [0u8; 1024];
    let n = match &key {
        PrivateKey::P256(k) => claim::respond(&hash, &challenge, &a.serial, k, &mut buf)?,
        PrivateKey::Ed25519(k) => claim::respond(&hash, &challenge, &a.serial, k, &mut buf)?,
        _ => return Err(Failure(format!("{}: unsupported key type", a.key.display()))),
    };
    let out = buf.get(..n).ok_or_else(|| Failure("answer too large".into()))?;
    keys::write(&a.out, out)?;
    println!("wrote {} ({n} bytes): claim answer for {} by {}", a.out.display(), a.account, a.serial);
    Ok(Outcome::Ok)
}

fn claim_verify(a: &ClaimVerifyArgs) -> Result<Outcome, Failure> {
    let cert_der = one(&a.cert, "CERTIFICATE")?;
    let response = keys::read(&a.response)?;
    let nonce = nonce_arg(&a.nonce)?;
    let roots = match &a.roots {
        Some(p) => read_certs(p, "CERTIFICATE")?,
        None => Vec::new(),
    };
    let inters = match &a.intermediates {
        Some(p) => read_certs(p, "CERTIFICATE")?,
        None => Vec::new(),
    };
    let result = Certificate::from_der(&cert_der).and_then(|cert| {
        if a.roots.is_some() {
            let anchors: Vec<Certificate<'_>> = roots.iter().filter_map(|d| Certificate::from_der(d).ok()).collect();
            let ints: Vec<Certificate<'_>> = inters.iter().filter_map(|d| Certificate::from_der(d).ok()).collect();
            validate(&cert, &ints, &anchors, &Options::new(Time::now(), Profile::DevId))?;
        }
        let key = iot_identity::provision::VerifyKey::from_public_key(&cert.public_key)?;
        let challenge = claim::Challenge { nonce, account: &a.account };
        let proof = claim::verify_response(&response, &key, &a.code, &challenge)?;
        if cert.subject.serial_number() != Some(proof.serial) {
            return Err(iot_identity::Error::WrongBinding("answer names another serial than the certificate"));
        }
        Ok(proof.serial.to_owned())
    });
    match result {
        Ok(serial) => {
            if a.json {
                println!("{}", json!({"valid": true, "serial": serial, "account": a.account}));
            } else {
                println!("claimed: device {serial} for {}", a.account);
            }
            Ok(Outcome::Ok)
        }
        Err(e) => {
            if a.json {
                println!("{}", json!({"valid": false, "account": a.account, "reason": e.to_string()}));
            } else {
                eprintln!("rejected: {e}");
            }
            Ok(Outcome::Rejected)
        }
    }
}

fn pin(a: &PinArgs) -> Result<Outcome, Failure> {
    use base64ct::Encoding as _;
    let der = one(&a.cert, "CERTIFICATE")?;
    let cert = Certificate::from_der(&der).map_err(|e| Failure(format!("{}: {e}", a.cert.display())))?;
    let digest = iot_identity::spki_sha256(&cert);
    let pin = format!("sha256/{}", base64ct::Base64::encode_string(&digest));
    let Some(list) = &a.check else {
        if a.json {
            println!("{}", json!({"pin": pin, "sha256": hex::encode(digest)}));
        } else {
            println!("{pin}");
        }
        return Ok(Outcome::Ok);
    };
    let text = String::from_utf8_lossy(&keys::read(list)?).into_owned();
    let mut pins = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let bytes = match line.strip_prefix("sha256/") {
            Some(b64) => base64ct::Base64::decode_vec(b64).ok(),
            None => hex::decode(line).ok(),
        };
        let d: [u8; 32] = bytes
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Failure(format!("{}: not a SHA-256 pin: {line}", list.display())))?;
        pins.push(d);
    }
    let pinned = iot_identity::PinSet::new(&pins).check(&cert).is_ok();
    if a.json {
        println!("{}", json!({"pin": pin, "sha256": hex::encode(digest), "pinned": pinned}));
    } else if pinned {
        println!("pinned: {pin}");
    } else {
        eprintln!("not pinned: {pin}");
    }
    Ok(if pinned { Outcome::Ok } else { Outcome::Rejected })
}

/// Every certificate in a PEM file, or the file itself when it is DER.
pub(crate) fn read_certs(path: &Path, label: &str) -> Result<Vec<Vec<u8>>, Failure> {
    let bytes = keys::read(path)?;
    if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        let text = String::from_utf8_lossy(&bytes);
        let ders = pem_blocks(&text, label);
        if ders.is_empty() {
            return Err(Failure(format!("{}: no {label} PEM block", path.display())));
        }
        Ok(ders)
    } else {
        Ok(vec![bytes])
    }
}

fn one(path: &Path, label: &str) -> Result<Vec<u8>, Failure> {
    read_certs(path, label)?.into_iter().next().ok_or_else(|| Failure(format!("{}: empty", path.display())))
}

fn load_ca(cert: &Path, key: &Path) -> Result<Ca<PrivateKey>, Failure> {
    let der = one(cert, "CERTIFICATE")?;
    let key = keys::private(key)?;
    Ca::from_parts(der, key).map_err(|e| Failure(format!("{}: {e}", cert.display())))
}

fn days(n: u32) -> i64 {
    i64::from(n).saturating_mul(DAY)
}

fn ca(a: &CaArgs) -> Result<Outcome, Failure> {
    let alg = match a.alg {
        AlgArg::Es256 => Algorithm::ES256,
        AlgArg::Eddsa => Algorithm::EDDSA,
    };
    let key = PrivateKey::generate(alg)?;
    let key_pem = key.to_pem()?;
    let now = Time::now();
    let subject = Subject::common_name(&a.subject);
    let new = match (&a.intermediate_of, &a.ca_key) {
        (Some(parent), Some(parent_key)) => {
            let parent = load_ca(parent, parent_key)?;
            Ca::intermediate(&subject, key, &parent, now, now.plus(days(a.days)), Some(a.path_len.unwrap_or(0)))?
        }
        _ => Ca::root(&subject, key, now, now.plus(days(a.days)), a.path_len)?,
    };
    keys::write(&a.key_out, key_pem.as_bytes())?;
    keys::write(&a.out, to_pem(new.certificate_der(), "CERTIFICATE").as_bytes())?;
    println!("wrote {} (CA {}) and its key {}", a.out.display(), a.subject, a.key_out.display());
    Ok(Outcome::Ok)
}

fn csr(a: &CsrArgs) -> Result<Outcome, Failure> {
    let key = if a.key.exists() {
        keys::private(&a.key)?
    } else {
        let k = PrivateKey::generate(Algorithm::ES256)?;
        keys::write(&a.key, k.to_pem()?.as_bytes())?;
        println!("created device key {}", a.key.display());
        k
    };
    let mut buf = [0u8; 1024];
    let n = write_csr(&Subject::device(&a.serial, a.cn.as_deref()), &key, &mut buf)?;
    let der = buf.get(..n).ok_or_else(|| Failure("csr too large".into()))?;
    keys::write(&a.out, to_pem(der, "CERTIFICATE REQUEST").as_bytes())?;
    println!("wrote {} ({n} bytes, serialNumber {})", a.out.display(), a.serial);
    Ok(Outcome::Ok)
}

fn issue(a: &IssueArgs) -> Result<Outcome, Failure> {
    let ca = load_ca(&a.ca, &a.ca_key)?;
    let csr_der = one(&a.csr, "CERTIFICATE REQUEST")?;
    let now = Time::now();
    let not_after = a.days.map_or(Time::NO_EXPIRY, |d| now.plus(days(d)));
    match ca.issue_devid(&csr_der, now, not_after) {
        Ok(cert) => {
            keys::write(&a.out, to_pem(&cert, "CERTIFICATE").as_bytes())?;
            let c = Certificate::from_der(&cert)?;
            println!("issued {} for {} (valid to {})", a.out.display(), c.subject, c.not_after);
            Ok(Outcome::Ok)
        }
        Err(e) => {
            eprintln!("rejected CSR: {e}");
            Ok(Outcome::Rejected)
        }
    }
}

fn verify(a: &VerifyArgs) -> Result<Outcome, Failure> {
    let roots = read_certs(&a.roots, "CERTIFICATE")?;
    let inters = match &a.intermediates {
        Some(p) => read_certs(p, "CERTIFICATE")?,
        None => Vec::new(),
    };
    let leaf_der = one(&a.leaf, "CERTIFICATE")?;
    let time = match &a.time {
        Some(t) => Time::parse_rfc3339(t).map_err(|e| Failure(format!("--time {t}: {e}")))?,
        None => Time::now(),
    };
    let profile = match a.profile {
        ProfileArg::Rfc5280 => Profile::Rfc5280,
        ProfileArg::Devid => Profile::DevId,
        ProfileArg::Matter => Profile::Matter,
        ProfileArg::Webpki => Profile::Webpki,
    };
    let anchors: Vec<Certificate<'_>> = roots
        .iter()
        .map(|d| Certificate::from_der(d))
        .collect::<Result<_, _>>()
        .map_err(|e| Failure(format!("{}: {e}", a.roots.display())))?;
    let intermediates: Vec<Certificate<'_>> = inters.iter().filter_map(|d| Certificate::from_der(d).ok()).collect();
    let mut opts = Options::new(time, profile);
    opts.pedantic = !a.lenient;
    match a.eku {
        Some(EkuArg::Client) => opts = opts.client_auth(),
        Some(EkuArg::Server) => opts = opts.server_auth(),
        None => {}
    }
    if let Some(d) = &a.dns {
        opts = opts.with_name(ExpectedName::Dns(d));
    }
    let result = Certificate::from_der(&leaf_der).and_then(|leaf| {
        let path = validate(&leaf, &intermediates, &anchors, &opts)?;
        let mut chain = vec![leaf.subject.to_string()];
        chain.extend(path.intermediates().iter().filter_map(|i| intermediates.get(*i)).map(|c| c.subject.to_string()));
        chain.extend(anchors.get(path.anchor).map(|c| c.subject.to_string()));
        Ok((chain, leaf.not_after))
    });
    match result {
        Ok((chain, not_after)) => {
            if a.json {
                println!(
                    "{}",
                    json!({"valid": true, "profile": profile.name(), "chain": chain, "time": time.to_string(), "not_after": not_after.to_string()})
                );
            } else {
                println!("valid ({}) at {time}", profile.name());
                for (i, s) in chain.iter().enumerate() {
                    println!("  {i}: {s}");
                }
            }
            Ok(Outcome::Ok)
        }
        Err(e) => {
            if a.json {
                println!(
                    "{}",
                    json!({"valid": false, "profile": profile.name(), "chain": [], "reason": e.to_string()})
                );
            } else {
                eprintln!("rejected: {e}");
            }
            Ok(Outcome::Rejected)
        }
    }
}
