//! The binary adaptive range coder (FORMAT.md, section "Range coder").
//!
//! Probabilities are 12-bit estimates of "the bit is 0", kept in `u16` slots and moved
//! 1/16 of the way towards each coded bit. The arithmetic is LZMA's carry-less range coder
//! with a 32-bit range and a 64-bit `low` on the encoder side.

/// Bits of probability precision.
pub(crate) const PROB_BITS: u32 = 12;
/// The initial probability (one half).
pub(crate) const PROB_INIT: u16 = 1 << (PROB_BITS - 1);
const TOP: u32 = 1 << 24;
/// Most input bytes one coded bit can consume: a slot's probability never leaves `[1, 4095]`,
/// so from `range >= 2^24` a bit leaves `range >= 2^12`, and two normalising shifts restore it.
pub(crate) const MAX_BYTES_PER_BIT: usize = 2;

/// Codes one binary decision. The encoder writes `bit` and returns it; the decoder ignores
/// `bit` and returns the decoded one. Model code is written once against this trait so the
/// differ and the applier cannot drift apart.
pub(crate) trait Coder {
    /// Codes a bit with an adaptive slot.
    fn bit(&mut self, prob: &mut u16, bit: u32) -> u32;
    /// Codes a bit with probability one half.
    fn direct(&mut self, bit: u32) -> u32 {
        // Count 15: the slot is dropped after one use, so its rate does not matter.
        let mut p = PROB_INIT | (15 << PROB_BITS);
        self.bit(&mut p, bit)
    }
}

/// Adaptation shift by how many bits a slot has seen (the top four bits of the slot): a new
/// context learns fast, a busy one settles.
const RATE: [u16; 16] = [1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3];
const PROB_MASK: u16 = (1 << PROB_BITS) - 1;

#[inline]
fn adapt(slot: &mut u16, bit: u32) {
    let p = *slot & PROB_MASK;
    let n = *slot >> PROB_BITS;
    let shift = RATE.get(usize::from(n)).copied().unwrap_or(5);
    let p = if bit == 0 {
        p.wrapping_add(((1u16 << PROB_BITS).wrapping_sub(p)) >> shift)
    } else {
        p.wrapping_sub(p >> shift)
    };
    let n = if n < 15 { n.wrapping_add(1) } else { n };
    *slot = p | (n << PROB_BITS);
}

/// Decoder registers; the bytes come from the caller's buffer at each step.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DecState {
    range: u32,
    code: u32,
}

/// Bytes the decoder reads before its first bit.
pub(crate) const INIT_BYTES: usize = 4;

/// A decoder borrowing its input for one step.
pub(crate) struct Decoder<'a> {
    st: DecState,
    input: &'a [u8],
    pos: usize,
    overrun: bool,
}

impl DecState {
    pub(crate) const fn new() -> Self {
        Self { range: 0, code: 0 }
    }
}

impl<'a> Decoder<'a> {
    /// Starts a block: reads the first [`INIT_BYTES`] bytes.
    pub(crate) fn start(input: &'a [u8]) -> Self {
        let mut d = Self { st: DecState { range: u32::MAX, code: 0 }, input, pos: 0, overrun: false };
        for _ in 0..INIT_BYTES {
            let b = d.next_byte();
            d.st.code = (d.st.code << 8) | u32::from(b);
        }
        d
    }

    /// Continues a block from saved registers.
    pub(crate) const fn resume(st: DecState, input: &'a [u8]) -> Self {
        Self { st, input, pos: 0, overrun: false }
    }

    #[inline]
    fn next_byte(&mut self) -> u8 {
        if let Some(b) = self.input.get(self.pos) {
            self.pos = self.pos.wrapping_add(1);
            *b
        } else {
            self.overrun = true;
            0
        }
    }

    /// Input bytes not yet consumed.
    #[inline]
    pub(crate) const fn available(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    /// Whether a bit needed a byte past the input.
    #[inline]
    pub(crate) const fn overrun(&self) -> bool {
        self.overrun
    }

    /// Registers, bytes consumed, and whether the step needed bytes it did not have.
    pub(crate) const fn finish(&self) -> (DecState, usize, bool) {
        (self.st, self.pos, self.overrun)
    }
}

impl Coder for Decoder<'_> {
    #[inline]
    fn bit(&mut self, prob: &mut u16, _bit: u32) -> u32 {
        let bound = (self.st.range >> PROB_BITS).wrapping_mul(u32::from(*prob & PROB_MASK));
        let bit = if self.st.code < bound {
            self.st.range = bound;
            0
        } else {
            self.st.code = self.st.code.wrapping_sub(bound);
            self.st.range = self.st.range.wrapping_sub(bound);
            1
        };
        adapt(prob, bit);
        while self.st.range < TOP {
            self.st.range <<= 8;
            let b = self.next_byte();
            self.st.code = (self.st.code << 8) | u32::from(b);
        }
        bit
    }
}

/// The encoder (cloud side).
#[cfg(feature = "std")]
#[derive(Debug)]
pub(crate) struct Encoder {
    low: u64,
    range: u32,
    cache: u8,
    cache_size: u64,
    out: alloc::vec::Vec<u8>,
}

#[cfg(feature = "std")]
impl Encoder {
    pub(crate) const fn new() -> Self {
        Self { low: 0, range: u32::MAX, cache: 0, cache_size: 1, out: alloc::vec::Vec::new() }
    }

    #[expect(clippy::as_conversions, reason = "taking the low byte of a shifted u64 is the intent")]
    fn shift_low(&mut self) {
        if self.low < 0xFF00_0000 || self.low > 0xFFFF_FFFF {
            let carry = (self.low >> 32) as u8;
            let mut temp = self.cache;
            loop {
                self.out.push(temp.wrapping_add(carry));
                temp = 0xFF;
                self.cache_size = self.cache_size.saturating_sub(1);
                if self.cache_size == 0 {
                    break;
                }
            }
            self.cache = (self.low >> 24) as u8;
        }
        self.cache_size = self.cache_size.saturating_add(1);
        self.low = (self.low & 0x00FF_FFFF) << 8;
    }

    /// Flushes and returns the coded bytes. The always-zero first byte of LZMA's scheme is
    /// dropped (the decoder starts from `code = 0` without it).
    pub(crate) fn finish(mut self) -> alloc::vec::Vec<u8> {
        for _ in 0..5 {
            self.shift_low();
        }
        if !self.out.is_empty() {
            self.out.remove(0);
        }
        self.out
    }
}

#[cfg(feature = "std")]
impl Coder for Encoder {
    #[inline]
    fn bit(&mut self, prob: &mut u16, bit: u32) -> u32 {
        let bound = (self.range >> PROB_BITS).wrapping_mul(u32::from(*prob & PROB_MASK));
        if bit == 0 {
            self.range = bound;
        } else {
            self.low = self.low.wrapping_add(u64::from(bound));
            self.range = self.range.wrapping_sub(bound);
        }
        adapt(prob, bit);
        while self.range < TOP {
            self.range <<= 8;
            self.shift_low();
        }
        bit
    }
}
