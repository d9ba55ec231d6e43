//! The crate's error types.

use crate::codes::Section;
use iot_cose::cbor::DecodeError;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong when decoding, authenticating, processing or building a manifest.
///
/// Errors never carry key material and never echo input bytes; they carry codes, offsets and
/// small counts. Every variant is something a device can act on or report (the reason codes of
/// draft-ietf-suit-report are available through [`Error::report_reason`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not well-formed CBOR, or has trailing bytes.
    #[error("malformed cbor: {0}")]
    Cbor(#[from] DecodeError),
    /// Well-formed CBOR of the wrong shape for a SUIT structure.
    #[error("malformed {what}")]
    Malformed {
        /// The structure or field that was wrong.
        what: &'static str,
    },
    /// A CBOR tag other than the SUIT envelope tag (107).
    #[error("unexpected cbor tag {tag}")]
    UnexpectedTag {
        /// The tag found.
        tag: u64,
    },
    /// The envelope is untagged and [`Limits::allow_untagged`](crate::Limits) is off.
    #[error("untagged envelope not allowed")]
    Untagged,
    /// A map key appears twice.
    #[error("duplicate key {key} in {what}")]
    DuplicateKey {
        /// The map.
        what: &'static str,
        /// The key (text keys are reported as `i64::MIN`).
        key: i64,
    },
    /// A required member is absent.
    #[error("missing {what}")]
    Missing {
        /// What is missing.
        what: &'static str,
    },
    /// A configured bound was exceeded.
    #[error("{what} exceeds the limit of {limit}")]
    LimitExceeded {
        /// Which bound.
        what: &'static str,
        /// The bound.
        limit: usize,
    },
    /// Firmware decryption failed: no key fits, an unwrap or a GCM tag check failed.
    #[error("decryption failed: {what}")]
    Decryption {
        /// What failed.
        what: &'static str,
    },
    /// `manifest-version` is not 1.
    #[error("unsupported manifest version {0}")]
    UnsupportedVersion(u64),
    /// A digest algorithm other than SHA-256 (-16).
    #[error("unsupported digest algorithm {0}")]
    UnsupportedDigest(i64),
    /// A command, parameter, member or extension this processor does not implement.
    #[error("unsupported {what} {code}")]
    Unsupported {
        /// The kind of element.
        what: &'static str,
        /// Its codepoint.
        code: i64,
    },
    /// The authentication wrapper holds no COSE block (an unsigned envelope).
    #[error("envelope is not authenticated")]
    Unauthenticated,
    /// No authentication block verified with the given key; carries the most telling COSE error.
    #[error("authentication failed: {0}")]
    Authentication(#[source] iot_cose::Error),
    /// The manifest's SHA-256 does not equal the authenticated digest.
    #[error("manifest digest does not match the authenticated digest")]
    DigestMismatch,
    /// A severable member in the envelope does not match its digest in the manifest.
    #[error("severable member {key} does not match its digest")]
    SeveredMismatch {
        /// The member's key (16 payload-fetch, 20 install, 23 text, ...).
        key: u64,
    },
    /// A severed member is needed but the envelope does not carry it.
    #[error("severed member {key} is absent")]
    SeveredAbsent {
        /// The member's key.
        key: u64,
    },
    /// The manifest's sequence number does not pass the anti-rollback check.
    #[error("rollback: sequence number {manifest} against stored {stored}")]
    Rollback {
        /// The manifest's sequence number.
        manifest: u64,
        /// The device's stored counter.
        stored: u64,
    },
    /// A condition failed where the failure is not soft.
    #[error("condition {code} failed in {section:?} at offset {offset}")]
    ConditionFailed {
        /// The condition codepoint (15 when a try-each ran out of branches, 32 for run-sequence).
        code: i64,
        /// The section being processed.
        section: Section,
        /// Byte offset of the command inside the section.
        offset: usize,
        /// The component index the command ran for.
        component: Option<usize>,
    },
    /// A command needs a parameter that is not set for the component.
    #[error("command {command} needs parameter {parameter}, which is not set")]
    MissingParameter {
        /// The command codepoint.
        command: i64,
        /// The parameter codepoint.
        parameter: i64,
    },
    /// A component index past the end of the component list.
    #[error("component index {index} out of range")]
    ComponentIndex {
        /// The index.
        index: u64,
    },
    /// `soft-failure` set outside try-each or run-sequence (spec section 8.4.8.15: abort).
    #[error("soft-failure set outside try-each or run-sequence")]
    SoftFailureScope,
    /// The processor's step budget ran out.
    #[error("step limit exceeded")]
    StepLimit,
    /// The platform reported a failure while the processor ran a directive.
    #[error("platform: {error} in {section:?} at offset {offset}")]
    Platform {
        /// What the platform said.
        error: PlatformError,
        /// The section being processed.
        section: Section,
        /// Byte offset of the command inside the section.
        offset: usize,
    },
    /// The rollback counter could not be read or advanced.
    #[error("rollback counter: {0}")]
    Counter(PlatformError),
    /// An output buffer is too small.
    #[error("buffer too small")]
    BufferTooSmall,
    /// Signing failed (the key or the hardware behind it).
    #[error("signing failed: {0}")]
    Signing(#[source] iot_cose::Error),
}

impl Error {
    /// The draft-ietf-suit-report reason code (`SUIT_Report_Reasons`) that best describes this error.
    #[must_use]
    pub fn report_reason(&self) -> u8 {
        match self {
            Self::Cbor(_) | Self::Malformed { .. } | Self::UnexpectedTag { .. } | Self::DuplicateKey { .. } => 1,
            Self::Untagged | Self::Missing { .. } | Self::LimitExceeded { .. } | Self::BufferTooSmall => 1,
            Self::UnsupportedVersion(_) => 1,
            Self::UnsupportedDigest(_) => 3,
            Self::Unsupported { what, .. } => match *what {
                "parameter" => 8,
                "component" => 6,
                _ => 5,
            },
            Self::Unauthenticated | Self::Authentication(_) | Self::DigestMismatch | Self::Signing(_) => 4,
            Self::SeveredMismatch { .. } => 4,
            Self::SeveredAbsent { .. } => 9,
            Self::Rollback { .. } => 4,
            Self::ConditionFailed { .. } => 10,
            Self::ComponentIndex { .. } => 6,
            Self::MissingParameter { .. } | Self::SoftFailureScope | Self::StepLimit => 11,
            Self::Platform { .. } | Self::Counter(_) | Self::Decryption { .. } => 11,
        }
    }
}

impl From<iot_cose::cbor::BufferTooSmall> for Error {
    fn from(_: iot_cose::cbor::BufferTooSmall) -> Self {
        Self::BufferTooSmall
    }
}

/// What a [`Platform`](crate::Platform) or [`RollbackCounter`](crate::RollbackCounter) reports
/// when an operation fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlatformError {
    /// The component does not exist on this device.
    #[error("no such component")]
    NoSuchComponent,
    /// The resource could not be fetched.
    #[error("fetch failed")]
    Fetch,
    /// Reading or writing storage failed.
    #[error("storage failed")]
    Storage,
    /// The data does not fit the component or exceeds the declared size.
    #[error("too large")]
    TooLarge,
    /// The platform refuses the operation (an ACL, a policy).
    #[error("operation denied")]
    Denied,
    /// The platform does not implement the operation.
    #[error("operation unsupported")]
    Unsupported,
    /// A wait's events have not all happened yet: the update stops here and is processed again
    /// later (a device that waits by suspending the processor returns this).
    #[error("waiting for an event")]
    Wait,
    /// A platform-specific code.
    #[error("platform error {0}")]
    Other(i32),
}
