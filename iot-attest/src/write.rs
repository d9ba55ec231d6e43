//! Writing evidence on the device: EAT and PSA claims sets in deterministic (preferred, sorted)
//! CBOR, signed as COSE_Sign1 or MAC'd as COSE_Mac0, into the caller's buffer. No allocator.

use crate::claims::{DebugStatus, Lifecycle, OemId, Version};
use crate::error::{Error, Result};
use crate::keys;
use crate::measure::Measurement;
use iot_cose::cbor::{Counter, Encoder, SliceWriter, Write};
use iot_cose::{CoseSigner, Headers, Mac0Builder, MacKey, Sign1Builder};

/// Something that encodes as a claims set.
pub trait ClaimsSet {
    /// Writes the claims map.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] from the sink, or [`Error::InvalidClaim`] when a claim the caller
    /// set breaks its RFC's rules (so a device never emits a token a verifier must refuse).
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<()>;

    /// The encoded size.
    ///
    /// # Errors
    /// As [`ClaimsSet::encode`].
    fn encoded_len(&self) -> Result<usize> {
        let mut c = Counter::default();
        self.encode(&mut Encoder::new(&mut c))?;
        Ok(c.0)
    }

    /// Encodes into `buf`, returning the length.
    ///
    /// # Errors
    /// As [`ClaimsSet::encode`].
    fn encode_into(&self, buf: &mut [u8]) -> Result<usize> {
        let mut w = SliceWriter::new(buf);
        self.encode(&mut Encoder::new(&mut w))?;
        Ok(w.len())
    }
}

/// A submodule to embed in `submods`.
#[derive(Debug, Clone, Copy)]
pub enum SubmodOut<'a> {
    /// A claims set, written inline as a map.
    Claims(&'a Eat<'a>),
    /// A complete signed token, embedded as a byte string.
    Token(&'a [u8]),
    /// A detached digest `[alg, digest]` (COSE hash algorithm id, e.g. -16 for SHA-256).
    Digest(i64, &'a [u8]),
}

/// A measurement result for `measres`: (id, result 1 success / 2 fail / 3 not run / 4 absent).
pub type MeasResult<'a> = (&'a str, u8);

/// RFC 9711 claims to write. Every field is optional; set the ones the device knows and build
/// the rest with `..Eat::default()` (new claims may be added as fields).
///
/// Measured components from a [`crate::MeasuredBoot`] log go in `measurements` and are written as
/// EAT measured components (draft-ietf-rats-eat-measured-component).
#[derive(Debug, Clone, Copy, Default)]
pub struct Eat<'a> {
    /// `iss`.
    pub iss: Option<&'a str>,
    /// `sub`.
    pub sub: Option<&'a str>,
    /// `aud` (one audience).
    pub aud: Option<&'a str>,
    /// `exp`.
    pub exp: Option<i64>,
    /// `nbf`.
    pub nbf: Option<i64>,
    /// `iat`.
    pub iat: Option<i64>,
    /// `cti`.
    pub cti: Option<&'a [u8]>,
    /// `eat_nonce` (8 to 64 bytes).
    pub nonce: Option<&'a [u8]>,
    /// `ueid` (7 to 33 bytes, first byte the type).
    pub ueid: Option<&'a [u8]>,
    /// `sueids`: name and ueid.
    pub sueids: &'a [(&'a str, &'a [u8])],
    /// `oemid`.
    pub oemid: Option<OemId<'a>>,
    /// `hwmodel` (1 to 32 bytes).
    pub hwmodel: Option<&'a [u8]>,
    /// `hwversion`.
    pub hwversion: Option<Version<'a>>,
    /// `uptime` in seconds.
    pub uptime: Option<u64>,
    /// `oemboot`.
    pub oemboot: Option<bool>,
    /// `dbgstat`.
    pub dbgstat: Option<DebugStatus>,
    /// `location`: latitude, longitude (degrees).
    pub location: Option<(f64, f64)>,
    /// `eat_profile`.
    pub profile: Option<&'a str>,
    /// `submods`, sorted by name by the caller (deterministic encoding).
    pub submods: &'a [(&'a str, SubmodOut<'a>)],
    /// `bootcount`.
    pub bootcount: Option<u64>,
    /// `bootseed`.
    pub bootseed: Option<&'a [u8]>,
    /// `dloas`: (registrar URI, platform label, application label).
    pub dloas: &'a [(&'a str, &'a str, Option<&'a str>)],
    /// `swname`.
    pub swname: Option<&'a str>,
    /// `swversion`.
    pub swversion: Option<Version<'a>>,
    /// `manifests`: (CoAP content format, encoded manifest).
    pub manifests: &'a [(u64, &'a [u8])],
    /// `measurements`, as measured components.
    pub measurements: &'a [Measurement<'a>],
    /// `measres`: (measurement system, results).
    pub measres: &'a [(&'a str, &'a [MeasResult<'a>])],
    /// `intuse` (1 generic, 2 registration, 3 provisioning, 4 certificate issuance, 5 proof of possession).
    pub intuse: Option<i64>,
    /// Further claims: key and encoded value, in ascending deterministic key order (unsigned
    /// keys ascending, then negative keys descending), none equal to a claim set above.
    pub extra: &'a [(i64, &'a [u8])],
}

