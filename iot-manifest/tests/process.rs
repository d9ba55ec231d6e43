//! The processor against an in-memory platform: anti-rollback, every core condition and
//! directive, soft-failure and try-each / run-sequence scoping, component index forms, integrated
//! payloads, records, limits, and the spec's Appendix B manifests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    reason = "test code"
)]

use iot_manifest::build::{EnvelopeBuilder, Image, ManifestBuilder, Params, SequenceBuilder};
use iot_manifest::codes::{condition as c, directive as d};
use iot_manifest::command::VendorId;
use iot_manifest::iot_cose::p256::ecdsa::SigningKey;
use iot_manifest::update::{ActorId, ComponentMetadata, FileType, PermissionScope, WaitEvent, WaitInfo};
use iot_manifest::{
    Component, Envelope, Error, Limits, MemoryCounter, Outcome, Platform, PlatformError, Processor, Record,
    RollbackCounter, Section, Sign1Key,
};
use std::collections::HashMap;

const VENDOR: [u8; 16] = [0xfa; 16];
const CLASS: [u8; 16] = [0x14; 16];

/// What the platform applied: component, file type, default permissions, creator, user and group
/// permissions.
type Applied = (usize, FileType, Option<u16>, Option<i64>, Vec<(i64, u16)>, Vec<(i64, u16)>);

#[derive(Default)]
struct Mem {
    vendor: Vec<u8>,
    class: Vec<u8>,
    slots: HashMap<usize, u64>,
    store: HashMap<usize, Vec<u8>>,
    server: HashMap<String, Vec<u8>>,
    records: Vec<Record>,
    invoked: Vec<(usize, Option<Vec<u8>>)>,
    fetched: Vec<String>,
    // Update management: None leaves the trait's default (unsupported).
    now: Option<u64>,
    battery: Option<u64>,
    authorize: Option<bool>,
    authorized: Vec<(usize, Option<i64>)>,
    versions: HashMap<usize, Vec<i64>>,
    waits: Option<Result<(), PlatformError>>,
    waited: Vec<(usize, Vec<WaitEvent<'static>>)>,
    metadata: bool,
    applied: Vec<Applied>,
    // Firmware encryption: the device's AES-KW KEK and ECDH key.
    kek: Option<Vec<u8>>,
    ecdh: Option<iot_cose::p256::SecretKey>,
}

impl Mem {
    fn new() -> Self {
        Self { vendor: VENDOR.to_vec(), class: CLASS.to_vec(), ..Self::default() }
    }
}

impl Platform for Mem {
    fn check_vendor_id(&mut self, _: Component<'_>, id: VendorId<'_>) -> bool {
        id.bytes() == self.vendor
    }
    fn check_class_id(&mut self, _: Component<'_>, id: &[u8]) -> bool {
        id == self.class
    }
    fn component_slot(&mut self, c: Component<'_>) -> Option<u64> {
        self.slots.get(&c.index).copied()
    }
    fn read(&mut self, c: Component<'_>, offset: u64, buf: &mut [u8]) -> Result<usize, PlatformError> {
        let data = self.store.get(&c.index).ok_or(PlatformError::NoSuchComponent)?;
        let start = usize::try_from(offset).unwrap().min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }
    fn write(&mut self, c: Component<'_>, data: &[u8]) -> Result<(), PlatformError> {
        self.store.insert(c.index, data.to_vec());
        Ok(())
    }
    fn fetch(&mut self, c: Component<'_>, uri: &str, _: Option<&[u8]>, max: Option<u64>) -> Result<(), PlatformError> {
        self.fetched.push(uri.into());
        let body = self.server.get(uri).ok_or(PlatformError::Fetch)?.clone();
        if max.is_some_and(|m| body.len() as u64 > m) {
            return Err(PlatformError::TooLarge);
        }
        self.store.insert(c.index, body);
        Ok(())
    }
    fn copy(&mut self, dst: Component<'_>, src: Component<'_>) -> Result<(), PlatformError> {
        let body = self.store.get(&src.index).ok_or(PlatformError::NoSuchComponent)?.clone();
        self.store.insert(dst.index, body);
        Ok(())
    }
    fn swap(&mut self, dst: Component<'_>, src: Component<'_>) -> Result<(), PlatformError> {
        let a = self.store.remove(&dst.index).unwrap_or_default();
        let b = self.store.remove(&src.index).unwrap_or_default();
        self.store.insert(dst.index, b);
        self.store.insert(src.index, a);
        Ok(())
    }
    fn invoke(&mut self, c: Component<'_>, args: Option<&[u8]>) -> Result<(), PlatformError> {
        self.invoked.push((c.index, args.map(<[u8]>::to_vec)));
        Ok(())
    }
    fn record(&mut self, r: &Record) {
        self.records.push(*r);
    }
    fn now(&mut self) -> Result<u64, PlatformError> {
        self.now.ok_or(PlatformError::Unsupported)
    }
    fn battery(&mut self) -> Result<u64, PlatformError> {
        self.battery.ok_or(PlatformError::Unsupported)
    }
    fn authorize(&mut self, c: Component<'_>, priority: Option<i64>) -> Result<bool, PlatformError> {
        self.authorized.push((c.index, priority));
        self.authorize.ok_or(PlatformError::Unsupported)
    }
    fn version(&mut self, c: Component<'_>, out: &mut [i64]) -> Result<usize, PlatformError> {
        let v = self.versions.get(&c.index).ok_or(PlatformError::Unsupported)?;
        out[..v.len()].copy_from_slice(v);
        Ok(v.len())
    }
    fn wait(&mut self, c: Component<'_>, events: WaitInfo<'_>) -> Result<(), PlatformError> {
        // Keep the integer events (the vectors use nothing else).
        let owned = events
            .events()
            .map(|e| match e {
                WaitEvent::Authorization(v) => WaitEvent::Authorization(v),
                WaitEvent::Power(v) => WaitEvent::Power(v),
                WaitEvent::TimeOfDay(v) => WaitEvent::TimeOfDay(v),
                other => panic!("unexpected wait event {other:?}"),
            })
            .collect();
        self.waited.push((c.index, owned));
        self.waits.unwrap_or(Err(PlatformError::Unsupported))
    }
    fn unwrap_key(
        &mut self,
        _: Component<'_>,
        info: &iot_manifest::encryption::EncryptionInfo<'_>,
        cek: &mut [u8; 32],
    ) -> Result<usize, PlatformError> {
        use iot_manifest::encryption::{Recipient, unwrap_aes_kw, unwrap_ecdh};
        for r in info.recipients() {
            let n = match (r, &self.kek, &self.ecdh) {
                (Recipient::AesKw { .. }, Some(kek), _) => unwrap_aes_kw(kek, &r, cek),
                (Recipient::EcdhEs { .. }, _, Some(k)) => unwrap_ecdh(k, &r, cek),
                _ => continue,
            };
            return n.map_err(|_| PlatformError::Denied);
        }
        Err(PlatformError::Denied)
    }
    fn write_at(&mut self, c: Component<'_>, offset: u64, data: &[u8]) -> Result<(), PlatformError> {
        let slot = self.store.entry(c.index).or_default();
        if offset == 0 {
            slot.clear();
        }
        assert_eq!(slot.len() as u64, offset, "chunks arrive in order");
        slot.extend_from_slice(data);
        Ok(())
    }
    fn metadata(&mut self, c: Component<'_>, m: ComponentMetadata<'_>) -> Result<(), PlatformError> {
        if !self.metadata {
            return Err(PlatformError::Unsupported);
        }
        let int = |a: ActorId<'_>| match a {
            ActorId::Int(i) => i,
            other => panic!("unexpected actor {other:?}"),
        };
        let perms = |s| m.permissions(s).map(|(a, p)| (int(a), p)).collect();
        self.applied.push((
            c.index,
            m.file_type(),
            m.default_permissions(),
            m.creator().map(int),
            perms(PermissionScope::User),
            perms(PermissionScope::Group),
        ));
        Ok(())
    }
}

