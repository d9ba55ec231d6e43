//! Round trips on the five real firmware pairs, resume after power loss at every chunk boundary
//! and at random offsets, and every rejection of a wrong base, a damaged patch or a foreign
//! checkpoint.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    clippy::print_stderr,
    reason = "test code"
)]

use iot_delta::{
    Applier, Checkpoint, DiffOptions, Error, Event, FilterChoice, Header, IoError, Profile, SliceTarget, Source,
    StandardApplier, Target, TinyApplier,
};

const PAIRS: [&str; 5] =
    ["microbit-micropython", "mpy-cross-x86_64", "pybricks-movehub", "pybricks-primehub", "pydantic-core-aarch64"];

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// An "old firmware" and a "new firmware" that shares most of it, shifted and patched.
fn synthetic_pair(len: usize) -> (Vec<u8>, Vec<u8>) {
    let old = noise(7, len);
    let mut new = Vec::with_capacity(len + 64);
    new.extend_from_slice(&old[..len / 3]);
    new.extend_from_slice(b"a brand new function body");
    new.extend_from_slice(&old[len / 3 + 10..]);
    for i in (0..new.len()).step_by(97) {
        new[i] = new[i].wrapping_add(4);
    }
    (old, new)
}

fn options(profile: Profile, block_log2: Option<u8>) -> DiffOptions {
    let mut o = DiffOptions::for_profile(profile);
    o.block_log2 = block_log2;
    o
}

/// Feeds the whole patch in `chunk`-byte pieces.
fn apply<const P: usize, const B: usize>(
    old: &[u8],
    patch: &[u8],
    out: &mut Vec<u8>,
    chunk: usize,
) -> Result<(), Error> {
    let mut a = Box::new(Applier::<P, B>::new());
    let mut rest = patch;
    while !rest.is_empty() {
        let n = rest.len().min(chunk);
        let fed = a.feed(&rest[..n], &mut &old[..], out)?;
        rest = &rest[fed.consumed..];
    }
    a.finish()
}

/// The size targets against the peer numbers of `shared/research/delta.md` (same
/// pairs): the smallest device-appliable peer patch (bsdiff4, hdiffpatch-lzma, detools
/// sequential lzma), which `standard` must keep within 0.9x of, and HPatchLite with a 4 KiB
/// dictionary, which `tiny` must beat.
fn peers(pair: &str) -> (usize, usize) {
    match pair {
        "microbit-micropython" => (6_263, 8_845),
        "mpy-cross-x86_64" => (5_473, 7_671),
        "pybricks-movehub" => (5_872, 6_825),
        "pybricks-primehub" => (20_694, 23_332),
        "pydantic-core-aarch64" => (361_567, 456_898),
        _ => panic!("no peer numbers for {pair}"),
    }
}

#[test]
fn vector_pairs_round_trip_in_both_profiles() {
    let Some(dir) = iot_test_vectors::area("delta") else { return };
    for pair in PAIRS {
        let old = std::fs::read(dir.join(pair).join("old.bin")).unwrap();
        let new = std::fs::read(dir.join(pair).join("new.bin")).unwrap();
        for profile in [Profile::Tiny, Profile::Standard] {
            let patch = iot_delta::diff(&old, &new, &DiffOptions::for_profile(profile)).unwrap();
            let header = Header::parse(&patch).unwrap();
            assert_eq!(header.profile, profile);
            assert_eq!(header.target_size, new.len() as u64);
            eprintln!(
                "{pair} {}: {} bytes ({:.2} % of new)",
                profile.name(),
                patch.len(),
                100.0 * patch.len() as f64 / new.len() as f64
            );
            // A patch at least 8x smaller than the image: the differ really matched.
            assert!(patch.len() * 8 < new.len(), "{pair} {profile:?}: {} bytes", patch.len());
            let (best_peer, hpatchlite) = peers(pair);
            match profile {
                Profile::Standard => {
                    assert!(patch.len() * 10 <= best_peer * 9, "{pair}: {} > 0.9 x {best_peer}", patch.len());
                }
                _ => assert!(patch.len() < hpatchlite, "{pair}: {} >= HPatchLite's {hpatchlite}", patch.len()),
            }
            let mut out = Vec::new();
            if profile == Profile::Tiny {
                apply::<{ iot_delta::TINY_PROBS }, { iot_delta::TINY_BUF }>(&old, &patch, &mut out, 1500).unwrap();
            } else {
                apply::<{ iot_delta::STANDARD_PROBS }, { iot_delta::STANDARD_BUF }>(&old, &patch, &mut out, 1500)
                    .unwrap();
            }
            assert!(out == new, "{pair} {profile:?}: target differs");
        }
    }
}

