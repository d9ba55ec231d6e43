//! Evidence tokens: the COSE envelope around a claims set, and its verification (no allocator).

use crate::claims::{Claims, Profile};
use crate::error::{Error, Result};
use crate::strict::Limits;
use iot_cose::cbor::Decoder;
use iot_cose::{CoseMac0, CoseSign1, CoseVerifier, MacKey, VerifyOptions};

/// CWT tag (RFC 8392).
pub const CWT_TAG: u64 = 61;

/// Which COSE structure carries the claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// COSE_Sign1 (tag 18): an asymmetric signature.
    Sign1,
    /// COSE_Mac0 (tag 17): a MAC with a key shared with the verifier.
    Mac0,
}

#[derive(Debug, Clone, Copy)]
enum Cose<'a> {
    Sign1(CoseSign1<'a>),
    Mac0(CoseMac0<'a>),
}

/// A decoded, not yet verified, evidence token: `61(18(...))`, `18(...)`, `17(...)`, or an
/// untagged COSE_Sign1 / COSE_Mac0 whose kind the caller states.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    cose: Cose<'a>,
    tagged: bool,
    cwt: bool,
}

/// What a verification checks besides the signature.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Options<'o> {
    /// The nonce the verifier handed out; the token must carry it (any element of a nonce array).
    pub nonce: Option<&'o [u8]>,
    /// The profile to enforce; `None` applies the one the token names.
    pub profile: Option<Profile>,
    /// Validation time (seconds since the epoch) for `exp` and `nbf`; `None` skips time checks.
    pub now: Option<i64>,
    /// The claims set when the token's payload is detached (`nil`).
    pub detached: Option<&'o [u8]>,
    /// Decoding bounds for the claims set.
    pub limits: Option<Limits>,
}

impl<'o> Options<'o> {
    /// Requires `nonce`.
    #[must_use]
    pub fn nonce(mut self, nonce: &'o [u8]) -> Self {
        self.nonce = Some(nonce);
        self
    }
    /// Enforces `profile`.
    #[must_use]
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = Some(profile);
        self
    }
    /// Checks `exp` / `nbf` at `now`.
    #[must_use]
    pub fn now(mut self, now: i64) -> Self {
        self.now = Some(now);
        self
    }
    /// Supplies the detached claims set.
    #[must_use]
    pub fn detached(mut self, claims: &'o [u8]) -> Self {
        self.detached = Some(claims);
        self
    }
}

/// A token whose signature or MAC verified and whose claims passed the profile's rules.
#[derive(Debug, Clone, Copy)]
pub struct Verified<'a> {
    /// The claims.
    pub claims: Claims<'a>,
    /// Sign1 or Mac0.
    pub kind: Kind,
    /// The COSE algorithm that verified.
    pub alg: iot_cose::Algorithm,
}

impl<'a> Evidence<'a> {
    /// Decodes a tagged token (CWT tag 61 optional, then 18 or 17).
    ///
    /// # Errors
    /// [`Error::NotEvidence`] for another tag or an untagged message; COSE structure errors.
    pub fn decode(token: &'a [u8]) -> Result<Self> {
        Self::decode_as(token, None)
    }

    /// Decodes, treating an untagged message as `untagged` (`None` refuses untagged messages).
    ///
    /// # Errors
    /// As [`Evidence::decode`].
    pub fn decode_as(token: &'a [u8], untagged: Option<Kind>) -> Result<Self> {
        let body = strip_cwt_tag(token)?;
        let cwt = body.len() != token.len();
        let tag = Decoder::new(body).optional_tag()?;
        let kind = match tag {
            Some(iot_cose::SIGN1_TAG) => Kind::Sign1,
            Some(iot_cose::MAC0_TAG) => Kind::Mac0,
            Some(_) => return Err(Error::NotEvidence("not a COSE_Sign1 or COSE_Mac0 tag")),
            None => untagged.ok_or(Error::NotEvidence("untagged COSE message of unknown kind"))?,
        };
        let cose = match kind {
            Kind::Sign1 => Cose::Sign1(CoseSign1::decode(body)?),
            Kind::Mac0 => Cose::Mac0(CoseMac0::decode(body)?),
        };
        Ok(Self { cose, tagged: tag.is_some(), cwt })
    }

    /// Sign1 or Mac0.
    #[must_use]
    pub fn kind(&self) -> Kind {
        match self.cose {
            Cose::Sign1(_) => Kind::Sign1,
            Cose::Mac0(_) => Kind::Mac0,
        }
    }

    /// Whether the COSE message carried its tag.
    #[must_use]
    pub fn is_tagged(&self) -> bool {
        self.tagged
    }

    /// Whether the token was wrapped in the CWT tag 61.
    #[must_use]
    pub fn is_cwt(&self) -> bool {
        self.cwt
    }

