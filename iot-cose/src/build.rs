//! Building COSE_Sign1 and COSE_Mac0: into a caller's buffer (no allocator) or, with `alloc`, a
//! `Vec<u8>`; and a two-phase form for remote signers.

use crate::alg::{Algorithm, CoseAlgorithm};
use crate::cbor::{Counter, EncodedHead, Encoder, SliceWriter, Write};
use crate::crypto::{CoseSigner, MacKey};
use crate::error::{Error, Result};
use crate::header::Headers;
use crate::message::{MAC0_TAG, SIGN1_TAG, ToBeSigned};

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

/// What both builders share.
#[derive(Debug, Clone, Copy)]
struct Draft<'a> {
    protected: Headers<'a>,
    unprotected: Headers<'a>,
    payload: &'a [u8],
    detached: bool,
    aad: &'a [u8],
    tagged: bool,
}

impl<'a> Draft<'a> {
    fn new(payload: &'a [u8]) -> Self {
        Self {
            protected: Headers::default(),
            unprotected: Headers::default(),
            payload,
            detached: false,
            aad: &[],
            tagged: true,
        }
    }

    /// Writes everything up to the last field's content: tag, array head, protected bstr,
    /// unprotected map, payload, and the head of a `last_len`-byte bstr. Returns where the
    /// protected map's bytes sit in the output.
    fn write_head<W: Write>(&self, tag: u64, alg: Algorithm, last_len: usize, w: &mut W) -> Result<(usize, usize)> {
        if self.protected.overlaps(true, &self.unprotected) {
            return Err(Error::DuplicateHeader);
        }
        let mut count = Counter::default();
        self.protected.encode(Some(alg), &mut Encoder::new(&mut count))?;
        let mut e = Encoder::new(&mut *w);
        let mut pos = Counter::default();
        {
            let mut pe = Encoder::new(&mut pos);
            if self.tagged {
                pe.tag(tag)?;
            }
            pe.array(4)?;
            pe.raw(EncodedHead::bytes(count.0).as_bytes())?;
        }
        if self.tagged {
            e.tag(tag)?;
        }
        e.array(4)?.raw(EncodedHead::bytes(count.0).as_bytes())?;
        self.protected.encode(Some(alg), &mut e)?;
        self.unprotected.encode(None, &mut e)?;
        if self.detached {
            e.null()?;
        } else {
            e.bytes(self.payload)?;
        }
        e.raw(EncodedHead::bytes(last_len).as_bytes())?;
        let end = pos.0.checked_add(count.0).ok_or(Error::LimitExceeded { limit: "message size" })?;
        Ok((pos.0, end))
    }

    #[cfg(feature = "alloc")]
    fn size(&self, tag: u64, alg: Algorithm, last_len: usize) -> Result<usize> {
        let mut c = Counter::default();
        self.write_head(tag, alg, last_len, &mut c)?;
        c.0.checked_add(last_len).ok_or(Error::LimitExceeded { limit: "message size" })
    }

