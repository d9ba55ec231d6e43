//! Error types. None of them allocates: context is offsets, indices and small codes.

use iot_cose::cbor::DecodeError;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Why a JSON Pointer (RFC 6901) is invalid or does not resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PointerError {
    /// Not `""` and not starting with `/` (section 3).
    #[error("a non-empty pointer must start with '/'")]
    MissingSlash,
    /// `~` not followed by `0` or `1` (section 3), at this byte offset.
    #[error("invalid escape at byte {offset}")]
    BadEscape {
        /// Byte offset of the `~`.
        offset: usize,
    },
    /// A URI fragment with bad percent-encoding or not UTF-8 (section 6).
    #[error("invalid uri fragment")]
    BadFragment,
    /// An array index that is not `0` or a number without leading zeros (section 4).
    #[error("invalid array index")]
    BadIndex,
    /// An array index past the end.
    #[error("array index out of range")]
    OutOfRange,
    /// `-` (the element after the last) where an existing element is needed (section 4).
    #[error("'-' does not name an existing element")]
    EndOfArray,
    /// An object member that does not exist.
    #[error("no such member")]
    NotFound,
    /// A token applied to a value that is neither object nor array.
    #[error("cannot descend into a scalar")]
    NotContainer,
}

/// Why one JSON Patch operation (RFC 6902) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatchError {
    /// The patch is not an array of operation objects, an `op` is unknown, or a member that the
    /// operation needs (`path`, `from`, `value`) is missing or has the wrong type (section 4).
    #[error("malformed operation: {what}")]
    Malformed {
        /// What is wrong.
        what: &'static str,
    },
    /// `path` or `from` is not a valid pointer or does not resolve.
    #[error("pointer: {0}")]
    Pointer(#[from] PointerError),
    /// A `test` operation found a different value (section 4.6).
    #[error("test failed")]
    TestFailed,
    /// `move` into one of the source's own children (section 4.4).
    #[error("cannot move a value into its own child")]
    MoveIntoChild,
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A JSON Patch failed at operation `op` (0-based); the document was left unchanged.
    #[error("patch operation {op} failed: {kind}")]
    Patch {
        /// Index of the failing operation.
        op: usize,
        /// Why it failed.
        kind: PatchError,
    },
    /// A pointer is invalid or does not resolve.
    #[error("pointer: {0}")]
    Pointer(#[from] PointerError),
    /// The document is larger than the limit (bytes of compact JSON).
    #[error("document is {size} bytes, limit {limit}")]
    TooLarge {
        /// Size found.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The document nests deeper than the limit.
    #[error("document nests {depth} levels, limit {limit}")]
    TooDeep {
        /// Depth found.
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// A member name is too long or contains a forbidden character.
    #[error("invalid member name")]
    BadKey,
    /// A value is out of the profile's range (integer range, string length, `null` in an array).
    #[error("invalid value")]
    BadValue,
    /// A merge patch cannot express the change: the new document holds a `null` member, which
    /// RFC 7396 can only delete, never set.
    #[error("not representable as a merge patch (a null member cannot be set)")]
    NotRepresentable,
    /// Malformed CBOR.
    #[error("cbor: {0}")]
    Cbor(#[from] DecodeError),
    /// CBOR that has no JSON equivalent here (tags, byte strings, non-text keys, NaN, duplicate keys).
    #[error("unsupported cbor: {what}")]
    UnsupportedCbor {
        /// What was found.
        what: &'static str,
    },
    /// The request carries a version that is not the stored one (HTTP 409, AWS "Version conflict";
    /// Azure's failed If-Match is 412).
    #[error("version conflict: request has {expected}, document is at {actual}")]
    Conflict {
        /// The version the request expected.
        expected: u64,
        /// The stored version.
        actual: u64,
    },
    /// An `If-Match` etag that is not the twin's (HTTP 412, Azure IoT Hub).
    #[error("precondition failed: If-Match does not match the twin's etag")]
    PreconditionFailed,
    /// The request breaks a service rule (HTTP 400).
    #[error("invalid request: {what}")]
    InvalidRequest {
        /// What is wrong.
        what: &'static str,
    },
    /// Text that is not JSON.
    #[error("invalid json at line {line} column {column}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
}

impl Error {
    /// The HTTP status a cloud service answers for this error: 409 for a version conflict, 412 for
    /// a failed `If-Match`, 413 for a document too large, 400 for the rest.
    #[must_use]
    pub fn http_status(&self) -> u16 {
        match self {
            Error::Conflict { .. } => 409,
            Error::PreconditionFailed => 412,
            Error::TooLarge { .. } => 413,
            _ => 400,
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json { line: e.line(), column: e.column() }
    }
}
