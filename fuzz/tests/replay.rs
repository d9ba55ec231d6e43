//! Replays the committed corpus through the harnesses (runs on stable with `cargo test`), and
//! regenerates the seeds on request (`cargo test -- --ignored write_seeds`).

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

fn replay(target: &str, f: fn(&[u8])) {
    let seeds = corpus(target);
    for (p, bytes) in &seeds {
        f(bytes);
        // Every truncation and every single-byte flip of each seed, too.
        for n in 0..bytes.len() {
            f(&bytes[..n]);
        }
        for i in 0..bytes.len() {
            let mut m = bytes.clone();
            m[i] ^= 0xff;
            f(&m);
        }
        let _ = p;
    }
    println!("{target}: {} seeds replayed with truncations and flips", seeds.len());
}

#[test]
fn replay_cose_sign1() {
    replay("cose_sign1", iot_fuzz::cose_sign1);
}

#[test]
fn replay_cose_mac0() {
    replay("cose_mac0", iot_fuzz::cose_mac0);
}

#[test]
fn replay_cose_key() {
    replay("cose_key", iot_fuzz::cose_key);
}

#[test]
fn replay_twin_merge() {
    replay("twin_merge", iot_fuzz::twin_merge);
}

#[test]
fn replay_twin_patch() {
    replay("twin_patch", iot_fuzz::twin_patch);
}

#[test]
fn replay_twin_cbor() {
    replay("twin_cbor", iot_fuzz::twin_cbor);
}

