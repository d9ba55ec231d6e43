//! CA operations and CSRs: a root, an intermediate and a DevID issued from a device's CSR, then
//! validated under every profile; every rejection of a bad CSR or chain.
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

use iot_identity::iot_cose::ed25519_dalek;
use iot_identity::iot_cose::p256::ecdsa::SigningKey;
use iot_identity::issue::{CertParams, CertProfile, key_identifier, write_certificate};
use iot_identity::{Ca, Certificate, Csr, Error, KeyUsage, Options, Profile, Subject, Time, oid, validate, write_csr};
use proptest::prelude::*;

const T0: i64 = 1_767_225_600; // 2026-01-01
const YEAR: i64 = 365 * 86_400;

fn p256(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn fleet() -> (Ca<SigningKey>, Ca<SigningKey>) {
    let root = Ca::root(&Subject::common_name("Fleet Root"), p256(1), Time(T0), Time(T0 + 20 * YEAR), Some(1)).unwrap();
    let int = Ca::intermediate(
        &Subject::common_name("Fleet Issuing CA"),
        p256(2),
        &root,
        Time(T0),
        Time(T0 + 10 * YEAR),
        Some(0),
    )
    .unwrap();
    (root, int)
}

fn device_cert(int: &Ca<SigningKey>, key: &SigningKey, serial: &str) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let n = write_csr(&Subject::device(serial, Some("sensor")), key, &mut buf).unwrap();
    int.issue_devid(&buf[..n], Time(T0), Time::NO_EXPIRY).unwrap()
}

#[test]
fn devid_chain_validates_under_every_profile() {
    let (root, int) = fleet();
    let dev = device_cert(&int, &p256(3), "SN-42");
    let leaf = Certificate::from_der(&dev).unwrap();
    let anchors = [root.certificate().unwrap()];
    let inters = [int.certificate().unwrap()];
    assert_eq!(leaf.subject.serial_number(), Some("SN-42"));
    assert_eq!(leaf.not_after, Time::NO_EXPIRY);
    assert!(!leaf.is_ca());
    assert_eq!(leaf.extensions.key_usage.map(|(k, c)| (k.0, c)), Some((KeyUsage::DIGITAL_SIGNATURE, true)));
    assert!(leaf.extended_key_usages().any(|k| k == oid::KP_CLIENT_AUTH));
    assert_eq!(leaf.extensions.authority_key_id.flatten(), inters[0].extensions.subject_key_id);
    for profile in [Profile::Rfc5280, Profile::Webpki, Profile::DevId] {
        let path = validate(&leaf, &inters, &anchors, &Options::new(Time(T0 + YEAR), profile).client_auth()).unwrap();
        assert_eq!(path.intermediates(), &[0]);
        assert_eq!(path.anchor, 0);
    }
    // Not a server certificate, and not valid before it was issued.
    let r = validate(&leaf, &inters, &anchors, &Options::new(Time(T0 + YEAR), Profile::DevId).server_auth());
    assert!(matches!(r, Err(Error::ExtendedKeyUsage)), "{r:?}");
    let r = validate(&leaf, &inters, &anchors, &Options::new(Time(T0 - 1), Profile::DevId));
    assert!(matches!(r, Err(Error::NotYetValid)), "{r:?}");
    // The intermediate expires before the device certificate does.
    let r = validate(&leaf, &inters, &anchors, &Options::new(Time(T0 + 11 * YEAR), Profile::DevId));
    assert!(matches!(r, Err(Error::Expired)), "{r:?}");
    // Without the intermediate, or with another root, there is no path.
    let r = validate(&leaf, &[], &anchors, &Options::new(Time(T0), Profile::DevId));
    assert!(matches!(r, Err(Error::UnknownIssuer)), "{r:?}");
    let other = Ca::root(&Subject::common_name("Fleet Root"), p256(9), Time(T0), Time(T0 + YEAR), None).unwrap();
    let r = validate(&leaf, &inters, &[other.certificate().unwrap()], &Options::new(Time(T0), Profile::DevId));
    assert!(matches!(r, Err(Error::BadSignature)), "{r:?}");
}

