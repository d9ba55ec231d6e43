//! Every vector in ../shared/vectors/attest with the expected result its README states.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    reason = "test code"
)]

use iot_attest::claims::Profile;
use iot_attest::{Claims, DebugStatus, Ear, Error, Evidence, KeyMaterial, Kind, Lifecycle, Options, Status, Submod};
use iot_cose::{HmacKey, PrivateKey, PublicKey};
use iot_test_vectors::{area, b64url};
use sha2::Digest as _;
use std::path::{Path, PathBuf};

fn dir() -> Option<PathBuf> {
    area("attest")
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A public key from a JWK file (EC P-256 or OKP Ed25519).
fn jwk(p: &Path) -> KeyMaterial {
    let j = iot_test_vectors::json(p);
    let s = |k: &str| b64url(j[k].as_str().unwrap());
    match j["kty"].as_str().unwrap() {
        "EC" => {
            let mut sec1 = vec![4u8];
            sec1.extend(s("x"));
            sec1.extend(s("y"));
            KeyMaterial::Public(PublicKey::P256(iot_cose::p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).unwrap()))
        }
        "OKP" => {
            let x: [u8; 32] = s("x").try_into().unwrap();
            KeyMaterial::Public(PublicKey::Ed25519(iot_cose::ed25519_dalek::VerifyingKey::from_bytes(&x).unwrap()))
        }
        k => panic!("unexpected kty {k}"),
    }
}

fn pem_public(p: &Path) -> KeyMaterial {
    let text = std::fs::read_to_string(p).unwrap();
    match PrivateKey::from_pem(&text) {
        Ok(k) => KeyMaterial::Public(k.public_key()),
        Err(_) => KeyMaterial::Public(PublicKey::from_pem(&text).unwrap()),
    }
}

#[test]
fn psa_rfc9783_sign1() {
    let Some(d) = dir() else { return };
    let token = read(&d.join("psa-rfc9783/psa-sign1.cbor"));
    let key = jwk(&d.join("psa-rfc9783/tfm-es-iak.json"));
    let nonce = [1u8; 32];
    let v = Evidence::decode(&token).unwrap().verify_with_key(&key, &Options::default().nonce(&nonce)).unwrap();
    let c = v.claims;
    assert_eq!(v.kind, Kind::Sign1);
    assert_eq!(c.profile, Profile::Psa);
    assert_eq!(c.ueid.unwrap(), [&[1u8][..], &[2u8; 32]].concat());
    assert_eq!(c.implementation_id.unwrap(), [0u8; 32]);
    assert_eq!(c.client_id, Some(2_147_483_647));
    assert_eq!(c.lifecycle_state(), Some(Lifecycle::Secured));
    assert_eq!(c.bootseed.unwrap(), [0u8; 8]);
    let comps: Vec<_> = c.components().collect();
    assert_eq!(comps.len(), 1);
    assert_eq!(comps[0].name, Some("PRoT"));
    assert_eq!(comps[0].measurement, [3u8; 32]);
    assert_eq!(comps[0].signer_id.unwrap(), [4u8; 32]);
    assert_eq!(c.as_bytes(), read(&d.join("psa-rfc9783/sign1-claims.cbor")));

    // Wrong nonce, flipped signature bit, wrong key.
    let err = Evidence::decode(&token).unwrap().verify_with_key(&key, &Options::default().nonce(&[2u8; 32]));
    assert!(matches!(err, Err(Error::NonceMismatch)), "{err:?}");
    let mut bad = token.clone();
    *bad.last_mut().unwrap() ^= 1;
    let err = Evidence::decode(&bad).unwrap().verify_with_key(&key, &Options::default());
    assert!(matches!(err, Err(Error::Cose(iot_cose::Error::BadSignature))), "{err:?}");
    let other = pem_public(&d.join("psa-veraison/tf-m/public.pem"));
    assert!(Evidence::decode(&token).unwrap().verify_with_key(&other, &Options::default()).is_err());
    // A symmetric key does not fit a Sign1.
    let hmac = KeyMaterial::Symmetric(iot_cose::SymmetricKey::new(&[0u8; 32]));
    assert!(matches!(
        Evidence::decode(&token).unwrap().verify_with_key(&hmac, &Options::default()),
        Err(Error::KeyMismatch)
    ));
}

