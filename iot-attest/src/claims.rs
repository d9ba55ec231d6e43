//! Decoding and validating a claims set (EAT, PSA, CWT): borrowed from the input, no allocator.
//!
//! [`Claims::decode`] first checks the bytes for well-formedness (definite lengths, no duplicate
//! keys, bounded nesting; shortest-form heads where the profile demands it), then reads every
//! claim it knows with the type, size and value rules of RFC 9711, RFC 9783 and RFC 8392, keeps
//! the ones it does not know (RFC 9711 section 4: unknown claims are ignored, not refused), and
//! finally checks the profile's required claims.

use crate::error::{Error, Result};
use crate::keys::{self, legacy};
use crate::strict::{self, Limits};
use iot_cose::cbor::{Decoder, Type};

/// `urn:ietf:rfc:rfc9711`: the RFC 9711 constrained device standard profile (section 6.4).
pub const PROFILE_CONSTRAINED: &str = "urn:ietf:rfc:rfc9711";
/// `tag:psacertified.org,2023:psa#tfm`: the PSA attestation token, RFC 9783.
pub const PROFILE_PSA: &str = "tag:psacertified.org,2023:psa#tfm";
/// `http://arm.com/psa/2.0.0`: the PSA token of draft 09 and before (real TF-M tokens).
pub const PROFILE_PSA_V2: &str = "http://arm.com/psa/2.0.0";
/// `PSA_IOT_PROFILE_1`: the first PSA profile, with claim keys -75000 to -75010.
pub const PROFILE_PSA_IOT_1: &str = "PSA_IOT_PROFILE_1";

/// The rule set a claims set is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// Plain RFC 9711 rules, no required claims, variant serialization tolerated.
    Generic,
    /// RFC 9711 constrained device profile: preferred serialization, a nonce is required.
    Constrained,
    /// RFC 9783 PSA token (`tag:psacertified.org,2023:psa#tfm`).
    Psa,
    /// Draft PSA token `http://arm.com/psa/2.0.0` (boot seed under key 2397).
    PsaV2,
    /// Legacy `PSA_IOT_PROFILE_1` (claim keys -75000 to -75010).
    PsaIot1,
}

impl Profile {
    /// The profile a token's `eat_profile` value names; unknown names are [`Profile::Generic`].
    #[must_use]
    pub fn from_id(id: &str) -> Self {
        match id {
            PROFILE_CONSTRAINED => Self::Constrained,
            PROFILE_PSA => Self::Psa,
            PROFILE_PSA_V2 => Self::PsaV2,
            PROFILE_PSA_IOT_1 => Self::PsaIot1,
            _ => Self::Generic,
        }
    }

    /// The `eat_profile` string of this profile (`None` for [`Profile::Generic`]).
    #[must_use]
    pub const fn id(self) -> Option<&'static str> {
        match self {
            Self::Generic => None,
            Self::Constrained => Some(PROFILE_CONSTRAINED),
            Self::Psa => Some(PROFILE_PSA),
            Self::PsaV2 => Some(PROFILE_PSA_V2),
            Self::PsaIot1 => Some(PROFILE_PSA_IOT_1),
        }
    }

    /// Whether this is one of the PSA profiles.
    #[must_use]
    pub const fn is_psa(self) -> bool {
        matches!(self, Self::Psa | Self::PsaV2 | Self::PsaIot1)
    }

    /// A short name for logs and JSON: `eat`, `constrained`, `psa`, `psa-2.0.0`, `psa-iot-1`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Generic => "eat",
            Self::Constrained => "constrained",
            Self::Psa => "psa",
            Self::PsaV2 => "psa-2.0.0",
            Self::PsaIot1 => "psa-iot-1",
        }
    }
}

/// The `eat_nonce` claim: one nonce, or several (RFC 9711 section 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nonce<'a> {
    /// A single nonce.
    Single(&'a [u8]),
    /// The encoded array of two or more nonces (each already checked to be 8 to 64 bytes).
    Multiple(&'a [u8]),
}

impl<'a> Nonce<'a> {
    /// Every nonce carried.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let (single, multi) = match *self {
            Self::Single(n) => (Some(n), None),
            Self::Multiple(raw) => (None, Some(Items::new(raw).filter_map(|i| Decoder::new(i).bytes().ok()))),
        };
        single.into_iter().chain(multi.into_iter().flatten())
    }

    /// Whether `expected` is one of the nonces. Each comparison is constant-time.
    #[must_use]
    pub fn contains(&self, expected: &[u8]) -> bool {
        use subtle::ConstantTimeEq as _;
        self.iter().fold(false, |found, n| found | bool::from(n.ct_eq(expected)))
    }
}

/// `oemid` (RFC 9711 section 4.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OemId<'a> {
    /// IANA Private Enterprise Number.
    Pen(u64),
    /// IEEE OUI / CID (3 bytes).
    Ieee(&'a [u8]),
    /// Random (16 bytes).
    Random(&'a [u8]),
}

/// `hwversion` / `swversion`: a version string and an optional CoSWID version scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version<'a> {
    /// The version.
    pub version: &'a str,
    /// The CoSWID version scheme (1 multipartnumeric, 2 +suffix, 3 alphanumeric, 4 decimal,
    /// 16384 semver).
    pub scheme: Option<i64>,
}

/// `dbgstat` (RFC 9711 section 4.2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum DebugStatus {
    /// Debug is enabled.
    Enabled = 0,
    /// Disabled now; may have been enabled earlier in this boot.
    Disabled = 1,
    /// Disabled since boot.
    DisabledSinceBoot = 2,
    /// Disabled permanently for this device.
    DisabledPermanently = 3,
    /// Disabled permanently for this device and every related entity.
    DisabledFullyAndPermanently = 4,
}