fn key() -> SigningKey {
    SigningKey::from_slice(&[0x42; 32]).unwrap()
}

fn sign(m: &ManifestBuilder) -> Vec<u8> {
    EnvelopeBuilder::new(m.build().unwrap()).sign(&key()).unwrap().encode().unwrap()
}

fn update(env: &[u8], p: &mut Mem, counter: &mut MemoryCounter) -> Result<iot_manifest::Summary, Error> {
    let env = Envelope::decode(env)?;
    let m = env.authenticate(&Sign1Key(*key().verifying_key()))?;
    Processor::<_, 4>::new(p).update(&m, counter)
}

fn boot(env: &[u8], p: &mut Mem, counter: &MemoryCounter) -> Result<iot_manifest::Summary, Error> {
    let env = Envelope::decode(env)?;
    let m = env.authenticate(&Sign1Key(*key().verifying_key()))?;
    Processor::<_, 4>::new(p).boot(&m, counter)
}

const FW: &[u8] = b"firmware v2: the new image, long enough to span two 128-byte digest chunks of the processor. \
                   padding padding padding padding padding padding padding padding padding padding";

fn image_manifest(seq: u64) -> ManifestBuilder {
    ManifestBuilder::for_images(seq, VENDOR, CLASS, &[Image::new(&[b"app"], FW).uri("https://fw.example/app.bin")])
}

#[test]
fn update_then_boot_then_rollback_refused() {
    let mut p = Mem::new();
    p.server.insert("https://fw.example/app.bin".into(), FW.to_vec());
    let mut counter = MemoryCounter(1);
    let env = sign(&image_manifest(2));
    let s = update(&env, &mut p, &mut counter).unwrap();
    assert_eq!((s.sequence_number, s.counter, counter.0), (2, 2, 2));
    assert_eq!(p.store[&0], FW);
    assert_eq!(p.fetched, ["https://fw.example/app.bin"]);
    boot(&env, &mut p, &counter).unwrap();
    assert_eq!(p.invoked, [(0, None)]);

    // Replay of the same manifest, and an older one: refused before any command runs.
    let before = p.records.len();
    assert!(matches!(update(&env, &mut p, &mut counter), Err(Error::Rollback { manifest: 2, stored: 2 })));
    let old = sign(&image_manifest(1));
    assert!(matches!(update(&old, &mut p, &mut counter), Err(Error::Rollback { manifest: 1, stored: 2 })));
    assert!(matches!(boot(&old, &mut p, &counter), Err(Error::Rollback { manifest: 1, stored: 2 })));
    assert_eq!(p.records.len(), before, "no command ran");
    assert_eq!(counter.0, 2);
}

#[test]
fn failures_do_not_advance_the_counter() {
    // Wrong vendor.
    let mut p = Mem::new();
    p.vendor = vec![0; 16];
    p.server.insert("https://fw.example/app.bin".into(), FW.to_vec());
    let mut counter = MemoryCounter(0);
    let err = update(&sign(&image_manifest(1)), &mut p, &mut counter).unwrap_err();
    assert!(matches!(err, Error::ConditionFailed { code: c::VENDOR_ID, section: Section::Shared, .. }), "{err}");
    assert_eq!(counter.0, 0);
    assert!(p.fetched.is_empty());

    // Wrong class.
    let mut p = Mem::new();
    p.class = vec![0; 16];
    let err = update(&sign(&image_manifest(1)), &mut p, &mut counter).unwrap_err();
    assert!(matches!(err, Error::ConditionFailed { code: c::CLASS_ID, .. }));

    // The server delivers another image: image-match fails after the fetch.
    let mut p = Mem::new();
    let mut evil = FW.to_vec();
    evil[5] ^= 1;
    p.server.insert("https://fw.example/app.bin".into(), evil);
    let err = update(&sign(&image_manifest(1)), &mut p, &mut counter).unwrap_err();
    assert!(matches!(err, Error::ConditionFailed { code: c::IMAGE_MATCH, section: Section::Install, .. }));
    assert_eq!(counter.0, 0);

    // A truncated image.
    let mut p = Mem::new();
    p.server.insert("https://fw.example/app.bin".into(), FW[..FW.len() - 1].to_vec());
    assert!(matches!(
        update(&sign(&image_manifest(1)), &mut p, &mut counter),
        Err(Error::ConditionFailed { code: c::IMAGE_MATCH, .. })
    ));

    // Fetch fails: a platform error, with the section and offset.
    let mut p = Mem::new();
    let err = update(&sign(&image_manifest(1)), &mut p, &mut counter).unwrap_err();
    assert!(matches!(err, Error::Platform { error: PlatformError::Fetch, section: Section::Install, .. }));
    assert_eq!(counter.0, 0);

    // Larger than image-size.
    let mut p = Mem::new();
    p.server.insert("https://fw.example/app.bin".into(), [FW, b"x"].concat());
    assert!(matches!(
        update(&sign(&image_manifest(1)), &mut p, &mut counter),
        Err(Error::Platform { error: PlatformError::TooLarge, .. })
    ));
}

/// A counter whose storage fails to write.
struct Broken(u64);
impl RollbackCounter for Broken {
    fn get(&self) -> Result<u64, PlatformError> {
        Ok(self.0)
    }
    fn advance(&mut self, _: u64) -> Result<(), PlatformError> {
        Err(PlatformError::Storage)
    }
}

#[test]
fn counter_failure_is_reported() {
    let mut p = Mem::new();
    p.server.insert("https://fw.example/app.bin".into(), FW.to_vec());
    let env = sign(&image_manifest(3));
    let m = Envelope::decode(&env).unwrap();
    let m = m.authenticate(&Sign1Key(*key().verifying_key())).unwrap();
    let err = Processor::<_, 4>::new(&mut p).update(&m, &mut Broken(0)).unwrap_err();
    assert!(matches!(err, Error::Counter(PlatformError::Storage)));
    // MemoryCounter never goes down.
    assert_eq!(MemoryCounter(5).advance(4), Err(PlatformError::Denied));
}

#[test]
fn integrated_payload_is_written_and_checked() {
    let m = ManifestBuilder::for_images(1, VENDOR, CLASS, &[Image::new(&[b"app"], FW).uri("#app")]);
    let env = EnvelopeBuilder::new(m.build().unwrap())
        .integrated_payload("#app", FW.to_vec())
        .sign(&key())
        .unwrap()
        .encode()
        .unwrap();
    let mut p = Mem::new();
    update(&env, &mut p, &mut MemoryCounter(0)).unwrap();
    assert_eq!(p.store[&0], FW);
    assert!(p.fetched.is_empty(), "integrated payloads are not fetched");

    // The wrong payload under the right name fails image-match.
    let env = EnvelopeBuilder::new(m.build().unwrap())
        .integrated_payload("#app", b"something else".to_vec())
        .sign(&key())
        .unwrap()
        .encode()
        .unwrap();
    assert!(matches!(
        update(&env, &mut Mem::new(), &mut MemoryCounter(0)),
        Err(Error::ConditionFailed { code: c::IMAGE_MATCH, .. })
    ));
}

fn shared_ids() -> SequenceBuilder {
    SequenceBuilder::new()
        .override_parameters(&Params::new().vendor_id(&VENDOR).class_id(&CLASS))
        .condition(c::VENDOR_ID, 0)
        .condition(c::CLASS_ID, 0)
}

fn custom(seq: u64, components: usize, install: &SequenceBuilder) -> Vec<u8> {
    let mut m = ManifestBuilder::new(seq);
    for i in 0..components {
        m.component(&[&[u8::try_from(i).unwrap()]]);
    }
    sign(&m.shared_sequence(&shared_ids()).sequence(Section::Install, install))
}

