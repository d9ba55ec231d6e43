//! The context model of a block (FORMAT.md, section "Model"), shared by the differ's encoder
//! and the applier's decoder through [`Coder`].

use crate::header::{Params, VALUE_CODER_PROBS};
use crate::rc::{Coder, PROB_INIT};

/// Where each table starts in the flat probability array.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    lit: usize,
    zero: usize,
    val: usize,
    ins: usize,
    cov: usize,
    seek: usize,
    end: usize,
    lit_shift: u32,
    next_shift: u32,
    prev_shift: u32,
    prev_at: u32,
    align_mask: u64,
    align_bits: u32,
    val_shift: u32,
    lit_pos_bits: u8,
    val_pos_bits: u8,
}

/// Bits of a value coder's bit-length tree.
const LEN_BITS: u32 = 5;

impl Layout {
    /// The layout of validated params.
    pub(crate) fn new(p: &Params) -> Self {
        // `p` is validated (every bit count at most 8, position bits at most the bits they are
        // part of), so no table offset or shift below can overflow: wrapping operations are
        // exact here and keep the device code free of saturation checks.
        let lit = 0usize;
        let zero = lit.wrapping_add(256 << p.lit_bits);
        let val = zero.wrapping_add(4 << p.zero_bits.wrapping_add(p.align_bits).wrapping_add(p.prev_bits));
        let ins = val.wrapping_add(256 << p.value_bits);
        let cov = ins.wrapping_add(VALUE_CODER_PROBS);
        let seek = cov.wrapping_add(VALUE_CODER_PROBS);
        let end = seek.wrapping_add(VALUE_CODER_PROBS);
        Self {
            lit,
            zero,
            val,
            ins,
            cov,
            seek,
            end,
            // the previous byte's share of the literal context; the rest is the position
            lit_shift: 8u32.wrapping_sub(u32::from(p.lit_bits.wrapping_sub(p.lit_pos_bits))),
            next_shift: 8u32.wrapping_sub(u32::from(p.zero_bits)),
            prev_shift: 8u32.wrapping_sub(u32::from(p.prev_bits)),
            prev_at: u32::from(p.zero_bits).wrapping_add(u32::from(p.align_bits)).wrapping_add(2),
            align_mask: (1u64 << p.align_bits).wrapping_sub(1),
            align_bits: u32::from(p.align_bits),
            val_shift: 8u32.wrapping_sub(u32::from(p.value_bits.wrapping_sub(p.value_pos_bits))),
            lit_pos_bits: p.lit_pos_bits,
            val_pos_bits: p.value_pos_bits,
        }
    }

    /// Slots used.
    pub(crate) const fn len(&self) -> usize {
        self.end
    }

    /// Resets the tables used by a block to one half.
    pub(crate) fn reset(&self, probs: &mut [u16]) {
        for p in probs.iter_mut().take(self.end) {
            *p = PROB_INIT;
        }
    }

    /// Codes an insert length.
    pub(crate) fn insert_len<C: Coder>(&self, c: &mut C, probs: &mut [u16], v: u32) -> u32 {
        value(c, probs, self.ins, v)
    }

    /// Codes a cover length minus one.
    pub(crate) fn cover_len<C: Coder>(&self, c: &mut C, probs: &mut [u16], v: u32) -> u32 {
        value(c, probs, self.cov, v)
    }

    /// Codes a zigzag-mapped source seek.
    pub(crate) fn seek<C: Coder>(&self, c: &mut C, probs: &mut [u16], v: u32) -> u32 {
        value(c, probs, self.seek, v)
    }

    /// Codes one literal (inserted) byte in the context of the previous target byte and of its
    /// own target position `pos`.
    pub(crate) fn literal<C: Coder>(&self, c: &mut C, probs: &mut [u16], prev: u8, pos: u64, byte: u8) -> u8 {
        let at = low_bits(pos, self.lit_pos_bits);
        let ctx = usize::from(prev).wrapping_shr(self.lit_shift) << self.lit_pos_bits | at;
        let table = self.lit.wrapping_add(ctx << 8);
        low_byte(tree8(c, probs, table, u32::from(byte)))
    }

