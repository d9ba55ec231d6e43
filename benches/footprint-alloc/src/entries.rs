//! Device entry points that need a heap, each an exported symbol, and the measured heap.

use core::alloc::{GlobalAlloc, Layout};
use core::hint::black_box;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The heap arena of the probe (the QEMU run reports how much of it a call uses at most).
pub const HEAP_BYTES: usize = 64 * 1024;

/// A linked-list heap that also records its high-water mark.
pub struct PeakHeap {
    heap: embedded_alloc::LlffHeap,
    ready: AtomicBool,
    peak: AtomicUsize,
}

static mut ARENA: [u8; HEAP_BYTES] = [0; HEAP_BYTES];

impl PeakHeap {
    const fn new() -> Self {
        Self { heap: embedded_alloc::LlffHeap::empty(), ready: AtomicBool::new(false), peak: AtomicUsize::new(0) }
    }

    fn ensure_init(&self) {
        if !self.ready.swap(true, Ordering::AcqRel) {
            // SAFETY: runs once (the flag), before any allocation; ARENA is used by nothing else.
            unsafe { self.heap.init(core::ptr::addr_of_mut!(ARENA) as usize, HEAP_BYTES) }
        }
    }

    /// Highest number of bytes in use since the last reset.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Bytes in use now.
    pub fn used(&self) -> usize {
        self.heap.used()
    }

    /// Starts a new high-water measurement.
    pub fn reset_peak(&self) {
        self.peak.store(self.heap.used(), Ordering::Relaxed);
    }
}

// SAFETY: delegates to LlffHeap, which is a correct GlobalAlloc; only adds bookkeeping.
unsafe impl GlobalAlloc for PeakHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.ensure_init();
        // SAFETY: the caller's contract is passed through.
        let p = unsafe { self.heap.alloc(layout) };
        self.peak.fetch_max(self.heap.used(), Ordering::Relaxed);
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed through.
        unsafe { self.heap.dealloc(ptr, layout) }
    }
}

#[global_allocator]
pub static HEAP: PeakHeap = PeakHeap::new();

/// Twin device path: the local state and a desired-state merge patch arrive as CBOR; the device
/// applies the patch (RFC 7396) in place and gets what changed as the reported patch (the smallest
/// merge patch from the old to the new state, `merge::apply_reporting`), and writes it as deterministic CBOR into `out`. Returns
/// its length, 0 on any error.
#[unsafe(no_mangle)]
pub fn twin_device_apply_cbor(state: &[u8], desired_patch: &[u8], out: &mut [u8]) -> usize {
    use iot_twin::{cbor, merge};
    let (Ok(mut local), Ok(patch)) = (cbor::from_slice(black_box(state)), cbor::from_slice(black_box(desired_patch)))
    else {
        return 0;
    };
    let Ok(reported) = merge::apply_reporting(&mut local, &patch) else { return 0 };
    let bytes = cbor::to_vec(&reported);
    match out.get_mut(..bytes.len()) {
        Some(dst) => {
            dst.copy_from_slice(&bytes);
            bytes.len()
        }
        None => 0,
    }
}
