//! The COSE WG example suite (github.com/cose-wg/Examples, read from ../shared/vectors/cose):
//! every one of the 39 files must give the result this crate promises for it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code"
)]

use iot_cose::{Algorithm, CoseMac0, CoseSign1, Error, Headers, HmacKey, Sign1Builder, ed25519_dalek, p256};
use iot_test_vectors::{area, b64url, json, unhex};
use serde_json::Value;

/// What a file must give.
#[derive(Debug)]
enum Expect {
    /// Verifies; the payload equals the plaintext.
    Valid,
    /// Rejected because the signature / tag does not verify.
    BadSignature,
    /// Rejected for its CBOR tag.
    Tag(u64),
    /// Rejected: an algorithm this crate does not implement (`None` = text string alg).
    UnsupportedAlg(Option<i64>),
    /// Rejected: algorithm not the key's (ES512 with a P-256 key: policy binds alg to key).
    Mismatch(i64),
    /// The key's curve is not implemented (P-384, P-521, Ed448): clean key error.
    UnsupportedKey,
}

const TABLE: &[(&str, Expect)] = &[
    ("CWT/A_3.json", Expect::Valid),
    ("CWT/A_4.json", Expect::Valid),
    ("CWT/A_7.json", Expect::Valid),
    ("RFC8152/Appendix_C_1_1.json", Expect::Tag(98)),
    ("RFC8152/Appendix_C_1_2.json", Expect::Tag(98)),
    ("RFC8152/Appendix_C_1_4.json", Expect::Tag(98)),
    ("RFC8152/Appendix_C_2_1.json", Expect::Valid),
    ("RFC8152/Appendix_C_6_1.json", Expect::UnsupportedAlg(Some(15))),
    ("ecdsa-examples/ecdsa-01.json", Expect::Tag(98)),
    ("ecdsa-examples/ecdsa-02.json", Expect::Tag(98)),
    ("ecdsa-examples/ecdsa-03.json", Expect::Tag(98)),
    ("ecdsa-examples/ecdsa-04.json", Expect::Tag(98)),
    ("ecdsa-examples/ecdsa-sig-01.json", Expect::Valid),
    ("ecdsa-examples/ecdsa-sig-02.json", Expect::UnsupportedKey),
    ("ecdsa-examples/ecdsa-sig-03.json", Expect::UnsupportedKey),
    ("ecdsa-examples/ecdsa-sig-04.json", Expect::Mismatch(-36)),
    ("eddsa-examples/eddsa-01.json", Expect::Tag(98)),
    ("eddsa-examples/eddsa-02.json", Expect::Tag(98)),
    ("eddsa-examples/eddsa-sig-01.json", Expect::Valid),
    ("eddsa-examples/eddsa-sig-02.json", Expect::UnsupportedKey),
    ("mac0-tests/HMac-01.json", Expect::Valid),
    ("mac0-tests/mac-fail-01.json", Expect::Tag(992)),
    ("mac0-tests/mac-fail-02.json", Expect::BadSignature),
    ("mac0-tests/mac-fail-03.json", Expect::UnsupportedAlg(Some(-999))),
    ("mac0-tests/mac-fail-04.json", Expect::UnsupportedAlg(None)),
    ("mac0-tests/mac-fail-06.json", Expect::BadSignature),
    ("mac0-tests/mac-fail-07.json", Expect::BadSignature),
    ("mac0-tests/mac-pass-01.json", Expect::Valid),
    ("mac0-tests/mac-pass-02.json", Expect::Valid),
    ("mac0-tests/mac-pass-03.json", Expect::Valid),
    ("sign1-tests/sign-fail-01.json", Expect::Tag(998)),
    ("sign1-tests/sign-fail-02.json", Expect::BadSignature),
    ("sign1-tests/sign-fail-03.json", Expect::UnsupportedAlg(Some(-999))),
    ("sign1-tests/sign-fail-04.json", Expect::UnsupportedAlg(None)),
    ("sign1-tests/sign-fail-06.json", Expect::BadSignature),
    ("sign1-tests/sign-fail-07.json", Expect::BadSignature),
    ("sign1-tests/sign-pass-01.json", Expect::Valid),
    ("sign1-tests/sign-pass-02.json", Expect::Valid),
    ("sign1-tests/sign-pass-03.json", Expect::Valid),
];

