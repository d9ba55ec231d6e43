//! Property tests: random and mutated buffers round trip exactly; arbitrary bytes fed as a patch
//! never panic and never complete.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects, reason = "test code")]

use iot_delta::{DiffOptions, Event, Profile, StandardApplier, TinyApplier};
use proptest::prelude::*;

fn apply_tiny(old: &[u8], patch: &[u8], chunk: usize) -> Result<Vec<u8>, iot_delta::Error> {
    let mut a = Box::new(TinyApplier::new());
    let mut out = Vec::new();
    let mut rest = patch;
    while !rest.is_empty() {
        let fed = a.feed(&rest[..rest.len().min(chunk)], &mut &old[..], &mut out)?;
        rest = &rest[fed.consumed..];
    }
    a.finish().map(|()| out)
}

/// `old` with byte replacements, insertions, deletions and copied runs applied in turn.
fn edited(old: &[u8], edits: &[(u16, u8, u8)]) -> Vec<u8> {
    let mut new = old.to_vec();
    for &(at, b, kind) in edits {
        let i = usize::from(at) % (new.len() + 1);
        match kind {
            0 if i < new.len() => new[i] = b,
            1 => new.insert(i, b),
            2 if i < new.len() => {
                new.remove(i);
            }
            _ => new.splice(i..i, old.iter().take(usize::from(b)).copied()).for_each(drop),
        }
    }
    new
}

fn mutated() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    (
        proptest::collection::vec(any::<u8>(), 0..3000),
        proptest::collection::vec((any::<u16>(), any::<u8>(), 0u8..4), 0..40),
    )
        .prop_map(|(old, edits)| {
            let new = edited(&old, &edits);
            (old, new)
        })
}

/// `mutated()` over bytes drawn mostly from the filters' opcode bytes (Thumb-2 `BL` halves,
/// AArch64 `BL`/`ADRP` top bytes, x86 `E8`/`E9`), so instructions match, overlap and cross chunk
/// and block boundaries.
fn mutated_code() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    let byte = prop_oneof![
        Just(0xF0u8),
        Just(0xF7),
        Just(0xF8),
        Just(0xFF),
        Just(0x94),
        Just(0x97),
        Just(0x90),
        Just(0xB0),
        Just(0xE8),
        Just(0xE9),
        Just(0x00),
        any::<u8>()
    ];
    (proptest::collection::vec(byte, 0..2000), proptest::collection::vec((any::<u16>(), any::<u8>(), 0u8..4), 0..20))
        .prop_map(|(old, edits)| {
            let new = edited(&old, &edits);
            (old, new)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_buffers_round_trip((old, new) in mutated(), chunk in 1usize..300, tiny in any::<bool>(), block in 6u8..13) {
        let profile = if tiny { Profile::Tiny } else { Profile::Standard };
        let mut o = DiffOptions::for_profile(profile);
        o.block_log2 = Some(block);
        o.threads = Some(1);
        let patch = iot_delta::diff(&old, &new, &o).unwrap();
        let mut a = Box::new(StandardApplier::new());
        let mut out = Vec::new();
        let mut rest = &patch[..];
        let mut done = false;
        while !rest.is_empty() {
            let fed = a.feed(&rest[..rest.len().min(chunk)], &mut &old[..], &mut out).unwrap();
            rest = &rest[fed.consumed..];
            done = fed.event == Event::Done;
        }
        prop_assert!(done || new.is_empty() && a.is_done());
        prop_assert_eq!(out, new);
    }

    /// Every filter, on images dense with its opcode bytes, any length and block size: the
    /// target is rebuilt exactly in any chunking.
    #[test]
    fn filtered_code_round_trips((old, new) in mutated_code(), filter in 1u8..4, chunk in 1usize..300, block in 6u8..11) {
        let mut o = DiffOptions::for_profile(Profile::Tiny);
        o.block_log2 = Some(block);
        o.threads = Some(1);
        o.filter = iot_delta::FilterChoice::Use(iot_delta::Filter::from_code(filter).unwrap());
        let patch = iot_delta::diff(&old, &new, &o).unwrap();
        prop_assert_eq!(apply_tiny(&old, &patch, chunk).unwrap(), new);
    }

    #[test]
    fn random_buffers_round_trip(old in proptest::collection::vec(any::<u8>(), 0..800), new in proptest::collection::vec(any::<u8>(), 0..800)) {
        let mut o = DiffOptions::for_profile(Profile::Tiny);
        o.block_log2 = Some(8);
        let patch = iot_delta::diff(&old, &new, &o).unwrap();
        prop_assert_eq!(apply_tiny(&old, &patch, 17).unwrap(), new);
    }

    #[test]
    fn arbitrary_patches_never_complete(body in proptest::collection::vec(any::<u8>(), 0..600), chunk in 1usize..64) {
        let old = b"the fixed source image".repeat(8);
        let new = b"the fixed target image".repeat(8);
        let mut o = DiffOptions::for_profile(Profile::Tiny);
        o.block_log2 = Some(6);
        let valid = iot_delta::diff(&old, &new, &o).unwrap();
        // A valid header followed by random bytes: the body decoder sees garbage.
        let mut patch = valid[..iot_delta::HEADER_LEN].to_vec();
        patch.extend_from_slice(&body);
        if patch != valid {
            prop_assert!(apply_tiny(&old, &patch, chunk).is_err());
        }
        // Random bytes from the start.
        prop_assert!(apply_tiny(&old, &body, chunk).is_err() || body == valid);
    }
}