    /// Codes the difference `target - source` of one covered byte. `hist` holds the nonzero
    /// flags of the two previous differences; `pos` is the source position, `cur` the source
    /// byte there and `next` the one after it (0 past the end).
    #[expect(clippy::too_many_arguments, reason = "the context is five values; a struct would be rebuilt per byte")]
    #[inline(always)]
    pub(crate) fn diff<C: Coder>(
        &self,
        c: &mut C,
        probs: &mut [u16],
        hist: &mut u32,
        last: &mut [u8; 4],
        pos: u64,
        before: u8,
        cur: u8,
        next: u8,
        diff: u8,
    ) -> u8 {
        let align = usize::try_from(pos & self.align_mask).unwrap_or(0);
        let ctx = usize::try_from(*hist & 3).unwrap_or(0)
            | align << 2
            | usize::from(next).wrapping_shr(self.next_shift) << (2u32.wrapping_add(self.align_bits))
            | usize::from(before).wrapping_shr(self.prev_shift) << self.prev_at;
        let nonzero = bit_at(c, probs, self.zero.wrapping_add(ctx), u32::from(diff != 0));
        *hist = (*hist << 1 | nonzero) & 3;
        if nonzero == 0 {
            return 0;
        }
        let _ = cur;
        let at = low_bits(pos, self.val_pos_bits);
        let vctx = usize::from(next).wrapping_shr(self.val_shift) << self.val_pos_bits | at;
        let table = self.val.wrapping_add(vctx << 8);
        let slot = usize::try_from(pos & 3).unwrap_or(0);
        let prev = last.get(slot).copied().unwrap_or(0);
        let same = bit_at(c, probs, table, u32::from(diff == prev));
        if same == 1 {
            return prev;
        }
        let v = tree8(c, probs, table, u32::from(diff.wrapping_sub(1)));
        let d = low_byte(v).wrapping_add(1);
        if let Some(l) = last.get_mut(slot) {
            *l = d;
        }
        d
    }
}

/// The low `bits` (at most 2) bits of a position.
#[inline]
fn low_bits(pos: u64, bits: u8) -> usize {
    usize::from(pos.to_le_bytes()[0] & !(0xFFu8 << bits))
}

#[inline]
fn low_byte(v: u32) -> u8 {
    v.to_le_bytes()[0]
}

/// Codes a bit with slot `i`; an index past the table (impossible once the layout has been
/// checked against the capacity) codes a fixed one-half bit instead of panicking.
#[inline]
fn bit_at<C: Coder>(c: &mut C, probs: &mut [u16], i: usize, bit: u32) -> u32 {
    match probs.get_mut(i) {
        Some(p) => c.bit(p, bit),
        None => c.direct(bit),
    }
}

/// An 8-bit binary tree of 255 slots at `base + 1 ..= base + 255`.
#[inline]
fn tree8<C: Coder>(c: &mut C, probs: &mut [u16], base: usize, sym: u32) -> u32 {
    let mut m = 1u32;
    for i in (0..8).rev() {
        let b = bit_at(c, probs, base.wrapping_add(usize::try_from(m).unwrap_or(0)), (sym >> i) & 1);
        m = (m << 1) | b;
    }
    m & 0xFF
}

/// Codes `v` in `0 ..= u32::MAX - 1`: the bit length of `v + 1` with a 5-bit tree, its next two
/// bits with slots per length, and the rest at one half.
fn value<C: Coder>(c: &mut C, probs: &mut [u16], base: usize, v: u32) -> u32 {
    let x = v.saturating_add(1);
    let nb = 31u32.saturating_sub(x.leading_zeros());
    let mut m = 1u32;
    for i in (0..LEN_BITS).rev() {
        let b = bit_at(c, probs, base.wrapping_add(usize::try_from(m).unwrap_or(0)), (nb >> i) & 1);
        m = (m << 1) | b;
    }
    let nb = m & 31;
    let mut out = 1u32;
    let mant = base.wrapping_add(32).wrapping_add(usize::try_from(nb).unwrap_or(0).wrapping_mul(4));
    let mut node = 1usize;
    for i in (0..nb).rev() {
        let bit = (x >> i) & 1;
        let b = if nb.wrapping_sub(i) <= 2 {
            let b = bit_at(c, probs, mant.wrapping_add(node), bit);
            node = (node << 1) | usize::try_from(b).unwrap_or(0);
            b
        } else {
            c.direct(bit)
        };
        out = (out << 1) | b;
    }
    out.wrapping_sub(1)
}
