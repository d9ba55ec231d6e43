//! `SUIT_Envelope`: decoding, authentication, severable members and integrated payloads.

use crate::codes::{self, SEVERABLE_KEYS, Section, envelope as ek};
use crate::command::{Sequence, check_sequence};
use crate::digest::{SuitDigest, ct_eq, sha256_bstr_wrapped};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::manifest::{Manifest, Member};
use iot_cose::cbor::{Decoder, Type};
use iot_cose::{CoseMac0, CoseSign1, CoseVerifier, MacKey};

/// A decoded `SUIT_Envelope`, borrowed from its bytes. Nothing inside the manifest has been parsed
/// or trusted yet: call [`Envelope::authenticate`] to get a [`VerifiedManifest`].
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    map: &'a [u8],
    tagged: bool,
    auth: &'a [u8],
    auth_len: u64,
    manifest: &'a [u8],
    members: [Option<&'a [u8]>; 6],
    payloads: usize,
}

impl<'a> Envelope<'a> {
    /// Decodes an envelope with the default [`Limits`].
    ///
    /// # Errors
    /// As [`Envelope::decode_with`].
    pub fn decode(bytes: &'a [u8]) -> Result<Self> {
        Self::decode_with(bytes, &Limits::DEFAULT)
    }

    /// Decodes the envelope's outer structure: tag 107 (optional if the limits allow untagged
    /// envelopes), the authentication wrapper shape, the manifest bytes, severable members and
    /// integrated payloads. Trailing bytes, duplicate keys and indefinite lengths are refused.
    ///
    /// # Errors
    /// [`Error::Cbor`], [`Error::Malformed`], [`Error::UnexpectedTag`], [`Error::Untagged`],
    /// [`Error::DuplicateKey`], [`Error::Missing`], [`Error::LimitExceeded`].
    pub fn decode_with(bytes: &'a [u8], limits: &Limits) -> Result<Self> {
        if bytes.len() > limits.max_envelope {
            return Err(Error::LimitExceeded { what: "envelope size", limit: limits.max_envelope });
        }
        let mut d = Decoder::new(bytes);
        let tagged = match d.optional_tag()? {
            Some(codes::ENVELOPE_TAG) => true,
            Some(tag) => return Err(Error::UnexpectedTag { tag }),
            None if limits.allow_untagged => false,
            None => return Err(Error::Untagged),
        };
        let start = d.position();
        let n = d.map()?;
        let mut auth = None;
        let mut manifest = None;
        let mut members = [None; 6];
        let mut payloads = 0usize;
        for _ in 0..n {
            match d.peek_type()? {
                Type::UInt => {
                    let key = d.uint()?;
                    let dup = || Error::DuplicateKey { what: "SUIT_Envelope", key: i64::try_from(key).unwrap_or(0) };
                    match key {
                        ek::AUTHENTICATION => {
                            if auth.is_some() {
                                return Err(dup());
                            }
                            auth = Some(d.bytes()?);
                        }
                        ek::MANIFEST => {
                            if manifest.is_some() {
                                return Err(dup());
                            }
                            if auth.is_none() {
                                return Err(Error::Malformed {
                                    what: "authentication wrapper must precede the manifest (section 8.3)",
                                });
                            }
                            manifest = Some(d.bytes()?);
                        }
                        k => {
                            let i = SEVERABLE_KEYS.iter().position(|s| *s == k).ok_or(Error::Unsupported {
                                what: "envelope member",
                                code: i64::try_from(k).unwrap_or(0),
                            })?;
                            let slot = members.get_mut(i).ok_or(Error::Malformed { what: "envelope member" })?;
                            if slot.is_some() {
                                return Err(dup());
                            }
                            *slot = Some(d.bytes()?);
                        }
                    }
                }
                Type::Text => {
                    d.str()?;
                    d.bytes()?;
                    payloads = payloads.saturating_add(1);
                    if payloads > limits.max_integrated_payloads {
                        return Err(Error::LimitExceeded {
                            what: "integrated payloads",
                            limit: limits.max_integrated_payloads,
                        });
                    }
                }
                _ => return Err(Error::Malformed { what: "envelope key" }),
            }
        }
        d.finish()?;
        let map = d.consumed_since(start);
        let auth = auth.ok_or(Error::Missing { what: "authentication wrapper" })?;
        let manifest = manifest.ok_or(Error::Missing { what: "manifest" })?;
        let auth_len = check_auth_shape(auth, limits)?;
        let env = Self { map, tagged, auth, auth_len, manifest, members, payloads };
        for (i, (name, _)) in env.integrated_payloads().enumerate() {
            if env.integrated_payloads().skip(i.saturating_add(1)).any(|(other, _)| other == name) {
                return Err(Error::DuplicateKey { what: "SUIT_Envelope integrated payload", key: i64::MIN });
            }
        }
        Ok(env)
    }

