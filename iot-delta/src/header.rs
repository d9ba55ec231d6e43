//! The fixed 100-byte patch header (FORMAT.md, section "Header").

use crate::error::{Error, Result};

/// The four magic bytes every patch starts with.
pub const MAGIC: [u8; 4] = *b"IOTD";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Length of the header in bytes.
pub const HEADER_LEN: usize = 100;
/// Largest source or target image the format supports (2 GiB - 1).
pub const MAX_IMAGE: u64 = 0x7FFF_FFFF;
/// Identifier of the only codec of version 1: the adaptive binary range coder (FORMAT.md).
pub(crate) const CODEC_RANGE_V1: u8 = 1;

/// A RAM class the patch was made for; chosen at diff time, checked by the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// At most 8 KiB of applier RAM in total (model, buffers and state), for 16 KiB-RAM chips.
    Tiny,
    /// Model tables up to 64 KiB.
    Standard,
}

impl Profile {
    /// The header code.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            Self::Tiny => 0,
            Self::Standard => 1,
        }
    }

    /// The profile for a header code.
    #[must_use]
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::Tiny),
            1 => Some(Self::Standard),
            _ => None,
        }
    }

    /// The name used on the command line and in JSON (`tiny`, `standard`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Tiny => "tiny",
            Self::Standard => "standard",
        }
    }

    /// Most probability slots a patch of this profile may use.
    #[must_use]
    pub const fn max_probs(self) -> usize {
        match self {
            Self::Tiny => crate::TINY_PROBS,
            Self::Standard => crate::STANDARD_PROBS,
        }
    }

    /// Size of each of the applier's three I/O buffers for this profile.
    #[must_use]
    pub const fn buffer(self) -> usize {
        match self {
            Self::Tiny => crate::TINY_BUF,
            Self::Standard => crate::STANDARD_BUF,
        }
    }
}

/// An executable-aware transform applied to both images before matching and undone by the
/// applier while it streams (FORMAT.md, section "Filters").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Filter {
    /// Bytes are matched as they are.
    None,
    /// ARM Thumb-2 `BL` (32-bit branch with link) targets made absolute.
    Thumb2,
    /// AArch64 `BL` targets and `ADRP` pages made absolute.
    Aarch64,
    /// x86 `CALL rel32` (`E8`) and `JMP rel32` (`E9`) targets made absolute.
    X86,
}

impl Filter {
    /// The header code.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Thumb2 => 1,
            Self::Aarch64 => 2,
            Self::X86 => 3,
        }
    }

    /// The filter for a header code.
    #[must_use]
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::None),
            1 => Some(Self::Thumb2),
            2 => Some(Self::Aarch64),
            3 => Some(Self::X86),
            _ => None,
        }
    }

    /// The name used on the command line and in JSON.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Thumb2 => "thumb2",
            Self::Aarch64 => "aarch64",
            Self::X86 => "x86",
        }
    }
}

/// The context sizes of the entropy model (FORMAT.md, section "Model"). The differ picks them
/// per image by measurement; the device only needs enough probability slots for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Params {
    /// log2 of the target bytes per independently coded block (6..=24).
    pub block_log2: u8,
    /// Bits of the previous target byte that select the literal table (0..=8).
    pub lit_bits: u8,
    /// Bits of the next source byte in the zero-flag context (0..=8).
    pub zero_bits: u8,
    /// Bits of the previous source byte in the zero-flag context (0..=8).
    pub prev_bits: u8,
    /// Low bits of the source position in the zero-flag context (0..=2).
    pub align_bits: u8,
    /// Bits of the current source byte that select the difference table (0..=8).
    pub value_bits: u8,
    /// Low bits of the target position that, with `lit_bits - lit_pos_bits` bits of the previous
    /// target byte, select the literal table (0..=2, at most `lit_bits`).
    pub lit_pos_bits: u8,
    /// Low bits of the source position that, with `value_bits - value_pos_bits` bits of the next
    /// source byte, select the difference table (0..=2, at most `value_bits`).
    pub value_pos_bits: u8,
}

