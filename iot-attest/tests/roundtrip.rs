//! Device writes, cloud verifies and appraises: round trips, rejections, freshness.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    reason = "test code"
)]

use iot_attest::claims::{PROFILE_CONSTRAINED, Profile};
use iot_attest::ear::tv;
use iot_attest::{
    Claims, ClaimsSet as _, DebugStatus, Ear, Eat, Error, Evidence, KeyMaterial, MeasuredBoot, Measurement,
    MemoryKeyStore, MemoryNonceStore, NonceStore as _, OemId, Options, Psa, ReferenceValues, Status, SubmodOut,
    Version,
};
use iot_cose::ed25519_dalek::SigningKey as EdKey;
use iot_cose::p256::ecdsa::SigningKey as P256Key;
use iot_cose::{CoseSigner, HmacKey, PrivateKey};
use proptest::prelude::*;

fn p256() -> P256Key {
    P256Key::from_slice(&[7u8; 32]).unwrap()
}

fn ed25519() -> EdKey {
    EdKey::from_bytes(&[9u8; 32])
}

fn public(k: &P256Key) -> KeyMaterial {
    KeyMaterial::Public(PrivateKey::P256(k.clone()).public_key())
}

fn ed_public(k: &EdKey) -> iot_cose::PublicKey {
    PrivateKey::Ed25519(k.clone()).public_key()
}

fn boot_log() -> MeasuredBoot<'static, 4> {
    let mut log = MeasuredBoot::new();
    log.record(Measurement::of("BL2", "1.2.0", [0xb1; 32], b"second stage bootloader")).unwrap();
    log.record(Measurement::of("app", "2.0.1", [0xa1; 32], b"application v2.0.1")).unwrap();
    log
}

#[test]
fn measured_boot_log() {
    let log = boot_log();
    assert_eq!(log.len(), 2);
    let entries: Vec<_> = log.entries().copied().collect();
    assert_eq!(MeasuredBoot::<4>::replay(&entries), *log.register());
    // Order matters.
    let swapped = [entries[1], entries[0]];
    assert_ne!(MeasuredBoot::<4>::replay(&swapped), *log.register());
    // Capacity is enforced and the register is left alone.
    let mut small: MeasuredBoot<'_, 1> = MeasuredBoot::new();
    small.record(entries[0]).unwrap();
    let before = *small.register();
    assert!(matches!(small.record(entries[1]), Err(Error::Full(_))));
    assert_eq!(*small.register(), before);
}

#[test]
fn eat_all_claims_round_trip() {
    let log = boot_log();
    let comps: Vec<_> = log.entries().copied().collect();
    let nonce = [0x5a; 16];
    let ueid = [1u8; 17];
    let inner = Eat { swname: Some("TEE"), ..Eat::default() };
    let subs = [("tee", SubmodOut::Claims(&inner)), ("radio", SubmodOut::Digest(-16, &[3u8; 32]))];
    let eat = Eat {
        iss: Some("device-42"),
        iat: Some(1_700_000_000),
        exp: Some(1_700_000_600),
        nonce: Some(&nonce),
        ueid: Some(&ueid),
        oemid: Some(OemId::Pen(64242)),
        hwmodel: Some(b"model-x"),
        hwversion: Some(Version { version: "1.0", scheme: Some(1) }),
        uptime: Some(42),
        oemboot: Some(true),
        dbgstat: Some(DebugStatus::DisabledPermanently),
        location: Some((48.5, 9.25)),
        profile: Some(PROFILE_CONSTRAINED),
        submods: &subs,
        bootcount: Some(7),
        bootseed: Some(&[8u8; 16]),
        swname: Some("fw"),
        swversion: Some(Version { version: "2.0.1", scheme: None }),
        measurements: &comps,
        intuse: Some(2),
        extra: &[(-70000, b"\x63abc")],
        ..Eat::default()
    };
    check_eat(&eat, &p256(), &public(&p256()), &ueid, &comps);
    check_eat(&eat, &ed25519(), &KeyMaterial::Public(ed_public(&ed25519())), &ueid, &comps);
}