#[test]
fn any_chunk_size_gives_the_same_target() {
    let (old, new) = synthetic_pair(6000);
    let patch = iot_delta::diff(&old, &new, &options(Profile::Tiny, Some(10))).unwrap();
    for chunk in [1usize, 2, 3, 7, 64, 127, 128, 129, 1000, patch.len()] {
        let mut out = Vec::new();
        apply::<{ iot_delta::TINY_PROBS }, { iot_delta::TINY_BUF }>(&old, &patch, &mut out, chunk).unwrap();
        assert_eq!(out, new, "chunk {chunk}");
    }
}

#[test]
fn edge_sizes_round_trip() {
    let (old, new) = synthetic_pair(3000);
    let cases: [(&[u8], &[u8]); 6] =
        [(&[], &[]), (&old, &[]), (&[], &new), (b"x", b"y"), (&old, &old), (&new[..64], &new[..65])];
    for (o, n) in cases {
        for profile in [Profile::Tiny, Profile::Standard] {
            let patch = iot_delta::diff(o, n, &options(profile, Some(6))).unwrap();
            let mut out = Vec::new();
            apply::<{ iot_delta::STANDARD_PROBS }, { iot_delta::STANDARD_BUF }>(o, &patch, &mut out, 5).unwrap();
            assert_eq!(out, n, "{} -> {} bytes", o.len(), n.len());
        }
    }
}

/// Target memory standing in for a flash slot: writes land in place, and bytes past the last
/// write keep whatever a cut-off run left there.
struct Slot(Vec<u8>);

impl Target for Slot {
    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), IoError> {
        let at = offset as usize;
        self.0.get_mut(at..at + data.len()).ok_or(IoError)?.copy_from_slice(data);
        Ok(())
    }
}

/// Runs an apply that loses power after `cut` bytes of the patch, then resumes from the last
/// persisted checkpoint (or from the start) and finishes. Returns the slot.
fn cut_and_resume(old: &[u8], patch: &[u8], new_len: usize, chunk: usize, cut: usize) -> Vec<u8> {
    let mut slot = Slot(noise(99, new_len));
    let mut stored: Option<[u8; iot_delta::CHECKPOINT_LEN]> = None;
    {
        let mut a = Box::new(TinyApplier::new());
        let mut off = 0usize;
        while off < cut {
            let n = chunk.min(cut - off);
            let fed = a.feed(&patch[off..off + n], &mut &old[..], &mut slot).unwrap();
            off += fed.consumed;
            if let Event::Checkpoint(cp) = fed.event {
                stored = Some(cp.to_bytes());
            }
            if fed.event == Event::Done {
                break;
            }
        }
        // Power is lost here: the applier's RAM is gone.
    }
    let mut a = match stored {
        Some(bytes) => Box::new(TinyApplier::resume(Checkpoint::from_bytes(&bytes).unwrap())),
        None => Box::new(TinyApplier::new()),
    };
    let mut off = 0usize;
    loop {
        let n = chunk.min(patch.len() - off);
        let fed = a.feed(&patch[off..off + n], &mut &old[..], &mut slot).unwrap();
        off += fed.consumed;
        match fed.event {
            Event::SkipTo(at) => off = at as usize,
            Event::Done => break,
            _ => assert!(off < patch.len(), "patch ended before Done"),
        }
    }
    assert!(a.is_done());
    a.finish().unwrap();
    slot.0
}

