//! Firmware encryption (draft-ietf-suit-firmware-encryption): the `SUIT_Encryption_Info`
//! (COSE_Encrypt, tag 96, detached ciphertext) of `suit-parameter-encryption-info`, content-key
//! unwrapping with AES-KW or ECDH-ES + AES-KW (P-256, HKDF-SHA-256 over the COSE_KDF_Context), and
//! a streaming [`Decryptor`] for AES-GCM and AES-CTR, all without an allocator.
//!
//! On the device the [`Processor`](crate::Processor) decrypts the content of a write, or the source
//! of a copy, in 64-byte chunks into [`Platform::write_at`](crate::Platform::write_at), asking
//! [`Platform::unwrap_key`](crate::Platform::unwrap_key) for the content key. The platform holds
//! its key-encryption key or ECDH key (or asks a secure element) and calls [`unwrap_aes_kw`] or
//! [`unwrap_ecdh`]. With AES-GCM the tag is checked after the last chunk: a bad tag fails the
//! command, and the component is left holding unauthenticated bytes, so the update fails and the
//! counter does not move. AES-CTR has no integrity of its own; the manifest's image digest gives
//! it (check it with image-match after the write or copy, as the draft's examples do).
//!
//! ```
//! # #[cfg(feature = "alloc")] {
//! use iot_manifest::encryption::{ContentAlgorithm, EncryptTo, EncryptionInfo, encrypt, unwrap_aes_kw};
//! let kek = [0x61u8; 16];
//! let firmware = b"This is a real firmware image.";
//! // Cloud: encrypt for the holders of `kek` (use the OS RNG; fixed bytes keep the doc short).
//! let sealed = encrypt(firmware, ContentAlgorithm::A128Gcm, &[EncryptTo::AesKw { kek: &kek, kid: None }], |b| {
//!     b.fill(7)
//! })?;
//! // Device: unwrap the content key, then decrypt as the ciphertext streams in.
//! let info = EncryptionInfo::decode(&sealed.info)?;
//! let mut cek = [0u8; 32];
//! let n = unwrap_aes_kw(&kek, &info.recipients().next().expect("one recipient"), &mut cek)?;
//! let mut d = info.decryptor(&cek[..n])?;
//! let (body, tag) = sealed.ciphertext.split_at(sealed.ciphertext.len() - d.tag_len());
//! let mut out = body.to_vec();
//! for chunk in out.chunks_mut(8) {
//!     d.update(chunk);
//! }
//! d.finish(tag)?;
//! assert_eq!(out, firmware);
//! # }
//! # Ok::<(), iot_manifest::Error>(())
//! ```

use crate::error::{Error, Result};
use aes::cipher::{BlockCipherEncrypt, KeyInit, KeyIvInit, StreamCipher};
use aes::{Aes128, Aes256};
use ghash::GHash;
use ghash::universal_hash::UniversalHash;
use iot_cose::cbor::{Decoder, Type};
use subtle::ConstantTimeEq;

/// CBOR tag of COSE_Encrypt.
const COSE_ENCRYPT_TAG: u64 = 96;
/// Most recipients in one encryption info.
const MAX_RECIPIENTS: u64 = 4;
/// Most entries in one COSE header map.
const MAX_HEADERS: u64 = 16;
/// Most bytes of a protected header that goes into an Enc_structure or a KDF context.
const MAX_PROTECTED: usize = 64;
/// The GCM tag length.
const TAG_LEN: usize = 16;

fn bad(what: &'static str) -> Error {
    Error::Malformed { what }
}

fn unsupported(what: &'static str, code: i64) -> Error {
    Error::Unsupported { what, code }
}

/// Content encryption algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentAlgorithm {
    /// A128GCM (1).
    A128Gcm,
    /// A256GCM (3).
    A256Gcm,
    /// A128CTR (-65534, RFC 9459): no integrity of its own.
    A128Ctr,
    /// A256CTR (-65532, RFC 9459): no integrity of its own.
    A256Ctr,
}

impl ContentAlgorithm {
    fn from_cose(alg: i64) -> Result<Self> {
        Ok(match alg {
            1 => Self::A128Gcm,
            3 => Self::A256Gcm,
            -65534 => Self::A128Ctr,
            -65532 => Self::A256Ctr,
            other => return Err(unsupported("content encryption algorithm", other)),
        })
    }

    /// The COSE algorithm identifier.
    #[must_use]
    pub fn cose(self) -> i64 {
        match self {
            Self::A128Gcm => 1,
            Self::A256Gcm => 3,
            Self::A128Ctr => -65534,
            Self::A256Ctr => -65532,
        }
    }

    /// The content key length in bytes.
    #[must_use]
    pub fn key_len(self) -> usize {
        match self {
            Self::A128Gcm | Self::A128Ctr => 16,
            Self::A256Gcm | Self::A256Ctr => 32,
        }
    }