#[test]
fn ed25519_keys_issue_and_validate() {
    let root_key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let root = Ca::root(&Subject::common_name("Ed Root"), root_key, Time(T0), Time(T0 + YEAR), None).unwrap();
    let dev = ed25519_dalek::SigningKey::from_bytes(&[6; 32]);
    let mut buf = [0u8; 512];
    let n = write_csr(&Subject::device("ED-1", None), &dev, &mut buf).unwrap();
    Csr::from_der(&buf[..n]).unwrap().verify().unwrap();
    let cert = root.issue_devid(&buf[..n], Time(T0), Time(T0 + YEAR)).unwrap();
    let leaf = Certificate::from_der(&cert).unwrap();
    validate(&leaf, &[], &[root.certificate().unwrap()], &Options::new(Time(T0 + 1), Profile::DevId).client_auth())
        .unwrap();
}

#[test]
fn path_length_and_ca_rules() {
    let (root, int) = fleet();
    // pathLen 0 on the issuing CA: a sub-CA below it cannot issue.
    let sub =
        Ca::intermediate(&Subject::common_name("Too Deep"), p256(4), &int, Time(T0), Time(T0 + YEAR), None).unwrap();
    let dev = device_cert(&sub, &p256(5), "SN-1");
    let leaf = Certificate::from_der(&dev).unwrap();
    let inters = [int.certificate().unwrap(), sub.certificate().unwrap()];
    let r = validate(&leaf, &inters, &[root.certificate().unwrap()], &Options::new(Time(T0 + 1), Profile::DevId));
    assert!(matches!(r, Err(Error::PathTooLong)), "{r:?}");
    // A device certificate cannot issue: its key signs a "CA" for another device.
    let dev_ca_der = device_cert(&int, &p256(6), "SN-2");
    let dev_ca = Certificate::from_der(&dev_ca_der).unwrap();
    let mut buf = [0u8; 1024];
    let mut name = [0u8; 64];
    let name_len = iot_identity::issue::write_name(&Subject::device("SN-3", None), &mut name).unwrap();
    let mut spki = [0u8; 128];
    let spki_len = iot_identity::public_key_der(&p256(7), &mut spki).unwrap();
    let params = CertParams::new(&[1, 2, 3], Time(T0), Time(T0 + YEAR), CertProfile::DevId);
    let n =
        write_certificate(&params, &name[..name_len], &spki[..spki_len], Some(&dev_ca), &p256(6), &mut buf).unwrap();
    let forged = Certificate::from_der(&buf[..n]).unwrap();
    let r = validate(
        &forged,
        &[dev_ca, int.certificate().unwrap()],
        &[root.certificate().unwrap()],
        &Options::new(Time(T0 + 1), Profile::Rfc5280),
    );
    assert!(matches!(r, Err(Error::IssuerNotCa)), "{r:?}");
}

#[test]
fn csr_rejections() {
    let (_, int) = fleet();
    let key = p256(3);
    let mut buf = [0u8; 512];
    let n = write_csr(&Subject::device("SN-7", None), &key, &mut buf).unwrap();
    // A flipped bit anywhere in the signed part breaks proof of possession.
    let mut bad = buf[..n].to_vec();
    let at = bad.len() - 80;
    bad[at] ^= 1;
    assert!(int.issue_devid(&bad, Time(T0), Time(T0 + YEAR)).is_err());
    // No serialNumber: not a DevID request.
    let n2 = write_csr(&Subject::common_name("no serial"), &key, &mut buf).unwrap();
    assert!(matches!(int.issue_devid(&buf[..n2], Time(T0), Time(T0 + YEAR)), Err(Error::Profile { .. })));
    // Subject rules and small buffers.
    assert!(matches!(write_csr(&Subject::device("bad*serial", None), &key, &mut buf), Err(Error::Malformed(_))));
    let mut tiny = [0u8; 100];
    assert!(matches!(write_csr(&Subject::device("SN-1", None), &key, &mut tiny), Err(Error::BufferTooSmall)));
    // Truncated, trailing bytes.
    let n = write_csr(&Subject::device("SN-7", None), &key, &mut buf).unwrap();
    assert!(Csr::from_der(&buf[..n - 1]).is_err());
    let mut trailing = buf[..n].to_vec();
    trailing.push(0);
    assert!(Csr::from_der(&trailing).is_err());
}