#[test]
fn resumes_after_a_cut_at_every_chunk_boundary() {
    let (old, new) = synthetic_pair(5000);
    let patch = iot_delta::diff(&old, &new, &options(Profile::Tiny, Some(8))).unwrap();
    assert!(Header::parse(&patch).unwrap().blocks() >= 10);
    let chunk = 37;
    for cut in (0..=patch.len()).step_by(chunk) {
        assert!(cut_and_resume(&old, &patch, new.len(), chunk, cut) == new, "cut at {cut}");
    }
}

#[test]
fn resumes_after_a_cut_at_random_offsets() {
    let (old, new) = synthetic_pair(5000);
    let patch = iot_delta::diff(&old, &new, &options(Profile::Tiny, Some(7))).unwrap();
    let cuts = noise(3, 64);
    for (i, c) in cuts.iter().enumerate() {
        let cut = (usize::from(*c) * 257 + i * 31) % (patch.len() + 1);
        let chunk = 1 + (i * 13) % 200;
        assert!(cut_and_resume(&old, &patch, new.len(), chunk, cut) == new, "cut at {cut}, chunk {chunk}");
    }
}

#[test]
fn resumes_on_a_real_pair_at_every_checkpoint() {
    let Some(dir) = iot_test_vectors::area("delta") else { return };
    let old = std::fs::read(dir.join("pybricks-movehub/old.bin")).unwrap();
    let new = std::fs::read(dir.join("pybricks-movehub/new.bin")).unwrap();
    let patch = iot_delta::diff(&old, &new, &options(Profile::Tiny, Some(12))).unwrap();
    let mut offsets = vec![0];
    let mut a = Box::new(TinyApplier::new());
    let mut out = Vec::new();
    let mut off = 0;
    while off < patch.len() {
        let fed = a.feed(&patch[off..], &mut &old[..], &mut out).unwrap();
        off += fed.consumed;
        if let Event::Checkpoint(cp) = fed.event {
            assert_eq!(cp.patch_offset() as usize, off);
            offsets.push(off);
        }
    }
    assert_eq!(out, new);
    assert!(offsets.len() > 20);
    for cut in offsets.iter().flat_map(|&o| [o, o + 1, o + 5]) {
        assert!(cut_and_resume(&old, &patch, new.len(), 512, cut.min(patch.len())) == new, "cut at {cut}");
    }
}

fn expect_failure(old: &[u8], patch: &[u8]) -> Error {
    let mut a = Box::new(StandardApplier::new());
    let mut out = Vec::new();
    let mut rest = patch;
    let err = loop {
        match a.feed(&rest[..rest.len().min(100)], &mut &old[..], &mut out) {
            Ok(fed) => {
                rest = &rest[fed.consumed..];
                if rest.is_empty() {
                    let e = a.finish().expect_err("a damaged patch completed");
                    assert!(!a.is_done());
                    return e;
                }
            }
            Err(e) => break e,
        }
    };
    assert!(!a.is_done(), "marked complete after {err:?}");
    // A failed applier stays failed.
    assert_eq!(a.feed(b"x", &mut &old[..], &mut out), Err(Error::Failed));
    assert_eq!(a.finish(), Err(Error::Failed));
    err
}