    /// The IV length in bytes (12 for GCM, 16 for CTR).
    #[must_use]
    pub fn iv_len(self) -> usize {
        match self {
            Self::A128Gcm | Self::A256Gcm => 12,
            Self::A128Ctr | Self::A256Ctr => 16,
        }
    }

    /// Whether the algorithm authenticates (GCM).
    #[must_use]
    pub fn is_aead(self) -> bool {
        matches!(self, Self::A128Gcm | Self::A256Gcm)
    }
}

/// Key wrap algorithm of a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyWrap {
    /// A128KW.
    A128Kw,
    /// A256KW.
    A256Kw,
}

impl KeyWrap {
    /// The key-encryption key length in bytes.
    #[must_use]
    pub fn key_len(self) -> usize {
        match self {
            Self::A128Kw => 16,
            Self::A256Kw => 32,
        }
    }

    /// The COSE identifier of the AES-KW algorithm itself (-3 or -5), as the KDF context names it.
    #[must_use]
    pub fn cose(self) -> i64 {
        match self {
            Self::A128Kw => -3,
            Self::A256Kw => -5,
        }
    }
}

/// How a recipient carries the content key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient<'a> {
    /// AES-KW (-3 A128KW, -5 A256KW) under a key-encryption key both sides hold.
    AesKw {
        /// The wrap algorithm.
        wrap: KeyWrap,
        /// `kid`, if given.
        kid: Option<&'a [u8]>,
        /// The wrapped content key.
        wrapped: &'a [u8],
    },
    /// ECDH-ES + AES-KW (-29 with A128KW, -31 with A256KW) with an ephemeral P-256 key.
    EcdhEs {
        /// The wrap algorithm.
        wrap: KeyWrap,
        /// `kid` of the device key, if given.
        kid: Option<&'a [u8]>,
        /// The ephemeral public key's x coordinate (32 bytes).
        x: &'a [u8],
        /// Its y coordinate (32 bytes).
        y: &'a [u8],
        /// The recipient's protected header (bytes), which the KDF context binds.
        protected: &'a [u8],
        /// The wrapped content key.
        wrapped: &'a [u8],
    },
}

impl<'a> Recipient<'a> {
    /// The recipient's `kid`, if any.
    #[must_use]
    pub fn kid(&self) -> Option<&'a [u8]> {
        match *self {
            Self::AesKw { kid, .. } | Self::EcdhEs { kid, .. } => kid,
        }
    }

    fn decode(d: &mut Decoder<'a>) -> Result<Self> {
        if d.array()? != 3 {
            return Err(bad("COSE_recipient must have 3 elements (nested recipients are not supported)"));
        }
        let protected = d.bytes()?;
        let mut alg = None;
        if !protected.is_empty() {
            let mut p = Decoder::new(protected);
            headers(&mut p, |label, v| {
                if label == 1 {
                    alg = Some(v.int()?);
                    Ok(true)
                } else {
                    Ok(false)
                }
            })?;
            p.finish()?;
        }
        let (mut kid, mut eph) = (None, None);
        headers(d, |label, v| match label {
            1 if alg.is_none() => {
                alg = Some(v.int()?);
                Ok(true)
            }
            1 => Err(bad("recipient alg in both header buckets")),
            4 => {
                kid = Some(v.bytes()?);
                Ok(true)
            }
            -1 => {
                eph = Some(ephemeral(v)?);
                Ok(true)
            }
            _ => Ok(false),
        })?;
        let wrapped = d.bytes()?;
        let alg = alg.ok_or(bad("recipient without alg"))?;
        let (wrap, ecdh) = match alg {
            -3 => (KeyWrap::A128Kw, false),
            -5 => (KeyWrap::A256Kw, false),
            -29 => (KeyWrap::A128Kw, true),
            -31 => (KeyWrap::A256Kw, true),
            other => return Err(unsupported("key distribution algorithm", other)),
        };
        if wrapped.len() < 24 || wrapped.len() > 40 || wrapped.len() % 8 != 0 {
            return Err(bad("wrapped content key length"));
        }
        Ok(if ecdh {
            let (x, y) = eph.ok_or(bad("ECDH-ES recipient without an ephemeral key"))?;
            if protected.len() > MAX_PROTECTED {
                return Err(bad("recipient protected header too long"));
            }
            Self::EcdhEs { wrap, kid, x, y, protected, wrapped }
        } else {
            if eph.is_some() {
                return Err(bad("AES-KW recipient with an ephemeral key"));
            }
            Self::AesKw { wrap, kid, wrapped }
        })
    }
}

