//! The cloud side: re-encoding and re-signing the RFC 6979 deterministic ESP256 vectors gives
//! them back byte for byte; severing example2 gives the published severed form; builder ->
//! encode -> decode -> verify -> process round trips (proptest); several signatures, MACs,
//! failing signers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    reason = "test code"
)]

use iot_cose::p256::ecdsa::SigningKey;
use iot_manifest::build::{BuiltManifest, EnvelopeBuilder, Image, ManifestBuilder, Params, SequenceBuilder, sever};
use iot_manifest::iot_cose;
use iot_manifest::iot_cose::{Algorithm, CoseSigner, HmacKey, PrivateKey, PublicKey, WithAlgorithm};
use iot_manifest::{
    Component, Envelope, Error, Limits, Mac0Key, Member, MemoryCounter, Platform, PlatformError, Processor, Section,
    Sign1Key,
};
use proptest::prelude::*;
use std::path::Path;

fn signing_key(d: &Path) -> SigningKey {
    let pem = std::fs::read_to_string(d.join("keys/suit-examples-p256-private.pem")).unwrap();
    match PrivateKey::from_pem(&pem).unwrap() {
        PrivateKey::P256(k) => k,
        _ => panic!("not a P-256 key"),
    }
}

/// Rebuilds a manifest from its decoded view with the builder, when it uses only core members.
fn rebuild_manifest(raw: &[u8]) -> Option<Vec<u8>> {
    let m = iot_manifest::Manifest::decode(raw, &Limits::default()).unwrap();
    if m.dependencies().is_some() || [5, 6, 14, 18, 24].iter().any(|k| m.has_extension(*k)) {
        return None;
    }
    let mut b = ManifestBuilder::new(m.sequence_number());
    for c in m.components().iter() {
        let segs: Vec<&[u8]> = c.segments().collect();
        b.component(&segs);
    }
    if let Some(s) = m.shared_sequence() {
        b = b.shared_sequence_bytes(s.bytes());
    }
    if let Some(uri) = m.reference_uri() {
        b = b.reference_uri(uri);
    }
    let digest_bytes = |d: iot_manifest::SuitDigest<'_>| {
        let mut v = vec![0x82];
        iot_cose::cbor::Encoder::new(&mut v).int(d.alg).unwrap().bytes(d.bytes).unwrap();
        v
    };
    for s in [Section::PayloadFetch, Section::Install, Section::Validate, Section::Load, Section::Invoke] {
        match m.member(s) {
            Member::Absent => {}
            Member::Present(bytes) => b = b.sequence_bytes(s, bytes),
            Member::Severed(d) => b = b.severed_digest(s.key().unwrap(), &digest_bytes(d)).unwrap(),
        }
    }
    match m.text() {
        Member::Absent => {}
        Member::Present(bytes) => b = b.text(bytes),
        Member::Severed(d) => b = b.severed_digest(23, &digest_bytes(d)).unwrap(),
    }
    Some(b.build().unwrap().manifest)
}

#[test]
fn esp256_vectors_re_encode_byte_for_byte() {
    let Some(d) = iot_test_vectors::area("suit") else { return };
    let key = WithAlgorithm::new(signing_key(&d), Algorithm::ESP256);
    let files = [
        "manifest-esp256/example0.suit",
        "manifest-esp256/example1.suit",
        "manifest-esp256/example2A.suit",
        "manifest-esp256/example2B.suit",
        "manifest-esp256/example3.suit",
        "manifest-esp256/example4.suit",
        "manifest-esp256/example5.suit",
        "trust-domains/example0_dependent.suit",
        "trust-domains/example1_process.suit",
        "trust-domains/example2_integrated.suit",
        "teep/teep-example-U.suit",
        "teep/teep-example-I.suit",
        "teep/teep-example-D.suit",
        "update-management/exampleU0.suit",
        "update-management/exampleU1.suit",
        "firmware-encryption/suit-manifest-es-ecdh-content.suit",
        "firmware-encryption/suit-manifest-es-ecdh-dependency.suit",
    ];
    let (mut from_model, mut from_bytes) = (0, 0);
    for f in files {
        let original = std::fs::read(d.join(f)).unwrap();
        let env = Envelope::decode(&original).unwrap();
        let manifest_bytes = env.unverified_manifest_bytes();
        let manifest = match rebuild_manifest(manifest_bytes) {
            Some(rebuilt) => {
                assert_eq!(rebuilt, manifest_bytes, "{f}: manifest re-encoding");
                from_model += 1;
                rebuilt
            }
            None => {
                from_bytes += 1;
                manifest_bytes.to_vec()
            }
        };
        let mut b = EnvelopeBuilder::new(BuiltManifest::from_bytes(&manifest)).tagged(env.is_tagged());
        for k in iot_manifest::codes::SEVERABLE_KEYS {
            if let Some(m) = env.member(k) {
                b = b.member(k, m.to_vec());
            }
        }
        for (name, body) in env.integrated_payloads() {
            b = b.integrated_payload(name, body.to_vec());
        }
        let rebuilt = b.sign(&key).unwrap().encode().unwrap();
        assert_eq!(hex::encode(&rebuilt), hex::encode(&original), "{f}");
    }
    assert_eq!((from_model, from_bytes), (10, 7), "core manifests rebuilt from the model, the rest from bytes");
}