#[test]
fn ca_from_parts_checks_the_key() {
    let (root, _) = fleet();
    let der = root.certificate_der().to_vec();
    assert!(Ca::from_parts(der.clone(), p256(1)).is_ok());
    assert!(matches!(Ca::from_parts(der, p256(2)), Err(Error::WrongBinding(_))));
    let ski = root.certificate().unwrap().extensions.subject_key_id.unwrap().to_vec();
    assert_eq!(ski, key_identifier(root.certificate().unwrap().public_key.raw).unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any subject within the rules round-trips through CSR and certificate.
    #[test]
    fn subjects_round_trip(serial in "[A-Za-z0-9 .:-]{1,40}", cn in proptest::option::of("[a-zA-Z0-9 ]{1,30}"), seed in 3u8..200) {
        let (_, int) = fleet();
        let key = p256(seed);
        let mut buf = [0u8; 512];
        let n = write_csr(&Subject::device(&serial, cn.as_deref()), &key, &mut buf).unwrap();
        let csr = Csr::from_der(&buf[..n]).unwrap();
        prop_assert_eq!(csr.subject.serial_number(), Some(serial.as_str()));
        prop_assert_eq!(csr.subject.common_name(), cn.as_deref());
        let cert = int.issue_devid(&buf[..n], Time(T0), Time(T0 + YEAR)).unwrap();
        let leaf = Certificate::from_der(&cert).unwrap();
        prop_assert_eq!(leaf.subject.raw, csr.subject.raw);
        prop_assert_eq!(leaf.public_key.raw, csr.public_key.raw);
    }

    /// The parser never panics on arbitrary bytes, nor on any truncation of a real certificate.
    #[test]
    fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), cut in 0usize..700) {
        let _ = Certificate::from_der(&bytes);
        let _ = Csr::from_der(&bytes);
        let (root, _) = fleet();
        let der = root.certificate_der();
        let _ = Certificate::from_der(&der[..cut.min(der.len())]);
    }
}

#[test]
fn deny_list_takes_effect_at_once() {
    use iot_identity::{DenyList, spki_sha256};
    let (root, int) = fleet();
    let dev = device_cert(&int, &p256(3), "SN-9");
    let leaf = Certificate::from_der(&dev).unwrap();
    let anchors = [root.certificate().unwrap()];
    let inters = [int.certificate().unwrap()];
    let mut deny = DenyList::new();
    let opts = |d: &DenyList| {
        validate(&leaf, &inters, &anchors, &Options::new(Time(T0 + 1), Profile::DevId).with_revocation(d)).map(|_| ())
    };
    opts(&deny).unwrap();
    deny.revoke(&leaf);
    assert!(matches!(opts(&deny), Err(Error::Revoked)));
    assert!(deny.unrevoke(&leaf));
    opts(&deny).unwrap();
    // Revoking the issuing CA's key revokes everything below it.
    deny.revoke_key(spki_sha256(&inters[0]));
    assert!(matches!(opts(&deny), Err(Error::Revoked)));
    // A new certificate for a revoked device key is revoked too.
    let mut deny = DenyList::new();
    deny.revoke_key(spki_sha256(&leaf));
    let again = device_cert(&int, &p256(3), "SN-9b");
    let again = Certificate::from_der(&again).unwrap();
    let r = validate(&again, &inters, &anchors, &Options::new(Time(T0 + 1), Profile::DevId).with_revocation(&deny));
    assert!(matches!(r, Err(Error::Revoked)));
    assert_eq!(deny.len(), 1);
}