/// Reads a COSE header map, handing each label and the decoder at its value to `f`, which returns
/// whether it consumed the value (otherwise it is skipped). Duplicate labels are refused.
fn headers<'a>(d: &mut Decoder<'a>, mut f: impl FnMut(i64, &mut Decoder<'a>) -> Result<bool>) -> Result<()> {
    let n = d.map()?;
    if n > MAX_HEADERS {
        return Err(Error::LimitExceeded { what: "COSE header entries", limit: 16 });
    }
    let mut seen = [i64::MIN; 16];
    for i in 0..usize::try_from(n).unwrap_or(0) {
        let label = match d.peek_type()? {
            Type::UInt | Type::NInt | Type::Int => d.int()?,
            _ => return Err(bad("COSE header label (only integers are read)")),
        };
        if seen.contains(&label) {
            return Err(Error::DuplicateKey { what: "COSE header", key: label });
        }
        if let Some(slot) = seen.get_mut(i) {
            *slot = label;
        }
        if !f(label, d)? {
            d.raw_item(4)?;
        }
    }
    Ok(())
}

/// An ephemeral COSE_Key: EC2 (1: 2) on P-256 (-1: 1) with 32-byte x and y.
fn ephemeral<'a>(d: &mut Decoder<'a>) -> Result<(&'a [u8], &'a [u8])> {
    let (mut kty, mut crv, mut x, mut y) = (None, None, None, None);
    headers(d, |label, v| {
        match label {
            1 => kty = Some(v.int()?),
            -1 => crv = Some(v.int()?),
            -2 => x = Some(v.bytes()?),
            -3 => y = Some(v.bytes()?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    if kty != Some(2) || crv != Some(1) {
        return Err(unsupported("ephemeral key (only EC2 P-256)", crv.unwrap_or(0)));
    }
    match (x, y) {
        (Some(x), Some(y)) if x.len() == 32 && y.len() == 32 => Ok((x, y)),
        _ => Err(bad("ephemeral key needs 32-byte x and y")),
    }
}

/// `SUIT_Encryption_Info`: a COSE_Encrypt (tag 96) with a detached ciphertext, checked in full
/// when decoded. It keeps only the encoded bytes (24 bytes in a parameter table); the parts are
/// re-read when used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptionInfo<'a> {
    /// The content encryption algorithm.
    pub algorithm: ContentAlgorithm,
    raw: &'a [u8],
}

/// The parts of a checked COSE_Encrypt: IV, body protected header, encoded recipients.
struct Parts<'a> {
    algorithm: ContentAlgorithm,
    iv: &'a [u8],
    protected: &'a [u8],
    recipients: &'a [u8],
}

impl<'a> EncryptionInfo<'a> {
    /// Decodes and checks `SUIT_Encryption_Info` (the content of the parameter's bstr): tag 96,
    /// an algorithm this crate decrypts, an IV of its length, `null` ciphertext, 1 to 4 recipients
    /// of the supported kinds, nothing after it.
    ///
    /// # Errors
    /// [`Error::Malformed`], [`Error::Unsupported`] (another algorithm, COSE_Encrypt0), or a CBOR
    /// error.
    pub fn decode(bytes: &'a [u8]) -> Result<Self> {
        let parts = Self::parts_of(bytes)?;
        Ok(Self { algorithm: parts.algorithm, raw: bytes })
    }

    fn parts(&self) -> Parts<'a> {
        // Checked by `decode`, so this cannot fail; an empty fallback keeps it total.
        Self::parts_of(self.raw).unwrap_or(Parts {
            algorithm: self.algorithm,
            iv: &[],
            protected: &[],
            recipients: &[],
        })
    }

    fn parts_of(bytes: &'a [u8]) -> Result<Parts<'a>> {
        let mut d = Decoder::new(bytes);
        match d.optional_tag()? {
            Some(COSE_ENCRYPT_TAG) => {}
            Some(16) => return Err(unsupported("COSE_Encrypt0 encryption info", 16)),
            Some(tag) => return Err(Error::UnexpectedTag { tag }),
            None => return Err(bad("encryption info must be a tagged COSE_Encrypt (96)")),
        }
        if d.array()? != 4 {
            return Err(bad("COSE_Encrypt must have 4 elements"));
        }
        let protected = d.bytes()?;
        if protected.len() > MAX_PROTECTED {
            return Err(bad("protected header too long"));
        }
        let (mut alg, mut iv) = (None, None);
        // alg (1) and IV (5) in either bucket, not both (a repeat within one bucket is refused by
        // `headers`); Partial IV (6) is not supported.
        let mut take = |label: i64, v: &mut Decoder<'a>| match label {
            1 | 5 if (label == 1 && alg.is_some()) || (label == 5 && iv.is_some()) => {
                Err(bad("alg or IV in both header buckets"))
            }
            1 => {
                alg = Some(v.int()?);
                Ok(true)
            }
            5 => {
                iv = Some(v.bytes()?);
                Ok(true)
            }
            6 => Err(unsupported("Partial IV", 6)),
            _ => Ok(false),
        };
        if !protected.is_empty() {
            let mut p = Decoder::new(protected);
            headers(&mut p, &mut take)?;
            p.finish()?;
        }
        headers(&mut d, &mut take)?;
        let algorithm = ContentAlgorithm::from_cose(alg.ok_or(bad("encryption info without alg"))?)?;
        let iv = iv.ok_or(bad("encryption info without IV"))?;
        if iv.len() != algorithm.iv_len() {
            return Err(bad("IV length does not fit the algorithm"));
        }
        if d.peek_type()? != Type::Null {
            return Err(bad("the ciphertext must be detached (null)"));
        }
        d.null()?;
        let start = d.position();
        let n = d.array()?;
        if n == 0 || n > MAX_RECIPIENTS {
            return Err(bad("encryption info needs 1 to 4 recipients"));
        }
        for _ in 0..n {
            match Recipient::decode(&mut d)? {
                Recipient::AesKw { wrapped, .. } | Recipient::EcdhEs { wrapped, .. } => {
                    if wrapped.len() != algorithm.key_len().saturating_add(8) {
                        return Err(bad("wrapped key length does not fit the content algorithm"));
                    }
                }
            }
        }
        let recipients = bytes.get(start..d.position()).unwrap_or_default();
        d.finish()?;
        Ok(Parts { algorithm, iv, protected, recipients })
    }

    /// The encoded COSE_Encrypt.
    #[must_use]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The IV.
    #[must_use]
    pub fn iv(&self) -> &'a [u8] {
        self.parts().iv
    }

    /// The recipients, in encoded order.
    pub fn recipients(&self) -> impl Iterator<Item = Recipient<'a>> + 'a {
        let mut d = Decoder::new(self.parts().recipients);
        let n = d.array().unwrap_or(0);
        (0..n).map_while(move |_| Recipient::decode(&mut d).ok())
    }

    /// A streaming decryptor under content key `cek`.
    ///
    /// # Errors
    /// [`Error::Malformed`] when `cek` does not have the algorithm's key length.
    pub fn decryptor(&self, cek: &[u8]) -> Result<Decryptor> {
        if cek.len() != self.algorithm.key_len() {
            return Err(bad("content key length does not fit the algorithm"));
        }
        let Parts { iv, protected, .. } = self.parts();
        let key_err = |_| bad("content key");
        Ok(Decryptor(match self.algorithm {
            ContentAlgorithm::A128Ctr => {
                Inner::Ctr128(ctr::Ctr128BE::<Aes128>::new_from_slices(cek, iv).map_err(key_err)?)
            }
            ContentAlgorithm::A256Ctr => {
                Inner::Ctr256(ctr::Ctr128BE::<Aes256>::new_from_slices(cek, iv).map_err(key_err)?)
            }
            ContentAlgorithm::A128Gcm => {
                let aes = Aes128::new_from_slice(cek).map_err(|_| bad("content key"))?;
                let (h, ek_j0, counter) = gcm_blocks(&aes, iv)?;
                let ctr = ctr::Ctr32BE::<Aes128>::new_from_slices(cek, &counter).map_err(key_err)?;
                Inner::Gcm(Gcm::new(h, ek_j0, GcmCtr::A128(ctr), protected)?)
            }
            ContentAlgorithm::A256Gcm => {
                let aes = Aes256::new_from_slice(cek).map_err(|_| bad("content key"))?;
                let (h, ek_j0, counter) = gcm_blocks(&aes, iv)?;
                let ctr = ctr::Ctr32BE::<Aes256>::new_from_slices(cek, &counter).map_err(key_err)?;
                Inner::Gcm(Gcm::new(h, ek_j0, GcmCtr::A256(ctr), protected)?)
            }
        }))
    }
}

