//! Certificate revocation lists (RFC 5280 section 5): parse, verify against the issuer, check.
//!
//! Parsing borrows from the input and needs no allocator; the revoked entries are checked once at
//! parse time and then searched in place, so a CRL of any size costs no RAM beyond its bytes.
//!
//! What is accepted is what RFC 5280 lets a conforming CA issue: v2 CRLs with a non-critical
//! `cRLNumber` (section 5.2.3: MUST be present and non-critical). A CRL is refused as a whole
//! (parse error, so the validation it is fed to fails) when it is a delta CRL, an indirect CRL,
//! partitioned by reason codes or limited to attribute certificates, or carries any other
//! critical extension, at CRL or entry level: those change what the list means, and a validator
//! that ignored them would answer "not revoked" wrongly.
//!
//! [`CrlSet`] is the [`RevocationCheck`] for [`validate`](crate::validate): for every certificate
//! on the path, the CRLs of its issuer (same name, and same key identifier when both carry one)
//! are verified with the issuer's key (which must allow `cRLSign` when it has a keyUsage), checked
//! for freshness, and searched for the serial number.
//!
//! ```
//! use iot_identity::crl::{Crl, CrlSet};
//! # fn main() {}
//! # fn demo(crl_der: &[u8], leaf: iot_identity::Certificate<'_>, root: iot_identity::Certificate<'_>,
//! #         now: iot_identity::Time) -> iot_identity::Result<()> {
//! let crls = [Crl::from_der(crl_der)?];
//! let revocation = CrlSet::new(&crls, now);
//! let opts = iot_identity::Options::new(now, iot_identity::Profile::DevId).with_revocation(&revocation);
//! iot_identity::validate(&leaf, &[], &[root], &opts)?; // Err(Error::Revoked) when listed
//! # Ok(())
//! # }
//! ```

use crate::cert::{KeyUsage, Name, SignatureAlgorithm};
use crate::der::{Reader, Writer, check_integer, for_each_extension, signed_envelope, tag};
use crate::issue::{extension, sign_tail};
use crate::path::RevocationCheck;
use crate::sig::Signer;
use crate::{Certificate, Error, Result, Time, oid, verify_signature};

/// certificateIssuer (2.5.29.29), the entry extension of indirect CRLs.
const EXT_CERTIFICATE_ISSUER: &[u8] = &[0x55, 0x1d, 0x1d];
/// invalidityDate (2.5.29.24).
const EXT_INVALIDITY_DATE: &[u8] = &[0x55, 0x1d, 0x18];
/// At most this many extensions per CRL or entry.
const MAX_CRL_EXTENSIONS: usize = 16;

/// Which certificates a CRL covers (its issuingDistributionPoint, RFC 5280 5.2.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scope<'a> {
    /// onlyContainsUserCerts: the CRL says nothing about CA certificates.
    pub only_user: bool,
    /// onlyContainsCACerts: the CRL says nothing about end-entity certificates.
    pub only_ca: bool,
    /// The distributionPoint name (DER of the `[0]` element); a certificate is covered only when
    /// one of its cRLDistributionPoints carries the same name.
    pub distribution_point: Option<&'a [u8]>,
}

/// A parsed, structurally checked CRL. Verify it with [`Crl::verify`] before trusting it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Crl<'a> {
    /// The whole DER CRL.
    pub raw: &'a [u8],
    /// The DER TBSCertList (the signed bytes).
    pub tbs: &'a [u8],
    /// The signature algorithm.
    pub signature_algorithm: SignatureAlgorithm,
    /// The signature bits.
    pub signature: &'a [u8],
    /// The issuer.
    pub issuer: Name<'a>,
    /// thisUpdate.
    pub this_update: Time,
    /// nextUpdate, when present.
    pub next_update: Option<Time>,
    /// cRLNumber (INTEGER contents, at most 20 octets).
    pub crl_number: &'a [u8],
    /// The authorityKeyIdentifier keyIdentifier, when present.
    pub authority_key_id: Option<&'a [u8]>,
    /// The issuingDistributionPoint scope.
    pub scope: Scope<'a>,
    revoked: &'a [u8],
    sig_alg_mismatch: bool,
}

/// One entry of a CRL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Revoked<'a> {
    /// The serial number (INTEGER contents).
    pub serial: &'a [u8],
    /// revocationDate.
    pub date: Time,
    /// reasonCode (RFC 5280 5.3.1), when present.
    pub reason: Option<u8>,
}

