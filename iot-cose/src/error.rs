//! The crate's error type.

use crate::cbor::{BufferTooSmall, DecodeError};

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong when decoding, verifying or producing COSE objects.
///
/// Errors never carry key material and never echo input bytes; they carry offsets and small codes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not well-formed CBOR of the expected shape.
    #[error("malformed cbor: {0}")]
    Malformed(#[from] DecodeError),
    /// A COSE structure with the wrong number of items or a field of the wrong type.
    #[error("malformed {what}")]
    MalformedStructure {
        /// The structure or field that was wrong.
        what: &'static str,
    },
    /// The message carries a CBOR tag other than the one for the expected structure.
    #[error("unexpected cbor tag {tag}")]
    UnexpectedTag {
        /// The tag found.
        tag: u64,
    },
    /// A header parameter has a value of the wrong type (RFC 9052 section 3.1).
    #[error("header parameter {label} has an invalid value")]
    InvalidHeader {
        /// The label of the parameter.
        label: i64,
    },
    /// A header label appears twice in one map, or in both the protected and the unprotected map.
    #[error("duplicate header label")]
    DuplicateHeader,
    /// A label listed in `crit` that this verifier does not process (RFC 9052 section 3.1).
    #[error("unsupported critical header {label:?}")]
    UnsupportedCriticalHeader {
        /// The integer label, or `None` for a text label.
        label: Option<i64>,
    },
    /// No `alg` header parameter.
    #[error("missing alg header parameter")]
    MissingAlgorithm,
    /// `alg` is in the unprotected bucket but the verify options require it protected.
    #[error("alg header parameter is not protected")]
    UnprotectedAlgorithm,
    /// An algorithm this crate does not implement, or a text-string algorithm.
    #[error("unsupported algorithm {alg:?}")]
    UnsupportedAlgorithm {
        /// The integer algorithm id, or `None` for a text-string algorithm.
        alg: Option<i64>,
    },
    /// The message's algorithm is not the one the key is for.
    #[error("algorithm {actual} does not match the key's algorithm {expected}")]
    AlgorithmMismatch {
        /// The key's algorithm.
        expected: i64,
        /// The message's algorithm.
        actual: i64,
    },
    /// Detached payload expected (the message carries `nil`) but none was given.
    #[error("payload is detached and none was supplied")]
    MissingPayload,
    /// A payload was supplied but the message carries one already.
    #[error("payload is attached and another was supplied")]
    UnexpectedPayload,
    /// The signature or MAC tag has the wrong length for the algorithm.
    #[error("signature is {actual} bytes, expected {expected}")]
    SignatureLength {
        /// Length the algorithm requires.
        expected: usize,
        /// Length found.
        actual: usize,
    },
    /// The signature or MAC does not verify. Deliberately carries no detail.
    #[error("signature verification failed")]
    BadSignature,
    /// A configured limit (header entries, nesting) was exceeded.
    #[error("limit exceeded: {limit}")]
    LimitExceeded {
        /// Which limit.
        limit: &'static str,
    },
    /// The signer (software key, HSM, secure element, remote service) failed.
    #[error("signing failed")]
    Signing(#[source] signature::Error),
    /// The output buffer is too small.
    #[error(transparent)]
    BufferTooSmall(#[from] BufferTooSmall),
    /// A key could not be imported or exported.
    #[error("key error: {0}")]
    Key(#[from] KeyError),
}

/// Why a key could not be imported or exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The COSE_Key is not well-formed CBOR.
    #[error("malformed cose_key: {0}")]
    Malformed(DecodeError),
    /// A required COSE_Key parameter is missing.
    #[error("cose_key lacks parameter {label}")]
    MissingParameter {
        /// The label of the missing parameter.
        label: i64,
    },
    /// A COSE_Key parameter has a value of the wrong type or length.
    #[error("cose_key parameter {label} is invalid")]
    InvalidParameter {
        /// The label of the parameter.
        label: i64,
    },
    /// A key type, curve or algorithm this crate does not implement.
    #[error("unsupported key type or curve")]
    Unsupported,
    /// The key bytes are not a valid key (point not on the curve, zero scalar, weak key).
    #[error("invalid key material")]
    InvalidKey,
    /// PEM, SPKI or PKCS#8 could not be parsed or written.
    #[error("invalid pem / spki / pkcs8 encoding")]
    Pem,
    /// The key is public where a private key is needed, or of the wrong kind.
    #[error("wrong kind of key")]
    WrongKind,
}

impl From<KeyError> for signature::Error {
    fn from(_: KeyError) -> Self {
        signature::Error::new()
    }
}
