//! `iot demo`: the lifecycle steps that exist so far, end to end, in a temporary directory.
//!
//! Each later crate adds its steps here (identity, manifest, delta, attestation, twin).

use crate::{Failure, Outcome, keys};
use clap::Args;
use iot_cose::{
    Algorithm, CoseMac0, CoseSign1, Error, Headers, HmacKey, Mac0Builder, PrivateKey, PublicKey, Sign1Builder,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Work in this directory (kept) instead of a temporary one (removed).
    #[arg(long)]
    dir: Option<PathBuf>,
}

struct Steps {
    n: usize,
    total: usize,
}

impl Steps {
    fn step(&mut self, what: &str) {
        self.n = self.n.saturating_add(1);
        println!("\n[{}/{}] {what}", self.n, self.total);
    }
}

/// A deterministic stand-in firmware image.
fn firmware(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

pub(crate) fn run(a: &DemoArgs) -> Result<Outcome, Failure> {
    let tmp;
    let dir: &Path = match &a.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path()
        }
    };
    println!("iot demo: device security lifecycle (working in {})", dir.display());
    let mut s = Steps { n: 0, total: 10 };

    s.step(
        "factory: root and issuing CA; the device makes its key and CSR; the CA issues its DevID; the cloud validates it, registers the device and its owner claims it",
    );
    factory_step()?;

    s.step("vendor creates its firmware-signing key (ES256, P-256)");
    let vendor = PrivateKey::generate(Algorithm::ES256)?;
    let vendor_pub = vendor.public_key();
    keys::write(&dir.join("vendor.pem"), vendor.to_pem()?.as_bytes())?;
    keys::write(&dir.join("vendor.pub.pem"), vendor_pub.to_pem()?.as_bytes())?;
    let cose_key = vendor_pub.to_cose_key(Some(b"vendor-2026"));
    keys::write(&dir.join("vendor.cose_key"), &cose_key)?;
    println!("  private key  vendor.pem (PKCS#8)");
    println!(
        "  public key   vendor.pub.pem (SPKI), vendor.cose_key ({} bytes, provisioned into devices)",
        cose_key.len()
    );

    s.step("cloud signs a firmware image (detached payload) and its release metadata (attached)");
    let image = firmware(256 * 1024, 0x1d1e_5eed);
    keys::write(&dir.join("firmware-v2.bin"), &image)?;
    let kid: &[u8] = b"vendor-2026";
    let detached = vendor.sign1(&Sign1Builder::new(&image).unprotected(Headers::default().kid(kid)).detached(true))?;
    keys::write(&dir.join("firmware-v2.sig.cbor"), &detached)?;
    let meta = br#"{"version":"2.0.0","min_hw":"rev-b"}"#;
    let attached = vendor.sign1(&Sign1Builder::new(meta).unprotected(Headers::default().kid(kid)))?;
    keys::write(&dir.join("release.cbor"), &attached)?;
    println!("  firmware-v2.bin      {} bytes", image.len());
    println!("  firmware-v2.sig.cbor {} bytes (COSE_Sign1, payload detached)", detached.len());
    println!("  release.cbor         {} bytes (COSE_Sign1, payload attached)", attached.len());

    s.step("device verifies with the provisioned COSE_Key (allocation-free decode and verify)");
    let provisioned = match iot_cose::CoseKey::decode(&cose_key)?.material {
        iot_cose::KeyMaterial::Public(PublicKey::P256(k)) => k,
        _ => return Err(Failure("provisioned key is not P-256".into())),
    };
    let t = Instant::now();
    let v = CoseSign1::decode(&detached)?.verify_detached(&provisioned, &image, b"")?;
    let dt = t.elapsed();
    println!(
        "  firmware signature valid: {} kid={} ({:.2} ms for {} KiB, hashed in place)",
        v.alg(),
        String::from_utf8_lossy(v.kid().unwrap_or_default()),
        dt.as_secs_f64() * 1e3,
        image.len() / 1024
    );
    let v = CoseSign1::decode(&attached)?.verify(&provisioned, b"")?;
    println!("  release metadata valid: {}", String::from_utf8_lossy(v.payload().unwrap_or_default()));

    s.step("device rejects a tampered image and a message signed by another key");
    let mut bad = image.clone();
    if let Some(b) = bad.get_mut(1000) {
        *b ^= 1;
    }
    let r = CoseSign1::decode(&detached)?.verify_detached(&provisioned, &bad, b"");
    expect_rejected("one flipped bit in the image", &r, &Error::BadSignature)?;
    let rogue = PrivateKey::generate(Algorithm::ES256)?;
    let forged = rogue.sign1(&Sign1Builder::new(meta))?;
    let r = CoseSign1::decode(&forged)?.verify(&provisioned, b"");
    expect_rejected("metadata signed by a rogue key", &r, &Error::BadSignature)?;
    let ed = PrivateKey::generate(Algorithm::EDDSA)?;
    let other_alg = ed.sign1(&Sign1Builder::new(meta))?;
    let r = CoseSign1::decode(&other_alg)?.verify(&provisioned, b"");
    expect_rejected("EdDSA message against the ES256 key", &r, &Error::AlgorithmMismatch { expected: -7, actual: -8 })?;

    s.step("device signs a boot report with its own Ed25519 key; the cloud verifies it");
    let report = br#"{"boot":"ok","slot":"b","version":"2.0.0"}"#;
    let signed = ed.sign1(&Sign1Builder::new(report).unprotected(Headers::default().kid(b"device-0001")))?;
    let v = match ed.public_key() {
        PublicKey::Ed25519(k) => CoseSign1::decode(&signed)?.verify(&k, b"")?.alg(),
        _ => return Err(Failure("unexpected key type".into())),
    };
    println!("  boot report: {} bytes, {} signature valid", signed.len(), v);

    s.step("device sends telemetry under a shared HMAC key (COSE_Mac0, HMAC 256/64)");
    let shared = firmware(32, 7);
    let telemetry = br#"{"temp_c":21.5}"#;
    let mut buf = [0u8; 96];
    let n = Mac0Builder::new(telemetry).algorithm(Algorithm::HMAC_256_64).mac_into(&HmacKey::new(&shared), &mut buf)?;
    let msg = buf.get(..n).unwrap_or_default();
    let v = CoseMac0::decode(msg)?.verify(&HmacKey::new(&shared), b"")?;
    println!("  telemetry: {n} bytes built in a fixed buffer, {} tag valid", v.alg());

    s.step("SUIT + delta: v1 ships whole, v2 ships as a delta (power cut mid-apply, resumed); replay refused");
    manifest_step(dir, &vendor, &vendor_pub)?;

    s.step("attestation: the device measures its boot, signs a PSA token; the cloud checks freshness, appraises, signs an EAR");
    attest_step(dir)?;

    s.step("twin: the cloud sets the desired firmware, the device reports it installed, the delta empties");
    let mut shadow = iot_twin::aws::Shadow::new();
    shadow.update(&serde_json::json!({"state": {"reported": {"firmware": {"version": "1.0.0"}, "temp_c": 21.5}}}))?;
    shadow.update(&serde_json::json!({"state": {"desired": {"firmware": {"version": "2.0.0"}}}}))?;
    println!("  desired fw 2.0.0 -> delta {} (version {})", fmt_delta(&shadow), shadow.version());
    let v = shadow.version();
    // The device verified and installed the image from step 3; it reports with optimistic locking.
    let report = serde_json::json!({"state": {"reported": {"firmware": {"version": "2.0.0"}}}, "version": v});
    shadow.update(&report)?;
    println!("  device reports fw 2.0.0 -> delta {} (version {})", fmt_delta(&shadow), shadow.version());
    if shadow.delta().is_some() {
        return Err(Failure("delta did not empty".into()));
    }
    match shadow.update(&report) {
        Err(e @ iot_twin::Error::Conflict { .. }) => {
            println!("  rejected as expected: a replayed report at version {v}: {e} (HTTP {})", e.http_status());
        }
        other => return Err(Failure(format!("stale report was not refused: {other:?}"))),
    }
    let last = serde_json::json!({"firmware": {"version": "1.0.0"}, "temp_c": 21.5});
    let now = serde_json::json!({"firmware": {"version": "2.0.0"}, "temp_c": 22.0});
    let patch = iot_twin::merge::diff(&last, &now)?;
    println!("  next report as a merge patch: {patch} ({} bytes as CBOR)", iot_twin::cbor::to_vec(&patch).len());

    println!("\ndemo complete: {} steps passed", s.n);
    Ok(Outcome::Ok)
}