#[test]
fn psa_rfc9783_mac0() {
    let Some(d) = dir() else { return };
    let token = read(&d.join("psa-rfc9783/psa-mac0.cbor"));
    let key = read(&d.join("psa-rfc9783/tfm-hs-iak.bin"));
    assert_eq!(key.len(), 64);
    let ev = Evidence::decode(&token).unwrap();
    assert_eq!(ev.kind(), Kind::Mac0);
    let v = ev.verify_mac0(&HmacKey::new(&key), &Options::default().nonce(&[1u8; 32])).unwrap();
    // Instance id = 0x01 || SHA-256(SHA-256(key)).
    let expect = [&[1u8][..], &sha2::Sha256::digest(sha2::Sha256::digest(&key))].concat();
    assert_eq!(v.claims.ueid.unwrap(), expect);
    assert_eq!(v.claims.as_bytes(), read(&d.join("psa-rfc9783/mac0-claims.cbor")));
    let mut wrong = key.clone();
    wrong[0] ^= 1;
    assert!(matches!(
        ev.verify_mac0(&HmacKey::new(&wrong), &Options::default()),
        Err(Error::Cose(iot_cose::Error::BadSignature))
    ));
}

#[test]
fn psa_rfc9783_cddl_tests() {
    let Some(d) = dir() else { return };
    let mut n = 0;
    for e in std::fs::read_dir(d.join("psa-rfc9783/cddl-tests")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "cbor") {
            continue;
        }
        let name = p.file_stem().unwrap().to_str().unwrap().to_string();
        let bytes = read(&p);
        let r = Claims::decode_with(&bytes, Some(Profile::Psa), &iot_attest::Limits::DEFAULT);
        if name.starts_with("GOOD") {
            assert!(r.is_ok(), "{name}: {r:?}");
        } else {
            let e = r.expect_err(&name);
            // The refusal names the claim the file is about.
            let why = e.to_string();
            let claim = if name.contains("BootSeed") {
                "bootseed"
            } else if name.contains("ImplementationID") {
                "psa-implementation-id"
            } else if name.contains("InstanceID") {
                "ueid"
            } else {
                "measurement-value"
            };
            assert!(why.contains(claim), "{name}: {why}");
        }
        n += 1;
    }
    assert_eq!(n, 9);
}

#[test]
fn psa_veraison_tfm_tokens() {
    let Some(d) = dir() else { return };
    let key = pem_public(&d.join("psa-veraison/tf-m/public.pem"));
    let v2 = read(&d.join("psa-veraison/tf-m/psa-2_0_0_sign1.bin"));
    let v = Evidence::decode(&v2).unwrap().verify_with_key(&key, &Options::default().nonce(&[0u8; 64])).unwrap();
    assert_eq!(v.claims.profile, Profile::PsaV2);
    assert_eq!(v.claims.client_id, Some(3002));
    assert_eq!(v.claims.certification_reference, Some("0604565272829-10010"));
    assert_eq!(v.claims.vsi, Some("www.trustedfirmware.org"));
    assert_eq!(v.claims.bootseed.unwrap().len(), 32);
    let names: Vec<_> = v.claims.components().map(|c| (c.name.unwrap(), c.version.unwrap())).collect();
    assert_eq!(names, [("SPE", "1.6.0"), ("NSPE", "0.0.0")]);
    assert_eq!(v.claims.as_bytes(), read(&d.join("psa-veraison/tf-m/psa-2_0_0_claims.cbor")));

    let p1 = read(&d.join("psa-veraison/tf-m/psa-iot-1_sign1.bin"));
    let v = Evidence::decode(&p1).unwrap().verify_with_key(&key, &Options::default()).unwrap();
    assert_eq!(v.claims.profile, Profile::PsaIot1);
    assert!(v.claims.nonce.is_some() && v.claims.ueid.is_some() && v.claims.implementation_id.is_some());
    assert_eq!(v.claims.components().count(), 2);

    // Mac0 tokens: the key is not published; structure and claims decode.
    for f in ["psa-2_0_0_mac0.bin", "psa-iot-1_mac0.bin"] {
        let t = read(&d.join("psa-veraison/tf-m").join(f));
        let ev = Evidence::decode(&t).unwrap();
        assert_eq!(ev.kind(), Kind::Mac0, "{f}");
        let c = Claims::decode(ev.unverified_payload().unwrap()).unwrap();
        assert!(c.profile.is_psa(), "{f}");
        assert_eq!(c.ueid.unwrap()[..4], [0x01, 0xbf, 0xe8, 0xa9], "{f}");
        assert!(matches!(ev.verify_mac0(&HmacKey::new(&[0u8; 32]), &Options::default()), Err(Error::Cose(_))));
    }
}

