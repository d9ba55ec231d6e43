//! Every rejection of the decoder and verifier, as a table of annotated hand-made messages.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code"
)]

use iot_cose::cbor::{DecodeErrorKind, Encoder};
use iot_cose::{CoseMac0, CoseSign1, Error, HmacKey, Label, Limits, VerifyOptions, p256};

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s.replace([' ', '\n'], "")).unwrap()
}

fn key() -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_slice(&[0x11; 32]).unwrap()
}

/// A Sign1 with the given protected map bytes, unprotected map bytes and a 64-byte zero signature.
fn sign1(protected: &str, unprotected: &str) -> Vec<u8> {
    let p = hex(protected);
    let mut v = Vec::new();
    let mut e = Encoder::new(&mut v);
    e.tag(18).unwrap().array(4).unwrap().bytes(&p).unwrap().raw(&hex(unprotected)).unwrap();
    e.bytes(b"payload").unwrap().bytes(&[0u8; 64]).unwrap();
    v
}

#[test]
fn malformed_structures_are_decode_errors() {
    // (annotated hex, expected error kind, expected offset)
    let cases: &[(&str, DecodeErrorKind, usize)] = &[
        // empty input
        ("", DecodeErrorKind::Truncated, 0),
        // tag 18, indefinite array
        ("d2 9f", DecodeErrorKind::IndefiniteLength, 1),
        // tag 18, array(4), protected as indefinite bstr
        ("d2 84 5f", DecodeErrorKind::IndefiniteLength, 2),
        // array(4), protected bstr(3) truncated
        ("84 43 a1 01", DecodeErrorKind::Truncated, 1),
        // array(4), h'', unprotected is an array, not a map
        (
            "84 40 80 40 40",
            DecodeErrorKind::UnexpectedType { expected: iot_cose::cbor::Type::Map, found: iot_cose::cbor::Type::Array },
            2,
        ),
        // array(4), h'', {}, payload is a text string
        (
            "84 40 a0 60 40",
            DecodeErrorKind::UnexpectedType {
                expected: iot_cose::cbor::Type::Bytes,
                found: iot_cose::cbor::Type::Text,
            },
            3,
        ),
        // well-formed message followed by a trailing byte
        ("84 40 a1 01 26 40 40 00", DecodeErrorKind::TrailingBytes, 7),
        // protected map with trailing bytes inside the bstr: h'a0 00'
        ("84 42 a0 00 a0 40 40", DecodeErrorKind::TrailingBytes, 1),
        // unprotected header value nested deeper than the limit (8)
        ("84 40 a1 18 63 81 81 81 81 81 81 81 81 81 00 40 40", DecodeErrorKind::DepthExceeded, 13),
    ];
    for &(h, kind, offset) in cases {
        match CoseSign1::decode(&hex(h)) {
            Err(Error::Malformed(e)) => assert_eq!((e.kind, e.offset), (kind, offset), "{h}"),
            other => panic!("{h}: {other:?}"),
        }
    }
}

#[test]
fn wrong_structure_and_tag() {
    // array(3)
    assert!(matches!(CoseSign1::decode(&hex("83 40 a0 40")), Err(Error::MalformedStructure { what: "COSE_Sign1" })));
    // tag 17 (Mac0) on a Sign1 decode, tag 18 on a Mac0 decode, two tags
    assert!(matches!(CoseSign1::decode(&hex("d1 84 40 a0 40 40")), Err(Error::UnexpectedTag { tag: 17 })));
    assert!(matches!(CoseMac0::decode(&hex("d2 84 40 a0 40 40")), Err(Error::UnexpectedTag { tag: 18 })));
    assert!(matches!(CoseSign1::decode(&hex("d2 d2 84 40 a0 40 40")), Err(Error::Malformed(_))));
}

