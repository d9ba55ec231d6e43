//! Trust domains (draft-ietf-suit-trust-domains) on the draft's Appendix B examples in
//! ../shared/vectors/suit/trust-domains: the dependent fetches (or carries) the dependency,
//! checks its manifest digest, authenticates it with the dependency authority's key and runs its
//! install in lockstep; tampered or foreign dependencies are refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code"
)]

use iot_manifest::codes::Section;
use iot_manifest::command::VendorId;
use iot_manifest::iot_cose::PublicKey;
use iot_manifest::{Component, Envelope, Error, MemoryCounter, Platform, PlatformError, Processor, RollbackCounter};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn dir() -> Option<PathBuf> {
    iot_test_vectors::area("suit")
}

fn read(d: &Path, f: &str) -> Vec<u8> {
    std::fs::read(d.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))
}

fn key(d: &Path, f: &str) -> PublicKey {
    PublicKey::from_pem(&String::from_utf8(read(d, f)).unwrap()).unwrap()
}

/// Storage keyed by component identifier (a dependency's components have their own indices).
#[derive(Default)]
struct Dev {
    store: HashMap<Vec<u8>, Vec<u8>>,
    server: HashMap<String, Vec<u8>>,
    fetched: Vec<String>,
    invoked: Vec<Vec<u8>>,
    unlinked: Vec<Vec<u8>>,
}

impl Platform for Dev {
    fn check_vendor_id(&mut self, _: Component<'_>, _: VendorId<'_>) -> bool {
        true
    }
    fn check_class_id(&mut self, _: Component<'_>, _: &[u8]) -> bool {
        true
    }
    fn read(&mut self, c: Component<'_>, offset: u64, buf: &mut [u8]) -> Result<usize, PlatformError> {
        let data = self.store.get(c.id.raw()).ok_or(PlatformError::NoSuchComponent)?;
        let start = usize::try_from(offset).unwrap().min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }
    fn write(&mut self, c: Component<'_>, data: &[u8]) -> Result<(), PlatformError> {
        self.store.insert(c.id.raw().to_vec(), data.to_vec());
        Ok(())
    }
    fn fetch(&mut self, c: Component<'_>, uri: &str, _: Option<&[u8]>, _: Option<u64>) -> Result<(), PlatformError> {
        self.fetched.push(uri.into());
        let body = self.server.get(uri).ok_or(PlatformError::Fetch)?.clone();
        self.write(c, &body)
    }
    fn copy(&mut self, dst: Component<'_>, src: Component<'_>) -> Result<(), PlatformError> {
        let body = self.store.get(src.id.raw()).ok_or(PlatformError::NoSuchComponent)?.clone();
        self.write(dst, &body)
    }
    fn unlink(&mut self, c: Component<'_>) -> Result<(), PlatformError> {
        self.store.remove(c.id.raw());
        self.unlinked.push(c.id.raw().to_vec());
        Ok(())
    }
    fn invoke(&mut self, c: Component<'_>, args: Option<&[u8]>) -> Result<(), PlatformError> {
        self.invoked.push(args.unwrap_or_default().to_vec());
        let _ = c;
        Ok(())
    }
}

/// A counter in its factory state (the examples have sequence number 0).
struct Fresh(u64, bool);
impl RollbackCounter for Fresh {
    fn get(&self) -> Result<u64, PlatformError> {
        Ok(self.0)
    }
    fn advance(&mut self, v: u64) -> Result<(), PlatformError> {
        (self.0, self.1) = (v, true);
        Ok(())
    }
    fn installed(&self) -> Result<bool, PlatformError> {
        Ok(self.1)
    }
}

/// The component id `[bstr]` as encoded CBOR.
fn id(segment: &[u8]) -> Vec<u8> {
    let mut v = vec![0x81, 0x40 + u8::try_from(segment.len()).unwrap()];
    v.extend_from_slice(segment);
    v
}

fn update(d: &Path, f: &str, dev: &mut Dev, dep_key: &PublicKey) -> Result<iot_manifest::Summary, Error> {
    let bytes = read(d, &format!("trust-domains/{f}"));
    let m = Envelope::decode(&bytes)?.authenticate(&key(d, "keys/suit-examples-p256-public.pem"))?;
    let mut buf = [0u8; 1024];
    Processor::<_, 4>::new(dev).with_dependencies(&mut buf, dep_key).update(&m, &mut Fresh(0, false))
}

