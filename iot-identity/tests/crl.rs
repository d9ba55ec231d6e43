//! CRLs: issued by our CA, parsed, verified and checked on a path; every refusal of a CRL whose
//! meaning this crate does not implement, and every malformed one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::std_instead_of_core,
    reason = "test code"
)]

use iot_identity::crl::{Crl, CrlSet, Depth, Revoked, UnknownStatus};
use iot_identity::der::{Writer, tag};
use iot_identity::iot_cose::p256::ecdsa::SigningKey;
use iot_identity::{Ca, Certificate, Error, Options, Profile, Subject, Time, oid, validate, write_csr};
use proptest::prelude::*;

const T0: i64 = 1_767_225_600; // 2026-01-01
const DAY: i64 = 86_400;
const YEAR: i64 = 365 * DAY;

fn p256(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

struct Fleet {
    root: Ca<SigningKey>,
    int: Ca<SigningKey>,
    leaf: Vec<u8>,
}

fn fleet() -> Fleet {
    let root = Ca::root(&Subject::common_name("Fleet Root"), p256(1), Time(T0), Time(T0 + 20 * YEAR), Some(1)).unwrap();
    let int =
        Ca::intermediate(&Subject::common_name("Issuing CA"), p256(2), &root, Time(T0), Time(T0 + 10 * YEAR), Some(0))
            .unwrap();
    let mut csr = [0u8; 512];
    let n = write_csr(&Subject::device("SN-1", None), &p256(3), &mut csr).unwrap();
    let leaf = int.issue_devid(&csr[..n], Time(T0), Time::NO_EXPIRY).unwrap();
    Fleet { root, int, leaf }
}

fn check(f: &Fleet, crls: &[Vec<u8>], set: impl for<'c, 'a> Fn(&'c [Crl<'a>]) -> CrlSet<'c, 'a>) -> Result<(), Error> {
    let parsed: Vec<Crl<'_>> = crls.iter().map(|d| Crl::from_der(d).unwrap()).collect();
    let set = set(&parsed);
    let leaf = Certificate::from_der(&f.leaf).unwrap();
    let opts = Options::new(Time(T0 + DAY), Profile::DevId).with_revocation(&set);
    validate(&leaf, &[f.int.certificate().unwrap()], &[f.root.certificate().unwrap()], &opts).map(|_| ())
}

fn now<'c, 'a>(c: &'c [Crl<'a>]) -> CrlSet<'c, 'a> {
    CrlSet::new(c, Time(T0 + DAY))
}

fn late<'c, 'a>(c: &'c [Crl<'a>]) -> CrlSet<'c, 'a> {
    CrlSet::new(c, Time(T0 + 8 * DAY))
}

fn early<'c, 'a>(c: &'c [Crl<'a>]) -> CrlSet<'c, 'a> {
    CrlSet::new(c, Time(T0 - 1))
}

/// UTCTime, as a CRL writer would put it.
fn utc(w: &mut Writer<'_>, t: Time) {
    let (y, mo, d, h, mi, s) = t.to_parts();
    let text = format!("{:02}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z", y % 100);
    w.primitive(tag::UTC_TIME, text.as_bytes());
}

