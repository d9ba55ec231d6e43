//! COSE_Sign1 and COSE_Mac0: decoding into borrowed views, verification into verified types.

use crate::alg::{Algorithm, CoseAlgorithm};
use crate::cbor::{Decoder, EncodedHead, Type};
use crate::crypto::{CoseVerifier, MacKey};
use crate::error::{Error, Result};
use crate::header::{ContentType, HeaderMap, Limits, ProtectedHeader, VerifyOptions, check_headers};

/// CBOR tag of COSE_Sign1 (RFC 9052 section 4.2).
pub const SIGN1_TAG: u64 = 18;
/// CBOR tag of COSE_Mac0 (RFC 9052 section 6.2).
pub const MAC0_TAG: u64 = 17;

/// `["Signature1", ` as CBOR: array(4), text(10).
const SIG1_PREFIX: &[u8] = b"\x84\x6aSignature1";
/// `["MAC0", ` as CBOR: array(4), text(4).
const MAC0_PREFIX: &[u8] = b"\x84\x64MAC0";

/// The to-be-signed (or to-be-MACed) structure, as six slices that concatenate to
/// `[context, protected, external_aad, payload]` (RFC 9052 sections 4.4 and 6.3). Only the small
/// CBOR heads live here; the protected bytes, AAD and payload are borrowed.
pub(crate) struct ToBeSigned<'p> {
    prefix: &'static [u8],
    heads: [EncodedHead; 3],
    protected: &'p [u8],
    aad: &'p [u8],
    payload: &'p [u8],
}

impl<'p> ToBeSigned<'p> {
    pub(crate) fn sign1(protected: &'p [u8], aad: &'p [u8], payload: &'p [u8]) -> Self {
        Self::new(SIG1_PREFIX, protected, aad, payload)
    }

    pub(crate) fn mac0(protected: &'p [u8], aad: &'p [u8], payload: &'p [u8]) -> Self {
        Self::new(MAC0_PREFIX, protected, aad, payload)
    }

    fn new(prefix: &'static [u8], protected: &'p [u8], aad: &'p [u8], payload: &'p [u8]) -> Self {
        let heads =
            [EncodedHead::bytes(protected.len()), EncodedHead::bytes(aad.len()), EncodedHead::bytes(payload.len())];
        Self { prefix, heads, protected, aad, payload }
    }

    pub(crate) fn parts(&self) -> [&[u8]; 7] {
        let [h0, h1, h2] = &self.heads;
        [self.prefix, h0.as_bytes(), self.protected, h1.as_bytes(), self.aad, h2.as_bytes(), self.payload]
    }
}

/// The four fields shared by COSE_Sign1 and COSE_Mac0.
#[derive(Debug, Clone, Copy)]
struct Fields<'a> {
    protected: ProtectedHeader<'a>,
    unprotected: HeaderMap<'a>,
    payload: Option<&'a [u8]>,
    last: &'a [u8],
    tagged: bool,
}

impl<'a> Fields<'a> {
    fn decode(bytes: &'a [u8], tag: u64, what: &'static str, limits: &Limits) -> Result<Self> {
        let mut d = Decoder::new(bytes);
        let tagged = match d.optional_tag()? {
            None => false,
            Some(t) if t == tag => true,
            Some(t) => return Err(Error::UnexpectedTag { tag: t }),
        };
        if d.array()? != 4 {
            return Err(Error::MalformedStructure { what });
        }
        let protected = ProtectedHeader::decode(&mut d, limits)?;
        let unprotected = HeaderMap::decode(&mut d, limits)?;
        let payload = match d.peek_type()? {
            Type::Null => {
                d.null()?;
                None
            }
            _ => Some(d.bytes()?),
        };
        let last = d.bytes()?;
        d.finish()?;
        Ok(Self { protected, unprotected, payload, last, tagged })
    }