#[test]
fn psa_veraison_claims_sets() {
    let Some(d) = dir() else { return };
    let mut n = 0;
    for e in std::fs::read_dir(d.join("psa-veraison/claims-diag")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "cbor") {
            continue;
        }
        let name = p.file_stem().unwrap().to_str().unwrap().to_string();
        let bytes = read(&p);
        let r = Claims::decode(&bytes);
        let expect_profile = if name.starts_with("P1") { Profile::PsaIot1 } else { Profile::PsaV2 };
        match name.as_str() {
            "P1ClaimsMissingMandatoryNonce" | "P2ClaimsMissingMandatoryNonce" => {
                assert!(matches!(r, Err(Error::MissingClaim("eat_nonce"))), "{name}: {r:?}");
            }
            "P2ClaimsInvalidMultiNonce" => {
                assert!(matches!(r, Err(Error::InvalidClaim { claim: "eat_nonce", .. })), "{name}: {r:?}");
            }
            _ => assert_eq!(r.unwrap_or_else(|e| panic!("{name}: {e}")).profile, expect_profile, "{name}"),
        }
        n += 1;
    }
    assert_eq!(n, 11);
}

#[test]
fn eat_rfc9711_claims_sets() {
    let Some(d) = dir() else { return };
    let mut n = 0;
    for e in std::fs::read_dir(d.join("eat-rfc9711/claims")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "cbor") {
            continue;
        }
        let name = p.file_stem().unwrap().to_str().unwrap().to_string();
        let bytes = read(&p);
        // tee-coswid and iot-sw are CoSWID payloads carried inside other examples, not claims sets.
        if name == "tee-coswid" || name == "iot-sw" {
            continue;
        }
        if name == "submods" {
            // A draft-era example: its submodules use 271 for swname, which RFC 9711 assigned to
            // swversion (an array); swname is 270. Under the RFC's codepoints it is invalid.
            let e = Claims::decode(&bytes).unwrap_err();
            assert!(matches!(e, Error::InvalidClaim { claim: "swversion", .. }), "{e}");
            continue;
        }
        let c = Claims::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        n += 1;
        if name == "valid_hw_block" {
            assert_eq!(c.nonce.unwrap().iter().next().unwrap(), iot_test_vectors::unhex("d79b964ddd5471c1393c8888"));
            assert_eq!(c.oemid, Some(iot_attest::OemId::Pen(64242)));
            assert_eq!(c.oemboot, Some(true));
            assert_eq!(c.dbgstat, Some(DebugStatus::DisabledPermanently));
            assert_eq!(c.hwversion.unwrap().version, "3.1");
            assert_eq!(c.hwversion.unwrap().scheme, Some(1));
        }
        if name == "valid_submods" {
            let subs: Vec<_> = c.submods().map(|(n, s)| (n, matches!(s, Submod::Claims(_)))).collect();
            assert_eq!(subs, [("board", true), ("device", true)]);
            assert_eq!(c.iat, Some(1_526_542_894));
        }
    }
    assert_eq!(n, 8, "claims sets checked");
}

