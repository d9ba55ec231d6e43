//! Fuzz harness bodies, shared by the one-line targets in `fuzz_targets/` and by the corpus replay
//! in `tests/replay.rs`.
//!
//! Invariants checked beyond "no panic":
//! - a decoded message re-encodes to bytes that decode to the same fields, and re-encoding is
//!   idempotent;
//! - a fixed key that never signed anything never accepts a fuzzed signature or tag;
//! - with [`AcceptAllVerifier`] (fuzz-only, NO SECURITY) the verified-message accessors agree
//!   with the decoded view, so policy code past the signature check is reached too.

use iot_cose::{CoseKey, CoseMac0, CoseSign1, CoseVerifier, HmacKey, p256};

/// A P-256 key no corpus entry was signed with (seeds use [`SEED_P256`]).
pub const FIXED_P256: [u8; 32] = [0x42; 32];
/// The key the ES256 seeds were signed with.
pub const SEED_P256: [u8; 32] = [0x17; 32];
/// An Ed25519 key no corpus entry was signed with.
pub const FIXED_ED25519: [u8; 32] = [0x43; 32];
/// An HMAC key no corpus entry was MACed with (seeds use [`SEED_HMAC`]).
pub const FIXED_HMAC: [u8; 32] = [0x44; 32];
/// The key the Mac0 seeds were MACed with.
pub const SEED_HMAC: [u8; 32] = [0x18; 32];

/// Accepts every signature. Exists only here, so fuzzing reaches code behind verification.
#[derive(Debug)]
pub struct AcceptAllVerifier;

impl CoseVerifier for AcceptAllVerifier {
    type Signature = p256::ecdsa::Signature;
    fn verify_parts(&self, _: &[&[u8]], _: &Self::Signature) -> Result<(), iot_cose::signature::Error> {
        Ok(())
    }
}

fn reencode_sign1(m: &CoseSign1<'_>) {
    let mut once = Vec::new();
    m.encode(&mut once).expect("encoding into a Vec cannot fail");
    let again = CoseSign1::decode(&once).expect("re-encoded message must decode");
    assert_eq!(again.protected().original, m.protected().original);
    assert_eq!(again.unprotected().raw(), m.unprotected().raw());
    assert_eq!(again.unverified_payload(), m.unverified_payload());
    assert_eq!(again.signature(), m.signature());
    assert_eq!(again.is_tagged(), m.is_tagged());
    let mut twice = Vec::new();
    again.encode(&mut twice).expect("encoding into a Vec cannot fail");
    assert_eq!(once, twice, "re-encoding must be idempotent");
}

/// COSE_Sign1: decode, re-encode round trip, verify with fixed keys (must fail), verify with the
/// accept-all verifier (accessors must agree).
pub fn cose_sign1(data: &[u8]) {
    let Ok(m) = CoseSign1::decode(data) else { return };
    reencode_sign1(&m);
    let p256_key = p256::ecdsa::SigningKey::from_slice(&FIXED_P256).expect("fixed key is valid");
    let ed_key = iot_cose::ed25519_dalek::SigningKey::from_bytes(&FIXED_ED25519);
    let payload: &[u8] = b"detached";
    let detached = if m.is_detached() { Some(payload) } else { None };
    let opts = iot_cose::VerifyOptions::default();
    assert!(m.verify_with(p256_key.verifying_key(), detached, b"", &opts).is_err(), "forged ES256 accepted");
    assert!(m.verify_with(&ed_key.verifying_key(), detached, b"", &opts).is_err(), "forged EdDSA accepted");
    if let Ok(v) = m.verify_with(&AcceptAllVerifier, detached, b"", &opts) {
        assert_eq!(v.payload(), m.unverified_payload());
        assert_eq!(v.kid(), m.kid());
        assert!(iot_cose::p256::ecdsa::Signature::from_slice(m.signature()).is_ok());
    }
}

/// COSE_Mac0: decode, re-encode round trip, verify with a fixed key (must fail).
pub fn cose_mac0(data: &[u8]) {
    let Ok(m) = CoseMac0::decode(data) else { return };
    let mut once = Vec::new();
    m.encode(&mut once).expect("encoding into a Vec cannot fail");
    let again = CoseMac0::decode(&once).expect("re-encoded message must decode");
    assert_eq!(again.tag(), m.tag());
    assert_eq!(again.unverified_payload(), m.unverified_payload());
    let payload: &[u8] = b"detached";
    let detached = if m.is_detached() { Some(payload) } else { None };
    let r = m.verify_with(&HmacKey::new(&FIXED_HMAC), detached, b"", &iot_cose::VerifyOptions::default());
    assert!(r.is_err(), "forged MAC accepted");
}