#[test]
fn issued_crl_round_trips_and_revokes() {
    let f = fleet();
    let leaf = Certificate::from_der(&f.leaf).unwrap();
    let entries = [Revoked::new(&[0x01, 0x02], Time(T0), None), Revoked::new(leaf.serial, Time(T0 + 3600), Some(1))];
    let crl_der = f.int.crl(7, Time(T0), Time(T0 + 7 * DAY), &entries).unwrap();
    let crl = Crl::from_der(&crl_der).unwrap();
    assert_eq!(crl.crl_number, &[7]);
    assert_eq!(crl.next_update, Some(Time(T0 + 7 * DAY)));
    assert_eq!(crl.revoked().collect::<Vec<_>>(), entries);
    assert_eq!(crl.find(leaf.serial).unwrap().reason, Some(1));
    assert!(crl.find(&[0x01, 0x03]).is_none());
    crl.verify(&f.int.certificate().unwrap()).unwrap();
    assert!(matches!(crl.verify(&f.root.certificate().unwrap()), Err(Error::WrongBinding(_))));

    let root_crl = f.root.crl(1, Time(T0), Time(T0 + 30 * DAY), &[]).unwrap();
    assert!(matches!(check(&f, &[crl_der.clone(), root_crl.clone()], now), Err(Error::Revoked)));
    // the same CA's next CRL no longer lists it
    let clean = f.int.crl(8, Time(T0), Time(T0 + 7 * DAY), &entries[..1]).unwrap();
    check(&f, &[clean.clone(), root_crl.clone()], now).unwrap();
    // the root revokes the issuing CA: everything below it falls
    let int_serial = f.int.certificate().unwrap().serial.to_vec();
    let root_revokes =
        f.root.crl(2, Time(T0), Time(T0 + 30 * DAY), &[Revoked::new(&int_serial, Time(T0), Some(2))]).unwrap();
    assert!(matches!(check(&f, &[clean.clone(), root_revokes], now), Err(Error::Revoked)));
}

#[test]
fn missing_or_stale_status() {
    let f = fleet();
    let int_crl = f.int.crl(1, Time(T0), Time(T0 + 7 * DAY), &[]).unwrap();
    let root_crl = f.root.crl(1, Time(T0), Time(T0 + 7 * DAY), &[]).unwrap();
    // no CRL from the root for the issuing CA: unknown, which fails closed by default
    assert!(matches!(check(&f, std::slice::from_ref(&int_crl), now), Err(Error::RevocationUnknown)));
    check(&f, std::slice::from_ref(&int_crl), |c| {
        let mut s = now(c);
        s.depth = Depth::EndEntity;
        s
    })
    .unwrap();
    check(&f, &[], |c| {
        let mut s = now(c);
        s.unknown = UnknownStatus::Allow;
        s
    })
    .unwrap();
    // past nextUpdate: refused unless the caller accepts stale CRLs
    assert!(matches!(check(&f, &[int_crl.clone(), root_crl.clone()], late), Err(Error::NotUsable(_))));
    check(&f, &[int_crl.clone(), root_crl.clone()], |c| {
        let mut s = CrlSet::new(c, Time(T0 + 8 * DAY));
        s.enforce_next_update = false;
        s
    })
    .unwrap();
    // issued after the validation time
    assert!(matches!(check(&f, &[int_crl, root_crl], early), Err(Error::NotUsable(_))));
}

#[test]
fn crl_of_another_key_or_tampered() {
    let f = fleet();
    let root_crl = f.root.crl(1, Time(T0), Time(T0 + 7 * DAY), &[]).unwrap();
    // a CA with the same name but another key: its CRL is not the issuing CA's (key identifiers
    // differ), so the status stays unknown rather than "not revoked"
    let twin =
        Ca::intermediate(&Subject::common_name("Issuing CA"), p256(9), &f.root, Time(T0), Time(T0 + YEAR), Some(0))
            .unwrap();
    let twin_crl = twin.crl(1, Time(T0), Time(T0 + 7 * DAY), &[]).unwrap();
    assert!(matches!(check(&f, &[twin_crl, root_crl.clone()], now), Err(Error::RevocationUnknown)));
    // a tampered signature
    let mut bad = f.int.crl(1, Time(T0), Time(T0 + 7 * DAY), &[]).unwrap();
    let last = bad.len() - 2;
    bad[last] ^= 1;
    assert!(matches!(check(&f, &[bad, root_crl], now), Err(Error::BadSignature)));
}

