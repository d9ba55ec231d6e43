//! `iot identity ca|csr|issue|verify`: device identity certificates (IEEE 802.1AR DevID).

use crate::{Failure, Outcome, keys};
use clap::{Args, Subcommand, ValueEnum};
use iot_cose::{Algorithm, PrivateKey};
use iot_identity::cert::{pem_blocks, to_pem};
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
    }
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