/// COSE_Key: decode; an accepted key re-encodes and decodes to the same key.
pub fn cose_key(data: &[u8]) {
    let Ok(k) = CoseKey::decode(data) else { return };
    let kid = k.kid.as_deref();
    let again = match &k.material {
        iot_cose::KeyMaterial::Public(p) => p.to_cose_key(kid),
        iot_cose::KeyMaterial::Private(p) => p.to_cose_key(kid).to_vec(),
        iot_cose::KeyMaterial::Symmetric(s) => s.to_cose_key(kid, k.alg).to_vec(),
        _ => return,
    };
    let k2 = CoseKey::decode(&again).expect("re-encoded key must decode");
    assert_eq!(k2.kid, k.kid);
    match (&k.material, &k2.material) {
        (iot_cose::KeyMaterial::Public(a), iot_cose::KeyMaterial::Public(b)) => assert_eq!(a, b),
        (iot_cose::KeyMaterial::Private(a), iot_cose::KeyMaterial::Private(b)) => {
            assert_eq!(a.public_key(), b.public_key());
        }
        (iot_cose::KeyMaterial::Symmetric(a), iot_cose::KeyMaterial::Symmetric(b)) => {
            assert_eq!(a.as_bytes(), b.as_bytes());
        }
        _ => panic!("key kind changed in a round trip"),
    }
}

/// Splits fuzz input into two CBOR documents (the second starts where the first ends).
fn two_cbor_docs(data: &[u8]) -> Option<(iot_twin::Value, iot_twin::Value)> {
    let mut d = iot_cose::cbor::Decoder::new(data);
    let first = d.raw_item(64).ok()?;
    let a = iot_twin::cbor::from_slice(first).ok()?;
    let b = iot_twin::cbor::from_slice(d.remaining()).ok()?;
    Some((a, b))
}

/// RFC 7396 merge: apply is idempotent, and a diff of the change reproduces it.
pub fn twin_merge(data: &[u8]) {
    let Some((doc, patch)) = two_cbor_docs(data) else { return };
    let mut once = doc.clone();
    if iot_twin::merge::apply(&mut once, &patch).is_err() {
        return;
    }
    let mut twice = once.clone();
    iot_twin::merge::apply(&mut twice, &patch).expect("depth already accepted");
    assert!(iot_twin::equal(&once, &twice), "merge is not idempotent");
    if let Ok(d) = iot_twin::merge::diff(&doc, &once) {
        let mut again = doc.clone();
        iot_twin::merge::apply(&mut again, &d).expect("diff output applies");
        assert!(iot_twin::equal(&again, &once), "merge diff does not reproduce the change");
    }
}

/// RFC 6902: a failing patch leaves the document unchanged; a successful one is reproduced by
/// the diff of the change.
pub fn twin_patch(data: &[u8]) {
    let Some((doc, ops)) = two_cbor_docs(data) else { return };
    let Ok(p) = iot_twin::Patch::from_value(&ops) else { return };
    let mut work = doc.clone();
    match p.apply(&mut work) {
        Err(_) => assert_eq!(work, doc, "failed patch changed the document"),
        Ok(()) => {
            let d = iot_twin::patch::diff(&doc, &work).expect("depth bounded by the decoder");
            let mut again = doc.clone();
            d.apply(&mut again).expect("diff output applies");
            assert!(iot_twin::equal(&again, &work), "patch diff does not reproduce the change");
        }
    }
}

/// CBOR documents: decode, then encoding is canonical and round-trips.
pub fn twin_cbor(data: &[u8]) {
    let Ok(v) = iot_twin::cbor::from_slice(data) else { return };
    let enc = iot_twin::cbor::to_vec(&v);
    let back = iot_twin::cbor::from_slice(&enc).expect("own encoding decodes");
    assert!(iot_twin::equal(&back, &v));
    assert_eq!(iot_twin::cbor::to_vec(&back), enc, "encoding is not canonical");
}

