//! Provisioning tokens, just-in-time registration and claiming: the flows that must work and
//! every refusal.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code"
)]

use iot_identity::claim::{Challenge, Claims, MAX_FAILURES, code_hash, format_code, respond, verify_response};
use iot_identity::iot_cose::ed25519_dalek;
use iot_identity::iot_cose::p256::ecdsa::SigningKey;
use iot_identity::provision::{Possession, Registrar, Registration, Token, VerifyKey};
use iot_identity::{Ca, Certificate, Error, Options, Profile, Subject, Time, validate, write_csr};
use proptest::prelude::*;

const T0: i64 = 1_767_225_600; // 2026-01-01
const YEAR: i64 = 365 * 86_400;
const AUD: &str = "https://provision.example";

fn p256(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn service_key() -> SigningKey {
    p256(50)
}

fn token_key() -> VerifyKey {
    VerifyKey::P256(*service_key().verifying_key())
}

fn token(id: u8) -> Token<'static> {
    Token::new("factory", AUD, "register", [id; 16], Time(T0), 3600)
}

/// A manufacturer (root + issuing CA) and one device with its IDevID.
struct Factory {
    root: Ca<SigningKey>,
    issuing: Ca<SigningKey>,
}

fn factory(seed: u8) -> Factory {
    let root =
        Ca::root(&Subject::common_name("Maker Root"), p256(seed), Time(T0), Time(T0 + 30 * YEAR), Some(1)).unwrap();
    let issuing = Ca::intermediate(
        &Subject::common_name("Maker IDevID CA"),
        p256(seed + 1),
        &root,
        Time(T0),
        Time(T0 + 20 * YEAR),
        Some(0),
    )
    .unwrap();
    Factory { root, issuing }
}

fn csr(serial: &str, key: &SigningKey) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let n = write_csr(&Subject::device(serial, None), key, &mut buf).unwrap();
    buf[..n].to_vec()
}

fn idevid(f: &Factory, serial: &str, key: &SigningKey) -> Vec<u8> {
    f.issuing.issue_devid(&csr(serial, key), Time(T0), Time::NO_EXPIRY).unwrap()
}

fn registrar(tokens: bool) -> (Registrar<SigningKey>, Factory) {
    let op_root =
        Ca::root(&Subject::common_name("Cloud Ops CA"), p256(40), Time(T0), Time(T0 + 30 * YEAR), Some(0)).unwrap();
    let mut r = Registrar::new(op_root, AUD, YEAR);
    let f = factory(10);
    r.add_manufacturer(f.root.certificate_der()).unwrap();
    if tokens {
        r.require_tokens(token_key());
    }
    (r, f)
}

// ---- tokens ----

#[test]
fn token_round_trip_and_checks() {
    let t = token(1).for_device("SN-1");
    let signed = t.sign(&service_key()).unwrap();
    let now = Time(T0 + 10);
    assert_eq!(Token::verify(&signed, &token_key(), AUD, now).unwrap(), t);
    assert!(t.allows("register") && !t.allows("reg") && !t.allows(""));
    assert!(matches!(Token::verify(&signed, &token_key(), "other", now), Err(Error::WrongBinding(_))));
    assert!(matches!(Token::verify(&signed, &token_key(), AUD, Time(T0 - 1)), Err(Error::NotYetValid)));
    assert!(matches!(Token::verify(&signed, &token_key(), AUD, Time(T0 + 3600)), Err(Error::Expired)));
    let other = VerifyKey::P256(*p256(51).verifying_key());
    assert!(matches!(Token::verify(&signed, &other, AUD, now), Err(Error::Cose(_))));
    let ed = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
    let ed_signed = t.sign(&ed).unwrap();
    assert_eq!(Token::verify(&ed_signed, &VerifyKey::Ed25519(ed.verifying_key()), AUD, now).unwrap(), t);
    // an EdDSA token is not accepted with a P-256 key, nor the reverse
    assert!(Token::verify(&ed_signed, &token_key(), AUD, now).is_err());
    let mut tampered = signed.clone();
    let i = tampered.len() / 2;
    tampered[i] ^= 1;
    assert!(Token::verify(&tampered, &token_key(), AUD, now).is_err());
}

