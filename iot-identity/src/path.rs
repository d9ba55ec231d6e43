//! RFC 5280 path validation with explicit trust anchors, a validation time, a work budget and
//! pluggable profiles (section 6, with the simplifications webpki makes: no policy tree).
//!
//! Paths are built depth first from the end-entity certificate towards an anchor; every candidate
//! issuer is checked before its signature is, and the search stops at the first valid path. No
//! allocation: the path is a fixed array of indices.

use crate::cert::{Certificate, KeyAlgorithm, KeyUsage, SignatureAlgorithm};
use crate::conform::{self, Role};
use crate::error::{Error, Result};
use crate::names::{Comparisons, ExpectedName, check_constraints, check_name};
use crate::oid;
use crate::sig::verify_signature;
use crate::time::Time;

/// Most intermediates a path may have (webpki and mozilla::pkix use 6).
pub const MAX_INTERMEDIATES: usize = 6;

/// How much work one validation may do before it gives up with [`Error::LimitExceeded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Budget {
    /// Signature verifications (webpki: 100).
    pub signatures: usize,
    /// Candidate issuers examined (mozilla::pkix: 200 000).
    pub build_steps: usize,
    /// Name-constraint comparisons (Go: 250 000).
    pub name_comparisons: usize,
}

impl Budget {
    /// A budget of `signatures` signature checks, `build_steps` candidate issuers and
    /// `name_comparisons` name-constraint comparisons.
    #[must_use]
    pub const fn new(signatures: usize, build_steps: usize, name_comparisons: usize) -> Self {
        Self { signatures, build_steps, name_comparisons }
    }
}

impl Default for Budget {
    fn default() -> Self {
        Self { signatures: 100, build_steps: 200_000, name_comparisons: 250_000 }
    }
}

/// A certificate profile layered on RFC 5280.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Profile {
    /// RFC 5280 only.
    Rfc5280,
    /// What rustls-webpki accepts: v3 only, no CA as end entity, no keyCertSign on the end entity.
    Webpki,
    /// IEEE 802.1AR DevID: the webpki rules, plus a subject serialNumber and a signing key usage on
    /// the device certificate, and only P-256 / Ed25519 keys and signatures.
    DevId,
    /// Matter device attestation: PAA -> PAI -> DAC with the CSA rules on each.
    Matter,
}

impl Profile {
    /// The profile's name as the CLI spells it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Rfc5280 => "rfc5280",
            Self::Webpki => "webpki",
            Self::DevId => "devid",
            Self::Matter => "matter",
        }
    }

    const fn strict(self) -> bool {
        !matches!(self, Self::Rfc5280)
    }
}

/// A revocation source consulted for every certificate on a candidate path.
pub trait RevocationCheck {
    /// Fails with [`Error::Revoked`] when `cert` (issued by `issuer`) is revoked.
    ///
    /// # Errors
    /// [`Error::Revoked`], or an error of the revocation data itself.
    fn check(&self, cert: &Certificate<'_>, issuer: &Certificate<'_>) -> Result<()>;
}

/// What a validation checks beyond the certificates themselves.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct Options<'o> {
    /// The time at which every certificate must be valid.
    pub time: Time,
    /// The profile.
    pub profile: Profile,
    /// A purpose the end entity's extendedKeyUsage must allow (absent EKU allows every purpose).
    pub eku: Option<&'o [u8]>,
    /// keyUsage bits the end entity must assert when it has the extension.
    pub key_usage: u16,
    /// The name the end entity must be valid for.
    pub name: Option<ExpectedName<'o>>,
    /// Most intermediates (at most [`MAX_INTERMEDIATES`]).
    pub max_intermediates: usize,
    /// The work budget.
    pub budget: Budget,
    /// Revocation (CRLs, a deny list), checked on the path that is found.
    pub revocation: Option<&'o dyn RevocationCheck>,
    /// Enforce the rules on how certificates are issued (RFC 5280 section 4 MUSTs: key
    /// identifiers, serial numbers, extension criticality; plus the CA/Browser Forum rules in the
    /// web profile). On by default; off accepts CAs that omit key identifiers, as rustls-webpki does.
    pub pedantic: bool,
}