#[test]
fn try_each_selects_by_slot_and_soft_failure_defaults() {
    let branch = |slot: u64, content: &[u8]| {
        SequenceBuilder::new()
            .override_parameters(&Params::new().component_slot(slot))
            .condition(c::COMPONENT_SLOT, 3)
            .override_parameters(&Params::new().content(content))
    };
    let install = SequenceBuilder::new()
        .try_each(&[branch(0, b"for slot 0"), branch(1, b"for slot 1")], false)
        .directive(d::WRITE, 0);
    let env = custom(1, 1, &install);
    for (slot, want) in [(0u64, &b"for slot 0"[..]), (1, b"for slot 1")] {
        let mut p = Mem::new();
        p.slots.insert(0, slot);
        update(&env, &mut p, &mut MemoryCounter(0)).unwrap();
        assert_eq!(p.store[&0], want);
        let slot_checks: Vec<_> =
            p.records.iter().filter(|r| r.command == c::COMPONENT_SLOT).map(|r| r.outcome).collect();
        let expect = if slot == 0 { vec![Outcome::Success] } else { vec![Outcome::Failure(10), Outcome::Success] };
        assert_eq!(slot_checks, expect);
    }
    // No branch matches: try-each fails as a condition of the install sequence.
    let mut p = Mem::new();
    p.slots.insert(0, 7);
    let err = update(&env, &mut p, &mut MemoryCounter(0)).unwrap_err();
    assert!(matches!(err, Error::ConditionFailed { code: d::TRY_EACH, section: Section::Install, .. }), "{err}");
    // A trailing nil makes it succeed anyway.
    let install = SequenceBuilder::new().try_each(&[branch(0, b"a"), branch(1, b"b")], true);
    let mut p = Mem::new();
    p.slots.insert(0, 7);
    update(&custom(1, 1, &install), &mut p, &mut MemoryCounter(0)).unwrap();
    // soft-failure false in a branch turns its failure into the try-each's failure at once.
    let hard = SequenceBuilder::new()
        .override_parameters(&Params::new().soft_failure(false).component_slot(0))
        .condition(c::COMPONENT_SLOT, 0);
    let install = SequenceBuilder::new().try_each(&[hard, branch(1, b"b")], true);
    let mut p = Mem::new();
    p.slots.insert(0, 1);
    assert!(matches!(
        update(&custom(1, 1, &install), &mut p, &mut MemoryCounter(0)),
        Err(Error::ConditionFailed { code: d::TRY_EACH, .. })
    ));
}

#[test]
fn run_sequence_soft_failure_and_scope() {
    let failing = |soft: bool| {
        let mut s = SequenceBuilder::new();
        if soft {
            s = s.override_parameters(&Params::new().soft_failure(true));
        }
        s.condition(c::ABORT, 0).override_parameters(&Params::new().content(b"never"))
    };
    let install = SequenceBuilder::new()
        .run_sequence(&failing(true))
        .override_parameters(&Params::new().content(b"after"))
        .directive(d::WRITE, 0);
    let mut p = Mem::new();
    update(&custom(1, 1, &install), &mut p, &mut MemoryCounter(0)).unwrap();
    assert_eq!(p.store[&0], b"after");

    let install = SequenceBuilder::new().run_sequence(&failing(false));
    let err = update(&custom(1, 1, &install), &mut Mem::new(), &mut MemoryCounter(0)).unwrap_err();
    assert!(matches!(err, Error::ConditionFailed { code: d::RUN_SEQUENCE, .. }), "{err}");

    // soft-failure at the top level aborts.
    let install = SequenceBuilder::new().override_parameters(&Params::new().soft_failure(true));
    assert!(matches!(
        update(&custom(1, 1, &install), &mut Mem::new(), &mut MemoryCounter(0)),
        Err(Error::SoftFailureScope)
    ));
    // abort at the top level.
    let install = SequenceBuilder::new().condition(c::ABORT, 2);
    assert!(matches!(
        update(&custom(1, 1, &install), &mut Mem::new(), &mut MemoryCounter(0)),
        Err(Error::ConditionFailed { code: c::ABORT, .. })
    ));
}

#[test]
fn component_index_forms_copy_swap_write_check_content() {
    let install = SequenceBuilder::new()
        .set_component_index_all()
        .override_parameters(&Params::new().content(b"same for all"))
        .directive(d::WRITE, 0)
        .condition(c::CHECK_CONTENT, 0)
        .set_component_index(1)
        .override_parameters(&Params::new().content(b"one"))
        .directive(d::WRITE, 0)
        .set_component_index(2)
        .override_parameters(&Params::new().source_component(1))
        .directive(d::COPY, 0)
        .set_component_indices(&[0, 2])
        .override_parameters(&Params::new().content(b"zero and two"))
        .directive(d::WRITE, 0)
        .set_component_index(0)
        .override_parameters(&Params::new().source_component(1))
        .directive(d::SWAP, 0)
        .condition(c::CHECK_CONTENT, 0);
    let mut p = Mem::new();
    let err = update(&custom(1, 3, &install), &mut p, &mut MemoryCounter(0)).unwrap_err();
    // After the swap component 0 holds "one", but its content parameter is still "zero and two".
    assert!(matches!(err, Error::ConditionFailed { code: c::CHECK_CONTENT, component: Some(0), .. }), "{err}");
    assert_eq!(p.store[&0], b"one");
    assert_eq!(p.store[&1], b"zero and two");
    assert_eq!(p.store[&2], b"zero and two");
    // check-content ran once per component for `true`.
    let checks = p.records.iter().filter(|r| r.command == c::CHECK_CONTENT).count();
    assert_eq!(checks, 4);
}

#[test]
fn missing_parameters_and_bad_indices() {
    let install = SequenceBuilder::new().directive(d::FETCH, 0);
    assert!(matches!(
        update(&custom(1, 1, &install), &mut Mem::new(), &mut MemoryCounter(0)),
        Err(Error::MissingParameter { command: 21, parameter: 21 })
    ));
    let install = SequenceBuilder::new().directive(d::COPY, 0);
    assert!(matches!(
        update(&custom(1, 2, &install), &mut Mem::new(), &mut MemoryCounter(0)),
        Err(Error::MissingParameter { command: 22, parameter: 22 })
    ));
    // image-match without a digest is a failed condition, not a crash.
    let install = SequenceBuilder::new().condition(c::IMAGE_MATCH, 0);
    assert!(matches!(
        update(&custom(1, 1, &install), &mut Mem::new(), &mut MemoryCounter(0)),
        Err(Error::ConditionFailed { code: c::IMAGE_MATCH, .. })
    ));
    // An index past the component list is refused when the manifest is decoded.
    let install = SequenceBuilder::new().set_component_index(3).directive(d::INVOKE, 0);
    assert!(matches!(
        update(&custom(1, 2, &install), &mut Mem::new(), &mut MemoryCounter(0)),
        Err(Error::ComponentIndex { index: 3 })
    ));
    // Copy onto itself.
    let install = SequenceBuilder::new().override_parameters(&Params::new().source_component(0)).directive(d::COPY, 0);
    assert!(matches!(
        update(&custom(1, 2, &install), &mut Mem::new(), &mut MemoryCounter(0)),
        Err(Error::Malformed { .. })
    ));
    // Custom commands are refused unless the platform implements them.
    let install = SequenceBuilder::new().custom(-300, &[0x01]);
    assert!(matches!(
        update(&custom(1, 1, &install), &mut Mem::new(), &mut MemoryCounter(0)),
        Err(Error::Platform { error: PlatformError::Unsupported, .. })
    ));
}

