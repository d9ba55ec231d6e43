//! Footprint probe for the device paths that need `alloc` (see `../footprint` for the rest): built
//! as a static library for `thumbv7em-none-eabihf` with `core` and `alloc` only and a 16 KiB
//! static heap whose high-water mark the QEMU run reports.
#![no_std]

extern crate alloc;
// cortex-m provides the single-core critical section the heap locks with.
use cortex_m as _;

mod entries;
pub use entries::*;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