    fn payload_for<'p>(&self, detached: Option<&'p [u8]>) -> Result<&'p [u8]>
    where
        'a: 'p,
    {
        match (self.payload, detached) {
            (Some(p), None) => Ok(p),
            (None, Some(p)) => Ok(p),
            (None, None) => Err(Error::MissingPayload),
            (Some(_), Some(_)) => Err(Error::UnexpectedPayload),
        }
    }

    fn encode<W: crate::cbor::Write>(&self, tag: u64, w: W) -> Result<()> {
        let mut e = crate::cbor::Encoder::new(w);
        if self.tagged {
            e.tag(tag)?;
        }
        e.array(4)?.bytes(self.protected.original)?.raw(self.unprotected.raw())?;
        match self.payload {
            Some(p) => e.bytes(p)?,
            None => e.null()?,
        };
        e.bytes(self.last)?;
        Ok(())
    }

    #[cfg(feature = "alloc")]
    fn structure(&self, prefix: &'static [u8], detached: Option<&[u8]>, aad: &[u8]) -> Result<alloc::vec::Vec<u8>> {
        let payload = self.payload_for(detached)?;
        Ok(ToBeSigned::new(prefix, self.protected.for_signing(), aad, payload).parts().concat())
    }

    fn kid(&self) -> Option<&'a [u8]> {
        self.protected.map.kid().or(self.unprotected.kid())
    }

    fn content_type(&self) -> Option<ContentType<'a>> {
        self.protected.map.content_type().or(self.unprotected.content_type())
    }
}

macro_rules! common_accessors {
    () => {
        /// The protected header: original bytes and decoded map.
        #[must_use]
        pub fn protected(&self) -> &ProtectedHeader<'a> {
            &self.f.protected
        }
        /// The unprotected header map.
        #[must_use]
        pub fn unprotected(&self) -> &HeaderMap<'a> {
            &self.f.unprotected
        }
        /// `kid`, from the protected map if there, else the unprotected one.
        #[must_use]
        pub fn kid(&self) -> Option<&'a [u8]> {
            self.f.kid()
        }
        /// `content type`, from the protected map if there, else the unprotected one.
        #[must_use]
        pub fn content_type(&self) -> Option<ContentType<'a>> {
            self.f.content_type()
        }
        /// Whether the message carried its CBOR tag.
        #[must_use]
        pub fn is_tagged(&self) -> bool {
            self.f.tagged
        }
        /// Writes the message again from its decoded parts: the protected and unprotected maps
        /// and all byte strings exactly as received, with minimal CBOR heads around them. For a
        /// message that used minimal heads this reproduces the input byte for byte.
        ///
        /// # Errors
        /// [`Error::BufferTooSmall`] when writing into a full [`crate::cbor::SliceWriter`].
        pub fn encode<W: crate::cbor::Write>(&self, w: W) -> Result<()> {
            self.f.encode(Self::TAG, w)
        }
        /// Whether the payload is detached (`nil` in the message).
        #[must_use]
        pub fn is_detached(&self) -> bool {
            self.f.payload.is_none()
        }
    };
}

/// A decoded, not yet verified COSE_Sign1, borrowing from the input.
///
/// Obtain the payload through [`CoseSign1::verify`], which returns a [`VerifiedSign1`];
/// [`CoseSign1::unverified_payload`] exists for routing and diagnostics only.
#[derive(Debug, Clone, Copy)]
pub struct CoseSign1<'a> {
    f: Fields<'a>,
}

impl<'a> CoseSign1<'a> {
    /// Decodes a COSE_Sign1, tagged (18) or untagged, with the default [`Limits`].
    ///
    /// # Errors
    /// Malformed CBOR, another tag, the wrong structure, duplicate or mistyped header parameters,
    /// trailing bytes, or a limit exceeded.
    pub fn decode(bytes: &'a [u8]) -> Result<Self> {
        Self::decode_with(bytes, &Limits::DEFAULT)
    }

    /// Decodes with explicit limits.
    ///
    /// # Errors
    /// As [`CoseSign1::decode`].
    pub fn decode_with(bytes: &'a [u8], limits: &Limits) -> Result<Self> {
        Fields::decode(bytes, SIGN1_TAG, "COSE_Sign1", limits).map(|f| Self { f })
    }

    const TAG: u64 = SIGN1_TAG;
    common_accessors!();

    /// The exact Sig_structure bytes (RFC 9052 section 4.4) this message's signature covers.
    /// Verification never builds this buffer; it is here for remote verifiers and diagnostics.
    ///
    /// # Errors
    /// [`Error::MissingPayload`] / [`Error::UnexpectedPayload`] as in verification.
    #[cfg(feature = "alloc")]
    pub fn sig_structure(&self, detached: Option<&[u8]>, external_aad: &[u8]) -> Result<alloc::vec::Vec<u8>> {
        self.f.structure(SIG1_PREFIX, detached, external_aad)
    }

