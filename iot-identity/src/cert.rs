//! X.509 v3 certificates (RFC 5280 section 4), parsed without an allocator.
//!
//! [`Certificate::from_der`] checks the whole structure once, every extension the validator
//! understands included, and keeps borrowed slices of the input; nothing is copied.

use crate::der::{Reader, Tlv, bit_flags, check_integer, tag, uint_value};
use crate::error::{Error, Result};
use crate::oid;
use crate::time::Time;

/// Most extensions one certificate may carry before it is refused.
pub const MAX_EXTENSIONS: usize = 32;

/// A signature algorithm from an AlgorithmIdentifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// ecdsa-with-SHA256 (parameters absent, RFC 5758).
    EcdsaSha256,
    /// ecdsa-with-SHA384 (parameters absent).
    EcdsaSha384,
    /// Ed25519 (RFC 8410, parameters absent).
    Ed25519,
    /// sha256WithRSAEncryption (parameters NULL).
    RsaPkcs1Sha256,
    /// sha384WithRSAEncryption (parameters NULL).
    RsaPkcs1Sha384,
    /// sha512WithRSAEncryption (parameters NULL).
    RsaPkcs1Sha512,
    /// Anything else, including a known OID with wrong parameters: never verifies.
    Unknown,
}

impl SignatureAlgorithm {
    /// Classifies the contents of an AlgorithmIdentifier SEQUENCE.
    #[must_use]
    pub fn from_der(contents: &[u8]) -> Self {
        let mut r = Reader::new(contents);
        let Ok(id) = r.read(tag::OID) else { return Self::Unknown };
        let params = r.read_any().ok();
        if !r.is_empty() {
            return Self::Unknown;
        }
        let null = matches!(params, Some(Tlv { tag: tag::NULL, value: [], .. }));
        match (id, params.is_none(), null) {
            (oid::ECDSA_SHA256, true, _) => Self::EcdsaSha256,
            (oid::ECDSA_SHA384, true, _) => Self::EcdsaSha384,
            (oid::ED25519, true, _) => Self::Ed25519,
            (oid::RSA_SHA256, _, true) => Self::RsaPkcs1Sha256,
            (oid::RSA_SHA384, _, true) => Self::RsaPkcs1Sha384,
            (oid::RSA_SHA512, _, true) => Self::RsaPkcs1Sha512,
            _ => Self::Unknown,
        }
    }

    /// The DER AlgorithmIdentifier this crate writes for it (`None` for [`Self::Unknown`]).
    #[must_use]
    pub fn to_der(self) -> Option<&'static [u8]> {
        match self {
            Self::EcdsaSha256 => Some(&[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]),
            Self::EcdsaSha384 => Some(&[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03]),
            Self::Ed25519 => Some(&[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70]),
            _ => None,
        }
    }
}

/// The key type of a SubjectPublicKeyInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// id-ecPublicKey on prime256v1.
    EcP256,
    /// id-ecPublicKey on secp384r1.
    EcP384,
    /// Ed25519.
    Ed25519,
    /// rsaEncryption (parameters NULL).
    Rsa,
    /// Any other key type or curve.
    Unknown,
}

/// A SubjectPublicKeyInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKeyInfo<'a> {
    /// The whole DER SubjectPublicKeyInfo (what SPKI pins hash).
    pub raw: &'a [u8],
    /// The key type.
    pub algorithm: KeyAlgorithm,
    /// The key bits (SEC1 point, raw Ed25519 key, or RSAPublicKey DER).
    pub key: &'a [u8],
}

impl<'a> PublicKeyInfo<'a> {
    /// Parses a DER SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// [`Error::Der`] or [`Error::Malformed`] when it is not one.
    pub fn from_der(der: &'a [u8]) -> Result<Self> {
        let mut outer = Reader::new(der);
        let tlv = outer.read_tlv(tag::SEQUENCE)?;
        outer.finish()?;
        Self::from_tlv(tlv)
    }