    /// Encodes into `buf`; `finish` receives the to-be-signed parts and writes the last field.
    fn encode_into(
        &self,
        tag: u64,
        alg: Algorithm,
        last_len: usize,
        buf: &mut [u8],
        finish: impl FnOnce(&ToBeSigned<'_>, &mut [u8]) -> Result<()>,
    ) -> Result<usize> {
        let mut w = SliceWriter::new(buf);
        let (p0, p1) = self.write_head(tag, alg, last_len, &mut w)?;
        let (buf, body_len) = w.into_inner();
        let total = body_len.checked_add(last_len).ok_or(Error::BufferTooSmall(crate::cbor::BufferTooSmall))?;
        let (body, rest) = buf.split_at_mut_checked(body_len).ok_or(crate::cbor::BufferTooSmall)?;
        let out = rest.get_mut(..last_len).ok_or(crate::cbor::BufferTooSmall)?;
        let protected = body.get(p0..p1).unwrap_or_default();
        let ctx = if tag == SIGN1_TAG { ToBeSigned::sign1 } else { ToBeSigned::mac0 };
        finish(&ctx(protected, self.aad, self.payload), out)?;
        Ok(total)
    }

    #[cfg(feature = "alloc")]
    fn build_vec(
        &self,
        tag: u64,
        alg: Algorithm,
        last_len: usize,
        finish: impl FnOnce(&ToBeSigned<'_>, &mut [u8]) -> Result<()>,
    ) -> Result<Vec<u8>> {
        let mut v = alloc::vec![0u8; self.size(tag, alg, last_len)?];
        let n = self.encode_into(tag, alg, last_len, &mut v, finish)?;
        v.truncate(n);
        Ok(v)
    }

    #[cfg(feature = "alloc")]
    fn tbs_vec(&self, tag: u64, alg: Algorithm) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.build_vec(tag, alg, 0, |tbs, _| {
            out = tbs.parts().concat();
            Ok(())
        })?;
        Ok(out)
    }
}

macro_rules! draft_setters {
    () => {
        /// Sets the protected header parameters (`alg` is added by the builder).
        #[must_use]
        pub fn protected(mut self, headers: Headers<'a>) -> Self {
            self.d.protected = headers;
            self
        }
        /// Sets the unprotected header parameters (typically `kid`).
        #[must_use]
        pub fn unprotected(mut self, headers: Headers<'a>) -> Self {
            self.d.unprotected = headers;
            self
        }
        /// Leaves the payload out of the message (`nil`); it is still covered by the signature.
        #[must_use]
        pub fn detached(mut self, yes: bool) -> Self {
            self.d.detached = yes;
            self
        }
        /// Externally supplied authenticated data (RFC 9052 section 4.3).
        #[must_use]
        pub fn external_aad(mut self, aad: &'a [u8]) -> Self {
            self.d.aad = aad;
            self
        }
        /// Whether to write the CBOR tag (default: yes).
        #[must_use]
        pub fn tagged(mut self, yes: bool) -> Self {
            self.d.tagged = yes;
            self
        }
    };
}

/// Builds a COSE_Sign1.
///
/// `alg` goes into the protected header, taken from the signer. The protected map is never
/// empty, so the Sig_structure covers exactly the bytes written.
#[derive(Debug, Clone, Copy)]
pub struct Sign1Builder<'a> {
    d: Draft<'a>,
}

impl<'a> Sign1Builder<'a> {
    /// A builder for `payload`, tagged, attached, no AAD, no other headers.
    #[must_use]
    pub fn new(payload: &'a [u8]) -> Self {
        Self { d: Draft::new(payload) }
    }

    draft_setters!();

    fn check_alg<S: CoseSigner + ?Sized>(signer: &S) -> Result<Algorithm> {
        let alg = signer.algorithm();
        if S::Signature::ACCEPTS.contains(&alg) {
            Ok(alg)
        } else {
            Err(Error::AlgorithmMismatch { expected: S::Signature::ALG.0, actual: alg.0 })
        }
    }

    /// Signs and writes the message into `buf`, returning its length. No allocation: the
    /// Sig_structure is passed to the signer as slices of `buf` and of the payload.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`], [`Error::Signing`] when the signer fails, [`Error::DuplicateHeader`]
    /// when extra headers clash.
    pub fn sign_into<S: CoseSigner + ?Sized>(&self, signer: &S, buf: &mut [u8]) -> Result<usize> {
        let alg = Self::check_alg(signer)?;
        self.d.encode_into(SIGN1_TAG, alg, S::Signature::LEN, buf, |tbs, out| {
            let sig = signer.try_sign_parts(&tbs.parts()).map_err(Error::Signing)?;
            sig.write_cose_bytes(out);
            Ok(())
        })
    }