#[test]
fn eat_rfc9711_tokens() {
    let Some(d) = dir() else { return };
    let cwt = read(&d.join("eat-rfc9711/tokens/valid_cwt.cbor"));
    let ev = Evidence::decode(&cwt).unwrap();
    assert!(ev.is_cwt() && ev.is_tagged());
    assert_eq!(ev.unverified_payload().unwrap(), read(&d.join("eat-rfc9711/claims/valid_hw_block.cbor")));

    // Detached EAT bundle: the detached claims hash to the digest in the main token.
    let deb = read(&d.join("eat-rfc9711/tokens/valid_deb.cbor"));
    let bundle = iot_attest::Bundle::decode(&deb).unwrap();
    let main = Evidence::decode(bundle.main()).unwrap();
    let claims = Claims::decode(main.unverified_payload().unwrap()).unwrap();
    let detached: Vec<_> = bundle.check(&claims).unwrap();
    assert_eq!(detached.len(), 1);
    assert_eq!(detached[0].0, "TEE");
    // Tampering with the detached claims breaks the digest.
    let mut bad = deb.clone();
    let at = bad.len() - 2;
    bad[at] ^= 1;
    let bundle = iot_attest::Bundle::decode(&bad).unwrap();
    assert!(bundle.check(&claims).is_err());
}

fn generated(d: &Path, f: &str) -> Vec<u8> {
    read(&d.join("generated").join(f))
}

#[test]
fn generated_tokens() {
    let Some(d) = dir() else { return };
    let ed = jwk(&d.join("generated/key-ed25519-rfc8032-test1.jwk"));
    let es = jwk(&d.join("generated/key-es256-cosewg-11.jwk"));
    let ok = |f: &str, key: &KeyMaterial, opts: &Options<'_>| {
        let t = generated(&d, f);
        let ev = Evidence::decode_as(&t, Some(Kind::Sign1)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(ev.kid(), Some(&b"11"[..]), "{f}");
        ev.verify_with_key(key, opts).map(|v| (v.claims.profile, v.claims.unknown_count)).map_err(|e| e.to_string())
    };
    let none = Options::default();
    assert!(ok("eat-es256-valid.cbor", &es, &none).is_ok());
    assert!(ok("eat-eddsa-valid.cbor", &ed, &none).is_ok());
    assert!(ok("eat-eddsa-cwt-tag61.cbor", &ed, &none).is_ok());
    assert!(ok("eat-eddsa-untagged.cbor", &ed, &none).is_ok());
    // Untagged is refused when the kind is not stated, and under PSA rules.
    assert!(Evidence::decode(&generated(&d, "eat-eddsa-untagged.cbor")).is_err());
    assert!(ok("eat-eddsa-untagged.cbor", &ed, &Options::default().profile(Profile::Psa)).is_err());
    let hw = read(&d.join("eat-rfc9711/claims/valid_hw_block.cbor"));
    assert!(ok("eat-eddsa-detached-payload.cbor", &ed, &Options::default().detached(&hw)).is_ok());
    assert!(ok("eat-eddsa-detached-payload.cbor", &ed, &none).unwrap_err().contains("detached"));
    assert!(ok("eat-eddsa-tampered-payload.cbor", &ed, &none).unwrap_err().contains("signature"));
    assert!(ok("eat-eddsa-alg-mismatch.cbor", &ed, &none).is_err());
    assert!(ok("eat-eddsa-crit-unknown.cbor", &ed, &none).unwrap_err().contains("critical"));
    assert!(ok("eat-eddsa-nonce-7bytes.cbor", &ed, &none).unwrap_err().contains("eat_nonce"));
    assert!(ok("eat-eddsa-nonce-65bytes.cbor", &ed, &none).unwrap_err().contains("eat_nonce"));
    let first = iot_test_vectors::unhex("d79b964ddd5471c1393c8888");
    let second = iot_test_vectors::unhex("0011223344556677");
    assert!(ok("eat-eddsa-nonce-array.cbor", &ed, &Options::default().nonce(&first)).is_ok());
    assert!(ok("eat-eddsa-nonce-array.cbor", &ed, &Options::default().nonce(&second)).is_ok());
    assert!(ok("eat-eddsa-nonce-array.cbor", &ed, &Options::default().nonce(&[9u8; 8])).unwrap_err().contains("nonce"));
    assert!(ok("eat-eddsa-iat-float.cbor", &ed, &none).unwrap_err().contains("iat"));
    assert!(ok("eat-eddsa-iat-int.cbor", &ed, &none).is_ok());
    assert!(ok("eat-eddsa-ueid-34bytes.cbor", &ed, &none).unwrap_err().contains("ueid"));
    assert_eq!(ok("eat-eddsa-unknown-claims.cbor", &ed, &none).unwrap().1, 2);
    assert!(ok("eat-eddsa-duplicate-key.cbor", &ed, &none).unwrap_err().contains("duplicate"));
    assert!(ok("eat-eddsa-indefinite-map.cbor", &ed, &none).unwrap_err().contains("indefinite"));
    assert!(ok("eat-eddsa-nonpreferred-int.cbor", &ed, &none).is_ok());
    assert!(
        ok("eat-eddsa-nonpreferred-int.cbor", &ed, &Options::default().profile(Profile::Constrained))
            .unwrap_err()
            .contains("preferred")
    );
    assert!(ok("eat-es256-valid.cbor", &ed, &none).is_err(), "wrong key type");

    // Nested token in submods: verifies with the same key.
    let t = generated(&d, "eat-eddsa-submods-nested.cbor");
    let v = Evidence::decode(&t).unwrap().verify_with_key(&ed, &none).unwrap();
    let mut saw = 0;
    for (name, s) in v.claims.submods() {
        match (name, s) {
            ("TEE", Submod::Token(inner)) => {
                let iv = Evidence::decode(inner).unwrap().verify_with_key(&ed, &none).unwrap();
                assert_eq!(iv.claims.swname, Some("Acme TEE"));
                assert_eq!(iv.claims.swversion.unwrap().version, "1.2.3");
                saw += 1;
            }
            ("board", Submod::Claims(c)) => {
                assert_eq!(c.oemid, Some(iot_attest::OemId::Pen(61234)));
                saw += 1;
            }
            other => panic!("unexpected submod {other:?}"),
        }
    }
    assert_eq!(saw, 2);
}