impl DebugStatus {
    /// From the claim value.
    #[must_use]
    pub const fn from_u64(v: u64) -> Option<Self> {
        Some(match v {
            0 => Self::Enabled,
            1 => Self::Disabled,
            2 => Self::DisabledSinceBoot,
            3 => Self::DisabledPermanently,
            4 => Self::DisabledFullyAndPermanently,
            _ => return None,
        })
    }

    /// The claim value.
    #[must_use]
    pub const fn code(self) -> u64 {
        match self {
            Self::Enabled => 0,
            Self::Disabled => 1,
            Self::DisabledSinceBoot => 2,
            Self::DisabledPermanently => 3,
            Self::DisabledFullyAndPermanently => 4,
        }
    }

    /// The RFC's name (`enabled`, `disabled`, `disabled-since-boot`, ...).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::DisabledSinceBoot => "disabled-since-boot",
            Self::DisabledPermanently => "disabled-permanently",
            Self::DisabledFullyAndPermanently => "disabled-fully-and-permanently",
        }
    }
}

/// PSA security lifecycle state (RFC 9783 section 4.3.1), from the high byte of the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lifecycle {
    /// 0x00xx.
    Unknown,
    /// 0x10xx.
    AssemblyAndTest,
    /// 0x20xx.
    PsaRotProvisioning,
    /// 0x30xx: the normal state of a deployed device.
    Secured,
    /// 0x40xx.
    NonPsaRotDebug,
    /// 0x50xx.
    RecoverablePsaRotDebug,
    /// 0x60xx.
    Decommissioned,
}

impl Lifecycle {
    /// The state of a claim value, `None` if the value is not a defined state.
    #[must_use]
    pub const fn from_u16(v: u16) -> Option<Self> {
        Some(match v >> 8 {
            0x00 => Self::Unknown,
            0x10 => Self::AssemblyAndTest,
            0x20 => Self::PsaRotProvisioning,
            0x30 => Self::Secured,
            0x40 => Self::NonPsaRotDebug,
            0x50 => Self::RecoverablePsaRotDebug,
            0x60 => Self::Decommissioned,
            _ => return None,
        })
    }

    /// The RFC's name (`secured`, `decommissioned`, ...).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::AssemblyAndTest => "assembly-and-test",
            Self::PsaRotProvisioning => "psa-rot-provisioning",
            Self::Secured => "secured",
            Self::NonPsaRotDebug => "non-psa-rot-debug",
            Self::RecoverablePsaRotDebug => "recoverable-psa-rot-debug",
            Self::Decommissioned => "decommissioned",
        }
    }
}

/// `location` (RFC 9711 section 4.2.10). Numbers given as integers are converted.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Location {
    /// Latitude (degrees).
    pub latitude: f64,
    /// Longitude (degrees).
    pub longitude: f64,
    /// Altitude (metres).
    pub altitude: Option<f64>,
    /// Horizontal accuracy (metres).
    pub accuracy: Option<f64>,
    /// Altitude accuracy (metres).
    pub altitude_accuracy: Option<f64>,
    /// Heading (degrees).
    pub heading: Option<f64>,
    /// Speed (m/s).
    pub speed: Option<f64>,
    /// When the location was measured (seconds since the epoch).
    pub timestamp: Option<i64>,
    /// Seconds between measurement and token creation.
    pub age: Option<u64>,
}

/// A measured software or firmware component, from PSA software components or from EAT
/// measured components in the `measurements` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Component<'a> {
    /// Name (PSA measurement type, or the measured component's name).
    pub name: Option<&'a str>,
    /// Version.
    pub version: Option<&'a str>,
    /// The digest of the component.
    pub measurement: &'a [u8],
    /// The signer id (PSA) or first authority (measured component).
    pub signer_id: Option<&'a [u8]>,
    /// PSA measurement description, typically the hash algorithm.
    pub description: Option<&'a str>,
}