    /// Whether the envelope carried CBOR tag 107.
    #[must_use]
    pub fn is_tagged(&self) -> bool {
        self.tagged
    }

    /// The manifest bytes (content of member 3), not authenticated.
    #[must_use]
    pub fn unverified_manifest_bytes(&self) -> &'a [u8] {
        self.manifest
    }

    /// Decodes the manifest *without* authenticating it, for inspection tools (`iot manifest
    /// show`). A device must use [`Envelope::authenticate`].
    ///
    /// # Errors
    /// As [`Manifest::decode`].
    pub fn unverified_manifest(&self, limits: &Limits) -> Result<Manifest<'a>> {
        Manifest::decode(self.manifest, limits)
    }

    /// SHA-256 over the bstr-wrapped manifest: the value the authentication wrapper must hold.
    #[must_use]
    pub fn manifest_digest(&self) -> [u8; 32] {
        sha256_bstr_wrapped(self.manifest)
    }

    /// The digest in the authentication wrapper (element 0), not authenticated.
    ///
    /// # Errors
    /// Malformed digest.
    pub fn unverified_digest(&self) -> Result<SuitDigest<'a>> {
        let mut d = Decoder::new(self.auth);
        d.array()?;
        SuitDigest::decode(d.bytes()?)
    }

    /// The encoded COSE authentication blocks (elements 1.. of the wrapper).
    pub fn authentication_blocks(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut d = Decoder::new(self.auth);
        let mut left = d.array().unwrap_or(0);
        let first = d.bytes().is_ok();
        left = if first { left.saturating_sub(1) } else { 0 };
        core::iter::from_fn(move || {
            left = left.checked_sub(1)?;
            d.bytes().ok()
        })
    }

    /// Number of COSE blocks in the authentication wrapper (0 for an unsigned envelope).
    #[must_use]
    pub fn signature_count(&self) -> usize {
        usize::try_from(self.auth_len.saturating_sub(1)).unwrap_or(usize::MAX)
    }

    /// A severable member carried in the envelope (16, 20, 23, or an extension's 14, 15, 18).
    #[must_use]
    pub fn member(&self, key: u64) -> Option<&'a [u8]> {
        let i = SEVERABLE_KEYS.iter().position(|s| *s == key)?;
        self.members.get(i).copied().flatten()
    }

    /// Number of integrated payloads.
    #[must_use]
    pub fn integrated_payload_count(&self) -> usize {
        self.payloads
    }

    /// Integrated payloads as `(name, bytes)`, in envelope order. Names usually start with `#`.
    pub fn integrated_payloads(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        let mut d = Decoder::new(self.map);
        let mut left = d.map().unwrap_or(0);
        core::iter::from_fn(move || {
            loop {
                left = left.checked_sub(1)?;
                match d.peek_type().ok()? {
                    Type::Text => {
                        let name = d.str().ok()?;
                        let body = d.bytes().ok()?;
                        return Some((name, body));
                    }
                    _ => {
                        d.skip(2).ok()?;
                        d.skip(2).ok()?;
                    }
                }
            }
        })
    }

    /// The integrated payload named `name` (for a URI `#name`, pass `"#name"`).
    #[must_use]
    pub fn integrated_payload(&self, name: &str) -> Option<&'a [u8]> {
        self.integrated_payloads().find(|(n, _)| *n == name).map(|(_, b)| b)
    }

    /// Authenticates with the default [`Limits`]. See [`Envelope::authenticate_with`].
    ///
    /// # Errors
    /// As [`Envelope::authenticate_with`].
    pub fn authenticate<A: Authenticator + ?Sized>(&self, key: &A) -> Result<VerifiedManifest<'a>> {
        self.authenticate_with(key, &Limits::DEFAULT)
    }

    /// Authenticates the envelope and only then decodes the manifest (spec section 6.2).
    ///
    /// 1. At least one COSE block must verify with `key` over the detached payload, which is the
    ///    bstr-wrapped `SUIT_Digest` (wrapper element 0). Blocks for other algorithms are skipped.
    /// 2. The digest must be SHA-256 and equal SHA-256 over the bstr-wrapped manifest
    ///    (constant-time comparison).
    /// 3. The manifest is decoded and every inline command sequence is checked.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] for an envelope without COSE blocks, [`Error::Authentication`]
    /// when no block verifies, [`Error::UnsupportedDigest`], [`Error::DigestMismatch`], then the
    /// decode errors of [`Manifest::decode`].
    pub fn authenticate_with<A: Authenticator + ?Sized>(
        &self,
        key: &A,
        limits: &Limits,
    ) -> Result<VerifiedManifest<'a>> {
        let mut d = Decoder::new(self.auth);
        d.array()?;
        let digest_bytes = d.bytes()?;
        let mut best: Option<iot_cose::Error> = None;
        let mut ok = false;
        for block in self.authentication_blocks() {
            match key.check(block, digest_bytes) {
                Ok(()) => {
                    ok = true;
                    break;
                }
                Err(e) => {
                    if best.as_ref().is_none_or(|b| rank(&e) > rank(b)) {
                        best = Some(e);
                    }
                }
            }
        }
        if !ok {
            return Err(best.map_or(Error::Unauthenticated, Error::Authentication));
        }
        let digest = SuitDigest::decode(digest_bytes)?;
        if digest.alg != codes::digest::SHA256 {
            return Err(Error::UnsupportedDigest(digest.alg));
        }
        let computed = self.manifest_digest();
        if !ct_eq(&computed, digest.bytes) {
            return Err(Error::DigestMismatch);
        }
        let manifest = Manifest::decode(self.manifest, limits)?;
        Ok(VerifiedManifest { envelope: *self, manifest, digest: computed, limits: *limits })
    }
}