/// SUIT report: decode, and verify as a signed report with a fixed key.
pub fn manifest_report(data: &[u8]) {
    use iot_manifest::report::Report;
    let _ = Report::decode(data);
    if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&FIXED_P256) {
        let key = iot_cose::PublicKey::P256(*k.verifying_key());
        let _ = Report::verify(data, &key);
    }
}

/// SUIT envelope: decode; a fixed key never authenticates a fuzzed envelope; the unverified
/// manifest decode and both renderers never panic; removing no member keeps the manifest digest.
pub fn manifest_envelope(data: &[u8]) {
    use iot_manifest::{Envelope, Limits, Sign1Key, render};
    let Ok(env) = Envelope::decode(data) else { return };
    let key = p256::ecdsa::SigningKey::from_slice(&FIXED_P256).expect("fixed key is valid");
    assert!(env.authenticate(&Sign1Key(*key.verifying_key())).is_err(), "forged manifest accepted");
    let limits = Limits::default();
    if let Ok(m) = env.unverified_manifest(&limits) {
        let _ = render::manifest_json(&m);
        let _ = render::components(&m);
    }
    let _ = render::envelope_json(&env, &limits);
    let _ = render::diagnostic(data);
    let kept = iot_manifest::build::sever(data, &[], false).expect("a decoded envelope re-emits");
    let again = Envelope::decode(&kept).expect("re-emitted envelope decodes");
    assert_eq!(again.manifest_digest(), env.manifest_digest());
    let stripped = iot_manifest::build::sever(data, &iot_manifest::codes::SEVERABLE_KEYS, true).expect("severs");
    let cut = Envelope::decode(&stripped).expect("severed envelope decodes");
    assert_eq!(cut.integrated_payload_count(), 0);
    assert_eq!(cut.manifest_digest(), env.manifest_digest());
}

/// A fuzz-only platform: three 256-byte slots, everything matches, fetch writes the URI bytes.
#[derive(Debug, Default)]
pub struct FuzzPlatform {
    slots: [Vec<u8>; 3],
}