/// The seeds are our own encodings, made with the library itself.
#[test]
#[ignore = "writes the corpus; run by hand after a format change"]
fn write_seeds() {
    use iot_cose::{Algorithm, ContentType, Headers, HmacKey, Label, Mac0Builder, Sign1Builder, ed25519_dalek, p256};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let put = |t: &str, name: &str, b: &[u8]| {
        std::fs::create_dir_all(root.join(t)).unwrap();
        std::fs::write(root.join(t).join(name), b).unwrap();
    };
    let es = p256::ecdsa::SigningKey::from_slice(&iot_fuzz::SEED_P256).unwrap();
    let ed = ed25519_dalek::SigningKey::from_bytes(&[0x19; 32]);
    let other: [(Label<'_>, &[u8]); 2] = [(Label::Int(-70000), b"\x82\x01\xa1\x02\x03"), (Label::Text("x"), b"\xf5")];
    put(
        "cose_sign1",
        "es256_attached",
        &Sign1Builder::new(b"payload").unprotected(Headers::default().kid(b"11")).sign(&es).unwrap(),
    );
    put(
        "cose_sign1",
        "es256_detached_untagged",
        &Sign1Builder::new(b"payload").detached(true).tagged(false).sign(&es).unwrap(),
    );
    put(
        "cose_sign1",
        "es256_headers",
        &Sign1Builder::new(b"{}")
            .protected(Headers::default().content_type(ContentType::Text("application/json")).other(&other))
            .unprotected(Headers::default().kid(b"k"))
            .sign(&es)
            .unwrap(),
    );
    put("cose_sign1", "eddsa", &Sign1Builder::new(&[0u8; 40]).sign(&ed).unwrap());
    let crit = b"\xa2\x01\x26\x02\x81\x01";
    let mut with_crit = vec![0xd2, 0x84, 0x46];
    with_crit.extend_from_slice(crit);
    with_crit.extend_from_slice(b"\xa0\x41\x00\x58\x40");
    with_crit.extend_from_slice(&[0u8; 64]);
    put("cose_sign1", "crit", &with_crit);
    let k = HmacKey::new(&iot_fuzz::SEED_HMAC);
    put("cose_mac0", "hmac256", &Mac0Builder::new(b"telemetry").mac(&k).unwrap());
    put(
        "cose_mac0",
        "hmac64_detached",
        &Mac0Builder::new(b"t").algorithm(Algorithm::HMAC_256_64).detached(true).mac(&k).unwrap(),
    );
    put("cose_key", "ec2_public", &iot_cose::PublicKey::P256(*es.verifying_key()).to_cose_key(Some(b"kid")));
    put("cose_key", "ec2_private", &iot_cose::PrivateKey::P256(es.clone()).to_cose_key(None));
    put("cose_key", "okp_public", &iot_cose::PublicKey::Ed25519(ed.verifying_key()).to_cose_key(None));
    put("cose_key", "okp_private", &iot_cose::PrivateKey::Ed25519(ed.clone()).to_cose_key(Some(b"d")));
    let c = |v: serde_json::Value| iot_twin::cbor::to_vec(&v);
    let doc = serde_json::json!({"fw": {"version": "1.0", "slots": ["a", "b"]}, "led": true, "t": 21.5, "n": -3});
    put("twin_cbor", "doc", &c(doc.clone()));
    put("twin_cbor", "nested", &c(serde_json::json!([[1, [2, {"x": null}]], "s", 1.0e300])));
    let merge = serde_json::json!({"fw": {"version": "2.0"}, "led": null, "new": {"a": [1]}});
    put("twin_merge", "doc_patch", &[c(doc.clone()), c(merge)].concat());
    put("twin_merge", "scalar_patch", &[c(doc.clone()), c(serde_json::json!([1, 2]))].concat());
    let ops = serde_json::json!([
        {"op": "test", "path": "/led", "value": true},
        {"op": "add", "path": "/fw/slots/-", "value": "c"},
        {"op": "move", "from": "/t", "path": "/temp"},
        {"op": "copy", "from": "/fw", "path": "/fw_backup"},
        {"op": "remove", "path": "/n"},
        {"op": "replace", "path": "/fw/version", "value": "2.0"}
    ]);
    put("twin_patch", "all_ops", &[c(doc.clone()), c(ops)].concat());
    put("twin_patch", "failing", &[c(doc), c(serde_json::json!([{"op": "remove", "path": "/nope"}]))].concat());
    put(
        "cose_key",
        "symmetric",
        &iot_cose::SymmetricKey::new(&[1; 32]).to_cose_key(Some(b"s"), Some(Algorithm::HMAC_256_256)),
    );
}

#[test]
fn replay_manifest_envelope() {
    replay("manifest_envelope", iot_fuzz::manifest_envelope);
}

#[test]
fn replay_manifest_process() {
    replay("manifest_process", iot_fuzz::manifest_process);
}

/// SUIT seeds, made with the builder (run by hand like `write_seeds`).
#[test]
#[ignore = "writes the corpus; run by hand after a format change"]
fn write_manifest_seeds() {
    write_report_seeds();
    use iot_manifest::Section;
    use iot_manifest::build::{EnvelopeBuilder, Image, ManifestBuilder, Params, SequenceBuilder, text_map};
    use iot_manifest::codes::{condition as c, directive as d};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let key = iot_cose::p256::ecdsa::SigningKey::from_slice(&iot_fuzz::SEED_P256).unwrap();
    let mut seeds: Vec<(&str, Vec<u8>)> = Vec::new();
    let one = ManifestBuilder::for_images(4, [1; 16], [2; 16], &[Image::new(&[b"app"], b"fw").uri("#fw")]);
    seeds.push((
        "integrated",
        EnvelopeBuilder::new(one.build().unwrap())
            .integrated_payload("#fw", b"fw".to_vec())
            .sign(&key)
            .unwrap()
            .encode()
            .unwrap(),
    ));
    let two = ManifestBuilder::for_images(
        5,
        [1; 16],
        [2; 16],
        &[Image::new(&[b"a"], b"https://x/a").uri("https://x/a"), Image::new(&[b"b", b"c"], b"zz")],
    )
    .text(&text_map("en", Some("two"), &[(&[b"a"], &[(1, "vendor")])]))
    .sever(23)
    .unwrap();
    seeds.push((
        "two_components_severed_text",
        EnvelopeBuilder::new(two.build().unwrap()).sign(&key).unwrap().encode().unwrap(),
    ));
    let branch = |slot| {
        SequenceBuilder::new()
            .override_parameters(&Params::new().component_slot(slot))
            .condition(c::COMPONENT_SLOT, 3)
            .override_parameters(&Params::new().content(b"x"))
    };
    let install = SequenceBuilder::new()
        .set_component_index_all()
        .try_each(&[branch(0), branch(1)], true)
        .directive(d::WRITE, 0)
        .condition(c::CHECK_CONTENT, 0)
        .run_sequence(
            &SequenceBuilder::new()
                .override_parameters(&Params::new().soft_failure(true).source_component(0))
                .condition(c::ABORT, 0),
        )
        .set_component_indices(&[1, 2])
        .override_parameters(&Params::new().source_component(0))
        .directive(d::COPY, 0)
        .directive(d::SWAP, 0)
        .custom(-300, &[0x41, 0x00]);
    let mut m = ManifestBuilder::new(9);
    for i in 0..3u8 {
        m.component(&[&[i]]);
    }
    let m = m
        .shared_sequence(&SequenceBuilder::new().condition(c::VENDOR_ID, 1))
        .sequence(Section::Install, &install)
        .sequence(Section::Invoke, &SequenceBuilder::new().directive(d::INVOKE, 0));
    seeds.push(("control_flow", EnvelopeBuilder::new(m.build().unwrap()).sign(&key).unwrap().encode().unwrap()));
    // Update management: every parameter, override-multiple, copy-params, the gates and a wait
    // with another device's version, and a write with component metadata.
    {
        use iot_manifest::update::VersionComparison;
        // {4: [h'6f74686572', [[2, [1, 0]]]], 8: 3600}: other-device-version and time-of-day-utc.
        let wait = vec![
            0x53, 0xa2, 0x04, 0x82, 0x45, b'o', b't', b'h', b'e', b'r', 0x81, 0x82, 0x02, 0x82, 0x01, 0x00, 0x08, 0x19,
            0x0e, 0x10,
        ];
        // {1: 6, 2: {"root": 7}, 5: 3, 6: 1(1700000000), 8: 1000}
        let meta = [
            0xa5, 0x01, 0x06, 0x02, 0xa1, 0x64, b'r', b'o', b'o', b't', 0x07, 0x05, 0x03, 0x06, 0xc1, 0x1a, 0x65, 0x53,
            0xf1, 0x00, 0x08, 0x19, 0x03, 0xe8,
        ];
        let gates = Params::new()
            .use_before(1_800_000_000)
            .minimum_battery(10)
            .update_priority(-1)
            .version(VersionComparison::GreaterEqual, &[1, 0]);
        let install = SequenceBuilder::new()
            .override_multiple(&[(0, &gates), (1, &Params::new().raw(29, wait).content(b"/a/b"))])
            .set_component_index(2)
            .copy_params(&[(0, &[4, 26, 27, 28])])
            .set_component_indices(&[0, 2])
            .condition(c::USE_BEFORE, 15)
            .condition(c::MINIMUM_BATTERY, 15)
            .condition(c::UPDATE_AUTHORIZED, 15)
            .condition(c::VERSION, 15)
            .set_component_index(1)
            .directive(d::WAIT, 15)
            .override_parameters(&Params::new().component_metadata(&meta))
            .directive(d::WRITE, 15);
        let mut m = ManifestBuilder::new(9);
        for i in 0..3u8 {
            m.component(&[&[i]]);
        }
        let m = m.sequence(Section::Install, &install);
        seeds.push((
            "update_management",
            EnvelopeBuilder::new(m.build().unwrap()).sign(&key).unwrap().encode().unwrap(),
        ));
    }
    // Trust domains: a dependent carrying its dependency integrated, resolved, checked and run.
    {
        let mut dep = ManifestBuilder::new(1);
        dep.component(&[b"lib"]);
        let dep = dep.manifest_component_id(&[b"dep"]).sequence(
            Section::Install,
            &SequenceBuilder::new().override_parameters(&Params::new().content(b"library")).directive(d::WRITE, 15),
        );
        let dep_env = EnvelopeBuilder::new(dep.build().unwrap()).sign(&key).unwrap().encode().unwrap();
        let digest = iot_manifest::Envelope::decode(&dep_env).unwrap().manifest_digest();
        let mut m = ManifestBuilder::new(9);
        m.component(&[b"app"]);
        let resolve = SequenceBuilder::new()
            .set_component_index(1)
            .override_parameters(&Params::new().image_digest(&digest).uri("#dep"))
            .directive(d::FETCH, 15)
            .condition(c::IMAGE_MATCH, 15);
        let install = SequenceBuilder::new()
            .set_component_index(1)
            .condition(c::IS_DEPENDENCY, 15)
            .condition(c::DEPENDENCY_INTEGRITY, 15)
            .directive(d::PROCESS_DEPENDENCY, 15)
            .set_component_index(0)
            .override_parameters(&Params::new().content(b"application"))
            .directive(d::WRITE, 15);
        let m = m
            .dependency(1, Some(&[b"dep"]))
            .sequence(Section::DependencyResolution, &resolve)
            .sequence(Section::Install, &install);
        let env = EnvelopeBuilder::new(m.build().unwrap()).integrated_payload("#dep", dep_env).sign(&key).unwrap();
        seeds.push(("trust_domains", env.encode().unwrap()));
    }
    // Firmware encryption: a decrypting write, then a decrypting copy of a staged ciphertext.
    {
        use iot_manifest::encryption::{ContentAlgorithm, EncryptTo, encrypt};
        let to = [EncryptTo::AesKw { kek: &iot_fuzz::FIXED_KEK, kid: None }];
        let gcm = encrypt(b"decrypted by a write", ContentAlgorithm::A128Gcm, &to, |b| b.fill(5)).unwrap();
        let ctr =
            encrypt(b"decrypted by a copy from a staging slot", ContentAlgorithm::A128Ctr, &to, |b| b.fill(6)).unwrap();
        let bstr = |b: &[u8]| {
            let mut v = Vec::new();
            iot_cose::cbor::Encoder::new(&mut v).bytes(b).unwrap();
            v
        };
        let install = SequenceBuilder::new()
            .set_component_index(0)
            .override_parameters(&Params::new().content(&gcm.ciphertext).raw(19, bstr(&gcm.info)))
            .directive(d::WRITE, 15)
            .set_component_index(1)
            .override_parameters(&Params::new().content(&ctr.ciphertext))
            .directive(d::WRITE, 15)
            .set_component_index(2)
            .override_parameters(&Params::new().source_component(1).raw(19, bstr(&ctr.info)))
            .directive(d::COPY, 15);
        let mut m = ManifestBuilder::new(9);
        for i in 0..3u8 {
            m.component(&[&[i]]);
        }
        let m = m.sequence(Section::Install, &install);
        seeds.push(("encryption", EnvelopeBuilder::new(m.build().unwrap()).sign(&key).unwrap().encode().unwrap()));
    }
    for t in ["manifest_envelope", "manifest_process"] {
        std::fs::create_dir_all(root.join(t)).unwrap();
        for (name, bytes) in &seeds {
            std::fs::write(root.join(t).join(name), bytes).unwrap();
        }
    }
}

#[test]
fn replay_delta_apply() {
    replay("delta_apply", iot_fuzz::delta_apply);
}

#[test]
fn replay_delta_header() {
    replay("delta_header", iot_fuzz::delta_header);
}

/// Delta seeds: patches of a few shapes against [`iot_fuzz::delta_source`] (run by hand).
#[test]
#[ignore = "writes the corpus; run by hand after a format change"]
fn write_delta_seeds() {
    use iot_delta::{DiffOptions, Profile};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let old = iot_fuzz::delta_source();
    let mut new = old.clone();
    new.splice(1000..1000, b"inserted".iter().copied());
    new[2000] ^= 0x10;
    let cases: [(&str, &[u8], Profile, u8, u8); 5] = [
        ("tiny_blocks", &new, Profile::Tiny, 8, 64),
        ("standard_one_block", &new, Profile::Standard, 16, 200),
        ("empty_target", &[], Profile::Tiny, 6, 1),
        ("unrelated_target", b"completely different bytes, nothing to copy", Profile::Tiny, 6, 7),
        ("same_image", &old, Profile::Standard, 10, 255),
    ];
    for (name, target, profile, block, chunk) in cases {
        let mut o = DiffOptions::for_profile(profile);
        o.block_log2 = Some(block);
        let patch = iot_delta::diff(&old, target, &o).unwrap();
        let mut seed = vec![chunk];
        seed.extend_from_slice(&patch);
        std::fs::create_dir_all(root.join("delta_apply")).unwrap();
        std::fs::write(root.join("delta_apply").join(name), &seed).unwrap();
        std::fs::create_dir_all(root.join("delta_header")).unwrap();
        std::fs::write(root.join("delta_header").join(name), &patch[..iot_delta::HEADER_LEN]).unwrap();
    }
    // One patch per executable filter, so the fuzzer starts inside the filtered paths.
    for (name, filter) in [
        ("thumb2", iot_delta::Filter::Thumb2),
        ("aarch64", iot_delta::Filter::Aarch64),
        ("x86", iot_delta::Filter::X86),
    ] {
        let mut o = DiffOptions::for_profile(Profile::Tiny);
        o.block_log2 = Some(7);
        o.filter = iot_delta::FilterChoice::Use(filter);
        let patch = iot_delta::diff(&old, &new, &o).unwrap();
        let mut seed = vec![33];
        seed.extend_from_slice(&patch);
        std::fs::write(root.join("delta_apply").join(format!("filter_{name}")), &seed).unwrap();
    }
    let mut o = DiffOptions::for_profile(Profile::Tiny);
    o.block_log2 = Some(8);
    let patch = iot_delta::diff(&old, &new, &o).unwrap();
    let mut a = Box::new(iot_delta::TinyApplier::new());
    let fed = a.feed(&patch, &mut &old[..], &mut Vec::new()).unwrap();
    if let iot_delta::Event::Checkpoint(cp) = fed.event {
        std::fs::write(root.join("delta_header").join("checkpoint"), cp.to_bytes()).unwrap();
    }
}

#[test]
fn replay_attest_evidence() {
    replay("attest_evidence", iot_fuzz::attest_evidence);
}

#[test]
fn replay_attest_ear() {
    replay("attest_ear", iot_fuzz::attest_ear);
}

#[test]
fn replay_identity_cert() {
    replay("identity_cert", iot_fuzz::identity_cert);
}

#[test]
fn replay_identity_csr() {
    replay("identity_csr", iot_fuzz::identity_csr);
}

#[test]
fn replay_identity_path() {
    replay("identity_path", iot_fuzz::identity_path);
}

#[test]
fn replay_identity_crl() {
    replay("identity_crl", iot_fuzz::identity_crl);
}

#[test]
fn replay_identity_token() {
    replay("identity_token", iot_fuzz::identity_token);
}

#[test]
fn replay_manifest_encryption() {
    replay("manifest_encryption", iot_fuzz::manifest_encryption);
}

/// Encryption seeds made with the library: AES-KW + A128GCM and ECDH-ES + A256CTR infos with
/// their ciphertexts, framed as the harness reads them (run by hand like `write_seeds`).
#[test]
#[ignore = "writes the corpus; run by hand after a format change"]
fn write_encryption_seeds() {
    use iot_manifest::encryption::{ContentAlgorithm, EncryptTo, encrypt};
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus").join("manifest_encryption");
    std::fs::create_dir_all(&d).unwrap();
    let public = iot_cose::p256::SecretKey::from_slice(&iot_fuzz::FIXED_P256).unwrap().public_key();
    let fill = |b: &mut [u8]| b.fill(0x33);
    for (name, alg, to) in [
        ("aes-kw-gcm", ContentAlgorithm::A128Gcm, EncryptTo::AesKw { kek: &iot_fuzz::FIXED_KEK, kid: Some(b"k") }),
        ("ecdh-ctr", ContentAlgorithm::A256Ctr, EncryptTo::Ecdh { public: &public, kid: None }),
    ] {
        let e = encrypt(b"seed firmware image, a few blocks long....", alg, &[to], fill).unwrap();
        let mut framed = vec![16u8];
        framed.extend_from_slice(&u16::try_from(e.info.len()).unwrap().to_be_bytes());
        framed.extend_from_slice(&e.info);
        framed.extend_from_slice(&e.ciphertext);
        std::fs::write(d.join(name), framed).unwrap();
    }
}

#[test]
fn replay_manifest_report() {
    replay("manifest_report", iot_fuzz::manifest_report);
}

#[test]
fn replay_attest_corim() {
    replay("attest_corim", iot_fuzz::attest_corim);
}

#[test]
fn replay_attest_dice() {
    replay("attest_dice", iot_fuzz::attest_dice);
}

#[test]
fn replay_identity_fdo() {
    replay("identity_fdo", iot_fuzz::identity_fdo);
}

#[test]
fn replay_identity_sealed() {
    replay("identity_sealed", iot_fuzz::identity_sealed);
}

/// Identity seeds: a DevID chain (root, issuing CA, device) made here, its CSR, and the chain in the
/// length-prefixed form `identity_path` reads.
#[test]
#[ignore = "writes the corpus; run by hand after a format change"]
fn write_identity_seeds() {
    use iot_identity::{Ca, Subject, Time, write_csr};
    let root_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let key = |b: u8| iot_cose::p256::ecdsa::SigningKey::from_slice(&[b; 32]).unwrap();
    let t = Time::from_unix(1_600_000_000);
    let root = Ca::root(&Subject::common_name("Root"), key(1), t, Time::NO_EXPIRY, Some(1)).unwrap();
    let int = Ca::intermediate(&Subject::common_name("Issuing"), key(2), &root, t, Time::NO_EXPIRY, Some(0)).unwrap();
    let mut csr = [0u8; 512];
    let n = write_csr(&Subject::device("SN-1", Some("dev")), &key(3), &mut csr).unwrap();
    let dev = int.issue_devid(&csr[..n], t, Time::NO_EXPIRY).unwrap();
    let ed = Ca::root(
        &Subject::common_name("Ed"),
        iot_cose::ed25519_dalek::SigningKey::from_bytes(&[4; 32]),
        t,
        Time::NO_EXPIRY,
        None,
    )
    .unwrap();
    let w = |target: &str, name: &str, bytes: &[u8]| {
        let d = root_dir.join(target);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), bytes).unwrap();
    };
    w("identity_cert", "root.der", root.certificate_der());
    w("identity_cert", "devid.der", &dev);
    w("identity_cert", "ed25519-root.der", ed.certificate_der());
    w("identity_csr", "devid.csr", &csr[..n]);
    let mut chain = Vec::new();
    for c in [&dev[..], int.certificate_der(), root.certificate_der()] {
        chain.extend_from_slice(&u16::try_from(c.len()).unwrap().to_be_bytes());
        chain.extend_from_slice(c);
    }
    w("identity_path", "devid-chain.bin", &chain);
    let dev_cert = iot_identity::Certificate::from_der(&dev).unwrap();
    let entries =
        [iot_identity::crl::Revoked::new(dev_cert.serial, t, Some(1)), iot_identity::crl::Revoked::new(&[1], t, None)];
    let crl = int.crl(2, t, Time::from_unix(1_800_000_000), &entries).unwrap();
    let mut crl_seed = u16::try_from(int.certificate_der().len()).unwrap().to_be_bytes().to_vec();
    crl_seed.extend_from_slice(int.certificate_der());
    crl_seed.extend_from_slice(&crl);
    w("identity_crl", "issuing-ca-crl.bin", &crl_seed);
    let sealer = iot_identity::seal::Sealer::new(&[0x5a; 32]).unwrap();
    let mut blob = [0u8; 32 + iot_identity::seal::OVERHEAD];
    sealer.seal(b"ldevid-key", 3, &[7; 24], &[0x44; 32], &mut blob).unwrap();
    w("identity_sealed", "ldevid-key.sealed", &blob);
    let service = key(0x42);
    let tok =
        iot_identity::provision::Token::new("iss", "aud", "register", [3; 16], t, 1_000_000_000).for_device("SN-1");
    w("identity_token", "token.cose", &tok.sign(&service).unwrap());
    let mut claims = Vec::new();
    tok.encode(&mut claims).unwrap();
    w("identity_token", "claims.cbor", &claims);
    let code = iot_identity::claim::code_hash("0000-0000-0000-0000-0000-0000-00").unwrap();
    let challenge = iot_identity::claim::Challenge { nonce: [1; 16], account: "acct" };
    let mut buf = [0u8; 512];
    let n = iot_identity::claim::respond(&code, &challenge, "SN-1", &service, &mut buf).unwrap();
    w("identity_token", "claim-response.cose", &buf[..n]);
    w("identity_fdo", "two-owners.ov", &fdo_voucher(&dev, &[key(5), key(6), key(7)]));
}