/// One entry of `submods`.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant, reason = "no allocator to box into; a Submod lives on the stack briefly")]
pub enum Submod<'a> {
    /// A claims set embedded as a map (already validated).
    Claims(Claims<'a>),
    /// A nested token (`bstr .cbor` of a signed EAT); verify it with [`crate::Evidence`].
    Token(&'a [u8]),
    /// A nested JSON-encoded token (`tstr`, e.g. `["JWT", "..."]`), not interpreted here.
    JsonToken(&'a str),
    /// A detached submodule digest `[alg, digest]` (Detached EAT Bundle, RFC 9711 section 5).
    Digest {
        /// Hash algorithm: a COSE algorithm id (e.g. -16 for SHA-256).
        alg: i64,
        /// The digest.
        value: &'a [u8],
    },
}

/// A claim key: an integer, or a text string for private claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimKey<'a> {
    /// Integer key.
    Int(i64),
    /// Text key.
    Text(&'a str),
}

/// A validated claims set, borrowed from the token.
///
/// Scalar claims are fields; structured ones are read through iterators over the (already
/// validated) bytes: [`Claims::components`], [`Claims::submods`], [`Claims::unknown`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Claims<'a> {
    raw: &'a [u8],
    /// The profile the claims were checked against.
    pub profile: Profile,
    /// `eat_profile` as written (text, or the hex-less raw OID bytes are not kept).
    pub profile_id: Option<&'a str>,
    /// `eat_nonce`.
    pub nonce: Option<Nonce<'a>>,
    /// `ueid` (PSA instance id).
    pub ueid: Option<&'a [u8]>,
    /// `oemid`.
    pub oemid: Option<OemId<'a>>,
    /// `hwmodel`.
    pub hwmodel: Option<&'a [u8]>,
    /// `hwversion`.
    pub hwversion: Option<Version<'a>>,
    /// `swname`.
    pub swname: Option<&'a str>,
    /// `swversion`.
    pub swversion: Option<Version<'a>>,
    /// `oemboot`.
    pub oemboot: Option<bool>,
    /// `dbgstat`.
    pub dbgstat: Option<DebugStatus>,
    /// `location`.
    pub location: Option<Location>,
    /// `uptime` (seconds).
    pub uptime: Option<u64>,
    /// `bootcount`.
    pub bootcount: Option<u64>,
    /// `bootseed`.
    pub bootseed: Option<&'a [u8]>,
    /// `iat`.
    pub iat: Option<i64>,
    /// `exp`.
    pub exp: Option<i64>,
    /// `nbf`.
    pub nbf: Option<i64>,
    /// `iss`.
    pub iss: Option<&'a str>,
    /// `sub`.
    pub sub: Option<&'a str>,
    /// `cti`.
    pub cti: Option<&'a [u8]>,
    /// `intuse`.
    pub intuse: Option<i64>,
    /// PSA client id.
    pub client_id: Option<i64>,
    /// PSA security lifecycle (raw value; see [`Lifecycle::from_u16`]).
    pub lifecycle: Option<u16>,
    /// PSA implementation id.
    pub implementation_id: Option<&'a [u8]>,
    /// PSA certification reference.
    pub certification_reference: Option<&'a str>,
    /// PSA verification service indicator (a hint only: never trust it).
    pub vsi: Option<&'a str>,
    /// Encoded `aud` (text or array of text).
    pub aud: Option<&'a [u8]>,
    /// Encoded `sueids` map.
    pub sueids: Option<&'a [u8]>,
    /// Encoded `dloas` array.
    pub dloas: Option<&'a [u8]>,
    /// Encoded `manifests` array.
    pub manifests: Option<&'a [u8]>,
    /// Encoded `measurements` array.
    pub measurements: Option<&'a [u8]>,
    /// Encoded `measres` array.
    pub measres: Option<&'a [u8]>,
    /// Encoded `submods` map.
    pub submods: Option<&'a [u8]>,
    /// Encoded PSA software components array.
    pub sw_components: Option<&'a [u8]>,
    /// Number of claims this crate does not know (kept; see [`Claims::unknown`]).
    pub unknown_count: usize,
}

impl<'a> Claims<'a> {
    /// Decodes and validates a claims set. The profile is taken from its `eat_profile` claim
    /// (or the legacy PSA profile claim); without one it is [`Profile::Generic`].
    ///
    /// # Errors
    /// Malformed CBOR, duplicate keys, a limit exceeded, an invalid or missing claim.
    pub fn decode(bytes: &'a [u8]) -> Result<Self> {
        Self::decode_with(bytes, None, &Limits::DEFAULT)
    }

    /// Decodes under a required profile (`Some`) or the one the claims name (`None`).
    ///
    /// # Errors
    /// As [`Claims::decode`]; [`Error::ProfileMismatch`] when the claims name another profile
    /// than the required one.
    pub fn decode_with(bytes: &'a [u8], profile: Option<Profile>, limits: &Limits) -> Result<Self> {
        let report = strict::check(bytes, limits)?;
        Self::parse(bytes, profile, limits, report, 0)
    }

    fn parse(
        bytes: &'a [u8],
        required: Option<Profile>,
        limits: &Limits,
        report: strict::Report,
        depth: usize,
    ) -> Result<Self> {
        let named = named_profile(bytes)?;
        let profile = match (required, named) {
            (Some(r), Some(n)) if r != n && !(r == Profile::Constrained && n == Profile::Generic) => {
                return Err(Error::ProfileMismatch);
            }
            (Some(r), _) => r,
            (None, Some(n)) => n,
            (None, None) => Profile::Generic,
        };
        if profile == Profile::Constrained {
            if let Some(offset) = report.first_non_preferred {
                return Err(Error::NotPreferred { offset });
            }
        }
        let mut c = Self::empty(bytes, profile);
        let mut d = Decoder::new(bytes);
        let n = d.map()?;
        for _ in 0..n {
            let at = d.position();
            let key = match d.peek_type()? {
                Type::Text => {
                    d.str()?;
                    c.unknown_count = c.unknown_count.saturating_add(1);
                    d.skip(limits.max_depth)?;
                    continue;
                }
                Type::UInt | Type::NInt => d.int().map_err(|_| Error::BadClaimKey { offset: at })?,
                _ => return Err(Error::BadClaimKey { offset: at }),
            };
            c.claim(canonical(profile, key), &mut d, limits, depth, at)?;
        }
        d.finish()?;
        c.check_required()?;
        Ok(c)
    }

    fn empty(raw: &'a [u8], profile: Profile) -> Self {
        Self {
            raw,
            profile,
            profile_id: None,
            nonce: None,
            ueid: None,
            oemid: None,
            hwmodel: None,
            hwversion: None,
            swname: None,
            swversion: None,
            oemboot: None,
            dbgstat: None,
            location: None,
            uptime: None,
            bootcount: None,
            bootseed: None,
            iat: None,
            exp: None,
            nbf: None,
            iss: None,
            sub: None,
            cti: None,
            intuse: None,
            client_id: None,
            lifecycle: None,
            implementation_id: None,
            certification_reference: None,
            vsi: None,
            aud: None,
            sueids: None,
            dloas: None,
            manifests: None,
            measurements: None,
            measres: None,
            submods: None,
            sw_components: None,
            unknown_count: 0,
        }
    }

    #[allow(clippy::too_many_lines, reason = "one arm per claim reads best as one table")]
    fn claim(&mut self, key: i64, d: &mut Decoder<'a>, limits: &Limits, depth: usize, at: usize) -> Result<()> {
        let psa = self.profile.is_psa();
        match key {
            keys::NONCE => put(&mut self.nonce, nonce(d, psa)?, at),
            keys::UEID => {
                let (min, max) = if psa { (33, 33) } else { (7, 33) };
                let v = sized(d, "ueid", min, max)?;
                if psa && v.first() != Some(&1) {
                    return Err(Error::claim("ueid", "PSA instance id must be of type RAND (0x01)"));
                }
                put(&mut self.ueid, v, at)
            }
            keys::OEMID => {
                let v = match d.peek_type()? {
                    Type::UInt => OemId::Pen(d.uint()?),
                    Type::Bytes => match d.bytes()? {
                        b if b.len() == 3 => OemId::Ieee(b),
                        b if b.len() == 16 => OemId::Random(b),
                        _ => return Err(Error::claim("oemid", "byte string must be 3 or 16 bytes")),
                    },
                    _ => return Err(Error::claim("oemid", "must be an unsigned integer or a byte string")),
                };
                put(&mut self.oemid, v, at)
            }
            keys::HWMODEL => put(&mut self.hwmodel, sized(d, "hwmodel", 1, 32)?, at),
            keys::HWVERSION => put(&mut self.hwversion, version(d, "hwversion")?, at),
            keys::SWNAME => put(&mut self.swname, text(d, "swname")?, at),
            keys::SWVERSION => put(&mut self.swversion, version(d, "swversion")?, at),
            keys::OEMBOOT => {
                put(&mut self.oemboot, d.bool().map_err(|_| Error::claim("oemboot", "must be a bool"))?, at)
            }
            keys::DBGSTAT => {
                let v = d.uint().ok().and_then(DebugStatus::from_u64);
                put(&mut self.dbgstat, v.ok_or(Error::claim("dbgstat", "must be 0 to 4"))?, at)
            }
            keys::LOCATION => put(&mut self.location, location(d)?, at),
            keys::UPTIME => put(&mut self.uptime, uint(d, "uptime")?, at),
            keys::BOOTCOUNT => put(&mut self.bootcount, uint(d, "bootcount")?, at),
            keys::BOOTSEED | keys::PSA_BOOT_SEED_V2 => {
                let v = match self.profile {
                    Profile::Psa | Profile::PsaV2 => sized(d, "bootseed", 8, 32)?,
                    Profile::PsaIot1 => sized(d, "bootseed", 32, 32)?,
                    _ => bytes(d, "bootseed")?,
                };
                if key == keys::PSA_BOOT_SEED_V2 && self.profile != Profile::PsaV2 {
                    self.unknown_count = self.unknown_count.saturating_add(1);
                    return Ok(());
                }
                put(&mut self.bootseed, v, at)
            }
            keys::IAT => put(&mut self.iat, time(d, "iat")?, at),
            keys::EXP => put(&mut self.exp, time(d, "exp")?, at),
            keys::NBF => put(&mut self.nbf, time(d, "nbf")?, at),
            keys::ISS => put(&mut self.iss, text(d, "iss")?, at),
            keys::SUB => put(&mut self.sub, text(d, "sub")?, at),
            keys::CTI => put(&mut self.cti, bytes(d, "cti")?, at),
            keys::AUD => {
                let start = d.position();
                match d.peek_type()? {
                    Type::Text => {
                        d.str()?;
                    }
                    Type::Array => each(d, "aud", 1, |d| text(d, "aud").map(|_| ()))?,
                    _ => return Err(Error::claim("aud", "must be text or an array of text")),
                }
                put(&mut self.aud, d.consumed_since(start), at)
            }
            keys::PROFILE => {
                match d.peek_type()? {
                    Type::Text => {
                        let id = d.str()?;
                        put(&mut self.profile_id, id, at)?;
                    }
                    Type::Bytes => {
                        bytes(d, "eat_profile")?;
                    }
                    Type::Tag if d.tag()? == 111 => {
                        bytes(d, "eat_profile")?;
                    }
                    _ => return Err(Error::claim("eat_profile", "must be a URI text or an OID")),
                }
                Ok(())
            }
            keys::INTUSE => {
                put(&mut self.intuse, d.int().map_err(|_| Error::claim("intuse", "must be an integer"))?, at)
            }
            keys::SUEIDS => {
                let start = d.position();
                let n = d.map().map_err(|_| Error::claim("sueids", "must be a map"))?;
                if n == 0 {
                    return Err(Error::claim("sueids", "must not be empty"));
                }
                for _ in 0..n {
                    text(d, "sueids")?;
                    sized(d, "sueids", 7, 33)?;
                }
                put(&mut self.sueids, d.consumed_since(start), at)
            }
            keys::DLOAS => {
                let start = d.position();
                each(d, "dloas", 1, |d| {
                    let n = d.array().map_err(|_| Error::claim("dloas", "entry must be an array"))?;
                    if !(2..=3).contains(&n) {
                        return Err(Error::claim("dloas", "entry must have 2 or 3 elements"));
                    }
                    for _ in 0..n {
                        text(d, "dloas")?;
                    }
                    Ok(())
                })?;
                put(&mut self.dloas, d.consumed_since(start), at)
            }
            keys::MANIFESTS | keys::MEASUREMENTS => {
                let name = if key == keys::MANIFESTS { "manifests" } else { "measurements" };
                let start = d.position();
                each(d, name, 1, |d| {
                    if d.array().ok() != Some(2) {
                        return Err(Error::claim(name, "entry must be [content-format, bytes]"));
                    }
                    let cf = uint(d, name)?;
                    let body = bytes(d, name)?;
                    if key == keys::MEASUREMENTS && cf == keys::mc::CONTENT_FORMAT {
                        measured_component(body, limits)?;
                    }
                    Ok(())
                })?;
                let raw = d.consumed_since(start);
                if key == keys::MANIFESTS {
                    put(&mut self.manifests, raw, at)
                } else {
                    put(&mut self.measurements, raw, at)
                }
            }
            keys::MEASRES => {
                let start = d.position();
                each(d, "measres", 1, |d| {
                    if d.array().ok() != Some(2) {
                        return Err(Error::claim("measres", "entry must be [system, results]"));
                    }
                    text(d, "measres")?;
                    each(d, "measres", 1, |d| {
                        if d.array().ok() != Some(2) {
                            return Err(Error::claim("measres", "result must be [id, result]"));
                        }
                        match d.peek_type()? {
                            Type::Text => d.str().map(|_| ())?,
                            Type::Bytes => d.bytes().map(|_| ())?,
                            _ => return Err(Error::claim("measres", "id must be text or bytes")),
                        }
                        match uint(d, "measres")? {
                            1..=4 => Ok(()),
                            _ => Err(Error::claim("measres", "result must be 1 to 4")),
                        }
                    })
                })?;
                put(&mut self.measres, d.consumed_since(start), at)
            }
            keys::SUBMODS => {
                let start = d.position();
                submods(d, limits, depth)?;
                put(&mut self.submods, d.consumed_since(start), at)
            }
            keys::PSA_CLIENT_ID => {
                let v = d.int().map_err(|_| Error::claim("psa-client-id", "must be an integer"))?;
                if i32::try_from(v).is_err() {
                    return Err(Error::claim("psa-client-id", "must fit 32 bits"));
                }
                put(&mut self.client_id, v, at)
            }
            keys::PSA_LIFECYCLE => {
                let v = d.uint().ok().and_then(|v| u16::try_from(v).ok());
                let v = v.filter(|&v| Lifecycle::from_u16(v).is_some());
                put(&mut self.lifecycle, v.ok_or(Error::claim("psa-security-lifecycle", "not a defined state"))?, at)
            }
            keys::PSA_IMPLEMENTATION_ID => {
                put(&mut self.implementation_id, sized(d, "psa-implementation-id", 32, 32)?, at)
            }
            keys::PSA_CERTIFICATION_REFERENCE => {
                let v = text(d, "psa-certification-reference")?;
                if !cert_ref_ok(v, self.profile) {
                    return Err(Error::claim("psa-certification-reference", "must be EAN-13 or EAN-13+5 digits"));
                }
                put(&mut self.certification_reference, v, at)
            }
            keys::PSA_SW_COMPONENTS => {
                let start = d.position();
                each(d, "psa-software-components", 1, sw_component)?;
                put(&mut self.sw_components, d.consumed_since(start), at)
            }
            keys::PSA_VSI => {
                let v = text(d, "psa-verification-service-indicator")?;
                if v.is_empty() {
                    return Err(Error::claim("psa-verification-service-indicator", "must not be empty"));
                }
                put(&mut self.vsi, v, at)
            }
            legacy::NO_SW_MEASUREMENTS if self.profile == Profile::PsaIot1 => {
                uint(d, "psa-no-sw-measurements")?;
                self.unknown_count = self.unknown_count.saturating_add(1);
                Ok(())
            }
            legacy::PROFILE if self.profile == Profile::PsaIot1 => {
                put(&mut self.profile_id, text(d, "eat_profile")?, at)
            }
            _ => {
                d.skip(limits.max_depth)?;
                self.unknown_count = self.unknown_count.saturating_add(1);
                Ok(())
            }
        }
    }

    fn check_required(&self) -> Result<()> {
        let need = |present: bool, name| if present { Ok(()) } else { Err(Error::MissingClaim(name)) };
        match self.profile {
            Profile::Generic => Ok(()),
            Profile::Constrained => need(self.nonce.is_some(), "eat_nonce"),
            Profile::Psa | Profile::PsaV2 | Profile::PsaIot1 => {
                need(self.nonce.is_some(), "eat_nonce")?;
                need(self.ueid.is_some(), "ueid")?;
                need(self.implementation_id.is_some(), "psa-implementation-id")?;
                need(self.client_id.is_some(), "psa-client-id")?;
                need(self.lifecycle.is_some(), "psa-security-lifecycle")?;
                if self.profile == Profile::PsaIot1 {
                    need(self.bootseed.is_some(), "bootseed")?;
                    if self.profile_id.is_some_and(|p| p != PROFILE_PSA_IOT_1) {
                        return Err(Error::claim("eat_profile", "a PSA_IOT_PROFILE_1 token names another profile"));
                    }
                    let no_sw = self.raw_has(legacy::NO_SW_MEASUREMENTS);
                    if no_sw && self.sw_components.is_some() {
                        return Err(Error::claim(
                            "psa-software-components",
                            "present together with psa-no-sw-measurements",
                        ));
                    }
                    need(self.sw_components.is_some() || no_sw, "psa-software-components")
                } else {
                    need(self.profile_id.is_some(), "eat_profile")?;
                    need(self.sw_components.is_some(), "psa-software-components")
                }
            }
        }
    }

    fn raw_has(&self, key: i64) -> bool {
        self.unknown().any(|(k, _)| k == ClaimKey::Int(key))
    }

    /// The encoded claims set.
    #[must_use]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.raw
    }

    /// The nonce, when there is exactly one.
    #[must_use]
    pub fn single_nonce(&self) -> Option<&'a [u8]> {
        match self.nonce {
            Some(Nonce::Single(n)) => Some(n),
            _ => None,
        }
    }

    /// The security lifecycle state.
    #[must_use]
    pub fn lifecycle_state(&self) -> Option<Lifecycle> {
        self.lifecycle.and_then(Lifecycle::from_u16)
    }

    /// Every entry as (key, encoded value), in token order.
    pub fn iter(&self) -> impl Iterator<Item = (ClaimKey<'a>, &'a [u8])> + 'a {
        MapEntries::new(self.raw).filter_map(|(k, v)| {
            let mut d = Decoder::new(k);
            let key = match d.peek_type().ok()? {
                Type::Text => ClaimKey::Text(d.str().ok()?),
                _ => ClaimKey::Int(d.int().ok()?),
            };
            Some((key, v))
        })
    }

    /// The claims this crate does not interpret, as (key, encoded value): RFC 9711 says to
    /// ignore them, and an appraisal policy may still want them.
    pub fn unknown(&self) -> impl Iterator<Item = (ClaimKey<'a>, &'a [u8])> + 'a {
        let profile = self.profile;
        self.iter().filter(move |(k, _)| match *k {
            ClaimKey::Text(_) => true,
            ClaimKey::Int(k) => !is_known(canonical(profile, k), profile),
        })
    }

    /// The measured components: PSA software components, then EAT measured components.
    pub fn components(&self) -> impl Iterator<Item = Component<'a>> + 'a {
        let psa = self.sw_components.map(|raw| Items::new(raw).filter_map(parse_sw_component));
        let mc = self.measurements.map(|raw| {
            Items::new(raw).filter_map(|entry| {
                let mut d = Decoder::new(entry);
                d.array().ok()?;
                if d.uint().ok()? != keys::mc::CONTENT_FORMAT {
                    return None;
                }
                parse_measured_component(d.bytes().ok()?)
            })
        });
        psa.into_iter().flatten().chain(mc.into_iter().flatten())
    }

    /// The submodules, by name.
    pub fn submods(&self) -> impl Iterator<Item = (&'a str, Submod<'a>)> + 'a {
        self.submods.into_iter().flat_map(|raw| {
            MapEntries::new(raw).filter_map(|(k, v)| {
                let name = Decoder::new(k).str().ok()?;
                let mut d = Decoder::new(v);
                let sub = match d.peek_type().ok()? {
                    Type::Map => {
                        Submod::Claims(Self::parse(v, None, &Limits::DEFAULT, strict::Report::default(), 1).ok()?)
                    }
                    Type::Bytes => Submod::Token(d.bytes().ok()?),
                    Type::Text => Submod::JsonToken(d.str().ok()?),
                    _ => {
                        d.array().ok()?;
                        let alg = match d.peek_type().ok()? {
                            Type::Text => {
                                d.str().ok()?;
                                0
                            }
                            _ => d.int().ok()?,
                        };
                        Submod::Digest { alg, value: d.bytes().ok()? }
                    }
                };
                Some((name, sub))
            })
        })
    }
}