fn check_eat<S: CoseSigner>(eat: &Eat<'_>, key: &S, pk: &KeyMaterial, ueid: &[u8], comps: &[Measurement<'_>]) {
    let nonce = eat.nonce.unwrap();
    {
        let mut buf = [0u8; 1024];
        let n = iot_attest::sign_into(eat, key, Some(b"dev-1"), &mut buf).unwrap();
        let token = &buf[..n];
        let v = Evidence::decode(token)
            .unwrap()
            .verify_with_key(pk, &Options::default().nonce(nonce).now(1_700_000_100))
            .unwrap();
        let c = v.claims;
        assert_eq!(c.profile, Profile::Constrained, "preferred serialization passes the strict profile");
        assert_eq!(c.iss, Some("device-42"));
        assert_eq!(c.ueid, Some(ueid));
        assert_eq!(c.oemid, Some(OemId::Pen(64242)));
        assert_eq!(c.hwmodel, Some(&b"model-x"[..]));
        assert_eq!(c.uptime, Some(42));
        assert_eq!(c.bootcount, Some(7));
        assert_eq!(c.dbgstat, Some(DebugStatus::DisabledPermanently));
        assert_eq!(c.location.unwrap().latitude, 48.5);
        assert_eq!(c.swversion.unwrap().version, "2.0.1");
        assert_eq!(c.intuse, Some(2));
        assert_eq!(c.unknown_count, 1);
        let got: Vec<_> =
            c.components().map(|x| (x.name.unwrap(), x.version.unwrap(), x.measurement.to_vec())).collect();
        assert_eq!(got, comps.iter().map(|m| (m.name, m.version, m.value.to_vec())).collect::<Vec<_>>());
        assert_eq!(c.submods().count(), 2);
        // Expired / not-yet-valid.
        let ev = Evidence::decode(token).unwrap();
        assert!(matches!(ev.verify_with_key(pk, &Options::default().now(1_700_000_600)), Err(Error::Expired)));
        // The encoding is deterministic: the same claims give the same bytes.
        let mut a = [0u8; 1024];
        let mut b = [0u8; 1024];
        assert_eq!(eat.encode_into(&mut a).unwrap(), eat.encode_into(&mut b).unwrap());
        assert_eq!(a, b);
    }
}

#[test]
fn writer_refuses_what_verifiers_refuse() {
    let mut buf = [0u8; 512];
    let key = p256();
    let short = Eat { nonce: Some(&[1u8; 7]), ..Eat::default() };
    assert!(matches!(
        iot_attest::sign_into(&short, &key, None, &mut buf),
        Err(Error::InvalidClaim { claim: "eat_nonce", .. })
    ));
    let unsorted = Eat { extra: &[(-70001, b"\x00"), (-70000, b"\x00")], ..Eat::default() };
    assert!(iot_attest::sign_into(&unsorted, &key, None, &mut buf).is_err());
    let clash = Eat { uptime: Some(1), extra: &[(261, b"\x00")], ..Eat::default() };
    assert!(iot_attest::sign_into(&clash, &key, None, &mut buf).is_err());
    let comps = [Measurement::of("x", "", [0; 32], b"x")];
    let mut psa = Psa::new(&[0u8; 32], &[1u8; 33], &[2u8; 32], 1, 0x3000, &comps);
    psa.lifecycle = 0x7000;
    assert!(iot_attest::sign_into(&psa, &key, None, &mut buf).is_err());
    let bad_ueid = [2u8; 33];
    let psa = Psa::new(&[0u8; 32], &bad_ueid, &[2u8; 32], 1, 0x3000, &comps);
    assert!(iot_attest::sign_into(&psa, &key, None, &mut buf).is_err());
    // Too small a buffer is an error, not a panic.
    let ok = Eat { nonce: Some(&[1u8; 8]), ..Eat::default() };
    for len in 0..60 {
        let mut small = vec![0u8; len];
        assert!(matches!(iot_attest::sign_into(&ok, &key, None, &mut small), Err(Error::BufferTooSmall)), "len {len}");
    }
}

