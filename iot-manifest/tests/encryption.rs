//! Firmware encryption (draft-ietf-suit-firmware-encryption) against the draft's examples in
//! ../shared/vectors/suit/firmware-encryption: every encryption info unwraps with its key and
//! decrypts, in any chunking, to the published plaintext; wrong keys, flipped bytes and malformed
//! infos are refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    reason = "test code"
)]

use iot_manifest::Error;
use iot_manifest::encryption::{ContentAlgorithm, EncryptionInfo, Recipient, unwrap_aes_kw, unwrap_ecdh};
use iot_manifest::iot_cose::{PrivateKey, p256};
use std::path::{Path, PathBuf};

fn dir() -> Option<PathBuf> {
    iot_test_vectors::area("suit")
}

fn read(d: &Path, f: &str) -> Vec<u8> {
    std::fs::read(d.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))
}

fn ecdh_key(d: &Path, f: &str) -> p256::SecretKey {
    let pem = std::fs::read_to_string(d.join(f)).unwrap();
    match PrivateKey::from_pem(&pem).unwrap() {
        PrivateKey::P256(k) => p256::SecretKey::from(k.as_nonzero_scalar()),
        _ => panic!("{f}: not P-256"),
    }
}

/// Unwraps with whichever key fits the recipient.
fn cek(info: &EncryptionInfo<'_>, kek: &[u8], ecdh: &p256::SecretKey) -> Result<Vec<u8>, Error> {
    let r = info.recipients().next().unwrap();
    let mut out = [0u8; 32];
    let n = match r {
        Recipient::AesKw { .. } => unwrap_aes_kw(kek, &r, &mut out)?,
        Recipient::EcdhEs { .. } => unwrap_ecdh(ecdh, &r, &mut out)?,
    };
    Ok(out[..n].to_vec())
}

/// Decrypts `ct` (ciphertext plus tag) in chunks of `chunk` bytes.
fn decrypt(info: &EncryptionInfo<'_>, key: &[u8], ct: &[u8], chunk: usize) -> Result<Vec<u8>, Error> {
    let mut d = info.decryptor(key)?;
    let (body, tag) = ct.split_at(ct.len() - d.tag_len());
    let mut out = body.to_vec();
    for c in out.chunks_mut(chunk) {
        d.update(c);
    }
    d.finish(tag)?;
    Ok(out)
}

const CASES: [(&str, ContentAlgorithm, &str); 4] = [
    ("aes-kw-aes-gcm", ContentAlgorithm::A128Gcm, "15f785b5c931414411b4b71373a9c0f7"),
    ("aes-kw-aes-ctr", ContentAlgorithm::A128Ctr, "261de6165070fb8951ec5d7b92a065fe"),
    ("es-ecdh-aes-gcm", ContentAlgorithm::A128Gcm, ""),
    ("es-ecdh-aes-ctr", ContentAlgorithm::A128Ctr, ""),
];

