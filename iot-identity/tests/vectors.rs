//! Public vectors: Matter PAA -> PAI -> DAC chains and Certification Declarations (12/12), and the
//! rustls-webpki chains (Ed25519, critical extensions, client-auth EKU).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    reason = "test code"
)]

use iot_identity::cert::pem_blocks;
use iot_identity::{Certificate, Error, Options, Profile, Time, oid, validate, verify_certification_declaration};
use iot_test_vectors::{area, json, unhex};

fn pem_cert(path: &std::path::Path) -> Vec<u8> {
    pem_blocks(&std::fs::read_to_string(path).unwrap(), "CERTIFICATE").remove(0)
}

#[test]
fn matter_dac_vectors() {
    let Some(dir) = area("identity") else { return };
    let dir = dir.join("matter-dac");
    let doc = json(&dir.join("dac-vectors.json"));
    let paa_der = pem_cert(&dir.join("paa-fff1-cert.pem"));
    let cd_der = pem_cert(&dir.join("cd-signing-cert.pem"));
    let paa = Certificate::from_der(&paa_der).unwrap();
    let cd_signer = Certificate::from_der(&cd_der).unwrap();
    let time = Time::from_unix(doc["recommended_validation_time_unix"].as_i64().unwrap());
    let mut right = 0;
    let vectors = doc["vectors"].as_array().unwrap();
    for v in vectors {
        let id = v["id"].as_str().unwrap();
        let dac_der = unhex(v["dac_cert_der_hex"].as_str().unwrap());
        let pai_der = unhex(v["pai_cert_der_hex"].as_str().unwrap());
        let cd = unhex(v["certification_declaration_cms_der_hex"].as_str().unwrap());
        let expected = v["matter_expected_success"].as_bool().unwrap();
        let matter = (|| -> Result<(), Error> {
            let dac = Certificate::from_der(&dac_der)?;
            let pai = Certificate::from_der(&pai_der)?;
            validate(&dac, &[pai], &[paa], &Options::new(time, Profile::Matter))?;
            verify_certification_declaration(&cd, &cd_signer)?;
            Ok(())
        })();
        println!("{id}: {matter:?}");
        assert_eq!(matter.is_ok(), expected, "{id}: {matter:?}");
        // The plain RFC 5280 profile agrees with OpenSSL's verdict on the chain alone.
        let openssl_ok = v["openssl_3_0_rfc5280_verify_at_2023_01_01"].as_str().unwrap() == "OK";
        let plain = Certificate::from_der(&dac_der).and_then(|dac| {
            let pai = Certificate::from_der(&pai_der)?;
            validate(&dac, &[pai], &[paa], &Options::new(time, Profile::Rfc5280))
        });
        // OpenSSL accepts SHA-1 and secp256k1, which are outside our algorithm allow-list.
        if !matches!(id, "struct_dac_sig_algo_ecdsa_with_sha1") {
            assert_eq!(plain.is_ok(), openssl_ok, "{id} under rfc5280: {plain:?}");
        }
        right += 1;
    }
    assert_eq!(right, 12);
}

#[test]
fn matter_declaration_content_and_wrong_signer() {
    let Some(dir) = area("identity") else { return };
    let dir = dir.join("matter-dac");
    let doc = json(&dir.join("dac-vectors.json"));
    let cd_der = pem_cert(&dir.join("cd-signing-cert.pem"));
    let paa_der = pem_cert(&dir.join("paa-fff1-cert.pem"));
    let cd = unhex(doc["vectors"][0]["certification_declaration_cms_der_hex"].as_str().unwrap());
    let content = verify_certification_declaration(&cd, &Certificate::from_der(&cd_der).unwrap()).unwrap();
    // Matter TLV: an anonymous structure (0x15) that ends with end-of-container (0x18).
    assert_eq!(content.first(), Some(&0x15));
    assert_eq!(content.last(), Some(&0x18));
    let wrong = verify_certification_declaration(&cd, &Certificate::from_der(&paa_der).unwrap());
    assert!(matches!(wrong, Err(Error::WrongBinding(_))), "{wrong:?}");
    let mut flipped = cd.clone();
    let n = flipped.len();
    flipped[n - 5] ^= 1;
    assert!(verify_certification_declaration(&flipped, &Certificate::from_der(&cd_der).unwrap()).is_err());
}

fn der(dir: &std::path::Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

#[test]
fn webpki_ed25519_chain() {
    let Some(dir) = area("identity") else { return };
    let dir = dir.join("webpki-chains");
    let (ca, ee) = (der(&dir, "ed25519-ca.der"), der(&dir, "ed25519-ee.der"));
    let ca = Certificate::from_der(&ca).unwrap();
    let ee = Certificate::from_der(&ee).unwrap();
    let mut opts = Options::new(Time::from_unix(1_547_363_522), Profile::Webpki);
    opts.pedantic = false;
    validate(&ee, &[], &[ca], &opts).unwrap();
    opts.time = Time::from_unix(1_700_000_000);
    assert!(matches!(validate(&ee, &[], &[ca], &opts), Err(Error::Expired)));
}

#[cfg(feature = "rsa")]
#[test]
fn webpki_critical_extension_chain() {
    let Some(dir) = area("identity") else { return };
    let dir = dir.join("webpki-chains");
    let root = der(&dir, "critext-root.der");
    let ca = der(&dir, "critext-ca.der");
    let ok = der(&dir, "critext-ee-noncrit-unknown-ext.der");
    let bad = der(&dir, "critext-ee-crit-unknown-ext.der");
    let root = Certificate::from_der(&root).unwrap();
    let ca = Certificate::from_der(&ca).unwrap();
    let mut opts = Options::new(Time::from_unix(1_670_779_098), Profile::Webpki);
    opts.pedantic = false;
    validate(&Certificate::from_der(&ok).unwrap(), &[ca], &[root], &opts).unwrap();
    let r = validate(&Certificate::from_der(&bad).unwrap(), &[ca], &[root], &opts);
    assert!(matches!(r, Err(Error::UnsupportedCriticalExtension)), "{r:?}");
}

#[test]
fn webpki_client_auth_eku() {
    let Some(dir) = area("identity") else { return };
    let dir = dir.join("webpki-chains");
    let time = Time::from_unix(535_687_181);
    // No EKU allows every purpose; both EKUs allow both: each leaf is valid for client and server.
    for (ca, ee) in [
        ("clientauth-noeku-ca.der", "clientauth-noeku-ee.der"),
        ("clientauth-botheku-ca.der", "clientauth-botheku-ee.der"),
    ] {
        let ca = der(&dir, ca);
        let ee = der(&dir, ee);
        let ca = Certificate::from_der(&ca).unwrap();
        let ee = Certificate::from_der(&ee).unwrap();
        // These test CAs omit key identifiers: accepted only with the issuance rules off.
        let strict = Options::new(time, Profile::Rfc5280).client_auth();
        assert!(matches!(validate(&ee, &[], &[ca], &strict), Err(Error::Malformed(_))));
        let mut opts = strict;
        opts.pedantic = false;
        validate(&ee, &[], &[ca], &opts).unwrap();
        let mut server = opts;
        server.eku = Some(oid::KP_SERVER_AUTH);
        validate(&ee, &[], &[ca], &server).unwrap();
        // A purpose neither names is refused for the leaf that names its purposes.
        let mut other = opts;
        other.eku = Some(&[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03]); // id-kp-codeSigning
        assert_eq!(validate(&ee, &[], &[ca], &other).is_ok(), ee.extensions.extended_key_usage.is_none());
    }
}
