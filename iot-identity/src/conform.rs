//! Rules on how certificates are issued (RFC 5280 section 4 MUSTs, and the CA/Browser Forum rules
//! for the web profile) that a validator may enforce on top of path validation.
//!
//! They are on by default ([`crate::Options::pedantic`]): a device fleet's own CAs should issue
//! conforming certificates, and x509-limbo expects them. Turning them off accepts certificates
//! from CAs that omit identifiers, as rustls-webpki does.

use crate::cert::{Certificate, GeneralName, KeyAlgorithm};
use crate::error::{Error, Result};
use crate::names::subtrees;
use crate::oid;
use crate::path::Profile;

/// Where a certificate sits on the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Leaf,
    Intermediate,
    Anchor,
}

const fn bad(what: &'static str) -> Error {
    Error::Malformed(what)
}

/// Checks the issuance rules for `cert` in `role`.
pub(crate) fn check(cert: &Certificate<'_>, role: Role, profile: Profile) -> Result<()> {
    let ext = &cert.extensions;
    // Serial number: positive, at most 20 octets (RFC 5280 4.1.2.2).
    let serial_ok = cert.serial.first().is_some_and(|b| *b < 0x80)
        && cert.serial.iter().any(|b| *b != 0)
        && cert.serial.len() <= 21
        && (cert.serial.len() <= 20 || cert.serial.first() == Some(&0));
    if !serial_ok {
        return Err(bad("serial number (not positive, or longer than 20 octets)"));
    }
    if ext.misplaced_critical {
        return Err(bad("extension criticality (AKI, SKI and AIA must not be critical)"));
    }
    if ext.name_constraints.is_some() && !ext.name_constraints_critical && profile != Profile::Webpki {
        return Err(bad("nameConstraints must be critical"));
    }
    if ext.basic_constraints.is_some_and(|(bc, _)| !bc.ca && bc.path_len.is_some()) {
        return Err(bad("pathLenConstraint without cA"));
    }
    let self_signed = cert.is_self_issued() && role == Role::Anchor;
    match role {
        Role::Leaf => {
            if ext.name_constraints.is_some() && !cert.is_ca() {
                return Err(bad("nameConstraints in an end-entity certificate"));
            }
        }
        Role::Intermediate | Role::Anchor => {
            if cert.subject.is_empty() {
                return Err(bad("empty subject in a CA certificate"));
            }
            if ext.subject_key_id.is_none() {
                return Err(bad("CA certificate without subjectKeyIdentifier"));
            }
            match ext.basic_constraints {
                Some((bc, true)) if bc.ca => {}
                _ => return Err(bad("CA certificate without critical basicConstraints cA")),
            }
            if let Some((permitted, excluded)) = ext.name_constraints {
                constraints_well_formed(permitted)?;
                constraints_well_formed(excluded)?;
            }
        }
    }
    // An anchor is trusted as configured; only certificates below it must name their issuer's key.
    if role != Role::Anchor && ext.authority_key_id.flatten().is_none() {
        return Err(bad("authorityKeyIdentifier keyIdentifier missing"));
    }
    // subjectAltName: critical exactly when the subject is empty (RFC 5280 4.2.1.6).
    match ext.subject_alt_name {
        Some((_, critical)) => {
            if cert.subject.is_empty() && !critical {
                return Err(bad("subjectAltName must be critical when the subject is empty"));
            }
            if profile == Profile::Webpki && !cert.subject.is_empty() && critical {
                return Err(bad("subjectAltName must not be critical when the subject is not empty"));
            }
        }
        None if cert.subject.is_empty() => return Err(bad("empty subject without subjectAltName")),
        None => {}
    }
    for name in cert.subject_alt_names() {
        match name {
            GeneralName::Dns(d) if !valid_presented_dns(d) => return Err(bad("subjectAltName dNSName syntax")),
            GeneralName::Email(e) if !valid_mailbox(e) => return Err(bad("subjectAltName rfc822Name syntax")),
            GeneralName::Ip(ip) if ip.len() != 4 && ip.len() != 16 => {
                return Err(bad("subjectAltName iPAddress length"));
            }
            _ => {}
        }
    }
    if profile == Profile::Webpki {
        web_rules(cert, role, self_signed)?;
    }
    Ok(())
}