#[test]
fn work_and_capacity_are_bounded() {
    // Nested run-sequence over all components multiplies work: the step budget stops it.
    let mut inner =
        SequenceBuilder::new().set_component_index_all().override_parameters(&Params::new().vendor_id(&VENDOR));
    for _ in 0..4 {
        inner = SequenceBuilder::new().set_component_index_all().run_sequence(&inner);
    }
    let env = custom(1, 4, &inner);
    let m = Envelope::decode(&env).unwrap();
    let limits = Limits::default().max_steps(200);
    let m = m.authenticate_with(&Sign1Key(*key().verifying_key()), &limits).unwrap();
    let mut p = Mem::new();
    let r = Processor::<_, 4>::new(&mut p).update(&m, &mut MemoryCounter(0));
    assert!(matches!(r, Err(Error::StepLimit)), "{r:?}");
    // More components than the processor's capacity.
    let mut p = Mem::new();
    assert!(matches!(
        Processor::<_, 2>::new(&mut p).update(&m, &mut MemoryCounter(0)),
        Err(Error::LimitExceeded { limit: 2, .. })
    ));
    // Nesting deeper than the limit is refused at decode.
    let limits = Limits::default().max_depth(3);
    assert!(matches!(
        Envelope::decode(&env).unwrap().authenticate_with(&Sign1Key(*key().verifying_key()), &limits),
        Err(Error::LimitExceeded { what: "sequence nesting", .. })
    ));
}

#[test]
fn records_carry_section_offset_and_policy() {
    let mut p = Mem::new();
    p.server.insert("https://fw.example/app.bin".into(), FW.to_vec());
    update(&sign(&image_manifest(1)), &mut p, &mut MemoryCounter(0)).unwrap();
    let fetch = p.records.iter().find(|r| r.command == d::FETCH).unwrap();
    assert_eq!((fetch.section, fetch.policy, fetch.outcome), (Section::Install, 2, Outcome::Success));
    assert!(fetch.offset > 0);
    let vendor = p.records.iter().find(|r| r.command == c::VENDOR_ID).unwrap();
    assert_eq!((vendor.section, vendor.policy), (Section::Shared, 15));
}

mod appendix_b {
    use super::*;
    use iot_manifest::iot_cose::PublicKey;

    const VENDOR_B: [u8; 16] =
        [0xfa, 0x6b, 0x4a, 0x53, 0xd5, 0xad, 0x5f, 0xdf, 0xbe, 0x9d, 0xe6, 0x63, 0xe4, 0xd4, 0x1f, 0xfe];
    const CLASS_B: [u8; 16] =
        [0x14, 0x92, 0xaf, 0x14, 0x25, 0x69, 0x5e, 0x48, 0xbf, 0x42, 0x9b, 0x2d, 0x51, 0xf2, 0xab, 0x45];

    fn run(name: &str, p: &mut Mem, boot: bool) -> Option<Result<iot_manifest::Summary, Error>> {
        let d = iot_test_vectors::area("suit")?;
        let bytes = std::fs::read(d.join(format!("manifest/{name}.suit"))).unwrap();
        let pem = std::fs::read_to_string(d.join("keys/suit-examples-p256-public.pem")).unwrap();
        let key = PublicKey::from_pem(&pem).unwrap();
        let env = Envelope::decode(&bytes).unwrap();
        let m = env.authenticate(&key).unwrap();
        let mut proc = Processor::<_, 4>::new(p);
        Some(if boot { proc.boot(&m, &MemoryCounter(0)) } else { proc.update(&m, &mut MemoryCounter(0)) })
    }

    fn platform() -> Mem {
        Mem { vendor: VENDOR_B.to_vec(), class: CLASS_B.to_vec(), ..Mem::default() }
    }

    #[test]
    fn example0_secure_boot_reaches_image_match() {
        // Vendor and class match; the placeholder digest has no preimage, so validate fails
        // exactly at image-match and invoke never runs.
        let mut p = platform();
        p.store.insert(0, vec![0; 34768]);
        let Some(r) = run("example0", &mut p, true) else { return };
        assert!(matches!(r, Err(Error::ConditionFailed { code: 3, section: Section::Validate, .. })), "{r:?}");
        assert!(p.invoked.is_empty());
        let passed: Vec<_> = p.records.iter().filter(|r| r.outcome == Outcome::Success).map(|r| r.command).collect();
        assert_eq!(passed, [c::VENDOR_ID, c::CLASS_ID]);
        // A device of another class stops at the class check.
        let mut p = platform();
        p.class = vec![0; 16];
        let r = run("example0", &mut p, true).unwrap();
        assert!(matches!(r, Err(Error::ConditionFailed { code: 2, section: Section::Shared, .. })));
    }

    #[test]
    fn example1_fetches_from_the_manifest_uri() {
        let mut p = platform();
        p.server.insert("http://example.com/file.bin".into(), vec![0; 34768]);
        let Some(r) = run("example1", &mut p, false) else { return };
        assert_eq!(p.fetched, ["http://example.com/file.bin"]);
        assert!(matches!(r, Err(Error::ConditionFailed { code: 3, section: Section::Install, .. })));
    }

    #[test]
    fn example3_try_each_picks_the_slot() {
        for (slot, uri) in [(0, "http://example.com/file1.bin"), (1, "http://example.com/file2.bin")] {
            let mut p = platform();
            p.slots.insert(0, slot);
            p.server.insert(uri.into(), vec![1; 10]);
            let Some(r) = run("example3", &mut p, false) else { return };
            assert_eq!(p.fetched, [uri]);
            assert!(matches!(r, Err(Error::ConditionFailed { code: 3, .. })));
        }
    }

    #[test]
    fn example4_and_example5_multi_component() {
        let mut p = platform();
        p.server.insert("http://example.com/file.bin".into(), vec![1; 10]);
        let Some(r) = run("example4", &mut p, false) else { return };
        // payload-fetch stores into component 1, then its image-match fails.
        assert_eq!(p.store.get(&1).map(Vec::len), Some(10));
        assert!(matches!(r, Err(Error::ConditionFailed { code: 3, section: Section::PayloadFetch, .. })), "{r:?}");

        let mut p = platform();
        p.server.insert("http://example.com/file1.bin".into(), vec![1; 10]);
        p.server.insert("http://example.com/file2.bin".into(), vec![2; 10]);
        let r = run("example5", &mut p, false).unwrap();
        // Component 0 is fetched and checked first; its image-match fails before component 1.
        assert_eq!(p.fetched, ["http://example.com/file1.bin"]);
        assert!(matches!(r, Err(Error::ConditionFailed { code: 3, section: Section::Install, .. })));
    }

    #[test]
    fn example2_severed_install_cannot_run() {
        let Some(d) = iot_test_vectors::area("suit") else { return };
        let bytes = std::fs::read(d.join("manifest/example2.severed.suit")).unwrap();
        let pem = std::fs::read_to_string(d.join("keys/suit-examples-p256-public.pem")).unwrap();
        let key = PublicKey::from_pem(&pem).unwrap();
        let env = Envelope::decode(&bytes).unwrap();
        let m = env.authenticate(&key).unwrap();
        let mut p = platform();
        let r = Processor::<_, 4>::new(&mut p).update(&m, &mut MemoryCounter(0));
        assert!(matches!(r, Err(Error::SeveredAbsent { key: 20 })));
    }

    #[test]
    fn extensions_are_refused_as_unsupported() {
        let Some(d) = iot_test_vectors::area("suit") else { return };
        let pem = std::fs::read_to_string(d.join("keys/suit-examples-p256-public.pem")).unwrap();
        let key = PublicKey::from_pem(&pem).unwrap();
        for f in ["trust-domains/example1_process.suit", "trust-domains/example2_integrated.suit", "teep-example-D"] {
            let path = if f.contains('/') { d.join(f) } else { d.join(format!("teep/{f}.suit")) };
            let bytes = std::fs::read(path).unwrap();
            let m = Envelope::decode(&bytes).unwrap().authenticate(&key).unwrap();
            let mut p = platform();
            // Sequence numbers here start at 0, so boot (which accepts an equal counter) reaches the
            // extension; update would stop at the rollback check first.
            let r = if m.sequence_number() > 0 {
                Processor::<_, 4>::new(&mut p).update(&m, &mut MemoryCounter(0))
            } else {
                Processor::<_, 4>::new(&mut p).boot(&m, &MemoryCounter(0))
            };
            assert!(matches!(r, Err(Error::Unsupported { .. })), "{f}: {r:?}");
        }
    }
}