fn field(key: &Value, name: &str) -> Option<Vec<u8>> {
    if let Some(h) = key.get(format!("{name}_hex")).and_then(Value::as_str) {
        return Some(unhex(h));
    }
    key.get(name).and_then(Value::as_str).map(b64url)
}

/// A JWK-like vector key as something this crate verifies with.
enum Key {
    P256(p256::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    Oct(Vec<u8>),
    Unsupported,
}

fn key(k: &Value) -> Key {
    match (k["kty"].as_str().unwrap(), k.get("crv").and_then(Value::as_str)) {
        ("EC", Some("P-256")) => {
            let mut sec1 = vec![4u8];
            sec1.extend(field(k, "x").unwrap());
            sec1.extend(field(k, "y").unwrap());
            Key::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).unwrap())
        }
        ("OKP", Some("Ed25519")) => {
            let x: [u8; 32] = field(k, "x").unwrap().try_into().unwrap();
            Key::Ed25519(ed25519_dalek::VerifyingKey::from_bytes(&x).unwrap())
        }
        ("oct", _) => Key::Oct(field(k, "k").unwrap()),
        _ => Key::Unsupported,
    }
}

fn external(input: &Value) -> Vec<u8> {
    input.get("external").and_then(Value::as_str).map(unhex).unwrap_or_default()
}

fn plaintext(input: &Value) -> Vec<u8> {
    match input.get("plaintext_hex").and_then(Value::as_str) {
        Some(h) => unhex(h),
        None => input["plaintext"].as_str().unwrap().as_bytes().to_vec(),
    }
}

fn check(file: &str, expect: &Expect, v: &Value) -> Result<(), String> {
    let msg = unhex(v["output"]["cbor"].as_str().unwrap());
    let input = &v["input"];
    // Intermediates describe the unmutated message, so they are compared for passing vectors only.
    let must_fail = v.get("fail").and_then(Value::as_bool).unwrap_or(false);
    let outcome: Result<Vec<u8>, Error>;
    if let Some(s) = input.get("sign0") {
        let k = key(&s["key"]);
        let aad = external(s);
        outcome = CoseSign1::decode(&msg).and_then(|m| {
            // The to-be-signed bytes must match the vector's intermediate, independent of crypto.
            if let Some(tbs) = v["intermediates"]
                .get("ToBeSign_hex")
                .filter(|_| !must_fail)
                .and(v["intermediates"].get("ToBeSign_hex"))
                .and_then(Value::as_str)
            {
                assert_eq!(m.sig_structure(None, &aad)?, unhex(tbs), "{file}: Sig_structure");
            }
            let verified = match &k {
                Key::P256(k) => m.verify(k, &aad)?,
                Key::Ed25519(k) => m.verify(k, &aad)?,
                Key::Oct(_) => unreachable!(),
                Key::Unsupported => return Err(Error::Key(iot_cose::KeyError::Unsupported)),
            };
            Ok(verified.payload().unwrap().to_vec())
        });
    } else if let Some(m0) = input.get("mac0") {
        let Key::Oct(k) = key(&m0["recipients"][0]["key"]) else { panic!("{file}: mac key") };
        let aad = external(m0);
        outcome = CoseMac0::decode(&msg).and_then(|m| {
            if let Some(tbm) = v["intermediates"]
                .get("ToMac_hex")
                .filter(|_| !must_fail)
                .and(v["intermediates"].get("ToMac_hex"))
                .and_then(Value::as_str)
            {
                assert_eq!(m.mac_structure(None, &aad)?, unhex(tbm), "{file}: MAC_structure");
            }
            Ok(m.verify(&HmacKey::new(&k), &aad)?.payload().unwrap().to_vec())
        });
    } else {
        // COSE_Sign (multi-signer) is not a Sign1: decoding as one must fail on the tag.
        outcome = CoseSign1::decode(&msg).map(|_| Vec::new());
    }
    let ok = match (expect, &outcome) {
        (Expect::Valid, Ok(p)) => *p == plaintext(input),
        (Expect::BadSignature, Err(Error::BadSignature)) => true,
        (Expect::Tag(t), Err(Error::UnexpectedTag { tag })) => t == tag,
        (Expect::UnsupportedAlg(a), Err(Error::UnsupportedAlgorithm { alg })) => a == alg,
        (Expect::Mismatch(a), Err(Error::AlgorithmMismatch { actual, .. })) => a == actual,
        (Expect::UnsupportedKey, Err(Error::Key(iot_cose::KeyError::Unsupported))) => true,
        _ => false,
    };
    if ok { Ok(()) } else { Err(format!("{file}: expected {expect:?}, got {outcome:?}")) }
}