impl<'a> Revoked<'a> {
    /// An entry for writing with [`write_crl`]: `serial` as INTEGER contents (as in
    /// [`Certificate::serial`]), the revocation date, and an optional RFC 5280 reasonCode.
    #[must_use]
    pub const fn new(serial: &'a [u8], date: Time, reason: Option<u8>) -> Self {
        Self { serial, date, reason }
    }
}

/// What [`write_crl`] puts in a CRL besides the issuer and signature.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct CrlParams<'p> {
    /// cRLNumber: must increase with every CRL the CA issues.
    pub number: u64,
    /// thisUpdate.
    pub this_update: Time,
    /// nextUpdate: when relying parties must have fetched a newer CRL.
    pub next_update: Time,
    /// The revoked certificates.
    pub revoked: &'p [Revoked<'p>],
}

impl<'p> CrlParams<'p> {
    /// Parameters for CRL `number`, valid from `this_update` to `next_update`.
    #[must_use]
    pub const fn new(number: u64, this_update: Time, next_update: Time, revoked: &'p [Revoked<'p>]) -> Self {
        Self { number, this_update, next_update, revoked }
    }
}

/// Writes a v2 CRL issued and signed by `issuer` (its certificate and key) into `buf`; returns the
/// DER length. No allocator; [`Ca::crl`](crate::Ca::crl) is the owned form.
///
/// # Errors
/// [`Error::IssuerNotCa`] / [`Error::KeyUsage`] when the issuer may not sign CRLs,
/// [`Error::Malformed`] for an issuer without subjectKeyIdentifier or a bad serial or reason,
/// [`Error::InvalidValidity`], [`Error::BufferTooSmall`], [`Error::Signing`].
pub fn write_crl<S: Signer + ?Sized>(
    params: &CrlParams<'_>,
    issuer: &Certificate<'_>,
    signer: &S,
    buf: &mut [u8],
) -> Result<usize> {
    if !issuer.is_ca() {
        return Err(Error::IssuerNotCa);
    }
    if issuer.extensions.key_usage.is_some_and(|(ku, _)| !ku.has(KeyUsage::CRL_SIGN)) {
        return Err(Error::KeyUsage("cRLSign"));
    }
    let ski = issuer.extensions.subject_key_id.ok_or(Error::Malformed("issuer without subjectKeyIdentifier"))?;
    if params.next_update < params.this_update {
        return Err(Error::InvalidValidity);
    }
    let alg = signer.algorithm().to_der().ok_or(Error::UnsupportedAlgorithm)?;
    let mut w = Writer::new(buf);
    let outer = w.open(tag::SEQUENCE);
    let start = w.len();
    let tbs = w.open(tag::SEQUENCE);
    w.primitive(tag::INTEGER, &[1]);
    w.raw(alg);
    w.raw(issuer.subject.raw);
    params.this_update.write(&mut w);
    params.next_update.write(&mut w);
    if !params.revoked.is_empty() {
        let list = w.open(tag::SEQUENCE);
        for r in params.revoked {
            check_integer(r.serial)?;
            if r.serial.first().is_some_and(|b| *b >= 0x80) || r.serial.len() > 21 {
                return Err(Error::Malformed("serial number"));
            }
            let entry = w.open(tag::SEQUENCE);
            w.primitive(tag::INTEGER, r.serial);
            r.date.write(&mut w);
            if let Some(code) = r.reason {
                if code == 7 || code > 10 {
                    return Err(Error::Malformed("reasonCode"));
                }
                let exts = w.open(tag::SEQUENCE);
                extension(&mut w, oid::EXT_REASON_CODE, false, |w| w.primitive(tag::ENUMERATED, &[code]));
                w.close(exts);
            }
            w.close(entry);
        }
        w.close(list);
    }
    let exts = w.open(tag::context(0));
    let list = w.open(tag::SEQUENCE);
    extension(&mut w, oid::EXT_AKI, false, |w| {
        let s = w.open(tag::SEQUENCE);
        w.primitive(tag::context_primitive(0), ski);
        w.close(s);
    });
    extension(&mut w, oid::EXT_CRL_NUMBER, false, |w| w.uint(&params.number.to_be_bytes()));
    w.close(list);
    w.close(exts);
    w.close(tbs);
    sign_tail(&mut w, start, signer)?;
    w.close(outer);
    w.finish()
}

