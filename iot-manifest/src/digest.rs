//! `SUIT_Digest` and SHA-256 helpers.

use crate::codes::digest::SHA256;
use crate::error::{Error, Result};
use iot_cose::cbor::{Decoder, EncodedHead};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

/// A decoded `SUIT_Digest = [alg, bytes, * ext]`, borrowed from its encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuitDigest<'a> {
    /// The COSE algorithm id (-16 is SHA-256).
    pub alg: i64,
    /// The digest bytes.
    pub bytes: &'a [u8],
}

impl<'a> SuitDigest<'a> {
    /// Decodes a `SUIT_Digest` from exactly `encoded` (no trailing bytes).
    ///
    /// # Errors
    /// Malformed CBOR or a wrong shape. The algorithm is not checked here.
    pub fn decode(encoded: &'a [u8]) -> Result<Self> {
        let mut d = Decoder::new(encoded);
        let v = Self::decode_from(&mut d)?;
        d.finish()?;
        Ok(v)
    }

    pub(crate) fn decode_from(d: &mut Decoder<'a>) -> Result<Self> {
        let n = d.array()?;
        if n < 2 {
            return Err(Error::Malformed { what: "SUIT_Digest" });
        }
        let alg = d.int()?;
        let bytes = d.bytes()?;
        for _ in 2..n {
            d.skip(4)?;
        }
        Ok(Self { alg, bytes })
    }

    /// Whether `data` hashes to this digest. Only SHA-256 is implemented; the comparison is
    /// constant-time.
    ///
    /// # Errors
    /// [`Error::UnsupportedDigest`] for any other algorithm.
    pub fn matches(&self, data: &[u8]) -> Result<bool> {
        self.matches_parts(&[data])
    }

    /// As [`SuitDigest::matches`], over the concatenation of `parts`.
    ///
    /// # Errors
    /// [`Error::UnsupportedDigest`] for any other algorithm.
    pub fn matches_parts(&self, parts: &[&[u8]]) -> Result<bool> {
        if self.alg != SHA256 {
            return Err(Error::UnsupportedDigest(self.alg));
        }
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        Ok(ct_eq(&h.finalize(), self.bytes))
    }
}

/// Constant-time equality (length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// SHA-256 over `bstr(content)`: the CBOR byte-string head followed by `content`. This is how the
/// manifest digest and severed-member digests are computed (spec section 8.3, 8.6).
#[must_use]
pub fn sha256_bstr_wrapped(content: &[u8]) -> [u8; 32] {
    let head = EncodedHead::bytes(content.len());
    let mut h = Sha256::new();
    h.update(head.as_bytes());
    h.update(content);
    h.finalize().into()
}