#[test]
fn storage_failure_in_a_condition_names_the_command() {
    // Nothing is stored for component 0: image-match cannot read it.
    let env = sign(&image_manifest(1));
    let err = boot(&env, &mut Mem::new(), &MemoryCounter(0)).unwrap_err();
    // validate is [image-match, 15]: the command sits right after the 1-byte array head.
    assert!(
        matches!(err, Error::Platform { error: PlatformError::NoSuchComponent, section: Section::Validate, offset: 1 }),
        "{err}"
    );
}

#[test]
fn parameter_storage_per_component_is_small() {
    // The README states the processor's per-component cost; keep it true on 64-bit hosts (32-bit
    // targets use less: slices and options shrink).
    let size = size_of::<iot_manifest::Parameters<'_>>();
    assert!(size <= 320, "{size}");
}

#[test]
fn malformed_or_unknown_content_is_refused_at_decode() {
    use iot_manifest::build::BuiltManifest;
    let decode = |m: &ManifestBuilder| {
        let env = sign(m);
        Envelope::decode(&env).unwrap().authenticate(&Sign1Key(*key().verifying_key())).map(|v| v.sequence_number())
    };
    let with_install = |raw: &[u8]| {
        let mut m = ManifestBuilder::new(1);
        m.component(&[b"a"]);
        m.sequence_bytes(Section::Install, raw)
    };
    // An unknown command (99, argument 0).
    assert!(matches!(
        decode(&with_install(&[0x82, 0x18, 0x63, 0x00])),
        Err(Error::Unsupported { what: "command", code: 99 })
    ));
    // A custom command whose argument is a map.
    assert!(matches!(decode(&with_install(&[0x82, 0x39, 0x01, 0x2b, 0xa0])), Err(Error::Malformed { .. })));
    // Odd length (a command without its argument).
    assert!(matches!(decode(&with_install(&[0x81, 0x15])), Err(Error::Malformed { .. })));
    // A parameter twice in one map: override-parameters {14: 1, 14: 2}.
    assert!(matches!(
        decode(&with_install(&[0x82, 0x14, 0xa2, 0x0e, 0x01, 0x0e, 0x02])),
        Err(Error::DuplicateKey { key: 14, .. })
    ));
    // A reporting policy out of range.
    assert!(matches!(decode(&with_install(&[0x82, 0x15, 0x18, 0x20])), Err(Error::Malformed { .. })));
    // A class id that is not a 16-byte UUID.
    assert!(matches!(decode(&with_install(&[0x82, 0x14, 0xa1, 0x02, 0x41, 0x00])), Err(Error::Malformed { .. })));
    // Fetch in the shared sequence.
    let mut m = ManifestBuilder::new(1);
    m.component(&[b"a"]);
    let m = m.shared_sequence(&SequenceBuilder::new().directive(d::FETCH, 0));
    assert!(matches!(decode(&m), Err(Error::Malformed { .. })));
    // try-each with one branch.
    let install = SequenceBuilder::new().try_each(&[SequenceBuilder::new().condition(c::ABORT, 0)], false);
    assert!(matches!(decode(&with_install(&install.encode())), Err(Error::Malformed { .. })));

    // Update management, malformed: version comparison 6, an empty version, wait-info with a
    // negative time, metadata with file type 4, a metadata time without tag 1.
    for params in [
        Params::new().raw(28, vec![0x44, 0x82, 0x06, 0x81, 0x01]),
        Params::new().raw(28, vec![0x43, 0x82, 0x01, 0x80]),
        Params::new().raw(28, vec![0x82, 0x01, 0x81, 0x01]), // not bstr-wrapped
        Params::new().raw(29, vec![0x43, 0xa1, 0x05, 0x20]),
        Params::new().raw(29, vec![0x41, 0xa0]),
        Params::new().raw(30, vec![0x43, 0xa1, 0x05, 0x04]),
        Params::new().raw(30, vec![0x43, 0xa1, 0x06, 0x01]),
        Params::new().raw(26, vec![0x20]), // negative battery
    ] {
        let install = SequenceBuilder::new().override_parameters(&params);
        let r = decode(&with_install(&install.encode()));
        assert!(matches!(r, Err(Error::Malformed { .. } | Error::Cbor(_))), "{params:?}: {r:?}");
    }
    // override-multiple / copy-params: an index past the components, an empty map, a duplicate
    // index, an empty key list.
    let p = Params::new().minimum_battery(1);
    for install in [
        SequenceBuilder::new().override_multiple(&[(1, &p)]),
        SequenceBuilder::new().override_multiple(&[]),
        SequenceBuilder::new().override_multiple(&[(0, &p), (0, &p)]),
        SequenceBuilder::new().copy_params(&[(3, &[26])]),
        SequenceBuilder::new().copy_params(&[(0, &[])]),
    ] {
        let r = decode(&with_install(&install.encode()));
        assert!(
            matches!(r, Err(Error::Malformed { .. } | Error::ComponentIndex { .. } | Error::DuplicateKey { .. })),
            "{r:?}"
        );
    }
    // Well-formed ones decode, and copying a parameter that cannot be copied is refused when it runs.
    let ok = SequenceBuilder::new().override_multiple(&[(0, &p)]).copy_params(&[(0, &[26, 13])]);
    assert_eq!(decode(&with_install(&ok.encode())).unwrap(), 1);
    let mut dev = Mem::new();
    let r = update(&sign(&with_install(&ok.encode())), &mut dev, &mut MemoryCounter(0));
    assert!(matches!(r, Err(Error::Unsupported { what: "parameter", code: 13 })), "{r:?}");

    // An unknown manifest member (99: 0) appended to a valid manifest.
    let mut m = ManifestBuilder::new(1);
    m.component(&[b"a"]);
    let mut bytes = m.build().unwrap().manifest;
    assert_eq!(bytes[0] & 0xe0, 0xa0, "a small map");
    bytes[0] += 1;
    bytes.extend_from_slice(&[0x18, 0x63, 0x00]);
    let env = EnvelopeBuilder::new(BuiltManifest::from_bytes(&bytes)).sign(&key()).unwrap().encode().unwrap();
    let r = Envelope::decode(&env).unwrap().authenticate(&Sign1Key(*key().verifying_key()));
    assert!(matches!(r, Err(Error::Unsupported { what: "manifest member", code: 99 })), "{r:?}");
    // Manifest version 2.
    let mut bytes = m.build().unwrap().manifest;
    let at = bytes.windows(2).position(|w| w == [0x01, 0x01]).unwrap();
    bytes[at + 1] = 0x02;
    let env = EnvelopeBuilder::new(BuiltManifest::from_bytes(&bytes)).sign(&key()).unwrap().encode().unwrap();
    let r = Envelope::decode(&env).unwrap().authenticate(&Sign1Key(*key().verifying_key()));
    assert!(matches!(r, Err(Error::UnsupportedVersion(2))), "{r:?}");
}

// ---- SUIT reports (draft-ietf-suit-report) ----

mod reports {
    use super::*;
    use iot_manifest::SuitDigest;
    use iot_manifest::iot_cose::PublicKey;
    use iot_manifest::report::{Recorder, Report, ReportResult, sign_report, write_report};