/// An FDO 1.1 voucher made here (not one of the shared vectors): header with a P-256 manufacturer
/// key (`keys[0]`), an HMAC-SHA256 placeholder, the device certificate, and one entry per further
/// key, each signed by the key before it, with the hashes FDO defines.
fn fdo_voucher(device_cert: &[u8], keys: &[iot_cose::p256::ecdsa::SigningKey]) -> Vec<u8> {
    use iot_cose::cbor::Encoder;
    use sha2::{Digest, Sha256};
    let spki = |k: &iot_cose::p256::ecdsa::SigningKey| {
        let mut buf = [0u8; 128];
        let n = iot_identity::public_key_der(k, &mut buf).unwrap();
        buf[..n].to_vec()
    };
    let key_item = |e: &mut Encoder<&mut Vec<u8>>, k: &iot_cose::p256::ecdsa::SigningKey| {
        e.array(3).unwrap().uint(10).unwrap().uint(1).unwrap().bytes(&spki(k)).unwrap();
    };
    let guid = [0x42u8; 16];
    let info = "fuzz device";
    let mut header = Vec::new();
    {
        let mut e = Encoder::new(&mut header);
        e.array(6).unwrap().uint(101).unwrap().bytes(&guid).unwrap();
        e.array(1).unwrap().array(1).unwrap().array(2).unwrap().uint(5).unwrap().bytes(b"rv.example").unwrap();
        e.str(info).unwrap();
        key_item(&mut e, &keys[0]);
        e.array(2).unwrap().int(-16).unwrap().bytes(&Sha256::digest(device_cert)).unwrap();
    }
    let mut hmac = Vec::new();
    Encoder::new(&mut hmac).array(2).unwrap().uint(5).unwrap().bytes(&[0u8; 32]).unwrap();
    let mut hdr_info = Sha256::new();
    hdr_info.update(guid);
    hdr_info.update(info.as_bytes());
    let hdr_info = hdr_info.finalize();
    let mut prev: Vec<u8> = [header.as_slice(), hmac.as_slice()].concat();
    let mut entries = Vec::new();
    for pair in keys.windows(2) {
        let mut payload = Vec::new();
        {
            let mut e = Encoder::new(&mut payload);
            e.array(4).unwrap();
            e.array(2).unwrap().int(-16).unwrap().bytes(&Sha256::digest(&prev)).unwrap();
            e.array(2).unwrap().int(-16).unwrap().bytes(&hdr_info).unwrap();
            e.null().unwrap();
            key_item(&mut e, &pair[1]);
        }
        let entry = iot_cose::Sign1Builder::new(&payload).sign(&pair[0]).unwrap();
        prev = entry.clone();
        entries.push(entry);
    }
    let mut out = Vec::new();
    let mut e = Encoder::new(&mut out);
    e.array(5).unwrap().uint(101).unwrap().bytes(&header).unwrap().raw(&hmac).unwrap();
    e.array(1).unwrap().bytes(device_cert).unwrap();
    e.array(entries.len()).unwrap();
    for entry in &entries {
        e.raw(entry).unwrap();
    }
    let v = iot_identity::fdo::Voucher::decode(&out).unwrap();
    assert_eq!(v.verify().unwrap().entries, keys.len() - 1);
    out
}