/// How telling a COSE failure is, to report the best one when several blocks fail.
fn rank(e: &iot_cose::Error) -> u8 {
    match e {
        iot_cose::Error::BadSignature => 4,
        iot_cose::Error::SignatureLength { .. } => 3,
        iot_cose::Error::AlgorithmMismatch { .. } | iot_cose::Error::UnexpectedTag { .. } => 1,
        _ => 2,
    }
}

fn check_auth_shape(auth: &[u8], limits: &Limits) -> Result<u64> {
    let mut d = Decoder::new(auth);
    let n = d.array()?;
    if n == 0 {
        return Err(Error::Malformed { what: "authentication wrapper is empty" });
    }
    if usize::try_from(n.saturating_sub(1)).map_or(true, |s| s > limits.max_signatures) {
        return Err(Error::LimitExceeded { what: "authentication blocks", limit: limits.max_signatures });
    }
    for _ in 0..n {
        d.bytes()?;
    }
    d.finish()?;
    Ok(n)
}

/// Checks one COSE authentication block against the detached payload (the bstr-wrapped
/// `SUIT_Digest`). Implemented by [`Sign1Key`] and [`Mac0Key`], by slices of authenticators (any
/// key may verify: key rotation), and by closures.
pub trait Authenticator {
    /// Verifies `block` (an encoded, tagged COSE structure) over `payload`.
    ///
    /// # Errors
    /// The COSE error when the block does not verify with this key.
    fn check(&self, block: &[u8], payload: &[u8]) -> Result<(), iot_cose::Error>;
}

/// A public key that checks COSE_Sign1 authentication blocks (ES256/ESP256 with P-256,
/// EdDSA/Ed25519). Wrap any [`iot_cose::CoseVerifier`], including a hardware one.
#[derive(Debug, Clone, Copy)]
pub struct Sign1Key<V>(pub V);

impl<V: CoseVerifier> Authenticator for Sign1Key<V> {
    fn check(&self, block: &[u8], payload: &[u8]) -> Result<(), iot_cose::Error> {
        let msg = CoseSign1::decode(block)?;
        if !msg.is_tagged() {
            return Err(iot_cose::Error::MalformedStructure { what: "untagged COSE_Sign1 in SUIT authentication" });
        }
        msg.verify_detached(&self.0, payload, &[]).map(|_| ())
    }
}

/// A symmetric key that checks COSE_Mac0 authentication blocks (HMAC 256/256).
#[derive(Debug, Clone, Copy)]
pub struct Mac0Key<K>(pub K);

impl<K: MacKey> Authenticator for Mac0Key<K> {
    fn check(&self, block: &[u8], payload: &[u8]) -> Result<(), iot_cose::Error> {
        let msg = CoseMac0::decode(block)?;
        if !msg.is_tagged() {
            return Err(iot_cose::Error::MalformedStructure { what: "untagged COSE_Mac0 in SUIT authentication" });
        }
        msg.verify_detached(&self.0, payload, &[]).map(|_| ())
    }
}

/// Verifies COSE_Sign1 blocks with a key loaded from PEM or COSE_Key.
#[cfg(all(feature = "alloc", any(feature = "p256", feature = "ed25519")))]
impl Authenticator for iot_cose::PublicKey {
    fn check(&self, block: &[u8], payload: &[u8]) -> Result<(), iot_cose::Error> {
        let msg = CoseSign1::decode(block)?;
        if !msg.is_tagged() {
            return Err(iot_cose::Error::MalformedStructure { what: "untagged COSE_Sign1 in SUIT authentication" });
        }
        self.verify_sign1(&msg, Some(payload), &[], &iot_cose::VerifyOptions::default()).map(|_| ())
    }
}

