//! The crate's error type.

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong when reading, applying or building a patch.
///
/// Every variant leaves the target *not complete*: the applier only reports
/// [`Event::Done`](crate::Event::Done) after the whole target has been written and its SHA-256
/// equals the one in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The patch does not start with the `IOTD` magic.
    #[error("not an iot-delta patch (bad magic)")]
    BadMagic,
    /// The format version is not one this build reads.
    #[error("unsupported patch format version {0}")]
    UnsupportedVersion(u8),
    /// A header field has a value this format version does not define.
    #[error("invalid patch header field: {0}")]
    InvalidHeader(&'static str),
    /// The patch was made with an executable filter that this applier was built without (the
    /// `filters` feature).
    #[error("patch uses the {} filter, which this applier was built without", .0.name())]
    UnsupportedFilter(crate::Filter),
    /// The patch needs more model memory than this applier was built with.
    #[error("patch needs {needed} probability slots, this applier has {available}")]
    ModelTooLarge {
        /// Slots the patch's model needs.
        needed: usize,
        /// Slots the applier was compiled with (its `PROBS` const parameter).
        available: usize,
    },
    /// The source image has a different size than the patch was made from.
    #[error("source is {actual} bytes, the patch was made from {expected} bytes")]
    SourceSize {
        /// Size recorded in the patch.
        expected: u64,
        /// Size of the source offered.
        actual: u64,
    },
    /// The source image's SHA-256 differs from the one in the patch (wrong base image).
    #[error("source image digest mismatch (wrong base image)")]
    SourceDigest,
    /// The rebuilt target's SHA-256 differs from the one in the patch.
    #[error("target image digest mismatch")]
    TargetDigest,
    /// The patch body is corrupt: an instruction points outside the source or the block, or a
    /// block's coded length does not match what its instructions consumed.
    #[error("corrupt patch: {0}")]
    Corrupt(&'static str),
    /// The patch ended before the target was complete.
    #[error("patch is truncated")]
    Truncated,
    /// Bytes were fed after the patch was complete.
    #[error("trailing bytes after the end of the patch")]
    TrailingData,
    /// A checkpoint is damaged, or belongs to another patch.
    #[error("checkpoint rejected: {0}")]
    Checkpoint(&'static str),
    /// The applier was used after it reported an error.
    #[error("applier already failed")]
    Failed,
    /// Reading the source failed (the platform's error).
    #[error("source read failed at offset {offset}")]
    SourceRead {
        /// Offset of the failed read.
        offset: u64,
    },
    /// Writing the target failed (the platform's error).
    #[error("target write failed at offset {offset}")]
    TargetWrite {
        /// Offset of the failed write.
        offset: u64,
    },
    /// An image is larger than the format supports (2 GiB - 1 in version 1).
    #[error("image too large for the patch format")]
    TooLarge,
    /// The differ was given options it cannot honour.
    #[error("invalid differ option: {0}")]
    InvalidOption(&'static str),
}
