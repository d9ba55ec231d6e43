//! Sealed storage: what opens and what does not.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code"
)]

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use iot_identity::Error;
use iot_identity::seal::{OVERHEAD, Sealer, sealed_version};
use proptest::prelude::*;
use sha2::Sha256;

const HUK: [u8; 32] = [0x11; 32];

fn sealed(label: &[u8], version: u32, plain: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; plain.len() + OVERHEAD];
    let n = Sealer::new(&HUK).unwrap().seal(label, version, &[9; 24], plain, &mut out).unwrap().len();
    assert_eq!(n, out.len());
    out
}

/// The layout documented in the module, computed here from the primitives directly: a blob
/// written by this version of the crate must open with every later one.
#[test]
fn layout_is_the_documented_one() {
    let plain = b"device private key";
    let blob = sealed(b"ldevid", 0x0102_0304, plain);
    assert_eq!(&blob[..5], &[1, 1, 2, 3, 4]);
    assert_eq!(&blob[5..29], &[9; 24]);
    let hk = Hkdf::<Sha256>::new(Some(b"iot-identity seal v1"), &HUK);
    let mut key = [0u8; 32];
    let mut info = vec![0, 6];
    info.extend_from_slice(b"ldevid");
    info.extend_from_slice(&[1, 2, 3, 4]);
    hk.expand(&info, &mut key).unwrap();
    let cipher = XChaCha20Poly1305::new(&key.into());
    let mut body = plain.to_vec();
    let tag = cipher.encrypt_inout_detached(&XNonce::from([9; 24]), &blob[..5], body.as_mut_slice().into()).unwrap();
    assert_eq!(&blob[29..29 + plain.len()], body.as_slice());
    assert_eq!(&blob[29 + plain.len()..], tag.as_slice());
}

#[test]
fn opens_only_with_its_secret_label_and_version() {
    let blob = sealed(b"ldevid", 7, b"secret");
    let mut out = [0u8; 6];
    let s = Sealer::new(&HUK).unwrap();
    assert_eq!(s.open(b"ldevid", 7, &blob, &mut out).unwrap(), b"secret");
    assert_eq!(sealed_version(&blob).unwrap(), 7);

    let other = Sealer::new(&[0x12; 32]).unwrap();
    assert!(matches!(other.open(b"ldevid", 7, &blob, &mut out), Err(Error::WrongBinding(_))));
    assert!(matches!(s.open(b"ldevid2", 7, &blob, &mut out), Err(Error::WrongBinding(_))));
    assert!(matches!(s.open(b"", 7, &blob, &mut out), Err(Error::WrongBinding(_))));
    // the counter moved on, or an old image was restored
    assert!(matches!(s.open(b"ldevid", 8, &blob, &mut out), Err(Error::NotUsable(_))));
    assert!(matches!(s.open(b"ldevid", 6, &blob, &mut out), Err(Error::NotUsable(_))));
    // a rewritten version field does not help: the key is bound to the version
    let mut forged = blob.clone();
    forged[4] = 8;
    assert!(matches!(s.open(b"ldevid", 8, &forged, &mut out), Err(Error::WrongBinding(_))));
}

#[test]
fn malformed_and_buffers() {
    let s = Sealer::new(&HUK).unwrap();
    let blob = sealed(b"l", 1, b"abc");
    let mut small = [0u8; 2];
    assert!(matches!(s.open(b"l", 1, &blob, &mut small), Err(Error::BufferTooSmall)));
    for len in 0..OVERHEAD {
        assert!(matches!(s.open(b"l", 1, &blob[..len], &mut [0u8; 8]), Err(Error::Malformed(_))), "{len}");
        assert!(sealed_version(&blob[..len]).is_err());
    }
    // truncated by one byte: authenticates as something else
    assert!(matches!(s.open(b"l", 1, &blob[..blob.len() - 1], &mut [0u8; 8]), Err(Error::WrongBinding(_))));
    let mut out = [0u8; 3 + OVERHEAD - 1];
    assert!(matches!(s.seal(b"l", 1, &[0; 24], b"abc", &mut out), Err(Error::BufferTooSmall)));
    assert!(matches!(s.seal(&[0; 256], 1, &[0; 24], b"abc", &mut [0u8; 64]), Err(Error::WrongBinding(_))));
    assert!(matches!(Sealer::new(&[0; 15]), Err(Error::WrongBinding(_))));
    assert!(!format!("{s:?}").contains("17"));
    // an empty credential seals and opens
    let empty = sealed(b"l", 1, b"");
    assert_eq!(s.open(b"l", 1, &empty, &mut []).unwrap(), b"");
}

#[test]
fn in_place_wipes_on_failure() {
    let s = Sealer::new(&HUK).unwrap();
    let mut blob = sealed(b"l", 1, b"plaintext");
    let mut copy = blob.clone();
    assert_eq!(s.open_in_place(b"l", 1, &mut blob).unwrap(), b"plaintext");
    let last = copy.len() - 1;
    copy[last] ^= 1;
    assert!(matches!(s.open_in_place(b"l", 1, &mut copy), Err(Error::WrongBinding(_))));
    assert_eq!(&copy[29..38], &[0; 9]);
}

proptest! {
    #[test]
    fn round_trip(plain in proptest::collection::vec(any::<u8>(), 0..300),
                  label in proptest::collection::vec(any::<u8>(), 0..40),
                  version in any::<u32>(), nonce in any::<[u8; 24]>(), flip in any::<prop::sample::Index>()) {
        let s = Sealer::new(&HUK).unwrap();
        let mut blob = vec![0u8; plain.len() + OVERHEAD];
        s.seal(&label, version, &nonce, &plain, &mut blob).unwrap();
        let mut out = vec![0u8; plain.len()];
        prop_assert_eq!(s.open(&label, version, &blob, &mut out).unwrap(), plain.as_slice());
        let mut inplace = blob.clone();
        prop_assert_eq!(s.open_in_place(&label, version, &mut inplace).unwrap(), plain.as_slice());
        let i = flip.index(blob.len());
        blob[i] ^= 1;
        prop_assert!(s.open(&label, version, &blob, &mut out).is_err());
    }
}