impl<'a> Crl<'a> {
    /// Parses a DER CRL and checks every field and extension.
    ///
    /// # Errors
    /// [`Error::Der`] / [`Error::Malformed`] for bad structure (cRLNumber missing included),
    /// [`Error::UnsupportedVersion`] for a v1 CRL, [`Error::UnsupportedCriticalExtension`] for
    /// a critical extension this crate does not process or a delta / indirect / reason-partitioned
    /// CRL, [`Error::DuplicateExtension`], [`Error::InvalidTime`], [`Error::LimitExceeded`].
    pub fn from_der(der: &'a [u8]) -> Result<Self> {
        let (tbs, outer_alg, signature) = signed_envelope(der)?;

        let mut t = Reader::new(tbs.value);
        // version: v2 (1) is required, since a conforming CRL carries cRLNumber.
        if t.peek_tag() != Some(tag::INTEGER) {
            return Err(Error::UnsupportedVersion);
        }
        if t.read_u64()? != 1 {
            return Err(Error::UnsupportedVersion);
        }
        let inner_alg = t.read_tlv(tag::SEQUENCE)?;
        let issuer = Name::from_tlv(t.read_tlv(tag::SEQUENCE)?)?;
        if issuer.is_empty() {
            return Err(Error::Malformed("crl: empty issuer"));
        }
        let this_update = read_time(&mut t)?;
        let next_update = match t.peek_tag() {
            Some(tag::UTC_TIME | tag::GENERALIZED_TIME) => Some(read_time(&mut t)?),
            _ => None,
        };
        if next_update.is_some_and(|n| n < this_update) {
            return Err(Error::InvalidValidity);
        }
        let revoked = if t.peek_tag() == Some(tag::SEQUENCE) { t.read(tag::SEQUENCE)? } else { &[] };
        let mut entries = Reader::new(revoked);
        while !entries.is_empty() {
            let entry = entries.read(tag::SEQUENCE)?;
            parse_entry(entry)?;
        }
        let ext = t.read_optional(tag::context(0))?.ok_or(Error::Malformed("crl: cRLNumber missing"))?;
        t.finish()?;
        let mut er = Reader::new(ext);
        let ext = er.read(tag::SEQUENCE)?;
        er.finish()?;
        let (crl_number, authority_key_id, scope) = parse_crl_extensions(ext)?;

        Ok(Self {
            raw: der,
            tbs: tbs.raw,
            signature_algorithm: SignatureAlgorithm::from_der(outer_alg.value),
            signature,
            issuer,
            this_update,
            next_update,
            crl_number,
            authority_key_id,
            scope,
            revoked,
            sig_alg_mismatch: outer_alg.raw != inner_alg.raw,
        })
    }

    /// The revoked certificates, in the CRL's order.
    pub fn revoked(&self) -> impl Iterator<Item = Revoked<'a>> + 'a {
        let mut r = Reader::new(self.revoked);
        core::iter::from_fn(move || {
            if r.is_empty() {
                return None;
            }
            // Checked in `from_der`: cannot fail here.
            r.read(tag::SEQUENCE).ok().and_then(|e| parse_entry(e).ok())
        })
    }