#[test]
fn pins_and_renewal() {
    use iot_identity::{Operation, PinSet, Renewal, RenewalPolicy, spki_sha256};
    let (root, int) = fleet();
    let leaf_der = device_cert(&int, &p256(3), "SN-1");
    let leaf = Certificate::from_der(&leaf_der).unwrap();
    let i = int.certificate().unwrap();
    let pins = [spki_sha256(&i)];
    let set = PinSet::new(&pins);
    assert!(set.check(&i).is_ok());
    assert!(matches!(set.check(&leaf), Err(Error::WrongBinding(_))));
    assert!(set.check_any(&[leaf, i]).is_ok());
    assert!(set.check_any(&[leaf, root.certificate().unwrap()]).is_err());

    // The issuing CA is valid T0 .. T0 + 10y: renew in the last 30 days, 7 days of grace.
    let day = 86_400;
    let policy = RenewalPolicy::new(30 * day, 7 * day);
    let end = i.not_after;
    assert_eq!(policy.status(&i, Time(T0 + YEAR)), Renewal::Valid);
    assert_eq!(policy.status(&i, end.plus(-29 * day)), Renewal::RenewNow);
    assert_eq!(policy.status(&i, end.plus(day)), Renewal::Grace);
    assert_eq!(policy.status(&i, end.plus(8 * day)), Renewal::Unusable);
    assert_eq!(policy.status(&i, Time(T0 - 1)), Renewal::Unusable);
    assert!(policy.allows(&i, end.plus(day), Operation::Critical).is_ok());
    assert!(matches!(policy.allows(&i, end.plus(day), Operation::Normal), Err(Error::Expired)));
    assert!(matches!(policy.allows(&i, Time(T0 - 1), Operation::Critical), Err(Error::NotYetValid)));
    // A DevID with no expiry is never due.
    assert_eq!(policy.status(&leaf, Time(T0 + 100 * YEAR)), Renewal::Valid);
}

/// The README's parser limits: 64 name attributes, 32 extensions; and duplicate extensions.
#[test]
fn parser_limits() {
    use iot_identity::Name;
    use iot_identity::der::{Writer, tag};
    let name = |n: usize, buf: &mut [u8]| {
        let mut w = Writer::new(buf);
        let seq = w.open(tag::SEQUENCE);
        for _ in 0..n {
            let set = w.open(tag::SET);
            let atv = w.open(tag::SEQUENCE);
            w.primitive(tag::OID, oid::AT_ORGANIZATION);
            w.primitive(tag::UTF8_STRING, b"x");
            w.close(atv);
            w.close(set);
        }
        w.close(seq);
        w.finish().unwrap()
    };
    let mut buf = [0u8; 2048];
    let n = name(64, &mut buf);
    assert_eq!(Name::from_der(&buf[..n]).unwrap().attributes().count(), 64);
    let n = name(65, &mut buf);
    assert!(matches!(Name::from_der(&buf[..n]), Err(Error::LimitExceeded(_))));

    // A certificate with `count` distinct (or all-equal) unknown extensions.
    let cert = |count: usize, same: bool| {
        let mut buf = vec![0u8; 8192];
        let mut w = Writer::new(&mut buf);
        let outer = w.open(tag::SEQUENCE);
        let tbs = w.open(tag::SEQUENCE);
        let v = w.open(tag::context(0));
        w.primitive(tag::INTEGER, &[2]);
        w.close(v);
        w.primitive(tag::INTEGER, &[1]);
        w.raw(&[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);
        let mut nm = [0u8; 64];
        let nl = name(1, &mut nm);
        w.raw(&nm[..nl]);
        let val = w.open(tag::SEQUENCE);
        w.primitive(tag::UTC_TIME, b"260101000000Z");
        w.primitive(tag::UTC_TIME, b"270101000000Z");
        w.close(val);
        w.raw(&nm[..nl]);
        let mut spki = [0u8; 128];
        let sl = iot_identity::public_key_der(&p256(1), &mut spki).unwrap();
        w.raw(&spki[..sl]);
        let exts = w.open(tag::context(3));
        let list = w.open(tag::SEQUENCE);
        for i in 0..count {
            let e = w.open(tag::SEQUENCE);
            let last = if same { 0 } else { u8::try_from(i).unwrap() };
            w.primitive(tag::OID, &[0x2b, 0x06, 0x01, 0x04, 0x01, last]);
            let o = w.open(tag::OCTET_STRING);
            w.primitive(tag::NULL, &[]);
            w.close(o);
            w.close(e);
        }
        w.close(list);
        w.close(exts);
        w.close(tbs);
        w.raw(&[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);
        w.bit_string(&[0; 8]);
        w.close(outer);
        let n = w.finish().unwrap();
        buf.truncate(n);
        buf
    };
    let ok = cert(32, false);
    assert_eq!(Certificate::from_der(&ok).unwrap().extensions.count, 32);
    assert!(matches!(Certificate::from_der(&cert(33, false)), Err(Error::LimitExceeded(_))));
    assert!(matches!(Certificate::from_der(&cert(2, true)), Err(Error::DuplicateExtension)));
}
