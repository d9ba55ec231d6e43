//! Name matching: a certificate against an expected DNS name or IP address, and names against an
//! issuer's name constraints (RFC 5280 4.2.1.10, 6.1.3 b-c).

use crate::cert::{Certificate, GeneralName, Name, general_name};
use crate::der::{Reader, tag};
use crate::error::{Error, Result};

/// The name a peer is expected to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpectedName<'a> {
    /// A DNS name (matched against SAN dNSName entries, with the RFC 6125 leftmost wildcard).
    Dns(&'a str),
    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address (matched against SAN iPAddress entries).
    Ip(&'a [u8]),
}

/// Whether `cert`'s subjectAltName covers `name`. The subject CN is never consulted (RFC 9525).
///
/// # Errors
/// [`Error::NameMismatch`] when it does not.
pub fn check_name(cert: &Certificate<'_>, name: ExpectedName<'_>) -> Result<()> {
    let ok = match name {
        ExpectedName::Dns(want) => {
            let want = want.strip_suffix('.').unwrap_or(want);
            valid_dns_reference(want.as_bytes())
                && cert
                    .subject_alt_names()
                    .any(|n| matches!(n, GeneralName::Dns(p) if dns_presented_matches(p, want.as_bytes())))
        }
        ExpectedName::Ip(want) => cert.subject_alt_names().any(|n| matches!(n, GeneralName::Ip(p) if p == want)),
    };
    if ok { Ok(()) } else { Err(Error::NameMismatch) }
}

fn valid_dns_reference(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split(|c| *c == b'.').all(|l| {
            !l.is_empty() && l.len() <= 63 && l.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
        })
}

/// RFC 6125 6.4.3 as webpki applies it: exact (case-insensitive) match, or a `*.` wildcard that
/// stands for exactly one whole leftmost label, and never in a name of fewer than three labels.
fn dns_presented_matches(presented: &[u8], reference: &[u8]) -> bool {
    let presented = presented.strip_suffix(b".").unwrap_or(presented);
    if let Some(rest) = presented.strip_prefix(b"*.") {
        if rest.contains(&b'*') || !rest.contains(&b'.') {
            return false;
        }
        let Some(dot) = reference.iter().position(|c| *c == b'.') else { return false };
        let (first, tail) = reference.split_at(dot);
        return !first.is_empty() && tail.get(1..).is_some_and(|t| t.eq_ignore_ascii_case(rest));
    }
    !presented.contains(&b'*') && presented.eq_ignore_ascii_case(reference)
}

/// Counts name comparisons so that a hostile chain cannot make constraint checking quadratic
/// without bound.
#[derive(Debug)]
pub(crate) struct Comparisons(pub(crate) usize);

impl Comparisons {
    fn tick(&mut self) -> Result<()> {
        self.0 = self.0.checked_sub(1).ok_or(Error::LimitExceeded("name constraint comparisons"))?;
        Ok(())
    }
}

/// Checks every name of `cert` (its subject DN, email attributes and SAN entries) against the name
/// constraints `(permitted, excluded)` of one issuer.
pub(crate) fn check_constraints(
    cert: &Certificate<'_>,
    permitted: Option<&[u8]>,
    excluded: Option<&[u8]>,
    budget: &mut Comparisons,
) -> Result<()> {
    // The subject DN is checked against directoryName constraints unless it is empty.
    if !cert.subject.is_empty() {
        check_one(GeneralName::Directory(cert.subject.raw), permitted, excluded, budget)?;
    }
    for name in cert.subject_alt_names() {
        check_one(name, permitted, excluded, budget)?;
    }
    Ok(())
}

fn check_one(
    name: GeneralName<'_>,
    permitted: Option<&[u8]>,
    excluded: Option<&[u8]>,
    budget: &mut Comparisons,
) -> Result<()> {
    for base in subtrees(excluded.unwrap_or(&[])) {
        budget.tick()?;
        let hit = match (name, base) {
            // A wildcard could stand for an excluded name (CVE-2025-61727): refuse it.
            (GeneralName::Dns(n), GeneralName::Dns(c)) => {
                dns_within(n, c) || n.strip_prefix(b"*.").is_some_and(|rest| !c.is_empty() && dns_within(c, rest))
            }
            // Forms this validator cannot compare fail closed.
            (GeneralName::Other(_), GeneralName::Other(_)) => true,
            (GeneralName::Unsupported(a), GeneralName::Unsupported(b)) => a == b,
            (GeneralName::Uri(n), GeneralName::Uri(c)) => uri_host(n).is_none_or(|h| host_within(h, c)),
            _ => matches_constraint(name, base) == Some(true),
        };
        if hit {
            return Err(Error::NameConstraint);
        }
    }
    if let Some(permitted) = permitted {
        let mut any_of_kind = false;
        let mut matched = false;
        for base in subtrees(permitted) {
            budget.tick()?;
            if let Some(m) = matches_constraint(name, base) {
                any_of_kind = true;
                matched |= m;
            } else if same_kind(name, base).is_some() {
                any_of_kind = true;
            }
        }
        if any_of_kind && !matched {
            return Err(Error::NameConstraint);
        }
    }
    Ok(())
}

fn same_kind(a: GeneralName<'_>, b: GeneralName<'_>) -> Option<()> {
    (core::mem::discriminant(&a) == core::mem::discriminant(&b)).then_some(())
}

pub(crate) fn subtrees(contents: &[u8]) -> impl Iterator<Item = GeneralName<'_>> {
    let mut r = Reader::new(contents);
    core::iter::from_fn(move || {
        let mut s = Reader::new(r.read(tag::SEQUENCE).ok()?);
        Some(general_name(s.read_any().ok()?))
    })
}