#[test]
fn severing_example2_gives_the_published_severed_form() {
    let Some(d) = iot_test_vectors::area("suit") else { return };
    let full = std::fs::read(d.join("manifest/example2.suit")).unwrap();
    let severed = std::fs::read(d.join("manifest/example2.severed.suit")).unwrap();
    assert_eq!(sever(&full, &[20, 23], false).unwrap(), severed);
    assert_eq!(sever(&full, &[], false).unwrap(), full);
    assert!(matches!(sever(&full, &[3], false), Err(Error::Unsupported { .. })));
    // Integrated payloads can be stripped too.
    let integrated = std::fs::read(d.join("teep/teep-example-I.suit")).unwrap();
    let stripped = sever(&integrated, &[], true).unwrap();
    assert_eq!(Envelope::decode(&stripped).unwrap().integrated_payload_count(), 0);
}

#[test]
fn builder_severs_and_the_device_resolves() {
    let key = SigningKey::from_slice(&[3; 32]).unwrap();
    let img = Image::new(&[b"app"], b"image").uri("https://x/app");
    let m = ManifestBuilder::for_images(1, [1; 16], [2; 16], &[img])
        .text(&iot_manifest::build::text_map("en", Some("demo"), &[]))
        .sever(20)
        .unwrap()
        .sever(23)
        .unwrap();
    assert!(m.clone().sever(7).is_err());
    let env = EnvelopeBuilder::new(m.build().unwrap()).sign(&key).unwrap().encode().unwrap();
    let v = Envelope::decode(&env).unwrap().authenticate(&Sign1Key(*key.verifying_key())).unwrap();
    assert!(matches!(v.manifest().member(Section::Install), Member::Severed(_)));
    assert!(v.section(Section::Install).unwrap().is_some());
    assert!(v.text().unwrap().is_some());
    let cut = sever(&env, &[20, 23], false).unwrap();
    let v = Envelope::decode(&cut).unwrap().authenticate(&Sign1Key(*key.verifying_key())).unwrap();
    assert!(matches!(v.section(Section::Install), Err(Error::SeveredAbsent { key: 20 })));
}

#[test]
fn several_signatures_and_macs() {
    let p256 = SigningKey::from_slice(&[5; 32]).unwrap();
    let ed = iot_cose::ed25519_dalek::SigningKey::from_bytes(&[6; 32]);
    let hmac = [7u8; 32];
    let m = ManifestBuilder::for_images(9, [1; 16], [2; 16], &[Image::new(&[b"a"], b"x")]).build().unwrap();
    let env = EnvelopeBuilder::new(m).sign(&p256).unwrap().sign(&ed).unwrap().mac(&HmacKey::new(&hmac)).unwrap();
    let env = env.encode().unwrap();
    let e = Envelope::decode(&env).unwrap();
    assert_eq!(e.signature_count(), 3);
    e.authenticate(&Sign1Key(*p256.verifying_key())).unwrap();
    e.authenticate(&Sign1Key(ed.verifying_key())).unwrap();
    e.authenticate(&Mac0Key(HmacKey::new(&hmac))).unwrap();
    // Key rotation: any of a set of keys.
    let other = SigningKey::from_slice(&[8; 32]).unwrap();
    e.authenticate(&[Sign1Key(*other.verifying_key()), Sign1Key(*p256.verifying_key())][..]).unwrap();
    assert!(matches!(
        e.authenticate(&Sign1Key(*other.verifying_key())),
        Err(Error::Authentication(iot_cose::Error::BadSignature))
    ));
    // More signatures than the limit.
    let four = EnvelopeBuilder::new(
        ManifestBuilder::for_images(9, [1; 16], [2; 16], &[Image::new(&[b"a"], b"x")]).build().unwrap(),
    );
    let mut four = four;
    for _ in 0..5 {
        four = four.sign(&p256).unwrap();
    }
    assert!(matches!(Envelope::decode(&four.encode().unwrap()), Err(Error::LimitExceeded { .. })));
}