/// The factory: a fleet root and issuing CA, a device key that never leaves the device, a CSR
/// written allocation-free and signed by that key, a DevID issued after proof of possession, and
/// the cloud's validation of the chain (and of a forged one).
fn factory_step() -> Result<(), Failure> {
    use iot_identity::{Ca, Certificate, Options, Profile, Subject, Time, validate, write_csr};
    let now = Time::now();
    let year = 365 * 86_400;
    let t = Instant::now();
    let root = Ca::root(
        &Subject::common_name("Demo Fleet Root"),
        PrivateKey::generate(Algorithm::ES256)?,
        now,
        now.plus(20 * year),
        Some(1),
    )?;
    let issuing = Ca::intermediate(
        &Subject::common_name("Demo Issuing CA"),
        PrivateKey::generate(Algorithm::ES256)?,
        &root,
        now,
        now.plus(10 * year),
        Some(0),
    )?;
    let device_key = PrivateKey::generate(Algorithm::ES256)?;
    let mut csr = [0u8; 512];
    let n = write_csr(&Subject::device("DEMO-0001", Some("demo sensor")), &device_key, &mut csr)?;
    let csr = csr.get(..n).ok_or_else(|| Failure("csr".into()))?;
    let devid = issuing.issue_devid(csr, now, Time::NO_EXPIRY)?;
    let leaf = Certificate::from_der(&devid)?;
    let anchors = [root.certificate()?];
    let inters = [issuing.certificate()?];
    let path = validate(&leaf, &inters, &anchors, &Options::new(now, Profile::DevId).client_auth())?;
    println!(
        "  CSR {n} B, DevID {} B for \"{}\" (no expiry), chain of {} validated under the devid profile in {:.1} ms",
        devid.len(),
        leaf.subject,
        path.intermediates().len().saturating_add(2),
        t.elapsed().as_secs_f64() * 1e3
    );
    // A certificate for the same subject made by a key outside the fleet does not validate.
    let rogue = Ca::root(
        &Subject::common_name("Demo Issuing CA"),
        PrivateKey::generate(Algorithm::ES256)?,
        now,
        now.plus(year),
        None,
    )?;
    let forged = rogue.issue_devid(csr, now, Time::NO_EXPIRY)?;
    match validate(&Certificate::from_der(&forged)?, &inters, &anchors, &Options::new(now, Profile::DevId)) {
        Ok(_) => return Err(Failure("a forged DevID validated".into())),
        Err(e) => println!("  rejected as expected: a DevID from a rogue CA with the same name: {e}"),
    }
    onboarding(&root, &issuing, &devid, &device_key, now)
}