    /// The attached payload, NOT authenticated. Use [`VerifiedSign1::payload`] for anything that
    /// acts on the content.
    #[must_use]
    pub fn unverified_payload(&self) -> Option<&'a [u8]> {
        self.f.payload
    }

    /// The signature bytes.
    #[must_use]
    pub fn signature(&self) -> &'a [u8] {
        self.f.last
    }

    /// Verifies a message with an attached payload.
    ///
    /// # Errors
    /// [`Error::BadSignature`] when the signature does not verify; header-policy errors
    /// ([`Error::MissingAlgorithm`], [`Error::AlgorithmMismatch`], [`Error::UnsupportedCriticalHeader`],
    /// ...) before any cryptography runs; [`Error::MissingPayload`] for a detached payload.
    pub fn verify<V: CoseVerifier + ?Sized>(&self, key: &V, external_aad: &[u8]) -> Result<VerifiedSign1<'a>> {
        self.verify_with(key, None, external_aad, &VerifyOptions::default())
    }

    /// Verifies a message whose payload is detached, against `payload`.
    ///
    /// # Errors
    /// As [`CoseSign1::verify`]; [`Error::UnexpectedPayload`] if the message carries a payload.
    pub fn verify_detached<V: CoseVerifier + ?Sized>(
        &self,
        key: &V,
        payload: &[u8],
        external_aad: &[u8],
    ) -> Result<VerifiedSign1<'a>> {
        self.verify_with(key, Some(payload), external_aad, &VerifyOptions::default())
    }

    /// Verifies with explicit header policy. `detached` is the payload when the message carries
    /// `nil`, else `None`.
    ///
    /// The algorithm is bound to the key before any cryptography: the message's `alg` must be one
    /// that `V::Signature` implements.
    ///
    /// # Errors
    /// As [`CoseSign1::verify`].
    pub fn verify_with<V: CoseVerifier + ?Sized>(
        &self,
        key: &V,
        detached: Option<&[u8]>,
        external_aad: &[u8],
        opts: &VerifyOptions<'_>,
    ) -> Result<VerifiedSign1<'a>> {
        let alg = check_headers(&self.f.protected.map, &self.f.unprotected, opts)?;
        bind_algorithm::<V::Signature>(alg)?;
        let payload = self.f.payload_for(detached)?;
        if self.f.last.len() != V::Signature::LEN {
            return Err(Error::SignatureLength { expected: V::Signature::LEN, actual: self.f.last.len() });
        }
        // `let else`, not `map_err`: moving the 64-byte signature out of a mapped `Result` made
        // LLVM link memmove (650 B on a Cortex-M) for this one copy.
        let Ok(sig) = V::Signature::from_cose_bytes(self.f.last) else { return Err(Error::BadSignature) };
        let tbs = ToBeSigned::sign1(self.f.protected.for_signing(), external_aad, payload);
        key.verify_parts(&tbs.parts(), &sig).map_err(|_| Error::BadSignature)?;
        Ok(VerifiedSign1 { f: self.f, alg })
    }
}

/// A COSE_Sign1 whose signature has been checked. Only [`CoseSign1::verify`] and its siblings
/// make one.
#[derive(Debug, Clone, Copy)]
pub struct VerifiedSign1<'a> {
    f: Fields<'a>,
    alg: Algorithm,
}

impl<'a> VerifiedSign1<'a> {
    const TAG: u64 = SIGN1_TAG;
    common_accessors!();

    /// The algorithm the signature was checked with.
    #[must_use]
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The authenticated payload, or `None` when it was detached (the caller holds it).
    #[must_use]
    pub fn payload(&self) -> Option<&'a [u8]> {
        self.f.payload
    }
}

fn bind_algorithm<S: CoseAlgorithm>(alg: Algorithm) -> Result<()> {
    if S::ACCEPTS.contains(&alg) {
        Ok(())
    } else if alg.name().is_some() {
        Err(Error::AlgorithmMismatch { expected: S::ALG.0, actual: alg.0 })
    } else {
        Err(Error::UnsupportedAlgorithm { alg: Some(alg.0) })
    }
}

/// A decoded, not yet verified COSE_Mac0, borrowing from the input.
#[derive(Debug, Clone, Copy)]
pub struct CoseMac0<'a> {
    f: Fields<'a>,
}