#[test]
fn rejections() {
    let (old, new) = synthetic_pair(4000);
    let patch = iot_delta::diff(&old, &new, &options(Profile::Standard, Some(10))).unwrap();

    // Wrong base image: same size, one byte changed; and a different size.
    let mut wrong = old.clone();
    wrong[1234] ^= 1;
    assert_eq!(expect_failure(&wrong, &patch), Error::SourceDigest);
    assert_eq!(expect_failure(&old[1..], &patch), Error::SourceSize { expected: 4000, actual: 3999 });

    // Truncated anywhere.
    for cut in [0, 50, 99, 100, 103, 104, patch.len() / 2, patch.len() - 1] {
        assert_eq!(expect_failure(&old, &patch[..cut]), Error::Truncated, "cut {cut}");
    }

    // Trailing bytes.
    let mut long = patch.clone();
    long.push(0);
    assert_eq!(expect_failure(&old, &long), Error::TrailingData);

    // A patch for a different target: the header's digest no longer matches what is built.
    let mut other = patch.clone();
    other[70] ^= 0x80;
    assert_eq!(expect_failure(&old, &other), Error::TargetDigest);

    // Header fields.
    let mut bad = patch.clone();
    bad[0] = b'X';
    assert_eq!(expect_failure(&old, &bad), Error::BadMagic);
    let mut bad = patch.clone();
    bad[4] = 2;
    assert_eq!(expect_failure(&old, &bad), Error::UnsupportedVersion(2));
    for (at, field) in [
        (5, "profile"),
        (6, "filter"),
        (7, "codec"),
        (14, "literal position bits"),
        (15, "difference position bits"),
        (96, "ram bytes"),
    ] {
        let mut bad = patch.clone();
        bad[at] = 0x77;
        assert_eq!(expect_failure(&old, &bad), Error::InvalidHeader(field), "byte {at}");
    }
    let mut bad = patch.clone();
    bad[8] = 30;
    assert_eq!(expect_failure(&old, &bad), Error::InvalidHeader("block size"));
    // Position bits may not exceed their table's context bits.
    let mut bad = patch.clone();
    bad[9] = 1; // lit_bits
    bad[14] = 2; // lit_pos_bits
    assert_eq!(expect_failure(&old, &bad), Error::InvalidHeader("literal position bits"));
    let mut bad = patch.clone();
    bad[12] = 0; // value_bits
    bad[15] = 1; // value_pos_bits
    assert_eq!(expect_failure(&old, &bad), Error::InvalidHeader("difference position bits"));
    let mut big = patch.clone();
    big[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(expect_failure(&old, &big), Error::TooLarge);

    // A single-byte corruption of the body fails, and nothing is marked complete; unless the
    // byte is range-coder slack in the (at most 4) flush bytes of a block that no decoded bit depends on, in which
    // case the target is built exactly (its SHA-256 was checked).
    let mut slack = 0;
    for at in iot_delta::HEADER_LEN..patch.len() {
        let mut bad = patch.clone();
        bad[at] ^= 0x5A;
        let mut out = Vec::new();
        match apply::<{ iot_delta::STANDARD_PROBS }, { iot_delta::STANDARD_BUF }>(&old, &bad, &mut out, 100) {
            Ok(()) => {
                assert!(out == new, "byte {at}: completed with a wrong target");
                slack += 1;
            }
            Err(_) => {
                let e = expect_failure(&old, &bad);
                assert!(
                    matches!(e, Error::Corrupt(_) | Error::TargetDigest | Error::Truncated | Error::TrailingData),
                    "byte {at}: {e:?}"
                );
            }
        }
    }
    let blocks = usize::try_from(Header::parse(&patch).unwrap().blocks()).unwrap();
    assert!(slack <= blocks * 4, "{slack} harmless corruptions in {blocks} blocks");
}

#[test]
fn a_standard_patch_needs_a_standard_applier() {
    let (old, new) = synthetic_pair(3000);
    let patch = iot_delta::diff(&old, &new, &options(Profile::Standard, None)).unwrap();
    let mut a = Box::new(TinyApplier::new());
    let err = a.feed(&patch, &mut &old[..], &mut Vec::new()).unwrap_err();
    assert!(matches!(err, Error::ModelTooLarge { available: iot_delta::TINY_PROBS, .. }), "{err:?}");
}

#[test]
fn checkpoints_are_checked() {
    let (old, new) = synthetic_pair(3000);
    let patch = iot_delta::diff(&old, &new, &options(Profile::Tiny, Some(8))).unwrap();
    let (o2, n2) = (noise(5, 3000), noise(6, 3000));
    let foreign = iot_delta::diff(&o2, &n2, &options(Profile::Tiny, Some(8))).unwrap();
    let mut a = Box::new(TinyApplier::new());
    let fed = a.feed(&foreign, &mut &o2[..], &mut Vec::new()).unwrap();
    let Event::Checkpoint(cp) = fed.event else { panic!("{fed:?}") };
    // The applier tags its checkpoints with the header bytes as received; that is the header's
    // documented tag (a header that parses is canonical).
    assert_eq!(cp.to_bytes()[1..9], Header::parse(&foreign).unwrap().tag());

    let mut b = Box::new(TinyApplier::resume(cp));
    assert_eq!(b.feed(&patch, &mut &old[..], &mut Vec::new()), Err(Error::Checkpoint("belongs to another patch")));

    let bytes = cp.to_bytes();
    assert_eq!(Checkpoint::from_bytes(&bytes).unwrap(), cp);
    for i in 0..bytes.len() {
        let mut torn = bytes;
        torn[i] ^= 1;
        assert!(matches!(Checkpoint::from_bytes(&torn), Err(Error::Checkpoint(_))), "byte {i}");
    }
    assert_eq!(Checkpoint::from_bytes(&bytes[1..]), Err(Error::Checkpoint("length")));
}

struct FailingSource<'a>(&'a [u8]);
impl Source for FailingSource<'_> {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
    fn read(&mut self, _: u64, _: &mut [u8]) -> Result<(), IoError> {
        Err(IoError)
    }
}

