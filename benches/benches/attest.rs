//! Attestation benchmarks, each beside the bare signature operation on the same bytes in one run.
//! Groups: `attest/verify/es256` (decode + verify + claims validation + nonce, against p256 and
//! aws-lc verifying the same Sig_structure), `attest/appraise`, `attest/evidence/sign` (boot log
//! + PSA claims + ES256 into a buffer, against a bare p256 signature of the same claims).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    missing_docs,
    reason = "bench code"
)]

use core::hint::black_box;
use criterion::{Criterion, criterion_group, criterion_main};
use iot_attest::{ClaimsSet as _, Evidence, KeyMaterial, MeasuredBoot, Measurement, Options, Psa, ReferenceValues};
use iot_cose::{CoseSign1, aws_lc::Es256VerifyingKey, p256};
use signature::Verifier as _;

const NONCE: [u8; 32] = [0x42; 32];

fn components() -> [Measurement<'static>; 3] {
    [
        Measurement::of("BL2", "1.4.0", [0xf1; 32], b"second stage bootloader"),
        Measurement::of("SPE", "2.1.0", [0xf1; 32], b"secure partition"),
        Measurement::of("app", "2.0.0", [0xf1; 32], b"application"),
    ]
}

fn token(sk: &p256::ecdsa::SigningKey) -> Vec<u8> {
    let comps = components();
    let mut psa = Psa::new(&NONCE, &[1u8; 33], &[0x11; 32], 1, 0x3000, &comps);
    psa.certification_reference = Some("1234567890123-12345");
    iot_attest::sign(&psa, sk, None).unwrap()
}

fn verify(c: &mut Criterion) {
    let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let vk = *sk.verifying_key();
    let fast = Es256VerifyingKey::from_p256(&vk).unwrap();
    let km = KeyMaterial::Public(iot_cose::PrivateKey::P256(sk.clone()).public_key());
    let t = token(&sk);
    let m = CoseSign1::decode(&t).unwrap();
    let tbs = m.sig_structure(None, b"").unwrap();
    let sig = p256::ecdsa::Signature::from_slice(m.signature()).unwrap();
    let opts = Options::default().nonce(&NONCE);

    let mut g = c.benchmark_group("attest/verify/es256");
    g.bench_function("iot-attest", |b| {
        b.iter(|| Evidence::decode(black_box(&t)).unwrap().verify_sign1(&vk, &opts).unwrap().claims.client_id)
    });
    g.bench_function("iot-attest-keystore", |b| {
        b.iter(|| iot_attest::verify(black_box(&t), &km, &opts).unwrap().claims.client_id)
    });
    g.bench_function("bare-p256", |b| b.iter(|| vk.verify(black_box(&tbs), &sig).unwrap()));
    g.bench_function("iot-attest+aws-lc", |b| {
        b.iter(|| Evidence::decode(black_box(&t)).unwrap().verify_sign1(&fast, &opts).unwrap().claims.client_id)
    });
    let pub_bytes = vk.to_sec1_point(false).as_bytes().to_vec();
    let parsed =
        aws_lc_rs::signature::ParsedPublicKey::new(&aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED, &pub_bytes).unwrap();
    g.bench_function("bare-aws-lc", |b| b.iter(|| parsed.verify_sig(black_box(&tbs), m.signature()).unwrap()));
    g.finish();

    let mut g = c.benchmark_group("attest/claims/decode");
    let payload = m.unverified_payload().unwrap();
    g.bench_function("psa-3-components", |b| {
        b.iter(|| iot_attest::Claims::decode(black_box(payload)).unwrap().components().count())
    });
    g.finish();
}

fn appraise(c: &mut Criterion) {
    let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let t = token(&sk);
    let v = Evidence::decode(&t).unwrap().verify_sign1(sk.verifying_key(), &Options::default()).unwrap();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let comps = components();
    let refs = ReferenceValues::from_json(&format!(
        r#"{{"implementation_ids": ["{}"], "components": [
            {{"name": "BL2", "signer_ids": ["{}"], "min_version": "1.2.0"}},
            {{"name": "SPE", "measurements": ["{}"], "required": true}},
            {{"name": "app", "measurements": ["{}", "{}"], "min_version": "2.0.0", "required": true}}]}}"#,
        hex(&[0x11; 32]),
        hex(&[0xf1; 32]),
        hex(&comps[1].value),
        hex(&[0; 32]),
        hex(&comps[2].value)
    ))
    .unwrap();
    let mut g = c.benchmark_group("attest/appraise");
    g.bench_function("psa-3-components", |b| b.iter(|| refs.appraise(black_box(&v.claims)).status));
    g.bench_function("appraise+ear-sign-eddsa", |b| {
        let vkey = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        b.iter(|| iot_attest::Ear::new(0, "device", refs.appraise(black_box(&v.claims))).sign(&vkey).unwrap().len())
    });
    g.finish();
}

fn sign(c: &mut Criterion) {
    let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let mut g = c.benchmark_group("attest/evidence/sign");
    g.bench_function("iot-attest-psa-es256", |b| {
        b.iter(|| {
            let mut log: MeasuredBoot<'_, 4> = MeasuredBoot::new();
            for m in components() {
                log.record(m).unwrap();
            }
            let comps = components();
            let psa = Psa::new(&NONCE, &[1u8; 33], &[0x11; 32], 1, 0x3000, &comps);
            let mut buf = [0u8; 1024];
            iot_attest::sign_into(black_box(&psa), &sk, None, &mut buf).unwrap()
        })
    });
    let comps = components();
    let psa = Psa::new(&NONCE, &[1u8; 33], &[0x11; 32], 1, 0x3000, &comps);
    let mut claims = [0u8; 512];
    let n = psa.encode_into(&mut claims).unwrap();
    g.bench_function("bare-p256-sign", |b| {
        b.iter(|| {
            let s: p256::ecdsa::Signature = signature::Signer::sign(&sk, black_box(&claims[..n]));
            s
        })
    });
    g.finish();
}

criterion_group!(benches, verify, appraise, sign);
criterion_main!(benches);