    /// Signs and returns the encoded message.
    ///
    /// # Errors
    /// As [`Sign1Builder::sign_into`].
    #[cfg(feature = "alloc")]
    pub fn sign<S: CoseSigner + ?Sized>(&self, signer: &S) -> Result<Vec<u8>> {
        let alg = Self::check_alg(signer)?;
        self.d.build_vec(SIGN1_TAG, alg, S::Signature::LEN, |tbs, out| {
            let sig = signer.try_sign_parts(&tbs.parts()).map_err(Error::Signing)?;
            sig.write_cose_bytes(out);
            Ok(())
        })
    }

    /// Phase one of remote signing: the exact Sig_structure bytes to send to the signer.
    ///
    /// # Errors
    /// Header clashes.
    #[cfg(feature = "alloc")]
    pub fn to_be_signed(&self, alg: Algorithm) -> Result<Vec<u8>> {
        self.d.tbs_vec(SIGN1_TAG, alg)
    }

    /// Phase two of remote signing: the message with the signature the signer returned over
    /// [`Sign1Builder::to_be_signed`] with the same `alg`. The signature is not checked here;
    /// verify the result with the public key if the signer is not trusted to be correct.
    ///
    /// # Errors
    /// Header clashes.
    #[cfg(feature = "alloc")]
    pub fn with_signature(&self, alg: Algorithm, signature: &[u8]) -> Result<Vec<u8>> {
        self.d.build_vec(SIGN1_TAG, alg, signature.len(), |_, out| {
            out.copy_from_slice(signature);
            Ok(())
        })
    }
}

/// Builds a COSE_Mac0 with HMAC-SHA-256 (algorithm 5, or 4 for the 64-bit tag).
#[derive(Debug, Clone, Copy)]
pub struct Mac0Builder<'a> {
    d: Draft<'a>,
    alg: Algorithm,
}

impl<'a> Mac0Builder<'a> {
    /// A builder for `payload` with HMAC 256/256.
    #[must_use]
    pub fn new(payload: &'a [u8]) -> Self {
        Self { d: Draft::new(payload), alg: Algorithm::HMAC_256_256 }
    }

    draft_setters!();

    /// Chooses the MAC algorithm ([`Algorithm::HMAC_256_256`], [`Algorithm::HMAC_256_64`],
    /// [`Algorithm::HMAC_384_384`] or [`Algorithm::HMAC_512_512`]).
    #[must_use]
    pub fn algorithm(mut self, alg: Algorithm) -> Self {
        self.alg = alg;
        self
    }

    fn tag_len(&self) -> Result<usize> {
        self.alg.mac_len().ok_or(Error::UnsupportedAlgorithm { alg: Some(self.alg.0) })
    }

    /// Computes the tag and writes the message into `buf`, returning its length.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`], [`Error::UnsupportedAlgorithm`], [`Error::Signing`] when the key fails.
    pub fn mac_into<K: MacKey + ?Sized>(&self, key: &K, buf: &mut [u8]) -> Result<usize> {
        let len = self.tag_len()?;
        self.d.encode_into(MAC0_TAG, self.alg, len, buf, |tbm, out| write_tag(key, self.alg, tbm, out))
    }

    /// Computes the tag and returns the encoded message.
    ///
    /// # Errors
    /// As [`Mac0Builder::mac_into`].
    #[cfg(feature = "alloc")]
    pub fn mac<K: MacKey + ?Sized>(&self, key: &K) -> Result<Vec<u8>> {
        let len = self.tag_len()?;
        self.d.build_vec(MAC0_TAG, self.alg, len, |tbm, out| write_tag(key, self.alg, tbm, out))
    }
}

fn write_tag<K: MacKey + ?Sized>(key: &K, alg: Algorithm, tbm: &ToBeSigned<'_>, out: &mut [u8]) -> Result<()> {
    let mut full = [0u8; 64];
    crate::crypto::mac_full(key, alg, &tbm.parts(), &mut full).map_err(Error::Signing)?;
    let src = full.get(..out.len()).ok_or(Error::LimitExceeded { limit: "tag length" })?;
    out.copy_from_slice(src);
    Ok(())
}