impl iot_manifest::Platform for FuzzPlatform {
    fn check_vendor_id(&mut self, _: iot_manifest::Component<'_>, _: iot_manifest::command::VendorId<'_>) -> bool {
        true
    }
    fn check_class_id(&mut self, _: iot_manifest::Component<'_>, _: &[u8]) -> bool {
        true
    }
    fn component_slot(&mut self, c: iot_manifest::Component<'_>) -> Option<u64> {
        u64::try_from(c.index % 2).ok()
    }
    fn read(
        &mut self,
        c: iot_manifest::Component<'_>,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, iot_manifest::PlatformError> {
        let slot = self.slots.get(c.index).ok_or(iot_manifest::PlatformError::NoSuchComponent)?;
        let rest = usize::try_from(offset).ok().and_then(|o| slot.get(o..)).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }
    fn write(&mut self, c: iot_manifest::Component<'_>, data: &[u8]) -> Result<(), iot_manifest::PlatformError> {
        let slot = self.slots.get_mut(c.index).ok_or(iot_manifest::PlatformError::NoSuchComponent)?;
        if data.len() > 256 {
            return Err(iot_manifest::PlatformError::TooLarge);
        }
        *slot = data.to_vec();
        Ok(())
    }
    fn fetch(
        &mut self,
        c: iot_manifest::Component<'_>,
        uri: &str,
        _: Option<&[u8]>,
        _: Option<u64>,
    ) -> Result<(), iot_manifest::PlatformError> {
        self.write(c, uri.as_bytes())
    }
    fn copy(
        &mut self,
        d: iot_manifest::Component<'_>,
        s: iot_manifest::Component<'_>,
    ) -> Result<(), iot_manifest::PlatformError> {
        let body = self.slots.get(s.index).cloned().ok_or(iot_manifest::PlatformError::NoSuchComponent)?;
        self.write(d, &body)
    }
    fn invoke(&mut self, _: iot_manifest::Component<'_>, _: Option<&[u8]>) -> Result<(), iot_manifest::PlatformError> {
        Ok(())
    }
    // Update management: a fixed clock, battery and versions, and every accessor exercised.
    fn now(&mut self) -> Result<u64, iot_manifest::PlatformError> {
        Ok(1_700_000_000)
    }
    fn battery(&mut self) -> Result<u64, iot_manifest::PlatformError> {
        Ok(50)
    }
    fn authorize(
        &mut self,
        c: iot_manifest::Component<'_>,
        p: Option<i64>,
    ) -> Result<bool, iot_manifest::PlatformError> {
        Ok(p.unwrap_or(0) <= i64::try_from(c.index).unwrap_or(0))
    }
    fn version(
        &mut self,
        c: iot_manifest::Component<'_>,
        out: &mut [i64],
    ) -> Result<usize, iot_manifest::PlatformError> {
        let v = [1, i64::try_from(c.index).unwrap_or(0), -1, 2];
        out[..4].copy_from_slice(&v);
        Ok(4)
    }
    fn wait(
        &mut self,
        _: iot_manifest::Component<'_>,
        events: iot_manifest::update::WaitInfo<'_>,
    ) -> Result<(), iot_manifest::PlatformError> {
        use iot_manifest::update::WaitEvent;
        for e in events.events() {
            if let WaitEvent::OtherDeviceVersion { matches, .. } = e {
                assert!(WaitEvent::version_matches(matches).count() > 0, "checked matches decode");
            }
        }
        Ok(())
    }
    fn unwrap_key(
        &mut self,
        _: iot_manifest::Component<'_>,
        info: &iot_manifest::encryption::EncryptionInfo<'_>,
        cek: &mut [u8; 32],
    ) -> Result<usize, iot_manifest::PlatformError> {
        let r = info.recipients().next().ok_or(iot_manifest::PlatformError::Denied)?;
        iot_manifest::encryption::unwrap_aes_kw(&FIXED_KEK, &r, cek).map_err(|_| iot_manifest::PlatformError::Denied)
    }
    fn write_at(
        &mut self,
        c: iot_manifest::Component<'_>,
        offset: u64,
        data: &[u8],
    ) -> Result<(), iot_manifest::PlatformError> {
        let slot = self.slots.get_mut(c.index).ok_or(iot_manifest::PlatformError::NoSuchComponent)?;
        if offset == 0 {
            slot.clear();
        }
        assert_eq!(u64::try_from(slot.len()).ok(), Some(offset), "decrypted chunks arrive in order");
        if slot.len() + data.len() > 256 {
            return Err(iot_manifest::PlatformError::TooLarge);
        }
        slot.extend_from_slice(data);
        Ok(())
    }
    fn metadata(
        &mut self,
        _: iot_manifest::Component<'_>,
        m: iot_manifest::update::ComponentMetadata<'_>,
    ) -> Result<(), iot_manifest::PlatformError> {
        use iot_manifest::update::PermissionScope;
        let _ = (m.file_type(), m.default_permissions(), m.creator(), m.creation_time(), m.modification_time());
        let _ = m.permissions(PermissionScope::User).chain(m.permissions(PermissionScope::Role)).count();
        Ok(())
    }
}

/// The fixed key-encryption key of the encryption seeds.
pub const FIXED_KEK: [u8; 16] = [0x61; 16];

/// Firmware encryption: the first byte is a chunk size, the next two a big-endian length of the
/// `SUIT_Encryption_Info`, the rest the ciphertext. Decoding, unwrapping (with the fixed KEK and
/// the fixed P-256 key) and streaming decryption in those chunks never panic, and whatever
/// decrypts re-encrypts: the same bytes encrypted for the fixed KEK decrypt back.
pub fn manifest_encryption(data: &[u8]) {
    use iot_manifest::encryption::{EncryptTo, EncryptionInfo, Recipient, encrypt, unwrap_aes_kw, unwrap_ecdh};
    let [chunk, hi, lo, rest @ ..] = data else { return };
    let chunk = usize::from(*chunk).max(1);
    let n = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
    let (info_bytes, ct) = rest.split_at(n);
    let Ok(info) = EncryptionInfo::decode(info_bytes) else { return };
    let secret = p256::SecretKey::from_slice(&FIXED_P256).expect("valid scalar");
    let mut cek = [0u8; 32];
    let mut key = None;
    for r in info.recipients() {
        let got = match r {
            Recipient::AesKw { .. } => unwrap_aes_kw(&FIXED_KEK, &r, &mut cek),
            Recipient::EcdhEs { .. } => unwrap_ecdh(&secret, &r, &mut cek),
        };
        if let Ok(len) = got {
            assert_eq!(len, info.algorithm.key_len());
            key = Some(len);
        }
    }
    let len = key.unwrap_or(info.algorithm.key_len());
    let mut d = info.decryptor(&cek[..len]).expect("a key of the algorithm's length");
    let Some(body_len) = ct.len().checked_sub(d.tag_len()) else { return };
    let (body, tag) = ct.split_at(body_len);
    let mut out = body.to_vec();
    for c in out.chunks_mut(chunk) {
        d.update(c);
    }
    if d.finish(tag).is_ok() {
        let mut x = 0u8;
        let again = encrypt(&out, info.algorithm, &[EncryptTo::AesKw { kek: &FIXED_KEK, kid: None }], |b| {
            for y in b {
                x = x.wrapping_add(1);
                *y = x;
            }
        })
        .expect("encrypts");
        let info2 = EncryptionInfo::decode(&again.info).expect("own encoding decodes");
        let r = info2.recipients().next().expect("one recipient");
        let mut k2 = [0u8; 32];
        let l2 = unwrap_aes_kw(&FIXED_KEK, &r, &mut k2).expect("own wrap unwraps");
        let mut d2 = info2.decryptor(&k2[..l2]).expect("key");
        let (b2, t2) = again.ciphertext.split_at(again.ciphertext.len() - d2.tag_len());
        let mut back = b2.to_vec();
        d2.update(&mut back);
        d2.finish(t2).expect("own ciphertext authenticates");
        assert_eq!(back, out);
    }
}