/// CA/Browser Forum Baseline Requirements 7.1.2 rules the web profile adds.
fn web_rules(cert: &Certificate<'_>, role: Role, self_signed: bool) -> Result<()> {
    let ext = &cert.extensions;
    if !key_allowed(cert) {
        return Err(Error::UnsupportedAlgorithm);
    }
    match role {
        Role::Anchor => {
            if self_signed {
                if let Some(aki) = ext.authority_key_id {
                    if aki.is_none() || ext.authority_cert_issuer || aki != ext.subject_key_id {
                        return Err(bad("root authorityKeyIdentifier must be the keyIdentifier equal to the SKI"));
                    }
                }
                if ext.extended_key_usage.is_some() {
                    return Err(bad("root certificate with extKeyUsage"));
                }
            }
        }
        Role::Intermediate => {}
        Role::Leaf => {
            if ext.extended_key_usage.is_none() {
                return Err(bad("subscriber certificate without extKeyUsage"));
            }
            if ext.extended_key_usage_critical {
                return Err(bad("critical extKeyUsage in a subscriber certificate"));
            }
            if cert.extended_key_usages().any(|k| k == oid::KP_ANY) {
                return Err(bad("anyExtendedKeyUsage in a subscriber certificate"));
            }
            // The TLS Baseline Requirements govern server certificates; a device's client-auth
            // DevID (commonName, no SAN) is outside them.
            if cert.extended_key_usages().any(|k| k == oid::KP_SERVER_AUTH) {
                common_name_in_san(cert)?;
            }
        }
    }
    Ok(())
}

/// BR 7.1.4.3: a TLS server certificate's commonName, if present, is exactly one entry, byte for byte one of
/// the SAN values: a dNSName as written, or an iPAddress in its canonical text (dotted decimal,
/// RFC 5952 for IPv6).
fn common_name_in_san(cert: &Certificate<'_>) -> Result<()> {
    let mut cns = cert.subject.attributes().filter(|a| a.oid == oid::AT_COMMON_NAME);
    let Some(cn) = cns.next() else { return Ok(()) };
    if cns.next().is_some() {
        return Err(bad("more than one commonName in a subscriber certificate"));
    }
    let found = cert.subject_alt_names().any(|name| match name {
        GeneralName::Dns(d) => d == cn.value,
        GeneralName::Ip(ip) => {
            let mut buf = [0u8; 39];
            ip_text(ip, &mut buf).is_some_and(|t| t == cn.value)
        }
        _ => false,
    });
    if found { Ok(()) } else { Err(bad("subscriber commonName is not one of its subjectAltName values")) }
}

/// The canonical text of a 4- or 16-byte address: dotted decimal, or RFC 5952 (lower case, no
/// leading zeros, the first longest run of two or more zero groups as `::`).
fn ip_text<'b>(ip: &[u8], buf: &'b mut [u8; 39]) -> Option<&'b [u8]> {
    struct Out<'b> {
        buf: &'b mut [u8; 39],
        len: usize,
    }
    impl Out<'_> {
        fn push(&mut self, b: u8) -> Option<()> {
            *self.buf.get_mut(self.len)? = b;
            self.len = self.len.checked_add(1)?;
            Some(())
        }
        fn num(&mut self, v: u16, radix: u16) -> Option<()> {
            let mut digits = [0u8; 5];
            let mut n = 0usize;
            let mut v = v;
            loop {
                *digits.get_mut(n)? = b"0123456789abcdef".get(usize::from(v.checked_rem(radix)?)).copied()?;
                n = n.checked_add(1)?;
                v = v.checked_div(radix)?;
                if v == 0 {
                    break;
                }
            }
            for d in digits.get(..n)?.iter().rev() {
                self.push(*d)?;
            }
            Some(())
        }
    }
    let mut out = Out { buf, len: 0 };
    match ip.len() {
        4 => {
            for (i, b) in ip.iter().enumerate() {
                if i > 0 {
                    out.push(b'.')?;
                }
                out.num(u16::from(*b), 10)?;
            }
        }
        16 => {
            let mut groups = [0u16; 8];
            for (g, pair) in groups.iter_mut().zip(ip.chunks_exact(2)) {
                *g = u16::from_be_bytes([*pair.first()?, *pair.get(1)?]);
            }
            // the first longest run of at least two zero groups
            let (mut best, mut best_len, mut run, mut run_len) = (0usize, 0usize, 0usize, 0usize);
            for (i, g) in groups.iter().enumerate() {
                if *g == 0 {
                    if run_len == 0 {
                        run = i;
                    }
                    run_len = run_len.checked_add(1)?;
                    if run_len > best_len {
                        (best, best_len) = (run, run_len);
                    }
                } else {
                    run_len = 0;
                }
            }
            let skip = if best_len >= 2 { best..best.checked_add(best_len)? } else { 8..8 };
            let mut i = 0usize;
            while i < 8 {
                if i == skip.start && !skip.is_empty() {
                    out.push(b':')?;
                    out.push(b':')?;
                    i = skip.end;
                    continue;
                }
                if i > 0 && i != skip.end {
                    out.push(b':')?;
                }
                out.num(*groups.get(i)?, 16)?;
                i = i.checked_add(1)?;
            }
        }
        _ => return None,
    }
    let len = out.len;
    out.buf.get(..len)
}