struct FailingTarget;
impl Target for FailingTarget {
    fn write(&mut self, _: u64, _: &[u8]) -> Result<(), IoError> {
        Err(IoError)
    }
}

#[test]
fn platform_errors_stop_the_apply() {
    let (old, new) = synthetic_pair(3000);
    let patch = iot_delta::diff(&old, &new, &options(Profile::Tiny, None)).unwrap();
    let mut a = Box::new(TinyApplier::new());
    assert_eq!(a.feed(&patch, &mut FailingSource(&old), &mut Vec::new()), Err(Error::SourceRead { offset: 0 }));
    let mut a = Box::new(TinyApplier::new());
    let mut rest = &patch[..];
    let err = loop {
        match a.feed(rest, &mut &old[..], &mut FailingTarget) {
            Ok(f) => rest = &rest[f.consumed..],
            Err(e) => break e,
        }
    };
    assert!(matches!(err, Error::TargetWrite { .. }), "{err:?}");
    let mut small = [0u8; 10];
    let mut a = Box::new(TinyApplier::new());
    let mut rest = &patch[..];
    let err = loop {
        match a.feed(rest, &mut &old[..], &mut SliceTarget::new(&mut small)) {
            Ok(f) => rest = &rest[f.consumed..],
            Err(e) => break e,
        }
    };
    assert!(matches!(err, Error::TargetWrite { .. }), "{err:?}");
}

/// Code-like images: noise with Thumb-2 `BL`, AArch64 `BL`/`ADRP` and x86 `E8`/`E9` patterns
/// every few bytes; the new one has 37 bytes inserted a third of the way in (so everything
/// after moves) and a few bytes changed. Lengths are not multiples of the filter chunk.
fn code_pair(len: usize) -> (Vec<u8>, Vec<u8>) {
    let mut old = noise(11, len);
    let pats: [&[u8]; 5] =
        [&[0x12, 0xF0, 0x34, 0xF8], &[0x10, 0x00, 0x00, 0x94], &[0x00, 0x00, 0x00, 0x90], &[0xE8], &[0xE9]];
    let mut i = 0;
    while i + 8 < len {
        let p = pats[(i / 7) % pats.len()];
        old[i..i + p.len()].copy_from_slice(p);
        i += 6 + (i % 5);
    }
    let mut new = old[..len / 3].to_vec();
    new.extend_from_slice(&noise(5, 37));
    new.extend_from_slice(&old[len / 3..]);
    for j in (0..new.len()).step_by(211) {
        new[j] ^= 0x21;
    }
    (old, new)
}