#[test]
fn fetched_and_integrated_dependencies_install_in_lockstep() {
    let Some(d) = dir() else { return };
    let k = key(&d, "keys/suit-examples-p256-public.pem");
    let dependency = read(&d, "trust-domains/example0_dependent.suit");
    for f in ["example1_process.suit", "example2_integrated.suit"] {
        let mut dev = Dev::default();
        dev.server.insert("http://example.com/dependent.suit".into(), dependency.clone());
        update(&d, f, &mut dev, &k).unwrap_or_else(|e| panic!("{f}: {e}"));
        // The dependency's install wrote its component, then the dependent wrote its own.
        assert_eq!(dev.store[&id(b"00")], b"hello world", "{f}");
        assert_eq!(dev.store[&id(b"10")], b" in multiple trust domains", "{f}");
        // The dependency envelope is stored under its prefix.
        assert_eq!(dev.store[&id(b"dependent.suit")], dependency, "{f}");
        let fetched =
            if f.starts_with("example1") { vec!["http://example.com/dependent.suit".to_string()] } else { vec![] };
        assert_eq!(dev.fetched, fetched, "{f}");
    }
}

#[test]
fn foreign_tampered_or_unsupported_dependencies_are_refused() {
    let Some(d) = dir() else { return };
    let k = key(&d, "keys/suit-examples-p256-public.pem");
    let dependency = read(&d, "trust-domains/example0_dependent.suit");
    let run = |served: Vec<u8>, dep_key: &PublicKey| {
        let mut dev = Dev::default();
        dev.server.insert("http://example.com/dependent.suit".into(), served);
        let r = update(&d, "example1_process.suit", &mut dev, dep_key);
        (r, dev)
    };
    // Another envelope: its manifest digest is not the one the dependent names.
    let (r, dev) = run(read(&d, "manifest/example0.suit"), &k);
    assert!(matches!(r, Err(Error::ConditionFailed { code: 3, section: Section::DependencyResolution, .. })), "{r:?}");
    assert!(!dev.store.contains_key(&id(b"00")));
    // A flipped signature byte: the digest still matches, the dependency does not authenticate.
    let mut bad_sig = dependency.clone();
    let at = bad_sig.len() - 140;
    bad_sig[at] ^= 1;
    let (r, dev) = run(bad_sig, &k);
    assert!(matches!(r, Err(Error::ConditionFailed { code: 7, section: Section::Install, .. })), "{r:?}");
    assert!(!dev.store.contains_key(&id(b"00")));
    // The dependency authority's key is another one than the dependency was signed with.
    let other = key(&d, "keys/esdh-receiver-p256-public.pem");
    let (r, _) = run(dependency.clone(), &other);
    assert!(matches!(r, Err(Error::ConditionFailed { code: 7, .. })), "{r:?}");
    // A dependency larger than the buffer is refused, not truncated.
    let bytes = read(&d, "trust-domains/example1_process.suit");
    let m = Envelope::decode(&bytes).unwrap().authenticate(&k).unwrap();
    let mut dev = Dev::default();
    dev.server.insert("http://example.com/dependent.suit".into(), dependency.clone());
    let mut small = [0u8; 100];
    let r = Processor::<_, 4>::new(&mut dev).with_dependencies(&mut small, &k).update(&m, &mut Fresh(0, false));
    assert!(matches!(r, Err(Error::LimitExceeded { .. })), "{r:?}");
    // Without dependency support the manifest is refused as before.
    let mut dev = Dev::default();
    let r = Processor::<_, 4>::new(&mut dev).update(&m, &mut MemoryCounter(0));
    assert!(matches!(r, Err(Error::Unsupported { .. } | Error::Rollback { .. })), "{r:?}");
    let r = Processor::<_, 4>::new(&mut dev).update(&m, &mut Fresh(0, false));
    assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
}

#[test]
fn the_dependency_alone_installs_and_boots() {
    let Some(d) = dir() else { return };
    let k = key(&d, "keys/suit-examples-p256-public.pem");
    let bytes = read(&d, "trust-domains/example0_dependent.suit");
    let m = Envelope::decode(&bytes).unwrap().authenticate(&k).unwrap();
    let mut dev = Dev::default();
    let mut counter = Fresh(0, false);
    Processor::<_, 4>::new(&mut dev).update(&m, &mut counter).unwrap();
    Processor::<_, 4>::new(&mut dev).boot(&m, &counter).unwrap();
    assert_eq!(dev.store[&id(b"00")], b"hello world");
    assert_eq!(dev.invoked, [b"cat 00".to_vec()]);
}