    fn from_tlv(tlv: Tlv<'a>) -> Result<Self> {
        let mut r = Reader::new(tlv.value);
        let alg = r.read(tag::SEQUENCE)?;
        let key = r.read_bit_string_octets()?;
        r.finish()?;
        let mut a = Reader::new(alg);
        let id = a.read(tag::OID)?;
        let params = if a.is_empty() { None } else { Some(a.read_any()?) };
        a.finish()?;
        let algorithm = match (id, params) {
            (oid::EC_PUBLIC_KEY, Some(Tlv { tag: tag::OID, value: oid::P256, .. })) => KeyAlgorithm::EcP256,
            (oid::EC_PUBLIC_KEY, Some(Tlv { tag: tag::OID, value: oid::P384, .. })) => KeyAlgorithm::EcP384,
            (oid::ED25519, None) => KeyAlgorithm::Ed25519,
            (oid::RSA_ENCRYPTION, Some(Tlv { tag: tag::NULL, value: [], .. })) => KeyAlgorithm::Rsa,
            _ => KeyAlgorithm::Unknown,
        };
        Ok(Self { raw: tlv.raw, algorithm, key })
    }
}

/// A distinguished name (RDNSequence), kept as its DER contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Name<'a> {
    /// The whole DER Name (SEQUENCE header included).
    pub raw: &'a [u8],
    contents: &'a [u8],
}

/// One attribute of a distinguished name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// The attribute type OID (DER contents).
    pub oid: &'a [u8],
    /// The string tag (UTF8String, PrintableString, ...).
    pub tag: u8,
    /// The value's contents.
    pub value: &'a [u8],
}

impl<'a> Name<'a> {
    pub(crate) fn from_tlv(tlv: Tlv<'a>) -> Result<Self> {
        let name = Self { raw: tlv.raw, contents: tlv.value };
        // Check the structure once so that iteration cannot fail later.
        let mut n = 0usize;
        let mut rdns = Reader::new(tlv.value);
        while !rdns.is_empty() {
            let mut set = Reader::new(rdns.read(tag::SET)?);
            if set.is_empty() {
                return Err(Error::Malformed("name: empty relative distinguished name"));
            }
            while !set.is_empty() {
                let mut atv = Reader::new(set.read(tag::SEQUENCE)?);
                atv.read(tag::OID)?;
                atv.read_any()?;
                atv.finish()?;
                n = n.saturating_add(1);
                if n > 64 {
                    return Err(Error::LimitExceeded("name attributes"));
                }
            }
        }
        Ok(name)
    }

    /// Parses a DER Name.
    ///
    /// # Errors
    /// [`Error::Der`] or [`Error::Malformed`] when it is not one.
    pub fn from_der(der: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(der);
        let tlv = r.read_tlv(tag::SEQUENCE)?;
        r.finish()?;
        Self::from_tlv(tlv)
    }

    /// Whether the name has no attributes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.contents.is_empty()
    }

    /// The attributes, in order.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'a>> + 'a {
        let mut rdns = Reader::new(self.contents);
        let mut set = Reader::new(&[]);
        core::iter::from_fn(move || {
            while set.is_empty() {
                set = Reader::new(rdns.read(tag::SET).ok()?);
            }
            let mut atv = Reader::new(set.read(tag::SEQUENCE).ok()?);
            let oid = atv.read(tag::OID).ok()?;
            let v = atv.read_any().ok()?;
            Some(Attribute { oid, tag: v.tag, value: v.value })
        })
    }

    /// The first attribute of type `oid`, as text when it is a string type.
    #[must_use]
    pub fn get(&self, oid: &[u8]) -> Option<&'a str> {
        self.attributes().find(|a| a.oid == oid).and_then(|a| core::str::from_utf8(a.value).ok())
    }

    /// The commonName, if any.
    #[must_use]
    pub fn common_name(&self) -> Option<&'a str> {
        self.get(oid::AT_COMMON_NAME)
    }

    /// The serialNumber attribute (the 802.1AR device serial), if any.
    #[must_use]
    pub fn serial_number(&self) -> Option<&'a str> {
        self.get(oid::AT_SERIAL_NUMBER)
    }
}

impl core::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut first = true;
        for a in self.attributes() {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            let key = match a.oid {
                oid::AT_COMMON_NAME => "CN",
                oid::AT_SERIAL_NUMBER => "serialNumber",
                oid::AT_COUNTRY => "C",
                oid::AT_ORGANIZATION => "O",
                [0x55, 0x04, 0x0b] => "OU",
                oid::AT_MATTER_VID => "matterVID",
                oid::AT_MATTER_PID => "matterPID",
                _ => "?",
            };
            match core::str::from_utf8(a.value) {
                Ok(s) => write!(f, "{key}={s}")?,
                Err(_) => write!(f, "{key}=<{} bytes>", a.value.len())?,
            }
        }
        Ok(())
    }
}

