//! Open Profile for DICE: the open-dice known-answer CDI certificates
//! (`../shared/vectors/attest/dice-open-profile`) verify against the UDS key derived from the
//! all-zero UDS, the derivations give the expected CDIs, and chains we build on top verify or
//! are refused for each rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "test code")]

use iot_attest::Error;
use iot_attest::dice::{self, Inputs};
use iot_attest::iot_cose::cbor::Encoder;
use iot_attest::iot_cose::ed25519_dalek::SigningKey;
use iot_attest::iot_cose::{PublicKey, Sign1Builder};

const ZERO64: [u8; 64] = [0; 64];
const UDS: [u8; 32] = [0; 32];

fn zero_inputs() -> Inputs<'static> {
    Inputs { code_hash: &ZERO64, config: &ZERO64, authority_hash: &ZERO64, mode: 0, hidden: &ZERO64 }
}

fn vector(name: &str) -> Option<Vec<u8>> {
    let dir = iot_test_vectors::area("attest")?;
    Some(std::fs::read(dir.join("dice-open-profile").join(name)).unwrap())
}

fn hex_id(key: &PublicKey) -> String {
    hex::encode(dice::dice_id(key))
}

#[test]
fn cdis_of_the_zero_input() {
    let Some(dir) = iot_test_vectors::area("attest") else { return };
    let text = std::fs::read_to_string(dir.join("dice-open-profile/expected-cdi-zero-input.hex")).unwrap();
    let want = |name: &str| {
        let line = text.lines().find(|l| l.starts_with(name)).unwrap();
        hex::decode(line.split_whitespace().nth(1).unwrap()).unwrap()
    };
    assert_eq!(dice::cdi_attest(&UDS, &zero_inputs()).to_vec(), want("cdi_attest"));
    assert_eq!(dice::cdi_seal(&UDS, &zero_inputs()).to_vec(), want("cdi_seal"));
}

#[test]
fn ed25519_certificate_verifies() {
    let Some(cert) = vector("cdi-cert-ed25519-zero-input.cbor") else { return };
    let uds_key = PublicKey::Ed25519(dice::ed25519_key(&dice::key_seed(&UDS)).verifying_key());
    let layers = dice::verify_chain(&uds_key, &[&cert]).unwrap();
    let c = &layers[0].certificate;
    assert_eq!(c.issuer, "7a06eee41b789f4863d86b8778b1a201a6fedd56");
    assert_eq!(c.issuer, hex_id(&uds_key));
    assert_eq!(c.subject, "67c22a8859062b986818e8e72b0bcd9f59349c89");
    assert_eq!(c.code_hash, Some(&ZERO64[..]));
    assert_eq!(c.mode, Some(0));
    assert!(c.may_certify());
    // the certified key is the one the device derives from CDI_Attest
    let cdi = dice::cdi_attest(&UDS, &zero_inputs());
    let cdi_key = PublicKey::Ed25519(dice::ed25519_key(&dice::key_seed(&cdi)).verifying_key());
    assert_eq!(layers[0].subject_key, cdi_key);
    // another UDS: the signature does not verify
    let other = PublicKey::Ed25519(dice::ed25519_key(&dice::key_seed(&[1; 32])).verifying_key());
    assert!(matches!(dice::verify_chain(&other, &[&cert]), Err(Error::Cose(_))));
}

#[test]
fn p256_certificate_verifies() {
    let Some(cert) = vector("cdi-cert-p256-zero-input.cbor") else { return };
    let uds_key = PublicKey::P256(*dice::p256_key(&dice::key_seed(&UDS)).unwrap().verifying_key());
    let layers = dice::verify_chain(&uds_key, &[&cert]).unwrap();
    let c = &layers[0].certificate;
    assert_eq!(c.issuer, "672d0053ae4513fbb3bac8209daeb3e8897681cd");
    assert_eq!(c.subject, "2e75b6e7230c20f2960bde4acf1288d4ab665b9b");
    assert_eq!(c.profile_name, Some("opendice.example"));
    let cdi = dice::cdi_attest(&UDS, &zero_inputs());
    let cdi_key = PublicKey::P256(*dice::p256_key(&dice::key_seed(&cdi)).unwrap().verifying_key());
    assert_eq!(layers[0].subject_key, cdi_key);
    // an Ed25519 UDS key does not verify an ES256 certificate
    let ed = PublicKey::Ed25519(dice::ed25519_key(&dice::key_seed(&UDS)).verifying_key());
    assert!(dice::verify_chain(&ed, &[&cert]).is_err());
    // every truncation and every flipped byte is refused, never a panic
    for n in 0..cert.len() {
        assert!(dice::verify_chain(&uds_key, &[&cert[..n]]).is_err());
    }
    for i in 0..cert.len() {
        let mut m = cert.clone();
        m[i] ^= 1;
        assert!(dice::verify_chain(&uds_key, &[&m]).is_err(), "flip at {i}");
    }
}