fn is_known(key: i64, profile: Profile) -> bool {
    matches!(key, 1..=7 | 10 | 256..=275 | 2394..=2396 | 2398..=2400)
        || (key == keys::PSA_BOOT_SEED_V2 && profile == Profile::PsaV2)
        || (key == legacy::PROFILE && profile == Profile::PsaIot1)
}

/// Maps legacy PSA keys onto the current ones.
fn canonical(profile: Profile, key: i64) -> i64 {
    if profile != Profile::PsaIot1 {
        return key;
    }
    match key {
        legacy::CLIENT_ID => keys::PSA_CLIENT_ID,
        legacy::LIFECYCLE => keys::PSA_LIFECYCLE,
        legacy::IMPLEMENTATION_ID => keys::PSA_IMPLEMENTATION_ID,
        legacy::BOOT_SEED => keys::BOOTSEED,
        legacy::HARDWARE_VERSION => keys::PSA_CERTIFICATION_REFERENCE,
        legacy::SW_COMPONENTS => keys::PSA_SW_COMPONENTS,
        legacy::NONCE => keys::NONCE,
        legacy::INSTANCE_ID => keys::UEID,
        legacy::VSI => keys::PSA_VSI,
        k => k,
    }
}

/// The profile the claims name, from `eat_profile` (265) or the legacy profile claim.
fn named_profile(bytes: &[u8]) -> Result<Option<Profile>> {
    for (k, v) in MapEntries::new(bytes) {
        let key = Decoder::new(k).int().ok();
        if key == Some(keys::PROFILE) || key == Some(legacy::PROFILE) {
            let p = Decoder::new(v).str().map(Profile::from_id).unwrap_or(Profile::Generic);
            if key == Some(legacy::PROFILE) && p != Profile::PsaIot1 {
                return Err(Error::claim("eat_profile", "unknown legacy PSA profile"));
            }
            return Ok(Some(p));
        }
        if key == Some(legacy::NONCE) || key == Some(legacy::INSTANCE_ID) {
            // RFC 9783 section 4.6: a token with legacy keys and no profile claim is PSA_IOT_PROFILE_1.
            return Ok(Some(Profile::PsaIot1));
        }
    }
    Ok(None)
}