/// basicConstraints (RFC 5280 4.2.1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasicConstraints {
    /// cA.
    pub ca: bool,
    /// pathLenConstraint.
    pub path_len: Option<u8>,
}

/// keyUsage bits (RFC 5280 4.2.1.3), bit 0 = digitalSignature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsage(pub u16);

impl KeyUsage {
    /// digitalSignature.
    pub const DIGITAL_SIGNATURE: u16 = 1 << 0;
    /// nonRepudiation / contentCommitment.
    pub const CONTENT_COMMITMENT: u16 = 1 << 1;
    /// keyEncipherment.
    pub const KEY_ENCIPHERMENT: u16 = 1 << 2;
    /// dataEncipherment.
    pub const DATA_ENCIPHERMENT: u16 = 1 << 3;
    /// keyAgreement.
    pub const KEY_AGREEMENT: u16 = 1 << 4;
    /// keyCertSign.
    pub const KEY_CERT_SIGN: u16 = 1 << 5;
    /// cRLSign.
    pub const CRL_SIGN: u16 = 1 << 6;
    /// encipherOnly.
    pub const ENCIPHER_ONLY: u16 = 1 << 7;
    /// decipherOnly.
    pub const DECIPHER_ONLY: u16 = 1 << 8;

    /// Whether every bit of `bits` is set.
    #[must_use]
    pub const fn has(self, bits: u16) -> bool {
        self.0 & bits == bits
    }
}

/// nameConstraints: the contents of (permittedSubtrees, excludedSubtrees).
pub type Subtrees<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// The extensions of a certificate that the validator reads, each checked at parse time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Extensions<'a> {
    /// basicConstraints and whether it was critical.
    pub basic_constraints: Option<(BasicConstraints, bool)>,
    /// keyUsage and whether it was critical.
    pub key_usage: Option<(KeyUsage, bool)>,
    /// extKeyUsage: the contents of its SEQUENCE OF OID.
    pub extended_key_usage: Option<&'a [u8]>,
    /// subjectAltName: the contents of its GeneralNames, and whether it was critical.
    pub subject_alt_name: Option<(&'a [u8], bool)>,
    /// nameConstraints: (permittedSubtrees, excludedSubtrees) contents.
    pub name_constraints: Option<Subtrees<'a>>,
    /// subjectKeyIdentifier.
    pub subject_key_id: Option<&'a [u8]>,
    /// authorityKeyIdentifier keyIdentifier, and whether the extension was present at all.
    pub authority_key_id: Option<Option<&'a [u8]>>,
    /// authorityKeyIdentifier carries authorityCertIssuer and authorityCertSerialNumber.
    pub authority_cert_issuer: bool,
    /// nameConstraints was marked critical (RFC 5280 requires it; the CA/B Forum allows either).
    pub name_constraints_critical: bool,
    /// extKeyUsage was marked critical.
    pub extended_key_usage_critical: bool,
    /// cRLDistributionPoints contents.
    pub crl_distribution_points: Option<&'a [u8]>,
    /// A critical extension that this crate does not process (the policy extensions included:
    /// there is no policy tree, as in webpki).
    pub unknown_critical: bool,
    /// Whether authorityKeyIdentifier, subjectKeyIdentifier or authorityInfoAccess was marked
    /// critical, which RFC 5280 forbids.
    pub misplaced_critical: bool,
    /// Number of extensions.
    pub count: usize,
}

/// A parsed X.509 certificate. Every field borrows from the DER it was parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Certificate<'a> {
    /// The whole DER certificate.
    pub raw: &'a [u8],
    /// The DER TBSCertificate (the signed bytes).
    pub tbs: &'a [u8],
    /// 1 or 3.
    pub version: u8,
    /// The serial number's INTEGER contents.
    pub serial: &'a [u8],
    /// The signature algorithm (outer field; the inner one is checked equal).
    pub signature_algorithm: SignatureAlgorithm,
    /// The signature bits.
    pub signature: &'a [u8],
    /// The issuer.
    pub issuer: Name<'a>,
    /// The subject.
    pub subject: Name<'a>,
    /// notBefore.
    pub not_before: Time,
    /// notAfter.
    pub not_after: Time,
    /// The subject public key.
    pub public_key: PublicKeyInfo<'a>,
    /// The extensions the validator reads.
    pub extensions: Extensions<'a>,
    /// The raw DER contents of the extensions SEQUENCE (empty when absent).
    pub extensions_raw: &'a [u8],
    sig_alg_mismatch: bool,
}

