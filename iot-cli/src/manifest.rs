//! `iot manifest create|verify|show|sever|process`: SUIT manifests from the build pipeline to the
//! device.

use crate::{Failure, Outcome, keys};
use clap::{Args, Subcommand, ValueEnum};
use iot_cose::{Algorithm, PrivateKey, PublicKey, WithAlgorithm};
use iot_manifest::build::{EnvelopeBuilder, Image, ManifestBuilder, Params, SequenceBuilder, text_map};
use iot_manifest::command::VendorId;
use iot_manifest::encryption::{
    ContentAlgorithm, EncryptTo, Encrypted, EncryptionInfo, Recipient, encrypt, unwrap_aes_kw, unwrap_ecdh,
};
use iot_manifest::update::{ComponentMetadata, FileType, VersionComparison, WaitEvent, WaitInfo};
use iot_manifest::{
    Component, Envelope, Error, Limits, Outcome as RecordOutcome, Platform, PlatformError, Processor, Record,
    RollbackCounter, Section, SuitDigest, VerifiedManifest, render,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per run; boxing buys nothing")]
pub(crate) enum ManifestCommand {
    /// Build and sign a SUIT envelope from a JSON spec (schema in the iot-manifest README).
    Create(CreateArgs),
    /// Authenticate an envelope and check its members.
    Verify(VerifyArgs),
    /// Print an envelope WITHOUT verifying it: summary, JSON or CBOR diagnostic notation.
    Show(ShowArgs),
    /// Remove severable members (install, payload-fetch, text) or integrated payloads.
    Sever(SeverArgs),
    /// Run the device side against a directory-backed reference platform.
    Process(ProcessArgs),
    /// SUIT reports (draft-ietf-suit-report): verify a device's signed report, or show one.
    #[command(subcommand)]
    Report(ReportCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReportCommand {
    /// Verify a signed SUIT report with the device's key and print it.
    Verify(ReportVerifyArgs),
    /// Print a SUIT report (signed or not) WITHOUT verifying it.
    Show(ReportShowArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ReportVerifyArgs {
    /// The device's public key.
    #[arg(long)]
    key: PathBuf,
    /// The signed report (COSE_Sign1).
    report: PathBuf,
    /// Print one JSON object: valid, uri, manifest_digest, nonce, ok, reason, records.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ReportShowArgs {
    /// The report (a SUIT_Report, or one inside a COSE_Sign1).
    report: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The manifest description (JSON).
    #[arg(long)]
    spec: PathBuf,
    /// Signing key (PEM or COSE_Key): P-256 or Ed25519.
    #[arg(long)]
    key: PathBuf,
    /// Output envelope.
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// Public key (PEM or COSE_Key; a private key file works too).
    #[arg(long)]
    key: PathBuf,
    /// The envelope.
    input: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The envelope.
    input: PathBuf,
    /// As JSON.
    #[arg(long, conflicts_with = "diag")]
    json: bool,
    /// As CBOR diagnostic notation.
    #[arg(long)]
    diag: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MemberName {
    PayloadFetch,
    Install,
    Text,
    All,
}

#[derive(Debug, Args)]
pub(crate) struct SeverArgs {
    /// The envelope.
    input: PathBuf,
    /// Output envelope.
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    /// Members to remove (repeatable). Default: all severable members.
    #[arg(long, value_enum)]
    member: Vec<MemberName>,
    /// Also remove integrated payloads.
    #[arg(long)]
    payloads: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Procedure {
    /// payload-fetch, install, validate; advances the counter.
    Update,
    /// validate, load, invoke.
    Boot,
    /// update, then boot.
    Both,
    /// the uninstall sequence (trust domains): unlinks the manifest's components.
    Uninstall,
}

#[derive(Debug, Args)]
pub(crate) struct ProcessArgs {
    /// Public key the device trusts.
    #[arg(long)]
    key: PathBuf,
    /// The envelope.
    input: PathBuf,
    /// Directory of component slots: one file per component.
    #[arg(long)]
    slots: PathBuf,
    /// File holding the monotonic counter (decimal; absent = 0).
    #[arg(long)]
    counter: PathBuf,
    /// The device's vendor id (16 bytes, hex).
    #[arg(long = "vendor-id")]
    vendor_id: String,
    /// The device's class id (16 bytes, hex).
    #[arg(long = "class-id")]
    class_id: String,
    /// Directory that http(s) URIs resolve into (by the URI's last path segment).
    #[arg(long = "fetch-dir")]
    fetch_dir: Option<PathBuf>,
    /// Which procedure to run.
    #[arg(long, value_enum, default_value = "both")]
    procedure: Procedure,
    /// Write a SUIT report of the run here (signed when --report-key is given).
    #[arg(long)]
    report: Option<PathBuf>,
    /// The device key that signs the report.
    #[arg(long, requires = "report")]
    report_key: Option<PathBuf>,
    /// The manifest URI the report names (default: the envelope's file name).
    #[arg(long, requires = "report")]
    report_uri: Option<String>,
    /// A nonce for the report (hex), as the update server asked.
    #[arg(long, requires = "report")]
    report_nonce: Option<String>,
    /// Update management: the device clock for use-before, seconds since 1970 (default: now).
    #[arg(long)]
    time: Option<u64>,
    /// Update management: the battery level in mWh (minimum-battery fails closed without it).
    #[arg(long)]
    battery: Option<u64>,
    /// Update management: the answer to update-authorized (refused without it).
    #[arg(long)]
    authorized: Option<bool>,
    /// Update management: the installed version of a component, as SLOT=1.2.3 (repeatable;
    /// negative parts mark pre-releases, 2.0.-1.1 is 2.0-rc.1).
    #[arg(long = "component-version", value_name = "SLOT=VERSION")]
    component_version: Vec<String>,
    /// Update management: the events a wait directive names have happened (without it, a wait
    /// stops the update with "waiting for an event"; run again later).
    #[arg(long = "events-ready")]
    events_ready: bool,
    /// Trust domains: the public key of the dependency authority (default: the --key).
    #[arg(long = "dependency-key")]
    dependency_key: Option<PathBuf>,
    /// Firmware encryption: the device's AES-KW key-encryption key (a raw 16- or 32-byte file).
    #[arg(long)]
    kek: Option<PathBuf>,
    /// Firmware encryption: the device's P-256 private key (PEM) for ECDH-ES recipients.
    #[arg(long = "decrypt-key")]
    decrypt_key: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: ManifestCommand) -> Result<Outcome, Failure> {
    match cmd {
        ManifestCommand::Create(a) => create(&a),
        ManifestCommand::Verify(a) => verify(&a),
        ManifestCommand::Show(a) => show(&a),
        ManifestCommand::Sever(a) => sever(&a),
        ManifestCommand::Process(a) => process(&a),
        ManifestCommand::Report(ReportCommand::Verify(a)) => report_verify(&a),
        ManifestCommand::Report(ReportCommand::Show(a)) => report_show(&a),
    }
}

/// A 16-byte UUID from 32 hex digits, dashes allowed.
pub(crate) fn uuid(s: &str) -> Result<[u8; 16], Failure> {
    let clean: String = s.chars().filter(|c| *c != '-').collect();
    let v = hex::decode(&clean).map_err(|e| Failure(format!("{s}: not hex: {e}")))?;
    <[u8; 16]>::try_from(v.as_slice()).map_err(|_| Failure(format!("{s}: a UUID is 16 bytes")))
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, Failure> {
    v.get(name).ok_or_else(|| Failure(format!("spec: missing \"{name}\"")))
}

/// Builds the manifest and envelope a spec describes (see the iot-manifest README).
pub(crate) fn build_from_spec(spec: &Value, base: &Path, key: &PrivateKey) -> Result<Vec<u8>, Failure> {
    let seq = field(spec, "sequence_number")?.as_u64().ok_or_else(|| Failure("spec: sequence_number".into()))?;
    let vendor = uuid(field(spec, "vendor_id")?.as_str().ok_or_else(|| Failure("spec: vendor_id".into()))?)?;
    let class = uuid(field(spec, "class_id")?.as_str().ok_or_else(|| Failure("spec: class_id".into()))?)?;
    let comps = field(spec, "components")?.as_array().ok_or_else(|| Failure("spec: components".into()))?;
    if comps.is_empty() {
        return Err(Failure("spec: components is empty".into()));
    }
    let mut images = Vec::new();
    let mut integrated = Vec::new();
    // Per component: the fetch URI of a plain image, or the plan for an encrypted one.
    let mut plain_uris: Vec<Option<String>> = Vec::new();
    let mut sealed: Vec<Sealed> = Vec::new();
    for (i, c) in comps.iter().enumerate() {
        let id: Vec<Vec<u8>> = match c.get("id") {
            Some(Value::Array(segs)) => segs
                .iter()
                .map(|s| {
                    s.as_str()
                        .ok_or_else(|| Failure("spec: id segments are hex strings".into()))
                        .and_then(|s| hex::decode(s).map_err(Failure::from))
                })
                .collect::<Result<_, _>>()?,
            _ => vec![vec![u8::try_from(i).map_err(|_| Failure("spec: too many components".into()))?]],
        };
        let ids: Vec<&[u8]> = id.iter().map(Vec::as_slice).collect();
        let mut img = if let Some(path) = c.get("image").and_then(Value::as_str) {
            let bytes = keys::read(&base.join(path))?;
            if c.get("integrated").and_then(Value::as_bool).unwrap_or(false) {
                let name = format!(
                    "#{}",
                    Path::new(path).file_name().map_or_else(|| format!("c{i}"), |n| n.to_string_lossy().into_owned())
                );
                integrated.push((name.clone(), bytes.clone()));
                Image::new(&ids, &bytes).uri(&name)
            } else {
                Image::new(&ids, &bytes)
            }
        } else {
            let digest = hex::decode(field(c, "digest")?.as_str().unwrap_or_default())?;
            let digest =
                <[u8; 32]>::try_from(digest.as_slice()).map_err(|_| Failure("spec: digest is 32 bytes".into()))?;
            let size = field(c, "size")?.as_u64().ok_or_else(|| Failure("spec: size".into()))?;
            Image::from_digest(&ids, digest, size)
        };
        if let Some(enc) = c.get("encrypt") {
            let path = c
                .get("image")
                .and_then(Value::as_str)
                .ok_or_else(|| Failure(format!("spec: component {i}: encrypt needs an image file")))?;
            let plaintext = keys::read(&base.join(path))?;
            let e = encrypt_image(enc, &plaintext, base)?;
            // The ciphertext is fetched into a staging component and decrypted by a copy.
            let uri = if c.get("integrated").and_then(Value::as_bool).unwrap_or(false) {
                let name = integrated.last().map(|(n, _): &(String, Vec<u8>)| n.clone()).unwrap_or_default();
                integrated.pop();
                integrated.push((name.clone(), e.ciphertext.clone()));
                name
            } else {
                let out = base.join(format!("{path}.enc"));
                std::fs::write(&out, &e.ciphertext).map_err(|err| Failure(format!("{}: {err}", out.display())))?;
                c.get("uri")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        Failure(format!("spec: component {i}: an encrypted image needs a uri or integrated"))
                    })?
                    .to_owned()
            };
            img = Image::new(&ids, &plaintext);
            let mut staging = id.clone();
            staging.push(b"encrypted".to_vec());
            sealed.push((i, staging, uri, e.info));
            plain_uris.push(None);
        } else {
            if let Some(uri) = c.get("uri").and_then(Value::as_str) {
                img = img.uri(uri);
            }
            plain_uris.push(img.uri.clone());
        }
        if let Some(size) = c.get("size").and_then(Value::as_u64) {
            if size != img.size {
                return Err(Failure(format!("spec: component {i}: size {size} but the image has {}", img.size)));
            }
        }
        images.push(img);
    }
    let mut m = ManifestBuilder::for_images(seq, vendor, class, &images);
    let deps = spec_dependencies(spec, base)?;
    if !sealed.is_empty() || !deps.is_empty() {
        // The install sequence again: dependencies first (checked and processed), then plain
        // images, then fetch-then-decrypting-copy for the encrypted ones.
        use iot_manifest::codes::{condition as c, directive as d};
        let mut install = SequenceBuilder::new();
        let mut resolve = SequenceBuilder::new();
        let first_dep = images.len().saturating_add(sealed.len());
        for (k, dep) in deps.iter().enumerate() {
            let index = u64::try_from(first_dep.saturating_add(k)).unwrap_or(u64::MAX);
            let prefix: Vec<&[u8]> = dep.prefix.iter().map(Vec::as_slice).collect();
            m = m.dependency(index, Some(&prefix));
            resolve = resolve
                .set_component_index(index)
                .override_parameters(&Params::new().image_digest(&dep.digest).image_size(dep.size).uri(&dep.uri))
                .directive(d::FETCH, 2)
                .condition(c::IMAGE_MATCH, 15);
            install = install
                .set_component_index(index)
                .override_parameters(&Params::new().image_digest(&dep.digest))
                .condition(c::DEPENDENCY_INTEGRITY, 15)
                .directive(d::PROCESS_DEPENDENCY, 15);
            if let Some(bytes) = &dep.integrated {
                integrated.push((dep.uri.clone(), bytes.clone()));
            }
        }
        for (i, uri) in plain_uris.iter().enumerate() {
            if let Some(uri) = uri {
                install = install
                    .set_component_index(u64::try_from(i).unwrap_or(u64::MAX))
                    .override_parameters(&Params::new().uri(uri))
                    .directive(d::FETCH, 2)
                    .condition(c::IMAGE_MATCH, 15);
            }
        }
        for (i, staging, uri, info) in &sealed {
            let segs: Vec<&[u8]> = staging.iter().map(Vec::as_slice).collect();
            let s = m.component(&segs);
            install = install
                .set_component_index(s)
                .override_parameters(&Params::new().uri(uri))
                .directive(d::FETCH, 2)
                .set_component_index(u64::try_from(*i).unwrap_or(u64::MAX))
                .override_parameters(&Params::new().raw(19, bstr(info)).source_component(s))
                .directive(d::COPY, 2)
                .condition(c::IMAGE_MATCH, 15);
        }
        m = m.sequence(Section::Install, &install);
        if !deps.is_empty() {
            m = m.sequence(Section::DependencyResolution, &resolve);
        }
    }
    if spec.get("uninstall").and_then(Value::as_bool).unwrap_or(false) {
        // Every component is unlinked by the uninstall procedure.
        let mut seq = SequenceBuilder::new();
        if images.len() > 1 || !sealed.is_empty() {
            seq = seq.set_component_index_all();
        }
        m = m.sequence(Section::Uninstall, &seq.directive(iot_manifest::codes::directive::UNLINK, 15));
    }
    if let Some(id) = spec.get("component_id").and_then(Value::as_array) {
        let segs: Vec<Vec<u8>> = id
            .iter()
            .map(|s| s.as_str().ok_or_else(|| Failure("spec: component_id segments are hex strings".into())))
            .map(|s| s.and_then(|s| hex::decode(s).map_err(Failure::from)))
            .collect::<Result<_, _>>()?;
        let segs: Vec<&[u8]> = segs.iter().map(Vec::as_slice).collect();
        m = m.manifest_component_id(&segs);
    }
    if let Some(gates) = update_gates(spec, comps)? {
        m = m.sequence(Section::PayloadFetch, &gates);
    }
    if let Some(seqs) = spec.get("sequences").and_then(Value::as_array) {
        let wanted: Vec<&str> = seqs.iter().filter_map(Value::as_str).collect();
        for s in [Section::Install, Section::Validate, Section::Invoke] {
            if !wanted.contains(&s.name()) {
                m = m.without(s.key());
            }
        }
    }
    if let Some(uri) = spec.get("reference_uri").and_then(Value::as_str) {
        m = m.reference_uri(uri);
    }
    if let Some(text) = spec.get("text") {
        let lang = text.get("language").and_then(Value::as_str).unwrap_or("en-US");
        let desc = text.get("description").and_then(Value::as_str);
        m = m.text(&text_map(lang, desc, &[]));
    }
    if let Some(sever) = spec.get("sever").and_then(Value::as_array) {
        for s in sever.iter().filter_map(Value::as_str) {
            let key = match s {
                "install" => 20,
                "payload-fetch" => 16,
                "text" => 23,
                other => return Err(Failure(format!("spec: cannot sever {other:?}"))),
            };
            m = m.sever(key)?;
        }
    }
    let mut env = EnvelopeBuilder::new(m.build()?);
    for (name, bytes) in integrated {
        env = env.integrated_payload(&name, bytes);
    }
    let alg = spec.get("alg").and_then(Value::as_str);
    env = match (key, alg) {
        (PrivateKey::P256(k), Some("ESP256")) => env.sign(&WithAlgorithm::new(k.clone(), Algorithm::ESP256))?,
        (PrivateKey::P256(k), None | Some("ES256")) => env.sign(k)?,
        (PrivateKey::Ed25519(k), Some("Ed25519")) => env.sign(&WithAlgorithm::new(k.clone(), Algorithm::ED25519))?,
        (PrivateKey::Ed25519(k), None | Some("EdDSA")) => env.sign(k)?,
        (_, Some(other)) => return Err(Failure(format!("spec: alg {other} does not fit the key"))),
        _ => return Err(Failure("unsupported key type".into())),
    };
    Ok(env.encode()?)
}

/// An encrypted component of a spec: its index, the staging component's id, the URI the
/// ciphertext is fetched from, and the encryption info.
type Sealed = (usize, Vec<Vec<u8>>, String, Vec<u8>);

/// A dependency manifest of a spec (trust domains).
struct SpecDependency {
    prefix: Vec<Vec<u8>>,
    uri: String,
    digest: [u8; 32],
    size: u64,
    integrated: Option<Vec<u8>>,
}

/// `"dependencies": [{"envelope": FILE, "uri": URI | "integrated": true, "prefix": [hex, ...]}]`:
/// each envelope is decoded for its manifest digest (what the dependent pins); the prefix defaults
/// to the file name.
fn spec_dependencies(spec: &Value, base: &Path) -> Result<Vec<SpecDependency>, Failure> {
    let Some(list) = spec.get("dependencies") else { return Ok(Vec::new()) };
    let list = list.as_array().ok_or_else(|| Failure("spec: dependencies is an array".into()))?;
    let mut out = Vec::new();
    for (k, dep) in list.iter().enumerate() {
        let path = dep
            .get("envelope")
            .and_then(Value::as_str)
            .ok_or_else(|| Failure(format!("spec: dependency {k} needs an envelope file")))?;
        let bytes = keys::read(&base.join(path))?;
        let env = Envelope::decode(&bytes).map_err(|e| Failure(format!("{path}: {e}")))?;
        let digest = env.manifest_digest();
        let name =
            Path::new(path).file_name().map_or_else(|| format!("dependency-{k}"), |n| n.to_string_lossy().into_owned());
        let prefix = match dep.get("prefix").and_then(Value::as_array) {
            Some(segs) => segs
                .iter()
                .map(|s| s.as_str().ok_or_else(|| Failure("spec: prefix segments are hex strings".into())))
                .map(|s| s.and_then(|s| hex::decode(s).map_err(Failure::from)))
                .collect::<Result<_, _>>()?,
            None => vec![name.clone().into_bytes()],
        };
        let integrated = dep.get("integrated").and_then(Value::as_bool).unwrap_or(false);
        let uri = if integrated {
            format!("#{name}")
        } else {
            dep.get("uri")
                .and_then(Value::as_str)
                .ok_or_else(|| Failure(format!("spec: dependency {k} needs a uri or integrated")))?
                .to_owned()
        };
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        out.push(SpecDependency { prefix, uri, digest, size, integrated: integrated.then_some(bytes) });
    }
    Ok(out)
}

/// A CBOR byte string holding `content`.
fn bstr(content: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    let _ = iot_cose::cbor::Encoder::new(&mut v).bytes(content);
    v
}

/// Encrypts an image for a spec's `"encrypt": {"kek": FILE | "recipient": PEM, "kid": TEXT,
/// "algorithm": "A128GCM" | "A256GCM" | "A128CTR" | "A256CTR"}` with the OS RNG.
fn encrypt_image(spec: &Value, plaintext: &[u8], base: &Path) -> Result<Encrypted, Failure> {
    let algorithm = match spec.get("algorithm").and_then(Value::as_str).unwrap_or("A128GCM") {
        "A128GCM" => ContentAlgorithm::A128Gcm,
        "A256GCM" => ContentAlgorithm::A256Gcm,
        "A128CTR" => ContentAlgorithm::A128Ctr,
        "A256CTR" => ContentAlgorithm::A256Ctr,
        other => return Err(Failure(format!("spec: unknown encryption algorithm {other:?}"))),
    };
    let kid = spec.get("kid").and_then(Value::as_str).map(str::as_bytes);
    let kek;
    let public;
    let to = match (spec.get("kek").and_then(Value::as_str), spec.get("recipient").and_then(Value::as_str)) {
        (Some(path), None) => {
            kek = keys::read(&base.join(path))?;
            EncryptTo::AesKw { kek: &kek, kid }
        }
        (None, Some(path)) => {
            public = match keys::public(&base.join(path))? {
                PublicKey::P256(k) => iot_cose::p256::PublicKey::from(&k),
                _ => return Err(Failure(format!("spec: {path}: the recipient must be a P-256 key"))),
            };
            EncryptTo::Ecdh { public: &public, kid }
        }
        _ => return Err(Failure("spec: encrypt needs exactly one of \"kek\" and \"recipient\"".into())),
    };
    let mut failed = None;
    let e = encrypt(plaintext, algorithm, &[to], |b| {
        if let Err(err) = getrandom::fill(b) {
            failed = Some(err);
        }
    })?;
    if let Some(err) = failed {
        return Err(Failure(format!("rng: {err}")));
    }
    Ok(e)
}

/// The update-management gates of a spec as a payload-fetch sequence (run by an update before
/// anything is fetched, never at boot): per component `"version": ["<", "1.0.0"]` (comparisons
/// `>`, `>=`, `=`, `<=`, `<`), then for the device (component 0) `"update": {"use_before",
/// "minimum_battery", "priority" (asks for update-authorized), "wait": {event: value}}`.
fn update_gates(spec: &Value, comps: &[Value]) -> Result<Option<SequenceBuilder>, Failure> {
    let many = comps.len() > 1;
    let mut seq = SequenceBuilder::new();
    let index = |seq: SequenceBuilder, i: usize| {
        if many { seq.set_component_index(u64::try_from(i).unwrap_or(u64::MAX)) } else { seq }
    };
    for (i, c) in comps.iter().enumerate() {
        let Some(v) = c.get("version") else { continue };
        let bad = || Failure(format!("spec: component {i}: version is [\"<=\", \"1.2.3\"]"));
        let (Some(op), Some(ver)) = (v.get(0).and_then(Value::as_str), v.get(1).and_then(Value::as_str)) else {
            return Err(bad());
        };
        let cmp = match op {
            ">" => VersionComparison::Greater,
            ">=" => VersionComparison::GreaterEqual,
            "=" | "==" => VersionComparison::Equal,
            "<=" => VersionComparison::LesserEqual,
            "<" => VersionComparison::Lesser,
            _ => return Err(bad()),
        };
        seq = index(seq, i)
            .override_parameters(&Params::new().version(cmp, &parse_version(ver)?))
            .condition(iot_manifest::codes::condition::VERSION, 15);
    }
    if let Some(u) = spec.get("update") {
        use iot_manifest::codes::{condition as c, directive as d};
        let o = u.as_object().ok_or_else(|| Failure("spec: update is an object".into()))?;
        let mut params = Params::new();
        let mut checks: Vec<(i64, bool)> = Vec::new();
        for (k, v) in o {
            let num = || v.as_u64().ok_or_else(|| Failure(format!("spec: update.{k} is a non-negative integer")));
            match k.as_str() {
                "use_before" => {
                    params = params.use_before(num()?);
                    checks.push((c::USE_BEFORE, false));
                }
                "minimum_battery" => {
                    params = params.minimum_battery(num()?);
                    checks.push((c::MINIMUM_BATTERY, false));
                }
                "priority" => {
                    let p = v.as_i64().ok_or_else(|| Failure("spec: update.priority is an integer".into()))?;
                    params = params.update_priority(p);
                    checks.push((c::UPDATE_AUTHORIZED, false));
                }
                "wait" => {
                    let w = v.as_object().ok_or_else(|| Failure("spec: update.wait is an object".into()))?;
                    let mut events = Vec::new();
                    for (name, x) in w {
                        let key = match name.as_str() {
                            "authorization" => 1,
                            "power" => 2,
                            "network" => 3,
                            "time" => 5,
                            "time_of_day" => 6,
                            "day_of_week" => 7,
                            "time_of_day_utc" => 8,
                            "day_of_week_utc" => 9,
                            other => return Err(Failure(format!("spec: unknown wait event {other:?}"))),
                        };
                        let val =
                            x.as_i64().ok_or_else(|| Failure(format!("spec: update.wait.{name} is an integer")))?;
                        if key >= 5 && val < 0 {
                            return Err(Failure(format!("spec: update.wait.{name} is a non-negative integer")));
                        }
                        events.push((key, val));
                    }
                    if events.is_empty() {
                        return Err(Failure("spec: update.wait names no event".into()));
                    }
                    params = params.wait_info(&events);
                    checks.push((d::WAIT, true));
                }
                other => return Err(Failure(format!("spec: unknown update gate {other:?}"))),
            }
        }
        if !checks.is_empty() {
            // Waits first, so a device that suspends does not re-ask its user after the wait.
            checks.sort_by_key(|(code, wait)| (!*wait, *code));
            seq = index(seq, 0).override_parameters(&params);
            for (code, is_wait) in checks {
                seq = if is_wait { seq.directive(code, 15) } else { seq.condition(code, 15) };
            }
        }
    }
    Ok(if seq.is_empty() { None } else { Some(seq) })
}

fn create(a: &CreateArgs) -> Result<Outcome, Failure> {
    let spec: Value =
        serde_json::from_slice(&keys::read(&a.spec)?).map_err(|e| Failure(format!("{}: {e}", a.spec.display())))?;
    let key = keys::private(&a.key)?;
    let base = a.spec.parent().unwrap_or(Path::new("."));
    let env = build_from_spec(&spec, base, &key)?;
    keys::write(&a.out, &env)?;
    let e = Envelope::decode(&env)?;
    if a.json {
        println!(
            "{}",
            json!({
                "out": a.out,
                "size": env.len(),
                "sequence_number": spec.get("sequence_number"),
                "manifest_digest": hex::encode(e.manifest_digest()),
            })
        );
    } else {
        println!("{} bytes -> {} (manifest digest {})", env.len(), a.out.display(), hex::encode(e.manifest_digest()));
    }
    Ok(Outcome::Ok)
}

fn verified<'a>(env: &Envelope<'a>, key: &PublicKey) -> Result<VerifiedManifest<'a>, Error> {
    let v = env.authenticate(key)?;
    v.check_members()?;
    Ok(v)
}

fn verify(a: &VerifyArgs) -> Result<Outcome, Failure> {
    let key = keys::public(&a.key)?;
    let bytes = keys::read(&a.input)?;
    let result = Envelope::decode(&bytes).and_then(|e| verified(&e, &key).map(|v| (e, v)));
    match result {
        Ok((e, v)) => {
            let comps = render::components_json(v.manifest());
            if a.json {
                println!(
                    "{}",
                    json!({
                        "valid": true,
                        "sequence_number": v.sequence_number(),
                        "components": comps,
                        "manifest_digest": hex::encode(v.digest()),
                        "signatures": e.signature_count(),
                        "tagged": e.is_tagged(),
                        "sections": render::section_names(v.manifest()),
                    })
                );
            } else {
                println!(
                    "valid: sequence number {}, {} component(s), manifest digest {}",
                    v.sequence_number(),
                    v.manifest().components().len(),
                    hex::encode(v.digest())
                );
            }
            Ok(Outcome::Ok)
        }
        Err(err) => {
            eprintln!("rejected: {err}");
            if a.json {
                let env = Envelope::decode(&bytes).ok();
                let seq = env.and_then(|e| e.unverified_manifest(&Limits::default()).ok()).map(|m| m.sequence_number());
                println!(
                    "{}",
                    json!({
                        "valid": false,
                        "reason": err.to_string(),
                        "sequence_number": seq,
                        "components": [],
                        "manifest_digest": env.map(|e| hex::encode(e.manifest_digest())),
                    })
                );
            }
            Ok(Outcome::Rejected)
        }
    }
}

fn show(a: &ShowArgs) -> Result<Outcome, Failure> {
    let bytes = keys::read(&a.input)?;
    if a.diag {
        println!("/ UNVERIFIED: not authenticated /");
        println!("{}", render::diagnostic(&bytes)?);
        return Ok(Outcome::Ok);
    }
    let env = Envelope::decode(&bytes)?;
    let mut j = render::envelope_json(&env, &Limits::default());
    if let Value::Object(o) = &mut j {
        o.insert("verified".into(), json!(false));
    }
    if a.json {
        println!("{j}");
        return Ok(Outcome::Ok);
    }
    println!("UNVERIFIED envelope ({} bytes): not authenticated; use `iot manifest verify`", bytes.len());
    println!("  tagged: {}, signatures: {}", env.is_tagged(), env.signature_count());
    println!("  manifest digest: {}", hex::encode(env.manifest_digest()));
    match env.unverified_manifest(&Limits::default()) {
        Ok(m) => {
            println!("  sequence number: {}", m.sequence_number());
            for (i, c) in render::components(&m).iter().enumerate() {
                let id: Vec<String> = c.id.iter().map(hex::encode).collect();
                println!(
                    "  component {i} [{}]: digest {} size {} uri {}",
                    id.join(", "),
                    c.image_digest.as_ref().map_or_else(|| "-".into(), hex::encode),
                    c.image_size.map_or_else(|| "-".into(), |s| s.to_string()),
                    c.uri.as_deref().unwrap_or("-")
                );
            }
            for (name, state) in render::section_names(&m) {
                println!("  {name}: {state}");
            }
        }
        Err(e) => println!("  manifest does not decode: {e}"),
    }
    for (name, body) in env.integrated_payloads() {
        println!("  integrated payload {name}: {} bytes", body.len());
    }
    Ok(Outcome::Ok)
}

fn sever(a: &SeverArgs) -> Result<Outcome, Failure> {
    let bytes = keys::read(&a.input)?;
    let mut keys_: Vec<u64> = Vec::new();
    let members = if a.member.is_empty() { vec![MemberName::All] } else { a.member.clone() };
    for m in members {
        match m {
            MemberName::PayloadFetch => keys_.push(16),
            MemberName::Install => keys_.push(20),
            MemberName::Text => keys_.push(23),
            MemberName::All => keys_.extend(iot_manifest::codes::SEVERABLE_KEYS),
        }
    }
    let out = iot_manifest::build::sever(&bytes, &keys_, a.payloads)?;
    keys::write(&a.out, &out)?;
    println!("{} -> {} bytes ({})", bytes.len(), out.len(), a.out.display());
    Ok(Outcome::Ok)
}

/// The reference platform: component slots are files in a directory.
pub(crate) struct DirPlatform {
    pub(crate) slots: PathBuf,
    pub(crate) fetch_dir: Option<PathBuf>,
    pub(crate) vendor: [u8; 16],
    pub(crate) class: [u8; 16],
    pub(crate) records: Vec<Record>,
    pub(crate) log: Vec<String>,
    pub(crate) quiet: bool,
    pub(crate) gates: Gates,
    /// The key dependency manifests must verify with (default: the dependent's key).
    pub(crate) dependency_key: Option<PublicKey>,
}

/// What the reference platform answers to update-management conditions and directives.
#[derive(Debug, Default)]
pub(crate) struct Gates {
    /// The clock (None: the system clock).
    pub(crate) now: Option<u64>,
    pub(crate) battery: Option<u64>,
    pub(crate) authorized: Option<bool>,
    /// Installed versions by slot name.
    pub(crate) versions: Vec<(String, Vec<i64>)>,
    pub(crate) events_ready: bool,
    /// File type for the next write of a component (from component metadata).
    pending: Vec<(usize, FileType)>,
    /// Firmware encryption keys.
    pub(crate) kek: Option<Vec<u8>>,
    pub(crate) decrypt_key: Option<iot_cose::p256::SecretKey>,
}

/// `1.2.3` or `2.0.-1.1` as version integers.
fn parse_version(v: &str) -> Result<Vec<i64>, Failure> {
    let parts: Vec<i64> = v
        .split('.')
        .map(|p| p.trim().parse::<i64>().map_err(|_| Failure(format!("version {v:?}: parts are integers"))))
        .collect::<Result<_, _>>()?;
    if parts.is_empty() || parts.len() > iot_manifest::update::MAX_VERSION_PARTS {
        return Err(Failure(format!("version {v:?}: 1 to 16 parts")));
    }
    Ok(parts)
}

/// File name of a component: printable segments as text, others as hex, joined with `.`.
pub(crate) fn slot_name(c: &Component<'_>) -> String {
    let parts: Vec<String> =
        c.id.segments()
            .map(|s| {
                if !s.is_empty() && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_') {
                    String::from_utf8_lossy(s).into_owned()
                } else {
                    hex::encode(s)
                }
            })
            .collect();
    if parts.is_empty() { format!("component-{}", c.index) } else { parts.join(".") }
}

impl DirPlatform {
    fn path(&self, c: &Component<'_>) -> PathBuf {
        self.slots.join(slot_name(c))
    }

    fn say(&mut self, line: String) {
        if !self.quiet {
            println!("{line}");
        }
        self.log.push(line);
    }
}

impl Platform for DirPlatform {
    fn check_vendor_id(&mut self, _: Component<'_>, id: VendorId<'_>) -> bool {
        matches!(id, VendorId::Uuid(b) if b == self.vendor)
    }
    fn check_class_id(&mut self, _: Component<'_>, id: &[u8]) -> bool {
        id == self.class
    }
    fn read(&mut self, c: Component<'_>, offset: u64, buf: &mut [u8]) -> Result<usize, PlatformError> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = std::fs::File::open(self.path(&c)).map_err(|_| PlatformError::NoSuchComponent)?;
        f.seek(SeekFrom::Start(offset)).map_err(|_| PlatformError::Storage)?;
        f.read(buf).map_err(|_| PlatformError::Storage)
    }
    fn write(&mut self, c: Component<'_>, data: &[u8]) -> Result<(), PlatformError> {
        let path = self.path(&c);
        let kind = self.gates.pending.iter().position(|(i, _)| *i == c.index).map(|at| self.gates.pending.remove(at).1);
        match kind {
            Some(FileType::Directory) => {
                if !data.is_empty() {
                    return Err(PlatformError::Denied);
                }
                std::fs::create_dir_all(&path).map_err(|_| PlatformError::Storage)?;
                self.say(format!("    made directory {}", slot_name(&c)));
                return Ok(());
            }
            Some(FileType::Symlink) => {
                // The reference platform keeps a link as a file holding its target; it never
                // creates a real link a later read could follow out of the slot directory.
                let target = std::str::from_utf8(data).map_err(|_| PlatformError::Denied)?;
                self.say(format!("    link {} -> {target}", slot_name(&c)));
            }
            Some(FileType::Regular) | None => {}
        }
        let tmp = path.with_extension("partial");
        std::fs::write(&tmp, data).map_err(|_| PlatformError::Storage)?;
        std::fs::rename(&tmp, &path).map_err(|_| PlatformError::Storage)?;
        self.say(format!("    wrote {} bytes to slot {}", data.len(), slot_name(&c)));
        Ok(())
    }
    fn fetch(&mut self, c: Component<'_>, uri: &str, _: Option<&[u8]>, max: Option<u64>) -> Result<(), PlatformError> {
        let source = if let Some(rest) = uri.strip_prefix("file://") {
            PathBuf::from(rest)
        } else if uri.starts_with("http://") || uri.starts_with("https://") || uri.starts_with("coap") {
            let name = uri.rsplit('/').next().unwrap_or_default();
            self.fetch_dir.as_ref().ok_or(PlatformError::Fetch)?.join(name)
        } else {
            PathBuf::from(uri)
        };
        // Refuse an oversized resource before reading it.
        let len = std::fs::metadata(&source).map_err(|_| PlatformError::Fetch)?.len();
        if max.is_some_and(|m| len > m) {
            return Err(PlatformError::TooLarge);
        }
        let body = std::fs::read(&source).map_err(|_| PlatformError::Fetch)?;
        self.say(format!("    fetched {uri} ({} bytes)", body.len()));
        self.write(c, &body)
    }
    fn copy(&mut self, dst: Component<'_>, src: Component<'_>) -> Result<(), PlatformError> {
        let body = std::fs::read(self.path(&src)).map_err(|_| PlatformError::NoSuchComponent)?;
        self.write(dst, &body)
    }
    fn swap(&mut self, dst: Component<'_>, src: Component<'_>) -> Result<(), PlatformError> {
        let (a, b) = (self.path(&dst), self.path(&src));
        let tmp = a.with_extension("swap");
        std::fs::rename(&a, &tmp).map_err(|_| PlatformError::Storage)?;
        std::fs::rename(&b, &a).map_err(|_| PlatformError::Storage)?;
        std::fs::rename(&tmp, &b).map_err(|_| PlatformError::Storage)
    }
    fn invoke(&mut self, c: Component<'_>, args: Option<&[u8]>) -> Result<(), PlatformError> {
        let args = args.map(|a| format!(" with args {}", String::from_utf8_lossy(a))).unwrap_or_default();
        self.say(format!("    invoke slot {}{args}", slot_name(&c)));
        Ok(())
    }
    fn now(&mut self) -> Result<u64, PlatformError> {
        match self.gates.now {
            Some(t) => Ok(t),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .map_err(|_| PlatformError::Unsupported),
        }
    }
    fn battery(&mut self) -> Result<u64, PlatformError> {
        self.gates.battery.ok_or(PlatformError::Unsupported)
    }
    fn authorize(&mut self, c: Component<'_>, priority: Option<i64>) -> Result<bool, PlatformError> {
        let answer = self.gates.authorized.ok_or(PlatformError::Unsupported)?;
        let p = priority.map(|p| format!(" (priority {p})")).unwrap_or_default();
        self.say(format!("    update of {}{p}: {}", slot_name(&c), if answer { "authorized" } else { "declined" }));
        Ok(answer)
    }
    fn version(&mut self, c: Component<'_>, out: &mut [i64]) -> Result<usize, PlatformError> {
        let name = slot_name(&c);
        let (_, v) = self.gates.versions.iter().find(|(n, _)| *n == name).ok_or(PlatformError::Unsupported)?;
        let n = v.len().min(out.len());
        out.get_mut(..n).ok_or(PlatformError::Unsupported)?.copy_from_slice(v.get(..n).unwrap_or_default());
        Ok(n)
    }
    fn wait(&mut self, c: Component<'_>, events: WaitInfo<'_>) -> Result<(), PlatformError> {
        let list: Vec<String> = events.events().map(|e| format!("{e:?}")).collect();
        if events.events().any(|e| matches!(e, WaitEvent::Other(..))) {
            return Err(PlatformError::Unsupported);
        }
        let ready = self.gates.events_ready;
        self.say(format!(
            "    wait for {}: {} ({})",
            slot_name(&c),
            list.join(", "),
            if ready { "ready" } else { "not yet" }
        ));
        if ready { Ok(()) } else { Err(PlatformError::Wait) }
    }
    fn unwrap_key(
        &mut self,
        _: Component<'_>,
        info: &EncryptionInfo<'_>,
        cek: &mut [u8; 32],
    ) -> Result<usize, PlatformError> {
        for r in info.recipients() {
            let n = match (r, &self.gates.kek, &self.gates.decrypt_key) {
                (Recipient::AesKw { .. }, Some(kek), _) => unwrap_aes_kw(kek, &r, cek),
                (Recipient::EcdhEs { .. }, _, Some(k)) => unwrap_ecdh(k, &r, cek),
                _ => continue,
            };
            if let Ok(n) = n {
                self.say(format!("    content key unwrapped ({:?})", info.algorithm));
                return Ok(n);
            }
        }
        Err(PlatformError::Denied)
    }
    fn write_at(&mut self, c: Component<'_>, offset: u64, data: &[u8]) -> Result<(), PlatformError> {
        use std::io::{Seek, SeekFrom, Write};
        let path = self.path(&c);
        let mut f = if offset == 0 {
            std::fs::File::create(&path)
        } else {
            std::fs::OpenOptions::new().write(true).open(&path)
        }
        .map_err(|_| PlatformError::Storage)?;
        f.seek(SeekFrom::Start(offset)).map_err(|_| PlatformError::Storage)?;
        // A bad GCM tag is found after the last chunk: the update then fails and the counter does
        // not move, and the slot's bytes fail the manifest's image-match at every boot.
        f.write_all(data).map_err(|_| PlatformError::Storage)?;
        Ok(())
    }
    fn unlink(&mut self, c: Component<'_>) -> Result<(), PlatformError> {
        let path = self.path(&c);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return Err(PlatformError::Storage),
        }
        self.say(format!("    unlinked slot {}", slot_name(&c)));
        Ok(())
    }
    fn metadata(&mut self, c: Component<'_>, m: ComponentMetadata<'_>) -> Result<(), PlatformError> {
        self.gates.pending.retain(|(i, _)| *i != c.index);
        self.gates.pending.push((c.index, m.file_type()));
        Ok(())
    }
    fn record(&mut self, r: &Record) {
        let outcome = match r.outcome {
            RecordOutcome::Success => "ok".to_owned(),
            RecordOutcome::Failure(reason) => format!("FAILED (reason {reason})"),
        };
        self.say(format!(
            "  [{}] @{} {} component {}: {outcome}",
            r.section.name(),
            r.offset,
            render::command_name(r.command),
            r.component
        ));
        self.records.push(*r);
    }
}

/// The monotonic counter in a file (absent = 0); written through a temporary file.
pub(crate) struct FileCounter(pub(crate) PathBuf);

impl RollbackCounter for FileCounter {
    fn get(&self) -> Result<u64, PlatformError> {
        match std::fs::read_to_string(&self.0) {
            Ok(s) => s.trim().parse().map_err(|_| PlatformError::Storage),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(_) => Err(PlatformError::Storage),
        }
    }
    /// No counter file yet: a device in its factory state, which takes any sequence number once.
    fn installed(&self) -> Result<bool, PlatformError> {
        Ok(self.0.exists())
    }
    fn advance(&mut self, value: u64) -> Result<(), PlatformError> {
        if value < self.get()? {
            return Err(PlatformError::Denied);
        }
        let tmp = self.0.with_extension("tmp");
        std::fs::write(&tmp, format!("{value}\n")).map_err(|_| PlatformError::Storage)?;
        std::fs::rename(&tmp, &self.0).map_err(|_| PlatformError::Storage)
    }
}

/// Runs `procedure` for `envelope` on `platform`; returns the outcome and the error if refused.
/// Runs the uninstall procedure of `bytes` on `platform`.
fn uninstall_envelope(
    bytes: &[u8],
    key: &PublicKey,
    platform: &mut DirPlatform,
    counter: &FileCounter,
) -> Result<u64, Error> {
    let env = Envelope::decode(bytes)?;
    let v = env.authenticate(key)?;
    Ok(Processor::<_, 16>::new(platform).uninstall(&v, counter)?.sequence_number)
}

pub(crate) fn process_envelope(
    bytes: &[u8],
    key: &PublicKey,
    platform: &mut DirPlatform,
    counter: &mut FileCounter,
    update: bool,
    boot: bool,
) -> Result<u64, Error> {
    let env = Envelope::decode(bytes)?;
    let v = env.authenticate(key)?;
    let mut seq = v.sequence_number();
    // Dependency manifests (trust domains) are checked with the dependency key if one was given,
    // else with the same key as the dependent; one envelope of up to 64 KiB at a time.
    let dep_key = platform.dependency_key.clone().unwrap_or_else(|| key.clone());
    let mut buf = vec![0u8; 64 * 1024];
    if update {
        seq = Processor::<_, 16>::new(platform)
            .with_dependencies(&mut buf, &dep_key)
            .update(&v, counter)?
            .sequence_number;
    }
    if boot {
        seq =
            Processor::<_, 16>::new(platform).with_dependencies(&mut buf, &dep_key).boot(&v, counter)?.sequence_number;
    }
    Ok(seq)
}

fn process(a: &ProcessArgs) -> Result<Outcome, Failure> {
    let key = keys::public(&a.key)?;
    let bytes = keys::read(&a.input)?;
    std::fs::create_dir_all(&a.slots).map_err(|e| Failure(format!("{}: {e}", a.slots.display())))?;
    let mut platform = DirPlatform {
        slots: a.slots.clone(),
        fetch_dir: a.fetch_dir.clone(),
        vendor: uuid(&a.vendor_id)?,
        class: uuid(&a.class_id)?,
        records: Vec::new(),
        log: Vec::new(),
        quiet: a.json,
        gates: Gates {
            now: a.time,
            battery: a.battery,
            authorized: a.authorized,
            versions: a
                .component_version
                .iter()
                .map(|s| {
                    let (slot, v) =
                        s.split_once('=').ok_or_else(|| Failure(format!("--component-version {s:?}: SLOT=VERSION")))?;
                    Ok((slot.to_owned(), parse_version(v)?))
                })
                .collect::<Result<_, Failure>>()?,
            events_ready: a.events_ready,
            pending: Vec::new(),
            kek: a.kek.as_deref().map(keys::read).transpose()?,
            decrypt_key: match &a.decrypt_key {
                None => None,
                Some(path) => match keys::private(path)? {
                    PrivateKey::P256(k) => Some(iot_cose::p256::SecretKey::from(k.as_nonzero_scalar())),
                    _ => return Err(Failure(format!("{}: --decrypt-key must be a P-256 key", path.display()))),
                },
            },
        },
        dependency_key: a.dependency_key.as_deref().map(keys::public).transpose()?,
    };
    let mut counter = FileCounter(a.counter.clone());
    let before = counter.get().map_err(|e| Failure(format!("{}: {e}", a.counter.display())))?;
    let (update, boot) = match a.procedure {
        Procedure::Update => (true, false),
        Procedure::Boot => (false, true),
        Procedure::Both => (true, true),
        Procedure::Uninstall => (false, false),
    };
    let result = if matches!(a.procedure, Procedure::Uninstall) {
        uninstall_envelope(&bytes, &key, &mut platform, &counter)
    } else {
        process_envelope(&bytes, &key, &mut platform, &mut counter, update, boot)
    };
    let after = counter.get().unwrap_or(before);
    if let Some(out) = &a.report {
        write_report_file(a, out, &bytes, &platform.records, result.as_ref().map(|_| ()))?;
    }
    let records: Vec<Value> = platform
        .records
        .iter()
        .map(|r| {
            json!({
                "section": r.section.name(),
                "offset": r.offset,
                "component": r.component,
                "command": render::command_name(r.command),
                "ok": r.outcome == RecordOutcome::Success,
            })
        })
        .collect();
    match result {
        Ok(seq) => {
            if a.json {
                println!(
                    "{}",
                    json!({"ok": true, "sequence_number": seq, "counter": after, "counter_before": before, "records": records})
                );
            } else {
                println!("done: sequence number {seq}, counter {before} -> {after}");
            }
            Ok(Outcome::Ok)
        }
        Err(e) => {
            eprintln!("refused: {e}");
            if a.json {
                println!(
                    "{}",
                    json!({
                        "ok": false,
                        "reason": e.to_string(),
                        "rollback": matches!(e, Error::Rollback { .. }),
                        "counter": after,
                        "counter_before": before,
                        "records": records,
                    })
                );
            }
            Ok(Outcome::Rejected)
        }
    }
}

/// Writes the SUIT report of a `process` run (signed with `--report-key`).
fn write_report_file(
    a: &ProcessArgs,
    out: &Path,
    envelope: &[u8],
    records: &[Record],
    result: Result<(), &Error>,
) -> Result<(), Failure> {
    use iot_manifest::report::{Recorder, sign_report, write_report};
    let mut recorder = Recorder::<64>::new();
    for r in records {
        recorder.record(r);
    }
    // A report names the manifest by digest; an envelope that did not even decode has none.
    let digest = Envelope::decode(envelope).map(|e| e.manifest_digest()).unwrap_or([0; 32]);
    let default_uri = a.input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let uri = a.report_uri.clone().unwrap_or(default_uri);
    let nonce = a
        .report_nonce
        .as_deref()
        .map(|n| hex::decode(n.trim()))
        .transpose()
        .map_err(|e| Failure(format!("--report-nonce: {e}")))?;
    let mut buf = vec![0u8; 64 * 1024];
    let n =
        write_report(&uri, &SuitDigest { alg: -16, bytes: &digest }, nonce.as_deref(), &recorder, result, &mut buf)?;
    let report = buf.get(..n).ok_or_else(|| Failure("report".into()))?.to_vec();
    let bytes = match &a.report_key {
        Some(k) => {
            let key = keys::private(k)?;
            let mut signed = vec![0u8; n.saturating_add(256)];
            let m = match &key {
                PrivateKey::P256(k) => sign_report(&report, k, &mut signed)?,
                PrivateKey::Ed25519(k) => sign_report(&report, k, &mut signed)?,
                _ => return Err(Failure(format!("{}: unsupported key type", k.display()))),
            };
            signed.truncate(m);
            signed
        }
        None => report,
    };
    keys::write(out, &bytes)
}

fn report_json(r: &iot_manifest::report::Report<'_>, valid: Option<bool>) -> Value {
    use iot_manifest::report::ReportResult;
    let records: Vec<Value> =
        r.records.iter().map(|x| json!({"section": x.section, "offset": x.offset, "component": x.component})).collect();
    let mut j = serde_json::Map::new();
    if let Some(v) = valid {
        j.insert("valid".into(), json!(v));
    }
    j.insert("uri".into(), json!(r.uri));
    j.insert("manifest_digest".into(), json!(hex::encode(r.digest.bytes)));
    j.insert("nonce".into(), json!(r.nonce.map(hex::encode)));
    j.insert("records".into(), Value::Array(records));
    match r.result {
        ReportResult::Failure { code, record, reason } => {
            j.insert("ok".into(), json!(false));
            j.insert("reason".into(), json!(reason));
            j.insert("code".into(), json!(code));
            j.insert(
                "failed_at".into(),
                json!({"section": record.section, "offset": record.offset, "component": record.component}),
            );
        }
        _ => {
            j.insert("ok".into(), json!(true));
        }
    }
    Value::Object(j)
}

fn print_report(r: &iot_manifest::report::Report<'_>, json_out: bool, valid: Option<bool>) {
    use iot_manifest::report::ReportResult;
    if json_out {
        println!("{}", report_json(r, valid));
        return;
    }
    println!("report for {} (manifest digest {})", r.uri, hex::encode(r.digest.bytes));
    match r.result {
        ReportResult::Failure { code, record, reason } => println!(
            "  result: failed, reason {reason} (code {code}) at section {} offset {} component {}",
            record.section, record.offset, record.component
        ),
        _ => println!("  result: success"),
    }
    println!("  {} records", r.records.len());
}

fn report_verify(a: &ReportVerifyArgs) -> Result<Outcome, Failure> {
    let key = keys::public(&a.key)?;
    let bytes = keys::read(&a.report)?;
    match iot_manifest::report::Report::verify(&bytes, &key) {
        Ok(r) => {
            print_report(&r, a.json, Some(true));
            Ok(Outcome::Ok)
        }
        Err(e) => {
            if a.json {
                println!("{}", json!({"valid": false, "reason": e.to_string()}));
            } else {
                eprintln!("rejected: {e}");
            }
            Ok(Outcome::Rejected)
        }
    }
}

fn report_show(a: &ReportShowArgs) -> Result<Outcome, Failure> {
    let bytes = keys::read(&a.report)?;
    let payload = match iot_cose::CoseSign1::decode(&bytes) {
        Ok(m) => m.unverified_payload().map(<[u8]>::to_vec).unwrap_or_default(),
        Err(_) => bytes.clone(),
    };
    let r =
        iot_manifest::report::Report::decode(&payload).map_err(|e| Failure(format!("{}: {e}", a.report.display())))?;
    if !a.json {
        println!("UNVERIFIED");
    }
    print_report(&r, a.json, None);
    Ok(Outcome::Ok)
}
