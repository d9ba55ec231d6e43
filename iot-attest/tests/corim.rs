//! CoRIM reference values (`../shared/vectors/attest/corim`): the draft's PSA CoMID and the
//! Veraison CoRIMs read into reference values, the signed one verified, and a PSA token appraised
//! against the draft's reference values.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "test code")]

use iot_attest::claims::Profile;
use iot_attest::ear::tv;
use iot_attest::{Error, KeyMaterial, Measurement, MemoryKeyStore, Options, Psa, Status, corim};
use iot_cose::p256::ecdsa::{SigningKey, VerifyingKey};
use iot_cose::{PrivateKey, PublicKey};

fn file(name: &str) -> Option<Vec<u8>> {
    let dir = iot_test_vectors::area("attest")?;
    Some(std::fs::read(dir.join("corim").join(name)).unwrap())
}

const IMPL_ID: &[u8; 32] = b"acme-implementation-id-000000001";
const SIGNER: &str = "5378796307535df3ec8d8b15a2e2dc5641419c3d3060cfe32238c0fa973f7aa3";
const PROT_1: &str = "9a271f2a916b0b6ee6cecb2426f0b3206ef074578be55d9bc94f6f3fe3ab86aa";
const PROT_2: &str = "a3fe9f414586c0d3cacbe3b6920a09d8718e503bca22e23fef882203bf765065";

#[test]
fn draft_psa_reference_values() {
    let Some(bytes) = file("draft-comid-psa-refval.cbor") else { return };
    let r = corim::reference_values(&bytes, None).unwrap();
    assert_eq!(r.implementation_ids, vec![IMPL_ID.to_vec()]);
    assert_eq!(r.components.len(), 1, "the two PRoT triples merge");
    let c = &r.components[0];
    assert_eq!(c.name.as_deref(), Some("PRoT"));
    assert_eq!(c.measurements, vec![hex::decode(PROT_1).unwrap(), hex::decode(PROT_2).unwrap()]);
    assert_eq!(c.signer_ids, vec![hex::decode(SIGNER).unwrap()]);
    // endorsed values carry no reference triples: nothing is accepted from them
    let Some(endval) = file("draft-comid-psa-endval.cbor") else { return };
    let e = corim::reference_values(&endval, None).unwrap();
    assert!(e.components.is_empty());
}

#[test]
fn veraison_corims() {
    for name in ["veraison-corim-1.cbor", "veraison-unsigned-good-corim.cbor"] {
        let Some(bytes) = file(name) else { return };
        let r = corim::reference_values(&bytes, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!r.components.is_empty(), "{name}");
        assert!(r.components.iter().all(|c| !c.measurements.is_empty()), "{name}");
    }
    let Some(corim1) = file("veraison-corim-1.cbor") else { return };
    let r = corim::reference_values(&corim1, None).unwrap();
    assert_eq!(
        r.components[0].measurements,
        vec![hex::decode("44aa336af4cb14a879432e53dd6571c7fa9bccafb75f488259262d6ea3a4d91b").unwrap()]
    );
}

fn jwk_key() -> Option<KeyMaterial> {
    let dir = iot_test_vectors::area("attest")?;
    let jwk = iot_test_vectors::json(&dir.join("corim/veraison-ec-p256.jwk"));
    let mut point = vec![4u8];
    point.extend(iot_test_vectors::b64url(jwk["x"].as_str().unwrap()));
    point.extend(iot_test_vectors::b64url(jwk["y"].as_str().unwrap()));
    Some(KeyMaterial::Public(PublicKey::P256(VerifyingKey::from_sec1_bytes(&point).unwrap())))
}

#[test]
fn signed_corim() {
    let (Some(bytes), Some(key)) = (file("veraison-signed-good-corim.cbor"), jwk_key()) else { return };
    let r = corim::reference_values(&bytes, Some(&key)).unwrap();
    assert!(!r.components.is_empty());
    assert!(matches!(corim::reference_values(&bytes, None), Err(Error::UnknownKey)));
    let other = KeyMaterial::Public(PrivateKey::P256(SigningKey::from_slice(&[3; 32]).unwrap()).public_key());
    assert!(matches!(corim::reference_values(&bytes, Some(&other)), Err(Error::Cose(_))));
    for i in 0..bytes.len() {
        let mut m = bytes.clone();
        m[i] ^= 1;
        assert!(corim::reference_values(&m, Some(&key)).is_err(), "flip at {i}");
    }
    for n in 0..bytes.len() {
        assert!(corim::reference_values(&bytes[..n], Some(&key)).is_err());
    }
}

#[test]
fn malformed_corims_are_refused() {
    for (bytes, what) in [
        (&[0xa0][..], "CoMID without triples"),
        (
            &[0xd9, 0x01, 0xf5, 0xa1, 0x01, 0x81, 0xd9, 0x01, 0xfa, 0x41, 0xa0][..],
            "CoMID without triples inside a CoRIM",
        ),
        (&[0xd8, 0x20, 0xa0][..], "another tag"),
        (&[0xa1, 0x04, 0xa1, 0x00, 0x81, 0x82, 0xa0, 0x81, 0xa0][..], "measurement without mval"),
        (&[0xa1, 0x04, 0xa1, 0x00, 0x81, 0x81, 0xa0][..], "triple of one element"),
    ] {
        assert!(corim::reference_values(bytes, None).is_err(), "{what}");
    }
    // 300 triples: over the bound
    let mut many = vec![0xa1, 0x04, 0xa1, 0x00, 0x99, 0x01, 0x2c];
    for _ in 0..300 {
        many.extend_from_slice(&[0x82, 0xa0, 0x80]);
    }
    assert!(matches!(corim::reference_values(&many, None), Err(Error::LimitExceeded(_))));
}

/// A PSA token whose PRoT measurement is one of the draft's reference values is affirmed; one
/// that is not, is not.
#[test]
fn appraisal_against_the_draft_reference_values() {
    let Some(bytes) = file("draft-comid-psa-refval.cbor") else { return };
    let refs = corim::reference_values(&bytes, None).unwrap();
    let key = SigningKey::from_slice(&[7; 32]).unwrap();
    let mut store = MemoryKeyStore::new();
    store.insert_ueid(&[1u8; 33], KeyMaterial::Public(PrivateKey::P256(key.clone()).public_key()));
    let appraise = |digest: &str| {
        let signer: [u8; 32] = hex::decode(SIGNER).unwrap().try_into().unwrap();
        let value: [u8; 32] = hex::decode(digest).unwrap().try_into().unwrap();
        let comps = [Measurement { name: "PRoT", version: "1.3.5", signer_id: signer, value }];
        let psa = Psa::new(&[3; 32], &[1u8; 33], IMPL_ID, -1, 0x3000, &comps);
        let token = iot_attest::sign(&psa, &key, None).unwrap();
        let v = iot_attest::verify(&token, &store, &Options::default().profile(Profile::Psa).nonce(&[3; 32])).unwrap();
        refs.appraise(&v.claims)
    };
    let good = appraise(PROT_2);
    assert_eq!(good.status, Status::Affirming, "{good:?}");
    assert!(matches!(good.trust_vector.executables, Some(tv::EXEC_APPROVED_RUNTIME | tv::EXEC_APPROVED_BOOT)));
    assert_eq!(good.trust_vector.hardware, Some(tv::HW_GENUINE));
    let bad = appraise("00000000000000000000000000000000000000000000000000000000000000ff");
    assert_ne!(bad.status, Status::Affirming, "{bad:?}");
}