/// `Some(matches)` when `constraint` is of the same kind as `name`, `None` otherwise.
fn matches_constraint(name: GeneralName<'_>, constraint: GeneralName<'_>) -> Option<bool> {
    match (name, constraint) {
        (GeneralName::Dns(n), GeneralName::Dns(c)) => Some(dns_within(n, c)),
        (GeneralName::Ip(n), GeneralName::Ip(c)) => Some(ip_within(n, c)),
        (GeneralName::Email(n), GeneralName::Email(c)) => Some(email_within(n, c)),
        (GeneralName::Uri(n), GeneralName::Uri(c)) => Some(uri_host(n).is_some_and(|h| host_within(h, c))),
        (GeneralName::Directory(n), GeneralName::Directory(c)) => Some(dn_within(n, c)),
        (GeneralName::Other(_), GeneralName::Other(_)) => Some(false),
        _ => None,
    }
}

/// A DNS name is within a constraint when it equals it or ends with `.` + constraint; an empty
/// constraint matches every name.
fn dns_within(name: &[u8], constraint: &[u8]) -> bool {
    let name = name.strip_suffix(b".").unwrap_or(name);
    if constraint.is_empty() {
        return true;
    }
    if let Some(suffix) = constraint.strip_prefix(b".") {
        return name.len() > suffix.len() && ends_with_label(name, suffix);
    }
    // A wildcard presented name `*.a.b` is within `a.b` by its suffix.
    let name = name.strip_prefix(b"*.").unwrap_or(name);
    name.eq_ignore_ascii_case(constraint) || ends_with_label(name, constraint)
}

fn ends_with_label(name: &[u8], suffix: &[u8]) -> bool {
    let Some(cut) = name.len().checked_sub(suffix.len()) else { return false };
    let (head, tail) = name.split_at(cut);
    tail.eq_ignore_ascii_case(suffix) && (head.is_empty() || head.last() == Some(&b'.'))
}

fn host_within(host: &[u8], constraint: &[u8]) -> bool {
    if let Some(suffix) = constraint.strip_prefix(b".") {
        return host.len() > suffix.len() && ends_with_label(host, suffix);
    }
    host.eq_ignore_ascii_case(constraint)
}

fn email_within(name: &[u8], constraint: &[u8]) -> bool {
    if constraint.contains(&b'@') {
        return name == constraint;
    }
    let Some(at) = name.iter().rposition(|c| *c == b'@') else { return false };
    let host = name.get(at.saturating_add(1)..).unwrap_or(&[]);
    host_within(host, constraint)
}

fn uri_host(uri: &[u8]) -> Option<&[u8]> {
    let idx = uri.windows(3).position(|w| w == b"://")?;
    let rest = uri.get(idx.checked_add(3)?..)?;
    let end = rest.iter().position(|c| matches!(c, b'/' | b'?' | b'#')).unwrap_or(rest.len());
    let authority = rest.get(..end)?;
    let host_start = authority.iter().rposition(|c| *c == b'@').map_or(0, |i| i.saturating_add(1));
    let host = authority.get(host_start..)?;
    let host_end = host.iter().rposition(|c| *c == b':').unwrap_or(host.len());
    host.get(..host_end)
}

fn ip_within(name: &[u8], constraint: &[u8]) -> bool {
    let half = constraint.len() / 2;
    if (half != 4 && half != 16) || name.len() != half {
        return false;
    }
    let (addr, mask) = constraint.split_at(half);
    name.iter().zip(addr).zip(mask).all(|((n, a), m)| n & m == a & m)
}

/// A directory name is within a constraint when the constraint's RDNs are a prefix of its RDNs.
fn dn_within(name_der: &[u8], constraint_der: &[u8]) -> bool {
    let (Ok(name), Ok(constraint)) = (Name::from_der(name_der), Name::from_der(constraint_der)) else {
        return false;
    };
    let mut n = rdns(name);
    for c in rdns(constraint) {
        match n.next() {
            Some(x) if x == c => {}
            _ => return false,
        }
    }
    true
}

fn rdns(name: Name<'_>) -> impl Iterator<Item = &[u8]> {
    let mut r = Reader::new(name.raw);
    let contents = r.read(tag::SEQUENCE).unwrap_or(&[]);
    let mut r = Reader::new(contents);
    core::iter::from_fn(move || r.read(tag::SET).ok())
}
