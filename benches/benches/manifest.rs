//! SUIT manifest benchmarks, each beside the bare signature check of the same bytes in one run.
//! Groups: `manifest/verify/es256` (decode + authenticate + manifest decode, against p256 / aws-lc
//! verifying the same Sig_structure), `manifest/decode`, `manifest/build+sign`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::as_conversions,
    missing_docs,
    reason = "bench code"
)]

use core::hint::black_box;
use criterion::{Criterion, criterion_group, criterion_main};
use iot_cose::{CoseSign1, aws_lc::Es256VerifyingKey, p256};
use iot_manifest::build::{EnvelopeBuilder, Image, ManifestBuilder};
use iot_manifest::{Envelope, Limits, Sign1Key};
use signature::Verifier as _;

fn envelope(sk: &p256::ecdsa::SigningKey, images: usize) -> Vec<u8> {
    let imgs: Vec<Image> = (0..images)
        .map(|i| {
            Image::new(&[b"component", &[i as u8]], &[i as u8; 1024]).uri(&format!("https://cdn.example/fw/{i}.bin"))
        })
        .collect();
    let m = ManifestBuilder::for_images(7, [0xfa; 16], [0x14; 16], &imgs);
    EnvelopeBuilder::new(m.build().unwrap()).sign(sk).unwrap().encode().unwrap()
}

fn verify(c: &mut Criterion) {
    let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let vk = *sk.verifying_key();
    let fast = Es256VerifyingKey::from_p256(&vk).unwrap();
    let env = envelope(&sk, 1);
    // The exact Sig_structure and signature the manifest check verifies.
    let e = Envelope::decode(&env).unwrap();
    let block = e.authentication_blocks().next().unwrap();
    let sign1 = CoseSign1::decode(block).unwrap();
    let payload = {
        // auth[0]: the bstr-wrapped SUIT_Digest, the detached payload.
        let mut dd = iot_cose::cbor::Decoder::new(&env);
        let _ = dd.tag();
        let _ = dd.map();
        let _ = dd.uint();
        let wrapper = dd.bytes().unwrap();
        let mut w = iot_cose::cbor::Decoder::new(wrapper);
        let _ = w.array();
        w.bytes().unwrap().to_vec()
    };
    let tbs = sign1.sig_structure(Some(&payload), b"").unwrap();
    let sig = p256::ecdsa::Signature::from_slice(sign1.signature()).unwrap();

    let mut g = c.benchmark_group("manifest/verify/es256");
    g.bench_function("iot-manifest", |b| {
        b.iter(|| Envelope::decode(black_box(&env)).unwrap().authenticate(&Sign1Key(vk)).unwrap().sequence_number())
    });
    g.bench_function("bare-p256", |b| b.iter(|| vk.verify(black_box(&tbs), &sig).unwrap()));
    g.bench_function("iot-manifest+aws-lc", |b| {
        b.iter(|| Envelope::decode(black_box(&env)).unwrap().authenticate(&Sign1Key(&fast)).unwrap().sequence_number())
    });
    let pub_bytes = vk.to_sec1_point(false).as_bytes().to_vec();
    let parsed =
        aws_lc_rs::signature::ParsedPublicKey::new(&aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED, &pub_bytes).unwrap();
    g.bench_function("bare-aws-lc", |b| b.iter(|| parsed.verify_sig(black_box(&tbs), sign1.signature()).unwrap()));
    g.finish();
}

fn decode(c: &mut Criterion) {
    let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let mut g = c.benchmark_group("manifest/decode");
    for n in [1usize, 8] {
        let env = envelope(&sk, n);
        g.bench_function(format!("{n}-components"), |b| {
            b.iter(|| {
                let e = Envelope::decode(black_box(&env)).unwrap();
                e.unverified_manifest(&Limits::default()).unwrap().sequence_number()
            })
        });
    }
    g.finish();
}

fn build_sign(c: &mut Criterion) {
    let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let mut g = c.benchmark_group("manifest/build+sign");
    g.bench_function("es256-1-component", |b| b.iter(|| envelope(black_box(&sk), 1).len()));
    g.finish();
}

criterion_group!(benches, verify, decode, build_sign);
criterion_main!(benches);