#[test]
fn ear_vectors() {
    let Some(d) = dir() else { return };
    let ear = Ear::from_cbor(&read(&d.join("ear/draft-examples/ear-cbor-1.cbor"))).unwrap();
    assert_eq!(ear.profile, "tag:ietf.org,2026:rats/ear#03");
    assert_eq!(ear.iat, 1_666_529_184);
    assert_eq!(ear.developer, "https://veraison-project.org");
    let (name, a) = &ear.submods[0];
    assert_eq!(name, "PSA");
    assert_eq!(a.status, Status::Contraindicated);
    assert_eq!(a.trust_vector.instance_identity, Some(2));
    assert_eq!(a.trust_vector.executables, Some(96));
    assert_eq!(a.trust_vector.hardware, Some(2));
    assert_eq!(a.trust_vector.configuration, None);
    assert_eq!(a.policy_ids, ["https://veraison.example/policy/1/60a0068d"]);
    for f in ["ext-teep-cbor-1.cbor", "ext-veraison-cbor-1.cbor"] {
        let e = Ear::from_cbor(&read(&d.join("ear/draft-examples").join(f))).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(!e.submods.is_empty(), "{f}");
    }
    // Signed EAR (ES256, COSE WG key 11).
    let KeyMaterial::Public(pk) = jwk(&d.join("generated/key-es256-cosewg-11.jwk")) else { unreachable!() };
    let signed = read(&d.join("generated/ear-cbor-1-es256.cbor"));
    assert_eq!(Ear::verify(&signed, &pk, None).unwrap(), ear);
    let mut bad = signed.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert!(Ear::verify(&bad, &pk, None).is_err());
    // Round trip through our encoder.
    assert_eq!(Ear::from_cbor(&ear.to_cbor()).unwrap(), ear);
}