fn put<T>(slot: &mut Option<T>, v: T, at: usize) -> Result<()> {
    if slot.is_some() {
        return Err(Error::DuplicateKey { offset: at });
    }
    *slot = Some(v);
    Ok(())
}

fn bytes<'a>(d: &mut Decoder<'a>, claim: &'static str) -> Result<&'a [u8]> {
    d.bytes().map_err(|_| Error::claim(claim, "must be a byte string"))
}

fn sized<'a>(d: &mut Decoder<'a>, claim: &'static str, min: usize, max: usize) -> Result<&'a [u8]> {
    let b = bytes(d, claim)?;
    if b.len() < min || b.len() > max {
        return Err(Error::claim(claim, "wrong size"));
    }
    Ok(b)
}

fn text<'a>(d: &mut Decoder<'a>, claim: &'static str) -> Result<&'a str> {
    d.str().map_err(|_| Error::claim(claim, "must be a text string"))
}

fn uint(d: &mut Decoder<'_>, claim: &'static str) -> Result<u64> {
    d.uint().map_err(|_| Error::claim(claim, "must be an unsigned integer"))
}

fn time(d: &mut Decoder<'_>, claim: &'static str) -> Result<i64> {
    if d.peek_type()? == Type::Float {
        return Err(Error::claim(claim, "must be an integer, not a float"));
    }
    d.int().map_err(|_| Error::claim(claim, "must be an integer"))
}

