//! The device entry points measured by the probe.

use core::hint::black_box;
use iot_cose::{CoseMac0, CoseSign1, HmacKey};

/// COSE_Sign1 ES256: decode the message and the SEC1 key, verify (Sig_structure streamed).
#[cfg_attr(any(not(footprint_solo), footprint_entry = "cose_sign1_verify_es256"), unsafe(no_mangle))]
pub fn cose_sign1_verify_es256(msg: &[u8], sec1_key: &[u8], aad: &[u8]) -> bool {
    let Ok(key) = p256::ecdsa::VerifyingKey::from_sec1_bytes(black_box(sec1_key)) else { return false };
    CoseSign1::decode(black_box(msg)).and_then(|m| m.verify(&key, aad)).is_ok()
}

/// COSE_Sign1 ES256 as [`cose_sign1_verify_es256`], verified by the P256-Cortex-M4 assembly
/// (`iot_cose::cortex_m4`) instead of RustCrypto `p256`.
#[cfg_attr(any(not(footprint_solo), footprint_entry = "cose_sign1_verify_es256_m4"), unsafe(no_mangle))]
pub fn cose_sign1_verify_es256_m4(msg: &[u8], sec1_key: &[u8], aad: &[u8]) -> bool {
    let Ok(key) = iot_cose::cortex_m4::VerifyingKey::from_sec1_bytes(black_box(sec1_key)) else { return false };
    CoseSign1::decode(black_box(msg)).and_then(|m| m.verify(&key, aad)).is_ok()
}

/// A stand-in for the device's TRNG (the probe measures code size; a device passes its own).
pub struct ProbeRng(pub u64);

