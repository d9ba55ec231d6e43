//! TPM 2.0 quotes: the real GCP quote in ../shared/vectors/attest/tpm2-quote (RSA-2048, SHA-1),
//! and ECDSA P-256 quotes made here with the TPM structures' layout.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code"
)]

use base64ct::Encoding as _;
use iot_attest::Error;
use iot_attest::tpm::{AkPublic, Quote, TpmSignature, alg, verify_quote};

fn b64(s: &str) -> Vec<u8> {
    base64ct::Base64::decode_vec(s).unwrap()
}

#[test]
fn gcp_quote_rsa_sha1() {
    let Some(d) = iot_test_vectors::area("attest") else { return };
    let j = iot_test_vectors::json(&d.join("tpm2-quote/gcp-windows-quote-rsa-sha1.json"));
    let attest = b64(j["quote_tpms_attest_b64"].as_str().unwrap());
    let sig = b64(j["signature_tpmt_signature_b64"].as_str().unwrap());
    let ak = b64(j["ak_tpmt_public_b64"].as_str().unwrap());
    let pcrs: Vec<Vec<u8>> = (0..24).map(|i| b64(j["pcrs_sha1_b64"][i.to_string()].as_str().unwrap())).collect();
    let refs: Vec<&[u8]> = pcrs.iter().map(Vec::as_slice).collect();

    let q = verify_quote(&attest, &sig, &ak, &[], &refs).unwrap();
    assert_eq!(attest.len(), 101);
    assert!(q.extra_data.is_empty());
    let sel: Vec<(u16, Vec<u32>)> = q.selected().map(|(h, p)| (h, p.collect())).collect();
    assert_eq!(sel, [(alg::SHA1, (0..24).collect::<Vec<u32>>())]);
    assert!(
        matches!(AkPublic::parse(&ak).unwrap(), AkPublic::Rsa { exponent: 65_537, modulus } if modulus.len() == 256)
    );
    assert!(matches!(TpmSignature::parse(&sig).unwrap(), TpmSignature::RsaSsa { hash: alg::SHA1, .. }));

    // A changed PCR, a nonce the quote does not carry, a flipped signature, a flipped quote byte.
    let mut other = pcrs.clone();
    other[7][0] ^= 1;
    let other: Vec<&[u8]> = other.iter().map(Vec::as_slice).collect();
    assert!(verify_quote(&attest, &sig, &ak, &[], &other).unwrap_err().to_string().contains("PCR digest"));
    assert!(matches!(verify_quote(&attest, &sig, &ak, b"nonce", &refs), Err(Error::NonceMismatch)));
    let mut s2 = sig.clone();
    *s2.last_mut().unwrap() ^= 1;
    assert!(matches!(verify_quote(&attest, &s2, &ak, &[], &refs), Err(Error::Cose(iot_cose::Error::BadSignature))));
    let mut a2 = attest.clone();
    a2[30] ^= 1;
    assert!(verify_quote(&a2, &sig, &ak, &[], &refs).is_err());
    assert!(verify_quote(&attest, &sig, &ak, &[], &refs[..23]).is_err(), "too few PCR values");
}

/// A P-256 attestation key and quote laid out as a TPM would produce them.
#[test]
fn ecdsa_p256_quote() {
    use iot_cose::p256::ecdsa::{Signature, SigningKey};
    use sha2::Digest as _;
    let sk = SigningKey::from_slice(&[0x21; 32]).unwrap();
    let point = sk.verifying_key().to_sec1_point(false);
    let pb = point.as_bytes();
    let mut ak = Vec::new();
    ak.extend(alg::ECC.to_be_bytes());
    ak.extend(alg::SHA256.to_be_bytes());
    ak.extend(0x0005_0072u32.to_be_bytes());
    ak.extend(0u16.to_be_bytes()); // empty policy
    ak.extend(alg::NULL.to_be_bytes()); // symmetric
    ak.extend(alg::ECDSA.to_be_bytes());
    ak.extend(alg::SHA256.to_be_bytes());
    ak.extend(alg::NIST_P256.to_be_bytes());
    ak.extend(alg::NULL.to_be_bytes()); // kdf
    for c in [&pb[1..33], &pb[33..]] {
        ak.extend(32u16.to_be_bytes());
        ak.extend(c);
    }
    let pcr = [[0xaau8; 32], [0xbb; 32]];
    let nonce = [7u8; 20];
    let mut q = Vec::new();
    q.extend(0xff54_4347u32.to_be_bytes());
    q.extend(0x8018u16.to_be_bytes());
    q.extend(2u16.to_be_bytes());
    q.extend([0x00, 0x0b]);
    q.extend(20u16.to_be_bytes());
    q.extend(nonce);
    q.extend(1234u64.to_be_bytes());
    q.extend(5u32.to_be_bytes());
    q.extend(6u32.to_be_bytes());
    q.push(1);
    q.extend(0x2000_0000_0000_0001u64.to_be_bytes());
    q.extend(1u32.to_be_bytes());
    q.extend(alg::SHA256.to_be_bytes());
    q.push(3);
    q.extend([0b1000_0001, 0, 0]); // PCR 0 and 7
    let digest = sha2::Sha256::new().chain_update(pcr[0]).chain_update(pcr[1]).finalize();
    q.extend(32u16.to_be_bytes());
    q.extend(digest);
    let sig: Signature = iot_cose::signature::Signer::sign(&sk, &q);
    let rs = sig.to_bytes();
    let mut s = Vec::new();
    s.extend(alg::ECDSA.to_be_bytes());
    s.extend(alg::SHA256.to_be_bytes());
    for part in [&rs[..32], &rs[32..]] {
        s.extend(32u16.to_be_bytes());
        s.extend(part);
    }
    let quote = verify_quote(&q, &s, &ak, &nonce, &[&pcr[0], &pcr[1]]).unwrap();
    assert_eq!((quote.clock, quote.reset_count, quote.restart_count, quote.safe), (1234, 5, 6, true));
    let sel: Vec<(u16, Vec<u32>)> = quote.selected().map(|(h, p)| (h, p.collect())).collect();
    assert_eq!(sel, [(alg::SHA256, vec![0, 7])]);
    assert!(verify_quote(&q, &s, &ak, &nonce, &[&pcr[1], &pcr[0]]).is_err(), "order matters");
    // Every truncation is an error, never a panic.
    for n in 0..q.len() {
        assert!(Quote::parse(&q[..n]).is_err());
    }
    for n in 0..ak.len() {
        assert!(AkPublic::parse(&ak[..n]).is_err());
    }
}