/// Probability slots of one value coder: a 5-bit bit-length tree and two adaptive mantissa bits
/// per length.
pub(crate) const VALUE_CODER_PROBS: usize = 32 + 32 * 4;

impl Params {
    /// Checks ranges.
    ///
    /// # Errors
    /// [`Error::InvalidHeader`] naming the field.
    pub const fn validate(&self) -> Result<()> {
        if self.block_log2 < 6 || self.block_log2 > 24 {
            return Err(Error::InvalidHeader("block size"));
        }
        if self.lit_bits > 8 {
            return Err(Error::InvalidHeader("literal context bits"));
        }
        if self.zero_bits > 8 {
            return Err(Error::InvalidHeader("zero-flag context bits"));
        }
        if self.prev_bits > 8 {
            return Err(Error::InvalidHeader("previous-byte context bits"));
        }
        if self.align_bits > 2 {
            return Err(Error::InvalidHeader("alignment context bits"));
        }
        if self.value_bits > 8 {
            return Err(Error::InvalidHeader("difference context bits"));
        }
        if self.lit_pos_bits > 2 || self.lit_pos_bits > self.lit_bits {
            return Err(Error::InvalidHeader("literal position bits"));
        }
        if self.value_pos_bits > 2 || self.value_pos_bits > self.value_bits {
            return Err(Error::InvalidHeader("difference position bits"));
        }
        Ok(())
    }

    /// Probability slots (16 bits each) the model needs. Call on validated params only.
    #[must_use]
    #[expect(clippy::arithmetic_side_effects, reason = "validated fields keep every term below 2^17")]
    pub const fn probs(&self) -> usize {
        (256 << self.lit_bits)
            + (4 << (self.zero_bits + self.align_bits + self.prev_bits))
            + (256 << self.value_bits)
            + 3 * VALUE_CODER_PROBS
    }

    /// Target bytes per block.
    #[must_use]
    pub const fn block_size(&self) -> u64 {
        1 << self.block_log2
    }
}

/// A parsed patch header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The RAM class the patch was made for.
    pub profile: Profile,
    /// The executable filter the device undoes while applying.
    pub filter: Filter,
    /// Entropy model parameters.
    pub params: Params,
    /// Size of the source image in bytes.
    pub source_size: u64,
    /// SHA-256 of the source image.
    pub source_sha256: [u8; 32],
    /// Size of the target image in bytes.
    pub target_size: u64,
    /// SHA-256 of the target image.
    pub target_sha256: [u8; 32],
}

impl Header {
    /// An all-zero placeholder (not a valid patch header).
    pub(crate) const EMPTY: Self = Self {
        profile: Profile::Tiny,
        filter: Filter::None,
        params: Params {
            block_log2: 0,
            lit_bits: 0,
            zero_bits: 0,
            prev_bits: 0,
            align_bits: 0,
            value_bits: 0,
            lit_pos_bits: 0,
            value_pos_bits: 0,
        },
        source_size: 0,
        source_sha256: [0; 32],
        target_size: 0,
        target_sha256: [0; 32],
    };

