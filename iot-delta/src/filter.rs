//! Executable filters (FORMAT.md, section "Filters"): branch instructions whose relative target
//! is rewritten as an absolute one, so that code which moved calls the same functions with the
//! same bytes. Images are filtered in 64-byte chunks at multiples of 64 of the image offset;
//! no rewritten instruction crosses a chunk boundary, and each filter decides from bits the
//! rewrite keeps, so a chunk converts and restores on its own. That is what lets the applier
//! filter source reads at random offsets and unfilter the target while it streams.

use crate::header::Filter;

/// The filters' unit: images are filtered chunk by chunk, and blocks, source reads and target
/// writes of a filtered patch are aligned to it.
pub(crate) const CHUNK: usize = 64;
/// `CHUNK - 1`, to round an image offset down to a chunk boundary.
pub(crate) const CHUNK_MASK: u32 = 63;

/// Without the `filters` feature only [`Filter::None`] reaches here (the applier refuses the
/// others first), and nothing is rewritten.
#[cfg(not(feature = "filters"))]
pub(crate) const fn run(_: Filter, _: &mut [u8], _: u64, _: bool) {}

/// Rewrites the instructions of `buf`, whose first byte is at image offset `at` (a multiple of
/// [`CHUNK`]; `buf` ends at a chunk boundary or at the end of the image): relative targets become
/// absolute (`encode`) or back.
#[cfg(feature = "filters")]
pub(crate) fn run(filter: Filter, buf: &mut [u8], at: u64, encode: bool) {
    if filter == Filter::None {
        return;
    }
    for (n, chunk) in buf.chunks_mut(CHUNK).enumerate() {
        let base = at.wrapping_add(u64::try_from(n.wrapping_mul(CHUNK)).unwrap_or(0));
        let at = |i: usize| base.wrapping_add(u64::try_from(i).unwrap_or(0));
        match filter {
            Filter::Thumb2 => {
                let mut i = 0usize;
                while let Some(ins) = chunk.get_mut(i..i.wrapping_add(4)) {
                    // the pattern test first: most halfwords are not a `BL`
                    if let [_, b1, _, b3] = *ins {
                        if b1 & 0xF8 == 0xF0 && b3 & 0xF8 == 0xF8 {
                            if let Ok(ins) = <&mut [u8; 4]>::try_from(ins) {
                                thumb2(ins, at(i), encode);
                            }
                        }
                    }
                    i = i.wrapping_add(2);
                }
            }
            Filter::Aarch64 => {
                for (j, ins) in chunk.chunks_exact_mut(4).enumerate() {
                    if let Ok(ins) = <&mut [u8; 4]>::try_from(ins) {
                        aarch64(ins, at(j.wrapping_mul(4)), encode);
                    }
                }
            }
            Filter::X86 => {
                let mut i = 0usize;
                while let Some(ins) = chunk.get_mut(i..i.wrapping_add(5)) {
                    let taken = <&mut [u8; 5]>::try_from(ins).is_ok_and(|ins| x86(ins, at(i), encode));
                    i = i.wrapping_add(if taken { 5 } else { 1 });
                }
            }
            Filter::None => {}
        }
    }
}

/// Whether `image` has enough of the filter's instructions to be code of its instruction set: at
/// least twice as many pattern matches as random bytes would give (1 in 1,024 halfwords for
/// Thumb-2 `BL`, 1 in 64 words for AArch64 `BL`, 1 in 128 bytes for x86 `E8`/`E9`). Thumb-2 and
/// AArch64 firmware shows 3x to 57x; the differ only tries a filter where this holds, then keeps
/// whichever patch is smallest.
#[cfg(feature = "std")]
pub(crate) fn plausible(filter: Filter, image: &[u8]) -> bool {
    let n = image.len();
    let (hits, slots, chance) = match filter {
        Filter::None => return true,
        Filter::Thumb2 => (
            image
                .chunks_exact(2)
                .zip(image.get(2..).unwrap_or(&[]).chunks_exact(2))
                .filter(|(a, b)| matches!((a, b), ([_, h1], [_, h2]) if h1 & 0xF8 == 0xF0 && h2 & 0xF8 == 0xF8))
                .count(),
            n / 2,
            1024,
        ),
        Filter::Aarch64 => {
            (image.chunks_exact(4).filter(|w| matches!(w, [_, _, _, top] if top & 0xFC == 0x94)).count(), n / 4, 64)
        }
        Filter::X86 => (image.iter().filter(|&&b| matches!(b, 0xE8 | 0xE9)).count(), n, 128),
    };
    hits.saturating_mul(chance) >= slots.saturating_mul(2) && hits > 0
}