#[test]
fn header_rejections() {
    let k = key();
    let vk = k.verifying_key();
    let verify = |msg: &[u8], opts: &VerifyOptions<'_>| {
        CoseSign1::decode(msg).and_then(|m| m.verify_with(vk, None, b"", opts).map(|_| ()))
    };
    let d = VerifyOptions::default();
    // duplicate label in one map: {1:-7, 1:-7}
    assert!(matches!(CoseSign1::decode(&sign1("a2 01 26 01 26", "a0")), Err(Error::DuplicateHeader)));
    // duplicate text label: {"a":1, "a":2}
    assert!(matches!(CoseSign1::decode(&sign1("a3 01 26 61 61 01 61 61 02", "a0")), Err(Error::DuplicateHeader)));
    // same label in both buckets: protected {1:-7}, unprotected {1:-7}
    assert!(matches!(verify(&sign1("a1 01 26", "a1 01 26"), &d), Err(Error::DuplicateHeader)));
    // kid that is not a bstr: {4: "k"}
    assert!(matches!(CoseSign1::decode(&sign1("a1 01 26", "a1 04 61 6b")), Err(Error::InvalidHeader { label: 4 })));
    // alg that is a bstr
    assert!(matches!(CoseSign1::decode(&sign1("a1 01 41 00", "a0")), Err(Error::InvalidHeader { label: 1 })));
    // content type negative int
    assert!(matches!(CoseSign1::decode(&sign1("a2 01 26 03 20", "a0")), Err(Error::InvalidHeader { label: 3 })));
    // IV and Partial IV together
    assert!(matches!(
        CoseSign1::decode(&sign1("a1 01 26", "a2 05 41 00 06 41 00")),
        Err(Error::InvalidHeader { label: 6 })
    ));
    // crit empty array
    assert!(matches!(CoseSign1::decode(&sign1("a2 01 26 02 80", "a0")), Err(Error::InvalidHeader { label: 2 })));
    // crit lists an unknown label 99 (present)
    let unknown_crit = sign1("a3 01 26 02 81 18 63 18 63 00", "a0");
    assert!(matches!(verify(&unknown_crit, &d), Err(Error::UnsupportedCriticalHeader { label: Some(99) })));
    // ... which the application may declare as understood; then the signature is checked
    let known = [Label::Int(99)];
    assert!(matches!(verify(&unknown_crit, &VerifyOptions::default().critical(&known)), Err(Error::BadSignature)));
    // crit lists a text label
    assert!(matches!(
        verify(&sign1("a3 01 26 02 81 61 78 61 78 00", "a0"), &d),
        Err(Error::UnsupportedCriticalHeader { label: None })
    ));
    // crit lists kid, but kid is not in the protected map
    assert!(matches!(verify(&sign1("a2 01 26 02 81 04", "a1 04 41 00"), &d), Err(Error::InvalidHeader { label: 2 })));
    // crit in the unprotected map
    assert!(matches!(verify(&sign1("a1 01 26", "a1 02 81 01"), &d), Err(Error::InvalidHeader { label: 2 })));
    // no alg anywhere
    assert!(matches!(verify(&sign1("", "a0"), &d), Err(Error::MissingAlgorithm)));
    // alg only unprotected, protected required
    let opts = VerifyOptions::default().require_protected_alg(true);
    assert!(matches!(verify(&sign1("", "a1 01 26"), &opts), Err(Error::UnprotectedAlgorithm)));
    // text alg, unknown int alg, known alg of another key type
    assert!(matches!(verify(&sign1("a1 01 61 78", "a0"), &d), Err(Error::UnsupportedAlgorithm { alg: None })));
    let r = verify(&sign1("a1 01 19 fd e7", "a0"), &d);
    assert!(matches!(r, Err(Error::UnsupportedAlgorithm { alg: Some(64999) })), "{r:?}");
    assert!(matches!(verify(&sign1("a1 01 27", "a0"), &d), Err(Error::AlgorithmMismatch { expected: -7, actual: -8 })));
    // ESP256 (-9) is accepted by a P-256 key (the all-zero signature then fails)
    assert!(matches!(verify(&sign1("a1 01 28", "a0"), &d), Err(Error::BadSignature)));
}

#[test]
fn limits() {
    // 33 entries > the default 32
    let mut m = String::from("b8 21");
    for i in 0..33u8 {
        m.push_str(&format!(" 18 {:02x} 00", 0x20 + i));
    }
    assert!(matches!(CoseSign1::decode(&sign1("a1 01 26", &m)), Err(Error::LimitExceeded { .. })));
    let tight = Limits::DEFAULT.with_max_header_entries(1);
    assert!(matches!(CoseSign1::decode_with(&sign1("a2 01 26 03 00", "a0"), &tight), Err(Error::LimitExceeded { .. })));
    assert!(CoseSign1::decode_with(&sign1("a1 01 26", "a0"), &tight).is_ok());
}

#[test]
fn payload_and_signature_shape() {
    let k = key();
    let vk = k.verifying_key();
    // signature of 63 bytes
    let mut msg = sign1("a1 01 26", "a0");
    msg.truncate(msg.len() - 66); // drop the 64-byte signature and its 2-byte head
    Encoder::new(&mut msg).bytes(&[0u8; 63]).unwrap();
    assert!(matches!(
        CoseSign1::decode(&msg).unwrap().verify(vk, b""),
        Err(Error::SignatureLength { expected: 64, actual: 63 })
    ));
    // an all-zero signature of the right length is not a valid ECDSA signature
    assert!(matches!(CoseSign1::decode(&sign1("a1 01 26", "a0")).unwrap().verify(vk, b""), Err(Error::BadSignature)));
    // attached payload plus a detached one; detached message without one
    let attached = sign1("a1 01 26", "a0");
    let m = CoseSign1::decode(&attached).unwrap();
    assert!(matches!(m.verify_detached(vk, b"x", b""), Err(Error::UnexpectedPayload)));
    let det = hex("d2 84 43 a1 01 26 a0 f6 58 40").into_iter().chain([0u8; 64]).collect::<Vec<_>>();
    assert!(matches!(CoseSign1::decode(&det).unwrap().verify(vk, b""), Err(Error::MissingPayload)));
}

#[test]
fn mac0_rejections() {
    let k = [9u8; 32];
    let key = HmacKey::new(&k);
    // alg HMAC 256/256 but an 8-byte tag
    let m = hex("d1 84 43 a1 01 05 a0 41 00 48 0000000000000000");
    assert!(matches!(
        CoseMac0::decode(&m).unwrap().verify(&key, b""),
        Err(Error::SignatureLength { expected: 32, actual: 8 })
    ));
    // ES256 in a Mac0
    let m = hex("d1 84 43 a1 01 26 a0 41 00 48 0000000000000000");
    assert!(matches!(
        CoseMac0::decode(&m).unwrap().verify(&key, b""),
        Err(Error::UnsupportedAlgorithm { alg: Some(-7) })
    ));
    // right length, wrong tag
    let m = hex("d1 84 43 a1 01 04 a0 41 00 48 0000000000000000");
    assert!(matches!(CoseMac0::decode(&m).unwrap().verify(&key, b""), Err(Error::BadSignature)));
}
