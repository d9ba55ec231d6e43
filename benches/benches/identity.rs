//! Identity benchmarks: `identity/verify_chain/p256-3` parses and validates a 3-certificate
//! P-256 chain (root, issuing CA, DevID), beside rustls-webpki 0.103 validating the same DER with
//! the same crypto backend (RustCrypto `p256`, plugged into webpki through its
//! `SignatureVerificationAlgorithm` trait) in the same run; plus CSR writing and parsing alone.
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
use iot_identity::{Ca, Certificate, Options, Profile, Subject, Time, validate, write_csr};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use rustls_pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, SignatureVerificationAlgorithm, UnixTime, alg_id,
};
use signature::Verifier as _;

const T: i64 = 1_767_225_600;

/// ECDSA P-256 / SHA-256 for webpki, with the same `p256` crate iot-identity verifies with.
#[derive(Debug)]
struct RustCryptoP256;

impl SignatureVerificationAlgorithm for RustCryptoP256 {
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_P256
    }
    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_SHA256
    }
    fn verify_signature(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), InvalidSignature> {
        let vk = VerifyingKey::from_sec1_bytes(public_key).map_err(|_| InvalidSignature)?;
        let sig = Signature::from_der(signature).map_err(|_| InvalidSignature)?;
        vk.verify(message, &sig).map_err(|_| InvalidSignature)
    }
}

fn chain() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let key = |b: u8| SigningKey::from_slice(&[b; 32]).unwrap();
    let t = Time::from_unix(T);
    let root = Ca::root(&Subject::common_name("Bench Root"), key(1), t, t.plus(10 * 365 * 86_400), Some(1)).unwrap();
    let int =
        Ca::intermediate(&Subject::common_name("Bench Issuing"), key(2), &root, t, t.plus(5 * 365 * 86_400), Some(0))
            .unwrap();
    let mut csr = [0u8; 512];
    let n = write_csr(&Subject::device("SN-1", Some("dev")), &key(3), &mut csr).unwrap();
    let dev = int.issue_devid(&csr[..n], t, t.plus(365 * 86_400)).unwrap();
    (dev, int.certificate_der().to_vec(), root.certificate_der().to_vec())
}

fn verify_chain(c: &mut Criterion) {
    let (leaf, int, root) = chain();
    let now = Time::from_unix(T + 86_400);
    let mut g = c.benchmark_group("identity/verify_chain/p256-3");
    g.bench_function("iot-identity", |b| {
        b.iter(|| {
            let l = Certificate::from_der(black_box(&leaf)).unwrap();
            let i = Certificate::from_der(black_box(&int)).unwrap();
            let r = Certificate::from_der(black_box(&root)).unwrap();
            validate(&l, &[i], &[r], &Options::new(now, Profile::DevId).client_auth()).unwrap()
        });
    });
    let algs: &[&dyn SignatureVerificationAlgorithm] = &[&RustCryptoP256];
    let when = UnixTime::since_unix_epoch(core::time::Duration::from_secs(u64::try_from(now.unix()).unwrap()));
    g.bench_function("rustls-webpki 0.103 (p256)", |b| {
        b.iter(|| {
            let root_der = CertificateDer::from(black_box(&root[..]));
            let anchor = webpki::anchor_from_trusted_cert(&root_der).unwrap();
            let leaf_der = CertificateDer::from(black_box(&leaf[..]));
            let ee = webpki::EndEntityCert::try_from(&leaf_der).unwrap();
            let inters = [CertificateDer::from(black_box(&int[..]))];
            ee.verify_for_usage(algs, &[anchor], &inters, when, webpki::KeyUsage::client_auth(), None, None).unwrap();
        });
    });
    // The floor: the two ECDSA verifications the chain needs, alone.
    let l = Certificate::from_der(&leaf).unwrap();
    let i = Certificate::from_der(&int).unwrap();
    let r = Certificate::from_der(&root).unwrap();
    g.bench_function("two bare p256 verifies", |b| {
        b.iter(|| {
            iot_identity::verify_signature(l.signature_algorithm, &i.public_key, l.tbs, l.signature).unwrap();
            iot_identity::verify_signature(i.signature_algorithm, &r.public_key, i.tbs, i.signature).unwrap();
        });
    });
    g.finish();
}

fn csr(c: &mut Criterion) {
    let key = SigningKey::from_slice(&[9u8; 32]).unwrap();
    let mut buf = [0u8; 512];
    let n = write_csr(&Subject::device("SN-1", Some("dev")), &key, &mut buf).unwrap();
    let der = buf[..n].to_vec();
    let mut g = c.benchmark_group("identity/csr");
    g.bench_function("write and sign (p256)", |b| {
        b.iter(|| write_csr(&Subject::device(black_box("SN-1"), Some("dev")), &key, &mut buf).unwrap());
    });
    g.bench_function("parse", |b| b.iter(|| iot_identity::Csr::from_der(black_box(&der)).unwrap()));
    g.finish();
    let (leaf, _, _) = chain();
    c.bench_function("identity/parse/devid", |b| b.iter(|| Certificate::from_der(black_box(&leaf)).unwrap()));
}

criterion_group!(benches, verify_chain, csr);
criterion_main!(benches);
