//! FDO ownership vouchers (`../shared/vectors/identity/fdo`, from fdo-rs): the three FDO 1.1
//! vouchers verify, the two FDO 1.0 ones are refused; tampering is caught.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code"
)]

use iot_identity::Error;
use iot_identity::cert::pem_blocks;
use iot_identity::fdo::Voucher;

fn voucher(name: &str) -> Option<Vec<u8>> {
    let dir = iot_test_vectors::area("identity")?;
    let text = std::fs::read_to_string(dir.join("fdo").join(format!("{name}.ov.pem"))).unwrap();
    let mut blocks = pem_blocks(&text, "OWNERSHIP VOUCHER");
    assert_eq!(blocks.len(), 1, "{name}");
    blocks.pop()
}

fn guid(s: &str) -> [u8; 16] {
    hex::decode(s.replace('-', "")).unwrap().try_into().unwrap()
}

/// The README's expected results for the three FDO 1.1 vouchers.
#[test]
fn v101_vouchers_verify() {
    let expected = [
        ("v101_voucher1", "18907279-a41d-049a-ae3c-4da4ce61c14b", "testdevice", 1, 6, 2),
        ("v101_voucher2", "ac00da61-07e8-405e-acc4-94aef3f68966", "DemoDevice", 2, 5, 2),
        ("v101_voucher3", "89cb17fd-95e7-4de8-a36a-686926a7f88f", "DemoDevice", 1, 5, 2),
    ];
    for (name, id, info, entries, hmac, certs) in expected {
        let Some(bytes) = voucher(name) else { return };
        let v = Voucher::decode(&bytes).unwrap();
        assert_eq!(v.guid, guid(id), "{name}");
        assert_eq!(v.device_info, info);
        assert_eq!(v.entry_count(), entries);
        assert_eq!(v.hmac.alg, hmac);
        assert_eq!(v.manufacturer_key.key_type, 10);
        assert_eq!(v.manufacturer_key.encoding, 1);
        assert_eq!(v.device_certificates().count(), certs);
        for der in v.device_certificates() {
            iot_identity::Certificate::from_der(der).unwrap();
        }
        let ok = v.verify().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ok.entries, entries);
        assert_eq!(ok.guid, v.guid);
        // The owner key is the last entry's: a P-256 SPKI, and for voucher2 not entry 0's.
        assert_eq!(ok.owner_key.key_type, 10);
        ok.owner_key.public_key_info().unwrap();
        assert_ne!(ok.owner_key, v.manufacturer_key);
    }
}

#[test]
fn v100_vouchers_are_refused() {
    for name in ["v100_voucher1", "v100_voucher2"] {
        let Some(bytes) = voucher(name) else { return };
        let e = Voucher::decode(&bytes).unwrap_err();
        assert!(matches!(e, Error::UnsupportedProtocol { major: 1, minor: 0 }), "{name}: {e:?}");
        assert_eq!(e.to_string(), "unsupported protocol version 1.0");
    }
}

/// fdo-rs `test_multiple_vouchers_raw/pem`: the three concatenated parse as exactly three.
#[test]
fn concatenated_vouchers() {
    let mut all = Vec::new();
    let mut pem = String::new();
    for name in ["v101_voucher1", "v101_voucher2", "v101_voucher3"] {
        let Some(bytes) = voucher(name) else { return };
        all.extend_from_slice(&bytes);
        let dir = iot_test_vectors::area("identity").unwrap();
        pem.push_str(&std::fs::read_to_string(dir.join("fdo").join(format!("{name}.ov.pem"))).unwrap());
    }
    let vs: Vec<_> = Voucher::decode_all(&all).collect::<Result<_, _>>().unwrap();
    assert_eq!(vs.len(), 3);
    assert!(vs.iter().all(|v| v.verify().is_ok()));
    assert!(Voucher::decode(&all).is_err(), "one voucher must fill its input");
    assert_eq!(pem_blocks(&pem, "OWNERSHIP VOUCHER").len(), 3);
    // a concatenation with a broken tail reports the error once and stops
    let mut broken = all.clone();
    broken.push(0xff);
    let results: Vec<_> = Voucher::decode_all(&broken).collect();
    assert_eq!(results.len(), 4);
    assert!(results[3].is_err());
}

#[test]
fn tampering_is_caught() {
    let Some(bytes) = voucher("v101_voucher2") else { return };
    let v = Voucher::decode(&bytes).unwrap();
    // every byte: either the voucher no longer decodes, or it no longer verifies, except bytes
    // that neither the signatures nor the hashes cover: the HMAC value (the device checks it)
    // and the unprotected header maps of the entries
    let hmac_at = bytes.windows(v.hmac.value.len()).position(|w| w == v.hmac.value).unwrap();
    let mut accepted = Vec::new();
    for i in 0..bytes.len() {
        let mut m = bytes.clone();
        m[i] ^= 0x01;
        let ok = Voucher::decode(&m).and_then(|v| v.verify()).is_ok();
        if ok {
            accepted.push(i);
        }
    }
    let outside_hmac: Vec<_> =
        accepted.iter().filter(|i| !(hmac_at..hmac_at + v.hmac.value.len()).contains(i)).collect();
    assert!(outside_hmac.is_empty(), "flips accepted outside the HMAC: {outside_hmac:?}");
    // the HMAC value is covered by entry 0's HashPrevEntry, so flipping it fails too
    assert!(accepted.is_empty(), "{accepted:?}");
    for n in 0..bytes.len() {
        assert!(Voucher::decode(&bytes[..n]).is_err());
    }
}
