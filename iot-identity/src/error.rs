//! The crate's error type.

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Why DER input was refused (X.690 distinguished encoding rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DerError {
    /// The input ends inside an element.
    #[error("truncated der")]
    Truncated,
    /// A multi-byte (high-number) tag, which no certificate field uses.
    #[error("unsupported multi-byte tag")]
    UnsupportedTag,
    /// An indefinite length (BER only).
    #[error("indefinite length")]
    IndefiniteLength,
    /// A length in long form where the short form fits, or with a leading zero.
    #[error("non-minimal length")]
    NonMinimalLength,
    /// A length above 2^32 - 1.
    #[error("length too large")]
    TooLong,
    /// A different element than the structure requires.
    #[error("expected tag {expected:#04x}, found {actual:#04x}")]
    UnexpectedTag {
        /// The tag the structure requires.
        expected: u8,
        /// The tag in the input.
        actual: u8,
    },
    /// Bytes after the last element of a structure.
    #[error("trailing data")]
    TrailingData,
    /// A BOOLEAN other than 0x00 or 0xff.
    #[error("invalid boolean")]
    InvalidBoolean,
    /// An empty or non-minimal INTEGER, or one out of range.
    #[error("invalid integer")]
    InvalidInteger,
    /// A BIT STRING with bad unused bits.
    #[error("invalid bit string")]
    InvalidBitString,
}

/// Everything that can go wrong parsing, building, signing or validating identities.
///
/// Every rejection of untrusted input has its own variant, so that a service can log why a
/// device's certificate was refused without parsing a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not valid DER.
    #[error("malformed der: {0}")]
    Der(#[from] DerError),
    /// Valid DER that does not have the structure or values the field requires.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// A certificate version other than v3 (or v1 where a profile allows it).
    #[error("unsupported certificate version")]
    UnsupportedVersion,
    /// A signature or key algorithm outside the allow-list (or with bad parameters).
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// The certificate's inner and outer signature algorithms differ (RFC 5280 4.1.1.2).
    #[error("signature algorithm mismatch")]
    SignatureAlgorithmMismatch,
    /// A critical extension this validator does not process (RFC 5280 4.2).
    #[error("unsupported critical extension")]
    UnsupportedCriticalExtension,
    /// The same extension twice (RFC 5280 4.2).
    #[error("duplicate extension")]
    DuplicateExtension,
    /// A time that is not a valid UTCTime or GeneralizedTime in the RFC 5280 form.
    #[error("invalid time")]
    InvalidTime,
    /// A signature did not verify.
    #[error("bad signature")]
    BadSignature,
    /// The signer (software, TPM, secure element) failed.
    #[error("signing failed")]
    Signing(#[source] iot_cose::signature::Error),
    /// The output buffer is too small.
    #[error("output buffer too small")]
    BufferTooSmall,
    /// The validation time is after notAfter.
    #[error("certificate expired")]
    Expired,
    /// The validation time is before notBefore.
    #[error("certificate not yet valid")]
    NotYetValid,
    /// notBefore is after notAfter.
    #[error("invalid validity period")]
    InvalidValidity,
    /// No path from the certificate to a trust anchor.
    #[error("unknown issuer")]
    UnknownIssuer,
    /// A CA certificate (basicConstraints cA) presented as the end entity.
    #[error("ca certificate used as end entity")]
    CaUsedAsEndEntity,
    /// An issuer that is not a CA (no basicConstraints cA).
    #[error("issuer is not a ca")]
    IssuerNotCa,
    /// The path is longer than an issuer's pathLenConstraint or the configured depth.
    #[error("path too long")]
    PathTooLong,
    /// keyUsage does not allow what the certificate is used for.
    #[error("key usage does not allow {0}")]
    KeyUsage(&'static str),
    /// extendedKeyUsage does not include the required purpose.
    #[error("extended key usage does not allow the required purpose")]
    ExtendedKeyUsage,
    /// A name is outside an issuer's name constraints.
    #[error("name constraint violation")]
    NameConstraint,
    /// The certificate is not valid for the expected DNS name or IP address.
    #[error("certificate not valid for the name")]
    NameMismatch,
    /// The certificate or its key is revoked (CRL or deny list).
    #[error("revoked")]
    Revoked,
    /// An FDO voucher of a protocol version other than 1.1 (protocol 101).
    #[error("unsupported protocol version {major}.{minor}")]
    UnsupportedProtocol {
        /// Major version (1 for protocol 100 and 101).
        major: u8,
        /// Minor version.
        minor: u8,
    },
    /// Revocation was required but no CRL (or other source) covers the certificate.
    #[error("revocation status unknown")]
    RevocationUnknown,
    /// A profile rule (DevID, Matter, webpki) is broken.
    #[error("profile {profile}: {rule}")]
    Profile {
        /// The profile.
        profile: &'static str,
        /// The rule.
        rule: &'static str,
    },
    /// The work budget (signatures, path-building steps, name comparisons) ran out.
    #[error("limit exceeded: {0}")]
    LimitExceeded(&'static str),
    /// A decoded CBOR / COSE structure was refused.
    #[error("cose: {0}")]
    Cose(#[from] iot_cose::Error),
    /// A credential or token is bound to something else (label, device, account, scope).
    #[error("wrong binding: {0}")]
    WrongBinding(&'static str),
    /// A token or credential was already used, or has expired.
    #[error("not usable: {0}")]
    NotUsable(&'static str),
}
