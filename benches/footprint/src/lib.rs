//! Footprint probe: each device entry point of the iot-* crates as an exported symbol.
//!
//! `run.sh` builds this as a static library for `thumbv7em-none-eabihf` (no std, no allocator: only
//! `core` is built, so any use of `alloc` or `std` fails the build), once per entry point with
//! that entry the only exported symbol (`FOOTPRINT_SOLO`, see `build.rs`), links it with
//! `--gc-sections` and reports its flash and static RAM. `baseline_*` entries are the
//! bare primitive each path cannot go below. The entries live in `entries.rs`, which the QEMU
//! stack run (`src/bin/qemu.rs`) includes as a module, so the library stays a single-type
//! staticlib (rustc turns LTO off when a crate has several crate types).
#![no_std]

mod entries;
pub use entries::*;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