#[test]
fn every_filter_round_trips_in_any_chunking_and_resumes() {
    use iot_delta::Filter;
    let (old, new) = code_pair(5013);
    for filter in [Filter::Thumb2, Filter::Aarch64, Filter::X86, Filter::None] {
        let mut o = options(Profile::Tiny, Some(8));
        o.filter = FilterChoice::Use(filter);
        let patch = iot_delta::diff(&old, &new, &o).unwrap();
        assert_eq!(Header::parse(&patch).unwrap().filter, filter);
        for chunk in [1usize, 7, 128, 1000] {
            let mut out = Vec::new();
            apply::<{ iot_delta::TINY_PROBS }, { iot_delta::TINY_BUF }>(&old, &patch, &mut out, chunk).unwrap();
            assert!(out == new, "{filter:?} chunk {chunk}");
        }
        for cut in (0..=patch.len()).step_by(61) {
            assert!(cut_and_resume(&old, &patch, new.len(), 29, cut) == new, "{filter:?} cut at {cut}");
        }
        // A patch read with another filter decodes against other source bytes (a corrupt body)
        // or builds another target (its digest fails); either way it is refused.
        let mut other = patch.clone();
        other[6] = if filter == Filter::Thumb2 { 2 } else { 1 };
        let e = expect_failure(&old, &other);
        assert!(matches!(e, Error::TargetDigest | Error::Corrupt(_)), "{filter:?}: {e:?}");
    }
}

#[test]
fn filters_round_trip_on_the_vector_pairs_and_auto_keeps_the_smallest() {
    use iot_delta::Filter;
    let Some(dir) = iot_test_vectors::area("delta") else { return };
    let read = |pair: &str| {
        (std::fs::read(dir.join(pair).join("old.bin")).unwrap(), std::fs::read(dir.join(pair).join("new.bin")).unwrap())
    };
    let with = |old: &[u8], new: &[u8], choice: FilterChoice| {
        let mut o = DiffOptions::for_profile(Profile::Standard);
        o.filter = choice;
        let patch = iot_delta::diff(old, new, &o).unwrap();
        let mut out = Vec::new();
        apply::<{ iot_delta::STANDARD_PROBS }, { iot_delta::STANDARD_BUF }>(old, &patch, &mut out, 1500).unwrap();
        assert!(out == new, "{choice:?}: target differs");
        patch
    };
    for (pair, expected) in [
        ("microbit-micropython", Filter::None),
        ("pybricks-movehub", Filter::Thumb2),
        ("pybricks-primehub", Filter::None),
        ("mpy-cross-x86_64", Filter::None),
    ] {
        let (old, new) = read(pair);
        let mut sizes = Vec::new();
        for filter in [Filter::None, Filter::Thumb2, Filter::Aarch64, Filter::X86] {
            sizes.push((with(&old, &new, FilterChoice::Use(filter)).len(), filter));
        }
        let auto = with(&old, &new, FilterChoice::Auto);
        let chosen = Header::parse(&auto).unwrap().filter;
        eprintln!("{pair}: {sizes:?}, auto {chosen:?} {}", auto.len());
        assert_eq!(chosen, expected, "{pair}");
        assert_eq!(auto.len(), sizes.iter().find(|(_, f)| *f == expected).unwrap().0);
        // Auto never loses to `none`; a filter it skipped as implausible is never smaller.
        assert!(auto.len() <= sizes[0].0);
        assert!(sizes.iter().all(|(n, _)| *n >= auto.len()), "{pair}: {sizes:?}");
    }
    // The 4 MB AArch64 pair: the BL/ADRP filter saves about 4 %.
    let (old, new) = read("pydantic-core-aarch64");
    let none = with(&old, &new, FilterChoice::Use(Filter::None));
    let auto = with(&old, &new, FilterChoice::Auto);
    assert_eq!(Header::parse(&auto).unwrap().filter, Filter::Aarch64);
    assert!(auto.len() * 100 < none.len() * 97, "{} vs {}", auto.len(), none.len());
}