impl<'a> Certificate<'a> {
    /// Parses a DER certificate and every extension this crate understands.
    ///
    /// # Errors
    /// [`Error::Der`] for bad DER, [`Error::Malformed`] for a structure that is not a certificate,
    /// [`Error::UnsupportedVersion`], [`Error::InvalidTime`], [`Error::DuplicateExtension`], or
    /// [`Error::LimitExceeded`] for more than [`MAX_EXTENSIONS`] extensions.
    pub fn from_der(der: &'a [u8]) -> Result<Self> {
        let (tbs, outer_alg, signature) = crate::der::signed_envelope(der)?;

        let mut t = Reader::new(tbs.value);
        let version = match t.read_optional(tag::context(0))? {
            None => 1,
            Some(v) => {
                let mut vr = Reader::new(v);
                let n = vr.read_u64()?;
                vr.finish()?;
                match n {
                    2 => 3,
                    1 => 2,
                    // v1 must not be encoded explicitly in DER.
                    _ => return Err(Error::UnsupportedVersion),
                }
            }
        };
        let serial = t.read(tag::INTEGER)?;
        check_integer(serial)?;
        let inner_alg = t.read_tlv(tag::SEQUENCE)?;
        let issuer = Name::from_tlv(t.read_tlv(tag::SEQUENCE)?)?;
        let (not_before, not_after) = t.nested(tag::SEQUENCE, |v| {
            let nb = v.read_any()?;
            let na = v.read_any()?;
            Ok((Time::from_der(nb.tag, nb.value)?, Time::from_der(na.tag, na.value)?))
        })?;
        let subject = Name::from_tlv(t.read_tlv(tag::SEQUENCE)?)?;
        let public_key = PublicKeyInfo::from_tlv(t.read_tlv(tag::SEQUENCE)?)?;
        // issuerUniqueID / subjectUniqueID: allowed in v2 and v3, ignored.
        if version >= 2 {
            t.read_optional(tag::context_primitive(1))?;
            t.read_optional(tag::context_primitive(2))?;
        }
        let mut extensions_raw: &[u8] = &[];
        let mut extensions = Extensions::default();
        if let Some(ext) = t.read_optional(tag::context(3))? {
            if version != 3 {
                return Err(Error::UnsupportedVersion);
            }
            let mut er = Reader::new(ext);
            extensions_raw = er.read(tag::SEQUENCE)?;
            er.finish()?;
            if extensions_raw.is_empty() {
                return Err(Error::Malformed("extensions: empty"));
            }
            extensions = parse_extensions(extensions_raw)?;
        }
        t.finish()?;
        if version == 2 {
            return Err(Error::UnsupportedVersion);
        }
        Ok(Self {
            raw: der,
            tbs: tbs.raw,
            version,
            serial,
            signature_algorithm: SignatureAlgorithm::from_der(outer_alg.value),
            signature,
            issuer,
            subject,
            not_before,
            not_after,
            public_key,
            extensions,
            extensions_raw,
            sig_alg_mismatch: outer_alg.raw != inner_alg.raw,
        })
    }

    /// Whether the inner (TBS) and outer signature algorithm identifiers differ.
    #[must_use]
    pub fn signature_algorithm_mismatch(&self) -> bool {
        self.sig_alg_mismatch
    }

    /// Whether basicConstraints marks this certificate as a CA.
    #[must_use]
    pub fn is_ca(&self) -> bool {
        self.extensions.basic_constraints.is_some_and(|(b, _)| b.ca)
    }

    /// Whether subject and issuer are the same name.
    #[must_use]
    pub fn is_self_issued(&self) -> bool {
        self.subject.raw == self.issuer.raw
    }

    /// The serial number as an unsigned integer, when it fits a `u64`.
    #[must_use]
    pub fn serial_u64(&self) -> Option<u64> {
        uint_value(self.serial).ok()
    }

    /// The subjectAltName entries.
    pub fn subject_alt_names(&self) -> GeneralNames<'a> {
        GeneralNames::new(self.extensions.subject_alt_name.map_or(&[], |(s, _)| s))
    }

    /// The extendedKeyUsage purposes (OID contents), empty when the extension is absent.
    pub fn extended_key_usages(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut r = Reader::new(self.extensions.extended_key_usage.unwrap_or(&[]));
        core::iter::from_fn(move || r.read(tag::OID).ok())
    }
}