/// SUIT reports made here: a success with a nonce, and a signed failure (fuzz P-256 key).
fn write_report_seeds() {
    use iot_manifest::report::{Recorder, sign_report, write_report};
    use iot_manifest::{Error, Outcome, Record, Section, SuitDigest};
    let mut rec = Recorder::<4>::new();
    for (offset, outcome) in [(2, Outcome::Success), (9, Outcome::Failure(10))] {
        rec.record(&Record { section: Section::Install, offset, component: 0, command: 3, policy: 15, outcome });
    }
    let digest = SuitDigest { alg: -16, bytes: &[0x44; 32] };
    let mut ok = [0u8; 512];
    let n = write_report("https://fw.example/a.suit", &digest, Some(b"nonce"), &rec, Ok(()), &mut ok).unwrap();
    let err = Error::ConditionFailed { code: 3, section: Section::Install, offset: 9, component: Some(0) };
    let mut fail = [0u8; 512];
    let m = write_report("https://fw.example/a.suit", &digest, None, &rec, Err(&err), &mut fail).unwrap();
    let key = iot_cose::p256::ecdsa::SigningKey::from_slice(&iot_fuzz::FIXED_P256).unwrap();
    let mut signed = [0u8; 700];
    let s = sign_report(&fail[..m], &key, &mut signed).unwrap();
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus").join("manifest_report");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("success.cbor"), &ok[..n]).unwrap();
    std::fs::write(d.join("signed-failure.cose"), &signed[..s]).unwrap();
}

