//! Criterion benchmarks for the iot-* crates; see `benches/`.