/// Unwraps the content key of an AES-KW recipient with key-encryption key `kek` into `cek`;
/// returns its length.
///
/// # Errors
/// [`Error::Decryption`] when the recipient is not AES-KW, the KEK length does not fit, or the
/// unwrap's integrity check fails (a wrong KEK).
pub fn unwrap_aes_kw(kek: &[u8], r: &Recipient<'_>, cek: &mut [u8; 32]) -> Result<usize> {
    let Recipient::AesKw { wrap, wrapped, .. } = *r else {
        return Err(Error::Decryption { what: "not an AES-KW recipient" });
    };
    kw_unwrap(wrap, kek, wrapped, cek)
}

fn kw_unwrap(wrap: KeyWrap, kek: &[u8], wrapped: &[u8], cek: &mut [u8; 32]) -> Result<usize> {
    let n = wrapped.len().saturating_sub(8);
    let out = cek.get_mut(..n).ok_or(Error::Decryption { what: "wrapped key too long" })?;
    let fail = |_| Error::Decryption { what: "AES-KW unwrap failed (wrong key-encryption key?)" };
    if kek.len() != wrap.key_len() {
        return Err(Error::Decryption { what: "key-encryption key length does not fit the wrap algorithm" });
    }
    match wrap {
        KeyWrap::A128Kw => {
            let kw = aes_kw::KwAes128::new_from_slice(kek).map_err(|_| Error::Decryption { what: "KEK" })?;
            kw.unwrap_key(wrapped, out).map_err(fail)?;
        }
        KeyWrap::A256Kw => {
            let kw = aes_kw::KwAes256::new_from_slice(kek).map_err(|_| Error::Decryption { what: "KEK" })?;
            kw.unwrap_key(wrapped, out).map_err(fail)?;
        }
    }
    Ok(n)
}

