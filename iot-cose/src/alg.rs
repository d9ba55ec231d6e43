//! COSE algorithm identifiers (IANA "COSE Algorithms" registry, RFC 9053, RFC 9864).

use core::fmt;

/// A COSE algorithm identifier (the value of header parameter 1, `alg`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Algorithm(pub i64);

impl Algorithm {
    /// ECDSA with SHA-256 (RFC 9053 section 2.1). Used with P-256 only here.
    pub const ES256: Self = Self(-7);
    /// ECDSA using P-256 and SHA-256, fully specified (RFC 9864).
    pub const ESP256: Self = Self(-9);
    /// EdDSA (RFC 9053 section 2.2). Used with Ed25519 only here.
    pub const EDDSA: Self = Self(-8);
    /// Ed25519, fully specified (RFC 9864).
    pub const ED25519: Self = Self(-19);
    /// ECDSA with SHA-384 (RFC 9053 section 2.1). Used with P-384 only here.
    pub const ES384: Self = Self(-35);
    /// ECDSA using P-384 and SHA-384, fully specified (RFC 9864).
    pub const ESP384: Self = Self(-51);
    /// ECDSA with SHA-512 (RFC 9053 section 2.1). Used with P-521 only here.
    pub const ES512: Self = Self(-36);
    /// ECDSA using P-521 and SHA-512, fully specified (RFC 9864).
    pub const ESP512: Self = Self(-52);
    /// HMAC with SHA-256, tag truncated to 64 bits (RFC 9053 section 3.1).
    pub const HMAC_256_64: Self = Self(4);
    /// HMAC with SHA-256, full 256-bit tag (RFC 9053 section 3.1).
    pub const HMAC_256_256: Self = Self(5);
    /// HMAC with SHA-384, full 384-bit tag (RFC 9053 section 3.1).
    pub const HMAC_384_384: Self = Self(6);
    /// HMAC with SHA-512, full 512-bit tag (RFC 9053 section 3.1).
    pub const HMAC_512_512: Self = Self(7);

    /// The registered name, if this crate knows it.
    #[must_use]
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            -7 => "ES256",
            -9 => "ESP256",
            -8 => "EdDSA",
            -19 => "Ed25519",
            4 => "HMAC 256/64",
            5 => "HMAC 256/256",
            6 => "HMAC 384/384",
            7 => "HMAC 512/512",
            -35 => "ES384",
            -36 => "ES512",
            -51 => "ESP384",
            -52 => "ESP512",
            -53 => "Ed448",
            _ => return None,
        })
    }

    /// Length in bytes of the tag a MAC algorithm produces, if it is one this crate implements.
    #[must_use]
    pub fn mac_len(self) -> Option<usize> {
        match self {
            Self::HMAC_256_64 => Some(8),
            Self::HMAC_256_256 => Some(32),
            Self::HMAC_384_384 => Some(48),
            Self::HMAC_512_512 => Some(64),
            _ => None,
        }
    }
}

impl fmt::Debug for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n}({})", self.0),
            None => write!(f, "Algorithm({})", self.0),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

/// A signature type that COSE can carry: ties the wire encoding to the algorithm ids that use it.
///
/// Implemented for `p256::ecdsa::Signature` (feature `p256`) and `ed25519::Signature` (feature
/// `ed25519`). The encoding is the raw fixed-length one COSE uses (`r || s` for ECDSA, RFC 9053
/// section 2.1), never DER.
pub trait CoseAlgorithm: Sized {
    /// The identifier written when signing.
    const ALG: Algorithm;
    /// Every identifier a verifier accepts for this signature type (the polymorphic id and its
    /// fully-specified twin).
    const ACCEPTS: &'static [Algorithm];
    /// Length of the encoded signature in bytes.
    const LEN: usize;
    /// Parses the COSE encoding.
    ///
    /// # Errors
    /// The bytes are not a well-formed signature of this type.
    fn from_cose_bytes(bytes: &[u8]) -> Result<Self, signature::Error>;
    /// Writes the COSE encoding into `out` (which is `LEN` bytes long).
    fn write_cose_bytes(&self, out: &mut [u8]);
}

/// The raw fixed-length encodings (r || s for ECDSA, R || S for EdDSA) of every implemented
/// signature type read and write the same way.
macro_rules! fixed_signature {
    ($feature:literal, $ty:ty, $len:expr, $alg:expr, $accepts:expr) => {
        #[cfg(feature = $feature)]
        impl CoseAlgorithm for $ty {
            const ALG: Algorithm = $alg;
            const ACCEPTS: &'static [Algorithm] = $accepts;
            const LEN: usize = $len;
            fn from_cose_bytes(bytes: &[u8]) -> Result<Self, signature::Error> {
                Self::from_slice(bytes)
            }
            fn write_cose_bytes(&self, out: &mut [u8]) {
                let b = self.to_bytes();
                if let Some(dst) = out.get_mut(..b.len()) {
                    dst.copy_from_slice(&b);
                }
            }
        }
    };
}

fixed_signature!("p256", p256::ecdsa::Signature, 64, Algorithm::ES256, &[Algorithm::ES256, Algorithm::ESP256]);
fixed_signature!("ed25519", ed25519::Signature, 64, Algorithm::EDDSA, &[Algorithm::EDDSA, Algorithm::ED25519]);
fixed_signature!("p384", p384::ecdsa::Signature, 96, Algorithm::ES384, &[Algorithm::ES384, Algorithm::ESP384]);
fixed_signature!("p521", p521::ecdsa::Signature, 132, Algorithm::ES512, &[Algorithm::ES512, Algorithm::ESP512]);