/// CoRIMs made here: a CoMID with a PSA reference triple, the same in an unsigned CoRIM, and that
/// CoRIM signed with the fuzz P-256 key.
fn write_corim_seeds(root: &std::path::Path, key: &iot_cose::p256::ecdsa::SigningKey) {
    use iot_cose::cbor::Encoder;
    let mut comid = Vec::new();
    let mut e = Encoder::new(&mut comid);
    e.map(2).unwrap().uint(1).unwrap().map(1).unwrap().uint(0).unwrap().str("fuzz/comid").unwrap();
    e.uint(4).unwrap().map(1).unwrap().uint(0).unwrap().array(1).unwrap().array(2).unwrap();
    e.map(1).unwrap().uint(0).unwrap().map(1).unwrap().uint(0).unwrap().tag(560).unwrap().bytes(&[0x11; 32]).unwrap();
    e.array(1).unwrap().map(2).unwrap().uint(0).unwrap().str("psa.software-component").unwrap();
    e.uint(1).unwrap().map(3).unwrap();
    e.uint(2).unwrap().array(1).unwrap().array(2).unwrap().uint(1).unwrap().bytes(&[0xa1; 32]).unwrap();
    e.uint(11).unwrap().str("BL2").unwrap();
    e.uint(13).unwrap().array(1).unwrap().tag(560).unwrap().bytes(&[0x5e; 32]).unwrap();
    let mut corim = Vec::new();
    let mut e = Encoder::new(&mut corim);
    e.tag(501).unwrap().map(2).unwrap().uint(0).unwrap().bytes(&[1; 16]).unwrap();
    e.uint(1).unwrap().array(1).unwrap().tag(506).unwrap().bytes(&comid).unwrap();
    let signed = iot_cose::Sign1Builder::new(&corim).sign(key).unwrap();
    assert_eq!(iot_attest::corim::reference_values(&comid, None).unwrap().components.len(), 1);
    let d = root.join("attest_corim");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("comid.cbor"), &comid).unwrap();
    std::fs::write(d.join("corim.cbor"), &corim).unwrap();
    std::fs::write(d.join("signed-corim.cbor"), &signed).unwrap();
}

