//! Every SUIT vector in ../shared/vectors/suit with the README's expected result: the spec's
//! Appendix B examples (ES256), libcsuit's ESP256 re-signs, the derived negatives, and the
//! extension vectors (trust domains, encryption, update management, TEEP), which must decode and
//! authenticate or be refused with `Unsupported`, never crash.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    reason = "test code"
)]

use iot_manifest::iot_cose::{Error as CoseError, HmacKey, PublicKey};
use iot_manifest::{Envelope, Error, Limits, Mac0Key, Member, Section};
use std::path::{Path, PathBuf};

fn dir() -> Option<PathBuf> {
    iot_test_vectors::area("suit")
}

fn read(d: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(d.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn signer_key(d: &Path) -> PublicKey {
    PublicKey::from_pem(&String::from_utf8(read(d, "keys/suit-examples-p256-public.pem")).unwrap()).unwrap()
}

/// (file, sequence number, first 4 bytes of the manifest digest) from the README.
const APPENDIX_B: [(&str, u64, &str); 6] = [
    ("example0", 0, "6658ea56"),
    ("example1", 1, "1f2e7acc"),
    ("example2", 2, "6a5197ed"),
    ("example3", 3, "f6d44a62"),
    ("example4", 4, "5b5f6586"),
    ("example5", 5, "15ce60f7"),
];

#[test]
fn appendix_b_es256_signed_verify_and_unsigned_are_refused() {
    let Some(d) = dir() else { return };
    let key = signer_key(&d);
    for (name, seq, digest) in APPENDIX_B {
        let bytes = read(&d, &format!("manifest/{name}.suit"));
        let env = Envelope::decode(&bytes).unwrap();
        assert!(env.is_tagged());
        assert_eq!(env.signature_count(), 1, "{name}");
        let m = env.authenticate(&key).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m.sequence_number(), seq, "{name}");
        assert_eq!(hex::encode(&m.digest()[..4]), digest, "{name}");
        m.check_members().unwrap();

        // example2 only has a severed unsigned form (tested below).
        if name == "example2" {
            continue;
        }
        let unsigned = read(&d, &format!("manifest/{name}.unsigned.suit"));
        let env = Envelope::decode(&unsigned).unwrap();
        assert_eq!(env.signature_count(), 0);
        assert_eq!(hex::encode(&env.manifest_digest()[..4]), digest, "{name} unsigned digest");
        assert!(matches!(env.authenticate(&key), Err(Error::Unauthenticated)), "{name} unsigned");
    }
}

#[test]
fn appendix_b_contents() {
    let Some(d) = dir() else { return };
    let key = signer_key(&d);
    let bytes = read(&d, "manifest/example4.suit");
    let env = Envelope::decode(&bytes).unwrap();
    let m = env.authenticate(&key).unwrap();
    let ids: Vec<Vec<Vec<u8>>> =
        m.manifest().components().iter().map(|c| c.segments().map(<[u8]>::to_vec).collect()).collect();
    assert_eq!(ids, vec![vec![vec![0u8]], vec![vec![2u8]], vec![vec![1u8]]]);
    for s in [Section::Validate, Section::Load, Section::Invoke, Section::PayloadFetch, Section::Install] {
        assert!(m.section(s).unwrap().is_some(), "{s:?}");
    }

    let bytes = read(&d, "manifest/example2.suit");
    let m = Envelope::decode(&bytes).unwrap().authenticate(&key).unwrap();
    assert_eq!(m.manifest().reference_uri(), Some("https://git.io/JJYoj"));
    assert!(matches!(m.manifest().member(Section::Install), Member::Severed(_)));
    assert!(m.section(Section::Install).unwrap().is_some());
    assert!(m.text().unwrap().is_some());
}

#[test]
fn example2_severed_form() {
    let Some(d) = dir() else { return };
    let key = signer_key(&d);
    let full = read(&d, "manifest/example2.suit");
    let severed = read(&d, "manifest/example2.severed.suit");
    let a = Envelope::decode(&full).unwrap().authenticate(&key).unwrap();
    let env = Envelope::decode(&severed).unwrap();
    let b = env.authenticate(&key).unwrap();
    assert_eq!(a.digest(), b.digest());
    assert!(env.member(20).is_none() && env.member(23).is_none());
    assert!(matches!(b.section(Section::Install), Err(Error::SeveredAbsent { key: 20 })));
    assert!(matches!(b.text(), Err(Error::SeveredAbsent { key: 23 })));
    // What the device needs without the members still works.
    assert!(b.section(Section::Validate).unwrap().is_some());
    let unsigned = read(&d, "manifest/example2.severed-unsigned.suit");
    assert!(matches!(Envelope::decode(&unsigned).unwrap().authenticate(&key), Err(Error::Unauthenticated)));
}

#[test]
fn esp256_re_signs_verify() {
    let Some(d) = dir() else { return };
    let key = signer_key(&d);
    let expect = [
        ("example0", 0, false),
        ("example1", 1, false),
        ("example2A", 2, true),
        ("example2B", 2, false),
        ("example3", 3, false),
        ("example4", 4, false),
        ("example5", 5, false),
    ];
    for (name, seq, severed) in expect {
        let bytes = read(&d, &format!("manifest-esp256/{name}.suit"));
        let m = Envelope::decode(&bytes).unwrap().authenticate(&key).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m.sequence_number(), seq);
        let install = m.section(Section::Install);
        if severed {
            assert!(matches!(install, Err(Error::SeveredAbsent { .. })), "{name}");
        } else {
            install.unwrap();
        }
    }
}