#[test]
fn cose_wg_examples_all_39() {
    let Some(dir) = area("cose") else { return };
    let dir = dir.join("cose-wg");
    let mut on_disk: Vec<String> = Vec::new();
    for sub in std::fs::read_dir(&dir).unwrap() {
        let sub = sub.unwrap().path();
        for f in std::fs::read_dir(&sub).unwrap() {
            let f = f.unwrap().path();
            on_disk.push(format!(
                "{}/{}",
                sub.file_name().unwrap().to_str().unwrap(),
                f.file_name().unwrap().to_str().unwrap()
            ));
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = TABLE.iter().map(|(f, _)| (*f).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "the table must name every vector file exactly once");

    let failures: Vec<String> = TABLE.iter().filter_map(|(f, e)| check(f, e, &json(&dir.join(f))).err()).collect();
    println!("cose-wg: {}/{} right", TABLE.len() - failures.len(), TABLE.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// RFC 9052 C.2.1 (= RFC 8152 C.2.1): decode, verify, and rebuild byte for byte with our encoder
/// from the decoded fields.
#[test]
fn rfc9052_c_2_1_sign1_reencodes_byte_exact() {
    let Some(dir) = area("cose") else { return };
    let v = json(&dir.join("cose-wg/RFC8152/Appendix_C_2_1.json"));
    let msg = unhex(v["output"]["cbor"].as_str().unwrap());
    let m = CoseSign1::decode(&msg).unwrap();
    let Key::P256(k) = key(&v["input"]["sign0"]["key"]) else { panic!() };
    let verified = m.verify(&k, b"").unwrap();
    assert_eq!(verified.alg(), Algorithm::ES256);
    assert_eq!(verified.kid(), Some(&b"11"[..]));
    let mut again = Vec::new();
    m.encode(&mut again).unwrap();
    assert_eq!(again, msg);
    let rebuilt = Sign1Builder::new(verified.payload().unwrap())
        .unprotected(Headers::default().kid(b"11"))
        .with_signature(Algorithm::ES256, m.signature())
        .unwrap();
    assert_eq!(rebuilt, msg);
}

/// RFC 9052 C.6.1 (= RFC 8152 C.6.1) Mac0 with AES-MAC 256/64: decodes and re-encodes byte for
/// byte; AES-MAC is not implemented, so verification is a clean `UnsupportedAlgorithm`.
#[test]
fn rfc9052_c_6_1_mac0_reencodes_byte_exact() {
    let Some(dir) = area("cose") else { return };
    let v = json(&dir.join("cose-wg/RFC8152/Appendix_C_6_1.json"));
    let msg = unhex(v["output"]["cbor"].as_str().unwrap());
    let m = CoseMac0::decode(&msg).unwrap();
    assert_eq!(m.protected().map.alg(), Some(iot_cose::Label::Int(15)));
    let mut again = Vec::new();
    m.encode(&mut again).unwrap();
    assert_eq!(again, msg);
    let tbm = unhex(v["intermediates"]["ToMac_hex"].as_str().unwrap());
    assert_eq!(m.mac_structure(None, b"").unwrap(), tbm);
}