/// A two-layer DICE chain made here from the all-zero UDS (Ed25519), length-prefixed as
/// `attest_dice` reads it.
fn write_dice_seed(root: &std::path::Path) {
    use iot_attest::dice;
    use iot_cose::PublicKey;
    use iot_cose::cbor::Encoder;
    let cert = |signer: &iot_cose::ed25519_dalek::SigningKey,
                subject: &iot_cose::ed25519_dalek::SigningKey,
                usage: u8| {
        let id = |k: &iot_cose::ed25519_dalek::SigningKey| {
            dice::dice_id(&PublicKey::Ed25519(k.verifying_key())).iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        let mut key = Vec::new();
        let mut e = Encoder::new(&mut key);
        e.map(3).unwrap().uint(1).unwrap().uint(1).unwrap().int(-1).unwrap().uint(6).unwrap();
        e.int(-2).unwrap().bytes(subject.verifying_key().as_bytes()).unwrap();
        let mut claims = Vec::new();
        let mut e = Encoder::new(&mut claims);
        e.map(6).unwrap().uint(1).unwrap().str(&id(signer)).unwrap().uint(2).unwrap().str(&id(subject)).unwrap();
        e.int(-4_670_545).unwrap().bytes(&[7; 64]).unwrap().int(-4_670_551).unwrap().bytes(&[1]).unwrap();
        e.int(-4_670_552).unwrap().bytes(&key).unwrap().int(-4_670_553).unwrap().bytes(&[usage]).unwrap();
        iot_cose::Sign1Builder::new(&claims).tagged(false).sign(signer).unwrap()
    };
    let uds = dice::ed25519_key(&dice::key_seed(&[0; 32]));
    let l1 = dice::ed25519_key(&[1; 32]);
    let l2 = dice::ed25519_key(&[2; 32]);
    let mut seed = Vec::new();
    for c in [cert(&uds, &l1, 0x20), cert(&l1, &l2, 0)] {
        seed.extend_from_slice(&u16::try_from(c.len()).unwrap().to_be_bytes());
        seed.extend_from_slice(&c);
    }
    let uds_pub = PublicKey::Ed25519(uds.verifying_key());
    let parts: Vec<&[u8]> = vec![&seed[2..2 + usize::from(u16::from_be_bytes([seed[0], seed[1]]))]];
    assert!(dice::verify_chain(&uds_pub, &parts).is_ok());
    let d = root.join("attest_dice");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("two-layers.bin"), &seed).unwrap();
}