/// One GeneralName (RFC 5280 4.2.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GeneralName<'a> {
    /// dNSName (IA5String).
    Dns(&'a [u8]),
    /// iPAddress: 4 or 16 bytes in a SAN, 8 or 32 (address and mask) in a name constraint.
    Ip(&'a [u8]),
    /// rfc822Name.
    Email(&'a [u8]),
    /// uniformResourceIdentifier.
    Uri(&'a [u8]),
    /// directoryName: the DER Name.
    Directory(&'a [u8]),
    /// otherName: the contents (type-id and value).
    Other(&'a [u8]),
    /// x400Address, ediPartyName, registeredID.
    Unsupported(u8),
}

/// An iterator over GeneralNames contents. Structure is checked when the extension is parsed.
#[derive(Debug, Clone)]
pub struct GeneralNames<'a> {
    r: Reader<'a>,
}

impl<'a> GeneralNames<'a> {
    /// Iterates the GeneralName elements in `contents`.
    #[must_use]
    pub fn new(contents: &'a [u8]) -> Self {
        Self { r: Reader::new(contents) }
    }
}

impl<'a> Iterator for GeneralNames<'a> {
    type Item = GeneralName<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        let tlv = self.r.read_any().ok()?;
        Some(general_name(tlv))
    }
}

pub(crate) fn general_name(tlv: Tlv<'_>) -> GeneralName<'_> {
    match tlv.tag {
        0x82 => GeneralName::Dns(tlv.value),
        0x87 => GeneralName::Ip(tlv.value),
        0x81 => GeneralName::Email(tlv.value),
        0x86 => GeneralName::Uri(tlv.value),
        0xa4 => GeneralName::Directory(tlv.value),
        0xa0 => GeneralName::Other(tlv.value),
        t => GeneralName::Unsupported(t),
    }
}

/// Checks GeneralNames contents: each element well formed, strings ASCII, directory names valid.
fn check_general_names(contents: &[u8], allow_empty: bool) -> Result<()> {
    let mut r = Reader::new(contents);
    if r.is_empty() && !allow_empty {
        return Err(Error::Malformed("general names: empty"));
    }
    while !r.is_empty() {
        let tlv = r.read_any()?;
        match general_name(tlv) {
            GeneralName::Dns(v) | GeneralName::Email(v) | GeneralName::Uri(v) => {
                if !v.is_ascii() {
                    return Err(Error::Malformed("general name: not IA5"));
                }
            }
            GeneralName::Directory(v) => {
                Name::from_der(v)?;
            }
            GeneralName::Other(v) => {
                let mut o = Reader::new(v);
                o.read(tag::OID)?;
                o.read(tag::context(0))?;
                o.finish()?;
            }
            GeneralName::Ip(_) | GeneralName::Unsupported(_) => {}
        }
    }
    Ok(())
}

fn parse_extensions(contents: &[u8]) -> Result<Extensions<'_>> {
    let mut out = Extensions::default();
    let count = crate::der::for_each_extension::<MAX_EXTENSIONS>(contents, "extensions", |id, critical, v| {
        match id {
            oid::EXT_BASIC_CONSTRAINTS => {
                let bc = v.nested(tag::SEQUENCE, |s| {
                    let ca = if s.peek_tag() == Some(tag::BOOLEAN) {
                        let ca = s.read_bool()?;
                        if !ca {
                            return Err(Error::Malformed("basicConstraints: explicit cA FALSE"));
                        }
                        ca
                    } else {
                        false
                    };
                    let path_len = if s.is_empty() {
                        None
                    } else {
                        let n = s.read_u64()?;
                        Some(u8::try_from(n).unwrap_or(u8::MAX))
                    };
                    Ok(BasicConstraints { ca, path_len })
                })?;
                out.basic_constraints = Some((bc, critical));
            }
            oid::EXT_KEY_USAGE => {
                let bits = v.read(tag::BIT_STRING)?;
                let flags = bit_flags(bits)?;
                if flags == 0 {
                    return Err(Error::Malformed("keyUsage: no bits set"));
                }
                out.key_usage = Some((KeyUsage(flags), critical));
            }
            oid::EXT_EKU => {
                let list = v.read(tag::SEQUENCE)?;
                let mut l = Reader::new(list);
                if l.is_empty() {
                    return Err(Error::Malformed("extKeyUsage: empty"));
                }
                while !l.is_empty() {
                    l.read(tag::OID)?;
                }
                out.extended_key_usage = Some(list);
                out.extended_key_usage_critical = critical;
            }
            oid::EXT_SAN => {
                let names = v.read(tag::SEQUENCE)?;
                check_general_names(names, false)?;
                out.subject_alt_name = Some((names, critical));
            }
            oid::EXT_NAME_CONSTRAINTS => {
                out.name_constraints_critical = critical;
                let nc = v.nested(tag::SEQUENCE, |s| {
                    let permitted = s.read_optional(tag::context(0))?;
                    let excluded = s.read_optional(tag::context(1))?;
                    if permitted.is_none() && excluded.is_none() {
                        return Err(Error::Malformed("nameConstraints: empty"));
                    }
                    for subtrees in [permitted, excluded].into_iter().flatten() {
                        check_subtrees(subtrees)?;
                    }
                    Ok((permitted, excluded))
                })?;
                out.name_constraints = Some(nc);
            }
            oid::EXT_SKI => {
                if critical {
                    out.misplaced_critical = true;
                }
                out.subject_key_id = Some(v.read(tag::OCTET_STRING)?);
            }
            oid::EXT_AKI => {
                if critical {
                    out.misplaced_critical = true;
                }
                let (key_id, issuer) = v.nested(tag::SEQUENCE, |s| {
                    let kid = s.read_optional(tag::context_primitive(0))?;
                    let issuer = s.read_optional(tag::context(1))?;
                    let serial = s.read_optional(tag::context_primitive(2))?;
                    if issuer.is_some() != serial.is_some() {
                        return Err(Error::Malformed("authorityKeyIdentifier: issuer without serial"));
                    }
                    Ok((kid, issuer.is_some()))
                })?;
                out.authority_key_id = Some(key_id);
                out.authority_cert_issuer = issuer;
            }
            oid::EXT_CRL_DP => {
                out.crl_distribution_points = Some(v.read(tag::SEQUENCE)?);
            }
            oid::EXT_AIA => {
                if critical {
                    out.misplaced_critical = true;
                }
                v.read(tag::SEQUENCE)?;
            }
            oid::EXT_CERT_POLICIES | oid::EXT_IAN => {
                v.read(tag::SEQUENCE)?;
            }
            _ => {
                v.read_any()?;
                if critical {
                    out.unknown_critical = true;
                }
            }
        }
        Ok(())
    })?;
    out.count = count;
    Ok(out)
}

fn check_subtrees(contents: &[u8]) -> Result<()> {
    let mut r = Reader::new(contents);
    if r.is_empty() {
        return Err(Error::Malformed("nameConstraints: empty subtrees"));
    }
    while !r.is_empty() {
        r.nested(tag::SEQUENCE, |s| {
            let base = s.read_any()?;
            check_general_names(base.raw, false)?;
            // minimum MUST be zero and maximum absent (RFC 5280 4.2.1.10).
            if s.read_optional(tag::context_primitive(0))?.is_some()
                || s.read_optional(tag::context_primitive(1))?.is_some()
            {
                return Err(Error::Malformed("nameConstraints: minimum or maximum"));
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// Decodes PEM blocks with the label `label` (for example `CERTIFICATE`) into DER.
#[cfg(feature = "alloc")]
#[must_use]
pub fn pem_blocks(text: &str, label: &str) -> alloc::vec::Vec<alloc::vec::Vec<u8>> {
    use base64ct::Encoding as _;
    let begin = alloc::format!("-----BEGIN {label}-----");
    let end = alloc::format!("-----END {label}-----");
    let mut out = alloc::vec::Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let body_start = start.saturating_add(begin.len());
        let Some(after) = rest.get(body_start..) else { break };
        let Some(stop) = after.find(&end) else { break };
        let body: alloc::string::String =
            after.get(..stop).unwrap_or("").chars().filter(|c| !c.is_whitespace()).collect();
        if let Ok(der) = base64ct::Base64::decode_vec(&body) {
            out.push(der);
        }
        rest = after.get(stop.saturating_add(end.len())..).unwrap_or("");
    }
    out
}

/// Encodes DER as one PEM block with the label `label`.
#[cfg(feature = "alloc")]
#[must_use]
pub fn to_pem(der: &[u8], label: &str) -> alloc::string::String {
    use base64ct::Encoding as _;
    let b64 = base64ct::Base64::encode_string(der);
    let mut out = alloc::format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(core::str::from_utf8(chunk).unwrap_or(""));
        out.push('\n');
    }
    out.push_str(&alloc::format!("-----END {label}-----\n"));
    out
}