/// The EAR JWTs and JSON claims sets of Veraison, rust-ear and CoCo Trustee, and the draft's JSON
/// examples.
#[test]
fn ear_jwt_and_json_vectors() {
    use base64ct::Encoding as _;
    let Some(d) = dir() else { return };
    let v = d.join("ear/veraison");
    let pk = |p: &Path| match jwk(p) {
        KeyMaterial::Public(k) => k,
        _ => unreachable!(),
    };
    let text = |f: &str| std::fs::read_to_string(v.join(f)).unwrap();
    let key11 = pk(&v.join("pkey.json"));
    for f in ["ear-es256.jwt", "ear-es256-jwk-in-header.jwt"] {
        let ear = Ear::verify_jwt(&text(f), &key11, Some(1_700_000_000)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(ear.profile, "tag:github.com,2023:veraison/ear", "{f}");
        assert_eq!(ear.iat, 1_666_091_373);
        assert_eq!((ear.developer.as_str(), ear.build.as_str()), ("Acme Inc.", "rrtrap-v1.0.0"));
        assert_eq!(ear.raw_evidence.as_deref(), Some(&[0xde, 0xad, 0xbe, 0xef][..]));
        let (name, a) = &ear.submods[0];
        assert_eq!((name.as_str(), a.status), ("test", Status::Affirming));
        let tv = &a.trust_vector;
        for (claim, want) in [
            (tv.instance_identity, 2),
            (tv.configuration, 2),
            (tv.executables, 3),
            (tv.file_system, 2),
            (tv.hardware, 2),
            (tv.runtime_opaque, 2),
            (tv.storage_opaque, 2),
            (tv.sourced_data, 2),
        ] {
            assert_eq!(claim, Some(want), "{f}");
        }
        assert_eq!(a.policy_ids, ["https://veraison.example/policy/1/60a0068d"]);
    }
    // The header's own key is not trusted: another key fails even though the header names one.
    let readme_key = pk(&v.join("rust-ear-readme-pub.jwk"));
    assert!(matches!(
        Ear::verify_jwt(&text("ear-es256-jwk-in-header.jwt"), &readme_key, None),
        Err(Error::KeyMismatch)
    ));
    // rust-ear's README example.
    let ear = Ear::verify_jwt(&text("rust-ear-readme.jwt"), &readme_key, None).unwrap();
    assert_eq!((ear.profile.as_str(), ear.iat), ("test", 1));
    assert_eq!(ear.submods[0].1.status, Status::None);
    // Trustee: signature good under the header's (self-asserted) key, but expired.
    let t = text("ear-trustee-realm-expired.jwt");
    let header: serde_json::Value = serde_json::from_slice(&b64url(t.split('.').next().unwrap())).unwrap();
    let hk = header["jwk"].clone();
    let sec1: Vec<u8> = [vec![4u8], b64url(hk["x"].as_str().unwrap()), b64url(hk["y"].as_str().unwrap())].concat();
    let tk = PublicKey::P256(iot_cose::p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).unwrap());
    let ear = Ear::verify_jwt(&t, &tk, None).unwrap();
    assert_eq!((ear.iat, ear.exp), (1_752_059_139, Some(1_752_059_439)));
    assert_eq!(ear.submods[0].0, "cpu0");
    assert!(matches!(Ear::verify_jwt(&t, &tk, Some(1_752_059_439)), Err(Error::Expired)));
    assert!(Ear::verify_jwt(&t, &tk, Some(1_752_059_438)).is_ok());
    // Tampering: a flipped payload byte, a swapped signature, alg "none", two or four parts.
    let good = text("ear-es256.jwt");
    let parts: Vec<&str> = good.trim().split('.').collect();
    let mut payload = b64url(parts[1]);
    let at = payload.iter().position(|&b| b == b'3').unwrap();
    payload[at] = b'2';
    let forged = format!("{}.{}.{}", parts[0], base64ct::Base64UrlUnpadded::encode_string(&payload), parts[2]);
    assert!(matches!(Ear::verify_jwt(&forged, &key11, None), Err(Error::KeyMismatch)));
    let none = format!("{}.{}.", base64ct::Base64UrlUnpadded::encode_string(br#"{"alg":"none"}"#), parts[1]);
    assert!(matches!(Ear::verify_jwt(&none, &key11, None), Err(Error::Invalid { .. })));
    let hs = format!("{}.{}.{}", base64ct::Base64UrlUnpadded::encode_string(br#"{"alg":"HS256"}"#), parts[1], parts[2]);
    assert!(matches!(Ear::verify_jwt(&hs, &key11, None), Err(Error::Invalid { .. })));
    for broken in [format!("{}.{}", parts[0], parts[1]), format!("{good}.x"), String::new(), "a.b.c".into()] {
        assert!(Ear::verify_jwt(&broken, &key11, None).is_err(), "{broken}");
    }
    // Unsigned claims sets: the ok ones decode, the key-attestation one without akpub is refused.
    for f in [
        "ear-claims.json",
        "ear-claims-extension-ok.json",
        "ear-claims-key-attestation-ok.json",
        "ear-claims-tv-ok.json",
        "rust-ear-claims.json",
    ] {
        let e = Ear::from_json(&iot_test_vectors::json(&v.join(f))).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(!e.submods.is_empty(), "{f}");
    }
    let ko = Ear::from_json(&iot_test_vectors::json(&v.join("ear-claims-key-attestation-ko.json")));
    assert!(matches!(ko, Err(Error::Invalid { .. })), "{ko:?}");
    // The draft's JSON examples, and our JSON back through the reader.
    for f in [
        "ear-json-1.json",
        "ear-json-2.json",
        "ext-teep-json-1.json",
        "ext-veraison-json-1.json",
        "ext-veraison-json-2.json",
    ] {
        let e = Ear::from_json(&iot_test_vectors::json(&d.join("ear/draft-examples").join(f)))
            .unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(!e.submods.is_empty(), "{f}");
        assert_eq!(Ear::from_json(&e.to_json()).unwrap(), e, "{f}");
    }
    // The draft's JSON and CBOR examples say the same, but for their (different) raw evidence bytes.
    let mut j = Ear::from_json(&iot_test_vectors::json(&d.join("ear/draft-examples/ear-json-1.json"))).unwrap();
    let c = Ear::from_cbor(&read(&d.join("ear/draft-examples/ear-cbor-1.cbor"))).unwrap();
    assert_eq!(j.raw_evidence.as_deref(), Some(&b"74726973656374\n"[..]));
    j.raw_evidence.clone_from(&c.raw_evidence);
    assert_eq!(j, c);
}

/// The Veraison JSON claims sets (`psa-veraison/claims-json`), each written as the CBOR claims set
/// of PSA_IOT_PROFILE_1 (legacy keys) and of `http://arm.com/psa/2.0.0`, then validated by
/// [`Claims::decode_with`] under that profile; the verdicts are psatoken's
/// (`claims_p1_test.go`, `claims_p2_test.go`).
mod veraison_json {
    use super::*;
    use base64ct::{Base64, Encoding as _};
    use iot_attest::Limits;
    use iot_attest::keys::{self, legacy};
    use iot_cose::cbor::Encoder;
    use serde_json::Value;

    const P1_VALID: &[&str] = &[
        "test-profile-invalid-missing",
        "test-profile-valid-missing",
        "test-token-valid-full",
        "test-token-valid-minimalist-no-sw-measurements",
        "test-token-valid-minimalist-p1",
    ];
    const P2_VALID: &[&str] =
        &["test-token-valid-full", "test-token-valid-minimalist-p2", "test-boot-seed-invalid-missing"];

    fn b64(v: &Value) -> Vec<u8> {
        Base64::decode_vec(v.as_str().unwrap()).unwrap()
    }

    /// One claim as `(key, encoded value)`, or `None` for a member the profile does not have.
    fn claim(name: &str, v: &Value, p1: bool) -> Option<(i64, Vec<u8>)> {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out);
        let key = match (name, p1) {
            ("psa-profile", true) => {
                e.str(v.as_str().unwrap()).unwrap();
                legacy::PROFILE
            }
            ("eat-profile", false) => {
                e.str(v.as_str().unwrap()).unwrap();
                keys::PROFILE
            }
            ("psa-client-id", _) => {
                e.int(v.as_i64().unwrap()).unwrap();
                if p1 { legacy::CLIENT_ID } else { keys::PSA_CLIENT_ID }
            }
            ("psa-security-lifecycle", _) => {
                e.uint(v.as_u64().unwrap()).unwrap();
                if p1 { legacy::LIFECYCLE } else { keys::PSA_LIFECYCLE }
            }
            ("psa-implementation-id", _) => {
                e.bytes(&b64(v)).unwrap();
                if p1 { legacy::IMPLEMENTATION_ID } else { keys::PSA_IMPLEMENTATION_ID }
            }
            ("psa-boot-seed", _) => {
                e.bytes(&b64(v)).unwrap();
                if p1 { legacy::BOOT_SEED } else { keys::PSA_BOOT_SEED_V2 }
            }
            ("psa-hwver", true) => {
                e.str(v.as_str().unwrap()).unwrap();
                legacy::HARDWARE_VERSION
            }
            ("psa-certification-reference", false) => {
                e.str(v.as_str().unwrap()).unwrap();
                keys::PSA_CERTIFICATION_REFERENCE
            }
            ("psa-no-software-measurements", true) => {
                e.uint(v.as_u64().unwrap()).unwrap();
                legacy::NO_SW_MEASUREMENTS
            }
            ("psa-nonce", _) => {
                e.bytes(&b64(v)).unwrap();
                if p1 { legacy::NONCE } else { keys::NONCE }
            }
            ("psa-instance-id", _) => {
                e.bytes(&b64(v)).unwrap();
                if p1 { legacy::INSTANCE_ID } else { keys::UEID }
            }
            ("psa-verification-service-indicator", _) => {
                e.str(v.as_str().unwrap()).unwrap();
                if p1 { legacy::VSI } else { keys::PSA_VSI }
            }
            ("psa-software-components", _) => {
                let comps = v.as_array().unwrap();
                e.array(comps.len()).unwrap();
                for c in comps {
                    let c = c.as_object().unwrap();
                    e.map(c.len()).unwrap();
                    for (k, x) in c {
                        match k.as_str() {
                            "measurement-type" => e.uint(1).unwrap().str(x.as_str().unwrap()).unwrap(),
                            "measurement-value" => e.uint(2).unwrap().bytes(&b64(x)).unwrap(),
                            "version" => e.uint(4).unwrap().str(x.as_str().unwrap()).unwrap(),
                            "signer-id" => e.uint(5).unwrap().bytes(&b64(x)).unwrap(),
                            "measurement-description" => e.uint(6).unwrap().str(x.as_str().unwrap()).unwrap(),
                            other => panic!("component member {other}"),
                        };
                    }
                }
                if p1 { legacy::SW_COMPONENTS } else { keys::PSA_SW_COMPONENTS }
            }
            // psatoken decodes into the profile's structure: members of the other profile are ignored
            _ => return None,
        };
        Some((key, out))
    }

    fn encode(doc: &Value, p1: bool) -> Vec<u8> {
        let claims: Vec<(i64, Vec<u8>)> =
            doc.as_object().unwrap().iter().filter_map(|(k, v)| claim(k, v, p1)).collect();
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out);
        e.map(claims.len()).unwrap();
        for (k, v) in &claims {
            e.int(*k).unwrap().raw(v).unwrap();
        }
        out
    }

    #[test]
    fn every_claims_set_gets_psatokens_verdict() {
        let Some(d) = dir() else { return };
        let mut n = 0;
        let mut wrong = Vec::new();
        for e in std::fs::read_dir(d.join("psa-veraison/claims-json")).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_stem().unwrap().to_str().unwrap().to_string();
            let doc: Value = serde_json::from_slice(&read(&p)).unwrap();
            for (p1, profile, valid) in [(true, Profile::PsaIot1, P1_VALID), (false, Profile::PsaV2, P2_VALID)] {
                let cbor = encode(&doc, p1);
                let r = Claims::decode_with(&cbor, Some(profile), &Limits::default());
                if r.is_ok() != valid.contains(&name.as_str()) {
                    wrong.push(format!("{name} under {profile:?}: {:?}", r.err()));
                }
            }
            n += 1;
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
        assert_eq!(n, 33);
    }
}
