//! Prints the patch size of every vector pair for both profiles (the size table of the README).
//!
//! `cargo run --release -p iot-delta --example sizes [VECTORS_DIR]`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "example"
)]

use iot_delta::{DiffOptions, Profile};

fn main() {
    let dir = std::env::args().nth(1).map_or_else(
        || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/delta"),
        std::path::PathBuf::from,
    );
    let pairs =
        ["microbit-micropython", "mpy-cross-x86_64", "pybricks-movehub", "pybricks-primehub", "pydantic-core-aarch64"];
    println!("| pair | new bytes | tiny | standard |");
    println!("|---|---:|---:|---:|");
    for pair in pairs {
        let old = std::fs::read(dir.join(pair).join("old.bin")).expect("old.bin");
        let new = std::fs::read(dir.join(pair).join("new.bin")).expect("new.bin");
        let mut row = format!("| {pair} | {} |", new.len());
        for profile in [Profile::Tiny, Profile::Standard] {
            let t = std::time::Instant::now();
            let patch = iot_delta::diff(&old, &new, &DiffOptions::for_profile(profile)).unwrap();
            let dt = t.elapsed();
            let mut out = Vec::new();
            let t = std::time::Instant::now();
            apply(&old, &patch, &mut out);
            let at = t.elapsed();
            assert_eq!(out, new, "{pair} {profile:?}");
            row.push_str(&format!(
                " {} ({:.2} s diff, {:.1} ms apply) |",
                patch.len(),
                dt.as_secs_f64(),
                at.as_secs_f64() * 1e3
            ));
        }
        println!("{row}");
    }
}

fn apply(old: &[u8], patch: &[u8], out: &mut Vec<u8>) {
    let mut a = Box::new(iot_delta::StandardApplier::new());
    let mut rest = patch;
    loop {
        let fed = a.feed(rest, &mut &old[..], out).unwrap();
        rest = &rest[fed.consumed..];
        if fed.event == iot_delta::Event::Done {
            break;
        }
        if rest.is_empty() && fed.event == iot_delta::Event::NeedMore {
            panic!("truncated");
        }
    }
}