/// SUIT processing past authentication (fuzz-only accept-all authenticator, NO SECURITY): the
/// update and boot procedures never panic, stay within the step budget, and the counter moves
/// only on a successful update, to the manifest's sequence number.
pub fn manifest_process(data: &[u8]) {
    use iot_manifest::{Envelope, Limits, MemoryCounter, Processor};
    let Ok(env) = Envelope::decode(data) else { return };
    let accept_all = |_: &[u8], _: &[u8]| Ok(());
    let limits = Limits::default().max_steps(2000);
    let Ok(v) = env.authenticate_with(&accept_all, &limits) else { return };
    let mut platform = FuzzPlatform::default();
    let mut counter = MemoryCounter(3);
    // Dependencies are read back from the slots and accepted by any key (fuzz only).
    let mut deps = [0u8; 256];
    match Processor::<_, 3>::new(&mut platform).with_dependencies(&mut deps, &accept_all).update(&v, &mut counter) {
        Ok(s) => {
            assert_eq!(counter.0, v.sequence_number());
            assert!(s.steps <= 2000);
        }
        Err(_) => assert_eq!(counter.0, 3, "a failed update moved the counter"),
    }
    let _ = Processor::<_, 3>::new(&mut platform).boot(&v, &counter);
}

/// The fixed source image the delta seeds were made from: 3000 deterministic bytes.
#[must_use]
pub fn delta_source() -> Vec<u8> {
    let mut x = 0x2545_f491_u32;
    (0..3000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// Applies fuzzed patch bytes to [`delta_source`]: the first byte picks the chunk size. Checks
/// that a completed apply produced exactly the header's target size and SHA-256, that errors
/// never mark the apply complete, and that resuming from any checkpoint reached agrees.
pub fn delta_apply(data: &[u8]) {
    use iot_delta::{Event, StandardApplier};
    use sha2::Digest as _;
    let Some((chunk, patch)) = data.split_first() else { return };
    let chunk = usize::from(*chunk).max(1);
    let source = delta_source();
    let mut out = Vec::new();
    let mut applier = Box::new(StandardApplier::new());
    let mut rest = patch;
    let mut last_checkpoint = None;
    let done = loop {
        let n = rest.len().min(chunk);
        match applier.feed(&rest[..n], &mut &source[..], &mut out) {
            Ok(fed) => {
                rest = &rest[fed.consumed..];
                match fed.event {
                    Event::Done => break true,
                    Event::Checkpoint(cp) => last_checkpoint = Some(cp),
                    _ if rest.is_empty() => break false,
                    _ => {}
                }
            }
            Err(_) => {
                assert!(!applier.is_done());
                assert!(applier.finish().is_err());
                break false;
            }
        }
    };
    if !done {
        return;
    }
    let header = *applier.header().expect("done implies a header");
    assert_eq!(out.len() as u64, header.target_size);
    assert_eq!(sha2::Sha256::digest(&out).as_slice(), header.target_sha256.as_slice());
    if let Some(cp) = last_checkpoint {
        let mut resumed = Box::new(StandardApplier::resume(cp));
        let mut again = out.clone();
        let mut off = 0usize;
        loop {
            let fed =
                resumed.feed(&patch[off..], &mut &source[..], &mut again).expect("a resumed apply of a good patch");
            off += fed.consumed;
            match fed.event {
                Event::SkipTo(at) => off = usize::try_from(at).expect("offset"),
                Event::Done => break,
                _ => assert!(off < patch.len(), "resumed patch ended early"),
            }
        }
        assert_eq!(again, out);
    }
}

/// Parses fuzzed bytes as a patch header and as a stored checkpoint; whatever parses must
/// serialise back to the same bytes.
pub fn delta_header(data: &[u8]) {
    if let Ok(h) = iot_delta::Header::parse(data) {
        assert_eq!(&h.to_bytes()[..], &data[..iot_delta::HEADER_LEN]);
        assert!(h.params.probs() <= iot_delta::STANDARD_PROBS);
    }
    if let Ok(cp) = iot_delta::Checkpoint::from_bytes(data) {
        assert_eq!(&cp.to_bytes()[..], data);
    }
}

/// Reference values the attestation harness appraises fuzzed claims against.
fn attest_refs() -> iot_attest::ReferenceValues {
    iot_attest::ReferenceValues::from_json(
        r#"{"implementation_ids": ["1111111111111111111111111111111111111111111111111111111111111111"],
            "components": [{"name": "BL2", "signer_ids": ["f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1"], "min_version": "1.2"},
                           {"measurements": ["0303030303030303030303030303030303030303030303030303030303030303"], "required": true}]}"#,
    )
    .expect("fixed reference values parse")
}

fn attest_claims(c: &iot_attest::Claims<'_>) {
    let _ = iot_attest::render::claims_to_json(c);
    let _ = attest_refs().appraise(c);
    for (_, s) in c.submods() {
        if let iot_attest::Submod::Claims(inner) = s {
            let _ = iot_attest::render::claims_to_json(&inner);
        }
    }
    let _ = c.unknown().count();
    if let Some(n) = c.nonce {
        // Every nonce the claims carry is found by the constant-time lookup.
        for one in n.iter() {
            assert!(n.contains(one), "a carried nonce was not found");
        }
    }
}

/// Attestation evidence: claims sets, Sign1 / Mac0 tokens (tagged, untagged, CWT-wrapped) and
/// detached EAT bundles. Keys that never signed must never verify; with [`AcceptAllVerifier`] the
/// claims validation, rendering and appraisal behind the signature run too.
pub fn attest_evidence(data: &[u8]) {
    use iot_attest::{Bundle, Claims, Evidence, Kind, Options};
    if let Ok(c) = Claims::decode(data) {
        attest_claims(&c);
    }
    let fixed = p256::ecdsa::SigningKey::from_slice(&FIXED_P256).expect("fixed key is valid");
    for kind in [Kind::Sign1, Kind::Mac0] {
        let Ok(ev) = Evidence::decode_as(data, Some(kind)) else { continue };
        let _ = ev.unverified_ueid();
        let _ = ev.kid();
        let opts = Options::default().nonce(&[0u8; 32]).now(1_700_000_000);
        match kind {
            Kind::Sign1 => {
                assert!(ev.verify_sign1(fixed.verifying_key(), &opts).is_err(), "forged evidence accepted");
                if let Ok(v) = ev.verify_sign1(&AcceptAllVerifier, &Options::default()) {
                    attest_claims(&v.claims);
                }
            }
            Kind::Mac0 => {
                assert!(ev.verify_mac0(&HmacKey::new(&FIXED_HMAC), &opts).is_err(), "forged evidence accepted");
            }
        }
    }
    if let Ok(b) = Bundle::decode(data) {
        let _ = b.detached().count();
        if let Ok(ev) = Evidence::decode(b.main()) {
            if let Ok(v) = ev.verify_sign1(&AcceptAllVerifier, &Options::default()) {
                let _ = b.check(&v.claims);
            }
        }
    }
}

/// EAR claims sets and signed EARs: decode, re-encode, decode again to the same result; a key
/// that never signed never verifies.
pub fn attest_dice(data: &[u8]) {
    use iot_attest::dice;
    use iot_cose::PublicKey;
    // A chain of up to three certificates, two-byte length prefixed, rooted at the all-zero UDS
    // key (Ed25519): the seeds are chains made from it, so the paths past the signature run.
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() < 3 {
        let Some((len, tail)) = rest.split_first_chunk::<2>() else { break };
        let n = usize::from(u16::from_be_bytes(*len)).min(tail.len());
        let (part, tail) = tail.split_at(n);
        parts.push(part);
        rest = tail;
    }
    let uds = PublicKey::Ed25519(dice::ed25519_key(&dice::key_seed(&[0; 32])).verifying_key());
    let _ = dice::verify_chain(&uds, &parts);
    if let Some(p) = parts.first() {
        let _ = dice::CdiCertificate::decode_claims(p);
    }
}

/// CoRIM / CoMID reference values, unsigned (as read) and signed (verified with a fixed key).
pub fn attest_corim(data: &[u8]) {
    let _ = iot_attest::corim::reference_values(data, None);
    if let Ok(k) = iot_cose::p256::ecdsa::SigningKey::from_slice(&SEED_P256) {
        let key = iot_cose::KeyMaterial::Public(iot_cose::PrivateKey::P256(k).public_key());
        let _ = iot_attest::corim::reference_values(data, Some(&key));
    }
}

/// EAR decode and verify: CBOR, JSON and JWT.
pub fn attest_ear(data: &[u8]) {
    use iot_attest::Ear;
    if let Ok(e) = Ear::from_cbor(data) {
        let mut again = Ear::from_cbor(&e.to_cbor()).expect("a decoded EAR re-encodes");
        let mut orig = e.clone();
        orig.submods.sort_by(|a, b| a.0.cmp(&b.0));
        again.submods.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(again, orig);
        let _ = e.to_json();
    }
    let fixed = iot_cose::PrivateKey::P256(p256::ecdsa::SigningKey::from_slice(&FIXED_P256).expect("valid"));
    assert!(Ear::verify(data, &fixed.public_key(), None).is_err(), "forged EAR accepted");
    // The JSON form reads back what it writes; no JWT verifies under a key nobody signed with.
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(e) = Ear::from_json(&v) {
            assert_eq!(Ear::from_json(&e.to_json()).expect("our JSON reads back"), e);
        }
    }
    if let Ok(token) = core::str::from_utf8(data) {
        assert!(Ear::verify_jwt(token, &fixed.public_key(), None).is_err(), "forged EAR JWT accepted");
    }
}