/// Unwraps the content key of an ECDH-ES + AES-KW recipient with the device's P-256 key: the
/// shared secret with the ephemeral key, the KEK from HKDF-SHA-256 (no salt) over the
/// COSE_KDF_Context `[wrap alg, [nil, nil, nil], [nil, nil, nil], [key bits, recipient protected,
/// "SUIT Payload Encryption"]]`, then AES-KW. Returns the content key length.
///
/// # Errors
/// [`Error::Decryption`] when the recipient is not ECDH-ES, its ephemeral key is not on the curve,
/// or the unwrap fails (the content was encrypted for another key).
#[cfg(feature = "encryption-ecdh")]
pub fn unwrap_ecdh(secret: &p256_ecdh::SecretKey, r: &Recipient<'_>, cek: &mut [u8; 32]) -> Result<usize> {
    let Recipient::EcdhEs { wrap, x, y, protected, wrapped, .. } = *r else {
        return Err(Error::Decryption { what: "not an ECDH-ES recipient" });
    };
    let mut sec1 = [0u8; 65];
    sec1[0] = 4;
    sec1.get_mut(1..33).ok_or(Error::Decryption { what: "x" })?.copy_from_slice(x);
    sec1.get_mut(33..).ok_or(Error::Decryption { what: "y" })?.copy_from_slice(y);
    let eph = p256_ecdh::PublicKey::from_sec1_bytes(&sec1)
        .map_err(|_| Error::Decryption { what: "the ephemeral key is not a P-256 point" })?;
    let shared = p256_ecdh::ecdh::diffie_hellman(secret.to_nonzero_scalar(), eph.as_affine());
    let mut kek = zeroize::Zeroizing::new([0u8; 32]);
    let kek = kek.get_mut(..wrap.key_len()).ok_or(Error::Decryption { what: "KEK" })?;
    kdf(shared.raw_secret_bytes(), wrap, protected, kek)?;
    kw_unwrap(wrap, kek, wrapped, cek)
}

/// HKDF-SHA-256 (no salt) over the SUIT COSE_KDF_Context.
#[cfg(feature = "encryption-ecdh")]
pub(crate) fn kdf(z: &[u8], wrap: KeyWrap, protected: &[u8], out: &mut [u8]) -> Result<()> {
    let mut ctx = [0u8; 128];
    let n = kdf_context(wrap, protected, &mut ctx)?;
    let info = ctx.get(..n).ok_or(Error::Decryption { what: "KDF context" })?;
    hkdf::Hkdf::<sha2::Sha256>::new(None, z).expand(info, out).map_err(|_| Error::Decryption { what: "HKDF" })
}

/// Writes the COSE_KDF_Context; returns its length.
#[cfg(feature = "encryption-ecdh")]
fn kdf_context(wrap: KeyWrap, protected: &[u8], out: &mut [u8]) -> Result<usize> {
    const OTHER: &[u8] = b"SUIT Payload Encryption";
    let mut e = iot_cose::cbor::Encoder::new(iot_cose::cbor::SliceWriter::new(out));
    let bits = u64::try_from(wrap.key_len().saturating_mul(8)).unwrap_or(0);
    let r = (|| {
        e.array(4)?.int(wrap.cose())?;
        for _ in 0..2 {
            e.array(3)?.null()?.null()?.null()?;
        }
        e.array(3)?.uint(bits)?.bytes(protected)?.bytes(OTHER)?;
        Ok::<_, iot_cose::cbor::BufferTooSmall>(())
    })();
    r.map_err(|_| Error::Decryption { what: "KDF context too long" })?;
    Ok(e.into_inner().written().len())
}

/// Decrypts a content stream: [`Decryptor::update`] over the ciphertext in order (any chunk
/// sizes), then [`Decryptor::finish`] with the GCM tag (the last 16 bytes of the stream; empty for
/// CTR).
pub struct Decryptor(Inner);

impl core::fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Decryptor { .. }")
    }
}

#[allow(clippy::large_enum_variant, reason = "one decryptor on the stack per command; boxing needs an allocator")]
enum Inner {
    Ctr128(ctr::Ctr128BE<Aes128>),
    Ctr256(ctr::Ctr128BE<Aes256>),
    Gcm(Gcm),
}