#[test]
fn negative_vectors() {
    let Some(d) = dir() else { return };
    let key = signer_key(&d);
    let check = |file: &str| {
        let bytes = read(&d, &format!("negative/{file}"));
        Envelope::decode(&bytes).and_then(|e| e.authenticate(&key).map(|m| (m.check_members(), m.sequence_number())))
    };
    assert!(matches!(check("neg-ex0-bad-signature.suit"), Err(Error::Authentication(CoseError::BadSignature))));
    assert!(matches!(check("neg-ex0-manifest-tampered.suit"), Err(Error::DigestMismatch)));
    assert!(matches!(check("neg-ex1-protected-alg-changed.suit"), Err(Error::Authentication(CoseError::BadSignature))));
    assert!(matches!(check("neg-ex0-trailing-byte.suit"), Err(Error::Cbor(_))));
    assert!(matches!(check("neg-ex0-truncated.suit"), Err(Error::Cbor(_))));
    // Authentication holds, but the tampered install member is refused before use.
    let bytes = read(&d, "negative/neg-ex2-severable-install-tampered.suit");
    let m = Envelope::decode(&bytes).unwrap().authenticate(&key).unwrap();
    assert!(matches!(m.check_members(), Err(Error::SeveredMismatch { key: 20 })));
    assert!(matches!(m.section(Section::Install), Err(Error::SeveredMismatch { key: 20 })));
    assert!(m.text().unwrap().is_some(), "text is untouched");
    // Untagged: a policy choice.
    let bytes = read(&d, "negative/policy-ex0-untagged.suit");
    assert_eq!(Envelope::decode(&bytes).unwrap().authenticate(&key).unwrap().sequence_number(), 0);
    assert!(matches!(Envelope::decode_with(&bytes, &Limits::default().allow_untagged(false)), Err(Error::Untagged)));
    // Wrong key.
    let wrong =
        PublicKey::from_pem(&String::from_utf8(read(&d, "keys/esdh-receiver-p256-public.pem")).unwrap()).unwrap();
    let bytes = read(&d, "manifest/example0.suit");
    assert!(matches!(
        Envelope::decode(&bytes).unwrap().authenticate(&wrong),
        Err(Error::Authentication(CoseError::BadSignature))
    ));
}

#[test]
fn trust_domains_decode_and_authenticate() {
    let Some(d) = dir() else { return };
    let key = signer_key(&d);
    for (name, deps) in [("example0_dependent", false), ("example1_process", true), ("example2_integrated", true)] {
        let bytes = read(&d, &format!("trust-domains/{name}.suit"));
        let env = Envelope::decode(&bytes).unwrap();
        let m = env.authenticate(&key).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m.manifest().dependencies().is_some(), deps, "{name}");
        if name == "example2_integrated" {
            let inner = env.integrated_payload("#dependent.suit").unwrap();
            let dep = Envelope::decode(inner).unwrap().authenticate(&key).unwrap();
            assert_eq!(hex::encode(&dep.digest()[..4]), "0f02caf6");
        }
    }
}

#[test]
fn firmware_encryption_authenticate() {
    let Some(d) = dir() else { return };
    let key = signer_key(&d);
    let hmac = read(&d, "keys/hmac-sha256-key.bin");
    for name in ["suit-manifest-aes-kw-content", "suit-manifest-aes-kw", "suit-manifest-aes-kw-slot"] {
        let bytes = read(&d, &format!("firmware-encryption/{name}.suit"));
        let env = Envelope::decode(&bytes).unwrap();
        env.authenticate(&Mac0Key(HmacKey::new(&hmac))).unwrap_or_else(|e| panic!("{name}: {e}"));
        // A signature key does not accept a MAC.
        assert!(env.authenticate(&key).is_err());
        let mut wrong = hmac.clone();
        wrong[0] ^= 1;
        assert!(matches!(
            env.authenticate(&Mac0Key(HmacKey::new(&wrong))),
            Err(Error::Authentication(CoseError::BadSignature))
        ));
    }
    for name in ["suit-manifest-es-ecdh-content", "suit-manifest-es-ecdh-dependency"] {
        let bytes = read(&d, &format!("firmware-encryption/{name}.suit"));
        Envelope::decode(&bytes).unwrap().authenticate(&key).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let bytes = read(&d, "firmware-encryption/suit-manifest-es-ecdh-dependency.upstream-bad-signature.suit");
    assert!(matches!(
        Envelope::decode(&bytes).unwrap().authenticate(&key),
        Err(Error::Authentication(CoseError::BadSignature))
    ));
}

#[test]
fn update_management_and_teep_authenticate() {
    let Some(d) = dir() else { return };
    let key = signer_key(&d);
    for name in ["exampleU0", "exampleU1", "exampleU2", "exampleU3"] {
        let bytes = read(&d, &format!("update-management/{name}.suit"));
        let env = Envelope::decode(&bytes).unwrap();
        let m = env.authenticate(&key).unwrap_or_else(|e| panic!("{name}: {e}"));
        m.check_members().unwrap();
    }
    for (name, seq) in [("teep-example-U", 3), ("teep-example-I", 3), ("teep-example-D", 0)] {
        let bytes = read(&d, &format!("teep/{name}.suit"));
        let env = Envelope::decode(&bytes).unwrap();
        assert!(!env.is_tagged());
        let m = env.authenticate(&key).unwrap_or_else(|e| panic!("{name}: {e}"));
        if seq != 0 {
            assert_eq!(m.sequence_number(), seq);
        }
    }
    let bytes = read(&d, "teep/teep-example-I.suit");
    let env = Envelope::decode(&bytes).unwrap();
    let payload = env.integrated_payload("#tc").unwrap();
    assert_eq!(payload, read(&d, "payloads/8d82573a-926d-4754-9353-32dc29997f74.ta"));
}