    /// The entry for `serial` (INTEGER contents, as in [`Certificate::serial`]), if listed.
    #[must_use]
    pub fn find(&self, serial: &[u8]) -> Option<Revoked<'a>> {
        self.revoked().find(|e| e.serial == serial)
    }

    /// Whether this CRL is `issuer`'s: same name, and the same key identifier when both the CRL's
    /// authorityKeyIdentifier and the issuer's subjectKeyIdentifier are present.
    #[must_use]
    pub fn is_issued_by(&self, issuer: &Certificate<'_>) -> bool {
        if self.issuer.raw != issuer.subject.raw {
            return false;
        }
        match (self.authority_key_id, issuer.extensions.subject_key_id) {
            (Some(a), Some(s)) => a == s,
            _ => true,
        }
    }

    /// Whether the CRL speaks about `cert` at all (its issuingDistributionPoint scope).
    #[must_use]
    pub fn covers(&self, cert: &Certificate<'_>) -> bool {
        if cert.issuer.raw != self.issuer.raw {
            return false;
        }
        let ca = cert.is_ca();
        if (self.scope.only_user && ca) || (self.scope.only_ca && !ca) {
            return false;
        }
        match self.scope.distribution_point {
            None => true,
            Some(dp) => cert.extensions.crl_distribution_points.is_some_and(|dps| has_distribution_point(dps, dp)),
        }
    }

    /// Verifies the CRL's signature with `issuer`'s key (RFC 5280 6.3.3 (f), (g)).
    ///
    /// # Errors
    /// [`Error::WrongBinding`] when it is not `issuer`'s CRL, [`Error::KeyUsage`] when the issuer
    /// has a keyUsage without cRLSign, [`Error::SignatureAlgorithmMismatch`],
    /// [`Error::UnsupportedAlgorithm`] or [`Error::BadSignature`].
    pub fn verify(&self, issuer: &Certificate<'_>) -> Result<()> {
        if !self.is_issued_by(issuer) {
            return Err(Error::WrongBinding("crl issued by another ca"));
        }
        if let Some((ku, _)) = issuer.extensions.key_usage {
            if !ku.has(KeyUsage::CRL_SIGN) {
                return Err(Error::KeyUsage("cRLSign"));
            }
        }
        if self.sig_alg_mismatch {
            return Err(Error::SignatureAlgorithmMismatch);
        }
        verify_signature(self.signature_algorithm, &issuer.public_key, self.tbs, self.signature)
    }
}

fn read_time(r: &mut Reader<'_>) -> Result<Time> {
    let tlv = r.read_any()?;
    Time::from_der(tlv.tag, tlv.value)
}

fn parse_entry(entry: &[u8]) -> Result<Revoked<'_>> {
    let mut e = Reader::new(entry);
    let serial = e.read(tag::INTEGER)?;
    check_integer(serial)?;
    let date = read_time(&mut e)?;
    let mut reason = None;
    if let Some(exts) = e.read_optional(tag::SEQUENCE)? {
        if exts.is_empty() {
            return Err(Error::Malformed("crl entry: empty extensions"));
        }
        for_each_extension::<MAX_CRL_EXTENSIONS>(exts, "crl extensions", |id, critical, v| {
            match id {
                oid::EXT_REASON_CODE => {
                    let code = v.read(tag::ENUMERATED)?;
                    match code {
                        // 7 is unused (RFC 5280 5.3.1)
                        [n @ (0..=6 | 8..=10)] => reason = Some(*n),
                        _ => return Err(Error::Malformed("crl entry: reasonCode")),
                    }
                }
                EXT_INVALIDITY_DATE => {
                    v.read(tag::GENERALIZED_TIME)?;
                }
                EXT_CERTIFICATE_ISSUER => return Err(Error::UnsupportedCriticalExtension),
                _ => {
                    v.read_any()?;
                    if critical {
                        return Err(Error::UnsupportedCriticalExtension);
                    }
                }
            }
            Ok(())
        })?;
    }
    e.finish()?;
    Ok(Revoked { serial, date, reason })
}

type CrlExtensions<'a> = (&'a [u8], Option<&'a [u8]>, Scope<'a>);

fn parse_crl_extensions(exts: &[u8]) -> Result<CrlExtensions<'_>> {
    let mut number = None;
    let mut aki = None;
    let mut scope = Scope::default();
    for_each_extension::<MAX_CRL_EXTENSIONS>(exts, "crl extensions", |id, critical, v| {
        match id {
            oid::EXT_CRL_NUMBER => {
                if critical {
                    return Err(Error::Malformed("crl: critical cRLNumber"));
                }
                let n = v.read(tag::INTEGER)?;
                check_integer(n)?;
                if n.first().is_some_and(|b| *b >= 0x80) || n.len() > 21 || (n.len() == 21 && n.first() != Some(&0)) {
                    return Err(Error::Malformed("crl: cRLNumber"));
                }
                number = Some(n);
            }
            oid::EXT_AKI => {
                aki = v.nested(tag::SEQUENCE, |s| {
                    let kid = s.read_optional(tag::context_primitive(0))?;
                    s.read_optional(tag::context(1))?;
                    s.read_optional(tag::context_primitive(2))?;
                    Ok(kid)
                })?;
            }
            oid::EXT_ISSUING_DP => {
                scope = v.nested(tag::SEQUENCE, |s| {
                    let dp = s.read_optional_tlv(tag::context(0))?.map(|t| t.raw);
                    let only_user = read_flag(s, 1)?;
                    let only_ca = read_flag(s, 2)?;
                    if s.read_optional(tag::context_primitive(3))?.is_some() || read_flag(s, 4)? || read_flag(s, 5)? {
                        // onlySomeReasons, indirectCRL, onlyContainsAttributeCerts
                        return Err(Error::UnsupportedCriticalExtension);
                    }
                    if only_user && only_ca {
                        return Err(Error::Malformed("crl: issuingDistributionPoint"));
                    }
                    Ok(Scope { only_user, only_ca, distribution_point: dp })
                })?;
            }
            oid::EXT_DELTA_CRL => return Err(Error::UnsupportedCriticalExtension),
            _ => {
                v.read_any()?;
                if critical {
                    return Err(Error::UnsupportedCriticalExtension);
                }
            }
        }
        Ok(())
    })?;
    let number = number.ok_or(Error::Malformed("crl: cRLNumber missing"))?;
    Ok((number, aki, scope))
}