/// TPM 2.0 quote, key and signature parsers. The input is split into the three structures by
/// its first two bytes; a quote never verifies with PCR values it was not made over.
pub fn attest_tpm_quote(data: &[u8]) {
    use iot_attest::tpm::{AkPublic, Quote, TpmSignature, verify_quote};
    if let Ok(q) = Quote::parse(data) {
        for (_, pcrs) in q.selected() {
            let _ = pcrs.count();
        }
    }
    let _ = AkPublic::parse(data);
    let _ = TpmSignature::parse(data);
    let (Some(&a), Some(&b)) = (data.first(), data.get(1)) else { return };
    let rest = data.get(2..).unwrap_or_default();
    let (a, b) = (usize::from(a).min(rest.len()), usize::from(b));
    let (attest, tail) = rest.split_at(a);
    let (sig, ak) = tail.split_at(b.min(tail.len()));
    let zero = [0u8; 32];
    // No invariant past "no panic": the fuzzer supplies the key as well as the signature.
    let _ = verify_quote(attest, sig, ak, &[], &[&zero]);
}

/// X.509 certificate parser: never panics; what parses exposes every accessor, and the signature
/// check against its own key (the self-signed case), without panicking.
pub fn identity_cert(data: &[u8]) {
    use iot_identity::{Certificate, verify_signature};
    if let Ok(c) = Certificate::from_der(data) {
        let _ = c.subject.to_string();
        let _ = c.issuer.to_string();
        let _ = c.subject_alt_names().count();
        let _ = c.extended_key_usages().count();
        let _ = c.serial_u64();
        let _ = iot_identity::matter_ids(&c.subject);
        let _ = verify_signature(c.signature_algorithm, &c.public_key, c.tbs, c.signature);
    }
}