/// The cloud's side of the factory hand-off: the device keeps its claim code hash sealed, registers
/// just in time with a one-time token (getting its LDevID), and the owner claims it with the code
/// on its label.
fn onboarding(
    root: &iot_identity::Ca<PrivateKey>,
    issuing: &iot_identity::Ca<PrivateKey>,
    devid: &[u8],
    device_key: &PrivateKey,
    now: iot_identity::Time,
) -> Result<(), Failure> {
    use iot_identity::claim::{Challenge, Claims, code_hash, generate_code, respond};
    use iot_identity::provision::{Possession, Registrar, Registration, Token, VerifyKey};
    use iot_identity::seal::{OVERHEAD, Sealer};
    use iot_identity::{Ca, Certificate, Subject, write_csr};
    let PrivateKey::P256(device_p256) = device_key else { return Err(Failure("demo device key".into())) };
    // Factory: the label's claim code; the device keeps only its hash, sealed under its unique secret.
    let code = generate_code()?;
    let mut huk = [0u8; 32];
    getrandom::fill(&mut huk).map_err(|e| Failure(format!("rng: {e}")))?;
    let sealer = Sealer::new(&huk)?;
    let mut sealed = [0u8; 32 + OVERHEAD];
    let mut nonce = [0u8; 24];
    getrandom::fill(&mut nonce).map_err(|e| Failure(format!("rng: {e}")))?;
    sealer.seal(b"claim-code-hash", 1, &nonce, &code_hash(&code)?, &mut sealed)?;
    println!("  claim code on the label: {code}; the device keeps its hash sealed ({} B)", sealed.len());

    // Cloud: just-in-time registration with a one-time provisioning token.
    let year = 365 * 86_400;
    let ops = Ca::root(
        &Subject::common_name("Demo Operations CA"),
        PrivateKey::generate(Algorithm::ES256)?,
        now,
        now.plus(10 * year),
        Some(0),
    )?;
    let mut registrar = Registrar::new(ops, "https://provision.demo", year);
    registrar.add_manufacturer(root.certificate_der())?;
    let PrivateKey::P256(service) = PrivateKey::generate(Algorithm::ES256)? else {
        return Err(Failure("demo service key".into()));
    };
    registrar.require_tokens(VerifyKey::P256(*service.verifying_key()));
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(|e| Failure(format!("rng: {e}")))?;
    let token = Token::new("demo factory", "https://provision.demo", "register", id, now, 3600)
        .for_device("DEMO-0001")
        .sign(&service)?;
    let ldevid_key = PrivateKey::generate(Algorithm::ES256)?;
    let mut csr = [0u8; 512];
    let n = write_csr(&Subject::device("DEMO-0001", Some("demo sensor")), &ldevid_key, &mut csr)?;
    let csr = csr.get(..n).ok_or_else(|| Failure("csr".into()))?;
    let chain = [devid, issuing.certificate_der()];
    let request = Registration::new(&chain, csr, Possession::TlsClientAuth).with_token(&token);
    let record = registrar.register(&request, now)?;
    println!(
        "  registered just in time: LDevID {} B from the operations CA, token {} B used once",
        record.ldevid.len(),
        token.len()
    );
    match registrar.register(&request, now) {
        Ok(_) => return Err(Failure("a provisioning token was accepted twice".into())),
        Err(e) => println!("  rejected as expected: the same token again: {e}"),
    }

    // Owner: claims the device with the code; the device answers with its DevID key.
    let mut claims = Claims::new();
    let leaf = Certificate::from_der(devid)?;
    let mut buf = [0u8; 512];
    let mut stored = [0u8; 32];
    sealer.open(b"claim-code-hash", 1, &sealed, &mut stored)?;
    for (attempt, presented) in
        [("a wrong code", "0000-0000-0000-0000-0000-0000-00"), ("the label's code", code.as_str())]
    {
        let mut challenge = [0u8; 16];
        getrandom::fill(&mut challenge).map_err(|e| Failure(format!("rng: {e}")))?;
        claims.challenge("DEMO-0001", "owner@example", challenge, now)?;
        let n = respond(
            &stored,
            &Challenge { nonce: challenge, account: "owner@example" },
            "DEMO-0001",
            device_p256,
            &mut buf,
        )?;
        let answer = buf.get(..n).ok_or_else(|| Failure("claim answer".into()))?;
        match claims.complete(challenge, answer, &leaf, presented, now) {
            Ok(account) => println!("  claimed with {attempt}: DEMO-0001 now belongs to {account}"),
            Err(e) if attempt == "a wrong code" => println!("  rejected as expected: a claim with {attempt}: {e}"),
            Err(e) => return Err(Failure(format!("claim failed: {e}"))),
        }
    }
    Ok(())
}

