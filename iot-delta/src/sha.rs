//! SHA-256 whose state can be saved in a checkpoint: the eight chaining words and the byte
//! count, taken only at 64-byte boundaries (block boundaries are multiples of 64 bytes).

use sha2::block_api::compress256;

const H0: [u32; 8] =
    [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19];

/// Incremental SHA-256.
#[derive(Debug, Clone)]
pub(crate) struct Sha256 {
    state: [u32; 8],
    len: u64,
    buf: [u8; 64],
    fill: usize,
}

impl Sha256 {
    pub(crate) const fn new() -> Self {
        Self { state: H0, len: 0, buf: [0; 64], fill: 0 }
    }

    /// Starts over, in place.
    pub(crate) fn reset(&mut self) {
        self.state = H0;
        self.len = 0;
        self.fill = 0;
    }

    /// A placeholder with an all-zero state (so a `static` applier lands in `.bss`); replaced
    /// by [`Self::reset`] or [`Self::restore`] before any use.
    pub(crate) const fn zeroed() -> Self {
        Self { state: [0; 8], len: 0, buf: [0; 64], fill: 0 }
    }

    /// Restores, in place, a state taken at a 64-byte boundary: [`Self::chaining`] and the byte
    /// count.
    pub(crate) const fn restore(&mut self, state: &[u32; 8], len: u64) {
        self.state = *state;
        self.len = len;
        self.fill = 0;
    }

    /// Whether no partial block is buffered: the byte count is a multiple of 64, and
    /// [`Self::chaining`] with it is the whole state.
    pub(crate) const fn at_boundary(&self) -> bool {
        self.fill == 0
    }

    /// The chaining state (the whole state when the length is a multiple of 64).
    pub(crate) const fn chaining(&self) -> &[u32; 8] {
        &self.state
    }

    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.len = self.len.wrapping_add(u64::try_from(data.len()).unwrap_or(0));
        if self.fill > 0 {
            // 0 < fill < 64 here, and fill + head.len() <= 64
            let want = 64usize.wrapping_sub(self.fill);
            let (head, tail) = data.split_at(want.min(data.len()));
            if let Some(dst) = self.buf.get_mut(self.fill..self.fill.wrapping_add(head.len())) {
                dst.copy_from_slice(head);
            }
            self.fill = self.fill.wrapping_add(head.len());
            data = tail;
            if self.fill < 64 {
                return;
            }
            compress256(&mut self.state, core::slice::from_ref(&self.buf));
            self.fill = 0;
        }
        let mut blocks = data.chunks_exact(64);
        for block in blocks.by_ref() {
            if let Ok(b) = <&[u8; 64]>::try_from(block) {
                compress256(&mut self.state, core::slice::from_ref(b));
            }
        }
        let rem = blocks.remainder();
        if let Some(dst) = self.buf.get_mut(..rem.len()) {
            dst.copy_from_slice(rem);
        }
        self.fill = rem.len();
    }

    /// The digest. Finishes in place (no copy of the state on the device); the hasher is spent
    /// afterwards until [`Self::reset`].
    pub(crate) fn finish(&mut self) -> [u8; 32] {
        let len = self.len;
        // Padding a byte at a time: at most 64 calls once per digest, and no padding buffer in
        // the device's flash or stack.
        self.update(&[0x80]);
        while self.fill != 56 {
            self.update(&[0]);
        }
        self.update(&len.wrapping_mul(8).to_be_bytes());
        self.len = len;
        let mut out = [0u8; 32];
        for (o, w) in out.chunks_exact_mut(4).zip(&self.state) {
            if let [a, b, c, d] = o {
                [*a, *b, *c, *d] = w.to_be_bytes();
            }
        }
        out
    }
}

/// The first `N` bytes of SHA-256 over `data` (tags and check bytes).
pub(crate) fn prefix<const N: usize>(data: &[u8]) -> [u8; N] {
    let mut h = Sha256::new();
    h.update(data);
    let digest = h.finish();
    let mut out = [0u8; N];
    for (o, d) in out.iter_mut().zip(digest) {
        *o = d;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::Sha256;
    use sha2::Digest as _;

    #[test]
    fn matches_sha2_across_splits_resumes_and_resets() {
        let mut data = [0u8; 1000];
        for (i, d) in (0u32..).zip(data.iter_mut()) {
            *d = (i.wrapping_mul(7919) >> 3).to_le_bytes()[0];
        }
        for cut in [0usize, 1, 55, 56, 63, 64, 65, 128, 999, 1000] {
            let mut h = Sha256::new();
            h.update(&data[..cut]);
            h.update(&data[cut..]);
            assert_eq!(h.finish().as_slice(), sha2::Sha256::digest(data).as_slice(), "cut {cut}");
        }
        // A checkpoint keeps the chaining state at a 64-byte boundary; restoring it resumes.
        for at in [0usize, 64, 640, 960] {
            let mut h = Sha256::new();
            h.update(&data[..at]);
            let state = *h.chaining();
            let mut r = Sha256::zeroed();
            r.restore(&state, u64::try_from(at).unwrap());
            r.update(&data[at..]);
            assert_eq!(r.finish().as_slice(), sha2::Sha256::digest(data).as_slice(), "resume at {at}");
        }
        // A spent hasher starts over after `reset`.
        let mut h = Sha256::new();
        h.update(&data[..100]);
        let _ = h.finish();
        h.reset();
        h.update(&data);
        assert_eq!(h.finish().as_slice(), sha2::Sha256::digest(data).as_slice());
    }
}
