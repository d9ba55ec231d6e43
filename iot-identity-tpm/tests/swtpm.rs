//! Against a TPM (swtpm in CI): the device key is created in the TPM, a CSR and a claim proof are
//! signed by it and verify with its public key, and the key is the same on every open.
//!
//! Set `IOT_TPM_TCTI` (e.g. `swtpm:host=127.0.0.1,port=2321`); without it the tests print why they
//! skip, and fail when `IOT_REQUIRE_TPM=1` (CI sets it after starting swtpm).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use iot_cose::CoseSigner as _;
use iot_identity::claim::{Challenge, code_hash, respond, verify_response};
use iot_identity::provision::VerifyKey;
use iot_identity::{Ca, Certificate, Csr, Options, Profile, Subject, Time, validate, write_csr};
use iot_identity_tpm::TpmKey;

fn tcti() -> Option<String> {
    match std::env::var("IOT_TPM_TCTI") {
        Ok(t) => Some(t),
        Err(_) => {
            assert!(
                std::env::var("IOT_REQUIRE_TPM").as_deref() != Ok("1"),
                "IOT_REQUIRE_TPM=1 but IOT_TPM_TCTI is unset"
            );
            println!("skipped: IOT_TPM_TCTI is not set (no TPM to test against)");
            None
        }
    }
}

/// One test so that the TPM sees one client at a time (swtpm serves one connection).
#[test]
fn tpm_resident_device_key() {
    let Some(tcti) = tcti() else { return };
    let key = TpmKey::create_primary(&tcti).unwrap();
    let public = *key.verifying_key();

    // A CSR signed in the TPM: its proof of possession verifies, with the TPM's public key.
    let mut buf = [0u8; 512];
    let n = write_csr(&Subject::device("TPM-0001", Some("tpm device")), &key, &mut buf).unwrap();
    let csr = Csr::from_der(&buf[..n]).unwrap();
    csr.verify().unwrap();
    assert_eq!(csr.public_key.key, public.to_sec1_point(false).as_bytes());
    let mut tampered = buf[..n].to_vec();
    tampered[n - 5] ^= 1;
    assert!(Csr::from_der(&tampered).and_then(|c| c.verify()).is_err());

    // A CA issues the DevID from it; the chain validates under the devid profile.
    let t0 = Time(1_767_225_600);
    let root = Ca::root(
        &Subject::common_name("Root"),
        iot_cose::p256::ecdsa::SigningKey::from_slice(&[1; 32]).unwrap(),
        t0,
        Time::NO_EXPIRY,
        Some(0),
    )
    .unwrap();
    let devid = root.issue_devid(&buf[..n], t0, Time::NO_EXPIRY).unwrap();
    let leaf = Certificate::from_der(&devid).unwrap();
    validate(&leaf, &[], &[root.certificate().unwrap()], &Options::new(t0, Profile::DevId)).unwrap();

    // A claim proof signed in the TPM verifies against the certificate's key.
    let code = "7KQ2-M9XW-4T8B-ZR1D-6HVN-3CPA-XY";
    let challenge = Challenge { nonce: [9; 16], account: "acct" };
    let n = respond(&code_hash(code).unwrap(), &challenge, "TPM-0001", &key, &mut buf).unwrap();
    let cert_key = VerifyKey::from_public_key(&leaf.public_key).unwrap();
    assert_eq!(verify_response(&buf[..n], &cert_key, code, &challenge).unwrap().serial, "TPM-0001");

    // Signatures are fresh ECDSA (random k in the TPM) and verify; the algorithm is ES256.
    assert_eq!(key.algorithm(), iot_cose::Algorithm::ES256);
    let a = key.try_sign_parts(&[b"abc"]).unwrap();
    let b = key.try_sign_parts(&[b"a", b"bc"]).unwrap();
    use iot_cose::signature::Verifier as _;
    public.verify(b"abc", &a).unwrap();
    public.verify(b"abc", &b).unwrap();
    assert!(public.verify(b"abd", &a).is_err());

    // A primary key is derived from the owner seed: opening again gives the same key.
    drop(key);
    let again = TpmKey::create_primary(&tcti).unwrap();
    assert_eq!(*again.verifying_key(), public);
    assert!(format!("{again:?}").contains("TpmKey"));
}

#[test]
fn bad_tcti_is_an_error() {
    assert!(TpmKey::create_primary("nonsense-tcti:").is_err());
}