impl rand_core06::RngCore for ProbeRng {
    fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 32) as u32
    }
    fn next_u64(&mut self) -> u64 {
        (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = self.next_u32() as u8;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core06::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core06::CryptoRng for ProbeRng {}

/// COSE_Sign1 EdDSA (Ed25519).
#[cfg_attr(any(not(footprint_solo), footprint_entry = "cose_sign1_verify_eddsa"), unsafe(no_mangle))]
pub fn cose_sign1_verify_eddsa(msg: &[u8], key: &[u8; 32], aad: &[u8]) -> bool {
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(black_box(key)) else { return false };
    CoseSign1::decode(black_box(msg)).and_then(|m| m.verify(&key, aad)).is_ok()
}

/// COSE_Mac0 with HMAC-SHA-256 (256/256 and 256/64).
#[cfg_attr(any(not(footprint_solo), footprint_entry = "cose_mac0_verify"), unsafe(no_mangle))]
pub fn cose_mac0_verify(msg: &[u8], key: &[u8], aad: &[u8]) -> bool {
    CoseMac0::decode(black_box(msg)).and_then(|m| m.verify(&HmacKey::new(black_box(key)), aad)).is_ok()
}

/// Floor for ES256: p256 verify of a message (SHA-256 inside) from a SEC1 key and r||s.
#[cfg_attr(any(not(footprint_solo), footprint_entry = "baseline_p256_verify"), unsafe(no_mangle))]
pub fn baseline_p256_verify(msg: &[u8], sec1_key: &[u8], sig: &[u8]) -> bool {
    use signature::Verifier as _;
    let Ok(key) = p256::ecdsa::VerifyingKey::from_sec1_bytes(black_box(sec1_key)) else { return false };
    let Ok(sig) = p256::ecdsa::Signature::from_slice(black_box(sig)) else { return false };
    key.verify(black_box(msg), &sig).is_ok()
}

/// Floor for EdDSA: ed25519-dalek verify.
#[cfg_attr(any(not(footprint_solo), footprint_entry = "baseline_ed25519_verify"), unsafe(no_mangle))]
pub fn baseline_ed25519_verify(msg: &[u8], key: &[u8; 32], sig: &[u8; 64]) -> bool {
    use signature::Verifier as _;
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(black_box(key)) else { return false };
    key.verify(black_box(msg), &ed25519_dalek::Signature::from_bytes(black_box(sig))).is_ok()
}

/// Floor for Mac0: HMAC-SHA-256 over a message, compared in constant time.
#[cfg_attr(any(not(footprint_solo), footprint_entry = "baseline_hmac_sha256"), unsafe(no_mangle))]
pub fn baseline_hmac_sha256(msg: &[u8], key: &[u8], tag: &[u8]) -> bool {
    use hmac::{KeyInit as _, Mac as _};
    let Ok(mut m) = hmac::Hmac::<sha2::Sha256>::new_from_slice(black_box(key)) else { return false };
    m.update(black_box(msg));
    m.verify_slice(black_box(tag)).is_ok()
}

/// The device identity the manifest probe's envelope targets.
pub const MANIFEST_VENDOR: [u8; 16] = [0xfa; 16];
/// The class id it targets.
pub const MANIFEST_CLASS: [u8; 16] = [0x14; 16];

/// SUIT: decode the envelope and the SEC1 key, authenticate (ES256 over the detached digest, SHA-256
/// of the manifest), decode and check the manifest. Returns the sequence number, or `u64::MAX`.
#[cfg_attr(any(not(footprint_solo), footprint_entry = "manifest_verify_es256"), unsafe(no_mangle))]
pub fn manifest_verify_es256(envelope: &[u8], sec1_key: &[u8]) -> u64 {
    use iot_manifest::{Envelope, Sign1Key};
    let Ok(key) = p256::ecdsa::VerifyingKey::from_sec1_bytes(black_box(sec1_key)) else { return u64::MAX };
    Envelope::decode(black_box(envelope))
        .and_then(|e| e.authenticate(&Sign1Key(key)))
        .map_or(u64::MAX, |v| v.sequence_number())
}

/// SUIT authentication as [`manifest_verify_es256`], with the P256-Cortex-M4 verifier.
#[cfg_attr(any(not(footprint_solo), footprint_entry = "manifest_verify_es256_m4"), unsafe(no_mangle))]
pub fn manifest_verify_es256_m4(envelope: &[u8], sec1_key: &[u8]) -> u64 {
    use iot_manifest::{Envelope, Sign1Key};
    let Ok(key) = iot_cose::cortex_m4::VerifyingKey::from_sec1_bytes(black_box(sec1_key)) else { return u64::MAX };
    Envelope::decode(black_box(envelope))
        .and_then(|e| e.authenticate(&Sign1Key(key)))
        .map_or(u64::MAX, |v| v.sequence_number())
}

/// A minimal platform: one component held in a caller buffer.
struct OneSlot<'b> {
    buf: &'b mut [u8],
    len: usize,
    booted: bool,
}

impl iot_manifest::Platform for OneSlot<'_> {
    fn check_vendor_id(&mut self, _: iot_manifest::Component<'_>, id: iot_manifest::command::VendorId<'_>) -> bool {
        id.bytes() == MANIFEST_VENDOR
    }
    fn check_class_id(&mut self, _: iot_manifest::Component<'_>, id: &[u8]) -> bool {
        id == MANIFEST_CLASS
    }
    fn read(
        &mut self,
        _: iot_manifest::Component<'_>,
        offset: u64,
        out: &mut [u8],
    ) -> Result<usize, iot_manifest::PlatformError> {
        let held = self.buf.get(..self.len).unwrap_or_default();
        let rest = usize::try_from(offset).ok().and_then(|o| held.get(o..)).unwrap_or_default();
        let n = rest.len().min(out.len());
        out.get_mut(..n).unwrap_or_default().copy_from_slice(rest.get(..n).unwrap_or_default());
        Ok(n)
    }
    fn write(&mut self, _: iot_manifest::Component<'_>, data: &[u8]) -> Result<(), iot_manifest::PlatformError> {
        let dst = self.buf.get_mut(..data.len()).ok_or(iot_manifest::PlatformError::TooLarge)?;
        dst.copy_from_slice(data);
        self.len = data.len();
        Ok(())
    }
    fn fetch(
        &mut self,
        _: iot_manifest::Component<'_>,
        _: &str,
        _: Option<&[u8]>,
        _: Option<u64>,
    ) -> Result<(), iot_manifest::PlatformError> {
        Err(iot_manifest::PlatformError::Fetch)
    }
    fn invoke(&mut self, _: iot_manifest::Component<'_>, _: Option<&[u8]>) -> Result<(), iot_manifest::PlatformError> {
        self.booted = true;
        Ok(())
    }
}

/// SUIT: everything in [`manifest_verify_es256`], then the update procedure (integrated payload
/// written into `slot`, image-match, counter check and advance) and the boot procedure (validate,
/// invoke) with a one-slot platform.
#[cfg_attr(any(not(footprint_solo), footprint_entry = "manifest_process_es256"), unsafe(no_mangle))]
pub fn manifest_process_es256(envelope: &[u8], sec1_key: &[u8], slot: &mut [u8], counter: &mut u64) -> bool {
    let Ok(key) = p256::ecdsa::VerifyingKey::from_sec1_bytes(black_box(sec1_key)) else { return false };
    process_with(&iot_manifest::Sign1Key(key), envelope, slot, counter)
}

