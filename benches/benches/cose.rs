//! COSE benchmarks. Every group puts our path beside the physical limit of the same operation
//! (the bare signature primitive over the same to-be-signed bytes) and beside coset, in one run.
//! Groups: `cose/verify/{es256,eddsa,hmac}`, `cose/sign/{es256,eddsa}`, `cose/decode`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::as_conversions,
    clippy::cast_possible_truncation,
    missing_docs,
    reason = "bench code"
)]

use core::hint::black_box;
use coset::{CborSerializable as _, TaggedCborSerializable as _};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use iot_cose::{
    CoseMac0, CoseSign1, HmacKey, Mac0Builder, Sign1Builder, aws_lc::Es256VerifyingKey, ed25519_dalek, p256,
};
use signature::{Signer as _, Verifier as _};

const SIZES: [usize; 2] = [64, 4096];

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

fn verify_es256(c: &mut Criterion) {
    let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let vk = *sk.verifying_key();
    let fast = Es256VerifyingKey::from_p256(&vk).unwrap();
    let mut g = c.benchmark_group("cose/verify/es256");
    for n in SIZES {
        let p = payload(n);
        let msg = Sign1Builder::new(&p).sign(&sk).unwrap();
        let tbs = CoseSign1::decode(&msg).unwrap().sig_structure(None, b"").unwrap();
        let sig = p256::ecdsa::Signature::from_slice(CoseSign1::decode(&msg).unwrap().signature()).unwrap();
        g.throughput(Throughput::Bytes(n as u64));
        g.bench_with_input(BenchmarkId::new("iot-cose", n), &msg, |b, m| {
            b.iter(|| CoseSign1::decode(black_box(m)).unwrap().verify(&vk, b"").unwrap().alg())
        });
        g.bench_with_input(BenchmarkId::new("bare-p256", n), &tbs, |b, t| {
            b.iter(|| vk.verify(black_box(t), &sig).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("coset+p256", n), &msg, |b, m| {
            b.iter(|| {
                let s = coset::CoseSign1::from_tagged_slice(black_box(m)).unwrap();
                s.verify_signature(b"", |sig, data| {
                    vk.verify(data, &p256::ecdsa::Signature::from_slice(sig).map_err(|_| ())?).map_err(|_| ())
                })
                .unwrap();
            })
        });
        g.bench_with_input(BenchmarkId::new("iot-cose+aws-lc", n), &msg, |b, m| {
            b.iter(|| CoseSign1::decode(black_box(m)).unwrap().verify(&fast, b"").unwrap().alg())
        });
        let pub_bytes = vk.to_sec1_point(false).as_bytes().to_vec();
        let parsed =
            aws_lc_rs::signature::ParsedPublicKey::new(&aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED, &pub_bytes)
                .unwrap();
        let sig_bytes = sig.to_bytes();
        g.bench_with_input(BenchmarkId::new("bare-aws-lc", n), &tbs, |b, t| {
            b.iter(|| parsed.verify_sig(black_box(t), &sig_bytes).unwrap())
        });
    }
    g.finish();
}

fn verify_eddsa(c: &mut Criterion) {
    let sk = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let vk = sk.verifying_key();
    let mut g = c.benchmark_group("cose/verify/eddsa");
    for n in SIZES {
        let p = payload(n);
        let msg = Sign1Builder::new(&p).sign(&sk).unwrap();
        let m = CoseSign1::decode(&msg).unwrap();
        let tbs = m.sig_structure(None, b"").unwrap();
        let sig = ed25519_dalek::Signature::from_slice(m.signature()).unwrap();
        g.throughput(Throughput::Bytes(n as u64));
        g.bench_with_input(BenchmarkId::new("iot-cose", n), &msg, |b, m| {
            b.iter(|| CoseSign1::decode(black_box(m)).unwrap().verify(&vk, b"").unwrap().alg())
        });
        g.bench_with_input(BenchmarkId::new("bare-dalek", n), &tbs, |b, t| {
            b.iter(|| vk.verify(black_box(t), &sig).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("coset+dalek", n), &msg, |b, m| {
            b.iter(|| {
                let s = coset::CoseSign1::from_tagged_slice(black_box(m)).unwrap();
                s.verify_signature(b"", |sig, data| {
                    vk.verify(data, &ed25519_dalek::Signature::from_slice(sig).map_err(|_| ())?).map_err(|_| ())
                })
                .unwrap();
            })
        });
    }
    g.finish();
}

fn verify_hmac(c: &mut Criterion) {
    use hmac::{KeyInit as _, Mac as _};
    let key = [3u8; 32];
    let mut g = c.benchmark_group("cose/verify/hmac");
    for n in SIZES {
        let p = payload(n);
        let msg = Mac0Builder::new(&p).mac(&HmacKey::new(&key)).unwrap();
        let m = CoseMac0::decode(&msg).unwrap();
        let tbm = m.mac_structure(None, b"").unwrap();
        let tag = m.tag().to_vec();
        g.throughput(Throughput::Bytes(n as u64));
        g.bench_with_input(BenchmarkId::new("iot-cose", n), &msg, |b, m| {
            b.iter(|| CoseMac0::decode(black_box(m)).unwrap().verify(&HmacKey::new(&key), b"").unwrap().alg())
        });
        g.bench_with_input(BenchmarkId::new("bare-hmac", n), &tbm, |b, t| {
            b.iter(|| {
                let mut h = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
                h.update(black_box(t));
                h.verify_slice(&tag).unwrap();
            })
        });
    }
    g.finish();
}

fn sign(c: &mut Criterion) {
    let es = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let ed = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let p = payload(256);
    let tbs = {
        let m = Sign1Builder::new(&p).sign(&es).unwrap();
        CoseSign1::decode(&m).unwrap().sig_structure(None, b"").unwrap()
    };
    let mut g = c.benchmark_group("cose/sign/es256");
    g.bench_function("iot-cose", |b| b.iter(|| Sign1Builder::new(black_box(&p)).sign(&es).unwrap()));
    let mut buf = [0u8; 512];
    g.bench_function("iot-cose-into-buffer", |b| {
        b.iter(|| Sign1Builder::new(black_box(&p)).sign_into(&es, &mut buf).unwrap())
    });
    g.bench_function("bare-p256", |b| b.iter(|| -> p256::ecdsa::Signature { es.sign(black_box(&tbs)) }));
    g.bench_function("coset+p256", |b| {
        b.iter(|| {
            coset::CoseSign1Builder::new()
                .protected(coset::HeaderBuilder::new().algorithm(coset::iana::Algorithm::ES256).build())
                .payload(black_box(&p).clone())
                .create_signature(b"", |d| {
                    let s: p256::ecdsa::Signature = es.sign(d);
                    s.to_vec()
                })
                .build()
                .to_tagged_vec()
                .unwrap()
        })
    });
    g.finish();
    let mut g = c.benchmark_group("cose/sign/eddsa");
    g.bench_function("iot-cose", |b| b.iter(|| Sign1Builder::new(black_box(&p)).sign(&ed).unwrap()));
    g.bench_function("bare-dalek", |b| b.iter(|| ed.sign(black_box(&tbs))));
    g.bench_function("coset+dalek", |b| {
        b.iter(|| {
            coset::CoseSign1Builder::new()
                .protected(coset::HeaderBuilder::new().algorithm(coset::iana::Algorithm::EdDSA).build())
                .payload(black_box(&p).clone())
                .create_signature(b"", |d| ed.sign(d).to_vec())
                .build()
                .to_tagged_vec()
                .unwrap()
        })
    });
    g.finish();
}

fn decode(c: &mut Criterion) {
    let es = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let p = payload(256);
    let msg = Sign1Builder::new(&p).unprotected(iot_cose::Headers::default().kid(b"device-1")).sign(&es).unwrap();
    let mut g = c.benchmark_group("cose/decode");
    g.throughput(Throughput::Bytes(msg.len() as u64));
    g.bench_function("iot-cose", |b| b.iter(|| CoseSign1::decode(black_box(&msg)).unwrap().kid().map(<[u8]>::len)));
    g.bench_function("coset", |b| {
        b.iter(|| coset::CoseSign1::from_tagged_slice(black_box(&msg)).unwrap().unprotected.key_id.len())
    });
    g.finish();
    let _ = coset::CoseSign1::default().to_vec();
}

criterion_group!(benches, verify_es256, verify_eddsa, verify_hmac, sign, decode);
criterion_main!(benches);