#[test]
fn every_encryption_info_decrypts_to_the_plaintext() {
    let Some(d) = dir() else { return };
    let kek = read(&d, "keys/a128kw-kek.bin");
    let ecdh = ecdh_key(&d, "keys/esdh-receiver-p256-private.pem");
    let plaintext = read(&d, "payloads/raw_image.bin");
    assert_eq!(plaintext, b"This is a real firmware image.");
    for (name, alg, want_cek) in CASES {
        let info_bytes = read(&d, &format!("firmware-encryption/suit-encryption-info-{name}.cbor"));
        let ct = read(&d, &format!("firmware-encryption/encrypted-payload-{name}.bin"));
        let info = EncryptionInfo::decode(&info_bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(info.algorithm, alg, "{name}");
        let key = cek(&info, &kek, &ecdh).unwrap_or_else(|e| panic!("{name}: {e}"));
        if !want_cek.is_empty() {
            assert_eq!(hex::encode(&key), want_cek, "{name}");
        }
        for chunk in [1, 5, 16, 17, 64, 1000] {
            assert_eq!(decrypt(&info, &key, &ct, chunk).unwrap(), plaintext, "{name} in chunks of {chunk}");
        }
        if alg.is_aead() {
            // Any flipped ciphertext or tag byte fails the tag.
            for i in 0..ct.len() {
                let mut bad = ct.clone();
                bad[i] ^= 0x01;
                assert!(matches!(decrypt(&info, &key, &bad, 16), Err(Error::Decryption { .. })), "{name} byte {i}");
            }
            assert!(decrypt(&info, &key, &ct[..ct.len() - 1], 16).is_err(), "{name}: short tag");
        }
        // A wrong content key length is refused up front.
        assert!(info.decryptor(&key[..8]).is_err());
    }
}

#[test]
fn wrong_keys_are_refused() {
    let Some(d) = dir() else { return };
    let kek = read(&d, "keys/a128kw-kek.bin");
    let ecdh = ecdh_key(&d, "keys/esdh-receiver-p256-private.pem");
    let other = ecdh_key(&d, "keys/suit-examples-p256-private.pem");
    let mut wrong_kek = kek.clone();
    wrong_kek[0] ^= 1;
    for (name, ..) in CASES {
        let info_bytes = read(&d, &format!("firmware-encryption/suit-encryption-info-{name}.cbor"));
        let info = EncryptionInfo::decode(&info_bytes).unwrap();
        let r = cek(&info, &wrong_kek, &other);
        assert!(matches!(r, Err(Error::Decryption { .. })), "{name}: {r:?}");
        // The other kind of key does not fit the recipient at all.
        let rcp = info.recipients().next().unwrap();
        let mut out = [0u8; 32];
        let other_kind = match rcp {
            Recipient::AesKw { .. } => unwrap_ecdh(&ecdh, &rcp, &mut out),
            Recipient::EcdhEs { .. } => unwrap_aes_kw(&kek, &rcp, &mut out),
        };
        assert!(matches!(other_kind, Err(Error::Decryption { .. })), "{name}");
        // A KEK of the wrong length.
        if matches!(rcp, Recipient::AesKw { .. }) {
            assert!(unwrap_aes_kw(&kek[..8], &rcp, &mut out).is_err());
        }
    }
}

#[test]
fn malformed_encryption_infos_are_refused() {
    let Some(d) = dir() else { return };
    let good = read(&d, "firmware-encryption/suit-encryption-info-aes-kw-aes-gcm.cbor");
    assert!(EncryptionInfo::decode(&good).is_ok());
    // Every truncation fails; nothing panics on any single-byte change.
    for n in 0..good.len() {
        assert!(EncryptionInfo::decode(&good[..n]).is_err(), "truncated to {n}");
    }
    for i in 0..good.len() {
        for x in [0x01, 0x20, 0xff] {
            let mut m = good.clone();
            m[i] ^= x;
            let _ = EncryptionInfo::decode(&m);
        }
    }
    // Untagged, the COSE_Encrypt0 tag, trailing bytes.
    assert!(EncryptionInfo::decode(&good[2..]).is_err());
    let mut t16 = good.clone();
    t16[..2].copy_from_slice(&[0xd0, 0x84]);
    let mut trailing = good.clone();
    trailing.push(0);
    for (what, bytes) in [("tag 16", t16), ("trailing", trailing)] {
        assert!(EncryptionInfo::decode(&bytes).is_err(), "{what}");
    }
    // The IV one byte shorter (the 12-byte IV is a 0x4c bstr).
    let at = good.windows(2).position(|w| w == [0x05, 0x4c]).unwrap();
    let mut short = good[..at + 1].to_vec();
    short.push(0x4b);
    short.extend_from_slice(&good[at + 2..at + 2 + 11]);
    short.extend_from_slice(&good[at + 2 + 12..]);
    assert!(matches!(EncryptionInfo::decode(&short), Err(Error::Malformed { .. })));
    // An attached ciphertext instead of null (0xf6 -> empty bstr 0x40).
    let at = good.iter().position(|&b| b == 0xf6).unwrap();
    let mut attached = good.clone();
    attached[at] = 0x40;
    assert!(matches!(EncryptionInfo::decode(&attached), Err(Error::Malformed { .. })));
    // The protected bucket is `43 a1 01 01` (alg A128GCM), the unprotected one `a1 05 4c ...`
    // (the IV). alg again in the unprotected bucket, the IV moved into the protected bucket
    // beside an unprotected one, and a Partial IV are each refused.
    assert_eq!(good[3..10], [0x43, 0xa1, 0x01, 0x01, 0xa1, 0x05, 0x4c]);
    let mut alg_twice = good[..7].to_vec();
    alg_twice.extend_from_slice(&[0xa2, 0x01, 0x01]);
    alg_twice.extend_from_slice(&good[8..]);
    assert!(
        matches!(
            EncryptionInfo::decode(&alg_twice),
            Err(Error::Malformed { what: "alg or IV in both header buckets" })
        ),
        "alg_twice"
    );
    let iv = &good[10..22];
    let mut iv_twice = vec![0xd8, 0x60, 0x84, 0x51, 0xa2, 0x01, 0x01, 0x05, 0x4c];
    iv_twice.extend_from_slice(iv);
    iv_twice.extend_from_slice(&good[7..]);
    assert!(
        matches!(EncryptionInfo::decode(&iv_twice), Err(Error::Malformed { what: "alg or IV in both header buckets" })),
        "iv_twice"
    );
    let mut partial = good[..7].to_vec();
    partial.extend_from_slice(&[0xa2, 0x06, 0x41, 0x00]);
    partial.extend_from_slice(&good[8..]);
    assert!(
        matches!(EncryptionInfo::decode(&partial), Err(Error::Unsupported { code: 6, .. })),
        "{:?}",
        EncryptionInfo::decode(&partial).err()
    );
}

/// Feeds fixed bytes in order to `encrypt`'s randomness.
fn fixed(parts: Vec<Vec<u8>>) -> impl FnMut(&mut [u8]) {
    let mut it = parts.into_iter();
    move |b: &mut [u8]| {
        let next = it.next().expect("more randomness than planned");
        b.copy_from_slice(&next);
    }
}

#[test]
fn the_cloud_side_reproduces_the_aes_kw_examples_byte_for_byte() {
    use iot_manifest::encryption::{EncryptTo, encrypt};
    let Some(d) = dir() else { return };
    let kek = read(&d, "keys/a128kw-kek.bin");
    let plaintext = read(&d, "payloads/raw_image.bin");
    for (name, alg, cek) in &CASES[..2] {
        let want_info = read(&d, &format!("firmware-encryption/suit-encryption-info-{name}.cbor"));
        let want_ct = read(&d, &format!("firmware-encryption/encrypted-payload-{name}.bin"));
        let iv = EncryptionInfo::decode(&want_info).unwrap().iv().to_vec();
        let to = [EncryptTo::AesKw { kek: &kek, kid: Some(b"kid-1") }];
        let got = encrypt(&plaintext, *alg, &to, fixed(vec![hex::decode(cek).unwrap(), iv])).unwrap();
        assert_eq!(hex::encode(&got.info), hex::encode(&want_info), "{name}: encryption info");
        assert_eq!(got.ciphertext, want_ct, "{name}: ciphertext");
    }
}

#[test]
fn encrypt_then_decrypt_round_trips_for_every_algorithm_and_recipient_kind() {
    use iot_manifest::encryption::{EncryptTo, encrypt};
    let Some(d) = dir() else { return };
    let ecdh = ecdh_key(&d, "keys/esdh-receiver-p256-private.pem");
    let public = ecdh.public_key();
    let (kek16, kek32) = ([3u8; 16], [4u8; 32]);
    let mut seed = 1u8;
    let rng = move |b: &mut [u8]| {
        for x in b {
            seed = seed.wrapping_mul(31).wrapping_add(7);
            *x = seed;
        }
    };
    let mut rng = rng;
    for alg in
        [ContentAlgorithm::A128Gcm, ContentAlgorithm::A256Gcm, ContentAlgorithm::A128Ctr, ContentAlgorithm::A256Ctr]
    {
        for len in [0usize, 1, 15, 16, 17, 100, 1000] {
            let msg: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let to = [
                EncryptTo::AesKw { kek: &kek16, kid: Some(b"a") },
                EncryptTo::AesKw { kek: &kek32, kid: None },
                EncryptTo::Ecdh { public: &public, kid: Some(b"kid-2") },
            ];
            let sealed = encrypt(&msg, alg, &to, &mut rng).unwrap();
            assert_eq!(sealed.ciphertext.len(), len + if alg.is_aead() { 16 } else { 0 });
            let info = EncryptionInfo::decode(&sealed.info).unwrap();
            let rs: Vec<Recipient<'_>> = info.recipients().collect();
            assert_eq!(rs.len(), 3);
            let mut out = [0u8; 32];
            for (i, r) in rs.iter().enumerate() {
                let n = match i {
                    0 => unwrap_aes_kw(&kek16, r, &mut out).unwrap(),
                    1 => unwrap_aes_kw(&kek32, r, &mut out).unwrap(),
                    _ => unwrap_ecdh(&ecdh, r, &mut out).unwrap(),
                };
                assert_eq!(n, alg.key_len());
                for chunk in [3, 16, 64] {
                    assert_eq!(decrypt(&info, &out[..n], &sealed.ciphertext, chunk).unwrap(), msg, "{alg:?} {len}");
                }
            }
            // Keys swapped between recipients fail.
            assert!(unwrap_aes_kw(&kek32, &rs[0], &mut out).is_err());
        }
    }
    assert!(encrypt(b"x", ContentAlgorithm::A128Gcm, &[], &mut rng).is_err());
    assert!(
        encrypt(b"x", ContentAlgorithm::A128Gcm, &[EncryptTo::AesKw { kek: &[0; 20], kid: None }], &mut rng).is_err()
    );
}

/// The ciphertext the footprint probe decrypts on QEMU (benches/footprint/data): a 1000-byte image
/// (byte i is i mod 256) encrypted AES-KW + A128GCM for the KEK of 16 x 0x61, framed as a
/// big-endian u16 info length, the info, the ciphertext. `IOT_WRITE_FOOTPRINT=1` rewrites it.
#[test]
fn footprint_probe_ciphertext_is_reproducible() {
    use iot_manifest::encryption::{EncryptTo, encrypt};
    let image: Vec<u8> = (0..1000u32).map(|i| u8::try_from(i % 256).unwrap()).collect();
    let e = encrypt(&image, ContentAlgorithm::A128Gcm, &[EncryptTo::AesKw { kek: &[0x61; 16], kid: None }], |b| {
        b.fill(0x5c)
    })
    .unwrap();
    let mut framed = u16::try_from(e.info.len()).unwrap().to_be_bytes().to_vec();
    framed.extend_from_slice(&e.info);
    framed.extend_from_slice(&e.ciphertext);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/footprint/data/encrypted-a128kw-a128gcm.bin");
    if std::env::var_os("IOT_WRITE_FOOTPRINT").is_some() {
        std::fs::write(&path, &framed).unwrap();
    }
    assert_eq!(std::fs::read(&path).unwrap(), framed, "regenerate with IOT_WRITE_FOOTPRINT=1");
}