impl core::fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Options")
            .field("time", &self.time)
            .field("profile", &self.profile)
            .field("eku", &self.eku)
            .field("key_usage", &self.key_usage)
            .field("name", &self.name)
            .field("max_intermediates", &self.max_intermediates)
            .field("budget", &self.budget)
            .field("revocation", &self.revocation.is_some())
            .field("pedantic", &self.pedantic)
            .finish()
    }
}

impl<'o> Options<'o> {
    /// Validation at `time` under `profile`, with no purpose, name or revocation requirement.
    #[must_use]
    pub fn new(time: Time, profile: Profile) -> Self {
        Self {
            time,
            profile,
            eku: None,
            key_usage: 0,
            name: None,
            max_intermediates: MAX_INTERMEDIATES,
            budget: Budget::default(),
            revocation: None,
            pedantic: true,
        }
    }

    /// Requires the end entity to be usable for TLS client authentication (a device).
    #[must_use]
    pub fn client_auth(mut self) -> Self {
        self.eku = Some(oid::KP_CLIENT_AUTH);
        self
    }

    /// Requires the end entity to be usable for TLS server authentication.
    #[must_use]
    pub fn server_auth(mut self) -> Self {
        self.eku = Some(oid::KP_SERVER_AUTH);
        self
    }

    /// Requires the end entity to be valid for `name`.
    #[must_use]
    pub fn with_name(mut self, name: ExpectedName<'o>) -> Self {
        self.name = Some(name);
        self
    }

    /// Consults `revocation` for every certificate of the path.
    #[must_use]
    pub fn with_revocation(mut self, revocation: &'o dyn RevocationCheck) -> Self {
        self.revocation = Some(revocation);
        self
    }
}

/// A valid path: the end entity, then intermediates (indices into the slice passed to
/// [`validate`]), then the anchor (an index into the anchors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidPath {
    intermediates: [usize; MAX_INTERMEDIATES],
    len: usize,
    /// Index of the trust anchor.
    pub anchor: usize,
}

impl ValidPath {
    /// Indices of the intermediates, from the one that issued the end entity upwards.
    #[must_use]
    pub fn intermediates(&self) -> &[usize] {
        self.intermediates.get(..self.len).unwrap_or(&[])
    }
}

struct Search<'c, 'a, 'o> {
    leaf: &'c Certificate<'a>,
    intermediates: &'c [Certificate<'a>],
    anchors: &'c [Certificate<'a>],
    opts: &'c Options<'o>,
    signatures: usize,
    steps: usize,
    comparisons: Comparisons,
    chain: [usize; MAX_INTERMEDIATES],
}