    /// The `kid` header, for key lookup.
    #[must_use]
    pub fn kid(&self) -> Option<&'a [u8]> {
        match &self.cose {
            Cose::Sign1(m) => m.kid(),
            Cose::Mac0(m) => m.kid(),
        }
    }

    /// The attached claims set, NOT authenticated: only for finding the key (by `ueid` / instance
    /// id). Everything else must use [`Verified::claims`].
    #[must_use]
    pub fn unverified_payload(&self) -> Option<&'a [u8]> {
        match &self.cose {
            Cose::Sign1(m) => m.unverified_payload(),
            Cose::Mac0(m) => m.unverified_payload(),
        }
    }

    /// The `ueid` / instance id of the unverified claims, for key lookup (claim-based key
    /// identification, RFC 9711 appendix F.1.4; RFC 9783 section 5.2).
    #[must_use]
    pub fn unverified_ueid(&self) -> Option<&'a [u8]> {
        let raw = self.unverified_payload()?;
        crate::claims::MapEntries::new(raw).find_map(|(k, v)| {
            let k = Decoder::new(k).int().ok()?;
            if k == crate::keys::UEID || k == crate::keys::legacy::INSTANCE_ID {
                Decoder::new(v).bytes().ok()
            } else {
                None
            }
        })
    }

    fn envelope_rules(&self, profile: Profile) -> Result<()> {
        if profile.is_psa() {
            if !self.tagged {
                return Err(Error::Envelope("PSA tokens must be tagged COSE_Sign1 or COSE_Mac0"));
            }
            if self.cwt {
                return Err(Error::Envelope("PSA tokens do not use the CWT tag"));
            }
        }
        Ok(())
    }

    fn payload<'p>(&self, opts: &Options<'p>) -> Result<&'p [u8]>
    where
        'a: 'p,
    {
        match (self.unverified_payload(), opts.detached) {
            (Some(p), None) => Ok(p),
            (None, Some(p)) => Ok(p),
            (None, None) => Err(Error::Detached("payload is detached and none was supplied")),
            (Some(_), Some(_)) => Err(Error::Detached("payload is attached and another was supplied")),
        }
    }

    /// Verifies a COSE_Sign1 token with `key`, then the claims and the options.
    ///
    /// # Errors
    /// [`Error::KeyMismatch`] for a Mac0 token; COSE errors (bad signature, algorithm not the
    /// key's, unknown critical header); claims errors; [`Error::NonceMismatch`],
    /// [`Error::MissingNonce`], [`Error::Expired`], [`Error::NotYetValid`].
    pub fn verify_sign1<'p, V: CoseVerifier + ?Sized>(&self, key: &V, opts: &Options<'p>) -> Result<Verified<'p>>
    where
        'a: 'p,
    {
        let Cose::Sign1(m) = &self.cose else { return Err(Error::KeyMismatch) };
        let payload = self.payload(opts)?;
        let v = m.verify_with(key, opts.detached, &[], &VerifyOptions::default())?;
        self.finish(payload, Kind::Sign1, v.alg(), opts)
    }

    /// Verifies a COSE_Mac0 token with `key` (HMAC 256/256 or 256/64), then the claims.
    ///
    /// # Errors
    /// As [`Evidence::verify_sign1`], with [`Error::KeyMismatch`] for a Sign1 token.
    pub fn verify_mac0<'p, K: MacKey + ?Sized>(&self, key: &K, opts: &Options<'p>) -> Result<Verified<'p>>
    where
        'a: 'p,
    {
        let Cose::Mac0(m) = &self.cose else { return Err(Error::KeyMismatch) };
        let payload = self.payload(opts)?;
        let v = m.verify_with(key, opts.detached, &[], &VerifyOptions::default())?;
        self.finish(payload, Kind::Mac0, v.alg(), opts)
    }

    /// Verifies with a key loaded from PEM or COSE_Key: public keys check Sign1, symmetric keys Mac0.
    ///
    /// # Errors
    /// As [`Evidence::verify_sign1`].
    #[cfg(all(feature = "alloc", any(feature = "p256", feature = "ed25519")))]
    pub fn verify_with_key<'p>(&self, key: &iot_cose::KeyMaterial, opts: &Options<'p>) -> Result<Verified<'p>>
    where
        'a: 'p,
    {
        use iot_cose::KeyMaterial;
        match (key, &self.cose) {
            (KeyMaterial::Public(k), Cose::Sign1(m)) => {
                let payload = self.payload(opts)?;
                let v = k.verify_sign1(m, opts.detached, &[], &VerifyOptions::default())?;
                self.finish(payload, Kind::Sign1, v.alg(), opts)
            }
            (KeyMaterial::Private(k), Cose::Sign1(m)) => {
                let payload = self.payload(opts)?;
                let v = k.public_key().verify_sign1(m, opts.detached, &[], &VerifyOptions::default())?;
                self.finish(payload, Kind::Sign1, v.alg(), opts)
            }
            (KeyMaterial::Symmetric(k), Cose::Mac0(_)) => self.verify_mac0(&iot_cose::HmacKey::new(k.as_bytes()), opts),
            _ => Err(Error::KeyMismatch),
        }
    }

    fn finish<'p>(
        &self,
        payload: &'p [u8],
        kind: Kind,
        alg: iot_cose::Algorithm,
        opts: &Options<'p>,
    ) -> Result<Verified<'p>> {
        let limits = opts.limits.unwrap_or_default();
        let claims = Claims::decode_with(payload, opts.profile, &limits)?;
        self.envelope_rules(claims.profile)?;
        if claims.profile.is_psa() && kind == Kind::Sign1 && !matches!(alg.0, -7 | -35 | -36 | -9 | -51 | -52) {
            return Err(Error::Envelope("PSA tokens are signed with ECDSA"));
        }
        if let Some(expected) = opts.nonce {
            let n = claims.nonce.ok_or(Error::MissingNonce)?;
            if !n.contains(expected) {
                return Err(Error::NonceMismatch);
            }
        }
        if let Some(now) = opts.now {
            if claims.exp.is_some_and(|exp| now >= exp) {
                return Err(Error::Expired);
            }
            if claims.nbf.is_some_and(|nbf| now < nbf) {
                return Err(Error::NotYetValid);
            }
        }
        Ok(Verified { claims, kind, alg })
    }
}