/// A claims map built by hand: `(key, value-bytes)` pairs, CBOR-encoded values.
fn claims(pairs: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![0xa0 + u8::try_from(pairs.len()).unwrap()];
    for (k, v) in pairs {
        out.push(*k);
        out.extend_from_slice(v);
    }
    out
}

fn text(s: &str) -> Vec<u8> {
    let mut v = vec![0x60 + u8::try_from(s.len()).unwrap()];
    v.extend_from_slice(s.as_bytes());
    v
}

fn base() -> Vec<(u8, Vec<u8>)> {
    let t = |v: u32| {
        let mut b = vec![0x1a];
        b.extend_from_slice(&v.to_be_bytes());
        b
    };
    let mut cti = vec![0x50];
    cti.extend_from_slice(&[7; 16]);
    vec![
        (1, text("iss")),
        (3, text("aud")),
        (4, t(2_000_000_000)),
        (5, t(1_000_000_000)),
        (6, t(1_000_000_000)),
        (7, cti),
        (9, text("register")),
    ]
}

#[test]
fn token_claims_refused() {
    assert!(Token::decode(&claims(&base())).is_ok());
    for drop in 0..base().len() {
        let mut c = base();
        c.remove(drop);
        assert!(matches!(Token::decode(&claims(&c)), Err(Error::Malformed(_))), "without claim {drop}");
    }
    let mut unknown = base();
    unknown.push((8, text("x")));
    assert!(matches!(Token::decode(&claims(&unknown)), Err(Error::Malformed(_))));
    let mut dup = base();
    dup.push((1, text("iss")));
    assert!(matches!(Token::decode(&claims(&dup)), Err(Error::Malformed(_))));
    let mut short = base();
    short[5].1 = vec![0x42, 1, 2];
    assert!(matches!(Token::decode(&claims(&short)), Err(Error::Malformed(_))));
    let mut backwards = base();
    backwards[2].1 = vec![0x1a, 0, 0, 0, 1];
    assert!(matches!(Token::decode(&claims(&backwards)), Err(Error::InvalidValidity)));
    let mut text_key = claims(&base());
    text_key[0] += 1;
    text_key.extend_from_slice(&[0x61, b'x', 0x01]);
    assert!(matches!(Token::decode(&text_key), Err(Error::Malformed(_))));
    let mut nine = vec![0xa9];
    nine.extend_from_slice(&claims(&base())[1..]);
    assert!(matches!(Token::decode(&nine), Err(Error::LimitExceeded(_))));
    let mut trailing = claims(&base());
    trailing.push(0x00);
    assert!(Token::decode(&trailing).is_err());
}

proptest! {
    #[test]
    fn token_encoding_round_trips(iss in "[a-z]{0,20}", sub in proptest::option::of("[A-Z0-9-]{1,20}"),
                                  scope in "[a-z ]{0,30}", id in any::<[u8; 16]>(), t in 0i64..4_000_000_000, life in 1i64..1_000_000) {
        let mut tok = Token::new(&iss, AUD, &scope, id, Time(t), life);
        if let Some(s) = &sub {
            tok = tok.for_device(s);
        }
        let mut buf = Vec::new();
        tok.encode(&mut buf).unwrap();
        prop_assert_eq!(Token::decode(&buf).unwrap(), tok);
    }
}

// ---- registration ----

#[test]
fn just_in_time_registration() {
    let (mut r, f) = registrar(true);
    let dev_key = p256(20);
    let id = idevid(&f, "SN-1", &dev_key);
    let chain = [&id[..], f.issuing.certificate_der()];
    let ld_key = p256(21);
    let ld_csr = csr("SN-1", &ld_key);
    let tok = token(1).for_device("SN-1").sign(&service_key()).unwrap();
    let now = Time(T0 + 60);
    let rec = r
        .register(&Registration::new(&chain, &ld_csr, Possession::TlsClientAuth).with_token(&tok), now)
        .unwrap()
        .clone();
    assert_eq!(rec.serial, "SN-1");
    assert_eq!(rec.manufacturer, 0);
    assert_eq!(rec.token, Some([1; 16]));
    // the LDevID chains to the operational CA, for the new key, for a year
    let ld = Certificate::from_der(&rec.ldevid).unwrap();
    assert_eq!(ld.subject.serial_number(), Some("SN-1"));
    assert_eq!(ld.not_after, Time(now.0 + YEAR));
    let ops = r.ca().certificate().unwrap();
    validate(&ld, &[], &[ops], &Options::new(now, Profile::DevId).client_auth()).unwrap();
    assert_eq!(r.device("SN-1"), Some(&rec));

    // the token is spent, and the device is onboarded: no second registration with any token
    let again = r.register(&Registration::new(&chain, &ld_csr, Possession::TlsClientAuth).with_token(&tok), now);
    assert!(matches!(again, Err(Error::NotUsable(_))), "{again:?}");
    let fresh = token(2).sign(&service_key()).unwrap();
    let again = r.register(&Registration::new(&chain, &ld_csr, Possession::TlsClientAuth).with_token(&fresh), now);
    assert!(matches!(again, Err(Error::NotUsable("device already onboarded"))), "{again:?}");

    // a clone: the same serial under another key
    let clone = idevid(&f, "SN-1", &p256(22));
    let chain2 = [&clone[..], f.issuing.certificate_der()];
    let r2 = r.register(&Registration::new(&chain2, &ld_csr, Possession::TlsClientAuth).with_token(&fresh), now);
    assert!(matches!(r2, Err(Error::WrongBinding(_))), "{r2:?}");
}