fn number(d: &mut Decoder<'_>) -> Result<f64> {
    match d.peek_type()? {
        Type::Float => Ok(d.float()?),
        Type::UInt | Type::NInt => {
            let v = d.int()?;
            // Any i64 converts; precision loss above 2^53 is irrelevant for coordinates.
            #[allow(clippy::cast_precision_loss, clippy::as_conversions, reason = "documented lossy conversion")]
            Ok(v as f64)
        }
        _ => Err(Error::claim("location", "values must be numbers")),
    }
}

fn version<'a>(d: &mut Decoder<'a>, claim: &'static str) -> Result<Version<'a>> {
    let n = d.array().map_err(|_| Error::claim(claim, "must be [version, ? scheme]"))?;
    if !(1..=2).contains(&n) {
        return Err(Error::claim(claim, "must be [version, ? scheme]"));
    }
    let version = text(d, claim)?;
    let scheme =
        if n == 2 { Some(d.int().map_err(|_| Error::claim(claim, "scheme must be an integer"))?) } else { None };
    Ok(Version { version, scheme })
}

fn nonce<'a>(d: &mut Decoder<'a>, psa: bool) -> Result<Nonce<'a>> {
    match d.peek_type()? {
        Type::Bytes => {
            let n = d.bytes()?;
            let ok = if psa { matches!(n.len(), 32 | 48 | 64) } else { (8..=64).contains(&n.len()) };
            if !ok {
                return Err(Error::claim(
                    "eat_nonce",
                    if psa { "must be 32, 48 or 64 bytes" } else { "must be 8 to 64 bytes" },
                ));
            }
            Ok(Nonce::Single(n))
        }
        Type::Array if !psa => {
            let start = d.position();
            each(d, "eat_nonce", 2, |d| sized(d, "eat_nonce", 8, 64).map(|_| ()))?;
            Ok(Nonce::Multiple(d.consumed_since(start)))
        }
        _ => Err(Error::claim(
            "eat_nonce",
            if psa { "must be one byte string" } else { "must be bytes or an array of bytes" },
        )),
    }
}