/// Attestation seeds: PSA and EAT tokens, Mac0, a nested submodule token, a detached bundle, EARs.
#[test]
#[ignore = "writes the corpus; run by hand after a format change"]
fn write_attest_seeds() {
    use iot_attest::{Ear, Eat, Measurement, Psa, SubmodOut};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    write_dice_seed(&root);
    let key = iot_cose::p256::ecdsa::SigningKey::from_slice(&iot_fuzz::SEED_P256).unwrap();
    write_corim_seeds(&root, &key);
    let ed = iot_cose::ed25519_dalek::SigningKey::from_bytes(&[0x19; 32]);
    let comps = [Measurement::of("BL2", "1.4.0", [0xf1; 32], b"bl2"), Measurement::of("app", "", [0; 32], b"app")];
    let mut psa = Psa::new(&[0u8; 32], &[1u8; 33], &[0x11; 32], 1, 0x3000, &comps);
    psa.boot_seed = Some(&[5; 8]);
    psa.certification_reference = Some("1234567890123-12345");
    psa.vsi = Some("https://v.example");
    let inner = Eat { nonce: Some(&[2; 8]), swname: Some("TEE"), ..Eat::default() };
    let inner_token = iot_attest::sign(&inner, &ed, None).unwrap();
    let board = Eat { oemid: Some(iot_attest::OemId::Pen(61234)), ..Eat::default() };
    let subs = [
        ("TEE", SubmodOut::Token(&inner_token)),
        ("board", SubmodOut::Claims(&board)),
        ("radio", SubmodOut::Digest(-16, &[7; 32])),
    ];
    let eat = Eat {
        nonce: Some(&[0u8; 32]),
        ueid: Some(&[1; 17]),
        iat: Some(1_700_000_000),
        exp: Some(1_700_000_600),
        hwversion: Some(iot_attest::Version { version: "1.0", scheme: Some(1) }),
        dbgstat: Some(iot_attest::DebugStatus::Disabled),
        location: Some((1.5, -2.25)),
        measurements: &comps,
        submods: &subs,
        dloas: &[("https://dloa.example", "platform", Some("app"))],
        measres: &[("secure-boot", &[("BL2", 1)])],
        manifests: &[(258, b"\xa0")],
        sueids: &[("radio", &[2; 9])],
        profile: Some(iot_attest::claims::PROFILE_CONSTRAINED),
        extra: &[(-70000, b"\x61x")],
        ..Eat::default()
    };
    let mut claims = vec![0u8; 1024];
    let n = iot_attest::ClaimsSet::encode_into(&eat, &mut claims).unwrap();
    claims.truncate(n);
    let mut seeds: Vec<(&str, Vec<u8>)> = vec![
        ("psa_sign1", iot_attest::sign(&psa, &key, None).unwrap()),
        ("psa_mac0", iot_attest::mac(&psa, &iot_cose::HmacKey::new(&iot_fuzz::SEED_HMAC), Some(b"k")).unwrap()),
        ("eat_eddsa_submods", iot_attest::sign(&eat, &ed, Some(b"11")).unwrap()),
        ("eat_claims", claims.clone()),
    ];
    // A CWT-wrapped token and a detached bundle.
    let mut cwt = vec![0xd8, 0x3d];
    cwt.extend(iot_attest::sign(&inner, &key, None).unwrap());
    seeds.push(("eat_cwt", cwt));
    let main =
        Eat { nonce: Some(&[3; 8]), submods: &[("TEE", SubmodOut::Digest(-16, &sha(&claims)))], ..Eat::default() };
    let main_token = iot_attest::sign(&main, &key, None).unwrap();
    let mut deb = vec![0xd9, 0x02, 0x5a, 0x82];
    deb.extend(&main_token);
    deb.push(0xa1);
    deb.extend([0x63, b'T', b'E', b'E']);
    deb.push(0x59);
    deb.extend(u16::try_from(claims.len()).unwrap().to_be_bytes());
    deb.extend(&claims);
    seeds.push(("deb", deb));
    write(&root.join("attest_evidence"), &seeds);

    let refs = iot_attest::ReferenceValues::from_json(r#"{"policy_id": "p"}"#).unwrap();
    let mut ear = Ear::new(1_700_000_000, "device", refs.failed());
    ear.nonce = Some(vec![1; 32]);
    ear.exp = Some(1_700_003_600);
    ear.raw_evidence = Some(vec![0xa0]);
    let signed = ear.sign(&key).unwrap();
    write(&root.join("attest_ear"), &[("ear_claims", ear.to_cbor()), ("ear_signed", signed)]);
}

fn sha(b: &[u8]) -> [u8; 32] {
    iot_attest::Measurement::of("", "", [0; 32], b).value
}

fn write(dir: &std::path::Path, seeds: &[(&str, Vec<u8>)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn replay_attest_tpm_quote() {
    replay("attest_tpm_quote", iot_fuzz::attest_tpm_quote);
}

/// The update-management seed runs to the end on the fuzz platform, so fuzzing starts from a
/// manifest that reaches every gate, the wait and the metadata write.
#[test]
fn update_management_seed_installs() {
    use iot_manifest::{Envelope, Limits, MemoryCounter, Processor};
    let (_, bytes) = corpus("manifest_process").into_iter().find(|(p, _)| p.ends_with("update_management")).unwrap();
    let env = Envelope::decode(&bytes).unwrap();
    let accept_all = |_: &[u8], _: &[u8]| Ok(());
    let v = env.authenticate_with(&accept_all, &Limits::default()).unwrap();
    let mut platform = iot_fuzz::FuzzPlatform::default();
    let mut counter = MemoryCounter(3);
    let s = Processor::<_, 3>::new(&mut platform).update(&v, &mut counter).unwrap();
    assert_eq!((s.sequence_number, counter.0), (9, 9));
    // The trust-domains seed resolves and runs its dependency.
    let (_, bytes) = corpus("manifest_process").into_iter().find(|(p, _)| p.ends_with("trust_domains")).unwrap();
    let v = Envelope::decode(&bytes).unwrap().authenticate_with(&accept_all, &Limits::default()).unwrap();
    let mut platform = iot_fuzz::FuzzPlatform::default();
    let mut counter = MemoryCounter(3);
    let mut deps = [0u8; 256];
    Processor::<_, 3>::new(&mut platform).with_dependencies(&mut deps, &accept_all).update(&v, &mut counter).unwrap();
    assert_eq!(counter.0, 9);
    // And the encryption seed decrypts both ways.
    let (_, bytes) = corpus("manifest_process").into_iter().find(|(p, _)| p.ends_with("encryption")).unwrap();
    let v = Envelope::decode(&bytes).unwrap().authenticate_with(&accept_all, &Limits::default()).unwrap();
    let mut platform = iot_fuzz::FuzzPlatform::default();
    let mut counter = MemoryCounter(3);
    Processor::<_, 3>::new(&mut platform).update(&v, &mut counter).unwrap();
    assert_eq!(counter.0, 9);
}
