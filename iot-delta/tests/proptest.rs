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

fn mutated() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    (
        proptest::collection::vec(any::<u8>(), 0..3000),
        proptest::collection::vec((any::<u16>(), any::<u8>(), 0u8..4), 0..40),
    )
        .prop_map(|(old, edits)| {
            let mut new = old.clone();
            for (at, b, kind) in edits {
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