impl Decryptor {
    /// Bytes at the end of the ciphertext that are the tag (16 for GCM, 0 for CTR).
    #[must_use]
    pub fn tag_len(&self) -> usize {
        match self.0 {
            Inner::Ctr128(_) | Inner::Ctr256(_) => 0,
            Inner::Gcm(_) => TAG_LEN,
        }
    }

    /// Decrypts the next `data` in place. With GCM the plaintext is not authenticated until
    /// [`Decryptor::finish`] succeeds.
    pub fn update(&mut self, data: &mut [u8]) {
        match &mut self.0 {
            Inner::Ctr128(c) => c.apply_keystream(data),
            Inner::Ctr256(c) => c.apply_keystream(data),
            Inner::Gcm(g) => g.update(data),
        }
    }

    /// Ends the stream and checks the GCM tag in constant time (CTR takes an empty tag).
    ///
    /// # Errors
    /// [`Error::Decryption`] for a wrong tag or a tag of the wrong length.
    pub fn finish(self, tag: &[u8]) -> Result<()> {
        match self.0 {
            Inner::Ctr128(_) | Inner::Ctr256(_) if tag.is_empty() => Ok(()),
            Inner::Ctr128(_) | Inner::Ctr256(_) => Err(Error::Decryption { what: "AES-CTR takes no tag" }),
            Inner::Gcm(g) => g.finish(tag),
        }
    }
}

/// AES-GCM decryption as a stream (NIST SP 800-38D with a 96-bit IV): CTR from inc32(J0) and
/// GHASH over the AAD, the ciphertext and the lengths.
struct Gcm {
    ctr: GcmCtr,
    ghash: GHash,
    ek_j0: [u8; 16],
    partial: [u8; 16],
    partial_len: usize,
    ct_len: u64,
    aad_len: u64,
}

#[allow(clippy::large_enum_variant, reason = "as for Inner: stack-only, no allocator")]
enum GcmCtr {
    A128(ctr::Ctr32BE<Aes128>),
    A256(ctr::Ctr32BE<Aes256>),
}

/// H = E(K, 0), E(K, J0) and the counter block inc32(J0), for a 96-bit IV.
fn gcm_blocks<C: BlockCipherEncrypt<BlockSize = aes::cipher::consts::U16>>(
    cipher: &C,
    iv: &[u8],
) -> Result<([u8; 16], [u8; 16], [u8; 16])> {
    let mut h = [0u8; 16];
    cipher.encrypt_block((&mut h).into());
    let mut j0 = [0u8; 16];
    j0.get_mut(..12).ok_or(bad("GCM IV"))?.copy_from_slice(iv);
    j0[15] = 1;
    let mut ek_j0 = j0;
    cipher.encrypt_block((&mut ek_j0).into());
    let mut counter = j0;
    counter[15] = 2;
    Ok((h, ek_j0, counter))
}

impl Gcm {
    fn new(h: [u8; 16], ek_j0: [u8; 16], ctr: GcmCtr, protected: &[u8]) -> Result<Self> {
        let mut ghash = GHash::new(&h.into());
        // AAD: the Enc_structure ["Encrypt", protected, h''].
        let mut aad = [0u8; MAX_PROTECTED + 16];
        let mut e = iot_cose::cbor::Encoder::new(iot_cose::cbor::SliceWriter::new(&mut aad));
        e.array(3)
            .and_then(|e| e.str("Encrypt"))
            .and_then(|e| e.bytes(protected))
            .and_then(|e| e.bytes(&[]))
            .map_err(|_| bad("protected header too long"))?;
        let w = e.into_inner();
        let aad = w.written();
        ghash.update_padded(aad);
        Ok(Self {
            ctr,
            ghash,
            ek_j0,
            partial: [0; 16],
            partial_len: 0,
            ct_len: 0,
            aad_len: u64::try_from(aad.len()).unwrap_or(u64::MAX),
        })
    }

    /// GHASH over the next ciphertext bytes, buffering a partial block.
    fn hash(&mut self, ct: &[u8]) {
        let mut rest = ct;
        if self.partial_len > 0 {
            let take = rest.len().min(16usize.saturating_sub(self.partial_len));
            let (head, tail) = rest.split_at(take);
            if let Some(dst) = self.partial.get_mut(self.partial_len..self.partial_len.saturating_add(take)) {
                dst.copy_from_slice(head);
            }
            self.partial_len = self.partial_len.saturating_add(take);
            rest = tail;
            if self.partial_len == 16 {
                self.ghash.update(&[self.partial.into()]);
                self.partial_len = 0;
            }
        }
        let mut blocks = rest.chunks_exact(16);
        for b in &mut blocks {
            let mut block = [0u8; 16];
            block.copy_from_slice(b);
            self.ghash.update(&[block.into()]);
        }
        let tail = blocks.remainder();
        if !tail.is_empty() {
            if let Some(dst) = self.partial.get_mut(..tail.len()) {
                dst.copy_from_slice(tail);
            }
            self.partial_len = tail.len();
        }
        self.ct_len = self.ct_len.saturating_add(u64::try_from(ct.len()).unwrap_or(u64::MAX));
    }

