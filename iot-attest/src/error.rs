//! The crate's error type.

use iot_cose::cbor::{BufferTooSmall, DecodeError};

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong writing, decoding, verifying or appraising evidence.
///
/// Every rejection of untrusted input has its own variant, so that a verifier can log why a
/// device's evidence was refused without parsing a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token or claims set is not well-formed CBOR (or uses indefinite lengths).
    #[error("malformed cbor: {0}")]
    Cbor(#[from] DecodeError),
    /// The COSE layer refused the token: structure, headers, algorithm or signature.
    #[error("cose: {0}")]
    Cose(#[from] iot_cose::Error),
    /// The outer structure is not a COSE_Sign1 or COSE_Mac0 evidence token.
    #[error("not an evidence token: {0}")]
    NotEvidence(&'static str),
    /// A claim has the wrong type, size or value.
    #[error("claim {claim}: {problem}")]
    InvalidClaim {
        /// The claim's name as the RFCs spell it.
        claim: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A claim the profile requires is absent.
    #[error("missing required claim {0}")]
    MissingClaim(&'static str),
    /// The same key appears twice in one map (RFC 8949 section 5.6: not valid CBOR).
    #[error("duplicate map key at byte {offset}")]
    DuplicateKey {
        /// Offset of the second occurrence in the claims set.
        offset: usize,
    },
    /// An integer, length or tag not in its shortest form where the profile demands preferred
    /// serialization (RFC 9711 section 6.4, the constrained device profile).
    #[error("not in preferred serialization at byte {offset}")]
    NotPreferred {
        /// Offset of the offending head in the claims set.
        offset: usize,
    },
    /// A claim key that is neither an integer nor (where allowed) a text string.
    #[error("claim key at byte {offset} is not an integer")]
    BadClaimKey {
        /// Offset of the key in the claims set.
        offset: usize,
    },
    /// The token names another profile than the one the verifier requires.
    #[error("token profile does not match the required profile")]
    ProfileMismatch,
    /// The COSE envelope is not what the profile allows (for example untagged under PSA).
    #[error("envelope not allowed by the profile: {0}")]
    Envelope(&'static str),
    /// The nonce in the token is not the one the verifier expects.
    #[error("nonce does not match")]
    NonceMismatch,
    /// The verifier expects a nonce and the token has none.
    #[error("token carries no nonce")]
    MissingNonce,
    /// The nonce was never issued, has expired, or was already used.
    #[error("nonce not fresh: {0}")]
    Stale(&'static str),
    /// `exp` is in the past at the validation time.
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future at the validation time.
    #[error("token not yet valid")]
    NotYetValid,
    /// No key is known for this token's kid / instance id / ueid.
    #[error("no verification key for this token")]
    UnknownKey,
    /// The key found does not fit the token (public key for a Mac0, HMAC key for a Sign1).
    #[error("key type does not fit the token")]
    KeyMismatch,
    /// The token's payload is detached and none was supplied (or the reverse).
    #[error("detached payload: {0}")]
    Detached(&'static str),
    /// The output buffer is too small.
    #[error("buffer too small")]
    BufferTooSmall,
    /// A fixed-capacity structure (the measured-boot log) is full.
    #[error("capacity exceeded: {0}")]
    Full(&'static str),
    /// A bound on untrusted input (nesting, entries) was exceeded.
    #[error("limit exceeded: {0}")]
    LimitExceeded(&'static str),
    /// Reference values or an attestation result could not be read.
    #[error("invalid {what}: {problem}")]
    Invalid {
        /// What was being read.
        what: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl From<BufferTooSmall> for Error {
    fn from(_: BufferTooSmall) -> Self {
        Self::BufferTooSmall
    }
}

impl Error {
    pub(crate) const fn claim(claim: &'static str, problem: &'static str) -> Self {
        Self::InvalidClaim { claim, problem }
    }
}
