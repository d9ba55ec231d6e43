//! Runs the heap-using device entry points on an emulated Cortex-M4F (QEMU `mps2-an386`) with a
//! realistic document made on the device, checks the result, and measures each call's peak stack
//! (painted stack) and peak heap (the allocator's high-water mark). Prints
//! `stack <entry> <bytes> heap=<bytes> valid=<bool> tampered_rejected=<bool>`.
#![no_std]
#![no_main]

extern crate alloc;

use core::hint::black_box;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use iot_twin::serde_json::json;
#[path = "../entries.rs"]
mod fp;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    hprintln!("qemu: panic {}", info);
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}

const PAINT: u32 = 0xA5A5_5A5A;
const WINDOW: usize = 64 * 1024;

/// Peak stack use of `f`, in bytes below the stack pointer at the call site (within 4 bytes).
#[inline(never)]
fn measure(f: &dyn Fn() -> bool) -> (usize, bool) {
    let sp = usize::try_from(cortex_m::register::msp::read()).unwrap_or(0);
    let top = sp.saturating_sub(256);
    let bottom = sp.saturating_sub(WINDOW);
    let mut a = bottom;
    while a < top {
        // SAFETY: [bottom, top) is free stack below the live frames, inside the 4 MiB RAM.
        unsafe { core::ptr::write_volatile(a as *mut u32, PAINT) };
        a += 4;
    }
    let ok = black_box(f)();
    let mut low = top;
    let mut a = bottom;
    while a < top {
        // SAFETY: as above; reading our own painted words.
        if unsafe { core::ptr::read_volatile(a as *const u32) } != PAINT {
            low = a;
            break;
        }
        a += 4;
    }
    (sp - low, ok)
}

#[entry]
fn main() -> ! {
    // A device state of about 1 KB, 5 levels deep, and a desired patch that changes 3 leaves,
    // adds one and deletes one.
    let (state_cbor, patch_cbor, expected) = inputs();
    run(&state_cbor, &patch_cbor, &expected)
}

/// The inputs as CBOR (the JSON values are dropped before the measured call) and the expected
/// reported patch.
fn inputs() -> (alloc::vec::Vec<u8>, alloc::vec::Vec<u8>, alloc::vec::Vec<u8>) {
    let mut sensors = iot_twin::serde_json::Map::new();
    for i in 0..12 {
        sensors.insert(
            alloc::format!("sensor{i:02}"),
            json!({"cfg": {"rate": {"hz": 10 + i, "burst": false}, "unit": "C"}, "offset": i}),
        );
    }
    let state =
        json!({"fw": {"version": "1.4.2", "slot": "a"}, "net": {"ssid": "plant-7", "ch": 6}, "sensors": sensors});
    let patch = json!({"fw": {"version": "2.0.0"}, "net": {"ch": 11, "ssid": null},
                       "sensors": {"sensor03": {"cfg": {"rate": {"hz": 50}}}, "sensor12": {"offset": 0}}});
    // what the device reports: exactly what changed (the patch itself here)
    (iot_twin::cbor::to_vec(&state), iot_twin::cbor::to_vec(&patch), iot_twin::cbor::to_vec(&patch))
}

fn run(state_cbor: &[u8], patch_cbor: &[u8], expected: &[u8]) -> ! {
    let mut out = [0u8; 512];
    let len = core::cell::Cell::new(0usize);
    fp::HEAP.reset_peak();
    let base = fp::HEAP.used();
    let (stack, _) = measure(&|| {
        let mut buf = [0u8; 512];
        let n = fp::twin_device_apply_cbor(state_cbor, patch_cbor, &mut buf);
        len.set(n);
        n > 0
    });
    let heap = fp::HEAP.peak().saturating_sub(base);
    let n = fp::twin_device_apply_cbor(state_cbor, patch_cbor, &mut out);
    let valid = n > 0 && n == len.get() && &out[..n] == expected;
    let bad = &patch_cbor[..patch_cbor.len() - 1];
    let refused = fp::twin_device_apply_cbor(state_cbor, bad, &mut out) == 0;
    hprintln!(
        "stack {} {} heap={} valid={} tampered_rejected={} state={}B patch={}B",
        "twin_device_apply_cbor",
        stack,
        heap,
        valid,
        refused,
        state_cbor.len(),
        patch_cbor.len()
    );
    let all = valid && refused;
    hprintln!("qemu: {}", if all { "all entry points correct" } else { "FAILURE" });
    debug::exit(if all { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    loop {}
}