impl<A: Authenticator> Authenticator for [A] {
    fn check(&self, block: &[u8], payload: &[u8]) -> Result<(), iot_cose::Error> {
        let mut last = iot_cose::Error::BadSignature;
        for key in self {
            match key.check(block, payload) {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

impl<F: Fn(&[u8], &[u8]) -> Result<(), iot_cose::Error>> Authenticator for F {
    fn check(&self, block: &[u8], payload: &[u8]) -> Result<(), iot_cose::Error> {
        self(block, payload)
    }
}

/// A manifest whose envelope authenticated. Only [`Envelope::authenticate`] makes one, and the
/// [`Processor`](crate::Processor) takes nothing else.
#[derive(Debug, Clone, Copy)]
pub struct VerifiedManifest<'a> {
    envelope: Envelope<'a>,
    manifest: Manifest<'a>,
    digest: [u8; 32],
    limits: Limits,
}

impl<'a> VerifiedManifest<'a> {
    /// The authenticated manifest.
    #[must_use]
    pub fn manifest(&self) -> &Manifest<'a> {
        &self.manifest
    }

    /// The envelope it came in (severable members, integrated payloads).
    #[must_use]
    pub fn envelope(&self) -> &Envelope<'a> {
        &self.envelope
    }

    /// The sequence number.
    #[must_use]
    pub fn sequence_number(&self) -> u64 {
        self.manifest.sequence_number()
    }

    /// SHA-256 of the bstr-wrapped manifest (the manifest's identity in reports and dependencies).
    #[must_use]
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The limits it was decoded with.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A command sequence, resolved: inline, or a severed member taken from the envelope after its
    /// digest matched (and then checked like inline sequences). `Ok(None)` when the manifest has
    /// no such sequence.
    ///
    /// # Errors
    /// [`Error::SeveredAbsent`] when the member is severed and the envelope does not carry it;
    /// [`Error::SeveredMismatch`] when the carried member does not match its digest; decode
    /// errors of the member.
    pub fn section(&self, section: Section) -> Result<Option<Sequence<'a>>> {
        if section == Section::Shared {
            return Ok(self.manifest.shared_sequence());
        }
        let key = section.key().unwrap_or(0);
        match self.manifest.member(section) {
            Member::Absent => Ok(None),
            Member::Present(b) => Ok(Some(Sequence::new(b))),
            Member::Severed(digest) => {
                let body = self.resolve(key, &digest)?;
                let seq = Sequence::new(body);
                let mut ctx = self.manifest.check_ctx(&self.limits, false);
                check_sequence(&seq, &mut ctx, self.limits.max_depth, self.limits.max_commands)?;
                Ok(Some(seq))
            }
        }
    }

    /// The text map (`suit-text`, encoded), resolved like [`VerifiedManifest::section`].
    ///
    /// # Errors
    /// As [`VerifiedManifest::section`].
    pub fn text(&self) -> Result<Option<&'a [u8]>> {
        match self.manifest.text() {
            Member::Absent => Ok(None),
            Member::Present(b) => Ok(Some(b)),
            Member::Severed(digest) => self.resolve(codes::TEXT, &digest).map(Some),
        }
    }

    /// Checks every severable member the envelope carries against its digest.
    ///
    /// # Errors
    /// The first [`Error::SeveredMismatch`].
    pub fn check_members(&self) -> Result<()> {
        for section in Section::SEQUENCES.into_iter().filter(|s| s.is_severable()) {
            if let Member::Severed(digest) = self.manifest.member(section) {
                let key = section.key().unwrap_or(0);
                if self.envelope.member(key).is_some() {
                    self.resolve(key, &digest)?;
                }
            }
        }
        if let Member::Severed(digest) = self.manifest.text() {
            if self.envelope.member(codes::TEXT).is_some() {
                self.resolve(codes::TEXT, &digest)?;
            }
        }
        Ok(())
    }

    fn resolve(&self, key: u64, digest: &SuitDigest<'a>) -> Result<&'a [u8]> {
        let body = self.envelope.member(key).ok_or(Error::SeveredAbsent { key })?;
        if digest.alg != codes::digest::SHA256 {
            return Err(Error::UnsupportedDigest(digest.alg));
        }
        if !ct_eq(&sha256_bstr_wrapped(body), digest.bytes) {
            return Err(Error::SeveredMismatch { key });
        }
        Ok(body)
    }
}