#[test]
fn only_cas_with_crl_sign_write_crls() {
    let f = fleet();
    let leaf = Certificate::from_der(&f.leaf).unwrap();
    let params = iot_identity::crl::CrlParams::new(1, Time(T0), Time(T0 + DAY), &[]);
    let mut buf = [0u8; 1024];
    let r = iot_identity::crl::write_crl(&params, &leaf, &p256(3), &mut buf);
    assert!(matches!(r, Err(Error::IssuerNotCa)), "{r:?}");
    let int = f.int.certificate().unwrap();
    let bad = iot_identity::crl::CrlParams::new(1, Time(T0 + DAY), Time(T0), &[]);
    assert!(matches!(iot_identity::crl::write_crl(&bad, &int, &p256(2), &mut buf), Err(Error::InvalidValidity)));
    let reason7 = [Revoked::new(&[1], Time(T0), Some(7))];
    let p = iot_identity::crl::CrlParams::new(1, Time(T0), Time(T0 + DAY), &reason7);
    assert!(matches!(iot_identity::crl::write_crl(&p, &int, &p256(2), &mut buf), Err(Error::Malformed(_))));
    let p = iot_identity::crl::CrlParams::new(1, Time(T0), Time(T0 + DAY), &[]);
    assert!(matches!(iot_identity::crl::write_crl(&p, &int, &p256(2), &mut buf[..100]), Err(Error::BufferTooSmall)));
}

// ---- hand-built CRLs for what our writer never produces ----

const ISSUER: &[u8] = &[0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x02, b'C', b'A'];
const ALG: &[u8] = &[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];

fn ext(w: &mut Writer<'_>, id: &[u8], critical: bool, value: &[u8]) {
    let e = w.open(tag::SEQUENCE);
    w.primitive(tag::OID, id);
    if critical {
        w.primitive(tag::BOOLEAN, &[0xff]);
    }
    w.primitive(tag::OCTET_STRING, value);
    w.close(e);
}