#[test]
fn registration_refusals() {
    let (mut r, f) = registrar(true);
    let dev_key = p256(20);
    let id = idevid(&f, "SN-2", &dev_key);
    let chain = [&id[..], f.issuing.certificate_der()];
    let ld_csr = csr("SN-2", &p256(21));
    let now = Time(T0 + 60);
    let reg = |tok: Option<&[u8]>, csr: &[u8], chain: &[&[u8]], p: Possession, r: &mut Registrar<SigningKey>| {
        let mut req = Registration::new(chain, csr, p);
        if let Some(t) = tok {
            req = req.with_token(t);
        }
        r.register(&req, now).map(|_| ())
    };
    let good = token(3).sign(&service_key()).unwrap();
    // tokens
    assert!(matches!(reg(None, &ld_csr, &chain, Possession::TlsClientAuth, &mut r), Err(Error::Malformed(_))));
    let other_dev = token(4).for_device("SN-9").sign(&service_key()).unwrap();
    assert!(matches!(
        reg(Some(&other_dev), &ld_csr, &chain, Possession::TlsClientAuth, &mut r),
        Err(Error::WrongBinding(_))
    ));
    let no_scope = Token::new("factory", AUD, "read write", [5; 16], Time(T0), 3600).sign(&service_key()).unwrap();
    assert!(matches!(
        reg(Some(&no_scope), &ld_csr, &chain, Possession::TlsClientAuth, &mut r),
        Err(Error::WrongBinding(_))
    ));
    let other_aud =
        Token::new("factory", "elsewhere", "register", [6; 16], Time(T0), 3600).sign(&service_key()).unwrap();
    assert!(matches!(
        reg(Some(&other_aud), &ld_csr, &chain, Possession::TlsClientAuth, &mut r),
        Err(Error::WrongBinding(_))
    ));
    let forged = token(7).sign(&p256(99)).unwrap();
    assert!(matches!(reg(Some(&forged), &ld_csr, &chain, Possession::TlsClientAuth, &mut r), Err(Error::Cose(_))));
    let expired = Token::new("factory", AUD, "register", [8; 16], Time(T0 - 7200), 3600).sign(&service_key()).unwrap();
    assert!(matches!(reg(Some(&expired), &ld_csr, &chain, Possession::TlsClientAuth, &mut r), Err(Error::Expired)));
    r.revoke_token([3; 16]);
    assert!(matches!(
        reg(Some(&good), &ld_csr, &chain, Possession::TlsClientAuth, &mut r),
        Err(Error::NotUsable("token revoked"))
    ));
    let good = token(9).sign(&service_key()).unwrap();
    // the CSR: another serial, a bad signature, not the IDevID key when that is the proof
    let wrong_serial = csr("SN-3", &p256(21));
    assert!(matches!(
        reg(Some(&good), &wrong_serial, &chain, Possession::TlsClientAuth, &mut r),
        Err(Error::WrongBinding(_))
    ));
    let mut bad_sig = ld_csr.clone();
    let last = bad_sig.len() - 3;
    bad_sig[last] ^= 1;
    assert!(reg(Some(&good), &bad_sig, &chain, Possession::TlsClientAuth, &mut r).is_err());
    assert!(matches!(
        reg(Some(&good), &ld_csr, &chain, Possession::CsrSignedByDevId, &mut r),
        Err(Error::WrongBinding(_))
    ));
    // chains: another manufacturer, no intermediate, empty
    let stranger = factory(30);
    let sid = idevid(&stranger, "SN-2", &dev_key);
    let schain = [&sid[..], stranger.issuing.certificate_der()];
    assert!(matches!(
        reg(Some(&good), &ld_csr, &schain, Possession::TlsClientAuth, &mut r),
        Err(Error::BadSignature | Error::UnknownIssuer)
    ));
    assert!(matches!(
        reg(Some(&good), &ld_csr, &chain[..1], Possession::TlsClientAuth, &mut r),
        Err(Error::UnknownIssuer)
    ));
    assert!(matches!(reg(Some(&good), &ld_csr, &[], Possession::TlsClientAuth, &mut r), Err(Error::Malformed(_))));
    assert!(r.device("SN-2").is_none());
    // a failed attempt did not burn the token: the CSR signed by the IDevID key itself works
    let self_csr = csr("SN-2", &dev_key);
    reg(Some(&good), &self_csr, &chain, Possession::CsrSignedByDevId, &mut r).unwrap();
    assert!(r.device("SN-2").is_some());
    // a manufacturer certificate that is not a CA is refused
    let (mut r2, _) = registrar(false);
    assert!(matches!(r2.add_manufacturer(&id), Err(Error::IssuerNotCa)));
}