/// The COSE message inside an optional CWT tag 61 (in any head length).
pub(crate) fn strip_cwt_tag(token: &[u8]) -> Result<&[u8]> {
    let mut d = Decoder::new(token);
    Ok(if d.optional_tag()? == Some(CWT_TAG) { d.remaining() } else { token })
}

/// Detached EAT Bundle tag (RFC 9711 section 5).
pub const DEB_TAG: u64 = 602;

/// A Detached EAT Bundle: a main token whose `submods` hold digests of claims sets carried
/// beside it, unsigned (RFC 9711 section 5).
#[derive(Debug, Clone, Copy)]
pub struct Bundle<'a> {
    main: &'a [u8],
    detached: &'a [u8],
}

impl<'a> Bundle<'a> {
    /// Decodes `602([main token, {name: bstr claims}])`.
    ///
    /// # Errors
    /// [`Error::NotEvidence`] for another structure; malformed CBOR.
    pub fn decode(bytes: &'a [u8]) -> Result<Self> {
        let mut d = Decoder::new(bytes);
        if d.tag()? != DEB_TAG {
            return Err(Error::NotEvidence("not a detached EAT bundle (tag 602)"));
        }
        if d.array()? != 2 {
            return Err(Error::NotEvidence("detached EAT bundle must be [token, claims]"));
        }
        let main = match d.peek_type()? {
            iot_cose::cbor::Type::Bytes => d.bytes()?,
            _ => d.raw_item(Limits::DEFAULT.max_depth)?,
        };
        let detached = d.raw_item(Limits::DEFAULT.max_depth)?;
        d.finish()?;
        crate::strict::check(detached, &Limits::DEFAULT)?;
        Ok(Self { main, detached })
    }

    /// The main token, to verify with [`Evidence`].
    #[must_use]
    pub fn main(&self) -> &'a [u8] {
        self.main
    }

    /// The detached claims sets as (name, encoded claims); unauthenticated until
    /// [`Bundle::check`] matched them to the verified main token's digests.
    pub fn detached(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        crate::claims::MapEntries::new(self.detached)
            .filter_map(|(k, v)| Some((Decoder::new(k).str().ok()?, Decoder::new(v).bytes().ok()?)))
    }

    /// Checks each detached claims set against the digest the (verified) main claims hold for
    /// it under the same name, and decodes it. Returns (name, claims) in bundle order.
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] when a detached set has no digest in `submods`, an unsupported hash
    /// algorithm (SHA-256, COSE -16, only), or a digest mismatch; claims errors.
    #[cfg(feature = "alloc")]
    pub fn check(&self, main: &Claims<'_>) -> Result<alloc::vec::Vec<(&'a str, Claims<'a>)>> {
        use sha2::Digest as _;
        use subtle::ConstantTimeEq as _;
        let mut out = alloc::vec::Vec::new();
        for (k, v) in crate::claims::MapEntries::new(self.detached) {
            let name = Decoder::new(k).str().map_err(|_| Error::claim("submods", "detached names must be text"))?;
            let body =
                Decoder::new(v).bytes().map_err(|_| Error::claim("submods", "detached claims must be bstr-wrapped"))?;
            let digest = main.submods().find_map(|(n, s)| match s {
                crate::claims::Submod::Digest { alg, value } if n == name => Some((alg, value)),
                _ => None,
            });
            let (alg, value) = digest.ok_or(Error::claim("submods", "detached claims set without a digest"))?;
            if alg != -16 {
                return Err(Error::claim("submods", "only SHA-256 (-16) detached digests are supported"));
            }
            let actual = sha2::Sha256::digest(body);
            if !bool::from(actual.as_slice().ct_eq(value)) {
                return Err(Error::claim("submods", "detached claims set does not match its digest"));
            }
            out.push((name, Claims::decode(body)?));
        }
        Ok(out)
    }
}