/// RFC 9783 PSA token claims (profile `tag:psacertified.org,2023:psa#tfm`).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Psa<'a> {
    /// Nonce: 32, 48 or 64 bytes.
    pub nonce: &'a [u8],
    /// Instance id: 33 bytes, 0x01 then the hash of the attestation public key.
    pub instance_id: &'a [u8],
    /// Implementation id: 32 bytes.
    pub implementation_id: &'a [u8; 32],
    /// Client id: positive for secure, negative for non-secure callers.
    pub client_id: i32,
    /// Security lifecycle (0x3000 = secured).
    pub lifecycle: u16,
    /// Boot seed, 8 to 32 bytes.
    pub boot_seed: Option<&'a [u8]>,
    /// Certification reference, `[0-9]{13}-[0-9]{5}`.
    pub certification_reference: Option<&'a str>,
    /// Verification service indicator.
    pub vsi: Option<&'a str>,
    /// The measured software components (at least one).
    pub sw_components: &'a [Measurement<'a>],
}

impl<'a> Psa<'a> {
    /// The mandatory claims; the optional ones start unset.
    #[must_use]
    pub fn new(
        nonce: &'a [u8],
        instance_id: &'a [u8],
        implementation_id: &'a [u8; 32],
        client_id: i32,
        lifecycle: u16,
        sw_components: &'a [Measurement<'a>],
    ) -> Self {
        Self {
            nonce,
            instance_id,
            implementation_id,
            client_id,
            lifecycle,
            boot_seed: None,
            certification_reference: None,
            vsi: None,
            sw_components,
        }
    }
}

fn check(ok: bool, claim: &'static str, problem: &'static str) -> Result<()> {
    if ok { Ok(()) } else { Err(Error::claim(claim, problem)) }
}

fn count<T>(o: &Option<T>) -> usize {
    usize::from(o.is_some())
}

fn version<W: Write>(e: &mut Encoder<W>, v: &Version<'_>) -> Result<()> {
    match v.scheme {
        Some(s) => e.array(2)?.str(v.version)?.int(s)?,
        None => e.array(1)?.str(v.version)?,
    };
    Ok(())
}

/// Deterministic order of integer keys: encoded bytes compared lexicographically, which for
/// integers is unsigned ascending, then negative with growing magnitude.
fn det_key(k: i64) -> (u8, u64) {
    if k >= 0 { (0, k.unsigned_abs()) } else { (1, k.unsigned_abs()) }
}

/// Writes extras whose key sorts before `before` (all remaining when `None`).
fn extras_before<W: Write>(e: &mut Encoder<W>, extra: &mut &[(i64, &[u8])], before: Option<i64>) -> Result<()> {
    while let Some((&(k, v), rest)) = extra.split_first() {
        if let Some(b) = before {
            if det_key(k) > det_key(b) {
                break;
            }
            check(k != b, "extra", "duplicates a claim that is set")?;
        }
        e.int(k)?.raw(v)?;
        *extra = rest;
    }
    Ok(())
}