struct FailingHsm;
impl CoseSigner for FailingHsm {
    type Signature = iot_cose::p256::ecdsa::Signature;
    fn try_sign_parts(&self, _: &[&[u8]]) -> Result<Self::Signature, iot_cose::signature::Error> {
        Err(iot_cose::signature::Error::new())
    }
}

#[test]
fn failing_signer_is_an_error() {
    let m = ManifestBuilder::for_images(1, [1; 16], [2; 16], &[Image::new(&[b"a"], b"x")]).build().unwrap();
    assert!(matches!(EnvelopeBuilder::new(m).sign(&FailingHsm), Err(Error::Signing(_))));
    assert!(matches!(ManifestBuilder::new(1).build(), Err(Error::Missing { .. })));
}

#[test]
fn public_key_from_pem_authenticates() {
    let sk = PrivateKey::P256(SigningKey::from_slice(&[9; 32]).unwrap());
    let pk: PublicKey = sk.public_key();
    let PrivateKey::P256(k) = &sk else { unreachable!() };
    let m = ManifestBuilder::for_images(1, [1; 16], [2; 16], &[Image::new(&[b"a"], b"x")]).build().unwrap();
    let env = EnvelopeBuilder::new(m).sign(k).unwrap().encode().unwrap();
    Envelope::decode(&env).unwrap().authenticate(&pk).unwrap();
}

/// A device with a server, for the round trip.
struct Dev {
    server: Vec<(String, Vec<u8>)>,
    store: Vec<Vec<u8>>,
}