/// Thumb-2 `BL` with J1 = J2 = 1 (every offset within +-4 MiB): first halfword `11110 S imm10`,
/// second `11111 imm11`, little-endian. The 22-bit halfword offset is taken relative to the
/// instruction's address + 4.
#[cfg(feature = "filters")]
fn thumb2(b: &mut [u8; 4], p: u64, encode: bool) {
    let [b0, b1, b2, b3] = *b;
    if b1 & 0xF8 != 0xF0 || b3 & 0xF8 != 0xF8 {
        return;
    }
    let v = (u32::from(b1 & 7) << 19) | (u32::from(b0) << 11) | (u32::from(b3 & 7) << 8) | u32::from(b2);
    #[expect(clippy::as_conversions, clippy::cast_possible_truncation, reason = "addresses are taken mod 2^32")]
    let pc = (p.wrapping_add(4) >> 1) as u32;
    let d = if encode { v.wrapping_add(pc) } else { v.wrapping_sub(pc) };
    *b = [
        (d >> 11).to_le_bytes()[0],
        0xF0 | ((d >> 19) & 7).to_le_bytes()[0],
        d.to_le_bytes()[0],
        0xF8 | ((d >> 8) & 7).to_le_bytes()[0],
    ];
}

/// AArch64 `BL` (`100101 imm26`, word offset) and `ADRP` (`1 immlo 10000 immhi Rd`, 4 KiB page
/// offset), both relative to the instruction's own address.
#[cfg(feature = "filters")]
fn aarch64(b: &mut [u8; 4], p: u64, encode: bool) {
    let w = u32::from_le_bytes(*b);
    #[expect(clippy::as_conversions, clippy::cast_possible_truncation, reason = "addresses are taken mod 2^32")]
    let (word, page) = ((p >> 2) as u32, (p >> 12) as u32);
    let add = |v: u32, pc: u32| if encode { v.wrapping_add(pc) } else { v.wrapping_sub(pc) };
    let out = if w & 0xFC00_0000 == 0x9400_0000 {
        0x9400_0000 | (add(w, word) & 0x03FF_FFFF)
    } else if w & 0x9F00_0000 == 0x9000_0000 {
        let imm = ((w >> 29) & 3) | ((w >> 3) & 0x001F_FFFC);
        let d = add(imm, page);
        (w & 0x9F00_001F) | ((d & 3) << 29) | ((d & 0x001F_FFFC) << 3)
    } else {
        return;
    };
    *b = out.to_le_bytes();
}

/// x86 `CALL rel32` (`E8`) and `JMP rel32` (`E9`), relative to the next instruction. Scanning goes
/// left to right and every opcode byte with 4 more bytes in the chunk is taken, its operand
/// skipped: the decision reads only the opcode byte, which no rewrite changes, so the decoder
/// finds the same instructions. (A test of the displacement's top byte, as LZMA's BCJ makes,
/// would read an operand byte that a later rewrite may change.)
#[cfg(feature = "filters")]
fn x86(b: &mut [u8; 5], p: u64, encode: bool) -> bool {
    let [op, b1, b2, b3, b4] = *b;
    if !matches!(op, 0xE8 | 0xE9) {
        return false;
    }
    let v = u32::from_le_bytes([b1, b2, b3, b4]);
    #[expect(clippy::as_conversions, clippy::cast_possible_truncation, reason = "addresses are taken mod 2^32")]
    let pc = p.wrapping_add(5) as u32;
    let d = if encode { v.wrapping_add(pc) } else { v.wrapping_sub(pc) };
    let [c1, c2, c3, c4] = d.to_le_bytes();
    *b = [op, c1, c2, c3, c4];
    true
}