fn location(d: &mut Decoder<'_>) -> Result<Location> {
    let n = d.map().map_err(|_| Error::claim("location", "must be a map"))?;
    let mut l = Location {
        latitude: f64::NAN,
        longitude: f64::NAN,
        altitude: None,
        accuracy: None,
        altitude_accuracy: None,
        heading: None,
        speed: None,
        timestamp: None,
        age: None,
    };
    let (mut lat, mut lon) = (false, false);
    for _ in 0..n {
        match d.int().map_err(|_| Error::claim("location", "keys must be integers"))? {
            1 => {
                l.latitude = number(d)?;
                lat = true;
            }
            2 => {
                l.longitude = number(d)?;
                lon = true;
            }
            3 => l.altitude = Some(number(d)?),
            4 => l.accuracy = Some(number(d)?),
            5 => l.altitude_accuracy = Some(number(d)?),
            6 => l.heading = Some(number(d)?),
            7 => l.speed = Some(number(d)?),
            8 => l.timestamp = Some(time(d, "location")?),
            9 => l.age = Some(uint(d, "location")?),
            _ => d.skip(4)?,
        }
    }
    if !(lat && lon) {
        return Err(Error::claim("location", "latitude and longitude are required"));
    }
    Ok(l)
}

/// Reads an array of at least `min` elements, each with `f`.
fn each<'a>(
    d: &mut Decoder<'a>,
    claim: &'static str,
    min: u64,
    mut f: impl FnMut(&mut Decoder<'a>) -> Result<()>,
) -> Result<()> {
    let n = d.array().map_err(|_| Error::claim(claim, "must be an array"))?;
    if n < min {
        return Err(Error::claim(claim, "too few elements"));
    }
    for _ in 0..n {
        f(d)?;
    }
    Ok(())
}

fn hash_value<'a>(d: &mut Decoder<'a>, claim: &'static str) -> Result<&'a [u8]> {
    let b = bytes(d, claim)?;
    if !matches!(b.len(), 32 | 48 | 64) {
        return Err(Error::claim(claim, "hash must be 32, 48 or 64 bytes"));
    }
    Ok(b)
}

fn sw_component(d: &mut Decoder<'_>) -> Result<()> {
    const C: &str = "psa-software-components";
    let n = d.map().map_err(|_| Error::claim(C, "entry must be a map"))?;
    let (mut value, mut signer) = (false, false);
    for _ in 0..n {
        match d.int().map_err(|_| Error::claim(C, "keys must be integers"))? {
            keys::sw::MEASUREMENT_TYPE | keys::sw::VERSION | keys::sw::MEASUREMENT_DESC => {
                text(d, C)?;
            }
            keys::sw::MEASUREMENT_VALUE => {
                hash_value(d, C)?;
                value = true;
            }
            keys::sw::SIGNER_ID => {
                hash_value(d, C)?;
                signer = true;
            }
            _ => d.skip(4)?,
        }
    }
    if !value {
        return Err(Error::MissingClaim("psa-software-components measurement-value"));
    }
    if !signer {
        return Err(Error::MissingClaim("psa-software-components signer-id"));
    }
    Ok(())
}

fn parse_sw_component(raw: &[u8]) -> Option<Component<'_>> {
    let mut d = Decoder::new(raw);
    let n = d.map().ok()?;
    let mut c = Component { name: None, version: None, measurement: &[], signer_id: None, description: None };
    for _ in 0..n {
        match d.int().ok()? {
            keys::sw::MEASUREMENT_TYPE => c.name = Some(d.str().ok()?),
            keys::sw::VERSION => c.version = Some(d.str().ok()?),
            keys::sw::MEASUREMENT_DESC => c.description = Some(d.str().ok()?),
            keys::sw::MEASUREMENT_VALUE => c.measurement = d.bytes().ok()?,
            keys::sw::SIGNER_ID => c.signer_id = Some(d.bytes().ok()?),
            _ => d.skip(4).ok()?,
        }
    }
    Some(c)
}