impl Platform for Dev {
    fn check_vendor_id(&mut self, _: Component<'_>, id: iot_manifest::command::VendorId<'_>) -> bool {
        id.bytes() == [0xaa; 16]
    }
    fn check_class_id(&mut self, _: Component<'_>, id: &[u8]) -> bool {
        id == [0xbb; 16]
    }
    fn read(&mut self, c: Component<'_>, offset: u64, buf: &mut [u8]) -> Result<usize, PlatformError> {
        let data = self.store.get(c.index).ok_or(PlatformError::NoSuchComponent)?;
        let start = (offset as usize).min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }
    fn write(&mut self, c: Component<'_>, data: &[u8]) -> Result<(), PlatformError> {
        *self.store.get_mut(c.index).ok_or(PlatformError::NoSuchComponent)? = data.to_vec();
        Ok(())
    }
    fn fetch(&mut self, c: Component<'_>, uri: &str, _: Option<&[u8]>, _: Option<u64>) -> Result<(), PlatformError> {
        let body = self.server.iter().find(|(u, _)| u == uri).ok_or(PlatformError::Fetch)?.1.clone();
        self.write(c, &body)
    }
    fn invoke(&mut self, _: Component<'_>, _: Option<&[u8]>) -> Result<(), PlatformError> {
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn build_sign_decode_verify_process(
        seq in 1u64..u64::MAX,
        images in prop::collection::vec((prop::collection::vec(any::<u8>(), 0..600), any::<bool>()), 1..4),
        integrated in any::<bool>(),
    ) {
        let key = SigningKey::from_slice(&[0x11; 32]).unwrap();
        let specs: Vec<Image> = images
            .iter()
            .enumerate()
            .map(|(i, (bytes, fetch))| {
                let id = [b"c".as_slice(), &[i as u8]];
                let img = Image::new(&id, bytes);
                if *fetch { img.uri(&if integrated { format!("#p{i}") } else { format!("https://x/{i}") }) } else { img }
            })
            .collect();
        let built = ManifestBuilder::for_images(seq, [0xaa; 16], [0xbb; 16], &specs).build().unwrap();
        let mut eb = EnvelopeBuilder::new(built);
        let mut server = Vec::new();
        for (i, (bytes, fetch)) in images.iter().enumerate() {
            if *fetch {
                if integrated {
                    eb = eb.integrated_payload(&format!("#p{i}"), bytes.clone());
                } else {
                    server.push((format!("https://x/{i}"), bytes.clone()));
                }
            }
        }
        let env = eb.sign(&key).unwrap().encode().unwrap();
        let e = Envelope::decode(&env).unwrap();
        let v = e.authenticate(&Sign1Key(*key.verifying_key())).unwrap();
        prop_assert_eq!(v.sequence_number(), seq);
        prop_assert_eq!(v.manifest().components().len(), images.len());
        // Images that are not fetched must already be on the device.
        let store = images.iter().map(|(b, fetch)| if *fetch { Vec::new() } else { b.clone() }).collect();
        let mut dev = Dev { server, store };
        let mut counter = MemoryCounter(seq - 1);
        Processor::<_, 4>::new(&mut dev).update(&v, &mut counter).unwrap();
        prop_assert_eq!(counter.0, seq);
        for (i, (bytes, _)) in images.iter().enumerate() {
            prop_assert_eq!(&dev.store[i], bytes);
        }
        Processor::<_, 4>::new(&mut dev).boot(&v, &counter).unwrap();
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(e) = Envelope::decode(&bytes) {
            let accept_all = |_: &[u8], _: &[u8]| Ok(());
            let _ = e.unverified_manifest(&Limits::default());
            let _ = e.authenticate(&accept_all);
        }
    }
}

/// The envelope the footprint probe runs on QEMU (benches/footprint/data): made here with the
/// builder and an RFC 6979 key, so it is reproducible. `IOT_WRITE_FOOTPRINT=1` rewrites it.
#[test]
fn footprint_probe_envelope_is_reproducible() {
    let key = SigningKey::from_slice(&[0x11; 32]).unwrap();
    let image: Vec<u8> = (0..200u8).collect();
    let m = ManifestBuilder::for_images(1, [0xfa; 16], [0x14; 16], &[Image::new(&[b"app"], &image).uri("#fw")]);
    let env =
        EnvelopeBuilder::new(m.build().unwrap()).integrated_payload("#fw", image).sign(&key).unwrap().encode().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/footprint/data/manifest-es256.suit");
    if std::env::var_os("IOT_WRITE_FOOTPRINT").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &env).unwrap();
    }
    assert_eq!(std::fs::read(&path).unwrap(), env, "regenerate with IOT_WRITE_FOOTPRINT=1");
}

#[test]
fn diagnostic_nesting_is_bounded() {
    use iot_manifest::render::diagnostic;
    // 200 nested tags, and tag(bstr(tag(bstr(...)))) where every bstr holds embedded CBOR: both
    // stop at the depth bound with an error instead of recursing once per input byte.
    let mut tags = vec![0xc1; 200];
    tags.push(0x00);
    assert!(matches!(diagnostic(&tags), Err(Error::LimitExceeded { .. })));
    let mut item = vec![0x00];
    for _ in 0..40 {
        let mut wrapped = vec![0xc1, 0x58, u8::try_from(item.len()).unwrap_or(255)];
        if item.len() > 255 {
            break;
        }
        wrapped.extend_from_slice(&item);
        item = wrapped;
    }
    assert!(matches!(diagnostic(&item), Err(Error::LimitExceeded { .. })));
    // Shallow input renders.
    assert_eq!(diagnostic(&[0xc1, 0x41, 0x00]).unwrap(), "1(h'00')");
}