/// A CDI certificate built here: claims (with overrides) signed by `signer`.
fn certificate(signer: &SigningKey, iss: &str, sub: &str, subject: &SigningKey, key_usage: u8, mode: u8) -> Vec<u8> {
    let mut cose_key = Vec::new();
    {
        let mut e = Encoder::new(&mut cose_key);
        e.map(3).unwrap().uint(1).unwrap().uint(1).unwrap().int(-1).unwrap().uint(6).unwrap();
        e.int(-2).unwrap().bytes(subject.verifying_key().as_bytes()).unwrap();
    }
    let mut claims = Vec::new();
    {
        let mut e = Encoder::new(&mut claims);
        e.map(6).unwrap();
        e.uint(1).unwrap().str(iss).unwrap().uint(2).unwrap().str(sub).unwrap();
        e.int(-4_670_545).unwrap().bytes(&[7; 64]).unwrap();
        e.int(-4_670_551).unwrap().bytes(&[mode]).unwrap();
        e.int(-4_670_552).unwrap().bytes(&cose_key).unwrap();
        e.int(-4_670_553).unwrap().bytes(&[key_usage]).unwrap();
    }
    Sign1Builder::new(&claims).tagged(false).sign(signer).unwrap()
}

#[test]
fn chains_built_on_the_vector() {
    let Some(layer1) = vector("cdi-cert-ed25519-zero-input.cbor") else { return };
    let uds_key = PublicKey::Ed25519(dice::ed25519_key(&dice::key_seed(&UDS)).verifying_key());
    // the device holds layer 1's key (from CDI_Attest) and certifies layer 2
    let cdi1 = dice::cdi_attest(&UDS, &zero_inputs());
    let key1 = dice::ed25519_key(&dice::key_seed(&cdi1));
    let inputs2 = Inputs { code_hash: &[7; 64], config: &ZERO64, authority_hash: &ZERO64, mode: 1, hidden: &ZERO64 };
    let key2 = dice::ed25519_key(&dice::key_seed(&dice::cdi_attest(&cdi1, &inputs2)));
    let id1 = hex_id(&PublicKey::Ed25519(key1.verifying_key()));
    let id2 = hex_id(&PublicKey::Ed25519(key2.verifying_key()));
    let layer2 = certificate(&key1, &id1, &id2, &key2, 0, 1);
    let layers = dice::verify_chain(&uds_key, &[&layer1, &layer2]).unwrap();
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[1].certificate.code_hash, Some(&[7u8; 64][..]));
    assert_eq!(layers[1].certificate.mode, Some(1));

    // wrong iss, wrong sub, an undefined mode
    let bad_iss = certificate(&key1, &id2, &id2, &key2, 0, 1);
    assert!(matches!(dice::verify_chain(&uds_key, &[&layer1, &bad_iss]), Err(Error::KeyMismatch)));
    let bad_sub = certificate(&key1, &id1, &id1, &key2, 0, 1);
    assert!(matches!(dice::verify_chain(&uds_key, &[&layer1, &bad_sub]), Err(Error::KeyMismatch)));
    let bad_mode = certificate(&key1, &id1, &id2, &key2, 0, 4);
    assert!(matches!(dice::verify_chain(&uds_key, &[&layer1, &bad_mode]), Err(Error::Invalid { .. })));
    // a layer whose certificate does not allow certifying cannot issue the next one
    let uds_priv = dice::ed25519_key(&dice::key_seed(&UDS));
    let uds_id = hex_id(&uds_key);
    let leaf1 = certificate(&uds_priv, &uds_id, &id1, &key1, 0, 0);
    assert!(dice::verify_chain(&uds_key, &[&leaf1]).is_ok());
    assert!(matches!(dice::verify_chain(&uds_key, &[&leaf1, &layer2]), Err(Error::Invalid { .. })));
    // out of order: layer 2 first
    assert!(dice::verify_chain(&uds_key, &[&layer2, &layer1]).is_err());
    // too long
    let long: Vec<&[u8]> = core::iter::repeat_n(&layer1[..], dice::MAX_CHAIN + 1).collect();
    assert!(matches!(dice::verify_chain(&uds_key, &long), Err(Error::LimitExceeded(_))));
}