#[test]
fn applier_ram_stays_within_the_profiles() {
    let tiny = size_of::<TinyApplier>();
    let standard = size_of::<StandardApplier>();
    eprintln!("TinyApplier {tiny} bytes, StandardApplier {standard} bytes");
    assert!(tiny <= 8 * 1024, "tiny applier is {tiny} bytes");
    assert!(standard <= 72 * 1024, "standard applier is {standard} bytes");
    // The header's ram_bytes never understates the applier a patch needs.
    let (old, new) = synthetic_pair(2000);
    for (profile, size) in [(Profile::Tiny, tiny), (Profile::Standard, standard)] {
        let patch = iot_delta::diff(&old, &new, &options(profile, None)).unwrap();
        let header = Header::parse(&patch).unwrap();
        assert!(header.params.probs() <= profile.max_probs());
        let max_ram = 2 * profile.max_probs() + 3 * profile.buffer() + 512;
        assert!(size <= max_ram, "{profile:?}: {size} > {max_ram}");
        assert!(header.ram_bytes() as usize <= max_ram);
    }
}

/// The footprint probe's source image (the QEMU run rebuilds it on the device the same way).
fn probe_images() -> (Vec<u8>, Vec<u8>) {
    let mut x = 0x1234_5678u32;
    let old: Vec<u8> = (0..8192)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect();
    let mut new = old[..3000].to_vec();
    new.extend_from_slice(b"NEW CODE 1234");
    new.extend_from_slice(&old[3000..]);
    for i in (0..new.len()).step_by(500) {
        new[i] = new[i].wrapping_add(1);
    }
    (old, new)
}

/// The patches the footprint probe applies on the emulated Cortex-M4F are made here and
/// committed; the differ is deterministic, so they are reproducible. `IOT_WRITE_FOOTPRINT=1`
/// rewrites them. Also checks that `restart` in place equals a fresh applier.
#[test]
fn footprint_probe_patches_are_reproducible() {
    let (old, new) = probe_images();
    let mut reused = Box::new(StandardApplier::new());
    for (profile, file, filter) in [
        (Profile::Tiny, "delta-tiny.patch", FilterChoice::Auto),
        (Profile::Standard, "delta-standard.patch", FilterChoice::Auto),
        // the device's unfiltering, checked on QEMU by `delta_apply_tiny_filters`
        (Profile::Tiny, "delta-tiny-thumb2.patch", FilterChoice::Use(iot_delta::Filter::Thumb2)),
    ] {
        let mut o = options(profile, Some(10));
        o.filter = filter;
        let patch = iot_delta::diff(&old, &new, &o).unwrap();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/footprint/data").join(file);
        if std::env::var_os("IOT_WRITE_FOOTPRINT").is_some() {
            std::fs::write(&path, &patch).unwrap();
        }
        assert_eq!(std::fs::read(&path).unwrap(), patch, "regenerate with IOT_WRITE_FOOTPRINT=1");
        reused.restart(None);
        let mut out = Vec::new();
        let mut rest = &patch[..];
        while !rest.is_empty() {
            let fed = reused.feed(&rest[..rest.len().min(256)], &mut &old[..], &mut out).unwrap();
            rest = &rest[fed.consumed..];
        }
        reused.finish().unwrap();
        assert_eq!(out, new);
    }
}
