//! Runs every device entry point (or, built with `FOOTPRINT_SOLO=<entry>`, that one alone, as
//! `run.sh` does) on an emulated Cortex-M4F (QEMU `mps2-an386`) with real inputs
//! made on the device itself (fixed keys, `sign_into` a stack buffer, no allocator), checks that
//! valid input verifies and tampered input does not, and measures each call's peak stack by
//! painting the stack before the call and scanning it after. Prints one line per entry:
//! `stack <entry> <bytes> valid=<bool> tampered_rejected=<bool>`.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use iot_cose::{Algorithm, HmacKey, Mac0Builder, Sign1Builder};
#[path = "../entries.rs"]
mod fp;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    hprintln!("qemu: panic");
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}

const PAINT: u32 = 0xA5A5_5A5A;
/// How far below the caller's stack pointer to paint (more than any entry uses).
const WINDOW: usize = 64 * 1024;

/// Peak stack use of `f`, in bytes below the stack pointer at the call site (within 4 bytes).
#[inline(never)]
fn measure(f: &dyn Fn() -> bool) -> (usize, bool) {
    let sp = usize::try_from(cortex_m::register::msp::read()).unwrap_or(0);
    // Leave room for this function's own frame, which sits just below `sp`.
    let top = sp.saturating_sub(256);
    let bottom = sp.saturating_sub(WINDOW);
    let mut a = bottom;
    while a < top {
        // SAFETY: [bottom, top) is free stack below the live frames, inside the 4 MiB RAM.
        unsafe { core::ptr::write_volatile(a as *mut u32, PAINT) };
        a += 4;
    }
    let ok = black_box(f)();
    let mut low = top;
    let mut a = bottom;
    while a < top {
        // SAFETY: as above; reading our own painted words.
        if unsafe { core::ptr::read_volatile(a as *const u32) } != PAINT {
            low = a;
            break;
        }
        a += 4;
    }
    (sp - low, ok)
}

fn report(name: &str, good: &dyn Fn() -> bool, bad: &dyn Fn() -> bool) -> bool {
    let (stack, valid) = measure(good);
    let rejected = !bad();
    hprintln!("stack {} {} valid={} tampered_rejected={}", name, stack, valid, rejected);
    valid && rejected
}

/// The entry this binary measures alone (`FOOTPRINT_SOLO` when it was built; see `run.sh`), or
/// `None` for all of them. Each entry's code below sits in `if const { wanted(..) }`, so in a solo
/// build the other entries never reach codegen and cannot change this one's inlining.
const SOLO: Option<&str> = option_env!("FOOTPRINT_SOLO");