#[cfg(all(test, feature = "filters"))]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::as_conversions,
        clippy::cast_possible_truncation,
        clippy::std_instead_of_alloc,
        reason = "test code (std is linked for tests)"
    )]
    use super::*;
    use std::vec::Vec;

    #[test]
    fn thumb2_bl_becomes_absolute_and_back() {
        // `bl` at 0x100 to 0x2000: offset 0x2000 - 0x104 = 0x1EFC, halfwords 0xF7E.
        let mut code = [0u8; 0x140];
        let off = 0xF7Eu32;
        code[0x100..0x104].copy_from_slice(&[
            (off >> 11) as u8,
            0xF0 | ((off >> 19) & 7) as u8,
            off as u8,
            0xF8 | ((off >> 8) & 7) as u8,
        ]);
        let orig = code;
        run(Filter::Thumb2, &mut code, 0, true);
        let abs = 0x2000u32 >> 1;
        assert_eq!(code[0x100..0x104], [(abs >> 11) as u8, 0xF0, abs as u8, 0xF8 | ((abs >> 8) & 7) as u8]);
        run(Filter::Thumb2, &mut code, 0, false);
        assert_eq!(code, orig);
    }

    #[test]
    fn thumb2_leaves_an_instruction_across_a_chunk_boundary() {
        let mut code = [0u8; 128];
        code[62..66].copy_from_slice(&[0x00, 0xF0, 0x10, 0xF8]);
        let orig = code;
        run(Filter::Thumb2, &mut code, 0, true);
        assert_eq!(code, orig);
    }

    #[test]
    fn aarch64_bl_and_adrp() {
        // bl +0x40 at 0x1000; adrp x0, +1 page at 0x2000
        let mut code = std::vec![0u8; 0x2040];
        code[0x1000..0x1004].copy_from_slice(&(0x9400_0010u32).to_le_bytes());
        code[0x2000..0x2004].copy_from_slice(&(0xB000_0000u32).to_le_bytes()); // immlo = 1
        let orig = code.clone();
        run(Filter::Aarch64, &mut code, 0, true);
        assert_eq!(u32::from_le_bytes(code[0x1000..0x1004].try_into().unwrap()), 0x9400_0010 + 0x400);
        // page 2 + 1 = 3: immlo = 3, immhi = 0
        assert_eq!(u32::from_le_bytes(code[0x2000..0x2004].try_into().unwrap()), 0xF000_0000);
        run(Filter::Aarch64, &mut code, 0, false);
        assert_eq!(code, orig);
    }

    #[test]
    fn x86_call_and_jmp() {
        // call -16 at 0x40 (next instruction at 0x45): absolute 0x35; jmp +0x100 at 0x80
        let mut code = [0x90u8; 0xC0];
        code[0x40..0x45].copy_from_slice(&[0xE8, 0xF0, 0xFF, 0xFF, 0xFF]);
        code[0x80..0x85].copy_from_slice(&[0xE9, 0x00, 0x01, 0x00, 0x00]);
        let orig = code;
        run(Filter::X86, &mut code, 0, true);
        assert_eq!(code[0x40..0x45], [0xE8, 0x35, 0x00, 0x00, 0x00]);
        assert_eq!(code[0x80..0x85], [0xE9, 0x85, 0x01, 0x00, 0x00]);
        run(Filter::X86, &mut code, 0, false);
        assert_eq!(code, orig);
        // an opcode byte whose operand would cross the chunk boundary is left alone
        let mut edge = [0u8; 128];
        edge[60..65].copy_from_slice(&[0xE8, 1, 0, 0, 0]);
        let before = edge;
        run(Filter::X86, &mut edge, 0, true);
        assert_eq!(edge, before);
    }

    /// Random bytes biased towards the filters' opcode bytes, so that many instructions match
    /// and overlap.
    fn noisy(len: usize, mut x: u32) -> Vec<u8> {
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                [0xF0, 0xF8, 0x94, 0x90, 0xE8, 0xE9, 0x00, 0xFF, x.to_le_bytes()[1]][(x % 9) as usize]
            })
            .collect()
    }

    #[test]
    fn chunks_agree_with_the_whole_image_and_restore() {
        for (len, seed) in [(4096usize, 1u32), (1000, 7), (63, 9), (0, 3)] {
            let img = noisy(len, seed);
            for filter in [Filter::Thumb2, Filter::Aarch64, Filter::X86] {
                let mut whole = img.clone();
                run(filter, &mut whole, 0, true);
                assert!(len < 1000 || whole != img, "{filter:?} matched nothing");
                // any run of whole chunks, and the tail, converts as in the whole image
                for (start, n) in [(0usize, 64usize), (64, 192), (960, 4096), (128, 64)] {
                    let (s, e) = (start.min(len), (start + n).min(len));
                    let mut w = img[s..e].to_vec();
                    run(filter, &mut w, s as u64, true);
                    assert_eq!(w, whole[s..e], "{filter:?} {s}..{e}");
                    run(filter, &mut w, s as u64, false);
                    assert_eq!(w, img[s..e]);
                }
                run(filter, &mut whole, 0, false);
                assert_eq!(whole, img, "{filter:?}");
            }
        }
    }
}