/// Writes one measured component (digest form, SHA-256).
pub(crate) fn measured_component<W: Write>(e: &mut Encoder<W>, m: &Measurement<'_>) -> Result<()> {
    let unsigned = m.signer_id == [0; 32];
    e.map(if unsigned { 2 } else { 3 })?.int(keys::mc::ID)?;
    if m.version.is_empty() {
        e.array(1)?.str(m.name)?;
    } else {
        e.array(2)?.str(m.name)?.array(1)?.str(m.version)?;
    }
    e.int(keys::mc::MEASUREMENT)?.array(2)?.int(keys::mc::SHA256)?.bytes(&m.value)?;
    if !unsigned {
        e.int(keys::mc::AUTHORITIES)?.array(1)?.bytes(&m.signer_id)?;
    }
    Ok(())
}

impl ClaimsSet for Eat<'_> {
    #[allow(clippy::too_many_lines, reason = "one block per claim, in key order")]
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<()> {
        // Validate what the caller set: a device must not emit what verifiers refuse.
        if let Some(n) = self.nonce {
            check((8..=64).contains(&n.len()), "eat_nonce", "must be 8 to 64 bytes")?;
        }
        if let Some(u) = self.ueid {
            check((7..=33).contains(&u.len()), "ueid", "must be 7 to 33 bytes")?;
        }
        if let Some(OemId::Ieee(b)) = self.oemid {
            check(b.len() == 3, "oemid", "IEEE id must be 3 bytes")?;
        }
        if let Some(OemId::Random(b)) = self.oemid {
            check(b.len() == 16, "oemid", "random id must be 16 bytes")?;
        }
        if let Some(h) = self.hwmodel {
            check((1..=32).contains(&h.len()), "hwmodel", "must be 1 to 32 bytes")?;
        }
        for (_, u) in self.sueids {
            check((7..=33).contains(&u.len()), "sueids", "ueid must be 7 to 33 bytes")?;
        }
        for w in self.extra.windows(2) {
            if let [a, b] = w {
                check(det_key(a.0) < det_key(b.0), "extra", "keys must be sorted and unique")?;
            }
        }
        for w in self.submods.windows(2) {
            if let [a, b] = w {
                check((a.0.len(), a.0) < (b.0.len(), b.0), "submods", "names must be sorted and unique")?;
            }
        }
        let n = [
            count(&self.iss),
            count(&self.sub),
            count(&self.aud),
            count(&self.exp),
            count(&self.nbf),
            count(&self.iat),
            count(&self.cti),
            count(&self.nonce),
            count(&self.ueid),
            usize::from(!self.sueids.is_empty()),
            count(&self.oemid),
            count(&self.hwmodel),
            count(&self.hwversion),
            count(&self.uptime),
            count(&self.oemboot),
            count(&self.dbgstat),
            count(&self.location),
            count(&self.profile),
            usize::from(!self.submods.is_empty()),
            count(&self.bootcount),
            count(&self.bootseed),
            usize::from(!self.dloas.is_empty()),
            count(&self.swname),
            count(&self.swversion),
            usize::from(!self.manifests.is_empty()),
            usize::from(!self.measurements.is_empty()),
            usize::from(!self.measres.is_empty()),
            count(&self.intuse),
            self.extra.len(),
        ]
        .iter()
        .fold(0usize, |a, &b| a.saturating_add(b));
        e.map(n)?;
        let mut extra = self.extra;
        let x = &mut extra;
        macro_rules! at {
            ($key:expr) => {
                extras_before(e, x, Some($key))?;
                e.int($key)?;
            };
        }
        if let Some(v) = self.iss {
            at!(keys::ISS);
            e.str(v)?;
        }
        if let Some(v) = self.sub {
            at!(keys::SUB);
            e.str(v)?;
        }
        if let Some(v) = self.aud {
            at!(keys::AUD);
            e.str(v)?;
        }
        if let Some(v) = self.exp {
            at!(keys::EXP);
            e.int(v)?;
        }
        if let Some(v) = self.nbf {
            at!(keys::NBF);
            e.int(v)?;
        }
        if let Some(v) = self.iat {
            at!(keys::IAT);
            e.int(v)?;
        }
        if let Some(v) = self.cti {
            at!(keys::CTI);
            e.bytes(v)?;
        }
        if let Some(v) = self.nonce {
            at!(keys::NONCE);
            e.bytes(v)?;
        }
        if let Some(v) = self.ueid {
            at!(keys::UEID);
            e.bytes(v)?;
        }
        if !self.sueids.is_empty() {
            at!(keys::SUEIDS);
            e.map(self.sueids.len())?;
            for (name, u) in self.sueids {
                e.str(name)?.bytes(u)?;
            }
        }
        if let Some(v) = self.oemid {
            at!(keys::OEMID);
            match v {
                OemId::Pen(p) => e.uint(p)?,
                OemId::Ieee(b) | OemId::Random(b) => e.bytes(b)?,
            };
        }
        if let Some(v) = self.hwmodel {
            at!(keys::HWMODEL);
            e.bytes(v)?;
        }
        if let Some(v) = &self.hwversion {
            at!(keys::HWVERSION);
            version(e, v)?;
        }
        if let Some(v) = self.uptime {
            at!(keys::UPTIME);
            e.uint(v)?;
        }
        if let Some(v) = self.oemboot {
            at!(keys::OEMBOOT);
            e.bool(v)?;
        }
        if let Some(v) = self.dbgstat {
            at!(keys::DBGSTAT);
            e.uint(v.code())?;
        }
        if let Some((lat, lon)) = self.location {
            at!(keys::LOCATION);
            e.map(2)?.uint(1)?.float(lat)?.uint(2)?.float(lon)?;
        }
        if let Some(v) = self.profile {
            at!(keys::PROFILE);
            e.str(v)?;
        }
        if !self.submods.is_empty() {
            at!(keys::SUBMODS);
            e.map(self.submods.len())?;
            for (name, s) in self.submods {
                e.str(name)?;
                match s {
                    SubmodOut::Claims(c) => c.encode(e)?,
                    SubmodOut::Token(t) => {
                        e.bytes(t)?;
                    }
                    SubmodOut::Digest(alg, d) => {
                        e.array(2)?.int(*alg)?.bytes(d)?;
                    }
                }
            }
        }
        if let Some(v) = self.bootcount {
            at!(keys::BOOTCOUNT);
            e.uint(v)?;
        }
        if let Some(v) = self.bootseed {
            at!(keys::BOOTSEED);
            e.bytes(v)?;
        }
        if !self.dloas.is_empty() {
            at!(keys::DLOAS);
            e.array(self.dloas.len())?;
            for (uri, platform, app) in self.dloas {
                match app {
                    Some(a) => e.array(3)?.str(uri)?.str(platform)?.str(a)?,
                    None => e.array(2)?.str(uri)?.str(platform)?,
                };
            }
        }
        if let Some(v) = self.swname {
            at!(keys::SWNAME);
            e.str(v)?;
        }
        if let Some(v) = &self.swversion {
            at!(keys::SWVERSION);
            version(e, v)?;
        }
        if !self.manifests.is_empty() {
            at!(keys::MANIFESTS);
            e.array(self.manifests.len())?;
            for (cf, m) in self.manifests {
                e.array(2)?.uint(*cf)?.bytes(m)?;
            }
        }
        if !self.measurements.is_empty() {
            at!(keys::MEASUREMENTS);
            e.array(self.measurements.len())?;
            for m in self.measurements {
                let mut c = Counter::default();
                measured_component(&mut Encoder::new(&mut c), m)?;
                e.array(2)?.uint(keys::mc::CONTENT_FORMAT)?.raw(iot_cose::cbor::EncodedHead::bytes(c.0).as_bytes())?;
                measured_component(e, m)?;
            }
        }
        if !self.measres.is_empty() {
            at!(keys::MEASRES);
            e.array(self.measres.len())?;
            for (system, results) in self.measres {
                e.array(2)?.str(system)?.array(results.len())?;
                for (id, r) in *results {
                    check((1..=4).contains(r), "measres", "result must be 1 to 4")?;
                    e.array(2)?.str(id)?.uint(u64::from(*r))?;
                }
            }
        }
        if let Some(v) = self.intuse {
            at!(keys::INTUSE);
            e.int(v)?;
        }
        extras_before(e, x, None)?;
        Ok(())
    }
}