/// The update-management builders reproduce libcsuit's U0 and U1 manifests byte for byte.
#[test]
fn update_management_builders_reproduce_u0_and_u1() {
    use iot_manifest::update::VersionComparison;
    let Some(d) = iot_test_vectors::area("suit") else { return };
    let original = |f: &str| {
        let bytes = std::fs::read(d.join(format!("update-management/{f}.suit"))).unwrap();
        Envelope::decode(&bytes).unwrap().unverified_manifest_bytes().to_vec()
    };
    let two = || {
        let mut b = ManifestBuilder::new(0);
        b.component(&[&[0]]);
        b.component(&[&[1]]);
        b
    };
    let gates = SequenceBuilder::new().condition(4, 15).condition(26, 15).condition(28, 15).condition(27, 15);
    let u0 = SequenceBuilder::new()
        .set_component_index(0)
        .override_parameters(
            &Params::new()
                .use_before(1_696_291_200)
                .minimum_battery(10)
                .update_priority(-1)
                .version(VersionComparison::LesserEqual, &[1, 0]),
        )
        .set_component_index(1)
        .copy_params(&[(0, &[4, 26, 27])])
        .override_parameters(&Params::new().version(VersionComparison::Lesser, &[1, 0, 2]))
        .set_component_index_all()
        .run_sequence(&gates);
    let built = two().sequence(Section::Install, &u0).build().unwrap().manifest;
    assert_eq!(hex::encode(built), hex::encode(original("exampleU0")));
    let u1 = SequenceBuilder::new()
        .override_multiple(&[
            (0, &Params::new().wait_info(&[(1, -1), (2, 10)])),
            (1, &Params::new().wait_info(&[(6, 82_800)])),
        ])
        .set_component_index_all()
        .directive(29, 15);
    let built = two().sequence(Section::Install, &u1).build().unwrap().manifest;
    assert_eq!(hex::encode(built), hex::encode(original("exampleU1")));
}

/// The trust-domain builders (dependency, manifest component id, dependency-resolution)
/// reproduce the draft's examples 0 and 1 byte for byte.
#[test]
fn trust_domain_builders_reproduce_examples_0_and_1() {
    use iot_manifest::codes::{condition as c, directive as d};
    let Some(dir) = iot_test_vectors::area("suit") else { return };
    let original = |f: &str| {
        let bytes = std::fs::read(dir.join(format!("trust-domains/{f}.suit"))).unwrap();
        let env = Envelope::decode(&bytes).unwrap();
        (env.unverified_manifest_bytes().to_vec(), env.manifest_digest())
    };
    let (want0, digest0) = original("example0_dependent");
    let mut b = ManifestBuilder::new(0);
    b.component(&[b"00"]);
    let b = b
        .manifest_component_id(&[b"dependent.suit"])
        .sequence(
            Section::Invoke,
            &SequenceBuilder::new().override_parameters(&Params::new().invoke_args(b"cat 00")).directive(d::INVOKE, 15),
        )
        .sequence(
            Section::Install,
            &SequenceBuilder::new().override_parameters(&Params::new().content(b"hello world")).directive(d::WRITE, 15),
        );
    assert_eq!(hex::encode(b.build().unwrap().manifest), hex::encode(want0));

    let (want1, _) = original("example1_process");
    let mut b = ManifestBuilder::new(0);
    b.component(&[b"10"]);
    let resolve = SequenceBuilder::new()
        .set_component_index(1)
        .override_parameters(
            &Params::new().image_digest(&digest0).image_size(190).uri("http://example.com/dependent.suit"),
        )
        .directive(d::FETCH, 2)
        .condition(c::IMAGE_MATCH, 15);
    let install = SequenceBuilder::new()
        .set_component_index(1)
        .override_parameters(&Params::new().image_digest(&digest0))
        .condition(c::DEPENDENCY_INTEGRITY, 15)
        .directive(d::PROCESS_DEPENDENCY, 0)
        .set_component_index(0)
        .override_parameters(&Params::new().content(b" in multiple trust domains"))
        .directive(d::WRITE, 15);
    let invoke = SequenceBuilder::new()
        .set_component_index(0)
        .override_parameters(&Params::new().invoke_args(b"cat 00 10"))
        .directive(d::INVOKE, 15);
    let b = b
        .dependency(1, Some(&[b"dependent.suit"]))
        .manifest_component_id(&[b"depending.suit"])
        .sequence(Section::Invoke, &invoke)
        .sequence(Section::DependencyResolution, &resolve)
        .sequence(Section::Install, &install);
    assert_eq!(hex::encode(b.build().unwrap().manifest), hex::encode(want1));
}