/// SUIT processing as [`manifest_process_es256`], with the P256-Cortex-M4 verifier.
#[cfg_attr(any(not(footprint_solo), footprint_entry = "manifest_process_es256_m4"), unsafe(no_mangle))]
pub fn manifest_process_es256_m4(envelope: &[u8], sec1_key: &[u8], slot: &mut [u8], counter: &mut u64) -> bool {
    let Ok(key) = iot_cose::cortex_m4::VerifyingKey::from_sec1_bytes(black_box(sec1_key)) else { return false };
    process_with(&iot_manifest::Sign1Key(key), envelope, slot, counter)
}

fn process_with(key: &impl iot_manifest::Authenticator, envelope: &[u8], slot: &mut [u8], counter: &mut u64) -> bool {
    use iot_manifest::{Envelope, MemoryCounter, Processor};
    let Ok(env) = Envelope::decode(black_box(envelope)) else { return false };
    let Ok(v) = env.authenticate(key) else { return false };
    let mut device = OneSlot { buf: slot, len: 0, booted: false };
    let mut c = MemoryCounter(*counter);
    let ok = Processor::<_, 2>::new(&mut device).update(&v, &mut c).is_ok()
        && Processor::<_, 2>::new(&mut device).boot(&v, &c).is_ok()
        && device.booted;
    *counter = c.0;
    ok
}

/// SUIT report: a failed run's records (kept by a fixed-size recorder) written as a SUIT_Report
/// and signed ES256 by the device key into `out`; returns the signed length (0 on error).
#[cfg_attr(any(not(footprint_solo), footprint_entry = "manifest_report_sign_es256"), unsafe(no_mangle))]
pub fn manifest_report_sign_es256(key: &[u8; 32], digest: &[u8; 32], out: &mut [u8]) -> usize {
    use iot_manifest::report::{Recorder, sign_report, write_report};
    use iot_manifest::{Error, Outcome, Record, Section, SuitDigest};
    let Ok(sk) = p256::ecdsa::SigningKey::from_slice(black_box(key)) else { return 0 };
    let mut rec = Recorder::<8>::new();
    for (offset, outcome) in [(2, Outcome::Success), (6, Outcome::Success), (14, Outcome::Failure(10))] {
        rec.record(&Record { section: Section::Install, offset, component: 0, command: 3, policy: 15, outcome });
    }
    let err = Error::ConditionFailed { code: 3, section: Section::Install, offset: 14, component: Some(0) };
    let mut report = [0u8; 256];
    let digest = SuitDigest { alg: -16, bytes: black_box(digest) };
    let Ok(n) = write_report("https://fw.example/app.suit", &digest, None, &rec, Err(&err), &mut report) else {
        return 0;
    };
    sign_report(report.get(..n).unwrap_or(&[]), &sk, out).unwrap_or(0)
}

/// SUIT firmware encryption: a `SUIT_Encryption_Info` (AES-KW + A128GCM) decoded, the content key
/// unwrapped with the device's KEK, and `ciphertext` (tag last) decrypted in 64-byte chunks into
/// `out`, as the processor streams a decrypting write or copy; true only when the tag matched.
#[cfg(feature = "encryption")]
#[cfg_attr(any(not(footprint_solo), footprint_entry = "manifest_decrypt_a128kw_a128gcm"), unsafe(no_mangle))]
pub fn manifest_decrypt_a128kw_a128gcm(info: &[u8], kek: &[u8; 16], ciphertext: &[u8], out: &mut [u8]) -> bool {
    use iot_manifest::encryption::{EncryptionInfo, unwrap_aes_kw};
    let Ok(info) = EncryptionInfo::decode(black_box(info)) else { return false };
    let Some(r) = info.recipients().next() else { return false };
    let mut cek = [0u8; 32];
    let Ok(n) = unwrap_aes_kw(black_box(kek), &r, &mut cek) else { return false };
    let Ok(mut d) = info.decryptor(cek.get(..n).unwrap_or(&[])) else { return false };
    let Some(body) = ciphertext.len().checked_sub(d.tag_len()) else { return false };
    let (ct, tag) = ciphertext.split_at(body);
    let Some(out) = out.get_mut(..ct.len()) else { return false };
    for (o, c) in out.chunks_mut(64).zip(ct.chunks(64)) {
        o.copy_from_slice(c);
        d.update(o);
    }
    d.finish(tag).is_ok()
}