impl ClaimsSet for Psa<'_> {
    fn encode<W: Write>(&self, e: &mut Encoder<W>) -> Result<()> {
        check(matches!(self.nonce.len(), 32 | 48 | 64), "eat_nonce", "must be 32, 48 or 64 bytes")?;
        check(
            self.instance_id.len() == 33 && self.instance_id.first() == Some(&1),
            "ueid",
            "PSA instance id is 0x01 and 32 bytes",
        )?;
        check(Lifecycle::from_u16(self.lifecycle).is_some(), "psa-security-lifecycle", "not a defined state")?;
        check(!self.sw_components.is_empty(), "psa-software-components", "at least one is required")?;
        if let Some(s) = self.boot_seed {
            check((8..=32).contains(&s.len()), "bootseed", "must be 8 to 32 bytes")?;
        }
        if let Some(r) = self.certification_reference {
            let b = r.as_bytes();
            let ok = b.len() == 19
                && b.iter().enumerate().all(|(i, c)| if i == 13 { *c == b'-' } else { c.is_ascii_digit() });
            check(ok, "psa-certification-reference", "must be EAN-13+5 digits")?;
        }
        let n = 7usize
            .saturating_add(count(&self.boot_seed))
            .saturating_add(count(&self.certification_reference))
            .saturating_add(count(&self.vsi));
        e.map(n)?;
        e.int(keys::NONCE)?.bytes(self.nonce)?;
        e.int(keys::UEID)?.bytes(self.instance_id)?;
        e.int(keys::PROFILE)?.str(crate::claims::PROFILE_PSA)?;
        if let Some(s) = self.boot_seed {
            e.int(keys::BOOTSEED)?.bytes(s)?;
        }
        e.int(keys::PSA_CLIENT_ID)?.int(i64::from(self.client_id))?;
        e.int(keys::PSA_LIFECYCLE)?.uint(u64::from(self.lifecycle))?;
        e.int(keys::PSA_IMPLEMENTATION_ID)?.bytes(self.implementation_id)?;
        if let Some(r) = self.certification_reference {
            e.int(keys::PSA_CERTIFICATION_REFERENCE)?.str(r)?;
        }
        e.int(keys::PSA_SW_COMPONENTS)?.array(self.sw_components.len())?;
        for m in self.sw_components {
            let with_version = !m.version.is_empty();
            e.map(if with_version { 5 } else { 4 })?;
            e.int(keys::sw::MEASUREMENT_TYPE)?.str(m.name)?;
            e.int(keys::sw::MEASUREMENT_VALUE)?.bytes(&m.value)?;
            if with_version {
                e.int(keys::sw::VERSION)?.str(m.version)?;
            }
            e.int(keys::sw::SIGNER_ID)?.bytes(&m.signer_id)?;
            e.int(keys::sw::MEASUREMENT_DESC)?.str("sha-256")?;
        }
        if let Some(v) = self.vsi {
            e.int(keys::PSA_VSI)?.str(v)?;
        }
        Ok(())
    }
}