    fn report_for(env: &[u8], p: &Mem, result: Result<(), &Error>, nonce: Option<&[u8]>) -> (Vec<u8>, Recorder<8>) {
        let mut rec = Recorder::<8>::new();
        for r in &p.records {
            rec.record(r);
        }
        let digest = Envelope::decode(env).unwrap().manifest_digest();
        let mut buf = [0u8; 1024];
        let n = write_report(
            "https://fw.example/app.suit",
            &SuitDigest { alg: -16, bytes: &digest },
            nonce,
            &rec,
            result,
            &mut buf,
        )
        .unwrap();
        (buf[..n].to_vec(), rec)
    }

    #[test]
    fn successful_update_is_reported_and_signed() {
        let mut p = Mem::new();
        p.server.insert("https://fw.example/app.bin".into(), FW.to_vec());
        let mut counter = MemoryCounter(0);
        let env = sign(&image_manifest(1));
        update(&env, &mut p, &mut counter).unwrap();
        let (report, rec) = report_for(&env, &p, Ok(()), Some(b"nonce-1"));
        // fetch has policy 2 (failure only): its success is not kept; the others (15) are
        let fetches = p.records.iter().filter(|r| r.command == d::FETCH).count();
        assert_eq!(rec.records().count(), p.records.len() - fetches);
        assert!(rec.failure().is_none());

        let device = SigningKey::from_slice(&[0x33; 32]).unwrap();
        let mut signed = [0u8; 1200];
        let n = sign_report(&report, &device, &mut signed).unwrap();
        let public = PublicKey::P256(*device.verifying_key());
        let r = Report::verify(&signed[..n], &public).unwrap();
        assert_eq!(r.uri, "https://fw.example/app.suit");
        assert_eq!(r.digest.bytes, Envelope::decode(&env).unwrap().manifest_digest());
        assert_eq!(r.nonce, Some(&b"nonce-1"[..]));
        assert_eq!(r.result, ReportResult::Success);
        assert_eq!(r.records.len(), rec.records().count());
        // the shared sequence's records are reported under suit-common (3)
        assert_eq!(r.records[0].section, 3);
        // another key, or a flipped byte: refused
        let other = PublicKey::P256(*key().verifying_key());
        assert!(matches!(Report::verify(&signed[..n], &other), Err(Error::Authentication(_))));
        for i in 0..n {
            let mut m = signed[..n].to_vec();
            m[i] ^= 1;
            assert!(Report::verify(&m, &public).is_err(), "flip at {i}");
        }
    }

    #[test]
    fn failed_update_reports_where_and_why() {
        let mut p = Mem::new();
        let mut evil = FW.to_vec();
        evil[5] ^= 1;
        p.server.insert("https://fw.example/app.bin".into(), evil);
        let mut counter = MemoryCounter(0);
        let env = sign(&image_manifest(1));
        let err = update(&env, &mut p, &mut counter).unwrap_err();
        let (report, rec) = report_for(&env, &p, Err(&err), None);
        let failing = rec.failure().copied().unwrap();
        assert_eq!(failing.command, c::IMAGE_MATCH);
        let r = Report::decode(&report).unwrap();
        assert_eq!(r.nonce, None);
        match r.result {
            ReportResult::Failure { code, record, reason } => {
                assert_eq!(reason, 10, "condition failed");
                assert_eq!(code, 10);
                assert_eq!(record.section, 20, "suit-install");
                assert_eq!(record.offset, failing.offset as u64);
                assert_eq!(record.component, 0);
            }
            other => panic!("{other:?}"),
        }
        // the failed image-match (policy 15) is among the records too
        assert!(r.records.iter().any(|x| x.section == 20 && x.offset == failing.offset as u64));
    }

    #[test]
    fn recorder_bounds_and_buffer() {
        let r = Record {
            section: Section::Install,
            offset: 4,
            component: 0,
            command: d::FETCH,
            policy: 1,
            outcome: Outcome::Success,
        };
        let mut rec = Recorder::<2>::new();
        for _ in 0..5 {
            rec.record(&r);
        }
        assert_eq!(rec.records().count(), 2);
        assert_eq!(rec.dropped(), 3);
        let quiet = Record { policy: 0, ..r };
        let mut rec0 = Recorder::<2>::new();
        rec0.record(&quiet);
        assert_eq!(rec0.records().count(), 0);
        let digest = [0u8; 32];
        let d = SuitDigest { alg: -16, bytes: &digest };
        let mut small = [0u8; 20];
        assert!(matches!(write_report("u", &d, None, &rec, Ok(()), &mut small), Err(Error::BufferTooSmall)));
    }

    #[test]
    fn malformed_reports_are_refused() {
        let digest = [0u8; 32];
        let d = SuitDigest { alg: -16, bytes: &digest };
        let mut buf = [0u8; 256];
        let n = write_report("u", &d, None, &Recorder::<1>::new(), Ok(()), &mut buf).unwrap();
        let good = buf[..n].to_vec();
        assert!(Report::decode(&good).is_ok());
        for len in 0..good.len() {
            assert!(Report::decode(&good[..len]).is_err(), "prefix {len}");
        }
        // hand-built: result false, reason out of range, a record of the wrong shape, missing reference
        let cases: [&[u8]; 4] = [
            &[0xa3, 0x03, 0x80, 0x04, 0xf4, 0x18, 0x63, 0x82, 0x61, b'u', 0x82, 0x2f, 0x40],
            &[
                0xa3, 0x03, 0x80, 0x04, 0xa3, 0x05, 0x01, 0x06, 0x85, 0x80, 0x00, 0x00, 0x00, 0xa0, 0x07, 0x0d, 0x18,
                0x63, 0x82, 0x61, b'u', 0x82, 0x2f, 0x40,
            ],
            &[
                0xa3, 0x03, 0x81, 0x84, 0x80, 0x00, 0x00, 0x00, 0x04, 0xf5, 0x18, 0x63, 0x82, 0x61, b'u', 0x82, 0x2f,
                0x40,
            ],
            &[0xa2, 0x03, 0x80, 0x04, 0xf5],
        ];
        for (i, c) in cases.iter().enumerate() {
            assert!(Report::decode(c).is_err(), "case {i}");
        }
        // and the same with reason 12 (the highest defined) decodes
        let ok: &[u8] = &[
            0xa3, 0x03, 0x80, 0x04, 0xa3, 0x05, 0x01, 0x06, 0x85, 0x80, 0x00, 0x00, 0x00, 0xa0, 0x07, 0x0c, 0x18, 0x63,
            0x82, 0x61, b'u', 0x82, 0x2f, 0x40,
        ];
        assert!(matches!(Report::decode(ok).unwrap().result, ReportResult::Failure { reason: 12, .. }));
    }
}

/// The update-management examples (draft-ietf-suit-update-management, libcsuit's U0 to U3) run
/// against a platform with an injected clock, battery, policy and version store. Their sequence
/// numbers are 0, so they run on a counter in its factory state.
mod update_management {
    use super::*;
    use iot_manifest::iot_cose::PublicKey;

    /// A counter that has never advanced.
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

    const VENDOR_B: [u8; 16] =
        [0xfa, 0x6b, 0x4a, 0x53, 0xd5, 0xad, 0x5f, 0xdf, 0xbe, 0x9d, 0xe6, 0x63, 0xe4, 0xd4, 0x1f, 0xfe];
    const CLASS_B: [u8; 16] =
        [0x14, 0x92, 0xaf, 0x14, 0x25, 0x69, 0x5e, 0x48, 0xbf, 0x42, 0x9b, 0x2d, 0x51, 0xf2, 0xab, 0x45];

    fn run(name: &str, p: &mut Mem) -> Option<Result<iot_manifest::Summary, Error>> {
        let d = iot_test_vectors::area("suit")?;
        let bytes = std::fs::read(d.join(format!("update-management/{name}.suit"))).unwrap();
        let pem = std::fs::read_to_string(d.join("keys/suit-examples-p256-public.pem")).unwrap();
        let m = Envelope::decode(&bytes).unwrap().authenticate(&PublicKey::from_pem(&pem).unwrap()).unwrap();
        let mut counter = Fresh(0, false);
        let r = Processor::<_, 4>::new(p).update(&m, &mut counter);
        if r.is_ok() {
            assert!(counter.1, "a successful update marks the counter installed");
            // The same manifest again is now a replay.
            assert!(matches!(
                Processor::<_, 4>::new(p).update(&m, &mut counter),
                Err(Error::Rollback { manifest: 0, stored: 0 })
            ));
        }
        Some(r)
    }