/// A CRL with `version` (None = v1), the given entry bytes and CRL extensions (None = absent).
fn crl_bytes(version: Option<u8>, entries: &[u8], exts: Option<&dyn Fn(&mut Writer<'_>)>) -> Vec<u8> {
    let mut buf = vec![0u8; 2048];
    let mut w = Writer::new(&mut buf);
    let outer = w.open(tag::SEQUENCE);
    let tbs = w.open(tag::SEQUENCE);
    if let Some(v) = version {
        w.primitive(tag::INTEGER, &[v]);
    }
    w.raw(ALG);
    w.raw(ISSUER);
    utc(&mut w, Time(T0));
    utc(&mut w, Time(T0 + DAY));
    if !entries.is_empty() {
        w.primitive(0x30, entries);
    }
    if let Some(f) = exts {
        let c = w.open(tag::context(0));
        let s = w.open(tag::SEQUENCE);
        f(&mut w);
        w.close(s);
        w.close(c);
    }
    w.close(tbs);
    w.raw(ALG);
    w.bit_string(&[0u8; 8]);
    w.close(outer);
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

fn number(w: &mut Writer<'_>) {
    ext(w, oid::EXT_CRL_NUMBER, false, &[0x02, 0x01, 0x05]);
}

/// One entry: serial 0x42, revoked at T0, with the given entry extensions (raw contents).
fn entry(exts: Option<&[u8]>) -> Vec<u8> {
    let mut buf = vec![0u8; 256];
    let mut w = Writer::new(&mut buf);
    let e = w.open(tag::SEQUENCE);
    w.primitive(tag::INTEGER, &[0x42]);
    utc(&mut w, Time(T0));
    if let Some(x) = exts {
        w.primitive(tag::SEQUENCE, x);
    }
    w.close(e);
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

fn entry_ext(id: &[u8], critical: bool, value: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; 128];
    let mut w = Writer::new(&mut buf);
    ext(&mut w, id, critical, value);
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

#[test]
fn hand_built_baseline_parses() {
    let der = crl_bytes(Some(1), &entry(None), Some(&number));
    let crl = Crl::from_der(&der).unwrap();
    assert_eq!(crl.find(&[0x42]).unwrap().date, Time(T0));
    assert_eq!(crl.crl_number, &[5]);
    // wrong signature bytes: parses, does not verify
    let f = fleet();
    assert!(crl.verify(&f.int.certificate().unwrap()).is_err());
}

#[test]
fn refused_crls() {
    let e = entry(None);
    type Case = (&'static str, Vec<u8>, fn(&Error) -> bool);
    let cases: Vec<Case> = vec![
        ("v1", crl_bytes(None, &e, None), |e| matches!(e, Error::UnsupportedVersion)),
        ("v3", crl_bytes(Some(2), &e, Some(&number)), |e| matches!(e, Error::UnsupportedVersion)),
        ("no extensions", crl_bytes(Some(1), &e, None), |e| matches!(e, Error::Malformed(_))),
        (
            "no cRLNumber",
            crl_bytes(Some(1), &e, Some(&|w| ext(w, oid::EXT_AKI, false, &[0x30, 0x03, 0x80, 0x01, 0x01]))),
            |e| matches!(e, Error::Malformed(_)),
        ),
        (
            "critical cRLNumber",
            crl_bytes(Some(1), &e, Some(&|w| ext(w, oid::EXT_CRL_NUMBER, true, &[0x02, 0x01, 0x05]))),
            |e| matches!(e, Error::Malformed(_)),
        ),
        (
            "negative cRLNumber",
            crl_bytes(Some(1), &e, Some(&|w| ext(w, oid::EXT_CRL_NUMBER, false, &[0x02, 0x01, 0x85]))),
            |e| matches!(e, Error::Malformed(_)),
        ),
        (
            "duplicate",
            crl_bytes(
                Some(1),
                &e,
                Some(&|w| {
                    number(w);
                    number(w);
                }),
            ),
            |e| matches!(e, Error::DuplicateExtension),
        ),
        (
            "delta",
            crl_bytes(
                Some(1),
                &e,
                Some(&|w| {
                    number(w);
                    ext(w, oid::EXT_DELTA_CRL, true, &[0x02, 0x01, 0x04]);
                }),
            ),
            |e| matches!(e, Error::UnsupportedCriticalExtension),
        ),
        (
            "indirect",
            crl_bytes(
                Some(1),
                &e,
                Some(&|w| {
                    number(w);
                    ext(w, oid::EXT_ISSUING_DP, true, &[0x30, 0x03, 0x84, 0x01, 0xff]);
                }),
            ),
            |e| matches!(e, Error::UnsupportedCriticalExtension),
        ),
        (
            "only some reasons",
            crl_bytes(
                Some(1),
                &e,
                Some(&|w| {
                    number(w);
                    ext(w, oid::EXT_ISSUING_DP, true, &[0x30, 0x04, 0x83, 0x02, 0x06, 0x40]);
                }),
            ),
            |e| matches!(e, Error::UnsupportedCriticalExtension),
        ),
        (
            "user and ca only",
            crl_bytes(
                Some(1),
                &e,
                Some(&|w| {
                    number(w);
                    ext(w, oid::EXT_ISSUING_DP, true, &[0x30, 0x06, 0x81, 0x01, 0xff, 0x82, 0x01, 0xff]);
                }),
            ),
            |e| matches!(e, Error::Malformed(_)),
        ),
        (
            "explicit FALSE flag",
            crl_bytes(
                Some(1),
                &e,
                Some(&|w| {
                    number(w);
                    ext(w, oid::EXT_ISSUING_DP, true, &[0x30, 0x03, 0x81, 0x01, 0x00]);
                }),
            ),
            |e| matches!(e, Error::Malformed(_)),
        ),
        (
            "unknown critical",
            crl_bytes(
                Some(1),
                &e,
                Some(&|w| {
                    number(w);
                    ext(w, &[0x2a, 0x03], true, &[0x05, 0x00]);
                }),
            ),
            |e| matches!(e, Error::UnsupportedCriticalExtension),
        ),
        (
            "entry certificateIssuer",
            crl_bytes(Some(1), &entry(Some(&entry_ext(&[0x55, 0x1d, 0x1d], true, &[0x30, 0x00]))), Some(&number)),
            |e| matches!(e, Error::UnsupportedCriticalExtension),
        ),
        (
            "entry unknown critical",
            crl_bytes(Some(1), &entry(Some(&entry_ext(&[0x2a, 0x03], true, &[0x05, 0x00]))), Some(&number)),
            |e| matches!(e, Error::UnsupportedCriticalExtension),
        ),
        (
            "entry reason 7",
            crl_bytes(
                Some(1),
                &entry(Some(&entry_ext(oid::EXT_REASON_CODE, false, &[0x0a, 0x01, 0x07]))),
                Some(&number),
            ),
            |e| matches!(e, Error::Malformed(_)),
        ),
        ("entry empty extensions", crl_bytes(Some(1), &entry(Some(&[])), Some(&number)), |e| {
            matches!(e, Error::Malformed(_))
        }),
    ];
    for (name, der, expected) in cases {
        match Crl::from_der(&der) {
            Ok(_) => panic!("{name}: accepted"),
            Err(e) => assert!(expected(&e), "{name}: {e:?}"),
        }
    }
    // a non-critical unknown entry extension and a reason code are fine
    let ok = entry(Some(&entry_ext(oid::EXT_REASON_CODE, false, &[0x0a, 0x01, 0x01])));
    assert_eq!(Crl::from_der(&crl_bytes(Some(1), &ok, Some(&number))).unwrap().find(&[0x42]).unwrap().reason, Some(1));
}

#[test]
fn scope_of_issuing_distribution_point() {
    let f = fleet();
    let leaf = Certificate::from_der(&f.leaf).unwrap();
    let only_ca = crl_bytes(
        Some(1),
        &[],
        Some(&|w| {
            number(w);
            ext(w, oid::EXT_ISSUING_DP, true, &[0x30, 0x03, 0x82, 0x01, 0xff]);
        }),
    );
    let c = Crl::from_der(&only_ca).unwrap();
    assert!(c.scope.only_ca && !c.scope.only_user && c.scope.distribution_point.is_none());
    let only_user = crl_bytes(
        Some(1),
        &[],
        Some(&|w| {
            number(w);
            ext(w, oid::EXT_ISSUING_DP, true, &[0x30, 0x03, 0x81, 0x01, 0xff]);
        }),
    );
    assert!(Crl::from_der(&only_user).unwrap().scope.only_user);
    // a distribution point name: only certificates whose cRLDistributionPoints carry it are covered
    let dp = crl_bytes(
        Some(1),
        &[],
        Some(&|w| {
            number(w);
            ext(w, oid::EXT_ISSUING_DP, true, &[0x30, 0x06, 0xa0, 0x04, 0xa0, 0x02, 0x86, 0x00]);
        }),
    );
    let c = Crl::from_der(&dp).unwrap();
    assert_eq!(c.scope.distribution_point, Some(&[0xa0, 0x04, 0xa0, 0x02, 0x86, 0x00][..]));
    assert!(!c.covers(&leaf));
}

#[test]
fn truncations_never_panic() {
    let f = fleet();
    let leaf = Certificate::from_der(&f.leaf).unwrap();
    let der = f.int.crl(3, Time(T0), Time(T0 + DAY), &[Revoked::new(leaf.serial, Time(T0), Some(4))]).unwrap();
    for n in 0..der.len() {
        assert!(Crl::from_der(&der[..n]).is_err(), "prefix {n}");
    }
    for i in 0..der.len() {
        let mut m = der.clone();
        m[i] ^= 0xff;
        let _ = Crl::from_der(&m).map(|c| c.revoked().count());
    }
}

proptest! {
    #[test]
    fn entries_round_trip(serials in proptest::collection::vec(proptest::collection::vec(1u8..=0x7f, 1..20), 0..40),
                          reason in proptest::option::of(0u8..=6)) {
        let f = fleet();
        let entries: Vec<Revoked<'_>> = serials.iter().map(|s| Revoked::new(s, Time(T0), reason)).collect();
        let der = f.int.crl(1, Time(T0), Time(T0 + DAY), &entries).unwrap();
        let crl = Crl::from_der(&der).unwrap();
        prop_assert_eq!(crl.revoked().collect::<Vec<_>>(), entries);
        crl.verify(&f.int.certificate().unwrap()).unwrap();
    }
}
