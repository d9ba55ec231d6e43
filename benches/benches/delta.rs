//! Delta benchmarks on the five real firmware pairs, beside qbsdiff (the Rust bsdiff) in the
//! same run: `delta/diff/<pair>` and `delta/apply/<pair>`. Before timing, prints the size table
//! (iot-delta tiny and standard against qbsdiff's BSDIFF40) to stderr.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stderr,
    clippy::as_conversions,
    clippy::std_instead_of_core,
    missing_docs,
    reason = "bench code"
)]

use core::hint::black_box;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use iot_delta::{DiffOptions, Event, Profile, StandardApplier};
use std::path::PathBuf;

const PAIRS: [&str; 5] =
    ["microbit-micropython", "mpy-cross-x86_64", "pybricks-movehub", "pybricks-primehub", "pydantic-core-aarch64"];

fn pairs() -> Vec<(&'static str, Vec<u8>, Vec<u8>)> {
    let dir = std::env::var_os("IOT_VECTORS")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"), PathBuf::from)
        .join("delta");
    if !dir.is_dir() {
        eprintln!("SKIPPED: delta vectors not found at {}", dir.display());
        return Vec::new();
    }
    PAIRS
        .iter()
        .map(|p| {
            (
                *p,
                std::fs::read(dir.join(p).join("old.bin")).unwrap(),
                std::fs::read(dir.join(p).join("new.bin")).unwrap(),
            )
        })
        .collect()
}

fn iot_apply(old: &[u8], patch: &[u8], out: &mut Vec<u8>, applier: &mut StandardApplier) {
    *applier = StandardApplier::new();
    out.clear();
    let mut rest = patch;
    loop {
        let fed = applier.feed(rest, &mut &old[..], out).unwrap();
        rest = &rest[fed.consumed..];
        if fed.event == Event::Done {
            break;
        }
    }
}

fn qbsdiff_diff(old: &[u8], new: &[u8]) -> Vec<u8> {
    let mut patch = Vec::new();
    qbsdiff::Bsdiff::new(old, new).compare(std::io::Cursor::new(&mut patch)).unwrap();
    patch
}

fn benches(c: &mut Criterion) {
    let pairs = pairs();
    eprintln!("| pair | new bytes | iot-delta tiny | iot-delta standard | qbsdiff (BSDIFF40) |");
    eprintln!("|---|---:|---:|---:|---:|");
    let mut patches = Vec::new();
    for (name, old, new) in &pairs {
        let tiny = iot_delta::diff(old, new, &DiffOptions::for_profile(Profile::Tiny)).unwrap();
        let standard = iot_delta::diff(old, new, &DiffOptions::for_profile(Profile::Standard)).unwrap();
        let q = qbsdiff_diff(old, new);
        eprintln!("| {name} | {} | {} | {} | {} |", new.len(), tiny.len(), standard.len(), q.len());
        patches.push((standard, q));
    }
    let mut group = c.benchmark_group("delta/diff");
    group.sample_size(10);
    for (name, old, new) in &pairs {
        group.throughput(Throughput::Bytes(new.len() as u64));
        group.bench_function(BenchmarkId::new("iot-delta-standard", name), |b| {
            b.iter(|| iot_delta::diff(black_box(old), black_box(new), &DiffOptions::default()).unwrap());
        });
        group.bench_function(BenchmarkId::new("qbsdiff", name), |b| {
            b.iter(|| qbsdiff_diff(black_box(old), black_box(new)))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("delta/apply");
    group.sample_size(20);
    let mut applier = Box::new(StandardApplier::new());
    let mut out = Vec::new();
    for ((name, old, new), (standard, q)) in pairs.iter().zip(&patches) {
        group.throughput(Throughput::Bytes(new.len() as u64));
        out.clear();
        group.bench_function(BenchmarkId::new("iot-delta-standard", name), |b| {
            b.iter(|| iot_apply(black_box(old), black_box(standard), &mut out, &mut applier));
        });
        // (empty when a name filter skipped the bench above)
        assert!(out.is_empty() || &out == new, "{name}: iot-delta built a wrong target");
        // qbsdiff parses the whole patch up front; that parse is part of its apply.
        group.bench_function(BenchmarkId::new("qbsdiff", name), |b| {
            b.iter(|| {
                out.clear();
                qbsdiff::Bspatch::new(black_box(q))
                    .unwrap()
                    .apply(black_box(old), std::io::Cursor::new(&mut out))
                    .unwrap();
            });
        });
    }
    group.finish();
}

criterion_group!(delta, benches);
criterion_main!(delta);