    fn raw_image() -> Vec<u8> {
        std::fs::read(iot_test_vectors::area("suit").unwrap().join("payloads/raw_image.bin")).unwrap()
    }

    fn real_clock() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
    }

    fn u0_platform() -> Mem {
        let mut p = Mem::new();
        p.now = Some(1_696_291_199); // one second before use-before (2023-10-03)
        p.battery = Some(50);
        p.authorize = Some(true);
        p.versions.insert(0, vec![1, 0]); // <= [1, 0]
        p.versions.insert(1, vec![1, 0, 1]); // < [1, 0, 2]
        p
    }

    fn failed(r: &Result<iot_manifest::Summary, Error>) -> Option<(i64, Section, Option<usize>)> {
        match r {
            Err(Error::ConditionFailed { code, section, component, .. }) => Some((*code, *section, *component)),
            _ => None,
        }
    }

    #[test]
    fn u0_copy_params_and_the_four_gates() {
        let mut p = u0_platform();
        let Some(r) = run("exampleU0", &mut p) else { return };
        r.unwrap();
        // copy-params gave component 1 component 0's update-priority (-1).
        assert_eq!(p.authorized, [(0, Some(-1)), (1, Some(-1))]);
        let gates: Vec<_> = p.records.iter().map(|r| (r.component, r.command, r.outcome)).collect();
        let mut want = Vec::new();
        for comp in [0, 1] {
            for code in [c::USE_BEFORE, c::MINIMUM_BATTERY, c::VERSION, c::UPDATE_AUTHORIZED] {
                want.push((comp, code, Outcome::Success));
            }
        }
        assert_eq!(gates, want);

        // Each gate fails on its own.
        let mut cases: Vec<(Mem, i64, usize)> = Vec::new();
        let mut at = u0_platform();
        at.now = Some(1_696_291_200); // use-before is exclusive
        cases.push((at, c::USE_BEFORE, 0));
        let mut real = u0_platform();
        real.now = Some(real_clock());
        cases.push((real, c::USE_BEFORE, 0));
        let mut low = u0_platform();
        low.battery = Some(9);
        cases.push((low, c::MINIMUM_BATTERY, 0));
        let mut newer = u0_platform();
        newer.versions.insert(1, vec![1, 0, 2]);
        cases.push((newer, c::VERSION, 1));
        let mut newer0 = u0_platform();
        newer0.versions.insert(0, vec![1, 1]);
        cases.push((newer0, c::VERSION, 0));
        let mut declined = u0_platform();
        declined.authorize = Some(false);
        cases.push((declined, c::UPDATE_AUTHORIZED, 0));
        for (mut p, code, comp) in cases {
            let r = run("exampleU0", &mut p).unwrap();
            // The gates run inside run-sequence, which fails as a whole; the record names the gate.
            assert_eq!(failed(&r), Some((d::RUN_SEQUENCE, Section::Install, Some(comp))), "{r:?}");
            let last = p.records.last().unwrap();
            assert_eq!((last.command, last.component, last.outcome), (code, comp, Outcome::Failure(10)));
        }
        // A device without a clock cannot honour use-before: refused, not skipped.
        let mut p = u0_platform();
        p.now = None;
        let r = run("exampleU0", &mut p).unwrap();
        assert!(matches!(r, Err(Error::Platform { error: PlatformError::Unsupported, section: Section::Install, .. })));
    }

    #[test]
    fn u1_override_multiple_then_wait() {
        let mut p = Mem::new();
        p.waits = Some(Ok(()));
        let Some(r) = run("exampleU1", &mut p) else { return };
        r.unwrap();
        assert_eq!(
            p.waited,
            [(0, vec![WaitEvent::Authorization(-1), WaitEvent::Power(10)]), (1, vec![WaitEvent::TimeOfDay(82_800)])]
        );
        // A platform that is not ready stops the update; one that cannot wait refuses it.
        for (answer, want) in [
            (Err(PlatformError::Wait), PlatformError::Wait),
            (Err(PlatformError::Unsupported), PlatformError::Unsupported),
        ] {
            let mut p = Mem::new();
            p.waits = Some(answer);
            let r = run("exampleU1", &mut p).unwrap();
            assert!(matches!(r, Err(Error::Platform { error, .. }) if error == want), "{r:?}");
            assert_eq!(p.waited.len(), 1);
        }
    }

    fn u2_platform() -> Mem {
        let mut p = Mem { vendor: VENDOR_B.to_vec(), class: CLASS_B.to_vec(), ..Mem::default() };
        p.server.insert("http://example.com/file.bin".into(), raw_image());
        p.now = Some(1_465_948_000); // before use-before (2016-06-14)
        p.battery = Some(20);
        p.waits = Some(Ok(()));
        p.versions.insert(0, vec![0, 9, 7]); // < [1, 0, 0]
        p
    }

    #[test]
    fn u2_version_wait_battery_and_use_before() {
        let mut p = u2_platform();
        let Some(r) = run("exampleU2", &mut p) else { return };
        r.unwrap();
        assert_eq!(p.fetched, ["http://example.com/file.bin"]);
        assert_eq!(p.store[&0], raw_image());
        assert_eq!(p.waited, [(0, vec![WaitEvent::Power(1)])]);

        // On a real clock the 2016 use-before gate fails validation, after the image matched.
        let mut p = u2_platform();
        p.now = Some(real_clock());
        let r = run("exampleU2", &mut p).unwrap();
        assert_eq!(failed(&r), Some((c::USE_BEFORE, Section::Validate, Some(0))), "{r:?}");
        // Version 1.0.0 installed already: the shared sequence's version gate fails first.
        let mut p = u2_platform();
        p.versions.insert(0, vec![1, 0, 0]);
        let r = run("exampleU2", &mut p).unwrap();
        assert_eq!(failed(&r), Some((c::VERSION, Section::Shared, Some(0))), "{r:?}");
        assert!(p.fetched.is_empty());
        // 19 mWh left: the battery gate before the fetch fails.
        let mut p = u2_platform();
        p.battery = Some(19);
        let r = run("exampleU2", &mut p).unwrap();
        assert_eq!(failed(&r), Some((c::MINIMUM_BATTERY, Section::PayloadFetch, Some(0))), "{r:?}");
        assert!(p.fetched.is_empty());
    }

    #[test]
    fn u3_component_metadata_makes_a_directory_a_file_and_a_link() {
        let mut p = Mem { vendor: VENDOR_B.to_vec(), class: CLASS_B.to_vec(), metadata: true, ..Mem::default() };
        p.server.insert("https://cdn.example/example3.bin".into(), raw_image());
        let Some(r) = run("exampleU3", &mut p) else { return };
        r.unwrap();
        assert_eq!(
            p.applied,
            [
                (1, FileType::Directory, None, Some(1000), vec![], vec![]),
                (2, FileType::Regular, Some(4), None, vec![(1000, 6)], vec![(1000, 4)]),
                (0, FileType::Symlink, None, Some(1000), vec![], vec![]),
            ]
        );
        assert_eq!(p.store[&1], b"");
        assert_eq!(p.store[&2], raw_image());
        assert_eq!(p.store[&0], b"/usr/local/bin/example3");
        // A platform that cannot apply metadata refuses rather than writing a plain file.
        let mut p = Mem { vendor: VENDOR_B.to_vec(), class: CLASS_B.to_vec(), ..Mem::default() };
        let r = run("exampleU3", &mut p).unwrap();
        assert!(matches!(r, Err(Error::Platform { error: PlatformError::Unsupported, .. })), "{r:?}");
        assert!(p.store.is_empty());
    }
}