    fn keystream(&mut self, data: &mut [u8]) {
        match &mut self.ctr {
            GcmCtr::A128(c) => c.apply_keystream(data),
            GcmCtr::A256(c) => c.apply_keystream(data),
        }
    }

    fn update(&mut self, data: &mut [u8]) {
        self.hash(data);
        self.keystream(data);
    }

    fn tag(mut self) -> [u8; 16] {
        if self.partial_len > 0 {
            self.ghash.update_padded(self.partial.get(..self.partial_len).unwrap_or_default());
        }
        let mut lengths = [0u8; 16];
        lengths[..8].copy_from_slice(&self.aad_len.saturating_mul(8).to_be_bytes());
        lengths[8..].copy_from_slice(&self.ct_len.saturating_mul(8).to_be_bytes());
        self.ghash.update(&[lengths.into()]);
        let s = self.ghash.finalize();
        let mut t = [0u8; 16];
        for ((o, a), b) in t.iter_mut().zip(s.iter()).zip(self.ek_j0.iter()) {
            *o = a ^ b;
        }
        t
    }

    fn finish(self, tag: &[u8]) -> Result<()> {
        if tag.len() != TAG_LEN {
            return Err(Error::Decryption { what: "GCM tag must be 16 bytes" });
        }
        if bool::from(self.tag().ct_eq(tag)) { Ok(()) } else { Err(Error::Decryption { what: "GCM tag mismatch" }) }
    }
}

/// Who can decrypt: a recipient for [`encrypt`].
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, Copy)]
pub enum EncryptTo<'k> {
    /// AES-KW under a key-encryption key of 16 (A128KW) or 32 (A256KW) bytes.
    AesKw {
        /// The key-encryption key.
        kek: &'k [u8],
        /// The `kid` to name it by.
        kid: Option<&'k [u8]>,
    },
    /// ECDH-ES + A128KW to a device's P-256 public key.
    #[cfg(feature = "encryption-ecdh")]
    Ecdh {
        /// The device's public key.
        public: &'k p256_ecdh::PublicKey,
        /// The `kid` to name it by.
        kid: Option<&'k [u8]>,
    },
}

/// An encrypted payload: the `SUIT_Encryption_Info` for `suit-parameter-encryption-info` and the
/// ciphertext (with the 16-byte tag appended for GCM) to carry as content or to serve for a fetch.
#[cfg(feature = "alloc")]
#[derive(Clone, PartialEq, Eq)]
pub struct Encrypted {
    /// The encoded COSE_Encrypt (tag 96, detached ciphertext).
    pub info: alloc::vec::Vec<u8>,
    /// The ciphertext.
    pub ciphertext: alloc::vec::Vec<u8>,
}

#[cfg(feature = "alloc")]
impl core::fmt::Debug for Encrypted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Encrypted").field("info", &self.info.len()).field("ciphertext", &self.ciphertext.len()).finish()
    }
}