/// Applies `patch` to `source` into `target` with an applier kept in static RAM, feeding the
/// patch in 256-byte chunks as a network stack would. True only when the target is complete and
/// its SHA-256 matched.
fn delta_apply<const P: usize, const B: usize>(
    applier: &mut iot_delta::Applier<P, B>,
    patch: &[u8],
    source: &[u8],
    target: &mut [u8],
) -> bool {
    use iot_delta::{Event, SliceTarget};
    applier.restart(None);
    let mut out = SliceTarget::new(target);
    let mut src = source;
    let mut rest = patch;
    loop {
        let n = rest.len().min(256);
        let Some(chunk) = rest.get(..n) else { return false };
        let Ok(fed) = applier.feed(chunk, &mut src, &mut out) else { return false };
        rest = rest.get(fed.consumed..).unwrap_or(&[]);
        match fed.event {
            Event::Done => return applier.finish().is_ok(),
            _ if rest.is_empty() => return false,
            _ => {}
        }
    }
}

static mut TINY: iot_delta::TinyApplier = iot_delta::TinyApplier::new();
static mut STANDARD: iot_delta::StandardApplier = iot_delta::StandardApplier::new();

/// Delta, `tiny` profile: the applier (model, buffers, state) is a static, so `ram` is its size.
#[cfg_attr(any(not(footprint_solo), footprint_entry = "delta_apply_tiny"), unsafe(no_mangle))]
pub fn delta_apply_tiny(patch: &[u8], source: &[u8], target: &mut [u8]) -> bool {
    // SAFETY: single-threaded probe; the only reference to TINY lives for this call.
    let applier = unsafe { &mut *core::ptr::addr_of_mut!(TINY) };
    delta_apply(applier, black_box(patch), black_box(source), target)
}

/// Delta, `tiny` profile, in the build with the `filters` feature: applies a patch made with the
/// Thumb-2 filter (measured from the second build; without the feature it refuses such a patch).
#[cfg(feature = "delta-filters")]
#[cfg_attr(any(not(footprint_solo), footprint_entry = "delta_apply_tiny_filters"), unsafe(no_mangle))]
pub fn delta_apply_tiny_filters(patch: &[u8], source: &[u8], target: &mut [u8]) -> bool {
    // SAFETY: as above; the probe calls one entry at a time.
    let applier = unsafe { &mut *core::ptr::addr_of_mut!(TINY) };
    delta_apply(applier, black_box(patch), black_box(source), target)
}

/// Delta, `standard` profile (64 KiB model).
#[cfg_attr(any(not(footprint_solo), footprint_entry = "delta_apply_standard"), unsafe(no_mangle))]
pub fn delta_apply_standard(patch: &[u8], source: &[u8], target: &mut [u8]) -> bool {
    // SAFETY: as above, for STANDARD.
    let applier = unsafe { &mut *core::ptr::addr_of_mut!(STANDARD) };
    delta_apply(applier, black_box(patch), black_box(source), target)
}

/// The implementation id the attestation probe writes.
pub const ATTEST_IMPLEMENTATION_ID: [u8; 32] = [0x11; 32];

/// Attestation: measure a bootloader and an application into a measured-boot log, write a PSA
/// token (RFC 9783) carrying the verifier's nonce and both components, and sign it ES256 into
/// `out`. Returns the token length, 0 on any error (e.g. a nonce of the wrong size).
#[cfg_attr(any(not(footprint_solo), footprint_entry = "attest_evidence_sign_es256_rustcrypto"), unsafe(no_mangle))]
pub fn attest_evidence_sign_es256_rustcrypto(
    key: &[u8; 32],
    nonce: &[u8],
    bl: &[u8],
    app: &[u8],
    out: &mut [u8],
) -> usize {
    let Ok(sk) = p256::ecdsa::SigningKey::from_slice(black_box(key)) else { return 0 };
    attest_evidence(&sk, nonce, bl, app, out)
}