#[test]
fn registration_without_tokens() {
    let (mut r, f) = registrar(false);
    let id = idevid(&f, "SN-4", &p256(20));
    let chain = [&id[..], f.issuing.certificate_der()];
    let c = csr("SN-4", &p256(21));
    r.register(&Registration::new(&chain, &c, Possession::TlsClientAuth), Time(T0 + 1)).unwrap();
}

// ---- claiming ----

const CODE: &str = "7KQ2-M9XW-4T8B-ZR1D-6HVN-3CPA-XY";

#[test]
fn claim_codes() {
    let c = format_code(&[0xff; 16]);
    assert_eq!(&c, b"ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZW"); // the 26th symbol carries 3 bits
    let c = format_code(&[0; 16]);
    assert_eq!(&c, b"0000-0000-0000-0000-0000-0000-00");
    // normalisation: case, separators, Crockford's look-alikes
    let h = code_hash(CODE).unwrap();
    assert_eq!(code_hash("7kq2m9xw4t8bzr1d6hvn3cpaxy").unwrap(), h);
    assert_eq!(code_hash("7KQ2 M9XW 4T8B ZRlD 6HVN 3CPA XY").unwrap(), h);
    assert_ne!(code_hash("7KQ2-M9XW-4T8B-ZR1D-6HVN-3CPA-XZ").unwrap(), h);
    assert!(matches!(code_hash("7KQ2-M9XW-4T8B-ZR1D-6HVN-3CPA-X"), Err(Error::Malformed(_))));
    assert!(matches!(code_hash("7KQ2-M9XW-4T8B-ZR1D-6HVN-3CPA-XU"), Err(Error::Malformed(_))));
    let g = iot_identity::claim::generate_code().unwrap();
    assert_eq!(g.len(), 32);
    code_hash(&g).unwrap();
    assert_ne!(g, iot_identity::claim::generate_code().unwrap());
}

fn device_cert(serial: &str, key: &SigningKey) -> Vec<u8> {
    idevid(&factory(10), serial, key)
}

#[test]
fn claim_flow() {
    let key = p256(20);
    let cert_der = device_cert("SN-5", &key);
    let cert = Certificate::from_der(&cert_der).unwrap();
    let stored = code_hash(CODE).unwrap();
    let mut claims = Claims::new();
    let now = Time(T0);
    claims.challenge("SN-5", "acct-1", [1; 16], now).unwrap();
    let mut buf = [0u8; 512];
    let n = respond(&stored, &Challenge { nonce: [1; 16], account: "acct-1" }, "SN-5", &key, &mut buf).unwrap();
    assert_eq!(claims.complete([1; 16], &buf[..n], &cert, CODE, Time(T0 + 10)).unwrap(), "acct-1");
    assert_eq!(claims.owner("SN-5"), Some("acct-1"));
    // replay: the challenge is gone; and the device is owned
    assert!(matches!(claims.complete([1; 16], &buf[..n], &cert, CODE, now), Err(Error::NotUsable(_))));
    assert!(matches!(claims.challenge("SN-5", "acct-2", [2; 16], now), Err(Error::NotUsable(_))));
    claims.release("SN-5");
    claims.challenge("SN-5", "acct-2", [2; 16], now).unwrap();
    // an answer to another challenge (account acct-1) cannot be moved to acct-2
    assert!(matches!(claims.complete([2; 16], &buf[..n], &cert, CODE, now), Err(Error::WrongBinding(_))));
}