/// Validates `leaf` up to one of `anchors`, using any of `intermediates`.
///
/// # Errors
/// The reason the best candidate path failed: [`Error::UnknownIssuer`] when no issuer was found,
/// [`Error::Expired`], [`Error::BadSignature`], [`Error::PathTooLong`], [`Error::NameConstraint`],
/// [`Error::Profile`], [`Error::LimitExceeded`] and the other policy errors.
pub fn validate<'a>(
    leaf: &Certificate<'a>,
    intermediates: &[Certificate<'a>],
    anchors: &[Certificate<'a>],
    opts: &Options<'_>,
) -> Result<ValidPath> {
    check_common(leaf, opts)?;
    if opts.pedantic {
        conform::check(leaf, Role::Leaf, opts.profile)?;
    }
    check_end_entity(leaf, opts)?;
    let mut s = Search {
        leaf,
        intermediates,
        anchors,
        opts,
        signatures: opts.budget.signatures,
        steps: opts.budget.build_steps,
        comparisons: Comparisons(opts.budget.name_comparisons),
        chain: [0; MAX_INTERMEDIATES],
    };
    s.search(leaf, 0, 0)
}

/// Ranks errors so that the most informative reason wins when several candidate paths fail.
fn rank(e: &Error) -> u8 {
    match e {
        Error::UnknownIssuer => 0,
        Error::BadSignature => 2,
        Error::LimitExceeded(_) => 9,
        _ => 1,
    }
}

impl<'a> Search<'_, 'a, '_> {
    fn step(&mut self) -> Result<()> {
        self.steps = self.steps.checked_sub(1).ok_or(Error::LimitExceeded("path building steps"))?;
        Ok(())
    }

    fn verify(&mut self, child: &Certificate<'_>, issuer: &Certificate<'_>) -> Result<()> {
        self.signatures = self.signatures.checked_sub(1).ok_or(Error::LimitExceeded("signature checks"))?;
        verify_signature(child.signature_algorithm, &issuer.public_key, child.tbs, child.signature)
    }

    /// Looks for an issuer of `child`, which sits above `depth` intermediates; `sub_cas` counts the
    /// non-self-issued ones (for pathLenConstraint).
    fn search(&mut self, child: &Certificate<'a>, depth: usize, sub_cas: usize) -> Result<ValidPath> {
        let mut best = Error::UnknownIssuer;
        // Candidates whose subjectKeyIdentifier matches the child's authorityKeyIdentifier go
        // first; the identifiers are hints (RFC 5280 4.2.1.1), so the others are tried after.
        let anchors = self.anchors;
        for (pass, (i, anchor)) in
            [true, false].into_iter().flat_map(|p| anchors.iter().enumerate().map(move |x| (p, x)))
        {
            if anchor.subject.raw != child.issuer.raw || key_ids_agree(child, anchor) != pass {
                continue;
            }
            self.step()?;
            let attempt = self
                .check_anchor(anchor)
                .and_then(|()| self.verify(child, anchor))
                .and_then(|()| self.finish(depth, i));
            match attempt {
                Ok(p) => return Ok(p),
                Err(e @ Error::LimitExceeded(_)) => return Err(e),
                Err(e) if rank(&e) >= rank(&best) => best = e,
                Err(_) => {}
            }
        }
        let intermediates = self.intermediates;
        for (pass, (i, ca)) in
            [true, false].into_iter().flat_map(|p| intermediates.iter().enumerate().map(move |x| (p, x)))
        {
            if ca.subject.raw != child.issuer.raw || key_ids_agree(child, ca) != pass {
                continue;
            }
            // A certificate already on the path (or the end entity itself) would make a loop.
            if ca.raw == self.leaf.raw
                || self.chain.iter().take(depth).any(|j| intermediates.get(*j).is_some_and(|c| c.raw == ca.raw))
            {
                continue;
            }
            self.step()?;
            // Self-issued intermediates (key rollover) do not count against the depth limit.
            let logical = if ca.is_self_issued() { sub_cas } else { sub_cas.saturating_add(1) };
            if depth >= MAX_INTERMEDIATES || logical > self.opts.max_intermediates {
                best = Error::PathTooLong;
                continue;
            }
            let pedantic = self.opts.pedantic;
            let attempt = check_common(ca, self.opts)
                .and_then(|()| check_ca(ca, sub_cas, self.opts))
                .and_then(
                    |()| if pedantic { conform::check(ca, Role::Intermediate, self.opts.profile) } else { Ok(()) },
                )
                .and_then(|()| self.verify(child, ca))
                .and_then(|()| {
                    if let Some(slot) = self.chain.get_mut(depth) {
                        *slot = i;
                    }
                    let next = if ca.is_self_issued() { sub_cas } else { sub_cas.saturating_add(1) };
                    self.search(ca, depth.saturating_add(1), next)
                });
            match attempt {
                Ok(p) => return Ok(p),
                Err(e @ Error::LimitExceeded(_)) => return Err(e),
                Err(e) if rank(&e) >= rank(&best) => best = e,
                Err(_) => {}
            }
        }
        Err(best)
    }

    fn check_anchor(&self, anchor: &Certificate<'_>) -> Result<()> {
        // RFC 5280 does not process the anchor's own fields, but an expired anchor, or one that
        // says it is not a CA or may not sign certificates, is a configuration error that should
        // not go unnoticed.
        check_validity(anchor, self.opts.time)?;
        if self.opts.pedantic {
            conform::check(anchor, Role::Anchor, self.opts.profile)?;
        }
        if anchor.extensions.basic_constraints.is_some_and(|(bc, _)| !bc.ca) {
            return Err(Error::IssuerNotCa);
        }
        if anchor.extensions.key_usage.is_some_and(|(ku, _)| !ku.has(KeyUsage::KEY_CERT_SIGN)) {
            return Err(Error::KeyUsage("keyCertSign"));
        }
        Ok(())
    }

    /// Checks that need the whole path: name constraints, profile chain rules, revocation.
    fn finish(&mut self, depth: usize, anchor: usize) -> Result<ValidPath> {
        let intermediates = self.intermediates;
        let anchor_cert = self.anchors.get(anchor).ok_or(Error::UnknownIssuer)?;
        let chain = self.chain;
        let path: &[usize] = chain.get(..depth).unwrap_or(&[]);
        // Issuers from the top down, each constraining every certificate below it.
        let issuers = path.iter().rev().filter_map(|i| intermediates.get(*i));
        for (pos, issuer) in core::iter::once(anchor_cert).chain(issuers).enumerate() {
            let Some((permitted, excluded)) = issuer.extensions.name_constraints else { continue };
            // Certificates below `issuer`: intermediates further down, then the leaf.
            let below = depth.saturating_sub(pos);
            for j in path.iter().take(below) {
                let Some(c) = intermediates.get(*j) else { continue };
                if !c.is_self_issued() {
                    check_constraints(c, permitted, excluded, &mut self.comparisons)?;
                }
            }
            check_constraints(self.leaf, permitted, excluded, &mut self.comparisons)?;
        }
        if self.opts.profile == Profile::Matter {
            crate::profile::matter_chain(
                self.leaf,
                path.first().and_then(|i| intermediates.get(*i)),
                anchor_cert,
                depth,
            )?;
        }
        if let Some(rev) = self.opts.revocation {
            let mut child = self.leaf;
            for i in path {
                let Some(issuer) = intermediates.get(*i) else { continue };
                rev.check(child, issuer)?;
                child = issuer;
            }
            rev.check(child, anchor_cert)?;
        }
        let mut out = [0usize; MAX_INTERMEDIATES];
        for (dst, src) in out.iter_mut().zip(path) {
            *dst = *src;
        }
        Ok(ValidPath { intermediates: out, len: path.len(), anchor })
    }
}

/// When both the child's authorityKeyIdentifier and the candidate's subjectKeyIdentifier are
/// present they must agree; otherwise names alone decide (RFC 5280 4.2.1.1).
fn key_ids_agree(child: &Certificate<'_>, issuer: &Certificate<'_>) -> bool {
    match (child.extensions.authority_key_id.flatten(), issuer.extensions.subject_key_id) {
        (Some(a), Some(s)) => a == s,
        _ => true,
    }
}

/// Checks every certificate on a path gets: validity, algorithms, critical extensions.
fn check_validity(cert: &Certificate<'_>, time: Time) -> Result<()> {
    if cert.not_before > cert.not_after {
        return Err(Error::InvalidValidity);
    }
    if time < cert.not_before {
        return Err(Error::NotYetValid);
    }
    if time > cert.not_after {
        return Err(Error::Expired);
    }
    Ok(())
}

fn check_common(cert: &Certificate<'_>, opts: &Options<'_>) -> Result<()> {
    check_validity(cert, opts.time)?;
    if cert.signature_algorithm_mismatch() {
        return Err(Error::SignatureAlgorithmMismatch);
    }
    if cert.extensions.unknown_critical {
        return Err(Error::UnsupportedCriticalExtension);
    }
    if matches!(cert.signature_algorithm, SignatureAlgorithm::Unknown) {
        return Err(Error::UnsupportedAlgorithm);
    }
    if opts.profile.strict() && cert.version != 3 {
        return Err(Error::UnsupportedVersion);
    }
    if matches!(opts.profile, Profile::DevId | Profile::Matter) {
        let ok_sig = matches!(cert.signature_algorithm, SignatureAlgorithm::EcdsaSha256 | SignatureAlgorithm::Ed25519);
        let ok_key = matches!(cert.public_key.algorithm, KeyAlgorithm::EcP256 | KeyAlgorithm::Ed25519);
        if !ok_sig || !ok_key {
            return Err(Error::Profile {
                profile: opts.profile.name(),
                rule: "P-256 or Ed25519 keys and signatures only",
            });
        }
    }
    Ok(())
}

/// Checks an intermediate can issue: basicConstraints cA, pathLenConstraint, keyCertSign, EKU.
fn check_ca(ca: &Certificate<'_>, sub_cas: usize, opts: &Options<'_>) -> Result<()> {
    let Some((bc, _)) = ca.extensions.basic_constraints else { return Err(Error::IssuerNotCa) };
    if !bc.ca || ca.version != 3 {
        return Err(Error::IssuerNotCa);
    }
    if bc.path_len.is_some_and(|n| sub_cas > usize::from(n)) {
        return Err(Error::PathTooLong);
    }
    if let Some((ku, _)) = ca.extensions.key_usage {
        if !ku.has(KeyUsage::KEY_CERT_SIGN) {
            return Err(Error::KeyUsage("keyCertSign"));
        }
    }
    // EKU chaining as webpki and browsers do: a CA restricted to purposes cannot issue for others.
    if let (Some(want), Some(_)) = (opts.eku, ca.extensions.extended_key_usage) {
        if !ca.extended_key_usages().any(|k| k == want || k == oid::KP_ANY) {
            return Err(Error::ExtendedKeyUsage);
        }
    }
    if opts.profile == Profile::Matter {
        crate::profile::matter_ca(ca)?;
    }
    Ok(())
}

/// Checks the end entity's role, purposes, name and profile rules.
fn check_end_entity(leaf: &Certificate<'_>, opts: &Options<'_>) -> Result<()> {
    // RFC 5280 allows a CA certificate in the end-entity position; the other profiles do not.
    if opts.profile.strict() && leaf.is_ca() {
        return Err(Error::CaUsedAsEndEntity);
    }
    // keyCertSign without cA is not a conforming certificate (RFC 5280 4.2.1.3).
    if leaf.extensions.key_usage.is_some_and(|(ku, _)| ku.has(KeyUsage::KEY_CERT_SIGN)) && !leaf.is_ca() {
        return Err(Error::KeyUsage("keyCertSign on an end entity"));
    }
    if let Some(want) = opts.eku {
        if leaf.extensions.extended_key_usage.is_some() {
            let any_ok = opts.profile == Profile::Rfc5280;
            if !leaf.extended_key_usages().any(|k| k == want || (any_ok && k == oid::KP_ANY)) {
                return Err(Error::ExtendedKeyUsage);
            }
        }
    }
    if opts.key_usage != 0 {
        if let Some((ku, _)) = leaf.extensions.key_usage {
            if !ku.has(opts.key_usage) {
                return Err(Error::KeyUsage("the required usage"));
            }
        }
    }
    if let Some(name) = opts.name {
        check_name(leaf, name)?;
    }
    match opts.profile {
        Profile::DevId => crate::profile::devid_leaf(leaf)?,
        Profile::Matter => crate::profile::matter_dac(leaf)?,
        Profile::Rfc5280 | Profile::Webpki => {}
    }
    Ok(())
}