fn manifest_step(dir: &Path, vendor: &PrivateKey, vendor_pub: &PublicKey) -> Result<(), Failure> {
    use crate::manifest::{DirPlatform, FileCounter, build_from_spec, process_envelope};
    const VENDOR_ID: &str = "fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe";
    const CLASS_ID: &str = "1492af14-2569-5e48-bf42-9b2d51f2ab45";
    let mut envelopes = Vec::new();
    let v1 = firmware(64 * 1024, 0x0000_1111);
    let v2 = next_release(&v1);
    for (seq, image) in [(1u64, &v1), (2, &v2)] {
        let name = format!("app-v{seq}.bin");
        keys::write(&dir.join(&name), image)?;
        let spec = serde_json::json!({
            "sequence_number": seq,
            "vendor_id": VENDOR_ID,
            "class_id": CLASS_ID,
            "components": [{"id": [hex::encode("app")], "image": name, "uri": format!("https://updates.example/{name}")}],
            "text": {"description": format!("app firmware v{seq}")},
        });
        let env = build_from_spec(&spec, dir, vendor)?;
        let file = format!("app-v{seq}.suit");
        keys::write(&dir.join(&file), &env)?;
        println!("  {file}: {} bytes, sequence number {seq}, signed ES256", env.len());
        envelopes.push(env);
    }
    let slots = dir.join("device-slots");
    std::fs::create_dir_all(&slots)?;
    // What the device downloads lands here: v1 whole, v2 rebuilt from a delta.
    let download = dir.join("device-download");
    std::fs::create_dir_all(&download)?;
    std::fs::copy(dir.join("app-v1.bin"), download.join("app-v1.bin"))?;
    let mut device = DirPlatform {
        slots: slots.clone(),
        fetch_dir: Some(download.clone()),
        vendor: crate::manifest::uuid(VENDOR_ID)?,
        class: crate::manifest::uuid(CLASS_ID)?,
        records: Vec::new(),
        log: Vec::new(),
        quiet: true,
        gates: crate::manifest::Gates::default(),
        dependency_key: None,
    };
    let mut counter = FileCounter(dir.join("device-counter"));
    for (i, env) in envelopes.iter().enumerate() {
        if i == 1 {
            let installed = std::fs::read(slots.join("app"))?;
            delta_download(dir, &installed, &v2, &download.join("app-v2.bin"))?;
        }
        let seq = process_envelope(env, vendor_pub, &mut device, &mut counter, true, true)
            .map_err(|e| Failure(format!("manifest v{}: {e}", i.saturating_add(1))))?;
        let checks = device.records.iter().filter(|r| r.outcome == iot_manifest::Outcome::Success).count();
        println!(
            "  device: v{} authenticated, fetched, image-match ok, invoked ({} checks passed); counter now {seq}",
            i.saturating_add(1),
            checks
        );
        device.records.clear();
    }
    let installed = std::fs::read(slots.join("app"))?;
    if installed != std::fs::read(dir.join("app-v2.bin"))? {
        return Err(Failure("slot does not hold v2".into()));
    }
    let first = envelopes.first().ok_or_else(|| Failure("no envelope".into()))?;
    match process_envelope(first, vendor_pub, &mut device, &mut counter, true, false) {
        Err(e @ iot_manifest::Error::Rollback { .. }) => println!("  rejected as expected: replayed v1 manifest: {e}"),
        other => return Err(Failure(format!("replayed manifest was not refused: {other:?}"))),
    }
    Ok(())
}