/// Splits `buf` into (room for the token, the claims at the tail) and encodes the claims.
fn claims_at_tail<'b, C: ClaimsSet + ?Sized>(claims: &C, buf: &'b mut [u8]) -> Result<(&'b mut [u8], &'b [u8])> {
    let n = claims.encoded_len()?;
    let at = buf.len().checked_sub(n).ok_or(Error::BufferTooSmall)?;
    let (head, tail) = buf.split_at_mut(at);
    claims.encode_into(tail)?;
    Ok((head, tail))
}

/// The unprotected header: `kid` when given.
fn unprotected(kid: Option<&[u8]>) -> Headers<'_> {
    kid.map_or_else(Headers::default, |k| Headers::default().kid(k))
}

/// Signs `claims` as a tagged COSE_Sign1 with `signer` (any `iot-cose` signer: software key,
/// secure element, TPM), optionally with a `kid`, into `buf`; returns the token length.
///
/// The token is written at the start of `buf`. `buf` also holds the encoded claims while
/// signing, so it needs room for the token plus the claims set (about twice the claims plus 100
/// bytes); [`Error::BufferTooSmall`] otherwise.
///
/// # Errors
/// [`Error::BufferTooSmall`], an invalid claim, or the signer's failure.
pub fn sign_into<C: ClaimsSet + ?Sized, S: CoseSigner + ?Sized>(
    claims: &C,
    signer: &S,
    kid: Option<&[u8]>,
    buf: &mut [u8],
) -> Result<usize> {
    let (head, payload) = claims_at_tail(claims, buf)?;
    Sign1Builder::new(payload).unprotected(unprotected(kid)).sign_into(signer, head).map_err(map_buf)
}