/// Encrypts `plaintext` for `recipients` (the cloud side). `random` fills buffers with fresh
/// random bytes, in this order: the content key, the IV, then a 32-byte ephemeral secret per
/// ECDH recipient (retried while it is not a valid scalar). Pass the operating system's RNG;
/// tests pass fixed bytes to reproduce published examples.
///
/// # Errors
/// [`Error::Malformed`] for no recipients or more than 4, or a KEK of the wrong length.
#[cfg(feature = "alloc")]
pub fn encrypt(
    plaintext: &[u8],
    algorithm: ContentAlgorithm,
    recipients: &[EncryptTo<'_>],
    mut random: impl FnMut(&mut [u8]),
) -> Result<Encrypted> {
    use alloc::vec::Vec;
    if recipients.is_empty() || recipients.len() > 4 {
        return Err(bad("encryption needs 1 to 4 recipients"));
    }
    let mut cek = zeroize::Zeroizing::new([0u8; 32]);
    let cek = cek.get_mut(..algorithm.key_len()).ok_or(bad("content key"))?;
    random(cek);
    let mut iv = [0u8; 16];
    let iv = iv.get_mut(..algorithm.iv_len()).ok_or(bad("IV"))?;
    random(iv);
    type Fill<'x> = dyn FnMut(&mut iot_cose::cbor::Encoder<&mut Vec<u8>>) -> core::result::Result<(), iot_cose::cbor::BufferTooSmall>
        + 'x;
    let enc = |f: &mut Fill<'_>| {
        let mut v = Vec::new();
        let _ = f(&mut iot_cose::cbor::Encoder::new(&mut v));
        v
    };
    // Body headers: GCM names its algorithm in the protected bucket (it is authenticated);
    // CTR cannot protect anything, so everything goes in the unprotected bucket.
    let protected = if algorithm.is_aead() {
        enc(&mut |e| e.map(1)?.int(1)?.int(algorithm.cose()).map(|_| ()))
    } else {
        Vec::new()
    };
    let unprotected = if algorithm.is_aead() {
        enc(&mut |e| e.map(1)?.int(5)?.bytes(iv).map(|_| ()))
    } else {
        enc(&mut |e| e.map(2)?.int(1)?.int(algorithm.cose())?.int(5)?.bytes(iv).map(|_| ()))
    };
    let mut recipients_enc = enc(&mut |e| e.array(recipients.len()).map(|_| ()));
    for r in recipients {
        let mut wrapped = [0u8; 40];
        let wlen = algorithm.key_len().saturating_add(8);
        let out = wrapped.get_mut(..wlen).ok_or(bad("wrapped key"))?;
        match *r {
            EncryptTo::AesKw { kek, kid } => {
                let wrap = match kek.len() {
                    16 => KeyWrap::A128Kw,
                    32 => KeyWrap::A256Kw,
                    _ => return Err(bad("key-encryption key must be 16 or 32 bytes")),
                };
                kw_wrap(wrap, kek, cek, out)?;
                let alg = wrap.cose();
                recipients_enc.extend(enc(&mut |e| {
                    e.array(3)?.bytes(&[])?.map(usize::from(kid.is_some()).saturating_add(1))?.int(1)?.int(alg)?;
                    if let Some(kid) = kid {
                        e.int(4)?.bytes(kid)?;
                    }
                    e.bytes(out).map(|_| ())
                }));
            }
            #[cfg(feature = "encryption-ecdh")]
            EncryptTo::Ecdh { public, kid } => {
                let eph = loop {
                    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
                    random(&mut *seed);
                    if let Ok(k) = p256_ecdh::SecretKey::from_slice(&*seed) {
                        break k;
                    }
                };
                let point = p256_ecdh::elliptic_curve::sec1::ToSec1Point::to_sec1_point(&eph.public_key(), false);
                let (x, y) = (point.x().ok_or(bad("point"))?, point.y().ok_or(bad("point"))?);
                let rprot = enc(&mut |e| e.map(1)?.int(1)?.int(-29).map(|_| ()));
                let shared = p256_ecdh::ecdh::diffie_hellman(eph.to_nonzero_scalar(), public.as_affine());
                let mut kek = zeroize::Zeroizing::new([0u8; 16]);
                kdf(shared.raw_secret_bytes(), KeyWrap::A128Kw, &rprot, &mut *kek)?;
                kw_wrap(KeyWrap::A128Kw, &*kek, cek, out)?;
                recipients_enc.extend(enc(&mut |e| {
                    e.array(3)?.bytes(&rprot)?.map(usize::from(kid.is_some()).saturating_add(1))?;
                    if let Some(kid) = kid {
                        e.int(4)?.bytes(kid)?;
                    }
                    e.int(-1)?.map(4)?.int(1)?.int(2)?.int(-1)?.int(1)?.int(-2)?.bytes(x)?.int(-3)?.bytes(y)?;
                    e.bytes(out).map(|_| ())
                }));
            }
        }
    }
    let mut info = enc(&mut |e| e.tag(COSE_ENCRYPT_TAG)?.array(4)?.bytes(&protected).map(|_| ()));
    info.extend_from_slice(&unprotected);
    info.extend(enc(&mut |e| e.null().map(|_| ())));
    info.extend_from_slice(&recipients_enc);
    // Encrypt through the same machinery the device decrypts with.
    let checked = EncryptionInfo::decode(&info)?;
    let mut ciphertext = plaintext.to_vec();
    match checked.decryptor(cek)?.0 {
        Inner::Ctr128(mut c) => c.apply_keystream(&mut ciphertext),
        Inner::Ctr256(mut c) => c.apply_keystream(&mut ciphertext),
        Inner::Gcm(mut g) => {
            g.keystream(&mut ciphertext);
            g.hash(&ciphertext);
            ciphertext.extend_from_slice(&g.tag());
        }
    }
    Ok(Encrypted { info, ciphertext })
}

#[cfg(feature = "alloc")]
fn kw_wrap(wrap: KeyWrap, kek: &[u8], cek: &[u8], out: &mut [u8]) -> Result<()> {
    let fail = |_| bad("AES-KW wrap");
    if kek.len() != wrap.key_len() {
        return Err(bad("key-encryption key length does not fit the wrap algorithm"));
    }
    match wrap {
        KeyWrap::A128Kw => {
            aes_kw::KwAes128::new_from_slice(kek).map_err(|_| bad("KEK"))?.wrap_key(cek, out).map_err(fail)?;
        }
        KeyWrap::A256Kw => {
            aes_kw::KwAes256::new_from_slice(kek).map_err(|_| bad("KEK"))?.wrap_key(cek, out).map_err(fail)?;
        }
    }
    Ok(())
}