fn attest_step(dir: &Path) -> Result<(), Failure> {
    use iot_attest::{Ear, KeyMaterial, MeasuredBoot, Measurement, MemoryNonceStore, NonceStore as _, Options, Psa};
    let now = crate::attest::now();
    // Factory: the device's attestation key (in a real device: generated inside the secure element).
    let device_key = iot_cose::p256::ecdsa::SigningKey::from_slice(&[0x5d; 32])?;
    let device_pub = KeyMaterial::Public(PrivateKey::P256(device_key.clone()).public_key());
    let instance_id: Vec<u8> =
        std::iter::once(1u8).chain(Measurement::of("", "", [0; 32], b"device-0042").value).collect();
    let verifier_key = PrivateKey::generate(Algorithm::EDDSA)?;
    let installed = std::fs::read(dir.join("device-slots").join("app"))?;
    let bootloader = firmware(16 * 1024, 0x0000_b007);
    let fleet_signer = [0xf1; 32];
    let refs = iot_attest::ReferenceValues::from_json(&format!(
        r#"{{"name": "device-0042", "policy_id": "acme/fleet-1",
            "implementation_ids": ["{impl_id}"],
            "components": [{{"name": "BL2", "signer_ids": ["{signer}"], "required": true}},
                           {{"name": "app", "measurements": ["{app}"], "min_version": "2.0.0", "required": true}}]}}"#,
        impl_id = hex::encode([0x11; 32]),
        signer = hex::encode(fleet_signer),
        app = hex::encode(Measurement::of("", "", [0; 32], &std::fs::read(dir.join("app-v2.bin"))?).value),
    ))?;
    let nonces = MemoryNonceStore::new(1024);

    let attest = |image: &[u8], version: &'static str, nonce: &[u8]| -> Result<Vec<u8>, Failure> {
        // Device: each boot stage measures the next before running it.
        let mut log: MeasuredBoot<'_, 4> = MeasuredBoot::new();
        log.record(Measurement::of("BL2", "1.4.0", fleet_signer, &bootloader))?;
        log.record(Measurement::of("app", version, fleet_signer, image))?;
        let comps: Vec<Measurement<'_>> = log.entries().copied().collect();
        let psa = Psa::new(nonce, &instance_id, &[0x11; 32], 1, 0x3000, &comps);
        let mut buf = [0u8; 1024];
        let n = iot_attest::sign_into(&psa, &device_key, None, &mut buf)?;
        Ok(buf.get(..n).unwrap_or_default().to_vec())
    };

    let nonce = nonces.issue(now, 60)?;
    let token = attest(&installed, "2.0.0", &nonce)?;
    keys::write(&dir.join("evidence.cbor"), &token)?;
    println!("  device: measured BL2 and app v2, PSA token {} bytes (ES256, fixed buffer, no heap)", token.len());
    let v = iot_attest::verify_fresh(&token, &device_pub, &nonces, now, &Options::default())?;
    let appraisal = refs.appraise(&v.claims);
    let mut ear = Ear::new(now, &refs.name, appraisal);
    ear.nonce = v.claims.single_nonce().map(<[u8]>::to_vec);
    let signed = ear.sign_with_key(&verifier_key)?;
    keys::write(&dir.join("ear.cbor"), &signed)?;
    let checked = Ear::verify(&signed, &verifier_key.public_key(), Some(now))?;
    let tv = checked.submods.first().map(|(_, a)| a.trust_vector.to_json()).unwrap_or_default();
    println!(
        "  cloud: signature and nonce ok; EAR {} ({} bytes, signed EdDSA): {tv}",
        checked.status().name(),
        signed.len()
    );
    if checked.status() != iot_attest::Status::Affirming {
        return Err(Failure(format!("the updated device was not affirmed: {}", checked.to_json())));
    }
    match iot_attest::verify_fresh(&token, &device_pub, &nonces, now, &Options::default()) {
        Err(e @ iot_attest::Error::Stale(_)) => println!("  rejected as expected: the same evidence replayed: {e}"),
        other => return Err(Failure(format!("replayed evidence was not refused: {other:?}"))),
    }
    let v1 = std::fs::read(dir.join("app-v1.bin"))?;
    let nonce = nonces.issue(now, 60)?;
    let stale = attest(&v1, "1.0.0", &nonce)?;
    let v = iot_attest::verify_fresh(&stale, &device_pub, &nonces, now, &Options::default())?;
    let a = refs.appraise(&v.claims);
    if a.status == iot_attest::Status::Affirming {
        return Err(Failure("a device still on v1 was affirmed".into()));
    }
    println!(
        "  rejected as expected: a device still running v1 appraises {} (executables {}: unrecognized)",
        a.status.name(),
        a.trust_vector.executables.unwrap_or(0)
    );
    Ok(())
}