    /// Parses and validates the first [`HEADER_LEN`] bytes of a patch.
    ///
    /// # Errors
    /// [`Error::Truncated`] when fewer bytes are given, [`Error::BadMagic`],
    /// [`Error::UnsupportedVersion`], [`Error::InvalidHeader`] or [`Error::TooLarge`].
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let h: &[u8; HEADER_LEN] = bytes.get(..HEADER_LEN).and_then(|b| b.try_into().ok()).ok_or(Error::Truncated)?;
        let &[
            m0,
            m1,
            m2,
            m3,
            version,
            profile,
            filter,
            codec,
            block_log2,
            lit_bits,
            zero_bits,
            align_bits,
            value_bits,
            prev_bits,
            lit_pos_bits,
            value_pos_bits,
            ref rest @ ..,
        ] = h;
        if [m0, m1, m2, m3] != MAGIC {
            return Err(Error::BadMagic);
        }
        if version != FORMAT_VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        let profile = Profile::from_code(profile).ok_or(Error::InvalidHeader("profile"))?;
        let filter = Filter::from_code(filter).ok_or(Error::InvalidHeader("filter"))?;
        if codec != CODEC_RANGE_V1 {
            return Err(Error::InvalidHeader("codec"));
        }
        let params =
            Params { block_log2, lit_bits, zero_bits, prev_bits, align_bits, value_bits, lit_pos_bits, value_pos_bits };
        params.validate()?;
        if params.probs() > profile.max_probs() {
            return Err(Error::InvalidHeader("model larger than its profile allows"));
        }
        let mut cur = Cursor(rest);
        let source_size = u64::from_le_bytes(cur.take());
        let source_sha256 = cur.take();
        let target_size = u64::from_le_bytes(cur.take());
        let target_sha256 = cur.take();
        let ram = u32::from_le_bytes(cur.take());
        if source_size > MAX_IMAGE || target_size > MAX_IMAGE {
            return Err(Error::TooLarge);
        }
        let header = Self { profile, filter, params, source_size, source_sha256, target_size, target_sha256 };
        if ram != header.ram_bytes() {
            return Err(Error::InvalidHeader("ram bytes"));
        }
        Ok(header)
    }

    /// The header's bytes.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let p = &self.params;
        let head = [
            MAGIC[0],
            MAGIC[1],
            MAGIC[2],
            MAGIC[3],
            FORMAT_VERSION,
            self.profile.code(),
            self.filter.code(),
            CODEC_RANGE_V1,
            p.block_log2,
            p.lit_bits,
            p.zero_bits,
            p.align_bits,
            p.value_bits,
            p.prev_bits,
            p.lit_pos_bits,
            p.value_pos_bits,
        ];
        let parts: [&[u8]; 6] = [
            &head,
            &self.source_size.to_le_bytes(),
            &self.source_sha256,
            &self.target_size.to_le_bytes(),
            &self.target_sha256,
            &self.ram_bytes().to_le_bytes(),
        ];
        let mut rest = &mut out[..];
        for part in parts {
            let (dst, tail) = rest.split_at_mut(part.len());
            dst.copy_from_slice(part);
            rest = tail;
        }
        out
    }

    /// Bytes of RAM the smallest applier for this patch's profile needs: the model tables, the
    /// profile's three I/O buffers and the fixed state (FORMAT.md, section "RAM").
    #[must_use]
    pub fn ram_bytes(&self) -> u32 {
        let probs = self.params.probs();
        let total = probs
            .saturating_mul(2)
            .saturating_add(self.profile.buffer().saturating_mul(3))
            .saturating_add(crate::apply::FIXED_STATE);
        u32::try_from(total).unwrap_or(u32::MAX)
    }

    /// Number of coded blocks in the body.
    #[must_use]
    pub const fn blocks(&self) -> u64 {
        self.target_size.div_ceil(self.params.block_size())
    }

    /// The first eight bytes of SHA-256 over the header bytes: binds a checkpoint to its patch.
    #[must_use]
    pub fn tag(&self) -> [u8; 8] {
        crate::sha::prefix(&self.to_bytes())
    }
}

/// Reads fixed-size fields from a buffer whose length was checked by the caller; a short read
/// yields zeros, which the header and checkpoint checks then reject.
pub(crate) struct Cursor<'a>(pub(crate) &'a [u8]);

impl Cursor<'_> {
    pub(crate) fn take<const K: usize>(&mut self) -> [u8; K] {
        let mut out = [0u8; K];
        if let Some((head, tail)) = self.0.split_at_checked(K) {
            out.copy_from_slice(head);
            self.0 = tail;
        }
        out
    }
}