const fn wanted(name: &str) -> bool {
    let Some(solo) = SOLO else { return true };
    let (a, b) = (solo.as_bytes(), name.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[entry]
fn main() -> ! {
    let mut all = true;
    let payload = b"firmware manifest v2";

    // ES256
    let es = p256::ecdsa::SigningKey::from_slice(&[0x11; 32]).unwrap_or_else(|_| fail());
    let es_pub = es.verifying_key().to_sec1_point(false);
    let mut m = [0u8; 160];
    let n = Sign1Builder::new(payload).sign_into(&es, &mut m).unwrap_or_else(|_| fail());
    let mut t = m;
    t[n - 1] ^= 1;
    if const { wanted("cose_sign1_verify_es256") } {
        all &= report(
            "cose_sign1_verify_es256",
            &|| fp::cose_sign1_verify_es256(&m[..n], es_pub.as_bytes(), b""),
            &|| fp::cose_sign1_verify_es256(&t[..n], es_pub.as_bytes(), b""),
        );
    }
    if const { wanted("cose_sign1_verify_es256_m4") } {
        all &= report(
            "cose_sign1_verify_es256_m4",
            &|| fp::cose_sign1_verify_es256_m4(&m[..n], es_pub.as_bytes(), b""),
            &|| fp::cose_sign1_verify_es256_m4(&t[..n], es_pub.as_bytes(), b""),
        );
    }
    let sig: p256::ecdsa::Signature = signature::Signer::sign(&es, payload);
    let sig = sig.to_bytes();
    let mut bad_sig = sig;
    bad_sig[0] ^= 1;
    if const { wanted("baseline_p256_verify") } {
        all &= report("baseline_p256_verify", &|| fp::baseline_p256_verify(payload, es_pub.as_bytes(), &sig), &|| {
            fp::baseline_p256_verify(payload, es_pub.as_bytes(), &bad_sig)
        });
    }

    // EdDSA
    let ed = ed25519_dalek::SigningKey::from_bytes(&[0x22; 32]);
    let ed_pub = ed.verifying_key().to_bytes();
    let mut m = [0u8; 160];
    let n = Sign1Builder::new(payload).sign_into(&ed, &mut m).unwrap_or_else(|_| fail());
    let mut t = m;
    t[n - 1] ^= 1;
    if const { wanted("cose_sign1_verify_eddsa") } {
        all &= report("cose_sign1_verify_eddsa", &|| fp::cose_sign1_verify_eddsa(&m[..n], &ed_pub, b""), &|| {
            fp::cose_sign1_verify_eddsa(&t[..n], &ed_pub, b"")
        });
    }
    let sig = signature::Signer::<ed25519_dalek::Signature>::sign(&ed, payload).to_bytes();
    let mut bad_sig = sig;
    bad_sig[0] ^= 1;
    if const { wanted("baseline_ed25519_verify") } {
        all &= report("baseline_ed25519_verify", &|| fp::baseline_ed25519_verify(payload, &ed_pub, &sig), &|| {
            fp::baseline_ed25519_verify(payload, &ed_pub, &bad_sig)
        });
    }

    // Mac0
    let k = [0x33u8; 32];
    let mut m = [0u8; 96];
    let n = Mac0Builder::new(payload)
        .algorithm(Algorithm::HMAC_256_256)
        .mac_into(&HmacKey::new(&k), &mut m)
        .unwrap_or_else(|_| fail());
    let mut t = m;
    t[n - 1] ^= 1;
    if const { wanted("cose_mac0_verify") } {
        all &= report("cose_mac0_verify", &|| fp::cose_mac0_verify(&m[..n], &k, b""), &|| {
            fp::cose_mac0_verify(&t[..n], &k, b"")
        });
    }
    let tag = {
        use hmac::{KeyInit as _, Mac as _};
        let mut h = hmac::Hmac::<sha2::Sha256>::new_from_slice(&k).unwrap_or_else(|_| fail());
        h.update(payload);
        let out: [u8; 32] = h.finalize().into_bytes().into();
        out
    };
    let mut bad_tag = tag;
    bad_tag[0] ^= 1;
    if const { wanted("baseline_hmac_sha256") } {
        all &= report("baseline_hmac_sha256", &|| fp::baseline_hmac_sha256(payload, &k, &tag), &|| {
            fp::baseline_hmac_sha256(payload, &k, &bad_tag)
        });
    }

    // SUIT manifest (an envelope made by iot-manifest's builder with the same ES256 key, sequence 1,
    // one 200-byte integrated image).
    static ENVELOPE: &[u8] = include_bytes!("../../data/manifest-es256.suit");
    let mut tampered = [0u8; 512];
    let len = ENVELOPE.len().min(tampered.len());
    tampered[..len].copy_from_slice(&ENVELOPE[..len]);
    // The image (200 bytes) and its "#fw" key end the envelope; just before them is the manifest.
    tampered[len - 210] ^= 1;
    if const { wanted("manifest_verify_es256") } {
        all &=
            report("manifest_verify_es256", &|| fp::manifest_verify_es256(ENVELOPE, es_pub.as_bytes()) == 1, &|| {
                fp::manifest_verify_es256(&tampered[..len], es_pub.as_bytes()) != u64::MAX
            });
    }
    if const { wanted("manifest_verify_es256_m4") } {
        all &= report(
            "manifest_verify_es256_m4",
            &|| fp::manifest_verify_es256_m4(ENVELOPE, es_pub.as_bytes()) == 1,
            &|| fp::manifest_verify_es256_m4(&tampered[..len], es_pub.as_bytes()) != u64::MAX,
        );
    }
    let process_report = |name: &str, process: fn(&[u8], &[u8], &mut [u8], &mut u64) -> bool| {
        let run = |env: &[u8], start: u64| {
            let mut slot = [0u8; 256];
            let mut counter = start;
            let ok = process(env, es_pub.as_bytes(), &mut slot, &mut counter);
            ok && counter == 1 && slot[199] == 199
        };
        // Valid: installs, boots, counter 0 -> 1. Rejected: a replay against counter 1, and a
        // tampered envelope.
        report(name, &|| run(ENVELOPE, 0), &|| run(ENVELOPE, 1) || run(&tampered[..len], 0))
    };
    if const { wanted("manifest_process_es256") } {
        all &= process_report("manifest_process_es256", fp::manifest_process_es256);
    }
    if const { wanted("manifest_process_es256_m4") } {
        all &= process_report("manifest_process_es256_m4", fp::manifest_process_es256_m4);
    }

    #[cfg(feature = "encryption")]
    if const { wanted("manifest_decrypt_a128kw_a128gcm") } {
        // Firmware encryption: the committed AES-KW + A128GCM ciphertext of a 1000-byte image (made by
        // iot-manifest's test `footprint_probe_ciphertext_is_reproducible`), decrypted and checked
        // byte for byte; a flipped ciphertext byte must fail the tag.
        static SEALED: &[u8] = include_bytes!("../../data/encrypted-a128kw-a128gcm.bin");
        let info_len = usize::from(u16::from_be_bytes([SEALED[0], SEALED[1]]));
        let (info, ct) = SEALED[2..].split_at(info_len);
        let kek = [0x61u8; 16];
        static mut PLAIN: [u8; 1024] = [0; 1024];
        let decrypt = |ct: &[u8]| {
            // SAFETY: single-threaded; one reference at a time.
            let out = unsafe { &mut *core::ptr::addr_of_mut!(PLAIN) };
            fp::manifest_decrypt_a128kw_a128gcm(info, &kek, ct, out)
                && out[..1000].iter().enumerate().all(|(i, b)| *b == (i % 256) as u8)
        };
        let mut flipped = [0u8; 1024];
        flipped[..ct.len()].copy_from_slice(ct);
        flipped[500] ^= 1;
        all &= report("manifest_decrypt_a128kw_a128gcm", &|| decrypt(ct), &|| decrypt(&flipped[..ct.len()]));
    }

    // Delta: rebuild an 8 KiB image from the committed patches (made by iot-delta's test
    // `footprint_probe_patches_are_reproducible` from the same images), then the same patch
    // against a different base, which must be refused.
    static OLD: [u8; 8192] = probe_old();
    let mut wrong = [0u8; 8192];
    wrong.copy_from_slice(&OLD);
    wrong[4000] ^= 1;
    let delta_report = |name: &str, patch: &[u8], f: fn(&[u8], &[u8], &mut [u8]) -> bool| {
        // The target slot is a static so that only the applier's own frames count as stack.
        // SAFETY: single-threaded; one reference at a time.
        let slot = unsafe { &mut *core::ptr::addr_of_mut!(SLOT) };
        let (stack, valid) = measure(&|| f(patch, &OLD, unsafe { &mut *core::ptr::addr_of_mut!(SLOT) }));
        let valid = valid && *slot == probe_new();
        let (_, accepted_wrong) = measure(&|| f(patch, &wrong, unsafe { &mut *core::ptr::addr_of_mut!(SLOT) }));
        hprintln!("stack {} {} valid={} tampered_rejected={}", name, stack, valid, !accepted_wrong);
        valid && !accepted_wrong
    };
    if const { wanted("delta_apply_tiny") } {
        all &= delta_report("delta_apply_tiny", include_bytes!("../../data/delta-tiny.patch"), fp::delta_apply_tiny);
    }
    if const { wanted("delta_apply_standard") } {
        all &= delta_report(
            "delta_apply_standard",
            include_bytes!("../../data/delta-standard.patch"),
            fp::delta_apply_standard,
        );
    }
    #[cfg(feature = "delta-filters")]
    if const { wanted("delta_apply_tiny_filters") } {
        all &= delta_report(
            "delta_apply_tiny_filters",
            include_bytes!("../../data/delta-tiny-thumb2.patch"),
            fp::delta_apply_tiny_filters,
        );
    }

    // Attestation evidence: a PSA token signed on the device (by RustCrypto p256, and by the
    // assembly), which must verify with the device's public key (checked with RustCrypto p256);
    // a flipped token byte must not, and a nonce of the wrong size must be refused.
    let key = [0x44u8; 32];
    let dev_pub =
        p256::ecdsa::SigningKey::from_slice(&key).unwrap_or_else(|_| fail()).verifying_key().to_sec1_point(false);
    static mut TOKEN: [u8; 1024] = [0; 1024];
    let nonce = [0x5au8; 32];
    let attest_report = |name: &str, sign: fn(&[u8; 32], &[u8], &[u8], &[u8], &mut [u8]) -> usize| {
        let len = core::cell::Cell::new(0usize);
        let (stack, _) = measure(&|| {
            // SAFETY: single-threaded; one reference to TOKEN at a time.
            len.set(sign(&key, &nonce, b"bootloader", b"application", unsafe { &mut *core::ptr::addr_of_mut!(TOKEN) }));
            len.get() > 0
        });
        let n = len.get();
        // SAFETY: as above.
        let token = unsafe { &mut *core::ptr::addr_of_mut!(TOKEN) };
        let valid = n > 0 && fp::cose_sign1_verify_es256(&token[..n], dev_pub.as_bytes(), b"");
        token[n / 2] ^= 1;
        let refused = !fp::cose_sign1_verify_es256(&token[..n], dev_pub.as_bytes(), b"")
            && sign(&key, &nonce[..31], b"bootloader", b"application", token) == 0;
        hprintln!("stack {} {} valid={} tampered_rejected={}", name, stack, valid, refused);
        valid && refused
    };
    if const { wanted("attest_evidence_sign_es256_rustcrypto") } {
        all &= attest_report("attest_evidence_sign_es256_rustcrypto", fp::attest_evidence_sign_es256_rustcrypto);
    }
    if const { wanted("attest_evidence_sign_es256") } {
        all &= attest_report("attest_evidence_sign_es256", fp::attest_evidence_sign_es256);
    }
    if const { wanted("baseline_p256_sign") } {
        let (stack, ok) = measure(&|| {
            let mut s = [0u8; 64];
            fp::baseline_p256_sign(&key, b"evidence", &mut s)
        });
        hprintln!("stack {} {} valid={} tampered_rejected={}", "baseline_p256_sign", stack, ok, true);
        all &= ok;
    }

    // Identity: the device's CSR, then a root -> issuing CA -> DevID chain written on the device
    // (no allocator) and validated under the DevID profile.
    static mut CSR: [u8; 512] = [0; 512];
    let len = core::cell::Cell::new(0usize);
    if const { wanted("identity_csr_sign_es256") } {
        let (stack, _) = measure(&|| {
            // SAFETY: single-threaded; one reference at a time.
            len.set(fp::identity_csr_sign_es256(&key, "SN-0001", unsafe { &mut *core::ptr::addr_of_mut!(CSR) }));
            len.get() > 0
        });
        let n = len.get();
        // SAFETY: as above.
        let csr = unsafe { &mut *core::ptr::addr_of_mut!(CSR) };
        let valid = n > 0 && iot_identity::Csr::from_der(&csr[..n]).and_then(|c| c.verify()).is_ok();
        csr[n / 2] ^= 1;
        let refused = iot_identity::Csr::from_der(&csr[..n]).and_then(|c| c.verify()).is_err();
        hprintln!("stack {} {} valid={} tampered_rejected={}", "identity_csr_sign_es256", stack, valid, refused);
        all &= valid && refused;
    }

    static mut CHAIN: [[u8; 600]; 3] = [[0; 600]; 3];
    // SAFETY: as above.
    let chain = unsafe { &mut *core::ptr::addr_of_mut!(CHAIN) };
    if const { wanted("identity_validate_chain_es256") } {
        let lens = identity_chain(chain);
        let (leaf, rest) = chain.split_at_mut(1);
        let (int, root) = rest.split_at_mut(1);
        let (leaf, int, root) = (&mut leaf[0][..lens[0]], &int[0][..lens[1]], &root[0][..lens[2]]);
        let t = 1_800_000_000;
        let (stack, valid) = measure(&|| fp::identity_validate_chain_es256(leaf, int, root, t));
        let len_leaf = leaf.len();
        leaf[len_leaf - 3] ^= 1;
        let refused = !fp::identity_validate_chain_es256(leaf, int, root, t);
        hprintln!("stack {} {} valid={} tampered_rejected={}", "identity_validate_chain_es256", stack, valid, refused);
        all &= valid && refused;
    }

    // SUIT report: written and signed on the device; it must verify with the device key and
    // carry the failure, and a flipped byte must not verify.
    static mut REPORT: [u8; 512] = [0; 512];
    let rlen = core::cell::Cell::new(0usize);
    let digest = [0x77u8; 32];
    if const { wanted("manifest_report_sign_es256") } {
        let (stack, _) = measure(&|| {
            // SAFETY: single-threaded; one reference at a time.
            rlen.set(fp::manifest_report_sign_es256(&key, &digest, unsafe { &mut *core::ptr::addr_of_mut!(REPORT) }));
            rlen.get() > 0
        });
        // SAFETY: as above.
        let report_buf = unsafe { &mut *core::ptr::addr_of_mut!(REPORT) };
        let rn = rlen.get();
        let device_pub = p256::ecdsa::SigningKey::from_slice(&key).map(|k| *k.verifying_key());
        let check = |b: &[u8]| {
            device_pub.as_ref().is_ok_and(|vk| iot_cose::CoseSign1::decode(b).and_then(|m| m.verify(vk, &[])).is_ok())
        };
        let valid = rn > 0 && check(&report_buf[..rn]);
        report_buf[rn / 2] ^= 1;
        let refused = !check(&report_buf[..rn]);
        hprintln!("stack {} {} valid={} tampered_rejected={}", "manifest_report_sign_es256", stack, valid, refused);
        all &= valid && refused;
    }

    // Sealed storage: a 32-byte device key sealed on the device, opened in place.
    let huk = [0x5au8; 32];
    let mut sealed = [0u8; 32 + iot_identity::seal::OVERHEAD];
    let made = iot_identity::seal::Sealer::new(&huk)
        .and_then(|s| s.seal(b"ldevid-key", 3, &[7; 24], &key, &mut sealed).map(|b| b.len()))
        .is_ok_and(|n| n == sealed.len());
    let blob = sealed;
    let mut work = blob;
    if const { wanted("identity_sealed_open") } {
        let (stack, valid) = measure(&|| {
            // opens a copy so the tampered run below starts from the same blob
            let mut w = blob;
            fp::identity_sealed_open(&huk, 3, &mut w) == 32 && w[29..61] == key
        });
        work[40] ^= 1;
        let refused = fp::identity_sealed_open(&huk, 3, &mut work) == 0;
        let mut old = blob;
        let refused = refused && fp::identity_sealed_open(&huk, 4, &mut old) == 0;
        hprintln!("stack {} {} valid={} tampered_rejected={}", "identity_sealed_open", stack, made && valid, refused);
        all &= made && valid && refused;
    }

    hprintln!("qemu: {}", if all { "all entry points correct" } else { "FAILURE" });
    debug::exit(if all { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    loop {}
}

/// Writes root (key 0x11), issuing CA (key 0x12) and a DevID (key 0x13) into `out` (leaf first)
/// with the allocation-free writers; returns their lengths.
fn identity_chain(out: &mut [[u8; 600]; 3]) -> [usize; 3] {
    use iot_identity::issue::{CertParams, CertProfile, Subject, write_certificate, write_name};
    use iot_identity::{Certificate, Time, public_key_der};
    let k = |b: u8| p256::ecdsa::SigningKey::from_slice(&[b; 32]).unwrap();
    let (t0, t1) = (Time::from_unix(1_700_000_000), Time::NO_EXPIRY);
    let mut name = [0u8; 96];
    let mut spki = [0u8; 96];
    let [leaf, int, root] = out;
    let nl = write_name(&Subject::common_name("Root"), &mut name).unwrap();
    let kl = public_key_der(&k(0x11), &mut spki).unwrap();
    let ca = |p| CertParams::new(&[1], t0, t1, CertProfile::Ca { path_len: p });
    let rl = write_certificate(&ca(Some(1)), &name[..nl], &spki[..kl], None, &k(0x11), root).unwrap();
    let root_c = Certificate::from_der(&root[..rl]).unwrap();
    let nl = write_name(&Subject::common_name("Issuing"), &mut name).unwrap();
    let kl = public_key_der(&k(0x12), &mut spki).unwrap();
    let il = write_certificate(&ca(Some(0)), &name[..nl], &spki[..kl], Some(&root_c), &k(0x11), int).unwrap();
    let int_c = Certificate::from_der(&int[..il]).unwrap();
    let nl = write_name(&Subject::device("SN-0001", None), &mut name).unwrap();
    let kl = public_key_der(&k(0x13), &mut spki).unwrap();
    let dev = CertParams::new(&[2], t0, t1, CertProfile::DevId);
    let ll = write_certificate(&dev, &name[..nl], &spki[..kl], Some(&int_c), &k(0x12), leaf).unwrap();
    [ll, il, rl]
}

static mut SLOT: [u8; 8192 + 13] = [0; 8192 + 13];

/// The probe's old image: 8 KiB of xorshift32 bytes (as in iot-delta's test).
const fn probe_old() -> [u8; 8192] {
    let mut out = [0u8; 8192];
    let mut x = 0x1234_5678u32;
    let mut i = 0;
    while i < 8192 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = x as u8;
        i += 1;
    }
    out
}

/// The new image: 13 bytes inserted at 3000 and every 500th byte incremented.
fn probe_new() -> [u8; 8192 + 13] {
    static OLD: [u8; 8192] = probe_old();
    let mut out = [0u8; 8192 + 13];
    out[..3000].copy_from_slice(&OLD[..3000]);
    out[3000..3013].copy_from_slice(b"NEW CODE 1234");
    out[3013..].copy_from_slice(&OLD[3000..]);
    let mut i = 0;
    while i < out.len() {
        out[i] = out[i].wrapping_add(1);
        i += 500;
    }
    out
}

fn fail() -> ! {
    hprintln!("qemu: setup failed");
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}