/// The next release of `v1`: code shifted by an inserted function, a few constants changed.
fn next_release(v1: &[u8]) -> Vec<u8> {
    let cut = v1.len() / 3;
    let mut v2 = Vec::with_capacity(v1.len().saturating_add(600));
    v2.extend_from_slice(v1.get(..cut).unwrap_or(&[]));
    v2.extend_from_slice(&firmware(600, 0x0000_2222));
    v2.extend_from_slice(v1.get(cut..).unwrap_or(&[]));
    for i in (0..v2.len()).step_by(4099) {
        if let Some(b) = v2.get_mut(i) {
            *b = b.wrapping_add(1);
        }
    }
    v2
}

/// The cloud diffs the installed image against v2 (tiny profile); the device applies the patch
/// in 512-byte network chunks, loses power after the first checkpoints, resumes from the stored
/// checkpoint and rebuilds v2 exactly; a patch for another base is refused.
fn delta_download(dir: &Path, installed: &[u8], v2: &[u8], out: &Path) -> Result<(), Failure> {
    use iot_delta::{Checkpoint, DiffOptions, Event, Profile, SliceTarget, TinyApplier};
    let mut options = DiffOptions::for_profile(Profile::Tiny);
    options.block_log2 = Some(12);
    let patch = iot_delta::diff(installed, v2, &options)?;
    keys::write(&dir.join("app-v1-to-v2.delta"), &patch)?;
    println!(
        "  cloud: delta v1 -> v2 is {} bytes ({:.1} % of the {}-byte image), tiny profile: applier RAM {} bytes",
        patch.len(),
        crate::delta::percent(patch.len(), v2.len()),
        v2.len(),
        size_of::<TinyApplier>()
    );
    let mut slot = vec![0u8; v2.len()];
    let mut stored = None;
    let mut off = 0usize;
    {
        let mut applier = Box::new(TinyApplier::new());
        let mut target = SliceTarget::new(&mut slot);
        let mut checkpoints = 0u32;
        while checkpoints < 4 && off < patch.len() {
            let chunk = patch.get(off..off.saturating_add(512).min(patch.len())).unwrap_or(&[]);
            let fed = applier.feed(chunk, &mut &installed[..], &mut target)?;
            off = off.saturating_add(fed.consumed);
            if let Event::Checkpoint(cp) = fed.event {
                stored = Some(cp.to_bytes());
                checkpoints = checkpoints.saturating_add(1);
            }
        }
    }
    let bytes = stored.ok_or_else(|| Failure("no checkpoint before the power cut".into()))?;
    let cp = Checkpoint::from_bytes(&bytes)?;
    println!(
        "  device: power lost after {off} patch bytes; resuming at block {} from a {}-byte checkpoint",
        cp.block(),
        bytes.len()
    );
    let mut applier = Box::new(TinyApplier::resume(cp));
    let mut target = SliceTarget::new(&mut slot);
    let mut off = 0usize;
    loop {
        let chunk = patch.get(off..off.saturating_add(512).min(patch.len())).unwrap_or(&[]);
        let fed = applier.feed(chunk, &mut &installed[..], &mut target)?;
        off = off.saturating_add(fed.consumed);
        match fed.event {
            Event::SkipTo(at) => off = usize::try_from(at).map_err(|e| Failure(e.to_string()))?,
            Event::Done => break,
            _ if off >= patch.len() => return Err(Failure("patch ended early".into())),
            _ => {}
        }
    }
    if slot != v2 {
        return Err(Failure("delta rebuilt the wrong image".into()));
    }
    keys::write(out, &slot)?;
    println!("  device: v2 rebuilt from the delta, sha256 checked");
    let mut other_base = installed.to_vec();
    if let Some(b) = other_base.get_mut(100) {
        *b ^= 0xFF;
    }
    match crate::delta::apply_bytes(&other_base, &patch, &mut Vec::new()) {
        Err(e @ iot_delta::Error::SourceDigest) => {
            println!("  rejected as expected: delta applied to a different base image: {e}")
        }
        other => return Err(Failure(format!("delta on the wrong base was not refused: {other:?}"))),
    }
    Ok(())
}

fn fmt_delta(shadow: &iot_twin::aws::Shadow) -> String {
    shadow.delta().map_or_else(|| "empty".to_owned(), |d| d.to_string())
}

fn expect_rejected<T>(what: &str, r: &Result<T, Error>, want: &Error) -> Result<(), Failure> {
    match r {
        Err(e) if std::mem::discriminant(e) == std::mem::discriminant(want) => {
            println!("  rejected as expected: {what}: {e}");
            Ok(())
        }
        Err(e) => Err(Failure(format!("{what}: rejected for the wrong reason: {e}"))),
        Ok(_) => Err(Failure(format!("{what}: was accepted"))),
    }
}