fn psa_token(key: &P256Key, nonce: &[u8], comps: &[Measurement<'_>]) -> Vec<u8> {
    let mut psa = Psa::new(nonce, &[1u8; 33], &[0x11; 32], -1, 0x3000, comps);
    psa.certification_reference = Some("1234567890123-12345");
    psa.boot_seed = Some(&[5u8; 8]);
    iot_attest::sign(&psa, key, None).unwrap()
}

#[test]
fn psa_round_trip_and_appraisal() {
    let log = boot_log();
    let comps: Vec<_> = log.entries().copied().collect();
    let key = p256();
    let token = psa_token(&key, &[3u8; 32], &comps);
    let mut store = MemoryKeyStore::new();
    store.insert_ueid(&[1u8; 33], public(&key));
    let v = iot_attest::verify(&token, &store, &Options::default().profile(Profile::Psa).nonce(&[3u8; 32])).unwrap();
    assert_eq!(v.claims.profile, Profile::Psa);
    assert_eq!(v.claims.client_id, Some(-1));
    assert_eq!(v.claims.components().count(), 2);
    // Unknown device.
    assert!(matches!(iot_attest::verify(&token, &MemoryKeyStore::new(), &Options::default()), Err(Error::UnknownKey)));

    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let refs = |bl_meas: &str, min: &str, denied: &str| {
        ReferenceValues::from_json(&format!(
            r#"{{"name":"dev","policy_id":"p1","implementation_ids":["{}"],
                "components":[{{"name":"BL2","measurements":["{bl_meas}"],"min_version":"{min}","denied":[{denied}],"required":true}},
                              {{"name":"app","signer_ids":["{}"]}}]}}"#,
            hex(&[0x11; 32]),
            hex(&[0xa1; 32])
        ))
        .unwrap()
    };
    let good = hex(&comps[0].value);
    let a = refs(&good, "1.0.0", "").appraise(&v.claims);
    assert_eq!(a.status, Status::Affirming, "{a:?}");
    assert_eq!(a.trust_vector.executables, Some(tv::EXEC_APPROVED_RUNTIME));
    assert_eq!(a.trust_vector.hardware, Some(tv::HW_GENUINE));
    assert_eq!(a.trust_vector.configuration, Some(tv::CONFIG_APPROVED));
    assert_eq!(a.policy_ids, ["p1"]);
    let a = refs(&hex(&[0; 32]), "1.0.0", "").appraise(&v.claims);
    assert_eq!((a.status, a.trust_vector.executables), (Status::Warning, Some(tv::EXEC_UNRECOGNIZED)));
    let a = refs(&good, "1.10.0", "").appraise(&v.claims);
    assert_eq!((a.status, a.trust_vector.executables), (Status::Warning, Some(tv::EXEC_VULNERABLE)));
    let a = refs(&good, "1.0.0", &format!("\"{good}\"")).appraise(&v.claims);
    assert_eq!((a.status, a.trust_vector.executables), (Status::Contraindicated, Some(tv::EXEC_CONTRAINDICATED)));
    let other_hw =
        ReferenceValues::from_json(&format!(r#"{{"implementation_ids":["{}"]}}"#, hex(&[0x22; 32]))).unwrap();
    assert_eq!(other_hw.appraise(&v.claims).status, Status::Contraindicated);
    // A component nobody listed is unrecognized unless allowed.
    let only_bl =
        ReferenceValues::from_json(&format!(r#"{{"components":[{{"name":"BL2","measurements":["{good}"]}}]}}"#))
            .unwrap();
    assert_eq!(only_bl.appraise(&v.claims).status, Status::Warning);
    let lenient = ReferenceValues::from_json(&format!(
        r#"{{"allow_unknown_components":true,"components":[{{"name":"BL2","measurements":["{good}"]}}]}}"#
    ))
    .unwrap();
    assert_eq!(lenient.appraise(&v.claims).status, Status::Affirming);
    assert!(ReferenceValues::from_json("[1]").is_err());
    assert!(ReferenceValues::from_json(r#"{"components":[{"measurements":["zz"]}]}"#).is_err());

    // The EAR, signed by the verifier, round-trips and is refused once expired.
    let mut ear = Ear::new(1_700_000_000, "dev", refs(&good, "1.0.0", "").appraise(&v.claims));
    ear.exp = Some(1_700_003_600);
    ear.nonce = Some(vec![3u8; 32]);
    let vkey = ed25519();
    let signed = ear.sign(&vkey).unwrap();
    assert_eq!(Ear::verify(&signed, &ed_public(&vkey), Some(1_700_000_001)).unwrap(), ear);
    assert!(matches!(Ear::verify(&signed, &ed_public(&vkey), Some(1_700_003_600)), Err(Error::Expired)));
    let KeyMaterial::Public(other) = public(&p256()) else { unreachable!() };
    assert!(Ear::verify(&signed, &other, None).is_err());
    assert_eq!(ear.to_json()["submods"]["dev"]["ear_status"], "affirming");
}

#[test]
fn mac0_evidence() {
    let key = [0x42u8; 32];
    let eat = Eat { nonce: Some(&[1u8; 8]), swname: Some("fw"), ..Eat::default() };
    let mut buf = [0u8; 256];
    let n = iot_attest::mac_into(&eat, &HmacKey::new(&key), Some(b"k"), &mut buf).unwrap();
    let km = KeyMaterial::Symmetric(iot_cose::SymmetricKey::new(&key));
    let v = iot_attest::verify(&buf[..n], &km, &Options::default()).unwrap();
    assert_eq!(v.claims.swname, Some("fw"));
    buf[n - 1] ^= 1;
    assert!(iot_attest::verify(&buf[..n], &km, &Options::default()).is_err());
}

/// ES384 evidence (RFC 9783 allows it for PSA tokens): signed with a P-384 key through
/// `CoseSigner`, verified with its public key.
#[test]
fn es384_evidence() {
    let sk = p384::ecdsa::SigningKey::from_slice(&[0x2a; 48]).unwrap();
    let eat = Eat { nonce: Some(&[1u8; 8]), swname: Some("fw"), ..Eat::default() };
    let token = iot_attest::sign(&eat, &sk, Some(b"k384")).unwrap();
    let km = KeyMaterial::Public(iot_cose::PublicKey::P384(*sk.verifying_key()));
    let v = iot_attest::verify(&token, &km, &Options::default()).unwrap();
    assert_eq!(v.claims.swname, Some("fw"));
    assert!(iot_attest::verify(&token, &public(&p256()), &Options::default()).is_err());
    // and ES512
    let sk = p521::ecdsa::SigningKey::from_slice(&[[1u8].as_slice(), &[0x2a; 65]].concat()).unwrap();
    let token = iot_attest::sign(&eat, &sk, Some(b"k521")).unwrap();
    let km = KeyMaterial::Public(iot_cose::PublicKey::P521(*sk.verifying_key()));
    assert_eq!(iot_attest::verify(&token, &km, &Options::default()).unwrap().claims.swname, Some("fw"));
}

/// RFC 9783 allows HMAC 384/384 and 512/512 for PSA tokens: evidence MAC'd with them verifies.
#[test]
fn mac0_evidence_hmac_384_and_512() {
    let key = [0x42u8; 64];
    let eat = Eat { nonce: Some(&[1u8; 8]), swname: Some("fw"), ..Eat::default() };
    let mut buf = [0u8; 256];
    let n = iot_attest::mac_into(&eat, &HmacKey::new(&key), None, &mut buf).unwrap();
    let payload = iot_cose::CoseMac0::decode(&buf[..n]).unwrap().unverified_payload().unwrap().to_vec();
    let km = KeyMaterial::Symmetric(iot_cose::SymmetricKey::new(&key));
    for alg in [iot_cose::Algorithm::HMAC_384_384, iot_cose::Algorithm::HMAC_512_512] {
        let token = iot_cose::Mac0Builder::new(&payload)
            .algorithm(alg)
            .unprotected(iot_cose::Headers::default().kid(b"k"))
            .mac(&HmacKey::new(&key))
            .unwrap();
        let v = iot_attest::verify(&token, &km, &Options::default()).unwrap();
        assert_eq!(v.claims.swname, Some("fw"));
        let other = KeyMaterial::Symmetric(iot_cose::SymmetricKey::new(&[0x43; 64]));
        assert!(iot_attest::verify(&token, &other, &Options::default()).is_err());
    }
}

#[test]
fn freshness() {
    let store = MemoryNonceStore::new(2);
    let n1 = store.issue(1000, 60).unwrap();
    let n2 = store.issue(1000, 60).unwrap();
    assert_eq!(n1.len(), 32);
    assert_ne!(n1, n2);
    assert!(matches!(store.issue(1000, 60), Err(Error::Full(_))));
    store.consume(&n1, 1010).unwrap();
    assert!(matches!(store.consume(&n1, 1010), Err(Error::Stale(_))), "replay");
    assert!(matches!(store.consume(&n2, 1060), Err(Error::Stale(_))), "expired");
    assert!(matches!(store.consume(&[0u8; 32], 1000), Err(Error::Stale(_))), "never issued");

    // Through the verifier: accepted once.
    let key = p256();
    let store = MemoryNonceStore::new(16);
    let nonce = store.issue(1000, 60).unwrap();
    let comps = [Measurement::of("app", "1", [1; 32], b"a")];
    let token = psa_token(&key, &nonce, &comps);
    let km = public(&key);
    iot_attest::verify_fresh(&token, &km, &store, 1001, &Options::default()).unwrap();
    assert!(matches!(iot_attest::verify_fresh(&token, &km, &store, 1002, &Options::default()), Err(Error::Stale(_))));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn eat_encode_decode(
        nonce in proptest::collection::vec(any::<u8>(), 8..=64),
        ueid in proptest::collection::vec(any::<u8>(), 7..=33),
        uptime in any::<u64>(),
        iat in any::<i64>(),
        name in "[a-zA-Z0-9 ._-]{0,40}",
        dbg in 0u64..5,
        values in proptest::collection::vec(any::<[u8; 32]>(), 1..6),
    ) {
        let comps: Vec<_> = values.iter().map(|v| Measurement { name: &name, version: "1.0", signer_id: *v, value: *v }).collect();
        let eat = Eat {
            nonce: Some(&nonce), ueid: Some(&ueid), uptime: Some(uptime), iat: Some(iat), swname: Some(&name),
            dbgstat: DebugStatus::from_u64(dbg), measurements: &comps, ..Eat::default()
        };
        let mut buf = vec![0u8; eat.encoded_len().unwrap()];
        eat.encode_into(&mut buf).unwrap();
        let c = Claims::decode_with(&buf, Some(Profile::Constrained), &iot_attest::Limits::DEFAULT).unwrap();
        prop_assert_eq!(c.single_nonce(), Some(&nonce[..]));
        prop_assert_eq!(c.ueid, Some(&ueid[..]));
        prop_assert_eq!(c.uptime, Some(uptime));
        prop_assert_eq!(c.iat, Some(iat));
        prop_assert_eq!(c.swname, Some(name.as_str()));
        prop_assert_eq!(c.dbgstat.map(DebugStatus::code), Some(dbg));
        let got: Vec<[u8; 32]> = c.components().map(|x| x.measurement.try_into().unwrap()).collect();
        prop_assert_eq!(got, values);
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Claims::decode(&bytes);
        let _ = Ear::from_cbor(&bytes);
        let _ = iot_attest::Bundle::decode(&bytes);
        if let Ok(ev) = Evidence::decode_as(&bytes, Some(iot_attest::Kind::Sign1)) {
            let _ = ev.verify_with_key(&public(&p256()), &Options::default());
        }
    }

    #[test]
    fn mutated_tokens_fail_cleanly(pos in 0usize..200, bit in 0u8..8) {
        let comps = [Measurement::of("app", "1", [1; 32], b"a")];
        let key = p256();
        let mut token = psa_token(&key, &[9u8; 32], &comps);
        let at = pos % token.len();
        token[at] ^= 1 << bit;
        let km = public(&key);
        // Any flip must be refused (or, if it lands in the unprotected header, still verify the same claims).
        if let Ok(v) = iot_attest::verify(&token, &km, &Options::default()) {
            prop_assert_eq!(v.claims.single_nonce(), Some(&[9u8; 32][..]));
        }
    }
}

/// The envelope rules, bounds and appraisal rows the README states.
#[test]
fn readme_rules_hold() {
    use iot_cose::cbor::Encoder;
    let comps = [Measurement::of("app", "1", [1; 32], b"a")];
    let psa = Psa::new(&[3u8; 32], &[1u8; 33], &[0x11; 32], 1, 0x3000, &comps);
    // PSA: ECDSA only, and no CWT tag.
    let ed = ed25519();
    let t = iot_attest::sign(&psa, &ed, None).unwrap();
    let e = Evidence::decode(&t).unwrap().verify_with_key(&KeyMaterial::Public(ed_public(&ed)), &Options::default());
    assert!(matches!(e, Err(Error::Envelope(_))), "{e:?}");
    let key = p256();
    let mut cwt = vec![0xd8, 0x3d];
    cwt.extend(iot_attest::sign(&psa, &key, None).unwrap());
    let e = Evidence::decode(&cwt).unwrap().verify_with_key(&public(&key), &Options::default());
    assert!(matches!(e, Err(Error::Envelope(_))), "{e:?}");

    // Bounds: nesting 12, 64 map entries, 256 array elements, submodule nesting 4.
    let nested = |depth: usize| {
        let mut v = Vec::new();
        let mut e = Encoder::new(&mut v);
        e.map(1).unwrap().int(-70000).unwrap();
        for _ in 0..depth {
            e.array(1).unwrap();
        }
        e.uint(0).unwrap();
        v
    };
    assert!(Claims::decode(&nested(11)).is_ok());
    assert!(matches!(Claims::decode(&nested(12)), Err(Error::Cbor(_))));
    let entries = |n: i64| {
        let mut v = Vec::new();
        let mut e = Encoder::new(&mut v);
        e.map(usize::try_from(n).unwrap()).unwrap();
        for k in 0..n {
            e.int(-70000 - k).unwrap().uint(0).unwrap();
        }
        v
    };
    assert!(Claims::decode(&entries(64)).is_ok());
    assert!(matches!(Claims::decode(&entries(65)), Err(Error::LimitExceeded(_))));
    let array = |n: usize| {
        let mut v = Vec::new();
        let mut e = Encoder::new(&mut v);
        e.map(1).unwrap().int(-70000).unwrap().array(n).unwrap();
        for _ in 0..n {
            e.uint(0).unwrap();
        }
        v
    };
    assert!(Claims::decode(&array(256)).is_ok());
    assert!(matches!(Claims::decode(&array(257)), Err(Error::LimitExceeded(_))));
    let l1 = Eat { swname: Some("l1"), ..Eat::default() };
    let s1 = [("n", SubmodOut::Claims(&l1))];
    let l2 = Eat { submods: &s1, ..Eat::default() };
    let s2 = [("n", SubmodOut::Claims(&l2))];
    let l3 = Eat { submods: &s2, ..Eat::default() };
    let s3 = [("n", SubmodOut::Claims(&l3))];
    let l4 = Eat { submods: &s3, ..Eat::default() };
    let s4 = [("n", SubmodOut::Claims(&l4))];
    let l5 = Eat { submods: &s4, ..Eat::default() };
    let s5 = [("n", SubmodOut::Claims(&l5))];
    let l6 = Eat { submods: &s5, ..Eat::default() };
    let mut buf = [0u8; 256];
    let n = l5.encode_into(&mut buf).unwrap();
    assert!(Claims::decode(&buf[..n]).is_ok(), "submods nested 4 deep");
    let n = l6.encode_into(&mut buf).unwrap();
    assert!(matches!(Claims::decode(&buf[..n]), Err(Error::LimitExceeded(_))), "5 deep");

    // Appraisal: hwmodel checked when listed; debug enabled is an unsafe configuration.
    let eat = Eat { hwmodel: Some(b"model-x"), dbgstat: Some(DebugStatus::Enabled), ..Eat::default() };
    let n = eat.encode_into(&mut buf).unwrap();
    let c = Claims::decode(&buf[..n]).unwrap();
    let a = ReferenceValues::from_json(r#"{"hwmodels": ["6d6f64656c2d78"]}"#).unwrap().appraise(&c);
    assert_eq!(
        (a.trust_vector.hardware, a.trust_vector.configuration),
        (Some(tv::HW_GENUINE), Some(tv::CONFIG_UNSAFE))
    );
    assert_eq!(a.status, Status::Warning);
    let a = ReferenceValues::from_json(r#"{"hwmodels": ["00"]}"#).unwrap().appraise(&c);
    assert_eq!((a.trust_vector.hardware, a.status), (Some(tv::HW_UNRECOGNIZED), Status::Contraindicated));
}

#[test]
fn unknown_claims_render_as_json() {
    // An unsigned value above i64::MAX and a negative one, under private keys.
    let eat = Eat { extra: &[(-70000, b"\x1b\xff\xff\xff\xff\xff\xff\xff\xff"), (-70001, b"\x20")], ..Eat::default() };
    let mut buf = [0u8; 64];
    let n = eat.encode_into(&mut buf).unwrap();
    let j = iot_attest::render::claims_to_json(&Claims::decode(&buf[..n]).unwrap());
    assert_eq!(j["-70000"], serde_json::json!(u64::MAX));
    assert_eq!(j["-70001"], serde_json::json!(-1));
}