#[cfg(test)]
mod ip_text_tests {
    #![allow(clippy::unwrap_used, clippy::std_instead_of_core, clippy::std_instead_of_alloc, reason = "test code")]
    use super::ip_text;

    fn text(ip: &[u8]) -> std::string::String {
        let mut buf = [0u8; 39];
        std::string::String::from_utf8(ip_text(ip, &mut buf).unwrap().to_vec()).unwrap()
    }

    #[test]
    fn canonical_ip_text() {
        assert_eq!(text(&[192, 168, 1, 1]), "192.168.1.1");
        assert_eq!(text(&[0, 0, 0, 0]), "0.0.0.0");
        let v6 = |s: &str| s.parse::<std::net::Ipv6Addr>().unwrap().octets();
        // RFC 5952 section 4 examples; std's Display follows RFC 5952 too
        for s in [
            "2001:db8::1",
            "2001:db8:0:1:1:1:1:1",
            "2001:0:0:1::1",
            "2001:db8::8a2e:370:7334",
            "::",
            "::1",
            "1::",
            "2001:db8:0:0:1::1",
        ] {
            let want = std::format!("{}", s.parse::<std::net::Ipv6Addr>().unwrap());
            assert_eq!(text(&v6(s)), want, "{s}");
        }
        assert_eq!(text(&v6("2001:db8:0:0:1:0:0:1")), "2001:db8::1:0:0:1");
        assert!(ip_text(&[1, 2, 3], &mut [0u8; 39]).is_none());
    }
}

/// The web profile's key rules: P-256, P-384, Ed25519, or RSA of 2048 to 8192 bits in whole bytes.
fn key_allowed(cert: &Certificate<'_>) -> bool {
    match cert.public_key.algorithm {
        KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384 | KeyAlgorithm::Ed25519 => true,
        KeyAlgorithm::Rsa => crate::sig::rsa_public_key(cert.public_key.key)
            .and_then(|(n, _)| crate::sig::bit_len(n))
            .is_some_and(|bits| (2048..=8192).contains(&bits) && bits % 8 == 0),
        _ => false,
    }
}

/// dNSName in the preferred name syntax (RFC 1034 3.5 as amended by RFC 1123), with an optional
/// leading `*.` wildcard label.
pub(crate) fn valid_presented_dns(name: &[u8]) -> bool {
    let name = name.strip_prefix(b"*.").unwrap_or(name);
    valid_hostname(name)
}

fn valid_hostname(name: &[u8]) -> bool {
    let name = name.strip_suffix(b".").unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split(|c| *c == b'.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.first() != Some(&b'-')
                && l.last() != Some(&b'-')
                && l.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        })
}

/// An rfc822Name mailbox: one `@`, a non-empty local part, a valid host.
fn valid_mailbox(m: &[u8]) -> bool {
    let mut parts = m.split(|c| *c == b'@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(host), None) => !local.is_empty() && valid_hostname(host),
        _ => false,
    }
}

/// Name-constraint bases must be well formed: DNS names without a leading period (RFC 5280
/// 4.2.1.10 allows that only for URIs and mailboxes), IP masks of contiguous ones.
fn constraints_well_formed(subtrees_der: Option<&[u8]>) -> Result<()> {
    for base in subtrees(subtrees_der.unwrap_or(&[])) {
        match base {
            GeneralName::Dns(d) if !d.is_empty() && !valid_hostname(d) => {
                return Err(bad("nameConstraints dNSName syntax"));
            }
            GeneralName::Ip(ip) => {
                let half = ip.len() / 2;
                if half != 4 && half != 16 {
                    return Err(bad("nameConstraints iPAddress length"));
                }
                let mask = ip.get(half..).unwrap_or(&[]);
                let mut seen_zero = false;
                for b in mask {
                    for bit in (0..8).rev() {
                        let one = (b >> bit) & 1 == 1;
                        if one && seen_zero {
                            return Err(bad("nameConstraints iPAddress mask is not contiguous"));
                        }
                        seen_zero |= !one;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    #[test]
    fn dns_syntax() {
        assert!(valid_presented_dns(b"*.example.com"));
        assert!(valid_presented_dns(b"a-b.example.com"));
        assert!(!valid_presented_dns(b"foo_bar.example.com"));
        assert!(!valid_presented_dns(b".example.com"));
        assert!(!valid_presented_dns(b"-a.example.com"));
        assert!(!valid_presented_dns(b""));
        assert!(valid_mailbox(b"a@example.com"));
        assert!(!valid_mailbox(b"invalid@address@example.com"));
    }
}
