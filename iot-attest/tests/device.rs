//! The device configuration (no `alloc`): write evidence into a fixed buffer, and decode and
//! verify it with the allocation-free API, as a device that checks a peer's evidence would.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code"
)]

use iot_attest::claims::Profile;
use iot_attest::{ClaimsSet as _, Eat, Error, Evidence, MeasuredBoot, Measurement, Options, Psa};
use iot_cose::p256::ecdsa::SigningKey;

#[test]
fn psa_in_a_fixed_buffer() {
    let key = SigningKey::from_slice(&[3u8; 32]).unwrap();
    let mut log: MeasuredBoot<'_, 2> = MeasuredBoot::new();
    log.record(Measurement::of("BL2", "1.0.0", [1; 32], b"bl2")).unwrap();
    log.record(Measurement::of("app", "", [2; 32], b"app")).unwrap();
    let comps = [*log.entries().next().unwrap(), *log.entries().nth(1).unwrap()];
    let nonce = [0xabu8; 48];
    let mut claims = Psa::new(&nonce, &[1u8; 33], &[9u8; 32], -5, 0x3001, &comps);
    claims.vsi = Some("https://verifier.example");
    let mut buf = [0u8; 900];
    let n = iot_attest::sign_into(&claims, &key, Some(b"kid"), &mut buf).unwrap();
    // Exactly the claims length plus the COSE overhead.
    let claims_len = claims.encoded_len().unwrap();
    assert!(n > claims_len && n < claims_len + 100, "{n} vs {claims_len}");

    let ev = Evidence::decode(&buf[..n]).unwrap();
    assert_eq!(ev.kid(), Some(&b"kid"[..]));
    assert_eq!(ev.unverified_ueid(), Some(&[1u8; 33][..]));
    let v = ev.verify_sign1(key.verifying_key(), &Options::default().nonce(&nonce).profile(Profile::Psa)).unwrap();
    assert_eq!(v.claims.client_id, Some(-5));
    assert_eq!(v.claims.vsi, Some("https://verifier.example"));
    let names: [_; 2] = core::array::from_fn(|i| v.claims.components().nth(i).unwrap().name);
    assert_eq!(names, [Some("BL2"), Some("app")]);
    // The wrong kind of key for the token.
    let mac = iot_cose::HmacKey::new(&[0u8; 32]);
    assert!(matches!(ev.verify_mac0(&mac, &Options::default()), Err(Error::KeyMismatch)));
}

#[test]
fn eat_mac0_in_a_fixed_buffer() {
    let key = iot_cose::HmacKey::new(&[0x77; 32]);
    let eat = Eat { nonce: Some(&[1u8; 8]), uptime: Some(3600), ..Eat::default() };
    let mut buf = [0u8; 128];
    let n = iot_attest::mac_into(&eat, &key, None, &mut buf).unwrap();
    let v = Evidence::decode(&buf[..n]).unwrap().verify_mac0(&key, &Options::default()).unwrap();
    assert_eq!(v.claims.uptime, Some(3600));
    let other = iot_cose::HmacKey::new(&[0x78; 32]);
    assert!(Evidence::decode(&buf[..n]).unwrap().verify_mac0(&other, &Options::default()).is_err());
}