/// The firmware-encryption examples (draft-ietf-suit-firmware-encryption section 9): a
/// decrypting write (AES-KW and ECDH-ES) and a fetch into a staging component followed by a
/// decrypting copy; each yields the published plaintext on a device with the right key and fails
/// on one without.
mod firmware_encryption {
    use super::*;
    use iot_manifest::iot_cose::{HmacKey, PrivateKey, PublicKey, p256};

    fn dir() -> Option<std::path::PathBuf> {
        iot_test_vectors::area("suit")
    }

    fn plaintext() -> Vec<u8> {
        std::fs::read(dir().unwrap().join("payloads/raw_image.bin")).unwrap()
    }

    fn device(d: &std::path::Path) -> Mem {
        let pem = std::fs::read_to_string(d.join("keys/esdh-receiver-p256-private.pem")).unwrap();
        let PrivateKey::P256(k) = PrivateKey::from_pem(&pem).unwrap() else { panic!() };
        let mut p = Mem::new();
        p.kek = Some(std::fs::read(d.join("keys/a128kw-kek.bin")).unwrap());
        p.ecdh = Some(p256::SecretKey::from(k.as_nonzero_scalar()));
        p.server.insert(
            "coaps://example.com/encrypted-firmware".into(),
            std::fs::read(d.join("firmware-encryption/encrypted-payload-aes-kw-aes-gcm.bin")).unwrap(),
        );
        p
    }

    fn run(d: &std::path::Path, f: &str, p: &mut Mem) -> Result<iot_manifest::Summary, Error> {
        let bytes = std::fs::read(d.join("firmware-encryption").join(f)).unwrap();
        let env = Envelope::decode(&bytes).unwrap();
        let m = if f.starts_with("suit-manifest-aes-kw") {
            let hmac = std::fs::read(d.join("keys/hmac-sha256-key.bin")).unwrap();
            env.authenticate(&iot_manifest::Mac0Key(HmacKey::new(&hmac))).unwrap()
        } else {
            let pem = std::fs::read_to_string(d.join("keys/suit-examples-p256-public.pem")).unwrap();
            env.authenticate(&PublicKey::from_pem(&pem).unwrap()).unwrap()
        };
        Processor::<_, 4>::new(p).update(&m, &mut MemoryCounter(0))
    }

    #[test]
    fn decrypting_write_and_copy_give_the_plaintext() {
        let Some(d) = dir() else { return };
        for (f, slot) in [
            ("suit-manifest-aes-kw-content.suit", 0),
            ("suit-manifest-es-ecdh-content.suit", 0),
            ("suit-manifest-aes-kw.suit", 0),
            ("suit-manifest-aes-kw-slot.suit", 0),
        ] {
            let mut p = device(&d);
            run(&d, f, &mut p).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert_eq!(p.store[&slot], plaintext(), "{f}");
        }
    }

    #[test]
    fn a_device_without_the_key_or_with_bad_ciphertext_fails() {
        let Some(d) = dir() else { return };
        // No KEK: the platform finds no recipient it can open.
        let mut p = device(&d);
        p.kek = None;
        let r = run(&d, "suit-manifest-aes-kw-content.suit", &mut p);
        assert!(matches!(r, Err(Error::Platform { error: PlatformError::Denied, .. })), "{r:?}");
        // A wrong KEK fails the unwrap.
        let mut p = device(&d);
        p.kek.as_mut().unwrap()[0] ^= 1;
        assert!(run(&d, "suit-manifest-aes-kw-content.suit", &mut p).is_err());
        // Another ECDH key.
        let mut p = device(&d);
        p.ecdh = Some(p256::SecretKey::from_slice(&[7; 32]).unwrap());
        assert!(run(&d, "suit-manifest-es-ecdh-content.suit", &mut p).is_err());
        // A flipped byte of the fetched ciphertext fails the GCM tag after the last chunk.
        for i in [0, 20, 45] {
            let mut p = device(&d);
            p.server.get_mut("coaps://example.com/encrypted-firmware").unwrap()[i] ^= 0x80;
            let r = run(&d, "suit-manifest-aes-kw.suit", &mut p);
            assert!(matches!(r, Err(Error::Decryption { .. })), "byte {i}: {r:?}");
        }
        // A platform that cannot write in chunks refuses.
        struct NoChunks(Mem);
        impl Platform for NoChunks {
            fn check_vendor_id(&mut self, c: Component<'_>, id: VendorId<'_>) -> bool {
                self.0.check_vendor_id(c, id)
            }
            fn check_class_id(&mut self, c: Component<'_>, id: &[u8]) -> bool {
                self.0.check_class_id(c, id)
            }
            fn read(&mut self, c: Component<'_>, o: u64, b: &mut [u8]) -> Result<usize, PlatformError> {
                self.0.read(c, o, b)
            }
            fn write(&mut self, c: Component<'_>, data: &[u8]) -> Result<(), PlatformError> {
                self.0.write(c, data)
            }
            fn fetch(
                &mut self,
                c: Component<'_>,
                u: &str,
                a: Option<&[u8]>,
                m: Option<u64>,
            ) -> Result<(), PlatformError> {
                self.0.fetch(c, u, a, m)
            }
            fn unwrap_key(
                &mut self,
                c: Component<'_>,
                info: &iot_manifest::encryption::EncryptionInfo<'_>,
                cek: &mut [u8; 32],
            ) -> Result<usize, PlatformError> {
                self.0.unwrap_key(c, info, cek)
            }
        }
        let bytes = std::fs::read(d.join("firmware-encryption/suit-manifest-aes-kw-content.suit")).unwrap();
        let hmac = std::fs::read(d.join("keys/hmac-sha256-key.bin")).unwrap();
        let env = Envelope::decode(&bytes).unwrap();
        let m = env.authenticate(&iot_manifest::Mac0Key(HmacKey::new(&hmac))).unwrap();
        let mut p = NoChunks(device(&d));
        let r = Processor::<_, 4>::new(&mut p).update(&m, &mut MemoryCounter(0));
        assert!(matches!(r, Err(Error::Platform { error: PlatformError::Unsupported, .. })), "{r:?}");
    }

    #[test]
    fn dependency_example_installs_with_dependencies_and_the_bad_signature_is_refused() {
        let Some(d) = dir() else { return };
        let mut p = device(&d);
        let r = run(&d, "suit-manifest-es-ecdh-dependency.suit", &mut p);
        assert!(matches!(r, Err(Error::Unsupported { .. })), "without dependency support: {r:?}");
        // With it: the integrated dependency is checked and processed, the content decrypted.
        let bytes = std::fs::read(d.join("firmware-encryption/suit-manifest-es-ecdh-dependency.suit")).unwrap();
        let pem = std::fs::read_to_string(d.join("keys/suit-examples-p256-public.pem")).unwrap();
        let key = PublicKey::from_pem(&pem).unwrap();
        let m = Envelope::decode(&bytes).unwrap().authenticate(&key).unwrap();
        let mut p = device(&d);
        let mut buf = [0u8; 512];
        let r = Processor::<_, 4>::new(&mut p).with_dependencies(&mut buf, &key).update(&m, &mut MemoryCounter(0));
        r.unwrap();
        assert!(p.store.values().any(|v| *v == plaintext()), "the decrypted image is stored");
        let bytes =
            std::fs::read(d.join("firmware-encryption/suit-manifest-es-ecdh-dependency.upstream-bad-signature.suit"))
                .unwrap();
        let pem = std::fs::read_to_string(d.join("keys/suit-examples-p256-public.pem")).unwrap();
        assert!(Envelope::decode(&bytes).unwrap().authenticate(&PublicKey::from_pem(&pem).unwrap()).is_err());
    }
}
