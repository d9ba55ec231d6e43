//! Public-API behaviour: sign / verify round trips for every algorithm and option, hardware-key
//! adapters and their failure path, keys, and property tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code"
)]

use iot_cose::{
    Algorithm, ContentType, CoseKey, CoseMac0, CoseSign1, CoseSigner, Error, Headers, HmacKey, KeyError, KeyMaterial,
    Label, Mac0Builder, Multipart, Prehashed, PrivateKey, PublicKey, Sign1Builder, SymmetricKey, VerifyOptions,
    ed25519_dalek, p256, signature,
};
use proptest::prelude::*;

fn es256() -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_slice(&[0x11; 32]).unwrap()
}

fn ed() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[0x22; 32])
}

#[test]
fn sign_verify_all_options() {
    let es = es256();
    let ed = ed();
    let other: [(Label<'_>, &[u8]); 1] = [(Label::Int(-65537), b"\x43abc")];
    for detached in [false, true] {
        for tagged in [false, true] {
            let b = Sign1Builder::new(b"payload")
                .protected(Headers::default().content_type(ContentType::Format(60)).other(&other))
                .unprotected(Headers::default().kid(b"kid-1"))
                .detached(detached)
                .tagged(tagged)
                .external_aad(b"aad");
            for msg in [b.sign(&es).unwrap(), b.sign(&ed).unwrap()] {
                let m = CoseSign1::decode(&msg).unwrap();
                assert_eq!(m.is_tagged(), tagged);
                assert_eq!(m.is_detached(), detached);
                assert_eq!(m.kid(), Some(&b"kid-1"[..]));
                assert_eq!(m.content_type(), Some(ContentType::Format(60)));
                assert_eq!(m.protected().map.get(Label::Int(-65537)), Some(&b"\x43abc"[..]));
                let payload = if detached { Some(&b"payload"[..]) } else { None };
                let opts = VerifyOptions::default().require_protected_alg(true);
                let r = match m.protected().map.alg() {
                    Some(Label::Int(-7)) => m.verify_with(es.verifying_key(), payload, b"aad", &opts),
                    _ => m.verify_with(&ed.verifying_key(), payload, b"aad", &opts),
                };
                let v = r.unwrap();
                assert_eq!(v.payload(), if detached { None } else { Some(&b"payload"[..]) });
                // wrong AAD
                let r = match v.alg() {
                    Algorithm::ES256 => m.verify_with(es.verifying_key(), payload, b"AAD", &opts),
                    _ => m.verify_with(&ed.verifying_key(), payload, b"AAD", &opts),
                };
                assert!(matches!(r, Err(Error::BadSignature)));
            }
        }
    }
}

#[test]
fn builder_refuses_a_label_in_both_buckets() {
    let es = es256();
    let alg_again: [(Label<'_>, &[u8]); 1] = [(Label::Int(1), b"\x26")];
    let both_kid =
        Sign1Builder::new(b"x").protected(Headers::default().kid(b"a")).unprotected(Headers::default().kid(b"b"));
    assert!(matches!(both_kid.sign(&es), Err(Error::DuplicateHeader)));
    let alg_unprotected = Sign1Builder::new(b"x").unprotected(Headers::default().other(&alg_again));
    assert!(matches!(alg_unprotected.sign(&es), Err(Error::DuplicateHeader)));
    let alg_in_other = Sign1Builder::new(b"x").protected(Headers::default().other(&alg_again));
    assert!(matches!(alg_in_other.sign(&es), Err(Error::DuplicateHeader)));
    let text: [(Label<'_>, &[u8]); 1] = [(Label::Text("t"), b"\x01")];
    let same_text =
        Sign1Builder::new(b"x").protected(Headers::default().other(&text)).unprotected(Headers::default().other(&text));
    assert!(matches!(same_text.sign(&es), Err(Error::DuplicateHeader)));
    // kid protected only is fine, and verifies
    let ok = Sign1Builder::new(b"x").protected(Headers::default().kid(b"a")).sign(&es).unwrap();
    assert_eq!(CoseSign1::decode(&ok).unwrap().verify(es.verifying_key(), b"").unwrap().kid(), Some(&b"a"[..]));
}

#[cfg(feature = "aws-lc-rs")]
#[test]
fn aws_lc_backend_agrees_with_pure_rust() {
    let es = es256();
    let fast = iot_cose::aws_lc::Es256VerifyingKey::from_p256(es.verifying_key()).unwrap();
    // Both paths: Sig_structures up to 512 bytes are verified in one call, longer ones streamed.
    for n in [0usize, 1, 63, 64, 65, 480, 488, 490, 492, 494, 496, 500, 512, 1000] {
        let payload = vec![0x5au8; n];
        let msg = Sign1Builder::new(&payload).external_aad(b"aad").sign(&es).unwrap();
        let m = CoseSign1::decode(&msg).unwrap();
        assert_eq!(m.verify(&fast, b"aad").unwrap().payload(), Some(&payload[..]));
        assert!(matches!(m.verify(&fast, b"other"), Err(Error::BadSignature)));
        let mut bad = msg.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(matches!(CoseSign1::decode(&bad).unwrap().verify(&fast, b"aad"), Err(Error::BadSignature)));
    }
    assert!(matches!(iot_cose::aws_lc::Es256VerifyingKey::from_sec1(&[4u8; 65]), Err(KeyError::InvalidKey)));
}

#[test]
fn sign_into_matches_sign_and_reports_small_buffers() {
    let es = es256();
    let b = Sign1Builder::new(b"abc");
    let v = b.sign(&es).unwrap();
    let mut buf = [0u8; 256];
    let n = b.sign_into(&es, &mut buf).unwrap();
    assert_eq!(&buf[..n], &v[..], "RFC 6979 signatures are deterministic");
    for short in [0, 1, n - 65, n - 1] {
        let mut small = vec![0u8; short];
        assert!(matches!(b.sign_into(&es, &mut small), Err(Error::BufferTooSmall(_))), "{short}");
    }
}

#[test]
fn two_phase_remote_signing() {
    let es = es256();
    let b = Sign1Builder::new(b"remote").unprotected(Headers::default().kid(b"kms-key"));
    let tbs = b.to_be_signed(Algorithm::ES256).unwrap();
    let sig: p256::ecdsa::Signature = signature::Signer::sign(&es, &tbs);
    let msg = b.with_signature(Algorithm::ES256, &sig.to_bytes()).unwrap();
    let m = CoseSign1::decode(&msg).unwrap();
    assert_eq!(m.sig_structure(None, b"").unwrap(), tbs);
    m.verify(es.verifying_key(), b"").unwrap();
}

#[test]
fn esp256_and_ed25519_fully_specified_ids() {
    struct Esp(p256::ecdsa::SigningKey);
    impl CoseSigner for Esp {
        type Signature = p256::ecdsa::Signature;
        fn try_sign_parts(&self, msg: &[&[u8]]) -> Result<Self::Signature, signature::Error> {
            self.0.try_sign_parts(msg)
        }
        fn algorithm(&self) -> Algorithm {
            Algorithm::ESP256
        }
    }
    let msg = Sign1Builder::new(b"x").sign(&Esp(es256())).unwrap();
    assert_eq!(CoseSign1::decode(&msg).unwrap().verify(es256().verifying_key(), b"").unwrap().alg(), Algorithm::ESP256);
    // A signer that claims an algorithm of another family is refused before signing.
    struct Liar;
    impl CoseSigner for Liar {
        type Signature = p256::ecdsa::Signature;
        fn try_sign_parts(&self, _: &[&[u8]]) -> Result<Self::Signature, signature::Error> {
            unreachable!("must not be asked to sign")
        }
        fn algorithm(&self) -> Algorithm {
            Algorithm::EDDSA
        }
    }
    assert!(matches!(Sign1Builder::new(b"x").sign(&Liar), Err(Error::AlgorithmMismatch { expected: -7, actual: -8 })));
}

/// A secure element that has failed: every signature attempt errors.
struct BrokenHsm;
impl signature::hazmat::PrehashSigner<p256::ecdsa::Signature> for BrokenHsm {
    fn sign_prehash(&self, _: &[u8]) -> Result<p256::ecdsa::Signature, signature::Error> {
        Err(signature::Error::new())
    }
}

#[test]
fn hardware_adapters_and_failure_path() {
    // Prehashed digest signer: the device gets a 32-byte digest
    let msg = Sign1Builder::new(b"se").sign(&Prehashed::new(es256())).unwrap();
    CoseSign1::decode(&msg).unwrap().verify(es256().verifying_key(), b"").unwrap();
    // Multipart adapter over RustCrypto traits, both directions
    let signer = Multipart::<_, ed25519_dalek::Signature>::new(ed());
    let msg = Sign1Builder::new(b"mp").sign(&signer).unwrap();
    let verifier = Multipart::<_, ed25519_dalek::Signature>::new(ed().verifying_key());
    CoseSign1::decode(&msg).unwrap().verify(&verifier, b"").unwrap();
    // Contiguous adapter over a plain Signer
    let msg = Sign1Builder::new(b"hsm").sign(&iot_cose::Contiguous::<_, p256::ecdsa::Signature>::new(es256())).unwrap();
    CoseSign1::decode(&msg).unwrap().verify(es256().verifying_key(), b"").unwrap();
    // The failing HSM: an error, never a panic, never output
    let mut buf = [0u8; 128];
    assert!(matches!(Sign1Builder::new(b"x").sign(&Prehashed::new(BrokenHsm)), Err(Error::Signing(_))));
    assert!(matches!(Sign1Builder::new(b"x").sign_into(&Prehashed::new(BrokenHsm), &mut buf), Err(Error::Signing(_))));
}

#[test]
fn mac0_round_trip_and_wrong_key() {
    let k = HmacKey::new(&[1u8; 32]);
    for alg in [Algorithm::HMAC_256_256, Algorithm::HMAC_256_64] {
        let msg = Mac0Builder::new(b"t").algorithm(alg).external_aad(b"a").mac(&k).unwrap();
        let v = CoseMac0::decode(&msg).unwrap().verify(&k, b"a").unwrap();
        assert_eq!((v.alg(), v.payload()), (alg, Some(&b"t"[..])));
        let other = HmacKey::new(&[2u8; 32]);
        assert!(matches!(CoseMac0::decode(&msg).unwrap().verify(&other, b"a"), Err(Error::BadSignature)));
    }
    assert!(matches!(
        Mac0Builder::new(b"t").algorithm(Algorithm::ES256).mac(&k),
        Err(Error::UnsupportedAlgorithm { alg: Some(-7) })
    ));
    assert_eq!(format!("{k:?}"), "HmacKey(32 bytes, redacted)");
}

#[test]
fn keys_pem_and_cose_key_round_trip() {
    for alg in [Algorithm::ES256, Algorithm::EDDSA] {
        let k = PrivateKey::generate(alg).unwrap();
        let pem = k.to_pem().unwrap();
        let k2 = PrivateKey::from_pem(&pem).unwrap();
        assert_eq!(k.public_key(), k2.public_key());
        let pub_pem = k.public_key().to_pem().unwrap();
        assert_eq!(PublicKey::from_pem(&pub_pem).unwrap(), k.public_key());
        assert!(PublicKey::from_pem(&pem).is_err(), "a private PEM is not a public key");
        let ck = CoseKey::decode(&k.public_key().to_cose_key(Some(b"kid"))).unwrap();
        assert_eq!(ck.kid.as_deref(), Some(&b"kid"[..]));
        assert!(matches!(ck.material, KeyMaterial::Public(ref p) if *p == k.public_key()));
        let ck = CoseKey::decode(&k.to_cose_key(None)).unwrap();
        assert!(matches!(ck.material, KeyMaterial::Private(ref p) if p.public_key() == k.public_key()));
        // Debug never shows the private key
        let dbg = format!("{k:?}");
        assert!(!dbg.contains(&hex::encode(&k.to_cose_key(None)[..])), "{dbg}");
        // the key signs and its public half verifies through the enum dispatch
        let msg = k.sign1(&Sign1Builder::new(b"m")).unwrap();
        let m = CoseSign1::decode(&msg).unwrap();
        k.public_key().verify_sign1(&m, None, b"", &VerifyOptions::default()).unwrap();
    }
    let s = SymmetricKey::new(&[7u8; 32]);
    let ck = CoseKey::decode(&s.to_cose_key(Some(b"s"), Some(Algorithm::HMAC_256_256))).unwrap();
    assert!(matches!(ck.material, KeyMaterial::Symmetric(ref k) if k.as_bytes() == [7u8; 32]));
    assert!(!format!("{s:?}").contains("07"));
}

#[test]
fn cose_key_rejections() {
    let h = |s: &str| hex::decode(s.replace(' ', "")).unwrap();
    // not a map
    assert!(matches!(CoseKey::decode(&h("80")), Err(KeyError::Malformed(_))));
    // no kty
    assert!(matches!(CoseKey::decode(&h("a1 20 01")), Err(KeyError::MissingParameter { label: 1 })));
    // duplicate kty
    assert!(matches!(CoseKey::decode(&h("a2 01 02 01 02")), Err(KeyError::InvalidParameter { label: 1 })));
    // EC2 P-384 (crv 2)
    let x = "5820".to_owned() + &"00".repeat(32);
    // (supported with feature p384: 32-byte coordinates are the wrong size for it)
    let r = CoseKey::decode(&h(&format!("a4 01 02 20 02 21 {x} 22 {x}")));
    if cfg!(feature = "p384") {
        assert!(matches!(r, Err(KeyError::InvalidParameter { .. })), "{r:?}");
    } else {
        assert!(matches!(r, Err(KeyError::Unsupported)), "{r:?}");
    }
    // EC2 P-256 with a point not on the curve
    assert!(matches!(CoseKey::decode(&h(&format!("a4 01 02 20 01 21 {x} 22 {x}"))), Err(KeyError::InvalidKey)));
    // EC2 P-256 without y
    assert!(matches!(
        CoseKey::decode(&h(&format!("a3 01 02 20 01 21 {x}"))),
        Err(KeyError::MissingParameter { label: -3 })
    ));
    // OKP Ed25519 small-order (identity) point: rejected as weak
    let ident = "5820 01".to_owned() + &"00".repeat(31);
    assert!(matches!(CoseKey::decode(&h(&format!("a3 01 01 20 06 21 {ident}"))), Err(KeyError::InvalidKey)));
    // Symmetric key with alg ES256
    assert!(matches!(CoseKey::decode(&h("a3 01 04 20 41 00 03 26")), Err(KeyError::InvalidParameter { label: 3 })));
    // private key whose d does not match x
    let k = PrivateKey::generate(Algorithm::EDDSA).unwrap();
    let mut enc = k.to_cose_key(None).to_vec();
    let last = enc.len() - 1;
    enc[last] ^= 1;
    assert!(matches!(CoseKey::decode(&enc), Err(KeyError::InvalidKey)));
    // trailing bytes
    let mut enc = k.public_key().to_cose_key(None);
    enc.push(0);
    assert!(matches!(CoseKey::decode(&enc), Err(KeyError::Malformed(_))));
    assert!(matches!(PrivateKey::generate(Algorithm(-35)), Err(KeyError::Unsupported)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// decode(encode(x)) gives back every field, and verification succeeds, for arbitrary inputs.
    #[test]
    fn sign1_round_trip(payload in proptest::collection::vec(any::<u8>(), 0..300),
                       kid in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
                       aad in proptest::collection::vec(any::<u8>(), 0..40),
                       detached: bool, tagged: bool, ct in proptest::option::of(any::<u16>())) {
        let es = es256();
        let mut unprotected = Headers::default();
        if let Some(k) = &kid { unprotected = unprotected.kid(k); }
        let mut protected = Headers::default();
        if let Some(c) = ct { protected = protected.content_type(ContentType::Format(u64::from(c))); }
        let msg = Sign1Builder::new(&payload).protected(protected).unprotected(unprotected)
            .detached(detached).tagged(tagged).external_aad(&aad).sign(&es).unwrap();
        let m = CoseSign1::decode(&msg).unwrap();
        prop_assert_eq!(m.kid(), kid.as_deref());
        prop_assert_eq!(m.content_type(), ct.map(|c| ContentType::Format(u64::from(c))));
        prop_assert_eq!(m.unverified_payload(), if detached { None } else { Some(&payload[..]) });
        let mut again = Vec::new();
        m.encode(&mut again).unwrap();
        prop_assert_eq!(&again, &msg);
        let det = if detached { Some(&payload[..]) } else { None };
        m.verify_with(es.verifying_key(), det, &aad, &VerifyOptions::default()).unwrap();
    }

    /// Arbitrary bytes never panic the decoders or verifiers.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(m) = CoseSign1::decode(&bytes) {
            let _ = m.verify_with(es256().verifying_key(), Some(b"p"), b"", &VerifyOptions::default());
            let _ = m.verify(&ed().verifying_key(), b"");
        }
        if let Ok(m) = CoseMac0::decode(&bytes) {
            let _ = m.verify(&HmacKey::new(&[0; 32]), b"");
        }
        let _ = CoseKey::decode(&bytes);
    }

    /// Flipping any bit of a signed message makes verification fail (or decoding).
    #[test]
    fn any_bit_flip_is_rejected(byte in 0usize..120, bit in 0u8..8) {
        let es = es256();
        let msg = Sign1Builder::new(b"firmware").unprotected(Headers::default().kid(b"k")).sign(&es).unwrap();
        let mut bad = msg.clone();
        let i = byte % bad.len();
        bad[i] ^= 1 << bit;
        let r = CoseSign1::decode(&bad).and_then(|m| m.verify(es.verifying_key(), b"").map(|_| ()));
        // The only flips that may still verify are ones that leave the signed content intact:
        // the tag byte (0xd2 -> 0xd3 is another tag, rejected) and kid bytes in the unprotected map.
        if r.is_ok() {
            let m = CoseSign1::decode(&bad).unwrap();
            prop_assert_eq!(m.unverified_payload(), Some(&b"firmware"[..]));
            prop_assert!(m.kid() != Some(&b"k"[..]), "an unauthenticated header changed, nothing else");
        }
    }
}

/// HMAC 384/384 and 512/512 (RFC 9053 section 3.1): RFC 4231 test case 2 for the primitives, then
/// Mac0 round trips, and a key that only does SHA-256 refusing them.
#[cfg(feature = "hmac-sha512")]
mod hmac_384_512 {
    use iot_cose::{Algorithm, CoseMac0, Error, HmacKey, Mac0Builder, MacKey};

    #[test]
    fn rfc4231_case_2() {
        let k = HmacKey::new(b"Jefe");
        let msg: &[&[u8]] = &[b"what do ya ", b"want for nothing?"];
        assert_eq!(
            hex::encode(k.hmac_sha384(msg).unwrap()),
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"
        );
        assert_eq!(
            hex::encode(k.hmac_sha512(msg).unwrap()),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        );
    }

    #[test]
    fn mac0_round_trips() {
        let key = HmacKey::new(&[0x0b; 64]);
        for (alg, len) in [(Algorithm::HMAC_384_384, 48), (Algorithm::HMAC_512_512, 64)] {
            let mut buf = [0u8; 256];
            let n = Mac0Builder::new(b"payload").algorithm(alg).mac_into(&key, &mut buf).unwrap();
            let msg = CoseMac0::decode(&buf[..n]).unwrap();
            assert_eq!(msg.tag().len(), len);
            let v = msg.verify(&key, &[]).unwrap();
            assert_eq!(v.alg(), alg);
            assert_eq!(v.payload(), Some(&b"payload"[..]));
            assert!(matches!(msg.verify(&HmacKey::new(&[0x0c; 64]), &[]), Err(Error::BadSignature)));
            let mut bad = buf[..n].to_vec();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(matches!(CoseMac0::decode(&bad).unwrap().verify(&key, &[]), Err(Error::BadSignature)));
        }
    }

    /// A hardware key with only HMAC-SHA-256.
    struct Sha256Only;
    impl MacKey for Sha256Only {
        fn hmac_sha256(&self, msg: &[&[u8]]) -> Result<[u8; 32], signature::Error> {
            HmacKey::new(&[0x0b; 64]).hmac_sha256(msg)
        }
    }

    #[test]
    fn keys_without_the_hash_refuse() {
        let mut buf = [0u8; 256];
        let r = Mac0Builder::new(b"p").algorithm(Algorithm::HMAC_384_384).mac_into(&Sha256Only, &mut buf);
        assert!(matches!(r, Err(Error::Signing(_))), "{r:?}");
        let n = Mac0Builder::new(b"p")
            .algorithm(Algorithm::HMAC_512_512)
            .mac_into(&HmacKey::new(&[0x0b; 64]), &mut buf)
            .unwrap();
        assert!(matches!(CoseMac0::decode(&buf[..n]).unwrap().verify(&Sha256Only, &[]), Err(Error::BadSignature)));
        // and HMAC 256/256 still works with it
        let n = Mac0Builder::new(b"p").mac_into(&Sha256Only, &mut buf).unwrap();
        CoseMac0::decode(&buf[..n]).unwrap().verify(&HmacKey::new(&[0x0b; 64]), &[]).unwrap();
    }
}

/// ES384 (RFC 9053 section 2.1): P-384 keys sign through `CoseSigner`, verify through
/// `PublicKey::P384` from COSE_Key and PEM, and bind only to ES384 / ESP384.
#[cfg(all(feature = "p384", feature = "p256"))]
mod es384 {
    use iot_cose::{Algorithm, CoseKey, CoseSign1, Error, KeyMaterial, PublicKey, Sign1Builder, VerifyOptions};

    fn key() -> p384::ecdsa::SigningKey {
        p384::ecdsa::SigningKey::from_slice(&[0x2a; 48]).unwrap()
    }

    #[test]
    fn sign_and_verify() {
        let sk = key();
        let msg = Sign1Builder::new(b"evidence").sign(&sk).unwrap();
        let m = CoseSign1::decode(&msg).unwrap();
        assert_eq!(m.signature().len(), 96);
        let vk = *sk.verifying_key();
        assert_eq!(m.verify(&vk, &[]).unwrap().alg(), Algorithm::ES384);
        let public = PublicKey::P384(vk);
        assert_eq!(public.algorithm(), Algorithm::ES384);
        assert!(public.accepts(Algorithm::ESP384) && !public.accepts(Algorithm::ES256));
        public.verify_sign1(&m, None, &[], &VerifyOptions::default()).unwrap();
        // through COSE_Key and PEM
        let ck = public.to_cose_key(Some(b"k384"));
        let KeyMaterial::Public(back) = CoseKey::decode(&ck).unwrap().material else { panic!() };
        assert_eq!(back, public);
        assert_eq!(PublicKey::from_pem(&public.to_pem().unwrap()).unwrap(), public);
        // a P-256 key does not verify it (algorithm bound to the key), nor another P-384 key
        let p256 = PublicKey::P256(*p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap().verifying_key());
        assert!(p256.verify_sign1(&m, None, &[], &VerifyOptions::default()).is_err());
        let other = p384::ecdsa::SigningKey::from_slice(&[0x2b; 48]).unwrap();
        assert!(matches!(m.verify(other.verifying_key(), &[]), Err(Error::BadSignature)));
        // and an ES256 message is not accepted by a P-384 key
        let es256 = Sign1Builder::new(b"x").sign(&p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap()).unwrap();
        assert!(
            public.verify_sign1(&CoseSign1::decode(&es256).unwrap(), None, &[], &VerifyOptions::default()).is_err()
        );
    }

    #[test]
    fn cose_key_p384_refusals() {
        let public = PublicKey::P384(*key().verifying_key());
        let good = public.to_cose_key(None);
        // a 32-byte x for crv 2: refused; a private P-384 COSE_Key: not supported
        let mut short = good.clone();
        let at = short.windows(2).position(|w| w == [0x58, 0x30]).unwrap();
        short[at + 1] = 0x20;
        short.drain(at + 2..at + 2 + 16);
        assert!(CoseKey::decode(&short).is_err());
        let mut private = good.clone();
        private[0] += 1;
        private.extend_from_slice(&[0x23, 0x58, 0x30]);
        private.extend_from_slice(&[1; 48]);
        assert!(CoseKey::decode(&private).is_err());
    }
}

/// ES512 (RFC 9053 section 2.1): as ES384, for P-521.
#[cfg(all(feature = "p521", feature = "p256"))]
mod es512 {
    use iot_cose::{Algorithm, CoseKey, CoseSign1, Error, KeyMaterial, PublicKey, Sign1Builder, VerifyOptions};

    #[test]
    fn sign_and_verify() {
        let sk = p521::ecdsa::SigningKey::from_slice(&[[1u8].as_slice(), &[0x2a; 65]].concat()).unwrap();
        let msg = Sign1Builder::new(b"evidence").sign(&sk).unwrap();
        let m = CoseSign1::decode(&msg).unwrap();
        assert_eq!(m.signature().len(), 132);
        let vk = *sk.verifying_key();
        assert_eq!(m.verify(&vk, &[]).unwrap().alg(), Algorithm::ES512);
        let public = PublicKey::P521(vk);
        assert!(public.accepts(Algorithm::ESP512) && !public.accepts(Algorithm::ES384));
        public.verify_sign1(&m, None, &[], &VerifyOptions::default()).unwrap();
        let ck = public.to_cose_key(None);
        let KeyMaterial::Public(back) = CoseKey::decode(&ck).unwrap().material else { panic!() };
        assert_eq!(back, public);
        assert_eq!(PublicKey::from_pem(&public.to_pem().unwrap()).unwrap(), public);
        let other = p521::ecdsa::SigningKey::from_slice(&[[1u8].as_slice(), &[0x2b; 65]].concat()).unwrap();
        assert!(matches!(m.verify(other.verifying_key(), &[]), Err(Error::BadSignature)));
        let p384 = PublicKey::P384(*p384::ecdsa::SigningKey::from_slice(&[0x2a; 48]).unwrap().verifying_key());
        assert!(p384.verify_sign1(&m, None, &[], &VerifyOptions::default()).is_err());
    }
}
