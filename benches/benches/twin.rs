//! Twin benchmarks on 1 KB, 8 KB and 32 KB documents of depth 5, each beside the `json-patch`
//! crate in the same run: `twin/merge` (RFC 7396 apply), `twin/patch` (RFC 6902 apply),
//! `twin/diff` (RFC 6902 diff; our merge-patch diff too), `twin/delta` (AWS delta). Documents are
//! cloned before and dropped after the timed part, which is the operation alone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    clippy::cast_possible_truncation,
    missing_docs,
    reason = "bench code"
)]

use core::hint::black_box;
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use iot_twin::{Map, Value, merge, patch};

/// A deterministic document of about `target` bytes of JSON, nested 5 deep.
fn document(target: usize, seed: u64) -> Value {
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    fn build(depth: usize, budget: &mut isize, next: &mut dyn FnMut() -> u64) -> Value {
        let mut m = Map::new();
        let mut i = 0;
        while *budget > 0 && i < 8 {
            let key = format!("k{}_{}", depth, i);
            // Each member costs its key, quotes, colon and comma; a leaf also its text, a nested
            // object its braces (its own members are charged inside), so the serialized document
            // comes out at about `target` bytes.
            *budget -= key.len() as isize + 4;
            let v = if depth < 5 && i % 3 == 0 {
                *budget -= 2;
                build(depth + 1, budget, next)
            } else {
                let leaf = match next() % 4 {
                    0 => Value::from(next() % 100_000),
                    1 => Value::from(format!("value-{}", next() % 1000)),
                    2 => Value::from(next() % 2 == 0),
                    _ => Value::from(vec![next() % 10, next() % 10, next() % 10]),
                };
                *budget -= leaf.to_string().len() as isize;
                leaf
            };
            m.insert(key, v);
            i += 1;
        }
        Value::Object(m)
    }
    let mut top = Map::new();
    let mut budget = target as isize;
    let mut n = 0;
    while budget > 0 {
        let before = budget;
        let v = build(1, &mut budget, &mut next);
        top.insert(format!("section{n}"), v);
        n += 1;
        if budget == before {
            break;
        }
    }
    Value::Object(top)
}

/// `doc` with about one leaf in ten changed.
fn mutate(doc: &Value, seed: u64) -> Value {
    let mut x = seed;
    fn walk(v: &mut Value, x: &mut u64) {
        match v {
            Value::Object(m) => m.values_mut().for_each(|c| walk(c, x)),
            leaf => {
                *x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                if (*x >> 33) % 10 == 0 {
                    *leaf = Value::from(format!("changed-{}", *x % 977));
                }
            }
        }
    }
    let mut out = doc.clone();
    walk(&mut out, &mut x);
    out
}

fn benches(c: &mut Criterion) {
    for size in [1024usize, 8 * 1024, 32 * 1024] {
        let old = document(size, 0x5eed ^ size as u64);
        let new = mutate(&old, 7);
        let bytes = serde_json::to_vec(&old).unwrap().len() as u64;
        let mp = merge::diff(&old, &new).unwrap();
        let ours_patch = patch::diff(&old, &new).unwrap();
        let theirs_patch: json_patch::Patch = serde_json::from_value(ours_patch.to_value()).unwrap();
        let id = format!("{}k", size / 1024);

        let mut g = c.benchmark_group("twin/merge");
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function(BenchmarkId::new("iot-twin", &id), |b| {
            b.iter_batched(
                || old.clone(),
                |mut d| {
                    merge::apply(&mut d, black_box(&mp)).unwrap();
                    d
                },
                BatchSize::SmallInput,
            )
        });
        g.bench_function(BenchmarkId::new("json-patch", &id), |b| {
            b.iter_batched(
                || old.clone(),
                |mut d| {
                    json_patch::merge(&mut d, black_box(&mp));
                    d
                },
                BatchSize::SmallInput,
            )
        });
        g.finish();

        let mut g = c.benchmark_group("twin/patch");
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function(BenchmarkId::new("iot-twin", &id), |b| {
            b.iter_batched(
                || old.clone(),
                |mut d| {
                    ours_patch.apply(&mut d).unwrap();
                    d
                },
                BatchSize::SmallInput,
            )
        });
        g.bench_function(BenchmarkId::new("json-patch", &id), |b| {
            b.iter_batched(
                || old.clone(),
                |mut d| {
                    json_patch::patch(&mut d, black_box(&theirs_patch)).unwrap();
                    d
                },
                BatchSize::SmallInput,
            )
        });
        g.finish();

        let mut g = c.benchmark_group("twin/diff");
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function(BenchmarkId::new("iot-twin-json-patch", &id), |b| {
            b.iter(|| patch::diff(black_box(&old), black_box(&new)).unwrap())
        });
        g.bench_function(BenchmarkId::new("json-patch", &id), |b| {
            b.iter(|| json_patch::diff(black_box(&old), black_box(&new)))
        });
        g.bench_function(BenchmarkId::new("iot-twin-merge-patch", &id), |b| {
            b.iter(|| merge::diff(black_box(&old), black_box(&new)).unwrap())
        });
        g.finish();

        let mut g = c.benchmark_group("twin/delta");
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function(BenchmarkId::new("iot-twin", &id), |b| {
            b.iter(|| iot_twin::aws::delta(black_box(&new), Some(black_box(&old))))
        });
        g.finish();
    }
}

criterion_group!(twin, benches);
criterion_main!(twin);