/// TEEP's example U: install the trusted application, then the uninstall procedure unlinks it.
#[test]
fn teep_uninstall_unlinks_the_component() {
    use iot_manifest::Limits;
    let Some(d) = dir() else { return };
    let k = key(&d, "keys/suit-examples-p256-public.pem");
    let bytes = read(&d, "teep/teep-example-U.suit");
    let env = Envelope::decode_with(&bytes, &Limits::default().allow_untagged(true)).unwrap();
    let m = env.authenticate(&k).unwrap();
    let mut dev = Dev::default();
    let ta = read(&d, "payloads/8d82573a-926d-4754-9353-32dc29997f74.ta");
    dev.server.insert("https://example.org/8d82573a-926d-4754-9353-32dc29997f74.ta".into(), ta.clone());
    let mut counter = MemoryCounter(0);
    Processor::<_, 4>::new(&mut dev).update(&m, &mut counter).unwrap();
    assert!(dev.store.values().any(|v| *v == ta), "installed");
    Processor::<_, 4>::new(&mut dev).uninstall(&m, &counter).unwrap();
    assert_eq!(dev.unlinked.len(), 1);
    assert!(!dev.store.values().any(|v| *v == ta), "unlinked");
    // An older manifest than the installed one cannot uninstall; one without the sequence says so.
    assert!(matches!(Processor::<_, 4>::new(&mut dev).uninstall(&m, &MemoryCounter(9)), Err(Error::Rollback { .. })));
    let dep = read(&d, "trust-domains/example0_dependent.suit");
    let m0 = Envelope::decode(&dep).unwrap().authenticate(&k).unwrap();
    assert!(matches!(
        Processor::<_, 4>::new(&mut dev).uninstall(&m0, &MemoryCounter(0)),
        Err(Error::Missing { what: "suit-uninstall" })
    ));
}

/// Candidate verification runs after payload-fetch and before install: a failing check there
/// stops the update before anything is installed.
#[test]
fn candidate_verification_gates_install() {
    use iot_manifest::build::{EnvelopeBuilder, ManifestBuilder, Params, SequenceBuilder};
    use iot_manifest::codes::{condition as c, directive as d};
    use iot_manifest::iot_cose::p256::ecdsa::SigningKey;
    let sk = SigningKey::from_slice(&[9; 32]).unwrap();
    let staged = b"staged candidate";
    let make = |expect: &[u8]| {
        let mut m = ManifestBuilder::new(1);
        m.component(&[b"staging"]);
        m.component(&[b"app"]);
        let fetch = SequenceBuilder::new()
            .set_component_index(0)
            .override_parameters(&Params::new().content(staged))
            .directive(d::WRITE, 15);
        let verify = SequenceBuilder::new()
            .set_component_index(0)
            .override_parameters(&Params::new().content(expect))
            .condition(c::CHECK_CONTENT, 15);
        let install = SequenceBuilder::new()
            .set_component_index(1)
            .override_parameters(&Params::new().source_component(0))
            .directive(d::COPY, 15);
        let m = m
            .sequence(Section::PayloadFetch, &fetch)
            .sequence(Section::CandidateVerification, &verify)
            .sequence(Section::Install, &install);
        EnvelopeBuilder::new(m.build().unwrap()).sign(&sk).unwrap().encode().unwrap()
    };
    for (expect, installs) in [(&staged[..], true), (&b"something else"[..], false)] {
        let env = make(expect);
        let m = Envelope::decode(&env).unwrap().authenticate(&iot_manifest::Sign1Key(*sk.verifying_key())).unwrap();
        let mut dev = Dev::default();
        let r = Processor::<_, 4>::new(&mut dev).update(&m, &mut MemoryCounter(0));
        assert_eq!(r.is_ok(), installs, "{r:?}");
        assert_eq!(dev.store.contains_key(&id(b"app")), installs);
        if !installs {
            assert!(matches!(r, Err(Error::ConditionFailed { section: Section::CandidateVerification, .. })));
        }
    }
}