impl<'a> CoseMac0<'a> {
    /// Decodes a COSE_Mac0, tagged (17) or untagged, with the default [`Limits`].
    ///
    /// # Errors
    /// As [`CoseSign1::decode`].
    pub fn decode(bytes: &'a [u8]) -> Result<Self> {
        Self::decode_with(bytes, &Limits::DEFAULT)
    }

    /// Decodes with explicit limits.
    ///
    /// # Errors
    /// As [`CoseSign1::decode`].
    pub fn decode_with(bytes: &'a [u8], limits: &Limits) -> Result<Self> {
        Fields::decode(bytes, MAC0_TAG, "COSE_Mac0", limits).map(|f| Self { f })
    }

    const TAG: u64 = MAC0_TAG;
    common_accessors!();

    /// The exact MAC_structure bytes (RFC 9052 section 6.3) this message's tag covers.
    ///
    /// # Errors
    /// [`Error::MissingPayload`] / [`Error::UnexpectedPayload`] as in verification.
    #[cfg(feature = "alloc")]
    pub fn mac_structure(&self, detached: Option<&[u8]>, external_aad: &[u8]) -> Result<alloc::vec::Vec<u8>> {
        self.f.structure(MAC0_PREFIX, detached, external_aad)
    }

    /// The attached payload, NOT authenticated.
    #[must_use]
    pub fn unverified_payload(&self) -> Option<&'a [u8]> {
        self.f.payload
    }

    /// The tag bytes.
    #[must_use]
    pub fn tag(&self) -> &'a [u8] {
        self.f.last
    }

    /// Verifies a message with an attached payload.
    ///
    /// # Errors
    /// [`Error::BadSignature`] when the tag does not match (compared in constant time); header
    /// policy errors; [`Error::UnsupportedAlgorithm`] for algorithms other than HMAC 256/64 and
    /// HMAC 256/256.
    pub fn verify<K: MacKey + ?Sized>(&self, key: &K, external_aad: &[u8]) -> Result<VerifiedMac0<'a>> {
        self.verify_with(key, None, external_aad, &VerifyOptions::default())
    }

    /// Verifies a message whose payload is detached, against `payload`.
    ///
    /// # Errors
    /// As [`CoseMac0::verify`].
    pub fn verify_detached<K: MacKey + ?Sized>(
        &self,
        key: &K,
        payload: &[u8],
        external_aad: &[u8],
    ) -> Result<VerifiedMac0<'a>> {
        self.verify_with(key, Some(payload), external_aad, &VerifyOptions::default())
    }

    /// Verifies with explicit header policy.
    ///
    /// # Errors
    /// As [`CoseMac0::verify`].
    pub fn verify_with<K: MacKey + ?Sized>(
        &self,
        key: &K,
        detached: Option<&[u8]>,
        external_aad: &[u8],
        opts: &VerifyOptions<'_>,
    ) -> Result<VerifiedMac0<'a>> {
        use subtle::ConstantTimeEq as _;
        let alg = check_headers(&self.f.protected.map, &self.f.unprotected, opts)?;
        let len = alg.mac_len().ok_or(Error::UnsupportedAlgorithm { alg: Some(alg.0) })?;
        let payload = self.f.payload_for(detached)?;
        if self.f.last.len() != len {
            return Err(Error::SignatureLength { expected: len, actual: self.f.last.len() });
        }
        let tbm = ToBeSigned::mac0(self.f.protected.for_signing(), external_aad, payload);
        let mut full = [0u8; 64];
        crate::crypto::mac_full(key, alg, &tbm.parts(), &mut full).map_err(|_| Error::BadSignature)?;
        let ok = full.get(..len).is_some_and(|t| bool::from(t.ct_eq(self.f.last)));
        if !ok {
            return Err(Error::BadSignature);
        }
        Ok(VerifiedMac0 { f: self.f, alg })
    }
}

/// A COSE_Mac0 whose tag has been checked.
#[derive(Debug, Clone, Copy)]
pub struct VerifiedMac0<'a> {
    f: Fields<'a>,
    alg: Algorithm,
}

impl<'a> VerifiedMac0<'a> {
    const TAG: u64 = MAC0_TAG;
    common_accessors!();

    /// The MAC algorithm.
    #[must_use]
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The authenticated payload, or `None` when it was detached.
    #[must_use]
    pub fn payload(&self) -> Option<&'a [u8]> {
        self.f.payload
    }
}