/// Attestation evidence (the issue's entry): as [`attest_evidence_sign_es256_rustcrypto`], signed
/// by the P256-Cortex-M4 assembly (`iot_cose::cortex_m4`) with the device's RNG.
#[cfg_attr(any(not(footprint_solo), footprint_entry = "attest_evidence_sign_es256"), unsafe(no_mangle))]
pub fn attest_evidence_sign_es256(key: &[u8; 32], nonce: &[u8], bl: &[u8], app: &[u8], out: &mut [u8]) -> usize {
    let Ok(sk) = iot_cose::cortex_m4::SigningKey::from_bytes(black_box(key), ProbeRng(black_box(7))) else {
        return 0;
    };
    attest_evidence(&sk, nonce, bl, app, out)
}

/// The attestation entries' body: measure two images into a measured-boot log, write a PSA token
/// with the verifier's nonce and both components, and sign it with `sk` into `out`.
fn attest_evidence<S: iot_cose::CoseSigner>(sk: &S, nonce: &[u8], bl: &[u8], app: &[u8], out: &mut [u8]) -> usize {
    use iot_attest::{MeasuredBoot, Measurement, Psa};
    let comps = [
        Measurement::of("BL2", "1.4.0", [0xf1; 32], black_box(bl)),
        Measurement::of("app", "2.0.0", [0xf1; 32], black_box(app)),
    ];
    let mut log: MeasuredBoot<'_, 4> = MeasuredBoot::new();
    for m in comps {
        if log.record(m).is_err() {
            return 0;
        }
    }
    let mut instance = [1u8; 33];
    instance[1..].copy_from_slice(log.register());
    let psa = Psa::new(black_box(nonce), &instance, &ATTEST_IMPLEMENTATION_ID, 1, 0x3000, &comps);
    iot_attest::sign_into(&psa, sk, None, out).unwrap_or(0)
}

/// Floor for signed evidence: a bare p256 ECDSA signature (SHA-256 inside) over a message.
#[cfg_attr(any(not(footprint_solo), footprint_entry = "baseline_p256_sign"), unsafe(no_mangle))]
pub fn baseline_p256_sign(key: &[u8; 32], msg: &[u8], out: &mut [u8; 64]) -> bool {
    let Ok(sk) = p256::ecdsa::SigningKey::from_slice(black_box(key)) else { return false };
    let sig: p256::ecdsa::Signature = signature::Signer::sign(&sk, black_box(msg));
    out.copy_from_slice(&sig.to_bytes());
    true
}

/// Device identity: the device's PKCS#10 CSR (subject serialNumber + CN, P-256 SPKI) written into a
/// caller buffer and signed by its key; no allocator.
#[cfg_attr(any(not(footprint_solo), footprint_entry = "identity_csr_sign_es256"), unsafe(no_mangle))]
pub fn identity_csr_sign_es256(key: &[u8; 32], serial: &str, out: &mut [u8]) -> usize {
    use iot_identity::issue::{Subject, write_csr};
    let Ok(sk) = p256::ecdsa::SigningKey::from_slice(black_box(key)) else { return 0 };
    write_csr(&Subject::device(black_box(serial), Some("sensor")), &sk, out).unwrap_or(0)
}

/// Device identity: validate a server or peer chain (leaf, one intermediate, one anchor) under the
/// DevID profile at a given time; no allocator.
#[cfg_attr(any(not(footprint_solo), footprint_entry = "identity_validate_chain_es256"), unsafe(no_mangle))]
pub fn identity_validate_chain_es256(leaf: &[u8], int: &[u8], anchor: &[u8], now: i64) -> bool {
    use iot_identity::{Certificate, Options, Profile, Time, validate};
    let (Ok(l), Ok(i), Ok(a)) =
        (Certificate::from_der(black_box(leaf)), Certificate::from_der(int), Certificate::from_der(anchor))
    else {
        return false;
    };
    validate(&l, &[i], &[a], &Options::new(Time::from_unix(now), Profile::DevId)).is_ok()
}

/// Device identity: open a sealed credential (a 32-byte key sealed with XChaCha20-Poly1305 under an
/// HKDF-SHA-256 key from the hardware-unique secret, label and version) in its own buffer.
#[cfg_attr(any(not(footprint_solo), footprint_entry = "identity_sealed_open"), unsafe(no_mangle))]
pub fn identity_sealed_open(huk: &[u8; 32], version: u32, blob: &mut [u8]) -> usize {
    use iot_identity::seal::Sealer;
    let Ok(sealer) = Sealer::new(black_box(huk)) else { return 0 };
    sealer.open_in_place(b"ldevid-key", black_box(version), blob).map_or(0, <[u8]>::len)
}