/// Validates a measured component (draft-ietf-rats-eat-measured-component).
fn measured_component(body: &[u8], limits: &Limits) -> Result<()> {
    const C: &str = "measurements";
    strict::check(body, limits)?;
    let d = &mut Decoder::new(body);
    let n = d.map().map_err(|_| Error::claim(C, "measured component must be a map"))?;
    let (mut id, mut value) = (false, false);
    for _ in 0..n {
        match d.int().map_err(|_| Error::claim(C, "measured component keys must be integers"))? {
            keys::mc::ID => {
                let k = d.array().map_err(|_| Error::claim(C, "id must be [name, ? version]"))?;
                if !(1..=2).contains(&k) {
                    return Err(Error::claim(C, "id must be [name, ? version]"));
                }
                text(d, C)?;
                if k == 2 {
                    version(d, C)?;
                }
                id = true;
            }
            keys::mc::MEASUREMENT => {
                if d.array().ok() != Some(2) {
                    return Err(Error::claim(C, "measurement must be [alg, digest]"));
                }
                match d.peek_type()? {
                    Type::Text => d.str().map(|_| ())?,
                    _ => d.int().map(|_| ()).map_err(|_| Error::claim(C, "digest alg must be int or text"))?,
                }
                bytes(d, C)?;
                value = true;
            }
            keys::mc::RAW => {
                bytes(d, C)?;
                value = true;
            }
            keys::mc::AUTHORITIES => each(d, C, 1, |d| bytes(d, C).map(|_| ()))?,
            keys::mc::FLAGS => {
                sized(d, C, 8, 8)?;
            }
            _ => d.skip(4)?,
        }
    }
    if !(id && value) {
        return Err(Error::claim(C, "measured component needs an id and a measurement"));
    }
    d.finish()?;
    Ok(())
}

fn parse_measured_component(body: &[u8]) -> Option<Component<'_>> {
    let mut d = Decoder::new(body);
    let n = d.map().ok()?;
    let mut c = Component { name: None, version: None, measurement: &[], signer_id: None, description: None };
    for _ in 0..n {
        match d.int().ok()? {
            keys::mc::ID => {
                let k = d.array().ok()?;
                c.name = Some(d.str().ok()?);
                if k == 2 {
                    let v = d.array().ok()?;
                    c.version = Some(d.str().ok()?);
                    if v == 2 {
                        d.int().ok()?;
                    }
                }
            }
            keys::mc::MEASUREMENT => {
                d.array().ok()?;
                d.skip(1).ok()?;
                c.measurement = d.bytes().ok()?;
            }
            keys::mc::RAW => c.measurement = d.bytes().ok()?,
            keys::mc::AUTHORITIES => {
                let k = d.array().ok()?;
                c.signer_id = Some(d.bytes().ok()?);
                for _ in 1..k {
                    d.skip(1).ok()?;
                }
            }
            _ => d.skip(4).ok()?,
        }
    }
    Some(c)
}

fn submods(d: &mut Decoder<'_>, limits: &Limits, depth: usize) -> Result<()> {
    const C: &str = "submods";
    let depth = depth.saturating_add(1);
    if depth > limits.max_submod_depth {
        return Err(Error::LimitExceeded("submodule nesting"));
    }
    let n = d.map().map_err(|_| Error::claim(C, "must be a map"))?;
    for _ in 0..n {
        text(d, C)?;
        match d.peek_type()? {
            Type::Map => {
                let raw = d.raw_item(limits.max_depth)?;
                // The bytes were checked by the outer pass (preferred serialization included);
                // a submodule follows the profile it names, if any, not its parent's.
                Claims::parse(raw, None, limits, strict::Report::default(), depth)?;
            }
            Type::Bytes => {
                if d.bytes()?.is_empty() {
                    return Err(Error::claim(C, "nested token is empty"));
                }
            }
            Type::Text => {
                if d.str()?.is_empty() {
                    return Err(Error::claim(C, "nested JSON token is empty"));
                }
            }
            Type::Array => {
                if d.array()? != 2 {
                    return Err(Error::claim(C, "detached digest must be [alg, digest]"));
                }
                match d.peek_type()? {
                    Type::Text => d.str().map(|_| ())?,
                    _ => d.int().map(|_| ()).map_err(|_| Error::claim(C, "digest alg must be int or text"))?,
                }
                bytes(d, C)?;
            }
            _ => return Err(Error::claim(C, "entry must be a claims set, a token or a digest")),
        }
    }
    Ok(())
}

fn cert_ref_ok(v: &str, profile: Profile) -> bool {
    let b = v.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        13 => profile != Profile::Psa && digits(b),
        19 => {
            b.get(13) == Some(&b'-')
                && digits(b.get(..13).unwrap_or_default())
                && digits(b.get(14..).unwrap_or_default())
        }
        _ => false,
    }
}

/// Iterates the encoded elements of an encoded (validated) array.
pub(crate) struct Items<'a> {
    d: Decoder<'a>,
    left: u64,
}

impl<'a> Items<'a> {
    pub(crate) fn new(raw: &'a [u8]) -> Self {
        let mut d = Decoder::new(raw);
        let left = d.array().unwrap_or(0);
        Self { d, left }
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        self.left = self.left.checked_sub(1)?;
        self.d.raw_item(strict::MAX_DEPTH).ok()
    }
}

/// Iterates (key, value) encodings of an encoded (validated) map.
pub(crate) struct MapEntries<'a> {
    d: Decoder<'a>,
    left: u64,
}

impl<'a> MapEntries<'a> {
    pub(crate) fn new(raw: &'a [u8]) -> Self {
        let mut d = Decoder::new(raw);
        let left = d.map().unwrap_or(0);
        Self { d, left }
    }
}

impl<'a> Iterator for MapEntries<'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let k = self.d.raw_item(strict::MAX_DEPTH).ok()?;
        let v = self.d.raw_item(strict::MAX_DEPTH).ok()?;
        Some((k, v))
    }
}