/// PKCS#10 parser and proof-of-possession check.
pub fn identity_csr(data: &[u8]) {
    if let Ok(csr) = iot_identity::Csr::from_der(data) {
        let _ = csr.subject.to_string();
        let _ = csr.verify();
    }
}

/// CRL parser, entry search and signature check: the input is a two-byte length-prefixed issuer
/// certificate followed by the CRL; the CRL is also run as the revocation source of a one-step
/// path (issuer -> issuer), so scope and freshness checks see fuzzed values.
pub fn identity_crl(data: &[u8]) {
    use iot_identity::crl::{Crl, CrlSet};
    use iot_identity::{RevocationCheck, Time};
    let Some((len, tail)) = data.split_first_chunk::<2>() else { return };
    let n = usize::from(u16::from_be_bytes(*len)).min(tail.len());
    let (issuer, crl) = tail.split_at(n);
    let Ok(crl) = Crl::from_der(crl) else { return };
    let _ = crl.revoked().count();
    let _ = crl.find(&[1]);
    let _ = crl.issuer.to_string();
    if let Ok(issuer) = iot_identity::Certificate::from_der(issuer) {
        let _ = crl.verify(&issuer);
        let crls = [crl];
        let _ = CrlSet::new(&crls, Time::from_unix(1_700_000_000)).check(&issuer, &issuer);
    }
}