/// `[n] IMPLICIT BOOLEAN DEFAULT FALSE`: absent is false; DER forbids encoding FALSE.
fn read_flag(r: &mut Reader<'_>, n: u8) -> Result<bool> {
    match r.read_optional(tag::context_primitive(n))? {
        None => Ok(false),
        Some([0xff]) => Ok(true),
        Some(_) => Err(Error::Malformed("crl: issuingDistributionPoint flag")),
    }
}

/// Whether the cRLDistributionPoints contents carry a DistributionPoint whose name is `dp`.
fn has_distribution_point(dps: &[u8], dp: &[u8]) -> bool {
    let mut r = Reader::new(dps);
    while let Ok(point) = r.read(tag::SEQUENCE) {
        let mut p = Reader::new(point);
        if let Ok(Some(name)) = p.read_optional_tlv(tag::context(0)) {
            if name.raw == dp {
                return true;
            }
        }
    }
    false
}

/// Which certificates of a path a [`CrlSet`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Depth {
    /// Every certificate below the trust anchor.
    Chain,
    /// Only end-entity (non-CA) certificates.
    EndEntity,
}

/// What a [`CrlSet`] does when no CRL covers a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnknownStatus {
    /// Fail with [`Error::RevocationUnknown`] (the default: fail closed).
    Deny,
    /// Accept the certificate.
    Allow,
}

/// A set of CRLs as a [`RevocationCheck`], with the policy for CRLs that are stale or missing.
#[derive(Debug, Clone, Copy)]
pub struct CrlSet<'c, 'a> {
    crls: &'c [Crl<'a>],
    time: Time,
    /// Which certificates are checked (default [`Depth::Chain`]).
    pub depth: Depth,
    /// When no CRL covers a certificate (default [`UnknownStatus::Deny`]).
    pub unknown: UnknownStatus,
    /// Refuse a CRL whose nextUpdate is before the time (default true).
    pub enforce_next_update: bool,
}

impl<'c, 'a> CrlSet<'c, 'a> {
    /// CRLs checked at `time` (normally the validation time), failing closed.
    #[must_use]
    pub fn new(crls: &'c [Crl<'a>], time: Time) -> Self {
        Self { crls, time, depth: Depth::Chain, unknown: UnknownStatus::Deny, enforce_next_update: true }
    }
}

impl RevocationCheck for CrlSet<'_, '_> {
    fn check(&self, cert: &Certificate<'_>, issuer: &Certificate<'_>) -> Result<()> {
        if self.depth == Depth::EndEntity && cert.is_ca() {
            return Ok(());
        }
        let mut known = false;
        for crl in self.crls.iter().filter(|c| c.covers(cert) && c.is_issued_by(issuer)) {
            crl.verify(issuer)?;
            if crl.this_update > self.time {
                return Err(Error::NotUsable("crl thisUpdate after the validation time"));
            }
            if self.enforce_next_update && crl.next_update.is_some_and(|n| n < self.time) {
                return Err(Error::NotUsable("crl past its nextUpdate"));
            }
            if crl.find(cert.serial).is_some() {
                return Err(Error::Revoked);
            }
            known = true;
        }
        if known || self.unknown == UnknownStatus::Allow { Ok(()) } else { Err(Error::RevocationUnknown) }
    }
}