/// MACs `claims` as a tagged COSE_Mac0 (HMAC 256/256) with `key`, into `buf` (same room rule as
/// [`sign_into`]); returns the token length.
///
/// # Errors
/// As [`sign_into`].
pub fn mac_into<C: ClaimsSet + ?Sized, K: MacKey + ?Sized>(
    claims: &C,
    key: &K,
    kid: Option<&[u8]>,
    buf: &mut [u8],
) -> Result<usize> {
    let (head, payload) = claims_at_tail(claims, buf)?;
    Mac0Builder::new(payload).unprotected(unprotected(kid)).mac_into(key, head).map_err(map_buf)
}

fn map_buf(e: iot_cose::Error) -> Error {
    match e {
        iot_cose::Error::BufferTooSmall(_) => Error::BufferTooSmall,
        e => Error::Cose(e),
    }
}

/// The encoded claims in a new `Vec`.
#[cfg(feature = "alloc")]
fn encode_vec<C: ClaimsSet + ?Sized>(claims: &C) -> Result<alloc::vec::Vec<u8>> {
    let mut payload = alloc::vec![0u8; claims.encoded_len()?];
    claims.encode_into(&mut payload)?;
    Ok(payload)
}

/// Signs into a new `Vec`.
///
/// # Errors
/// An invalid claim or the signer's failure.
#[cfg(feature = "alloc")]
pub fn sign<C: ClaimsSet + ?Sized, S: CoseSigner + ?Sized>(
    claims: &C,
    signer: &S,
    kid: Option<&[u8]>,
) -> Result<alloc::vec::Vec<u8>> {
    let payload = encode_vec(claims)?;
    Sign1Builder::new(&payload).unprotected(unprotected(kid)).sign(signer).map_err(map_buf)
}

/// MACs into a new `Vec`.
///
/// # Errors
/// An invalid claim or the key's failure.
#[cfg(feature = "alloc")]
pub fn mac<C: ClaimsSet + ?Sized, K: MacKey + ?Sized>(
    claims: &C,
    key: &K,
    kid: Option<&[u8]>,
) -> Result<alloc::vec::Vec<u8>> {
    let payload = encode_vec(claims)?;
    Mac0Builder::new(&payload).unprotected(unprotected(kid)).mac(key).map_err(map_buf)
}

/// Signs into a new `Vec` with a key loaded from PEM or COSE_Key.
///
/// # Errors
/// An invalid claim or a signing failure.
#[cfg(all(feature = "alloc", any(feature = "p256", feature = "ed25519")))]
pub fn sign_with_key<C: ClaimsSet + ?Sized>(
    claims: &C,
    key: &iot_cose::PrivateKey,
    kid: Option<&[u8]>,
) -> Result<alloc::vec::Vec<u8>> {
    let payload = encode_vec(claims)?;
    key.sign1(&Sign1Builder::new(&payload).unprotected(unprotected(kid))).map_err(map_buf)
}