#[test]
fn claim_refusals_and_lockout() {
    let key = p256(20);
    let cert_der = device_cert("SN-6", &key);
    let cert = Certificate::from_der(&cert_der).unwrap();
    let other_der = device_cert("SN-7", &p256(23));
    let other = Certificate::from_der(&other_der).unwrap();
    let stored = code_hash(CODE).unwrap();
    let mut claims = Claims::new();
    let answer = |nonce: [u8; 16], account: &str| {
        let mut buf = [0u8; 512];
        let n = respond(&stored, &Challenge { nonce, account }, "SN-6", &key, &mut buf).unwrap();
        buf[..n].to_vec()
    };
    // expired challenge
    claims.challenge("SN-6", "a", [1; 16], Time(T0)).unwrap();
    let r = claims.complete([1; 16], &answer([1; 16], "a"), &cert, CODE, Time(T0 + 301));
    assert!(matches!(r, Err(Error::NotUsable("challenge expired"))), "{r:?}");
    // another device's certificate
    claims.challenge("SN-6", "a", [2; 16], Time(T0)).unwrap();
    assert!(matches!(
        claims.complete([2; 16], &answer([2; 16], "a"), &other, CODE, Time(T0)),
        Err(Error::WrongBinding(_))
    ));
    // an unknown challenge
    assert!(matches!(claims.complete([9; 16], &answer([9; 16], "a"), &cert, CODE, Time(T0)), Err(Error::NotUsable(_))));
    // wrong codes lock the device after MAX_FAILURES
    for i in 0..MAX_FAILURES {
        let nonce = [10 + u8::try_from(i).unwrap(); 16];
        claims.challenge("SN-6", "a", nonce, Time(T0)).unwrap();
        let r = claims.complete(nonce, &answer(nonce, "a"), &cert, "0000-0000-0000-0000-0000-0000-00", Time(T0));
        assert!(matches!(r, Err(Error::WrongBinding(_))), "{r:?}");
    }
    assert!(matches!(claims.challenge("SN-6", "a", [30; 16], Time(T0)), Err(Error::NotUsable(_))));
    claims.unlock("SN-6");
    claims.challenge("SN-6", "a", [31; 16], Time(T0)).unwrap();
    claims.complete([31; 16], &answer([31; 16], "a"), &cert, CODE, Time(T0)).unwrap();
}

#[test]
fn claim_response_checks() {
    let ed = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
    let stored = code_hash(CODE).unwrap();
    let ch = Challenge { nonce: [4; 16], account: "acct" };
    let mut buf = [0u8; 512];
    let n = respond(&stored, &ch, "SN-8", &ed, &mut buf).unwrap();
    let key = VerifyKey::Ed25519(ed.verifying_key());
    assert_eq!(verify_response(&buf[..n], &key, CODE, &ch).unwrap().serial, "SN-8");
    let other_nonce = Challenge { nonce: [5; 16], account: "acct" };
    assert!(matches!(verify_response(&buf[..n], &key, CODE, &other_nonce), Err(Error::WrongBinding(_))));
    let wrong_key = VerifyKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key());
    assert!(matches!(verify_response(&buf[..n], &wrong_key, CODE, &ch), Err(Error::Cose(_))));
    assert!(matches!(verify_response(&buf[..n], &key, "bad", &ch), Err(Error::Malformed(_))));
    for len in 0..n {
        assert!(verify_response(&buf[..len], &key, CODE, &ch).is_err());
    }
    let long = "x".repeat(129);
    assert!(matches!(
        respond(&stored, &Challenge { nonce: [4; 16], account: &long }, "SN", &ed, &mut buf),
        Err(Error::Malformed(_))
    ));
    assert!(respond(&stored, &ch, "SN-8", &ed, &mut buf[..20]).is_err());
}