/// Provisioning tokens and claim responses: CWT claims decoding, and both COSE messages verified
/// with a fixed P-256 key (the seeds are signed with it, so the paths past the signature run).
pub fn identity_token(data: &[u8]) {
    use iot_identity::claim::{Challenge, verify_response};
    use iot_identity::provision::{Token, VerifyKey};
    let _ = Token::decode(data);
    let Ok(sk) = iot_cose::p256::ecdsa::SigningKey::from_slice(&[0x42; 32]) else { return };
    let key = VerifyKey::P256(*sk.verifying_key());
    let now = iot_identity::Time::from_unix(1_700_000_000);
    let _ = Token::verify(data, &key, "aud", now);
    let challenge = Challenge { nonce: [1; 16], account: "acct" };
    let _ = verify_response(data, &key, "0000-0000-0000-0000-0000-0000-00", &challenge);
}

/// FDO ownership vouchers: decode one, decode a concatenation, verify.
pub fn identity_fdo(data: &[u8]) {
    use iot_identity::fdo::Voucher;
    if let Ok(v) = Voucher::decode(data) {
        let _ = v.device_certificates().count();
        let _ = v.manufacturer_key.public_key_info();
        let _ = v.verify();
    }
    for v in Voucher::decode_all(data).take(4).flatten() {
        let _ = v.verify();
    }
}

/// Sealed-credential opening: any blob, under a fixed secret, label and version, in a second
/// buffer and in place.
pub fn identity_sealed(data: &[u8]) {
    let Ok(sealer) = iot_identity::seal::Sealer::new(&[0x5a; 32]) else { return };
    let mut out = [0u8; 256];
    let _ = sealer.open(b"ldevid-key", 3, data, &mut out);
    let _ = iot_identity::seal::sealed_version(data);
    let mut copy = data.to_vec();
    let _ = sealer.open_in_place(b"ldevid-key", 3, &mut copy);
}

/// Path validation over a fuzzed chain: the input is split into up to four certificates by a
/// two-byte length prefix each; the last is the anchor, the first the leaf. Every profile runs
/// under a small budget; nothing panics, and the budget bounds the work.
pub fn identity_path(data: &[u8]) {
    use iot_identity::{Budget, Certificate, Options, Profile, Time, validate};
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() < 4 {
        let Some((len, tail)) = rest.split_first_chunk::<2>() else { break };
        let n = usize::from(u16::from_be_bytes(*len)).min(tail.len());
        let (part, tail) = tail.split_at(n);
        parts.push(part);
        rest = tail;
    }
    let certs: Vec<Certificate<'_>> = parts.iter().filter_map(|p| Certificate::from_der(p).ok()).collect();
    let Some((leaf, others)) = certs.split_first() else { return };
    let Some((anchor, inters)) = others.split_last() else { return };
    for profile in [Profile::Rfc5280, Profile::Webpki, Profile::DevId, Profile::Matter] {
        let mut o = Options::new(Time::from_unix(1_700_000_000), profile);
        o.budget = Budget::new(8, 64, 1024);
        let _ = validate(leaf, inters, core::slice::from_ref(anchor), &o);
    }
}
